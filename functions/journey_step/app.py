"""JourneyStepFunction: every task of every journey (docs/journeys.md, "Tasks").

Input: the task's Payload (``action``, ``journey``, ``step``, ``contact_id``, ``enrolment``, and
``execution``, ``attempt``, ``task_token``, ``await``, ``next_wait``, ``completes`` as the compiler
passes them), validated by `nurture.journeys.tasks.StepRequest`: a bad one is
``InvalidStepRequest`` naming the field (never retried). Output: ``{"status", "reason",
"message_id", "next_at", "arm", "channel"}``. The actions and their rules: `nurture.journeys.tasks`.

- An enrolment that is no longer running (read before a send or an update), or a contact without
  consent, record or address (recorded ``exited`` here), raises ``EnrolmentEnded``: every task
  Catches it into "Journey ended early", so an exit that races a send never sends.
- A send (an email through SES, an SMS through SNS: docs/sms.md) is claimed once per step of an
  enrolment (``SEND#<enrolment id>#<step>``), the task token of a send that waits for engagement
  written by the claim itself, before SES is called; retries, unknown outcomes and the providers'
  events: `nurture.messaging.sending`, docs/email.md.
- The delivery rules (`nurture.delivery`, docs/delivery.md) run before every send: a deferred send
  raises ``SendDeferred`` (its message the instant), which the state machine catches, waits out and
  retries; a skip (suppressed, capped with ``on_cap: skip``…) answers ``skipped``. ``DELIVERY_*``
  variables override the policy's defaults (quiet hours, caps).
- ``RetryableSendError``, ``AccountSendingPaused`` and ``DependencyUnavailable`` are retried by the
  state machine; ``MessageRejected``, ``EmailConfigurationError``, ``RenderError`` fail the execution.

Dependencies: `nurture.wiring` (built on the first invocation from ``JourneyStepSettings``, the SSM
unsubscribe secret checked then; tests and the local runtime inject theirs with ``use_dependencies``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_codes import DynamoDbCodePools
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_products import ProductStore
from nurture.adapters.dynamodb_profile_lists import DynamoDbProfileLists, DynamoDbProfileViews
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.send_path import send_path
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.delivery.policy import DeliveryPolicy
from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.errors import EnrolmentEnded, SendDeferred
from nurture.journeys.tasks import JourneySteps, StepRequest
from nurture.journeys.views import template_places
from nurture.messaging.personal import PersonalisationStore
from nurture.messaging.sending import utc_now
from nurture.offers.personalise import Personaliser, just_bought_by
from nurture.offers.places import default_places
from nurture.offers.pools import default_pools
from nurture.offers.products import default_products
from nurture.offers.service import Recommender
from nurture.settings import JourneyStepSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> JourneySteps:
    variables = os.environ if environ is None else environ
    settings = JourneyStepSettings.from_environ(variables)
    policy = DeliveryPolicy.from_environ(variables)
    aws = AwsClients(clients)
    now = clock or utc_now
    path = send_path(settings, log=logger, clock=now, clients=aws, policy=policy)
    personalisations = path.sender.personalisations
    assert personalisations is not None  # send_path wires them
    return JourneySteps(
        catalogue=default_catalogue(),
        enrolments=EnrolmentRepository(settings.table_name, aws.dynamodb),
        sender=path.sender,
        lists=DynamoDbProfileLists(settings.table_name, aws.dynamodb),
        profiles=DynamoDbProfileViews(settings.table_name, aws.dynamodb),
        log=logger,
        clock=now,
        policy=policy,
        personaliser=personaliser(settings.table_name, aws.dynamodb, personalisations, now),
        events=SqsEventQueue(settings.events_queue_url, aws.sqs) if settings.events_queue_url else None,
    )


def personaliser(
    table_name: str, dynamodb: Any, store: PersonalisationStore, clock: Callable[[], datetime]
) -> Personaliser:
    """Offers from the code pools, recommendations from the product data, places from places.yaml
    (docs/offers.md); the configuration files are read and checked here, at the first invocation."""
    profiles = ProfileRepository(table_name, dynamodb, clock=clock)
    recommender = Recommender(
        products=ProductStore(table_name, dynamodb),
        history=profiles,
        config=default_products(),
        clock=clock,
    )
    default_places()  # read and checked now, like the other files

    def places(contact_id: str, now: datetime) -> list[dict[str, Any]]:
        profile = profiles.get_profile(contact_id)
        return [] if profile is None else template_places(profile, now)

    return Personaliser(
        store=store,
        codes=DynamoDbCodePools(table_name, dynamodb),
        recommender=recommender,
        discounts={pool.id: pool.discount for pool in default_pools().values()},
        just_bought=just_bought_by(recommender),
        places=places,
    )


dependencies: Lazy[JourneySteps] = Lazy(build)
use_dependencies = dependencies.use


def _run(event: Any) -> dict[str, str | None]:
    request = StepRequest.from_event(event)
    logger.append_keys(contact_id=request.contact_id, journey=request.journey, step=request.step, action=request.action)
    try:
        return dependencies.get().run(request).as_output()
    finally:
        logger.remove_keys(["contact_id", "journey", "step", "action"])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str | None]:
    return run_handler(logger, "journey step failed", lambda: _run(event), expected=(SendDeferred, EnrolmentEnded))

"""EngagementFunction: SES's events (configuration set → SNS topic) settle the send claims, resume the
journeys waiting for them, and become canonical engagement events.

Input: the SNS → Lambda event, one SES event-publishing record per ``Records[].Sns.Message``. Each
event names its claim by our message tags (``contact_id``, ``journey``, ``step``, ``enrolment``,
``claim_id``). Per event (`nurture.messaging.engagement`):

1. the claim is settled (`nurture.messaging.claims.settle`): Send, Delivery, DeliveryDelay, Bounce,
   Complaint, Open, Click → ``sent``; Reject → ``failed``;
2. a claim holding a waiting execution's task token resumes it on the awaited engagement
   (SendTaskSuccess ``{"outcome": "email.clicked", "at": …}``), then drops the token; a wait
   already over is counted ``late``;
3. a permanent Bounce or a Complaint suppresses the address for good (``SUPPRESSION#<hash>``), a
   transient Bounce is counted and suppresses after 3 within 30 days (docs/delivery.md);
4. a tagged Delivery, Open, Click, Bounce or Complaint goes to the events queue as one
   ``nurture.events.EmailEngagement`` (deterministic event id), for ProcessFunction.

The same event twice changes nothing, so SNS's retries of a failed invocation are harmless. Events
without our tags, or for a claim that does not exist, are counted and ignored; a malformed record
fails the invocation (``MalformedEvents``, after the other records were applied). Output: the
counts (``settled_sent``, ``resumed``, ``late``, ``events_queued``, ...).

Dependencies: `nurture.wiring` (built on the first invocation from ``EngagementSettings``; the
suppression key is read from SSM then: docs/delivery.md, "The hash").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_delivery import DynamoDbSuppressions
from nurture.adapters.dynamodb_sends import SendLedger
from nurture.adapters.secrets import read_suppression_key
from nurture.adapters.sfn_task_tokens import StepFunctionsTaskTokens
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.delivery.policy import DeliveryPolicy
from nurture.messaging.engagement import ClaimSettler, EngagementEvents, WaitResumer
from nurture.settings import EngagementSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None) -> EngagementEvents:
    variables = os.environ if environ is None else environ
    settings = EngagementSettings.from_environ(variables)
    aws = AwsClients(clients)
    ledger = SendLedger(settings.table_name, aws.dynamodb)
    return EngagementEvents(
        settler=ClaimSettler(ledger),
        log=logger,
        resumer=WaitResumer(ledger, StepFunctionsTaskTokens(aws.stepfunctions)),
        queue=SqsEventQueue(settings.events_queue_url, aws.sqs),
        suppressions=DynamoDbSuppressions(
            settings.table_name,
            aws.dynamodb,
            DeliveryPolicy.from_environ(variables),
            suppression_key=read_suppression_key(aws.ssm, settings),
        ),
    )


dependencies: Lazy[EngagementEvents] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return run_handler(
        logger, "engagement events failed", lambda: dict(dependencies.get().apply(event.get("Records") or []))
    )

"""ProcessFunction: the SQS consumer that applies canonical events to profiles and routes them to journeys.

Each record's body is one canonical event (JSON, ``nurture.events``). For each record
(``nurture.journeys.dispatch.EventDispatcher``): apply it to the contact's profile
(``ProfileRepository.apply``: event log + profile update in one DynamoDB transaction, duplicates
and out-of-order deliveries safe, the journeys it triggers recorded on its event item), then carry
out the router's decisions (docs/journeys.md, "The router"): start enrolments (the enrolment
record, then StartExecution under its deterministic name), exit them (marked exited, then
StopExecution), resume the ones awaiting this event (SendTaskSuccess). Powertools'
``BatchProcessor`` reports the records that failed in ``batchItemFailures`` (the event source
mapping has ``ReportBatchItemFailures``): SQS retries only those and moves them to the DLQ after the
queue's maxReceiveCount. A malformed record or an unexpected error fails its own record only.

Insights (docs/scoring.md, "Wiring"), on when ``EVENTS_QUEUE_URL`` is set (the stack sets it): the
same transaction stores the contact's scores, tier, predicted order probability and segments
(``nurture.insights``); the ``score.crossed`` / ``segment.*`` events they raise go back to the
events queue, and an upward crossing of a ``notify`` threshold is published to
``SCORE_ALERTS_TOPIC_ARN``.

Dependencies (nurture/wiring.py): ``build(environ, clients=..., clock=...)`` reads
``nurture.settings.ProcessSettings`` (``TABLE_NAME``, ``JOURNEY_STATE_MACHINE_PREFIX``,
``EVENT_RETENTION_DAYS``, optional ``EVENTS_QUEUE_URL`` and ``SCORE_ALERTS_TOPIC_ARN``; invalid or
missing → ``ConfigurationError``) on the first invocation and the container keeps the result.
Tests and the local runtime inject their own::

    app.use_dependencies(app.build(environ, clients={"dynamodb": ddb, "stepfunctions": sfn}))
    app.lambda_handler(sqs_event, context)
    app.use_dependencies(None)  # forget them: the next invocation reads the environment again

Recommendations data (docs/offers.md): an order that counts for the first time records its
co-purchase pairs, category units and product info, a ``product.viewed`` its product's info
(``nurture.adapters.dynamodb_products``); a failure there is logged, never fails the record.

Cold start: everything a batch needs is imported here, at module level, so that it loads during
Lambda's init phase; the catalogue, the scoring model, the segments, the predictive weights
and ``products.yaml`` are loaded and validated by ``build``, once per container.

Logs carry keyword fields only (event id and type, source, store, contact id, outcome, journey,
enrolment id, status), never an email address, a phone number or a record body.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

# Before pydantic (which nurture.settings and nurture.events import): imported after it, Powertools'
# batch utility builds parser models (SQS, DynamoDB, Kinesis, Kafka records; ~80 ms) never used here.
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from pydantic import ValidationError

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_insights import VipThresholdStore
from nurture.adapters.dynamodb_products import ProductStore
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.sns_score_alerts import SnsScoreAlerts
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.adapters.stepfunctions import JourneyExecutions
from nurture.events import parse_event
from nurture.insights.assess import default_config
from nurture.insights.service import CachedVipThreshold, ContactInsights
from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.dispatch import EventDispatcher
from nurture.offers.products import default_products
from nurture.settings import ProcessSettings
from nurture.wiring import Lazy, run_handler

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
# Report failures, never raise: a batch whose every record failed is answered with every record in
# batchItemFailures, which SQS treats like a failed invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class MalformedEvent(Exception):
    """A record body that is not a canonical event. Carries field locations and messages only: the
    validation error itself would quote the input, which may hold an email address."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("record body is not a canonical event: " + "; ".join(errors))
        self.errors = errors


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> EventDispatcher:
    """The dispatcher for these settings; ``clients`` may hold ready boto3 clients by service name."""
    settings = ProcessSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    now = clock or _utc_now
    profiles = ProfileRepository(
        settings.table_name, aws.dynamodb, event_retention_days=settings.event_retention_days, clock=now
    )
    assessing = settings.events_queue_url is not None
    catalogue = default_catalogue()
    disabled = settings.disabled()
    if unknown := sorted(disabled - set(catalogue)):
        raise ValueError(f"DISABLED_JOURNEYS: {', '.join(unknown)} not in the catalogue ({', '.join(catalogue)})")
    default_products()  # products.yaml (event.facts of orders): read and validated once, at build
    return EventDispatcher(
        profiles=profiles,
        enrolments=EnrolmentRepository(settings.table_name, aws.dynamodb),
        executions=JourneyExecutions(aws.stepfunctions),
        catalogue=catalogue,
        state_machine_prefix=settings.journey_state_machine_prefix,
        disabled=disabled,
        clock=now,
        log=logger,
        insights=ContactInsights(
            config=default_config(),
            history=profiles,
            # The refresh pass's daily threshold (docs/scoring.md, "The refresh pass").
            vip_threshold=CachedVipThreshold(
                read=VipThresholdStore(settings.table_name, aws.dynamodb).value, clock=now
            ),
            clock=now,
        )
        if assessing
        else None,
        derived_events=SqsEventQueue(settings.events_queue_url, aws.sqs) if settings.events_queue_url else None,
        score_alerts=SnsScoreAlerts(settings.score_alerts_topic_arn, lambda: aws.sns)
        if settings.score_alerts_topic_arn
        else None,
        products=ProductStore(settings.table_name, aws.dynamodb),
    )


dependencies: Lazy[EventDispatcher] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_handler(logger, "batch failed", lambda: _handle_batch(event, context))


def _handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    dependencies.get()  # settings errors fail the invocation, not each record
    response = process_partial_response(
        event=event, record_handler=_handle_record, processor=processor, context=context
    )
    logger.info(
        "batch processed",
        records=len(event.get("Records") or []),
        failures=len(response["batchItemFailures"]),
    )
    return dict(response)


def _handle_record(record: SQSRecord) -> str:
    try:
        try:
            event = parse_event(record.body)
        except ValidationError as exc:
            # Not chained: the cause's message quotes the body (personal data) and would reach the logs.
            raise MalformedEvent(_error_list(exc)) from None
        return dependencies.get().process(event, message_id=record.message_id, store=event.store)
    except MalformedEvent as exc:
        logger.warning("malformed record", message_id=record.message_id, errors=exc.errors)
        raise
    except Exception as exc:
        logger.exception("record failed", message_id=record.message_id, error_type=type(exc).__name__)
        raise


def _error_list(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]

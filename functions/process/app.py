"""ProcessFunction: the SQS consumer that turns canonical events into contact profiles.

Each record's body is one canonical event (JSON, ``nurture.events``). For each record: parse it,
apply it to the contact's profile (``ProfileRepository.apply``: event log + profile update in one
DynamoDB transaction, duplicates and out-of-order deliveries safe), and when it made the contact's
email consent become ``subscribed``, start the welcome journey (execution ``welcome-<contact_id>``,
idempotent). Powertools' ``BatchProcessor`` reports the records that failed in
``batchItemFailures`` (the event source mapping has ``ReportBatchItemFailures``): SQS retries only
those and moves them to the DLQ after the queue's maxReceiveCount. A malformed record or an
unexpected error fails its own record and nothing else.

Dependencies. ``lambda_handler`` builds them on its first invocation from the environment
(``nurture.settings.ProcessSettings``: ``TABLE_NAME``, ``WELCOME_STATE_MACHINE_ARN``,
``EVENT_RETENTION_DAYS``; invalid or missing → ``ConfigurationError``) and keeps them for the life
of the container. Tests and the local runtime inject their own clients (and clock)::

    app.use_dependencies(app.build_dependencies(settings, dynamodb_client=ddb, sfn_client=sfn))
    app.lambda_handler(sqs_event, context)
    app.use_dependencies(None)  # forget them: the next invocation reads the environment again

Cold start: everything a batch needs is imported here, at module level, so that it loads during
Lambda's init phase (full CPU, captured by SnapStart); only the settings and the boto3 clients wait
for the first invocation (see docs/architecture.md, "Cold start").

Logs carry keyword fields only (event id and type, source, store, contact id, outcome, effects),
never an email address, a phone number or a record body.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools import Logger

# Before pydantic (which nurture.settings and nurture.events import): imported after it, Powertools'
# batch utility builds parser models (SQS, DynamoDB, Kinesis, Kafka records; ~80 ms) never used here.
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from pydantic import ValidationError

from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.stepfunctions import JourneyStarter
from nurture.events import parse_event
from nurture.settings import ProcessSettings

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient

    from nurture.adapters.stepfunctions import StartsExecutions
    from nurture.events import CanonicalEvent

logger = Logger()
# Report failures, never raise: a batch whose every record failed is answered with every record in
# batchItemFailures, which SQS treats like a failed invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Dependencies(NamedTuple):
    profiles: ProfileRepository
    welcome: JourneyStarter


class MalformedEvent(Exception):
    """A record body that is not a canonical event. Carries field locations and messages only: the
    validation error itself would quote the input, which may hold an email address."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("record body is not a canonical event: " + "; ".join(errors))
        self.errors = errors


_dependencies: Dependencies | None = None


def build_dependencies(
    settings: ProcessSettings,
    *,
    dynamodb_client: DynamoDBClient | None = None,
    sfn_client: SFNClient | StartsExecutions | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Dependencies:
    """The repository and journey starter for these settings; clients default to boto3's (lazily)."""
    return Dependencies(
        profiles=ProfileRepository(
            settings.table_name,
            dynamodb_client,
            event_retention_days=settings.event_retention_days,
            clock=clock,
        ),
        welcome=JourneyStarter(settings.welcome_state_machine_arn, sfn_client, journey="welcome"),
    )


def use_dependencies(dependencies: Dependencies | None) -> None:
    """Replace (or, with None, forget) the dependencies built from the environment."""
    global _dependencies
    _dependencies = dependencies


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _dependencies
    if _dependencies is None:
        _dependencies = build_dependencies(ProcessSettings.from_environ(os.environ))
    return _handle_batch(event, context)


@logger.inject_lambda_context(clear_state=True)
def _handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
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
        assert _dependencies is not None  # set by lambda_handler before any record
        return _process(event, record.message_id, _dependencies, logger)
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


def _process(event: CanonicalEvent, message_id: str, dependencies: Dependencies, logger: Logger) -> str:
    fields: dict[str, Any] = {
        "message_id": message_id,
        "event_id": event.event_id,
        "event_type": event.type,
        "source": event.source,
        "store": event.store,
    }
    result = dependencies.profiles.apply(event)
    logger.info(
        "event applied",
        **fields,
        outcome=result.outcome,
        contact_id=result.contact_id,
        profile_created=result.created,
        effects=list(result.effects),
        ignored=list(result.ignored),
    )
    if result.identity_conflicts:
        logger.warning(
            "identifiers belong to another contact",
            **fields,
            contact_id=result.contact_id,
            identity_kinds=list(result.identity_conflicts),
        )
    if result.welcome_due and result.contact_id is not None:
        started = dependencies.welcome.start(result.contact_id)
        logger.info(
            "welcome journey",
            **fields,
            contact_id=result.contact_id,
            status=started.status,
            execution_name=started.execution_name,
        )
    return result.outcome

"""BirthdayScanFunction: once a day at 12:00 UTC, a ``contact.birthday`` event for each contact
whose birthday is tomorrow in its own zone (docs/journeys.md, "The daily birthday scan").

Input: the EventBridge schedule's event (not read: "now" is the clock's). The run days come from the
scan's cursor (`nurture.profiles.birthdays.BirthdayScan`, at most a week late); each day is one
Query per ``MM-DD`` partition of the sparse ``birthday`` index, whose projection holds the zone
(`nurture.adapters.dynamodb_birthdays`), never a scan of the table nor a profile read; the events go
to the events queue (`nurture.adapters.sqs_events`) with deterministic ids, so a rerun sends the
same events and ProcessFunction applies each once. Output: ``days_scanned``, ``events``,
``days_behind``, ``next_day``.

Wiring: `nurture.wiring` (``build``, ``dependencies``, ``use_dependencies``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_birthdays import DynamoDBBirthdayIndex
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.profiles.birthdays import BirthdayScan
from nurture.settings import BirthdayScanSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def utc_now() -> datetime:
    return datetime.now(UTC)


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> BirthdayScan:
    settings = BirthdayScanSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    now = clock or utc_now
    return BirthdayScan(
        index=DynamoDBBirthdayIndex(settings.table_name, aws.dynamodb, clock=now),
        sink=SqsEventQueue(settings.events_queue_url, aws.sqs),
        log=logger,
        clock=now,
        default_zone=settings.delivery_default_time_zone,
    )


dependencies: Lazy[BirthdayScan] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, object]:
    return run_handler(logger, "birthday scan failed", lambda: dependencies.get().run())

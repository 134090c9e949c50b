"""LapsedScanFunction: once a day, a ``contact.lapsed`` event for each contact whose last order is
``LAPSED_AFTER_DAYS`` (default 90) days old (docs/journeys.md, "The daily lapsed scan").

Input: the EventBridge schedule's event (not read: "today" is the clock's). The days come from the
scan's cursor (`nurture.profiles.lapsed.days_to_scan`, at most ``MAX_CATCH_UP_DAYS`` per run);
each day is one Query of the sparse ``lapsed`` index and BatchGetItems of the profiles
(`nurture.adapters.dynamodb_lapsed`), never a scan of the table; the events go to the events queue
(`nurture.adapters.sqs_events`) with deterministic ids, so a rerun sends the same events and
ProcessFunction applies each once. Output: ``days_scanned``, ``events``, ``days_behind``, ``next_day``.

Wiring: `nurture.wiring` (``build``, ``dependencies``, ``use_dependencies``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_lapsed import DynamoDBLapsedIndex
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.profiles.lapsed import LapsedScan
from nurture.settings import LapsedScanSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def utc_now() -> datetime:
    return datetime.now(UTC)


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> LapsedScan:
    settings = LapsedScanSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    now = clock or utc_now
    return LapsedScan(
        index=DynamoDBLapsedIndex(settings.table_name, aws.dynamodb, clock=now),
        sink=SqsEventQueue(settings.events_queue_url, aws.sqs),
        log=logger,
        clock=now,
        after_days=settings.lapsed_after_days,
        max_days=settings.max_catch_up_days,
    )


dependencies: Lazy[LapsedScan] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, object]:
    return run_handler(logger, "lapsed scan failed", lambda: dependencies.get().run())

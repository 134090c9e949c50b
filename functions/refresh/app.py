"""RefreshFunction: every hour, a ``contact.refresh`` for each contact whose scores, tier or segments
time alone has changed, and once a day the VIP threshold (docs/scoring.md, "The refresh pass").

Input: the EventBridge schedule's event (not read: "now" is the clock's). The due contacts come
from the sparse ``due`` index, 16 shard Queries (`nurture.adapters.dynamodb_insights.DueIndex`); the
threshold from every CLV of the ``customer_value`` index, written to the settings item
(`VipThresholdStore`); the events go to the events queue (`nurture.adapters.sqs_events`) with
deterministic ids, so a rerun sends the same events and ProcessFunction applies each once.
Output: ``due``, ``more_due``, ``events``, ``threshold``, ``customers``, ``threshold_recomputed``,
``threshold_refreshes`` (`nurture.profiles.refresh.RefreshPass`).

Wiring: `nurture.wiring` (``build``, ``dependencies``, ``use_dependencies``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_insights import CustomerValueIndex, DueIndex, VipThresholdStore
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.profiles.refresh import RefreshPass
from nurture.settings import RefreshSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def utc_now() -> datetime:
    return datetime.now(UTC)


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RefreshPass:
    settings = RefreshSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    return RefreshPass(
        due_index=DueIndex(settings.table_name, aws.dynamodb),
        values=CustomerValueIndex(settings.table_name, aws.dynamodb),
        thresholds=VipThresholdStore(settings.table_name, aws.dynamodb),
        sink=SqsEventQueue(settings.events_queue_url, aws.sqs),
        log=logger,
        clock=clock or utc_now,
        top_percent=settings.vip_top_percent,
        max_events=settings.refresh_max_events,
    )


dependencies: Lazy[RefreshPass] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, object]:
    return run_handler(logger, "refresh pass failed", lambda: dependencies.get().run())

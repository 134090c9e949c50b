"""ReconcileSendsFunction: every 15 minutes, the send claims no SES event settled.

Input: the EventBridge schedule's event (not read). The claims ``sending`` or ``unknown`` for longer
than an hour are read from the send ledger's sparse index ``unsettled`` (never a table scan); each
is re-sent once through the sender's own path (a conditional write lets one reconciler of several
send; ``resends`` counts it) or, still unsettled after its re-send, given up as ``lost`` (a warning
with its claim id, counted). The decision: `nurture.messaging.claims.reconcile_unknown`; the run:
`nurture.messaging.reconcile`. Output: the counts (``resent``, ``given_up``, ``wait``, ...); a claim
that could not be reconciled fails the invocation after the others were (``ReconciliationIncomplete``).

Cold start: every module a run needs (boto3, pydantic, Jinja2, the layer) is imported here, during
Lambda's init phase; the settings, the SSM secret and the clients are built on the first invocation
and kept for the life of the container (docs/architecture.md, "Cold start").

Dependency injection (tests, local runtime): ``use_dependencies(Reconciler(...))`` replaces what
the first invocation would build from the environment (``build_reconciler()``; its ``clock``,
``environ`` and ``clients`` arguments keep the real adapters on moto with a virtual clock);
``use_dependencies(None)`` forgets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.email_sending import send_path
from nurture.messaging.journey_email import utc_now
from nurture.messaging.reconcile import Reconciler
from nurture.settings import ReconcileSendsSettings

logger = Logger()

_reconciler: Reconciler | None = None


def use_dependencies(reconciler: Reconciler | None) -> None:
    """Replace (or, with None, forget) what the first invocation builds from the environment."""
    global _reconciler
    _reconciler = reconciler


def build_reconciler(
    environ: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    clients: Mapping[str, Any] | None = None,
) -> Reconciler:
    """Settings from the environment; the sender (for the re-send) and the ledger, on the adapters
    `nurture.adapters.email_sending.send_path` wires. ``clients``: ready boto3 clients by service name."""
    settings = ReconcileSendsSettings.from_environ(os.environ if environ is None else environ)
    path = send_path(settings, log=logger, clock=clock or utc_now, clients=clients)
    return Reconciler(path.ledger, path.sender, logger, clock=path.sender.clock)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    global _reconciler
    try:
        if _reconciler is None:
            _reconciler = build_reconciler()
        return dict(_reconciler.run())
    except Exception as exc:  # logged once here with its type, then re-raised: the invocation shows failed
        logger.warning("send reconciliation failed", error_type=type(exc).__name__)
        raise

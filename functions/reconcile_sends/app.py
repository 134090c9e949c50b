"""ReconcileSendsFunction: every 15 minutes, the send claims no SES event settled.

Input: the EventBridge schedule's event (not read). The claims ``sending`` or ``unknown`` for longer
than an hour are read from the send ledger's sparse index ``unsettled`` (never a table scan); an
email's is re-sent once through the sender's own path (a conditional write lets one reconciler of
several send; ``resends`` counts it) or, still unsettled after its re-send, given up as ``lost`` (a
warning with its claim id, counted); an SMS's is given up at once, never re-sent (docs/sms.md).
The decision: `nurture.messaging.claims.reconcile_unknown`; the run: `nurture.messaging.reconcile`.
Output: the counts (``resent``, ``given_up``, ``wait``, ...); a claim that could not be reconciled
fails the invocation after the others were (``ReconciliationIncomplete``).

Cold start: every module a run needs (boto3, pydantic, Jinja2, the layer) is imported here, during
Lambda's init phase; the settings, the SSM secret and the clients are built on the first invocation
and kept for the life of the container (docs/architecture.md, "Cold start").

Dependencies: `nurture.wiring` (``build`` on the first invocation; its ``environ``, ``clients`` and
``clock`` arguments keep the real adapters on moto with a virtual clock; tests inject theirs with
``use_dependencies``, and ``use_dependencies(None)`` forgets it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.send_path import send_path
from nurture.messaging.reconcile import Reconciler
from nurture.messaging.sending import utc_now
from nurture.settings import ReconcileSendsSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def build(
    environ: Mapping[str, str] | None = None,
    *,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Reconciler:
    """Settings from the environment; the sender (for the re-send) and the ledger, on the adapters
    `nurture.adapters.send_path.send_path` wires. ``clients``: ready boto3 clients by service name."""
    settings = ReconcileSendsSettings.from_environ(os.environ if environ is None else environ)
    path = send_path(settings, log=logger, clock=clock or utc_now, clients=AwsClients(clients))
    return Reconciler(path.ledger, path.sender, logger, clock=path.sender.clock)


dependencies: Lazy[Reconciler] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return run_handler(logger, "send reconciliation failed", lambda: dict(dependencies.get().run()))

"""EngagementFunction: SES's events (configuration set → SNS topic) settle the send claims.

Input: the SNS → Lambda event, one SES event-publishing record per ``Records[].Sns.Message``.
Each event names its claim by our message tags (``contact_id``, ``journey``, ``step``,
``claim_id``); `nurture.messaging.engagement` applies `nurture.messaging.claims.settle` to it
through the send ledger: Send, Delivery, DeliveryDelay, Bounce, Complaint, Open, Click → ``sent``;
Reject → ``failed``. The same event twice changes nothing, so SNS's retries of a failed invocation
are harmless. Events without our tags, or for a claim that does not exist, are counted and ignored;
a malformed record fails the invocation (``MalformedEvents``, after the other records were applied).
Output: the counts (``settled_sent``, ``unchanged``, ``not_ours``, ...).

Cold start: every module a request needs (boto3, pydantic, the layer) is imported here, during
Lambda's init phase; the settings and the DynamoDB client are built on the first invocation and
kept for the life of the container (docs/architecture.md, "Cold start").

Dependency injection (tests, local runtime): ``use_dependencies(EngagementEvents(...))`` replaces
what the first invocation would build from the environment (``build_engagement()``, whose
``environ`` and ``clients`` arguments let a test keep the real adapters on moto);
``use_dependencies(None)`` forgets it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, SendLedger
from nurture.messaging.engagement import ClaimSettler, EngagementEvents
from nurture.settings import EngagementSettings

logger = Logger()

_events: EngagementEvents | None = None


def use_dependencies(events: EngagementEvents | None) -> None:
    """Replace (or, with None, forget) what the first invocation builds from the environment."""
    global _events
    _events = events


def build_engagement(
    environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None
) -> EngagementEvents:
    """Settings from the environment and the send ledger on DynamoDB (``clients`` may hold a ready
    "dynamodb" client)."""
    settings = EngagementSettings.from_environ(os.environ if environ is None else environ)
    dynamodb = (clients or {}).get("dynamodb") or boto3.client("dynamodb", config=Config(**DYNAMODB_CLIENT_CONFIG))
    return EngagementEvents(ClaimSettler(SendLedger(settings.table_name, dynamodb)), logger)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    global _events
    try:
        if _events is None:
            _events = build_engagement()
        return dict(_events.apply(event.get("Records") or []))
    except Exception as exc:  # logged once here with its type, then re-raised: Lambda retries the invocation
        logger.warning("engagement events failed", error_type=type(exc).__name__)
        raise

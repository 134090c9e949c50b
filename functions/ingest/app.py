"""IngestFunction: ``POST /webhooks/{source}`` → verify, validate, normalize, queue (answer 202).

The decisions live in `nurture.capture.intake`; this module adapts the HTTP API event, builds the
dependencies once per container (settings, the webhook secrets from SSM, boto3 clients) and maps
errors to responses through `nurture.http`. Every module a request needs is imported here, during
Lambda's init phase; the settings, the secrets and the clients wait for the first request, and a
source's normalizer for the first request from that source (docs/architecture.md, "Cold start").

Dependencies: `nurture.wiring` (``build`` on the first request; tests and the local runtime inject
theirs with `use_dependencies(...)`). Errors become responses here, through `nurture.http`: an
HTTP API answers every request, so unlike the other handlers nothing is re-raised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_deliveries import DynamoDbDeliveryLog
from nurture.adapters.secrets import read_secret_map
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.capture.intake import DeliveryLog, EventQueue, SourceSecret, WebhookRequest, receive_webhook
from nurture.http import error_response, json_response, request_body, request_headers
from nurture.settings import IngestSettings
from nurture.wiring import Lazy

logger = Logger()


@dataclass(frozen=True)
class Dependencies:
    secrets: Mapping[str, SourceSecret]
    queue: EventQueue
    deliveries: DeliveryLog


def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None) -> Dependencies:
    """Settings from the environment, the webhook secrets from SSM, the queue and the delivery log
    (``clients``: ready boto3 clients by service name)."""
    settings = IngestSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    return Dependencies(
        secrets=read_secret_map(aws.ssm, settings.webhook_secrets_parameter),
        queue=SqsEventQueue(settings.events_queue_url, aws.sqs),
        deliveries=DynamoDbDeliveryLog(settings.table_name, aws.dynamodb),
    )


dependencies: Lazy[Dependencies] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    source = str((event.get("pathParameters") or {}).get("source", ""))
    try:
        wired = dependencies.get()
        request = WebhookRequest(source=source, headers=request_headers(event), body=request_body(event))
        outcome = receive_webhook(request, secrets=wired.secrets, queue=wired.queue, deliveries=wired.deliveries)
    except Exception as exc:  # the one place errors become responses
        response = error_response(exc)
        if response["statusCode"] >= 500:
            logger.exception("webhook failed", source=source, error_type=type(exc).__name__)
        else:  # the sender's mistake (an unreadable body): worth a line, not a traceback at ERROR
            logger.warning(
                "webhook refused", source=source, status=response["statusCode"], error_type=type(exc).__name__
            )
        return response
    logger.info(
        "webhook answered",
        source=source,
        status=outcome.status,
        events=outcome.events,
        invalid_fields=[error["field"] for error in outcome.errors],
    )
    return json_response(outcome.status, outcome.body)

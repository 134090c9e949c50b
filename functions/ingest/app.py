"""IngestFunction: ``POST /webhooks/{source}`` → verify, validate, normalize, queue (answer 202).

The decisions live in `nurture.capture.intake`; this module adapts the HTTP API event, builds the
dependencies once per container (settings, the webhook secrets from SSM, boto3 clients) and maps
errors to responses through `nurture.http`. Every module a request needs is imported here, during
Lambda's init phase; the settings, the secrets and the clients wait for the first request, and a
source's normalizer for the first request from that source (docs/architecture.md, "Cold start").

Tests and the local runtime inject dependencies with `use_dependencies(...)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from nurture.adapters.dynamodb_deliveries import DynamoDbDeliveryLog
from nurture.adapters.secrets import read_secret_map
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.capture.intake import DeliveryLog, EventQueue, SourceSecret, WebhookRequest, receive_webhook
from nurture.http import error_response, json_response, request_body, request_headers
from nurture.settings import IngestSettings

logger = Logger()


@dataclass(frozen=True)
class Dependencies:
    secrets: Mapping[str, SourceSecret]
    queue: EventQueue
    deliveries: DeliveryLog


_dependencies: Dependencies | None = None


def use_dependencies(dependencies: Dependencies | None) -> None:
    """Replace (or, with None, forget) the dependencies built from the environment."""
    global _dependencies
    _dependencies = dependencies


def _build_dependencies() -> Dependencies:
    settings = IngestSettings.from_environ(os.environ)
    secrets = read_secret_map(boto3.client("ssm"), settings.webhook_secrets_parameter)
    return Dependencies(
        secrets=secrets,
        queue=SqsEventQueue(settings.events_queue_url, boto3.client("sqs")),
        deliveries=DynamoDbDeliveryLog(settings.table_name, boto3.client("dynamodb")),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _dependencies
    source = str((event.get("pathParameters") or {}).get("source", ""))
    try:
        if _dependencies is None:
            _dependencies = _build_dependencies()
        request = WebhookRequest(source=source, headers=request_headers(event), body=request_body(event))
        outcome = receive_webhook(
            request,
            secrets=_dependencies.secrets,
            queue=_dependencies.queue,
            deliveries=_dependencies.deliveries,
        )
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

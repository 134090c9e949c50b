"""ConsentFunction: the consent routes of the HTTP API (double opt-in, unsubscribe, preferences).

The decisions live in `nurture.consent.service` (routes, pages, events); this module adapts the
HTTP API event (payload 2.0), builds the dependencies once per container (settings, the unsubscribe
secret from SSM, the SQS client, the preferences page's read-only table adapter; `nurture.wiring`)
and maps errors to responses through `nurture.http`: an HTTP API answers every request, so nothing
is re-raised. Logs carry the route,
the status and the outcome, never a token, an address, an IP or a user agent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_preferences import DynamoDbPreferencesReader
from nurture.adapters.secrets import read_secret
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.consent.service import JSON, ConsentRequest, ConsentService
from nurture.http import error_response, html_response, request_body, request_headers
from nurture.settings import ConsentSettings, unsubscribe_secret
from nurture.wiring import Lazy

logger = Logger()


def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None) -> ConsentService:
    """Settings from the environment, the signing secret from SSM, the events queue, the profile read."""
    settings = ConsentSettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    parameter = settings.unsubscribe_secret_parameter
    return ConsentService(
        secret=unsubscribe_secret(read_secret(aws.ssm, parameter), parameter=parameter),
        queue=SqsEventQueue(settings.events_queue_url, aws.sqs),
        preferences=DynamoDbPreferencesReader(settings.table_name, aws.dynamodb),
    )


dependencies: Lazy[ConsentService] = Lazy(build)
use_dependencies = dependencies.use


def consent_request(event: Mapping[str, Any]) -> ConsentRequest:
    """The service's view of an HTTP API (payload 2.0) event."""
    http = (event.get("requestContext") or {}).get("http") or {}
    headers = request_headers(event)
    path = str(event.get("rawPath") or http.get("path") or "")
    return ConsentRequest(
        method=str(http.get("method") or "GET"),
        path="/" + path.rstrip("/").rsplit("/", 1)[-1],  # the route, whatever the stage prefix
        query=str(event.get("rawQueryString") or ""),
        headers=headers,
        body=request_body(event),
        ip=http.get("sourceIp") or None,
        user_agent=http.get("userAgent") or headers.get("user-agent") or None,
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    route = str(event.get("routeKey") or "")
    try:
        answer = dependencies.get().handle(consent_request(event))
    except Exception as exc:  # the one place errors become responses
        response = error_response(exc)
        if response["statusCode"] >= 500:
            logger.exception("consent request failed", route=route, error_type=type(exc).__name__)
        else:
            logger.warning("consent request refused", route=route, status=response["statusCode"])
        return response
    logger.info("consent request answered", route=route, status=answer.status, outcome=answer.outcome)
    if answer.content_type == JSON:
        return {"statusCode": answer.status, "headers": {"content-type": JSON}, "body": answer.body}
    return html_response(answer.status, answer.body)

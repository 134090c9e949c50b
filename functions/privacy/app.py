"""PrivacyFunction: ``POST /admin/contacts/{id}/erase`` and ``GET /admin/contacts/{id}/export``
(IAM-authorised routes of the HTTP API; docs/privacy.md).

The decisions live in `nurture.privacy.requests`; this module adapts the HTTP API event, builds the
dependencies once per container and maps errors to responses through `nurture.http` (a bad id is
400 naming the field ``id``, an unknown contact 404). Logs carry the contact id and counts only,
never what an export holds; an id that is not a contact id is not logged at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_privacy import DynamoDbPrivacyStore
from nurture.adapters.secrets import read_suppression_key
from nurture.adapters.stepfunctions import JourneyExecutions
from nurture.errors import InvalidRequest
from nurture.http import error_response, json_response
from nurture.privacy.requests import CONTACT_ID, PrivacyRequests, check_contact_id
from nurture.settings import PrivacySettings
from nurture.wiring import Lazy

logger = Logger()

ERASE_ROUTE = "POST /admin/contacts/{id}/erase"
EXPORT_ROUTE = "GET /admin/contacts/{id}/export"


def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None) -> PrivacyRequests:
    """Settings from the environment, the table, Step Functions and the suppression key from SSM
    (``clients``: ready boto3 clients)."""
    settings = PrivacySettings.from_environ(os.environ if environ is None else environ)
    aws = AwsClients(clients)
    return PrivacyRequests(
        DynamoDbPrivacyStore(
            settings.table_name, aws.dynamodb, suppression_key=read_suppression_key(aws.ssm, settings)
        ),
        JourneyExecutions(aws.stepfunctions),
        settings.journey_state_machine_prefix,
    )


dependencies: Lazy[PrivacyRequests] = Lazy(build)
use_dependencies = dependencies.use


def handle(route: str, contact_id: str) -> dict[str, Any]:
    check_contact_id(contact_id)
    requests = dependencies.get()
    if route == ERASE_ROUTE:
        summary = requests.erase(contact_id)
        logger.info("contact erased", extra=summary.as_json())
        return json_response(200, summary.as_json())
    if route == EXPORT_ROUTE:
        document = requests.export(contact_id)
        logger.info("contact exported", contact_id=contact_id)
        return json_response(200, document)
    raise InvalidRequest("route", "is not a privacy route")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    route = str(event.get("routeKey", ""))
    contact_id = str((event.get("pathParameters") or {}).get("id", ""))
    logged_id = contact_id if CONTACT_ID.fullmatch(contact_id) else None
    try:
        return handle(route, contact_id)
    except Exception as exc:  # the one place errors become responses
        response = error_response(exc)
        if response["statusCode"] >= 500:
            logger.exception("privacy request failed", route=route, contact_id=logged_id, error_type=type(exc).__name__)
        else:
            logger.warning(
                "privacy request refused",
                route=route,
                contact_id=logged_id,
                status=response["statusCode"],
                error_type=type(exc).__name__,
            )
        return response

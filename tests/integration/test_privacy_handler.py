"""PrivacyFunction on moto: the IAM-authorised routes answer bad input with 4xx naming the field
(never 5xx), an unknown contact with 404, and log the contact id only."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.conftest import FakeLambdaContext
from tests.unit.profiles.profile_events import EMAIL, PHONE, contact, upserted

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
ERASE = "POST /admin/contacts/{id}/erase"
EXPORT = "GET /admin/contacts/{id}/export"


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("privacy_app", ROOT / "functions" / "privacy" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["privacy_app"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app(dynamodb: Any, nurture_table: str) -> Any:
    module = load_app()
    clients = {"dynamodb": dynamodb, "stepfunctions": boto3.client("stepfunctions", region_name="us-east-1")}
    environ = {"TABLE_NAME": nurture_table, "JOURNEY_STATE_MACHINE_PREFIX": PREFIX}
    module.use_dependencies(module.build(environ, clients=clients))
    yield module
    module.use_dependencies(None)


def call(app: Any, route: str, contact_id: Any) -> tuple[int, dict[str, Any]]:
    event = {"routeKey": route, "pathParameters": None if contact_id is None else {"id": contact_id}}
    response = app.lambda_handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's message and every key it carries (Powertools' extra keys included)."""
    return "\n".join(json.dumps(vars(record), default=str) for record in caplog.records)


def a_contact(dynamodb: Any, table: str) -> str:
    from nurture.adapters.dynamodb_profiles import ProfileRepository

    profiles = ProfileRepository(table, dynamodb)
    profiles.apply(upserted(who=contact(phone=PHONE)))
    contact_id = profiles.find_contact_id(email=EMAIL)
    assert contact_id is not None
    return contact_id


@pytest.mark.parametrize("route", [ERASE, EXPORT])
@pytest.mark.parametrize("bad", [None, "", "ada@example.com", "A" * 32, "0" * 31, "0" * 33, "../" + "0" * 29, "é" * 32])
def test_a_bad_id_is_refused_naming_the_field(app: Any, route: str, bad: Any) -> None:
    status, body = call(app, route, bad)
    assert status == 400
    assert body["errors"] == [{"field": "id", "message": "must be a contact id: 32 lower-case hexadecimal digits"}]


@pytest.mark.parametrize("route", [ERASE, EXPORT])
def test_an_unknown_contact_is_404(app: Any, route: str) -> None:
    assert call(app, route, "0" * 32) == (404, {"message": "no such contact"})


def test_export_then_erase_then_404_logging_the_contact_id_only(
    app: Any, dynamodb: Any, nurture_table: str, caplog: pytest.LogCaptureFixture
) -> None:
    contact_id = a_contact(dynamodb, nurture_table)

    status, document = call(app, EXPORT, contact_id)
    assert status == 200
    assert document["profile"]["email"] == EMAIL and document["profile"]["phone"] == PHONE

    status, summary = call(app, ERASE, contact_id)
    assert status == 200
    assert summary["erased"] is True and summary["items"]["profile"] == 1 and summary["identities"] == 3
    assert EMAIL not in json.dumps(summary)

    assert call(app, EXPORT, contact_id)[0] == 404
    assert call(app, ERASE, contact_id)[0] == 404
    # The logs name the contact by id, never by what the export held
    text = logged(caplog)
    assert contact_id in text
    for personal in (EMAIL, PHONE, "Ada", "customer"):
        assert personal not in text


def test_a_bad_id_is_not_logged(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    call(app, ERASE, "ada@example.com")
    text = logged(caplog)
    assert "privacy request refused" in text
    assert "ada@example.com" not in text


def test_an_unknown_route_is_refused(app: Any) -> None:
    status, body = call(app, "DELETE /admin/contacts/{id}", "0" * 32)
    assert status == 400 and body["errors"][0]["field"] == "route"

"""PrivacyFunction on moto: the IAM-authorised routes answer bad input with 4xx naming the field
(never 5xx), an unknown contact with 404, and log the contact id only."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.conftest import FakeLambdaContext
from tests.function_apps import load_app
from tests.unit.profiles.profile_events import EMAIL, PHONE, at, complained, contact, upserted

PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
ERASE = "POST /admin/contacts/{id}/erase"
EXPORT = "GET /admin/contacts/{id}/export"
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"


@pytest.fixture
def app(dynamodb: Any, nurture_table: str) -> Any:
    module = load_app("privacy")
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=SECRET_PARAMETER, Value="privacy-unsubscribe-secret", Type="SecureString"
    )
    clients = {"dynamodb": dynamodb, "stepfunctions": boto3.client("stepfunctions", region_name="us-east-1")}
    environ = {
        "TABLE_NAME": nurture_table,
        "JOURNEY_STATE_MACHINE_PREFIX": PREFIX,
        "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
    }
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


@pytest.mark.parametrize("suppressed_before", [False, True])
def test_an_erased_complainer_signing_up_again_is_never_mailed_by_the_journey_step(
    app: Any, dynamodb: Any, nurture_table: str, suppressed_before: bool
) -> None:
    import functions.journey_step.app as journey_step_app
    from nurture.adapters.dynamodb_delivery import DynamoDbSuppressions
    from nurture.adapters.dynamodb_profiles import ProfileRepository
    from nurture.delivery.suppression import suppression_key
    from nurture.journeys.errors import EnrolmentEnded
    from tests.sending import enrolment_input, put_enrolment, put_subscriber, sent_messages

    # Given a contact who complained: its address suppressed already (EngagementFunction's item,
    # under the key from the same secret) or not yet (the erasure creates the item)
    contact_id = a_contact(dynamodb, nurture_table)
    ProfileRepository(nurture_table, dynamodb).apply(complained(contact_id))
    if suppressed_before:
        key = suppression_key("privacy-unsubscribe-secret")
        DynamoDbSuppressions(nurture_table, dynamodb, suppression_key=key).suppress(EMAIL, reason="complaint", at=at(5))
    # When PrivacyFunction erases it, and the person signs up again as a new contact
    status, summary = call(app, ERASE, contact_id)
    assert status == 200
    assert summary["suppressions"] == ({"kept": 1} if suppressed_before else {"created": 1})
    put_subscriber(dynamodb, nurture_table, "c-again", EMAIL.upper(), "Ada", at=at(10))
    put_enrolment(dynamodb, nurture_table, "c-again")
    # Then JourneyStepFunction (its own cold start, the same secret in SSM) finds the item: no email
    boto3.client("sesv2", region_name="us-east-1").create_email_identity(EmailIdentity="acme.example")
    environ = {
        "TABLE_NAME": nurture_table,
        "SENDER_ADDRESS": "hello@acme.example",
        "CONFIGURATION_SET": "nurture-events",
        "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
        "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
    }
    journey_step_app.use_dependencies(journey_step_app.build(environ, clock=lambda: at(10)))
    try:
        payload = {
            "action": "send",
            "journey": "welcome",
            "step": "welcome",
            "contact_id": "c-again",
            "enrolment": enrolment_input("c-again")["enrolment"],
            "execution": "arn:exec:welcome-c-again-1",
            "attempt": 0,
        }
        with pytest.raises(EnrolmentEnded, match="suppressed"):
            journey_step_app.lambda_handler(payload, FakeLambdaContext())
    finally:
        journey_step_app.use_dependencies(None)
    assert sent_messages("123456789012", "us-east-1") == []

"""JourneyStepFunction's handler: settings, secret and input checks, and each action on moto."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

import functions.journey_step.app as journey_step_app
from nurture.adapters.dynamodb_enrolments import enrolment_sk
from nurture.adapters.dynamodb_profile_items import profile_key
from nurture.adapters.dynamodb_sends import SendLedger, send_key
from nurture.errors import ConfigurationError
from nurture.journeys.definition import ListAction
from nurture.journeys.errors import EnrolmentEnded
from nurture.journeys.tasks import InvalidStepRequest
from nurture.messaging.claims import SendKey
from nurture.messaging.sending import JourneySender
from tests.conftest import FakeLambdaContext
from tests.sending import enrolment_input, put_enrolment, put_subscriber, sent_messages

ENVIRON = {
    "TABLE_NAME": "nurture-test",
    "SENDER_ADDRESS": "hello@acme.example",
    "CONFIGURATION_SET": "nurture-events",
    "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
    "UNSUBSCRIBE_SECRET_PARAMETER": "/nurture/test/unsubscribe-secret",
}


@pytest.fixture(autouse=True)
def forget_dependencies() -> Iterator[None]:
    journey_step_app.use_dependencies(None)
    yield
    journey_step_app.use_dependencies(None)


def test_the_sender_is_built_from_the_environment_and_the_ssm_secret(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="an-unsubscribe-secret-from-ssm", Type="SecureString"
    )
    sender = journey_step_app.build(ENVIRON).sender
    assert isinstance(sender, JourneySender)
    assert sender.unsubscribe_secret == "an-unsubscribe-secret-from-ssm"
    assert sender.sender_address == "hello@acme.example"


def test_a_missing_secret_parameter_is_a_configuration_error(aws: None) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        journey_step_app.build(ENVIRON)


@pytest.mark.parametrize("secret", ["short", "fifteen-bytes!!", "é" * 7])
def test_a_short_unsubscribe_secret_fails_at_cold_start_not_at_every_send(aws: None, secret: str) -> None:
    # Given an unsubscribe secret under 16 bytes in SSM (it would fail every token)
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value=secret, Type="SecureString"
    )
    # When the sender is built (cold start) / Then it is a configuration error naming the parameter
    with pytest.raises(ConfigurationError, match=r"unsubscribe-secret: .* at least 16 bytes") as raised:
        journey_step_app.build(ENVIRON)
    # and never quoting the secret
    assert secret not in str(raised.value)


def test_a_16_byte_unsubscribe_secret_is_enough(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="x" * 16, Type="SecureString"
    )
    assert journey_step_app.build(ENVIRON).sender.unsubscribe_secret  # type: ignore[attr-defined] == "x" * 16


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"TABLE_NAME": None}, "TABLE_NAME"),
        ({"UNSUBSCRIBE_BASE_URL": "http://acme.example/unsubscribe"}, "UNSUBSCRIBE_BASE_URL"),
        ({"SENDER_ADDRESS": "nobody"}, "SENDER_ADDRESS"),
        ({"SMS_ORIGINATION_NUMBER": "18005550100"}, "SMS_ORIGINATION_NUMBER: .*E.164"),
        ({"SMS_SENDER_ID": "123456"}, "SMS_SENDER_ID: .*at least one of them a letter"),
        ({"SMS_SENDER_ID": "AcmeOutfitters"}, "SMS_SENDER_ID"),
        ({"SMS_MAX_PRICE_USD": "cheap"}, "SMS_MAX_PRICE_USD: .*decimal"),
        ({"SMS_MAX_PRICE_USD": "0"}, "SMS_MAX_PRICE_USD: .*greater than 0"),
    ],
)
def test_bad_settings_are_named(aws: None, changes: dict[str, str | None], named: str) -> None:
    environ = {key: value for key, value in {**ENVIRON, **changes}.items() if value is not None}
    with pytest.raises(ConfigurationError, match=named):
        journey_step_app.build(environ)


def test_the_sms_settings_reach_the_sns_sender_and_empty_ones_are_unset(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="an-unsubscribe-secret-from-ssm", Type="SecureString"
    )
    sms = {"SMS_ORIGINATION_NUMBER": "+18005550100", "SMS_SENDER_ID": "", "SMS_MAX_PRICE_USD": "0.25"}
    sender = journey_step_app.build({**ENVIRON, **sms}).sender
    assert isinstance(sender, JourneySender)
    assert sender.sms_provider._fixed == {  # type: ignore[union-attr]
        "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": "+18005550100"},
        "AWS.SNS.SMS.MaxPrice": {"DataType": "String", "StringValue": "0.25"},
    }


def test_a_malformed_task_input_fails_the_task_without_touching_aws(lambda_context: Any) -> None:
    with pytest.raises(InvalidStepRequest):
        journey_step_app.lambda_handler({"contact_id": "c1", "journey": "welcome"}, lambda_context)


def test_the_module_loads_what_a_send_needs_at_import_and_never_the_xray_sdk() -> None:
    # Imports belong to Lambda's init phase (full CPU, captured by SnapStart): docs/architecture.md.
    import subprocess
    import sys

    code = (
        "import sys, functions.journey_step.app; "
        "print(sorted(m for m in ('boto3', 'jinja2', 'pydantic', 'aws_xray_sdk') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)  # noqa: S603
    assert result.stdout.strip() == "['boto3', 'jinja2', 'pydantic']"


# ---------------------------------------------------------------- the actions, on moto

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGION = "us-east-1"


@pytest.fixture
def step(dynamodb: Any, nurture_table: str) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """Given the function built on moto (NurtureTable, SES with a verified domain, the SSM secret)."""
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="an-unsubscribe-secret-from-ssm", Type="SecureString"
    )
    environ = {**ENVIRON, "TABLE_NAME": nurture_table}
    journey_step_app.use_dependencies(journey_step_app.build(environ, clock=lambda: T0))

    def invoke(payload: dict[str, Any]) -> dict[str, Any]:
        return journey_step_app.lambda_handler(payload, FakeLambdaContext())

    yield invoke
    journey_step_app.use_dependencies(None)


def payload(
    action: str, step_id: str, contact_id: str = "c-ada", journey: str = "welcome", **more: Any
) -> dict[str, Any]:
    base = enrolment_input(contact_id, journey)
    return {
        "action": action,
        "journey": journey,
        "step": step_id,
        "contact_id": contact_id,
        "enrolment": base["enrolment"],
        "execution": f"arn:exec:{journey}-{contact_id}-1",
        "attempt": 0,
        **more,
    }


def enrolment_item(dynamodb: Any, table: str, contact_id: str = "c-ada", journey: str = "welcome") -> dict[str, Any]:
    key = {"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": enrolment_sk(journey, None, 1)}}
    return dict(dynamodb.get_item(TableName=table, Key=key)["Item"])


def test_a_send_that_waits_for_a_click_stores_the_token_in_the_claim_write(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given a subscriber in a running win-back enrolment
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    enrolment = put_enrolment(dynamodb, nurture_table, "c-ada", journey="win_back")
    # When the we-miss-you send runs as a .waitForTaskToken task
    wait = {"event": "email.clicked", "timeout_seconds": 604800}
    output = step(payload("send", "miss_you", journey="win_back", task_token="token-1", **{"await": wait}))
    # Then the email is sent and its claim holds the token, written with the claim (before SES)
    assert output["status"] == "sent" and output["next_at"] is None and output["arm"] is None
    claim = SendLedger(nurture_table, dynamodb).get(SendKey("c-ada", "win_back", "miss_you", enrolment))
    assert claim is not None and claim.awaited is not None
    assert (claim.awaited.token, claim.awaited.event) == ("token-1", "email.clicked")
    assert claim.awaited.until == T0 + timedelta(days=7)
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key(claim.key))["Item"]
    assert item["sk"] == {"S": f"SEND#{enrolment}#miss_you"} and item["claimed_at"]
    assert len(sent_messages("123456789012", REGION)) == 1


def test_a_send_after_the_enrolment_exited_sends_nothing(step: Any, dynamodb: Any, nurture_table: str) -> None:
    # Given an enrolment the router marked exited (the contact ordered)
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada", status="exited")
    # When its next send runs / Then it ends the journey, and nothing is claimed nor sent
    with pytest.raises(EnrolmentEnded):
        step(payload("send", "welcome"))
    assert sent_messages("123456789012", REGION) == []
    assert SendLedger(nurture_table, dynamodb).get(SendKey("c-ada", "welcome", "welcome", "welcome-c-ada-1")) is None


def test_no_consent_marks_the_enrolment_exited(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0, state="unsubscribed")
    put_enrolment(dynamodb, nurture_table, "c-ada")
    with pytest.raises(EnrolmentEnded, match="no_consent"):
        step(payload("send", "welcome"))
    item = enrolment_item(dynamodb, nurture_table)
    assert (item["status"], item["reason"]) == ({"S": "exited"}, {"S": "no_consent"})
    assert sent_messages("123456789012", REGION) == []


def test_an_update_adds_the_contact_to_a_list(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="win_back")
    output = step(payload("update", "mark_lapsed", journey="win_back"))
    assert output["status"] == "done"
    profile = dynamodb.get_item(TableName=nurture_table, Key=profile_key("c-ada"))["Item"]
    assert profile["lists"] == {"SS": ["lapsed"]}
    step(payload("update", "mark_lapsed", journey="win_back"))  # a retry: the same set
    assert dynamodb.get_item(TableName=nurture_table, Key=profile_key("c-ada"))["Item"]["lists"] == {"SS": ["lapsed"]}


def test_complete_marks_the_enrolment_completed_and_applies_on_completion(
    step: Any, dynamodb: Any, nurture_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a journey whose on_completion moves the contact from one list to another
    steps = journey_step_app.dependencies.get()
    welcome = steps.catalogue["welcome"]
    actions = (ListAction(add_to_list="customers"), ListAction(remove_from_list="prospects", add_tag="welcomed"))
    catalogue = {**steps.catalogue, "welcome": welcome.model_copy(update={"on_completion": actions})}
    journey_step_app.use_dependencies(dataclasses.replace(steps, catalogue=catalogue))
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    dynamodb.update_item(
        TableName=nurture_table,
        Key=profile_key("c-ada"),
        UpdateExpression="ADD lists :lists",
        ExpressionAttributeValues={":lists": {"SS": ["prospects"]}},
    )
    put_enrolment(dynamodb, nurture_table, "c-ada")
    # When the last task completes it
    assert step(payload("complete", "feedback"))["status"] == "done"
    # Then the enrolment is completed and the lists changed
    item = enrolment_item(dynamodb, nurture_table)
    assert item["status"] == {"S": "completed"} and item["ended_at"]
    profile = dynamodb.get_item(TableName=nurture_table, Key=profile_key("c-ada"))["Item"]
    assert profile["lists"] == {"SS": ["customers"]} and profile["tags"] == {"SS": ["welcomed"]}
    # and a retry of the task is done too (on_completion again: the same sets)
    assert step(payload("complete", "feedback"))["status"] == "done"


def test_a_wait_after_a_task_returns_its_wake_up_time(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada")
    output = step(payload("plan", "welcome", next_wait={"seconds": 172800, "at": "10:00"}))
    assert output["next_at"] == "2026-03-04T10:00:00Z"  # no zone on the profile: UTC


def test_an_exit_step_records_its_reason(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_enrolment(dynamodb, nurture_table, "c-ada")
    assert step(payload("exit", "welcome", reason="not_interested")) == {
        "status": "done",
        "reason": "not_interested",
        "message_id": None,
        "next_at": None,
        "arm": None,
        "channel": None,
    }
    item = enrolment_item(dynamodb, nurture_table)
    assert (item["status"], item["reason"]) == ({"S": "exited"}, {"S": "not_interested"})


def test_an_await_task_stores_its_token_on_the_enrolment(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_enrolment(dynamodb, nurture_table, "c-ada")
    wait = {"event": "order.placed", "timeout_seconds": 3600}
    assert step(payload("await", "welcome", task_token="tok", **{"await": wait}))["status"] == "done"
    item = enrolment_item(dynamodb, nurture_table)
    assert (item["await_token"], item["await_event"]) == ({"S": "tok"}, {"S": "order.placed"})


def test_a_send_renders_the_data_the_router_stored_with_the_enrolment(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given an abandoned-checkout enrolment written as the router writes it (data: JSON text)
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    url = "https://acme.example/checkouts/tok-1/recover"
    data = {"checkout": {"token": "tok-1", "abandoned_checkout_url": url, "line_items": []}}
    enrolment = put_enrolment(dynamodb, nurture_table, "c-ada", journey="abandoned_checkout", key="tok-1", data=data)
    # When its reminder is sent
    reference = {"id": enrolment, "key": "tok-1", "occurrence": 1}
    output = step(payload("send", "reminder", journey="abandoned_checkout", enrolment=reference))
    # Then the message carries the enrolment's data
    assert output["status"] == "sent"
    [message] = sent_messages("123456789012", REGION)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and url in text.get_content()


def test_a_task_whose_enrolment_record_is_missing_ends_with_no_enrolment(step: Any) -> None:
    with pytest.raises(EnrolmentEnded, match="no_enrolment"):
        step(payload("update", "mark_lapsed", journey="win_back"))

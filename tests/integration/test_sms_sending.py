"""Sending an SMS end to end on moto: JourneyStepFunction's handler and the sender it wires (the
delivery rules, the claim with its channel, SNS's Publish, the message pointer, the decision)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import functions.journey_step.app as journey_step_app
import functions.sms_events.app as sms_events_app
from nurture.adapters.dynamodb_delivery import DecisionCounters
from nurture.adapters.dynamodb_enrolments import enrolment_sk
from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.adapters.dynamodb_sends import SendLedger, send_key, sms_message_key
from nurture.delivery.rules import Message
from nurture.journeys.errors import SendDeferred
from nurture.messaging.claims import SendKey
from nurture.messaging.sending import JourneySender, SendRequest
from nurture.profiles.model import ConsentRecord, Profile
from tests.conftest import FakeLambdaContext
from tests.sending import enrolment_input, put_enrolment, sent_messages
from tests.sms_events import FAILURE, FAILURE_LOG_GROUP, awslogs_event, status_record

ACCOUNT, REGION = "123456789012", "us-east-1"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York (the +1 number's zone)
NUMBER = "+12125550123"
ENVIRON = {
    "SENDER_ADDRESS": "hello@acme.example",
    "CONFIGURATION_SET": "nurture-events",
    "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
    "UNSUBSCRIBE_SECRET_PARAMETER": "/nurture/test/unsubscribe-secret",
    "SMS_ORIGINATION_NUMBER": "+18005550100",
}


def put_contact(
    dynamodb: Any,
    table: str,
    contact_id: str,
    *,
    phone: str | None = NUMBER,
    sms: str | None = "subscribed",
    email: str | None = None,
    email_state: str | None = None,
) -> None:
    """A profile with an SMS (and perhaps an email) consent, as ProcessFunction writes it."""

    def consent(state: str | None) -> ConsentRecord | None:
        return None if state is None else ConsentRecord(state, T0, "shopify", "acme-outfitters.myshopify.com", "e1")  # type: ignore[arg-type]

    profile = Profile(
        contact_id=contact_id,
        created_at=T0,
        updated_at=T0,
        source="shopify",
        store="acme-outfitters.myshopify.com",
        email=email,
        phone=phone,
        first_name="Ada",
        email_consent=consent(email_state),
        sms_consent=consent(sms),
    )
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    dynamodb.put_item(TableName=table, Item={**profile_key(contact_id), **attributes})


def texts() -> list[tuple[str, str]]:
    """Every SMS moto's SNS accepted: (number, text)."""
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


@pytest.fixture
def built(dynamodb: Any, nurture_table: str) -> Iterator[Any]:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="an-unsubscribe-secret-from-ssm", Type="SecureString"
    )
    steps = journey_step_app.build({**ENVIRON, "TABLE_NAME": nurture_table}, clock=lambda: T0)
    journey_step_app.use_dependencies(steps)
    yield steps
    journey_step_app.use_dependencies(None)


@pytest.fixture
def step(built: Any) -> Callable[..., dict[str, Any]]:
    def invoke(step_id: str = "welcome", contact_id: str = "c-ada", attempt: int = 0) -> dict[str, Any]:
        base = enrolment_input(contact_id, "sms_welcome")
        payload = {
            "action": "send",
            "journey": "sms_welcome",
            "step": step_id,
            "contact_id": contact_id,
            "enrolment": base["enrolment"],
            "execution": f"arn:exec:sms_welcome-{contact_id}-1",
            "attempt": attempt,
        }
        return journey_step_app.lambda_handler(payload, FakeLambdaContext())

    return invoke


def key(step_id: str = "welcome", contact_id: str = "c-ada") -> SendKey:
    return SendKey(contact_id, "sms_welcome", step_id, f"sms_welcome-{contact_id}-1")


def test_the_sms_welcome_is_texted_claimed_pointed_to_and_recorded(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given an SMS subscriber in a running SMS welcome
    put_contact(dynamodb, nurture_table, "c-ada")
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="sms_welcome")
    # When the opt-in confirmation's task runs
    output = step()
    # Then one text went to the number, naming the store, with HELP and STOP
    ((number, body),) = texts()
    assert number == NUMBER
    assert body.startswith("Acme Outfitters: ") and "Msg frequency varies" in body and "HELP" in body
    assert body.endswith("Reply STOP to opt out.")
    assert sent_messages(ACCOUNT, REGION) == []  # no email
    # And the task answers it with its channel
    assert (output["status"], output["channel"], output["reason"]) == ("sent", "sms", None)
    # And the claim records the channel, its segments and encoding, and SNS's message id
    claim = SendLedger(nurture_table, dynamodb).get(key())
    assert claim is not None
    assert (claim.status, claim.channel, claim.segments, claim.encoding) == ("sent", "sms", 1, "GSM-7")
    assert claim.message_id == output["message_id"]
    # And the message id points back to the claim (SmsEventsFunction's one GetItem)
    pointer = dynamodb.get_item(TableName=nurture_table, Key=sms_message_key(output["message_id"]))["Item"]
    assert (pointer["claim_id"]["S"], pointer["enrolment"]["S"]) == (claim.claim_id, key().enrolment)
    # And the decision says how it went
    decisions = dynamodb.query(
        TableName=nurture_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": {"S": "CONTACT#c-ada"}, ":d": {"S": "DECISION#"}},
    )["Items"]
    assert [(d["outcome"]["S"], d["channel"]["S"]) for d in decisions] == [("sent", "sms")]
    totals = DecisionCounters(nurture_table, dynamodb).totals("sms_welcome", "welcome", T0.date().isoformat())
    assert (totals["sent"], totals["sent_by_sms"], totals["sent_by_email"]) == (1, 1, 0)


def test_a_retried_task_never_texts_twice(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_contact(dynamodb, nurture_table, "c-ada")
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="sms_welcome")
    first = step()
    # When Step Functions retries the task (its answer was lost)
    again = step(attempt=1)
    # Then it answers already_sent with the same message id, and SNS got one Publish
    assert (again["status"], again["reason"], again["message_id"]) == ("skipped", "already_sent", first["message_id"])
    assert again["channel"] == "sms"
    assert len(texts()) == 1


def test_an_sms_within_24_hours_of_another_is_deferred_but_an_email_does_not_count(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given a contact emailed an hour ago (another journey): the SMS caps count SMS only
    put_contact(dynamodb, nurture_table, "c-ada")
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="sms_welcome")
    ledger = SendLedger(nurture_table, dynamodb)

    def sent(step_id: str, channel: str, at: datetime) -> None:
        other = SendKey("c-ada", "welcome", step_id, "welcome-c-ada-1")
        assert ledger.claim(other, claim_id=step_id, execution="x", attempt=0, at=at, channel=channel)
        ledger.start_sending(other, claim_id=step_id, at=at)
        ledger.record_sent(other, claim_id=step_id, message_id=f"m-{step_id}", at=at)

    sent("mail", "email", T0 - timedelta(hours=1))
    assert step()["status"] == "sent"
    # When an SMS went 20 hours before the offer is due
    sent("text", "sms", T0 - timedelta(hours=20))
    # Then the offer waits for the 24-hour gap to pass (and the morning in New York)
    with pytest.raises(SendDeferred) as deferred:
        step("offer")
    assert deferred.value.reason == "frequency_cap"
    assert len(texts()) == 1


def test_an_sms_skip_leaves_the_enrolment_running(step: Any, dynamodb: Any, nurture_table: str) -> None:
    # Given an SMS subscriber with no number (it was erased from the store)
    put_contact(dynamodb, nurture_table, "c-ada", phone=None)
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="sms_welcome")
    # When the text is due / Then it is skipped and the journey goes on
    output = step()
    assert (output["status"], output["reason"], output["channel"]) == ("skipped", "no_phone_number", None)
    enrolment = dynamodb.get_item(
        TableName=nurture_table,
        Key={"pk": {"S": "CONTACT#c-ada"}, "sk": {"S": enrolment_sk("sms_welcome", None, 1)}},
    )["Item"]
    assert enrolment["status"] == {"S": "running"}
    assert texts() == []


@pytest.mark.parametrize(
    ("email_state", "channel"),
    [("subscribed", "email"), ("unsubscribed", "sms"), (None, "sms")],
)
def test_email_or_sms_texts_only_a_contact_who_consented_to_sms_only(
    built: Any, dynamodb: Any, nurture_table: str, email_state: str | None, channel: str
) -> None:
    # Given a contact with an address and a number, subscribed to SMS, and to email or not
    put_contact(dynamodb, nurture_table, "c-ada", email="ada@example.com", email_state=email_state)
    sender = built.sender
    assert isinstance(sender, JourneySender)
    # When an email_or_sms step is sent (the welcome's templates exist for both channels)
    request = SendRequest(
        "c-ada",
        "welcome",
        "welcome",
        "welcome-c-ada-1",
        "arn:exec:welcome-c-ada-1",
        0,
        template="sms_welcome/welcome" if channel == "sms" else None,
        message=Message(channel="email_or_sms"),
    )
    result = sender.send(request)
    # Then it went by the channel the consents allow, recorded on the claim
    assert (result.status, result.channel) == ("sent", channel)
    assert (len(sent_messages(ACCOUNT, REGION)), len(texts())) == ((1, 0) if channel == "email" else (0, 1))
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key(request.key))["Item"]
    assert item.get("channel", {"S": "email"}) == {"S": channel}


def test_a_number_sms_events_found_dead_is_never_texted_by_the_journey_step(
    step: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    # Given SmsEventsFunction (its own cold start, the same secret in SSM) told the number is dead
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"]
    environ = {
        "TABLE_NAME": nurture_table,
        "EVENTS_QUEUE_URL": queue,
        "UNSUBSCRIBE_SECRET_PARAMETER": ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"],
    }
    sms_events_app.use_dependencies(sms_events_app.build(environ, clients={"dynamodb": dynamodb}))
    try:
        dead = status_record(FAILURE, message_id="sns-0", to=NUMBER, at=T0, response="Invalid phone number")
        counts = sms_events_app.lambda_handler(awslogs_event([dead], log_group=FAILURE_LOG_GROUP), lambda_context)
    finally:
        sms_events_app.use_dependencies(None)
    assert counts["suppressed"] == 1
    # When JourneyStepFunction's SMS is due for that number
    put_contact(dynamodb, nurture_table, "c-ada")
    put_enrolment(dynamodb, nurture_table, "c-ada", journey="sms_welcome")
    output = step()
    # Then it finds the item and texts nothing
    assert (output["status"], output["reason"]) == ("skipped", "suppressed")
    assert texts() == []

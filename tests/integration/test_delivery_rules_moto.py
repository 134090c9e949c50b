"""The delivery rules on moto (docs/delivery.md): JourneyStepFunction's send reads the contact's recent
claims (one Query) and the suppression list (one GetItem); EngagementFunction writes that list from
SES's bounces and complaints; every decision is recorded on the contact and counted per step."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import functions.engagement.app as engagement_app
import functions.journey_step.app as journey_step_app
from nurture.adapters.dynamodb_delivery import DecisionCounters, DynamoDbDeliveryHistory, DynamoDbSuppressions
from nurture.adapters.dynamodb_sends import SendLedger
from nurture.delivery.rules import Message
from nurture.delivery.suppression import suppression_hash, suppression_key
from nurture.journeys.errors import EnrolmentEnded, SendDeferred
from nurture.messaging.claims import SendKey
from nurture.messaging.sending import JourneySender, SendRequest
from tests.conftest import FakeLambdaContext
from tests.sending import enrolment_input, put_enrolment, put_subscriber, sent_messages, ses_notification

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC (the profiles have no zone: UTC)
REGION = "us-east-1"
ACCOUNT = "123456789012"
ENVIRON = {
    "SENDER_ADDRESS": "hello@acme.example",
    "CONFIGURATION_SET": "nurture-events",
    "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
    "UNSUBSCRIBE_SECRET_PARAMETER": "/nurture/test/unsubscribe-secret",
}
SECRET = "an-unsubscribe-secret-from-ssm"
KEY = suppression_key(SECRET)  # what every function reading or writing the list derives from it


@pytest.fixture
def secret(aws: None) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value=SECRET, Type="SecureString"
    )


@pytest.fixture
def step(dynamodb: Any, nurture_table: str, secret: None) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
    journey_step_app.use_dependencies(
        journey_step_app.build({**ENVIRON, "TABLE_NAME": nurture_table}, clock=lambda: T0)
    )
    yield lambda payload: journey_step_app.lambda_handler(payload, FakeLambdaContext())
    journey_step_app.use_dependencies(None)


def send_payload(contact_id: str, step_id: str = "welcome", journey: str = "welcome") -> dict[str, Any]:
    return {
        "action": "send",
        "journey": journey,
        "step": step_id,
        "contact_id": contact_id,
        "enrolment": enrolment_input(contact_id, journey)["enrolment"],
        "execution": f"arn:exec:{journey}-{contact_id}-1",
        "attempt": 0,
    }


def sent_before(ledger: SendLedger, contact_id: str, at: datetime, journey: str = "win_back") -> None:
    """A marketing email of another journey, sent at ``at``."""
    key = SendKey(contact_id, journey, "miss_you", f"{journey}-{contact_id}-1")
    assert ledger.claim(key, claim_id="earlier", execution="x", attempt=0, at=at)
    ledger.start_sending(key, claim_id="earlier", at=at)
    ledger.record_sent(key, claim_id="earlier", message_id="m-earlier", at=at)


def items_under(dynamodb: Any, table: str, pk: str, prefix: str) -> list[dict[str, Any]]:
    answer = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
    )
    return list(answer["Items"])


def test_a_send_within_16_hours_of_another_is_deferred_until_the_cap_frees_and_recorded(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given a subscriber mailed by win-back two hours ago, in a running welcome enrolment
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada")
    sent_before(SendLedger(nurture_table, dynamodb), "c-ada", T0 - timedelta(hours=2))
    # When the welcome send runs / Then it is deferred: the cap frees at 23:00 UTC, quiet hours → 08:00
    with pytest.raises(SendDeferred) as deferred:
        step(send_payload("c-ada"))
    assert str(deferred.value) == "2026-03-03T08:00:00Z"
    # And nothing was sent or claimed, and the decision is on the contact and counted
    assert sent_messages(ACCOUNT, REGION) == []
    assert items_under(dynamodb, nurture_table, "CONTACT#c-ada", "SEND#welcome") == []
    (decision,) = items_under(dynamodb, nurture_table, "CONTACT#c-ada", "DECISION#")
    assert decision["outcome"] == {"S": "deferred"} and decision["reason"] == {"S": "frequency_cap"}
    assert decision["until"] == {"S": "2026-03-03T08:00:00.000Z"} and "expires_at" in decision
    totals = DecisionCounters(nurture_table, dynamodb).totals("welcome", "welcome", "2026-03-02")
    assert totals["deferred"] == 1 and totals["deferred_frequency_cap"] == 1


def test_a_send_long_enough_after_the_last_goes_and_its_own_claim_does_not_cap_a_retry(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada")
    sent_before(SendLedger(nurture_table, dynamodb), "c-ada", T0 - timedelta(hours=17))
    assert step(send_payload("c-ada"))["status"] == "sent"
    # A retry of the same task: already sent (its own claim is not counted against it)
    again = step(send_payload("c-ada"))
    assert (again["status"], again["reason"]) == ("skipped", "already_sent")
    assert len(sent_messages(ACCOUNT, REGION)) == 1


def test_a_capped_send_whose_step_says_skip_is_skipped(step: Any, dynamodb: Any, nurture_table: str) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "ada@example.com", "Ada", at=T0)
    sent_before(SendLedger(nurture_table, dynamodb), "c-ada", T0 - timedelta(hours=1))
    sender = journey_step_app.dependencies.get().sender
    assert isinstance(sender, JourneySender)
    request = SendRequest("c-ada", "welcome", "welcome", "welcome-c-ada-1", "x", message=Message(on_cap="skip"))
    result = sender.send(request)
    assert (result.status, result.reason) == ("skipped", "frequency_cap")
    assert sent_messages(ACCOUNT, REGION) == []


def test_a_suppressed_address_is_never_mailed_and_its_enrolment_ends(
    step: Any, dynamodb: Any, nurture_table: str
) -> None:
    put_subscriber(dynamodb, nurture_table, "c-ada", "Ada@Example.com", "Ada", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-ada")
    DynamoDbSuppressions(nurture_table, dynamodb, suppression_key=KEY).suppress(
        "ada@example.com", reason="complaint", at=T0
    )
    with pytest.raises(EnrolmentEnded, match="suppressed"):
        step(send_payload("c-ada"))
    assert sent_messages(ACCOUNT, REGION) == []
    (decision,) = items_under(dynamodb, nurture_table, "CONTACT#c-ada", "DECISION#")
    assert decision["outcome"] == {"S": "skipped"} and decision["reason"] == {"S": "suppressed"}


@pytest.fixture
def engagement(dynamodb: Any, nurture_table: str, secret: None) -> Iterator[Callable[[list[str]], dict[str, int]]]:
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"]
    environ = {
        "TABLE_NAME": nurture_table,
        "EVENTS_QUEUE_URL": queue_url,
        "UNSUBSCRIBE_SECRET_PARAMETER": ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"],
    }
    engagement_app.use_dependencies(engagement_app.build(environ, clients={"dynamodb": dynamodb}))
    yield lambda samples: engagement_app.lambda_handler(ses_notification(samples), FakeLambdaContext())
    engagement_app.use_dependencies(None)


@pytest.mark.parametrize("sample", ["ses_event_complaint.json", "ses_event_bounce_permanent.json"])
def test_a_complaint_or_a_permanent_bounce_suppresses_the_address_by_its_hash(
    engagement: Any, dynamodb: Any, nurture_table: str, sample: str
) -> None:
    history = DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=KEY)
    assert not history.suppressed("recipient@example.com")
    counts = engagement([sample])
    assert counts["suppressed"] == 1
    assert history.suppressed("Recipient@example.com ")
    # The item names the address by its hash only
    item = dynamodb.get_item(
        TableName=nurture_table,
        Key={"pk": {"S": f"SUPPRESSION#{suppression_hash('recipient@example.com', KEY)}"}, "sk": {"S": "SUPPRESSION"}},
    )["Item"]
    assert "recipient@example.com" not in str(item)
    # And by its keyed hash: the plain SHA-256 anyone could compute names nothing in the table
    plain = hashlib.sha256(b"recipient@example.com").hexdigest()
    assert not any(plain in str(row) for row in dynamodb.scan(TableName=nurture_table)["Items"])
    # The same event again changes nothing
    engagement([sample])
    assert history.suppressed("recipient@example.com")


def test_the_history_splits_the_claims_by_channel_and_reads_the_numbers_suppression(
    dynamodb: Any, nurture_table: str
) -> None:
    # Given an email and an SMS sent to a contact, and their number suppressed
    ledger = SendLedger(nurture_table, dynamodb)
    for step, channel, at in (("mail", "email", T0 - timedelta(hours=3)), ("text", "sms", T0 - timedelta(hours=2))):
        key = SendKey("c-1", "welcome", step, "welcome-c-1-1")
        assert ledger.claim(key, claim_id=step, execution="x", attempt=0, at=at, channel=channel)
        ledger.start_sending(key, claim_id=step, at=at)
        ledger.record_sent(key, claim_id=step, message_id=f"m-{step}", at=at)
    DynamoDbSuppressions(nurture_table, dynamodb, suppression_key=KEY).suppress(
        "+14155550123", reason="dead_number", at=T0
    )
    history = DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=KEY)
    since, excluding = T0 - timedelta(days=7), SendKey("c-1", "welcome", "next", "welcome-c-1-1")

    # When the rules read it for an email_or_sms step / Then each channel has its own sends and suppression
    both = history.history("c-1", "ada@example.com", phone="+14155550123", since=since, excluding=excluding)
    assert both.marketing_sent_at == (T0 - timedelta(hours=3),)
    assert both.marketing_sms_sent_at == (T0 - timedelta(hours=2),)
    assert (both.suppressed, both.sms_suppressed) == (False, True)
    # And an email step reads no number
    email_only = history.history("c-1", "ada@example.com", since=since, excluding=excluding)
    assert (email_only.suppressed, email_only.sms_suppressed) == (False, False)


def test_three_transient_bounces_within_30_days_suppress(dynamodb: Any, nurture_table: str) -> None:
    suppressions = DynamoDbSuppressions(nurture_table, dynamodb, suppression_key=KEY)
    history = DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=KEY)
    assert not suppressions.transient_bounce("bea@example.com", event_id="m1", at=T0 - timedelta(days=40))
    assert not suppressions.transient_bounce("bea@example.com", event_id="m2", at=T0 - timedelta(days=20))
    assert not suppressions.transient_bounce("bea@example.com", event_id="m3", at=T0 - timedelta(days=10))
    assert not history.suppressed("bea@example.com")  # the first is out of the window
    assert suppressions.transient_bounce("bea@example.com", event_id="m4", at=T0)
    assert history.suppressed("bea@example.com")


def test_an_address_engagement_suppressed_is_never_mailed_by_the_journey_step(
    engagement: Any, step: Any, dynamodb: Any, nurture_table: str
) -> None:
    # Given a complaint EngagementFunction applied (its key derived from the secret in SSM)
    assert engagement(["ses_event_complaint.json"])["suppressed"] == 1
    # When JourneyStepFunction (its own cold start, the same secret) sends to that address
    put_subscriber(dynamodb, nurture_table, "c-rec", "Recipient@Example.com", "Rec", at=T0)
    put_enrolment(dynamodb, nurture_table, "c-rec")
    # Then it finds the item and sends nothing
    with pytest.raises(EnrolmentEnded, match="suppressed"):
        step(send_payload("c-rec"))
    assert sent_messages(ACCOUNT, REGION) == []


def test_an_item_written_under_another_key_is_not_found(dynamodb: Any, nurture_table: str) -> None:
    other = suppression_key("another-deployments-secret")
    DynamoDbSuppressions(nurture_table, dynamodb, suppression_key=other).suppress(
        "ada@example.com", reason="complaint", at=T0
    )
    assert DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=other).suppressed("ada@example.com")
    assert not DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=KEY).suppressed("ada@example.com")

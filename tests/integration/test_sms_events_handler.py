"""SmsEventsFunction's handler on moto: keyword replies (SNS two-way payload) become consent changes
that ProcessFunction's repository applies; SNS's delivery status records (CloudWatch Logs subscription
events around the published samples) settle the send claims, suppress dead numbers and count
transient failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import functions.sms_events.app as sms_app
from nurture.adapters.dynamodb_delivery import DynamoDbDeliveryHistory
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.dynamodb_sends import SendLedger, sms_message_key
from nurture.delivery.suppression import suppression_key
from nurture.errors import ConfigurationError
from nurture.events import Contact, ContactUpserted, derive_event_id, parse_event
from nurture.messaging.claims import FAILED, SENDING, SENT, SendKey
from nurture.messaging.sms_events import MalformedSmsEvents
from tests.sms_events import FAILURE, FAILURE_LOG_GROUP, SUCCESS, awslogs_event, inbound_sms, status_record

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NUMBER = "+12065550142"
KEY = SendKey("c-ada", "welcome", "welcome_sms", "welcome-c-ada-1")
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"
SECRET = "sms-events-unsubscribe-secret"
SUPPRESSION_KEY = suppression_key(SECRET)


@pytest.fixture
def queue_url(aws: None) -> str:
    return str(boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="events")["QueueUrl"])


@pytest.fixture
def ledger(dynamodb: Any, nurture_table: str, queue_url: str) -> Iterator[SendLedger]:
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=SECRET_PARAMETER, Value=SECRET, Type="SecureString")
    environ = {
        "TABLE_NAME": nurture_table,
        "EVENTS_QUEUE_URL": queue_url,
        "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
    }
    sms_app.use_dependencies(sms_app.build(environ, clients={"dynamodb": dynamodb}))
    yield SendLedger(nurture_table, dynamodb)
    sms_app.use_dependencies(None)


def queued(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def known_contact(dynamodb: Any, table: str) -> str:
    """A contact whose phone number the profile store knows (identity item and profile)."""
    event = ContactUpserted(
        event_id=derive_event_id("shopify", "acme", "contact.upserted", "customer/1", T0),
        source="shopify",
        store="acme",
        source_topic="customers/create",
        occurred_at=T0 - timedelta(days=1),
        contact=Contact(email="ada@example.com", phone=NUMBER, customer_id="1"),
    )
    result = ProfileRepository(table, dynamodb).apply(event)
    assert result.contact_id is not None
    return result.contact_id


def sms_claim(
    ledger: SendLedger, dynamodb: Any, table: str, *, key: SendKey = KEY, claim_id: str = "claim-1", at: datetime = T0
) -> None:
    """An SMS claim marked sending (the channel as the sender records it on the claim)."""
    assert ledger.claim(key, claim_id=claim_id, execution=key.enrolment, attempt=0, at=at)
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"CONTACT#{key.contact_id}"}, "sk": {"S": f"SEND#{key.enrolment}#{key.step}"}},
        UpdateExpression="SET channel = :sms",
        ExpressionAttributeValues={":sms": {"S": "sms"}},
    )
    ledger.start_sending(key, claim_id=claim_id, at=at)


def pointer(dynamodb: Any, table: str, message_id: str, key: SendKey = KEY, claim_id: str = "claim-1") -> None:
    """The SMSMESSAGE# pointer, as the sender writes it after SNS accepted the SMS."""
    dynamodb.put_item(
        TableName=table,
        Item={
            **sms_message_key(message_id),
            "contact_id": {"S": key.contact_id},
            "journey": {"S": key.journey},
            "step": {"S": key.step},
            "enrolment": {"S": key.enrolment},
            "claim_id": {"S": claim_id},
            "expires_at": {"N": str(int((T0 + timedelta(days=30)).timestamp()))},
        },
    )


# ---------------------------------------------------------------- inbound keywords


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ("STOP", "unsubscribed"),
        ("stop", "unsubscribed"),
        ("Stop please", "unsubscribed"),
        ("UNSTOP", "subscribed"),
        ("START", "subscribed"),
    ],
)
def test_a_keyword_from_a_known_number_changes_its_sms_consent(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, queue_url: str, lambda_context: Any, body: str, state: str
) -> None:
    contact_id = known_contact(dynamodb, nurture_table)
    # When the contact replies with the keyword
    counts = sms_app.lambda_handler({"Records": [inbound_sms(NUMBER, body, at=T0)]}, lambda_context)
    assert counts == {state: 1, "events_queued": 1}
    # Then ProcessFunction's repository applies the queued change to that contact
    (body_queued,) = queued(queue_url)
    result = ProfileRepository(nurture_table, dynamodb).apply(parse_event(body_queued))
    assert (result.outcome, result.contact_id) == ("applied", contact_id)
    assert result.after is not None and result.after.consent_state("sms") == state
    assert result.after.consent_state("email") is None


def test_help_is_ignored_and_a_start_from_an_unknown_number_too(
    ledger: SendLedger, queue_url: str, lambda_context: Any
) -> None:
    records = [inbound_sms(NUMBER, "HELP"), inbound_sms("+12065550199", "START")]
    counts = sms_app.lambda_handler({"Records": records}, lambda_context)
    assert counts == {"ignored": 1, "unknown_number": 1}
    assert queued(queue_url) == []


def test_a_stop_from_an_unknown_number_creates_an_unsubscribed_contact(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, queue_url: str, lambda_context: Any
) -> None:
    sms_app.lambda_handler({"Records": [inbound_sms("+12065550199", "STOP")]}, lambda_context)
    (body,) = queued(queue_url)
    result = ProfileRepository(nurture_table, dynamodb).apply(parse_event(body))
    assert result.outcome == "applied" and result.created
    assert result.after is not None and result.after.consent_state("sms") == "unsubscribed"
    assert result.after.phone == "+12065550199"


def test_a_redelivered_inbound_message_is_applied_once(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, queue_url: str, lambda_context: Any
) -> None:
    known_contact(dynamodb, nurture_table)
    record = inbound_sms(NUMBER, "STOP", inbound_id="in-42", at=T0)
    # When SNS delivers the same notification twice (a retried invocation)
    sms_app.lambda_handler({"Records": [record]}, lambda_context)
    sms_app.lambda_handler({"Records": [record]}, lambda_context)
    first, second = queued(queue_url)
    repository = ProfileRepository(nurture_table, dynamodb)
    # Then both carry the same event, and the second application changes nothing
    assert first == second
    assert repository.apply(parse_event(first)).outcome == "applied"
    assert repository.apply(parse_event(second)).outcome == "duplicate"


def test_a_malformed_inbound_record_fails_after_the_others_were_applied(
    ledger: SendLedger, queue_url: str, lambda_context: Any
) -> None:
    broken = inbound_sms(NUMBER, "STOP", sns_message_id="sns-broken")
    broken["Sns"]["Message"] = json.dumps({"originationNumber": NUMBER, "messageBody": "STOP"})
    with pytest.raises(MalformedSmsEvents, match="SNS message sns-broken") as raised:
        sms_app.lambda_handler({"Records": [inbound_sms(NUMBER, "STOP"), broken]}, lambda_context)
    assert NUMBER not in str(raised.value) and "2065550142" not in str(raised.value)
    assert len(queued(queue_url)) == 1


# ---------------------------------------------------------------- delivery status


def test_success_settles_the_claim_its_pointer_names(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, queue_url: str, lambda_context: Any
) -> None:
    sms_claim(ledger, dynamodb, nurture_table)
    ledger.record_unknown(KEY, claim_id="claim-1", at=T0 + timedelta(seconds=5))
    pointer(dynamodb, nurture_table, "sns-1")
    event = awslogs_event([status_record(SUCCESS, message_id="sns-1", to=NUMBER, at=T0 + timedelta(seconds=3))])
    counts = sms_app.lambda_handler(event, lambda_context)
    assert counts == {"settled_sent": 1, "events_queued": 1}
    record = ledger.get(KEY)
    assert record is not None and (record.status, record.message_id) == (SENT, "sns-1")
    (delivered,) = queued(queue_url)
    assert (delivered["type"], delivered["contact_id"], delivered["message"]["message_id"]) == (
        "sms.delivered",
        "c-ada",
        "sns-1",
    )
    # The same log again changes nothing
    assert sms_app.lambda_handler(event, lambda_context) == {"unchanged": 1, "events_queued": 1}


def test_success_without_a_pointer_settles_the_numbers_oldest_unsettled_sms_claim(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    contact_id = known_contact(dynamodb, nurture_table)
    older = SendKey(contact_id, "welcome", "welcome_sms", f"welcome-{contact_id}-1")
    newer = SendKey(contact_id, "cart", "reminder_sms", f"cart-{contact_id}-1")
    too_old = SendKey(contact_id, "win", "again_sms", f"win-{contact_id}-1")
    sms_claim(ledger, dynamodb, nurture_table, key=too_old, claim_id="c-0", at=T0 - timedelta(hours=2))
    sms_claim(ledger, dynamodb, nurture_table, key=older, claim_id="c-1", at=T0 - timedelta(minutes=20))
    sms_claim(ledger, dynamodb, nurture_table, key=newer, claim_id="c-2", at=T0 - timedelta(minutes=5))
    ledger.record_unknown(older, claim_id="c-1", at=T0 - timedelta(minutes=19))
    counts = sms_app.lambda_handler(
        awslogs_event([status_record(SUCCESS, message_id="sns-9", to=NUMBER, at=T0)]), lambda_context
    )
    assert counts == {"matched_by_number": 1, "settled_sent": 1, "events_queued": 1}
    settled = ledger.get(older)
    assert settled is not None and (settled.status, settled.message_id) == (SENT, "sns-9")
    assert [ledger.get(key).status for key in (newer, too_old)] == [SENDING, SENDING]  # type: ignore[union-attr]
    # And a later FAILURE of the same SMS finds that claim again (settled with its message id)
    failure = status_record(FAILURE, message_id="sns-9", to=NUMBER, at=T0, response="Invalid phone number")
    counts = sms_app.lambda_handler(awslogs_event([failure]), lambda_context)
    assert counts == {"matched_by_number": 1, "unchanged": 1, "suppressed": 1, "events_queued": 1}


def test_a_status_for_an_unknown_number_or_message_changes_no_claim(
    ledger: SendLedger, queue_url: str, lambda_context: Any
) -> None:
    # The published samples as they are: a destination nobody has, a message id no pointer names
    from tests.third_party import fixture_json

    counts = sms_app.lambda_handler(awslogs_event([fixture_json(SUCCESS)]), lambda_context)
    assert counts == {"unknown_claim": 1}
    assert queued(queue_url) == []


@pytest.mark.parametrize(
    ("response", "reason"), [("Invalid phone number", "dead_number"), ("Phone number is opted out", "opted_out")]
)
def test_a_dead_number_is_suppressed_and_its_unsettled_claim_failed(
    ledger: SendLedger,
    dynamodb: Any,
    nurture_table: str,
    queue_url: str,
    lambda_context: Any,
    response: str,
    reason: str,
) -> None:
    sms_claim(ledger, dynamodb, nurture_table)
    pointer(dynamodb, nurture_table, "sns-1")
    event = awslogs_event(
        [status_record(FAILURE, message_id="sns-1", to=NUMBER, at=T0, response=response)], log_group=FAILURE_LOG_GROUP
    )
    counts = sms_app.lambda_handler(event, lambda_context)
    assert counts == {"settled_failed": 1, "suppressed": 1, "events_queued": 1}
    record = ledger.get(KEY)
    assert record is not None and record.status == FAILED
    assert DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=SUPPRESSION_KEY).suppressed(NUMBER)
    (failed,) = queued(queue_url)
    assert failed["type"] == "sms.failed" and failed["provider_response"] == response
    items = dynamodb.scan(TableName=nurture_table)["Items"]
    (suppression,) = [item for item in items if item["sk"]["S"] == "SUPPRESSION"]
    assert suppression["reason"]["S"] == reason
    assert "2065550142" not in json.dumps(items)  # the list holds a hash of the number, never the number


def test_transient_failures_suppress_the_number_at_the_threshold(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    history = DynamoDbDeliveryHistory(nurture_table, dynamodb, suppression_key=SUPPRESSION_KEY)
    outcomes = []
    for n in range(3):
        record = status_record(FAILURE, message_id=f"sns-{n}", to=NUMBER, at=T0 + timedelta(days=n))
        outcomes.append(sms_app.lambda_handler(awslogs_event([record]), lambda_context))
        assert history.suppressed(NUMBER) is (n == 2)
    assert outcomes[0] == {"unknown_claim": 1, "transient_failures": 1}
    assert outcomes[2] == {"unknown_claim": 1, "transient_failures": 1, "suppressed": 1}


def test_a_sent_claim_stays_sent_when_its_sms_then_fails(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    sms_claim(ledger, dynamodb, nurture_table)
    ledger.record_sent(KEY, claim_id="claim-1", message_id="sns-1", at=T0)
    pointer(dynamodb, nurture_table, "sns-1")
    event = awslogs_event(
        [status_record(FAILURE, message_id="sns-1", to=NUMBER, at=T0, response="Price exceeds max price")]
    )
    assert sms_app.lambda_handler(event, lambda_context) == {"unchanged": 1, "events_queued": 1}
    record = ledger.get(KEY)
    assert record is not None and record.status == SENT


def test_malformed_log_events_fail_the_invocation_after_the_others_were_applied(
    ledger: SendLedger, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    sms_claim(ledger, dynamodb, nurture_table)
    ledger.record_unknown(KEY, claim_id="claim-1", at=T0)
    pointer(dynamodb, nurture_table, "sns-1")
    event = awslogs_event([f"{NUMBER}: hello", status_record(SUCCESS, message_id="sns-1", to=NUMBER, at=T0)])
    with pytest.raises(MalformedSmsEvents, match="log event ") as raised:
        sms_app.lambda_handler(event, lambda_context)
    assert "2065550142" not in str(raised.value) and "hello" not in str(raised.value)
    record = ledger.get(KEY)
    assert record is not None and record.status == SENT


def test_an_event_of_neither_shape_is_refused(ledger: SendLedger, lambda_context: Any) -> None:
    with pytest.raises(MalformedSmsEvents, match="neither SNS records nor"):
        sms_app.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context)


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigurationError, match="EVENTS_QUEUE_URL"):
        sms_app.build({"TABLE_NAME": "t"}, clients={})

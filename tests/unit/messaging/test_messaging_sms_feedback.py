"""What an SMS reply and an SMS delivery status record mean (nurture.messaging.sms_feedback): tables of
cases, the published status samples read through a CloudWatch Logs subscription envelope."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from nurture.events import parse_event
from nurture.messaging import sms_feedback
from nurture.messaging.claims import SendKey, SendRecord
from tests.sms_events import FAILURE, SUCCESS, awslogs_event, inbound_sms, status_record

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = SendKey("c-ada", "welcome", "welcome_sms", "welcome-c-ada-1")


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ("STOP", "unsubscribed"),
        ("stop", "unsubscribed"),
        ("Stop please", "unsubscribed"),
        ("  STOP!  ", "unsubscribed"),
        ("STOPALL", "unsubscribed"),
        ("unsubscribe", "unsubscribed"),
        ("Cancel", "unsubscribed"),
        ("END", "unsubscribed"),
        ("quit", "unsubscribed"),
        ("OPTOUT", "unsubscribed"),
        ("revoke", "unsubscribed"),
        ("START", "subscribed"),
        ("unstop", "subscribed"),
        ("Yes", "subscribed"),
        ("OPTIN", "subscribed"),
        ("HELP", None),
        ("Please stop", None),  # the first word decides: carriers read it the same way
        ("STOPPING", None),
        ("", None),
        ("   ", None),
        ("thanks!", None),
    ],
)
def test_the_first_word_of_a_reply_says_what_consent_it_asks_for(body: str, state: str | None) -> None:
    assert sms_feedback.keyword_consent(body) == state


def test_an_inbound_sms_becomes_a_consent_change_by_phone_with_proof() -> None:
    # Given End User Messaging's two-way payload, from a number written with spaces
    record = inbound_sms("+1 206 555 0142", "STOP", inbound_id="in-1", at=T0)
    inbound = sms_feedback.inbound_of(record)
    # Then the number is normalised, and the consent change names the contact by it
    event = sms_feedback.consent_event(inbound, "unsubscribed")
    assert (event.source, event.store, event.occurred_at) == ("sms", "sms", T0)
    assert event.contact is not None and event.contact.phone == "+12065550142"
    assert event.sms is not None and (event.sms.state, event.sms.changed_at) == ("unsubscribed", T0)
    assert event.proof is not None and event.proof.method == "sms_keyword"
    assert event.email is None
    # And it survives the queue (the canonical vocabulary accepts source sms)
    assert parse_event(event.model_dump_json()) == event


def test_the_same_inbound_message_redelivered_is_the_same_event() -> None:
    first = sms_feedback.consent_event(
        sms_feedback.inbound_of(inbound_sms("+12065550142", "STOP", inbound_id="in-1", at=T0)), "unsubscribed"
    )
    again = sms_feedback.consent_event(
        sms_feedback.inbound_of(inbound_sms("+12065550142", "STOP", inbound_id="in-1", at=T0)), "unsubscribed"
    )
    other = sms_feedback.consent_event(
        sms_feedback.inbound_of(inbound_sms("+12065550142", "STOP", inbound_id="in-2", at=T0)), "unsubscribed"
    )
    assert first.event_id == again.event_id != other.event_id


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r.pop("Sns"), "not an SNS record"),
        (lambda r: r["Sns"].update(Message="not json"), "not a two-way SMS message"),
        (lambda r: r["Sns"].update(Message=json.dumps({"messageBody": "STOP"})), "inboundMessageId"),
        (
            lambda r: r["Sns"].update(
                Message=json.dumps({"originationNumber": "call me", "messageBody": "STOP", "inboundMessageId": "x"})
            ),
            "originationNumber is not a phone number",
        ),
    ],
)
def test_a_malformed_inbound_record_is_named_never_quoted(change: object, named: str) -> None:
    record = inbound_sms("+12065550142", "STOP secret words", sns_message_id="sns-7")
    change(record)  # type: ignore[operator]
    with pytest.raises(ValueError, match=named) as raised:
        sms_feedback.inbound_of(record)
    assert "secret" not in str(raised.value) and "2065550142" not in str(raised.value)


def test_the_published_status_samples_read_through_a_subscription_event() -> None:
    # Given both published samples, unchanged, in one CloudWatch Logs subscription event
    from tests.third_party import fixture_json

    event = awslogs_event([fixture_json(SUCCESS), fixture_json(FAILURE)])
    statuses, problems = sms_feedback.status_logs_of(event)
    assert problems == []
    success, failure = statuses
    # Then their fields are read as published (SNS's "YYYY-MM-DD hh:mm:ss.mmm" is UTC)
    assert success.message_id == "34d9b400-c6dd-5444-820d-fbeb0f1f54cf"
    assert success.status == "SUCCESS"
    assert success.at == datetime(2016, 6, 28, 0, 40, 34, 558000, tzinfo=UTC)
    assert (success.parts, success.price_usd) == (1, Decimal("0.00645"))
    assert failure.status == "FAILURE"
    assert failure.provider_response == "Unknown error attempting to reach phone"


def test_a_control_message_carries_no_status() -> None:
    envelope = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE"}],
    }
    data = base64.b64encode(gzip.compress(json.dumps(envelope).encode())).decode()
    assert sms_feedback.status_logs_of({"awslogs": {"data": data}}) == ([], [])


def test_malformed_log_events_are_named_by_their_id_and_the_others_read() -> None:
    good = status_record(SUCCESS, to="+12065550142")
    without_status = {key: value for key, value in good.items() if key != "status"}
    event = awslogs_event([good, "+12065550142 said hello", without_status])
    statuses, problems = sms_feedback.status_logs_of(event)
    assert [status.message_id for status in statuses] == [good["notification"]["messageId"]]
    assert len(problems) == 2
    assert "not an SMS delivery status record" in problems[0] and problems[0].startswith("log event ")
    assert "status" in problems[1]
    assert all("2065550142" not in problem and "hello" not in problem for problem in problems)


@pytest.mark.parametrize("data", [None, "not base64!", base64.b64encode(b"not gzip").decode()])
def test_an_unreadable_envelope_is_one_problem(data: str | None) -> None:
    statuses, problems = sms_feedback.status_logs_of({"awslogs": {"data": data}})
    assert statuses == [] and len(problems) == 1


@pytest.mark.parametrize(
    ("status", "response", "event_type", "suppress", "transient"),
    [
        ("SUCCESS", "Message has been accepted by phone carrier", "sms.delivered", None, False),
        ("FAILURE", "Invalid phone number", "sms.failed", "dead_number", False),
        ("FAILURE", "Phone number is not valid", "sms.failed", "dead_number", False),
        ("FAILURE", "Unknown phone carrier", "sms.failed", "dead_number", False),
        ("FAILURE", "Phone has blocked SMS", "sms.failed", "opted_out", False),
        ("FAILURE", "Phone number is opted out.", "sms.failed", "opted_out", False),
        ("FAILURE", "Phone is currently unreachable/unavailable", "sms.failed", None, True),
        ("FAILURE", "Unknown error attempting to reach phone", "sms.failed", None, True),
        ("FAILURE", "Phone carrier is currently unreachable/unavailable", "sms.failed", None, True),
        ("FAILURE", "Price exceeds max price", "sms.failed", None, False),
        ("FAILURE", None, "sms.failed", None, False),
    ],
)
def test_what_a_status_means_for_the_number(
    status: str, response: str | None, event_type: str, suppress: str | None, transient: bool
) -> None:
    sample = SUCCESS if status == "SUCCESS" else FAILURE
    record = status_record(sample, to="+12065550142")
    record["delivery"]["providerResponse"] = response
    parsed = sms_feedback.status_of(json.dumps(record))
    assert sms_feedback.feedback_of(parsed) == sms_feedback.Feedback(event_type, suppress, transient)  # type: ignore[arg-type]


def _record(status: str) -> SendRecord:
    return SendRecord("c-ada", "welcome", "welcome_sms", status, 1, claim_id="claim-1", enrolment=KEY.enrolment)


@pytest.mark.parametrize(
    ("claim", "sample", "settles"),
    [
        ("sending", SUCCESS, "sent"),
        ("unknown", SUCCESS, "sent"),
        ("lost", SUCCESS, "sent"),
        ("sent", SUCCESS, None),
        ("failed", SUCCESS, None),
        ("claimed", SUCCESS, None),
        ("sending", FAILURE, "failed"),
        ("unknown", FAILURE, "failed"),
        ("sent", FAILURE, None),
        ("lost", FAILURE, None),
        ("failed", FAILURE, None),
    ],
)
def test_what_a_status_does_to_its_claim(claim: str, sample: str, settles: str | None) -> None:
    status = sms_feedback.status_of(json.dumps(status_record(sample, to="+12065550142")))
    assert sms_feedback.settlement_of(_record(claim), status) == settles


def test_the_canonical_delivery_event_names_the_claim_and_never_the_number() -> None:
    status = sms_feedback.status_of(json.dumps(status_record(FAILURE, to="+12065550142", at=T0)))
    event = sms_feedback.delivery_event(status, KEY)
    assert (event.type, event.contact_id, event.occurred_at) == ("sms.failed", "c-ada", T0)
    assert event.message.channel == "sms" and event.message.step == "welcome_sms"
    assert (event.parts, event.price_usd) == (1, Decimal("0.00645"))
    assert event.provider_response == "Unknown error attempting to reach phone"
    assert "2065550142" not in event.model_dump_json()
    assert parse_event(event.model_dump_json()) == event
    # The same record again gives the same event id (ProcessFunction applies it once)
    assert sms_feedback.delivery_event(replace(status), KEY).event_id == event.event_id
    delivered = sms_feedback.delivery_event(
        sms_feedback.status_of(json.dumps(status_record(SUCCESS, to="+12065550142", at=T0))), KEY
    )
    assert delivered.type == "sms.delivered" and delivered.provider_response is None

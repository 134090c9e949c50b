"""SES events as SNS delivers them to EngagementFunction (SAM's SNS sample carrying SES's published
samples, unchanged but for our tags), and what each does to its claim (a ledger in memory)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from nurture.messaging.claims import FAILED, SENDING, SENT, UNKNOWN, ClaimSuperseded, SendKey, SendRecord
from nurture.messaging.engagement import ClaimSettler, EngagementEvents, MalformedEvents, ses_event_of
from tests.sending import ses_notification
from tests.unit.messaging.fake_log import FakeLog

KEY = SendKey("c1", "welcome", "welcome", "welcome-c1-1")
TAGS = {
    "contact_id": "c1",
    "journey": "welcome",
    "step": "welcome",
    "enrolment": "welcome-c1-1",
    "claim_id": "claim-1",
}
SES_MESSAGE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"


class MemoryLedger:
    def __init__(self, record: SendRecord | None) -> None:
        self.record = record
        self.writes: list[tuple[str, str]] = []

    def get(self, key: SendKey) -> SendRecord | None:
        return self.record

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None:
        self._write(claim_id, SENT)
        assert self.record is not None
        self.record = dataclasses.replace(self.record, message_id=message_id)

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None:
        self._write(claim_id, FAILED)

    def _write(self, claim_id: str, status: str) -> None:
        if self.record is None or self.record.claim_id != claim_id:
            raise ClaimSuperseded(KEY)
        self.writes.append((claim_id, status))
        self.record = dataclasses.replace(self.record, status=status)


def claim(status: str = UNKNOWN) -> SendRecord:
    return SendRecord("c1", "welcome", "welcome", status, 1, "claim-1", "execution-1", 0, enrolment="welcome-c1-1")


def test_an_sns_record_carries_one_ses_event() -> None:
    # Given SES's Send sample for our message, in SNS's Lambda envelope
    (record,) = ses_notification(["ses_event_send.json"], TAGS)["Records"]
    # When it is read / Then it is the event, naming our claim and send key
    event = ses_event_of(record)
    assert (event.kind, event.message_id, event.claim_id, event.key) == ("Send", SES_MESSAGE_ID, "claim-1", KEY)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"Sns": {"MessageId": "m1"}}, "not an SNS record"),
        ({"Sns": {"MessageId": "m1", "Message": "example message"}}, "m1: Message is not JSON"),
        ({"Sns": {"MessageId": "m1", "Message": "[1]"}}, "m1: Message is not a JSON object"),
        ({"Sns": {"MessageId": "m1", "Message": '{"eventType": "Send"}'}}, "m1: not an SES event"),
    ],
)
def test_a_malformed_record_is_a_clear_error_that_quotes_nothing_it_held(record: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        ses_event_of(record)
    assert "example message" not in str(raised.value)


def test_sam_s_plain_text_sample_is_malformed() -> None:
    from tests.third_party import fixture_json

    (record,) = fixture_json("aws_events/sam_sns_notification_event.json")["Records"]
    with pytest.raises(ValueError, match="Message is not JSON"):
        ses_event_of(record)


@pytest.mark.parametrize("status", [UNKNOWN, SENDING])
def test_our_send_event_settles_the_claim_once(status: str) -> None:
    # Given an unsettled claim and its Send event delivered twice (an SNS retry)
    ledger = MemoryLedger(claim(status))
    events = EngagementEvents(ClaimSettler(ledger), FakeLog())
    notification = ses_notification(["ses_event_send.json"], TAGS)["Records"]
    # When both are applied
    first, second = events.apply(notification), events.apply(notification)
    # Then the first settles it as sent with SES's message id, the second changes nothing
    assert (first["settled_sent"], second["unchanged"]) == (1, 1)
    assert ledger.writes == [("claim-1", SENT)]
    assert ledger.record is not None and ledger.record.message_id == SES_MESSAGE_ID


def test_a_reject_settles_the_claim_as_failed() -> None:
    ledger = MemoryLedger(claim())
    counts = EngagementEvents(ClaimSettler(ledger), FakeLog()).apply(
        ses_notification(["ses_event_reject.json"], TAGS)["Records"]
    )
    assert counts["settled_failed"] == 1
    assert ledger.writes == [("claim-1", FAILED)]


def test_events_not_ours_or_for_no_claim_are_counted_and_logged_without_addresses() -> None:
    # Given an untagged event (something else sent through the configuration set) and one for a
    # claim the table does not hold
    log = FakeLog()
    untagged = ses_notification(["ses_event_delivery.json"])["Records"]
    for_nothing = ses_notification(["ses_event_open.json"], TAGS)["Records"]
    # When they are applied
    counts = EngagementEvents(ClaimSettler(MemoryLedger(None)), log).apply(untagged + for_nothing)
    # Then each is counted, and no log line holds the recipient's address
    assert (counts["not_ours"], counts["unknown_claim"]) == (1, 1)
    assert [fields["reason"] for _level, msg, fields in log.lines if msg == "ses event ignored"] == [
        "not_ours",
        "unknown_claim",
    ]
    assert "recipient@example.com" not in repr(log.lines)


def test_a_malformed_record_fails_the_invocation_after_the_others_were_applied() -> None:
    # Given a batch whose middle record is not an SES event
    ledger = MemoryLedger(claim())
    records = ses_notification(["ses_event_send.json", "ses_event_delivery.json"], TAGS)["Records"]
    records.insert(1, {"Sns": {"MessageId": "m-bad", "Message": "example message"}})
    # When it is applied / Then the error names that record only
    with pytest.raises(MalformedEvents, match=r"1 malformed SES event record\(s\): record 1: SNS message m-bad"):
        EngagementEvents(ClaimSettler(ledger), FakeLog()).apply(records)
    # And the good ones were applied (a retry of the whole invocation finds them settled)
    assert ledger.writes == [("claim-1", SENT)]


def test_an_event_for_a_claim_moved_on_by_a_re_send_is_counted_superseded() -> None:
    # Given the claim re-read, then moved to a new claim id (the reconciler re-sent it) before the write
    class Racing(MemoryLedger):
        def get(self, key: SendKey) -> SendRecord | None:
            current = self.record
            self.record = dataclasses.replace(claim(), claim_id="claim-2", status=SENDING)
            return current

    counts = EngagementEvents(ClaimSettler(Racing(claim())), FakeLog()).apply(
        ses_notification(["ses_event_send.json"], TAGS)["Records"]
    )
    assert counts["superseded"] == 1


def test_the_event_time_is_when_ses_accepted_the_message() -> None:
    (record,) = ses_notification(["ses_event_delivery.json"], TAGS)["Records"]
    assert ses_event_of(record).occurred_at.tzinfo == UTC


def test_a_send_event_for_the_attempt_before_a_re_send_is_counted_as_a_second_copy() -> None:
    # Given a claim the reconciler re-sent under a new claim id (and that re-send was recorded sent)
    ledger = MemoryLedger(dataclasses.replace(claim(SENT), claim_id="claim-2", resends=1))
    log = FakeLog()
    # When SES's Send event for the first attempt (claim-1) arrives late
    counts = EngagementEvents(ClaimSettler(ledger), log).apply(
        ses_notification(["ses_event_send.json"], TAGS)["Records"]
    )
    # Then nothing is written, and the duplicate is counted and a warning names the first claim
    assert counts["sent_before_resend"] == 1
    assert ledger.writes == []
    (warning,) = [fields for level, _msg, fields in log.lines if level == "warning"]
    assert warning["claim_id"] == "claim-1"

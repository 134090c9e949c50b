"""Sending one journey email with fakes: delivery rules, claim before send, the retry policy."""

from __future__ import annotations

import email
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from typing import Any

import pytest

from nurture.errors import DependencyUnavailable
from nurture.messaging.delivery import Recipient
from nurture.messaging.errors import EmailSendError, MessageRejected, RetryableSendError, SendOutcomeUnknown
from nurture.messaging.journey_email import InvalidSendRequest, JourneyEmailSender, SendRequest, SendResult
from nurture.messaging.rendering import RenderError
from nurture.messaging.unsubscribe import token_from_url, verify_token

SECRET = "unit-test-unsubscribe-secret"
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ADA = Recipient("c-ada", "ada@example.com", "subscribed", first_name="Ada", store="acme.myshopify.com")


@dataclass
class Record:
    status: str
    attempts: int = 1
    message_id: str | None = None
    error: str | None = None


@dataclass
class FakeLedger:
    records: dict[tuple[str, str, str], Record] = field(default_factory=dict)
    fail_record_sent: bool = False

    def claim(self, contact_id: str, journey: str, step: str, execution: str, *, claimed_at: datetime) -> bool:
        record = self.records.get((contact_id, journey, step))
        if record is not None and record.status != "failed":
            return False
        attempts = 1 if record is None else record.attempts + 1
        self.records[contact_id, journey, step] = Record("claimed", attempts)
        return True

    def record_sent(self, contact_id: str, journey: str, step: str, *, message_id: str, sent_at: datetime) -> None:
        if self.fail_record_sent:
            raise DependencyUnavailable("send ledger", "throttled")
        record = self.records[contact_id, journey, step]
        assert record.status == "claimed"
        record.status, record.message_id = "sent", message_id

    def record_failed(self, contact_id: str, journey: str, step: str, *, error: str, failed_at: datetime) -> None:
        record = self.records[contact_id, journey, step]
        assert record.status == "claimed"
        record.status, record.error = "failed", error

    def get(self, contact_id: str, journey: str, step: str) -> Record | None:
        return self.records.get((contact_id, journey, step))


@dataclass
class FakeProvider:
    failures: list[EmailSendError] = field(default_factory=list)
    sent: list[tuple[bytes, str, dict[str, str]]] = field(default_factory=list)
    send_then_fail: bool = False

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str:
        if self.send_then_fail:
            self.sent.append((raw_mime, recipient, dict(tags)))
            raise SendOutcomeUnknown("no answer from SES: ReadTimeoutError", code="ReadTimeoutError")
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((raw_mime, recipient, dict(tags)))
        return f"ses-{len(self.sent)}"


@dataclass
class FakeLog:
    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("info", msg, kwargs))

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("warning", msg, kwargs))

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("exception", msg, kwargs))


@dataclass
class FakeRecipients:
    people: dict[str, Recipient]

    def get(self, contact_id: str) -> Recipient | None:
        return self.people.get(contact_id)


@dataclass
class World:
    sender: JourneyEmailSender
    ledger: FakeLedger
    provider: FakeProvider
    log: FakeLog


def world(*people: Recipient) -> World:
    ledger, provider, log = FakeLedger(), FakeProvider(), FakeLog()
    sender = JourneyEmailSender(
        sender_address="Acme <hello@acme.example>",
        unsubscribe_base_url="https://acme.example/unsubscribe",
        unsubscribe_secret=SECRET,
        recipients=FakeRecipients({p.contact_id: p for p in (people or (ADA,))}),
        ledger=ledger,
        provider=provider,
        log=log,
        clock=lambda: NOW,
    )
    return World(sender, ledger, provider, log)


def request(step: str = "welcome", contact_id: str = "c-ada") -> SendRequest:
    return SendRequest(contact_id, "welcome", step, "arn:aws:states:us-east-1:123456789012:execution:welcome:x")


def test_a_subscribed_contact_is_sent_the_step_once_with_tags_and_a_valid_unsubscribe_token() -> None:
    w = world()
    result = w.sender.send(request())
    assert result == SendResult("sent", None, "ses-1")
    assert result.as_output() == {"status": "sent", "reason": None, "message_id": "ses-1"}
    raw, to, tags = w.provider.sent[0]
    assert to == "ada@example.com"
    assert tags == {"contact_id": "c-ada", "journey": "welcome", "step": "welcome"}
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Welcome to Acme, Ada!"
    url = str(message["List-Unsubscribe"]).strip("<>")
    token = token_from_url(url)
    assert token is not None
    claims = verify_token(SECRET, token, now=NOW)
    assert (claims.contact_id, claims.channel, claims.list_id, claims.issued_at) == ("c-ada", "email", "welcome", NOW)
    assert w.ledger.records["c-ada", "welcome", "welcome"] == Record("sent", 1, "ses-1")


def test_the_address_is_never_logged() -> None:
    w = world()
    w.sender.send(request())
    assert "ada@example.com" not in repr(w.log.lines)
    assert ("info", "email sent") in [(level, msg) for level, msg, _ in w.log.lines]


@pytest.mark.parametrize(
    ("person", "reason"),
    [
        (Recipient("c-bob", "bob@example.com", "unsubscribed"), "no_consent"),
        (Recipient("c-bob", "bob@example.com", "pending"), "no_consent"),
        (Recipient("c-bob", "bob@example.com", None), "no_consent"),
        (Recipient("c-bob", None, "subscribed"), "no_email_address"),
    ],
)
def test_no_consent_no_send_and_no_claim(person: Recipient, reason: str) -> None:
    w = world(person)
    assert w.sender.send(request(contact_id="c-bob")) == SendResult("skipped", reason)
    assert w.provider.sent == []
    assert w.ledger.records == {}


def test_an_unknown_contact_is_skipped() -> None:
    assert world().sender.send(request(contact_id="c-nobody")) == SendResult("skipped", "no_contact")


def test_a_retried_task_sends_once() -> None:
    w = world()
    first = w.sender.send(request())
    again = w.sender.send(request())
    assert first.status == "sent"
    assert again == SendResult("skipped", "already_sent", first.message_id)
    assert len(w.provider.sent) == 1


def test_after_a_definite_failure_the_retry_sends() -> None:
    # Given SES throttles the first attempt (it answered: nothing was accepted)
    w = world()
    w.provider.failures.append(RetryableSendError("throttled", code="TooManyRequestsException"))
    # When the task runs, it raises for Step Functions to retry, and the claim says failed
    with pytest.raises(RetryableSendError):
        w.sender.send(request())
    assert w.ledger.records["c-ada", "welcome", "welcome"].status == "failed"
    assert w.ledger.records["c-ada", "welcome", "welcome"].error == "TooManyRequestsException"
    # Then the retry claims the step again and sends, once
    assert w.sender.send(request()).status == "sent"
    assert len(w.provider.sent) == 1
    assert w.ledger.records["c-ada", "welcome", "welcome"].attempts == 2


def test_after_an_unknown_outcome_the_retry_never_sends() -> None:
    # Given the request reached SES (the message went out) but no answer came back
    w = world()
    w.provider.send_then_fail = True
    with pytest.raises(SendOutcomeUnknown):
        w.sender.send(request())
    # Then the claim stays claimed, and the retry skips without calling SES
    assert w.ledger.records["c-ada", "welcome", "welcome"].status == "claimed"
    w.provider.send_then_fail = False
    assert w.sender.send(request()) == SendResult("skipped", "already_claimed", None)
    assert len(w.provider.sent) == 1


def test_a_rejected_message_is_marked_failed_and_raised() -> None:
    w = world()
    w.provider.failures.append(MessageRejected("SES refused the message", code="MessageRejected"))
    with pytest.raises(MessageRejected):
        w.sender.send(request())
    assert w.ledger.records["c-ada", "welcome", "welcome"].status == "failed"
    warning = next(kwargs for level, _, kwargs in w.log.lines if level == "warning")
    assert warning["error_code"] == "MessageRejected"
    assert warning["may_retry"] is True


def test_a_failure_to_record_the_send_still_reports_sent_and_keeps_the_claim() -> None:
    w = world()
    w.ledger.fail_record_sent = True
    assert w.sender.send(request()).status == "sent"
    assert w.ledger.records["c-ada", "welcome", "welcome"].status == "claimed"
    assert any(level == "exception" for level, _, _ in w.log.lines)
    w.ledger.fail_record_sent = False
    assert w.sender.send(request()).reason == "already_claimed"
    assert len(w.provider.sent) == 1


def test_a_template_error_costs_no_claim() -> None:
    w = world()
    with pytest.raises(RenderError):
        w.sender.send(request(step="no-such-step"))
    assert w.ledger.records == {}


def test_each_step_is_claimed_separately() -> None:
    w = world()
    for step in ("welcome", "content", "feedback"):
        assert w.sender.send(request(step=step)).status == "sent"
    assert len(w.provider.sent) == 3


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {"journey": "welcome", "step": "welcome"},
        {"contact_id": "", "journey": "welcome", "step": "welcome"},
        {"contact_id": "c1", "journey": "../x", "step": "welcome"},
        {"contact_id": "c1", "journey": "welcome", "step": 3},
    ],
)
def test_a_malformed_task_input_is_refused(event: Any) -> None:
    with pytest.raises(InvalidSendRequest):
        SendRequest.from_event(event, default_execution="req-1")


def test_the_execution_defaults_to_the_request_id() -> None:
    event = {"contact_id": "c1", "journey": "welcome", "step": "welcome"}
    assert SendRequest.from_event(event, default_execution="req-1").execution == "req-1"
    event["execution"] = "arn:exec"
    assert SendRequest.from_event(event, default_execution="req-1").execution == "arn:exec"


def test_the_clock_dates_the_token() -> None:
    w = world()
    later = NOW + timedelta(days=16)
    sender = JourneyEmailSender(**{**w.sender.__dict__, "clock": lambda: later})
    sender.send(request(step="feedback"))
    message = email.message_from_bytes(w.provider.sent[0][0], policy=policy.default)
    token = token_from_url(str(message["List-Unsubscribe"]).strip("<>"))
    assert token is not None
    assert verify_token(SECRET, token, now=later).issued_at == later

"""Sending one journey message with fakes: delivery rules, claim before send, the retry policy, email and SMS."""

from __future__ import annotations

import dataclasses
import email
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from typing import Any

import pytest

from nurture.delivery.rules import History, Message
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import (
    CLAIM_HEADER,
    CLAIMED,
    FAILED,
    SENDING,
    SENT,
    UNKNOWN,
    AwaitedEngagement,
    ClaimSuperseded,
    SendKey,
    SendRecord,
)
from nurture.messaging.delivery import Recipient
from nurture.messaging.errors import (
    EmailConfigurationError,
    EmailSendError,
    MessageRejected,
    RetryableSendError,
    SendOutcomeUnknown,
)
from nurture.messaging.rendering import RenderError
from nurture.messaging.sending import JourneySender, SendRequest, SendResult
from nurture.messaging.sms_text import SmsText, measure
from nurture.messaging.unsubscribe import token_from_url, verify_token
from tests.unit.messaging.fake_log import FakeLog

SECRET = "unit-test-unsubscribe-secret"
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ADA = Recipient("c-ada", "ada@example.com", "subscribed", first_name="Ada", store="acme.myshopify.com")

TRANSACTIONAL = Message(transactional=True)  # a double opt-in confirmation step


def key(step: str = "welcome", contact_id: str = "c-ada") -> SendKey:
    return SendKey(contact_id, "welcome", step, f"welcome-{contact_id}-1")


@dataclass
class FakeLedger:
    """The ledger's conditions (`nurture.adapters.dynamodb_sends.SendLedger`), in memory."""

    records: dict[SendKey, SendRecord] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # operation -> DependencyUnavailable to raise
    sms_messages: dict[str, tuple[SendKey, str]] = field(default_factory=dict)  # the SMSMESSAGE# pointers

    def _maybe_fail(self, operation: str) -> None:
        if self.failures.get(operation):
            self.failures[operation] -= 1
            raise DependencyUnavailable("send ledger", "throttled")

    def claim(
        self,
        key: SendKey,
        *,
        claim_id: str,
        execution: str,
        attempt: int | None,
        at: datetime,
        awaited: AwaitedEngagement | None = None,
        transactional: bool = False,
        channel: str = "email",
        segments: int | None = None,
        encoding: str | None = None,
        template: str | None = None,
    ) -> bool:
        self._maybe_fail("claim")
        old = self.records.get(key)
        if old is not None and not (
            old.status == FAILED or (old.status == CLAIMED and old.execution == execution and old.claim_id != claim_id)
        ):
            return old.claim_id == claim_id and old.status == CLAIMED
        self.records[key] = SendRecord(
            key.contact_id,
            key.journey,
            key.step,
            CLAIMED,
            claims=(old.claims if old else 0) + 1,
            claim_id=claim_id,
            execution=execution,
            attempt=attempt,
            claimed_at=at,
            enrolment=key.enrolment,
            awaited=awaited,
            transactional=transactional,
            channel=channel,
            segments=segments,
            encoding=encoding,
            template=template,
        )
        return True

    def claim_resend(self, key: SendKey, *, previous_claim_id: str, claim_id: str, at: datetime) -> bool:
        old = self.records.get(key)
        if old is None or old.claim_id != previous_claim_id or old.status not in (SENDING, UNKNOWN) or old.resends:
            return False
        self.records[key] = dataclasses.replace(old, claim_id=claim_id, status=SENDING, sending_at=at, resends=1)
        return True

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        self._move(key, claim_id, "lost", (SENDING, UNKNOWN), lost_at=at)

    def store_await(self, key: SendKey, awaited: AwaitedEngagement) -> bool:
        old = self.records.get(key)
        if old is None:
            return False
        self.records[key] = dataclasses.replace(old, awaited=awaited)
        return True

    def start_sending(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        self._maybe_fail("start_sending")
        self._move(key, claim_id, SENDING, (CLAIMED,), sending_at=at)

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None:
        self._maybe_fail("record_sent")
        self._move(key, claim_id, SENT, (SENDING, UNKNOWN), message_id=message_id, sent_at=at)

    def record_sms_message(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None:
        self._maybe_fail("record_sms_message")
        self.sms_messages[message_id] = (key, claim_id)

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None:
        self._maybe_fail("record_failed")
        self._move(key, claim_id, FAILED, (SENDING, UNKNOWN), error=error, failed_at=at)

    def record_unknown(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        self._maybe_fail("record_unknown")
        self._move(key, claim_id, UNKNOWN, (SENDING, UNKNOWN), unknown_at=at)

    def _move(self, key: SendKey, claim_id: str, status: str, sources: tuple[str, ...], **changes: Any) -> None:
        old = self.records.get(key)
        if old is None or old.claim_id != claim_id or old.status not in (*sources, status):
            raise ClaimSuperseded(key)
        self.records[key] = dataclasses.replace(old, status=status, **changes)

    def get(self, key: SendKey) -> SendRecord | None:
        return self.records.get(key)


@dataclass
class FakeProvider:
    failures: list[EmailSendError] = field(default_factory=list)
    sent: list[tuple[bytes, str, dict[str, str]]] = field(default_factory=list)
    send_then_fail: bool = False
    senders: list[str] = field(default_factory=list)  # the From each call asked SES for

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str:
        self.senders.append(sender)
        if self.send_then_fail:
            self.sent.append((raw_mime, recipient, dict(tags)))
            raise SendOutcomeUnknown("no answer from SES: ReadTimeoutError", code="ReadTimeoutError")
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((raw_mime, recipient, dict(tags)))
        return f"ses-{len(self.sent)}"


@dataclass
class FakeRecipients:
    people: dict[str, Recipient]

    def get(self, contact_id: str) -> Recipient | None:
        return self.people.get(contact_id)


@dataclass
class World:
    sender: JourneySender
    ledger: FakeLedger
    provider: FakeProvider
    log: FakeLog


def world(*people: Recipient) -> World:
    ledger, provider, log = FakeLedger(), FakeProvider(), FakeLog()
    sender = JourneySender(
        sender_address="Acme <hello@acme.example>",
        unsubscribe_base_url="https://acme.example/unsubscribe",
        unsubscribe_secret=SECRET,
        recipients=FakeRecipients({p.contact_id: p for p in (people or (ADA,))}),
        ledger=ledger,
        provider=provider,
        log=log,
        clock=lambda: NOW,
        claim_ids=functools.partial(next, (f"claim-{n}" for n in itertools.count(1))),
    )
    return World(sender, ledger, provider, log)


EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:welcome:x"


def request(step: str = "welcome", contact_id: str = "c-ada", attempt: int | None = None) -> SendRequest:
    return SendRequest(contact_id, "welcome", step, f"welcome-{contact_id}-1", EXECUTION, attempt)


def test_a_subscribed_contact_is_sent_the_step_once_with_tags_and_a_valid_unsubscribe_token() -> None:
    w = world()
    result = w.sender.send(request())
    assert result == SendResult("sent", None, "ses-1", channel="email")
    assert result.as_output() == {"status": "sent", "reason": None, "message_id": "ses-1", "channel": "email"}
    raw, to, tags = w.provider.sent[0]
    assert to == "ada@example.com"
    assert tags == {
        "contact_id": "c-ada",
        "journey": "welcome",
        "step": "welcome",
        "enrolment": "welcome-c-ada-1",
        "claim_id": "claim-1",
    }
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Welcome to Acme, Ada!"
    assert message[CLAIM_HEADER] == "claim-1"
    url = str(message["List-Unsubscribe"]).strip("<>")
    token = token_from_url(url)
    assert token is not None
    claims = verify_token(SECRET, token, now=NOW)
    assert (claims.contact_id, claims.channel, claims.list_id, claims.issued_at) == ("c-ada", "email", "welcome", NOW)
    record = w.ledger.records[key()]
    assert (record.status, record.claims, record.message_id, record.claim_id) == (SENT, 1, "ses-1", "claim-1")
    assert (record.execution, record.sending_at, record.sent_at) == (EXECUTION, NOW, NOW)


def test_a_journey_with_its_own_sender_sends_from_it_and_the_others_from_the_deployments() -> None:
    w = world()
    sender = dataclasses.replace(w.sender, journey_senders={"welcome": "Acme Hello <hi@acme.example>"})
    assert sender.send(request()).status == "sent"
    other = dataclasses.replace(request(), journey="win_back", enrolment="win_back-c-ada-1", template="welcome/welcome")
    assert sender.send(other).status == "sent"
    (welcome_raw, _, _), (win_back_raw, _, _) = w.provider.sent
    assert email.message_from_bytes(welcome_raw, policy=policy.default)["From"] == "Acme Hello <hi@acme.example>"
    assert email.message_from_bytes(win_back_raw, policy=policy.default)["From"] == "Acme <hello@acme.example>"
    assert w.provider.senders == ["Acme Hello <hi@acme.example>", "Acme <hello@acme.example>"]


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
    assert again == SendResult("skipped", "already_sent", first.message_id, channel="email")
    assert len(w.provider.sent) == 1


def test_after_a_definite_failure_the_retry_sends() -> None:
    # Given SES throttles the first attempt (it answered: nothing was accepted)
    w = world()
    w.provider.failures.append(RetryableSendError("throttled", code="TooManyRequestsException"))
    # When the task runs, it raises for Step Functions to retry, and the claim says failed
    with pytest.raises(RetryableSendError):
        w.sender.send(request())
    assert w.ledger.records[key()].status == "failed"
    assert w.ledger.records[key()].error == "TooManyRequestsException"
    # Then the retry claims the step again and sends, once
    assert w.sender.send(request(attempt=1)).status == "sent"
    assert len(w.provider.sent) == 1
    record = w.ledger.records[key()]
    assert (record.claims, record.attempt, record.claim_id) == (2, 1, "claim-2")


def test_an_unknown_outcome_is_recorded_and_answered_never_retried() -> None:
    # Given the request reached SES (the message went out) but no answer came back
    w = world()
    w.provider.send_then_fail = True
    # When the task runs / Then it answers "unknown" (the journey goes on) and the claim says so
    assert w.sender.send(request()) == SendResult("unknown", "outcome_unknown", channel="email")
    record = w.ledger.records[key()]
    assert (record.status, record.claim_id, record.unknown_at) == (UNKNOWN, "claim-1", NOW)
    # And a later invocation of the same execution answers the same, without calling SES
    w.provider.send_then_fail = False
    assert w.sender.send(request(attempt=1)) == SendResult("unknown", "outcome_unknown", channel="email")
    assert len(w.provider.sent) == 1


def test_an_unknown_outcome_that_cannot_be_recorded_is_recorded_by_the_retry() -> None:
    w = world()
    w.provider.send_then_fail = True
    w.ledger.failures["record_unknown"] = 1
    with pytest.raises(DependencyUnavailable):
        w.sender.send(request())
    assert w.ledger.records[key()].status == SENDING
    w.provider.send_then_fail = False
    assert w.sender.send(request(attempt=1)) == SendResult("unknown", "outcome_unknown", channel="email")
    assert w.ledger.records[key()].status == UNKNOWN
    assert len(w.provider.sent) == 1


@pytest.mark.parametrize("operation", ["start_sending", "claim_reply"])
def test_a_retry_takes_over_its_own_claim_when_ses_was_provably_not_called(operation: str) -> None:
    # Given the claim was written but the attempt failed before marking it sending
    w = world()
    if operation == "start_sending":
        w.ledger.failures["start_sending"] = 1
        with pytest.raises(DependencyUnavailable):
            w.sender.send(request())
    else:  # the claim's answer was lost: the first copy wrote it, the caller saw an error
        w.ledger.claim(key(), claim_id="claim-0", execution=EXECUTION, attempt=0, at=NOW)
    assert w.ledger.records[key()].status == CLAIMED
    # When the state machine retries / Then the retry takes the claim over and sends, once
    assert w.sender.send(request(attempt=1)).status == "sent"
    assert len(w.provider.sent) == 1
    assert w.ledger.records[key()].claims == 2


def test_another_executions_unfinished_claim_is_never_taken_over() -> None:
    w = world()
    w.ledger.claim(key(), claim_id="theirs", execution="another-execution", attempt=0, at=NOW)
    assert w.sender.send(request()) == SendResult("skipped", "already_claimed", channel="email")
    assert w.provider.sent == []


def test_a_superseded_attempt_does_not_call_ses() -> None:
    # Given a later attempt of the same execution took the claim over between our claim and our send
    w = world()
    original = w.ledger.start_sending

    def taken_over(key: SendKey, *, claim_id: str, at: datetime) -> None:
        w.ledger.claim(key, claim_id="later", execution=EXECUTION, attempt=1, at=at)
        original(key, claim_id=claim_id, at=at)

    w.ledger.start_sending = taken_over  # type: ignore[method-assign]
    assert w.sender.send(request()) == SendResult("skipped", "already_claimed", channel="email")
    assert w.provider.sent == []
    assert w.ledger.records[key()].claim_id == "later"


def test_a_crash_after_the_provider_call_makes_the_retry_answer_unknown() -> None:
    # Given an attempt marked the claim sending and died (during or after the SES call)
    w = world()
    w.ledger.claim(key(), claim_id="claim-0", execution=EXECUTION, attempt=0, at=NOW)
    w.ledger.start_sending(key(), claim_id="claim-0", at=NOW)
    # When the retry runs / Then it cannot know: it records unknown and answers so, never sending
    assert w.sender.send(request(attempt=1)) == SendResult("unknown", "outcome_unknown", channel="email")
    assert (w.ledger.records[key()].status, w.ledger.records[key()].claim_id) == (UNKNOWN, "claim-0")
    assert w.provider.sent == []


def test_a_rejected_message_is_marked_failed_and_raised() -> None:
    w = world()
    w.provider.failures.append(MessageRejected("SES refused the message", code="MessageRejected"))
    with pytest.raises(MessageRejected):
        w.sender.send(request())
    assert w.ledger.records[key()].status == "failed"
    warning = next(kwargs for level, _, kwargs in w.log.lines if level == "warning")
    assert warning["error_code"] == "MessageRejected"
    assert warning["may_retry"] is True


def test_a_failure_to_record_the_send_still_reports_sent_and_keeps_the_claim() -> None:
    w = world()
    w.ledger.failures["record_sent"] = 1
    assert w.sender.send(request()).status == "sent"
    assert w.ledger.records[key()].status == SENDING
    assert any(level == "exception" for level, _, _ in w.log.lines)
    # A later invocation never sends again (SES's Send event, tagged claim-1, will settle it)
    assert w.sender.send(request(attempt=1)).reason == "outcome_unknown"
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


def test_the_clock_dates_the_token() -> None:
    w = world()
    later = NOW + timedelta(days=16)
    sender = JourneySender(**{**w.sender.__dict__, "clock": lambda: later})
    sender.send(request(step="feedback"))
    message = email.message_from_bytes(w.provider.sent[0][0], policy=policy.default)
    token = token_from_url(str(message["List-Unsubscribe"]).strip("<>"))
    assert token is not None
    assert verify_token(SECRET, token, now=later).issued_at == later


def test_a_transactional_confirmation_goes_to_a_pending_contact_with_a_confirm_link_dated_by_the_sign_up() -> None:
    pending = Recipient("c-bob", "bob@example.com", "pending", store="shop.example")
    w = world(pending)
    signed_up = NOW - timedelta(days=3)
    confirm = SendRequest(
        "c-bob",
        "double_opt_in",
        "confirm_reminder",
        "double_opt_in-c-bob-1",
        EXECUTION,
        data={"occurred_at": signed_up.isoformat().replace("+00:00", "Z")},
        message=TRANSACTIONAL,
    )

    assert w.sender.send(confirm).status == "sent"
    message = email.message_from_bytes(w.provider.sent[0][0], policy=policy.default)
    text = message.get_body(("plain",))
    assert text is not None
    (link,) = [word for word in str(text.get_content()).split() if "/confirm?" in word]
    assert link.startswith("https://acme.example/confirm?token=")
    token = token_from_url(link)
    assert token is not None
    claims = verify_token(SECRET, token, now=NOW, purpose="confirm")
    assert (claims.contact_id, claims.list_id, claims.issued_at) == ("c-bob", "double_opt_in", signed_up)


@pytest.mark.parametrize("state", ["unsubscribed", "pending", None])
def test_the_same_step_not_transactional_needs_consent(state: str | None) -> None:
    w = world(Recipient("c-bob", "bob@example.com", state))
    assert w.sender.send(request(contact_id="c-bob")) == SendResult("skipped", "no_consent")


def test_a_transactional_send_still_needs_an_address() -> None:
    w = world(Recipient("c-bob", None, "pending"))
    confirm = SendRequest("c-bob", "double_opt_in", "confirm", "e", EXECUTION, message=TRANSACTIONAL)
    assert w.sender.send(confirm) == SendResult("skipped", "no_email_address")


def test_the_reconcilers_resend_of_a_confirmation_needs_no_marketing_consent() -> None:
    # Given a double opt-in confirmation whose SES answer was lost (claim unknown, transactional)
    w = world(Recipient("c-bob", "bob@example.com", "pending", store="shop.example"))
    w.provider.send_then_fail = True
    confirm = SendRequest(
        "c-bob", "double_opt_in", "confirm", "double_opt_in-c-bob-1", EXECUTION, message=TRANSACTIONAL
    )
    assert w.sender.send(confirm).status == "unknown"
    w.provider.send_then_fail = False
    (stale,) = w.ledger.records.values()
    assert stale.transactional
    # When the reconciler re-sends it, the contact still pending
    result = w.sender.resend(stale)
    # Then it goes (a marketing claim would be given up as no_consent), with its confirm link
    assert result.status == "sent"
    message = email.message_from_bytes(w.provider.sent[-1][0], policy=policy.default)
    assert "/confirm?token=" in str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


class SuppressedAddresses:
    """The delivery history with a suppression list and no recent sends."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = set(addresses)

    def history(self, contact_id: str, address: str | None, *, since: datetime, excluding: SendKey) -> History:
        return History(suppressed=address in self.addresses)

    def suppressed(self, address: str) -> bool:
        return address in self.addresses


def test_the_reconcilers_resend_to_an_address_suppressed_since_gives_the_claim_up() -> None:
    # Given a welcome email whose SES answer was lost (claim unknown)
    w = world()
    w.provider.send_then_fail = True
    assert w.sender.send(request()).status == "unknown"
    w.provider.send_then_fail = False
    (stale,) = w.ledger.records.values()
    # When the address bounced for good before the reconciler's re-send
    sender = dataclasses.replace(w.sender, history=SuppressedAddresses(ADA.email or ""))
    result = sender.resend(stale)
    # Then nothing more is sent and the claim is given up
    assert result == SendResult("skipped", "suppressed", channel="email")
    assert len(w.provider.sent) == 1
    assert w.ledger.records[stale.key].status == "lost"


# ---------------------------------------------------------------- SMS

TEXTER = Recipient(
    "c-bo", None, None, first_name="Bo", store="acme.myshopify.com", phone="+442071838750", sms_consent="subscribed"
)
SMS_STEP = Message(channel="sms")
NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # 13:00 in London (the +44 number's zone)


@dataclass
class FakeSms:
    sent: list[tuple[SmsText, str, bool]] = field(default_factory=list)
    failures: list[EmailSendError] = field(default_factory=list)

    def send(self, text: SmsText, *, number: str, transactional: bool) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((text, number, transactional))
        return f"sns-{len(self.sent)}"


def sms_world(ledger: FakeLedger | None = None) -> tuple[JourneySender, FakeSms, FakeLedger, FakeLog]:
    w = world(TEXTER)
    sms = FakeSms()
    ledger = ledger or w.ledger
    sender = dataclasses.replace(w.sender, sms_provider=sms, ledger=ledger, clock=lambda: NOON)
    return sender, sms, ledger, w.log


def sms_request(attempt: int = 0) -> SendRequest:
    return SendRequest("c-bo", "sms_welcome", "welcome", "sms_welcome-c-bo-1", EXECUTION, attempt, message=SMS_STEP)


def test_an_sms_is_claimed_with_its_segments_sent_and_pointed_to() -> None:
    sender, sms, ledger, log = sms_world()
    result = sender.send(sms_request())
    assert result == SendResult("sent", None, "sns-1", channel="sms")
    ((text, number, transactional),) = sms.sent
    assert (number, transactional) == ("+442071838750", False)
    assert text.body.startswith("Acme: ") and text.body.endswith("Reply STOP to opt out.")
    record = ledger.records[sms_request().key]
    assert (record.status, record.channel, record.segments, record.encoding) == ("sent", "sms", 1, "GSM-7")
    assert ledger.sms_messages == {"sns-1": (sms_request().key, "claim-1")}
    # and the log names neither the number nor the text
    assert "+442071838750" not in str(log.lines) and "Reply" not in str(log.lines)


def test_a_pointer_that_cannot_be_written_is_logged_and_the_sms_still_counts_as_sent() -> None:
    sender, _sms, ledger, log = sms_world(FakeLedger(failures={"record_sms_message": 1}))
    assert sender.send(sms_request()).status == "sent"
    assert ledger.records[sms_request().key].status == "sent"
    assert ("warning", "sms pointer not recorded") in [(level, msg) for level, msg, _ in log.lines]


def test_an_sms_whose_publish_never_answered_is_unknown_and_has_no_pointer() -> None:
    sender, sms, ledger, _log = sms_world()
    sms.failures.append(SendOutcomeUnknown("no answer from SNS: ReadTimeoutError", code="ReadTimeoutError"))
    assert sender.send(sms_request()) == SendResult("unknown", "outcome_unknown", channel="sms")
    assert ledger.records[sms_request().key].status == UNKNOWN
    assert ledger.sms_messages == {}
    # and its retry never texts again
    assert sender.send(sms_request(attempt=1)).status == "unknown"
    assert sms.sent == []


def test_a_marketing_sms_without_its_opt_out_line_is_refused_before_any_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    import nurture.messaging.sending as sending

    monkeypatch.setattr(sending, "render_sms", lambda *_: measure("Acme: 20% off today"))
    sender, sms, ledger, _log = sms_world()
    with pytest.raises(RenderError, match="opt-out"):
        sender.send(sms_request())
    assert (sms.sent, ledger.records) == ([], {})
    # A transactional SMS (a confirmation) needs none
    transactional = dataclasses.replace(sms_request(), message=Message(channel="sms", transactional=True))
    assert sender.send(transactional).status == "sent"
    assert sms.sent[0][2] is True


def test_without_an_sms_provider_an_sms_step_fails_as_a_configuration_error() -> None:
    w = world(TEXTER)
    sender = dataclasses.replace(w.sender, clock=lambda: NOON)
    with pytest.raises(EmailConfigurationError, match="no SMS provider"):
        sender.send(sms_request())
    assert w.ledger.records[sms_request().key].status == FAILED

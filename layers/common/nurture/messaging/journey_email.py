"""Sending one journey email: delivery rules, render, claim, send, record. No boto3 here: the
ledger, the profile source and the provider come in as objects (the adapters, or fakes in tests).

The order matters:

1. the recipient is read and the delivery rules applied (no consent → skipped, nothing written);
2. the message is rendered and built *before* the claim, so a template bug costs no claim;
3. the send is claimed in the ledger (a conditional write); a claim held already → skipped,
   the provider is never called;
4. the provider is called; on a *definite* failure (it answered with an error, or no connection
   could be opened) the claim is marked ``failed`` so that Step Functions' Retry may try again;
   on an unknown outcome (no answer after the request went out) the claim stays ``claimed`` and
   no attempt will ever send this step again: at most once beats at least once for marketing;
5. the message id is recorded. If that write fails the message is out anyway: the result says
   ``sent``, the error is logged, and the claim (still ``claimed``) keeps any retry from sending.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from nurture.messaging import delivery
from nurture.messaging.delivery import Recipient

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


class InvalidSendRequest(ValueError):
    """The task input does not name a contact, journey and step (never retried)."""


@dataclass(frozen=True, slots=True)
class SendRequest:
    contact_id: str
    journey: str
    step: str
    execution: str  # who holds the claim: the journey execution, else the Lambda request id

    @classmethod
    def from_event(cls, event: Any, *, default_execution: str) -> SendRequest:
        if not isinstance(event, Mapping):
            raise InvalidSendRequest("the event must be an object with contact_id, journey and step")
        values = {}
        for name in ("contact_id", "journey", "step"):
            value = event.get(name)
            if not isinstance(value, str) or not _NAME.fullmatch(value):
                raise InvalidSendRequest(f"{name} must be 1 to 128 letters, digits, '_' or '-'")
            values[name] = value
        execution = event.get("execution")
        if not isinstance(execution, str) or not execution:
            execution = default_execution
        return cls(values["contact_id"], values["journey"], values["step"], execution)


@dataclass(frozen=True, slots=True)
class SendResult:
    status: str  # "sent" | "skipped"
    reason: str | None = None
    message_id: str | None = None

    def as_output(self) -> dict[str, str | None]:
        """The task output the journeys read: always all three keys (a ResultSelector needs them)."""
        return {"status": self.status, "reason": self.reason, "message_id": self.message_id}


class RecipientSource(Protocol):
    def get(self, contact_id: str) -> Recipient | None: ...


class SendRecordView(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def message_id(self) -> str | None: ...


class Ledger(Protocol):
    def claim(self, contact_id: str, journey: str, step: str, execution: str, *, claimed_at: datetime) -> bool: ...

    def record_sent(self, contact_id: str, journey: str, step: str, *, message_id: str, sent_at: datetime) -> None: ...

    def record_failed(self, contact_id: str, journey: str, step: str, *, error: str, failed_at: datetime) -> None: ...

    def get(self, contact_id: str, journey: str, step: str) -> SendRecordView | None: ...


class EmailProvider(Protocol):
    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str: ...


class EventLog(Protocol):
    """What the sender logs through (Powertools' Logger fits): keyword fields, no address in clear."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JourneyEmailSender:
    sender_address: str
    unsubscribe_base_url: str
    unsubscribe_secret: str
    recipients: RecipientSource
    ledger: Ledger
    provider: EmailProvider
    log: EventLog
    clock: Callable[[], datetime] = utc_now

    def build(self, recipient: Recipient, request: SendRequest, now: datetime) -> bytes:
        """The complete MIME message for this recipient and step (pure; raises RenderError/ValueError)."""
        from nurture.messaging.context import email_context
        from nurture.messaging.mime import build_message
        from nurture.messaging.rendering import render_email
        from nurture.messaging.unsubscribe import make_token, unsubscribe_url

        assert recipient.email is not None  # the delivery rules checked it
        token = make_token(
            self.unsubscribe_secret,
            contact_id=recipient.contact_id,
            channel="email",
            list_id=request.journey,
            issued_at=now,
        )
        link = unsubscribe_url(self.unsubscribe_base_url, token)
        context = email_context(recipient, journey=request.journey, step=request.step, unsubscribe_url=link)
        rendered = render_email(f"{request.journey}/{request.step}", context)
        return build_message(
            sender=self.sender_address,
            recipient=recipient.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=link,
            date=now,
        )

    def send(self, request: SendRequest) -> SendResult:
        from nurture.errors import DependencyUnavailable
        from nurture.messaging.errors import EmailSendError

        fields = {"contact_id": request.contact_id, "journey": request.journey, "step": request.step}
        recipient = self.recipients.get(request.contact_id)
        reason = delivery.email_skip_reason(recipient)
        if reason is not None:
            self.log.info("email skipped", reason=reason, **fields)
            return SendResult("skipped", reason)
        assert recipient is not None and recipient.email is not None

        now = self.clock()
        raw = self.build(recipient, request, now)

        c, j, s = request.contact_id, request.journey, request.step
        if not self.ledger.claim(c, j, s, request.execution, claimed_at=now):
            record = self.ledger.get(c, j, s)
            status = record.status if record is not None else "unknown"
            reason = delivery.ALREADY_SENT if status == "sent" else delivery.ALREADY_CLAIMED
            message_id = record.message_id if record is not None else None
            self.log.info("email skipped", reason=reason, claim_status=status, **fields)
            return SendResult("skipped", reason, message_id)

        tags = {"contact_id": c, "journey": j, "step": s}
        try:
            message_id = self.provider.send(raw, sender=self.sender_address, recipient=recipient.email, tags=tags)
        except EmailSendError as exc:
            if exc.definite:
                self.ledger.record_failed(c, j, s, error=exc.code or type(exc).__name__, failed_at=self.clock())
            self.log.warning(
                "email not sent",
                error_type=type(exc).__name__,
                error_code=exc.code,
                may_retry=exc.definite,
                **fields,
            )
            raise

        try:
            self.ledger.record_sent(c, j, s, message_id=message_id, sent_at=self.clock())
        except DependencyUnavailable:
            # The message is out; the claim (still "claimed") keeps every retry from sending it again.
            self.log.exception("email sent but not recorded", message_id=message_id, **fields)
        self.log.info("email sent", message_id=message_id, size=len(raw), **fields)
        return SendResult("sent", None, message_id)

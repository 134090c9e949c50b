"""Sending one journey email: delivery rules, render, claim, send, record. No boto3 here: the
ledger, the profile source and the provider come in as objects (the adapters, or fakes in tests).
The claim's states are `nurture.messaging.claims`. The order matters:

1. the recipient is read and the delivery rules applied (`nurture.delivery.rules.decide`, with the
   contact's recent sends and the address's suppression: `DeliveryHistory`): skipped (no consent,
   suppressed, capped…) or deferred (quiet hours, send hour, cap) → no claim, the decision recorded
   (`DecisionLog`) and returned;
2. the message is rendered and built *before* the claim, so a template bug costs no claim; it
   carries this invocation's claim id (tag and header);
3. the send is claimed (a conditional write, carrying the task token of a send that waits for
   engagement, so no SES event can come before it). Refused: ``already_sent``, ``already_claimed``
   (another execution holds it), or, when an earlier attempt of this execution called the provider
   and never learnt the answer, ``outcome_unknown`` (the claim is marked ``unknown`` for the
   provider's events to settle). A claim of this execution that never reached the provider is
   taken over and the send goes on;
4. ``sending`` is recorded, then the provider is called: on a *definite* failure the claim becomes
   ``failed`` and the error is raised (Step Functions' Retry may claim again); on an unknown outcome
   the claim becomes ``unknown`` and the result says so: the journey goes on, never sending twice;
5. the message id is recorded. If that write fails the message is out anyway: the result says
   ``sent`` and the claim (still ``sending``) keeps any retry from sending; the Send event settles it.
   The decision ``sent`` is recorded last (a failure to record a decision never fails a send).

`JourneyEmailSender.resend` is the reconciler's one re-send of a claim no event settled: the same
rules, rendering and steps 4-5, after a conditional write that moves the claim to a new claim id
(`Ledger.claim_resend`: of two reconcilers, one wins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import Defer, History, Message, Skip, decide
from nurture.errors import DependencyUnavailable
from nurture.messaging import claims, delivery
from nurture.messaging.claims import AwaitedEngagement, SendKey, SendRecord
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.errors import EmailSendError
from nurture.messaging.mime import build_message
from nurture.messaging.rendering import render_email
from nurture.messaging.unsubscribe import make_token, page_url, unsubscribe_url

MARKETING: Final = Message()  # a marketing email with no send hour: the rules' default
TRANSACTIONAL: Final = Message(transactional=True)  # a re-sent double opt-in confirmation


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One send of one journey step (built by the journey step function from its validated Payload,
    `nurture.journeys.tasks`, or by the reconciler from a claim)."""

    contact_id: str
    journey: str
    step: str
    enrolment: str  # the enrolment id (the execution name): one claim per step of an enrolment
    execution: str  # who holds the claim: the journey execution, else the Lambda request id
    attempt: int | None = None  # Step Functions' $$.State.RetryCount, when the state machine passes it
    awaited: AwaitedEngagement | None = None  # a `.waitForTaskToken` send: stored by the claim itself
    data: Mapping[str, Any] | None = None  # the enrolment's data (what its trigger event carried)
    template: str | None = None  # the template set; default ``<journey>/<step>``
    message: Message = MARKETING  # what the delivery rules read of the step

    @property
    def key(self) -> SendKey:
        return SendKey(self.contact_id, self.journey, self.step, self.enrolment)


@dataclass(frozen=True, slots=True)
class SendResult:
    # "sent" | "skipped" | "unknown" (provider outcome unknown: claim left for its events) | "deferred"
    status: str
    reason: str | None = None
    message_id: str | None = None
    until: datetime | None = None  # deferred: when the rules allow the send

    def as_output(self) -> dict[str, str | None]:
        """The task output the journeys read: always all three keys (a ResultSelector needs them)."""
        return {"status": self.status, "reason": self.reason, "message_id": self.message_id}


class EnrolmentData(Protocol):
    """What an enrolment's trigger carried (``enrolment.data`` in templates), for the reconciler's
    re-send, which has only the claim."""

    def data(self, key: SendKey) -> Mapping[str, Any] | None: ...


class RecipientSource(Protocol):
    def get(self, contact_id: str) -> Recipient | None: ...


class Ledger(Protocol):
    """The send claims (`nurture.adapters.dynamodb_sends.SendLedger`); every write after `claim` is
    conditioned on the claim id and raises `ClaimSuperseded` when the claim is not that id's."""

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
    ) -> bool: ...

    def store_await(self, key: SendKey, awaited: AwaitedEngagement) -> bool: ...

    def start_sending(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None: ...

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None: ...

    def record_unknown(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def claim_resend(self, key: SendKey, *, previous_claim_id: str, claim_id: str, at: datetime) -> bool: ...

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def get(self, key: SendKey) -> SendRecord | None: ...


class DeliveryHistory(Protocol):
    """What the rules read besides the profile (`nurture.adapters.dynamodb_delivery`)."""

    def history(self, contact_id: str, address: str | None, *, since: datetime, excluding: SendKey) -> History:
        """The contact's marketing sends since ``since`` (but ``excluding``'s own claim) and whether
        the address is suppressed."""
        ...

    def suppressed(self, address: str) -> bool:
        """Whether the address is on the suppression list."""
        ...


Outcome = Literal["sent", "deferred", "skipped"]


class DecisionLog(Protocol):
    """Every decision, on the contact and counted for the journey step (`nurture.adapters.dynamodb_delivery`)."""

    def record(
        self, key: SendKey, outcome: Outcome, *, reason: str | None, until: datetime | None, at: datetime
    ) -> None: ...


class EmailProvider(Protocol):
    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str: ...


class EventLog(Protocol):
    """What the sender logs through (Powertools' Logger fits): keyword fields, no address in clear."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def _signed_up_at(data: Mapping[str, Any] | None) -> datetime | None:
    """When the enrolment's trigger (the sign-up) happened: a confirmation link is signed with it,
    so every link of one double opt-in expires 7 days after the sign-up (the drop)."""
    value = (data or {}).get("occurred_at")
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_claim_id() -> str:
    import uuid

    return uuid.uuid4().hex


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
    claim_ids: Callable[[], str] = new_claim_id
    enrolments: EnrolmentData | None = None  # the re-send's enrolment.data (None: an empty mapping)
    history: DeliveryHistory | None = None  # None: no past sends, nothing suppressed (tests, previews)
    decisions: DecisionLog | None = None  # None: decisions are only logged
    policy: DeliveryPolicy = DEFAULT_POLICY

    def build(self, recipient: Recipient, request: SendRequest, now: datetime, claim_id: str = "") -> bytes:
        """The complete MIME message for this recipient and step (pure; raises RenderError/ValueError)."""
        assert recipient.email is not None  # the delivery rules checked it
        token = make_token(
            self.unsubscribe_secret,
            contact_id=recipient.contact_id,
            channel="email",
            list_id=request.journey,
            issued_at=now,
        )
        link = unsubscribe_url(self.unsubscribe_base_url, token)
        confirm_link = None
        if request.message.transactional:  # a double opt-in confirmation: the signed link that confirms
            confirm_token = make_token(
                self.unsubscribe_secret,
                contact_id=recipient.contact_id,
                channel="email",
                list_id=request.journey,
                issued_at=_signed_up_at(request.data) or now,
                purpose="confirm",
            )
            confirm_link = page_url(self.unsubscribe_base_url, "confirm", confirm_token)
        context = email_context(
            recipient,
            journey=request.journey,
            step=request.step,
            unsubscribe_url=link,
            preferences_url=page_url(self.unsubscribe_base_url, "preferences", token),
            confirm_url=confirm_link,
            enrolment_id=request.enrolment,
            enrolment_data=request.data,
        )
        rendered = render_email(request.template or f"{request.journey}/{request.step}", context)
        return build_message(
            sender=self.sender_address,
            recipient=recipient.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=link,
            date=now,
            headers={claims.CLAIM_HEADER: claim_id} if claim_id else None,
        )

    def send(self, request: SendRequest) -> SendResult:
        fields = {"contact_id": request.contact_id, "journey": request.journey, "step": request.step}
        recipient = self.recipients.get(request.contact_id)
        now = self.clock()
        verdict = decide(request.message, recipient, self._history(request, recipient, now), now, self.policy)
        if isinstance(verdict, Skip):
            self.log.info("email skipped", reason=verdict.reason, **fields)
            self._record(request.key, "skipped", verdict.reason, None, now)
            return SendResult("skipped", verdict.reason)
        if isinstance(verdict, Defer):
            self.log.info("email deferred", reason=verdict.reason, until=verdict.until.isoformat(), **fields)
            self._record(request.key, "deferred", verdict.reason, verdict.until, now)
            return SendResult("deferred", verdict.reason, until=verdict.until)
        assert recipient is not None and recipient.email is not None

        claim_id = self.claim_ids()
        raw = self.build(recipient, request, now, claim_id)

        key = request.key
        taken = self.ledger.claim(
            key,
            claim_id=claim_id,
            execution=request.execution,
            attempt=request.attempt,
            at=now,
            awaited=request.awaited,
            transactional=request.message.transactional,
        )
        if not taken:
            return self._refused(request, fields)
        fields["claim_id"] = claim_id

        try:
            self.ledger.start_sending(key, claim_id=claim_id, at=self.clock())
        except claims.ClaimSuperseded:
            # A later attempt of this execution took the claim over: it sends, this one must not.
            self.log.info("email skipped", reason=delivery.ALREADY_CLAIMED, claim_status="superseded", **fields)
            return SendResult("skipped", delivery.ALREADY_CLAIMED)

        result = self._deliver(key, raw, recipient.email, claim_id, fields)
        if result.status == "sent":
            self._record(key, "sent", None, None, self.clock())
        return result

    def _history(self, request: SendRequest, recipient: Recipient | None, now: datetime) -> History:
        if self.history is None or recipient is None:
            return History()
        since = now - max(self.policy.window, self.policy.min_gap, timedelta(0))
        return self.history.history(request.contact_id, recipient.email, since=since, excluding=request.key)

    def _suppressed(self, key: SendKey, recipient: Recipient | None) -> bool:
        """Whether the recipient's address is on the suppression list (the re-send's check)."""
        if self.history is None or recipient is None or not recipient.email:
            return False
        return self.history.suppressed(recipient.email)

    def _record(self, key: SendKey, outcome: Outcome, reason: str | None, until: datetime | None, at: datetime) -> None:
        if self.decisions is None:
            return
        try:
            self.decisions.record(key, outcome, reason=reason, until=until, at=at)
        except DependencyUnavailable:
            # The decision stands (the message went, or will be tried again); only its record is lost.
            self.log.warning("delivery decision not recorded", outcome=outcome, contact_id=key.contact_id)

    def resend(self, record: SendRecord) -> SendResult:
        """Send an unsettled claim once more (the reconciler's decision, `claims.reconcile_unknown`).

        The delivery rules are applied again (an unsubscribe since then wins: the claim is given up);
        the claim moves to a new claim id only if it is still unsettled under ``record.claim_id`` and
        was never re-sent: another reconciler that won that write sends, this one skips.
        """
        key = record.key
        fields = {"contact_id": key.contact_id, "journey": key.journey, "step": key.step}
        assert record.claim_id is not None
        recipient = self.recipients.get(key.contact_id)
        reason = delivery.email_skip_reason(recipient, transactional=record.transactional)
        if reason is None and self._suppressed(key, recipient):
            # Bounced or complained since (perhaps the very message whose answer was lost): never again.
            reason = delivery.SUPPRESSED
        if reason is not None:
            self.ledger.give_up(key, claim_id=record.claim_id, at=self.clock())
            self.log.warning("email re-send skipped", reason=reason, claim_id=record.claim_id, **fields)
            return SendResult("skipped", reason)
        assert recipient is not None and recipient.email is not None

        now = self.clock()
        claim_id = self.claim_ids()
        data = self.enrolments.data(key) if self.enrolments is not None else None
        request = SendRequest(
            key.contact_id,
            key.journey,
            key.step,
            key.enrolment,
            execution=record.execution or "",
            data=data,
            message=TRANSACTIONAL if record.transactional else MARKETING,
        )
        raw = self.build(recipient, request, now, claim_id)
        if not self.ledger.claim_resend(key, previous_claim_id=record.claim_id, claim_id=claim_id, at=now):
            self.log.info("email skipped", reason=delivery.ALREADY_CLAIMED, claim_status="resent_elsewhere", **fields)
            return SendResult("skipped", delivery.ALREADY_CLAIMED)
        fields["claim_id"] = claim_id
        self.log.warning("email re-sent", previous_claim_id=record.claim_id, **fields)
        return self._deliver(key, raw, recipient.email, claim_id, fields)

    def _deliver(self, key: SendKey, raw: bytes, address: str, claim_id: str, fields: dict[str, str]) -> SendResult:
        """The provider call of a claim marked ``sending``, and its outcome recorded."""
        tags = {
            "contact_id": key.contact_id,
            "journey": key.journey,
            "step": key.step,
            "enrolment": key.enrolment,
            claims.CLAIM_TAG: claim_id,
        }
        try:
            message_id = self.provider.send(raw, sender=self.sender_address, recipient=address, tags=tags)
        except EmailSendError as exc:
            self.log.warning(
                "email not sent" if exc.definite else "email outcome unknown",
                error_type=type(exc).__name__,
                error_code=exc.code,
                may_retry=exc.definite,
                **fields,
            )
            if not exc.definite:
                # The request went out, no answer came: wait for SES's events, never send again.
                self.ledger.record_unknown(key, claim_id=claim_id, at=self.clock())
                return SendResult("unknown", delivery.OUTCOME_UNKNOWN)
            self.ledger.record_failed(key, claim_id=claim_id, error=exc.code or type(exc).__name__, at=self.clock())
            raise

        try:
            self.ledger.record_sent(key, claim_id=claim_id, message_id=message_id, at=self.clock())
        except (DependencyUnavailable, claims.ClaimSuperseded):
            # The message is out; the claim (still "sending") keeps every retry from sending it
            # again, and SES's Send event (tagged with the claim id) settles it.
            self.log.exception("email sent but not recorded", message_id=message_id, **fields)
        self.log.info("email sent", message_id=message_id, size=len(raw), **fields)
        return SendResult("sent", None, message_id)

    def _refused(self, request: SendRequest, fields: dict[str, str]) -> SendResult:
        """The claim is held: by a sent message, by another execution, or by an earlier attempt of
        this one whose provider call never answered (marked ``unknown`` here if it was not yet).
        A waiting execution's token goes on the claim all the same: that message's events resume it."""
        if request.awaited is not None:
            self.ledger.store_await(request.key, request.awaited)
        record = self.ledger.get(request.key)
        verdict = claims.verdict_on_existing(record, request.execution)
        status = record.status if record is not None else "unknown"
        if verdict == "already_sent":
            message_id = record.message_id if record is not None else None
            self.log.info("email skipped", reason=delivery.ALREADY_SENT, claim_status=status, **fields)
            return SendResult("skipped", delivery.ALREADY_SENT, message_id)
        if verdict == "outcome_unknown":
            assert record is not None and record.claim_id is not None
            if record.status == claims.SENDING:
                # Its attempt crashed or timed out during or after the provider call.
                try:
                    self.ledger.record_unknown(request.key, claim_id=record.claim_id, at=self.clock())
                except claims.ClaimSuperseded:
                    return self._refused(request, fields)  # settled meanwhile: read it again
            self.log.warning("email outcome unknown", claim_status=status, claim_id=record.claim_id, **fields)
            return SendResult("unknown", delivery.OUTCOME_UNKNOWN)
        self.log.info("email skipped", reason=delivery.ALREADY_CLAIMED, claim_status=status, **fields)
        return SendResult("skipped", delivery.ALREADY_CLAIMED)

"""Sending one journey message, email or SMS: delivery rules, render, claim, send, record. No boto3
here: the ledger, the profile source and the providers come in as objects (the adapters, or fakes in
tests). The claim's states are `nurture.messaging.claims`. The order matters:

1. the recipient is read and the delivery rules applied (`nurture.delivery.rules.decide`, with the
   contact's recent sends and the address's and number's suppression: `DeliveryHistory`): skipped
   (no consent, suppressed, capped…) or deferred (quiet hours, send hour, cap) → no claim, the
   decision recorded (`DecisionLog`) and returned. A send names its channel (``email_or_sms``:
   the one the rules chose);
2. the message is rendered *before* the claim, so a template bug costs no claim: an email is built
   as MIME carrying this invocation's claim id (tag and header); an SMS is rendered and measured
   (`nurture.messaging.sms_text.SmsText`: its segments and encoding go on the claim), and a
   marketing SMS without its opt-out line is refused (`RenderError`);
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
   ``sent`` and the claim (still ``sending``) keeps any retry from sending; the Send event (an SMS:
   its delivery status log) settles it. An SMS's message id then gets its pointer to the claim
   (``SMSMESSAGE#<id>``, a separate write whose failure is logged and ignored: the status log is
   matched by number instead). The decision ``sent`` is recorded last (a failure to record a
   decision never fails a send).

`JourneySender.resend` is the reconciler's one re-send of an email claim no event settled: the same
rules, rendering and steps 4-5, after a conditional write that moves the claim to a new claim id
(`Ledger.claim_resend`: of two reconcilers, one wins). An SMS is never re-sent (docs/sms.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import Defer, History, Message, Send, Skip, decide
from nurture.errors import DependencyUnavailable
from nurture.messaging import claims, delivery
from nurture.messaging.claims import AwaitedEngagement, SendKey, SendRecord
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.errors import EmailConfigurationError, EmailSendError
from nurture.messaging.mime import build_message
from nurture.messaging.personal import NONE, Personalisation, PersonalisationStore
from nurture.messaging.rendering import RenderError, render_email, render_sms
from nurture.messaging.sms_text import SmsText, has_opt_out
from nurture.messaging.unsubscribe import make_token, page_url, unsubscribe_url

MARKETING: Final = Message()  # a marketing email with no send hour: the rules' default
TRANSACTIONAL: Final = Message(transactional=True)  # a re-sent double opt-in confirmation
# A re-sent marketing email: over the caps, which counted it when it first went.
RESENT_MARKETING: Final = Message(on_cap="send")


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
    # Called once the delivery rules let the message go, before it is rendered: the offer and the
    # recommendations (docs/offers.md). It claims a code, so it is never called for a skipped or
    # deferred send. None: nothing personalised.
    personalise: Callable[[], Personalisation] | None = None

    @property
    def key(self) -> SendKey:
        return SendKey(self.contact_id, self.journey, self.step, self.enrolment)


Channel = Literal["email", "sms"]


@dataclass(frozen=True, slots=True)
class SendResult:
    # "sent" | "skipped" | "unknown" (provider outcome unknown: claim left for its events) | "deferred"
    status: str
    reason: str | None = None
    message_id: str | None = None
    until: datetime | None = None  # deferred: when the rules allow the send
    channel: Channel | None = None  # the channel the message went (or was tried) by; None before one was chosen

    def as_output(self) -> dict[str, str | None]:
        """The task output the journeys read: always all four keys (a ResultSelector needs them)."""
        return {"status": self.status, "reason": self.reason, "message_id": self.message_id, "channel": self.channel}


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
        channel: str = "email",
        segments: int | None = None,
        encoding: str | None = None,
        template: str | None = None,
    ) -> bool: ...

    def store_await(self, key: SendKey, awaited: AwaitedEngagement) -> bool: ...

    def start_sending(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None: ...

    def record_sms_message(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None: ...

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None: ...

    def record_unknown(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def claim_resend(self, key: SendKey, *, previous_claim_id: str, claim_id: str, at: datetime) -> bool: ...

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...

    def get(self, key: SendKey) -> SendRecord | None: ...


class DeliveryHistory(Protocol):
    """What the rules read besides the profile (`nurture.adapters.dynamodb_delivery`)."""

    def history(
        self, contact_id: str, address: str | None, *, phone: str | None = None, since: datetime, excluding: SendKey
    ) -> History:
        """The contact's marketing emails and SMS since ``since`` (but ``excluding``'s own claim) and
        whether the address and the number (each when given) are suppressed."""
        ...

    def suppressed(self, address: str) -> bool:
        """Whether the address is on the suppression list."""
        ...


Outcome = Literal["sent", "deferred", "skipped"]


class DecisionLog(Protocol):
    """Every decision, on the contact and counted for the journey step (`nurture.adapters.dynamodb_delivery`)."""

    def record(
        self,
        key: SendKey,
        outcome: Outcome,
        *,
        reason: str | None,
        until: datetime | None,
        at: datetime,
        channel: str | None = None,
    ) -> None: ...


class EmailProvider(Protocol):
    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str: ...


class SmsProvider(Protocol):
    """`nurture.adapters.sns_sms.SnsSmsSender`: one text to one E.164 number; returns the message id.
    Raises the `nurture.messaging.errors` classes, ``definite`` as for email."""

    def send(self, text: SmsText, *, number: str, transactional: bool) -> str: ...


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """One message rendered for its channel, ready to claim and send."""

    channel: Channel
    to: str = field(repr=False)  # the address or the E.164 number: never printed
    raw: bytes = b""  # an email: the MIME message
    text: SmsText | None = None  # an SMS: its text, segments and encoding


@dataclass(frozen=True)
class JourneySender:
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
    sms_provider: SmsProvider | None = None  # None: an SMS step fails (EmailConfigurationError)
    # Journey id -> the From of its emails (a journey's `sender`); the others go from sender_address.
    journey_senders: Mapping[str, str] = field(default_factory=dict)
    # The stored personalisations, for the re-send (None: a re-send renders none).
    personalisations: PersonalisationStore | None = None

    def sender_of(self, journey: str) -> str:
        return self.journey_senders.get(journey) or self.sender_address

    def _links(self, recipient: Recipient, request: SendRequest, now: datetime, channel: Channel) -> dict[str, Any]:
        """The signed links of a message: unsubscribe, preferences, and a double opt-in's confirm link."""
        token = make_token(
            self.unsubscribe_secret,
            contact_id=recipient.contact_id,
            channel=channel,
            list_id=request.journey,
            issued_at=now,
        )
        confirm_link = None
        if request.message.transactional:  # a double opt-in confirmation: the signed link that confirms
            confirm_token = make_token(
                self.unsubscribe_secret,
                contact_id=recipient.contact_id,
                channel=channel,
                list_id=request.journey,
                issued_at=_signed_up_at(request.data) or now,
                purpose="confirm",
            )
            confirm_link = page_url(self.unsubscribe_base_url, "confirm", confirm_token)
        return {
            "unsubscribe_url": unsubscribe_url(self.unsubscribe_base_url, token),
            "preferences_url": page_url(self.unsubscribe_base_url, "preferences", token),
            "confirm_url": confirm_link,
        }

    def _context(
        self, recipient: Recipient, request: SendRequest, links: Mapping[str, Any], personal: Personalisation
    ) -> dict[str, Any]:
        return email_context(
            recipient,
            journey=request.journey,
            step=request.step,
            unsubscribe_url=links["unsubscribe_url"],
            preferences_url=links["preferences_url"],
            confirm_url=links["confirm_url"],
            enrolment_id=request.enrolment,
            enrolment_data=request.data,
            personal=personal.context(),
            template=self._template_set(request),
        )

    def _template_set(self, request: SendRequest) -> str:
        return request.template or f"{request.journey}/{request.step}"

    def build(
        self,
        recipient: Recipient,
        request: SendRequest,
        now: datetime,
        claim_id: str = "",
        personal: Personalisation = NONE,
    ) -> bytes:
        """The complete MIME message for this recipient and step (pure; raises RenderError/ValueError)."""
        assert recipient.email is not None  # the delivery rules checked it
        links = self._links(recipient, request, now, "email")
        rendered = render_email(self._template_set(request), self._context(recipient, request, links, personal))
        return build_message(
            sender=self.sender_of(request.journey),
            recipient=recipient.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=links["unsubscribe_url"],
            date=now,
            headers={claims.CLAIM_HEADER: claim_id} if claim_id else None,
        )

    def build_sms(
        self, recipient: Recipient, request: SendRequest, now: datetime, personal: Personalisation = NONE
    ) -> SmsText:
        """The text of this step's SMS for this recipient (pure; raises RenderError). The context is
        an email's (``contact``, ``store``, ``journey``, ``step``, ``enrolment``, ``preferences_url``…);
        a marketing SMS must carry its opt-out line (the marketing layout ends with it)."""
        template_set = self._template_set(request)
        links = self._links(recipient, request, now, "sms")
        text = render_sms(template_set, self._context(recipient, request, links, personal))
        if not request.message.transactional and not has_opt_out(text.body):
            raise RenderError(
                f"sms/{template_set}/body.txt",
                'a marketing SMS must end with the opt-out line ("Reply STOP to opt out."):'
                " extend sms/_layout/marketing.txt",
            )
        return text

    def prepare(
        self,
        channel: Channel,
        recipient: Recipient,
        request: SendRequest,
        now: datetime,
        claim_id: str,
        personal: Personalisation = NONE,
    ) -> Prepared:
        """The message for ``channel`` (the delivery rules checked the address or number)."""
        if channel == "sms":
            assert recipient.phone is not None
            return Prepared("sms", recipient.phone, text=self.build_sms(recipient, request, now, personal))
        assert recipient.email is not None
        return Prepared("email", recipient.email, raw=self.build(recipient, request, now, claim_id, personal))

    def send(self, request: SendRequest) -> SendResult:
        fields = {"contact_id": request.contact_id, "journey": request.journey, "step": request.step}
        recipient = self.recipients.get(request.contact_id)
        now = self.clock()
        verdict = decide(request.message, recipient, self._history(request, recipient, now), now, self.policy)
        label = _label(request.message.channel)
        if isinstance(verdict, Skip):
            self.log.info(f"{label} skipped", reason=verdict.reason, **fields)
            self._record(request.key, "skipped", verdict.reason, None, now, request.message.channel)
            return SendResult("skipped", verdict.reason)
        if isinstance(verdict, Defer):
            self.log.info(f"{label} deferred", reason=verdict.reason, until=verdict.until.isoformat(), **fields)
            self._record(request.key, "deferred", verdict.reason, verdict.until, now, request.message.channel)
            return SendResult("deferred", verdict.reason, until=verdict.until)
        assert recipient is not None
        channel: Channel = verdict.channel

        personal = request.personalise() if request.personalise is not None else NONE
        if personal.skip_reason is not None:
            self.log.info(f"{label} skipped", reason=personal.skip_reason, **fields)
            self._record(request.key, "skipped", personal.skip_reason, None, now, request.message.channel)
            return SendResult("skipped", personal.skip_reason)
        claim_id = self.claim_ids()
        prepared = self.prepare(channel, recipient, request, now, claim_id, personal)

        key = request.key
        taken = self.ledger.claim(
            key,
            claim_id=claim_id,
            execution=request.execution,
            attempt=request.attempt,
            at=now,
            awaited=request.awaited,
            transactional=request.message.transactional,
            channel=channel,
            segments=prepared.text.segments if prepared.text is not None else None,
            encoding=prepared.text.encoding if prepared.text is not None else None,
            template=request.template,
        )
        if not taken:
            return self._refused(request, fields)
        fields["claim_id"] = claim_id

        try:
            self.ledger.start_sending(key, claim_id=claim_id, at=self.clock())
        except claims.ClaimSuperseded:
            # A later attempt of this execution took the claim over: it sends, this one must not.
            self.log.info(f"{channel} skipped", reason=delivery.ALREADY_CLAIMED, claim_status="superseded", **fields)
            return SendResult("skipped", delivery.ALREADY_CLAIMED, channel=channel)

        result = self._deliver(key, prepared, claim_id, fields, transactional=request.message.transactional)
        if result.status == "sent":
            self._record(key, "sent", None, None, self.clock(), channel)
        return result

    def _history(self, request: SendRequest, recipient: Recipient | None, now: datetime) -> History:
        if self.history is None or recipient is None:
            return History()
        policy = self.policy
        since = now - max(policy.window, policy.min_gap, policy.sms_min_gap, timedelta(0))
        # Only what the step's channel can use: an email step reads no number's suppression.
        channel = request.message.channel
        address = recipient.email if channel != "sms" else None
        phone = recipient.phone if channel != "email" else None
        return self.history.history(request.contact_id, address, phone=phone, since=since, excluding=request.key)

    def _suppressed(self, key: SendKey, recipient: Recipient | None) -> bool:
        """Whether the recipient's address is on the suppression list (the re-send's check)."""
        if self.history is None or recipient is None or not recipient.email:
            return False
        return self.history.suppressed(recipient.email)

    def _record(
        self,
        key: SendKey,
        outcome: Outcome,
        reason: str | None,
        until: datetime | None,
        at: datetime,
        channel: str,
    ) -> None:
        if self.decisions is None:
            return
        try:
            self.decisions.record(key, outcome, reason=reason, until=until, at=at, channel=channel)
        except DependencyUnavailable:
            # The decision stands (the message went, or will be tried again); only its record is lost.
            self.log.warning("delivery decision not recorded", outcome=outcome, contact_id=key.contact_id)

    def resend(self, record: SendRecord) -> SendResult:
        """Send an unsettled email claim once more (the reconciler's decision, `claims.reconcile_unknown`,
        which never re-sends an SMS).

        The delivery rules (`decide`) are applied again: an unsubscribe, a suppression or a pause
        since then wins (the claim is given up); quiet hours defer it (``deferred``: the claim is left
        unsettled for a later run); the caps do not apply (they counted this message when it was first
        sent). The claim moves to a new claim id only if it is still unsettled under
        ``record.claim_id`` and was never re-sent: another reconciler that won that write sends, this
        one skips.
        """
        key = record.key
        fields = {"contact_id": key.contact_id, "journey": key.journey, "step": key.step}
        assert record.claim_id is not None
        if record.channel != "email":
            raise ValueError(f"claim {record.claim_id}: an {record.channel} claim is never re-sent")
        recipient = self.recipients.get(key.contact_id)
        now = self.clock()
        # Suppressed since: bounced or complained (perhaps the very message whose answer was lost).
        history = History(suppressed=self._suppressed(key, recipient))
        verdict = decide(
            TRANSACTIONAL if record.transactional else RESENT_MARKETING, recipient, history, now, self.policy
        )
        if isinstance(verdict, Defer) and verdict.reason != delivery.PAUSED:
            # Quiet hours hold the re-send until morning: the claim stays unsettled, a later run sends it.
            self.log.info("email re-send deferred", reason=verdict.reason, until=verdict.until.isoformat(), **fields)
            return SendResult("deferred", verdict.reason, until=verdict.until, channel="email")
        if not isinstance(verdict, Send):
            # A pause is not waited out: the contact asked for quiet, and the first attempt may have reached them.
            self.ledger.give_up(key, claim_id=record.claim_id, at=now)
            self.log.warning("email re-send skipped", reason=verdict.reason, claim_id=record.claim_id, **fields)
            return SendResult("skipped", verdict.reason, channel="email")
        assert recipient is not None and recipient.email is not None

        claim_id = self.claim_ids()
        data = self.enrolments.data(key) if self.enrolments is not None else None
        request = SendRequest(
            key.contact_id,
            key.journey,
            key.step,
            key.enrolment,
            execution=record.execution or "",
            data=data,
            template=record.template,
            message=TRANSACTIONAL if record.transactional else MARKETING,
        )
        stored = self.personalisations.get(key) if self.personalisations is not None else None
        prepared = self.prepare("email", recipient, request, now, claim_id, stored or NONE)
        if not self.ledger.claim_resend(key, previous_claim_id=record.claim_id, claim_id=claim_id, at=now):
            self.log.info("email skipped", reason=delivery.ALREADY_CLAIMED, claim_status="resent_elsewhere", **fields)
            return SendResult("skipped", delivery.ALREADY_CLAIMED, channel="email")
        fields["claim_id"] = claim_id
        self.log.warning("email re-sent", previous_claim_id=record.claim_id, **fields)
        return self._deliver(key, prepared, claim_id, fields, transactional=record.transactional)

    def _call_provider(
        self, key: SendKey, prepared: Prepared, claim_id: str, *, transactional: bool
    ) -> tuple[str, int]:
        """The channel's provider called once: the message id, and the size sent (bytes / segments)."""
        if prepared.channel == "sms":
            assert prepared.text is not None
            if self.sms_provider is None:
                raise EmailConfigurationError("no SMS provider is configured", code="NoSmsProvider")
            message_id = self.sms_provider.send(prepared.text, number=prepared.to, transactional=transactional)
            return message_id, prepared.text.segments
        tags = {
            "contact_id": key.contact_id,
            "journey": key.journey,
            "step": key.step,
            "enrolment": key.enrolment,
            claims.CLAIM_TAG: claim_id,
        }
        sender = self.sender_of(key.journey)
        message_id = self.provider.send(prepared.raw, sender=sender, recipient=prepared.to, tags=tags)
        return message_id, len(prepared.raw)

    def _deliver(
        self, key: SendKey, prepared: Prepared, claim_id: str, fields: dict[str, str], *, transactional: bool
    ) -> SendResult:
        """The provider call of a claim marked ``sending``, and its outcome recorded."""
        channel = prepared.channel
        try:
            message_id, size = self._call_provider(key, prepared, claim_id, transactional=transactional)
        except EmailSendError as exc:
            self.log.warning(
                f"{channel} not sent" if exc.definite else f"{channel} outcome unknown",
                error_type=type(exc).__name__,
                error_code=exc.code,
                may_retry=exc.definite,
                **fields,
            )
            if not exc.definite:
                # The request went out, no answer came: wait for the provider's events, never send again.
                self.ledger.record_unknown(key, claim_id=claim_id, at=self.clock())
                return SendResult("unknown", delivery.OUTCOME_UNKNOWN, channel=channel)
            self.ledger.record_failed(key, claim_id=claim_id, error=exc.code or type(exc).__name__, at=self.clock())
            raise

        try:
            self.ledger.record_sent(key, claim_id=claim_id, message_id=message_id, at=self.clock())
        except (DependencyUnavailable, claims.ClaimSuperseded):
            # The message is out; the claim (still "sending") keeps every retry from sending it
            # again, and the provider's events (tagged with the claim id, or pointed to below) settle it.
            self.log.exception(f"{channel} sent but not recorded", message_id=message_id, **fields)
        if channel == "sms":
            try:
                self.ledger.record_sms_message(key, claim_id=claim_id, message_id=message_id, at=self.clock())
            except DependencyUnavailable:
                # Its status log is then matched by number (SmsEventsFunction): nothing is lost.
                self.log.warning("sms pointer not recorded", message_id=message_id, **fields)
        self.log.info(f"{channel} sent", message_id=message_id, size=size, **fields)
        return SendResult("sent", None, message_id, channel=channel)

    def _refused(self, request: SendRequest, fields: dict[str, str]) -> SendResult:
        """The claim is held: by a sent message, by another execution, or by an earlier attempt of
        this one whose provider call never answered (marked ``unknown`` here if it was not yet).
        A waiting execution's token goes on the claim all the same: that message's events resume it."""
        if request.awaited is not None:
            self.ledger.store_await(request.key, request.awaited)
        record = self.ledger.get(request.key)
        verdict = claims.verdict_on_existing(record, request.execution)
        status = record.status if record is not None else "unknown"
        channel: Channel | None = _channel_of(record)
        label = channel or _label(request.message.channel)
        if verdict == "already_sent":
            message_id = record.message_id if record is not None else None
            self.log.info(f"{label} skipped", reason=delivery.ALREADY_SENT, claim_status=status, **fields)
            return SendResult("skipped", delivery.ALREADY_SENT, message_id, channel=channel)
        if verdict == "outcome_unknown":
            assert record is not None and record.claim_id is not None
            if record.status == claims.SENDING:
                # Its attempt crashed or timed out during or after the provider call.
                try:
                    self.ledger.record_unknown(request.key, claim_id=record.claim_id, at=self.clock())
                except claims.ClaimSuperseded:
                    return self._refused(request, fields)  # settled meanwhile: read it again
            self.log.warning(f"{label} outcome unknown", claim_status=status, claim_id=record.claim_id, **fields)
            return SendResult("unknown", delivery.OUTCOME_UNKNOWN, channel=channel)
        self.log.info(f"{label} skipped", reason=delivery.ALREADY_CLAIMED, claim_status=status, **fields)
        return SendResult("skipped", delivery.ALREADY_CLAIMED, channel=channel)


def _label(channel: str) -> str:
    """The word logs use for a message of a step's channel."""
    return "message" if channel == "email_or_sms" else channel


def _channel_of(record: SendRecord | None) -> Channel | None:
    if record is None:
        return None
    return "sms" if record.channel == "sms" else "email"

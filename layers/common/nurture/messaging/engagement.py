"""SES events (configuration set → SNS → EngagementFunction): what each one means for its send claim.

Each SNS record carries one SES event-publishing record as its ``Message`` (a JSON string). The
event names its claim through our message tags (``contact_id``, ``journey``, ``step``, ``claim_id``:
`nurture.messaging.sending`), so settling it is one consistent read and, at most, one
conditional write (`nurture.messaging.claims.settle`, then the ledger's ``record_sent`` /
``record_failed`` for that claim id). Applying the same event twice changes nothing, which is what
makes SNS's retries harmless: Lambda retries the *whole* invocation when it raises.

Per record: a malformed one (not an SES event) is reported and raised after the others were
applied (`MalformedEvents`: the invocation fails, is retried, and the records already settled are
no-ops the second time); an event without our tags or for a claim that does not exist is ignored
and counted. Nothing here logs an address (SES events carry the recipient's: it is never read).

After settling, three more things per event (`EngagementEvents.apply`):

- a permanent Bounce or a Complaint suppresses the addresses it names for good, a transient Bounce
  is counted and suppresses after the policy's threshold (`Suppressions`; keyed by a hash of the
  address: `nurture.delivery.suppression`). Any message of the configuration set counts, tagged or
  not. The delivery rules check it before every send;

- a claim holding a waiting execution's task token (a send followed by ``wait_for`` an engagement)
  resumes it when the event is the awaited one (Delivery → ``email.delivered``, Open →
  ``email.opened``, Click → ``email.clicked``) with ``{"outcome": "<type>", "at": "<event time>"}``,
  then the token is removed from the claim (conditional on that token). A wait already over
  (timed out, execution stopped, token used: a second click) is counted ``late`` and its token
  removed too; nothing else changes;
- a tagged Delivery, Open, Click, Bounce or Complaint becomes one canonical
  `nurture.events.EmailEngagement` on the events queue, its ``event_id`` derived from the message
  id, the type and SES's timestamp of that event: a redelivered notification gives the same id,
  which ProcessFunction applies once. The invocation's events are queued together at the end;
  failing to queue them fails the invocation (SNS retries it: every step above is idempotent).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ValidationError

from nurture.errors import NurtureError
from nurture.events import EmailEngagement, MessageRef, derive_event_id
from nurture.messaging import claims
from nurture.messaging.claims import ProviderEvent, SendKey, SendRecord

if TYPE_CHECKING:  # the send path (and its Jinja2) is not on the engagement function's path
    from nurture.messaging.sending import EventLog


class MalformedEvents(NurtureError):
    """Some records of the invocation are not SES events (or, ``what`` says, other provider
    events); ``problems`` says which and why (never what they held)."""

    def __init__(self, problems: list[str], *, what: str = "SES event") -> None:
        super().__init__(f"{len(problems)} malformed {what} record(s): {'; '.join(problems)}")
        self.problems = problems


class _Sns(BaseModel):
    MessageId: str
    Message: str


class _SnsRecord(BaseModel):
    """The part of an SNS → Lambda record we read (the rest: signature, topic, attributes)."""

    Sns: _Sns


def ses_event_of(record: Mapping[str, Any]) -> ProviderEvent:
    """The SES event an SNS → Lambda record carries (``Records[].Sns.Message``).

    Raises ValueError naming what is missing; the message never quotes the record."""
    try:
        envelope = _SnsRecord.model_validate(record)
    except ValidationError as exc:
        raise ValueError(f"not an SNS record ({exc.error_count()} problem(s))") from None
    try:
        payload = json.loads(envelope.Sns.Message)
    except ValueError:
        raise ValueError(f"SNS message {envelope.Sns.MessageId}: Message is not JSON") from None
    if not isinstance(payload, Mapping):
        raise ValueError(f"SNS message {envelope.Sns.MessageId}: Message is not a JSON object")
    try:
        return claims.ses_event(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"SNS message {envelope.Sns.MessageId}: not an SES event ({type(exc).__name__})") from None


Settled = Literal[
    "settled_sent", "settled_failed", "unchanged", "not_ours", "unknown_claim", "superseded", "sent_before_resend"
]


class ClaimLedger(Protocol):
    def get(self, key: SendKey) -> SendRecord | None: ...

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None: ...

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None: ...

    def clear_await(self, key: SendKey, *, token: str) -> bool: ...


class TaskTokens(Protocol):
    """`nurture.adapters.sfn_task_tokens.StepFunctionsTaskTokens`: False when the wait was over."""

    def succeed(self, token: str, output: Mapping[str, Any]) -> bool: ...


class Suppressions(Protocol):
    """`nurture.adapters.dynamodb_delivery.DynamoDbSuppressions`."""

    def suppress(self, address: str, *, reason: str, at: datetime) -> None: ...

    def transient_bounce(self, address: str, *, event_id: str, at: datetime) -> bool:
        """True when the address is now suppressed."""
        ...


def apply_feedback(event: ProviderEvent, suppressions: Suppressions) -> int:
    """Suppress what a Bounce or Complaint says should never be mailed again; the number of
    addresses suppressed by this event."""
    if event.kind == "Complaint":
        for address in event.affected:
            suppressions.suppress(address, reason="complaint", at=event.happened_at)
        return len(event.affected)
    if event.kind != "Bounce":
        return 0
    if event.bounce_type == "Permanent":
        for address in event.affected:
            suppressions.suppress(address, reason="bounce", at=event.happened_at)
        return len(event.affected)
    if event.bounce_type == "Transient":
        return sum(
            suppressions.transient_bounce(address, event_id=event.message_id, at=event.happened_at)
            for address in event.affected
        )
    return 0  # Undetermined: SES could not tell; nothing is concluded from it


class EventQueue(Protocol):
    """`nurture.adapters.sqs_events.SqsEventQueue`."""

    def send(self, events: Sequence[Any]) -> None: ...


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical_event(event: ProviderEvent) -> EmailEngagement | None:
    """The canonical event for a tagged Delivery, Open, Click, Bounce or Complaint; None otherwise."""
    event_type = claims.CANONICAL_ENGAGEMENT.get(event.kind)
    if event_type is None or event.key is None:
        return None
    key = event.key
    return EmailEngagement.model_validate(
        {
            "event_id": derive_event_id("nurture", "ses", event_type, f"message/{event.message_id}", event.happened_at),
            "source": "nurture",
            "store": "ses",
            "source_topic": f"ses:{event.kind}",
            "occurred_at": event.happened_at,
            "type": event_type,
            "contact_id": key.contact_id,
            "message": MessageRef(
                message_id=event.message_id, journey=key.journey, step=key.step, enrolment=key.enrolment
            ),
            "link": event.link if event.kind == "Click" else None,
            "bounce_type": event.bounce_type if event.kind == "Bounce" else None,
        }
    )


Resumed = Literal["resumed", "late", "not_awaited"]


@dataclass(frozen=True)
class WaitResumer:
    """A waiting execution resumed by the engagement it waits for (the token on the send claim)."""

    ledger: ClaimLedger
    tokens: TaskTokens

    def apply(self, record: SendRecord, event: ProviderEvent) -> Resumed:
        awaited = record.awaited
        if awaited is None or claims.ENGAGEMENT_OF.get(event.kind) != awaited.event:
            return "not_awaited"
        output = {"outcome": awaited.event, "at": _rfc3339(event.happened_at)}
        resumed = self.tokens.succeed(awaited.token, output)
        # Used or dead, the token never resumes anything again: off the claim, this token only.
        self.ledger.clear_await(record.key, token=awaited.token)
        return "resumed" if resumed else "late"


@dataclass(frozen=True)
class ClaimSettler:
    """An SES event applied to the claim it is tagged with (`claims.settle`)."""

    ledger: ClaimLedger

    def apply(self, event: ProviderEvent) -> Settled:
        return self.settle(event)[0]

    def settle(self, event: ProviderEvent) -> tuple[Settled, SendRecord | None]:
        """The outcome, and the claim as read (None when there is none)."""
        if event.claim_id is None or event.key is None:
            return "not_ours", None  # sent by something else through the configuration set
        record = self.ledger.get(event.key)
        if record is None:
            return "unknown_claim", None
        return self._settle(record, event.key, event.claim_id, event), record

    def _settle(self, record: SendRecord, key: SendKey, claim_id: str, event: ProviderEvent) -> Settled:
        if event.kind == "Send" and record.resends and claim_id != record.claim_id:
            # SES accepted the attempt the reconciler gave up on: the re-send was a second copy.
            return "sent_before_resend"
        settlement = claims.settle(record, event)
        if settlement is None:
            return "unchanged"  # already sent, another claim id, or a kind that proves nothing
        try:
            if settlement.status == claims.SENT:
                self.ledger.record_sent(key, claim_id=claim_id, message_id=settlement.message_id, at=event.occurred_at)
                return "settled_sent"
            self.ledger.record_failed(
                key, claim_id=claim_id, error=settlement.error or event.kind, at=event.occurred_at
            )
            return "settled_failed"
        except claims.ClaimSuperseded:
            return "superseded"  # the claim moved on between the read and the write (a re-send)


@dataclass(frozen=True)
class EngagementEvents:
    settler: ClaimSettler
    log: EventLog
    resumer: WaitResumer | None = None
    queue: EventQueue | None = None
    suppressions: Suppressions | None = None
    parse: Callable[[Mapping[str, Any]], ProviderEvent] = ses_event_of

    def apply(self, records: Iterable[Any]) -> Counter[str]:
        """Every record applied; the malformed ones raised together at the end (`MalformedEvents`)."""
        counts: Counter[str] = Counter()
        problems: list[str] = []
        engagement: list[EmailEngagement] = []
        for index, record in enumerate(records):
            try:
                event = self.parse(record if isinstance(record, Mapping) else {})
            except ValueError as exc:
                problems.append(f"record {index}: {exc}")
                counts["malformed"] += 1
                continue
            outcome, claim = self.settler.settle(event)
            counts[outcome] += 1
            if self.suppressions is not None and event.affected:
                suppressed = apply_feedback(event, self.suppressions)
                if suppressed:
                    counts["suppressed"] += suppressed
                    self.log.info("address suppressed", event_type=event.kind, bounce_type=event.bounce_type)
            if claim is not None and self.resumer is not None:
                resumed = self.resumer.apply(claim, event)
                if resumed != "not_awaited":
                    counts[resumed] += 1
                    self.log.info(
                        "journey wait answered", outcome=resumed, event_type=event.kind, claim_id=event.claim_id
                    )
            canonical = canonical_event(event) if self.queue is not None else None
            if canonical is not None:
                engagement.append(canonical)
            if outcome in ("not_ours", "unknown_claim", "superseded"):
                self.log.info("ses event ignored", reason=outcome, event_type=event.kind, claim_id=event.claim_id)
            elif outcome == "sent_before_resend":
                assert event.key is not None
                self.log.warning(
                    "email sent twice: SES accepted the attempt before its re-send",
                    contact_id=event.key.contact_id,
                    journey=event.key.journey,
                    step=event.key.step,
                    claim_id=event.claim_id,
                )
        if engagement and self.queue is not None:
            self.queue.send(engagement)
            counts["events_queued"] += len(engagement)
        self.log.info("ses events applied", **dict(counts))
        if problems:
            raise MalformedEvents(problems)
        return counts

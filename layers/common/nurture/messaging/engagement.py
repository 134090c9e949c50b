"""SES events (configuration set → SNS → EngagementFunction): what each one means for its send claim.

Each SNS record carries one SES event-publishing record as its ``Message`` (a JSON string). The
event names its claim through our message tags (``contact_id``, ``journey``, ``step``, ``claim_id``:
`nurture.messaging.journey_email`), so settling it is one consistent read and, at most, one
conditional write (`nurture.messaging.claims.settle`, then the ledger's ``record_sent`` /
``record_failed`` for that claim id). Applying the same event twice changes nothing, which is what
makes SNS's retries harmless: Lambda retries the *whole* invocation when it raises.

Per record: a malformed one (not an SES event) is reported and raised after the others were
applied (`MalformedEvents`: the invocation fails, is retried, and the records already settled are
no-ops the second time); an event without our tags or for a claim that does not exist is ignored
and counted. Nothing here logs an address (SES events carry the recipient's: it is never read).

Recording engagement itself (opens, clicks, bounces, complaints → profiles and waiting journeys)
belongs beside `ClaimSettler` in `EngagementEvents.apply`, not inside it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ValidationError

from nurture.errors import NurtureError
from nurture.messaging import claims
from nurture.messaging.claims import ProviderEvent, SendKey, SendRecord

if TYPE_CHECKING:  # the send path (and its Jinja2) is not on the engagement function's path
    from nurture.messaging.journey_email import EventLog


class MalformedEvents(NurtureError):
    """Some records of the invocation are not SES events; ``problems`` says which and why (never
    what they held)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} malformed SES event record(s): {'; '.join(problems)}")
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


@dataclass(frozen=True)
class ClaimSettler:
    """An SES event applied to the claim it is tagged with (`claims.settle`)."""

    ledger: ClaimLedger

    def apply(self, event: ProviderEvent) -> Settled:
        if event.claim_id is None or event.key is None:
            return "not_ours"  # sent by something else through the configuration set
        record = self.ledger.get(event.key)
        if record is None:
            return "unknown_claim"
        if event.kind == "Send" and record.resends and event.claim_id != record.claim_id:
            # SES accepted the attempt the reconciler gave up on: the re-send was a second copy.
            return "sent_before_resend"
        settlement = claims.settle(record, event)
        if settlement is None:
            return "unchanged"  # already sent, another claim id, or a kind that proves nothing
        try:
            if settlement.status == claims.SENT:
                self.ledger.record_sent(
                    event.key, claim_id=event.claim_id, message_id=settlement.message_id, at=event.occurred_at
                )
                return "settled_sent"
            self.ledger.record_failed(
                event.key, claim_id=event.claim_id, error=settlement.error or event.kind, at=event.occurred_at
            )
            return "settled_failed"
        except claims.ClaimSuperseded:
            return "superseded"  # the claim moved on between the read and the write (a re-send)


@dataclass(frozen=True)
class EngagementEvents:
    settler: ClaimSettler
    log: EventLog
    parse: Callable[[Mapping[str, Any]], ProviderEvent] = ses_event_of

    def apply(self, records: Iterable[Any]) -> Counter[str]:
        """Every record applied; the malformed ones raised together at the end (`MalformedEvents`)."""
        counts: Counter[str] = Counter()
        problems: list[str] = []
        for index, record in enumerate(records):
            try:
                event = self.parse(record if isinstance(record, Mapping) else {})
            except ValueError as exc:
                problems.append(f"record {index}: {exc}")
                counts["malformed"] += 1
                continue
            outcome = self.settler.apply(event)
            counts[outcome] += 1
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
        self.log.info("ses events applied", **dict(counts))
        if problems:
            raise MalformedEvents(problems)
        return counts

"""The send claim: who may call the provider for one step of one enrolment, and what came of it
(pure; `nurture.adapters.dynamodb_sends` stores it, `nurture.messaging.sending` drives it).

A claim moves through these states::

    claimed ──> sending ──> sent
       │           ├──────> failed   (the provider answered "no": a later attempt may claim again)
       │           └──────> unknown  (the request went out, no answer: settled by provider events)
       └─ taken over by a later attempt of the same execution (the provider was never called)

    sending | unknown, no event within SETTLE_WITHIN ──> sending again (re-sent once, ``resends`` 1)
    sending | unknown after the re-send, still no event ──> lost (given up: counted, never re-sent)

- ``claimed``: written before anything else; the provider has provably not been called, so a retry
  by the *same execution* takes the claim over (new ``claim_id``) and goes on.
- ``sending``: written just before the provider call. From here on the message may be out: no
  attempt sends again. A retry that finds its own execution's claim still ``sending`` (the attempt
  crashed or timed out during or after the call) marks it ``unknown``.
- ``unknown``: the journey goes on; the claim waits for the provider's events. Every message is
  tagged with its ``claim_id`` (SES ``EmailTags`` and an ``X-Nurture-Claim`` header), so SES's
  Send / Delivery / Bounce / … events settle it (`settle`). A claim still unknown after
  `SETTLE_WITHIN` with no event is re-sent once and counted (`reconcile_unknown`), then given up
  (``lost``). EngagementFunction applies `settle`, ReconcileSendsFunction `reconcile_unknown`.

Each claim records the execution, the attempt (Step Functions' ``$$.State.RetryCount``) and a
``claim_id`` unique to the invocation that took it: every later write of that invocation is
conditioned on it, which makes the writes safe to re-send (botocore retries a write whose answer
was lost) and keeps a superseded invocation from calling the provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from nurture.errors import NurtureError

CLAIMED: Final = "claimed"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"
LOST: Final = "lost"  # unsettled after its one re-send: given up, never sent again
UNSETTLED: Final = frozenset({SENDING, UNKNOWN})

# SES publishes a Send event within seconds of accepting a message; an hour of silence means the
# request never got through (or its events are lost: the one re-send is counted, never repeated).
SETTLE_WITHIN: Final = timedelta(hours=1)
MAX_RESENDS: Final = 1

CLAIM_TAG: Final = "claim_id"  # the SES message tag (and X-Nurture-Claim header) carrying the claim id
CLAIM_HEADER: Final = "X-Nurture-Claim"


@dataclass(frozen=True, slots=True)
class SendKey:
    """One step of one enrolment: a second enrolment (another checkout, next year) claims again."""

    contact_id: str
    journey: str
    step: str
    enrolment: str  # the enrolment id (= the execution name, docs/journeys.md)


@dataclass(frozen=True, slots=True)
class AwaitedEngagement:
    """A `.waitForTaskToken` send: the token the engagement function resumes when SES reports
    ``event`` (``email.clicked``, ...) for this claim's message, until ``until`` (its timeout)."""

    token: str
    event: str
    until: datetime


class ClaimSuperseded(NurtureError):
    """The claim is no longer this invocation's (a later attempt of the execution took it over):
    this invocation must not call the provider."""

    def __init__(self, key: SendKey) -> None:
        super().__init__(f"the claim on {key.enrolment}/{key.step} is held by a later attempt")
        self.key = key


@dataclass(frozen=True, slots=True)
class SendRecord:
    """One claim as stored (``CONTACT#<contact_id>`` / ``SEND#<enrolment id>#<step>``)."""

    contact_id: str
    journey: str
    step: str
    status: str
    claims: int  # claims taken: 1, more after definite failures or takeovers
    claim_id: str | None = None
    execution: str | None = None
    attempt: int | None = None
    claimed_at: datetime | None = None
    sending_at: datetime | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    unknown_at: datetime | None = None
    error: str | None = None
    resends: int = 0  # re-sends by the reconciler (at most MAX_RESENDS)
    lost_at: datetime | None = None
    enrolment: str = ""
    awaited: AwaitedEngagement | None = None  # a waiting execution's token (removed once resumed)
    transactional: bool = False  # a double opt-in confirmation: its re-send needs no marketing consent
    channel: str = "email"  # "sms" for a text message (claims written before SMS have no channel: email)
    segments: int | None = None  # an SMS: how many segments it was billed as
    encoding: str | None = None  # an SMS: GSM-7 or UCS-2
    template: str | None = None  # the template set rendered, when not the step's default (``<journey>/<step>``)

    @property
    def key(self) -> SendKey:
        return SendKey(self.contact_id, self.journey, self.step, self.enrolment)


# ---------------------------------------------------------------- a retry meets an existing claim

Verdict = Literal["already_sent", "outcome_unknown", "already_claimed"]


def verdict_on_existing(record: SendRecord | None, execution: str) -> Verdict:
    """What an attempt does when its claim is refused (the condition let it through otherwise).

    ``sending`` or ``unknown`` under this very execution: an earlier attempt of ours called (or was
    about to call) the provider and never learnt the answer. Anything else belongs to someone else.
    """
    if record is None:
        return "already_claimed"
    if record.status == SENT:
        return "already_sent"
    if record.status in (SENDING, UNKNOWN) and record.execution == execution:
        return "outcome_unknown"
    return "already_claimed"


# ---------------------------------------------------------------- provider events settle unknowns

# SES event types that prove SES accepted the message (it sent, delivered, or tried to).
_ACCEPTED: Final = frozenset({"Send", "Delivery", "DeliveryDelay", "Bounce", "Complaint", "Open", "Click"})
# SES took the request, then refused the message (a virus): it will never be delivered.
_REFUSED: Final = frozenset({"Reject"})


# The engagement a journey may wait for, by the SES event type that reports it.
ENGAGEMENT_OF: Final = {"Delivery": "email.delivered", "Open": "email.opened", "Click": "email.clicked"}
# SES event types that become canonical events (nurture.events.EmailEngagement).
CANONICAL_ENGAGEMENT: Final = {
    **ENGAGEMENT_OF,
    "Bounce": "email.bounced",
    "Complaint": "email.complained",
}
# Where each SES event type keeps its own details (and its timestamp) in the record.
_DETAIL_OF: Final = {
    "Send": "send",
    "Delivery": "delivery",
    "DeliveryDelay": "deliveryDelay",
    "Bounce": "bounce",
    "Complaint": "complaint",
    "Reject": "reject",
    "Open": "open",
    "Click": "click",
}


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    kind: str  # SES eventType: Send, Delivery, Bounce, Complaint, Reject, Open, Click, DeliveryDelay, ...
    message_id: str
    occurred_at: datetime  # when the message was sent (SES's mail.timestamp)
    claim_id: str | None  # our tag, None on a message we did not tag
    key: SendKey | None = None  # from our contact_id / journey / step / enrolment tags, None when one is missing
    event_at: datetime | None = None  # when this event happened (the open, the click), when SES says
    link: str | None = None  # the link clicked (Click)
    bounce_type: str | None = None  # Permanent, Transient, Undetermined (Bounce)
    # The addresses a Bounce or Complaint names: only for the suppression list, never printed.
    affected: tuple[str, ...] = field(default=(), repr=False)

    @property
    def happened_at(self) -> datetime:
        return self.event_at or self.occurred_at


def _instant(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def ses_event(payload: Mapping[str, Any]) -> ProviderEvent:
    """An SES event-publishing record (configuration set → SNS/Firehose/EventBridge) as a ProviderEvent."""
    mail = payload["mail"]
    kind = str(payload.get("eventType") or payload.get("notificationType"))
    tags = mail.get("tags") or {}

    def tag(name: str) -> str | None:
        values = tags.get(name) or []
        return str(values[0]) if values else None

    contact_id, journey, step, enrolment = tag("contact_id"), tag("journey"), tag("step"), tag("enrolment")
    detail = payload.get(_DETAIL_OF.get(kind, "")) or {}
    if not isinstance(detail, Mapping):
        detail = {}
    link, bounce_type = detail.get("link"), detail.get("bounceType")
    listed = detail.get("bouncedRecipients") or detail.get("complainedRecipients") or []
    affected = tuple(
        str(entry["emailAddress"]) for entry in listed if isinstance(entry, Mapping) and entry.get("emailAddress")
    )
    return ProviderEvent(
        kind=kind,
        message_id=str(mail["messageId"]),
        occurred_at=_instant(mail["timestamp"]),
        claim_id=tag(CLAIM_TAG),
        key=SendKey(contact_id, journey, step, enrolment) if contact_id and journey and step and enrolment else None,
        event_at=_instant(detail["timestamp"]) if detail.get("timestamp") else None,
        link=str(link) if link else None,
        bounce_type=str(bounce_type) if bounce_type else None,
        affected=affected,
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    status: str  # SENT or FAILED
    message_id: str
    error: str | None = None


def settle(record: SendRecord, event: ProviderEvent) -> Settlement | None:
    """What a provider event says about this claim, or None when it changes nothing.

    Only an event tagged with this claim's id counts. An event proving acceptance settles an
    unsettled claim as sent (with SES's message id); a Reject settles it as failed. A claim already
    ``sent`` stays as it is, and so does one whose claim id moved on.
    """
    if event.claim_id is None or event.claim_id != record.claim_id or record.status == SENT:
        return None
    if event.kind in _ACCEPTED:
        return Settlement(SENT, event.message_id)
    if event.kind in _REFUSED:
        return Settlement(FAILED, event.message_id, error=f"SES {event.kind}")
    return None


Reconciliation = Literal["settled", "wait", "resend", "give_up"]


def reconcile_unknown(record: SendRecord, now: datetime) -> Reconciliation:
    """For a claim no event has settled: wait for events, re-send once, or give up (and say so).

    ``sending`` counts as unknown once `SETTLE_WITHIN` has passed: its attempt died mid-call. An SMS
    is never re-sent: a second text is a cost and a nuisance, and no SNS event proves the first
    never went (its status log may simply be off); it is given up at once.
    """
    if record.status not in UNSETTLED:
        return "settled"
    since = record.unknown_at or record.sending_at or record.claimed_at
    if since is not None and now - since < SETTLE_WITHIN:
        return "wait"
    if record.channel == "sms":
        return "give_up"
    return "resend" if record.resends < MAX_RESENDS else "give_up"

"""The send reconciler: claims no SES event settled, re-sent once, then given up (ReconcileSendsFunction).

Every run reads the claims unsettled (``sending`` or ``unknown``) for longer than
`claims.SETTLE_WITHIN` from the ledger's sparse index (never the table), reads each one again
(strongly consistent: the index lags) and carries out `claims.reconcile_unknown`:

- ``resend``: `JourneySender.resend`, whose conditional write lets one reconciler of any number
  running at once send (``resends`` becomes 1; the others count ``raced``);
- ``give_up``: the claim becomes ``lost`` (leaves the index, is never sent again), logged as a
  warning with its claim id and counted. An SMS claim is given up without a re-send (a second text
  is a cost and a nuisance, and no SNS event proves the first never went: docs/sms.md);
- ``wait`` / ``settled``: an event or a write arrived since the index was read: nothing to do.

A failure on one claim is counted and the run goes on; the run then raises
`ReconciliationIncomplete`, so the invocation shows as failed (EventBridge retries it, and the next
schedule runs anyway). Every write is conditioned on the claim id read, so a retry or an overlapping
run cannot send twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from nurture.errors import NurtureError
from nurture.messaging import claims, delivery
from nurture.messaging.claims import SendKey, SendRecord
from nurture.messaging.rendering import RenderError
from nurture.messaging.sending import EventLog, SendResult, utc_now

Outcome = Literal[
    "resent", "resend_unknown", "resend_deferred", "resend_skipped", "raced", "given_up", "wait", "settled", "vanished"
]


class ReconciliationIncomplete(NurtureError):
    def __init__(self, failed: int) -> None:
        super().__init__(f"{failed} unsettled claim(s) could not be reconciled this run; the next run retries them")
        self.failed = failed


class UnsettledClaims(Protocol):
    """The ledger as the reconciler uses it (`nurture.adapters.dynamodb_sends.SendLedger`)."""

    def unsettled(self, *, since_at_most: datetime) -> Iterator[SendKey]: ...

    def get(self, key: SendKey) -> SendRecord | None: ...

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None: ...


class Resender(Protocol):
    def resend(self, record: SendRecord) -> SendResult: ...


@dataclass(frozen=True)
class Reconciler:
    ledger: UnsettledClaims
    sender: Resender
    log: EventLog
    clock: Callable[[], datetime] = utc_now

    def run(self) -> Counter[str]:
        now = self.clock()
        counts: Counter[str] = Counter()
        for key in self.ledger.unsettled(since_at_most=now - claims.SETTLE_WITHIN):
            try:
                counts[self.reconcile(key, now)] += 1
            except (NurtureError, RenderError, ValueError) as exc:
                # One claim's trouble (the table, SES's definite refusal, a template) must not
                # keep the others waiting: counted, logged with the claim, raised at the end.
                counts["failed"] += 1
                self.log.warning(
                    "send claim not reconciled",
                    error_type=type(exc).__name__,
                    contact_id=key.contact_id,
                    journey=key.journey,
                    step=key.step,
                )
        self.log.info("send claims reconciled", **dict(counts))
        if counts["failed"]:
            raise ReconciliationIncomplete(counts["failed"])
        return counts

    def reconcile(self, key: SendKey, now: datetime) -> Outcome:
        record = self.ledger.get(key)
        if record is None:
            return "vanished"
        decision = claims.reconcile_unknown(record, now)
        if decision == "resend":
            result = self.sender.resend(record)
            if result.status == "sent":
                return "resent"
            if result.status == "unknown":
                return "resend_unknown"
            if result.status == "deferred":
                return "resend_deferred"  # quiet hours in the recipient's zone: a later run sends it
            return "raced" if result.reason == delivery.ALREADY_CLAIMED else "resend_skipped"
        if decision == "give_up":
            assert record.claim_id is not None
            try:
                self.ledger.give_up(key, claim_id=record.claim_id, at=now)
            except claims.ClaimSuperseded:
                return "raced"  # settled or given up by another run since the read
            self.log.warning(
                "sms lost: no delivery status log"
                if record.channel == "sms"
                else "email lost: no SES event after its re-send",
                contact_id=key.contact_id,
                journey=key.journey,
                step=key.step,
                claim_id=record.claim_id,
                resends=record.resends,
            )
            return "given_up"
        return decision

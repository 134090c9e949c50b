"""The hourly refresh pass (docs/scoring.md, "The refresh pass"): which contacts time alone changes,
and the daily VIP threshold. Pure: the I/O is behind the ports of :class:`RefreshPass`.

1. **Due contacts.** ProcessFunction stores on each profile when its scores, tier or segments next
   change by time alone (``due_at``; the sparse ``due`` index). Every run sends a
   ``contact.refresh`` for each contact due by now; ProcessFunction assesses it like any event and
   stores the next ``due_at``. The event's id derives from ``due_at``: a rerun, or a contact the
   index still lists because its refresh is not applied yet, sends the very same event, applied
   once. At most ``max_events`` a run: the rest stay due and the next run sends them.
2. **The VIP threshold**, once a day (the stored one is 20 hours old or more, or was computed with
   another ``top_percent``): `vip_threshold` of every customer's CLV, written to the settings item.
   When it moved, the contacts whose VIP standing differs between the old and the new threshold get
   a ``contact.refresh`` (``due_at``: the new threshold's ``computed_at``), delayed by
   `THRESHOLD_REFRESH_DELAY` so that ProcessFunction, which keeps the threshold up to 10 minutes,
   reads the new one when it applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import batched, islice
from typing import Any, Final, NamedTuple, Protocol

from nurture.events import ContactRefresh, derive_event_id
from nurture.scoring.tiers import reaches_vip, vip_threshold

SOURCE: Final = "nurture"
STORE = "refresh"
TOPIC = "refresh"
# "Once a day" for an hourly schedule whose runs drift by a few minutes.
THRESHOLD_EVERY = timedelta(hours=20)
# SQS's longest per-message delay; above ProcessFunction's 10 minutes of caching the threshold.
THRESHOLD_REFRESH_DELAY = timedelta(minutes=15)
_SEND_BATCH = 100  # events per sink call (the queue adapter sends them ten at a time)


class Due(NamedTuple):
    """A contact the ``due`` index lists, and when it became due."""

    contact_id: str
    due_at: datetime


class Valued(NamedTuple):
    """A customer the ``customer_value`` index lists, with its CLV."""

    contact_id: str
    clv: Decimal


@dataclass(frozen=True)
class VipThreshold:
    """The settings item: the threshold (None: no customer to rank yet), how many CLVs it ranked,
    with which ``top_percent``, and when."""

    value: Decimal | None
    customers: int
    top_percent: Decimal
    computed_at: datetime


def refresh_event(contact_id: str, due_at: datetime) -> ContactRefresh:
    """The wake-up call for one contact, its id from ``due_at`` (docs/scoring.md, derived events)."""
    return ContactRefresh(
        event_id=derive_event_id(SOURCE, STORE, "contact.refresh", f"contact/{contact_id}", due_at),
        source=SOURCE,
        store=STORE,
        source_topic=TOPIC,
        occurred_at=due_at,
        contact_id=contact_id,
        due_at=due_at,
    )


def threshold_is_stale(stored: VipThreshold | None, now: datetime, top_percent: Decimal) -> bool:
    return stored is None or stored.top_percent != top_percent or now - stored.computed_at >= THRESHOLD_EVERY


def threshold_range(old: Decimal | None, new: Decimal | None) -> tuple[Decimal, Decimal | None] | None:
    """The CLVs (low, high; None: unbounded) between two thresholds, where VIP standing may differ;
    None when it cannot differ anywhere (the same threshold, or neither)."""
    if old == new:
        return None
    if old is None or new is None:
        bound = new if old is None else old
        assert bound is not None
        return (bound, None)
    return (min(old, new), max(old, new))


def standing_changed(clv: Decimal, old: Decimal | None, new: Decimal | None) -> bool:
    return reaches_vip(clv, old) != reaches_vip(clv, new)


# ---- Ports (adapters: nurture.adapters.dynamodb_insights, nurture.adapters.sqs_events) ----


class DueContacts(Protocol):
    def due(self, now: datetime) -> Iterator[Due]: ...


class CustomerValues(Protocol):
    def values(self) -> list[Decimal]: ...

    def between(self, low: Decimal, high: Decimal | None) -> list[Valued]: ...


class ThresholdStore(Protocol):
    def get(self) -> VipThreshold | None: ...

    def put(self, threshold: VipThreshold, *, replacing: VipThreshold | None) -> bool: ...


class EventSink(Protocol):
    def send(self, events: Sequence[ContactRefresh], *, delay_seconds: int = 0) -> None: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


@dataclass
class RefreshPass:
    due_index: DueContacts
    values: CustomerValues
    thresholds: ThresholdStore
    sink: EventSink
    log: Log
    clock: Callable[[], datetime]
    top_percent: Decimal
    max_events: int

    def run(self) -> dict[str, object]:
        now = self.clock()
        due, more_due = self._send_due(now)
        threshold, recomputed, moved = self._recompute_threshold(now)
        return {
            "due": due,
            "more_due": more_due,
            "events": due + moved,
            "threshold": None if threshold is None or threshold.value is None else str(threshold.value),
            "customers": 0 if threshold is None else threshold.customers,
            "threshold_recomputed": recomputed,
            "threshold_refreshes": moved,
        }

    def _send_due(self, now: datetime) -> tuple[int, bool]:
        """Send up to ``max_events`` due contacts, a batch at a time, as the index pages come in;
        (sent, whether more are due)."""
        contacts = self.due_index.due(now)
        sent = 0
        for batch in batched(islice(contacts, self.max_events), _SEND_BATCH):
            self.sink.send([refresh_event(contact.contact_id, contact.due_at) for contact in batch])
            sent += len(batch)
        more = next(contacts, None) is not None
        self.log.info("refresh: due contacts sent", events=sent, more_due=more)
        return sent, more

    def _recompute_threshold(self, now: datetime) -> tuple[VipThreshold | None, bool, int]:
        """(the threshold in force, whether this run computed it, contacts refreshed for it).

        The refreshes go out before the threshold is written: a run that fails in between
        leaves the old threshold, and the next run computes and sends again (never lost; at
        worst sent twice, which only costs a second assessment)."""
        stored = self.thresholds.get()
        if not threshold_is_stale(stored, now, self.top_percent):
            return stored, False, 0
        values = self.values.values()
        computed = VipThreshold(vip_threshold(values, self.top_percent), len(values), self.top_percent, now)
        old = None if stored is None else stored.value
        refreshed = self._refresh_between(old, computed)
        if not self.thresholds.put(computed, replacing=stored):
            self.log.info("refresh: another run wrote the VIP threshold first", refreshes=refreshed)
            return self.thresholds.get(), False, refreshed
        self.log.info(
            "refresh: VIP threshold computed",
            customers=computed.customers,
            threshold=None if computed.value is None else str(computed.value),
            moved=old != computed.value,
            refreshes=refreshed,
        )
        return computed, True, refreshed

    def _refresh_between(self, old: Decimal | None, new: VipThreshold) -> int:
        span = threshold_range(old, new.value)
        if span is None:
            return 0
        changed = [c for c in self.values.between(*span) if standing_changed(c.clv, old, new.value)]
        delay = int(THRESHOLD_REFRESH_DELAY.total_seconds())
        for batch in batched(changed, _SEND_BATCH):
            events = [refresh_event(customer.contact_id, new.computed_at) for customer in batch]
            self.sink.send(events, delay_seconds=delay)
        return len(changed)

"""The daily lapsed scan (docs/journeys.md, "The daily lapsed scan"): which days to read and the
``contact.lapsed`` events to send. Pure: the I/O is behind the ports of :class:`LapsedScan`.

A contact lapses on the day its last order is ``after_days`` old. The scan reads the sparse
``lapsed`` index one ``last_order_day`` partition at a time, from the cursor (the first day not
scanned yet) up to ``today - after_days``, at most ``max_days`` per run: a run missed (an outage,
a failed invocation) is caught up by the next ones, and a backlog never makes one run time out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from nurture.events import ContactLapsed, derive_event_id

SOURCE: Final = "nurture"
STORE = "scan"
TOPIC = "scan/lapsed"


@dataclass(frozen=True)
class ScanWindow:
    """The days one run reads (oldest first) and how many remain for the next runs."""

    days: tuple[date, ...]
    behind: int


def days_to_scan(cursor: date | None, today: date, *, after_days: int, max_days: int) -> ScanWindow:
    """The ``last_order_day`` partitions to read today. Without a cursor (the first run after a
    deploy) only the day lapsing today: contacts who lapsed before Nurture watched are not
    re-discovered all at once."""
    target = today - timedelta(days=after_days)
    first = target if cursor is None else cursor
    if first > target:
        return ScanWindow((), 0)
    pending = (target - first).days + 1
    count = min(pending, max_days)
    return ScanWindow(tuple(first + timedelta(days=offset) for offset in range(count)), pending - count)


@dataclass(frozen=True)
class LastOrder:
    """What the scan reads of a profile the index listed."""

    contact_id: str
    last_order_at: datetime


def lapsed_event(contact_id: str, last_order_at: datetime, *, after_days: int) -> ContactLapsed:
    """The event for one contact. Its id and every field derive from the last order, so a rerun
    (or a catch-up overlapping a run that failed half-way) sends the very same event."""
    return ContactLapsed(
        event_id=derive_event_id(SOURCE, STORE, "contact.lapsed", f"contact/{contact_id}", last_order_at),
        source=SOURCE,
        store=STORE,
        source_topic=TOPIC,
        occurred_at=last_order_at + timedelta(days=after_days),
        contact_id=contact_id,
        last_order_at=last_order_at,
        days=after_days,
    )


def still_lapsed_on(order: LastOrder, day: date) -> bool:
    """The index is eventually consistent: a contact who ordered since it was read is not lapsed."""
    return order.last_order_at.astimezone(UTC).date() == day


# ---- Ports (adapters: nurture.adapters.dynamodb_lapsed, nurture.adapters.sqs_events) ----


class LapsedIndex(Protocol):
    def cursor(self) -> date | None: ...

    def advance(self, previous: date | None, to: date) -> bool:
        """Move the cursor from ``previous`` to ``to``; False when another run moved it first."""
        ...

    def contacts_on(self, day: date) -> list[str]:
        """The contact ids whose ``last_order_day`` is ``day`` (all pages)."""
        ...

    def last_orders(self, contact_ids: Sequence[str]) -> list[LastOrder]: ...


class EventSink(Protocol):
    def send(self, events: Sequence[ContactLapsed]) -> None: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


@dataclass
class LapsedScan:
    index: LapsedIndex
    sink: EventSink
    log: Log
    clock: Callable[[], datetime]
    after_days: int
    max_days: int

    def run(self) -> dict[str, object]:
        today = self.clock().astimezone(UTC).date()
        cursor = self.index.cursor()
        window = days_to_scan(cursor, today, after_days=self.after_days, max_days=self.max_days)
        sent = 0
        scanned = 0
        for day in window.days:
            ids = self.index.contacts_on(day)
            events = [
                lapsed_event(order.contact_id, order.last_order_at, after_days=self.after_days)
                for order in self.index.last_orders(ids)
                if still_lapsed_on(order, day)
            ]
            if events:
                self.sink.send(events)
            # Sent before the cursor moves: a crash in between resends the same ids, never skips.
            if not self.index.advance(cursor, day + timedelta(days=1)):
                self.log.info("lapsed scan: another run moved the cursor", day=day.isoformat())
                break
            cursor = day + timedelta(days=1)
            scanned += 1
            sent += len(events)
            self.log.info("lapsed scan: day scanned", day=day.isoformat(), contacts=len(ids), events=len(events))
        behind = window.behind + len(window.days) - scanned
        if behind:
            self.log.info("lapsed scan: catching up", days_behind=behind)
        return {
            "days_scanned": scanned,
            "events": sent,
            "days_behind": behind,
            "next_day": cursor.isoformat() if cursor else None,
        }

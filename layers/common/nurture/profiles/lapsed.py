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
from typing import Final, Protocol

from nurture.events import ContactLapsed, derive_event_id
from nurture.profiles.scans import DayScanned, EventSink, Log, ScanCursor, ScanWindow, days_to_scan, scan_days

__all__ = ["ScanWindow", "days_to_scan"]  # the lapsed scan's tests read them here

SOURCE: Final = "nurture"
STORE = "scan"
TOPIC = "scan/lapsed"


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


class LapsedIndex(ScanCursor, Protocol):
    def contacts_on(self, day: date) -> list[str]:
        """The contact ids whose ``last_order_day`` is ``day`` (all pages)."""
        ...

    def last_orders(self, contact_ids: Sequence[str]) -> list[LastOrder]: ...


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
        return scan_days(
            "lapsed", window, cursor, read_day=self._read_day, index=self.index, sink=self.sink, log=self.log
        )

    def _read_day(self, day: date) -> DayScanned:
        ids = self.index.contacts_on(day)
        events = [
            lapsed_event(order.contact_id, order.last_order_at, after_days=self.after_days)
            for order in self.index.last_orders(ids)
            if still_lapsed_on(order, day)
        ]
        return DayScanned(len(ids), events)

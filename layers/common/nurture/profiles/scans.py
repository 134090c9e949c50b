"""What the daily scans (lapsed, birthday) share: the days a run reads from its cursor, and the loop
that reads a day, sends its events and then moves the cursor (pure: the I/O is behind the ports).

The cursor is the first day not scanned yet. A day's events are sent before the cursor moves past
it: a crash in between resends the same ids (ProcessFunction applies each once), never skips a day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from nurture.events import CanonicalEvent


@dataclass(frozen=True)
class ScanWindow:
    """The days one run reads (oldest first) and how many remain for the next runs."""

    days: tuple[date, ...]
    behind: int


def days_to_scan(cursor: date | None, today: date, *, after_days: int, max_days: int) -> ScanWindow:
    """The days to read, up to ``today - after_days``. Without a cursor (the first run after a
    deploy) only that last day: what happened before Nurture watched is not re-discovered at once."""
    target = today - timedelta(days=after_days)
    first = target if cursor is None else cursor
    if first > target:
        return ScanWindow((), 0)
    pending = (target - first).days + 1
    count = min(pending, max_days)
    return ScanWindow(tuple(first + timedelta(days=offset) for offset in range(count)), pending - count)


class ScanCursor(Protocol):
    def cursor(self) -> date | None: ...

    def advance(self, previous: date | None, to: date) -> bool:
        """Move the cursor from ``previous`` to ``to``; False when another run moved it first."""
        ...


class EventSink(Protocol):
    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


@dataclass(frozen=True)
class DayScanned:
    """What reading one day found: how many index entries, and the events to send."""

    entries: int
    events: Sequence[CanonicalEvent]


def scan_days(
    name: str,
    window: ScanWindow,
    cursor: date | None,
    *,
    read_day: Callable[[date], DayScanned],
    index: ScanCursor,
    sink: EventSink,
    log: Log,
) -> dict[str, object]:
    """Read each day of ``window``, send its events, move the cursor past it. Stops when another run
    moved the cursor first. The run's answer: ``days_scanned``, ``events``, ``days_behind``,
    ``next_day``."""
    sent = 0
    scanned = 0
    for day in window.days:
        found = read_day(day)
        if found.events:
            sink.send(found.events)
        if not index.advance(cursor, day + timedelta(days=1)):
            log.info(f"{name} scan: another run moved the cursor", day=day.isoformat())
            break
        cursor = day + timedelta(days=1)
        scanned += 1
        sent += len(found.events)
        log.info(f"{name} scan: day scanned", day=day.isoformat(), contacts=found.entries, events=len(found.events))
    behind = window.behind + len(window.days) - scanned
    if behind:
        log.info(f"{name} scan: catching up", days_behind=behind)
    return {
        "days_scanned": scanned,
        "events": sent,
        "days_behind": behind,
        "next_day": cursor.isoformat() if cursor else None,
    }

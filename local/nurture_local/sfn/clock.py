"""Clocks for the local executor.

Time is kept as float seconds since the Unix epoch (UTC). The virtual clock only moves when the
executor advances it, so a 30-day journey runs in milliseconds and every run is reproducible.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    virtual: bool

    def now(self) -> float: ...

    def set(self, when: float) -> None: ...


class VirtualClock:
    """A clock that stands still until the executor moves it forward (never backward)."""

    virtual = True

    def __init__(self, start: datetime | float | None = None) -> None:
        if start is None:
            start = datetime(2026, 1, 1, tzinfo=UTC)
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("the virtual clock needs a timezone-aware start time")
            start = start.timestamp()
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        if when > self._now:
            self._now = when


class RealClock:
    """Wall-clock time, for the local server; the executor sleeps for real until work is due."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def set(self, when: float) -> None:  # real time cannot be moved
        return None


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


@lru_cache(maxsize=1024)  # thousands of executions share each virtual instant
def iso_timestamp(epoch: float) -> str:
    """The timestamp format of the context object, e.g. ``2026-01-01T00:00:00.000Z``."""
    stamp = datetime.fromtimestamp(epoch, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> float | None:
    """An RFC 3339 timestamp (any offset, 'Z' allowed) as epoch seconds; None if it is not one."""
    if not isinstance(text, str) or "T" not in text:
        return None
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()

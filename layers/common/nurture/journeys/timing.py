"""When a journey wakes up next (pure): a task before a Wait returns this instant and the Wait reads
it (``TimestampPath``), so "2 days, then 10:00 in the contact's zone" costs one transition.

Local times go through `zoneinfo`: a time of day that does not exist on a day the clocks spring
forward (02:30 in Paris on the last Sunday of March) is taken as the same wall-clock distance past
the change (03:30); one that happens twice when they fall back is the first of the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def contact_zone(time_zone: str | None) -> ZoneInfo:
    """The contact's zone, UTC when unknown or not an IANA name."""
    if not time_zone:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: in a gap this is the wall time shifted past the change; in an overlap, the first one.
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def _yearly(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def next_wake_up(
    now: datetime,
    seconds: int | None = None,
    at: time | None = None,
    until: date | datetime | None = None,
    time_zone: str | None = None,
) -> datetime:
    """The UTC instant a Wait should end, never before ``now``.

    - ``seconds``: that long after now;
    - ``at``: the first local time of day ``at`` (in ``time_zone``) at or after now + ``seconds``;
    - ``until`` a datetime: that instant (now when it has passed);
    - ``until`` a date: that day at ``at`` (midnight without it) in the contact's zone; a date that
      has passed is taken as a yearly date (a birthday): its next anniversary.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    zone = contact_zone(time_zone)
    if isinstance(until, datetime):
        instant = until if until.tzinfo is not None else until.replace(tzinfo=zone)
        return max(instant.astimezone(UTC), now)
    if isinstance(until, date):
        at_time = at or time(0, 0)
        candidate = _local(until, at_time, zone)
        year = now.astimezone(zone).year
        while candidate < now:
            candidate = _local(_yearly(until, year), at_time, zone)
            year += 1
        return candidate
    base = now + timedelta(seconds=seconds or 0)
    if at is None:
        return base
    day = base.astimezone(zone).date()
    candidate = _local(day, at, zone)
    while candidate < base:
        day += timedelta(days=1)
        candidate = _local(day, at, zone)
    return candidate


def rfc3339(moment: datetime) -> str:
    """``2026-03-29T08:00:00Z``: what a Wait's TimestampPath reads (whole seconds, UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

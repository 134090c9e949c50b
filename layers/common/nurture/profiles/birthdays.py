"""The daily birthday scan (docs/journeys.md, "The daily birthday scan"): whose birthday to
announce on a run and the ``contact.birthday`` events. Pure: the I/O is behind the ports of
:class:`BirthdayScan`.

The rule: a run at instant T sends ``contact.birthday`` to a contact when its anniversary equals
its local date at T plus one day, the day after today in its own zone, so that a journey can wait
for the configured local hour on the day itself (always ahead). The scan runs once a day at 12:00
UTC (`RUN_TIME`): local dates then are the UTC date D (zones UTC-12 to UTC+11:59) or D + 1 (UTC+12
to UTC+14, where it is 00:00 to 02:00), so the anniversaries to look for are D + 1 and D + 2 (and
February 29 when one of them is February 28 of a common year: such birthdays are celebrated then).
Each zone's local time at that hour is far from midnight or moves away from it when its clocks
change, so consecutive runs see consecutive local dates: none skipped, none repeated.

Each run day is one reading of the ``birthday`` index's partitions for those MM-DD; the days come
from the scan's cursor (`nurture.profiles.scans`), at most `MAX_LATE_DAYS` back: a birthday found
late is still sent (the journey's wait then answers at once or at the next allowed hour), one more
than a week late is not.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Protocol

from nurture.delivery.zones import recipient_zone
from nurture.events import ContactBirthday, derive_event_id
from nurture.profiles.scans import DayScanned, EventSink, Log, ScanCursor, days_to_scan, scan_days

SOURCE: Final = "nurture"
STORE: Final = "scan"
TOPIC: Final = "scan/birthday"
RUN_TIME: Final = time(12, 0)  # UTC: the schedule's cron(0 12 * * ? *)
MAX_LATE_DAYS: Final = 7
_LEAP_DAY = "02-29"


def month_day(birthday: date) -> str:
    """The ``birthday_md`` index key: ``MM-DD``."""
    return f"{birthday.month:02d}-{birthday.day:02d}"


def celebrated_on(md: str, year: int) -> date:
    """The day a ``MM-DD`` birthday is celebrated in ``year``: February 29 is February 28 in a
    common year. Raises ValueError for a text that is no day of the year."""
    month, day = (int(part) for part in md.split("-"))
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def run_instant(day: date) -> datetime:
    """The instant of the scheduled run of ``day`` (a catch-up reads a day as that run would have)."""
    return datetime.combine(day, RUN_TIME, UTC)


def last_run_day(now: datetime) -> date:
    """The latest day whose run instant is not after ``now`` (a manual run in the morning reads yesterday)."""
    return (now.astimezone(UTC) - timedelta(hours=RUN_TIME.hour, minutes=RUN_TIME.minute)).date()


def anniversary_at(instant: datetime, time_zone: str | None, country_code: str | None, default: str | None) -> date:
    """The day after the contact's local date at ``instant``: the anniversary a run then announces.
    The zone as journeys count local hours (`recipient_zone`)."""
    return instant.astimezone(recipient_zone(time_zone, country_code, default)).date() + timedelta(days=1)


def month_days_to_read(day: date) -> tuple[str, ...]:
    """The ``birthday_md`` partitions the run of ``day`` reads (2 or 3)."""
    keys: list[str] = []
    for ahead in (1, 2):
        target = day + timedelta(days=ahead)
        keys.append(month_day(target))
        if (target.month, target.day) == (2, 28) and not calendar.isleap(target.year):
            keys.append(_LEAP_DAY)
    return tuple(keys)


@dataclass(frozen=True)
class BirthdayEntry:
    """What the index holds of a contact with a birthday on a ``MM-DD`` (its projection)."""

    contact_id: str
    month_day: str
    time_zone: str | None
    country_code: str | None


def birthday_event(contact_id: str, celebrated: date, at: datetime) -> ContactBirthday:
    """Its id derives from the contact and the day celebrated: a rerun, or a catch-up overlapping a
    run that failed half-way, sends the very same event."""
    return ContactBirthday(
        event_id=derive_event_id(SOURCE, STORE, "contact.birthday", f"contact/{contact_id}", celebrated.isoformat()),
        source=SOURCE,
        store=STORE,
        source_topic=TOPIC,
        occurred_at=at,
        contact_id=contact_id,
        date=celebrated,
    )


def birthdays_on(day: date, entries: Sequence[BirthdayEntry], default_zone: str | None) -> list[ContactBirthday]:
    """The events of the run of ``day``: the entries whose birthday, celebrated in the year of the
    anniversary, is that anniversary."""
    at = run_instant(day)
    events = []
    for entry in entries:
        anniversary = anniversary_at(at, entry.time_zone, entry.country_code, default_zone)
        try:
            celebrated = celebrated_on(entry.month_day, anniversary.year)
        except ValueError:
            continue  # not a day of the year: the profile store never writes one
        if celebrated == anniversary:
            events.append(birthday_event(entry.contact_id, celebrated, at))
    return events


# ---- Ports (adapters: nurture.adapters.dynamodb_birthdays, nurture.adapters.sqs_events) ----


class BirthdayIndex(ScanCursor, Protocol):
    def entries(self, month_day: str) -> list[BirthdayEntry]:
        """The contacts whose ``birthday_md`` is ``month_day`` (all pages)."""
        ...


@dataclass
class BirthdayScan:
    index: BirthdayIndex
    sink: EventSink
    log: Log
    clock: Callable[[], datetime]
    default_zone: str | None = None

    def run(self) -> dict[str, object]:
        last = last_run_day(self.clock())
        cursor = self.index.cursor()
        oldest = last - timedelta(days=MAX_LATE_DAYS)
        if cursor is not None and cursor < oldest:
            # Days more than a week late are dropped: a birthday wish that late is no longer one.
            self.log.info("birthday scan: days too late skipped", days=(oldest - cursor).days)
            if not self.index.advance(cursor, oldest):
                self.log.info("birthday scan: another run moved the cursor")
                return {"days_scanned": 0, "events": 0, "days_behind": 0, "next_day": None}
            cursor = oldest
        window = days_to_scan(cursor, last, after_days=0, max_days=MAX_LATE_DAYS + 1)
        return scan_days(
            "birthday", window, cursor, read_day=self._read_day, index=self.index, sink=self.sink, log=self.log
        )

    def _read_day(self, day: date) -> DayScanned:
        entries = [entry for md in month_days_to_read(day) for entry in self.index.entries(md)]
        return DayScanned(len(entries), birthdays_on(day, entries, self.default_zone))

"""The birthday scan's date rule (pure): which anniversary a run announces in each zone, the index
partitions it reads, February 29, the year's end, and the run's catch-up from its cursor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from nurture.events import derive_event_id
from nurture.profiles.birthdays import (
    BirthdayEntry,
    BirthdayScan,
    anniversary_at,
    birthday_event,
    birthdays_on,
    celebrated_on,
    last_run_day,
    month_day,
    month_days_to_read,
    run_instant,
)


@pytest.mark.parametrize(
    ("run_day", "zone", "country", "anniversary"),
    [
        # 12:00 UTC is still the UTC day in the west and in most of the east: tomorrow is D + 1
        (date(2026, 5, 1), "UTC", None, date(2026, 5, 2)),
        (date(2026, 5, 1), "America/Los_Angeles", None, date(2026, 5, 2)),  # 05:00 local
        (date(2026, 5, 1), "Pacific/Pago_Pago", None, date(2026, 5, 2)),  # UTC-11: 01:00 local
        (date(2026, 5, 1), "Etc/GMT+12", None, date(2026, 5, 2)),  # UTC-12: 00:00 local
        (date(2026, 5, 1), "Asia/Tokyo", None, date(2026, 5, 2)),  # 21:00 local
        # UTC+12 to +14 are already on D + 1 (00:00 to 02:00): their tomorrow is D + 2
        (date(2026, 5, 1), "Pacific/Auckland", None, date(2026, 5, 3)),  # NZST, 00:00 local
        (date(2026, 1, 15), "Pacific/Auckland", None, date(2026, 1, 17)),  # NZDT, 01:00 local
        (date(2026, 5, 1), "Pacific/Kiritimati", None, date(2026, 5, 3)),  # UTC+14: 02:00 local
        # no zone: the country's, then the store's default, then UTC (recipient_zone)
        (date(2026, 5, 1), None, "NZ", date(2026, 5, 3)),
        (date(2026, 5, 1), None, None, date(2026, 5, 2)),
        # the year's end
        (date(2026, 12, 31), "Europe/Paris", None, date(2027, 1, 1)),
        (date(2026, 12, 30), "Pacific/Auckland", None, date(2027, 1, 1)),
        (date(2026, 12, 31), "Pacific/Auckland", None, date(2027, 1, 2)),
    ],
)
def test_a_run_announces_tomorrow_in_the_contacts_zone(
    run_day: date, zone: str | None, country: str | None, anniversary: date
) -> None:
    assert anniversary_at(run_instant(run_day), zone, country, None) == anniversary


def test_the_store_default_zone_serves_a_contact_without_zone_or_country() -> None:
    assert anniversary_at(run_instant(date(2026, 5, 1)), None, None, "Pacific/Auckland") == date(2026, 5, 3)


@pytest.mark.parametrize(
    "zone", ["Pacific/Auckland", "Pacific/Chatham", "Pacific/Apia", "Europe/London", "America/New_York", "Etc/GMT+12"]
)
def test_daily_runs_announce_every_day_of_the_year_once_across_dst_changes(zone: str) -> None:
    # Two years of daily runs, each DST change of these zones included: each anniversary once
    start = date(2025, 1, 1)
    announced = [anniversary_at(run_instant(start + timedelta(days=n)), zone, None, None) for n in range(730)]
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(announced))


@pytest.mark.parametrize(
    ("md", "year", "celebrated"),
    [
        ("02-29", 2027, date(2027, 2, 28)),  # a common year: the day before March
        ("02-29", 2028, date(2028, 2, 29)),
        ("02-28", 2027, date(2027, 2, 28)),
        ("12-31", 2026, date(2026, 12, 31)),
        ("01-01", 2027, date(2027, 1, 1)),
    ],
)
def test_the_day_a_birthday_is_celebrated(md: str, year: int, celebrated: date) -> None:
    assert celebrated_on(md, year) == celebrated


@pytest.mark.parametrize(
    ("run_day", "partitions"),
    [
        (date(2026, 5, 1), ("05-02", "05-03")),
        (date(2026, 12, 30), ("12-31", "01-01")),
        (date(2026, 12, 31), ("01-01", "01-02")),
        (date(2027, 2, 26), ("02-27", "02-28", "02-29")),  # Feb 28 of a common year: Feb 29 too
        (date(2027, 2, 27), ("02-28", "02-29", "03-01")),
        (date(2028, 2, 27), ("02-28", "02-29")),  # a leap year: Feb 29 is its own day
        (date(2028, 2, 28), ("02-29", "03-01")),
    ],
)
def test_a_run_reads_the_partitions_of_the_anniversaries_it_can_announce(
    run_day: date, partitions: tuple[str, ...]
) -> None:
    assert month_days_to_read(run_day) == partitions


def entry(contact_id: str, md: str, zone: str | None = None, country: str | None = None) -> BirthdayEntry:
    return BirthdayEntry(contact_id, md, zone, country)


def test_the_events_of_a_run_are_the_entries_celebrating_tomorrow_in_their_zone() -> None:
    day = date(2027, 2, 27)  # 12:00 UTC: Feb 28 tomorrow in London, Mar 1 tomorrow in Auckland
    entries = [
        entry("london-28", "02-28", "Europe/London"),
        entry("london-29", "02-29", "Europe/London"),  # celebrated on Feb 28 in 2027
        entry("london-0301", "03-01", "Europe/London"),  # not yet
        entry("auckland-28", "02-28", "Pacific/Auckland"),  # already today there: announced yesterday
        entry("auckland-29", "02-29", "Pacific/Auckland"),
        entry("auckland-0301", "03-01", None, "NZ"),
    ]
    events = birthdays_on(day, entries, None)
    assert [(e.contact_id, e.date) for e in events] == [
        ("london-28", date(2027, 2, 28)),
        ("london-29", date(2027, 2, 28)),
        ("auckland-0301", date(2027, 3, 1)),
    ]
    assert all(e.occurred_at == datetime(2027, 2, 27, 12, tzinfo=UTC) for e in events)


def test_the_event_id_derives_from_the_contact_and_the_day_celebrated() -> None:
    first = birthday_event("c1", date(2026, 5, 2), run_instant(date(2026, 5, 1)))
    assert first.event_id == derive_event_id("nurture", "scan", "contact.birthday", "contact/c1", "2026-05-02")
    assert (first.type, first.source, first.store, first.source_topic) == (
        "contact.birthday",
        "nurture",
        "scan",
        "scan/birthday",
    )
    assert birthday_event("c1", date(2026, 5, 2), run_instant(date(2026, 5, 2))).event_id == first.event_id
    assert birthday_event("c1", date(2027, 5, 2), run_instant(date(2027, 5, 1))).event_id != first.event_id


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2026, 5, 1, 12, 0, tzinfo=UTC), date(2026, 5, 1)),
        (datetime(2026, 5, 1, 12, 0, 40, tzinfo=UTC), date(2026, 5, 1)),
        (datetime(2026, 5, 1, 11, 59, tzinfo=UTC), date(2026, 4, 30)),  # before today's run time
        (datetime(2026, 5, 2, 1, 0, tzinfo=UTC), date(2026, 5, 1)),
    ],
)
def test_the_last_run_day_is_the_latest_whose_run_time_has_come(now: datetime, day: date) -> None:
    assert last_run_day(now) == day


def test_month_day_is_the_index_key() -> None:
    assert (month_day(date(1990, 2, 9)), month_day(date(1992, 12, 31))) == ("02-09", "12-31")


class FakeIndex:
    def __init__(self, next_day: date | None, entries: list[BirthdayEntry]) -> None:
        self.next_day = next_day
        self.by_md: dict[str, list[BirthdayEntry]] = {}
        for found in entries:
            self.by_md.setdefault(found.month_day, []).append(found)
        self.read: list[str] = []

    def cursor(self) -> date | None:
        return self.next_day

    def advance(self, previous: date | None, to: date) -> bool:
        if previous != self.next_day:
            return False
        self.next_day = to
        return True

    def entries(self, md: str) -> list[BirthdayEntry]:
        self.read.append(md)
        return self.by_md.get(md, [])


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, date]] = []

    def send(self, events: list[object]) -> None:
        self.sent.extend((e.contact_id, e.date) for e in events)  # type: ignore[attr-defined]


class Log:
    def info(self, msg: str, *args: object, **kwargs: object) -> None:
        pass


TODAY = date(2026, 5, 10)


def run(index: FakeIndex, sink: Sink) -> dict[str, object]:
    return BirthdayScan(index, sink, Log(), clock=lambda: run_instant(TODAY) + timedelta(seconds=3)).run()


def test_a_first_run_reads_today_only() -> None:
    index, sink = FakeIndex(None, [entry("c1", "05-11"), entry("c0", "05-10")]), Sink()
    assert run(index, sink) == {"days_scanned": 1, "events": 1, "days_behind": 0, "next_day": "2026-05-11"}
    assert sink.sent == [("c1", date(2026, 5, 11))]
    assert index.read == ["05-11", "05-12"]


def test_missed_days_are_caught_up_late_but_not_beyond_a_week() -> None:
    # The cursor is 10 days behind: the 3 oldest days are dropped, the last 7 and today are read
    entries = [entry(f"c{n:02d}", month_day(TODAY - timedelta(days=n) + timedelta(days=1))) for n in range(10)]
    index, sink = FakeIndex(TODAY - timedelta(days=10), entries), Sink()
    answer = run(index, sink)
    assert answer == {"days_scanned": 8, "events": 8, "days_behind": 0, "next_day": "2026-05-11"}
    assert sorted(contact for contact, _ in sink.sent) == [f"c{n:02d}" for n in range(8)]
    # a rerun the same day reads nothing
    assert run(index, Sink())["days_scanned"] == 0

"""The lapsed scan's pure decisions: which days a run reads, and the event it sends per contact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from nurture.events import ContactLapsed, derive_event_id, parse_event
from nurture.profiles.lapsed import LapsedScan, LastOrder, days_to_scan, lapsed_event, still_lapsed_on

TODAY = date(2026, 6, 30)
TARGET = TODAY - timedelta(days=90)  # 2026-04-01


def test_the_first_run_reads_only_the_day_lapsing_today() -> None:
    window = days_to_scan(None, TODAY, after_days=90, max_days=31)
    assert window.days == (TARGET,)
    assert window.behind == 0


def test_a_run_on_time_reads_one_day_and_a_rerun_reads_none() -> None:
    assert days_to_scan(TARGET, TODAY, after_days=90, max_days=31).days == (TARGET,)
    assert days_to_scan(TARGET + timedelta(days=1), TODAY, after_days=90, max_days=31).days == ()


def test_missed_days_are_caught_up_oldest_first_within_the_bound() -> None:
    window = days_to_scan(TARGET - timedelta(days=3), TODAY, after_days=90, max_days=31)
    assert window.days == tuple(TARGET - timedelta(days=n) for n in (3, 2, 1, 0))
    long_outage = days_to_scan(TARGET - timedelta(days=40), TODAY, after_days=90, max_days=31)
    assert len(long_outage.days) == 31
    assert long_outage.days[0] == TARGET - timedelta(days=40)
    assert long_outage.behind == 10


def test_the_event_is_deterministic_and_reads_back() -> None:
    last = datetime(2026, 4, 1, 14, 30, tzinfo=UTC)
    first = lapsed_event("c1", last, after_days=90)
    again = lapsed_event("c1", last, after_days=90)
    assert first == again
    assert first.event_id == derive_event_id("nurture", "scan", "contact.lapsed", "contact/c1", last)
    assert (first.source, first.store, first.contact_id, first.days) == ("nurture", "scan", "c1", 90)
    assert first.occurred_at == last + timedelta(days=90)
    assert parse_event(first.model_dump_json()) == first
    # A later last order (the contact came back and lapsed again) is a new event
    assert lapsed_event("c1", last + timedelta(days=200), after_days=90).event_id != first.event_id


def test_a_contact_who_ordered_since_the_index_was_read_is_not_lapsed() -> None:
    last = datetime(2026, 4, 1, 23, 59, tzinfo=UTC)
    assert still_lapsed_on(LastOrder("c1", last), date(2026, 4, 1))
    assert not still_lapsed_on(LastOrder("c1", last + timedelta(days=3)), date(2026, 4, 1))


class FakeIndex:
    def __init__(self, cursor: date | None, by_day: dict[date, list[LastOrder]], *, lose_race_on: date | None = None):
        self.next_day, self.by_day, self.lose_race_on = cursor, by_day, lose_race_on

    def cursor(self) -> date | None:
        return self.next_day

    def advance(self, previous: date | None, to: date) -> bool:
        if previous != self.next_day or to - timedelta(days=1) == self.lose_race_on:
            return False
        self.next_day = to
        return True

    def contacts_on(self, day: date) -> list[str]:
        return [order.contact_id for order in self.by_day.get(day, [])]

    def last_orders(self, contact_ids: list[str]) -> list[LastOrder]:
        return [o for orders in self.by_day.values() for o in orders if o.contact_id in contact_ids]


class Sink:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, events: list[ContactLapsed]) -> None:
        self.sent.extend(event.contact_id for event in events)


class Log:
    def info(self, msg: str, *args: object, **kwargs: object) -> None:
        pass


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def scan(index: FakeIndex, sink: Sink) -> LapsedScan:
    return LapsedScan(index, sink, Log(), clock=lambda: at_noon(TODAY), after_days=90, max_days=31)


def test_a_run_sends_each_day_then_moves_the_cursor_past_it() -> None:
    index = FakeIndex(TARGET - timedelta(days=1), {TARGET: [LastOrder("c1", at_noon(TARGET))]})
    sink = Sink()
    answer = scan(index, sink).run()
    assert sink.sent == ["c1"]
    assert answer == {"days_scanned": 2, "events": 1, "days_behind": 0, "next_day": "2026-04-02"}


def test_a_run_that_loses_the_cursor_race_stops_after_sending_that_day() -> None:
    # The other run sends the same events (same ids): stopping leaves the rest to it
    day = TARGET - timedelta(days=1)
    index = FakeIndex(day, {day: [LastOrder("c1", at_noon(day))], TARGET: [LastOrder("c2", at_noon(TARGET))]})
    index.lose_race_on = day
    sink = Sink()
    answer = scan(index, sink).run()
    assert sink.sent == ["c1"]
    assert (answer["days_scanned"], answer["days_behind"]) == (0, 2)

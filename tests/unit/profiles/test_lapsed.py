"""The lapsed scan's pure decisions: which days a run reads, and the event it sends per contact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from nurture.events import derive_event_id, parse_event
from nurture.profiles.lapsed import LastOrder, days_to_scan, lapsed_event, still_lapsed_on

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

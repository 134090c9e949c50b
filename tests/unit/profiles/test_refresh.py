"""The refresh pass's pure decisions (docs/scoring.md, "The refresh pass"): the events it sends for
due contacts, when the VIP threshold is recomputed, and which contacts a moved threshold refreshes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nurture.events import ContactRefresh, derive_event_id, parse_event
from nurture.profiles.refresh import (
    Due,
    RefreshPass,
    Valued,
    VipThreshold,
    refresh_event,
    standing_changed,
    threshold_is_stale,
    threshold_range,
)
from nurture.scoring.tiers import TierPolicy, vip_threshold
from nurture.settings import RefreshSettings

NOW = datetime(2026, 6, 30, 13, 0, tzinfo=UTC)
D = Decimal


def test_the_event_is_deterministic_and_reads_back() -> None:
    due_at = datetime(2026, 6, 30, 0, 0, tzinfo=UTC)
    event = refresh_event("c1", due_at)
    assert event == refresh_event("c1", due_at)
    assert event.event_id == derive_event_id("nurture", "refresh", "contact.refresh", "contact/c1", due_at)
    assert (event.source, event.store, event.contact_id, event.due_at, event.occurred_at) == (
        "nurture",
        "refresh",
        "c1",
        due_at,
        due_at,
    )
    assert parse_event(event.model_dump_json()) == event
    # Another due_at (the contact's next refresh) or another contact is another event
    assert refresh_event("c1", due_at + timedelta(days=1)).event_id != event.event_id
    assert refresh_event("c2", due_at).event_id != event.event_id


def stored(value: str | None, *, hours_ago: float, top_percent: str = "5") -> VipThreshold:
    return VipThreshold(None if value is None else D(value), 10, D(top_percent), NOW - timedelta(hours=hours_ago))


@pytest.mark.parametrize(
    ("threshold", "top_percent", "stale"),
    [
        (None, "5", True),  # never computed
        (stored("100", hours_ago=1), "5", False),  # computed this morning
        (stored("100", hours_ago=19.9), "5", False),
        (stored("100", hours_ago=20), "5", True),  # a day later (hourly runs drift a little)
        (stored(None, hours_ago=25), "5", True),  # no customer yesterday: look again
        (stored("100", hours_ago=1), "10", True),  # the operator changed VIP_TOP_PERCENT
        (stored("100", hours_ago=-1), "5", False),  # another run's clock slightly ahead
    ],
)
def test_the_threshold_is_recomputed_once_a_day_or_when_the_share_changes(
    threshold: VipThreshold | None, top_percent: str, stale: bool
) -> None:
    assert threshold_is_stale(threshold, NOW, D(top_percent)) is stale


@pytest.mark.parametrize(
    ("old", "new", "span"),
    [
        ("100", "100", None),
        (None, None, None),
        ("100", "150", ("100", "150")),  # up: 100 <= clv < 150 stop being VIP
        ("150", "100", ("100", "150")),  # down: they become VIP
        (None, "120", ("120", None)),  # the first threshold: everyone reaching it becomes VIP
        ("120", None, ("120", None)),  # no customer left to rank: nobody is VIP
    ],
)
def test_the_clv_range_a_moved_threshold_can_change(
    old: str | None, new: str | None, span: tuple[str, str | None] | None
) -> None:
    as_decimal = None if span is None else (D(span[0]), None if span[1] is None else D(span[1]))
    assert threshold_range(None if old is None else D(old), None if new is None else D(new)) == as_decimal


@pytest.mark.parametrize(
    ("clv", "old", "new", "changed"),
    [
        ("120", "100", "150", True),  # was VIP, is not
        ("100", "100", "150", True),  # at the old threshold: was VIP
        ("150", "100", "150", False),  # at the new one: still VIP
        ("99.99", "100", "150", False),  # never VIP
        ("120", "150", "100", True),  # becomes VIP
        ("120", None, "100", True),  # the first threshold
        ("0", None, "0", False),  # a CLV of 0 is never VIP, even when the threshold is 0
        ("0.01", None, "0", True),
        ("500", "100", None, True),  # no threshold any more
    ],
)
def test_standing_changes_when_one_threshold_makes_the_contact_vip_and_the_other_not(
    clv: str, old: str | None, new: str | None, changed: bool
) -> None:
    assert standing_changed(D(clv), None if old is None else D(old), None if new is None else D(new)) is changed


def test_the_settings_default_share_is_the_tier_policys() -> None:
    assert RefreshSettings.model_fields["vip_top_percent"].default == TierPolicy().vip_top_percent


# ---- The pass with its ports faked ----


@dataclass
class FakeDue:
    contacts: list[Due]
    read: int = 0  # how many the pass pulled (it stops early at its bound)

    def due(self, now: datetime) -> Iterator[Due]:
        for contact in self.contacts:
            if contact.due_at <= now:
                self.read += 1
                yield contact


@dataclass
class FakeValues:
    customers: dict[str, Decimal]
    asked: list[tuple[Decimal, Decimal | None]] = field(default_factory=list)

    def values(self) -> list[Decimal]:
        return list(self.customers.values())

    def between(self, low: Decimal, high: Decimal | None) -> list[Valued]:
        self.asked.append((low, high))
        return [
            Valued(cid, clv)
            for cid, clv in sorted(self.customers.items())
            if clv >= low and (high is None or clv <= high)
        ]


@dataclass
class FakeStore:
    item: VipThreshold | None = None
    lose_race: bool = False
    writes: int = 0

    def get(self) -> VipThreshold | None:
        return self.item

    def put(self, threshold: VipThreshold, *, replacing: VipThreshold | None) -> bool:
        if self.lose_race or replacing != self.item:
            return False
        self.item = threshold
        self.writes += 1
        return True


@dataclass
class Sink:
    batches: list[tuple[list[ContactRefresh], int]] = field(default_factory=list)

    def send(self, events: Sequence[ContactRefresh], *, delay_seconds: int = 0) -> None:
        self.batches.append((list(events), delay_seconds))

    def sent(self, *, delayed: bool | None = None) -> list[tuple[str, datetime]]:
        return [
            (event.contact_id, event.due_at)
            for events, delay in self.batches
            if delayed is None or (delay > 0) is delayed
            for event in events
        ]


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, object]]] = []

    def info(self, msg: str, *args: object, **kwargs: object) -> None:
        self.lines.append((msg, kwargs))


def refresh_pass(
    due: FakeDue, values: FakeValues, store: FakeStore, sink: Sink, *, max_events: int = 1000, log: Log | None = None
) -> RefreshPass:
    return RefreshPass(due, values, store, sink, log or Log(), lambda: NOW, top_percent=D(5), max_events=max_events)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def fresh(value: str) -> FakeStore:
    return FakeStore(VipThreshold(D(value), 20, D(5), hours_ago(2)))


def test_every_due_contact_gets_one_event_with_its_due_at() -> None:
    # Given two contacts due (one since yesterday) and one due in an hour
    contacts = [Due("c1", hours_ago(1)), Due("c2", hours_ago(30)), Due("c3", NOW + timedelta(hours=1))]
    sink = Sink()
    answer = refresh_pass(FakeDue(contacts), FakeValues({}), fresh("100"), sink).run()
    # Then the two due get their refresh, undelayed, with the ids a rerun would give
    assert sink.sent() == [("c1", hours_ago(1)), ("c2", hours_ago(30))]
    assert all(delay == 0 for _, delay in sink.batches)
    assert answer == {
        "due": 2,
        "more_due": False,
        "events": 2,
        "threshold": "100",
        "customers": 20,
        "threshold_recomputed": False,
        "threshold_refreshes": 0,
    }


@pytest.mark.parametrize(
    ("due", "max_events", "sent", "more", "batches"),
    [
        (0, 50, 0, False, 0),
        (250, 1000, 250, False, 3),  # sent a hundred at a time, as the index pages come in
        (250, 250, 250, False, 3),  # exactly the bound: nothing left
        (251, 250, 250, True, 3),  # one left for the next run
        (5, 2, 2, True, 1),
    ],
)
def test_a_run_sends_at_most_its_bound_and_says_more_are_due(
    due: int, max_events: int, sent: int, more: bool, batches: int
) -> None:
    index = FakeDue([Due(f"c{n:04d}", hours_ago(1)) for n in range(due)])
    sink = Sink()
    answer = refresh_pass(index, FakeValues({}), fresh("1"), sink, max_events=max_events).run()
    assert (answer["due"], answer["more_due"], len(sink.batches)) == (sent, more, batches)
    assert [cid for cid, _ in sink.sent()] == [f"c{n:04d}" for n in range(sent)]
    # It stopped reading the index once it knew more were due
    assert index.read == min(due, max_events + 1)


def test_a_fresh_threshold_is_left_alone() -> None:
    store, values = fresh("100"), FakeValues({"c1": D(500)})
    answer = refresh_pass(FakeDue([]), values, store, Sink()).run()
    assert (answer["threshold_recomputed"], store.writes, values.asked) == (False, 0, [])


def test_a_stale_threshold_is_recomputed_from_every_clv_and_the_contacts_it_moves_are_refreshed() -> None:
    # Given 20 customers (CLVs 10..200) and yesterday's threshold 150 (top 5 %: the highest one now)
    customers = {f"c{n:02d}": D(10 * n) for n in range(1, 21)}
    store = FakeStore(VipThreshold(D(150), 16, D(5), hours_ago(24)))
    sink = Sink()
    answer = refresh_pass(FakeDue([]), FakeValues(customers), store, sink).run()
    # Then the new threshold is the top 5 % of the 20 values: the highest, 200
    assert store.item == VipThreshold(D(200), 20, D(5), NOW)
    assert vip_threshold(customers.values(), 5) == D(200)
    # And the customers at 150..190 (VIP yesterday, not today) are refreshed, after the delay
    assert sink.sent(delayed=True) == [(f"c{n:02d}", NOW) for n in range(15, 20)]
    assert sink.sent(delayed=False) == []
    assert {delay for _, delay in sink.batches} == {900}
    assert answer["threshold"] == "200"
    assert (answer["customers"], answer["threshold_recomputed"], answer["threshold_refreshes"]) == (20, True, 5)
    assert answer["events"] == 5


def test_the_first_threshold_refreshes_everyone_reaching_it() -> None:
    customers = {"a": D(0), "b": D(50), "c": D(300), "d": D(300)}
    store, sink = FakeStore(), Sink()
    refresh_pass(FakeDue([]), FakeValues(customers), store, sink).run()
    assert store.item is not None and store.item.value == D(300)
    assert sink.sent() == [("c", NOW), ("d", NOW)]  # ties at the threshold are all VIP


def test_an_unmoved_threshold_is_rewritten_but_refreshes_nobody() -> None:
    store = FakeStore(VipThreshold(D(200), 20, D(5), hours_ago(21)))
    values = FakeValues({f"c{n:02d}": D(10 * n) for n in range(1, 21)})
    sink = Sink()
    answer = refresh_pass(FakeDue([]), values, store, sink).run()
    assert (store.writes, store.item.computed_at if store.item else None) == (1, NOW)
    assert (sink.batches, values.asked, answer["threshold_refreshes"]) == ([], [], 0)


def test_no_customer_writes_no_threshold() -> None:
    store = FakeStore()
    answer = refresh_pass(FakeDue([]), FakeValues({}), store, Sink()).run()
    assert store.item == VipThreshold(None, 0, D(5), NOW)
    assert (answer["threshold"], answer["customers"], answer["threshold_recomputed"]) == (None, 0, True)


def test_a_run_that_loses_the_write_reports_the_winners_threshold() -> None:
    # Another run wrote between this run's read and its write: its refreshes went out too
    store = FakeStore(VipThreshold(D(150), 16, D(5), hours_ago(24)), lose_race=True)
    sink = Sink()
    answer = refresh_pass(FakeDue([]), FakeValues({"c1": D(160), "c2": D(90)}), store, sink).run()
    assert answer["threshold_recomputed"] is False
    assert answer["threshold"] == "150"
    assert sink.sent() == []  # 160 is VIP under both thresholds (new: 160)


def test_the_logs_carry_counts_and_no_contact() -> None:
    log = Log()
    contacts = [Due("contact-secret-1", hours_ago(1))]
    refresh_pass(FakeDue(contacts), FakeValues({"contact-secret-2": D(5)}), FakeStore(), Sink(), log=log).run()
    assert [message for message, _ in log.lines] == ["refresh: due contacts sent", "refresh: VIP threshold computed"]
    assert "contact-secret" not in repr(log.lines)

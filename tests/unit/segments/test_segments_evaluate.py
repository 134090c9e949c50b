"""Segment membership: each condition kind, window boundaries, exact expiry (until), AND, changes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.segments.definition import Segment, SegmentSpec, segment_from_spec
from nurture.segments.evaluate import (
    Membership,
    changes,
    evaluate,
    evaluate_all,
    members,
    next_change,
    recent_events,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
PROFILE: dict[str, Any] = {"profile": {"email_consent": "subscribed", "orders": {"count": 0}}}


def segment(*when: dict[str, Any], segment_id: str = "test") -> Segment:
    return segment_from_spec(SegmentSpec.model_validate({"id": segment_id, "name": "Test", "when": list(when)}))


def event(event_type: str, age: timedelta, **fields: Any) -> dict[str, Any]:
    return {"type": event_type, "occurred_at": (NOW - age).isoformat(), **fields}


def views(*ages: timedelta) -> list[dict[str, Any]]:
    return [event("product.viewed", age) for age in ages]


def orders(*ages: timedelta) -> list[dict[str, Any]]:
    return [event("order.placed", age) for age in ages]


def assert_exact(seg: Segment, view: dict[str, Any], events: list[dict[str, Any]], found: Membership) -> None:
    """`until` is the first instant the answer changes by time alone: the same answer just before,
    the other one at it; None: the answer is the same at every instant an event leaves a window."""
    if found.until is not None:
        assert evaluate(seg, view, events, found.until - timedelta(microseconds=1)).member is found.member
        assert evaluate(seg, view, events, found.until).member is not found.member
        return
    instants = [datetime.fromisoformat(e["occurred_at"]) + days * DAY for e in events for days in (1, 3, 7, 14, 30)]
    for instant in [NOW + 400 * DAY, *(i for i in instants if i > NOW)]:
        assert evaluate(seg, view, events, instant).member is found.member, instant


def assert_membership(seg: Segment, events: list[dict[str, Any]], expected: Membership) -> None:
    found = evaluate(seg, PROFILE, events, NOW)
    assert found == expected
    assert_exact(seg, PROFILE, events, found)


AT_LEAST_2_IN_7D = {"event": "product.viewed", "at_least": 2, "within": "7d"}
AT_MOST_1_IN_7D = {"event": "order.placed", "at_most": 1, "within": "7d"}
NO_ORDER_IN_3D = {"event": ["order.placed", "order.paid"], "none_within": "3d"}


@pytest.mark.parametrize(
    ("when", "events", "member", "until"),
    [
        # at_least N within W: true until the N-th newest match leaves; false: only a new event helps
        (AT_LEAST_2_IN_7D, [], False, None),
        (AT_LEAST_2_IN_7D, views(1 * DAY), False, None),
        (AT_LEAST_2_IN_7D, views(1 * DAY, 3 * DAY), True, NOW + 4 * DAY),
        (AT_LEAST_2_IN_7D, views(1 * DAY, 2 * DAY, 3 * DAY), True, NOW + 5 * DAY),
        (AT_LEAST_2_IN_7D, views(1 * DAY, 7 * DAY), False, None),  # exactly W old: out of the window
        (AT_LEAST_2_IN_7D, views(1 * DAY, 7 * DAY - SECOND), True, NOW + SECOND),
        (AT_LEAST_2_IN_7D, views(1 * DAY, 8 * DAY, 9 * DAY), False, None),
        (AT_LEAST_2_IN_7D, [event("cart.updated", DAY), event("cart.updated", 2 * DAY)], False, None),
        (AT_LEAST_2_IN_7D, views(-DAY, 2 * DAY), True, NOW + 5 * DAY),  # a clock ahead: counted, leaves later
        # at_most N within W: false until the (N+1)-th newest leaves; true: only a new event changes it
        (AT_MOST_1_IN_7D, [], True, None),
        (AT_MOST_1_IN_7D, orders(2 * DAY), True, None),
        (AT_MOST_1_IN_7D, orders(1 * DAY, 2 * DAY), False, NOW + 5 * DAY),
        (AT_MOST_1_IN_7D, orders(1 * DAY, 2 * DAY, 3 * DAY), False, NOW + 5 * DAY),
        (AT_MOST_1_IN_7D, orders(1 * DAY, 7 * DAY), True, None),
        (AT_MOST_1_IN_7D, orders(1 * DAY, 7 * DAY - SECOND), False, NOW + SECOND),
        ({**AT_MOST_1_IN_7D, "at_most": 0}, orders(2 * DAY), False, NOW + 5 * DAY),
        # none_within W: false until the newest match leaves
        (NO_ORDER_IN_3D, [], True, None),
        (NO_ORDER_IN_3D, orders(1 * DAY), False, NOW + 2 * DAY),
        (NO_ORDER_IN_3D, [*orders(2 * DAY), event("order.paid", 1 * DAY)], False, NOW + 2 * DAY),
        (NO_ORDER_IN_3D, orders(3 * DAY), True, None),
        (NO_ORDER_IN_3D, orders(3 * DAY - SECOND), False, NOW + SECOND),
        (NO_ORDER_IN_3D, [event("order.cancelled", DAY)], True, None),
    ],
)
def test_each_window_kind_and_its_expiry(
    when: dict[str, Any], events: list[dict[str, Any]], member: bool, until: datetime | None
) -> None:
    assert_membership(segment(when), events, Membership(member, until))


def priced_view(age: timedelta, price: str, *categories: str) -> dict[str, Any]:
    product = {"product_id": "p", "unit_price": price, "categories": list(categories)}
    return event("product.viewed", age, product=product)


PREMIUM = {
    "event": "product.viewed",
    "where": [{"field": "event.product.unit_price", "gte": 100}],
    "at_least": 2,
    "within": "14d",
}
SHOES = {"event": "product.viewed", "where": [{"field": "event.product.categories", "contains": "shoes"}]}


@pytest.mark.parametrize(
    ("when", "events", "member", "until"),
    [
        (
            PREMIUM,
            [priced_view(DAY, "150"), priced_view(2 * DAY, "50"), priced_view(5 * DAY, "120")],
            True,
            NOW + 9 * DAY,
        ),
        (PREMIUM, [priced_view(DAY, "150"), priced_view(2 * DAY, "50"), priced_view(3 * DAY, "99.99")], False, None),
        (PREMIUM, [priced_view(DAY, "150"), event("product.viewed", 2 * DAY)], False, None),  # no price: no match
        ({**SHOES, "at_least": 1, "within": "7d"}, [priced_view(DAY, "10", "hats", "shoes")], True, NOW + 6 * DAY),
        ({**SHOES, "at_least": 1, "within": "7d"}, [priced_view(DAY, "10", "hats")], False, None),
        ({**SHOES, "none_within": "7d"}, [priced_view(DAY, "10", "hats")], True, None),
        (
            {**SHOES, "none_within": "7d"},
            [priced_view(DAY, "10", "hats"), priced_view(2 * DAY, "9", "shoes")],
            False,
            NOW + 5 * DAY,
        ),
    ],
)
def test_where_filters_the_events_counted(
    when: dict[str, Any], events: list[dict[str, Any]], member: bool, until: datetime | None
) -> None:
    assert_membership(segment(when), events, Membership(member, until))


VIEWED_ONCE_IN_3D = {"event": "product.viewed", "at_least": 1, "within": "3d"}
SUBSCRIBED = {"field": "profile.email_consent", "equals": "subscribed"}
NEVER_ORDERED = {"field": "profile.orders.count", "equals": 0}


@pytest.mark.parametrize(
    ("when", "events", "member", "until"),
    [
        # a member: until the earliest condition turns false
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], views(1 * DAY, 2 * DAY), True, NOW + 5 * DAY),
        ([AT_LEAST_2_IN_7D, VIEWED_ONCE_IN_3D], views(1 * DAY, 2 * DAY), True, NOW + 2 * DAY),
        ([AT_LEAST_2_IN_7D, VIEWED_ONCE_IN_3D], views(2.5 * DAY, 6 * DAY), True, NOW + DAY / 2),
        ([NO_ORDER_IN_3D, AT_MOST_1_IN_7D], orders(5 * DAY), True, None),
        ([SUBSCRIBED, AT_LEAST_2_IN_7D], views(1 * DAY, 2 * DAY), True, NOW + 5 * DAY),
        ([SUBSCRIBED, NEVER_ORDERED], [], True, None),
        ([NEVER_ORDERED, AT_LEAST_2_IN_7D], views(1 * DAY, 2 * DAY), True, NOW + 5 * DAY),
        # not a member because of a profile condition: time alone never helps
        ([{**NEVER_ORDERED, "equals": 1}, NO_ORDER_IN_3D], orders(DAY), False, None),
        ([{**NEVER_ORDERED, "equals": 1}, AT_LEAST_2_IN_7D], views(1 * DAY, 2 * DAY), False, None),
        # not a member: when every false condition turns true, unless a true one turned false first
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], [*views(1 * DAY, 2 * DAY), *orders(2 * DAY)], False, NOW + DAY),
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], [*views(1 * DAY, 6 * DAY), *orders(1 * DAY)], False, None),
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], [*views(1 * DAY, 5 * DAY), *orders(1 * DAY)], False, None),  # same instant
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], [*views(1 * DAY, 4.5 * DAY), *orders(1 * DAY)], False, NOW + 2 * DAY),
        ([NO_ORDER_IN_3D, AT_MOST_1_IN_7D], orders(1 * DAY, 2 * DAY), False, NOW + 5 * DAY),
        ([NO_ORDER_IN_3D, AT_MOST_1_IN_7D], orders(1 * DAY, 6 * DAY), False, NOW + 2 * DAY),
        ([AT_LEAST_2_IN_7D, NO_ORDER_IN_3D], [*views(1 * DAY), *orders(1 * DAY)], False, None),
        ([SUBSCRIBED, NO_ORDER_IN_3D], orders(DAY), False, NOW + 2 * DAY),
    ],
)
def test_all_conditions_hold_and_expiry_of_the_whole_segment(
    when: list[dict[str, Any]], events: list[dict[str, Any]], member: bool, until: datetime | None
) -> None:
    assert_membership(segment(*when), events, Membership(member, until))


@pytest.mark.parametrize(
    ("profile", "member"),
    [
        ({"email_consent": "subscribed", "scores": {"acquisition": 72.5}, "tier": "vip"}, True),
        ({"email_consent": "subscribed", "scores": {"acquisition": 30}, "tier": "vip"}, False),
        ({"email_consent": "subscribed", "scores": {"acquisition": 72.5}, "tier": "repeat"}, False),
        ({"email_consent": "subscribed", "tier": "vip"}, False),  # no score yet: fails gt
        ({"email_consent": "unsubscribed", "scores": {"acquisition": 90}, "tier": "vip"}, False),
    ],
)
def test_profile_conditions_read_scores_and_tier(profile: dict[str, Any], member: bool) -> None:
    seg = segment(
        SUBSCRIBED,
        {"field": "profile.scores.acquisition", "gt": 50},
        {"field": "profile.tier", "in": ["vip", "at_risk"]},
    )
    assert evaluate(seg, {"profile": profile}, [], NOW) == Membership(member, None)


def test_the_events_order_does_not_matter() -> None:
    seg = segment(AT_LEAST_2_IN_7D, NO_ORDER_IN_3D)
    events = [*views(1 * DAY, 2 * DAY, 6 * DAY, 9 * DAY), *orders(4 * DAY, 10 * DAY)]
    expected = evaluate(seg, PROFILE, events, NOW)
    shuffled = events[:]
    random.Random(9).shuffle(shuffled)
    assert evaluate(seg, PROFILE, shuffled, NOW) == expected == Membership(True, NOW + 5 * DAY)


def test_events_may_carry_datetimes_and_be_prepared_once_for_many_segments() -> None:
    events = [{**e, "occurred_at": datetime.fromisoformat(e["occurred_at"])} for e in views(DAY, 2 * DAY)]
    recent = recent_events(events)
    whens = [AT_LEAST_2_IN_7D, NO_ORDER_IN_3D, {**AT_LEAST_2_IN_7D, "at_least": 3}]
    segments = [segment(when, segment_id=f"s{i}") for i, when in enumerate(whens)]
    memberships = evaluate_all(segments, PROFILE, recent, NOW)
    assert memberships == {
        "s0": Membership(True, NOW + 5 * DAY),
        "s1": Membership(True, None),
        "s2": Membership(False, None),
    }
    assert [evaluate(s, PROFILE, recent, NOW) for s in segments] == list(memberships.values())
    assert members(memberships) == frozenset({"s0", "s1"})
    assert next_change(memberships) == NOW + 5 * DAY
    assert next_change({"s1": Membership(True, None)}) is None


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([{"type": "product.viewed"}], "events[0] (product.viewed): occurred_at"),
        ([*views(DAY), {"type": "order.placed", "occurred_at": "yesterday"}], "events[1] (order.placed)"),
        ([{"type": "order.placed", "occurred_at": "2026-05-01T10:00:00"}], "aware"),
    ],
)
def test_an_event_without_an_aware_instant_is_refused(events: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        evaluate(segment(AT_LEAST_2_IN_7D), PROFILE, events, NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        evaluate(segment(AT_LEAST_2_IN_7D), PROFILE, [], NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("before", "after", "entered", "exited"),
    [
        (set(), set(), (), ()),
        (set(), {"b", "a"}, ("a", "b"), ()),
        ({"a", "b"}, set(), (), ("a", "b")),
        ({"a", "b"}, {"b", "c"}, ("c",), ("a",)),
        ({"a"}, {"a"}, (), ()),
    ],
)
def test_changes_name_the_segments_entered_and_exited_in_order(
    before: set[str], after: set[str], entered: tuple[str, ...], exited: tuple[str, ...]
) -> None:
    assert changes(frozenset(before), frozenset(after)) == (entered, exited)


DORMANT_180D = {"field": "profile.engagement.last_engaged_at", "older_than": "180d"}


def engaged(age: timedelta | None, **profile: Any) -> dict[str, Any]:
    last = None if age is None else (NOW - age).isoformat()
    return {"profile": {**PROFILE["profile"], "engagement": {"last_engaged_at": last}, **profile}}


@pytest.mark.parametrize(
    ("view", "member", "until"),
    [
        # holds: the date is at least the age before now; only a change of the contact undoes it
        (engaged(200 * DAY), True, None),
        (engaged(180 * DAY), True, None),  # exactly the age: holds
        # not yet: holds from the instant the date reaches the age
        (engaged(180 * DAY - SECOND), False, NOW + SECOND),
        (engaged(10 * DAY), False, NOW + 170 * DAY),
        (engaged(-DAY), False, NOW + 181 * DAY),  # a date ahead of now (a clock ahead)
        # no date, or not a date: never by time alone
        (engaged(None), False, None),
        ({"profile": {"engagement": {}}}, False, None),
        ({"profile": {}}, False, None),
        ({"profile": {"engagement": {"last_engaged_at": "last spring"}}}, False, None),
        ({"profile": {"engagement": {"last_engaged_at": 17}}}, False, None),
        # a date without a time is its UTC midnight
        ({"profile": {"engagement": {"last_engaged_at": "2025-11-03"}}}, False, datetime(2026, 5, 2, tzinfo=UTC)),
        ({"profile": {"engagement": {"last_engaged_at": "2025-11-02"}}}, True, None),  # 00:00 + 180d < NOW
    ],
)
def test_older_than_holds_once_the_date_is_that_old(view: dict[str, Any], member: bool, until: datetime | None) -> None:
    seg = segment(DORMANT_180D)
    found = evaluate(seg, view, [], NOW)
    assert found == Membership(member, until)
    if until is not None:  # exact: not a microsecond before, from then on
        assert evaluate(seg, view, [], until - timedelta(microseconds=1)).member is False
        assert evaluate(seg, view, [], until).member is True
        assert evaluate(seg, view, [], until + 400 * DAY).member is True


@pytest.mark.parametrize(
    ("when", "view", "events", "member", "until"),
    [
        # with a profile condition: it gates, the age times
        ([SUBSCRIBED, DORMANT_180D], engaged(30 * DAY), [], False, NOW + 150 * DAY),
        ([SUBSCRIBED, DORMANT_180D], engaged(30 * DAY, email_consent="unsubscribed"), [], False, None),
        ([SUBSCRIBED, DORMANT_180D], engaged(190 * DAY), [], True, None),
        # with windows: the latest instant every false condition turns true
        ([DORMANT_180D, NO_ORDER_IN_3D], engaged(179 * DAY), orders(DAY), False, NOW + 2 * DAY),
        ([DORMANT_180D, NO_ORDER_IN_3D], engaged(170 * DAY), orders(DAY), False, NOW + 10 * DAY),
        ([DORMANT_180D, NO_ORDER_IN_3D], engaged(190 * DAY), orders(DAY), False, NOW + 2 * DAY),
        # ... unless a true window turns false before (an at_least never comes back by time)
        ([DORMANT_180D, AT_LEAST_2_IN_7D], engaged(179 * DAY), views(DAY, 2 * DAY), False, NOW + DAY),
        ([DORMANT_180D, AT_LEAST_2_IN_7D], engaged(170 * DAY), views(DAY, 2 * DAY), False, None),
        ([DORMANT_180D, AT_LEAST_2_IN_7D], engaged(190 * DAY), views(DAY, 2 * DAY), True, NOW + 5 * DAY),
    ],
)
def test_older_than_with_other_conditions(
    when: list[dict[str, Any]], view: dict[str, Any], events: list[dict[str, Any]], member: bool, until: datetime | None
) -> None:
    seg = segment(*when)
    found = evaluate(seg, view, events, NOW)
    assert found == Membership(member, until)
    assert_exact(seg, view, events, found)

"""Segment files: what loads, what is refused (naming the file and the field), the shipped ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from nurture.segments.definition import (
    SEGMENTS_DIR,
    DateAge,
    EventWindow,
    SegmentDefinitionError,
    default_segments,
    event_history,
    load_segment,
    load_segments,
)
from nurture.segments.evaluate import evaluate

VALID = """
id: hot_browsers
name: Viewed a category 3 times in 7 days, no order
when:
  - field: profile.scores.acquisition
    gt: 30
  - event: product.viewed
    where: [{field: event.product.categories, contains: shoes}]
    at_least: 3
    within: 7d
  - event: [order.placed, order.paid]
    none_within: 7d
  - event: email.clicked
    at_most: 2
    within: 1w 2d
"""


def test_a_valid_file_loads_into_profile_conditions_and_windows() -> None:
    segment = load_segment(VALID, source="hot_browsers.yaml", expected_id="hot_browsers")
    assert segment.id == "hot_browsers"
    assert [condition.field for condition in segment.profile] == ["profile.scores.acquisition"]
    views, no_order, clicks = segment.windows
    assert views.types == frozenset({"product.viewed"})
    assert [condition.field for condition in views.where] == ["event.product.categories"]
    assert (views.kind, views.count, views.window) == ("at_least", 3, timedelta(days=7))
    assert no_order == EventWindow(frozenset({"order.placed", "order.paid"}), (), "none_within", 0, timedelta(days=7))
    assert (clicks.kind, clicks.count, clicks.window) == ("at_most", 2, timedelta(days=9))


def with_when(*when: dict[str, Any]) -> str:
    return yaml.safe_dump({"id": "bad", "name": "Bad", "when": list(when)})


VIEWS = {"event": "product.viewed", "at_least": 2, "within": "7d"}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("id: bad\nname: [unclosed", ["not valid YAML"]),
        ("- a list", ["a segment is a mapping"]),
        ("id: bad\nwhen: [{field: profile.tier, equals: vip}]", ["name: Field required"]),
        ("id: Bad Id\nname: B\nwhen: [{field: profile.tier, equals: vip}]", ["id: String should match"]),
        ("id: bad\nname: B\nwhen: []", ["when: Value error, a segment needs at least one condition"]),
        ("id: bad\nname: B\nwhen: [{field: profile.tier, equals: vip}]\ncolor: red", ["color: Extra inputs"]),
        (with_when({"field": "event.order.total", "gt": 5}), ["when.0: ", "profile.* fields only"]),
        (with_when({"field": "profile.tier", "becomes": "vip"}), ["when.0: ", "segments have no before"]),
        (with_when({"field": "profile.tier", "equals": "vip", "gt": 2}), ["when.0: ", "exactly one of"]),
        (with_when({"field": "profile.tier"}), ["when.0: ", "exactly one of"]),
        (with_when({**VIEWS, "event": "product.liked"}), ["when.0.event: ", "unknown event type 'product.liked'"]),
        (with_when({**VIEWS, "event": ["order.paid", "x"]}), ["when.0.event: ", "unknown event type 'x'"]),
        (with_when({**VIEWS, "event": []}), ["when.0.event: ", "at least one event type"]),
        (with_when(VIEWS, {**VIEWS, "within": "7 days"}), ["when.1.within: ", "'7 days' is not a duration"]),
        (with_when({**VIEWS, "within": "400d"}), ["when.0.within: ", "between 1 minute and 365 days"]),
        (with_when({"event": "order.paid", "none_within": "soon"}), ["when.0.none_within: ", "not a duration"]),
        (with_when({**VIEWS, "at_least": 0}), ["when.0.at_least: ", "greater than or equal to 1"]),
        (with_when({**VIEWS, "at_least": None, "at_most": -1}), ["when.0.at_most: ", "greater than or equal to 0"]),
        (with_when({"event": "order.paid", "within": "7d"}), ["when.0: ", "exactly one of at_least, at_most"]),
        (with_when({**VIEWS, "none_within": "7d"}), ["when.0: ", "(got 2)"]),
        (with_when({**VIEWS, "within": None}), ["when.0: ", "at_least needs a window"]),
        (with_when({"event": "order.paid", "none_within": "7d", "within": "7d"}), ["when.0: ", "no 'within'"]),
        (with_when({**VIEWS, "within_days": 7}), ["when.0.within_days: ", "Extra inputs"]),
        (
            with_when({**VIEWS, "where": [{"field": "profile.tier", "equals": "vip"}]}),
            ["when.0.where: ", "event.* fields only"],
        ),
        (with_when({**VIEWS, "where": [{"field": "event.x"}]}), ["when.0.where.0: ", "exactly one of"]),
        (with_when("profile.tier"), ["when.0: ", "valid dictionary"]),  # type: ignore[arg-type]
        (with_when({"field": "profile.created_at", "older_than": "6mo"}), ["when.0.older_than: ", "not a duration"]),
        (with_when({"field": "event.occurred_at", "older_than": "7d"}), ["when.0.field: ", "should match"]),
        (with_when({"field": "profile.created_at", "older_than": "7d", "gt": 3}), ["when.0.gt: ", "Extra inputs"]),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field(text: str, fragments: list[str]) -> None:
    with pytest.raises(SegmentDefinitionError) as raised:
        load_segment(text, source="bad.yaml")
    message = str(raised.value)
    assert message.startswith("bad.yaml: ")
    for fragment in fragments:
        assert fragment in message


def test_an_older_than_entry_loads_as_a_date_age() -> None:
    text = with_when({"field": "profile.tier", "equals": "vip"}, {"field": "profile.created_at", "older_than": "1w 2d"})
    segment = load_segment(text, source="bad.yaml")
    assert [condition.field for condition in segment.profile] == ["profile.tier"]
    assert segment.ages == (DateAge("profile.created_at", timedelta(days=9)),)
    assert segment.windows == ()


def test_the_id_must_be_the_file_name() -> None:
    with pytest.raises(SegmentDefinitionError, match=r"hot\.yaml: id 'hot_browsers' must match the file name 'hot'"):
        load_segment(VALID, source="hot.yaml", expected_id="hot")


def test_a_directory_loads_by_id_and_names_its_bad_file(tmp_path: Path) -> None:
    (tmp_path / "hot_browsers.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a segment", encoding="utf-8")
    assert list(load_segments(tmp_path)) == ["hot_browsers"]
    (tmp_path / "broken.yaml").write_text(with_when({**VIEWS, "within": "forever"}), encoding="utf-8")
    with pytest.raises(SegmentDefinitionError, match=r"^broken\.yaml: "):
        load_segments(tmp_path)


def test_an_empty_directory_is_no_segment_and_a_missing_one_an_error(tmp_path: Path) -> None:
    assert load_segments(tmp_path) == {}
    with pytest.raises(SegmentDefinitionError, match="no such directory"):
        load_segments(tmp_path / "missing")


def test_the_history_to_keep_is_every_named_type_over_the_longest_window() -> None:
    segment = load_segment(VALID, source="hot_browsers.yaml")
    history = event_history([segment])
    assert history.types == frozenset({"product.viewed", "order.placed", "order.paid", "email.clicked"})
    assert history.window == timedelta(days=9)
    assert event_history([]).window is None


def test_the_shipped_segments_load_and_are_the_defaults() -> None:
    files = sorted(path.stem for path in SEGMENTS_DIR.glob("*.yaml"))
    assert len(files) >= 3
    assert list(default_segments()) == files
    assert default_segments() is default_segments()
    for path in SEGMENTS_DIR.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name}: say what it is for in a comment"


NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
SUBSCRIBED_NEWCOMER = {"profile": {"email_consent": "subscribed", "orders": {"count": 0}}}


def at(days_ago: float, event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": event_type, "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(), **fields}


@pytest.mark.parametrize(
    ("segment_id", "events", "member"),
    [
        ("cart_abandoners", [at(1, "cart.updated")], True),
        ("cart_abandoners", [at(0.5, "order.paid"), at(1, "cart.updated")], False),
        ("cart_abandoners", [at(4, "checkout.started")], False),
        ("hot_browsers", [at(1, "product.viewed"), at(2, "product.viewed"), at(6, "product.viewed")], True),
        ("hot_browsers", [at(1, "product.viewed"), at(2, "product.viewed"), at(8, "product.viewed")], False),
        ("engaged_subscribers", [at(29, "email.clicked")], True),
        ("engaged_subscribers", [at(1, "email.opened")], False),
        (
            "premium_browsers",
            [at(d, "product.viewed", product={"unit_price": "180.00"}) for d in (1, 10)] + [at(3, "order.placed")],
            True,
        ),
        ("premium_browsers", [at(d, "product.viewed", product={"unit_price": "18.00"}) for d in (1, 10)], False),
    ],
)
def test_the_shipped_segments_mean_what_they_say(segment_id: str, events: list[dict[str, Any]], member: bool) -> None:
    assert evaluate(default_segments()[segment_id], SUBSCRIBED_NEWCOMER, events, NOW).member is member


@pytest.mark.parametrize(
    ("consent", "last_engaged", "member"),
    [
        ("subscribed", NOW - timedelta(days=181), True),
        ("subscribed", NOW - timedelta(days=179), False),
        ("unsubscribed", NOW - timedelta(days=400), False),
        ("subscribed", None, False),
    ],
)
def test_dormant_subscribers_are_subscribed_and_silent_for_180_days(
    consent: str, last_engaged: datetime | None, member: bool
) -> None:
    engagement = {"last_engaged_at": None if last_engaged is None else last_engaged.isoformat()}
    view = {"profile": {"email_consent": consent, "engagement": engagement}}
    assert evaluate(default_segments()["dormant_subscribers"], view, [], NOW).member is member

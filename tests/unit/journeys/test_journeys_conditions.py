"""Conditions of triggers, entry filters, exits and branches, evaluated against a view."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from nurture.journeys.conditions import Condition, all_hold, holds

VIEW: dict[str, Any] = {
    "event": {"type": "order.placed", "order": {"total": "59.90", "checkout_token": "tok-1", "line_items": []}},
    "profile": {
        "email_consent": "subscribed",
        "orders": {"count": 1, "last_order_at": "2026-03-01T10:00:00+00:00"},
        "lists": ["vip", "newsletter"],
        "first_name": None,
        "has_email": True,
    },
    "before": {"email_consent": "not_subscribed", "orders": {"count": 0}},
}


def condition(**fields: Any) -> Condition:
    return Condition.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"field": "profile.orders.count", "equals": 1}, True),
        ({"field": "profile.orders.count", "equals": "1"}, True),
        ({"field": "profile.orders.count", "equals": 2}, False),
        ({"field": "event.order.total", "gt": 50}, True),
        ({"field": "event.order.total", "lte": 59.9}, True),
        ({"field": "event.order.total", "lt": "59.90"}, False),
        ({"field": "profile.orders.last_order_at", "gte": "2026-03-01T00:00:00Z"}, True),
        ({"field": "profile.email_consent", "in": ["subscribed", "pending"]}, True),
        ({"field": "profile.email_consent", "not_in": ["subscribed"]}, False),
        ({"field": "profile.lists", "contains": "vip"}, True),
        ({"field": "profile.lists", "contains": "lapsed"}, False),
        ({"field": "profile.has_email", "equals": True}, True),
        ({"field": "profile.has_email", "equals": 1}, False),
        ({"field": "profile.first_name", "exists": False}, True),
        ({"field": "profile.locale", "exists": True}, False),
        ({"field": "profile.locale", "not_equals": "fr"}, True),
        ({"field": "profile.locale", "equals": "fr"}, False),
        ({"field": "event.order.line_items.0.title", "exists": True}, False),
        ({"field": "profile.email_consent", "becomes": "subscribed"}, True),
        ({"field": "profile.orders.count", "becomes": 1}, True),
    ],
)
def test_each_operator(fields: dict[str, Any], expected: bool) -> None:
    assert holds(condition(**fields), VIEW) is expected


def test_becomes_is_false_when_the_value_was_already_there_before() -> None:
    view = {**VIEW, "before": {"email_consent": "subscribed"}}
    assert not holds(condition(field="profile.email_consent", becomes="subscribed"), view)


def test_becomes_holds_for_a_new_contact_with_no_before() -> None:
    view = {k: v for k, v in VIEW.items() if k != "before"}
    assert holds(condition(field="profile.email_consent", becomes="subscribed"), view)


def test_all_hold_needs_every_condition() -> None:
    first = condition(field="profile.orders.count", equals=1)
    second = condition(field="profile.lists", contains="lapsed")
    assert all_hold([first], VIEW) and not all_hold([first, second], VIEW) and all_hold([], VIEW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"field": "profile.orders.count"}, "exactly one of"),
        ({"field": "profile.orders.count", "equals": 1, "gt": 0}, "exactly one of"),
        ({"field": "event.order.total", "becomes": 1}, "use a profile.* field"),
        ({"field": "customer.name", "equals": "x"}, "String should match pattern"),
    ],
)
def test_a_malformed_condition_says_why(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        condition(**fields)

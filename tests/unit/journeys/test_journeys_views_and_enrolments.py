"""What conditions see of a profile and an event (views), and enrolment ids, keys and key values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date

import pytest

from nurture.events import Checkout, CheckoutStarted, ConsentState
from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.enrolments import (
    Missing,
    enrolment_id,
    execution_arn,
    key_hash,
    key_value,
    parse_enrolment_id,
    state_machine_arn,
)
from nurture.journeys.views import event_view, profile_view, trigger_views
from nurture.profiles.model import ConsentRecord, Engagement, OrderStats, Profile, ProfileLocation
from tests.unit.profiles.profile_events import STORE, T0, at, consent, contact, order, placed

CONTACT_ID = "0123456789abcdef0123456789abcdef"
PROFILE_FIELDS = {
    # docs/scoring.md, "Wiring": empty or null before the contact's first assessment
    "scores",
    "tier",
    "rfm",
    "clv",
    "predicted_order_30d",
    "segments",
    "unsubscribed_topics",
    "paused_until",
    "contact_id",
    "email_consent",
    "sms_consent",
    "has_email",
    "has_phone",
    "first_name",
    "locale",
    "time_zone",
    "country_code",
    "nearby",
    "nearest_place",
    "birthday",
    "orders",
    "engagement",
    "lists",
    "tags",
    "created_at",
    "last_activity_at",
}


def full_profile() -> Profile:
    return Profile(
        contact_id=CONTACT_ID,
        created_at=T0,
        updated_at=at(5),
        source="shopify",
        store=STORE,
        email="ada@example.com",
        phone=None,
        first_name="Ada",
        locale="en-GB",
        time_zone="Europe/London",
        birthday=date(1990, 12, 10),
        location=ProfileLocation(country_code="GB"),
        email_consent=ConsentRecord(state="subscribed", changed_at=T0, source="shopify", store=STORE, event_id="e"),
        orders=OrderStats(
            count=2,
            products=frozenset({"p2", "p1"}),
            categories=frozenset({"shoes"}),
            first_order_at=at(1),
            last_order_at=at(2),
        ),
        engagement=Engagement(last_click_at=at(3)),
        last_activity_at=at(4),
        lists=frozenset({"vip", "lapsed"}),
        tags=frozenset({"b", "a"}),
    )


def test_the_profile_view_has_exactly_the_contract_fields_as_json_values() -> None:
    view = profile_view(full_profile())

    assert set(view) == PROFILE_FIELDS
    assert json.loads(json.dumps(view)) == view  # JSON-like all the way down
    assert view["email_consent"] == "subscribed"
    assert view["sms_consent"] is None
    assert (view["has_email"], view["has_phone"]) == (True, False)
    assert view["country_code"] == "GB"
    assert view["birthday"] == "1990-12-10"
    assert view["orders"] == {
        "count": 2,
        "first_order_at": at(1).isoformat(),
        "last_order_at": at(2).isoformat(),
        "products": ["p1", "p2"],
        "categories": ["shoes"],
    }
    assert view["engagement"] == {
        "last_open_at": None,
        "last_click_at": at(3).isoformat(),
        "last_engaged_at": at(3).isoformat(),  # the click: later than subscribing (T0)
    }
    assert (view["lists"], view["tags"]) == (["lapsed", "vip"], ["a", "b"])
    assert view["created_at"] == T0.isoformat()


def subscriber(state: ConsentState, opened: int | None, clicked: int | None) -> Profile:
    email_consent = ConsentRecord(state=state, changed_at=at(2), source="shopify", store=STORE, event_id="e")
    engagement = Engagement(
        last_open_at=None if opened is None else at(opened), last_click_at=None if clicked is None else at(clicked)
    )
    return replace(full_profile(), email_consent=email_consent, engagement=engagement)


@pytest.mark.parametrize(
    ("state", "opened", "clicked", "expected"),
    [
        ("subscribed", None, None, 2),  # subscribing counts: a newcomer is not dormant
        ("subscribed", 1, None, 2),
        ("subscribed", 3, 1, 3),
        ("subscribed", 1, 4, 4),
        ("unsubscribed", None, None, None),  # leaving is no sign of interest
        ("unsubscribed", 1, None, 1),
        ("pending", None, 5, 5),
    ],
)
def test_last_engaged_at_is_the_latest_open_click_or_subscription(
    state: ConsentState, opened: int | None, clicked: int | None, expected: int | None
) -> None:
    view = profile_view(subscriber(state, opened, clicked))
    assert view["engagement"]["last_engaged_at"] == (None if expected is None else at(expected).isoformat())


def test_last_engaged_at_is_null_without_email_consent_or_engagement() -> None:
    profile = replace(full_profile(), email_consent=None, engagement=Engagement())
    assert profile_view(profile)["engagement"]["last_engaged_at"] is None


def test_the_profile_view_never_holds_the_address_or_the_number() -> None:
    text = json.dumps(profile_view(full_profile()))

    assert "ada@example.com" not in text


def test_the_event_view_is_the_event_as_json() -> None:
    event = placed(order(total="12.50", checkout_token="tok"), at(1))

    view = event_view(event)

    assert view["order"]["total"] == "12.50"
    assert view["order"]["checkout_token"] == "tok"
    assert view["occurred_at"].startswith("2026-03-01T13:00:00")


def test_trigger_views_hold_event_profile_and_before() -> None:
    views = trigger_views(consent("subscribed", at(1)), None, full_profile())

    assert set(views) == {"event", "profile", "before"}
    assert views["before"] == {}


def test_enrolment_ids_follow_the_contract() -> None:
    hashed = hashlib.sha256(b"tok-1").hexdigest()[:12]

    assert enrolment_id("welcome", CONTACT_ID, None, 1) == f"welcome-{CONTACT_ID}-1"
    assert key_hash("tok-1") == hashed
    assert enrolment_id("abandoned_checkout", CONTACT_ID, "tok-1", 2) == f"abandoned_checkout-{CONTACT_ID}-{hashed}-2"
    # The longest: a 24-character journey id and a 32-character contact id.
    assert len(enrolment_id("a" * 24, CONTACT_ID, "k", 999)) <= 80


@pytest.mark.parametrize(("key", "occurrence"), [(None, 1), ("tok-1", 12)])
def test_an_enrolment_id_parses_back_with_its_contact(key: str | None, occurrence: int) -> None:
    value = enrolment_id("abandoned_checkout", "c-with-dashes", key, occurrence)

    assert parse_enrolment_id(value, "c-with-dashes") == (
        "abandoned_checkout",
        None if key is None else key_hash(key),
        occurrence,
    )


@pytest.mark.parametrize(
    "value", ["welcome-other-1", "welcome", f"welcome-{CONTACT_ID}-x", f"welcome-{CONTACT_ID}-zz-1"]
)
def test_an_id_of_another_contact_or_malformed_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not an enrolment id"):
        parse_enrolment_id(value, CONTACT_ID)


def test_an_id_too_long_or_with_other_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 80"):
        enrolment_id("welcome", "x" * 80, None, 1)
    with pytest.raises(ValueError, match="at most 80"):
        enrolment_id("welcome", "a/b", None, 1)
    with pytest.raises(ValueError, match="from 1"):
        enrolment_id("welcome", CONTACT_ID, None, 0)


def test_key_values_of_the_shipped_journeys() -> None:
    catalogue = default_catalogue()
    started = CheckoutStarted(
        event_id="e1",
        source="shopify",
        store=STORE,
        source_topic="checkouts/create",
        occurred_at=at(1),
        contact=contact(),
        checkout=Checkout(token="tok-1"),
    )

    assert key_value(catalogue["welcome"], consent()) is None
    assert key_value(catalogue["abandoned_checkout"], started) == "tok-1"
    assert key_value(catalogue["abandoned_checkout"], consent()) is Missing.KEY


def test_arns_come_from_the_prefix() -> None:
    prefix = "arn:aws:states:eu-west-1:111122223333:stateMachine:shop-journey-"

    assert state_machine_arn(prefix, "welcome") == prefix + "welcome"
    assert execution_arn(prefix, "welcome", "welcome-c-1") == (
        "arn:aws:states:eu-west-1:111122223333:execution:shop-journey-welcome:welcome-c-1"
    )

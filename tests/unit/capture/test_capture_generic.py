"""The generic webhook format: validation, mapping, round trip and its published JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest

from nurture.capture import generic, load_normalizer
from nurture.capture.errors import InvalidPayload, UnknownSource
from nurture.events import (
    ConsentChanged,
    ContactUpserted,
    EventType,
    OrderPlaced,
    OrderRefunded,
    ProductViewed,
    parse_event,
)
from scripts.gen_generic_schema import SCHEMA_PATH, render_schema

STORE = "my-storefront"
DOCS = Path(__file__).parents[3] / "docs"


def order_placed_body() -> dict[str, Any]:
    return {
        "type": "order.placed",
        "id": "evt-1001",
        "occurred_at": "2026-05-04T09:30:00+02:00",
        "contact": {
            "email": "Ada@Example.org",
            "phone": "+33 6 12 34 56 78",
            "customer_id": "cus_42",
            "first_name": "Ada",
            "locale": "fr_FR",
            "time_zone": "Europe/Paris",
            "birthday": "1990-12-10",
            "location": {"country_code": "fr", "city": "Lyon"},
        },
        "consent": {"email": {"state": "subscribed", "opt_in_level": "confirmed_opt_in"}},
        "order": {
            "order_id": "1001",
            "order_number": "#1001",
            "currency": "EUR",
            "subtotal": "59.80",
            "total": "64.70",
            "line_items": [
                {
                    "product_id": "p-7",
                    "sku": "MUG-BLUE",
                    "title": "Blue mug",
                    "quantity": 2,
                    "unit_price": "29.90",
                    "product_type": "Kitchen",
                    "categories": ["mugs", "gifts"],
                }
            ],
        },
    }


def test_given_an_order_placed_body_when_normalized_then_contact_consent_and_order_are_mapped() -> None:
    contact_event, consent_event, placed = generic.normalize("", order_placed_body(), store=STORE)

    assert isinstance(contact_event, ContactUpserted)
    contact = contact_event.contact
    assert (contact.email, contact.phone, contact.customer_id) == ("ada@example.org", "+33612345678", "cus_42")
    assert (contact.locale, contact.time_zone, contact.birthday) == ("fr-FR", "Europe/Paris", date(1990, 12, 10))
    assert contact.location is not None
    assert (contact.location.country_code, contact.location.city) == ("FR", "Lyon")
    assert isinstance(consent_event, ConsentChanged)
    assert consent_event.email is not None
    assert consent_event.email.state == "subscribed"
    assert consent_event.email.opt_in_level == "confirmed_opt_in"
    # No changed_at given: the consent dates from the event.
    assert consent_event.email.changed_at == datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
    assert isinstance(placed, OrderPlaced)
    assert (placed.order.total, placed.order.currency) == (Decimal("64.70"), "EUR")
    [item] = placed.order.line_items
    assert (item.unit_price, item.categories, item.product_type) == (Decimal("29.90"), ("mugs", "gifts"), "Kitchen")
    assert placed.occurred_at == datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
    assert placed.source == "generic"
    assert placed.source_topic == "order.placed"


def test_given_generic_events_when_serialized_and_parsed_back_then_they_are_equal_and_money_stays_decimal() -> None:
    events = generic.normalize("order.placed", order_placed_body(), store=STORE)

    for event in events:
        body = event.model_dump_json()
        parsed = parse_event(body)
        assert parsed == event
        assert type(parsed) is type(event)
    order_json = json.loads(events[-1].model_dump_json())["order"]
    assert order_json["total"] == "64.70"  # money travels as a string, never a float
    assert order_json["line_items"][0]["unit_price"] == "29.90"


def test_given_the_same_body_twice_when_normalized_then_the_event_ids_are_the_same() -> None:
    first = generic.normalize("", order_placed_body(), store=STORE)
    again = generic.normalize("", order_placed_body(), store=STORE)

    assert [event.event_id for event in first] == [event.event_id for event in again]


def test_given_a_contact_update_without_id_at_a_later_time_when_normalized_then_the_event_id_differs() -> None:
    body = {"type": "contact.upserted", "occurred_at": "2026-05-04T09:30:00Z", "contact": {"email": "a@b.io"}}
    [before] = generic.normalize("", body, store=STORE)
    body["occurred_at"] = "2026-05-05T09:30:00Z"
    [after] = generic.normalize("", body, store=STORE)

    assert before.event_id != after.event_id


def test_given_a_consent_changed_body_when_normalized_then_only_the_consent_event_is_emitted() -> None:
    body = {
        "type": "consent.changed",
        "occurred_at": "2026-05-04T09:30:00Z",
        "contact": {"email": "a@b.io", "phone": "+14155550123"},
        "consent": {
            "email": {"state": "unsubscribed", "changed_at": "2026-05-04T09:29:00Z"},
            "sms": {"state": "subscribed"},
        },
    }

    [event] = generic.normalize("", body, store=STORE)

    assert isinstance(event, ConsentChanged)
    assert event.email is not None and event.sms is not None
    assert (event.email.state, event.email.changed_at) == ("unsubscribed", datetime(2026, 5, 4, 9, 29, tzinfo=UTC))
    assert event.sms.state == "subscribed"


def test_given_a_product_view_when_normalized_then_product_viewed_carries_the_product() -> None:
    body = {
        "type": "product.viewed",
        "occurred_at": "2026-05-04T09:30:00Z",
        "contact": {"customer_id": "cus_42"},
        "product": {"product_id": "p-7", "title": "Blue mug", "unit_price": 29.9, "currency": "EUR"},
    }

    contact_event, viewed = generic.normalize("", body, store=STORE)

    assert contact_event.type == "contact.upserted"
    assert isinstance(viewed, ProductViewed)
    assert viewed.product.unit_price == Decimal("29.9")
    assert viewed.contact is not None
    assert viewed.contact.customer_id == "cus_42"


def test_given_an_anonymous_cart_when_normalized_then_only_the_cart_event_is_emitted() -> None:
    body = {
        "type": "cart.updated",
        "occurred_at": "2026-05-04T09:30:00Z",
        "cart": {"token": "c-1", "currency": "EUR", "line_items": []},
    }

    [event] = generic.normalize("", body, store=STORE)

    assert event.type == "cart.updated"
    assert event.contact is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "order.shipped"}, {"type"}),
        ({"occurred_at": "2026-05-04T09:30:00"}, {"occurred_at"}),
        ({"contact": {"email": "not an address"}}, {"contact.email"}),
        ({"contact": {"phone": "0612345678"}}, {"contact.phone"}),
        ({"contact": {"first_name": "Ada"}}, {"contact"}),
        ({"contact": {"email": "a@b.io", "time_zone": "Mars/Olympus"}}, {"contact.time_zone"}),
        ({"contact": {"email": "a@b.io", "emial": "typo"}}, {"contact.emial"}),
        ({"order": {"order_id": "1", "currency": "EUR", "total": "ten"}}, {"order.total"}),
        ({"order": {"order_id": "1", "currency": "EUR", "total": "-5"}}, {"order.total"}),
        ({"contact": {"email": "a@b.io"}, "consent": {"sms": {"state": "subscribed"}}}, {"consent.sms"}),
        ({"consent": {"email": {"state": "maybe"}}}, {"consent.email.state"}),
        ({"consent": {}}, {"consent"}),
    ],
    ids=[
        "unknown-type",
        "naive-time",
        "bad-email",
        "national-phone",
        "no-identifier",
        "bad-zone",
        "unknown-field",
        "bad-money",
        "negative-money",
        "sms-consent-without-phone",
        "bad-consent-state",
        "empty-consent",
    ],
)
def test_given_an_invalid_generic_body_when_normalized_then_the_error_names_the_field(
    change: dict[str, Any], expected: set[str]
) -> None:
    body = order_placed_body()
    body.update(change)

    with pytest.raises(InvalidPayload) as raised:
        generic.normalize("", body, store=STORE)

    assert {error["field"] for error in raised.value.errors} == expected
    assert all(error["message"] for error in raised.value.errors)


def test_given_a_missing_order_when_normalized_then_order_is_reported_required() -> None:
    body = order_placed_body()
    del body["order"]

    with pytest.raises(InvalidPayload) as raised:
        generic.normalize("", body, store=STORE)

    assert raised.value.errors == [{"field": "order", "message": "Field required"}]


def test_given_a_topic_header_that_contradicts_the_type_when_normalized_then_type_is_reported() -> None:
    with pytest.raises(InvalidPayload) as raised:
        generic.normalize("order.paid", order_placed_body(), store=STORE)

    assert raised.value.errors == [{"field": "type", "message": "does not match the topic header 'order.paid'"}]


def test_given_every_canonical_type_then_the_generic_format_has_a_model_for_it() -> None:
    assert set(generic.MODELS_BY_TYPE) == set(get_args(EventType))


def test_given_the_source_names_when_loading_normalizers_then_each_loads_and_others_are_unknown() -> None:
    assert load_normalizer("generic") is generic.normalize
    with pytest.raises(UnknownSource) as raised:
        load_normalizer("magento")
    assert raised.value.source == "magento"


# ---- published schema and docs ----


def test_given_the_committed_schema_when_compared_with_the_generated_one_then_they_are_identical() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")

    assert committed == render_schema()


def test_given_the_schema_then_it_is_a_discriminated_union_of_every_store_event_type() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

    assert schema["discriminator"]["propertyName"] == "type"
    assert set(schema["discriminator"]["mapping"]) == set(get_args(EventType))
    assert schema["$defs"]["GenericContact"]["additionalProperties"] is False


def test_given_the_example_in_the_docs_when_normalized_then_it_is_accepted() -> None:
    text = (DOCS / "webhooks.md").read_text(encoding="utf-8")
    example = text.split("<!-- generic-example -->\n```json\n", 1)[1].split("```", 1)[0]

    events = generic.normalize("", json.loads(example), store=STORE)

    assert [event.type for event in events] == ["contact.upserted", "consent.changed", "checkout.started"]


@pytest.mark.parametrize(("given", "unpaid"), [({}, False), ({"unpaid": False}, False), ({"unpaid": True}, True)])
def test_given_an_order_placed_with_or_without_unpaid_then_the_flag_is_carried(
    given: dict[str, Any], unpaid: bool
) -> None:
    body = order_placed_body()
    body["order"].update(given)

    placed = generic.normalize("order.placed", body, store=STORE)[-1]

    assert isinstance(placed, OrderPlaced)
    assert placed.order.unpaid is unpaid


def test_given_an_order_refunded_then_it_carries_the_amount_refunded_so_far() -> None:
    body = {**order_placed_body(), "type": "order.refunded", "refunded_total": "10.00"}
    del body["id"]  # ids from the order and occurred_at

    refunded = generic.normalize("order.refunded", body, store=STORE)[-1]
    later = generic.normalize(
        "order.refunded", {**body, "occurred_at": "2026-05-05T09:30:00+02:00", "refunded_total": "20"}, store=STORE
    )[-1]

    assert isinstance(refunded, OrderRefunded)
    assert (refunded.refunded_total, refunded.order.total) == (Decimal("10.00"), Decimal("64.70"))
    # A snapshot: each report of the growing amount is its own event.
    assert later.event_id != refunded.event_id


@pytest.mark.parametrize(("amount", "field"), [("-1", "refunded_total"), (None, "refunded_total")])
def test_given_an_order_refunded_without_a_valid_amount_then_400_names_it(amount: str | None, field: str) -> None:
    body = {**order_placed_body(), "type": "order.refunded"}
    if amount is not None:
        body["refunded_total"] = amount

    with pytest.raises(InvalidPayload) as raised:
        generic.normalize("order.refunded", body, store=STORE)

    assert field in [error["field"] for error in raised.value.errors]

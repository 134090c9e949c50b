"""The canonical vocabulary: validation of identity, money and time; ids; JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from nurture.events import (
    ChannelConsent,
    ConsentChanged,
    Contact,
    LineItem,
    Order,
    OrderPaid,
    derive_event_id,
    parse_event,
)

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _paid_order() -> OrderPaid:
    return OrderPaid(
        event_id="e" * 32,
        source="shopify",
        store="s.myshopify.com",
        source_topic="orders/paid",
        occurred_at=datetime(2026, 5, 4, 11, 30, tzinfo=timezone(timedelta(hours=2))),
        contact=Contact(email="ada@example.org"),
        order=Order(
            order_id="1",
            currency="EUR",
            total=Decimal("0.30"),
            line_items=(LineItem(title="Sticker", quantity=3, unit_price=Decimal("0.10")),),
        ),
    )


def test_given_an_event_when_dumped_to_json_and_parsed_then_it_is_equal_with_money_as_decimal() -> None:
    event = _paid_order()

    parsed = parse_event(event.model_dump_json())

    assert parsed == event
    assert isinstance(parsed, OrderPaid)
    assert parsed.order.total == Decimal("0.30")
    assert sum(item.unit_price * item.quantity for item in parsed.order.line_items) == Decimal("0.30")


def test_given_an_occurred_at_with_an_offset_when_built_then_it_is_stored_in_utc() -> None:
    assert _paid_order().occurred_at == AT
    assert _paid_order().occurred_at.utcoffset() == timedelta(0)


def test_given_a_model_when_mutated_then_it_refuses() -> None:
    event = _paid_order()

    with pytest.raises(ValidationError):
        event.store = "other"

    assert event.store == "s.myshopify.com"


def test_given_an_unknown_field_when_parsed_then_it_is_rejected() -> None:
    body = _paid_order().model_dump(mode="json") | {"extra": 1}

    with pytest.raises(ValidationError) as raised:
        parse_event(body)

    assert raised.value.errors()[0]["loc"] == ("order.paid", "extra")


def test_given_a_float_total_when_dumped_then_it_is_exact_because_money_is_decimal() -> None:
    order = Order(order_id="1", currency="USD", total=Decimal("19.99"))

    assert order.model_dump(mode="json")["total"] == "19.99"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({}, "a contact needs at least one of email, phone or customer_id"),
        ({"email": "nobody"}, "is not a valid email address"),
        ({"phone": "0612345678"}, "must be an E.164 phone number"),
        ({"email": "a@b.io", "time_zone": "Not/AZone"}, "must be an IANA time zone"),
        ({"email": "a@b.io", "locale": "english please"}, "must be a language tag"),
    ],
)
def test_given_invalid_contact_fields_when_built_then_they_are_rejected(fields: dict[str, str], bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Contact(**fields)  # type: ignore[arg-type]

    assert bad in str(raised.value)


def test_given_a_consent_change_without_channels_when_built_then_it_is_rejected() -> None:
    with pytest.raises(ValidationError) as raised:
        ConsentChanged(
            event_id="x",
            source="generic",
            store="s",
            source_topic="consent.changed",
            occurred_at=AT,
            contact=Contact(email="a@b.io"),
        )

    assert "at least one of email or sms" in str(raised.value)


def test_given_a_naive_consent_time_when_built_then_it_is_rejected() -> None:
    with pytest.raises(ValidationError) as raised:
        ChannelConsent(state="subscribed", changed_at=datetime(2026, 5, 4, 9, 30))  # noqa: DTZ001

    assert raised.value.errors()[0]["type"] == "timezone_aware"


def test_given_the_same_identity_when_deriving_ids_then_they_are_equal_and_differ_on_any_part() -> None:
    base = derive_event_id("shopify", "s", "contact.upserted", "customer/1", AT)
    same_instant_in_new_york = AT.astimezone(timezone(timedelta(hours=-5)))

    assert base == derive_event_id("shopify", "s", "contact.upserted", "customer/1", same_instant_in_new_york)
    assert len(base) == 32
    assert base != derive_event_id("woocommerce", "s", "contact.upserted", "customer/1", AT)
    assert base != derive_event_id("shopify", "t", "contact.upserted", "customer/1", AT)
    assert base != derive_event_id("shopify", "s", "consent.changed", "customer/1", AT)
    assert base != derive_event_id("shopify", "s", "contact.upserted", "customer/2", AT)
    assert base != derive_event_id("shopify", "s", "contact.upserted", "customer/1", AT + timedelta(seconds=1))
    assert base != derive_event_id("shopify", "s", "contact.upserted", "customer/1", None)

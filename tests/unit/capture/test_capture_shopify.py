"""Shopify payloads → canonical events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from capture_payloads import SHOPIFY_FIXTURE_TOPICS, load_fixture

from nurture.capture import shopify
from nurture.capture.errors import IgnoredTopic, InvalidPayload
from nurture.events import (
    CartUpdated,
    CheckoutCompleted,
    CheckoutStarted,
    CheckoutUpdated,
    ConsentChanged,
    ContactUpserted,
    OrderCancelled,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
)

STORE = "jsmith.myshopify.com"
NEW_YEAR = datetime(2022, 1, 1, tzinfo=UTC)  # the fixtures' "2021-12-31T19:00:00-05:00"

EXPECTED_TYPES = {
    "customers/create": ["contact.upserted"],
    "customers/update": ["contact.upserted"],
    "orders/create": ["contact.upserted", "consent.changed", "order.placed"],
    "orders/paid": ["contact.upserted", "consent.changed", "order.paid"],
    "orders/cancelled": ["contact.upserted", "consent.changed", "order.cancelled"],
    "orders/fulfilled": ["contact.upserted", "consent.changed", "order.fulfilled"],
    "checkouts/create": ["contact.upserted", "checkout.started"],
    "checkouts/update": ["contact.upserted", "checkout.updated"],
    "carts/create": ["cart.updated"],
    "carts/update": ["cart.updated"],
}


@pytest.mark.parametrize(
    ("fixture", "topic"),
    [(fixture, topic) for fixture, topics in SHOPIFY_FIXTURE_TOPICS.items() for topic in topics],
)
def test_given_each_published_shopify_payload_when_normalized_then_it_yields_the_topics_events(
    fixture: str, topic: str
) -> None:
    events = shopify.normalize(topic, load_fixture("shopify", fixture), store=STORE)

    assert [event.type for event in events] == EXPECTED_TYPES[topic]
    assert {(event.source, event.store, event.source_topic) for event in events} == {("shopify", STORE, topic)}
    assert all(len(event.event_id) == 32 for event in events)


def test_given_the_customer_fixture_when_normalized_then_the_contact_carries_identity_and_address(
    shopify_customer: dict[str, Any],
) -> None:
    [event] = shopify.normalize("customers/create", shopify_customer, store=STORE)

    assert isinstance(event, ContactUpserted)
    assert event.occurred_at == NEW_YEAR
    assert event.contact.email == "bob@biller.com"
    assert event.contact.customer_id == "706405506930370084"
    assert (event.contact.first_name, event.contact.last_name) == ("Bob", "Biller")
    assert event.contact.phone is None  # the address phone is not the person's
    assert event.contact.location is not None
    assert event.contact.location.model_dump() == {
        "country_code": "CA",
        "province": "ON",
        "city": "Ottawa",
        "postal_code": "K2P 2L8",
        "latitude": None,  # a customer's address is never geocoded
        "longitude": None,
    }


def test_given_the_order_fixture_when_normalized_as_orders_create_then_money_is_decimal_and_exact(
    shopify_order: dict[str, Any],
) -> None:
    placed = shopify.normalize("orders/create", shopify_order, store=STORE)[-1]

    assert isinstance(placed, OrderPlaced)
    order = placed.order
    assert order.order_id == "820982911946154508"  # above 2**53: kept exact as text
    assert order.order_number == "#9999"
    assert order.currency == "USD"
    assert (order.subtotal, order.total) == (Decimal("404.95"), Decimal("404.95"))
    assert (order.discount_total, order.tax_total, order.shipping_total) == (
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("10.00"),
    )
    assert all(isinstance(item.unit_price, Decimal) for item in order.line_items)
    assert [(item.sku, item.unit_price, item.quantity) for item in order.line_items] == [
        ("SKU2006-001", Decimal("89.99"), 1),
        ("LENS-PROTECT-2YR", Decimal("19.99"), 1),
        ("CASE-LEATHER-PREM", Decimal("24.99"), 1),
        ("SKU2006-020", Decimal("159.99"), 1),
        ("SKU2006-035", Decimal("119.99"), 1),
    ]
    assert order.line_items[0].product_id == "788032119674292922"
    assert order.line_items[1].product_id is None
    assert order.is_test is True
    assert placed.occurred_at == NEW_YEAR


def test_given_the_order_fixture_when_normalized_then_the_buyer_is_the_orders_email_with_the_customers_id(
    shopify_order: dict[str, Any],
) -> None:
    contact_event = shopify.normalize("orders/create", shopify_order, store=STORE)[0]

    assert isinstance(contact_event, ContactUpserted)
    assert contact_event.contact.email == "jon@example.com"
    assert contact_event.contact.customer_id == "115310627314723954"
    assert contact_event.contact.locale == "en"


def test_given_an_order_whose_buyer_ticked_marketing_when_normalized_then_email_is_subscribed_at_order_time(
    shopify_order: dict[str, Any],
) -> None:
    consent = shopify.normalize("orders/create", shopify_order, store=STORE)[1]

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert (consent.email.state, consent.email.changed_at) == ("subscribed", NEW_YEAR)
    assert consent.sms is None


def test_given_an_order_whose_buyer_did_not_tick_marketing_when_normalized_then_no_consent_is_reported(
    shopify_order: dict[str, Any],
) -> None:
    shopify_order["buyer_accepts_marketing"] = False

    events = shopify.normalize("orders/create", shopify_order, store=STORE)

    assert [event.type for event in events] == ["contact.upserted", "order.placed"]


def test_given_orders_cancelled_when_normalized_then_it_carries_the_reason_and_cancellation_time(
    shopify_order: dict[str, Any],
) -> None:
    shopify_order["cancelled_at"] = "2022-01-02T10:00:00+01:00"

    cancelled = shopify.normalize("orders/cancelled", shopify_order, store=STORE)[-1]

    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.cancel_reason == "customer"
    assert cancelled.occurred_at == datetime(2022, 1, 2, 9, 0, tzinfo=UTC)


def test_given_orders_paid_when_normalized_then_it_is_an_order_paid_with_the_same_order(
    shopify_order: dict[str, Any],
) -> None:
    paid = shopify.normalize("orders/paid", shopify_order, store=STORE)[-1]

    assert isinstance(paid, OrderPaid)
    assert paid.order.total == Decimal("404.95")
    assert paid.contact is not None
    assert paid.contact.email == "jon@example.com"


def test_given_an_order_from_a_checkout_when_created_then_the_checkout_is_completed_with_the_checkouts_id(
    shopify_order: dict[str, Any], shopify_checkout: dict[str, Any]
) -> None:
    shopify_order["checkout_token"] = "123123123"
    shopify_checkout["completed_at"] = "2022-01-01T00:05:00Z"

    from_order = shopify.normalize("orders/create", shopify_order, store=STORE)[-1]
    from_checkout = shopify.normalize("checkouts/update", shopify_checkout, store=STORE)[-1]

    assert isinstance(from_order, CheckoutCompleted)
    assert isinstance(from_checkout, CheckoutCompleted)
    assert from_order.checkout.token == from_checkout.checkout.token == "123123123"
    assert from_order.checkout.order_id == "820982911946154508"
    assert from_order.event_id == from_checkout.event_id


def test_given_the_checkout_fixture_when_created_then_the_checkout_has_totals_lines_and_recovery_url(
    shopify_checkout: dict[str, Any],
) -> None:
    contact_event, started = shopify.normalize("checkouts/create", shopify_checkout, store=STORE)

    assert isinstance(started, CheckoutStarted)
    checkout = started.checkout
    assert checkout.token == "123123123"
    assert checkout.cart_token == "eeafa272cebfd4b22385bc4b645e762c"
    assert (checkout.currency, checkout.subtotal, checkout.total) == ("USD", Decimal("398.00"), Decimal("421.88"))
    assert [(item.sku, item.variant_id, item.unit_price) for item in checkout.line_items] == [
        ("IPOD2008PINK", "808950810", Decimal("199.00")),
        ("IPOD2008PINK", "808950810", Decimal("199.00")),
    ]
    assert checkout.abandoned_checkout_url == (
        "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"
    )
    assert isinstance(contact_event, ContactUpserted)
    assert contact_event.contact.email == "example@email.com"


def test_given_checkouts_update_without_completion_when_normalized_then_it_is_checkout_updated(
    shopify_checkout: dict[str, Any],
) -> None:
    updated = shopify.normalize("checkouts/update", shopify_checkout, store=STORE)[-1]

    assert isinstance(updated, CheckoutUpdated)
    assert updated.occurred_at == NEW_YEAR
    # And it carries what a reminder shows: the lines and the recovery link (the journey's trigger)
    assert [item.title for item in updated.checkout.line_items] == ["IPod Nano - 8GB", "IPod Nano - 8GB"]
    assert updated.checkout.abandoned_checkout_url == shopify_checkout["abandoned_checkout_url"]
    assert updated.checkout.token == "123123123"


def test_given_a_checkout_with_sms_marketing_accepted_when_normalized_then_the_sms_phone_is_subscribed(
    shopify_checkout: dict[str, Any],
) -> None:
    shopify_checkout["buyer_accepts_sms_marketing"] = True
    shopify_checkout["sms_marketing_phone"] = "+1 613-555-0142"

    consent = shopify.normalize("checkouts/create", shopify_checkout, store=STORE)[1]

    assert isinstance(consent, ConsentChanged)
    assert consent.contact.phone == "+16135550142"
    assert consent.sms is not None
    assert consent.sms.state == "subscribed"
    assert consent.email is None


def test_given_the_cart_fixture_when_normalized_then_the_cart_has_no_contact_and_exact_money(
    shopify_cart: dict[str, Any],
) -> None:
    [event] = shopify.normalize("carts/update", shopify_cart, store=STORE)

    assert isinstance(event, CartUpdated)
    assert event.contact is None
    assert event.cart.token == "exampleCartId"
    assert (event.cart.currency, event.cart.subtotal) == ("USD", Decimal("59.97"))
    [item] = event.cart.line_items
    assert (item.title, item.quantity, item.unit_price) == ("Example T-Shirt - Small", 3, Decimal("19.99"))
    assert event.occurred_at == NEW_YEAR


# ---- consent mapping ----


@pytest.mark.parametrize(
    ("shopify_state", "expected"),
    [
        ("subscribed", "subscribed"),
        ("not_subscribed", "not_subscribed"),
        ("unsubscribed", "unsubscribed"),
        ("pending", "pending"),
        ("redacted", "unsubscribed"),
        ("invalid", "not_subscribed"),
        ("SUBSCRIBED", "subscribed"),
        ("a_state_shopify_adds_later", "not_subscribed"),
    ],
)
def test_given_an_email_marketing_consent_state_when_normalized_then_it_maps_to_a_canonical_state(
    shopify_customer: dict[str, Any], shopify_state: str, expected: str
) -> None:
    shopify_customer["email_marketing_consent"] = {
        "state": shopify_state,
        "opt_in_level": "confirmed_opt_in",
        "consent_updated_at": "2021-11-30T12:00:00-05:00",
    }

    _, consent = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert consent.email.state == expected
    assert consent.email.opt_in_level == "confirmed_opt_in"
    assert consent.email.changed_at == datetime(2021, 11, 30, 17, 0, tzinfo=UTC)


def test_given_sms_consent_and_a_phone_when_normalized_then_both_channels_are_reported(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["phone"] = "+16135550123"
    shopify_customer["email_marketing_consent"] = {"state": "subscribed", "opt_in_level": "single_opt_in"}
    shopify_customer["sms_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2021-12-01T00:00:00Z",
        "consent_collected_from": "SHOPIFY",
    }

    _, consent = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert isinstance(consent, ConsentChanged)
    assert consent.contact.phone == "+16135550123"
    assert consent.email is not None and consent.sms is not None
    # Without consent_updated_at the customer's updated_at is when we learnt it.
    assert (consent.email.state, consent.email.changed_at) == ("subscribed", NEW_YEAR)
    assert (consent.sms.state, consent.sms.changed_at) == ("subscribed", datetime(2021, 12, 1, tzinfo=UTC))


def test_given_sms_consent_without_a_phone_when_normalized_then_the_sms_channel_is_left_out(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["sms_marketing_consent"] = {"state": "subscribed", "opt_in_level": "single_opt_in"}

    events = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert [event.type for event in events] == ["contact.upserted"]


@pytest.mark.parametrize(("accepts", "expected"), [(True, "subscribed"), (False, "not_subscribed")])
def test_given_only_the_legacy_accepts_marketing_flag_when_normalized_then_it_sets_email_consent(
    shopify_customer: dict[str, Any], accepts: bool, expected: str
) -> None:
    shopify_customer["accepts_marketing"] = accepts
    shopify_customer["accepts_marketing_updated_at"] = "2021-06-01T08:00:00Z"
    shopify_customer["marketing_opt_in_level"] = "single_opt_in"

    _, consent = shopify.normalize("customers/create", shopify_customer, store=STORE)

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert consent.email.state == expected
    assert consent.email.changed_at == datetime(2021, 6, 1, 8, tzinfo=UTC)
    assert consent.email.opt_in_level == "single_opt_in"


def test_given_both_the_consent_object_and_the_legacy_flag_when_normalized_then_the_object_wins(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["accepts_marketing"] = True
    shopify_customer["email_marketing_consent"] = {"state": "unsubscribed", "opt_in_level": None}

    _, consent = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert consent.email.state == "unsubscribed"


def test_given_an_order_whose_customer_unsubscribed_when_normalized_then_the_customers_consent_wins(
    shopify_order: dict[str, Any],
) -> None:
    shopify_order["customer"]["email_marketing_consent"] = {
        "state": "unsubscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2021-12-31T23:00:00Z",
    }

    consent = shopify.normalize("orders/create", shopify_order, store=STORE)[1]

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert consent.email.state == "unsubscribed"


# ---- identity clean-up ----


def test_given_a_national_phone_and_a_canadian_address_when_normalized_then_the_phone_is_e164(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["phone"] = "(613) 555-0199"

    [event] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert event.contact is not None
    assert event.contact.phone == "+16135550199"


def test_given_an_email_in_capitals_when_normalized_then_it_is_lower_cased(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["email"] = "  Bob@Biller.COM "

    [event] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert event.contact is not None
    assert event.contact.email == "bob@biller.com"


def test_given_a_store_email_that_is_not_an_address_when_normalized_then_the_customer_id_still_identifies(
    shopify_customer: dict[str, Any],
) -> None:
    shopify_customer["email"] = "not-an-address"

    [event] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert event.contact is not None
    assert (event.contact.email, event.contact.customer_id) == (None, "706405506930370084")


# ---- event ids ----


def test_given_the_same_delivery_twice_when_normalized_then_the_event_ids_are_the_same(
    shopify_order: dict[str, Any],
) -> None:
    first = shopify.normalize("orders/create", shopify_order, store=STORE)
    retried = shopify.normalize("orders/create", load_fixture("shopify", "orders_create.json"), store=STORE)

    assert [event.event_id for event in first] == [event.event_id for event in retried]
    assert len({event.event_id for event in first}) == 3


def test_given_a_customer_update_with_a_later_updated_at_when_normalized_then_the_event_id_differs(
    shopify_customer: dict[str, Any],
) -> None:
    [before] = shopify.normalize("customers/update", shopify_customer, store=STORE)
    shopify_customer["updated_at"] = "2022-01-05T09:30:00-05:00"
    [after] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert before.event_id != after.event_id
    assert after.occurred_at > before.occurred_at


def test_given_the_same_instant_written_in_another_offset_when_normalized_then_the_event_id_is_the_same(
    shopify_customer: dict[str, Any],
) -> None:
    [offset] = shopify.normalize("customers/update", shopify_customer, store=STORE)
    shopify_customer["updated_at"] = "2022-01-01T00:00:00Z"
    [utc] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert offset.event_id == utc.event_id


def test_given_customers_create_and_update_of_the_same_version_then_they_are_the_same_event(
    shopify_customer: dict[str, Any],
) -> None:
    [created] = shopify.normalize("customers/create", shopify_customer, store=STORE)
    [updated] = shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert created.event_id == updated.event_id


def test_given_orders_paid_redelivered_after_another_edit_when_normalized_then_order_paid_keeps_its_id(
    shopify_order: dict[str, Any],
) -> None:
    first = shopify.normalize("orders/paid", shopify_order, store=STORE)[-1]
    shopify_order["updated_at"] = "2022-01-03T00:00:00Z"
    later = shopify.normalize("orders/paid", shopify_order, store=STORE)[-1]

    assert first.type == later.type == "order.paid"
    assert first.event_id == later.event_id


def test_given_two_shops_with_the_same_order_id_when_normalized_then_the_ids_differ(
    shopify_order: dict[str, Any],
) -> None:
    one = shopify.normalize("orders/create", shopify_order, store="one.myshopify.com")[-1]
    two = shopify.normalize("orders/create", shopify_order, store="two.myshopify.com")[-1]

    assert one.event_id != two.event_id


# ---- fulfilment ----


def test_given_orders_fulfilled_when_normalized_then_the_order_is_fulfilled_with_its_items(
    shopify_order: dict[str, Any],
) -> None:
    # Shopify's published orders/fulfilled sample is this body (tests/fixtures/third_party/SOURCES.md).
    events = shopify.normalize("orders/fulfilled", shopify_order, store=STORE)

    fulfilled = events[-1]
    assert isinstance(fulfilled, OrderFulfilled)
    assert [event.type for event in events if event.type.startswith("order.")] == ["order.fulfilled"]
    assert fulfilled.order.order_id == str(shopify_order["id"])
    assert [item.title for item in fulfilled.order.line_items] == [
        item["title"] for item in shopify_order["line_items"]
    ]
    assert fulfilled.occurred_at == datetime.fromisoformat(shopify_order["updated_at"]).astimezone(UTC)
    # A transition: the same order reported fulfilled again (a later edit) is the same event.
    shopify_order["updated_at"] = "2030-01-01T00:00:00-05:00"
    assert (
        shopify.normalize("orders/fulfilled", shopify_order, store=STORE, received_at=datetime(2031, 1, 1, tzinfo=UTC))[
            -1
        ].event_id
        == fulfilled.event_id
    )


def test_given_a_customer_sent_as_orders_fulfilled_then_it_is_refused(shopify_customer: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayload):
        shopify.normalize("orders/fulfilled", shopify_customer, store=STORE)


# ---- ignored and invalid ----


@pytest.mark.parametrize(
    "topic", ["products/update", "app/uninstalled", "orders/partially_fulfilled", "customers/delete", ""]
)
def test_given_a_topic_nurture_does_not_use_when_normalized_then_it_is_ignored(
    shopify_order: dict[str, Any], topic: str
) -> None:
    with pytest.raises(IgnoredTopic) as raised:
        shopify.normalize(topic, shopify_order, store=STORE)

    assert raised.value.topic == topic
    assert raised.value.reason == "topic not used by Nurture"


def test_given_an_order_with_broken_fields_when_normalized_then_each_bad_field_is_named(
    shopify_order: dict[str, Any],
) -> None:
    del shopify_order["id"]
    shopify_order["total_price"] = "four hundred"
    shopify_order["currency"] = "dollars"
    shopify_order["line_items"][2]["price"] = "-1.00"

    with pytest.raises(InvalidPayload) as raised:
        shopify.normalize("orders/paid", shopify_order, store=STORE)

    assert {error["field"]: error["message"] for error in raised.value.errors} == {
        "id": "Field required",
        "total_price": "Input should be a valid decimal",
        "currency": "String should match pattern '^[A-Z]{3}$'",
        "line_items.2.price": "Input should be greater than or equal to 0",
    }


def test_given_a_customer_without_updated_at_when_normalized_then_updated_at_is_named(
    shopify_customer: dict[str, Any],
) -> None:
    del shopify_customer["updated_at"]

    with pytest.raises(InvalidPayload) as raised:
        shopify.normalize("customers/update", shopify_customer, store=STORE)

    assert raised.value.errors == [{"field": "updated_at", "message": "Field required"}]


def test_given_a_naive_timestamp_when_normalized_then_the_field_is_rejected(
    shopify_cart: dict[str, Any],
) -> None:
    shopify_cart["updated_at"] = "2022-01-01T00:00:00"

    with pytest.raises(InvalidPayload) as raised:
        shopify.normalize("carts/update", shopify_cart, store=STORE)

    assert raised.value.errors == [{"field": "updated_at", "message": "Input should have timezone info"}]


@pytest.mark.parametrize("body", [[1, 2], "text", None], ids=["array", "string", "null"])
def test_given_a_body_that_is_not_an_object_when_normalized_then_the_body_is_named(body: Any) -> None:
    with pytest.raises(InvalidPayload) as raised:
        shopify.normalize("customers/create", body, store=STORE)

    assert raised.value.errors == [{"field": "body", "message": "must be a JSON object"}]


# ---- which orders count: financial_status → unpaid, refunds → order.refunded ----


@pytest.mark.parametrize(
    ("financial_status", "unpaid"),
    [
        ("paid", False),
        ("PAID", False),
        ("pending", True),
        ("authorized", True),  # an authorization is not money taken: it may expire or be voided
        ("partially_paid", True),
        ("voided", True),  # the published sample: voided, so it never counts
        ("expired", True),
        (None, False),  # a payload without the field counts as it always did
    ],
)
def test_given_an_order_created_with_a_financial_status_then_it_is_placed_unpaid_or_not(
    shopify_order: dict[str, Any], financial_status: str | None, unpaid: bool
) -> None:
    shopify_order["financial_status"] = financial_status

    events = shopify.normalize("orders/create", shopify_order, store=STORE)

    [placed] = [event for event in events if isinstance(event, OrderPlaced)]
    assert placed.order.unpaid is unpaid
    assert "order.refunded" not in [event.type for event in events]


@pytest.mark.parametrize(
    ("topic", "financial_status", "current_total", "expected_last", "refunded_total"),
    [
        ("orders/updated", "refunded", "0.00", "order.refunded", Decimal("409.94")),
        ("orders/updated", "partially_refunded", "400.00", "order.refunded", Decimal("9.94")),
        ("orders/cancelled", "refunded", "0.00", "order.refunded", Decimal("409.94")),
        ("orders/create", "partially_refunded", "309.94", "order.refunded", Decimal("100.00")),
        # A partial refund without the current total says no amount: nothing to take out.
        ("orders/create", "partially_refunded", None, "order.placed", None),
    ],
)
def test_given_a_refunded_order_when_normalized_then_order_refunded_carries_the_whole_amount_refunded(
    shopify_order: dict[str, Any],
    topic: str,
    financial_status: str,
    current_total: str | None,
    expected_last: str,
    refunded_total: Decimal | None,
) -> None:
    shopify_order["financial_status"] = financial_status
    shopify_order["total_price"] = "409.94"
    shopify_order["current_total_price"] = current_total

    events = shopify.normalize(topic, shopify_order, store=STORE)

    assert events[-1].type == expected_last
    if refunded_total is not None:
        refund = events[-1]
        assert isinstance(refund, OrderRefunded)
        assert refund.refunded_total == refunded_total
        assert refund.order.total == Decimal("409.94")
        assert refund.occurred_at == datetime.fromisoformat(shopify_order["updated_at"])


@pytest.mark.parametrize("financial_status", ["paid", "pending", "authorized", "voided", "partially_paid"])
def test_given_orders_updated_without_a_refund_when_normalized_then_it_is_ignored(
    shopify_order: dict[str, Any], financial_status: str
) -> None:
    shopify_order["financial_status"] = financial_status

    with pytest.raises(IgnoredTopic) as raised:
        shopify.normalize("orders/updated", shopify_order, store=STORE)

    assert raised.value.reason == f"financial status {financial_status!r} calls for no event"


def test_given_a_refund_reported_twice_then_one_id_and_a_later_refund_is_a_new_event(
    shopify_order: dict[str, Any],
) -> None:
    shopify_order["financial_status"] = "partially_refunded"
    shopify_order["current_total_price"] = "400.00"
    first = shopify.normalize("orders/updated", shopify_order, store=STORE)[-1]
    again = shopify.normalize("orders/updated", shopify_order, store=STORE)[-1]
    shopify_order["current_total_price"] = "300.00"
    shopify_order["updated_at"] = "2022-01-01T10:00:00-05:00"
    later = shopify.normalize("orders/updated", shopify_order, store=STORE)[-1]

    assert first.event_id == again.event_id
    assert later.event_id != first.event_id

"""WooCommerce payloads → canonical events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from capture_payloads import WOOCOMMERCE_FIXTURE_TOPICS, load_fixture

from nurture.capture import woocommerce
from nurture.capture.errors import IgnoredTopic, InvalidPayload
from nurture.events import CheckoutStarted, ConsentChanged, ContactUpserted, OrderCancelled, OrderPaid, OrderPlaced

STORE = "https://example.com"

EXPECTED_TYPES = {
    "customer.created": ["contact.upserted"],
    "customer.updated": ["contact.upserted"],
    # The published order is "processing" (paid by bank transfer): placed and paid at once.
    "order.created": ["contact.upserted", "order.placed", "order.paid"],
    "order.updated": ["contact.upserted", "order.paid"],
}


@pytest.mark.parametrize(
    ("fixture", "topic"),
    [(fixture, topic) for fixture, topics in WOOCOMMERCE_FIXTURE_TOPICS.items() for topic in topics],
)
def test_given_each_published_woocommerce_payload_when_normalized_then_it_yields_the_topics_events(
    fixture: str, topic: str
) -> None:
    events = woocommerce.normalize(topic, load_fixture("woocommerce", fixture), store=STORE)

    assert [event.type for event in events] == EXPECTED_TYPES[topic]
    assert {(event.source, event.store, event.source_topic) for event in events} == {("woocommerce", STORE, topic)}


def test_given_the_customer_fixture_when_normalized_then_the_contact_comes_from_the_customer_and_billing(
    woo_customer: dict[str, Any],
) -> None:
    [event] = woocommerce.normalize("customer.created", woo_customer, store=STORE)

    assert isinstance(event, ContactUpserted)
    contact = event.contact
    assert (contact.email, contact.customer_id) == ("john.doe@example.com", "25")
    assert (contact.first_name, contact.last_name) == ("John", "Doe")
    assert contact.phone == "+15555555555"  # "(555) 555-5555" with a US billing address
    assert contact.location is not None
    assert (contact.location.country_code, contact.location.province, contact.location.city) == (
        "US",
        "CA",
        "San Francisco",
    )
    # date_modified_gmt is UTC written without an offset.
    assert event.occurred_at == datetime(2017, 3, 21, 19, 9, 30, tzinfo=UTC)


def test_given_the_order_fixture_when_created_then_the_order_has_exact_money_and_lines(
    woo_order: dict[str, Any],
) -> None:
    placed = woocommerce.normalize("order.created", woo_order, store=STORE)[1]

    assert isinstance(placed, OrderPlaced)
    order = placed.order
    assert (order.order_id, order.order_number, order.currency) == ("727", "727", "USD")
    assert (order.subtotal, order.total) == (Decimal("18.00"), Decimal("29.35"))
    assert (order.discount_total, order.tax_total, order.shipping_total) == (
        Decimal("0.00"),
        Decimal("1.35"),
        Decimal("10.00"),
    )
    assert [(i.product_id, i.variant_id, i.sku, i.quantity, i.unit_price) for i in order.line_items] == [
        ("93", None, None, 2, Decimal("3")),
        ("22", "23", "Bar3", 1, Decimal("12")),
    ]
    assert all(isinstance(item.unit_price, Decimal) for item in order.line_items)
    assert placed.occurred_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)


def test_given_a_guest_order_when_normalized_then_the_contact_has_the_billing_email_and_no_customer_id(
    woo_order: dict[str, Any],
) -> None:
    contact_event = woocommerce.normalize("order.created", woo_order, store=STORE)[0]

    assert isinstance(contact_event, ContactUpserted)
    assert (contact_event.contact.email, contact_event.contact.customer_id) == ("john.doe@example.com", None)


def test_given_a_paid_order_when_normalized_then_order_paid_happens_at_date_paid(woo_order: dict[str, Any]) -> None:
    paid = woocommerce.normalize("order.created", woo_order, store=STORE)[-1]

    assert isinstance(paid, OrderPaid)
    assert paid.occurred_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def test_given_a_price_sent_as_a_json_float_when_normalized_then_the_decimal_is_the_written_value(
    woo_order: dict[str, Any],
) -> None:
    woo_order["line_items"][0]["price"] = 12.99  # a JSON number, as WooCommerce sends it

    placed = woocommerce.normalize("order.created", woo_order, store=STORE)[1]

    assert isinstance(placed, OrderPlaced)
    assert placed.order.line_items[0].unit_price == Decimal("12.99")


@pytest.mark.parametrize(
    ("status", "expected_last"),
    [
        ("processing", "order.paid"),
        ("completed", "order.paid"),
        ("cancelled", "order.cancelled"),
    ],
)
def test_given_order_updated_with_a_mapped_status_when_normalized_then_it_yields_the_status_event(
    woo_order: dict[str, Any], status: str, expected_last: str
) -> None:
    woo_order["status"] = status

    events = woocommerce.normalize("order.updated", woo_order, store=STORE)

    assert [event.type for event in events] == ["contact.upserted", expected_last]


@pytest.mark.parametrize("status", ["on-hold", "failed", "refunded", "trash", "my-custom-status"])
def test_given_order_updated_with_a_status_that_calls_for_nothing_when_normalized_then_it_is_ignored(
    woo_order: dict[str, Any], status: str
) -> None:
    woo_order["status"] = status

    with pytest.raises(IgnoredTopic) as raised:
        woocommerce.normalize("order.updated", woo_order, store=STORE)

    assert raised.value.topic == "order.updated"
    assert raised.value.reason == f"order status {status!r} calls for no event"


@pytest.mark.parametrize("status", ["on-hold", "failed"])
def test_given_order_created_awaiting_payment_when_normalized_then_it_is_placed_only(
    woo_order: dict[str, Any], status: str
) -> None:
    woo_order["status"] = status

    events = woocommerce.normalize("order.created", woo_order, store=STORE)

    assert [event.type for event in events] == ["contact.upserted", "order.placed"]


def test_given_a_pending_order_when_created_then_it_is_placed_and_its_checkout_started_with_the_payment_url(
    woo_order: dict[str, Any],
) -> None:
    # Given the published order, unpaid (pending payment), with the payment link WooCommerce gives it
    woo_order["status"] = "pending"
    woo_order["payment_url"] = "https://example.com/checkout/order-pay/727/?pay_for_order=true&key=wc_order_58d2d042d1d"

    events = woocommerce.normalize("order.created", woo_order, store=STORE)

    # Then the order exists and its checkout is started, keyed by the order key, with the lines
    assert [event.type for event in events] == ["contact.upserted", "order.placed", "checkout.started"]
    placed, started = events[1], events[2]
    assert isinstance(placed, OrderPlaced)
    assert isinstance(started, CheckoutStarted)
    assert started.checkout.token == placed.order.checkout_token == "wc_order_58d2d042d1d"
    assert started.checkout.abandoned_checkout_url == woo_order["payment_url"]
    assert started.checkout.line_items == placed.order.line_items
    assert (started.checkout.currency, started.checkout.total) == ("USD", Decimal("29.35"))
    assert started.contact is not None and started.contact.email == "john.doe@example.com"


def test_given_a_pending_order_reported_again_when_updated_then_the_same_checkout_started_id(
    woo_order: dict[str, Any],
) -> None:
    woo_order["status"] = "pending"
    created = woocommerce.normalize("order.created", woo_order, store=STORE)[-1]
    woo_order["date_modified_gmt"] = "2017-03-22T20:00:00"

    updated = woocommerce.normalize("order.updated", woo_order, store=STORE)

    assert [event.type for event in updated] == ["contact.upserted", "checkout.started"]
    assert updated[-1].event_id == created.event_id


def test_given_a_pending_order_without_key_or_payment_url_then_the_token_is_the_id_and_no_recovery_link(
    woo_order: dict[str, Any],
) -> None:
    woo_order["status"] = "pending"
    del woo_order["order_key"]

    started = woocommerce.normalize("order.created", woo_order, store=STORE)[-1]

    assert isinstance(started, CheckoutStarted)
    assert (started.checkout.token, started.checkout.abandoned_checkout_url) == ("727", None)


def test_given_the_pending_order_paid_when_updated_then_order_paid_names_the_checkout(
    woo_order: dict[str, Any],
) -> None:
    # The abandoned-checkout journey exits on order.paid with the same checkout token
    paid = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert isinstance(paid, OrderPaid)
    assert paid.order.checkout_token == "wc_order_58d2d042d1d"


def test_given_order_created_cancelled_when_normalized_then_it_is_placed_and_cancelled(
    woo_order: dict[str, Any],
) -> None:
    woo_order["status"] = "cancelled"

    events = woocommerce.normalize("order.created", woo_order, store=STORE)

    assert [event.type for event in events] == ["contact.upserted", "order.placed", "order.cancelled"]
    assert isinstance(events[-1], OrderCancelled)


def test_given_a_block_checkout_draft_when_created_then_it_is_ignored(woo_order: dict[str, Any]) -> None:
    woo_order["status"] = "checkout-draft"

    with pytest.raises(IgnoredTopic) as raised:
        woocommerce.normalize("order.created", woo_order, store=STORE)

    assert raised.value.reason == "order status 'checkout-draft' is a checkout in progress"


def test_given_processing_then_completed_updates_when_normalized_then_order_paid_keeps_one_id(
    woo_order: dict[str, Any],
) -> None:
    from_created = woocommerce.normalize("order.created", woo_order, store=STORE)[-1]
    woo_order["status"] = "completed"
    woo_order["date_modified_gmt"] = "2017-03-25T10:00:00"
    from_completed = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert from_created.type == from_completed.type == "order.paid"
    assert from_created.event_id == from_completed.event_id


def test_given_the_same_delivery_twice_when_normalized_then_the_event_ids_are_the_same(
    woo_customer: dict[str, Any],
) -> None:
    [first] = woocommerce.normalize("customer.updated", woo_customer, store=STORE)
    [again] = woocommerce.normalize("customer.updated", woo_customer, store=STORE)

    assert first.event_id == again.event_id


def test_given_a_customer_modified_later_when_normalized_then_the_event_id_differs(
    woo_customer: dict[str, Any],
) -> None:
    [before] = woocommerce.normalize("customer.updated", woo_customer, store=STORE)
    woo_customer["date_modified_gmt"] = "2017-04-01T08:00:00"
    [after] = woocommerce.normalize("customer.updated", woo_customer, store=STORE)

    assert before.event_id != after.event_id
    assert after.occurred_at == datetime(2017, 4, 1, 8, tzinfo=UTC)


# ---- consent from meta_data ----


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("subscribed", "subscribed"),
        ("yes", "subscribed"),
        (True, "subscribed"),
        ("no", "not_subscribed"),
        ("unsubscribed", "unsubscribed"),
        ("pending", "pending"),
    ],
)
def test_given_consent_meta_when_normalized_then_email_consent_is_reported(
    woo_customer: dict[str, Any], value: object, expected: str
) -> None:
    woo_customer["meta_data"] = [{"id": 1, "key": "nurture_email_consent", "value": value}]

    _, consent = woocommerce.normalize("customer.updated", woo_customer, store=STORE)

    assert isinstance(consent, ConsentChanged)
    assert consent.email is not None
    assert consent.email.state == expected
    assert consent.email.changed_at == datetime(2017, 3, 21, 19, 9, 30, tzinfo=UTC)
    assert consent.sms is None


def test_given_sms_consent_meta_when_normalized_then_the_billing_phone_is_subscribed(
    woo_order: dict[str, Any],
) -> None:
    woo_order["meta_data"].append({"id": 2, "key": "nurture_sms_consent", "value": "subscribed"})

    consent = woocommerce.normalize("order.created", woo_order, store=STORE)[1]

    assert isinstance(consent, ConsentChanged)
    assert consent.contact.phone == "+15555555555"
    assert consent.sms is not None
    assert consent.sms.state == "subscribed"


def test_given_unrelated_or_unreadable_meta_when_normalized_then_no_consent_is_reported(
    woo_customer: dict[str, Any],
) -> None:
    woo_customer["meta_data"] = [
        {"id": 1, "key": "favourite_colour", "value": "green"},
        {"id": 2, "key": "nurture_email_consent", "value": "maybe"},
    ]

    events = woocommerce.normalize("customer.updated", woo_customer, store=STORE)

    assert [event.type for event in events] == ["contact.upserted"]


# ---- ping, ignored, invalid ----


@pytest.mark.parametrize(("body", "expected"), [(b"webhook_id=42", "42"), (b"webhook_id=7\n", "7")])
def test_given_the_activation_ping_when_checked_then_its_webhook_id_is_returned(body: bytes, expected: str) -> None:
    assert woocommerce.activation_ping_webhook_id(body) == expected


@pytest.mark.parametrize("body", [b'{"id": 25}', b"webhook_id=", b"webhook_id=1&x=2", b""])
def test_given_a_body_that_is_not_the_ping_when_checked_then_none_is_returned(body: bytes) -> None:
    assert woocommerce.activation_ping_webhook_id(body) is None


@pytest.mark.parametrize("topic", ["product.updated", "coupon.created", "customer.deleted", "order.deleted"])
def test_given_a_topic_nurture_does_not_use_when_normalized_then_it_is_ignored(
    woo_order: dict[str, Any], topic: str
) -> None:
    with pytest.raises(IgnoredTopic) as raised:
        woocommerce.normalize(topic, woo_order, store=STORE)

    assert raised.value.topic == topic


def test_given_an_order_with_broken_fields_when_normalized_then_each_bad_field_is_named(
    woo_order: dict[str, Any],
) -> None:
    del woo_order["status"]
    woo_order["date_created_gmt"] = "yesterday"
    woo_order["line_items"][1]["quantity"] = "one"

    with pytest.raises(InvalidPayload) as raised:
        woocommerce.normalize("order.updated", woo_order, store=STORE)

    assert {error["field"] for error in raised.value.errors} == {
        "status",
        "date_created_gmt",
        "line_items.1.quantity",
    }
    assert {error["field"]: error["message"] for error in raised.value.errors}["status"] == "Field required"

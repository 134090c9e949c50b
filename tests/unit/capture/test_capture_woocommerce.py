"""WooCommerce payloads → canonical events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from capture_payloads import WOOCOMMERCE_FIXTURE_TOPICS, load_fixture

from nurture.capture import woocommerce
from nurture.capture.errors import IgnoredTopic, InvalidPayload
from nurture.events import (
    CheckoutStarted,
    ConsentChanged,
    ContactUpserted,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
)

STORE = "https://example.com"

EXPECTED_TYPES = {
    "customer.created": ["contact.upserted"],
    "customer.updated": ["contact.upserted"],
    # The published order is "processing" (paid by bank transfer): placed and paid at once.
    "order.created": ["contact.upserted", "order.placed", "order.paid"],
    # The same: order.placed is a transition, so whichever delivery reports it first keeps one id.
    "order.updated": ["contact.upserted", "order.placed", "order.paid"],
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


# Status → events, the same on order.created and order.updated; "unpaid" is the order.placed's
# flag (None: no order.placed). Only a paid order counts: placed without unpaid, or order.paid.
STATUS_EVENTS: list[tuple[str, list[str], bool | None]] = [
    ("processing", ["contact.upserted", "order.placed", "order.paid"], False),
    # completed: the merchant fulfilled it (the post-purchase journeys start on order.fulfilled)
    ("completed", ["contact.upserted", "order.placed", "order.paid", "order.fulfilled"], False),
    ("on-hold", ["contact.upserted", "order.placed"], True),
    # WooCommerce's abandoned checkout: no order.placed, so it neither counts nor ends journeys.
    ("pending", ["contact.upserted", "checkout.started"], None),
    ("cancelled", ["contact.upserted", "order.cancelled"], None),
    ("refunded", ["contact.upserted", "order.refunded"], None),
    ("Processing", ["contact.upserted", "order.placed", "order.paid"], False),
]


@pytest.mark.parametrize("topic", ["order.created", "order.updated"])
@pytest.mark.parametrize(("status", "expected", "unpaid"), STATUS_EVENTS)
def test_given_an_order_status_when_normalized_then_it_yields_its_events_on_either_topic(
    woo_order: dict[str, Any], topic: str, status: str, expected: list[str], unpaid: bool | None
) -> None:
    woo_order["status"] = status

    events = woocommerce.normalize(topic, woo_order, store=STORE)

    assert [event.type for event in events] == expected
    placed = [event for event in events if isinstance(event, OrderPlaced)]
    assert [event.order.unpaid for event in placed] == ([] if unpaid is None else [unpaid])


@pytest.mark.parametrize("topic", ["order.created", "order.updated"])
@pytest.mark.parametrize("status", ["failed", "trash", "draft", "my-custom-status"])
def test_given_an_order_status_that_is_no_purchase_when_normalized_then_it_is_ignored(
    woo_order: dict[str, Any], topic: str, status: str
) -> None:
    woo_order["status"] = status

    with pytest.raises(IgnoredTopic) as raised:
        woocommerce.normalize(topic, woo_order, store=STORE)

    assert raised.value.topic == topic
    assert raised.value.reason == f"order status {status!r} calls for no event"


@pytest.mark.parametrize(
    ("status", "refunds", "expected_total"),
    [
        # Refund totals are written negative; several partial refunds add up.
        ("processing", [{"id": 1, "reason": "", "total": "-5.00"}], Decimal("5.00")),
        ("completed", [{"id": 1, "total": "-5.00"}, {"id": 2, "total": "-2.35"}], Decimal("7.35")),
        ("completed", [{"id": 1, "total": -4.5}], Decimal("4.5")),
        # Fully refunded: the whole total, whatever the refunds list says.
        ("refunded", [], Decimal("29.35")),
        ("refunded", [{"id": 1, "total": "-29.35"}], Decimal("29.35")),
        ("cancelled", [{"id": 1, "total": "-29.35"}], Decimal("29.35")),
    ],
)
def test_given_an_order_with_refunds_when_updated_then_order_refunded_carries_the_whole_amount_refunded(
    woo_order: dict[str, Any], status: str, refunds: list[dict[str, Any]], expected_total: Decimal
) -> None:
    woo_order["status"] = status
    woo_order["refunds"] = refunds
    woo_order["date_modified_gmt"] = "2017-03-25T10:00:00"

    refunded = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert isinstance(refunded, OrderRefunded)
    assert refunded.refunded_total == expected_total
    assert refunded.order.total == Decimal("29.35")
    assert refunded.occurred_at == datetime(2017, 3, 25, 10, tzinfo=UTC)


def test_given_a_second_partial_refund_when_updated_then_it_is_a_new_order_refunded_event(
    woo_order: dict[str, Any],
) -> None:
    woo_order["refunds"] = [{"id": 1, "total": "-5.00"}]
    woo_order["date_modified_gmt"] = "2017-03-25T10:00:00"
    first = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]
    again = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]
    woo_order["refunds"].append({"id": 2, "total": "-1.00"})
    woo_order["date_modified_gmt"] = "2017-03-26T10:00:00"
    second = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert first.event_id == again.event_id
    assert second.event_id != first.event_id


def test_given_a_pending_order_when_created_then_its_checkout_starts_with_the_payment_url_and_no_order_is_placed(
    woo_order: dict[str, Any],
) -> None:
    # Given the published order, unpaid (pending payment), with the payment link WooCommerce gives it
    woo_order["status"] = "pending"
    woo_order["payment_url"] = "https://example.com/checkout/order-pay/727/?pay_for_order=true&key=wc_order_58d2d042d1d"

    events = woocommerce.normalize("order.created", woo_order, store=STORE)

    # Then its checkout is started, keyed by the order key, with the lines; no order is placed yet
    assert [event.type for event in events] == ["contact.upserted", "checkout.started"]
    started = events[1]
    assert isinstance(started, CheckoutStarted)
    assert started.checkout.token == "wc_order_58d2d042d1d"
    assert started.checkout.abandoned_checkout_url == woo_order["payment_url"]
    assert [item.sku for item in started.checkout.line_items] == [None, "Bar3"]
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


def test_given_a_block_checkout_draft_when_created_then_it_is_ignored(woo_order: dict[str, Any]) -> None:
    woo_order["status"] = "checkout-draft"

    with pytest.raises(IgnoredTopic) as raised:
        woocommerce.normalize("order.created", woo_order, store=STORE)

    assert raised.value.reason == "order status 'checkout-draft' is a checkout in progress"


def test_given_processing_then_completed_updates_when_normalized_then_placed_and_paid_keep_their_ids(
    woo_order: dict[str, Any],
) -> None:
    from_created = woocommerce.normalize("order.created", woo_order, store=STORE)[-2:]
    woo_order["status"] = "completed"
    woo_order["date_modified_gmt"] = "2017-03-25T10:00:00"
    from_completed = woocommerce.normalize("order.updated", woo_order, store=STORE)[-3:-1]

    assert [event.type for event in from_created] == [event.type for event in from_completed]
    assert [event.type for event in from_completed] == ["order.placed", "order.paid"]
    assert [event.event_id for event in from_created] == [event.event_id for event in from_completed]


def test_given_a_completed_order_when_normalized_then_it_is_fulfilled_once_at_its_completion(
    woo_order: dict[str, Any],
) -> None:
    woo_order["status"] = "completed"
    woo_order["date_completed_gmt"] = "2017-03-26T09:30:00"
    fulfilled = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]
    woo_order["date_modified_gmt"] = "2017-03-27T10:00:00"  # a later edit of the completed order
    again = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert isinstance(fulfilled, OrderFulfilled)
    assert fulfilled.occurred_at == datetime(2017, 3, 26, 9, 30, tzinfo=UTC)
    assert fulfilled.order.order_id == str(woo_order["id"])
    assert [item.title for item in fulfilled.order.line_items] == [item["name"] for item in woo_order["line_items"]]
    assert again.event_id == fulfilled.event_id  # a transition: one event however often it is re-sent


def test_given_a_completed_order_without_its_completion_date_then_it_is_fulfilled_when_modified(
    woo_order: dict[str, Any],
) -> None:
    woo_order["status"] = "completed"
    woo_order.pop("date_completed_gmt", None)
    woo_order["date_modified_gmt"] = "2017-03-25T10:00:00"

    fulfilled = woocommerce.normalize("order.updated", woo_order, store=STORE)[-1]

    assert isinstance(fulfilled, OrderFulfilled)
    assert fulfilled.occurred_at == datetime(2017, 3, 25, 10, 0, tzinfo=UTC)


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

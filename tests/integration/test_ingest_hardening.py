"""IngestFunction on moto, issue 13: bad input is a 400 naming the field (never a 5xx), nothing is
written for a rejected request, and nothing is accepted that could not be used downstream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.capture.signatures import sign_base64
from tests.integration import test_ingest_webhooks as webhooks
from tests.integration.test_ingest_webhooks import (
    SECRETS,
    call,
    http_event,
    queued,
    shopify_headers,
    table_items,
    woo_headers,
)
from tests.third_party import fixture_bytes, fixture_json

ingest = webhooks.ingest  # the function wired as template.yaml wires it (a fixture)


SHOPIFY_CUSTOMER = ("shopify", "shopify/customers_create.json", "customers/update")
SHOPIFY_ORDER = ("shopify", "shopify/orders_create.json", "orders/create")
WOO_ORDER = ("woocommerce", "woocommerce/order_created_wc_v3_rest_response_example.json", "order.created")


def store_event(delivery: tuple[str, str, str], **fields: Any) -> dict[str, Any]:
    """A signed delivery of a published store payload, with ``fields`` replaced."""
    source, fixture, topic = delivery
    body = json.dumps(fixture_json(fixture) | fields).encode()
    headers = shopify_headers(body, topic) if source == "shopify" else woo_headers(body, topic)
    return http_event(source, body, headers)


def generic_event(body: dict[str, Any], **headers: str) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    signed = {"X-Nurture-Signature": sign_base64(SECRETS["generic"].encode(), raw), **headers}
    return http_event("generic", raw, signed)


def consent_body(state: str, changed_at: str, occurred_at: str = "2026-06-01T00:00:00Z") -> dict[str, Any]:
    return {
        "type": "consent.changed",
        "occurred_at": occurred_at,
        "contact": {"email": "ada@example.com"},
        "consent": {"email": {"state": state, "changed_at": changed_at}},
    }


def in_digits(zero: int, number: str = "4155550123") -> str:
    """``+1`` and ``number`` written with the digits of another script (``zero`` is its 0)."""
    return "+1" + "".join(chr(zero + int(digit)) for digit in number)


def assert_rejected_without_writes(ingest: dict[str, Any], status: int, answer: dict[str, Any], field: str) -> None:
    assert status == 400, answer
    assert field in [error["field"] for error in answer["errors"]], answer
    assert queued(ingest) == []
    assert table_items(ingest) == []


# ---- Consent and timestamps ----


def test_given_a_subscribe_dated_2099_when_received_then_400_names_changed_at_and_nothing_is_written(
    ingest, lambda_context
):
    status, answer = call(generic_event(consent_body("subscribed", "2099-01-01T00:00:00Z")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "consent.email.changed_at")


def test_given_a_subscribe_from_the_future_was_refused_when_the_unsubscribe_arrives_then_it_is_queued(
    ingest, lambda_context
):
    call(generic_event(consent_body("subscribed", "2099-01-01T00:00:00Z")), lambda_context)

    status, answer = call(generic_event(consent_body("unsubscribed", "2026-06-01T00:00:00Z")), lambda_context)

    assert status == 202, answer
    [message] = queued(ingest)
    assert message["email"]["state"] == "unsubscribed"


@pytest.mark.parametrize(
    "occurred_at",
    [
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00-14:00",
        "0001-01-01T00:00:00+14:00",
        "1999-12-31T23:59:59Z",
        "2099-01-01T00:00:00Z",
    ],
)
def test_given_an_occurred_at_out_of_bounds_when_received_then_400_names_it_and_nothing_is_written(
    ingest, lambda_context, occurred_at
):
    body = consent_body("subscribed", "2026-06-01T00:00:00Z", occurred_at=occurred_at)
    del body["consent"]["email"]["changed_at"]

    status, answer = call(generic_event(body), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "occurred_at")


def test_given_a_timestamp_a_little_ahead_of_the_receiving_clock_when_received_then_it_is_accepted(
    ingest, lambda_context
):
    # Clocks drift: a few minutes ahead of ours is a sender's clock, not a claim from the future.
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()

    status, answer = call(generic_event(consent_body("subscribed", soon, occurred_at=soon)), lambda_context)

    assert status == 202, answer


def test_given_a_shopify_customer_updated_in_year_9999_when_received_then_400_names_updated_at(ingest, lambda_context):
    payload = fixture_json("shopify/customers_create.json")
    payload["updated_at"] = "9999-12-31T23:59:59+14:00"
    body = json.dumps(payload).encode()

    status, answer = call(http_event("shopify", body, shopify_headers(body, "customers/update")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "updated_at")


def test_given_a_woocommerce_order_modified_in_year_9999_when_received_then_400_names_the_field(ingest, lambda_context):
    payload = fixture_json("woocommerce/order_created_wc_v3_rest_response_example.json")
    payload["date_modified_gmt"] = "9999-12-31T23:59:59"
    body = json.dumps(payload).encode()

    status, answer = call(http_event("woocommerce", body, woo_headers(body, "order.created")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "date_modified_gmt")


# ---- Intake: never 5xx ----


def test_given_a_base64_flagged_body_that_is_not_base64_when_received_then_400_names_the_body(ingest, lambda_context):
    event = http_event("generic", b"{}", {"X-Nurture-Signature": "irrelevant"})
    event["body"] = "this is not base64!"

    status, answer = call(event, lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "body")


def test_given_an_unreadable_body_when_refused_then_it_is_logged_as_a_warning_without_a_traceback(
    ingest, lambda_context, caplog
):
    event = http_event("generic", b"{}", {"X-Nurture-Signature": "irrelevant"})
    event["body"] = "this is not base64!"

    call(event, lambda_context)

    answered = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if "webhook" in r.getMessage()]
    assert answered == [("WARNING", "webhook refused", None)]


def test_given_a_body_string_with_a_lone_surrogate_when_received_then_400_names_the_body(ingest, lambda_context):
    event = http_event("generic", b"{}", {"X-Nurture-Signature": "irrelevant"}, base64_body=False)
    event["body"] = '{"type": "\ud800"}'

    status, answer = call(event, lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "body")


# ---- Intake: lengths are checked before any write ----

LONG_ID = "d" * 2048


@pytest.mark.parametrize(
    ("source", "header"),
    [
        ("shopify", "X-Shopify-Webhook-Id"),
        ("woocommerce", "X-WC-Webhook-Delivery-ID"),
        ("generic", "X-Nurture-Delivery-Id"),
    ],
)
def test_given_a_delivery_id_of_2048_bytes_when_received_then_400_names_the_header_and_nothing_is_written(
    ingest, lambda_context, source, header
):
    if source == "shopify":
        body = fixture_bytes("shopify/orders_create.json")
        headers = shopify_headers(body, "orders/create", webhook_id=LONG_ID)
        event = http_event(source, body, headers)
    elif source == "woocommerce":
        body = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")
        event = http_event(source, body, woo_headers(body, "order.created", delivery_id=LONG_ID))
    else:
        event = generic_event(consent_body("subscribed", "2026-06-01T00:00:00Z"), **{header: LONG_ID})

    status, answer = call(event, lambda_context)

    assert_rejected_without_writes(ingest, status, answer, f"headers.{header}")


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Nurture-Store", "s" * 600),
        ("X-Nurture-Store", "shop\ud800"),
        ("X-Nurture-Store", "shop\nname"),
        ("X-Nurture-Delivery-Id", "id with spaces"),
        ("X-Nurture-Topic", "consent.changed\x00"),
    ],
)
def test_given_a_header_too_long_or_not_printable_when_received_then_400_names_it(
    ingest, lambda_context, header, value
):
    event = generic_event(consent_body("subscribed", "2026-06-01T00:00:00Z"), **{header: value})

    status, answer = call(event, lambda_context)

    assert_rejected_without_writes(ingest, status, answer, f"headers.{header}")


# ---- Intake: addresses SES could never deliver to are refused ----

UNUSABLE_ADDRESSES = ["a\x00b@c.co", "\u202eadmin@evil.co", "a,b@c.co", "\uff41@\uff42.co"]


@pytest.mark.parametrize("address", UNUSABLE_ADDRESSES)
def test_given_an_unusable_generic_address_when_received_then_400_names_contact_email_without_quoting_it(
    ingest, lambda_context, address
):
    body = consent_body("subscribed", "2026-06-01T00:00:00Z")
    body["contact"]["email"] = address

    status, answer = call(generic_event(body), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "contact.email")
    assert address not in json.dumps(answer, ensure_ascii=False)


@pytest.mark.parametrize("address", UNUSABLE_ADDRESSES)
def test_given_an_unusable_shopify_address_when_received_then_it_is_left_out_of_the_contact(
    ingest, lambda_context, address
):
    status, answer = call(store_event(SHOPIFY_CUSTOMER, email=address), lambda_context)

    assert status == 202, answer
    messages = queued(ingest)
    assert messages
    assert all(message["contact"]["email"] is None for message in messages)


def test_given_an_internationalised_domain_when_received_then_the_address_is_kept_in_its_ascii_form(
    ingest, lambda_context
):
    body = consent_body("subscribed", "2026-06-01T00:00:00Z")
    body["contact"]["email"] = "Ada@Bücher.example"

    status, answer = call(generic_event(body), lambda_context)

    assert status == 202, answer
    [message] = queued(ingest)
    assert message["contact"]["email"] == "ada@xn--bcher-kva.example"


# ---- Intake: one phone number, one identity ----

NON_ASCII_DIGIT_PHONES = [in_digits(0xFF10), in_digits(0x0660)]  # fullwidth, Arabic-Indic


@pytest.mark.parametrize("phone", NON_ASCII_DIGIT_PHONES)
def test_given_a_generic_phone_in_non_ascii_digits_when_received_then_it_is_queued_in_e164(
    ingest, lambda_context, phone
):
    body = consent_body("subscribed", "2026-06-01T00:00:00Z")
    body["contact"]["phone"] = phone

    status, answer = call(generic_event(body), lambda_context)

    assert status == 202, answer
    [message] = queued(ingest)
    assert message["contact"]["phone"] == "+14155550123"


@pytest.mark.parametrize("phone", NON_ASCII_DIGIT_PHONES)
def test_given_a_shopify_phone_in_non_ascii_digits_when_received_then_it_is_queued_in_e164(
    ingest, lambda_context, phone
):
    status, answer = call(store_event(SHOPIFY_CUSTOMER, phone=phone), lambda_context)

    assert status == 202, answer
    assert {message["contact"]["phone"] for message in queued(ingest)} == {"+14155550123"}


# ---- Intake: money DynamoDB and a shop can hold ----


def generic_order(total: object) -> dict[str, Any]:
    return {
        "type": "order.placed",
        "occurred_at": "2026-06-01T00:00:00Z",
        "contact": {"email": "ada@example.com"},
        "order": {"order_id": "1001", "currency": "EUR", "total": total},
    }


@pytest.mark.parametrize("total", ["1E+400", "1E-400", "1000000000000000", "0.000000001", "-1"])
def test_given_a_generic_total_out_of_bounds_when_received_then_400_names_order_total(ingest, lambda_context, total):
    status, answer = call(generic_event(generic_order(total)), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "order.total")


@pytest.mark.parametrize("total", ["1E+400", "1E-400"])
@pytest.mark.parametrize(("delivery", "field"), [(WOO_ORDER, "total"), (SHOPIFY_ORDER, "total_price")])
def test_given_a_store_total_out_of_bounds_when_received_then_400_names_it(
    ingest, lambda_context, delivery, field, total
):
    status, answer = call(store_event(delivery, **{field: total}), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, field)


def test_given_a_woocommerce_line_price_computed_as_a_float_when_received_then_it_is_kept_to_8_places(
    ingest, lambda_context
):
    # WooCommerce's line `price` is the line total / quantity as a PHP float: 10 / 3 has 16 decimals.
    payload = fixture_json("woocommerce/order_created_wc_v3_rest_response_example.json")
    payload["line_items"][0]["price"] = 10 / 3
    body = json.dumps(payload).encode()

    status, answer = call(http_event("woocommerce", body, woo_headers(body, "order.created")), lambda_context)

    assert status == 202, answer
    placed = next(message for message in queued(ingest) if message["type"] == "order.placed")
    assert placed["order"]["line_items"][0]["unit_price"] == "3.33333333"

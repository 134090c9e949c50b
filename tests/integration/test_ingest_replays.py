"""IngestFunction on moto, issue 13: replayed and re-labelled webhooks.

The signature covers the body only (as Shopify and WooCommerce define it): delivery id, topic and
shop headers are not covered. What can be bound is: the secret to the store, the topic to what the
body says, the body to a dedupe window, and Shopify's X-Shopify-Triggered-At to a freshness limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.ingest import app
from nurture.capture.signatures import sign_base64
from tests.integration import test_ingest_webhooks as webhooks
from tests.integration.test_ingest_hardening import assert_rejected_without_writes
from tests.integration.test_ingest_webhooks import (
    SECRETS,
    SECRETS_PARAMETER,
    call,
    http_event,
    queued,
    shopify_headers,
    table_items,
    woo_headers,
)
from tests.third_party import fixture_bytes, fixture_json

ingest = webhooks.ingest  # the function wired as template.yaml wires it (a fixture)

SHOP = "example.myshopify.com"
OTHER_SHOP = "other.myshopify.com"


def use_secrets(secrets: dict[str, Any]) -> None:
    boto3.client("ssm").put_parameter(
        Name=SECRETS_PARAMETER, Value=json.dumps(secrets), Type="SecureString", Overwrite=True
    )
    app.use_dependencies(None)


def pending_order() -> bytes:
    payload = fixture_json("shopify/orders_create.json")
    payload["financial_status"] = "pending"
    payload["cancelled_at"] = None
    return json.dumps(payload).encode()


# ---- Replays with a new delivery id ----


def test_given_a_shopify_delivery_when_its_body_is_replayed_with_a_new_webhook_id_then_it_is_not_queued_again(
    ingest, lambda_context
):
    body = fixture_bytes("shopify/orders_create.json")
    call(http_event("shopify", body, shopify_headers(body, "orders/create", webhook_id="original")), lambda_context)
    assert queued(ingest)

    replay = http_event("shopify", body, shopify_headers(body, "orders/create", webhook_id="forged-new-id"))
    status, answer = call(replay, lambda_context)

    assert (status, answer["status"]) == (202, "duplicate")
    assert queued(ingest) == []


def test_given_a_woocommerce_delivery_without_a_delivery_id_when_received_then_400_names_the_header(
    ingest, lambda_context
):
    body = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")
    headers = woo_headers(body, "order.created")
    del headers["X-WC-Webhook-Delivery-ID"]

    status, answer = call(http_event("woocommerce", body, headers), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "headers.X-WC-Webhook-Delivery-ID")


def test_given_a_woocommerce_delivery_when_replayed_with_another_delivery_id_then_it_is_not_queued_again(
    ingest, lambda_context
):
    body = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")
    call(http_event("woocommerce", body, woo_headers(body, "order.created", delivery_id="1")), lambda_context)
    assert queued(ingest)

    status, answer = call(
        http_event("woocommerce", body, woo_headers(body, "order.created", delivery_id="2")), lambda_context
    )

    assert (status, answer["status"]) == (202, "duplicate")
    assert queued(ingest) == []


# ---- The dedupe window never drops a distinct delivery ----


def test_given_a_customer_updated_twice_when_the_bodies_differ_only_by_updated_at_then_both_are_queued(
    ingest, lambda_context
):
    payload = fixture_json("shopify/customers_create.json")
    first = json.dumps(payload).encode()
    payload["updated_at"] = "2022-01-01T10:00:00-05:00"
    second = json.dumps(payload).encode()

    call(http_event("shopify", first, shopify_headers(first, "customers/update", webhook_id="u1")), lambda_context)
    status, answer = call(
        http_event("shopify", second, shopify_headers(second, "customers/update", webhook_id="u2")), lambda_context
    )

    assert (status, answer["status"]) == (202, "accepted")


def test_given_one_body_when_delivered_under_two_topics_then_both_are_queued(ingest, lambda_context):
    body = fixture_bytes("shopify/customers_create.json")

    call(http_event("shopify", body, shopify_headers(body, "customers/create", webhook_id="c1")), lambda_context)
    status, answer = call(
        http_event("shopify", body, shopify_headers(body, "customers/update", webhook_id="c2")), lambda_context
    )

    assert (status, answer["status"]) == (202, "accepted")


def test_given_two_woocommerce_sites_when_their_delivery_ids_collide_then_both_are_queued(ingest, lambda_context):
    customer = fixture_bytes("woocommerce/customer_created_wc_v3_rest_response_example.json")
    order = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")
    call(http_event("woocommerce", customer, woo_headers(customer, "customer.created", "7")), lambda_context)
    headers = woo_headers(order, "order.created", "7") | {"X-WC-Webhook-Source": "https://another.example/"}

    status, answer = call(http_event("woocommerce", order, headers), lambda_context)

    assert (status, answer["status"]) == (202, "accepted")


# ---- Topics checked against the body ----


def test_given_a_pending_order_when_relabelled_orders_paid_then_400_names_financial_status(ingest, lambda_context):
    body = pending_order()

    status, answer = call(http_event("shopify", body, shopify_headers(body, "orders/paid")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "financial_status")


def test_given_an_open_order_when_relabelled_orders_cancelled_then_400_names_cancelled_at(ingest, lambda_context):
    body = pending_order()

    status, answer = call(http_event("shopify", body, shopify_headers(body, "orders/cancelled")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "cancelled_at")


def test_given_an_order_body_when_relabelled_customers_update_then_400_names_its_kind(ingest, lambda_context):
    body = fixture_bytes("shopify/orders_create.json")

    status, answer = call(http_event("shopify", body, shopify_headers(body, "customers/update")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "admin_graphql_api_id")


def test_given_a_woocommerce_order_when_relabelled_customer_updated_then_400(ingest, lambda_context):
    body = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")

    status, answer = call(http_event("woocommerce", body, woo_headers(body, "customer.updated")), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "line_items")


# ---- Secrets per store ----


def test_given_per_store_secrets_when_a_body_is_relabelled_with_another_shop_domain_then_401(ingest, lambda_context):
    use_secrets({"shopify": {SHOP: "secret-of-example", OTHER_SHOP: "secret-of-other"}})
    body = fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create")
    headers["X-Shopify-Hmac-Sha256"] = sign_base64(b"secret-of-example", body)
    genuine_status, _ = call(http_event("shopify", body, headers), lambda_context)
    queued(ingest)

    relabelled = headers | {"X-Shopify-Shop-Domain": OTHER_SHOP, "X-Shopify-Webhook-Id": "another"}
    status, _ = call(http_event("shopify", body, relabelled), lambda_context)

    assert (genuine_status, status) == (202, 401)
    assert queued(ingest) == []


def test_given_per_store_secrets_when_an_unlisted_store_delivers_then_401(ingest, lambda_context):
    use_secrets({"shopify": {SHOP: "secret-of-example"}})
    body = fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create") | {"X-Shopify-Shop-Domain": "unlisted.myshopify.com"}
    headers["X-Shopify-Hmac-Sha256"] = sign_base64(b"secret-of-example", body)

    status, _ = call(http_event("shopify", body, headers), lambda_context)

    assert status == 401
    assert table_items(ingest) == []


def test_given_a_site_secret_for_woocommerce_when_the_source_url_differs_in_case_and_slash_then_it_matches(
    ingest, lambda_context
):
    use_secrets({"woocommerce": {"https://Shop.Example.com": SECRETS["woocommerce"]}})
    body = fixture_bytes("woocommerce/order_created_wc_v3_rest_response_example.json")

    status, answer = call(http_event("woocommerce", body, woo_headers(body, "order.created")), lambda_context)

    assert status == 202, answer


def test_given_the_plain_per_source_secret_when_any_store_delivers_then_it_still_works(ingest, lambda_context):
    body = fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create") | {"X-Shopify-Shop-Domain": OTHER_SHOP}

    status, _ = call(http_event("shopify", body, headers), lambda_context)

    assert status == 202


# ---- Stale Shopify deliveries ----


@pytest.mark.parametrize(
    "triggered_at",
    [
        (datetime.now(UTC) - timedelta(hours=6)).isoformat(),
        (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "yesterday",
    ],
)
def test_given_a_triggered_at_outside_the_retry_window_when_received_then_400_names_the_header(
    ingest, lambda_context, triggered_at
):
    body = fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create") | {"X-Shopify-Triggered-At": triggered_at}

    status, answer = call(http_event("shopify", body, headers), lambda_context)

    assert_rejected_without_writes(ingest, status, answer, "headers.X-Shopify-Triggered-At")


def test_given_a_shopify_retry_four_hours_after_the_trigger_when_received_then_it_is_accepted(ingest, lambda_context):
    # Shopify retries 8 times over 4 hours with the payload and Triggered-At of the first attempt.
    triggered_at = (datetime.now(UTC) - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S.%f123Z")
    body = fixture_bytes("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create") | {"X-Shopify-Triggered-At": triggered_at}

    status, answer = call(http_event("shopify", body, headers), lambda_context)

    assert status == 202, answer

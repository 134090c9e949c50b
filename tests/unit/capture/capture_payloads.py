"""Published store payloads for capture tests (tests/fixtures/third_party, kept as published)."""

from __future__ import annotations

from typing import Any

from tests.third_party import fixture_json

SHOPIFY_FIXTURE_TOPICS: dict[str, tuple[str, ...]] = {
    "customers_create.json": ("customers/create", "customers/update"),
    # Shopify publishes the same sample for orders/paid, orders/fulfilled and orders/updated (SOURCES.md).
    "orders_create.json": ("orders/create", "orders/paid", "orders/cancelled", "orders/fulfilled"),
    "checkouts_create.json": ("checkouts/create", "checkouts/update"),
    "carts_create.json": ("carts/create", "carts/update"),
}
WOOCOMMERCE_FIXTURE_TOPICS: dict[str, tuple[str, ...]] = {
    "customer_created_wc_v3_rest_response_example.json": ("customer.created", "customer.updated"),
    "order_created_wc_v3_rest_response_example.json": ("order.created", "order.updated"),
}


def load_fixture(source: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = fixture_json(f"{source}/{name}")
    return payload

"""Fixtures for capture tests: fresh copies of the published payloads, safe to modify."""

from __future__ import annotations

from typing import Any

import pytest
from capture_payloads import load_fixture


@pytest.fixture
def shopify_customer() -> dict[str, Any]:
    return load_fixture("shopify", "customers_create.json")


@pytest.fixture
def shopify_order() -> dict[str, Any]:
    return load_fixture("shopify", "orders_create.json")


@pytest.fixture
def shopify_checkout() -> dict[str, Any]:
    return load_fixture("shopify", "checkouts_create.json")


@pytest.fixture
def shopify_cart() -> dict[str, Any]:
    return load_fixture("shopify", "carts_create.json")


@pytest.fixture
def woo_customer() -> dict[str, Any]:
    return load_fixture("woocommerce", "customer_created_wc_v3_rest_response_example.json")


@pytest.fixture
def woo_order() -> dict[str, Any]:
    return load_fixture("woocommerce", "order_created_wc_v3_rest_response_example.json")

"""Published store payloads for capture tests, read from beside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# /work/shared/fixtures: beside the repository, read as published, never copied or edited.
FIXTURES = Path(__file__).parents[3].parent / "shared" / "fixtures"

SHOPIFY_FIXTURE_TOPICS: dict[str, tuple[str, ...]] = {
    "customers_create.json": ("customers/create", "customers/update"),
    "orders_create.json": ("orders/create", "orders/paid", "orders/cancelled"),
    "checkouts_create.json": ("checkouts/create", "checkouts/update"),
    "carts_create.json": ("carts/create", "carts/update"),
}
WOOCOMMERCE_FIXTURE_TOPICS: dict[str, tuple[str, ...]] = {
    "customer_created_wc_v3_rest_response_example.json": ("customer.created", "customer.updated"),
    "order_created_wc_v3_rest_response_example.json": ("order.created", "order.updated"),
}


def load_fixture(source: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / source / name).read_text(encoding="utf-8"))
    return payload

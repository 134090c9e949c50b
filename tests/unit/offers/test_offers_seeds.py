"""Seeds and open carts (nurture.offers.seeds), from views and event views as the log holds them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nurture.offers.recommend import Seed
from nurture.offers.seeds import OpenCarts, open_carts, seed_of
from tests.unit.profiles.profile_events import T0

NOW = T0 + timedelta(days=10)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def items(*products: str, category: str | None = None) -> list[dict[str, Any]]:
    return [{"product_id": p, "categories": [category] if category else [], "product_type": None} for p in products]


def cart(token: str, days: float, *products: str, category: str | None = None) -> dict[str, Any]:
    return {
        "type": "cart.updated",
        "occurred_at": ago(days),
        "cart": {"token": token, "line_items": items(*products, category=category)},
    }


def checkout(kind: str, token: str, days: float, *products: str, cart_token: str | None = None) -> dict[str, Any]:
    body = {"token": token, "cart_token": cart_token, "line_items": items(*products)}
    return {"type": kind, "occurred_at": ago(days), "checkout": body}


def ordered(days: float, *, checkout_token: str | None = None, cart_token: str | None = None) -> dict[str, Any]:
    body = {"order_id": "o", "checkout_token": checkout_token, "cart_token": cart_token, "line_items": []}
    return {"type": "order.placed", "occurred_at": ago(days), "order": body}


@pytest.mark.parametrize(
    ("events", "products"),
    [
        ([cart("c1", 1, "a", "b")], ("a", "b")),
        ([cart("c1", 8, "a")], ()),  # older than 7 days
        ([cart("c1", 1, "b"), cart("c1", 2, "a")], ("b",)),  # the newest snapshot is the cart's content
        ([checkout("checkout.completed", "k1", 1), checkout("checkout.started", "k1", 2, "a")], ()),
        ([ordered(1, checkout_token="k1"), checkout("checkout.updated", "k1", 2, "a")], ()),
        ([ordered(1, cart_token="c1"), cart("c1", 2, "a")], ()),
        # the checkout names the cart: its order closes the cart too
        (
            [
                ordered(1, checkout_token="k1"),
                checkout("checkout.started", "k1", 2, "a", cart_token="c1"),
                cart("c1", 3, "a", "b"),
            ],
            (),
        ),
        # a cart filled again after its order is open again
        ([cart("c1", 1, "c"), ordered(2, cart_token="c1"), cart("c1", 3, "a")], ("c",)),
        # another token's order closes nothing
        ([ordered(1, checkout_token="k2"), checkout("checkout.started", "k1", 2, "a")], ("a",)),
        ([cart("c2", 1, "b"), cart("c1", 2, "a")], ("b", "a")),
    ],
)
def test_open_carts(events: list[dict[str, Any]], products: tuple[str, ...]) -> None:
    assert open_carts(events, NOW).products == products


VIEWS = {
    "profile": {"orders": {"products": ["p1", "p2"], "categories": ["tea"]}},
    "enrolment": {
        "data": {
            "type": "order.placed",
            "order": {"line_items": [{"product_id": "o1", "categories": ["coffee"], "product_type": "beans"}]},
        }
    },
}
VIEWED = [
    {"type": "product.viewed", "occurred_at": ago(1), "product": {"product_id": "v2", "categories": ["mugs"]}},
    {"type": "product.viewed", "occurred_at": ago(2), "product": {"product_id": "v1", "product_type": "tea"}},
    {"type": "product.viewed", "occurred_at": ago(31), "product": {"product_id": "old"}},
]


@pytest.mark.parametrize(
    ("kind", "views", "expected"),
    [
        ("bought", VIEWS, Seed(("p1", "p2"), ("tea",))),
        ("bought", {"profile": {}}, Seed()),
        ("enrolment", VIEWS, Seed(("o1",), ("coffee", "beans"))),
        (
            "enrolment",
            {"enrolment": {"data": {"product": {"product_id": "v", "categories": ["x"]}}}},
            Seed(("v",), ("x",)),
        ),
        ("enrolment", {}, Seed()),
        ("viewed", VIEWS, Seed(("v2", "v1"), ("mugs", "tea"))),
        ("cart", VIEWS, Seed(("k",), ("kitchen",))),
    ],
)
def test_seed_of(kind: Any, views: dict[str, Any], expected: Seed) -> None:
    carts = OpenCarts(products=("k",), categories=("kitchen",))
    assert seed_of(kind, views, VIEWED, carts, NOW) == expected


def test_open_carts_name_their_categories() -> None:
    assert open_carts([cart("c1", 1, "a", category="mugs")], NOW) == OpenCarts(("a",), ("mugs",))

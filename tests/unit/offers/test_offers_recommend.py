"""Recommendations, the just-bought rule and an order's facts (nurture.offers.recommend), as tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from nurture.events import LineItem
from nurture.offers.products import ProductsConfig
from nurture.offers.recommend import (
    Catalogue,
    ProductInfo,
    Purchase,
    Seed,
    discountable,
    line_item_products,
    order_facts,
    purchases_from_events,
    recommend,
)
from tests.unit.profiles.profile_events import T0, order, placed

CONFIG = ProductsConfig.model_validate(
    {
        "products": {
            "beans": {"consumption_days": 30, "remind_days_before": 5, "complements": ["filter", "mug"]},
            "tea": {"consumption_days": 20, "remind_days_before": 2, "complements": ["pot"]},
            "filter": {"complements": ["beans"]},
        },
        "categories": {"coffee": {"complements": ["cups", "kitchen"]}},
    }
)


def info(product_id: str, *, title: str | None = "T", url: str | None = "https://shop/p") -> ProductInfo:
    return ProductInfo(product_id, title=title, url=url, unit_price=Decimal("9.50"), currency="EUR")


SHOWABLE = ("a", "b", "c", "d", "e", "f", "mug", "filter", "pot", "cup1", "cup2", "pan1")
CATALOGUE = Catalogue(
    also_bought={"beans": {"a": 3, "b": 5, "c": 1}, "grinder": {"a": 4, "d": 1}},
    best_sellers={"coffee": ["e", "f", "beans"], "cups": ["cup1", "cup2"], "kitchen": ["pan1"]},
    info={**{p: info(p) for p in SHOWABLE}, "untitled": info("untitled", title=None), "nourl": info("nourl", url=None)},
)


@pytest.mark.parametrize(
    ("sources", "seed", "exclude", "count", "expected"),
    [
        # co-purchase: counts summed over the seeds (a 3+4=7, b 5, d 1, c 1: ties by id)
        (["co_purchase"], Seed(("beans", "grinder")), (), 6, ["a", "b", "c", "d"]),
        (["co_purchase"], Seed(("beans",)), (), 2, ["b", "a"]),
        # complements: the products', then the best-sellers of the categories' complements, round robin
        (["complements"], Seed(("beans",), ("coffee",)), (), 6, ["filter", "mug", "cup1", "pan1", "cup2"]),
        # best-sellers of the seed categories; a seed is never recommended
        (["best_sellers"], Seed(("beans",), ("coffee",)), (), 6, ["e", "f"]),
        # sources in the order given, de-duplicated across them
        (["best_sellers", "co_purchase"], Seed(("beans",), ("coffee",)), (), 3, ["e", "f", "b"]),
        (
            ["co_purchase", "complements", "best_sellers"],
            Seed(("beans",), ("coffee",)),
            (),
            4,
            ["b", "a", "c", "filter"],
        ),
        # bought or in an open cart: excluded
        (["co_purchase"], Seed(("beans",)), ("b", "c"), 6, ["a"]),
        # no seed, no data: nothing
        (["co_purchase", "complements", "best_sellers"], Seed(), (), 3, []),
    ],
)
def test_recommend(sources: Any, seed: Seed, exclude: Any, count: int, expected: list[str]) -> None:
    cards = recommend(sources, seed, CATALOGUE, CONFIG, exclude=exclude, count=count)
    assert [card["product_id"] for card in cards] == expected


def test_a_product_an_email_cannot_show_is_passed_over() -> None:
    catalogue = Catalogue(also_bought={"x": {"untitled": 9, "nourl": 8, "unknown": 7, "a": 1}}, info=CATALOGUE.info)

    cards = recommend(["co_purchase"], Seed(("x",)), catalogue, CONFIG, exclude=(), count=3)

    assert cards == [
        {"product_id": "a", "title": "T", "url": "https://shop/p", "unit_price": "9.50", "currency": "EUR"}
    ]


# ---- never a discount on a product the contact just bought ----

NOW = T0 + timedelta(days=40)


def bought(order_id: str, days_ago: float, *products: str) -> Purchase:
    return Purchase(order_id, NOW - timedelta(days=days_ago), frozenset(products))


@pytest.mark.parametrize(
    ("products", "purchases", "days", "excluding", "expected"),
    [
        (["a"], [], 30, None, True),  # never bought
        (["a"], [bought("o1", 3, "a")], 30, None, False),  # bought 3 days ago
        (["a"], [bought("o1", 30, "a")], 30, None, False),  # on the window's edge: still just bought
        (["a"], [bought("o1", 31, "a")], 30, None, True),  # longer ago than the window
        (["a"], [bought("o1", -1, "a")], 30, None, False),  # an order dated ahead of the clock
        (["a", "b"], [bought("o1", 3, "a")], 30, None, True),  # one of them not bought: a discount is fine
        (["a", "b"], [bought("o1", 3, "a"), bought("o2", 9, "b")], 30, None, False),  # every one, over two orders
        (["a"], [bought("o1", 3, "a")], 30, "o1", True),  # the enrolment's own trigger order does not count
        (["a"], [bought("o1", 3, "a"), bought("o2", 5, "a")], 30, "o1", False),  # but another order does
        ([], [bought("o1", 3, "a")], 30, None, True),  # a discount for no product in particular
        (["a"], [bought("o1", 3, "a")], 0, None, True),  # the rule switched off
    ],
)
def test_discountable(
    products: list[str], purchases: list[Purchase], days: int, excluding: Any, expected: bool
) -> None:
    assert discountable(products, purchases, NOW, days, excluding_order=excluding) is expected


def test_purchases_are_the_order_events_of_the_log() -> None:
    views = [
        placed(order("o1", line_items=(line("a"), line("b"), line(None)))).model_dump(mode="json"),
        {"type": "checkout.started", "occurred_at": T0.isoformat(), "checkout": {"token": "t"}},
        {"type": "order.paid", "occurred_at": "not a time", "order": {"order_id": "o2"}},
    ]

    assert purchases_from_events(views) == [Purchase("o1", T0, frozenset({"a", "b"}))]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([{"product_id": "a"}, {"product_id": 7}, {"product_id": "a"}, {"title": "no id"}], ["a", "7"]),
        ("not a list", []),
        (None, []),
    ],
)
def test_line_item_products(items: Any, expected: list[str]) -> None:
    assert line_item_products(items) == expected


# ---- an order's facts ----


def line(product_id: str | None, quantity: int = 1) -> LineItem:
    return LineItem(product_id=product_id, title="x", quantity=quantity, unit_price=Decimal(1))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # nothing configured: no reminder, no complements
        ([line("other")], {"product_ids": ["other"], "replenish": None, "complements": None}),
        # one bag of beans: 30 days - 5 days before
        (
            [line("beans")],
            {
                "product_ids": ["beans"],
                "replenish": {"product_id": "beans", "due_at": "2026-03-26T12:00:00Z"},
                "complements": ["filter", "mug"],
            },
        ),
        # two bags (over two lines) last twice as long; the tea runs out first (20 - 2 days)
        (
            [line("beans"), line("beans"), line("tea")],
            {
                "product_ids": ["beans", "tea"],
                "replenish": {"product_id": "tea", "due_at": "2026-03-19T12:00:00Z"},
                "complements": ["filter", "mug", "pot"],
            },
        ),
        (
            [line("beans", quantity=3)],
            {
                "product_ids": ["beans"],
                "replenish": {"product_id": "beans", "due_at": "2026-05-25T12:00:00Z"},
                "complements": ["filter", "mug"],
            },
        ),
        # a complement in the order is not suggested; a product without a period has no reminder
        (
            [line("filter"), line("beans")],
            {
                "product_ids": ["filter", "beans"],
                "replenish": {"product_id": "beans", "due_at": "2026-03-26T12:00:00Z"},
                "complements": ["mug"],
            },
        ),
        ([line("filter")], {"product_ids": ["filter"], "replenish": None, "complements": ["beans"]}),
        # a line without a product id names no product
        ([line(None)], {"product_ids": [], "replenish": None, "complements": None}),
    ],
)
def test_order_facts(items: list[LineItem], expected: dict[str, Any]) -> None:
    assert order_facts(placed(order(line_items=tuple(items)), occurred_at=T0), CONFIG) == expected

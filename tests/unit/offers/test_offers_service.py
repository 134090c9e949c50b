"""The Recommender's reads (nurture.offers.service), with recording readers: what it asks the store
and the event log for each seed, and what it makes of the answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from nurture.offers.products import ProductsConfig
from nurture.offers.recommend import ProductInfo
from nurture.offers.service import Recommendation, Recommender
from tests.unit.profiles.profile_events import T0

NOW = T0 + timedelta(days=3)
CONFIG = ProductsConfig.model_validate({"categories": {"coffee": {"complements": ["mugs"]}}})


class Readers:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.asked: list[tuple[str, Any]] = []

    def recent_events(
        self, contact_id: str, *, types: frozenset[str], since: datetime, limit: int
    ) -> list[dict[str, Any]]:
        self.asked.append(("events", (frozenset(types), NOW - since)))
        return self.events

    def also_bought(self, product_ids: Sequence[str]) -> Mapping[str, Mapping[str, int]]:
        self.asked.append(("also", list(product_ids)))
        return {}

    def best_sellers(self, categories: Sequence[str], limit: int) -> Mapping[str, Sequence[str]]:
        self.asked.append(("best", list(categories)))
        return {"coffee": ["beans", "v1", "bought"], "mugs": ["mug"]}

    def info(self, product_ids: Sequence[str]) -> Mapping[str, ProductInfo]:
        self.asked.append(("info", list(product_ids)))
        return {p: ProductInfo(p, title=p, url=f"https://shop/{p}") for p in product_ids}


VIEWED = [
    {
        "type": "product.viewed",
        "occurred_at": (NOW - timedelta(days=1)).isoformat(),
        "product": {"product_id": "v1", "categories": ["coffee"]},
    }
]
VIEWS = {"profile": {"orders": {"products": ["bought"], "categories": []}}}


def test_a_viewed_seed_reads_30_days_of_views_and_suggests_best_sellers_and_complements() -> None:
    readers = Readers(VIEWED)
    recommender = Recommender(products=readers, history=readers, config=CONFIG, clock=lambda: NOW)

    cards = recommender.recommend(
        "c1", Recommendation(sources=("complements", "best_sellers", "co_purchase"), seed="viewed", count=6), VIEWS
    )

    assert [card["product_id"] for card in cards] == ["mug", "beans"]  # never the seed v1 nor the bought product
    (_, (types, window)), *reads = readers.asked
    assert "product.viewed" in types and "checkout.completed" in types
    assert window == timedelta(days=30)
    assert reads == [("also", ["v1"]), ("best", ["mugs", "coffee"]), ("info", ["mug", "beans"])]


def test_a_bought_seed_reads_a_week_of_carts_and_nothing_it_does_not_need() -> None:
    readers = Readers([])
    recommender = Recommender(products=readers, history=readers, config=CONFIG, clock=lambda: NOW)

    cards = recommender.recommend("c1", Recommendation(sources=("co_purchase",), seed="bought", count=10), {})

    assert cards == []
    assert readers.asked == [("events", (readers.asked[0][1][0], timedelta(days=7)))]
    assert "product.viewed" not in readers.asked[0][1][0]


def test_the_just_bought_rule_reads_the_orders_of_its_window() -> None:
    order = {
        "type": "order.paid",
        "occurred_at": (NOW - timedelta(days=2)).isoformat(),
        "order": {"order_id": "o1", "line_items": [{"product_id": "a"}]},
    }
    readers = Readers([order])
    recommender = Recommender(products=readers, history=readers, config=CONFIG, clock=lambda: NOW)

    assert recommender.discountable("c1", ["a"], excluding_order=None) is False
    assert recommender.discountable("c1", ["a"], excluding_order="o1") is True
    assert readers.asked[0] == ("events", (frozenset({"order.placed", "order.paid"}), timedelta(days=30)))
    assert recommender.discountable("c1", [], excluding_order=None) is True
    assert len(readers.asked) == 2  # no product named: nothing read

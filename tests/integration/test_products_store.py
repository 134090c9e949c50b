"""The recommendations data on moto's DynamoDB (nurture.adapters.dynamodb_products), the Recommender
reading it with the profile store's recent events, and ProcessFunction recording a counted order
once (docs/offers.md, "Recommendations data")."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.process import app
from nurture.adapters.dynamodb_products import MAX_PAIRED, ProductStore, co_purchase_pairs
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.errors import DependencyUnavailable
from nurture.events import Cart, CartUpdated, LineItem, Product, ProductViewed
from nurture.journeys.views import profile_view
from nurture.offers.products import ProductsConfig
from nurture.offers.recommend import ProductInfo
from nurture.offers.service import Recommendation, Recommender
from tests.integration.test_process import (
    RecordingStepFunctions,
    contact_id_by_email,
    deliver,
    environment,
    failures,
)
from tests.unit.profiles.profile_events import STORE, at, contact, order, paid, placed


def line(product_id: str, quantity: int = 1, *categories: str, title: str | None = None) -> LineItem:
    return LineItem(
        product_id=product_id,
        title=title or f"Item {product_id}",
        quantity=quantity,
        unit_price=Decimal("12.50"),
        categories=categories,
    )


def envelope(event_id: str, topic: str, hours: float) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "source": "shopify",
        "store": STORE,
        "source_topic": topic,
        "occurred_at": at(hours),
        "contact": contact(),
    }


def counts(dynamodb: Any, table: str, pk: str) -> dict[str, int]:
    answer = dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
    )
    return {item["sk"]["S"]: int(item["count"]["N"]) for item in answer["Items"] if "count" in item}


@pytest.fixture
def store(dynamodb: Any, nurture_table: str) -> ProductStore:
    return ProductStore(nurture_table, dynamodb)


# ---- the adapter ----


def test_pairs_go_both_ways_between_the_order_and_the_contacts_earlier_products() -> None:
    assert co_purchase_pairs(["a", "b"], {"z", "a"}) == [
        ("a", "b"),
        ("a", "z"),
        ("b", "a"),
        ("b", "z"),
        ("z", "a"),
        ("z", "b"),
    ]
    assert co_purchase_pairs(["a"], set()) == []


def test_pairs_are_capped_at_20_by_20() -> None:
    order_products = [f"o{n:02d}" for n in range(30)]
    earlier = {f"e{n:02d}" for n in range(30)}

    pairs = co_purchase_pairs(order_products, earlier)

    firsts = {a for a, _ in pairs if a.startswith("o")}
    assert len(firsts) == MAX_PAIRED
    assert max(sum(1 for a, _ in pairs if a == first) for first in firsts) <= MAX_PAIRED
    assert not any(b.startswith("e") for _, b in pairs)  # the order's own 20 fill the partners first


def test_a_counted_order_adds_pairs_category_units_and_info(
    store: ProductStore, dynamodb: Any, nurture_table: str
) -> None:
    the_order = order(line_items=(line("a", 2, "coffee"), line("b", 1, "coffee", "gifts"), line("a", 1, "coffee")))

    store.record_counted_order(the_order, {"old"})
    store.record_counted_order(the_order, set())

    assert counts(dynamodb, nurture_table, "PRODUCT#a") == {"ALSO#b": 2, "ALSO#old": 1}
    assert counts(dynamodb, nurture_table, "PRODUCT#old") == {"ALSO#a": 1, "ALSO#b": 1}
    assert counts(dynamodb, nurture_table, "CATEGORY#coffee") == {"PRODUCT#a": 6, "PRODUCT#b": 2}
    assert store.best_sellers(["coffee", "gifts", "none"], 5) == {"coffee": ["a", "b"], "gifts": ["b"]}
    assert store.also_bought(["a", "never"]) == {"a": {"b": 2, "old": 1}}
    assert store.info(["a", "unknown"]) == {
        "a": ProductInfo(
            "a", title="Item a", url=None, unit_price=Decimal("12.50"), currency="EUR", categories=("coffee",)
        )
    }


def test_a_product_view_sets_what_it_knows_and_keeps_the_rest(store: ProductStore) -> None:
    store.record_counted_order(order(line_items=(line("a", 1, "coffee"),)), set())
    store.record_product(ProductInfo("a", title="Coffee", url="https://shop/a"))
    store.record_product(ProductInfo("a"))  # knows nothing: changes nothing

    assert store.info(["a"])["a"] == ProductInfo(
        "a", title="Coffee", url="https://shop/a", unit_price=Decimal("12.50"), currency="EUR", categories=("coffee",)
    )


def test_info_reads_more_than_one_batch(store: ProductStore) -> None:
    ids = [f"p{n:03d}" for n in range(130)]
    for product_id in ids:
        store.record_product(ProductInfo(product_id, title="T", url="https://shop"))

    assert sorted(store.info([*ids, "missing"])) == ids


class Refusing:
    def __init__(self, code: str) -> None:
        self.code = code

    def __getattr__(self, name: str) -> Any:
        def refuse(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, name)

        return refuse


def test_refusals_are_mapped() -> None:
    with pytest.raises(DependencyUnavailable):
        ProductStore("t", Refusing("ThrottlingException")).also_bought(["a"])
    with pytest.raises(Exception, match="product store UpdateItem count failed: AccessDeniedException"):
        ProductStore("t", Refusing("AccessDeniedException")).record_counted_order(
            order(line_items=(line("a"), line("b"))), set()
        )


# ---- the recommender, on the real reads ----


def test_the_recommender_ranks_co_purchases_and_leaves_out_bought_and_carted_products(
    store: ProductStore, dynamodb: Any, nurture_table: str
) -> None:
    profiles = ProfileRepository(nurture_table, dynamodb, clock=lambda: at(48))
    # Other shoppers: a with b (twice), a with c, a with d; their info, with urls from product views
    store.record_counted_order(order(line_items=(line("a"), line("b"))), set())
    store.record_counted_order(order(line_items=(line("a"), line("b"), line("c"), line("d"))), set())
    for product_id in "abcd":
        store.record_product(ProductInfo(product_id, url=f"https://shop/{product_id}"))
    # Our contact bought a, and has d in an open cart
    profiles.apply(placed(order("9", line_items=(line("a"),)), at(0)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    profiles.apply(
        CartUpdated(**envelope("cart-1", "carts/update", 24), cart=Cart(token="c1", line_items=(line("d"),)))
    )
    profile = profiles.get_profile(contact_id)
    assert profile is not None
    recommender = Recommender(products=store, history=profiles, config=ProductsConfig(), clock=lambda: at(48))

    cards = recommender.recommend(
        contact_id, Recommendation(sources=("co_purchase",), seed="bought", count=3), {"profile": profile_view(profile)}
    )

    assert [card["product_id"] for card in cards] == ["b", "c"]
    assert cards[0] == {
        "product_id": "b",
        "title": "Item b",
        "url": "https://shop/b",
        "unit_price": "12.50",
        "currency": "EUR",
    }
    # the just-bought rule on the same log: a was bought 2 days ago, not in the trigger order
    assert recommender.discountable(contact_id, ["a"], excluding_order=None) is False
    assert recommender.discountable(contact_id, ["a"], excluding_order="9") is True
    assert recommender.discountable(contact_id, ["b"], excluding_order=None) is True


def test_a_recommendation_spec_with_an_unknown_source_or_seed_is_refused(store: ProductStore) -> None:
    recommender = Recommender(
        products=store, history=ProfileRepository("t", None), config=ProductsConfig(), clock=lambda: at(0)
    )

    with pytest.raises(ValueError, match=r"recommend\.from: 'popular'"):
        recommender.recommend("c", Recommendation(sources=("popular",)), {})
    with pytest.raises(ValueError, match=r"recommend\.seed: 'wishlist'"):
        recommender.recommend("c", Recommendation(seed="wishlist"), {})


# ---- ProcessFunction ----


@pytest.fixture
def process(dynamodb: Any, nurture_table: str) -> Any:
    app.use_dependencies(
        app.build(environment(nurture_table), clients={"dynamodb": dynamodb, "stepfunctions": RecordingStepFunctions()})
    )
    yield app
    app.use_dependencies(None)


def test_process_records_a_counted_order_once_whatever_the_deliveries(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    first = order("1", line_items=(line("a", 1, "coffee"),))
    second = order("2", line_items=(line("b", 3, "coffee"), line("c", 1, "mugs")))

    assert failures(deliver(lambda_context, placed(first, at(0)))) == []
    # placed, redelivered, then paid: the order counted on its first event only
    for event in (placed(second, at(1)), placed(second, at(1)), paid(second, at(2))):
        assert failures(deliver(lambda_context, event)) == []

    also_b = {sk: n for sk, n in counts(dynamodb, nurture_table, "PRODUCT#b").items() if sk.startswith("ALSO#")}
    assert also_b == {"ALSO#a": 1, "ALSO#c": 1}  # with the earlier order's a, and this order's c
    assert counts(dynamodb, nurture_table, "CATEGORY#coffee") == {"PRODUCT#a": 1, "PRODUCT#b": 3}


def test_process_records_a_viewed_product_and_survives_a_refusal(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    viewed = ProductViewed(
        **envelope("view-1", "products/view", 0),
        product=Product(product_id="a", title="Coffee", url="https://shop/a", categories=("coffee",)),
    )
    assert failures(deliver(lambda_context, viewed)) == []
    info = ProductStore(nurture_table, dynamodb).info(["a"])["a"]
    assert (info.title, info.url, info.categories) == ("Coffee", "https://shop/a", ("coffee",))

    dispatcher = app.dependencies.get()
    assert dispatcher.products is not None
    app.use_dependencies(replace(dispatcher, products=ProductStore(nurture_table, Refusing("ThrottlingException"))))
    response = deliver(lambda_context, placed(order("3", line_items=(line("z"),)), at(3)))

    assert failures(response) == []  # statistics lost, the event applied all the same
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    assert ProfileRepository(nurture_table, dynamodb).get_profile(contact_id).orders.count == 1  # type: ignore[union-attr]
    assert counts(dynamodb, nurture_table, "PRODUCT#z") == {}

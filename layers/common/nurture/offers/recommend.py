"""Recommendations, the just-bought rule and an order's facts (pure; docs/offers.md).

- `recommend`: up to ``count`` products from the sources in the order given (``co_purchase``:
  what the seed products' buyers also bought, most often first; ``complements``: the configured
  complements of the seed products, then the best-sellers of the seed categories' complement
  categories; ``best_sellers``: the seed categories' best-sellers), de-duplicated, never an
  excluded product (bought, in an open cart, a seed), never one an email cannot show (no known
  title or url).
- `discountable`: **never a discount on a product the contact just bought**.
- `order_facts`: what an order event tells the journeys (``event.facts``): its products, the
  earliest replenishment reminder due, the complements of what was ordered.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain, zip_longest
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from nurture.events import OrderPaid, OrderPlaced
    from nurture.offers.products import ProductsConfig

Source = Literal["co_purchase", "complements", "best_sellers"]
SOURCES: tuple[Source, ...] = get_args(Source)
MAX_COUNT = 6


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What an email shows of a product (its ``PRODUCT#<id>`` / ``INFO`` item)."""

    product_id: str
    title: str | None = None
    url: str | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    categories: tuple[str, ...] = ()

    @property
    def showable(self) -> bool:
        return bool(self.title) and bool(self.url)

    def card(self) -> dict[str, Any]:
        """The template's ``recommendations`` entry: JSON (the price as exact text, as event views
        hold money), stored on the personalisation item as it is."""
        return {
            "product_id": self.product_id,
            "title": self.title,
            "url": self.url,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "currency": self.currency,
        }


def product_categories(categories: Iterable[str], product_type: str | None) -> tuple[str, ...]:
    """A product's or line item's categories, its product type among them (as the profile counts them)."""
    return tuple(dict.fromkeys(category for category in (*categories, product_type) if category))


@dataclass(frozen=True, slots=True)
class Seed:
    """What recommendations start from: products (in order of importance) and categories."""

    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The data the sources read, as the store holds it: co-purchase counts (product → {other:
    count}), category best-sellers (category → products, best first) and product info."""

    also_bought: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    best_sellers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    info: Mapping[str, ProductInfo] = field(default_factory=dict)


def recommend(
    sources: Sequence[Source],
    seed: Seed,
    catalogue: Catalogue,
    config: ProductsConfig,
    *,
    exclude: Collection[str],
    count: int,
) -> list[dict[str, Any]]:
    """Up to ``count`` recommendation cards (`ProductInfo.card`), the first source's first."""
    chosen: list[dict[str, Any]] = []
    for product_id in candidates(sources, seed, catalogue, config, exclude=exclude):
        if len(chosen) >= count:
            break
        info = catalogue.info.get(product_id)
        if info is not None and info.showable:
            chosen.append(info.card())
    return chosen


def candidates(
    sources: Sequence[Source], seed: Seed, catalogue: Catalogue, config: ProductsConfig, *, exclude: Collection[str]
) -> Iterator[str]:
    """The products the sources propose, in order, once each, none excluded nor a seed (product
    info is not read: the caller fetches the info of the first few)."""
    excluded = set(exclude) | set(seed.products)
    for product_id in chain.from_iterable(_candidates(source, seed, catalogue, config) for source in sources):
        if product_id not in excluded:
            excluded.add(product_id)
            yield product_id


def categories_to_read(sources: Collection[Source], seed: Seed, config: ProductsConfig) -> tuple[str, ...]:
    """The categories whose best-sellers ``recommend`` may read for these sources."""
    wanted: list[str] = []
    if "complements" in sources:
        wanted.extend(_complement_categories(seed, config))
    if "best_sellers" in sources:
        wanted.extend(seed.categories)
    return tuple(dict.fromkeys(wanted))


def _candidates(source: Source, seed: Seed, catalogue: Catalogue, config: ProductsConfig) -> Iterator[str]:
    if source == "co_purchase":
        yield from co_purchased(seed.products, catalogue.also_bought)
    elif source == "complements":
        yield from chain.from_iterable(config.complements_of(product_id) for product_id in seed.products)
        yield from _round_robin(catalogue.best_sellers.get(c, ()) for c in _complement_categories(seed, config))
    else:
        yield from _round_robin(catalogue.best_sellers.get(category, ()) for category in seed.categories)


def co_purchased(products: Iterable[str], also_bought: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The products bought with any of ``products``, the most often first (counts summed over the
    seeds; ties by id, so the answer does not depend on the store's order)."""
    totals: dict[str, int] = {}
    for product_id in products:
        for other, times in also_bought.get(product_id, {}).items():
            totals[other] = totals.get(other, 0) + times
    return sorted(totals, key=lambda other: (-totals[other], other))


def _complement_categories(seed: Seed, config: ProductsConfig) -> list[str]:
    return list(dict.fromkeys(chain.from_iterable(config.category_complements_of(c) for c in seed.categories)))


def _round_robin(rankings: Iterable[Sequence[str]]) -> Iterator[str]:
    """Each category's first, then each one's second…: one big category does not crowd out the rest."""
    for rank in zip_longest(*rankings):
        yield from (product_id for product_id in rank if product_id is not None)


# ---------------------------------------------------------------- never a discount on what was just bought


@dataclass(frozen=True, slots=True)
class Purchase:
    """One order of the contact: its id, when it was placed or paid, and its products."""

    order_id: str
    at: datetime
    product_ids: frozenset[str]


def purchases_from_events(events: Iterable[Mapping[str, Any]]) -> list[Purchase]:
    """The orders among event views (``order.placed`` / ``order.paid``, as the event log holds
    them); an event that is not an order, or malformed, is passed over."""
    purchases = []
    for event in events:
        order = event.get("order")
        if event.get("type") not in ORDER_EVENTS or not isinstance(order, Mapping):
            continue
        at = event_time(event)
        if at is None:
            continue
        purchases.append(
            Purchase(str(order.get("order_id")), at, frozenset(line_item_products(order.get("line_items"))))
        )
    return purchases


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """An event view's ``occurred_at`` (None when absent or not a time)."""
    try:
        return datetime.fromisoformat(str(event["occurred_at"]))
    except (KeyError, ValueError):
        return None


def line_item_products(items: Any) -> list[str]:
    """The product ids of line items as views hold them (an order's, a checkout's, a cart's, or
    what a send's ``offer.products`` names), in order, once each; anything else: none."""
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    ids = (item.get("product_id") for item in items if isinstance(item, Mapping))
    return list(dict.fromkeys(str(product_id) for product_id in ids if product_id))


def discountable(
    products: Collection[str],
    purchases: Iterable[Purchase],
    now: datetime,
    just_bought_days: int,
    *,
    excluding_order: str | None = None,
) -> bool:
    """False when the discount would be for ``products`` and the contact bought every one of them
    within ``just_bought_days`` before ``now`` (or later: an order dated ahead of the clock) in an
    order other than ``excluding_order`` (the enrolment's own trigger). No products named, or a
    window of 0 days: discountable."""
    if not products or just_bought_days <= 0:
        return True
    since = now - timedelta(days=just_bought_days)
    bought = {
        product_id
        for purchase in purchases
        if purchase.order_id != excluding_order and purchase.at >= since
        for product_id in purchase.product_ids
    }
    return not set(products) <= bought


# ---------------------------------------------------------------- an order's facts (event.facts)

ORDER_EVENTS = frozenset({"order.placed", "order.paid"})


def order_facts(event: OrderPlaced | OrderPaid, config: ProductsConfig) -> dict[str, Any]:
    """``{"product_ids", "replenish", "complements"}`` of an order event (docs/offers.md).

    ``replenish``: the configured product that runs out first, ``{"product_id", "due_at"}`` with
    ``due_at`` = the order's time + consumption_days x quantity (the product's lines summed; a line
    of quantity 0 counts as 1) - remind_days_before; None when no ordered product has a period.
    ``complements``: the ordered products' configured complements that are not in the order, in
    the configuration's order; None when there are none.
    """
    quantities: dict[str, int] = {}
    for item in event.order.line_items:
        if item.product_id:
            quantities[item.product_id] = quantities.get(item.product_id, 0) + max(item.quantity, 1)
    due: list[tuple[datetime, str]] = []
    for product_id, quantity in quantities.items():
        spec = config.products.get(product_id)
        if spec is not None and spec.consumption_days is not None:
            lasts = timedelta(days=spec.consumption_days * quantity - spec.remind_days_before)
            due.append((event.occurred_at + lasts, product_id))
    earliest = min(due, default=None)
    complements = [
        other
        for other in dict.fromkeys(chain.from_iterable(config.complements_of(p) for p in quantities))
        if other not in quantities
    ]
    return {
        "product_ids": list(quantities),
        "replenish": None if earliest is None else {"product_id": earliest[1], "due_at": _json_time(earliest[0])},
        "complements": complements or None,
    }


def _json_time(value: datetime) -> str:
    """As the event views write a time (pydantic's JSON: ``…Z`` for UTC)."""
    return value.isoformat().replace("+00:00", "Z")

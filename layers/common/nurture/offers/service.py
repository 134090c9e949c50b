"""The recommender the send path calls (docs/offers.md): the reads, then the pure decisions.

``Recommender.recommend(contact_id, spec, views)``: one Query of the contact's recent events (open
carts; the viewed products for a ``viewed`` seed), the co-purchase and best-seller reads the sources
need, one BatchGetItem of the first candidates' info, then `nurture.offers.recommend.recommend`.
``Recommender.discountable(contact_id, products, excluding_order=...)``: the just-bought rule on
the contact's orders of the last ``just_bought_days`` (from the event log).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from nurture.offers.recommend import (
    MAX_COUNT,
    ORDER_EVENTS,
    SOURCES,
    Catalogue,
    candidates,
    categories_to_read,
    discountable,
    purchases_from_events,
    recommend,
)
from nurture.offers.seeds import SEED_KINDS, bought_products, events_needed, open_carts, seed_of

if TYPE_CHECKING:
    from datetime import datetime

    from nurture.offers.products import ProductsConfig
    from nurture.offers.recommend import ProductInfo, Source
    from nurture.offers.seeds import SeedKind

RECENT_EVENTS_LIMIT = 200  # the newest events of the window a recommendation reads
INFO_LOOKUPS = 25  # candidates whose info is read (those without a title or url are passed over)
PURCHASE_EVENTS_LIMIT = 100


class RecommendationSpec(Protocol):
    """A send's ``recommend`` (docs/offers.md): its sources in order, its seed, its count."""

    @property
    def sources(self) -> Sequence[str]: ...
    @property
    def seed(self) -> str: ...
    @property
    def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A `RecommendationSpec` (the definition's own model may be passed instead)."""

    sources: tuple[str, ...] = SOURCES
    seed: str = "bought"
    count: int = 3


class Recommends(Protocol):
    """What the send path calls: ``views`` is ``{"profile": <profile view>, "enrolment": {"data": …}}``."""

    def recommend(
        self, contact_id: str, spec: RecommendationSpec, views: Mapping[str, Any]
    ) -> list[dict[str, Any]]: ...

    def discountable(self, contact_id: str, products: Collection[str], *, excluding_order: str | None) -> bool: ...


class ReadsProducts(Protocol):
    def also_bought(self, product_ids: Sequence[str]) -> Mapping[str, Mapping[str, int]]: ...
    def best_sellers(self, categories: Sequence[str], limit: int) -> Mapping[str, Sequence[str]]: ...
    def info(self, product_ids: Sequence[str]) -> Mapping[str, ProductInfo]: ...


class ReadsRecentEvents(Protocol):
    def recent_events(
        self, contact_id: str, *, types: frozenset[str], since: datetime, limit: int
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Recommender:
    products: ReadsProducts
    history: ReadsRecentEvents
    config: ProductsConfig
    clock: Callable[[], datetime]

    def recommend(self, contact_id: str, spec: RecommendationSpec, views: Mapping[str, Any]) -> list[dict[str, Any]]:
        sources = _sources(spec.sources)
        seed_kind = _seed_kind(spec.seed)
        count = max(1, min(int(spec.count), MAX_COUNT))
        now = self.clock()
        types, window = events_needed(seed_kind)
        events = self.history.recent_events(contact_id, types=types, since=now - window, limit=RECENT_EVENTS_LIMIT)
        carts = open_carts(events, now)
        seed = seed_of(seed_kind, views, events, carts, now)
        exclude = bought_products(views) | set(carts.products)
        also = self.products.also_bought(seed.products) if "co_purchase" in sources and seed.products else {}
        categories = categories_to_read(sources, seed, self.config)
        # Enough ranked products per category to survive the exclusions and fill the info lookups.
        best = self.products.best_sellers(categories, INFO_LOOKUPS + len(exclude)) if categories else {}
        catalogue = Catalogue(also_bought=also, best_sellers=best)
        wanted = list(islice(candidates(sources, seed, catalogue, self.config, exclude=exclude), INFO_LOOKUPS))
        info = self.products.info(wanted) if wanted else {}
        return recommend(
            sources,
            seed,
            Catalogue(also_bought=also, best_sellers=best, info=info),
            self.config,
            exclude=exclude,
            count=count,
        )

    def discountable(self, contact_id: str, products: Collection[str], *, excluding_order: str | None) -> bool:
        """**Never a discount on a product the contact just bought** (`nurture.offers.recommend.discountable`)."""
        days = self.config.just_bought_days
        if not products or days <= 0:
            return True
        now = self.clock()
        events = self.history.recent_events(
            contact_id, types=ORDER_EVENTS, since=now - timedelta(days=days), limit=PURCHASE_EVENTS_LIMIT
        )
        return discountable(products, purchases_from_events(events), now, days, excluding_order=excluding_order)


def _sources(names: Sequence[str]) -> list[Source]:
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"recommend.from: {unknown[0]!r} is not a source (one of {', '.join(SOURCES)})")
    # In the order given, once each (typed: the definition's names are plain text).
    return list(dict.fromkeys(source for name in names for source in SOURCES if source == name))


def _seed_kind(name: str) -> SeedKind:
    for kind in SEED_KINDS:
        if kind == name:
            return kind
    raise ValueError(f"recommend.seed: {name!r} is not a seed (one of {', '.join(SEED_KINDS)})")

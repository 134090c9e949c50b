"""What recommendations start from, and what they leave out, read from views and the contact's
recent events (pure; docs/offers.md, "Recommendations").

Event views are the event log's bodies (`ProfileRepository.recent_events`), newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, Literal, get_args

from nurture.offers.recommend import ORDER_EVENTS, Seed, event_time, line_item_products

SeedKind = Literal["bought", "viewed", "cart", "enrolment"]
SEED_KINDS: tuple[SeedKind, ...] = get_args(SeedKind)
OPEN_CART_WINDOW = timedelta(days=7)
VIEWED_WINDOW = timedelta(days=30)
CART_EVENTS = frozenset({"cart.updated", "checkout.started", "checkout.updated"})
# What closes a cart or checkout: its completion, or an order naming its token.
CLOSING_EVENTS = frozenset({"checkout.completed", *ORDER_EVENTS})
VIEWED = "product.viewed"
MAX_SEED_PRODUCTS = 20


@dataclass(frozen=True, slots=True)
class OpenCarts:
    """The products (newest cart first) and categories in the contact's open carts."""

    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


def events_needed(seed: SeedKind) -> tuple[frozenset[str], timedelta]:
    """The event types and how far back the recommender reads for this seed (the open-cart
    exclusion always needs the carts and what closes them)."""
    if seed == "viewed":
        return CART_EVENTS | CLOSING_EVENTS | {VIEWED}, VIEWED_WINDOW
    return CART_EVENTS | CLOSING_EVENTS, OPEN_CART_WINDOW


def open_carts(events: Sequence[Mapping[str, Any]], now: datetime) -> OpenCarts:
    """The carts and checkouts of the last 7 days whose token has no ``checkout.completed`` or
    order since (an order names a checkout by ``checkout_token``, a cart by ``cart_token``). A
    token's newest snapshot is its content."""
    since = now - OPEN_CART_WINDOW
    closed_at: dict[str, datetime] = {}
    for event in events:
        at = event_time(event)
        if event.get("type") in CLOSING_EVENTS and at is not None:
            for token in _closing_tokens(event):
                closed_at[token] = max(at, closed_at.get(token, at))
    snapshots = [
        (at, tokens, holder)
        for event in events
        if event.get("type") in CART_EVENTS
        and (at := event_time(event)) is not None
        and at >= since
        and (holder := _holder(event)) is not None
        and (tokens := [t for t in (holder.get("token"), holder.get("cart_token")) if isinstance(t, str) and t])
    ]
    # A checkout names its cart: closing the one closes the other (an order may name only one).
    for _, tokens, _ in snapshots:
        closes = [closed_at[token] for token in tokens if token in closed_at]
        for token in tokens if closes else ():
            closed_at[token] = max(closes)
    newest: dict[str, list[Mapping[str, Any]]] = {}
    for at, tokens, holder in sorted(snapshots, key=lambda snapshot: snapshot[0], reverse=True):
        if tokens[0] in newest:
            continue  # an older snapshot of a token already seen
        if any(token in closed_at and closed_at[token] >= at for token in tokens):
            newest[tokens[0]] = []  # closed: its older snapshots are closed too
            continue
        newest[tokens[0]] = _line_items(holder)
    items = list(chain.from_iterable(newest.values()))
    return OpenCarts(products=_products(items), categories=_categories(items))


def seed_of(
    kind: SeedKind, views: Mapping[str, Any], events: Sequence[Mapping[str, Any]], carts: OpenCarts, now: datetime
) -> Seed:
    """The seed products and categories of a ``recommend.seed``: ``bought`` (the profile's
    products and categories), ``viewed`` (products viewed in the last 30 days, newest first),
    ``cart`` (the open carts'), ``enrolment`` (the trigger's: its order's, checkout's or cart's line
    items, or the viewed product)."""
    if kind == "bought":
        orders = views.get("profile", {}).get("orders") or {}
        return _seed(orders.get("products") or (), orders.get("categories") or ())
    if kind == "cart":
        return _seed(carts.products, carts.categories)
    if kind == "viewed":
        since = now - VIEWED_WINDOW
        products = [
            event["product"]
            for event in events
            if event.get("type") == VIEWED
            and isinstance(event.get("product"), Mapping)
            and (at := event_time(event)) is not None
            and at >= since
        ]
        return _seed(_products(products), _categories(products))
    data = (views.get("enrolment") or {}).get("data") or {}
    items = list(
        chain.from_iterable(
            _line_items(holder)
            for key in ("order", "checkout", "cart")
            if (holder := data.get(key)) is not None and isinstance(holder, Mapping)
        )
    )
    if isinstance(data.get("product"), Mapping):
        items.append(data["product"])
    return _seed(_products(items), _categories(items))


def bought_products(views: Mapping[str, Any]) -> frozenset[str]:
    orders = views.get("profile", {}).get("orders") or {}
    return frozenset(str(product_id) for product_id in orders.get("products") or ())


def _seed(products: Iterable[Any], categories: Iterable[Any]) -> Seed:
    return Seed(
        products=tuple(dict.fromkeys(str(p) for p in products if p))[:MAX_SEED_PRODUCTS],
        categories=tuple(dict.fromkeys(str(c) for c in categories if c)),
    )


def _holder(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    holder = event.get("cart") if event.get("type") == "cart.updated" else event.get("checkout")
    return holder if isinstance(holder, Mapping) else None


def _closing_tokens(event: Mapping[str, Any]) -> list[str]:
    if event.get("type") == "checkout.completed":
        holder, names = event.get("checkout"), ("token", "cart_token")
    else:
        holder, names = event.get("order"), ("checkout_token", "cart_token")
    if not isinstance(holder, Mapping):
        return []
    return [token for name in names if isinstance(token := holder.get(name), str) and token]


def _line_items(holder: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [item for item in holder.get("line_items") or () if isinstance(item, Mapping)]


def _products(items: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(line_item_products(list(items)))


def _categories(items: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    named = chain.from_iterable((*(item.get("categories") or ()), item.get("product_type")) for item in items)
    return tuple(dict.fromkeys(str(category) for category in named if category))

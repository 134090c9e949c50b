"""Micro-benchmark: the pure scoring of one event with the shipped model (issue 9, "Performance").

Prints ``name: value unit`` lines (``make bench``):

* ``scoring_per_event_median``: `apply_event` of the shipped model (every score, every fit rule,
  the behaviour rules of the event's type) for a ``product.viewed`` of a contact with some history,
  on its profile view and event view;
* ``pydantic_validate_event_median``: validating the very same canonical event from its JSON-ready
  dict with `nurture.events.parse_event` (its cached TypeAdapter), in the same run, as a yardstick;
* their ratio, the cost with the item round trip the wiring will add (`Scores.from_item` before,
  `to_item` after), and loading (parsing and validating) the shipped model, a cold-start cost.

Scoring alone: the issue's goal (at most 100 us per event) is for scoring + value tier + 20
segments; tiers and segments are measured when they land. Each figure is the median over batches of
calls (per call); the result is checked before anything is timed.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nurture.events import Contact, Location, Product, ProductViewed, parse_event
from nurture.journeys.views import event_view, profile_view
from nurture.profiles.model import ConsentRecord, OrderStats, Profile, ProfileLocation
from nurture.scoring.engine import Scores, apply_event
from nurture.scoring.model import MODEL_FILE, default_model, load_model

BATCHES = 300
CALLS_PER_BATCH = 100
GOAL_US = 100.0
NOW = datetime(2025, 5, 20, 14, 30, tzinfo=UTC)


class BenchmarkError(AssertionError):
    """The call being timed did not do what it should: its figures would be meaningless."""


def _profile() -> Profile:
    """A customer with one order who subscribed to email and SMS, in one of the store's markets."""
    consent = ConsentRecord("subscribed", NOW - timedelta(days=40), "shopify", "demo.myshopify.com", "e" * 32)
    return Profile(
        contact_id="c-0001",
        created_at=NOW - timedelta(days=60),
        updated_at=NOW - timedelta(days=1),
        source="shopify",
        store="demo.myshopify.com",
        email="ada@example.com",
        phone="+14155550123",
        first_name="Ada",
        locale="en-US",
        time_zone="America/New_York",
        location=ProfileLocation(country_code="US", province="NY", city="New York"),
        email_consent=consent,
        sms_consent=consent,
        orders=OrderStats(
            count=1,
            revenue={"USD": Decimal("84.00")},
            products=frozenset({"p-100"}),
            categories=frozenset({"shoes"}),
            first_order_at=NOW - timedelta(days=30),
            last_order_at=NOW - timedelta(days=30),
        ),
        last_activity_at=NOW - timedelta(days=1),
        tags=frozenset({"newsletter"}),
    )


def _event() -> ProductViewed:
    return ProductViewed(
        event_id="0123456789abcdef0123456789abcdef",
        source="shopify",
        store="demo.myshopify.com",
        source_topic="product_viewed",
        occurred_at=NOW,
        contact=Contact(email="ada@example.com", location=Location(country_code="US")),
        product=Product(
            product_id="p-204",
            variant_id="v-1",
            title="Trail runner",
            url="https://demo.example.com/products/trail-runner",
            unit_price=Decimal("129.00"),
            currency="USD",
            product_type="shoes",
            categories=("shoes", "running"),
        ),
    )


def _history(profile: dict[str, Any]) -> Scores:
    """A week of browsing, a cart and clicks before the timed event: realistic state to decay."""
    model = default_model()
    scores = Scores()
    for days_ago, event_type in [(7, "email.clicked"), (5, "product.viewed"), (3, "cart.updated"), (1, "email.opened")]:
        view = {"type": event_type, "product": {"unit_price": "40.00", "currency": "USD"}}
        scores = apply_event(model, scores, profile, view, NOW - timedelta(days=days_ago)).scores
    return scores


def _median_us(call: Callable[[], Any]) -> float:
    for _ in range(CALLS_PER_BATCH):  # warm up (caches, adapters)
        call()
    samples = []
    gc.disable()
    try:
        for _ in range(BATCHES):
            started = time.perf_counter()
            for _ in range(CALLS_PER_BATCH):
                call()
            samples.append((time.perf_counter() - started) / CALLS_PER_BATCH)
    finally:
        gc.enable()
    return statistics.median(samples) * 1e6


def _check(model: Any, scores: Scores, profile: dict[str, Any], event: dict[str, Any]) -> None:
    update = apply_event(model, scores, profile, event, NOW)
    explanation = {line["rule"]: line["points"] for line in update.scores.explanation("acquisition", NOW)}
    if not {"viewed_product", "viewed_premium_product", "email_subscribed", "in_market"} <= set(explanation):
        raise BenchmarkError(f"the product view did not score as expected: {explanation}")
    if "customer_browsed" not in {line["rule"] for line in update.scores.explanation("loyalty", NOW)}:
        raise BenchmarkError("the customer's product view gave no loyalty points")
    if Scores.from_item(update.scores.to_item()) != update.scores:
        raise BenchmarkError("the item round trip changed the scores")
    if parse_event(event) != _event():
        raise BenchmarkError("parse_event did not read the event back")


def main() -> None:
    model = default_model()
    profile = profile_view(_profile())
    event = event_view(_event())
    scores = _history(profile)
    item = scores.to_item()
    _check(model, scores, profile, event)

    scoring = _median_us(lambda: apply_event(model, scores, profile, event, NOW))
    validate = _median_us(lambda: parse_event(event))
    round_trip = _median_us(lambda: apply_event(model, Scores.from_item(item), profile, event, NOW).scores.to_item())
    text = MODEL_FILE.read_text(encoding="utf-8")
    load_ms = statistics.median(_timed(lambda: load_model(text, source=MODEL_FILE.name)) for _ in range(20)) * 1000

    rules = len(model.fit) + len(model.behaviour)
    print(f"scoring_scope: scoring alone ({rules} rules, {len(model.scores)} scores; no tier, no segments)")
    print(f"scoring_per_event_median: {scoring:.1f} us")
    print(f"pydantic_validate_event_median: {validate:.1f} us")
    print(f"scoring_over_pydantic_validate: {scoring / validate:.2f} x")
    print(f"scoring_with_item_round_trip_median: {round_trip:.1f} us")
    print(f"scoring_share_of_100us_goal: {scoring / GOAL_US * 100:.0f} %")
    print(f"scoring_model_load: {load_ms:.1f} ms")


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

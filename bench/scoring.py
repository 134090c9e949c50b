"""Micro-benchmark: the pure compute of one event for scoring, value tier and segments (issue 9,
"Performance": at most 100 us per event with a model of 30 rules and 20 segments).

Prints ``name: value unit`` lines (``make bench``):

* ``scoring_per_event_median``: the issue's figure, everything the wiring will compute per event:
  `apply_event` of the shipped model (35 rules, 2 scores) for a ``product.viewed`` of a contact with
  some history, its value tier (`clv` and `tier` against a VIP threshold), and 20 segments (the four
  shipped ones, each five times under another id) evaluated on its profile view (scores and tier in
  it, as the wiring will put them) and its last 30 days of events (15 events, the new one included);
* ``pydantic_validate_event_median``: validating the very same canonical event from its JSON-ready
  dict with `nurture.events.parse_event` (its cached TypeAdapter), in the same run, as a yardstick;
* the parts: ``scoring_rules_only_median`` (apply_event alone), ``tier_median``,
  ``segments_20_median`` (preparing the events included), the scoring with the item round trip the
  wiring will add (`Scores.from_item` before, `to_item` after), and loading (parsing and
  validating) the shipped model, a cold-start cost;
* ``assess_per_event_median``: what ProcessFunction runs per event, pure
  (`nurture.insights.assess.assess` with the same model, the 20 segments and the shipped predictive
  weights): the parts above plus building the profile and event views, the RFM scores and the
  predictive probability, and the segment stays and due time.

Each figure is the median over batches of calls (per call); the results are checked before anything
is timed. Not counted: reading and writing the profile and events (DynamoDB), building the views.
"""

from __future__ import annotations

import dataclasses
import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nurture.events import Contact, Location, Product, ProductViewed, parse_event
from nurture.insights.assess import InsightsConfig, assess, default_config
from nurture.journeys.views import event_view, profile_view
from nurture.profiles.model import ConsentRecord, Insights, OrderStats, Profile, ProfileLocation
from nurture.scoring.engine import Scores, apply_event
from nurture.scoring.model import MODEL_FILE, default_model, load_model
from nurture.scoring.tiers import TierPolicy, clv, tier
from nurture.segments.definition import Segment, default_segments
from nurture.segments.evaluate import evaluate_all, members, next_change, recent_events

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


def _segments() -> list[Segment]:
    """20 segments: the shipped ones, each again under other ids (the same work as 20 distinct)."""
    shipped = list(default_segments().values())
    return [dataclasses.replace(shipped[n % len(shipped)], id=f"{shipped[n % len(shipped)].id}_{n}") for n in range(20)]


def _recent(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The contact's last 30 days of events, newest first: the new view, browsing, a cart, clicks,
    an order a month ago (what the segments' windows read)."""
    older: list[dict[str, Any]] = []
    for days_ago, event_type, price in [
        (0.5, "product.viewed", "139.00"),
        (1, "email.opened", None),
        (1.5, "product.viewed", "59.00"),
        (2, "product.viewed", "129.00"),
        (3, "cart.updated", None),
        (3.5, "product.viewed", "35.00"),
        (5, "product.viewed", "40.00"),
        (6, "email.clicked", None),
        (8, "email.opened", None),
        (10, "product.viewed", "22.00"),
        (12, "email.clicked", None),
        (15, "product.viewed", "110.00"),
        (21, "checkout.started", None),
        (29, "order.placed", None),
    ]:
        view: dict[str, Any] = {"type": event_type, "occurred_at": (NOW - timedelta(days=days_ago)).isoformat()}
        if price is not None:
            view["product"] = {"unit_price": price, "currency": "USD", "categories": ["shoes"]}
        older.append(view)
    return [{**event, "occurred_at": NOW.isoformat()}, *older]


def _per_event(
    model: Any,
    scores: Scores,
    profile: dict[str, Any],
    event: dict[str, Any],
    stats: OrderStats,
    segments: list[Segment],
    events: list[dict[str, Any]],
) -> tuple[Scores, str | None, frozenset[str], datetime | None]:
    """What the wiring computes for one event, pure: scores, tier, then segments on both."""
    update = apply_event(model, scores, profile, event, NOW)
    contact_tier = tier(stats, NOW, TIER_POLICY, VIP_THRESHOLD)
    view = {
        **profile,
        "scores": {name: update.scores.value(name, NOW) for name in model.scores},
        "tier": contact_tier,
        "clv": clv(stats, NOW, TIER_POLICY),
    }
    memberships = evaluate_all(segments, {"profile": view}, recent_events(events), NOW)
    return update.scores, contact_tier, members(memberships), next_change(memberships)


TIER_POLICY = TierPolicy()
VIP_THRESHOLD = Decimal("500.00")


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

    stats, segments, events = _profile().orders, _segments(), _recent(event)
    _, contact_tier, joined, _ = _per_event(model, scores, profile, event, stats, segments, events)
    if contact_tier != "first_time" or not joined or joined == {segment.id for segment in segments}:
        raise BenchmarkError(f"tier {contact_tier!r}, segments {sorted(joined)}: not a realistic mix")

    full = _median_us(lambda: _per_event(model, scores, profile, event, stats, segments, events))
    scoring = _median_us(lambda: apply_event(model, scores, profile, event, NOW))
    tiering = _median_us(lambda: (tier(stats, NOW, TIER_POLICY, VIP_THRESHOLD), clv(stats, NOW, TIER_POLICY)))
    view = {"profile": {**profile, "scores": {"acquisition": 45.0, "loyalty": 20.0}, "tier": contact_tier}}
    segmenting = _median_us(lambda: evaluate_all(segments, view, recent_events(events), NOW))
    validate = _median_us(lambda: parse_event(event))
    round_trip = _median_us(lambda: apply_event(model, Scores.from_item(item), profile, event, NOW).scores.to_item())
    config = InsightsConfig(model, {s.id: s for s in segments}, TIER_POLICY, default_config().predictive)
    assessed_profile = dataclasses.replace(_profile(), insights=Insights(at=NOW - timedelta(days=1), scores=scores))
    the_event, older = _event(), events[1:]
    assessment = assess(config, assessed_profile, the_event, older, NOW, VIP_THRESHOLD)
    if assessment.insights.value is None or assessment.insights.predicted_order_30d is None:
        raise BenchmarkError("the assessment left out the tier or the predictive probability")
    if frozenset(assessment.insights.segments) != joined:
        raise BenchmarkError("the assessment's segments differ from the parts' evaluation")
    wired = _median_us(lambda: assess(config, assessed_profile, the_event, older, NOW, VIP_THRESHOLD))
    text = MODEL_FILE.read_text(encoding="utf-8")
    load_ms = statistics.median(_timed(lambda: load_model(text, source=MODEL_FILE.name)) for _ in range(20)) * 1000

    rules = len(model.fit) + len(model.behaviour)
    print(f"scoring_scope: {rules} rules, {len(model.scores)} scores, value tier, {len(segments)} segments")
    print(f"scoring_per_event_median: {full:.1f} us")
    print(f"pydantic_validate_event_median: {validate:.1f} us")
    print(f"scoring_over_pydantic_validate: {full / validate:.2f} x")
    print(f"scoring_share_of_100us_goal: {full / GOAL_US * 100:.0f} %")
    print(f"scoring_rules_only_median: {scoring:.1f} us")
    print(f"tier_median: {tiering:.1f} us")
    print(f"segments_20_median: {segmenting:.1f} us")
    print(f"scoring_with_item_round_trip_median: {round_trip:.1f} us")
    print(f"scoring_model_load: {load_ms:.1f} ms")
    print(f"assess_per_event_median: {wired:.1f} us")
    print(f"assess_over_pydantic_validate: {wired / validate:.2f} x")


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

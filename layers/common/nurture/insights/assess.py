"""What ProcessFunction concludes about a contact after each event (pure): scores, value tier,
predicted order probability, segments, the next time time alone changes any of them, and the
events those conclusions raise (docs/scoring.md, "Wiring").

`assess` runs after ``plan_update`` on the profile after the event, in this order, each step
reading what the ones before it concluded: tier (from the counted orders), predictive probability,
scores (`apply_event`; `decay` for ``contact.refresh``), segments (on the profile view holding all
of the above). `derived_events` turns the crossings and segment changes into the events the
dispatcher queues: their ids derive from the cause's id, so a redelivery queues the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nurture.events import ProductBrowsed, ScoreCrossed, SegmentChange, derive_event_id
from nurture.journeys.views import event_view, insights_view, profile_view
from nurture.profiles.model import Insights, SegmentStay, ValueTier
from nurture.scoring import predictive, tiers
from nurture.scoring.engine import Scores, apply_event, decay
from nurture.scoring.model import default_model
from nurture.segments.definition import default_segments, event_history
from nurture.segments.evaluate import changes, evaluate_all, members, next_change

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from decimal import Decimal

    from nurture.events import CanonicalEvent, Product, SegmentChangeType
    from nurture.profiles.model import OrderStats, Profile
    from nurture.scoring.engine import Crossing
    from nurture.scoring.model import ScoringModel
    from nurture.scoring.predictive import PredictiveModel
    from nurture.segments.definition import Segment

PREDICTIVE_FILE = Path(__file__).resolve().parent.parent / "scoring" / "predictive.json"
# Nurture's own conclusions: applying them records and routes them, and concludes nothing more
# (a crossing assessed again would only find the same scores); nor does a birthday, a date on the
# calendar rather than something the contact did (no rule scores it, no segment reads it).
NOT_ASSESSED = frozenset({"score.crossed", "segment.entered", "segment.exited", "contact.birthday", "product.browsed"})
# Browse abandonment (``product.browsed``): the second view of a product within this window, with
# no cart or checkout of the window holding it.
BROWSE_WINDOW = timedelta(hours=24)
BROWSE_VIEWS = 2
CART_TYPES = frozenset({"cart.updated", "checkout.started", "checkout.updated", "checkout.completed"})
BROWSE_HISTORY = frozenset({"product.viewed"}) | CART_TYPES
# A contact's recent events read for one assessment: the newest this many (a window without a
# `where` needs far fewer; docs/scoring.md says what a cap costs a `where`).
MAX_RECENT_EVENTS = 500
# Behaviour points below this are forgotten by the engine: a score holding none does not decay.
_HELD = 0.005


@dataclass(frozen=True)
class History:
    """The events an assessment reads: those of ``types`` younger than ``window``."""

    types: frozenset[str]
    window: timedelta


@dataclass(frozen=True)
class InsightsConfig:
    model: ScoringModel
    segments: Mapping[str, Segment]
    tier_policy: tiers.TierPolicy
    predictive: PredictiveModel | None = None
    # Derive product.browsed (browse abandonment) from product views.
    browse: bool = True

    @cached_property
    def history(self) -> History | None:
        """What to read of the contact's events (None: nothing needs them)."""
        segments = event_history(self.segments.values())
        types = set(segments.types)
        windows = [] if segments.window is None else [segments.window]
        if self.predictive is not None:
            types |= {kind for _, kind, _ in predictive.COUNTS}
            windows.append(timedelta(days=predictive.WINDOW_DAYS))
        if self.browse:
            types |= BROWSE_HISTORY
            windows.append(BROWSE_WINDOW)
        return History(frozenset(types), max(windows)) if types and windows else None


@cache
def default_config() -> InsightsConfig:
    """The shipped scoring model, segments, tier policy and predictive weights (loaded once)."""
    return InsightsConfig(
        model=default_model(),
        segments=default_segments(),
        tier_policy=tiers.TierPolicy(),
        predictive=predictive.PredictiveModel.from_json(PREDICTIVE_FILE.read_text(encoding="utf-8"))
        if PREDICTIVE_FILE.exists()
        else None,
    )


@dataclass(frozen=True)
class Assessed:
    """What the profile store writes with a change: the profile with its new insights, and the
    events they raise (recorded on the cause's event item)."""

    after: Profile
    derived: tuple[CanonicalEvent, ...] = ()


@dataclass(frozen=True)
class Assessment:
    insights: Insights
    crossed: tuple[Crossing, ...] = ()
    entered: tuple[str, ...] = ()
    exited: tuple[str, ...] = ()
    # The product the event made a browse abandonment of (product.browsed), if any.
    browsed: Product | None = None


def assess(
    config: InsightsConfig,
    profile: Profile,
    event: CanonicalEvent,
    recent: Sequence[Mapping[str, Any]],
    now: datetime,
    vip_threshold: Decimal | None,
) -> Assessment:
    """The contact's insights after ``event`` (``profile``: after the event, with the insights
    stored before it). ``recent``: its event views of `InsightsConfig.history`, without ``event``."""
    previous = profile.insights
    value = value_tier(profile.orders, now, config.tier_policy, vip_threshold)
    base = profile_view(profile)  # its stored insights are replaced below
    this_event = event_view(event)
    events = [*recent, this_event]
    predicted = (
        round(config.predictive.probability(predictive.features(base, events, now)), 4)
        if config.predictive is not None
        else None
    )
    scores = previous.scores if previous is not None else Scores()
    scored_view = {**base, **insights_view(Insights(at=now, scores=scores, value=value), now)}
    update = (
        decay(config.model, scores, now)
        if event.type == "contact.refresh"
        else apply_event(config.model, scores, scored_view, this_event, now)
    )
    view = {
        **base,
        **insights_view(Insights(at=now, scores=update.scores, value=value, predicted_order_30d=predicted), now),
    }
    memberships = evaluate_all(config.segments.values(), {"profile": view}, events, now)
    held = previous.segments if previous is not None else {}
    inside = members(memberships)
    entered, exited = changes(frozenset(held), inside)
    stays = {
        segment: SegmentStay(since=held[segment].since if segment in held else now, until=memberships[segment].until)
        for segment in sorted(inside)
    }
    due = [
        moment
        for moment in (
            next_change(memberships),
            _tier_changes_at(value, profile.orders, config.tier_policy),
            _next_decay(update.scores, now),
        )
        if moment is not None
    ]
    insights = Insights(
        at=now,
        scores=update.scores,
        value=value,
        predicted_order_30d=predicted,
        segments=stays,
        due_at=min(due, default=None),
    )
    browsed = browsed_product(profile, event, recent) if config.browse else None
    return Assessment(insights, update.crossed, entered, exited, browsed)


def browsed_product(profile: Profile, event: CanonicalEvent, recent: Sequence[Mapping[str, Any]]) -> Product | None:
    """The viewed product when ``event`` is its second ``product.viewed`` within `BROWSE_WINDOW`
    (exactly the second: a third view derives nothing more) and the contact has it in no cart or
    checkout event of that window and never ordered it (``OrderStats.products``). ``recent``: the
    contact's event views without ``event``; the window ends at the view's own time, so the answer
    does not depend on when the view is processed."""
    if event.type != "product.viewed":
        return None
    product = event.product
    if product.product_id in profile.orders.products:
        return None
    start = event.occurred_at - BROWSE_WINDOW
    views = 1
    for view in recent:
        occurred_at = _occurred_at(view)
        if occurred_at is None or occurred_at <= start:
            continue
        kind = view.get("type")
        if kind in CART_TYPES and product.product_id in _line_item_products(view):
            return None
        if (
            kind == "product.viewed"
            and occurred_at <= event.occurred_at
            and _viewed_product(view) == product.product_id
        ):
            views += 1
    return product if views == BROWSE_VIEWS else None


def _occurred_at(view: Mapping[str, Any]) -> datetime | None:
    value = view.get("occurred_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _viewed_product(view: Mapping[str, Any]) -> Any:
    product = view.get("product")
    return product.get("product_id") if isinstance(product, dict) else None


def _line_item_products(view: Mapping[str, Any]) -> set[Any]:
    """The product ids of a cart or checkout event's line items."""
    basket = view.get("cart") or view.get("checkout")
    items = basket.get("line_items") if isinstance(basket, dict) else None
    return {item.get("product_id") for item in items or () if isinstance(item, dict)}


def value_tier(
    orders: OrderStats, now: datetime, policy: tiers.TierPolicy, vip_threshold: Decimal | None
) -> ValueTier | None:
    rfm = tiers.rfm(orders, now, policy)
    clv = tiers.clv(orders, now, policy)
    tier = tiers.tier(orders, now, policy, vip_threshold)
    currency = tiers.main_currency(orders)
    if rfm is None or clv is None or tier is None or currency is None:
        return None
    return ValueTier(tier, rfm.recency, rfm.frequency, rfm.monetary, clv, currency)


def _tier_changes_at(value: ValueTier | None, orders: OrderStats, policy: tiers.TierPolicy) -> datetime | None:
    """When time alone moves the tier: at_risk, then lapsed, on the UTC day the recency reaches them."""
    if value is None or orders.last_order_at is None or value.tier == "lapsed":
        return None
    days = policy.lapsed_after if value.tier == "at_risk" else policy.at_risk_after
    day = orders.last_order_at.astimezone(UTC).date() + timedelta(days=days)
    return datetime.combine(day, time(), UTC)


def _next_decay(scores: Scores, now: datetime) -> datetime | None:
    """Decay is daily: the next UTC midnight, while any score holds behaviour points."""
    if not any(abs(points) >= _HELD for state in scores.states.values() for points in state.behaviour.values()):
        return None
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)


def derived_events(
    contact_id: str, cause: CanonicalEvent, assessment: Assessment, model: ScoringModel
) -> tuple[ScoreCrossed | SegmentChange | ProductBrowsed, ...]:
    """One ``score.crossed`` per crossing, then one ``segment.entered`` / ``segment.exited`` per
    change, then ``product.browsed`` when the cause made one; ids from the cause's id, so the same
    cause always derives the same events. They happen when their cause did (``occurred_at``): an
    exit rule compares an event's time with the trigger's, so an order placed after a view must come
    after the segment entry that view caused, however late either is processed."""
    crossed = tuple(
        ScoreCrossed(
            event_id=derive_event_id(
                "nurture",
                "scoring",
                "score.crossed",
                f"contact/{contact_id}/{crossing.score}/{crossing.threshold}/{crossing.direction}",
                cause.event_id,
            ),
            source="nurture",
            store="scoring",
            source_topic="score.crossed",
            occurred_at=cause.occurred_at,
            contact_id=contact_id,
            score=crossing.score,
            threshold=crossing.threshold,
            direction=crossing.direction,
            value=crossing.value,
            threshold_value=model.scores[crossing.score].thresholds[crossing.threshold],
        )
        for crossing in assessment.crossed
    )
    moved = tuple(
        SegmentChange(
            event_id=derive_event_id("nurture", "segments", kind, f"contact/{contact_id}/{segment}", cause.event_id),
            source="nurture",
            store="segments",
            source_topic=kind,
            occurred_at=cause.occurred_at,
            type=kind,
            contact_id=contact_id,
            segment=segment,
        )
        for kind, segments in _segment_changes(assessment)
        for segment in segments
    )
    browsed = assessment.browsed
    abandoned = (
        ()
        if browsed is None
        else (
            ProductBrowsed(
                event_id=derive_event_id(
                    "nurture", "browse", "product.browsed", f"contact/{contact_id}/{browsed.product_id}", cause.event_id
                ),
                source="nurture",
                store="browse",
                source_topic="product.browsed",
                occurred_at=cause.occurred_at,
                contact_id=contact_id,
                product=browsed,
            ),
        )
    )
    return crossed + moved + abandoned


def _segment_changes(assessment: Assessment) -> tuple[tuple[SegmentChangeType, tuple[str, ...]], ...]:
    return (("segment.entered", assessment.entered), ("segment.exited", assessment.exited))

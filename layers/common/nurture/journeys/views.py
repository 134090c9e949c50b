"""What journey conditions see of a contact and of an event: plain JSON-like mappings (pure).

`profile_view` holds exactly the fields docs/journeys.md lists for ``profile.*`` / ``before.*``
(never the address or phone number themselves: ``has_email`` / ``has_phone``); datetimes are ISO 8601
strings, sets are sorted lists, so a view compares the same whether it was built from a fresh
profile or read back from JSON. `event_view` is the canonical event as JSON; `journey_event_view`
adds what the journeys read of it besides (``event.facts``: an order's products, replenishment and
complements from ``products.yaml``, docs/offers.md), the ``event.*`` of triggers, keys, entry and
exit conditions and of an enrolment's ``data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nurture.offers.products import default_products
from nurture.offers.recommend import order_facts

if TYPE_CHECKING:
    from datetime import date, datetime

    from nurture.events import CanonicalEvent
    from nurture.offers.places import NearbyPlace
    from nurture.profiles.model import Insights, Profile


def profile_view(profile: Profile, *, now: datetime | None = None) -> dict[str, Any]:
    """``now``: the scores are read at that instant (decayed), and the places near the contact
    (``nearby``, ``nearest_place``) are those open then; without it, the scores as last stored and
    the places open at the contact's last activity."""
    orders = profile.orders
    nearby = [near.place.id for near in profile_places(profile, now)]
    return {
        "contact_id": profile.contact_id,
        "email_consent": profile.consent_state("email"),
        "sms_consent": profile.consent_state("sms"),
        "has_email": profile.email is not None,
        "has_phone": profile.phone is not None,
        "first_name": profile.first_name,
        "locale": profile.locale,
        "time_zone": profile.time_zone,
        "country_code": profile.location.country_code if profile.location is not None else None,
        "nearby": nearby,
        "nearest_place": nearby[0] if nearby else None,
        "birthday": _iso(profile.birthday),
        "orders": {
            "count": orders.count,
            "first_order_at": _iso(orders.first_order_at),
            "last_order_at": _iso(orders.last_order_at),
            "products": sorted(orders.products),
            "categories": sorted(orders.categories),
        },
        "engagement": {
            "last_open_at": _iso(profile.engagement.last_open_at),
            "last_click_at": _iso(profile.engagement.last_click_at),
            "last_engaged_at": _iso(last_engaged_at(profile)),
        },
        "lists": sorted(profile.lists),
        "tags": sorted(profile.tags),
        "unsubscribed_topics": sorted(profile.unsubscribed_topics),
        "paused_until": _iso(profile.paused_until),
        "created_at": _iso(profile.created_at),
        "last_activity_at": _iso(profile.last_activity_at),
        **insights_view(profile.insights, now),
    }


def last_engaged_at(profile: Profile) -> datetime | None:
    """The latest sign of interest in our email: an open, a click, or subscribing (a new subscriber
    has not had the chance to open anything yet). None when there is none of these."""
    consent = profile.email_consent
    subscribed_at = consent.changed_at if consent is not None and consent.state == "subscribed" else None
    moments = [m for m in (profile.engagement.last_open_at, profile.engagement.last_click_at, subscribed_at) if m]
    return max(moments, default=None)


def profile_places(profile: Profile, now: datetime | None = None) -> list[NearbyPlace]:
    """The deployment's places near the contact's latest point (`nurture.offers.places`), open at
    ``now`` (default: the contact's last activity), nearest first; none without a point."""
    from nurture.offers.places import nearby_for  # only a profile with a point reads places.yaml

    point = profile.location.point if profile.location is not None else None
    if point is None:
        return []
    return nearby_for(point, now or profile.last_activity_at or profile.updated_at)


def template_places(profile: Profile, now: datetime) -> list[dict[str, Any]]:
    """The template context's ``places`` (docs/offers.md): each ``{id, name, kind, url,
    distance_km, starts_at}``, nearest first; the send path calls it with its clock."""
    return [near.template_entry() for near in profile_places(profile, now)]


def insights_view(insights: Insights | None, now: datetime | None) -> dict[str, Any]:
    """``scores``, ``tier``, ``rfm``, ``clv``, ``predicted_order_30d`` and ``segments`` of a profile
    view (docs/scoring.md, "Wiring"): empty or null before the contact's first assessment."""
    if insights is None:
        return {"scores": {}, "tier": None, "rfm": None, "clv": None, "predicted_order_30d": None, "segments": []}
    scores = insights.scores
    value = insights.value
    return {
        "scores": {
            name: state.value(state.at if now is None else max(now, state.at)) for name, state in scores.states.items()
        },
        "tier": None if value is None else value.tier,
        "rfm": None
        if value is None
        else {"recency": value.recency, "frequency": value.frequency, "monetary": value.monetary},
        "clv": None if value is None else float(value.clv),
        "predicted_order_30d": insights.predicted_order_30d,
        "segments": sorted(insights.segments),
    }


def event_view(event: CanonicalEvent) -> dict[str, Any]:
    view: dict[str, Any] = event.model_dump(mode="json")
    return view


def journey_event_view(event: CanonicalEvent) -> dict[str, Any]:
    """The event view with ``facts`` for an order event (``order.placed``, ``order.paid``:
    `nurture.offers.recommend.order_facts`, on the cached ``products.yaml``); other events have none."""
    view = event_view(event)
    if event.type == "order.placed" or event.type == "order.paid":
        view["facts"] = order_facts(event, default_products())
    return view


def trigger_views(event: CanonicalEvent, before: Profile | None, after: Profile | None) -> dict[str, Any]:
    """The roots a trigger, entry filter or exit rule reads: ``event`` (`journey_event_view`),
    ``profile`` (after the event) and ``before`` (empty for a contact the event created)."""
    event_part = journey_event_view(event)
    facts = event_part.get("facts")
    if isinstance(facts, dict):
        # Whether this event made the order count (a paid order's order.placed, an unpaid one's
        # order.paid): a journey started by an order must not be ended by the same order's next event.
        counted_before = before.orders.count if before is not None else 0
        facts["counts_order"] = after is not None and after.orders.count > counted_before
    return {
        "event": event_part,
        "profile": profile_view(after) if after is not None else {},
        "before": profile_view(before) if before is not None else {},
    }


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()

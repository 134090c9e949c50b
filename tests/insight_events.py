"""Canonical events for the insights tests (scores, tiers, segments), built through `parse_event`
from the generic webhook's canonical shapes, for one contact by address."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nurture.events import CanonicalEvent, parse_event

LEAD = "lead@example.com"


def event(event_type: str, when: datetime, number: int, address: str = LEAD, **body: Any) -> CanonicalEvent:
    return parse_event(
        {
            "type": event_type,
            "event_id": f"e{number}",
            "source": "generic",
            "store": "shop",
            "source_topic": event_type,
            "occurred_at": when.isoformat(),
            "contact": {"email": address, "customer_id": "42"},
            **body,
        }
    )


def viewed(when: datetime, number: int, price: str = "20.00") -> CanonicalEvent:
    product = {"product_id": f"p{number}", "title": "Shoe", "unit_price": price, "currency": "USD"}
    return event("product.viewed", when, number, product=product)


def subscribed(when: datetime, number: int) -> CanonicalEvent:
    return event("consent.changed", when, number, email={"state": "subscribed", "changed_at": when.isoformat()})


def warming_up(start: datetime, first_number: int = 2) -> list[CanonicalEvent]:
    """Three days of a view, a cart update and a checkout each: a subscribed lead in no market with
    no phone goes from 10 past warm (40) to past sales_ready (70) on the shipped model."""
    events: list[CanonicalEvent] = []
    number = first_number - 1
    for day in range(3):
        for kind in ("product.viewed", "cart.updated", "checkout.started"):
            number += 1
            when = start + timedelta(days=day, hours=number)
            if kind == "product.viewed":
                events.append(viewed(when, number))
            elif kind == "cart.updated":
                events.append(event(kind, when, number, cart={"token": f"cart{number}"}))
            else:
                events.append(event(kind, when, number, checkout={"token": f"co{number}"}))
    return events

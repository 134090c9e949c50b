"""Canonical events for profile tests, built through the real models (``nurture.events``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nurture.events import (
    ChannelConsent,
    ConsentChanged,
    Contact,
    ContactUpserted,
    EmailEngagement,
    LineItem,
    MessageRef,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    derive_event_id,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STORE = "acme.myshopify.com"
EMAIL = "ada@example.com"
PHONE = "+14155550123"
CUSTOMER_ID = "7001"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def contact(**fields: Any) -> Contact:
    values: dict[str, Any] = {"email": EMAIL, "customer_id": CUSTOMER_ID}
    values.update(fields)
    return Contact(**values)


def _envelope(event_type: str, resource: str, occurred_at: datetime, version: bool, topic: str) -> dict[str, Any]:
    return {
        "event_id": derive_event_id("shopify", STORE, event_type, resource, occurred_at if version else None),
        "source": "shopify",
        "store": STORE,
        "source_topic": topic,
        "occurred_at": occurred_at,
    }


def upserted(occurred_at: datetime = T0, who: Contact | None = None) -> ContactUpserted:
    who = who or contact()
    resource = f"customer/{who.customer_id or who.email or who.phone}"
    return ContactUpserted(
        **_envelope("contact.upserted", resource, occurred_at, True, "customers/update"), contact=who
    )


def consent(
    state: str = "subscribed",
    changed_at: datetime = T0,
    *,
    channel: str = "email",
    occurred_at: datetime | None = None,
    who: Contact | None = None,
) -> ConsentChanged:
    who = who or contact(phone=PHONE)
    occurred = occurred_at or changed_at
    report = ChannelConsent(state=state, changed_at=changed_at, opt_in_level="single_opt_in")
    resource = f"customer/{who.customer_id}"
    channels = {"email": report} if channel == "email" else {"sms": report}
    return ConsentChanged(
        **_envelope("consent.changed", resource, occurred, True, "customers/update"), contact=who, **channels
    )


def order(order_id: str = "5001", total: str = "100.00", currency: str = "EUR", **fields: Any) -> Order:
    values: dict[str, Any] = {
        "order_id": order_id,
        "currency": currency,
        "total": Decimal(total),
        "line_items": (
            LineItem(
                product_id="p-1",
                title="Tea",
                quantity=2,
                unit_price=Decimal("50.00"),
                categories=("drinks",),
                product_type="tea",
            ),
        ),
    }
    values.update(fields)
    return Order(**values)


def placed(the_order: Order | None = None, occurred_at: datetime = T0, who: Contact | None = None) -> OrderPlaced:
    the_order = the_order or order()
    return OrderPlaced(
        **_envelope("order.placed", f"order/{the_order.order_id}", occurred_at, False, "orders/create"),
        contact=who or contact(),
        order=the_order,
    )


def paid(the_order: Order | None = None, occurred_at: datetime = T0, who: Contact | None = None) -> OrderPaid:
    the_order = the_order or order()
    return OrderPaid(
        **_envelope("order.paid", f"order/{the_order.order_id}", occurred_at, False, "orders/paid"),
        contact=who or contact(),
        order=the_order,
    )


def fulfilled(the_order: Order | None = None, occurred_at: datetime = T0, who: Contact | None = None) -> OrderFulfilled:
    the_order = the_order or order()
    return OrderFulfilled(
        **_envelope("order.fulfilled", f"order/{the_order.order_id}", occurred_at, False, "orders/fulfilled"),
        contact=who or contact(),
        order=the_order,
    )


def cancelled(the_order: Order | None = None, occurred_at: datetime = T0, who: Contact | None = None) -> OrderCancelled:
    the_order = the_order or order()
    return OrderCancelled(
        **_envelope("order.cancelled", f"order/{the_order.order_id}", occurred_at, False, "orders/cancelled"),
        contact=who or contact(),
        order=the_order,
    )


def refunded(
    the_order: Order | None = None, refunded_total: str = "100.00", occurred_at: datetime = T0
) -> OrderRefunded:
    """The whole amount refunded so far; a snapshot: one event id per occurred_at."""
    the_order = the_order or order()
    return OrderRefunded(
        **_envelope("order.refunded", f"order/{the_order.order_id}", occurred_at, True, "orders/updated"),
        contact=contact(),
        order=the_order,
        refunded_total=Decimal(refunded_total),
    )


def complained(contact_id: str, occurred_at: datetime | None = None) -> EmailEngagement:
    """SES's complaint about a welcome email to the contact, as EngagementFunction queues it."""
    return EmailEngagement(
        type="email.complained",
        event_id="complaint-1",
        source="nurture",
        store="ses",
        source_topic="Complaint",
        occurred_at=occurred_at or at(5),
        contact_id=contact_id,
        message=MessageRef(message_id="m-1", journey="welcome", step="welcome"),
    )

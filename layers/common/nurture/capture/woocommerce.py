"""WooCommerce webhooks (REST API v3 resource bodies) → canonical events.

Topics and what they become:

- ``customer.created``, ``customer.updated`` → contact.upserted [+ consent.changed]
- ``order.created``, ``order.updated`` → [contact] the events its status calls for (below)

Order status → events (the same for ``order.created`` and ``order.updated``; a status that calls
for none is ``IgnoredTopic``):

- ``processing``, ``completed`` (WooCommerce's "payment received" states) → order.placed, then
  order.paid: the order counts. ``completed`` (the merchant fulfilled it) also gives
  order.fulfilled, once per order (a transition), dated ``date_completed_gmt``.
- ``on-hold`` (awaiting an offline payment: bank transfer, cheque) → order.placed with
  ``unpaid``: the order exists but counts only once it is paid.
- ``pending`` (created, not paid: the shopper left at or after the payment step) →
  checkout.started, WooCommerce's abandoned checkout, and no order.placed (it is not an order the
  shopper committed to, so it neither counts nor ends a journey waiting for an order). The token
  is the ``order_key`` (the ``id`` without one), the recovery link the order's ``payment_url``
  when the store sends it; every event of the order carries the same token as
  ``checkout_token``, so its payment ends the recovery.
- ``cancelled`` → order.cancelled; ``refunded`` → order.refunded for the whole total.
- Any status above also gives order.refunded when the order lists ``refunds`` (partial refunds:
  the sum of their amounts).
- ``failed``, ``trash``, ``draft``, ``checkout-draft`` (a block checkout in progress) and custom
  statuses → nothing: they are not purchases. WooCommerce has no test-order flag: a test payment
  made through a gateway's sandbox counts like any other.

The same transition reported twice (``processing`` then ``completed``, or ``order.created`` then
``order.updated``) keeps one event id, since transition ids do not depend on ``date_modified``.

Timestamps come from the ``*_gmt`` fields (UTC without an offset). WooCommerce core records no
marketing consent: a consent plugin or the storefront can write it into ``meta_data`` under
``nurture_email_consent`` / ``nurture_sms_consent`` (``subscribed``, ``unsubscribed``,
``pending``, ``not_subscribed``, or yes/no). Without them no consent.changed is emitted, and a
contact without consent gets no marketing.

The activation ping WooCommerce sends when a webhook is saved is a form body ``webhook_id=<id>``,
not JSON: :func:`activation_ping_webhook_id` recognises it so the handler can answer 200.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from nurture.capture._common import (
    CurrencyCode,
    EventFactory,
    InputMoney,
    OptionalText,
    ResourceId,
    StorePayload,
    UtcNaiveDatetime,
    contact_or_none,
    lenient_email,
    lenient_location,
    lenient_phone,
    rejecting_invalid,
    require_mapping,
    validate_payload,
)
from nurture.capture.errors import IgnoredTopic, InvalidPayload
from nurture.events import (
    CanonicalEvent,
    ChannelConsent,
    Checkout,
    CheckoutStarted,
    ConsentState,
    Contact,
    LineItem,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    round_money,
)

CUSTOMER_TOPICS = frozenset({"customer.created", "customer.updated"})
ORDER_TOPICS = frozenset({"order.created", "order.updated"})
TOPICS = CUSTOMER_TOPICS | ORDER_TOPICS

PAID_STATUSES = frozenset({"processing", "completed"})
FULFILLED_STATUS = "completed"  # WooCommerce: "Order fulfilled and complete"
# Placed and committed to, payment not received yet (bank transfer, cheque, cash on delivery).
AWAITING_PAYMENT_STATUSES = frozenset({"on-hold"})
UNPAID_STATUSES = frozenset({"pending"})
CANCELLED_STATUSES = frozenset({"cancelled"})
REFUNDED_STATUSES = frozenset({"refunded"})
NOT_AN_ORDER_STATUSES = frozenset({"checkout-draft"})
EVENTFUL_STATUSES = PAID_STATUSES | AWAITING_PAYMENT_STATUSES | UNPAID_STATUSES | CANCELLED_STATUSES | REFUNDED_STATUSES

EMAIL_CONSENT_META_KEY = "nurture_email_consent"
SMS_CONSENT_META_KEY = "nurture_sms_consent"
_META_CONSENT: dict[str, ConsentState] = {
    "subscribed": "subscribed",
    "unsubscribed": "unsubscribed",
    "not_subscribed": "not_subscribed",
    "pending": "pending",
    "yes": "subscribed",
    "true": "subscribed",
    "1": "subscribed",
    "no": "not_subscribed",
    "false": "not_subscribed",
    "0": "not_subscribed",
}
_ACTIVATION_PING = re.compile(rb"webhook_id=(\d+)")


def activation_ping_webhook_id(body: bytes) -> str | None:
    """Return the webhook id when ``body`` is WooCommerce's activation ping, else None."""
    match = _ACTIVATION_PING.fullmatch(body.strip())
    return match.group(1).decode("ascii") if match else None


# ---- Input shapes (only the fields we read) ----


class WooMeta(StorePayload):
    key: str
    value: Any = None


class WooAddress(StorePayload):
    first_name: OptionalText = None
    last_name: OptionalText = None
    city: OptionalText = None
    state: OptionalText = None
    postcode: OptionalText = None
    country: OptionalText = None
    email: OptionalText = None
    phone: OptionalText = None


class _WooResource(StorePayload):
    id: ResourceId
    date_created_gmt: UtcNaiveDatetime
    date_modified_gmt: UtcNaiveDatetime | None = None
    billing: WooAddress | None = None
    shipping: WooAddress | None = None
    meta_data: list[WooMeta] = []

    @property
    def modified_at(self) -> datetime:
        return self.date_modified_gmt or self.date_created_gmt


class WooCustomer(_WooResource):
    email: OptionalText = None
    first_name: OptionalText = None
    last_name: OptionalText = None


class WooLineItem(StorePayload):
    product_id: int | None = None
    variation_id: int | None = None
    sku: OptionalText = None
    name: str
    quantity: int = Field(ge=0)
    subtotal: InputMoney | None = None
    price: InputMoney | None = None


def _refund_amount(value: object) -> object:
    # A refund's total is written negative ("-10.00"): the amount given back is its magnitude.
    if isinstance(value, str) and value.strip().startswith("-"):
        return value.strip()[1:]
    if isinstance(value, int | float) and value < 0:
        return -value
    return value


class WooRefund(StorePayload):
    total: Annotated[InputMoney, BeforeValidator(_refund_amount)]


class WooOrder(_WooResource):
    number: ResourceId | None = None
    status: str
    currency: CurrencyCode
    customer_id: int | None = None
    total: InputMoney
    discount_total: InputMoney | None = None
    shipping_total: InputMoney | None = None
    total_tax: InputMoney | None = None
    date_paid_gmt: UtcNaiveDatetime | None = None
    date_completed_gmt: UtcNaiveDatetime | None = None
    line_items: list[WooLineItem] = []
    order_key: OptionalText = None
    payment_url: OptionalText = None
    refunds: list[WooRefund] = []

    @property
    def checkout_token(self) -> str:
        return self.order_key or self.id

    @property
    def refunded_total(self) -> Decimal | None:
        """The amount refunded so far (the whole total once ``refunded``), or None without refunds."""
        if self.status.lower() in REFUNDED_STATUSES:
            return self.total
        refunded = sum((refund.total for refund in self.refunds), Decimal(0))
        return refunded if refunded > 0 else None


# ---- Mapping ----


def normalize(
    topic: str, payload: Mapping[str, Any], *, store: str, received_at: datetime | None = None
) -> list[CanonicalEvent]:
    """Map one WooCommerce delivery; ``store`` is the site (e.g. from X-WC-Webhook-Source) and
    ``received_at`` the receiving clock (timestamps ahead of it are refused)."""
    if topic not in TOPICS:
        raise IgnoredTopic(topic, "topic not used by Nurture")
    require_mapping(payload)
    events = EventFactory("woocommerce", store, topic)
    if topic in CUSTOMER_TOPICS:
        if "line_items" in payload:  # the topic header is not signed: an order relabelled as a customer
            raise InvalidPayload([{"field": "line_items", "message": f"belongs to an order, not to topic {topic}"}])
        customer = validate_payload(WooCustomer, payload, received_at=received_at)
        with rejecting_invalid():
            return _customer_events(events, customer)
    order = validate_payload(WooOrder, payload, received_at=received_at)
    with rejecting_invalid():
        return _order_events(events, order)


def _customer_events(events: EventFactory, customer: WooCustomer) -> list[CanonicalEvent]:
    billing = customer.billing
    contact = _contact(
        customer,
        email=customer.email or (billing.email if billing else None),
        customer_id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
    )
    email, sms = _meta_consent(customer)
    return [
        *events.contact_events(
            contact, resource=f"customer/{customer.id}", occurred_at=customer.modified_at, email=email, sms=sms
        )
    ]


def _order_events(events: EventFactory, payload: WooOrder) -> list[CanonicalEvent]:
    status = payload.status.lower()
    if status in NOT_AN_ORDER_STATUSES:
        raise IgnoredTopic(events.topic, f"order status {status!r} is a checkout in progress")
    if status not in EVENTFUL_STATUSES:
        raise IgnoredTopic(events.topic, f"order status {status!r} calls for no event")

    billing = payload.billing
    # customer_id 0 is a guest checkout.
    customer_id = str(payload.customer_id) if payload.customer_id else None
    contact = _contact(
        payload,
        email=billing.email if billing else None,
        customer_id=customer_id,
        first_name=billing.first_name if billing else None,
        last_name=billing.last_name if billing else None,
    )
    email, sms = _meta_consent(payload)
    resource = f"order/{payload.id}"
    result: list[CanonicalEvent] = [
        *events.contact_events(contact, resource=resource, occurred_at=payload.modified_at, email=email, sms=sms)
    ]
    order = _order(payload)
    if status in PAID_STATUSES | AWAITING_PAYMENT_STATUSES:
        # A transition: whichever delivery reports it first, the order is placed once.
        placed = order.model_copy(update={"unpaid": status in AWAITING_PAYMENT_STATUSES})
        result.append(
            events.make(
                OrderPlaced, resource=resource, occurred_at=payload.date_created_gmt, contact=contact, order=placed
            )
        )
    if status in PAID_STATUSES:
        paid_at = payload.date_paid_gmt or payload.modified_at
        result.append(events.make(OrderPaid, resource=resource, occurred_at=paid_at, contact=contact, order=order))
    if status == FULFILLED_STATUS:
        fulfilled_at = payload.date_completed_gmt or payload.modified_at
        result.append(
            events.make(OrderFulfilled, resource=resource, occurred_at=fulfilled_at, contact=contact, order=order)
        )
    elif status in CANCELLED_STATUSES:
        result.append(
            events.make(
                OrderCancelled, resource=resource, occurred_at=payload.modified_at, contact=contact, order=order
            )
        )
    elif status in UNPAID_STATUSES:
        # A transition: order.created and each order.updated while pending give one event id.
        checkout = Checkout(
            token=payload.checkout_token,
            currency=order.currency,
            subtotal=order.subtotal,
            total=order.total,
            line_items=order.line_items,
            abandoned_checkout_url=payload.payment_url,
        )
        result.append(
            events.make(
                CheckoutStarted,
                resource=f"checkout/{checkout.token}",
                occurred_at=payload.date_created_gmt,
                contact=contact,
                checkout=checkout,
            )
        )
    result.extend(
        events.refund_events(
            payload.refunded_total, resource=resource, occurred_at=payload.modified_at, contact=contact, order=order
        )
    )
    return result


def _order(payload: WooOrder) -> Order:
    line_subtotals = [item.subtotal for item in payload.line_items if item.subtotal is not None]
    return Order(
        order_id=payload.id,
        order_number=payload.number,
        currency=payload.currency,
        # WooCommerce has no order subtotal field: it is the sum of the lines before discounts.
        subtotal=sum(line_subtotals, Decimal("0")) if payload.line_items else None,
        total=payload.total,
        discount_total=payload.discount_total,
        tax_total=payload.total_tax,
        shipping_total=payload.shipping_total,
        line_items=tuple(_line_item(item) for item in payload.line_items),
        checkout_token=payload.checkout_token,
    )


def _line_item(item: WooLineItem) -> LineItem:
    if item.price is not None:
        unit_price = item.price
    elif item.subtotal is not None and item.quantity:
        unit_price = round_money(item.subtotal / item.quantity)
    else:
        unit_price = Decimal("0")
    return LineItem(
        product_id=str(item.product_id) if item.product_id else None,
        # variation_id 0 means a simple product without variations.
        variant_id=str(item.variation_id) if item.variation_id else None,
        sku=item.sku,
        title=item.name,
        quantity=item.quantity,
        unit_price=unit_price,
    )


def _contact(
    resource: _WooResource,
    *,
    email: str | None,
    customer_id: str | None,
    first_name: str | None,
    last_name: str | None,
) -> Contact | None:
    billing = resource.billing
    address = billing if billing and (billing.country or billing.city) else resource.shipping
    country = address.country if address else None
    return contact_or_none(
        email=lenient_email(email),
        phone=lenient_phone(billing.phone if billing else None, country),
        customer_id=customer_id,
        first_name=first_name,
        last_name=last_name,
        location=lenient_location(country, address.state, address.city, address.postcode) if address else None,
    )


def _meta_consent(resource: _WooResource) -> tuple[ChannelConsent | None, ChannelConsent | None]:
    meta = {entry.key: entry.value for entry in resource.meta_data}
    return (
        _consent_from_meta(meta.get(EMAIL_CONSENT_META_KEY), resource.modified_at),
        _consent_from_meta(meta.get(SMS_CONSENT_META_KEY), resource.modified_at),
    )


def _consent_from_meta(value: object, changed_at: datetime) -> ChannelConsent | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if isinstance(value, bool):
        text = "true" if value else "false"
    state = _META_CONSENT.get(text)
    return ChannelConsent(state=state, changed_at=changed_at) if state else None

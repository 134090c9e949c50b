"""Shopify webhooks (REST/JSON payloads) → canonical events.

Topics and what they become (contact and consent events come first, when the payload identifies
somebody):

- ``customers/create``, ``customers/update`` → contact.upserted [+ consent.changed]
- ``orders/create`` → [contact] order.placed [+ checkout.completed when the order names its checkout]
- ``orders/paid`` → [contact] order.paid
- ``orders/cancelled`` → [contact] order.cancelled
- ``orders/fulfilled`` → [contact] order.fulfilled (every item fulfilled: the post-purchase journeys)
- ``orders/updated`` → [contact] order.refunded when the order is (partly) refunded; else ignored
- every order topic also gives order.refunded when ``financial_status`` is ``refunded`` or
  ``partially_refunded`` (the amount: the whole total, or ``total_price - current_total_price``)
- ``checkouts/create`` → [contact] checkout.started
- ``checkouts/update`` → [contact] checkout.updated, or checkout.completed once ``completed_at`` is set
- ``carts/create``, ``carts/update`` → cart.updated (Shopify carts carry no identity: contact is None)

Any other topic raises ``IgnoredTopic``. Consent: ``email_marketing_consent`` and
``sms_marketing_consent`` are authoritative; the legacy ``accepts_marketing`` flag of a customer is
used only when the consent object is absent. On orders and checkouts ``buyer_accepts_marketing``
(and ``buyer_accepts_sms_marketing``) = true is an opt-in; false is not an opt-out (the buyer just
did not tick the box this time), so it reports nothing.

Which orders count (``nurture.profiles.planning``): an order placed with a ``financial_status`` of
``pending``, ``authorized``, ``partially_paid``, ``voided`` or ``expired`` is ``unpaid`` and
counts only when ``orders/paid`` arrives; ``test: true`` never counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from nurture.capture._common import (
    CurrencyCode,
    EventFactory,
    InputMoney,
    OptionalCoordinate,
    OptionalText,
    ResourceId,
    StoreDatetime,
    StorePayload,
    contact_or_none,
    lenient_email,
    lenient_locale,
    lenient_location,
    lenient_phone,
    rejecting_invalid,
    require_mapping,
    validate_payload,
)
from nurture.capture.errors import FieldError, IgnoredTopic, InvalidPayload
from nurture.events import (
    CanonicalEvent,
    Cart,
    CartUpdated,
    ChannelConsent,
    Checkout,
    CheckoutCompleted,
    CheckoutStarted,
    CheckoutUpdated,
    ConsentState,
    Contact,
    LineItem,
    Location,
    OptInLevel,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
)

CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/cancelled", "orders/fulfilled", "orders/updated"})
CHECKOUT_TOPICS = frozenset({"checkouts/create", "checkouts/update"})
CART_TOPICS = frozenset({"carts/create", "carts/update"})
TOPICS = CUSTOMER_TOPICS | ORDER_TOPICS | CHECKOUT_TOPICS | CART_TOPICS

_CONSENT_STATES: dict[str, ConsentState] = {
    "subscribed": "subscribed",
    "unsubscribed": "unsubscribed",
    "not_subscribed": "not_subscribed",
    "pending": "pending",
    # Erased on the customer's request: never market again.
    "redacted": "unsubscribed",
    # The address is unusable; nobody opted out, nobody opted in.
    "invalid": "not_subscribed",
}
# What the body says about itself, checked against the topic header (which no signature covers).
_GID_KINDS: dict[str, str] = {**dict.fromkeys(CUSTOMER_TOPICS, "Customer"), **dict.fromkeys(ORDER_TOPICS, "Order")}
# Financial statuses of an order no money was taken for yet: orders/paid cannot carry them.
UNPAID_STATUSES = frozenset({"pending", "authorized", "expired"})
# Financial statuses of an order that is not (or not wholly) paid: placing it does not count it.
# An authorization is not money taken (it may expire or be voided); partially_paid waits for the rest.
NOT_PAID_STATUSES = UNPAID_STATUSES | {"partially_paid", "voided"}
REFUNDED_STATUSES = frozenset({"refunded", "partially_refunded"})
_OPT_IN_LEVELS: dict[str, OptInLevel] = {
    "single_opt_in": "single_opt_in",
    "confirmed_opt_in": "confirmed_opt_in",
    "unknown": "unknown",
}


# ---- Input shapes (only the fields we read) ----


class ShopifyConsent(StorePayload):
    state: str
    opt_in_level: str | None = None
    consent_updated_at: StoreDatetime | None = None


class ShopifyAddress(StorePayload):
    first_name: OptionalText = None
    last_name: OptionalText = None
    city: OptionalText = None
    province: OptionalText = None
    province_code: OptionalText = None
    country_code: OptionalText = None
    zip: OptionalText = None
    # Order and checkout addresses only (Shopify geocodes them; a customer's addresses carry none).
    latitude: OptionalCoordinate = None
    longitude: OptionalCoordinate = None

    @property
    def point(self) -> tuple[float | None, float | None]:
        return self.latitude, self.longitude


class ShopifyCustomer(StorePayload):
    id: ResourceId
    email: OptionalText = None
    phone: OptionalText = None
    first_name: OptionalText = None
    last_name: OptionalText = None
    created_at: StoreDatetime | None = None
    updated_at: StoreDatetime | None = None
    default_address: ShopifyAddress | None = None
    email_marketing_consent: ShopifyConsent | None = None
    sms_marketing_consent: ShopifyConsent | None = None
    # Legacy (pre-2022) marketing fields, still sent by some API versions and apps.
    accepts_marketing: bool | None = None
    accepts_marketing_updated_at: StoreDatetime | None = None
    marketing_opt_in_level: str | None = None


class ShopifyTopLevelCustomer(ShopifyCustomer):
    updated_at: StoreDatetime


class ShopifyLineItem(StorePayload):
    product_id: ResourceId | None = None
    variant_id: ResourceId | None = None
    sku: OptionalText = None
    title: str
    quantity: int = Field(ge=0)
    price: InputMoney


class ShopifyMoney(StorePayload):
    amount: InputMoney
    currency_code: CurrencyCode


class ShopifyPriceSet(StorePayload):
    shop_money: ShopifyMoney


class ShopifyCartLineItem(ShopifyLineItem):
    line_price: InputMoney | None = None
    price_set: ShopifyPriceSet | None = None


class _ShopifyPurchase(StorePayload):
    """Fields orders and checkouts share: the buyer, the basket, the marketing tick boxes."""

    email: OptionalText = None
    phone: OptionalText = None
    customer_locale: OptionalText = None
    customer: ShopifyCustomer | None = None
    billing_address: ShopifyAddress | None = None
    shipping_address: ShopifyAddress | None = None
    buyer_accepts_marketing: bool | None = None
    line_items: list[ShopifyLineItem] = []
    created_at: StoreDatetime
    updated_at: StoreDatetime


class ShopifyOrder(_ShopifyPurchase):
    id: ResourceId
    name: OptionalText = None
    order_number: int | None = None
    contact_email: OptionalText = None
    currency: CurrencyCode
    subtotal_price: InputMoney | None = None
    total_price: InputMoney
    total_discounts: InputMoney | None = None
    total_tax: InputMoney | None = None
    total_shipping_price_set: ShopifyPriceSet | None = None
    checkout_token: OptionalText = None
    cart_token: OptionalText = None
    test: bool = False
    cancelled_at: StoreDatetime | None = None
    cancel_reason: OptionalText = None
    financial_status: OptionalText = None
    # The total after order edits, returns and refunds, in shop currency.
    current_total_price: InputMoney | None = None

    @property
    def payment_status(self) -> str:
        return (self.financial_status or "").lower()

    @property
    def refunded_total(self) -> Decimal | None:
        """The amount refunded so far, or None when the order reports no refund (or not its amount)."""
        if self.payment_status == "refunded":
            return self.total_price
        if self.payment_status == "partially_refunded" and self.current_total_price is not None:
            refunded = self.total_price - self.current_total_price
            return refunded if refunded > 0 else None
        return None


class ShopifyCheckout(_ShopifyPurchase):
    token: ResourceId
    cart_token: OptionalText = None
    currency: CurrencyCode | None = None
    subtotal_price: InputMoney | None = None
    total_price: InputMoney | None = None
    abandoned_checkout_url: OptionalText = None
    completed_at: StoreDatetime | None = None
    buyer_accepts_sms_marketing: bool | None = None
    sms_marketing_phone: OptionalText = None


class ShopifyCart(StorePayload):
    token: ResourceId
    line_items: list[ShopifyCartLineItem] = []
    updated_at: StoreDatetime


# ---- Mapping ----


def normalize(
    topic: str, payload: Mapping[str, Any], *, store: str, received_at: datetime | None = None
) -> list[CanonicalEvent]:
    """Map one Shopify delivery to canonical events; ``store`` is the X-Shopify-Shop-Domain and
    ``received_at`` the receiving clock (timestamps ahead of it are refused)."""
    if topic not in TOPICS:
        raise IgnoredTopic(topic, "topic not used by Nurture")
    require_mapping(payload)
    contradictions = topic_contradictions(topic, payload)
    if contradictions:
        raise InvalidPayload(contradictions)
    events = EventFactory("shopify", store, topic)
    if topic in CUSTOMER_TOPICS:
        customer = validate_payload(ShopifyTopLevelCustomer, payload, received_at=received_at)
        with rejecting_invalid():
            return _customer_events(events, customer)
    if topic in ORDER_TOPICS:
        order = validate_payload(ShopifyOrder, payload, received_at=received_at)
        if topic == "orders/updated" and order.refunded_total is None:
            raise IgnoredTopic(topic, f"financial status {order.payment_status!r} calls for no event")
        with rejecting_invalid():
            return _order_events(events, order)
    if topic in CHECKOUT_TOPICS:
        checkout = validate_payload(ShopifyCheckout, payload, received_at=received_at)
        with rejecting_invalid():
            return _checkout_events(events, checkout)
    cart = validate_payload(ShopifyCart, payload, received_at=received_at)
    with rejecting_invalid():
        return [_cart_event(events, cart)]


def topic_contradictions(topic: str, payload: Mapping[str, Any]) -> list[FieldError]:
    """Where the body says what it is, it must agree with the topic header: the resource kind in
    ``admin_graphql_api_id``, a paid status for ``orders/paid``, ``cancelled_at`` for
    ``orders/cancelled``. A relabelled body is refused rather than queued as another event."""
    errors: list[FieldError] = []
    gid = payload.get("admin_graphql_api_id")
    kind = _GID_KINDS.get(topic)
    if kind and isinstance(gid, str) and gid.startswith("gid://shopify/") and gid.split("/")[3:4] != [kind]:
        errors.append({"field": "admin_graphql_api_id", "message": f"is not a {kind}, which topic {topic} is about"})
    status = payload.get("financial_status")
    if topic == "orders/paid" and isinstance(status, str) and status.lower() in UNPAID_STATUSES:
        errors.append(
            {"field": "financial_status", "message": "says the order is not paid, but the topic is orders/paid"}
        )
    if topic == "orders/cancelled" and not payload.get("cancelled_at"):
        errors.append({"field": "cancelled_at", "message": "is required by topic orders/cancelled"})
    return errors


def _customer_events(events: EventFactory, customer: ShopifyTopLevelCustomer) -> list[CanonicalEvent]:
    contact = _customer_contact(customer)
    email, sms = _customer_consent(customer, fallback=customer.updated_at)
    return [
        *events.contact_events(
            contact,
            resource=f"customer/{customer.id}",
            occurred_at=customer.updated_at,
            email=email,
            sms=sms,
        )
    ]


def _order_events(events: EventFactory, payload: ShopifyOrder) -> list[CanonicalEvent]:
    contact = _purchase_contact(payload, email=payload.email or payload.contact_email, phone=payload.phone)
    email, sms = _purchase_consent(payload, opted_in_at=payload.created_at)
    resource = f"order/{payload.id}"
    result: list[CanonicalEvent] = [
        *events.contact_events(contact, resource=resource, occurred_at=payload.updated_at, email=email, sms=sms)
    ]
    order = _order(payload)
    if events.topic == "orders/create":
        result.append(
            events.make(OrderPlaced, resource=resource, occurred_at=payload.created_at, contact=contact, order=order)
        )
        if payload.checkout_token:
            # The order is the checkout's completion: this ends abandoned-checkout recovery even
            # when the checkouts/update carrying completed_at is late or never subscribed to.
            completed = Checkout(
                token=payload.checkout_token,
                cart_token=payload.cart_token,
                currency=order.currency,
                subtotal=order.subtotal,
                total=order.total,
                line_items=order.line_items,
                order_id=order.order_id,
            )
            result.append(
                events.make(
                    CheckoutCompleted,
                    resource=f"checkout/{payload.checkout_token}",
                    occurred_at=payload.created_at,
                    contact=contact,
                    checkout=completed,
                )
            )
    elif events.topic == "orders/paid":
        result.append(
            events.make(OrderPaid, resource=resource, occurred_at=payload.updated_at, contact=contact, order=order)
        )
    elif events.topic == "orders/fulfilled":
        result.append(
            events.make(OrderFulfilled, resource=resource, occurred_at=payload.updated_at, contact=contact, order=order)
        )
    elif events.topic == "orders/cancelled":
        result.append(
            events.make(
                OrderCancelled,
                resource=resource,
                occurred_at=payload.cancelled_at or payload.updated_at,
                contact=contact,
                order=order,
                cancel_reason=payload.cancel_reason,
            )
        )
    result.extend(
        events.refund_events(
            payload.refunded_total, resource=resource, occurred_at=payload.updated_at, contact=contact, order=order
        )
    )
    return result


def _checkout_events(events: EventFactory, payload: ShopifyCheckout) -> list[CanonicalEvent]:
    contact = _purchase_contact(payload, email=payload.email, phone=payload.phone or payload.sms_marketing_phone)
    email, sms = _purchase_consent(payload, opted_in_at=payload.updated_at)
    if sms is None and payload.buyer_accepts_sms_marketing and payload.sms_marketing_phone:
        sms = ChannelConsent(state="subscribed", changed_at=payload.updated_at)
    resource = f"checkout/{payload.token}"
    result: list[CanonicalEvent] = [
        *events.contact_events(contact, resource=resource, occurred_at=payload.updated_at, email=email, sms=sms)
    ]
    checkout = Checkout(
        token=payload.token,
        cart_token=payload.cart_token,
        currency=payload.currency,
        subtotal=payload.subtotal_price,
        total=payload.total_price,
        line_items=tuple(_line_item(item) for item in payload.line_items),
        abandoned_checkout_url=payload.abandoned_checkout_url,
    )
    if payload.completed_at is not None:
        result.append(
            events.make(
                CheckoutCompleted,
                resource=resource,
                occurred_at=payload.completed_at,
                contact=contact,
                checkout=checkout,
            )
        )
    elif events.topic == "checkouts/create":
        result.append(
            events.make(
                CheckoutStarted, resource=resource, occurred_at=payload.created_at, contact=contact, checkout=checkout
            )
        )
    else:
        result.append(
            events.make(
                CheckoutUpdated, resource=resource, occurred_at=payload.updated_at, contact=contact, checkout=checkout
            )
        )
    return result


def _cart_event(events: EventFactory, payload: ShopifyCart) -> CartUpdated:
    # Carts have no currency of their own: each line's price_set says it in shop money.
    currencies = {item.price_set.shop_money.currency_code for item in payload.line_items if item.price_set}
    line_totals = [
        item.line_price if item.line_price is not None else item.price * item.quantity for item in payload.line_items
    ]
    cart = Cart(
        token=payload.token,
        currency=currencies.pop() if len(currencies) == 1 else None,
        subtotal=sum(line_totals, Decimal("0")) if payload.line_items else None,
        line_items=tuple(_line_item(item) for item in payload.line_items),
    )
    return events.make(CartUpdated, resource=f"cart/{payload.token}", occurred_at=payload.updated_at, cart=cart)


def _order(payload: ShopifyOrder) -> Order:
    shipping = payload.total_shipping_price_set
    return Order(
        order_id=payload.id,
        order_number=payload.name or (str(payload.order_number) if payload.order_number is not None else None),
        currency=payload.currency,
        subtotal=payload.subtotal_price,
        total=payload.total_price,
        discount_total=payload.total_discounts,
        tax_total=payload.total_tax,
        shipping_total=shipping.shop_money.amount if shipping else None,
        line_items=tuple(_line_item(item) for item in payload.line_items),
        checkout_token=payload.checkout_token,
        cart_token=payload.cart_token,
        is_test=payload.test,
        unpaid=payload.payment_status in NOT_PAID_STATUSES,
    )


def _line_item(item: ShopifyLineItem) -> LineItem:
    return LineItem(
        product_id=item.product_id,
        variant_id=item.variant_id,
        sku=item.sku,
        title=item.title,
        quantity=item.quantity,
        unit_price=item.price,
    )


def _address_location(
    address: ShopifyAddress | None, point: tuple[float | None, float | None] = (None, None)
) -> Location | None:
    if address is None:
        return None
    return lenient_location(
        address.country_code, address.province_code or address.province, address.city, address.zip, point
    )


def _customer_contact(customer: ShopifyCustomer) -> Contact | None:
    country = customer.default_address.country_code if customer.default_address else None
    return contact_or_none(
        email=lenient_email(customer.email),
        # Only the person's own phone: an address's phone may be a shared office number.
        phone=lenient_phone(customer.phone, country),
        customer_id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        location=_address_location(customer.default_address),
    )


def _purchase_contact(payload: _ShopifyPurchase, *, email: str | None, phone: str | None) -> Contact | None:
    """The buyer: the purchase's own email/phone first (where receipts and recovery go)."""
    customer = payload.customer
    addresses = [customer.default_address if customer else None, payload.billing_address, payload.shipping_address]
    address = next((a for a in addresses if a is not None), None)
    named = next((a for a in addresses if a is not None and (a.first_name or a.last_name)), None)
    country = address.country_code if address else None
    # The point of the first geocoded purchase address, billing first: the buyer's own address (a
    # shipping address may be a gift's recipient). The customer's default address is never geocoded.
    geocoded = [a.point for a in (payload.billing_address, payload.shipping_address) if a is not None]
    point = next((p for p in geocoded if None not in p), (None, None))
    return contact_or_none(
        email=lenient_email(email) or lenient_email(customer.email if customer else None),
        phone=lenient_phone(phone, country) or lenient_phone(customer.phone if customer else None, country),
        customer_id=customer.id if customer else None,
        first_name=(customer.first_name if customer else None) or (named.first_name if named else None),
        last_name=(customer.last_name if customer else None) or (named.last_name if named else None),
        locale=lenient_locale(payload.customer_locale),
        location=_address_location(address, point),
    )


def _consent(consent: ShopifyConsent, fallback: datetime) -> ChannelConsent:
    # An unknown future state fails closed: not_subscribed sends nothing.
    return ChannelConsent(
        state=_CONSENT_STATES.get(consent.state.lower(), "not_subscribed"),
        changed_at=consent.consent_updated_at or fallback,
        opt_in_level=_OPT_IN_LEVELS.get((consent.opt_in_level or "").lower()),
    )


def _customer_consent(
    customer: ShopifyCustomer, *, fallback: datetime
) -> tuple[ChannelConsent | None, ChannelConsent | None]:
    email: ChannelConsent | None = None
    if customer.email_marketing_consent is not None:
        email = _consent(customer.email_marketing_consent, fallback)
    elif customer.accepts_marketing is not None:
        email = ChannelConsent(
            state="subscribed" if customer.accepts_marketing else "not_subscribed",
            changed_at=customer.accepts_marketing_updated_at or fallback,
            opt_in_level=_OPT_IN_LEVELS.get((customer.marketing_opt_in_level or "").lower()),
        )
    sms = _consent(customer.sms_marketing_consent, fallback) if customer.sms_marketing_consent else None
    return email, sms


def _purchase_consent(
    payload: _ShopifyPurchase, *, opted_in_at: datetime
) -> tuple[ChannelConsent | None, ChannelConsent | None]:
    email: ChannelConsent | None = None
    sms: ChannelConsent | None = None
    if payload.customer is not None:
        email, sms = _customer_consent(payload.customer, fallback=opted_in_at)
    if email is None and payload.buyer_accepts_marketing:
        email = ChannelConsent(state="subscribed", changed_at=opted_in_at)
    return email, sms

"""Our own webhook format for custom storefronts (``POST /webhooks/generic``) → canonical events.

One JSON object per delivery, shaped like the canonical vocabulary: a ``type`` (one of the eleven
canonical event types), ``occurred_at`` (ISO 8601 with an offset), optionally ``id`` (your event
id: a retry with the same ``id`` and ``occurred_at`` is processed once), ``contact``, ``consent``
and the type's resource (``order``, ``checkout``, ``cart`` or ``product``). Unknown fields are
rejected, so a typo is a 400 naming the field rather than data silently lost. The JSON Schema is
generated from :class:`GenericWebhook` into ``docs/generic-webhook.schema.json``.

Any event may carry ``contact`` and ``consent``: a contact yields contact.upserted (and consent,
consent.changed) before the event itself; ``consent.changed`` yields that one event.

Which orders count: ``order.placed`` counts the order unless ``order.unpaid`` is true (then it
counts on ``order.paid``); ``order.paid`` counts it; ``order.cancelled`` and a full
``order.refunded`` take it out; a partial ``order.refunded`` lowers its revenue; ``is_test``
orders never count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

from nurture.capture._common import EventFactory, StoreDatetime, rejecting_invalid, require_mapping, validate_payload
from nurture.capture.errors import FieldError, InvalidPayload
from nurture.events import (
    CanonicalEvent,
    Cart,
    CartUpdated,
    ChannelConsent,
    Checkout,
    CheckoutCompleted,
    CheckoutStarted,
    CheckoutUpdated,
    ConsentChanged,
    ConsentState,
    Contact,
    CountryCode,
    Currency,
    Email,
    EventType,
    Latitude,
    LineItem,
    LocaleTag,
    Location,
    Longitude,
    Money,
    OptInLevel,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    Product,
    ProductViewed,
    TimeZoneName,
    check_point,
)
from nurture.identity import normalize_phone

EVENT_TYPES: tuple[str, ...] = get_args(EventType)


def _international_phone(value: str | None) -> str | None:
    if value is None:
        return None
    phone = normalize_phone(value)
    if phone is None:
        raise ValueError("must be an international (E.164) phone number such as +14155550123")
    return phone


Text = Annotated[str, Field(min_length=1, max_length=500)]
Url = Annotated[str, Field(min_length=1, max_length=2048)]
Phone = Annotated[
    str | None,
    AfterValidator(_international_phone),
    Field(description="E.164, e.g. +14155550123 (spaces, dots, dashes and brackets are allowed)"),
]


class GenericModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenericLocation(GenericModel):
    country_code: CountryCode = Field(default=None, description="ISO 3166-1 alpha-2, e.g. FR")
    province: Text | None = None
    city: Text | None = None
    postal_code: Text | None = None
    latitude: Latitude | None = Field(
        default=None, description="Degrees north, -90 to 90 (e.g. the storefront's geolocation); with longitude"
    )
    longitude: Longitude | None = Field(default=None, description="Degrees east, -180 to 180; with latitude")

    @model_validator(mode="after")
    def _whole_point(self) -> Self:
        check_point(self.latitude, self.longitude)
        return self


class GenericContact(GenericModel):
    """The person; at least one of ``email``, ``phone`` or ``customer_id``."""

    email: Email = None
    phone: Phone = None
    customer_id: Text | None = Field(default=None, description="Your customer id")
    first_name: Text | None = None
    last_name: Text | None = None
    locale: LocaleTag = Field(default=None, description="Language tag, e.g. fr or en-US")
    time_zone: TimeZoneName = Field(default=None, description="IANA time zone, e.g. Europe/Paris")
    birthday: date | None = Field(default=None, description="YYYY-MM-DD")
    location: GenericLocation | None = None

    @model_validator(mode="after")
    def _has_an_identifier(self) -> Self:
        if self.email is None and self.phone is None and self.customer_id is None:
            raise ValueError("needs at least one of email, phone or customer_id")
        return self


class GenericChannelConsent(GenericModel):
    state: ConsentState
    changed_at: StoreDatetime | None = Field(default=None, description="Defaults to the event's occurred_at")
    opt_in_level: OptInLevel | None = None


class GenericConsent(GenericModel):
    email: GenericChannelConsent | None = None
    sms: GenericChannelConsent | None = None


class GenericLineItem(GenericModel):
    product_id: Text | None = None
    variant_id: Text | None = None
    sku: Text | None = None
    title: Text
    quantity: int = Field(ge=0)
    unit_price: Money = Field(description='Decimal as a string (e.g. "19.99") or a number')
    product_type: Text | None = None
    categories: list[Text] = []


class GenericOrder(GenericModel):
    order_id: Text
    order_number: Text | None = None
    currency: Currency
    subtotal: Money | None = None
    total: Money
    discount_total: Money | None = None
    tax_total: Money | None = None
    shipping_total: Money | None = None
    line_items: list[GenericLineItem] = []
    checkout_token: Text | None = None
    cart_token: Text | None = None
    is_test: bool = False
    unpaid: bool = Field(
        default=False, description="No payment received yet: the order counts when its order.paid arrives"
    )


class GenericCheckout(GenericModel):
    token: Text
    cart_token: Text | None = None
    currency: Currency | None = None
    subtotal: Money | None = None
    total: Money | None = None
    line_items: list[GenericLineItem] = []
    abandoned_checkout_url: Url | None = Field(default=None, description="Link that restores the checkout")
    order_id: Text | None = None


class GenericCart(GenericModel):
    token: Text
    currency: Currency | None = None
    subtotal: Money | None = None
    line_items: list[GenericLineItem] = []


class GenericProduct(GenericModel):
    product_id: Text
    variant_id: Text | None = None
    sku: Text | None = None
    title: Text | None = None
    url: Url | None = None
    unit_price: Money | None = None
    currency: Currency | None = None
    product_type: Text | None = None
    categories: list[Text] = []


class _GenericEvent(GenericModel):
    id: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Your id for this event; a retry with the same id is processed once"
    )
    occurred_at: StoreDatetime = Field(description="When it happened, ISO 8601 with an offset")
    contact: GenericContact | None = None
    consent: GenericConsent | None = None


class GenericContactUpserted(_GenericEvent):
    type: Literal["contact.upserted"]
    contact: GenericContact


class GenericConsentChanged(_GenericEvent):
    type: Literal["consent.changed"]
    contact: GenericContact
    consent: GenericConsent


class GenericOrderPlaced(_GenericEvent):
    type: Literal["order.placed"]
    order: GenericOrder


class GenericOrderPaid(_GenericEvent):
    type: Literal["order.paid"]
    order: GenericOrder


class GenericOrderCancelled(_GenericEvent):
    type: Literal["order.cancelled"]
    order: GenericOrder
    cancel_reason: Text | None = None


class GenericOrderRefunded(_GenericEvent):
    type: Literal["order.refunded"]
    order: GenericOrder
    refunded_total: Money = Field(
        description="Everything refunded on the order so far, not this refund alone (its total when fully refunded)"
    )


class GenericOrderFulfilled(_GenericEvent):
    type: Literal["order.fulfilled"]
    order: GenericOrder


class GenericCheckoutStarted(_GenericEvent):
    type: Literal["checkout.started"]
    checkout: GenericCheckout


class GenericCheckoutUpdated(_GenericEvent):
    type: Literal["checkout.updated"]
    checkout: GenericCheckout


class GenericCheckoutCompleted(_GenericEvent):
    type: Literal["checkout.completed"]
    checkout: GenericCheckout


class GenericCartUpdated(_GenericEvent):
    type: Literal["cart.updated"]
    cart: GenericCart


class GenericProductViewed(_GenericEvent):
    type: Literal["product.viewed"]
    contact: GenericContact  # a view is only worth keeping when we know who looked
    product: GenericProduct


GenericEvent = (
    GenericContactUpserted
    | GenericConsentChanged
    | GenericOrderPlaced
    | GenericOrderPaid
    | GenericOrderCancelled
    | GenericOrderRefunded
    | GenericOrderFulfilled
    | GenericCheckoutStarted
    | GenericCheckoutUpdated
    | GenericCheckoutCompleted
    | GenericCartUpdated
    | GenericProductViewed
)

MODELS_BY_TYPE: dict[str, type[_GenericEvent]] = {
    "contact.upserted": GenericContactUpserted,
    "consent.changed": GenericConsentChanged,
    "order.placed": GenericOrderPlaced,
    "order.paid": GenericOrderPaid,
    "order.cancelled": GenericOrderCancelled,
    "order.refunded": GenericOrderRefunded,
    "order.fulfilled": GenericOrderFulfilled,
    "checkout.started": GenericCheckoutStarted,
    "checkout.updated": GenericCheckoutUpdated,
    "checkout.completed": GenericCheckoutCompleted,
    "cart.updated": GenericCartUpdated,
    "product.viewed": GenericProductViewed,
}


class GenericWebhook(RootModel[Annotated[GenericEvent, Field(discriminator="type")]]):
    """A Nurture generic webhook body: one event, discriminated by ``type``."""


class _TypeOnly(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: EventType


def generic_webhook_json_schema() -> dict[str, Any]:
    """The JSON Schema of the generic format, as published in docs/generic-webhook.schema.json."""
    schema = GenericWebhook.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Nurture generic webhook",
        **{key: value for key, value in schema.items() if key != "title"},
    }


# ---- Mapping ----


def normalize(
    topic: str, payload: Mapping[str, Any], *, store: str, received_at: datetime | None = None
) -> list[CanonicalEvent]:
    """Map one generic delivery. ``topic`` is the optional X-Nurture-Topic header ("" when absent):
    the body's ``type`` decides, and a header that disagrees with it is an error. ``received_at``
    is the receiving clock (timestamps ahead of it are refused)."""
    require_mapping(payload)
    # Two steps so that errors name the payload's fields ("order.total"), not a union branch.
    event_type = validate_payload(_TypeOnly, payload).type
    if topic and topic != event_type:
        raise InvalidPayload([{"field": "type", "message": f"does not match the topic header {topic!r}"}])
    message = validate_payload(MODELS_BY_TYPE[event_type], payload, received_at=received_at)
    _check_consent_addresses(message)
    with rejecting_invalid():
        return _events(EventFactory("generic", store, event_type), message)


def _check_consent_addresses(message: _GenericEvent) -> None:
    errors: list[FieldError] = []
    if message.consent is not None:
        contact = message.contact
        if contact is None:
            errors.append({"field": "contact", "message": "is required when consent is given"})
        else:
            if message.consent.email is not None and contact.email is None:
                errors.append({"field": "consent.email", "message": "needs contact.email"})
            if message.consent.sms is not None and contact.phone is None:
                errors.append({"field": "consent.sms", "message": "needs contact.phone"})
        if message.consent.email is None and message.consent.sms is None:
            errors.append({"field": "consent", "message": "needs at least one of email or sms"})
    if errors:
        raise InvalidPayload(errors)


def _events(events: EventFactory, message: _GenericEvent) -> list[CanonicalEvent]:
    contact = _contact(message.contact) if message.contact else None
    email, sms = _consent(message.consent, message.occurred_at)
    resource = _resource(message)
    at = message.occurred_at
    if isinstance(message, GenericConsentChanged):
        assert contact is not None  # required by the model
        return [events.make(ConsentChanged, resource=resource, occurred_at=at, contact=contact, email=email, sms=sms)]
    result: list[CanonicalEvent] = [
        *events.contact_events(contact, resource=resource, occurred_at=at, email=email, sms=sms)
    ]
    common: dict[str, Any] = {"resource": resource, "occurred_at": at, "contact": contact}
    match message:
        case GenericOrderPlaced():
            result.append(events.make(OrderPlaced, order=_order(message.order), **common))
        case GenericOrderPaid():
            result.append(events.make(OrderPaid, order=_order(message.order), **common))
        case GenericOrderCancelled():
            order = _order(message.order)
            result.append(events.make(OrderCancelled, order=order, cancel_reason=message.cancel_reason, **common))
        case GenericOrderRefunded():
            order = _order(message.order)
            result.append(events.make(OrderRefunded, order=order, refunded_total=message.refunded_total, **common))
        case GenericOrderFulfilled():
            result.append(events.make(OrderFulfilled, order=_order(message.order), **common))
        case GenericCheckoutStarted():
            result.append(events.make(CheckoutStarted, checkout=_checkout(message.checkout), **common))
        case GenericCheckoutUpdated():
            result.append(events.make(CheckoutUpdated, checkout=_checkout(message.checkout), **common))
        case GenericCheckoutCompleted():
            result.append(events.make(CheckoutCompleted, checkout=_checkout(message.checkout), **common))
        case GenericCartUpdated():
            result.append(events.make(CartUpdated, cart=_cart(message.cart), **common))
        case GenericProductViewed():
            result.append(events.make(ProductViewed, product=_product(message.product), **common))
    return result


def _resource(message: _GenericEvent) -> str:
    """What the event is about, for its id: the sender's id when given, else the resource's own."""
    if message.id is not None:
        return f"event/{message.id}"
    match message:
        case (
            GenericOrderPlaced()
            | GenericOrderPaid()
            | GenericOrderCancelled()
            | GenericOrderRefunded()
            | GenericOrderFulfilled()
        ):
            return f"order/{message.order.order_id}"
        case GenericCheckoutStarted() | GenericCheckoutUpdated() | GenericCheckoutCompleted():
            return f"checkout/{message.checkout.token}"
        case GenericCartUpdated():
            return f"cart/{message.cart.token}"
        case GenericProductViewed():
            return f"product/{message.product.product_id}/{_contact_key(message.contact)}"
    assert message.contact is not None  # contact.upserted and consent.changed require it
    return _contact_key(message.contact)


def _contact_key(contact: GenericContact) -> str:
    if contact.customer_id is not None:
        return f"contact/customer:{contact.customer_id}"
    if contact.email is not None:
        return f"contact/email:{contact.email}"
    return f"contact/phone:{contact.phone}"


def _contact(contact: GenericContact) -> Contact:
    location = contact.location
    return Contact(
        email=contact.email,
        phone=contact.phone,
        customer_id=contact.customer_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        locale=contact.locale,
        time_zone=contact.time_zone,
        birthday=contact.birthday,
        location=Location(
            country_code=location.country_code,
            province=location.province,
            city=location.city,
            postal_code=location.postal_code,
            latitude=location.latitude,
            longitude=location.longitude,
        )
        if location
        else None,
    )


def _consent(
    consent: GenericConsent | None, occurred_at: datetime
) -> tuple[ChannelConsent | None, ChannelConsent | None]:
    if consent is None:
        return None, None

    def channel(given: GenericChannelConsent | None) -> ChannelConsent | None:
        if given is None:
            return None
        return ChannelConsent(
            state=given.state, changed_at=given.changed_at or occurred_at, opt_in_level=given.opt_in_level
        )

    return channel(consent.email), channel(consent.sms)


def _line_items(items: list[GenericLineItem]) -> tuple[LineItem, ...]:
    return tuple(
        LineItem(
            product_id=item.product_id,
            variant_id=item.variant_id,
            sku=item.sku,
            title=item.title,
            quantity=item.quantity,
            unit_price=item.unit_price,
            product_type=item.product_type,
            categories=tuple(item.categories),
        )
        for item in items
    )


def _order(order: GenericOrder) -> Order:
    return Order(
        order_id=order.order_id,
        order_number=order.order_number,
        currency=order.currency,
        subtotal=order.subtotal,
        total=order.total,
        discount_total=order.discount_total,
        tax_total=order.tax_total,
        shipping_total=order.shipping_total,
        line_items=_line_items(order.line_items),
        checkout_token=order.checkout_token,
        cart_token=order.cart_token,
        is_test=order.is_test,
        unpaid=order.unpaid,
    )


def _checkout(checkout: GenericCheckout) -> Checkout:
    return Checkout(
        token=checkout.token,
        cart_token=checkout.cart_token,
        currency=checkout.currency,
        subtotal=checkout.subtotal,
        total=checkout.total,
        line_items=_line_items(checkout.line_items),
        abandoned_checkout_url=checkout.abandoned_checkout_url,
        order_id=checkout.order_id,
    )


def _cart(cart: GenericCart) -> Cart:
    return Cart(
        token=cart.token, currency=cart.currency, subtotal=cart.subtotal, line_items=_line_items(cart.line_items)
    )


def _product(product: GenericProduct) -> Product:
    return Product(
        product_id=product.product_id,
        variant_id=product.variant_id,
        sku=product.sku,
        title=product.title,
        url=product.url,
        unit_price=product.unit_price,
        currency=product.currency,
        product_type=product.product_type,
        categories=tuple(product.categories),
    )

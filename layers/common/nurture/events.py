"""The canonical event vocabulary: what every part of Nurture after capture speaks.

Store normalizers (``nurture.capture``) map Shopify, WooCommerce and generic webhooks into these
models; the profile consumer, scoring, segments and journeys only ever see these. Every model is
frozen and forbids unknown fields, so an event read back from SQS is exactly the event written.

Envelope (every event):
- ``event_id``: deterministic, see :func:`derive_event_id`; a retried delivery gets the same id.
- ``source`` / ``store`` / ``source_topic``: where it came from (the topic as the store named it).
- ``occurred_at``: when it happened at the store (UTC); profiles order updates by it so that an
  older update never overwrites a newer one.
- ``contact``: who it is about. Required on ``contact.upserted`` and on ``consent.changed`` (unless
  it names the contact by ``contact_id``: changes made on Nurture's consent pages); ``None``
  on events the store sent without an identity (a Shopify cart, a guest checkout before the email
  step). A field left ``None`` in a contact means "not given by this event", never "cleared".

Money is ``Decimal`` everywhere (serialised as a JSON string); currencies are ISO 4217 codes.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from nurture.identity import E164_PATTERN, normalize_email, normalize_locale

# "nurture": events Nurture derives itself (SES engagement, daily scans), never from a webhook.
# "sms": a contact's own reply to an SMS (a STOP or START keyword, docs/sms.md).
Source = Literal["shopify", "woocommerce", "generic", "nurture", "sms"]
ConsentState = Literal["subscribed", "unsubscribed", "not_subscribed", "pending"]
OptInLevel = Literal["single_opt_in", "confirmed_opt_in", "unknown"]

EventType = Literal[
    "contact.upserted",
    "consent.changed",
    "order.placed",
    "order.paid",
    "order.cancelled",
    "order.refunded",
    "order.fulfilled",
    "checkout.started",
    "checkout.updated",
    "checkout.completed",
    "cart.updated",
    "product.viewed",
]
# Events Nurture derives itself (source "nurture"): never accepted from a webhook.
EmailEngagementType = Literal["email.delivered", "email.opened", "email.clicked", "email.bounced", "email.complained"]
SmsDeliveryType = Literal["sms.delivered", "sms.failed"]
# Scores, tiers and segments (docs/scoring.md, "Wiring"): what ProcessFunction derives while it
# applies an event, and the refresh pass's wake-up call for a contact that time alone changes.
SegmentChangeType = Literal["segment.entered", "segment.exited"]
# product.browsed: browse abandonment, a product viewed a second time within a day and not carted.
InsightEventType = Literal["score.crossed", SegmentChangeType, "contact.refresh", "product.browsed"]
DerivedEventType = Literal["contact.lapsed", "contact.birthday", EmailEngagementType, SmsDeliveryType, InsightEventType]

# One-off transitions of a resource: the same transition of the same resource is the same event
# however many times (and at whatever updated_at) a store reports it. The other types are
# snapshots of a state, versioned by the resource's updated_at.
TRANSITION_TYPES: frozenset[str] = frozenset(
    {"order.placed", "order.paid", "order.cancelled", "order.fulfilled", "checkout.started", "checkout.completed"}
)


def derive_event_id(source: str, store: str, event_type: str, resource: str, version: datetime | str | None) -> str:
    """Return the deterministic id of an event: 32 hex chars of SHA-256 over its identity.

    ``resource`` names the resource with its kind (``customer/42``, ``checkout/<token>``).
    ``version`` is the resource's updated_at for snapshot types (so a later update is a new event)
    and ``None`` for transitions. Datetimes are compared as UTC instants, so ``19:00-05:00`` and
    ``00:00Z`` give the same id.
    """
    if isinstance(version, datetime):
        version = version.astimezone(UTC).isoformat(timespec="microseconds")
    key = "\x1f".join(("v1", source, store, event_type, resource, version or ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _valid_email(value: str | None) -> str | None:
    return None if value is None else normalize_email(value)


def _valid_e164(value: str | None) -> str | None:
    if value is not None and not E164_PATTERN.fullmatch(value):
        raise ValueError("must be an E.164 phone number such as +14155550123")
    return value


def _valid_locale(value: str | None) -> str | None:
    if value is None:
        return None
    locale = normalize_locale(value)
    if locale is None:
        raise ValueError("must be a language tag such as 'fr' or 'en-US'")
    return locale


def _valid_time_zone(value: str | None) -> str | None:
    if value is None:
        return None
    # Imported here: only contacts that carry a zone pay for it.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as 'Europe/Paris'") from exc
    return value


def _valid_country(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'CA'")
    return code


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
Email = Annotated[str | None, AfterValidator(_valid_email)]
E164Phone = Annotated[str | None, AfterValidator(_valid_e164)]
LocaleTag = Annotated[str | None, AfterValidator(_valid_locale)]
TimeZoneName = Annotated[str | None, AfterValidator(_valid_time_zone)]
CountryCode = Annotated[str | None, AfterValidator(_valid_country)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]
# Money a shop can charge and DynamoDB can hold (38 significant digits, and revenue sums many
# amounts): 0 <= amount < 10**15 (a billion US dollars in Iranian rials still fits) with at most 8
# decimal places (every ISO 4217 currency has at most 4; 8 leaves room for prices computed per
# unit). "1E+400" and "1E-400" are refused rather than failing in DynamoDB or bloating a revenue.
MONEY_LIMIT = Decimal(10) ** 15
MONEY_DECIMAL_PLACES = 8
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)


def round_money(value: Decimal) -> Decimal:
    """``value`` rounded (half-even) to the places money keeps; for amounts Nurture computes."""
    return value.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN) if value.is_finite() else value


def _float_to_money(value: object) -> object:
    # A JSON number is a binary float: past the 8th decimal its digits are noise, not a price
    # (WooCommerce's line price is the line total / quantity, 10 / 3 = 3.3333333333333335).
    if isinstance(value, float) and math.isfinite(value) and abs(value) < MONEY_LIMIT:
        return round_money(Decimal(repr(value)))
    return value


Money = Annotated[
    Decimal,
    Field(ge=0, lt=MONEY_LIMIT, decimal_places=MONEY_DECIMAL_PLACES, allow_inf_nan=False),
    BeforeValidator(_float_to_money),
]
NonEmpty = Annotated[str, Field(min_length=1)]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="Degrees north (WGS 84)")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="Degrees east (WGS 84)")]


def check_point(latitude: float | None, longitude: float | None) -> None:
    """A point is both coordinates or neither: one alone places nobody."""
    if (latitude is None) != (longitude is None):
        raise ValueError("latitude and longitude go together: give both or neither")


class Location(CanonicalModel):
    """Where the contact is. ``latitude`` / ``longitude``: the address's point when the store
    geocoded it (Shopify order addresses) or the sender's geolocation (generic webhook); personal
    data like the address itself."""

    country_code: CountryCode = None
    province: str | None = Field(default=None, description="Province or state, as a code when known")
    city: str | None = None
    postal_code: str | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _whole_point(self) -> Self:
        check_point(self.latitude, self.longitude)
        return self


class Contact(CanonicalModel):
    """Who an event is about, as far as this event tells. Found again by email, phone or customer id."""

    email: Email = None
    phone: E164Phone = None
    customer_id: str | None = Field(default=None, min_length=1, description="The store's customer id")
    first_name: str | None = None
    last_name: str | None = None
    locale: LocaleTag = None
    time_zone: TimeZoneName = None
    birthday: date | None = None
    location: Location | None = None

    @model_validator(mode="after")
    def _has_an_identifier(self) -> Self:
        if self.email is None and self.phone is None and self.customer_id is None:
            raise ValueError("a contact needs at least one of email, phone or customer_id")
        return self


class ChannelConsent(CanonicalModel):
    """Marketing consent on one channel. Profiles keep the one with the latest ``changed_at``."""

    state: ConsentState
    changed_at: UtcDatetime
    opt_in_level: OptInLevel | None = None


class LineItem(CanonicalModel):
    product_id: str | None = None
    variant_id: str | None = None
    sku: str | None = None
    title: str
    quantity: int = Field(ge=0)
    unit_price: Money
    product_type: str | None = None
    categories: tuple[str, ...] = ()


class Order(CanonicalModel):
    order_id: NonEmpty
    order_number: str | None = Field(default=None, description="The number the customer sees, e.g. #1001")
    currency: Currency
    subtotal: Money | None = None
    total: Money
    discount_total: Money | None = None
    tax_total: Money | None = None
    shipping_total: Money | None = None
    line_items: tuple[LineItem, ...] = ()
    checkout_token: str | None = None
    cart_token: str | None = None
    is_test: bool = False
    unpaid: bool = Field(
        default=False,
        description="True when no payment was received yet: the order counts once order.paid arrives",
    )


class Checkout(CanonicalModel):
    token: NonEmpty
    cart_token: str | None = None
    currency: Currency | None = None
    subtotal: Money | None = None
    total: Money | None = None
    line_items: tuple[LineItem, ...] = ()
    abandoned_checkout_url: str | None = None
    order_id: str | None = Field(default=None, description="Set on checkout.completed when known")


class Cart(CanonicalModel):
    token: NonEmpty
    currency: Currency | None = None
    subtotal: Money | None = None
    line_items: tuple[LineItem, ...] = ()


class Product(CanonicalModel):
    product_id: NonEmpty
    variant_id: str | None = None
    sku: str | None = None
    title: str | None = None
    url: str | None = None
    unit_price: Money | None = None
    currency: Currency | None = None
    product_type: str | None = None
    categories: tuple[str, ...] = ()


class EventEnvelope(CanonicalModel):
    event_id: NonEmpty
    source: Source
    store: NonEmpty
    source_topic: NonEmpty
    occurred_at: UtcDatetime
    contact: Contact | None = None


class ContactUpserted(EventEnvelope):
    type: Literal["contact.upserted"] = "contact.upserted"
    contact: Contact


Topic = Literal["newsletter", "offers", "product_news"]
TOPICS: tuple[Topic, ...] = ("newsletter", "offers", "product_news")
# "journey": withdrawn by a journey's update step (the sunset journey), not asked for by the contact.
ProofMethod = Literal[
    "one_click", "unsubscribe_page", "preferences_page", "signup_form", "confirm_page", "sms_keyword", "journey"
]


class ConsentProof(CanonicalModel):
    """How a change made on Nurture's own consent pages was given (``nurture.consent``): kept with
    the event in the event log as proof, never logged."""

    method: ProofMethod
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)


class ConsentChanged(EventEnvelope):
    """The consent a source reports, per channel; a channel left ``None`` is not reported.

    Changes made on Nurture's consent pages (source ``nurture``) name the contact by
    ``contact_id`` (from a signed token) instead of ``contact``: exactly one of the two. They may
    report ``unsubscribed_topics`` (the preferences page: every topic the contact opted out of, the
    whole list each time) and ``paused_until`` (no marketing email until then), and carry ``proof``.
    """

    type: Literal["consent.changed"] = "consent.changed"
    contact: Contact | None = None
    contact_id: str | None = Field(default=None, min_length=1, description="Set by Nurture's pages instead of contact")
    email: ChannelConsent | None = None
    sms: ChannelConsent | None = None
    unsubscribed_topics: tuple[Topic, ...] | None = None
    paused_until: UtcDatetime | None = None
    proof: ConsentProof | None = None

    @model_validator(mode="after")
    def _reports_a_channel(self) -> Self:
        if (self.contact is None) == (self.contact_id is None):
            raise ValueError("a consent change names its contact by exactly one of contact or contact_id")
        if self.email is None and self.sms is None and self.unsubscribed_topics is None and self.paused_until is None:
            raise ValueError("a consent change needs at least one of email or sms")
        return self


class OrderPlaced(EventEnvelope):
    type: Literal["order.placed"] = "order.placed"
    order: Order


class OrderPaid(EventEnvelope):
    type: Literal["order.paid"] = "order.paid"
    order: Order


class OrderCancelled(EventEnvelope):
    type: Literal["order.cancelled"] = "order.cancelled"
    order: Order
    cancel_reason: str | None = None


class OrderRefunded(EventEnvelope):
    """Money given back on an order: ``refunded_total`` is the whole amount refunded so far (in the
    order's currency), not this refund's; it equals the order's total once fully refunded. A
    snapshot (one event per ``updated_at``): refunds only grow, so the largest one seen holds."""

    type: Literal["order.refunded"] = "order.refunded"
    order: Order
    refunded_total: Money


class OrderFulfilled(EventEnvelope):
    """Every item of the order was handed to the carrier (Shopify ``orders/fulfilled``, a WooCommerce
    order becoming ``completed``): the post-purchase journeys count their days from it."""

    type: Literal["order.fulfilled"] = "order.fulfilled"
    order: Order


class CheckoutStarted(EventEnvelope):
    type: Literal["checkout.started"] = "checkout.started"
    checkout: Checkout


class CheckoutUpdated(EventEnvelope):
    type: Literal["checkout.updated"] = "checkout.updated"
    checkout: Checkout


class CheckoutCompleted(EventEnvelope):
    type: Literal["checkout.completed"] = "checkout.completed"
    checkout: Checkout


class CartUpdated(EventEnvelope):
    type: Literal["cart.updated"] = "cart.updated"
    cart: Cart


class ProductViewed(EventEnvelope):
    type: Literal["product.viewed"] = "product.viewed"
    product: Product


class MessageRef(CanonicalModel):
    """The message an engagement or SMS delivery event is about, as its SES tags (or its SMS
    message pointer) name it."""

    channel: Literal["email", "sms"] = "email"
    message_id: NonEmpty
    journey: str | None = None
    step: str | None = None
    enrolment: str | None = Field(default=None, description="The enrolment (execution name) that sent it")


class EmailEngagement(EventEnvelope):
    """SES told us what became of a message Nurture sent (source ``nurture``, store ``ses``): it
    names the contact by id (the message's tags), never by address."""

    type: EmailEngagementType
    contact_id: NonEmpty
    message: MessageRef
    link: str | None = Field(default=None, description="The link clicked (email.clicked)")
    bounce_type: str | None = Field(default=None, description="Permanent, Transient or Undetermined (email.bounced)")


class SmsDelivery(EventEnvelope):
    """SNS's delivery status log said what became of an SMS Nurture sent (source ``nurture``, store
    ``sns``): it names the contact by id (the send claim), never by number."""

    type: SmsDeliveryType
    contact_id: NonEmpty
    message: MessageRef
    parts: int | None = Field(default=None, ge=1, description="numberOfMessageParts: the segments billed")
    price_usd: Money | None = Field(default=None, description="priceInUSD, as the status log gives it")
    provider_response: str | None = Field(
        default=None, max_length=200, description="The carrier's answer (sms.failed), never the message text"
    )


class ContactLapsed(EventEnvelope):
    """The daily lapsed scan found no order for ``days`` days (source ``nurture``, store ``scan``)."""

    type: Literal["contact.lapsed"] = "contact.lapsed"
    contact_id: NonEmpty
    last_order_at: UtcDatetime
    days: int = Field(ge=1)


class ContactBirthday(EventEnvelope):
    """The daily birthday scan found the contact's birthday is tomorrow in its own zone (source
    ``nurture``, store ``scan``): ``date`` is the day celebrated, in that zone (February 28 for a
    February 29 birthday in a common year). ``occurred_at`` is the scan's instant."""

    type: Literal["contact.birthday"] = "contact.birthday"
    contact_id: NonEmpty
    date: date


class ScoreCrossed(EventEnvelope):
    """A score reached a threshold from below (``up``) or fell under it (``down``) while an event
    was applied or by decay (source ``nurture``, store ``scoring``; docs/scoring.md)."""

    type: Literal["score.crossed"] = "score.crossed"
    contact_id: NonEmpty
    score: NonEmpty = Field(description="The score's name in the scoring model: acquisition, loyalty")
    threshold: NonEmpty = Field(description="The threshold's name: warm, sales_ready, engaged")
    direction: Literal["up", "down"]
    value: float = Field(allow_inf_nan=False, description="The score's value after the change")
    threshold_value: float = Field(allow_inf_nan=False)


class SegmentChange(EventEnvelope):
    """The contact entered or left a dynamic segment (source ``nurture``, store ``segments``)."""

    type: SegmentChangeType
    contact_id: NonEmpty
    segment: NonEmpty


class ContactRefresh(EventEnvelope):
    """The refresh pass found the contact due: its scores decay, its tier or a segment's window
    changes with time alone (source ``nurture``, store ``refresh``). Carries nothing else."""

    type: Literal["contact.refresh"] = "contact.refresh"
    contact_id: NonEmpty
    due_at: UtcDatetime


class ProductBrowsed(EventEnvelope):
    """The contact viewed ``product`` for the second time within 24 hours and has it in no cart,
    checkout or order (source ``nurture``, store ``browse``; docs/scoring.md, "Wiring"): browse
    abandonment. ``product`` is the product as the second view gave it."""

    type: Literal["product.browsed"] = "product.browsed"
    contact_id: NonEmpty
    product: Product


CanonicalEvent = Annotated[
    ContactUpserted
    | ConsentChanged
    | OrderPlaced
    | OrderPaid
    | OrderCancelled
    | OrderRefunded
    | OrderFulfilled
    | CheckoutStarted
    | CheckoutUpdated
    | CheckoutCompleted
    | CartUpdated
    | ProductViewed
    | ContactLapsed
    | ContactBirthday
    | EmailEngagement
    | SmsDelivery
    | ScoreCrossed
    | SegmentChange
    | ContactRefresh
    | ProductBrowsed,
    Field(discriminator="type"),
]


@cache
def _event_adapter() -> TypeAdapter[CanonicalEvent]:
    # Built on first use, not at import: a handler that only writes events never pays for it.
    return TypeAdapter(CanonicalEvent)


def parse_event(data: str | bytes | dict[str, Any]) -> CanonicalEvent:
    """Read an event back from its JSON (e.g. an SQS message body) or from a dict."""
    adapter = _event_adapter()
    if isinstance(data, str | bytes):
        return adapter.validate_json(data)
    return adapter.validate_python(data)

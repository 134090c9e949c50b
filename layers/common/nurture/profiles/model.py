"""The contact profile: one person across stores and identifiers (pure data, no I/O).

These are domain models: the DynamoDB adapter maps them to and from table items explicitly
(``nurture.adapters.dynamodb_profiles``), and the canonical events (``nurture.events``) are the
input they are computed from (``nurture.profiles.planning``).

Decisions recorded here:

- **Identities.** A profile holds the person's current ``email`` and ``phone`` (contact fields, last
  writer by ``occurred_at`` wins) and every store customer id ever seen for them (``customers``,
  only ever grows). Old addresses keep pointing at the contact through their identity items.
- **Money.** Revenue is kept per currency (``OrderStats.revenue``: ISO 4217 code → ``Decimal``).
  Nurture has no exchange rates and a store may sell in several currencies; summing them would be
  wrong, converting them would be guesswork. Scoring picks the store's currency.
- **Orders.** Each order has an ``OrderRecord`` (its own table item), so an order is counted once
  whatever the order and number of its placed / paid / cancelled events. See ``planning``.
- **Repr.** ``repr()`` of a profile never shows the email address or phone number, so neither can
  leak into a log line or a test failure message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from nurture.events import CanonicalEvent, ConsentState, OptInLevel
    from nurture.scoring.engine import Scores
    from nurture.scoring.tiers import Tier

Channel = Literal["email", "sms"]
OrderStatus = Literal["placed", "paid", "cancelled"]


@dataclass(frozen=True, slots=True, order=True)
class StoreCustomer:
    """A store's own id for the person: unique within one source and store."""

    source: str
    store: str
    customer_id: str


@dataclass(frozen=True, slots=True, repr=False)
class GeoPoint:
    """A point on the globe, in degrees (WGS 84). Its repr hides it: where a person lives must not
    reach a log line or a test failure message."""

    latitude: float
    longitude: float

    def __repr__(self) -> str:
        return "GeoPoint(<hidden>)"


@dataclass(frozen=True, slots=True)
class ProfileLocation:
    """The address fields last given, and ``point``: the latest point an event gave (an address's
    geocoding, a storefront's geolocation). Personal data: never logged (no repr of it is)."""

    country_code: str | None = None
    province: str | None = None
    city: str | None = None
    postal_code: str | None = None
    point: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """Marketing consent on one channel, as last reported; only a later ``changed_at`` replaces it."""

    state: ConsentState
    changed_at: datetime
    source: str
    store: str
    event_id: str
    opt_in_level: OptInLevel | None = None


@dataclass(frozen=True, slots=True)
class OrderStats:
    """Aggregates over the orders counted for this contact: paid (or placed without saying it is
    unpaid), not cancelled, not fully refunded, not test. ``revenue`` is net of partial refunds.

    ``products`` and ``categories`` are every product id and category ever ordered, cancelled
    orders included: they are what the person showed interest in, and "never offer a discount on a
    product the contact just bought" is safer when it errs on that side. ``first_order_at`` /
    ``last_order_at`` are the earliest and latest counting times of the orders that count.
    """

    count: int = 0
    revenue: Mapping[str, Decimal] = field(default_factory=dict)
    products: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """Last email engagement: the latest ``email.opened`` / ``email.clicked`` event (SES, through the
    engagement function)."""

    last_open_at: datetime | None = None
    last_click_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ValueTier:
    """The contact's value tier, RFM scores (1 to 5 each) and CLV in its main currency
    (`nurture.scoring.tiers`); a contact without a counted order has none."""

    tier: Tier
    recency: int
    frequency: int
    monetary: int
    clv: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class SegmentStay:
    """The contact is in a segment: since when, and until when by time alone (None: until the
    contact or its events change)."""

    since: datetime
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Insights:
    """What ProcessFunction concluded about the contact at ``at`` (docs/scoring.md, "Wiring"): its
    scores, value tier, predicted probability of an order within 30 days, the segments it is in and
    when time alone changes any of that next (``due_at``, the refresh pass's key)."""

    at: datetime
    scores: Scores
    value: ValueTier | None = None
    predicted_order_30d: float | None = None
    segments: Mapping[str, SegmentStay] = field(default_factory=dict)
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Profile:
    contact_id: str
    created_at: datetime
    updated_at: datetime
    # Where the contact was first seen (e.g. "shopify", "acme.myshopify.com").
    source: str
    store: str
    email: str | None = None
    phone: str | None = None
    customers: frozenset[StoreCustomer] = frozenset()
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    time_zone: str | None = None
    birthday: date | None = None
    location: ProfileLocation | None = None
    # occurred_at of the event the contact fields above were last taken from.
    contact_updated_at: datetime | None = None
    email_consent: ConsentRecord | None = None
    sms_consent: ConsentRecord | None = None
    orders: OrderStats = OrderStats()
    engagement: Engagement = Engagement()
    # The latest occurred_at of any event applied to this contact.
    last_activity_at: datetime | None = None
    # Lists and tags: written by journeys (`update` steps, `on_completion`), never by events.
    lists: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    # The preferences page (`nurture.consent`), from consent.changed: the topics opted out of and a
    # pause of marketing email; only a newer report (occurred_at) replaces them.
    unsubscribed_topics: frozenset[str] = frozenset()
    paused_until: datetime | None = None
    preferences_changed_at: datetime | None = None
    # Scores, tier and segments: computed by ProcessFunction after each event (nurture.insights).
    insights: Insights | None = None

    def consent(self, channel: Channel) -> ConsentRecord | None:
        return self.email_consent if channel == "email" else self.sms_consent

    def consent_state(self, channel: Channel) -> ConsentState | None:
        record = self.consent(channel)
        return record.state if record is not None else None

    def __repr__(self) -> str:
        return (
            f"Profile(contact_id={self.contact_id!r}, email_consent={self.consent_state('email')!r}, "
            f"sms_consent={self.consent_state('sms')!r}, orders={self.orders.count})"
        )


@dataclass(frozen=True, slots=True, order=True)
class OrderKey:
    source: str
    store: str
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """What the profile knows of one order: its status and whether its total is in the aggregates.

    ``counted`` orders contribute ``total - refunded`` (in ``currency``) and 1 to ``OrderStats``;
    a cancellation or a full refund of a counted order takes exactly that back out. ``refunded`` is
    the largest refunded amount reported (refunds only grow); once it reaches ``total`` (and is
    above zero) the order never counts again.
    """

    key: OrderKey
    status: OrderStatus
    counted: bool
    currency: str
    total: Decimal
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    is_test: bool = False
    refunded: Decimal = Decimal(0)
    # When it was counted (the counting event's occurred_at): the profile's first and last order
    # dates are recomputed from these when a counted order is taken back out.
    counted_at: datetime | None = None

    @property
    def fully_refunded(self) -> bool:
        return self.refunded > 0 and self.refunded >= self.total

    @property
    def net_total(self) -> Decimal:
        """What the order contributes to revenue while counted: its total less its refunds."""
        return max(self.total - self.refunded, Decimal(0))


ApplyOutcome = Literal["applied", "duplicate", "no_contact"]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying one event did (returned by the profile repository to the handler).

    ``triggered`` names the journeys the event triggered, decided when it was first applied (the
    profile before and after it) and recorded on its event item: a redelivered duplicate returns
    the same ones, so a start the first delivery never made (a crash between the write and the
    start) is made then. ``before`` / ``after`` are the profile around the event (a duplicate has
    no ``before`` and the stored profile as ``after``). ``identity_conflicts`` names identifier
    kinds of the event that already belong to another contact (never the values).
    """

    outcome: ApplyOutcome
    contact_id: str | None = None
    created: bool = False
    effects: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    triggered: tuple[str, ...] = ()
    identity_conflicts: tuple[str, ...] = ()
    before: Profile | None = None
    after: Profile | None = None
    # Events the assessment derived (score.crossed, segment.entered / exited), recorded on the
    # event item: a duplicate returns the recorded ones, so the dispatcher queues them again.
    derived: tuple[CanonicalEvent, ...] = ()

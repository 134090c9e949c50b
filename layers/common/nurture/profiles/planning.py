"""What one canonical event changes in a profile: ``plan_update`` (pure, deterministic).

The repository reads the profile (and, for an order event, that order's record), calls
``plan_update`` and writes the result in one transaction conditioned on the profile not having
changed since it was read; on a conflict it reads again and re-plans. So the ordering rules below
are always applied against the state they replace.

Ordering rules (out-of-order and duplicate deliveries are normal with SQS and store retries):

- **Contact fields** (email, phone, names, locale, time zone, birthday, location) come from the
  event's ``contact`` and are taken only when the event's ``occurred_at`` is strictly newer than the
  profile's ``contact_updated_at``; a field the event leaves ``None`` keeps its value (``None``
  means "not given", never "cleared"). Store customer ids are identities, not fields: every one
  seen is added, whatever the event's age.
- **Consent**, per channel, from ``consent.changed``: a channel's report replaces the profile's only
  when its ``changed_at`` is strictly newer than the one held. A withdrawal (``unsubscribed``) is
  never lost: it also wins a tie, and it wins against a held state dated after ``now`` (a claim
  from the future cannot be ordered against; intake refuses them, but not those queued before it
  did, nor those within the clock skew it allows). The withdrawal then keeps the later of the two
  dates, so a replay of the future-dated claim ties with it and loses.
  ``pending`` (a double opt-in sign-up, `nurture.consent`) never replaces ``subscribed``, however
  new: a subscriber who fills in the sign-up form again stays subscribed and gets no confirmation.
- **Orders** (one ``OrderRecord`` per source, store and order id):

  - An order counts once, on the event that shows it is a real purchase: ``order.paid``, or
    ``order.placed`` unless its order says ``unpaid`` (a Shopify order pending, authorized or
    voided; a WooCommerce order on hold), which then waits for ``order.paid``. Counting adds 1,
    its total less any refund already reported (revenue, in its currency), products and
    categories, and first/last order time (the counting event's ``occurred_at``). A replay or a
    second placed/paid event never counts it again.
  - ``order.cancelled`` takes a counted order back out (count - 1, revenue - what it contributed);
    products and categories stay (see ``OrderStats``); the first and last order times become
    those of the orders that still count (``with_order_dates``: the repository reads the contact's
    order records, which this pure planner does not see). An order cancelled before
    its placed/paid events arrive is recorded as cancelled and never counted. Cancelled is final:
    a late paid event does not revive it.
  - ``order.refunded`` carries the whole amount refunded so far; the record keeps the largest seen
    (so replays and refunds reported out of order change nothing). A partial refund of a counted
    order lowers its revenue by the difference; a full refund (refunded >= total) takes it out like
    a cancellation, and a fully refunded order never counts, whatever arrives later. A refund
    reported before the order counts is kept, and the order then counts net of it.
  - Test orders (``is_test``) are recorded but never counted.

- **Preferences** (``unsubscribed_topics``, ``paused_until`` on ``consent.changed``, from the
  preferences page): replaced only by a report with a strictly newer ``occurred_at``; a field the
  report leaves ``None`` keeps its value.
- **Engagement** (``email.opened`` / ``email.clicked``, derived from SES): ``last_open_at`` /
  ``last_click_at`` keep the latest ``occurred_at`` (an older open arriving late changes nothing).
- ``last_activity_at`` is the latest ``occurred_at`` of an event the contact made happen: not
  of what Nurture derives about them or the calendar brings (`NOT_ACTIVITY`: a birthday, a lapse,
  a refresh, a score crossing, a segment change, a browse noticed, a delivery report). Were they
  counted, the hourly refresh alone would keep every contact "active" (the predictive score's
  days since activity).
- An event older than what it would change is not an error: the parts that are no longer newer
  are listed in ``ProfileChange.ignored`` and the event is still appended to the event log.

Which journeys an event triggers is not decided here: the router (``nurture.journeys.router``)
reads the profile before and after (``ProfileChange.before`` / ``after``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from nurture.profiles.model import (
    ConsentRecord,
    GeoPoint,
    OrderKey,
    OrderRecord,
    OrderStats,
    Profile,
    ProfileLocation,
    StoreCustomer,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from nurture.events import CanonicalEvent, ChannelConsent, ConsentChanged, Contact, Order

# Effects (what changed), as recorded on the event item and logged.
CREATED = "profile.created"
IDENTITY = "identity.added"
CONTACT = "contact.updated"
CONSENT_EMAIL = "consent.email"
CONSENT_SMS = "consent.sms"
ORDER_COUNTED = "order.counted"
ORDER_PAID = "order.paid"
ORDER_CANCELLED = "order.cancelled"
ORDER_UNCOUNTED = "order.uncounted"
ORDER_UNPAID = "order.unpaid"
ORDER_REFUNDED = "order.refunded"
ENGAGEMENT_OPEN = "engagement.open"
ENGAGEMENT_CLICK = "engagement.click"
ACTIVITY = "activity"
PREFERENCES = "preferences"

# Events that are not something the contact did (docs: ``last_activity_at`` above).
NOT_ACTIVITY = frozenset(
    {
        "contact.birthday",
        "contact.lapsed",
        "contact.refresh",
        "score.crossed",
        "segment.entered",
        "segment.exited",
        "product.browsed",
        "email.delivered",
        "email.bounced",
        "sms.delivered",
        "sms.failed",
    }
)
_ORDER_EVENT_TYPES = frozenset({"order.placed", "order.paid", "order.cancelled", "order.refunded"})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """The profile before and after one event, the order record before and after, and why."""

    before: Profile | None
    after: Profile
    order_before: OrderRecord | None = None
    order_after: OrderRecord | None = None
    effects: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def contact_id(self) -> str:
        return self.after.contact_id

    @property
    def created(self) -> bool:
        return self.before is None

    @property
    def profile_changed(self) -> bool:
        return self.before != self.after

    @property
    def order_changed(self) -> bool:
        return self.order_before != self.order_after

    @property
    def email_subscribed(self) -> bool:
        """True when this event made email consent become ``subscribed``."""
        before = self.before.consent_state("email") if self.before is not None else None
        return before != "subscribed" and self.after.consent_state("email") == "subscribed"


def order_key(event: CanonicalEvent) -> OrderKey | None:
    """The key of the order an event is about, or None for events that are not about an order."""
    if (
        event.type == "order.placed"
        or event.type == "order.paid"
        or event.type == "order.cancelled"
        or event.type == "order.refunded"
    ):
        return OrderKey(event.source, event.store, event.order.order_id)
    return None


def plan_update(
    profile: Profile | None,
    event: CanonicalEvent,
    *,
    contact_id: str,
    now: datetime,
    order: OrderRecord | None = None,
) -> ProfileChange:
    """Return what ``event`` changes in ``profile`` (None: the contact has no profile yet).

    ``contact_id`` names the profile to create when ``profile`` is None; ``now`` stamps
    ``created_at`` / ``updated_at``; ``order`` is the stored record of the event's order (order
    events only; None when the order was never seen).
    """
    if profile is not None and profile.contact_id != contact_id:
        raise ValueError("profile belongs to another contact")
    key = order_key(event)
    if order is not None and order.key != key:
        raise ValueError("order record does not belong to this event's order")

    effects: list[str] = []
    ignored: list[str] = []
    base = profile or Profile(
        contact_id=contact_id, created_at=now, updated_at=now, source=event.source, store=event.store
    )
    if profile is None:
        effects.append(CREATED)
    after = base

    if event.contact is not None:
        after = _with_customer(after, event.contact, event.source, event.store, effects)
        after = _with_contact_fields(after, event.contact, event.occurred_at, effects, ignored)

    if event.type == "consent.changed":
        after = _with_consent(after, "email", event.email, event, now, effects, ignored)
        after = _with_consent(after, "sms", event.sms, event, now, effects, ignored)
        after = _with_preferences(after, event, effects, ignored)

    order_after = order
    if event.type in _ORDER_EVENT_TYPES:
        after, order_after = _with_order(after, order, event, effects, ignored)

    if event.type == "email.opened" or event.type == "email.clicked":
        after = _with_engagement(after, event.type, event.occurred_at, effects, ignored)

    if event.type not in NOT_ACTIVITY and (
        after.last_activity_at is None or event.occurred_at > after.last_activity_at
    ):
        after = replace(after, last_activity_at=event.occurred_at)
        effects.append(ACTIVITY)

    if after != base:
        after = replace(after, updated_at=now)
    return ProfileChange(
        before=profile,
        after=after,
        order_before=order,
        order_after=order_after,
        effects=tuple(effects),
        ignored=tuple(ignored),
    )


def _with_engagement(
    profile: Profile, event_type: str, at: datetime, effects: list[str], ignored: list[str]
) -> Profile:
    engagement = profile.engagement
    if event_type == "email.opened":
        if engagement.last_open_at is not None and at <= engagement.last_open_at:
            ignored.append(ENGAGEMENT_OPEN)
            return profile
        effects.append(ENGAGEMENT_OPEN)
        return replace(profile, engagement=replace(engagement, last_open_at=at))
    if engagement.last_click_at is not None and at <= engagement.last_click_at:
        ignored.append(ENGAGEMENT_CLICK)
        return profile
    effects.append(ENGAGEMENT_CLICK)
    return replace(profile, engagement=replace(engagement, last_click_at=at))


def _with_customer(profile: Profile, contact: Contact, source: str, store: str, effects: list[str]) -> Profile:
    if contact.customer_id is None:
        return profile
    customer = StoreCustomer(source, store, contact.customer_id)
    if customer in profile.customers:
        return profile
    effects.append(IDENTITY)
    return replace(profile, customers=profile.customers | {customer})


def _with_contact_fields(
    profile: Profile, contact: Contact, occurred_at: datetime, effects: list[str], ignored: list[str]
) -> Profile:
    if profile.contact_updated_at is not None and occurred_at <= profile.contact_updated_at:
        ignored.append(CONTACT)
        return profile
    location = profile.location
    if contact.location is not None:
        given = contact.location
        old = location or ProfileLocation()
        location = ProfileLocation(
            country_code=given.country_code or old.country_code,
            province=given.province or old.province,
            city=given.city or old.city,
            postal_code=given.postal_code or old.postal_code,
            # The latest point given; a location without one keeps the one held.
            point=old.point
            if given.latitude is None or given.longitude is None
            else GeoPoint(given.latitude, given.longitude),
        )
    updated = replace(
        profile,
        email=_given(contact.email, profile.email),
        phone=_given(contact.phone, profile.phone),
        first_name=_given(contact.first_name, profile.first_name),
        last_name=_given(contact.last_name, profile.last_name),
        locale=_given(contact.locale, profile.locale),
        time_zone=_given(contact.time_zone, profile.time_zone),
        birthday=_given(contact.birthday, profile.birthday),
        location=location,
        contact_updated_at=occurred_at,
    )
    effects.append(CONTACT)
    return updated


def _given(value: _T | None, current: _T | None) -> _T | None:
    return current if value is None else value


def _with_consent(
    profile: Profile,
    channel: str,
    reported: ChannelConsent | None,
    event: CanonicalEvent,
    now: datetime,
    effects: list[str],
    ignored: list[str],
) -> Profile:
    if reported is None:
        return profile
    effect = CONSENT_EMAIL if channel == "email" else CONSENT_SMS
    current = profile.email_consent if channel == "email" else profile.sms_consent
    changed_at = reported.changed_at
    if current is not None and not _consent_replaces(current, reported, now):
        ignored.append(effect)
        return profile
    if current is not None:
        changed_at = max(changed_at, current.changed_at)
    record = ConsentRecord(
        state=reported.state,
        changed_at=changed_at,
        source=event.source,
        store=event.store,
        event_id=event.event_id,
        opt_in_level=reported.opt_in_level,
    )
    effects.append(effect)
    if channel == "email":
        return replace(profile, email_consent=record)
    return replace(profile, sms_consent=record)


def _with_preferences(profile: Profile, event: ConsentChanged, effects: list[str], ignored: list[str]) -> Profile:
    """Topics and a pause from the preferences page: a newer report replaces what it reports."""
    if event.unsubscribed_topics is None and event.paused_until is None:
        return profile
    held = profile.preferences_changed_at
    if held is not None and event.occurred_at <= held:
        ignored.append(PREFERENCES)
        return profile
    effects.append(PREFERENCES)
    return replace(
        profile,
        unsubscribed_topics=profile.unsubscribed_topics
        if event.unsubscribed_topics is None
        else frozenset(event.unsubscribed_topics),
        paused_until=event.paused_until if event.paused_until is not None else profile.paused_until,
        preferences_changed_at=event.occurred_at,
    )


def _consent_replaces(current: ConsentRecord, reported: ChannelConsent, now: datetime) -> bool:
    if reported.state == "pending" and current.state == "subscribed":
        return False  # a sign-up form filled in again by a subscriber: no demotion, no double opt-in
    if reported.changed_at > current.changed_at:
        return True
    if reported.state != "unsubscribed" or current.state == "unsubscribed":
        return False
    return reported.changed_at == current.changed_at or current.changed_at > now


def _with_order(
    profile: Profile,
    record: OrderRecord | None,
    event: CanonicalEvent,
    effects: list[str],
    ignored: list[str],
) -> tuple[Profile, OrderRecord | None]:
    if (
        event.type != "order.placed"
        and event.type != "order.paid"
        and event.type != "order.cancelled"
        and event.type != "order.refunded"
    ):
        return profile, record
    order = event.order
    at = event.occurred_at
    if record is None:
        record = OrderRecord(
            key=OrderKey(event.source, event.store, order.order_id),
            status="placed",
            counted=False,
            currency=order.currency,
            total=order.total,
            is_test=order.is_test,
        )
        fresh = True
    else:
        fresh = False

    if event.type == "order.refunded":
        return _with_refund(profile, record, event.refunded_total, effects, ignored)

    if event.type == "order.cancelled":
        if record.status == "cancelled" and not fresh:
            ignored.append(ORDER_CANCELLED)
            return profile, record
        effects.append(ORDER_CANCELLED)
        if record.counted:
            profile = replace(profile, orders=_uncount(profile.orders, record))
            effects.append(ORDER_UNCOUNTED)
        return profile, replace(record, status="cancelled", counted=False, cancelled_at=at)

    if record.status == "cancelled":
        # Cancelled is final: a placed/paid event that arrives after the cancellation changes nothing.
        ignored.append(ORDER_COUNTED if event.type == "order.placed" else ORDER_PAID)
        return profile, _with_time(record, event.type, at)

    if event.type == "order.paid":
        if record.status == "paid" and not fresh:
            ignored.append(ORDER_PAID)
            return profile, record
        record = replace(record, status="paid", paid_at=at)
        effects.append(ORDER_PAID)
    elif record.placed_at is None:
        record = replace(record, placed_at=at)
    elif not fresh:
        ignored.append(ORDER_COUNTED)
        return profile, record

    if record.counted or record.is_test or record.fully_refunded:
        return profile, record
    if event.type == "order.placed" and order.unpaid:
        # Placed without payment (yet): it counts when its order.paid arrives, if ever.
        effects.append(ORDER_UNPAID)
        return profile, record
    # Count the total the store reported now (placed or, when placed never came, paid).
    record = replace(record, counted=True, currency=order.currency, total=order.total, counted_at=at)
    profile = replace(profile, orders=_count(profile.orders, order, record.net_total, at))
    effects.append(ORDER_COUNTED)
    return profile, record


def _with_refund(
    profile: Profile, record: OrderRecord, refunded_total: Decimal, effects: list[str], ignored: list[str]
) -> tuple[Profile, OrderRecord]:
    if refunded_total <= record.refunded:
        # A replay, or an older report arriving after a newer one: refunds only grow.
        ignored.append(ORDER_REFUNDED)
        return profile, record
    effects.append(ORDER_REFUNDED)
    refunded = replace(record, refunded=refunded_total)
    if not record.counted:
        return profile, refunded
    if refunded.fully_refunded:
        effects.append(ORDER_UNCOUNTED)
        return replace(profile, orders=_uncount(profile.orders, record)), replace(refunded, counted=False)
    less = record.net_total - refunded.net_total
    return replace(profile, orders=_less_revenue(profile.orders, record.currency, less)), refunded


def _with_time(record: OrderRecord, event_type: str, at: datetime) -> OrderRecord:
    if event_type == "order.placed" and record.placed_at is None:
        return replace(record, placed_at=at)
    if event_type == "order.paid" and record.paid_at is None:
        return replace(record, paid_at=at)
    return record


def _count(stats: OrderStats, order: Order, amount: Decimal, at: datetime) -> OrderStats:
    revenue = dict(stats.revenue)
    revenue[order.currency] = revenue.get(order.currency, Decimal(0)) + amount
    products = {item.product_id for item in order.line_items if item.product_id}
    categories = {
        category
        for item in order.line_items
        for category in (*item.categories, *((item.product_type,) if item.product_type else ()))
        if category
    }
    return OrderStats(
        count=stats.count + 1,
        revenue=revenue,
        products=stats.products | products,
        categories=stats.categories | categories,
        first_order_at=at if stats.first_order_at is None else min(stats.first_order_at, at),
        last_order_at=at if stats.last_order_at is None else max(stats.last_order_at, at),
    )


def with_order_dates(stats: OrderStats, records: Iterable[OrderRecord]) -> OrderStats:
    """``stats`` with its first and last order dates recomputed from the counted ``records`` (every
    order record of the contact, as they stand after the change): after a counted order was taken
    back out, the dates are those of the orders that still count (none: no dates). A record counted
    before counting times were kept falls back on its placement, else its payment."""
    times = [
        moment
        for record in records
        if record.counted and (moment := record.counted_at or record.placed_at or record.paid_at) is not None
    ]
    return replace(stats, first_order_at=min(times, default=None), last_order_at=max(times, default=None))


def _uncount(stats: OrderStats, record: OrderRecord) -> OrderStats:
    """Take a counted order back out: 1 and what it contributes (its total less its refunds)."""
    less = _less_revenue(stats, record.currency, record.net_total)
    return replace(less, count=max(stats.count - 1, 0))


def _less_revenue(stats: OrderStats, currency: str, amount: Decimal) -> OrderStats:
    revenue = dict(stats.revenue)
    remaining = revenue.get(currency, Decimal(0)) - amount
    if remaining > 0:
        revenue[currency] = remaining
    else:
        revenue.pop(currency, None)
    return replace(stats, revenue=revenue)

"""NurtureTable items of the profile store, and their explicit mapping to and from domain models.

Keys follow docs/architecture.md. Item shapes (attribute: DynamoDB type):

identity  pk ``IDENTITY#email#<sha256 hex of the lower-cased address>``,
          ``IDENTITY#phone#<sha256 hex of the E.164 number>`` or
          ``IDENTITY#customer#<source>#<store>#<customer id>``; sk ``IDENTITY``.
          contact_id: S, identity_kind: S (email|phone|customer), created_at: S.
          Never holds an address or number in clear.
profile   pk ``CONTACT#<contact_id>``, sk ``PROFILE``.
          contact_id, source, store (first seen at), created_at, updated_at: S; version: N
          (optimistic concurrency: +1 on every write); email, phone, first_name, last_name,
          locale, time_zone, birthday (YYYY-MM-DD), contact_updated_at: S; location: M
          {country_code, province, city, postal_code, latitude: N, longitude: N (the latest point,
          both or neither)}; customers: L of M {source, store,
          customer_id}; email_consent, sms_consent: M {state, changed_at, source, store,
          event_id, opt_in_level}; order_count: N; revenue: M {<currency>: N};
          products_bought, categories_bought: SS; first_order_at, last_order_at, last_open_at,
          last_click_at, last_activity_at: S; last_order_day: S (YYYY-MM-DD of last_order_at, UTC:
          the partition key of the sparse ``lapsed`` index); birthday_md: S (MM-DD of birthday: the
          partition key of the sparse ``birthday`` index). lists, tags: SS, written only by
          ``ADD`` / ``DELETE`` (``nurture.adapters.dynamodb_profile_lists``): the profile store
          reads them and never writes them. An attribute whose value is unknown is absent.
order     pk ``CONTACT#<contact_id>``, sk ``ORDER#<source>#<store>#<order id>`` (an addition to the
          architecture table: one per order, so an order is counted once).
          source, store, order_id, status (placed|paid|cancelled), currency: S; counted,
          is_test: BOOL; total: N; refunded: N (absent: nothing refunded); placed_at, paid_at,
          cancelled_at, updated_at: S.
event     pk ``CONTACT#<contact_id>``, sk ``EVENT#<occurred_at>#<event_id>``.
          event_id, event_type, source, store, source_topic, occurred_at, applied_at: S;
          body: S (the canonical event JSON); effects: L of S (what applying it changed, e.g.
          ``consent.email``); triggered: L of S (the journeys it triggered, decided when it was
          applied); expires_at: N (epoch seconds, DynamoDB TTL).

Every item also has ``item_type`` (identity|profile|order|event). Timestamps are UTC ISO-8601 with
microseconds and ``+00:00``: fixed width, so they sort as text.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from nurture.profiles.birthdays import month_day
from nurture.profiles.errors import CorruptProfileItem
from nurture.profiles.model import (
    ConsentRecord,
    Engagement,
    GeoPoint,
    Insights,
    OrderKey,
    OrderRecord,
    OrderStats,
    Profile,
    ProfileLocation,
    SegmentStay,
    StoreCustomer,
    ValueTier,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from nurture.events import CanonicalEvent, ConsentState, Contact, OptInLevel
    from nurture.profiles.model import OrderStatus
    from nurture.scoring.tiers import Tier

    Item = dict[str, AttributeValueTypeDef]
    Attributes = dict[str, AttributeValueTypeDef | None]

PROFILE_SK = "PROFILE"
IDENTITY_SK = "IDENTITY"


class Identity(NamedTuple):
    kind: str  # "email" | "phone" | "customer"
    pk: str


# ---- Keys ----


def contact_pk(contact_id: str) -> str:
    return f"CONTACT#{contact_id}"


# The score, value and due indexes spread contacts over SHARDS partitions (their hash key), so that
# no index partition is hot; a reader queries every shard (docs/scoring.md, "Indexes").
SHARDS = 16


def shard_of(contact_id: str) -> str:
    """The contact's index shard: "00" to "15", from the first 8 hex digits of SHA-256(contact id)."""
    return f"{int(_sha256(contact_id)[:8], 16) % SHARDS:02d}"


def profile_key(contact_id: str) -> Item:
    return {"pk": {"S": contact_pk(contact_id)}, "sk": {"S": PROFILE_SK}}


def order_key(contact_id: str, key: OrderKey) -> Item:
    return {"pk": {"S": contact_pk(contact_id)}, "sk": {"S": f"ORDER#{key.source}#{key.store}#{key.order_id}"}}


def event_key(contact_id: str, event: CanonicalEvent) -> Item:
    return {"pk": {"S": contact_pk(contact_id)}, "sk": {"S": f"EVENT#{iso(event.occurred_at)}#{event.event_id}"}}


def identity_key(pk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": IDENTITY_SK}}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def email_identity(email: str) -> Identity:
    return Identity("email", f"IDENTITY#email#{_sha256(email.strip().lower())}")


def phone_identity(phone: str) -> Identity:
    return Identity("phone", f"IDENTITY#phone#{_sha256(phone.strip())}")


def customer_identity(customer: StoreCustomer) -> Identity:
    return Identity("customer", f"IDENTITY#customer#{customer.source}#{customer.store}#{customer.customer_id}")


def contact_identities(contact: Contact, *, source: str, store: str) -> list[Identity]:
    """The identities an event's contact is found by, in priority order: email, customer id, phone.

    When they point at different contacts, the first one found wins (the address is what
    marketing is consented to and sent to; a phone may be shared by a household).
    """
    identities: list[Identity] = []
    if contact.email is not None:
        identities.append(email_identity(contact.email))
    if contact.customer_id is not None:
        identities.append(customer_identity(StoreCustomer(source, store, contact.customer_id)))
    if contact.phone is not None:
        identities.append(phone_identity(contact.phone))
    return identities


def identity_item(identity: Identity, contact_id: str, now: datetime) -> Item:
    return {
        **identity_key(identity.pk),
        "item_type": {"S": "identity"},
        "identity_kind": {"S": identity.kind},
        "contact_id": {"S": contact_id},
        "created_at": {"S": iso(now)},
    }


# ---- Scalars ----


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _s(value: str | None) -> AttributeValueTypeDef | None:
    return None if value is None else {"S": value}


def _time(value: datetime | None) -> AttributeValueTypeDef | None:
    return None if value is None else {"S": iso(value)}


def _utc_day(value: datetime | None) -> AttributeValueTypeDef | None:
    return None if value is None else {"S": value.astimezone(UTC).date().isoformat()}


def _n(value: int | Decimal) -> AttributeValueTypeDef:
    return {"N": str(value)}


def _map(values: Mapping[str, AttributeValueTypeDef | None]) -> AttributeValueTypeDef:
    return {"M": {name: value for name, value in values.items() if value is not None}}


class _Reader:
    """Typed access to one item's attributes; any surprise becomes ``CorruptProfileItem``."""

    def __init__(self, item: Mapping[str, Any], key: str) -> None:
        self._item = item
        self._key = key

    def fail(self, detail: str) -> CorruptProfileItem:
        return CorruptProfileItem(self._key, detail)

    def _typed(self, name: str, type_code: str) -> Any:
        value = self._item.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or type_code not in value:
            raise self.fail(f"{name} is not of type {type_code}")
        return value[type_code]

    def text(self, name: str) -> str | None:
        value = self._typed(name, "S")
        return value if value is None else str(value)

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.fail(f"{name} is missing")
        return value

    def timestamp(self, name: str) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"{name} is not an ISO-8601 time") from exc
        if parsed.tzinfo is None:
            raise self.fail(f"{name} has no time zone")
        return parsed.astimezone(UTC)

    def required_timestamp(self, name: str) -> datetime:
        value = self.timestamp(name)
        if value is None:
            raise self.fail(f"{name} is missing")
        return value

    def day(self, name: str) -> date | None:
        value = self.text(name)
        try:
            return None if value is None else date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"{name} is not a date") from exc

    def number(self, name: str) -> Decimal | None:
        value = self._typed(name, "N")
        try:
            return None if value is None else Decimal(str(value))
        except InvalidOperation as exc:
            raise self.fail(f"{name} is not a number") from exc

    def integer(self, name: str, default: int = 0) -> int:
        value = self.number(name)
        return default if value is None else int(value)

    def flag(self, name: str) -> bool:
        value = self._typed(name, "BOOL")
        return bool(value)

    def text_set(self, name: str) -> frozenset[str]:
        value = self._typed(name, "SS")
        return frozenset() if value is None else frozenset(str(v) for v in value)

    def submap(self, name: str) -> _Reader | None:
        value = self._typed(name, "M")
        return None if value is None else _Reader(value, f"{self._key}.{name}")

    def submaps(self, name: str) -> list[_Reader]:
        value = self._typed(name, "L")
        if value is None:
            return []
        readers = []
        for index, element in enumerate(value):
            if not isinstance(element, dict) or "M" not in element:
                raise self.fail(f"{name}[{index}] is not a map")
            readers.append(_Reader(element["M"], f"{self._key}.{name}[{index}]"))
        return readers

    def attribute_names(self) -> list[str]:
        return list(self._item)

    def raw(self) -> Mapping[str, Any]:
        return self._item


# ---- Profile ----


def profile_attributes(profile: Profile, version: int) -> Attributes:
    """Every attribute the profile store owns on a profile item; None means "remove it"."""
    orders = profile.orders
    return {
        "item_type": {"S": "profile"},
        "contact_id": {"S": profile.contact_id},
        "version": _n(version),
        "source": {"S": profile.source},
        "store": {"S": profile.store},
        "created_at": {"S": iso(profile.created_at)},
        "updated_at": {"S": iso(profile.updated_at)},
        "email": _s(profile.email),
        "phone": _s(profile.phone),
        "customers": {
            "L": [
                {"M": {"source": {"S": c.source}, "store": {"S": c.store}, "customer_id": {"S": c.customer_id}}}
                for c in sorted(profile.customers)
            ]
        }
        if profile.customers
        else None,
        "first_name": _s(profile.first_name),
        "last_name": _s(profile.last_name),
        "locale": _s(profile.locale),
        "time_zone": _s(profile.time_zone),
        "birthday": _s(profile.birthday.isoformat() if profile.birthday else None),
        "birthday_md": _s(month_day(profile.birthday) if profile.birthday else None),
        "location": _location_attribute(profile.location),
        "contact_updated_at": _time(profile.contact_updated_at),
        "email_consent": _consent_attribute(profile.email_consent),
        "sms_consent": _consent_attribute(profile.sms_consent),
        "order_count": _n(orders.count),
        "revenue": {"M": {currency: _n(amount) for currency, amount in sorted(orders.revenue.items())}},
        "products_bought": {"SS": sorted(orders.products)} if orders.products else None,
        "categories_bought": {"SS": sorted(orders.categories)} if orders.categories else None,
        "first_order_at": _time(orders.first_order_at),
        "last_order_at": _time(orders.last_order_at),
        "last_order_day": _utc_day(orders.last_order_at),
        "last_open_at": _time(profile.engagement.last_open_at),
        "last_click_at": _time(profile.engagement.last_click_at),
        "last_activity_at": _time(profile.last_activity_at),
        "unsubscribed_topics": {"SS": sorted(profile.unsubscribed_topics)} if profile.unsubscribed_topics else None,
        "paused_until": _time(profile.paused_until),
        "preferences_changed_at": _time(profile.preferences_changed_at),
        **insights_attributes(profile.contact_id, profile.insights),
    }


# The scores that have an index (docs/scoring.md, "Indexes"): score name → the sort key attribute,
# which is also the index's name.
SCORE_ATTRIBUTES = {"acquisition": "acquisition_score", "loyalty": "loyalty_score"}


def insights_attributes(contact_id: str, insights: Insights | None) -> Attributes:
    """The profile item's insight attributes (docs/scoring.md, "The profile item"); all None (removed)
    for a profile never assessed."""
    if insights is None:
        return dict.fromkeys(_INSIGHT_ATTRIBUTES)
    value = insights.value
    scores = insights.scores
    return {
        "insights_at": {"S": iso(insights.at)},
        "shard": {"S": shard_of(contact_id)},
        "scores": _json_attribute(scores.to_item()),
        **{
            attribute: _n(_decimal(state.value(state.at))) if (state := scores.states.get(name)) else None
            for name, attribute in SCORE_ATTRIBUTES.items()
        },
        "tier": None if value is None else {"S": value.tier},
        "rfm": None
        if value is None
        else _map({"recency": _n(value.recency), "frequency": _n(value.frequency), "monetary": _n(value.monetary)}),
        "clv": None if value is None else _n(value.clv),
        "clv_currency": None if value is None else {"S": value.currency},
        "predicted_order_30d": None
        if insights.predicted_order_30d is None
        else _n(_decimal(insights.predicted_order_30d)),
        "segments": {
            "M": {
                segment: _map({"since": _time(stay.since), "until": _time(stay.until)})
                for segment, stay in sorted(insights.segments.items())
            }
        },
        "due_at": _time(insights.due_at),
    }


_INSIGHT_ATTRIBUTES = (
    "insights_at",
    "shard",
    "scores",
    *SCORE_ATTRIBUTES.values(),
    "tier",
    "rfm",
    "clv",
    "clv_currency",
    "predicted_order_30d",
    "segments",
    "due_at",
)


def _decimal(value: float) -> Decimal:
    # repr is the shortest text that reads back as the same float; DynamoDB wants no exponent.
    return Decimal(repr(value))


def _json_attribute(value: Any) -> AttributeValueTypeDef:
    """A JSON-like value (mappings, lists, texts, numbers, booleans, None) in DynamoDB's wire format."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": format(_decimal(value), "f")}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(key): _json_attribute(element) for key, element in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_json_attribute(element) for element in value]}
    raise TypeError(f"{type(value).__name__} has no DynamoDB form here")


def _json_value(value: Any, where: str) -> Any:
    """The inverse of `_json_attribute` (numbers as Decimal); a surprise names where it is."""
    if not isinstance(value, dict) or len(value) != 1:
        raise CorruptProfileItem("profile", f"{where} is not an attribute value")
    ((code, inner),) = value.items()
    if code in ("S", "BOOL"):
        return inner
    if code == "NULL":
        return None
    if code == "N":
        try:
            return Decimal(str(inner))
        except InvalidOperation as exc:
            raise CorruptProfileItem("profile", f"{where} is not a number") from exc
    if code == "M":
        return {key: _json_value(element, f"{where}.{key}") for key, element in inner.items()}
    if code == "L":
        return [_json_value(element, f"{where}[{index}]") for index, element in enumerate(inner)]
    raise CorruptProfileItem("profile", f"{where} has type {code}")


def _location_attribute(location: ProfileLocation | None) -> AttributeValueTypeDef | None:
    if location is None:
        return None
    return _map(
        {
            "country_code": _s(location.country_code),
            "province": _s(location.province),
            "city": _s(location.city),
            "postal_code": _s(location.postal_code),
            "latitude": None if location.point is None else _n(_decimal(location.point.latitude)),
            "longitude": None if location.point is None else _n(_decimal(location.point.longitude)),
        }
    )


def _consent_attribute(consent: ConsentRecord | None) -> AttributeValueTypeDef | None:
    if consent is None:
        return None
    return _map(
        {
            "state": {"S": consent.state},
            "changed_at": {"S": iso(consent.changed_at)},
            "source": {"S": consent.source},
            "store": {"S": consent.store},
            "event_id": {"S": consent.event_id},
            "opt_in_level": _s(consent.opt_in_level),
        }
    )


def profile_from_item(item: Mapping[str, Any]) -> tuple[Profile, int]:
    """The profile and its version from a profile item."""
    read = _Reader(item, "profile")
    location = read.submap("location")
    revenue = read.submap("revenue")
    profile = Profile(
        contact_id=read.required_text("contact_id"),
        created_at=read.required_timestamp("created_at"),
        updated_at=read.required_timestamp("updated_at"),
        source=read.required_text("source"),
        store=read.required_text("store"),
        email=read.text("email"),
        phone=read.text("phone"),
        customers=frozenset(
            StoreCustomer(c.required_text("source"), c.required_text("store"), c.required_text("customer_id"))
            for c in read.submaps("customers")
        ),
        first_name=read.text("first_name"),
        last_name=read.text("last_name"),
        locale=read.text("locale"),
        time_zone=read.text("time_zone"),
        birthday=read.day("birthday"),
        location=None
        if location is None
        else ProfileLocation(
            country_code=location.text("country_code"),
            province=location.text("province"),
            city=location.text("city"),
            postal_code=location.text("postal_code"),
            point=_point_from(location),
        ),
        contact_updated_at=read.timestamp("contact_updated_at"),
        email_consent=_consent_from(read.submap("email_consent")),
        sms_consent=_consent_from(read.submap("sms_consent")),
        orders=OrderStats(
            count=read.integer("order_count"),
            revenue={}
            if revenue is None
            else {name: _required_decimal(revenue, name) for name in revenue.attribute_names()},
            products=read.text_set("products_bought"),
            categories=read.text_set("categories_bought"),
            first_order_at=read.timestamp("first_order_at"),
            last_order_at=read.timestamp("last_order_at"),
        ),
        engagement=Engagement(
            last_open_at=read.timestamp("last_open_at"), last_click_at=read.timestamp("last_click_at")
        ),
        last_activity_at=read.timestamp("last_activity_at"),
        lists=read.text_set("lists"),
        tags=read.text_set("tags"),
        unsubscribed_topics=read.text_set("unsubscribed_topics"),
        paused_until=read.timestamp("paused_until"),
        preferences_changed_at=read.timestamp("preferences_changed_at"),
        insights=_insights_from(read),
    )
    return profile, read.integer("version")


_TIERS: dict[str, Tier] = {
    "first_time": "first_time",
    "repeat": "repeat",
    "vip": "vip",
    "at_risk": "at_risk",
    "lapsed": "lapsed",
}


def _insights_from(read: _Reader) -> Insights | None:
    at = read.timestamp("insights_at")
    if at is None:
        return None
    # Here, not at import: a function that never meets an assessed profile never loads the engine.
    from nurture.scoring.engine import Scores

    raw_scores = read.submap("scores")
    try:
        scores = Scores.from_item(None if raw_scores is None else _json_value({"M": raw_scores.raw()}, "scores"))
    except ValueError as exc:
        if isinstance(exc, CorruptProfileItem):
            raise
        raise read.fail(str(exc)) from exc
    tier_name = read.text("tier")
    value: ValueTier | None = None
    if tier_name is not None:
        tier = _TIERS.get(tier_name)
        if tier is None:
            raise read.fail(f"unknown tier {tier_name!r}")
        rfm = read.submap("rfm")
        clv = read.number("clv")
        currency = read.text("clv_currency")
        if rfm is None or clv is None or currency is None:
            raise read.fail("tier without rfm, clv or clv_currency")
        value = ValueTier(
            tier=tier,
            recency=rfm.integer("recency"),
            frequency=rfm.integer("frequency"),
            monetary=rfm.integer("monetary"),
            clv=clv,
            currency=currency,
        )
    segments = read.submap("segments")
    predicted = read.number("predicted_order_30d")
    return Insights(
        at=at,
        scores=scores,
        value=value,
        predicted_order_30d=None if predicted is None else float(predicted),
        segments={}
        if segments is None
        else {
            name: SegmentStay(since=stay.required_timestamp("since"), until=stay.timestamp("until"))
            for name in segments.attribute_names()
            if (stay := segments.submap(name)) is not None
        },
        due_at=read.timestamp("due_at"),
    )


def _point_from(location: _Reader) -> GeoPoint | None:
    latitude, longitude = location.number("latitude"), location.number("longitude")
    if latitude is None or longitude is None:
        return None
    return GeoPoint(float(latitude), float(longitude))


def _required_decimal(read: _Reader, name: str) -> Decimal:
    value = read.number(name)
    if value is None:
        raise read.fail(f"{name} is missing")
    return value


_CONSENT_STATES: dict[str, ConsentState] = {
    "subscribed": "subscribed",
    "unsubscribed": "unsubscribed",
    "not_subscribed": "not_subscribed",
    "pending": "pending",
}
_OPT_IN_LEVELS: dict[str, OptInLevel] = {
    "single_opt_in": "single_opt_in",
    "confirmed_opt_in": "confirmed_opt_in",
    "unknown": "unknown",
}


def _consent_from(read: _Reader | None) -> ConsentRecord | None:
    if read is None:
        return None
    state = read.required_text("state")
    opt_in_level = read.text("opt_in_level")
    if state not in _CONSENT_STATES:
        raise read.fail(f"unknown consent state {state!r}")
    if opt_in_level is not None and opt_in_level not in _OPT_IN_LEVELS:
        raise read.fail(f"unknown opt-in level {opt_in_level!r}")
    return ConsentRecord(
        state=_CONSENT_STATES[state],
        changed_at=read.required_timestamp("changed_at"),
        source=read.required_text("source"),
        store=read.required_text("store"),
        event_id=read.required_text("event_id"),
        opt_in_level=None if opt_in_level is None else _OPT_IN_LEVELS[opt_in_level],
    )


# ---- Order ----


def order_item(contact_id: str, record: OrderRecord, now: datetime) -> Item:
    item: Item = {
        **order_key(contact_id, record.key),
        "item_type": {"S": "order"},
        "source": {"S": record.key.source},
        "store": {"S": record.key.store},
        "order_id": {"S": record.key.order_id},
        "status": {"S": record.status},
        "counted": {"BOOL": record.counted},
        "is_test": {"BOOL": record.is_test},
        "currency": {"S": record.currency},
        "total": _n(record.total),
        "updated_at": {"S": iso(now)},
    }
    if record.refunded:
        item["refunded"] = _n(record.refunded)
    for name, value in (
        ("placed_at", record.placed_at),
        ("paid_at", record.paid_at),
        ("cancelled_at", record.cancelled_at),
        ("counted_at", record.counted_at),
    ):
        if value is not None:
            item[name] = {"S": iso(value)}
    return item


_ORDER_STATUSES: dict[str, OrderStatus] = {"placed": "placed", "paid": "paid", "cancelled": "cancelled"}


def order_from_item(item: Mapping[str, Any]) -> OrderRecord:
    read = _Reader(item, "order")
    status = read.required_text("status")
    if status not in _ORDER_STATUSES:
        raise read.fail(f"unknown order status {status!r}")
    total = read.number("total")
    if total is None:
        raise read.fail("total is missing")
    return OrderRecord(
        key=OrderKey(read.required_text("source"), read.required_text("store"), read.required_text("order_id")),
        status=_ORDER_STATUSES[status],
        counted=read.flag("counted"),
        currency=read.required_text("currency"),
        total=total,
        placed_at=read.timestamp("placed_at"),
        paid_at=read.timestamp("paid_at"),
        cancelled_at=read.timestamp("cancelled_at"),
        is_test=read.flag("is_test"),
        refunded=read.number("refunded") or Decimal(0),
        counted_at=read.timestamp("counted_at"),
    )


# ---- Event ----


def event_item(
    contact_id: str,
    event: CanonicalEvent,
    *,
    effects: tuple[str, ...],
    now: datetime,
    retention_days: int,
    triggered: tuple[str, ...] = (),
    derived: Sequence[CanonicalEvent] = (),
) -> Item:
    expires_at = event.occurred_at + timedelta(days=retention_days)
    return {
        **event_key(contact_id, event),
        "item_type": {"S": "event"},
        "contact_id": {"S": contact_id},
        "event_id": {"S": event.event_id},
        "event_type": {"S": event.type},
        "source": {"S": event.source},
        "store": {"S": event.store},
        "source_topic": {"S": event.source_topic},
        "occurred_at": {"S": iso(event.occurred_at)},
        "applied_at": {"S": iso(now)},
        "body": {"S": event.model_dump_json()},
        "effects": {"L": [{"S": effect} for effect in effects]},
        "triggered": {"L": [{"S": journey} for journey in triggered]},
        **(
            {"derived": {"L": [{"S": derived_event.model_dump_json()} for derived_event in derived]}} if derived else {}
        ),
        "expires_at": {"N": str(int(expires_at.timestamp()))},
    }


def event_effects(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The effects recorded on an event item (empty for an item without them)."""
    values = item.get("effects", {}).get("L", [])
    return tuple(str(value["S"]) for value in values if isinstance(value, dict) and "S" in value)


def event_derived(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The derived events (their JSON) recorded on an event item (empty for an item without them)."""
    values = item.get("derived", {}).get("L", [])
    return tuple(str(value["S"]) for value in values if isinstance(value, dict) and "S" in value)


# ---- Segment members ----


def segment_pk(segment: str, shard: str) -> str:
    """One of a segment's SHARDS member partitions."""
    return f"SEGMENT#{segment}#{shard}"


def segment_member_key(segment: str, contact_id: str) -> Item:
    return {"pk": {"S": segment_pk(segment, shard_of(contact_id))}, "sk": {"S": contact_pk(contact_id)}}


def segment_member_item(segment: str, contact_id: str, since: datetime) -> Item:
    return {
        **segment_member_key(segment, contact_id),
        "item_type": {"S": "segment_member"},
        "segment": {"S": segment},
        "contact_id": {"S": contact_id},
        "since": {"S": iso(since)},
    }


def event_triggered(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The journeys recorded as triggered on an event item (empty for an item without them)."""
    values = item.get("triggered", {}).get("L", [])
    return tuple(str(value["S"]) for value in values if isinstance(value, dict) and "S" in value)

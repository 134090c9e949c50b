"""What the three normalizers share: input-model building blocks, error mapping, event assembly."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)

from nurture.capture.errors import FieldError, InvalidPayload
from nurture.capture.limits import EARLIEST_TIMESTAMP, MAX_CLOCK_SKEW
from nurture.events import (
    TRANSITION_TYPES,
    ChannelConsent,
    ConsentChanged,
    Contact,
    ContactUpserted,
    EventEnvelope,
    Location,
    Money,
    Order,
    OrderRefunded,
    Source,
    derive_event_id,
)
from nurture.identity import normalize_email, normalize_locale, normalize_phone

_VALUE_ERROR_PREFIX = "Value error, "


class StorePayload(BaseModel):
    """A store's payload shape: only the fields we read; everything else is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _id_to_text(value: object) -> object:
    # Stores send ids as JSON numbers (Shopify ids exceed 2**53) or strings; we keep text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


ResourceId = Annotated[str, BeforeValidator(_id_to_text), Field(min_length=1)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
InputMoney = Money  # bounded as canonical money is (nurture.events.Money)


def _coordinate_or_none(value: object) -> object:
    # A store's geocoding is a bonus, never a reason to refuse an order: anything but a finite
    # number (or its text) reads as "not geocoded", and the range is checked with the point.
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


OptionalCoordinate = Annotated[float | None, BeforeValidator(_coordinate_or_none)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def _bounded(value: datetime, info: ValidationInfo) -> datetime:
    """The instant in UTC, when it lies between EARLIEST_TIMESTAMP and the receiving clock plus skew.

    The receiving clock is ``received_at`` in the validation context (see :func:`validate_payload`).
    """
    try:
        instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError(f"is before {EARLIEST_TIMESTAMP:%Y-%m-%d}, the earliest timestamp accepted") from None
    if instant < EARLIEST_TIMESTAMP:
        raise ValueError(f"is before {EARLIEST_TIMESTAMP:%Y-%m-%d}, the earliest timestamp accepted")
    received_at = _received_at(info)
    if instant > received_at + MAX_CLOCK_SKEW:
        minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
        raise ValueError(f"is more than {minutes} minutes ahead of the time the delivery was received")
    return instant


def _received_at(info: ValidationInfo) -> datetime:
    context = info.context if isinstance(info.context, Mapping) else {}
    received_at = context.get("received_at")
    return received_at if isinstance(received_at, datetime) else datetime.now(UTC)


# Every timestamp read from a delivery is bounded; a naive one is UTC (WooCommerce's *_gmt fields).
StoreDatetime = Annotated[AwareDatetime, AfterValidator(_bounded)]
UtcNaiveDatetime = Annotated[datetime, AfterValidator(_bounded)]

InputModel = TypeVar("InputModel", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn pydantic's errors into ``{"field": "a.0.b", "message": "..."}``, without input values."""
    errors: list[FieldError] = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix(_VALUE_ERROR_PREFIX)
        if {"field": field, "message": message} not in errors:
            errors.append({"field": field, "message": message})
    return errors


def validate_payload(model: type[InputModel], payload: object, *, received_at: datetime | None = None) -> InputModel:
    """Validate ``payload``; ``received_at`` is the receiving clock that bounds its timestamps."""
    try:
        return model.model_validate(payload, context={"received_at": received_at or datetime.now(UTC)})
    except ValidationError as exc:
        raise InvalidPayload(field_errors(exc)) from exc


@contextmanager
def rejecting_invalid() -> Iterator[None]:
    """Safety net around mapping: a canonical model that refuses its input is a 400, not a 500."""
    try:
        yield
    except ValidationError as exc:
        raise InvalidPayload(field_errors(exc)) from exc


def lenient_email(raw: str | None) -> str | None:
    """A store's email, or None when the store holds something that is not an address."""
    if raw is None:
        return None
    try:
        return normalize_email(raw)
    except ValueError:
        return None


def lenient_locale(raw: str | None) -> str | None:
    return None if raw is None else normalize_locale(raw)


def lenient_phone(raw: str | None, country_code: str | None) -> str | None:
    return None if raw is None else normalize_phone(raw, country_code)


def lenient_location(
    country_code: str | None,
    province: str | None,
    city: str | None,
    postal_code: str | None,
    point: tuple[float | None, float | None] = (None, None),
) -> Location | None:
    """A location from address fields; a country that is not an alpha-2 code is left out, and so is
    a point (latitude, longitude) missing a coordinate or off the globe."""
    country = country_code.upper() if country_code and len(country_code) == 2 and country_code.isalpha() else None
    latitude, longitude = point
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        latitude = longitude = None
    if not (country or province or city or postal_code or latitude is not None):
        return None
    return Location(
        country_code=country,
        province=province,
        city=city,
        postal_code=postal_code,
        latitude=latitude,
        longitude=longitude,
    )


def contact_or_none(**fields: Any) -> Contact | None:
    """A contact when the fields hold an identifier (email, phone, customer id), else None."""
    if not (fields.get("email") or fields.get("phone") or fields.get("customer_id")):
        return None
    return Contact(**fields)


EventModel = TypeVar("EventModel", bound=EventEnvelope)


@dataclass(frozen=True)
class EventFactory:
    """Builds events of one delivery: fills the envelope and derives the deterministic id."""

    source: Source
    store: str
    topic: str

    def make(self, event_class: type[EventModel], *, resource: str, occurred_at: datetime, **fields: Any) -> EventModel:
        event_type: str = event_class.model_fields["type"].default
        version = None if event_type in TRANSITION_TYPES else occurred_at
        return event_class(
            event_id=derive_event_id(self.source, self.store, event_type, resource, version),
            source=self.source,
            store=self.store,
            source_topic=self.topic,
            occurred_at=occurred_at,
            **fields,
        )

    def contact_events(
        self,
        contact: Contact | None,
        *,
        resource: str,
        occurred_at: datetime,
        email: ChannelConsent | None = None,
        sms: ChannelConsent | None = None,
    ) -> list[ContactUpserted | ConsentChanged]:
        """``contact.upserted`` for a known contact, plus ``consent.changed`` when consent is known.

        A channel's consent is kept only with its address: consent to an unknown address is noise.
        """
        if contact is None:
            return []
        events: list[ContactUpserted | ConsentChanged] = [
            self.make(ContactUpserted, resource=resource, occurred_at=occurred_at, contact=contact)
        ]
        email = email if contact.email is not None else None
        sms = sms if contact.phone is not None else None
        if email is not None or sms is not None:
            events.append(
                self.make(
                    ConsentChanged, resource=resource, occurred_at=occurred_at, contact=contact, email=email, sms=sms
                )
            )
        return events

    def refund_events(
        self,
        refunded_total: Decimal | None,
        *,
        resource: str,
        occurred_at: datetime,
        contact: Contact | None,
        order: Order,
    ) -> list[OrderRefunded]:
        """``order.refunded`` when the order reports money refunded (the whole amount so far), else nothing."""
        if refunded_total is None:
            return []
        return [
            self.make(
                OrderRefunded,
                resource=resource,
                occurred_at=occurred_at,
                contact=contact,
                order=order,
                refunded_total=refunded_total,
            )
        ]


def require_mapping(payload: object) -> None:
    """Reject a body that is JSON but not an object before any model sees it."""
    if not isinstance(payload, Mapping):
        raise InvalidPayload([{"field": "body", "message": "must be a JSON object"}])

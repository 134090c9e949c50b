"""Settings of each function: one pydantic model per function, read from the environment at cold
start. Every field is required unless it has a default that is right in every deployment; a missing
or malformed variable is a ConfigurationError naming it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from nurture.errors import ConfigurationError
from nurture.events import TimeZoneName
from nurture.messaging.unsubscribe import MIN_SECRET_BYTES, check_base_url


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        values = {name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"{str(error['loc'][0]).upper()}: {error['msg']}" for error in exc.errors())
            raise ConfigurationError(f"{cls.__name__}: {problems}") from None


class IngestSettings(FunctionSettings):
    events_queue_url: str = Field(min_length=1)
    table_name: str = Field(min_length=1)
    webhook_secrets_parameter: str = Field(min_length=1)


class ConsentSettings(FunctionSettings):
    # Every consent change is a canonical event on the queue ProcessFunction reads.
    events_queue_url: str = Field(min_length=1)
    # Verifies unsubscribe tokens and confirmation tokens (the journey step function signs both).
    unsubscribe_secret_parameter: str = Field(min_length=1)
    # Read only by the preferences page (the contact's current choices); every change goes on the queue.
    table_name: str = Field(min_length=1)


def _empty_is_none(value: Any) -> Any:
    """A template parameter left at its default ("") means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


def _check_number(value: str) -> str:
    if not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        raise ValueError("must be a phone number in E.164 form, e.g. +18005550100")
    return value


def _check_sender_id(value: str) -> str:
    # SNS: 1-11 letters and digits, at least one letter (a sender id of digits reads as a number).
    if not re.fullmatch(r"[A-Za-z0-9]{1,11}", value) or not re.search(r"[A-Za-z]", value):
        raise ValueError("must be 1 to 11 letters and digits, at least one of them a letter")
    return value


def _check_price(value: str) -> str:
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a decimal number of US dollars, e.g. 0.50") from None
    if not price.is_finite() or price <= 0:
        raise ValueError("must be a decimal number of US dollars greater than 0, e.g. 0.50")
    return value


def _unless_unset(check: Callable[[str], str]) -> Any:
    """``check`` for a value that is set; "" and None mean unset (None)."""
    return (BeforeValidator(_empty_is_none), AfterValidator(lambda value: None if value is None else check(value)))


E164 = Annotated[str | None, *_unless_unset(_check_number)]
SenderId = Annotated[str | None, *_unless_unset(_check_sender_id)]
PriceUsd = Annotated[str | None, *_unless_unset(_check_price)]


class SuppressionKeySettings(FunctionSettings):
    """A function that reads or writes the suppression list: its hashes are keyed from a secret in
    SSM (docs/delivery.md, "The hash"), the unsubscribe secret unless SUPPRESSION_SECRET_PARAMETER
    names another (an operator who rotates the unsubscribe secret keeps the old one there)."""

    unsubscribe_secret_parameter: str = Field(min_length=1)
    suppression_secret_parameter: Annotated[str | None, BeforeValidator(_empty_is_none)] = None

    @property
    def suppression_parameter(self) -> str:
        return self.suppression_secret_parameter or self.unsubscribe_secret_parameter


class JourneyStepSettings(SuppressionKeySettings):
    table_name: str = Field(min_length=1)
    sender_address: str = Field(min_length=3, pattern=r"@")
    configuration_set: str = Field(min_length=1)
    # https:// (RFC 8058 one-click); http:// only for localhost, the local runtime.
    unsubscribe_base_url: Annotated[str, AfterValidator(check_base_url)]
    # SMS (docs/sms.md): the number texts are sent from (E.164), an alphanumeric sender id where the
    # country allows one, the most one text may cost (USD). Unset (or ""): SNS's account defaults.
    sms_origination_number: E164 = None
    sms_sender_id: SenderId = None
    sms_max_price_usd: PriceUsd = None
    # The events queue ProcessFunction reads: an update step's consent change goes there (the sunset
    # journey). Unset: such a step fails (the reconciler never needs it).
    events_queue_url: str | None = Field(default=None, min_length=1)


class EngagementSettings(SuppressionKeySettings):
    table_name: str = Field(min_length=1)
    # Canonical engagement events (email.delivered, …) go to the events queue ProcessFunction reads.
    events_queue_url: str = Field(min_length=1)


class SmsEventsSettings(SuppressionKeySettings):
    """SmsEventsFunction: inbound keywords and SNS's SMS delivery status logs (docs/sms.md)."""

    table_name: str = Field(min_length=1)
    # Canonical consent.changed (keywords) and sms.delivered / sms.failed events for ProcessFunction.
    events_queue_url: str = Field(min_length=1)


class ReconcileSendsSettings(JourneyStepSettings):
    """The reconciler re-sends through the sender's own path: the sender's settings, nothing more."""


class ProcessSettings(FunctionSettings):
    table_name: str = Field(min_length=1)
    # Every journey's state machine is this prefix + its id (docs/journeys.md, "Names").
    journey_state_machine_prefix: str = Field(
        pattern=r"^arn:[a-z0-9-]+:states:[a-z0-9-]*:\d*:stateMachine:[A-Za-z0-9_-]+-$"
    )
    # How long the event log keeps an event, counted from its occurred_at (DynamoDB TTL).
    event_retention_days: int = Field(ge=1, le=36500)
    # The events queue this function consumes: the events its assessments derive (score.crossed,
    # segment.entered / exited) go back to it. Unset, contacts are not assessed at all (no scores,
    # tiers or segments): the stack always sets it; tests of routing alone leave it out.
    events_queue_url: str | None = Field(default=None, min_length=1)
    # Upward crossings of the thresholds the scoring model lists in `notify` are published here.
    score_alerts_topic_arn: str | None = Field(default=None, pattern=r"^arn:[a-z0-9-]+:sns:")
    # Journeys this deployment has switched off (the stack's DisabledJourneys, comma-separated ids):
    # nothing starts them; their running enrolments still end by their exits.
    disabled_journeys: str = Field(default="", pattern=r"^[a-z0-9_, ]*$")

    def disabled(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.disabled_journeys.split(",") if part.strip())


class LapsedScanSettings(FunctionSettings):
    table_name: str = Field(min_length=1)
    events_queue_url: str = Field(min_length=1)
    # docs/journeys.md: a contact lapses when its last order is this many days old.
    lapsed_after_days: int = Field(default=90, ge=1, le=3650)
    # Days one run may catch up (each is a Query and a few BatchGetItems): a long outage is caught
    # up over several daily runs instead of timing one out.
    max_catch_up_days: int = Field(default=31, ge=1, le=366)


class BirthdayScanSettings(FunctionSettings):
    """BirthdayScanFunction, the daily birthday scan (docs/journeys.md, "The daily birthday scan")."""

    table_name: str = Field(min_length=1)
    events_queue_url: str = Field(min_length=1)
    # The store's zone for contacts without one, as the journeys' waits read it (DeliveryPolicy).
    delivery_default_time_zone: Annotated[TimeZoneName, BeforeValidator(_empty_is_none)] = None


class RefreshSettings(FunctionSettings):
    """RefreshFunction, the hourly refresh pass (docs/scoring.md, "The refresh pass")."""

    table_name: str = Field(min_length=1)
    events_queue_url: str = Field(min_length=1)
    # The top share of CLVs that is VIP, in %: TierPolicy's vip_top_percent (a test keeps them equal).
    vip_top_percent: Decimal = Field(default=Decimal(5), gt=0, le=100, allow_inf_nan=False)
    # contact.refresh events one run sends at most (a SendMessageBatch per 10, about 10 ms each);
    # the contacts left stay due and the next hourly run sends them.
    refresh_max_events: int = Field(default=50_000, ge=1, le=1_000_000)


def unsubscribe_secret(value: str, *, parameter: str, what: str = "the unsubscribe secret") -> str:
    """The unsubscribe signing secret (or the suppression secret: ``what``) as read from SSM, checked
    at cold start: a short one would pass the settings and then fail every send (`make_token` refuses
    it). The error names the parameter, never the value."""
    size = len(value.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"SSM parameter {parameter}: {what} must be at least {MIN_SECRET_BYTES} bytes"
            f" (it has {size}); create one with `openssl rand -hex 32`"
        )
    return value


class PrivacySettings(SuppressionKeySettings):
    table_name: str = Field(min_length=1)
    # The journeys' executions it stops are under this prefix (docs/journeys.md, "Names").
    journey_state_machine_prefix: str = Field(
        pattern=r"^arn:[a-z0-9-]+:states:[a-z0-9-]*:\d*:stateMachine:[A-Za-z0-9_-]+-$"
    )

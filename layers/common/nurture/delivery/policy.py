"""The delivery policy: quiet hours, send-hour window, frequency caps, transient bounces (pure data).

Defaults are the issue's: quiet from 21:00 to 08:00 in the recipient's zone, at most 1 marketing
email per 16 hours and 3 per 7 days, an address suppressed after 3 transient bounces within 30
days. `DeliveryPolicy.from_environ` reads overrides (``DELIVERY_QUIET_START`` …) for a deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nurture.errors import ConfigurationError


class DeliveryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    quiet_start: time = Field(default=time(21, 0), description="Local time quiet hours begin")
    quiet_end: time = Field(default=time(8, 0), description="Local time quiet hours end (the first allowed minute)")
    default_time_zone: str | None = Field(default=None, description="The store's zone, for contacts without one")
    # A step's send_at "10:00" allows sends from 10:00 until 10:00 + this window (the Wait before it
    # may end a few seconds late; a retry a minute later must not be pushed to the next day).
    send_window: timedelta = Field(default=timedelta(hours=1), gt=timedelta(0), le=timedelta(hours=12))
    min_gap: timedelta = Field(default=timedelta(hours=16), ge=timedelta(0))
    window: timedelta = Field(default=timedelta(days=7), gt=timedelta(0), le=timedelta(days=30))
    max_in_window: int = Field(default=3, ge=1)
    # SMS caps, counted from marketing SMS only (docs/sms.md): 1 per 24 hours, 3 within `window`.
    sms_min_gap: timedelta = Field(default=timedelta(hours=24), ge=timedelta(0))
    sms_max_in_window: int = Field(default=3, ge=1)
    transient_bounce_threshold: int = Field(default=3, ge=1)
    transient_bounce_window: timedelta = Field(default=timedelta(days=30), gt=timedelta(0))

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start != self.quiet_end

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """``DELIVERY_<FIELD>`` variables override the defaults (times ``HH:MM``, durations in seconds)."""
        values: dict[str, object] = {
            name: environ[f"DELIVERY_{name.upper()}"]
            for name in cls.model_fields
            if f"DELIVERY_{name.upper()}" in environ
        }
        for name, info in cls.model_fields.items():
            text = str(values.get(name, "")).strip()
            if info.annotation is timedelta and text.isdigit():
                values[name] = int(text)  # seconds (ISO 8601, "PT16H", is read as it is)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"DELIVERY_{str(error['loc'][0]).upper()}: {error['msg']}" for error in exc.errors())
            raise ConfigurationError(f"DeliveryPolicy: {problems}") from None


DEFAULT_POLICY = DeliveryPolicy()

"""When a planned wait ends (pure): the wait's duration, local time of day and date (`nurture.journeys.timing`),
moved to when the send that follows may go (quiet hours, send hour). The journey step function plans
a wait after its task (``next_wait``); the router plans a journey's first wait when it starts the
journey (docs/journeys.md, "The compiler"), so a journey that begins by waiting for a date or an
hour needs no planning task.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import next_allowed
from nurture.delivery.zones import recipient_zone
from nurture.journeys.conditions import lookup
from nurture.journeys.definition import STEP_ID, SendStep
from nurture.journeys.timing import next_wake_up


class NextWait(BaseModel):
    """A task Payload's ``next_wait`` (docs/journeys.md, "Tasks")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seconds: int | None = Field(default=None, ge=0)
    at: time | None = None
    until: str | None = Field(default=None, pattern=r"^(profile|enrolment)(\.[A-Za-z0-9_]+)+$")
    send: str | None = Field(default=None, pattern=STEP_ID)  # the send step after the wait


def until_value(value: Any) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value.replace("Z", "+00:00"))
            )
        except ValueError:
            return None
    return None


def plan_wake_up(
    wait: NextWait,
    views: Mapping[str, Any],
    now: datetime,
    *,
    then_send: SendStep | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
) -> datetime | None:
    """The instant the wait ends, on the views a branch reads (``profile``: its ``time_zone`` and
    ``country_code``; ``enrolment``). None when it waits ``until`` a date that is missing: the
    caller does not wait."""
    profile = views.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    until = None
    if wait.until is not None:
        until = until_value(lookup(views, wait.until))
        if until is None:
            return None
    zone = profile.get("time_zone")
    wake_up = next_wake_up(now, seconds=wait.seconds, at=wait.at, until=until, time_zone=zone)
    if then_send is None or then_send.send.transactional:
        return wake_up
    # A wait before a marketing send ends when the send's rules allow it (quiet hours, send hour),
    # so that most sends are never deferred (the caps are checked by the send itself).
    spec = then_send.send
    send_zone = recipient_zone(profile.get("time_zone"), profile.get("country_code"), policy.default_time_zone)
    allowed, _ = next_allowed(wake_up, send_zone, policy, send_at=spec.send_at, weekdays=spec.weekdays)
    return allowed

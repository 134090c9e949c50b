"""The process function's assessor: reads what an assessment needs and runs it for one change.

`ContactInsights.assessor(event)` is the ``assess`` callback `ProfileRepository.apply` calls
inside its read-plan-write loop (so a re-plan after a conflict is assessed again): it reads the
contact's recent events (`InsightsConfig.history`) and the VIP threshold (cached for
``THRESHOLD_TTL``: it changes once a day), then `assess` and `derived_events`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from nurture.insights.assess import (
    MAX_RECENT_EVENTS,
    NOT_ASSESSED,
    Assessed,
    InsightsConfig,
    assess,
    derived_events,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from nurture.events import CanonicalEvent
    from nurture.profiles.planning import ProfileChange

# The threshold is recomputed daily by the refresh pass; a container re-reads it this often.
THRESHOLD_TTL = timedelta(minutes=10)


class ReadsRecentEvents(Protocol):
    def recent_events(
        self, contact_id: str, *, types: frozenset[str], since: datetime, limit: int
    ) -> list[dict[str, Any]]: ...


class ReadsVipThreshold(Protocol):
    def current(self) -> Decimal | None: ...


@dataclass
class CachedVipThreshold:
    """``read`` at most once per ``ttl`` (per container)."""

    read: Callable[[], Decimal | None]
    clock: Callable[[], datetime]
    ttl: timedelta = THRESHOLD_TTL
    _value: Decimal | None = field(default=None, init=False)
    _read_at: datetime | None = field(default=None, init=False)

    def current(self) -> Decimal | None:
        now = self.clock()
        if self._read_at is None or now - self._read_at >= self.ttl or now < self._read_at:
            self._value = self.read()
            self._read_at = now
        return self._value


@dataclass(frozen=True)
class ContactInsights:
    config: InsightsConfig
    history: ReadsRecentEvents
    vip_threshold: ReadsVipThreshold
    clock: Callable[[], datetime]

    def assessor(self, event: CanonicalEvent) -> Callable[[ProfileChange], Assessed] | None:
        """The ``assess`` callback for ``event`` (None: Nurture's own conclusions are not assessed)."""
        if event.type in NOT_ASSESSED:
            return None

        def assessed(change: ProfileChange) -> Assessed:
            now = self.clock()
            history = self.config.history
            recent = (
                []
                if history is None or change.before is None
                else [
                    view
                    for view in self.history.recent_events(
                        change.contact_id, types=history.types, since=now - history.window, limit=MAX_RECENT_EVENTS
                    )
                    if view.get("event_id") != event.event_id
                ]
            )
            assessment = assess(self.config, change.after, event, recent, now, self.vip_threshold.current())
            return Assessed(
                after=replace(change.after, insights=assessment.insights),
                derived=derived_events(change.contact_id, event, assessment, self.config.model, now),
            )

        return assessed

"""The event router's decisions: which enrolments an applied event starts, exits and resumes (pure).

docs/journeys.md, "The router", is the contract; the process function does the I/O in that order
(write the enrolment, then StartExecution; mark the exit, then StopExecution; SendTaskSuccess).

- `triggered_journeys` runs when the event is applied (the profile before and after it): the
  journeys whose trigger names the event's type, whose ``trigger.when`` and ``entry`` hold, and
  whose key the event carries. The answer is recorded on the event item, so a redelivered
  duplicate repeats it rather than deciding again against a profile that has moved on.
- `decide` turns those into starts under each journey's re-entry policy (given the latest
  enrolment per journey and key), and finds the exits and resumes among the contact's running
  enrolments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nurture.journeys.conditions import all_hold, lookup
from nurture.journeys.definition import ReentryAfter, parse_duration
from nurture.journeys.enrolments import Enrolment, Missing, key_value, path_text, text_of, trigger_data
from nurture.journeys.views import trigger_views

if TYPE_CHECKING:
    from datetime import datetime

    from nurture.events import CanonicalEvent
    from nurture.journeys.catalogue import Catalogue
    from nurture.journeys.definition import ExitRule, Journey
    from nurture.profiles.model import Profile

UNSUBSCRIBED = "unsubscribed"  # the exit reason of marketing journeys when email consent is withdrawn
LatestKey = tuple[str, str | None]  # (journey id, key value or None for 'contact')


@dataclass(frozen=True, slots=True)
class Start:
    """Write ``enrolment`` (unless ``redelivery``: it exists, started by this very event) and start
    its execution under its id."""

    enrolment: Enrolment
    redelivery: bool = False


@dataclass(frozen=True, slots=True)
class Exit:
    enrolment: Enrolment
    reason: str


@dataclass(frozen=True, slots=True)
class Resume:
    enrolment: Enrolment
    token: str
    output: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RouterDecision:
    starts: tuple[Start, ...] = ()
    exits: tuple[Exit, ...] = ()
    resumes: tuple[Resume, ...] = ()


def triggered_journeys(
    catalogue: Catalogue, event: CanonicalEvent, before: Profile | None, after: Profile | None
) -> tuple[str, ...]:
    """The ids of the journeys this event triggers for this contact (before re-entry is checked)."""
    if after is None:
        return ()
    views = trigger_views(event, before, after)
    return tuple(
        journey.id
        for journey in catalogue.triggered_by(event.type)
        if key_value(journey, event) is not Missing.KEY
        and all_hold(journey.trigger.when, views)
        and all_hold(journey.entry, views)
    )


def latest_keys(catalogue: Catalogue, event: CanonicalEvent, triggered: Sequence[str]) -> list[LatestKey]:
    """The (journey, key) pairs whose latest enrolment `decide` needs."""
    keys: list[LatestKey] = []
    for journey_id in triggered:
        journey = catalogue.get(journey_id)
        value = key_value(journey, event) if journey is not None else Missing.KEY
        if not isinstance(value, Missing):
            keys.append((journey_id, value))
    return keys


def decide(
    catalogue: Catalogue,
    event: CanonicalEvent,
    *,
    contact_id: str,
    before: Profile | None,
    after: Profile | None,
    latest: Mapping[LatestKey, Enrolment | None],
    running: Sequence[Enrolment],
    now: datetime,
    triggered: Sequence[str] | None = None,
) -> RouterDecision:
    """What this event does to the contact's enrolments.

    ``triggered`` is what was recorded when the event was applied (`triggered_journeys` on the
    profile before and after it when not given); ``latest`` the newest enrolment per journey and
    key of those journeys (missing or None: never enrolled); ``running`` the contact's running
    enrolments; ``now`` stamps the new enrolments.
    """
    if triggered is None:
        triggered = triggered_journeys(catalogue, event, before, after)
    # An enrolment this very event started (a redelivery finds it running) is neither exited nor resumed by it.
    others = [enrolment for enrolment in running if enrolment.trigger_event_id != event.event_id]
    views = trigger_views(event, before, after)
    unsubscribed = made_unsubscribed(before, after)
    exits = tuple(
        Exit(enrolment, reason)
        for enrolment in others
        if (reason := _exit_reason(catalogue.get(enrolment.journey), enrolment, event, views, unsubscribed))
    )
    exiting = {exit.enrolment.enrolment_id for exit in exits}
    # Exits first: an event that ends an enrolment may start the next one for the same key (a
    # reorder ends the replenishment countdown and starts a new one), by the journey's re-entry rule.
    ended = {
        key: replace(enrolment, status="exited", ended_at=now)
        if enrolment is not None and enrolment.enrolment_id in exiting
        else enrolment
        for key, enrolment in latest.items()
    }
    starts = tuple(
        start
        for journey_id in triggered
        if (journey := catalogue.get(journey_id)) is not None
        and (start := _start(journey, event, contact_id, ended, now)) is not None
    )
    resumes = tuple(
        Resume(
            enrolment,
            enrolment.await_token,
            {"outcome": event.type, "at": event.occurred_at.isoformat()},
        )
        for enrolment in others
        if enrolment.await_token is not None
        and enrolment.await_event == event.type
        and enrolment.enrolment_id not in exiting
    )
    return RouterDecision(starts=starts, exits=exits, resumes=resumes)


def made_unsubscribed(before: Profile | None, after: Profile | None) -> bool:
    """Whether the event left email consent ``unsubscribed`` when it was not before (a duplicate,
    with no ``before``, counts when the contact is unsubscribed now: ending their marketing
    journeys again is harmless, missing it is not)."""
    if after is None or after.consent_state("email") != "unsubscribed":
        return False
    return before is None or before.consent_state("email") != "unsubscribed"


def _start(
    journey: Journey,
    event: CanonicalEvent,
    contact_id: str,
    latest: Mapping[LatestKey, Enrolment | None],
    now: datetime,
) -> Start | None:
    value = key_value(journey, event)
    if isinstance(value, Missing):
        return None
    previous = latest.get((journey.id, value))
    if previous is not None and previous.trigger_event_id == event.event_id:
        # The same trigger again: start the same execution again if it may not have been; never a new occurrence.
        return Start(previous, redelivery=True) if previous.running else None
    if previous is not None and not _may_reenter(journey, previous, event):
        return None
    occurrence = 1 if previous is None else previous.occurrence + 1
    return Start(
        Enrolment(
            journey=journey.id,
            contact_id=contact_id,
            occurrence=occurrence,
            key=value,
            trigger_event_id=event.event_id,
            started_at=now,
            data=trigger_data(event),
        )
    )


def _may_reenter(journey: Journey, previous: Enrolment, event: CanonicalEvent) -> bool:
    if previous.running or journey.reentry == "never":
        return False
    if journey.reentry == "always":
        return True
    assert isinstance(journey.reentry, ReentryAfter)
    if previous.ended_at is None:
        return False
    return previous.ended_at + parse_duration(journey.reentry.after) <= event.occurred_at


def _exit_reason(
    journey: Journey | None,
    enrolment: Enrolment,
    event: CanonicalEvent,
    views: Mapping[str, Any],
    unsubscribed: bool,
) -> str | None:
    if journey is None:
        return None  # a journey no longer in the catalogue: its executions run out on their own
    for rule in journey.exit:
        if _exit_matches(rule, enrolment, event, views):
            return rule.reason or event.type.replace(".", "_")
    if journey.marketing and unsubscribed:
        return UNSUBSCRIBED
    return None


def _exit_matches(rule: ExitRule, enrolment: Enrolment, event: CanonicalEvent, views: Mapping[str, Any]) -> bool:
    if event.type not in rule.events or not all_hold(rule.when, views):
        return False
    # Only what happens after the trigger ends an enrolment. The queue does not keep order: a
    # WooCommerce pending order's own order.placed (same time, same checkout token) may be applied
    # after the checkout.started it came with, and must not end the recovery it started.
    if enrolment.triggered_at is not None and event.occurred_at <= enrolment.triggered_at:
        return False
    if rule.same_key is None:
        return True
    path = rule.same_key.removeprefix("event.")
    held = lookup(views["event"], path)
    if isinstance(held, list):
        # A list (an order's event.facts.product_ids): the rule matches when the key is one of them.
        return enrolment.key is not None and enrolment.key in {text_of(value) for value in held}
    return enrolment.key is not None and path_text(views["event"], path) == enrolment.key

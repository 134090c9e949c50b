"""Whether a contact is in a segment, and until when time alone keeps the answer (pure).

``evaluate(segment, view, events, now)`` reads ``view`` (the roots journeys' conditions read:
``profile`` at least) and ``events``: the contact's recent events as views (``type``,
``occurred_at`` as an aware datetime or ISO 8601 string, and their fields), in any order. An event
is in a window of W while it is younger than W: one exactly W old has left it.

``Membership.until`` is the first instant at which the answer changes if nothing but time passes
(an event leaving a window), or None when only a change of the contact or a new event can change
it. It is exact, so the daily pass that re-evaluates expiring memberships finds a change every time
it looks:

- ``at_least N within W``: while true, until the N-th newest matching event leaves the window;
  while false, None (only a new event adds to the count);
- ``at_most N within W``: while false, until the (N+1)-th newest leaves; while true, None;
- ``none_within W`` (at most 0): while false, until the newest leaves; while true, None;
- a profile condition: None (time alone never changes a profile; the passes that change one, such
  as score decay, re-evaluate the contact);
- ``older_than A`` on a profile date: while false and the date is present, when the date becomes A
  old (date + A); while true, or without the date, None (only a change of the contact can);
- the segment (all hold): a member until the earliest instant one of its conditions turns false. A
  non-member becomes one only if every false condition turns true by time alone, at the latest of
  those instants, and no true one has turned false by then (only an ``at_least`` can, and it never
  turns true again by time): else None. An ``older_than`` counts as a window that only ever turns
  true.

Evaluation runs for every event, for every segment: it reads plain dataclasses and stops at the
first events that decide (events are sorted newest first once, by `recent_events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from nurture.journeys.conditions import all_hold, lookup
from nurture.segments.definition import DateAge, EventWindow, Segment


@dataclass(frozen=True, slots=True)
class Membership:
    member: bool
    until: datetime | None = None


_OUT = Membership(False, None)
_OCCURRED_AT = itemgetter(1)


@dataclass(frozen=True, slots=True)
class RecentEvents:
    """A contact's events as evaluation reads them: ``(type, occurred_at, {"event": view})``,
    newest first. Build it once (`recent_events`) to evaluate many segments: it keeps, per set of
    event types a window names, those events only (segments often share them: orders, views)."""

    items: tuple[tuple[str, datetime, Mapping[str, Any]], ...]
    _of_types: dict[frozenset[str], tuple[tuple[datetime, Mapping[str, Any]], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def of_types(self, types: frozenset[str]) -> tuple[tuple[datetime, Mapping[str, Any]], ...]:
        """The events of these types, newest first."""
        found = self._of_types.get(types)
        if found is None:
            found = tuple((at, event) for event_type, at, event in self.items if event_type in types)
            self._of_types[types] = found
        return found


def recent_events(events: Iterable[Mapping[str, Any]]) -> RecentEvents:
    """Raises ValueError naming the event (by position and type) whose ``occurred_at`` is not an
    aware instant."""
    items = []
    for position, event in enumerate(events):
        occurred_at = event.get("occurred_at")
        if isinstance(occurred_at, str):
            try:
                occurred_at = datetime.fromisoformat(occurred_at)
            except ValueError:
                occurred_at = None
        if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
            raise ValueError(f"events[{position}] ({event.get('type')}): occurred_at must be an aware ISO 8601 instant")
        items.append((str(event.get("type")), occurred_at, {"event": event}))
    items.sort(key=_OCCURRED_AT, reverse=True)
    return RecentEvents(tuple(items))


def evaluate(
    segment: Segment,
    view: Mapping[str, Any],
    events: RecentEvents | Sequence[Mapping[str, Any]],
    now: datetime,
) -> Membership:
    _aware(now)
    return _membership(segment, view, events if isinstance(events, RecentEvents) else recent_events(events), now)


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")


def _membership(segment: Segment, view: Mapping[str, Any], recent: RecentEvents, now: datetime) -> Membership:
    for condition in segment.profile:
        if not condition.compiled(view):  # `holds`, without the call in between
            return _OUT
    turns_false: datetime | None = None  # the earliest instant a true window turns false
    turns_true: datetime | None = None  # the latest instant a false window turns true
    for age in segment.ages:
        old_enough_at = _old_enough_at(age, view)
        if old_enough_at is None:
            return _OUT
        if old_enough_at > now and (turns_true is None or old_enough_at > turns_true):
            turns_true = old_enough_at
    for window in segment.windows:
        holds_now, change = _window(window, recent, now)
        if holds_now:
            if change is not None and (turns_false is None or change < turns_false):
                turns_false = change
        elif change is None:
            return _OUT
        elif turns_true is None or change > turns_true:
            turns_true = change
    if turns_true is None:
        return Membership(True, turns_false)
    if turns_false is not None and turns_false <= turns_true:
        return _OUT
    return Membership(False, turns_true)


def _old_enough_at(age: DateAge, view: Mapping[str, Any]) -> datetime | None:
    """The instant the date reaches the age (the condition holds from then on), or None without a
    date. A date without a time is its UTC midnight."""
    value = lookup(view, age.field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) + age.age


def _window(window: EventWindow, recent: RecentEvents, now: datetime) -> tuple[bool, datetime | None]:
    """Whether the window condition holds, and the instant time alone changes that (or None)."""
    start = now - window.window
    at_least = window.kind == "at_least"
    # at_least N decides on the N-th newest match; at_most N (none_within: 0) on the (N+1)-th.
    decisive = window.count if at_least else window.count + 1
    where = window.where
    found = 0
    decided_at: datetime | None = None
    for occurred_at, event in recent.of_types(window.types):
        if occurred_at <= start:
            break
        if where and not all_hold(where, event):
            continue
        found += 1
        if found == decisive:
            decided_at = occurred_at
            break
    if at_least:
        return (True, decided_at + window.window) if decided_at is not None else (False, None)
    return (False, decided_at + window.window) if decided_at is not None else (True, None)


def evaluate_all(
    segments: Iterable[Segment],
    view: Mapping[str, Any],
    events: RecentEvents | Sequence[Mapping[str, Any]],
    now: datetime,
) -> dict[str, Membership]:
    """Every segment's membership, the events prepared and ``now`` checked once."""
    _aware(now)
    recent = events if isinstance(events, RecentEvents) else recent_events(events)
    return {segment.id: _membership(segment, view, recent, now) for segment in segments}


def members(memberships: Mapping[str, Membership]) -> frozenset[str]:
    return frozenset(segment_id for segment_id, membership in memberships.items() if membership.member)


def next_change(memberships: Mapping[str, Membership]) -> datetime | None:
    """The first instant any of these memberships changes by time alone: the contact's key in the
    index of expiring memberships (None: not in it)."""
    return min((m.until for m in memberships.values() if m.until is not None), default=None)


def changes(before: frozenset[str], after: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The segments entered and exited, each sorted (the order their events are emitted in)."""
    return tuple(sorted(after - before)), tuple(sorted(before - after))

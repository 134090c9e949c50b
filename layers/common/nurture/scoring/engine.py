"""The scoring engine (pure): a contact's scores, updated by an event and decayed by time.

A score's value is the sum of its fit points (the fit rules that hold on the profile, as of the last
event) and of its behaviour points, each decayed from the instant they were last decayed to:
``points * 0.5 ** (elapsed / half_life)``. `apply_event` decays the behaviour points to ``now``,
adds the points of the behaviour rules the event fires (within their caps) and re-evaluates the fit
rules; `decay` (the daily schedule) only decays. Both report the thresholds the value crossed since
the last update. docs/scoring.md describes the format and the shipped model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from nurture.journeys.conditions import all_hold

if TYPE_CHECKING:
    # Annotations only: reading a profile's stored scores (every function that reads profiles) must
    # not load the scoring model's pydantic classes; the functions that score pass a model in.
    from nurture.scoring.model import BehaviourRule, ScoreSpec, ScoringModel

# Stored points keep 6 decimals (an item stays short, and reads back as written); a behaviour rule
# whose decayed points would show as 0.00 is forgotten, so the item does not grow forever.
_STORED_PLACES = 6
_NEGLIGIBLE = 0.005


@dataclass(frozen=True, slots=True)
class DayTally:
    """What a rule with ``cap_per_day`` added on one UTC day (its magnitude, for a negative rule)."""

    day: date
    points: float


@dataclass(frozen=True)
class ScoreState:
    """One score of one contact, as of ``at``: every behaviour point is decayed to that instant."""

    at: datetime
    half_life: float  # seconds: the model's when last updated, so the value can be read without it
    fit: Mapping[str, float] = field(default_factory=dict)
    behaviour: Mapping[str, float] = field(default_factory=dict)
    today: Mapping[str, DayTally] = field(default_factory=dict)

    def points(self, now: datetime) -> dict[str, float]:
        """Every rule's points at ``now`` (fit as is, behaviour decayed)."""
        factor = _decay_factor(self.at, now, self.half_life)
        return {**self.fit, **{rule: points * factor for rule, points in self.behaviour.items()}}

    def value(self, now: datetime) -> float:
        if now <= self.at:  # the stored points as they are (every update and crossing reads this)
            return _round(sum(self.fit.values()) + sum(self.behaviour.values()))
        return _round(sum(self.points(now).values()))

    def explanation(self, now: datetime) -> list[dict[str, Any]]:
        """The rules with their points (2 decimals), largest magnitude first, then by rule id; rules
        whose points round to 0 are left out."""
        rounded = [(rule, _round(points)) for rule, points in self.points(now).items()]
        ordered = sorted((item for item in rounded if item[1] != 0), key=lambda item: (-abs(item[1]), item[0]))
        return [{"rule": rule, "points": points} for rule, points in ordered]


@dataclass(frozen=True)
class Scores:
    """A contact's scores by name (immutable: every update returns new `Scores`)."""

    states: Mapping[str, ScoreState] = field(default_factory=dict)

    def value(self, name: str, now: datetime) -> float:
        state = self.states.get(name)
        return state.value(_utc(now)) if state is not None else 0.0

    def explanation(self, name: str, now: datetime) -> list[dict[str, Any]]:
        state = self.states.get(name)
        return state.explanation(_utc(now)) if state is not None else []

    def to_item(self) -> dict[str, Any]:
        """A JSON-ready mapping (what the profile item holds). ``value`` is the score at ``at``,
        written for readers and indexes; `from_item` recomputes it rather than trusting it."""
        return {
            name: {
                "value": state.value(state.at),
                "at": state.at.isoformat(),
                "half_life": state.half_life,
                "fit": dict(state.fit),
                "behaviour": dict(state.behaviour),
                "today": {rule: {"day": t.day.isoformat(), "points": t.points} for rule, t in state.today.items()},
            }
            for name, state in self.states.items()
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Scores:
        """The inverse of `to_item`; numbers may be Decimals (as boto3 reads them). A malformed item
        raises ValueError naming the field."""
        if not item:
            return cls()
        return cls({str(name): _state_from_item(f"scores.{name}", data) for name, data in item.items()})


@dataclass(frozen=True)
class Crossing:
    score: str
    threshold: str
    direction: Literal["up", "down"]
    value: float


@dataclass(frozen=True)
class ScoreUpdate:
    scores: Scores
    crossed: tuple[Crossing, ...] = ()


def apply_event(
    model: ScoringModel, scores: Scores, profile: Mapping[str, Any], event: Mapping[str, Any], now: datetime
) -> ScoreUpdate:
    """The scores after ``event`` (its view, `nurture.journeys.views.event_view`) happened to a
    contact whose profile view (after the event) is ``profile``, processed at ``now``."""
    now = _utc(now)
    view = {"profile": profile, "event": event}
    fired = [rule for rule in model.behaviour_rules(str(event.get("type"))) if all_hold(rule.when, view)]
    states: dict[str, ScoreState] = {}
    crossed: list[Crossing] = []
    for name, spec in model.scores.items():
        previous = scores.states.get(name)
        behaviour, today, at = _decayed(model, name, previous, now)
        for rule in fired:
            if rule.score == name:
                _add(rule, behaviour, today, now)
        fit = {rule.id: rule.points for rule in model.fit_rules(name) if all_hold(rule.when, view)}
        state = ScoreState(at, model.half_life_seconds(name), fit, behaviour, today)
        states[name] = state
        crossed.extend(_crossings(name, spec, previous, state))
    return ScoreUpdate(Scores(states), tuple(crossed))


def decay(model: ScoringModel, scores: Scores, now: datetime) -> ScoreUpdate:
    """The scores decayed to ``now`` (the daily schedule), and the thresholds crossed since the last
    update. Fit points are kept as the last event left them."""
    now = _utc(now)
    states: dict[str, ScoreState] = {}
    crossed: list[Crossing] = []
    for name, spec in model.scores.items():
        previous = scores.states.get(name)
        if previous is None:
            continue
        behaviour, today, at = _decayed(model, name, previous, now)
        kept = model.fit_ids(name)
        fit = {rule: points for rule, points in previous.fit.items() if rule in kept}
        state = ScoreState(at, model.half_life_seconds(name), fit, behaviour, today)
        states[name] = state
        crossed.extend(_crossings(name, spec, previous, state))
    return ScoreUpdate(Scores(states), tuple(crossed))


def _decayed(
    model: ScoringModel, name: str, previous: ScoreState | None, now: datetime
) -> tuple[dict[str, float], dict[str, DayTally], datetime]:
    """The previous behaviour points decayed to ``now`` (with the half-life they were stored with),
    without the rules the model no longer has, and today's tallies."""
    if previous is None:
        return {}, {}, now
    factor = _decay_factor(previous.at, now, previous.half_life)
    kept = model.behaviour_ids(name)  # a rule removed from the model, or moved, stops counting
    behaviour = {}
    for rule, points in previous.behaviour.items():
        decayed = round(points * factor, _STORED_PLACES) if factor != 1.0 else points
        if abs(decayed) >= _NEGLIGIBLE and rule in kept:
            behaviour[rule] = decayed
    day = now.date()
    today = {rule: tally for rule, tally in previous.today.items() if tally.day == day and rule in behaviour}
    # An event processed out of order never decays points backwards, nor moves `at` back.
    return behaviour, today, max(previous.at, now)


def _add(rule: BehaviourRule, behaviour: dict[str, float], today: dict[str, DayTally], now: datetime) -> None:
    """Add the rule's points within its caps: ``cap_per_day`` bounds what it adds per UTC day,
    ``cap`` what it holds (both on the magnitude: a negative rule goes no lower than -cap)."""
    current = behaviour.get(rule.id, 0.0)
    sign = 1.0 if rule.points > 0 else -1.0
    wanted = abs(rule.points)
    day = now.date()
    tally = today.get(rule.id)
    used = tally.points if tally is not None and tally.day == day else 0.0
    if rule.cap_per_day is not None:
        wanted = min(wanted, max(0.0, rule.cap_per_day - used))
    held = sign * current + wanted
    if rule.cap is not None:
        held = min(held, rule.cap)
    added = max(0.0, held - sign * current)
    behaviour[rule.id] = round(sign * held, _STORED_PLACES)
    if rule.cap_per_day is not None:
        today[rule.id] = DayTally(day, round(used + added, _STORED_PLACES))


def _crossings(name: str, spec: ScoreSpec, previous: ScoreState | None, state: ScoreState) -> list[Crossing]:
    """Thresholds between the value last stored and the new one: ``up`` when it reaches a threshold
    from below, ``down`` when it falls under it."""
    before = previous.value(previous.at) if previous is not None else 0.0
    after = state.value(state.at)
    crossed = []
    for threshold, level in spec.thresholds.items():
        if before < level <= after:
            crossed.append(Crossing(name, threshold, "up", after))
        elif after < level <= before:
            crossed.append(Crossing(name, threshold, "down", after))
    return crossed


def _decay_factor(since: datetime, now: datetime, half_life: float) -> float:
    elapsed = (now - since).total_seconds()
    return 0.5 ** (elapsed / half_life) if elapsed > 0 else 1.0


def _round(value: float) -> float:
    return round(value, 2) + 0.0  # + 0.0: -0.0 reads as 0.0


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    return now.astimezone(UTC)


# ---------------------------------------------------------------- reading an item back


def _state_from_item(where: str, data: Any) -> ScoreState:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    today = {}
    for rule, tally in _mapping(f"{where}.today", data.get("today")).items():
        if not isinstance(tally, Mapping):
            raise ValueError(f"{where}.today.{rule}: expected a mapping with day and points")
        at = f"{where}.today.{rule}"
        today[str(rule)] = DayTally(_date(f"{at}.day", tally.get("day")), _number(f"{at}.points", tally.get("points")))
    half_life = _number(f"{where}.half_life", data.get("half_life"))
    if half_life <= 0:
        raise ValueError(f"{where}.half_life: must be positive")
    return ScoreState(
        at=_instant(f"{where}.at", data.get("at")),
        half_life=half_life,
        fit=_points(f"{where}.fit", data.get("fit")),
        behaviour=_points(f"{where}.behaviour", data.get("behaviour")),
        today=today,
    )


def _mapping(where: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    return value


def _points(where: str, value: Any) -> dict[str, float]:
    return {str(rule): _number(f"{where}.{rule}", points) for rule, points in _mapping(where, value).items()}


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{where}: expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{where}: expected a finite number")
    return number


def _instant(where: str, value: Any) -> datetime:
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ValueError(f"{where}: expected an ISO 8601 instant with its offset")
    return instant.astimezone(UTC)


def _date(where: str, value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: expected an ISO 8601 date")

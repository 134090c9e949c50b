"""A scoring model: one YAML file (``nurture/scoring/model.yaml``), validated by these models (pure).

The format is documented in docs/scoring.md ("Scores"). Fit rules read the contact's profile view
(``profile.*``) and are re-evaluated on every event; behaviour rules fire on an event (``event.*``,
``profile.*``) and their points decay with their score's half-life. Conditions are the journeys'
(`nurture.journeys.conditions`), so a marketer learns one language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nurture.journeys.conditions import Condition
from nurture.journeys.definition import EVENT_TYPES, parse_duration
from nurture.yaml_files import describe_error, yaml_mapping

MODEL_FILE = Path(__file__).resolve().parent / "model.yaml"
NAME = r"^[a-z][a-z0-9_]{0,31}$"
Name = Annotated[str, Field(pattern=NAME)]
# Points and caps a marketer writes by hand: bounded so that a typo (5000 for 50) is refused.
Points = Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)]
Cap = Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreSpec(_Model):
    """One score: how fast its behaviour points fade, and the named values whose crossing is an event."""

    half_life: str = Field(description="e.g. '30d': a behaviour point is worth half after this long")
    thresholds: dict[Name, Points] = Field(default_factory=dict, description="name → value, e.g. sales_ready: 70")
    notify: tuple[Name, ...] = Field(
        default=(), description="thresholds whose upward crossing publishes a score alert (docs/scoring.md)"
    )

    @field_validator("half_life")
    @classmethod
    def _valid_half_life(cls, value: str) -> str:
        parse_duration(value)
        return value.strip()

    @property
    def half_life_seconds(self) -> float:
        return parse_duration(self.half_life).total_seconds()

    @model_validator(mode="after")
    def _notify_names_thresholds(self) -> Self:
        unknown = [name for name in self.notify if name not in self.thresholds]
        if unknown:
            raise ValueError(f"notify: {unknown[0]!r} is not one of the thresholds ({', '.join(self.thresholds)})")
        return self


class _Rule(_Model):
    ROOTS: ClassVar[tuple[str, ...]] = ("event.", "profile.")
    ROOTS_HINT: ClassVar[str] = "a scoring rule reads event.* and profile.* only"

    id: Name
    score: Name
    when: tuple[Condition, ...] = ()
    points: Points

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a rule that gives 0 points is no rule: remove it")
        return value

    @field_validator("when")
    @classmethod
    def _scoring_roots(cls, conditions: tuple[Condition, ...]) -> tuple[Condition, ...]:
        for condition in conditions:
            if not condition.field.startswith(cls.ROOTS):
                raise ValueError(f"{condition.field}: {cls.ROOTS_HINT}")
            if condition.operator == "becomes":
                raise ValueError("'becomes' needs the profile before the event: scoring sees only the profile after it")
        return conditions


class FitRule(_Rule):
    """Points while the profile matches (``profile.*`` only): never decayed, never capped."""

    ROOTS: ClassVar[tuple[str, ...]] = ("profile.",)
    ROOTS_HINT: ClassVar[str] = "a fit rule reads the profile (profile.*); a rule on an event is a behaviour rule"

    when: tuple[Condition, ...] = Field(min_length=1)


class BehaviourRule(_Rule):
    """Points each time one of its events happens (and its conditions hold), decayed with the score's
    half-life. Caps bound the magnitude: for a negative rule, how far below 0 it may go."""

    event: str | tuple[str, ...]
    cap_per_day: Cap | None = Field(default=None, description="Points this rule may add per UTC day")
    cap: Cap | None = Field(default=None, description="This rule's decayed points never exceed it")

    @field_validator("event")
    @classmethod
    def _known_events(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        for name in (value,) if isinstance(value, str) else value:
            if name not in EVENT_TYPES:
                raise ValueError(f"{name!r} is not an event type (one of {', '.join(EVENT_TYPES)})")
        if not isinstance(value, str) and not value:
            raise ValueError("name at least one event type")
        return value

    @property
    def events(self) -> tuple[str, ...]:
        return (self.event,) if isinstance(self.event, str) else self.event


@dataclass(frozen=True, slots=True)
class ModelIndex:
    """A model's rules arranged as each event looks them up."""

    fit_by_score: Mapping[str, tuple[FitRule, ...]]
    behaviour_by_event: Mapping[str, tuple[BehaviourRule, ...]]
    rules: Mapping[str, FitRule | BehaviourRule]
    half_lives: Mapping[str, float]
    fit_ids: Mapping[str, frozenset[str]]
    behaviour_ids: Mapping[str, frozenset[str]]


class ScoringModel(_Model):
    scores: dict[Name, ScoreSpec] = Field(min_length=1)
    fit: tuple[FitRule, ...] = ()
    behaviour: tuple[BehaviourRule, ...] = ()

    @model_validator(mode="after")
    def _rules_refer_to_scores(self) -> Self:
        seen: set[str] = set()
        for kind, rules in (("fit", self.fit), ("behaviour", self.behaviour)):
            for index, rule in enumerate(rules):
                where = f"{kind}.{index} ({rule.id})"
                if rule.id in seen:
                    raise ValueError(f"{where}.id: {rule.id!r} is used twice (rule ids are unique across the model)")
                seen.add(rule.id)
                if rule.score not in self.scores:
                    known = ", ".join(self.scores)
                    raise ValueError(f"{where}.score: {rule.score!r} is not one of the scores ({known})")
        return self

    def model_post_init(self, context: Any, /) -> None:
        _ = self.index  # built with the model, not on its first event

    # Looked up on every event: built once per model. A cached property is a plain attribute once
    # built; pydantic's private attributes are read through its __getattr__, about 1 us a read.
    @cached_property
    def index(self) -> ModelIndex:
        by_event: dict[str, list[BehaviourRule]] = {}
        for rule in self.behaviour:
            for event_type in rule.events:
                by_event.setdefault(event_type, []).append(rule)
        return ModelIndex(
            fit_by_score={name: tuple(r for r in self.fit if r.score == name) for name in self.scores},
            behaviour_by_event={event_type: tuple(rules) for event_type, rules in by_event.items()},
            rules={**{rule.id: rule for rule in self.fit}, **{rule.id: rule for rule in self.behaviour}},
            half_lives={name: spec.half_life_seconds for name, spec in self.scores.items()},
            fit_ids={name: frozenset(r.id for r in self.fit if r.score == name) for name in self.scores},
            behaviour_ids={name: frozenset(r.id for r in self.behaviour if r.score == name) for name in self.scores},
        )

    def fit_rules(self, score: str) -> tuple[FitRule, ...]:
        return self.index.fit_by_score.get(score, ())

    def behaviour_rules(self, event_type: str) -> tuple[BehaviourRule, ...]:
        return self.index.behaviour_by_event.get(event_type, ())

    def rule(self, rule_id: str) -> FitRule | BehaviourRule | None:
        return self.index.rules.get(rule_id)

    def fit_ids(self, score: str) -> frozenset[str]:
        return self.index.fit_ids.get(score, frozenset())

    def behaviour_ids(self, score: str) -> frozenset[str]:
        return self.index.behaviour_ids.get(score, frozenset())

    def half_life_seconds(self, score: str) -> float:
        return self.index.half_lives[score]


class ScoringModelError(ValueError):
    """A scoring model file is not valid: the message names the file, the field and why."""


def load_model(text: str, *, source: str) -> ScoringModel:
    """Parse and validate a scoring model (YAML). Raises ScoringModelError naming ``source``."""
    document = yaml_mapping(
        text, source=source, what="a scoring model is a mapping (scores, fit, behaviour)", error=ScoringModelError
    )
    try:
        return ScoringModel.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            describe_error(error, document, ("fit", "behaviour")) for error in exc.errors(include_url=False)
        )
        raise ScoringModelError(f"{source}: {problems}") from None


@cache
def default_model() -> ScoringModel:
    """The model shipped in the layer, loaded on first use and kept for the process."""
    return load_model(MODEL_FILE.read_text(encoding="utf-8"), source=MODEL_FILE.name)

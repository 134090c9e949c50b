"""A segment definition: one YAML file in ``nurture/segments/`` (its id is the file's name),
validated by these models when loaded (pure). docs/scoring.md describes the format.

    id: cart_abandoners
    name: Updated a cart in the last 3 days, no order since
    when:
      - field: profile.email_consent          # a journeys Condition on profile.* (scores, tier too)
        equals: subscribed
      - event: cart.updated                   # an event-window condition
        at_least: 1
        within: 3d
      - event: [order.placed, order.paid]
        none_within: 3d
      - field: profile.engagement.last_engaged_at  # a date-age condition
        older_than: 180d

Every condition must hold. Loading turns the validated file into a `Segment`: plain frozen
dataclasses with the windows parsed and the event types in sets, so that evaluation
(`nurture.segments.evaluate`, run for every event) reads no pydantic model but the journeys'
`Condition`s it hands to `holds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from nurture.journeys.conditions import Condition
from nurture.journeys.definition import EVENT_TYPES, parse_duration
from nurture.yaml_files import yaml_mapping

SEGMENTS_DIR = Path(__file__).resolve().parent
SEGMENT_ID = r"^[a-z][a-z0-9_]{0,39}$"
WindowKind = Literal["at_least", "at_most", "none_within"]


class SegmentDefinitionError(ValueError):
    """A segment file is not valid: the message names the file, the field and why."""


# ---------------------------------------------------------------- the file, as pydantic validates it


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _only_fields_under(root: str, conditions: Iterable[Condition], where: str) -> None:
    for condition in conditions:
        if not condition.field.startswith(root + "."):
            raise ValueError(f"{where} reads {root}.* fields only (got {condition.field!r})")
        if condition.becomes is not None:
            raise ValueError("'becomes' compares a contact before and after an event: segments have no before")


class EventWindowSpec(_Model):
    """How many of the contact's events of these types (and matching ``where``) fall in a window
    ending now: ``at_least: N`` / ``at_most: N`` with ``within``, or ``none_within``."""

    event: str | tuple[str, ...] = Field(description="One event type or a list (nurture.events)")
    where: tuple[Condition, ...] = Field(default=(), description="Conditions on the event (event.* fields)")
    at_least: int | None = Field(default=None, ge=1)
    at_most: int | None = Field(default=None, ge=0)
    within: str | None = Field(default=None, description="The window for at_least / at_most, e.g. '7d'")
    none_within: str | None = Field(default=None, description="No such event in this window, e.g. '30d'")

    @field_validator("within", "none_within")
    @classmethod
    def _is_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("where")
    @classmethod
    def _reads_the_event(cls, value: tuple[Condition, ...]) -> tuple[Condition, ...]:
        _only_fields_under("event", value, "'where'")
        return value

    @field_validator("event")
    @classmethod
    def _names_known_events(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        if not value:
            raise ValueError("names at least one event type")
        unknown = [name for name in ((value,) if isinstance(value, str) else value) if name not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event type {unknown[0]!r} (known: {', '.join(EVENT_TYPES)})")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [name for name in ("at_least", "at_most", "none_within") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an event condition needs exactly one of at_least, at_most, none_within (got {len(given)})"
            )
        if given[0] == "none_within" and self.within is not None:
            raise ValueError("none_within is its own window: no 'within' with it")
        if given[0] != "none_within" and self.within is None:
            raise ValueError(f"{given[0]} needs a window: 'within' (e.g. '7d')")
        return self


class ProfileCondition(Condition):
    """A journeys Condition restricted to ``profile.*`` (scores and tier are profile fields)."""

    @model_validator(mode="after")
    def _reads_the_profile(self) -> Self:
        _only_fields_under("profile", (self,), "a segment condition")
        return self


class DateAgeSpec(_Model):
    """A date on the profile at least ``older_than`` before now (``profile.engagement.last_engaged_at``
    older than ``180d``); a missing date never holds. Unlike a profile condition it comes to hold
    by time alone, so evaluation says when."""

    field: str = Field(pattern=r"^profile(\.[A-Za-z0-9_]+)+$", description="A profile.* date or instant")
    older_than: str = Field(description="A duration, e.g. '180d'")

    @field_validator("older_than")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value


def _condition_kind(value: Any) -> str:
    # An entry naming an event is a window, one with older_than an age; anything else is read as a
    # profile condition, so an error names the fields of the kind the author meant.
    if isinstance(value, Mapping):
        return "event" if "event" in value else "age" if "older_than" in value else "profile"
    if isinstance(value, EventWindowSpec):
        return "event"
    if isinstance(value, DateAgeSpec):
        return "age"
    return "profile"


SegmentConditionSpec = Annotated[
    Annotated[ProfileCondition, Tag("profile")]
    | Annotated[EventWindowSpec, Tag("event")]
    | Annotated[DateAgeSpec, Tag("age")],
    Discriminator(_condition_kind),
]


class SegmentSpec(_Model):
    id: str = Field(pattern=SEGMENT_ID, description="The file's name; names the segment in events and indexes")
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    when: tuple[SegmentConditionSpec, ...] = Field(description="Conditions that must all hold (at least one)")

    @field_validator("when")
    @classmethod
    def _not_empty(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        # Here rather than min_length, which pydantic also reports when an item is merely invalid.
        if not value:
            raise ValueError("a segment needs at least one condition")
        return value


# ---------------------------------------------------------------- what evaluation reads


@dataclass(frozen=True, slots=True)
class EventWindow:
    """An event-window condition, ready to evaluate: ``kind`` at_least (``count`` or more
    matching events in the window), at_most (``count`` or fewer) or none_within (count 0)."""

    types: frozenset[str]
    where: tuple[Condition, ...]
    kind: WindowKind
    count: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class DateAge:
    """A date-age condition, ready to evaluate: the date's path in the view and the age it must reach."""

    field: str
    age: timedelta


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    name: str
    description: str
    profile: tuple[Condition, ...]
    windows: tuple[EventWindow, ...]
    ages: tuple[DateAge, ...] = ()


def _window(spec: EventWindowSpec) -> EventWindow:
    types = frozenset((spec.event,) if isinstance(spec.event, str) else spec.event)
    if spec.none_within is not None:
        return EventWindow(types, spec.where, "none_within", 0, parse_duration(spec.none_within))
    assert spec.within is not None  # checked by the model
    if spec.at_least is not None:
        return EventWindow(types, spec.where, "at_least", spec.at_least, parse_duration(spec.within))
    assert spec.at_most is not None
    return EventWindow(types, spec.where, "at_most", spec.at_most, parse_duration(spec.within))


def segment_from_spec(spec: SegmentSpec) -> Segment:
    return Segment(
        id=spec.id,
        name=spec.name,
        description=spec.description,
        profile=tuple(condition for condition in spec.when if isinstance(condition, Condition)),
        windows=tuple(_window(condition) for condition in spec.when if isinstance(condition, EventWindowSpec)),
        ages=tuple(
            DateAge(condition.field, parse_duration(condition.older_than))
            for condition in spec.when
            if isinstance(condition, DateAgeSpec)
        ),
    )


# ---------------------------------------------------------------- loading


def load_segment(text: str, *, source: str, expected_id: str | None = None) -> Segment:
    """Parse and validate one segment file (YAML). Raises SegmentDefinitionError naming ``source``."""
    document = yaml_mapping(
        text, source=source, what="a segment is a mapping (id, name, description, when)", error=SegmentDefinitionError
    )
    try:
        spec = SegmentSpec.model_validate(document)
    except ValidationError as exc:
        raise SegmentDefinitionError(f"{source}: {_problems(exc)}") from None
    if expected_id is not None and spec.id != expected_id:
        raise SegmentDefinitionError(f"{source}: id {spec.id!r} must match the file name {expected_id!r}")
    return segment_from_spec(spec)


def _problems(exc: ValidationError) -> str:
    """``when.1.within: Value error, …``: the field's path as the author wrote it (the union's tag,
    which pydantic puts in the path, is not a key of the file)."""
    problems = []
    for error in exc.errors(include_url=False):
        path = [str(part) for part in error["loc"]]
        if len(path) >= 3 and path[0] == "when" and path[2] in ("profile", "event", "age"):
            del path[2]
        problems.append(f"{'.'.join(path) or '(top)'}: {error['msg']}")
    return "; ".join(problems)


def load_segments(directory: Path = SEGMENTS_DIR) -> Mapping[str, Segment]:
    """Every ``<id>.yaml`` in the directory, by id (sorted). None is fine (no segment); a missing
    directory is not. Raises SegmentDefinitionError for the first invalid file."""
    if not directory.is_dir():
        raise SegmentDefinitionError(f"{directory}: no such directory of segments")
    segments = {}
    for path in sorted(directory.glob("*.yaml")):
        segment = load_segment(path.read_text(encoding="utf-8"), source=path.name, expected_id=path.stem)
        segments[segment.id] = segment
    return segments


@cache
def default_segments() -> Mapping[str, Segment]:
    """The segments shipped in the layer, loaded on first use and kept for the process."""
    return load_segments()


# ---------------------------------------------------------------- what the wiring must keep


@dataclass(frozen=True, slots=True)
class EventHistory:
    """The events evaluation needs of a contact: every event of ``types`` that occurred less than
    ``window`` ago (older ones, and other types, never change an answer)."""

    types: frozenset[str]
    window: timedelta | None


def event_history(segments: Iterable[Segment]) -> EventHistory:
    windows = [window for segment in segments for window in segment.windows]
    return EventHistory(
        types=frozenset(event_type for window in windows for event_type in window.types),
        window=max((window.window for window in windows), default=None),
    )

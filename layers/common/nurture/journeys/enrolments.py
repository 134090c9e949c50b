"""Enrolments: one contact's run through one journey, for one key (pure; docs/journeys.md, "Records").

The enrolment id is the Step Functions execution name, so it is deterministic: a redelivered
trigger starts the same name again (``ExecutionAlreadyExists``), never a second execution.

    <journey>-<contact_id>-<occurrence>              key: contact
    <journey>-<contact_id>-<key hash>-<occurrence>   key: an event path (one per checkout)

The key hash is the first 12 hex digits of SHA-256 of the key's value. Journey ids never hold a
``-``, so with the contact id known an id splits back into journey, key hash and occurrence: that
is how an enrolment is read by id with one GetItem (`parse_enrolment_id`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from nurture.journeys.conditions import lookup
from nurture.journeys.views import journey_event_view

if TYPE_CHECKING:
    from nurture.events import CanonicalEvent
    from nurture.journeys.definition import Journey

EnrolmentStatus = Literal["running", "completed", "exited"]
CONTACT_KEY = "contact"  # the sort key's key part when the journey is keyed on the contact
KEY_HASH_LENGTH = 12
MAX_ID_LENGTH = 80  # Step Functions' limit on an execution name
_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


class Missing(Enum):
    """The event lacks the path a journey is keyed on: the journey is skipped for it."""

    KEY = "missing"


@dataclass(frozen=True, slots=True)
class Enrolment:
    journey: str
    contact_id: str
    occurrence: int
    key: str | None  # the key's value; None when the journey is keyed on the contact
    trigger_event_id: str
    started_at: datetime
    status: EnrolmentStatus = "running"
    reason: str | None = None
    ended_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    await_token: str | None = None
    await_event: str | None = None
    await_until: datetime | None = None

    @property
    def key_hash(self) -> str | None:
        return None if self.key is None else key_hash(self.key)

    @property
    def enrolment_id(self) -> str:
        return enrolment_id(self.journey, self.contact_id, self.key, self.occurrence)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def triggered_at(self) -> datetime | None:
        """When the trigger happened at the store (its ``occurred_at``, kept in ``data``)."""
        value = self.data.get("occurred_at")
        if not isinstance(value, str):
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None

    def execution_input(self) -> dict[str, Any]:
        """The execution's input (docs/journeys.md, "The router")."""
        return {
            "journey": self.journey,
            "contact_id": self.contact_id,
            "enrolment": {"id": self.enrolment_id, "key": self.key, "occurrence": self.occurrence},
            "steps": {},
        }


def state_machine_arn(prefix: str, journey: str) -> str:
    """``<prefix><journey>``: the prefix is ``arn:…:stateMachine:<stack>-journey-``."""
    return prefix + journey


def execution_arn(prefix: str, journey: str, name: str) -> str:
    """The state machine's ARN with ``:stateMachine:`` → ``:execution:``, then ``:<name>``."""
    return f"{state_machine_arn(prefix, journey).replace(':stateMachine:', ':execution:', 1)}:{name}"


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:KEY_HASH_LENGTH]


def enrolment_id(journey: str, contact_id: str, key_value: str | None, occurrence: int) -> str:
    if occurrence < 1:
        raise ValueError("occurrences count from 1")
    parts = [journey, contact_id] if key_value is None else [journey, contact_id, key_hash(key_value)]
    name = "-".join([*parts, str(occurrence)])
    if not _ID.fullmatch(name):
        raise ValueError(f"an enrolment id is at most {MAX_ID_LENGTH} characters of [A-Za-z0-9_-]")
    return name


def parse_enrolment_id(value: str, contact_id: str) -> tuple[str, str | None, int]:
    """``(journey, key hash or None, occurrence)`` of an enrolment id of this contact."""
    journey, _, rest = value.partition("-")
    tail = rest.removeprefix(contact_id + "-") if rest.startswith(contact_id + "-") else None
    parts = tail.split("-") if tail else []
    if not journey or len(parts) not in (1, 2) or not parts[-1].isdigit():
        raise ValueError("not an enrolment id of this contact")
    hashed = parts[0] if len(parts) == 2 else None
    if hashed is not None and not re.fullmatch(rf"[0-9a-f]{{{KEY_HASH_LENGTH}}}", hashed):
        raise ValueError("not an enrolment id of this contact")
    return journey, hashed, int(parts[-1])


def key_value(journey: Journey, event: CanonicalEvent) -> str | Missing | None:
    """The value of the journey's key in this event: None for ``contact``, the value at the event
    path as text, or `Missing.KEY` when the event lacks it (the journey is skipped)."""
    if journey.key == CONTACT_KEY:
        return None
    return path_text(journey_event_view(event), journey.key.removeprefix("event."))


def path_text(view: dict[str, Any], path: str) -> str | Missing:
    return text_of(lookup(view, path))


def text_of(value: Any) -> str | Missing:
    """A scalar as the key it makes (``true`` / ``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float) and value != "":
        return str(value)
    return Missing.KEY  # absent, null, empty, or not a scalar


def trigger_data(event: CanonicalEvent) -> dict[str, Any]:
    """What an enrolment keeps of its trigger for the messages: the event as JSON without its contact,
    with its ``facts`` (an order's: `nurture.journeys.views.journey_event_view`), so a wait can read
    ``enrolment.data.facts.replenish.due_at``."""
    data = journey_event_view(event)
    data.pop("contact", None)
    return data

"""A journey definition: one YAML file in ``nurture/catalogue/``, validated by these models (pure).

The format is documented for marketers and developers in docs/journeys.md; `journey_json_schema`
publishes it as JSON Schema (``docs/journey.schema.json``) for editors. Everything here is data:
the compiler (`nurture.journeys.compiler`) turns a `Journey` into a state machine, the router
(`nurture.journeys.router`) reads its trigger, key, entry filters, exits and re-entry, and the
journey step function reads its steps.

A step is a mapping with exactly one key naming its kind (``send``, ``wait``, ``wait_for``,
``branch``, ``split``, ``update``, ``exit``); steps that branch hold lists of steps, and the flow
goes on with the step after the branching one once an arm's steps are done (unless the arm exits).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from email.utils import parseaddr
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nurture.events import DerivedEventType, EventType
from nurture.journeys.conditions import Condition
from nurture.yaml_files import yaml_mapping

JOURNEY_ID = r"^[a-z][a-z0-9_]{0,23}$"  # state machine and execution names: see docs/journeys.md
STEP_ID = r"^[a-z][a-z0-9_]{0,31}$"
LIST_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_SENDER_ADDRESS = re.compile(r"[^@\s<>,;]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DURATION = re.compile(r"^(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_UNITS = (("weeks", 1), ("days", 2), ("hours", 3), ("minutes", 4))

# Engagement with the message a `wait_for` follows (SES events, through the engagement function).
ENGAGEMENT_EVENTS = ("email.delivered", "email.opened", "email.clicked")
# Events a trigger, an exit or a `wait_for` may name: every canonical event type (nurture.events),
# those from stores and those Nurture derives.
EventName = Literal[EventType, DerivedEventType]
EVENT_TYPES: tuple[str, ...] = (*get_args(EventType), *get_args(DerivedEventType))


def parse_duration(text: str) -> timedelta:
    """``"90m"``, ``"1h"``, ``"2d"``, ``"1w 2d"`` → a timedelta (at least a minute, at most a year:
    Step Functions' limit on an execution)."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration such as '90m', '1h', '2d' or '1w 2d'")
    delta = timedelta(**{unit: int(match.group(group) or 0) for unit, group in _UNITS})
    if delta < timedelta(minutes=1) or delta > timedelta(days=365):
        raise ValueError(f"{text!r} must be between 1 minute and 365 days")
    return delta


def _duration(value: Any) -> str:
    parse_duration(value)
    return str(value).strip()


Duration = Annotated[str, Field(description="e.g. '90m', '1h', '2d', '1w 2d'")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- trigger, exits, re-entry


class Trigger(Model):
    """The event that enrols a contact, and conditions on it (``event.*``, ``profile.*``, ``before.*``)."""

    event: EventName | tuple[EventName, ...]
    when: tuple[Condition, ...] = ()

    @property
    def events(self) -> tuple[str, ...]:
        return (self.event,) if isinstance(self.event, str) else tuple(self.event)


class ExitRule(Model):
    """An event that ends a running enrolment at once (the router stops its execution).

    ``same_key`` names the path in the exiting event whose value must equal the enrolment's key (an
    order for *this* checkout: ``event.order.checkout_token``); without it any such event of the
    contact exits."""

    event: EventName | tuple[EventName, ...]
    when: tuple[Condition, ...] = ()
    same_key: str | None = Field(default=None, pattern=r"^event(\.[A-Za-z0-9_]+)+$")
    reason: str | None = Field(default=None, pattern=STEP_ID)

    @property
    def events(self) -> tuple[str, ...]:
        return (self.event,) if isinstance(self.event, str) else tuple(self.event)


class ReentryAfter(Model):
    after: Duration

    _check = field_validator("after")(classmethod(lambda cls, v: _duration(v)))


Reentry = Literal["never", "always"] | ReentryAfter


# ---------------------------------------------------------------- steps


class StepBase(Model):
    id: str = Field(pattern=STEP_ID, description="Unique in the journey; names claims, results and states")
    name: str | None = Field(default=None, max_length=60, description="The state's name (default: derived)")


POOL_ID = r"^[a-z][a-z0-9_]{0,39}$"  # a code pool (nurture/config/pools.yaml, docs/offers.md)
TEMPLATE_SET = r"^[a-z0-9_]+/[a-z0-9_]+$"
VIEW_PATH = r"^(profile|enrolment|steps)(\.[A-Za-z0-9_]+)+$"
RecommendationSource = Literal["co_purchase", "complements", "best_sellers"]


class OfferSpec(Model):
    """A single-use discount code from a pool, or the no-discount variant (docs/offers.md)."""

    pool: str = Field(pattern=POOL_ID, description="The code pool (nurture/config/pools.yaml)")
    when: tuple[Condition, ...] = Field(
        default=(), description="Conditions for a discount at all (e.g. the cart's total); default: always"
    )
    products: str | None = Field(
        default=None,
        pattern=VIEW_PATH,
        description="Line items the discount is for (enrolment.data.checkout.line_items): none when the contact"
        " just bought every one of them",
    )


class RecommendSpec(Model):
    """Products to show: co-purchases, configured complements, category best-sellers (docs/offers.md)."""

    sources: tuple[RecommendationSource, ...] = Field(
        default=("co_purchase", "complements", "best_sellers"), min_length=1, description="In order of preference"
    )
    seed: Literal["bought", "viewed", "cart", "enrolment"] = Field(
        default="bought",
        description="What the recommendations start from: the products bought, viewed lately, in an open cart,"
        " or carried by the trigger event",
    )
    count: int = Field(default=3, ge=1, le=6)
    skip_when_empty: bool = Field(
        default=False, description="No recommendation: skip the send (reason no_recommendations)"
    )

    @field_validator("sources")
    @classmethod
    def _each_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a source is listed twice")
        return value


class VariantSpec(Model):
    """Another version of a send for contacts matching ``when`` (the first that holds is used)."""

    when: tuple[Condition, ...] = Field(min_length=1)
    template: str | None = Field(default=None, pattern=TEMPLATE_SET, description="Default: the step's template")
    topic: str | None = Field(default=None, pattern=LIST_NAME, description="Default: the step's topic")
    offer: OfferSpec | None = Field(default=None, description="Default: the step's offer")
    completes: bool = Field(default=False, description="The journey completes once this variant is sent")


class SendSpec(StepBase):
    channel: Literal["email", "sms", "email_or_sms"] = Field(
        default="email",
        description="email; sms (to the profile's phone); email_or_sms: email when the contact consented to"
        " email, else SMS when to SMS only (decided at send time)",
    )
    template: str | None = Field(
        default=None,
        pattern=TEMPLATE_SET,
        description="Template set under nurture/templates/<email|sms>/ (default: <journey>/<step id>)",
    )
    transactional: bool = Field(
        default=False,
        description="Not marketing (a double opt-in confirmation): exempt from marketing consent, caps and quiet hours",
    )
    topic: str | None = Field(
        default=None,
        pattern=LIST_NAME,
        description="The marketing topic (newsletter, offers…): a contact unsubscribed from it is skipped",
    )
    send_at: time | None = Field(default=None, description="Local time of day the email goes, e.g. '10:00'")
    weekdays: tuple[Weekday, ...] = Field(default=(), description="Days it may go (default: any): [mon, tue, …]")
    on_cap: Literal["skip", "defer", "send"] = Field(
        default="defer",
        description="Over the frequency caps: skip the email, defer it until the cap frees, or send it anyway",
    )
    variants: tuple[VariantSpec, ...] = Field(
        default=(), description="Other versions by conditions on the contact, read when the send goes (no state)"
    )
    offer: OfferSpec | None = Field(default=None, description="A discount code from a pool (docs/offers.md)")
    recommend: RecommendSpec | None = Field(default=None, description="Products to recommend (docs/offers.md)")
    places: bool = Field(
        default=False,
        description="The configured places near the contact, nearest first, for the template (the geolocation journey)",
    )

    @model_validator(mode="after")
    def _timing_is_marketing(self) -> Self:
        if self.transactional and (self.send_at is not None or self.weekdays or self.topic is not None):
            raise ValueError("a transactional email goes at once: no send_at, weekdays or topic")
        personal = self.variants or self.offer is not None or self.recommend is not None or self.places
        if self.transactional and personal:
            raise ValueError("a transactional email is the same for everyone: no variants, offer, recommend or places")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays are listed twice")
        return self


class WaitSpec(Model):
    """Wait a duration, or until a local time of day (after the duration, if both), or until a date
    of the profile or of the trigger event (``until: profile.birthday``)."""

    id: str | None = Field(default=None, pattern=STEP_ID)
    name: str | None = Field(default=None, max_length=60)
    duration: Duration | None = None
    at: time | None = Field(default=None, description="Local time of day in the contact's zone, e.g. '10:00'")
    until: str | None = Field(default=None, pattern=r"^(profile|enrolment)(\.[A-Za-z0-9_]+)+$")

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _says_how_long(self) -> Self:
        if self.duration is None and self.at is None and self.until is None:
            raise ValueError("a wait needs a duration, a local time of day ('at') or a date ('until')")
        if self.until is not None and self.duration is not None:
            raise ValueError("give 'until' or 'duration', not both")
        return self


class WaitForSpec(StepBase):
    """Wait for an event: engagement with the message sent just before (``email.opened``, …) or any
    event of the contact; ``on_event`` runs when it comes, ``on_timeout`` when it does not."""

    event: EventName
    timeout: Duration
    on_event: tuple[Step, ...] = ()
    on_timeout: tuple[Step, ...] = ()

    _check = field_validator("timeout")(classmethod(lambda cls, v: _duration(v)))


class BranchArm(Model):
    when: tuple[Condition, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = ()


class BranchSpec(StepBase):
    """The first arm whose conditions all hold runs; otherwise ``default``. Conditions read
    ``profile.*`` (as it is when the branch runs), ``enrolment.*`` and ``steps.<id>.*``."""

    arms: tuple[BranchArm, ...] = Field(min_length=1)
    default: tuple[Step, ...] = ()


class SplitArm(Model):
    percent: int = Field(ge=0, le=100)
    label: str = Field(pattern=STEP_ID)
    steps: tuple[Step, ...] = ()


class SplitSpec(StepBase):
    """Percentages of contacts per arm (A/B tests, holdouts): ``by: contact`` gives a contact the
    same arm every time (a hash of the contact id and the step); ``random`` draws per enrolment."""

    by: Literal["contact", "random"] = "contact"
    arms: tuple[SplitArm, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if sum(arm.percent for arm in self.arms) != 100:
            raise ValueError("the arms' percentages must add up to 100")
        labels = [arm.label for arm in self.arms]
        if len(set(labels)) != len(labels):
            raise ValueError("arm labels must be unique")
        return self


class ListAction(Model):
    """Add the contact to or remove it from a list or a tag (list membership is on the profile)."""

    add_to_list: str | None = Field(default=None, pattern=LIST_NAME)
    remove_from_list: str | None = Field(default=None, pattern=LIST_NAME)
    add_tag: str | None = Field(default=None, pattern=LIST_NAME)
    remove_tag: str | None = Field(default=None, pattern=LIST_NAME)

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if not self.changes_something():
            raise ValueError(f"an update needs {self._ACTIONS}")
        return self

    _ACTIONS = "add_to_list, remove_from_list, add_tag or remove_tag"

    def changes_something(self) -> bool:
        return any((self.add_to_list, self.remove_from_list, self.add_tag, self.remove_tag))


class UpdateSpec(ListAction):
    id: str = Field(pattern=STEP_ID)
    name: str | None = Field(default=None, max_length=60)
    email_consent: Literal["unsubscribed"] | None = Field(
        default=None,
        description="unsubscribed: the contact is unsubscribed from marketing email (a consent.changed event,"
        " proof method 'journey'; the sunset journey)",
    )

    _ACTIONS = "add_to_list, remove_from_list, add_tag, remove_tag or email_consent"

    def changes_something(self) -> bool:
        return super().changes_something() or self.email_consent is not None


class ExitSpec(Model):
    reason: str = Field(pattern=STEP_ID)
    name: str | None = Field(default=None, max_length=60)


class SendStep(Model):
    send: SendSpec


class WaitStep(Model):
    wait: WaitSpec


class WaitForStep(Model):
    wait_for: WaitForSpec


class BranchStep(Model):
    branch: BranchSpec


class SplitStep(Model):
    split: SplitSpec


class UpdateStep(Model):
    update: UpdateSpec


class ExitStep(Model):
    exit: ExitSpec


Step = SendStep | WaitStep | WaitForStep | BranchStep | SplitStep | UpdateStep | ExitStep


# ---------------------------------------------------------------- the journey


class Journey(Model):
    id: str = Field(pattern=JOURNEY_ID, description="The file's name; names the state machine and executions")
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    trigger: Trigger
    key: str = Field(
        default="contact",
        pattern=r"^(contact|event(\.[A-Za-z0-9_]+)+)$",
        description="'contact' (one enrolment per contact) or the event path naming one (event.checkout.token)",
    )
    entry: tuple[Condition, ...] = Field(default=(), description="Checked when the trigger fires")
    exit: tuple[ExitRule, ...] = ()
    reentry: Reentry = "never"
    marketing: bool = Field(default=True, description="Ends when the contact unsubscribes from marketing email")
    sender: str | None = Field(
        default=None,
        max_length=320,
        description="From of this journey's emails, e.g. 'Acme Deals <deals@acme.example>' (default: the "
        "deployment's SenderAddress); an SES-verified identity at SenderAddress's domain",
    )
    steps: tuple[Step, ...] = Field(min_length=1)
    on_completion: tuple[ListAction, ...] = ()

    @field_validator("sender")
    @classmethod
    def _sender_is_one_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name, address = parseaddr(value)
        if "\r" in value or "\n" in value or not _SENDER_ADDRESS.fullmatch(address):
            raise ValueError("must be one email address, optionally with a name: 'Acme Deals <deals@acme.example>'")
        return f"{name} <{address}>" if name else address

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        seen: set[str] = set()
        for step in walk_steps(self.steps):
            step_id = step_id_of(step)
            if step_id is None:
                continue
            if step_id in seen:
                raise ValueError(f"step id {step_id!r} is used twice")
            seen.add(step_id)
        # A journey does something for the contact: sends it a message, or files it on a list or a
        # tag (sales_handoff: the list is what the sales team works from).
        if not any(isinstance(step, SendStep | UpdateStep) for step in walk_steps(self.steps)):
            raise ValueError("a journey needs at least one send or update step")
        _check_wait_for_follows_send(self.steps, previous=None)
        return self


def walk_steps(steps: tuple[Step, ...]) -> list[Step]:
    """Every step, depth first, arms included."""
    found: list[Step] = []
    for step in steps:
        found.append(step)
        for arm in arms_of(step):
            found.extend(walk_steps(arm))
    return found


def arms_of(step: Step) -> list[tuple[Step, ...]]:
    if isinstance(step, WaitForStep):
        return [step.wait_for.on_event, step.wait_for.on_timeout]
    if isinstance(step, BranchStep):
        return [*(arm.steps for arm in step.branch.arms), step.branch.default]
    if isinstance(step, SplitStep):
        return [arm.steps for arm in step.split.arms]
    return []


def step_id_of(step: Step) -> str | None:
    spec = next(iter(step.__dict__.values()))
    return getattr(spec, "id", None)


def _check_wait_for_follows_send(steps: tuple[Step, ...], previous: Step | None) -> None:
    for step in steps:
        if isinstance(step, WaitForStep) and step.wait_for.event in ENGAGEMENT_EVENTS:
            if not isinstance(previous, SendStep):
                raise ValueError(
                    f"wait_for {step.wait_for.id!r}: {step.wait_for.event} is engagement with a message, so it"
                    " must come right after a send step"
                )
            # SMS has no opens or clicks. An email_or_sms send may wait: for an SMS the wait times out.
            if previous.send.channel == "sms":
                raise ValueError(
                    f"wait_for {step.wait_for.id!r}: {step.wait_for.event} follows send {previous.send.id!r},"
                    " an SMS: SMS has no delivery, open or click events to wait for"
                )
        for arm in arms_of(step):
            _check_wait_for_follows_send(arm, previous=None)
        previous = step


for _model in (WaitForSpec, BranchArm, BranchSpec, SplitArm, SplitSpec, Journey):
    _model.model_rebuild()


class JourneyDefinitionError(ValueError):
    """A definition file is not a valid journey: the message names the file, the field and why."""


def load_journey(text: str, *, source: str, expected_id: str | None = None) -> Journey:
    """Parse and validate one definition (YAML). Raises JourneyDefinitionError naming ``source``."""
    document = yaml_mapping(
        text,
        source=source,
        what="a journey definition is a mapping (id, name, trigger, steps, …)",
        error=JourneyDefinitionError,
    )
    try:
        journey = Journey.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise JourneyDefinitionError(f"{source}: {problems}") from None
    if expected_id is not None and journey.id != expected_id:
        raise JourneyDefinitionError(f"{source}: id {journey.id!r} must match the file name {expected_id!r}")
    return journey


def journey_json_schema() -> dict[str, Any]:
    """The JSON Schema of a definition file, for editors (docs/journey.schema.json)."""
    schema = Journey.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Nurture journey definition"
    return schema

"""The journey step function's work (pure: every read and write goes through the ports below).

One Lambda function runs every task of every journey (docs/journeys.md, "Tasks"). Its input is the
task's Payload, validated here (`StepRequest`; a bad one is `InvalidStepRequest`, never retried);
its output is `StepOutput` (``status``, ``reason``, ``message_id``, ``next_at``, ``arm``: always
every key, a ResultSelector needs them). The actions:

- ``send``: the enrolment must be running (else `EnrolmentEnded`); the message goes through the
  sender (`nurture.messaging.sending`: delivery rules, claim, SES or SNS), with the task token on
  the claim when the send waits for engagement. An email step skipped for no consent, no contact,
  no address or a suppressed one: the enrolment is recorded ``exited`` with that reason and
  `EnrolmentEnded` raised (an SMS or ``email_or_sms`` step's skip never ends it: a later step may
  still reach the contact by the other channel);
- ``update``: the enrolment must be running; lists and tags added to or removed from the profile;
- ``branch``: a branch's arms evaluated in order (`nurture.journeys.conditions`, on the views
  ``profile``, ``enrolment``, ``steps``) → ``arm_1`` … ``arm_n`` or ``default``; a split → the
  label of the arm its percentages give this contact (``by: contact``: a hash of the contact id and
  step id, the same arm every time) or this enrolment (``random``: a hash of the enrolment id and
  step id, a fresh draw per enrolment that a retried task draws again identically);
- ``plan``: nothing but ``next_at``;
- ``complete``: ``on_completion`` applied and the enrolment recorded ``completed``;
- ``exit``: the enrolment recorded ``exited`` with the step's reason;
- ``await``: the task token stored on the enrolment, for the router to resume.

``next_wait`` on any action → ``next_at`` (`nurture.journeys.timing.next_wake_up`, in the contact's
zone); ``completes: true`` → ``complete`` after the action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import Message
from nurture.errors import NurtureError
from nurture.events import CanonicalEvent, ChannelConsent, ConsentChanged, ConsentProof, derive_event_id
from nurture.journeys.conditions import all_hold
from nurture.journeys.definition import (
    ENGAGEMENT_EVENTS,
    EVENT_TYPES,
    JOURNEY_ID,
    STEP_ID,
    BranchStep,
    Journey,
    ListAction,
    SendStep,
    SplitStep,
    Step,
    UpdateStep,
    step_id_of,
    walk_steps,
)
from nurture.journeys.enrolments import Enrolment, key_hash, parse_enrolment_id
from nurture.journeys.errors import EnrolmentEnded, SendDeferred
from nurture.journeys.timing import next_wake_up, rfc3339
from nurture.journeys.wake_up import NextWait, plan_wake_up
from nurture.messaging import delivery
from nurture.messaging.claims import AwaitedEngagement, SendKey
from nurture.messaging.personal import Personalisation
from nurture.messaging.sending import EventLog, SendRequest, SendResult
from nurture.offers.personalise import Personaliser, choose_variant, needs_decision, variant_of

RUNNING = "running"
COMPLETED = "completed"
EXITED = "exited"
NO_ENROLMENT = "no_enrolment"  # the reason when no enrolment record exists
# Skips of an email step that end the enrolment: nothing later in the journey could reach this
# contact either. An SMS skip never does (docs/sms.md): the journey may still email the contact.
_ENDING_SKIPS = frozenset(
    {
        delivery.NO_CONSENT,
        delivery.NO_CONTACT,
        delivery.NO_EMAIL_ADDRESS,
        delivery.INVALID_EMAIL_ADDRESS,
        delivery.SUPPRESSED,
    }
)
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"


class InvalidStepRequest(NurtureError):
    """The task's Payload is not what docs/journeys.md says (never retried: the state machine and
    the function disagree). The message names the fields, never their values."""


# ---------------------------------------------------------------- the Payload


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class EnrolmentRef(_Model):
    """``$.enrolment`` of the execution input."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,80}$")
    key: str | None = None  # the key's value; None when the journey is keyed on the contact
    occurrence: int = Field(ge=1, le=999_999)


class AwaitEvent(_Model):
    event: str
    timeout_seconds: int = Field(ge=1)

    @model_validator(mode="after")
    def _known_event(self) -> Self:
        if self.event not in EVENT_TYPES:
            raise ValueError(f"event must be one of {', '.join(EVENT_TYPES)}")
        return self


Action = Literal["send", "update", "branch", "plan", "complete", "exit", "await"]


class StepRequest(_Model):
    action: Action
    journey: str = Field(pattern=JOURNEY_ID)
    step: str = Field(pattern=STEP_ID)
    contact_id: str = Field(pattern=_NAME)
    enrolment: EnrolmentRef
    execution: str | None = None  # $$.Execution.Id: who holds a send claim
    attempt: int | None = Field(default=None, ge=0)  # $$.State.RetryCount
    task_token: str | None = Field(default=None, min_length=1)
    await_: AwaitEvent | None = Field(default=None, alias="await")
    next_wait: NextWait | None = None
    completes: bool = False
    steps: dict[str, Any] | None = None  # $.steps, for a branch whose conditions read steps.<id>.*
    reason: str | None = Field(default=None, pattern=STEP_ID)  # an exit step's reason

    @model_validator(mode="after")
    def _action_has_what_it_needs(self) -> Self:
        if self.action == "await" and (self.task_token is None or self.await_ is None):
            raise ValueError("an await task needs task_token and await")
        if self.await_ is not None and self.task_token is None:
            raise ValueError("await needs task_token ($$.Task.Token)")
        if self.action == "send" and self.await_ is not None and self.await_.event not in ENGAGEMENT_EVENTS:
            raise ValueError(f"a send awaits engagement with its message: one of {', '.join(ENGAGEMENT_EVENTS)}")
        if self.action == "exit" and self.reason is None:
            raise ValueError("an exit task needs reason")
        # The record is read by the id alone: an id naming another enrolment must not pass.
        try:
            parsed = parse_enrolment_id(self.enrolment.id, self.contact_id)
        except ValueError:
            parsed = None
        key = self.enrolment.key
        if parsed != (self.journey, None if key is None else key_hash(key), self.enrolment.occurrence):
            raise ValueError("enrolment.id is not this journey's enrolment of this contact, key and occurrence")
        return self

    @classmethod
    def from_event(cls, event: Any) -> StepRequest:
        if not isinstance(event, Mapping):
            raise InvalidStepRequest("the task input must be an object (docs/journeys.md, Tasks)")
        try:
            return cls.model_validate(event)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise InvalidStepRequest(problems) from None


@dataclass(frozen=True, slots=True)
class StepOutput:
    status: Literal["sent", "skipped", "unknown", "done"]
    reason: str | None = None
    message_id: str | None = None
    next_at: str | None = None
    arm: str | None = None
    channel: str | None = None  # a send: "email" or "sms", the channel it went (or was tried) by

    def as_output(self) -> dict[str, str | None]:
        return {
            "status": self.status,
            "reason": self.reason,
            "message_id": self.message_id,
            "next_at": self.next_at,
            "arm": self.arm,
            "channel": self.channel,
        }


# ---------------------------------------------------------------- where the enrolment is recorded


class JourneyState(Protocol):
    """The enrolment record as the step function needs it, by contact and enrolment id
    (`nurture.adapters.dynamodb_enrolments.EnrolmentRepository`, the router's store too).
    Every mark is conditional on ``running``: False when the enrolment was no longer running."""

    def get(self, contact_id: str, enrolment_id: str) -> Enrolment | None: ...

    def mark_completed(self, contact_id: str, enrolment_id: str, *, at: datetime) -> bool: ...

    def mark_exited(self, contact_id: str, enrolment_id: str, *, reason: str, at: datetime) -> bool: ...

    def store_await(self, contact_id: str, enrolment_id: str, *, token: str, event: str, until: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class ListChanges:
    """Lists and tags to add to / remove from a profile (a name both added and removed: removed)."""

    add_lists: frozenset[str] = frozenset()
    remove_lists: frozenset[str] = frozenset()
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()

    @classmethod
    def of(cls, actions: tuple[ListAction, ...] | list[ListAction]) -> ListChanges:
        def names(attribute: str) -> frozenset[str]:
            return frozenset(str(getattr(a, attribute)) for a in actions if getattr(a, attribute) is not None)

        remove_lists, remove_tags = names("remove_from_list"), names("remove_tag")
        return cls(names("add_to_list") - remove_lists, remove_lists, names("add_tag") - remove_tags, remove_tags)

    def __bool__(self) -> bool:
        return bool(self.add_lists or self.remove_lists or self.add_tags or self.remove_tags)


class ProfileLists(Protocol):
    def apply(self, contact_id: str, changes: ListChanges) -> bool:
        """False when there is no such profile."""
        ...


class ProfileViews(Protocol):
    def view(self, contact_id: str, *, now: datetime | None = None) -> Mapping[str, Any] | None:
        """The contact as conditions see it (``profile.*``), None when there is no such profile."""
        ...


class MessageSending(Protocol):
    def send(self, request: SendRequest) -> SendResult: ...


class EventSink(Protocol):
    """The events queue (`nurture.adapters.sqs_events`): ProcessFunction applies what is sent."""

    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


def consent_withdrawn(journey: str, step: str, contact_id: str, enrolment_id: str, at: datetime) -> ConsentChanged:
    """The ``consent.changed`` an update step with ``email_consent: unsubscribed`` reports (the sunset
    journey): email marketing consent withdrawn by the journey, proof method ``journey``. Its id
    comes from the enrolment and step, so a retried task sends the same event, applied once."""
    resource = f"enrolment/{enrolment_id}/{step}"
    return ConsentChanged(
        event_id=derive_event_id("nurture", "journey", "consent.changed", resource, None),
        source="nurture",
        store="journey",
        source_topic=f"journey/{journey}",
        occurred_at=at,
        contact_id=contact_id,
        email=ChannelConsent(state="unsubscribed", changed_at=at),
        proof=ConsentProof(method="journey"),
    )


# ---------------------------------------------------------------- the actions


def split_bucket(*parts: str) -> int:
    """0 … 99, stable for the same parts."""
    digest = hashlib.sha256("#".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def find_step(journey: Journey, step_id: str) -> Step | None:
    return next((step for step in walk_steps(journey.steps) if step_id_of(step) == step_id), None)


@dataclass(frozen=True)
class JourneySteps:
    catalogue: Mapping[str, Journey]
    enrolments: JourneyState
    sender: MessageSending
    lists: ProfileLists
    profiles: ProfileViews
    log: EventLog
    clock: Callable[[], datetime]
    policy: DeliveryPolicy = DEFAULT_POLICY
    personaliser: Personaliser | None = None  # None: offers and recommendations are left out
    events: EventSink | None = None  # the events queue: an update step's consent change goes there

    def run(self, request: StepRequest) -> StepOutput:
        journey = self.catalogue.get(request.journey)
        if journey is None:
            raise InvalidStepRequest(f"journey: {request.journey!r} is not in the catalogue")
        actions: dict[str, Callable[[Journey, StepRequest], StepOutput]] = {
            "send": self._send,
            "update": self._update,
            "branch": self._branch,
            "plan": lambda *_: StepOutput("done"),
            "complete": self._complete,
            "exit": self._exit,
            "await": self._await,
        }
        output = actions[request.action](journey, request)
        if request.completes and request.action not in ("complete", "exit"):
            self._complete(journey, request)
        if request.next_wait is not None:
            output = replace(output, next_at=rfc3339(self._next_at(request, request.next_wait)))
        return output

    # -- actions

    def _send(self, journey: Journey, request: StepRequest) -> StepOutput:
        enrolment = self._running(request)
        step = find_step(journey, request.step)
        if not isinstance(step, SendStep):
            raise InvalidStepRequest(f"step: {request.step!r} is not a send step of {journey.id}")
        spec = step.send
        key = SendKey(request.contact_id, journey.id, request.step, request.enrolment.id)
        views: dict[str, Any] | None = None
        variant = 0
        if spec.variants:
            stored = self.personaliser.store.get(key) if self.personaliser is not None else None
            views = self._views(request, enrolment)
            variant = stored.variant if stored is not None else choose_variant(spec, views)
        chosen = variant_of(spec, variant)
        template = (chosen.template if chosen is not None else None) or spec.template
        message = message_of(step, topic=chosen.topic if chosen is not None else None)
        personalise = None
        if needs_decision(spec) and self.personaliser is not None:
            personaliser, decided_views = self.personaliser, views
            now = self.clock()

            def personalise() -> Personalisation:
                seen = decided_views if decided_views is not None else self._views(request, enrolment)
                return personaliser.decide(key, spec, variant, seen, now)

        awaited = None
        if request.await_ is not None and request.task_token is not None:
            until = self.clock() + timedelta(seconds=request.await_.timeout_seconds)
            awaited = AwaitedEngagement(request.task_token, request.await_.event, until)
        result = self.sender.send(
            SendRequest(
                contact_id=request.contact_id,
                journey=journey.id,
                step=request.step,
                enrolment=request.enrolment.id,
                execution=request.execution or request.enrolment.id,
                attempt=request.attempt,
                awaited=awaited,
                data=enrolment.data,
                template=template,
                message=message,
                personalise=personalise,
            )
        )
        if result.status == "deferred":
            assert result.until is not None
            # Not a failure: the state machine waits until then and runs this task again.
            raise SendDeferred(rfc3339(result.until), result.reason or "")
        if result.status == "skipped" and result.reason in _ENDING_SKIPS and message.channel == "email":
            self._end(request, result.reason)
        status: Literal["sent", "skipped", "unknown"] = (
            "sent" if result.status == "sent" else "unknown" if result.status == "unknown" else "skipped"
        )
        if chosen is not None and chosen.completes:
            # The variant is the journey's last word (the nurtures' "offer, then stop"), sent or skipped.
            self._complete(journey, request)
            raise EnrolmentEnded(COMPLETED)
        return StepOutput(status, result.reason, result.message_id, channel=result.channel)

    def _update(self, journey: Journey, request: StepRequest) -> StepOutput:
        self._running(request)
        step = find_step(journey, request.step)
        if not isinstance(step, UpdateStep):
            raise InvalidStepRequest(f"step: {request.step!r} is not an update step of {journey.id}")
        changes = ListChanges.of([step.update])
        if changes and not self.lists.apply(request.contact_id, changes):
            self._end(request, delivery.NO_CONTACT)
        if step.update.email_consent is not None:
            if self.events is None:
                raise InvalidStepRequest(f"step: {request.step!r} changes consent, and no events queue is configured")
            self.events.send(
                [consent_withdrawn(journey.id, request.step, request.contact_id, request.enrolment.id, self.clock())]
            )
        self.log.info("profile updated", contact_id=request.contact_id, journey=journey.id, step=request.step)
        return StepOutput("done")

    def _branch(self, journey: Journey, request: StepRequest) -> StepOutput:
        step = find_step(journey, request.step)
        if isinstance(step, SplitStep):
            spec = step.split
            seed = request.contact_id if spec.by == "contact" else request.enrolment.id
            bucket = split_bucket(seed, request.step)
            total = 0
            for arm in spec.arms:
                total += arm.percent
                if bucket < total:
                    return StepOutput("done", arm=arm.label)
            return StepOutput("done", arm=spec.arms[-1].label)
        if not isinstance(step, BranchStep):
            raise InvalidStepRequest(f"step: {request.step!r} is not a branch or split of {journey.id}")
        view = self._views(request)
        for index, branch_arm in enumerate(step.branch.arms, start=1):
            if all_hold(branch_arm.when, view):
                return StepOutput("done", arm=f"arm_{index}")
        return StepOutput("done", arm="default")

    def _complete(self, journey: Journey, request: StepRequest) -> StepOutput:
        enrolment = self._read(request)
        if enrolment is None or enrolment.status == EXITED:
            raise EnrolmentEnded(self._ended_reason(enrolment))
        changes = ListChanges.of(list(journey.on_completion))
        if changes:
            self.lists.apply(request.contact_id, changes)  # ADD / DELETE: the same again on a retry
        if not self.enrolments.mark_completed(request.contact_id, request.enrolment.id, at=self.clock()):
            enrolment = self._read(request)
            if enrolment is None or enrolment.status != COMPLETED:  # exited meanwhile; completed: our own retry
                raise EnrolmentEnded(self._ended_reason(enrolment))
        self.log.info("enrolment completed", contact_id=request.contact_id, journey=journey.id)
        return StepOutput("done")

    def _exit(self, journey: Journey, request: StepRequest) -> StepOutput:
        assert request.reason is not None  # StepRequest checked it
        recorded = self.enrolments.mark_exited(
            request.contact_id, request.enrolment.id, reason=request.reason, at=self.clock()
        )
        self.log.info("enrolment exited", contact_id=request.contact_id, journey=journey.id, recorded=recorded)
        return StepOutput("done", request.reason)

    def _await(self, journey: Journey, request: StepRequest) -> StepOutput:
        assert request.await_ is not None and request.task_token is not None  # StepRequest checked them
        until = self.clock() + timedelta(seconds=request.await_.timeout_seconds)
        if not self.enrolments.store_await(
            request.contact_id, request.enrolment.id, token=request.task_token, event=request.await_.event, until=until
        ):
            raise EnrolmentEnded(self._ended_reason(self._read(request)))
        return StepOutput("done")

    # -- helpers

    def _read(self, request: StepRequest) -> Enrolment | None:
        return self.enrolments.get(request.contact_id, request.enrolment.id)

    def _running(self, request: StepRequest) -> Enrolment:
        enrolment = self._read(request)
        if enrolment is None or enrolment.status != RUNNING:
            raise EnrolmentEnded(self._ended_reason(enrolment))
        return enrolment

    @staticmethod
    def _ended_reason(enrolment: Enrolment | None) -> str:
        if enrolment is None:
            return NO_ENROLMENT
        return enrolment.reason or enrolment.status

    def _end(self, request: StepRequest, reason: str) -> None:
        self.enrolments.mark_exited(request.contact_id, request.enrolment.id, reason=reason, at=self.clock())
        self.log.info("enrolment exited", contact_id=request.contact_id, journey=request.journey, reason=reason)
        raise EnrolmentEnded(reason)

    def _views(self, request: StepRequest, stored: Enrolment | None = None) -> dict[str, Any]:
        stored = stored if stored is not None else self._read(request)
        enrolment = request.enrolment
        return {
            "profile": dict(self.profiles.view(request.contact_id, now=self.clock()) or {}),
            "enrolment": {
                "id": enrolment.id,
                "key": enrolment.key,
                "occurrence": enrolment.occurrence,
                "data": dict(stored.data) if stored is not None else {},
            },
            "steps": dict(request.steps or {}),
        }

    def _next_at(self, request: StepRequest, wait: NextWait) -> datetime:
        now = self.clock()
        if wait.at is None and wait.until is None and wait.send is None:
            return next_wake_up(now, seconds=wait.seconds)  # no zone needed: no read
        views = self._views(request) if wait.until else {"profile": self.profiles.view(request.contact_id, now=now)}
        then_send = journey_step(self.catalogue, request.journey, wait.send)
        wake_up = plan_wake_up(
            wait,
            views,
            now,
            then_send=then_send if isinstance(then_send, SendStep) else None,
            policy=self.policy,
        )
        if wake_up is None:
            self.log.warning("wait until a missing date: not waiting", journey=request.journey, step=request.step)
            return now
        return wake_up


def journey_step(catalogue: Mapping[str, Journey], journey_id: str, step_id: str | None) -> Step | None:
    journey = catalogue.get(journey_id)
    return None if journey is None or step_id is None else find_step(journey, step_id)


def message_of(step: SendStep, *, topic: str | None = None) -> Message:
    """What the delivery rules read of a send step (``topic``: a variant's, instead of the step's)."""
    spec = step.send
    return Message(
        channel=spec.channel,
        transactional=spec.transactional,
        topic=topic or spec.topic,
        send_at=spec.send_at,
        weekdays=spec.weekdays,
        on_cap=spec.on_cap,
    )

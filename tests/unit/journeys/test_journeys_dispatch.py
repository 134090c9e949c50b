"""EventDispatcher with in-memory stores: the order of the I/O the contract asks for (the enrolment
is written before its execution starts; an exit is marked before its execution stops)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from nurture.adapters.stepfunctions import JourneyStart
from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.dispatch import EventDispatcher
from nurture.journeys.enrolments import Enrolment
from nurture.profiles.model import ApplyResult, ConsentRecord, Profile
from tests.unit.profiles.profile_events import STORE, T0, at, consent, order, placed

CONTACT_ID = "c1"
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-journey-"


def profile(state: str) -> Profile:
    record = ConsentRecord(state=state, changed_at=T0, source="shopify", store=STORE, event_id="e")  # type: ignore[arg-type]
    return Profile(
        contact_id=CONTACT_ID, created_at=T0, updated_at=T0, source="shopify", store=STORE, email_consent=record
    )


class World:
    """Profiles, enrolments and executions in memory, recording every call in order."""

    def __init__(self, before: Profile | None, after: Profile, enrolments: list[Enrolment] | None = None) -> None:
        self.before, self.after = before, after
        self.enrolments = {e.enrolment_id: e for e in enrolments or []}
        self.calls: list[tuple[str, str]] = []

    # profiles
    def apply(self, event: Any, *, triggered: Any = None, assess: Any = None) -> ApplyResult:
        from nurture.profiles.planning import ProfileChange

        journeys = triggered(ProfileChange(before=self.before, after=self.after)) if triggered else ()
        return ApplyResult("applied", CONTACT_ID, triggered=journeys, before=self.before, after=self.after)

    # enrolments
    def latest(self, contact_id: str, journey: str, key_hash: str | None) -> Enrolment | None:
        found = [e for e in self.enrolments.values() if e.journey == journey and e.key_hash == key_hash]
        return max(found, key=lambda e: e.occurrence, default=None)

    def running(self, contact_id: str) -> list[Enrolment]:
        return [e for e in self.enrolments.values() if e.running]

    def create(self, enrolment: Enrolment) -> bool:
        self.calls.append(("create", enrolment.enrolment_id))
        return self.enrolments.setdefault(enrolment.enrolment_id, enrolment) is enrolment

    def mark_exited(self, contact_id: str, enrolment_id: str, *, reason: str, at: Any) -> bool:
        self.calls.append(("mark_exited", enrolment_id))
        self.enrolments[enrolment_id] = replace(self.enrolments[enrolment_id], status="exited", reason=reason)
        return True

    # executions
    def start(self, state_machine_arn: str, name: str, input: Mapping[str, Any]) -> JourneyStart:
        self.calls.append(("start", state_machine_arn + "/" + name))
        return JourneyStart("started", name)

    def stop(self, execution_arn: str, *, error: str = "JourneyExited", cause: str) -> Any:
        self.calls.append(("stop", execution_arn))
        return "stopped"

    def resume(self, token: str, output: Mapping[str, Any]) -> Any:
        self.calls.append(("resume", token))
        return "resumed"

    # log
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        assert "ada@example.com" not in repr(kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        pass


def dispatcher(world: World) -> EventDispatcher:
    return EventDispatcher(world, world, world, default_catalogue(), PREFIX, lambda: at(50), world)


def test_a_start_writes_the_enrolment_before_starting_its_execution() -> None:
    world = World(before=None, after=profile("subscribed"))

    assert dispatcher(world).process(consent("subscribed", at(1))) == "applied"

    # each start in turn (a lead: the acquisition nurture beside the welcome series), each written first
    assert world.calls == [
        ("create", f"acquisition_nurture-{CONTACT_ID}-1"),
        ("start", f"{PREFIX}acquisition_nurture/acquisition_nurture-{CONTACT_ID}-1"),
        ("create", f"welcome-{CONTACT_ID}-1"),
        ("start", f"{PREFIX}welcome/welcome-{CONTACT_ID}-1"),
    ]


def test_a_journey_switched_off_in_the_deployment_is_never_started() -> None:
    world = World(before=None, after=profile("subscribed"))
    switched_off = replace(dispatcher(world), disabled=frozenset({"acquisition_nurture"}))

    switched_off.process(consent("subscribed", at(1)))

    assert world.calls == [
        ("create", f"welcome-{CONTACT_ID}-1"),
        ("start", f"{PREFIX}welcome/welcome-{CONTACT_ID}-1"),
    ]


def test_an_exit_marks_the_enrolment_before_stopping_its_execution_and_a_resume_follows() -> None:
    checkout_run = Enrolment(
        journey="abandoned_checkout",
        contact_id=CONTACT_ID,
        occurrence=1,
        key="tok",
        trigger_event_id="e0",
        started_at=T0,
    )
    waiting = Enrolment(
        journey="welcome",
        contact_id=CONTACT_ID,
        occurrence=1,
        key=None,
        trigger_event_id="e1",
        started_at=T0,
        await_token="token-1",
        await_event="order.placed",
    )
    world = World(before=profile("subscribed"), after=profile("subscribed"), enrolments=[checkout_run, waiting])

    dispatcher(world).process(placed(order(checkout_token="tok"), at(2)))

    execution = PREFIX.replace(":stateMachine:", ":execution:") + f"abandoned_checkout:{checkout_run.enrolment_id}"
    assert world.calls == [
        ("mark_exited", checkout_run.enrolment_id),
        ("stop", execution),
        ("resume", "token-1"),
    ]

"""The journey step function's actions (pure, with in-memory ports)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.definition import load_journey
from nurture.journeys.enrolments import Enrolment, EnrolmentStatus, key_hash
from nurture.journeys.errors import EnrolmentEnded
from nurture.journeys.tasks import (
    InvalidStepRequest,
    JourneySteps,
    ListChanges,
    StepRequest,
    split_bucket,
)
from nurture.messaging.sending import SendRequest, SendResult
from tests.unit.messaging.fake_log import FakeLog

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

BRANCHING = load_journey(
    """
id: vip
name: VIP
trigger: {event: order.placed}
steps:
  - branch:
      id: big_spender
      arms:
        - when: [{field: profile.orders.count, gte: 5}]
          steps: [{send: {id: vip_thanks}}]
        - when: [{field: enrolment.data.order.total, gt: 100}]
          steps: [{send: {id: big_order}}]
        - when: [{field: steps.earlier.status, equals: sent}]
  - split:
      id: ab
      by: contact
      arms:
        - {percent: 50, label: a}
        - {percent: 50, label: b}
  - split:
      id: holdout
      by: random
      arms:
        - {percent: 10, label: holdout}
        - {percent: 90, label: treated}
""",
    source="test",
)


@dataclass
class Enrolments:
    """`JourneyState` in memory, keyed like the table: contact id and enrolment id."""

    states: dict[tuple[str, str], Enrolment] = field(default_factory=dict)
    awaits: list[tuple[str, str]] = field(default_factory=list)

    def get(self, contact_id: str, enrolment_id: str) -> Enrolment | None:
        return self.states.get((contact_id, enrolment_id))

    def _move(self, contact_id: str, enrolment_id: str, status: EnrolmentStatus, reason: str | None = None) -> bool:
        enrolment = self.get(contact_id, enrolment_id)
        if enrolment is None or not enrolment.running:
            return False
        self.states[contact_id, enrolment_id] = dataclasses.replace(enrolment, status=status, reason=reason)
        return True

    def mark_completed(self, contact_id: str, enrolment_id: str, *, at: datetime) -> bool:
        return self._move(contact_id, enrolment_id, "completed")

    def mark_exited(self, contact_id: str, enrolment_id: str, *, reason: str, at: datetime) -> bool:
        return self._move(contact_id, enrolment_id, "exited", reason)

    def store_await(self, contact_id: str, enrolment_id: str, *, token: str, event: str, until: datetime) -> bool:
        enrolment = self.get(contact_id, enrolment_id)
        if enrolment is None or not enrolment.running:
            return False
        self.awaits.append((token, event))
        return True


@dataclass
class Sender:
    result: SendResult = field(default_factory=lambda: SendResult("sent", None, "ses-1", channel="email"))
    sent: list[SendRequest] = field(default_factory=list)

    def send(self, request: SendRequest) -> SendResult:
        self.sent.append(request)
        return self.result


@dataclass
class Lists:
    changes: list[ListChanges] = field(default_factory=list)
    exists: bool = True

    def apply(self, contact_id: str, changes: ListChanges) -> bool:
        self.changes.append(changes)
        return self.exists


@dataclass
class Profiles:
    profile: dict[str, Any] | None = field(default_factory=lambda: {"orders": {"count": 1}, "time_zone": None})

    def view(self, contact_id: str, *, now: Any = None) -> Mapping[str, Any] | None:
        return self.profile


def world(
    status: EnrolmentStatus | None = "running", data: dict[str, Any] | None = None, journey: str = "win_back"
) -> Any:
    catalogue = {**default_catalogue(), "vip": BRANCHING}
    enrolments = Enrolments()
    address = ("c-ada", f"{journey}-c-ada-1")
    if status is not None:
        enrolments.states[address] = Enrolment(
            journey,
            "c-ada",
            1,
            None,
            trigger_event_id="event-1",
            started_at=T0,
            status=status,
            reason=None if status == "running" else "ordered",
            data=data or {},
        )
    steps = JourneySteps(catalogue, enrolments, Sender(), Lists(), Profiles(), FakeLog(), clock=lambda: T0)
    return steps, address


def request(action: str, step: str, journey: str = "win_back", **more: Any) -> StepRequest:
    return StepRequest.from_event(
        {
            "action": action,
            "journey": journey,
            "step": step,
            "contact_id": "c-ada",
            "enrolment": {"id": f"{journey}-c-ada-1", "key": None, "occurrence": 1},
            "execution": "arn:exec",
            "attempt": 0,
            **more,
        }
    )


def test_a_send_goes_through_the_sender_with_the_enrolment_and_its_data() -> None:
    steps, _ = world(data={"checkout": {"token": "t"}})
    output = steps.run(request("send", "miss_you"))
    assert output.as_output() == {
        "status": "sent",
        "reason": None,
        "message_id": "ses-1",
        "next_at": None,
        "arm": None,
        "channel": "email",
    }
    (sent,) = steps.sender.sent
    assert (sent.enrolment, sent.data, sent.awaited) == ("win_back-c-ada-1", {"checkout": {"token": "t"}}, None)


def test_a_send_that_waits_carries_its_token_and_timeout() -> None:
    steps, _ = world()
    wait = {"event": "email.clicked", "timeout_seconds": 60}
    steps.run(request("send", "miss_you", task_token="tok", **{"await": wait}))
    awaited = steps.sender.sent[0].awaited
    assert (awaited.token, awaited.event, awaited.until) == (
        "tok",
        "email.clicked",
        datetime(2026, 3, 2, 9, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("status", ["exited", "completed", None])
def test_a_send_for_an_enrolment_that_is_not_running_sends_nothing(status: EnrolmentStatus | None) -> None:
    steps, _ = world(status)
    with pytest.raises(EnrolmentEnded):
        steps.run(request("send", "miss_you"))
    assert steps.sender.sent == []


@pytest.mark.parametrize("reason", ["no_consent", "no_contact", "no_email_address"])
def test_a_contact_who_cannot_be_mailed_ends_the_enrolment(reason: str) -> None:
    steps, address = world()
    steps.sender.result = SendResult("skipped", reason)
    with pytest.raises(EnrolmentEnded, match=reason):
        steps.run(request("send", "miss_you"))
    assert steps.enrolments.states[address].status == "exited"
    assert steps.enrolments.states[address].reason == reason


@pytest.mark.parametrize("reason", ["no_consent", "no_phone_number", "invalid_phone_number", "suppressed"])
def test_an_sms_step_that_cannot_reach_the_contact_is_skipped_and_the_enrolment_goes_on(reason: str) -> None:
    # Given the SMS welcome's opt-in text, which the rules skip (the journey may still email them)
    steps, address = world(journey="sms_welcome")
    steps.sender.result = SendResult("skipped", reason)
    # When the task runs / Then it answers skipped and the enrolment is still running
    output = steps.run(request("send", "welcome", journey="sms_welcome"))
    assert (output.status, output.reason, output.channel) == ("skipped", reason, None)
    assert steps.enrolments.states[address].status == "running"
    (sent,) = steps.sender.sent
    assert sent.message.channel == "sms"


def test_an_sms_sent_answers_its_channel() -> None:
    steps, _ = world(journey="sms_welcome")
    steps.sender.result = SendResult("sent", None, "sns-1", channel="sms")
    assert steps.run(request("send", "welcome", journey="sms_welcome")).as_output()["channel"] == "sms"


def test_an_already_sent_step_is_skipped_and_the_journey_goes_on() -> None:
    steps, _ = world()
    steps.sender.result = SendResult("skipped", "already_sent", "ses-0")
    assert steps.run(request("send", "miss_you")).status == "skipped"


def test_an_update_changes_the_lists_and_a_missing_profile_ends_the_enrolment() -> None:
    steps, address = world()
    assert steps.run(request("update", "mark_lapsed")).status == "done"
    assert steps.lists.changes == [ListChanges(add_lists=frozenset({"lapsed"}))]
    steps.lists.exists = False
    with pytest.raises(EnrolmentEnded, match="no_contact"):
        steps.run(request("update", "mark_lapsed"))
    assert steps.enrolments.states[address].status == "exited"


def test_branch_arms_read_the_profile_the_enrolment_data_and_earlier_steps() -> None:
    steps, _ = world(journey="vip", data={"order": {"total": "150.00"}})
    assert steps.run(request("branch", "big_spender", journey="vip")).arm == "arm_2"
    steps.profiles.profile = {"orders": {"count": 7}}
    assert steps.run(request("branch", "big_spender", journey="vip")).arm == "arm_1"
    steps, _ = world(journey="vip")
    assert steps.run(request("branch", "big_spender", journey="vip")).arm == "default"
    earlier = {"earlier": {"status": "sent"}}
    assert steps.run(request("branch", "big_spender", journey="vip", steps=earlier)).arm == "arm_3"


def test_a_split_by_contact_is_stable_and_random_is_per_enrolment() -> None:
    steps, _ = world(journey="vip")
    arms = {steps.run(request("branch", "ab", journey="vip")).arm for _ in range(5)}
    assert arms == {"a" if split_bucket("c-ada", "ab") < 50 else "b"}
    assert steps.run(request("branch", "holdout", journey="vip")).arm in {"holdout", "treated"}
    labels = ["a" if split_bucket(f"c{n}", "ab") < 50 else "b" for n in range(1000)]
    assert 400 < labels.count("a") < 600  # about half


def test_plan_returns_the_next_wake_up_in_the_contacts_zone() -> None:
    steps, _ = world()
    steps.profiles.profile = {"time_zone": "America/New_York"}
    output = steps.run(request("plan", "miss_you", next_wait={"seconds": 3600, "at": "10:00"}))
    assert output.as_output()["next_at"] == "2026-03-02T15:00:00Z"  # 10:00 EST


def test_complete_applies_on_completion_and_a_retry_is_done_too() -> None:
    steps, address = world()
    assert steps.run(request("complete", "miss_you")).status == "done"
    assert steps.enrolments.states[address].status == "completed"
    assert steps.run(request("complete", "miss_you")).status == "done"


def test_complete_after_an_exit_ends_early_and_completes_sets_completed_after_the_action() -> None:
    steps, _ = world("exited")
    with pytest.raises(EnrolmentEnded, match="ordered"):
        steps.run(request("complete", "miss_you"))
    steps, address = world()
    steps.run(request("update", "mark_lapsed", completes=True))
    assert steps.enrolments.states[address].status == "completed"


def test_exit_and_await() -> None:
    steps, address = world()
    wait = {"event": "order.placed", "timeout_seconds": 60}
    assert steps.run(request("await", "miss_you", task_token="tok", **{"await": wait})).status == "done"
    assert steps.enrolments.awaits == [("tok", "order.placed")]
    assert steps.run(request("exit", "miss_you", reason="not_interested")).reason == "not_interested"
    assert steps.enrolments.states[address].reason == "not_interested"
    with pytest.raises(EnrolmentEnded):
        steps.run(request("await", "miss_you", task_token="tok", **{"await": wait}))


@pytest.mark.parametrize(
    ("change", "field_named"),
    [
        ({"action": "dance"}, "action"),
        ({"contact_id": ""}, "contact_id"),
        ({"enrolment": {"id": "x"}}, "enrolment.occurrence"),
        ({"journey": "../x"}, "journey"),
        ({"attempt": -1}, "attempt"),
        ({"action": "await"}, "task_token and await"),
        ({"action": "exit"}, "reason"),
        ({"await": {"event": "email.clicked", "timeout_seconds": 5}}, "task_token"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_payload_is_refused_naming_the_field(change: dict[str, Any], field_named: str) -> None:
    event = {
        "action": "send",
        "journey": "win_back",
        "step": "miss_you",
        "contact_id": "c-ada",
        "enrolment": {"id": "win_back-c-ada-1", "key": None, "occurrence": 1},
        **change,
    }
    with pytest.raises(InvalidStepRequest, match=field_named):
        StepRequest.from_event(event)
    with pytest.raises(InvalidStepRequest):
        StepRequest.from_event(None)


def plan_for(contact_id: str, journey: str, enrolment: dict[str, Any]) -> dict[str, Any]:
    return {"action": "plan", "journey": journey, "step": "welcome", "contact_id": contact_id, "enrolment": enrolment}


@pytest.mark.parametrize(
    ("contact_id", "journey", "enrolment"),
    [
        ("c1", "welcome", {"id": "welcome-c1-1", "key": None, "occurrence": 1}),
        ("c-1-x", "welcome", {"id": "welcome-c-1-x-12", "key": None, "occurrence": 12}),  # '-' in the contact id
        (
            "c1",
            "abandoned_checkout",
            {"id": f"abandoned_checkout-c1-{key_hash('tok-9')}-3", "key": "tok-9", "occurrence": 3},
        ),
    ],
)
def test_an_enrolment_id_of_this_journey_contact_key_and_occurrence_is_accepted(
    contact_id: str, journey: str, enrolment: dict[str, Any]
) -> None:
    assert StepRequest.from_event(plan_for(contact_id, journey, enrolment)).enrolment.id == enrolment["id"]


@pytest.mark.parametrize(
    "enrolment",
    [
        {"id": "win_back-c1-1", "key": None, "occurrence": 1},  # another journey
        {"id": "welcome-c2-1", "key": None, "occurrence": 1},  # another contact
        {"id": "welcome-c1-2", "key": None, "occurrence": 1},  # another occurrence
        {"id": f"welcome-c1-{key_hash('tok-9')}-1", "key": None, "occurrence": 1},  # a key the payload lacks
        {"id": f"welcome-c1-{key_hash('tok-9')}-1", "key": "tok-8", "occurrence": 1},  # another key
        {"id": "welcome-c1-1", "key": "tok-9", "occurrence": 1},  # no key hash for the key
        {"id": "e", "key": None, "occurrence": 1},
    ],
)
def test_an_enrolment_id_naming_another_enrolment_is_refused(enrolment: dict[str, Any]) -> None:
    # The record is read by the id: a mismatch would read (and mark) someone else's enrolment.
    with pytest.raises(InvalidStepRequest, match=r"enrolment\.id"):
        StepRequest.from_event(plan_for("c1", "welcome", enrolment))


@pytest.mark.parametrize(
    ("profile", "seconds", "expected"),
    [
        # 03:00 UTC is 22:00 in New York: quiet, so the wait ends at 08:00 local
        ({"time_zone": "America/New_York"}, 18 * 3600, "2026-03-03T13:00:00Z"),
        # no zone, a French address: 23:00 in Paris → 08:00 Paris (07:00 UTC)
        ({"time_zone": None, "country_code": "FR"}, 13 * 3600, "2026-03-03T07:00:00Z"),
        # allowed already: unchanged
        ({"time_zone": "America/New_York"}, 6 * 3600, "2026-03-02T15:00:00Z"),  # 10:00 in New York
    ],
)
def test_a_wait_before_a_send_ends_when_the_sends_quiet_hours_allow(
    profile: dict[str, Any], seconds: int, expected: str
) -> None:
    steps, _ = world()
    steps.profiles.profile = profile
    next_wait = {"seconds": seconds, "send": "content"}
    output = steps.run(request("plan", "welcome", journey="welcome", next_wait=next_wait))
    assert output.as_output()["next_at"] == expected

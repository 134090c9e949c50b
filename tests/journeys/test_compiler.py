"""The compiler, one step kind at a time: small definitions in, the states docs/journeys.md promises out
(and, where the shape alone says too little, the definition run on the local executor)."""

from __future__ import annotations

from typing import Any

import pytest

from nurture.errors import DependencyUnavailable
from nurture.journeys.compiler import (
    COMPLETE_STATE,
    ENDED_EARLY_STATE,
    FUNCTION_ARN,
    INVOKE,
    INVOKE_AND_WAIT,
    compile_journey,
    duration_words,
    entry_wait,
)
from nurture.journeys.definition import Journey, JourneyDefinitionError, WaitSpec, WaitStep
from nurture.journeys.errors import EnrolmentEnded, SendDeferred
from nurture.messaging.errors import AccountSendingPaused, RetryableSendError
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import LocalStepFunctions

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:JourneyStepFunction"


def journey(*steps: dict[str, Any], **fields: Any) -> Journey:
    return Journey.model_validate(
        {"id": "test", "name": "Test journey", "trigger": {"event": "contact.upserted"}, "steps": list(steps), **fields}
    )


def send(step_id: str, **fields: Any) -> dict[str, Any]:
    return {"send": {"id": step_id, **fields}}


def tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def payload(state: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = state["Parameters"]["Payload"]
    return result


# ---------------------------------------------------------------- sends and waits


def test_a_plain_wait_with_no_task_before_it_waits_seconds_and_one_after_a_send_reads_its_next_at() -> None:
    definition = compile_journey(
        journey({"wait": {"duration": "1h"}}, send("first"), {"wait": {"duration": "2d"}}, send("second"))
    )
    states = definition["States"]

    assert definition["StartAt"] == "Wait 1 hour"
    assert states["Wait 1 hour"]["Seconds"] == 3600
    assert "TimestampPath" not in states["Wait 1 hour"]
    assert states["Wait 2 days"]["TimestampPath"] == "$.steps.first.next_at"
    assert "Seconds" not in states["Wait 2 days"]
    assert payload(states["Send first"])["next_wait"] == {"seconds": 172800, "send": "second"}
    assert "next_wait" not in payload(states["Send second"])
    assert states["Send first"]["Next"] == "Wait 2 days"


def test_a_journey_that_begins_by_waiting_for_an_hour_has_its_wait_planned_by_the_router() -> None:
    definition_journey = journey({"wait": {"at": "10:00"}}, send("hello"))
    definition = compile_journey(definition_journey)
    start = definition["States"][definition["StartAt"]]

    # No plan task: the router puts the wake-up in the execution input (docs/journeys.md).
    assert start["Type"] == "Wait"
    assert start["TimestampPath"] == "$.steps.wait_1.next_at"
    assert start["Next"] == "Send hello"
    assert entry_wait(definition_journey) == ("wait_1", {"at": "10:00", "send": "hello"})
    assert entry_wait(journey({"wait": {"duration": "1h"}}, send("hello"))) is None  # Seconds: nothing to plan
    assert entry_wait(journey(send("hello"), {"wait": {"at": "10:00"}}, send("bye"))) is None


def test_a_wait_for_a_time_of_day_first_in_an_arm_gets_a_plan_task() -> None:
    definition = compile_journey(
        journey(
            send("hello"),
            {
                "branch": {
                    "id": "which",
                    "arms": [{"when": [{"field": "profile.orders.count", "gt": 0}], "steps": [send("buyer")]}],
                    "default": [{"wait": {"at": "10:00"}}, send("later")],
                }
            },
        )
    )
    plans = [state for state in tasks(definition).values() if payload(state)["action"] == "plan"]

    assert len(plans) == 1
    assert payload(plans[0])["next_wait"] == {"at": "10:00", "send": "later"}
    wait = definition["States"][plans[0]["Next"]]
    assert wait["Type"] == "Wait"
    assert wait["TimestampPath"] == f"{plans[0]['ResultPath']}.next_at"
    assert wait["Next"] == "Send later"


def test_a_wait_after_an_update_is_planned_by_the_update() -> None:
    definition = compile_journey(
        journey(
            send("hello"),
            {"update": {"id": "tag", "add_tag": "new"}},
            {"wait": {"duration": "1d", "at": "09:30"}},
            send("bye"),
        )
    )
    update = definition["States"]["Add tag new"]
    assert payload(update)["action"] == "update"
    assert payload(update)["next_wait"] == {"seconds": 86400, "at": "09:30", "send": "bye"}
    assert definition["States"]["Wait 1 day, until 09:30"]["TimestampPath"] == "$.steps.tag.next_at"
    assert not any(payload(state)["action"] == "plan" for state in tasks(definition).values())


def test_the_last_task_of_the_path_completes_and_ends_and_no_other_does() -> None:
    definition = compile_journey(journey(send("a"), {"wait": {"duration": "1d"}}, send("b")))
    completing = [name for name, state in tasks(definition).items() if payload(state).get("completes")]

    assert completing == ["Send b"]
    assert definition["States"]["Send b"]["End"] is True
    assert COMPLETE_STATE not in definition["States"]


def test_a_path_that_ends_on_a_wait_goes_to_a_complete_task() -> None:
    definition = compile_journey(journey(send("a"), {"wait": {"duration": "3d"}}))
    complete = definition["States"][COMPLETE_STATE]

    assert definition["States"]["Wait 3 days"]["Next"] == COMPLETE_STATE
    assert payload(complete)["action"] == "complete"
    assert complete["End"] is True
    assert "completes" not in payload(definition["States"]["Send a"])


def test_the_payload_is_the_contracts() -> None:
    definition = compile_journey(journey(send("welcome")))
    state = definition["States"]["Send welcome"]

    assert state["Resource"] == INVOKE
    assert state["Parameters"]["FunctionName"] == FUNCTION_ARN == "${JourneyStepFunctionArn}"
    assert payload(state) == {
        "action": "send",
        "journey": "test",
        "step": "welcome",
        "contact_id.$": "$.contact_id",
        "enrolment.$": "$.enrolment",
        "execution.$": "$$.Execution.Id",
        "attempt.$": "$$.State.RetryCount",
        "completes": True,
    }
    assert state["ResultSelector"] == {
        "status.$": "$.Payload.status",
        "reason.$": "$.Payload.reason",
        "message_id.$": "$.Payload.message_id",
        "next_at.$": "$.Payload.next_at",
        "arm.$": "$.Payload.arm",
        "channel.$": "$.Payload.channel",
    }
    assert state["ResultPath"] == "$.steps.welcome"


# ---------------------------------------------------------------- waiting for events


def engagement_journey(**fields: Any) -> Journey:
    return journey(
        send("offer"),
        {
            "wait_for": {
                "id": "offer_click",
                "event": "email.clicked",
                "timeout": "24h",
                "on_event": [{"update": {"id": "clicked", "add_tag": "engaged"}}],
                "on_timeout": [send("nudge")],
            }
        },
        **fields,
    )


def test_an_engagement_wait_fuses_into_the_send_before_it() -> None:
    definition = compile_journey(engagement_journey())
    name = "Send offer and wait up to 24 hours for a click"
    state = definition["States"][name]

    assert definition["StartAt"] == name
    assert state["Resource"] == INVOKE_AND_WAIT
    assert state["TimeoutSeconds"] == 86400
    assert payload(state)["action"] == "send"
    assert payload(state)["step"] == "offer"
    assert payload(state)["task_token.$"] == "$$.Task.Token"
    assert payload(state)["await"] == {"event": "email.clicked", "timeout_seconds": 86400}
    assert "ResultSelector" not in state  # the output is SendTaskSuccess's, not the function's
    assert state["ResultPath"] == "$.steps.offer_click"
    assert state["Next"] == "Add tag engaged"
    assert {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.steps.offer_click", "Next": "Send nudge"} in state[
        "Catch"
    ]
    # Both arms end the journey: each last task completes it.
    assert payload(definition["States"]["Add tag engaged"])["completes"] is True
    assert payload(definition["States"]["Send nudge"])["completes"] is True


def test_a_token_task_never_retries_its_engagement_timeout_but_other_tasks_retry_theirs() -> None:
    definition = compile_journey(engagement_journey())
    for state in tasks(definition).values():
        retried = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
        waits_for_token = state["Resource"] == INVOKE_AND_WAIT
        assert ("States.Timeout" in retried) is not waits_for_token


def test_a_wait_for_another_event_is_an_await_task_and_an_empty_arm_completes_the_journey() -> None:
    definition = compile_journey(
        journey(send("hello"), {"wait_for": {"id": "first_order", "event": "order.placed", "timeout": "7d"}})
    )
    state = definition["States"]["Wait up to 7 days for order.placed"]

    assert definition["States"]["Send hello"]["Resource"] == INVOKE  # not fused: not engagement
    assert definition["States"]["Send hello"]["Next"] == "Wait up to 7 days for order.placed"
    assert payload(state)["action"] == "await"
    assert payload(state)["await"] == {"event": "order.placed", "timeout_seconds": 604800}
    assert state["Resource"] == INVOKE_AND_WAIT
    assert state["Next"] == COMPLETE_STATE
    assert [catch["Next"] for catch in state["Catch"]] == [ENDED_EARLY_STATE, COMPLETE_STATE]


def test_on_the_executor_a_click_takes_on_event_and_silence_takes_on_timeout() -> None:
    definition = compile_journey(engagement_journey())
    for clicks, expected_last in ((True, "Add tag engaged"), (False, "Send nudge")):
        sfn = LocalStepFunctions(clock=VirtualClock(0))
        calls: list[dict[str, Any]] = []

        def step_function(event: dict[str, Any], context: Any, calls: list[dict[str, Any]] = calls) -> dict[str, Any]:
            calls.append(event)
            return {
                "status": "sent",
                "reason": None,
                "message_id": "m",
                "next_at": None,
                "arm": None,
                "channel": "email",
            }

        sfn.register_handler("JourneyStepFunction", step_function)
        arn = sfn.create_state_machine("test", definition, substitutions={"JourneyStepFunctionArn": FUNCTION})
        execution = sfn.start_execution(arn, {"contact_id": "c-1", "enrolment": {"id": "e"}, "steps": {}})
        if clicks:
            sfn.advance(hours=2)
            sfn.send_task_success(calls[0]["task_token"], {"outcome": "email.clicked", "at": "2026-01-01T02:00:00Z"})
        sfn.run_until_idle()

        assert execution.status == "SUCCEEDED"
        assert execution.states_entered[-1] == expected_last
        outcome = execution.output["steps"]["offer_click"]
        assert (
            outcome == {"outcome": "email.clicked", "at": "2026-01-01T02:00:00Z"}
            if clicks
            else outcome["Error"] == "States.Timeout"
        )
        assert sfn.clock.now() == (7200 if clicks else 86400)


# ---------------------------------------------------------------- branches, splits, updates, exits


def test_a_branch_is_a_task_and_a_choice_on_its_arm_and_arms_rejoin_the_next_step() -> None:
    definition = compile_journey(
        journey(
            send("hello"),
            {
                "branch": {
                    "id": "vip",
                    "arms": [{"when": [{"field": "profile.orders.count", "gte": 3}], "steps": [send("vip_offer")]}],
                    "default": [send("regular_offer")],
                }
            },
            send("bye"),
        )
    )
    states = definition["States"]
    choice = states["Evaluate vip: which arm?"]

    assert payload(states["Evaluate vip"])["action"] == "branch"
    assert states["Evaluate vip"]["Next"] == "Evaluate vip: which arm?"
    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [{"Variable": "$.steps.vip.arm", "StringEquals": "arm_1", "Next": "Send vip offer"}]
    assert choice["Default"] == "Send regular offer"
    assert states["Send vip offer"]["Next"] == states["Send regular offer"]["Next"] == "Send bye"
    assert "completes" not in payload(states["Send vip offer"])


def test_a_split_chooses_by_label_with_the_last_arm_as_default() -> None:
    definition = compile_journey(
        journey(
            {
                "split": {
                    "id": "subject_test",
                    "arms": [
                        {"percent": 50, "label": "short", "steps": [send("short_subject")]},
                        {"percent": 50, "label": "long", "steps": [send("long_subject")]},
                    ],
                }
            }
        )
    )
    choice = definition["States"]["Split subject test: which arm?"]

    assert choice["Choices"] == [
        {"Variable": "$.steps.subject_test.arm", "StringEquals": "short", "Next": "Send short subject"}
    ]
    assert choice["Default"] == "Send long subject"
    assert payload(definition["States"]["Send long subject"])["completes"] is True


def test_an_exit_records_its_reason_and_ends_without_completing() -> None:
    definition = compile_journey(journey(send("hello"), {"exit": {"reason": "not_interested"}}))
    state = definition["States"]["Exit: not interested"]

    assert payload(state)["action"] == "exit"
    assert payload(state)["reason"] == "not_interested"
    assert state["End"] is True
    assert "completes" not in payload(state)
    assert definition["States"]["Send hello"]["Next"] == "Exit: not interested"


def test_steps_after_an_exit_are_refused() -> None:
    with pytest.raises(JourneyDefinitionError, match="can never run"):
        compile_journey(journey(send("hello"), {"exit": {"reason": "done"}}, send("never")))


# ---------------------------------------------------------------- retry, catch, names, comments


def test_error_names_are_the_python_classes_names() -> None:
    definition = compile_journey(engagement_journey())
    for state in tasks(definition).values():
        retried = [error for rule in state["Retry"] for error in rule["ErrorEquals"]]
        assert {
            RetryableSendError.__name__,
            DependencyUnavailable.__name__,
            AccountSendingPaused.__name__,
        } <= set(retried)
        assert "Lambda.ServiceException" in retried
        assert state["Catch"][0] == {
            "ErrorEquals": [EnrolmentEnded.__name__],
            "ResultPath": "$.ended",
            "Next": ENDED_EARLY_STATE,
        }
    assert EnrolmentEnded.__name__ == "EnrolmentEnded"
    assert definition["States"][ENDED_EARLY_STATE]["Type"] == "Succeed"


def test_the_account_paused_retry_waits_hours_and_the_others_back_off_with_jitter() -> None:
    (state,) = tasks(compile_journey(journey(send("a")))).values()
    paused = next(rule for rule in state["Retry"] if rule["ErrorEquals"] == ["AccountSendingPaused"])
    assert (paused["IntervalSeconds"], paused["MaxAttempts"], paused["MaxDelaySeconds"]) == (3600, 12, 21600)
    assert "JitterStrategy" not in paused
    assert all(rule.get("JitterStrategy") == "FULL" for rule in state["Retry"] if rule is not paused)
    assert all(rule["Comment"] for rule in state["Retry"])


def test_names_are_derived_unique_and_at_most_80_characters() -> None:
    long_send = "Send the very long and carefully worded reminder about the cart"  # 60 characters
    long_wait = "Wait up to one entire week for the contact to click anything at"  # 60 characters
    definition = compile_journey(
        journey(
            send("a", name="Say hello"),
            {"wait": {"duration": "1w 2d"}},
            send("b", name="Say hello"),
            send("reminder", name=long_send[:60]),
            {"wait_for": {"id": "click", "name": long_wait[:60], "event": "email.clicked", "timeout": "7d"}},
            send("c", name=long_send[:60]),
            {"wait_for": {"id": "click_2", "name": long_wait[:60], "event": "email.clicked", "timeout": "7d"}},
        )
    )
    names = list(definition["States"])

    assert len(names) == len(set(names))
    assert all(len(name) <= 80 for name in names)
    assert "Say hello" in names and "Say hello (2)" in names
    assert "Wait 1 week 2 days" in names
    assert sum(name.endswith(" (2)") for name in names) == 2


def test_derived_names_read_as_the_steps() -> None:
    assert duration_words("90m") == "90 minutes"
    assert duration_words("1w 2d") == "1 week 2 days"
    definition = compile_journey(
        journey(send("reminder"), {"wait_for": {"id": "opened", "event": "email.opened", "timeout": "24h"}})
    )
    assert definition["StartAt"] == "Send reminder and wait up to 24 hours for an open"


def test_the_machine_and_every_state_say_what_they_are_for() -> None:
    definition = compile_journey(engagement_journey(description="Offers, then nudges."))

    assert definition["Comment"].startswith("Test journey: Offers, then nudges. Input: ")
    assert '"enrolment"' in definition["Comment"]
    assert all(state.get("Comment") for state in definition["States"].values())


def test_one_step_object_reused_in_two_arms_compiles_to_a_state_in_each() -> None:
    # A journey built in Python may share a step object between arms: states are placed by position.
    shared_wait = WaitStep(wait=WaitSpec(duration="1d"))
    definition = compile_journey(
        journey(
            {
                "branch": {
                    "id": "vip",
                    "arms": [
                        {"when": [{"field": "profile.orders.count", "gte": 3}], "steps": [shared_wait, send("x")]}
                    ],
                    "default": [shared_wait, send("y")],
                }
            }
        )
    )
    states = definition["States"]
    choice = states["Evaluate vip: which arm?"]

    assert states[choice["Choices"][0]["Next"]]["Next"] == "Send x"
    assert states[choice["Default"]]["Next"] == "Send y"
    assert {choice["Choices"][0]["Next"], choice["Default"]} == {"Wait 1 day", "Wait 1 day (2)"}


# ---------------------------------------------------------------- deferral (docs/delivery.md)


def test_every_send_catches_send_deferred_into_a_pass_and_a_wait_back_to_itself() -> None:
    definition = compile_journey(engagement_journey())
    states = definition["States"]
    sends = {name: state for name, state in tasks(definition).items() if payload(state)["action"] == "send"}
    assert len(sends) == 2  # the fused send and the nudge
    for name, state in sends.items():
        (catch,) = [c for c in state["Catch"] if c["ErrorEquals"] == [SendDeferred.__name__]]
        assert catch == {"ErrorEquals": ["SendDeferred"], "ResultPath": "$.deferred", "Next": f"{name}: deferred"}
        parse = states[f"{name}: deferred"]
        assert parse["Type"] == "Pass"
        assert parse["Parameters"] == {"cause.$": "States.StringToJson($.deferred.Cause)"}
        assert parse["ResultPath"] == "$.deferred" and parse["Next"] == f"{name}: wait until allowed"
        wait = states[f"{name}: wait until allowed"]
        assert wait == {**wait, "Type": "Wait", "TimestampPath": "$.deferred.cause.errorMessage", "Next": name}


def test_on_the_executor_a_deferred_send_waits_until_the_instant_and_sends_then() -> None:
    definition = compile_journey(journey(send("hello"), {"wait": {"duration": "2d"}}, send("bye")))
    sfn = LocalStepFunctions(clock=VirtualClock(0))
    calls: list[float] = []

    def step_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(sfn.clock.now())
        if len(calls) == 1:
            raise SendDeferred("1970-01-01T08:00:00Z", "quiet_hours")
        next_at = "1970-01-03T08:00:00Z" if "next_wait" in event else None
        return {
            "status": "sent",
            "reason": None,
            "message_id": "m",
            "next_at": next_at,
            "arm": None,
            "channel": "email",
        }

    sfn.register_handler("JourneyStepFunction", step_function)
    arn = sfn.create_state_machine("test", definition, substitutions={"JourneyStepFunctionArn": FUNCTION})
    execution = sfn.start_execution(arn, {"contact_id": "c-1", "enrolment": {"id": "e"}, "steps": {}})
    sfn.run_until_idle()

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered == [
        "Send hello",
        "Send hello: deferred",
        "Send hello: wait until allowed",
        "Send hello",
        "Wait 2 days",
        "Send bye",
    ]
    assert calls == [0, 8 * 3600, (2 * 24 + 8) * 3600]

"""Task tokens (`.waitForTaskToken`): SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, TimeoutSeconds
and HeartbeatSeconds on the virtual clock, and StopExecution invalidating tokens. Against the developer
guide ("Wait for a Callback with the Task Token", "Configure a Heartbeat Timeout", Task state) and the
Step Functions API reference (SendTask*).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sfn_helpers import Recorder, details_of, entered_at, event_types, machine, run, times_of

from nurture_local.sfn.executor import Execution, LocalStepFunctions, SfnApiError


def callback_task(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token", "input.$": "$"}},
        **fields,
    }
    if "Next" not in body:
        body["End"] = True
    return body


def start(sfn: LocalStepFunctions, definition: dict[str, Any], input: Any = None) -> tuple[Execution, Recorder]:
    asked = Recorder(lambda event, _: None)
    sfn.register_handler("Ask", asked)
    return run(sfn, definition, input, idle=False), asked


def token_of(asked: Recorder, attempt: int = -1) -> str:
    token: str = asked.events[attempt]["token"]
    return token


# ---------------------------------------------------------------- success and failure


def test_given_a_callback_task_when_started_then_the_execution_waits_with_a_pending_token(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}), {"contact": "c-1"})

    assert execution.status == "RUNNING"
    assert asked.events[0]["input"] == {"contact": "c-1"}
    assert sfn.pending_tokens() == {token_of(asked): "Ask"}


def test_given_a_waiting_task_when_the_clock_runs_without_a_callback_then_it_keeps_waiting(
    sfn: LocalStepFunctions,
) -> None:
    execution, _ = start(sfn, machine({"Ask": callback_task()}))

    sfn.advance(days=300)

    assert execution.status == "RUNNING"


def test_given_a_waiting_task_when_task_success_is_sent_as_json_text_then_the_output_is_the_parsed_json(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task(ResultPath="$.reply")}), {"id": 1})

    sfn.send_task_success(token_of(asked), '{"approved": true}')

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"id": 1, "reply": {"approved": True}}
    assert sfn.pending_tokens() == {}


def test_given_a_waiting_task_when_task_success_is_sent_as_a_value_then_it_is_the_task_result(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}))

    sfn.send_task_success(token_of(asked), ["a", 1])

    assert execution.output == ["a", 1]


def test_given_a_waiting_task_when_the_callback_comes_a_day_later_then_the_next_state_starts_then(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine({"Ask": callback_task(Next="After"), "After": {"Type": "Succeed"}})
    execution, asked = start(sfn, definition)

    sfn.advance(days=1)
    sfn.send_task_success(token_of(asked), "{}")

    assert entered_at(sfn, execution, "After") == [86400.0]


def test_given_output_that_is_not_json_when_sending_task_success_then_invalid_output_and_the_task_keeps_waiting(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}))

    with pytest.raises(SfnApiError) as refused:
        sfn.send_task_success(token_of(asked), "{not json")

    assert refused.value.code == "InvalidOutput"
    assert execution.status == "RUNNING"
    assert token_of(asked) in sfn.pending_tokens()


def test_given_a_waiting_task_when_task_failure_is_sent_then_the_task_fails_with_that_error_and_cause(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}))

    sfn.send_task_failure(token_of(asked), "Review.Rejected", "the reviewer said no")

    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Review.Rejected", "the reviewer said no")


def test_given_a_catcher_for_the_sent_error_when_task_failure_is_sent_then_the_error_is_caught(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Ask": callback_task(
                Catch=[{"ErrorEquals": ["Review.Rejected"], "ResultPath": "$.why", "Next": "Rejected"}]
            ),
            "Rejected": {"Type": "Pass", "End": True},
        }
    )
    execution, asked = start(sfn, definition, {"id": 1})

    sfn.send_task_failure(token_of(asked), "Review.Rejected", "no")

    assert execution.output == {"id": 1, "why": {"Error": "Review.Rejected", "Cause": "no"}}


SENDERS: dict[str, Callable[[LocalStepFunctions, str], None]] = {
    "success": lambda sfn, token: sfn.send_task_success(token, "{}"),
    "failure": lambda sfn, token: sfn.send_task_failure(token, "E", "c"),
    "heartbeat": lambda sfn, token: sfn.send_task_heartbeat(token),
}


@pytest.mark.parametrize("send", sorted(SENDERS))
def test_given_a_token_that_was_never_issued_when_sending_then_invalid_token(
    sfn: LocalStepFunctions, send: str
) -> None:
    with pytest.raises(SfnApiError) as refused:
        SENDERS[send](sfn, "no-such-token")

    assert refused.value.code == "InvalidToken"


@pytest.mark.parametrize("send", sorted(SENDERS))
def test_given_a_token_of_a_closed_task_when_sending_then_task_timed_out(sfn: LocalStepFunctions, send: str) -> None:
    # API reference: TaskTimedOut, "the task associated with the token has already been closed".
    _, asked = start(sfn, machine({"Ask": callback_task()}))
    sfn.send_task_success(token_of(asked), "{}")

    with pytest.raises(SfnApiError) as refused:
        SENDERS[send](sfn, token_of(asked))

    assert refused.value.code == "TaskTimedOut"


def test_given_a_callback_task_when_history_is_read_then_it_shows_scheduled_started_submitted_succeeded(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}))
    sfn.send_task_success(token_of(asked), "{}")

    assert event_types(sfn, execution) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_given_two_executions_waiting_when_listing_tokens_for_one_then_only_its_token_is_listed(
    sfn: LocalStepFunctions,
) -> None:
    asked = Recorder(lambda event, _: None)
    sfn.register_handler("Ask", asked)
    arn = sfn.create_state_machine("m", machine({"Ask": callback_task()}))
    first = sfn.start_execution(arn, {"n": 1})
    sfn.start_execution(arn, {"n": 2})

    assert sfn.pending_tokens(first.arn) == {token_of(asked, 0): "Ask"}
    assert len(sfn.pending_tokens()) == 2


# ---------------------------------------------------------------- TimeoutSeconds


def test_given_timeout_seconds_when_no_callback_arrives_then_the_task_times_out_at_exactly_that_time(
    sfn: LocalStepFunctions,
) -> None:
    execution, _ = start(sfn, machine({"Ask": callback_task(TimeoutSeconds=3600)}))

    sfn.advance(seconds=3599)
    assert execution.status == "RUNNING"
    sfn.advance(seconds=1)

    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")
    assert times_of(sfn, execution, "TaskTimedOut") == [3600.0]
    assert sfn.pending_tokens() == {}


def test_given_a_timed_out_task_when_the_late_callback_arrives_then_task_timed_out(sfn: LocalStepFunctions) -> None:
    _, asked = start(sfn, machine({"Ask": callback_task(TimeoutSeconds=60)}))
    sfn.advance(seconds=60)

    with pytest.raises(SfnApiError) as refused:
        sfn.send_task_success(token_of(asked), "{}")

    assert refused.value.code == "TaskTimedOut"


def test_given_timeout_seconds_path_when_run_then_the_timeout_is_read_from_the_state_input(
    sfn: LocalStepFunctions,
) -> None:
    # The path reads the state's input, not the Parameters payload (which here has no such field).
    execution, _ = start(sfn, machine({"Ask": callback_task(TimeoutSecondsPath="$.timeout")}), {"timeout": 120})

    sfn.run_until_idle()

    assert times_of(sfn, execution, "TaskTimedOut") == [120.0]


@pytest.mark.parametrize("timeout", [0, -5, 1.5, "60"])
def test_given_timeout_seconds_path_to_a_non_positive_integer_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions, timeout: Any
) -> None:
    execution, _ = start(sfn, machine({"Ask": callback_task(TimeoutSecondsPath="$.timeout")}), {"timeout": timeout})

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_given_a_retrier_on_states_timeout_when_the_task_times_out_then_a_new_token_is_issued_per_attempt(
    sfn: LocalStepFunctions,
) -> None:
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 10, "MaxAttempts": 1}]
    execution, asked = start(sfn, machine({"Ask": callback_task(TimeoutSeconds=60, Retry=retry)}))

    sfn.advance(seconds=70)

    assert len(asked.events) == 2
    assert token_of(asked, 0) != token_of(asked, 1)
    assert sfn.pending_tokens() == {token_of(asked, 1): "Ask"}
    assert times_of(sfn, execution, "TaskScheduled") == [0.0, 70.0]


# ---------------------------------------------------------------- HeartbeatSeconds


def test_given_heartbeat_seconds_when_no_heartbeat_arrives_then_the_task_times_out_with_states_timeout(
    sfn: LocalStepFunctions,
) -> None:
    # Developer guide: "If the waiting task doesn't receive a valid task token within that ... period,
    # the task fails with a States.Timeout error name."
    execution, _ = start(sfn, machine({"Ask": callback_task(HeartbeatSeconds=600)}))

    sfn.advance(seconds=600)

    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")
    assert times_of(sfn, execution, "TaskTimedOut") == [600.0]
    assert details_of(sfn, execution, "TaskTimedOut")[0]["error"] == "States.Timeout"


def test_given_heartbeats_when_each_arrives_in_time_then_the_deadline_moves_with_the_last_heartbeat(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task(HeartbeatSeconds=10)}))

    sfn.advance(seconds=8)
    sfn.send_task_heartbeat(token_of(asked))
    sfn.advance(seconds=9)  # +17: 9 s since the last heartbeat
    assert execution.status == "RUNNING"
    sfn.advance(seconds=1)  # +18: 10 s since the last heartbeat

    assert execution.status == "FAILED"
    assert times_of(sfn, execution, "TaskTimedOut") == [18.0]


def test_given_heartbeats_when_they_keep_arriving_then_timeout_seconds_still_bounds_the_task(
    sfn: LocalStepFunctions,
) -> None:
    # API reference, SendTaskHeartbeat: TimeoutSeconds is the task's maximum duration whatever the heartbeats.
    execution, asked = start(sfn, machine({"Ask": callback_task(HeartbeatSeconds=10, TimeoutSeconds=30)}))

    for _ in range(7):
        sfn.advance(seconds=5)
        if execution.status == "RUNNING":
            sfn.send_task_heartbeat(token_of(asked))

    assert execution.error == "States.Timeout"
    assert times_of(sfn, execution, "TaskTimedOut") == [30.0]


def test_given_a_callback_before_the_heartbeat_deadline_when_time_passes_then_nothing_times_out(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task(HeartbeatSeconds=10, TimeoutSeconds=30)}))

    sfn.advance(seconds=5)
    sfn.send_task_success(token_of(asked), '"done"')
    sfn.advance(seconds=60)

    assert (execution.status, execution.output) == ("SUCCEEDED", "done")


def test_given_heartbeat_seconds_path_when_run_then_the_heartbeat_interval_is_read_from_the_state_input(
    sfn: LocalStepFunctions,
) -> None:
    execution, _ = start(sfn, machine({"Ask": callback_task(HeartbeatSecondsPath="$.beat")}), {"beat": 45})

    sfn.run_until_idle()

    assert times_of(sfn, execution, "TaskTimedOut") == [45.0]


def heartbeat_or_timeout_route(sfn: LocalStepFunctions, catch_first: str, *, heartbeat: bool) -> list[str]:
    timing = {"HeartbeatSeconds": 10, "TimeoutSeconds": 100} if heartbeat else {"TimeoutSeconds": 100}
    definition = machine(
        {
            "Ask": callback_task(
                Catch=[
                    {"ErrorEquals": [catch_first], "Next": "First"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Other"},
                ],
                **timing,
            ),
            "First": {"Type": "Succeed"},
            "Other": {"Type": "Succeed"},
        }
    )
    execution, _ = start(sfn, definition)
    sfn.run_until_idle()
    return execution.states_entered


def test_given_a_catcher_on_states_heartbeat_timeout_when_the_heartbeat_is_missed_then_it_matches(
    sfn: LocalStepFunctions,
) -> None:
    assert heartbeat_or_timeout_route(sfn, "States.HeartbeatTimeout", heartbeat=True) == ["Ask", "First"]


def test_given_a_catcher_on_states_heartbeat_timeout_when_timeout_seconds_expires_then_it_does_not_match(
    sfn: LocalStepFunctions,
) -> None:
    assert heartbeat_or_timeout_route(sfn, "States.HeartbeatTimeout", heartbeat=False) == ["Ask", "Other"]


def test_given_a_catcher_on_states_timeout_when_the_heartbeat_is_missed_then_it_matches(
    sfn: LocalStepFunctions,
) -> None:
    # ASL spec: States.Timeout covers a task that "failed to heartbeat for a time longer than HeartbeatSeconds".
    assert heartbeat_or_timeout_route(sfn, "States.Timeout", heartbeat=True) == ["Ask", "First"]


def test_given_a_catcher_on_states_task_failed_when_the_heartbeat_is_missed_then_it_does_not_match(
    sfn: LocalStepFunctions,
) -> None:
    assert heartbeat_or_timeout_route(sfn, "States.TaskFailed", heartbeat=True) == ["Ask", "Other"]


# ---------------------------------------------------------------- StopExecution


def test_given_a_waiting_execution_when_stopped_then_it_is_aborted_and_its_token_is_invalid(
    sfn: LocalStepFunctions,
) -> None:
    execution, asked = start(sfn, machine({"Ask": callback_task()}))

    sfn.stop_execution(execution.arn, error="Operator.Stop", cause="campaign paused")

    assert (execution.status, execution.error, execution.cause) == ("ABORTED", "Operator.Stop", "campaign paused")
    assert sfn.pending_tokens() == {}
    assert event_types(sfn, execution)[-1] == "ExecutionAborted"
    with pytest.raises(SfnApiError) as refused:
        sfn.send_task_success(token_of(asked), "{}")
    assert refused.value.code == "TaskTimedOut"


def test_given_an_execution_stopped_in_a_parallel_when_branches_wait_on_tokens_then_every_token_is_invalid(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [machine({"Ask": callback_task()}), machine({"AskToo": callback_task()})],
                "End": True,
            }
        }
    )
    execution, _ = start(sfn, definition)
    assert len(sfn.pending_tokens()) == 2

    sfn.stop_execution(execution.arn)

    assert sfn.pending_tokens() == {}


def test_given_a_stopped_execution_with_a_pending_timeout_when_time_passes_then_nothing_more_happens(
    sfn: LocalStepFunctions,
) -> None:
    execution, _ = start(sfn, machine({"Ask": callback_task(TimeoutSeconds=60)}))
    sfn.stop_execution(execution.arn)
    before = event_types(sfn, execution)

    sfn.advance(seconds=120)

    assert execution.status == "ABORTED"
    assert event_types(sfn, execution) == before


# ---------------------------------------------------------------- the callback and the executor


def test_given_the_handler_sends_task_success_itself_when_the_task_starts_then_the_callback_is_applied(
    sfn: LocalStepFunctions,
) -> None:
    # A handler calling back synchronously (as a fast worker would) must not re-enter the scheduler.
    def answer_at_once(event: Any, context: Any) -> None:
        sfn.send_task_success(event["token"], '{"fast": true}')

    sfn.register_handler("Ask", answer_at_once)

    execution = run(sfn, machine({"Ask": callback_task()}))

    assert (execution.status, execution.output) == ("SUCCEEDED", {"fast": True})

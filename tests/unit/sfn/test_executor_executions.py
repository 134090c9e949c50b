"""Executions: StartExecution naming and idempotency, StopExecution, DescribeExecution, the execution-level
TimeoutSeconds, history events, nested executions (states:startExecution, .sync, .sync:2) and the clock.
Against the Step Functions API reference (StartExecution, StopExecution, DescribeExecution,
GetExecutionHistory) and the developer guide (nested workflows, execution guarantees).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sfn_helpers import T0, Recorder, event_types, fn, machine, run, times_of

from nurture_local.sfn.errors import DefinitionError
from nurture_local.sfn.executor import LocalStepFunctions, SfnApiError

WAIT_A_DAY = machine({"Hold": {"Type": "Wait", "Seconds": 86400, "Next": "Done"}, "Done": {"Type": "Succeed"}})


# ---------------------------------------------------------------- StartExecution


def test_given_a_named_execution_when_started_then_its_arn_is_built_from_the_machine_and_name(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, WAIT_A_DAY, name="welcome-c-1", idle=False)

    assert execution.arn == "arn:aws:states:us-east-1:123456789012:execution:m:welcome-c-1"
    assert execution.status == "RUNNING"


def test_given_no_name_when_started_then_a_unique_name_is_generated(sfn: LocalStepFunctions) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)

    names = {sfn.start_execution(arn).name for _ in range(3)}

    assert len(names) == 3


def test_given_a_running_execution_when_started_again_with_the_same_name_and_input_then_it_is_the_same_execution(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)
    first = sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")

    again = sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")

    assert again is first
    assert event_types(sfn, first).count("ExecutionStarted") == 1
    assert len(sfn.executions(arn)) == 1


def test_given_a_running_execution_when_started_again_with_the_same_name_and_other_input_then_already_exists(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)
    sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")

    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution(arn, {"contact": "c-2"}, name="welcome-c-1")

    assert refused.value.code == "ExecutionAlreadyExists"


def test_given_a_closed_execution_when_started_again_with_the_same_name_and_input_then_already_exists(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)
    sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")
    sfn.advance(days=2)

    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")

    assert refused.value.code == "ExecutionAlreadyExists"


def test_given_a_name_closed_more_than_90_days_ago_when_started_again_then_a_new_execution_runs(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)
    first = sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")
    sfn.advance(days=1 + 91)

    again = sfn.start_execution(arn, {"contact": "c-1"}, name="welcome-c-1")

    assert again is not first
    assert again.status == "RUNNING"


@pytest.mark.parametrize("name", ["has space", "a/b", "x" * 81, "", "curly{", "star*"])
def test_given_an_invalid_execution_name_when_started_then_invalid_name(sfn: LocalStepFunctions, name: str) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)

    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution(arn, name=name)

    assert refused.value.code == "InvalidName"


def test_given_an_unknown_state_machine_when_started_then_state_machine_does_not_exist(
    sfn: LocalStepFunctions,
) -> None:
    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution("arn:aws:states:us-east-1:123456789012:stateMachine:nope")

    assert refused.value.code == "StateMachineDoesNotExist"


def test_given_input_that_is_not_json_when_started_then_invalid_execution_input(sfn: LocalStepFunctions) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)

    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution(arn, "{oops")

    assert refused.value.code == "InvalidExecutionInput"


def test_given_input_over_256_kb_when_started_then_invalid_execution_input(sfn: LocalStepFunctions) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)

    with pytest.raises(SfnApiError) as refused:
        sfn.start_execution(arn, {"blob": "x" * (256 * 1024)})

    assert refused.value.code == "InvalidExecutionInput"


def test_given_non_ascii_input_under_256_kb_in_utf8_when_started_then_it_is_accepted(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", WAIT_A_DAY)

    execution = sfn.start_execution(arn, {"greeting": "こんにちは" * 15_000})  # 225,000 bytes in UTF-8

    assert execution.status == "RUNNING"


def test_given_an_invalid_definition_when_creating_the_machine_then_nothing_is_registered(
    sfn: LocalStepFunctions,
) -> None:
    with pytest.raises(DefinitionError):
        sfn.create_state_machine("m", machine({"A": {"Type": "Pass", "Next": "Nowhere"}}))

    with pytest.raises(SfnApiError):
        sfn.state_machine("arn:aws:states:us-east-1:123456789012:stateMachine:m")


def test_given_definition_substitutions_when_creating_the_machine_then_placeholders_are_replaced(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("SendEmail", lambda event, _: "sent")
    text = json.dumps(machine({"Send": {"Type": "Task", "Resource": "${SendFunctionArn}", "End": True}}))

    arn = sfn.create_state_machine("m", text, substitutions={"SendFunctionArn": fn("SendEmail")})
    execution = sfn.start_execution(arn)

    assert execution.output == "sent"


# ---------------------------------------------------------------- execution-level TimeoutSeconds


def test_given_machine_timeout_seconds_when_the_execution_runs_longer_then_it_is_timed_out_at_that_time(
    sfn: LocalStepFunctions,
) -> None:
    definition = {**WAIT_A_DAY, "TimeoutSeconds": 3600}

    execution = run(sfn, definition)

    assert (execution.status, execution.error) == ("TIMED_OUT", "States.Timeout")
    assert times_of(sfn, execution, "ExecutionTimedOut") == [3600.0]
    assert "Done" not in execution.states_entered


def test_given_machine_timeout_seconds_when_the_execution_ends_in_time_then_it_succeeds(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, {**WAIT_A_DAY, "TimeoutSeconds": 86401})

    assert execution.status == "SUCCEEDED"


def test_given_machine_timeout_seconds_when_a_task_token_is_pending_then_the_token_is_invalidated(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Ask", lambda event, _: None)
    definition = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}},
                "End": True,
            }
        },
        TimeoutSeconds=60,
    )

    execution = run(sfn, definition)

    assert execution.status == "TIMED_OUT"
    assert sfn.pending_tokens() == {}


# ---------------------------------------------------------------- StopExecution and DescribeExecution


def test_given_a_running_execution_when_stopped_then_it_is_aborted_at_that_time(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, WAIT_A_DAY, idle=False)
    sfn.advance(hours=2)

    sfn.stop_execution(execution.arn)
    sfn.advance(days=2)

    assert execution.status == "ABORTED"
    assert times_of(sfn, execution, "ExecutionAborted") == [7200.0]
    assert "Done" not in execution.states_entered


def test_given_a_succeeded_execution_when_described_then_it_shows_status_dates_input_and_output(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, WAIT_A_DAY, {"contact": "c-1"}, name="welcome-c-1")

    described = sfn.describe_execution(execution.arn)

    assert described["status"] == "SUCCEEDED"
    assert described["name"] == "welcome-c-1"
    assert described["stateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    assert described["startDate"] == T0
    assert described["stopDate"] == T0 + timedelta(days=1)
    assert json.loads(described["input"]) == {"contact": "c-1"}
    assert json.loads(described["output"]) == {"contact": "c-1"}


def test_given_a_failed_execution_when_described_then_it_shows_error_and_cause_and_no_output(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, machine({"Stop": {"Type": "Fail", "Error": "E", "Cause": "C"}}))

    described = sfn.describe_execution(execution.arn)

    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "E", "C")
    assert "output" not in described


def test_given_a_running_execution_when_described_then_it_has_no_stop_date(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, WAIT_A_DAY, idle=False)

    described = sfn.describe_execution(execution.arn)

    assert described["status"] == "RUNNING"
    assert "stopDate" not in described


def test_given_an_unknown_execution_when_described_then_execution_does_not_exist(sfn: LocalStepFunctions) -> None:
    with pytest.raises(SfnApiError) as refused:
        sfn.describe_execution("arn:aws:states:us-east-1:123456789012:execution:m:nope")

    assert refused.value.code == "ExecutionDoesNotExist"


# ---------------------------------------------------------------- history


def test_given_one_state_of_each_kind_when_run_then_the_history_has_aws_event_types_in_order(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Work", lambda event, _: event)
    definition = machine(
        {
            "Start": {"Type": "Pass", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": fn("Work"), "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Both"}]},
            "Both": {"Type": "Parallel", "Branches": [machine({"In": {"Type": "Pass", "End": True}})], "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemsPath": "$[0].items",
                "ItemProcessor": machine({"Item": {"Type": "Pass", "End": True}}),
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, {"go": True, "items": [1]})

    assert event_types(sfn, execution) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "PassStateEntered",
        "PassStateExited",
        "ParallelStateSucceeded",
        "ParallelStateExited",
        "MapStateEntered",
        "MapStateStarted",
        "MapIterationStarted",
        "PassStateEntered",
        "PassStateExited",
        "MapIterationSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]


def test_given_a_history_when_read_then_ids_count_up_and_each_event_points_to_the_previous(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, WAIT_A_DAY)

    history = sfn.get_execution_history(execution.arn)

    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert [e["previousEventId"] for e in history] == list(range(0, len(history)))


def test_given_a_history_when_read_then_inputs_and_outputs_are_json_text(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, machine({"Copy": {"Type": "Pass", "End": True}}), {"a": 1})

    history = sfn.get_execution_history(execution.arn)

    assert history[0]["executionStartedEventDetails"]["input"] == '{"a":1}'
    assert history[-1]["executionSucceededEventDetails"]["output"] == '{"a":1}'


def test_given_a_sdk_task_when_run_then_the_history_has_task_scheduled_started_succeeded(
    sfn: LocalStepFunctions,
) -> None:
    class FakeSns:
        def publish(self, **params: Any) -> dict[str, Any]:
            return {"MessageId": "m-1", "ResponseMetadata": {"HTTPStatusCode": 200}}

    sfn = LocalStepFunctions(clock=sfn.clock, clients={"sns": FakeSns()})
    definition = machine(
        {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "hi"},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.output == {"MessageId": "m-1"}
    assert event_types(sfn, execution)[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]


def test_given_a_sdk_task_without_a_client_when_run_then_the_task_fails(sfn: LocalStepFunctions) -> None:
    definition = machine(
        {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "hi"},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.status == "FAILED"


# ---------------------------------------------------------------- nested executions


def child_and_parent(sfn: LocalStepFunctions, resource: str, child: dict[str, Any]) -> tuple[str, str]:
    child_arn = sfn.create_state_machine("child", child)
    parent = machine(
        {
            "Start child": {
                "Type": "Task",
                "Resource": resource,
                "Parameters": {"StateMachineArn": child_arn, "Input": {"from.$": "$.who"}, "Name": "child-1"},
                "End": True,
            }
        }
    )
    return child_arn, sfn.create_state_machine("parent", parent)


CHILD_WAITS = machine({"Hold": {"Type": "Wait", "Seconds": 300, "Next": "Echo"}, "Echo": {"Type": "Pass", "End": True}})


def test_given_start_execution_when_run_then_the_parent_goes_on_and_the_child_runs_on_its_own(
    sfn: LocalStepFunctions,
) -> None:
    _, parent_arn = child_and_parent(sfn, "arn:aws:states:::states:startExecution", CHILD_WAITS)

    parent = sfn.start_execution(parent_arn, {"who": "p"})

    assert parent.status == "SUCCEEDED"
    assert parent.output["ExecutionArn"] == "arn:aws:states:us-east-1:123456789012:execution:child:child-1"
    child = sfn.execution(parent.output["ExecutionArn"])
    assert child.status == "RUNNING"
    sfn.run_until_idle()
    assert child.output == {"from": "p"}


def test_given_start_execution_sync_when_run_then_the_parent_waits_and_gets_the_output_as_json_text(
    sfn: LocalStepFunctions,
) -> None:
    _, parent_arn = child_and_parent(sfn, "arn:aws:states:::states:startExecution.sync", CHILD_WAITS)

    parent = sfn.start_execution(parent_arn, {"who": "p"})
    sfn.run_until_idle()

    assert parent.status == "SUCCEEDED"
    assert parent.output["Status"] == "SUCCEEDED"
    assert parent.output["Output"] == '{"from":"p"}'
    assert times_of(sfn, parent, "ExecutionSucceeded") == [300.0]


def test_given_start_execution_sync_2_when_run_then_the_output_is_parsed_json(sfn: LocalStepFunctions) -> None:
    _, parent_arn = child_and_parent(sfn, "arn:aws:states:::states:startExecution.sync:2", CHILD_WAITS)

    parent = sfn.start_execution(parent_arn, {"who": "p"})
    sfn.run_until_idle()

    assert parent.output["Output"] == {"from": "p"}
    assert parent.output["Input"] == {"from": "p"}


def test_given_start_execution_sync_when_the_child_fails_then_the_parent_task_fails_with_task_failed(
    sfn: LocalStepFunctions,
) -> None:
    child = machine({"Boom": {"Type": "Fail", "Error": "Child.Broken", "Cause": "bad"}})
    _, parent_arn = child_and_parent(sfn, "arn:aws:states:::states:startExecution.sync", child)

    parent = sfn.start_execution(parent_arn, {"who": "p"})
    sfn.run_until_idle()

    assert (parent.status, parent.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(parent.cause or "")["Error"] == "Child.Broken"


def test_given_start_execution_with_a_name_in_use_when_run_then_the_task_fails_with_execution_already_exists(
    sfn: LocalStepFunctions,
) -> None:
    child_arn, parent_arn = child_and_parent(sfn, "arn:aws:states:::states:startExecution", CHILD_WAITS)
    sfn.start_execution(child_arn, {"other": "input"}, name="child-1")

    parent = sfn.start_execution(parent_arn, {"who": "p"})

    assert (parent.status, parent.error) == ("FAILED", "StepFunctions.ExecutionAlreadyExistsException")


# ---------------------------------------------------------------- the clock


def test_given_many_executions_when_the_clock_advances_then_they_run_in_timestamp_order(
    sfn: LocalStepFunctions,
) -> None:
    order: list[int] = []
    sfn.register_handler("Note", Recorder(lambda event, _: order.append(event["n"])))
    arn = sfn.create_state_machine(
        "m",
        machine(
            {
                "Hold": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Note"},
                "Note": {"Type": "Task", "Resource": fn("Note"), "End": True},
            }
        ),
    )
    for n, delay in enumerate([500, 100, 300, 100, 200]):
        sfn.start_execution(arn, {"n": n, "delay": delay})

    sfn.advance(days=1)

    assert order == [1, 3, 4, 2, 0]


def test_given_an_advance_when_nothing_is_due_then_the_clock_still_moves_to_the_target(
    sfn: LocalStepFunctions,
) -> None:
    sfn.advance(days=3)

    assert sfn.now == T0 + timedelta(days=3)


def test_given_a_negative_advance_when_called_then_it_is_refused(sfn: LocalStepFunctions) -> None:
    with pytest.raises(ValueError, match="forward"):
        sfn.advance(seconds=-1)


def test_given_an_execution_waiting_on_a_token_when_running_until_idle_then_it_stays_running(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Ask", lambda event, _: None)
    definition = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.status == "RUNNING"
    assert sfn.next_due() is None


def test_given_an_execution_that_ended_before_its_machine_timeout_when_running_until_idle_then_the_clock_stays(
    sfn: LocalStepFunctions,
) -> None:
    run(sfn, machine({"Copy": {"Type": "Pass", "End": True}}, TimeoutSeconds=30 * 86400))

    assert sfn.now == T0
    assert sfn.next_due() is None


def test_given_a_callback_answered_before_its_timeout_when_running_until_idle_then_the_clock_stays(
    sfn: LocalStepFunctions,
) -> None:
    asked = Recorder(lambda event, _: None)
    sfn.register_handler("Ask", asked)
    definition = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "HeartbeatSeconds": 600,
                "End": True,
            }
        }
    )
    execution = run(sfn, definition, idle=False)
    sfn.advance(seconds=5)
    sfn.send_task_success(asked.events[0]["t"], "{}")

    sfn.run_until_idle()

    assert execution.status == "SUCCEEDED"
    assert sfn.now == T0 + timedelta(seconds=5)

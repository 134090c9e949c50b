"""Input and output processing (InputPath, Parameters, ResultSelector, ResultPath, OutputPath), payload
templates and the context object, as the ASL spec ("Input and Output Processing", "Payload Template")
and the developer guide ("The Context Object", "Invoke Lambda") describe them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sfn_helpers import Recorder, entered_at, fn, machine, run

from nurture_local.sfn.executor import LocalStepFunctions

# ---------------------------------------------------------------- InputPath


def echo_task(sfn: LocalStepFunctions, **fields: Any) -> tuple[dict[str, Any], Recorder]:
    handler = Recorder()
    sfn.register_handler("Echo", handler)
    return machine({"Echo": {"Type": "Task", "Resource": fn("Echo"), "End": True, **fields}}), handler


def test_given_an_input_path_when_run_then_the_task_gets_only_the_selected_part(sfn: LocalStepFunctions) -> None:
    definition, handler = echo_task(sfn, InputPath="$.numbers")

    run(sfn, definition, {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}})

    assert handler.events == [{"val1": 3, "val2": 4}]


def test_given_input_path_null_when_run_then_the_effective_input_is_an_empty_object(
    sfn: LocalStepFunctions,
) -> None:
    definition, handler = echo_task(sfn, InputPath=None)

    run(sfn, definition, {"secret": 1})

    assert handler.events == [{}]


def test_given_an_indefinite_input_path_when_run_then_the_matches_are_gathered_into_an_array(
    sfn: LocalStepFunctions,
) -> None:
    # The spec: applying $.a[0,1] to {"a": [1, 2, 3, 4]} gives the input [1, 2].
    definition, handler = echo_task(sfn, InputPath="$.a[0,1]")

    run(sfn, definition, {"a": [1, 2, 3, 4]})

    assert handler.events == [[1, 2]]


def test_given_an_input_path_that_matches_nothing_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions,
) -> None:
    definition, handler = echo_task(sfn, InputPath="$.missing")

    execution = run(sfn, definition, {"present": 1})

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "$.missing" in (execution.cause or "")
    assert handler.events == []


# ---------------------------------------------------------------- Parameters


def test_given_parameters_with_paths_and_context_when_run_then_the_payload_is_built_as_the_spec_shows(
    sfn: LocalStepFunctions,
) -> None:
    definition, handler = echo_task(
        sfn,
        Parameters={
            "flagged": True,
            "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"},
            "state.$": "$$.State.Name",
        },
    )

    run(sfn, definition, {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]})

    assert handler.events == [{"flagged": True, "parts": {"first": 0, "last3": [30, 40, 50]}, "state": "Echo"}]


def test_given_input_path_and_parameters_when_run_then_parameters_read_the_input_path_selection(
    sfn: LocalStepFunctions,
) -> None:
    definition, handler = echo_task(sfn, InputPath="$.contact", Parameters={"email.$": "$.email"})

    run(sfn, definition, {"contact": {"email": "a@example.com"}, "email": "not this one"})

    assert handler.events == [{"email": "a@example.com"}]


def test_given_a_parameters_path_that_matches_nothing_when_caught_by_states_all_then_it_still_fails(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Echo": {
                "Type": "Task",
                "Resource": fn("Echo"),
                "Parameters": {"id.$": "$.contact.id"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                "End": True,
            },
            "Recover": {"Type": "Succeed"},
        }
    )
    sfn.register_handler("Echo", Recorder())

    execution = run(sfn, definition, {"contact": {}})

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "$.contact.id" in (execution.cause or "")


def test_given_parameters_with_a_static_array_when_run_then_it_is_passed_unchanged(sfn: LocalStepFunctions) -> None:
    definition, handler = echo_task(sfn, Parameters={"list": [1, {"a": "b"}], "nested": {"deep": {"x": None}}})

    run(sfn, definition)

    assert handler.events == [{"list": [1, {"a": "b"}], "nested": {"deep": {"x": None}}}]


# ---------------------------------------------------------------- ResultSelector


def test_given_a_result_selector_when_run_then_it_reshapes_the_result_before_result_path(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Lookup", lambda event, _: {"body": {"id": 9, "noise": "x"}, "status": 200})
    definition = machine(
        {
            "Lookup": {
                "Type": "Task",
                "Resource": fn("Lookup"),
                "ResultSelector": {"id.$": "$.body.id", "code.$": "$.status", "source": "lookup"},
                "ResultPath": "$.found",
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"q": "x"})

    assert execution.output == {"q": "x", "found": {"id": 9, "code": 200, "source": "lookup"}}


# ---------------------------------------------------------------- ResultPath


def result_of(sfn: LocalStepFunctions, result: Any, input: Any, **fields: Any) -> Any:
    sfn.register_handler("Produce", lambda event, _: result)
    definition = machine({"Produce": {"Type": "Task", "Resource": fn("Produce"), "End": True, **fields}})
    return run(sfn, definition, input)


def test_given_no_result_path_when_run_then_the_result_replaces_the_input(sfn: LocalStepFunctions) -> None:
    execution = result_of(sfn, "Hello, Step Functions!", {"comment": "This is a test"})

    assert execution.output == "Hello, Step Functions!"


def test_given_result_path_null_when_run_then_the_result_is_discarded_and_the_input_passes_through(
    sfn: LocalStepFunctions,
) -> None:
    execution = result_of(sfn, "Hello, Step Functions!", {"comment": "This is a test"}, ResultPath=None)

    assert execution.output == {"comment": "This is a test"}


def test_given_a_result_path_to_a_new_field_when_run_then_the_result_is_added_to_the_input(
    sfn: LocalStepFunctions,
) -> None:
    execution = result_of(sfn, 7, {"title": "Numbers to add"}, ResultPath="$.sum")

    assert execution.output == {"title": "Numbers to add", "sum": 7}


def test_given_a_result_path_into_missing_objects_when_run_then_the_intervening_objects_are_created(
    sfn: LocalStepFunctions,
) -> None:
    # The spec: input {"a": 1}, result "Hi!", ResultPath "$.b.greeting".
    execution = result_of(sfn, "Hi!", {"a": 1}, ResultPath="$.b.greeting")

    assert execution.output == {"a": 1, "b": {"greeting": "Hi!"}}


def test_given_a_result_path_to_an_existing_field_when_run_then_that_field_is_overwritten(
    sfn: LocalStepFunctions,
) -> None:
    execution = result_of(sfn, 6, {"master": {"detail": [1, 2, 3]}}, ResultPath="$.master.detail")

    assert execution.output == {"master": {"detail": 6}}


def test_given_a_deep_result_path_beside_existing_fields_when_run_then_a_chain_of_new_fields_is_built(
    sfn: LocalStepFunctions,
) -> None:
    execution = result_of(sfn, 6, {"master": {"detail": [1, 2, 3]}}, ResultPath="$.master.result.sum")

    assert execution.output == {"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}


def test_given_a_result_path_into_a_string_input_when_run_then_it_fails_with_result_path_match_failure(
    sfn: LocalStepFunctions,
) -> None:
    # The spec: input "foo" with ResultPath "$.x" fails with States.ResultPathMatchFailure.
    execution = result_of(sfn, 1, '"foo"', ResultPath="$.x")  # the JSON text "foo"

    assert (execution.status, execution.error) == ("FAILED", "States.ResultPathMatchFailure")


def test_given_input_path_and_result_path_when_run_then_the_result_is_placed_in_the_raw_input(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Add", lambda event, _: event["val1"] + event["val2"])
    definition = machine(
        {"Add": {"Type": "Task", "Resource": fn("Add"), "InputPath": "$.numbers", "ResultPath": "$.sum", "End": True}}
    )

    execution = run(sfn, definition, {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}})

    assert execution.output == {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7}


# ---------------------------------------------------------------- OutputPath


def test_given_an_output_path_when_run_then_it_selects_from_the_result_path_output(sfn: LocalStepFunctions) -> None:
    execution = result_of(sfn, {"id": 5}, {"keep": "me"}, ResultPath="$.r", OutputPath="$.r.id")

    assert execution.output == 5


def test_given_output_path_null_when_run_then_the_output_is_an_empty_object(sfn: LocalStepFunctions) -> None:
    execution = result_of(sfn, {"id": 5}, {"keep": "me"}, OutputPath=None)

    assert execution.output == {}


def test_given_an_output_path_that_matches_nothing_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions,
) -> None:
    execution = result_of(sfn, {"id": 5}, {}, OutputPath="$.nothing")

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_given_every_path_field_on_a_pass_state_when_run_then_they_apply_in_spec_order(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Shape": {
                "Type": "Pass",
                "InputPath": "$.in",
                "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                "ResultPath": "$.out.result",
                "OutputPath": "$.out",
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"in": {"n": 4}, "out": {"kept": True}})

    assert execution.output == {"kept": True, "result": {"doubled": 8}}


# ---------------------------------------------------------------- the context object

CONTEXT_PARAMETERS = {
    "executionId.$": "$$.Execution.Id",
    "executionName.$": "$$.Execution.Name",
    "startTime.$": "$$.Execution.StartTime",
    "input.$": "$$.Execution.Input",
    "state.$": "$$.State.Name",
    "entered.$": "$$.State.EnteredTime",
    "retries.$": "$$.State.RetryCount",
    "machineId.$": "$$.StateMachine.Id",
    "machineName.$": "$$.StateMachine.Name",
}


def test_given_context_paths_when_run_then_they_read_the_execution_state_and_machine(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Hold": {"Type": "Wait", "Seconds": 90, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": CONTEXT_PARAMETERS, "End": True},
        }
    )

    execution = run(sfn, definition, {"contact": "c-1"}, name="welcome-c-1")

    assert execution.output == {
        "executionId": "arn:aws:states:us-east-1:123456789012:execution:m:welcome-c-1",
        "executionName": "welcome-c-1",
        "startTime": "2026-03-02T09:00:00.000Z",
        "input": {"contact": "c-1"},
        "state": "Read",
        "entered": "2026-03-02T09:01:30.000Z",
        "retries": 0,
        "machineId": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
        "machineName": "m",
    }


def test_given_a_first_run_when_reading_the_redrive_count_then_it_is_zero(sfn: LocalStepFunctions) -> None:
    # Context object page: "The value of the RedriveCount context object is 0, if you've not yet
    # redriven an execution"; RedriveTime only exists after a redrive.
    definition = machine(
        {"Read": {"Type": "Pass", "Parameters": {"redrives.$": "$$.Execution.RedriveCount"}, "End": True}}
    )

    execution = run(sfn, definition)

    assert execution.output == {"redrives": 0}


def test_given_a_first_run_when_choosing_on_the_redrive_count_then_the_first_run_branch_is_taken(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Redriven?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Again"}],
                "Default": "First",
            },
            "Again": {"Type": "Pass", "Result": "again", "End": True},
            "First": {"Type": "Pass", "Result": "first", "End": True},
        }
    )

    assert run(sfn, definition).output == "first"


def test_given_bracket_names_with_escaped_quotes_when_read_everywhere_then_each_field_finds_its_value(
    sfn: LocalStepFunctions,
) -> None:
    data = {"it's": {'say "hi"': 5}, "other": 1}
    definition = machine(
        {
            "Pick": {
                "Type": "Pass",
                "InputPath": "$['it\\'s']",
                "Parameters": {
                    "double.$": '$["say \\"hi\\""]',
                    "single.$": "$['say \"hi\"']",
                    "text.$": 'States.Format(\'{} times\', $["say \\"hi\\""])',
                },
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$['double']", "NumericEquals": 5, "Next": "Done"}],
            },
            "Done": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, data)

    assert execution.output == {"double": 5, "single": 5, "text": "5 times"}


def test_given_states_that_transform_data_when_reading_execution_input_then_it_is_the_original_input(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Change": {"Type": "Pass", "Result": {"replaced": True}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"original.$": "$$.Execution.Input", "now.$": "$"}, "End": True},
        }
    )

    execution = run(sfn, definition, {"contact": "c-1"})

    assert execution.output == {"original": {"contact": "c-1"}, "now": {"replaced": True}}


def test_given_a_retried_task_when_each_attempt_reads_the_retry_count_then_it_counts_up_from_zero(
    sfn: LocalStepFunctions,
) -> None:
    def fail_twice(event: Any, context: Any) -> Any:
        if event["retries"] < 2:
            raise RuntimeError("not yet")
        return event

    seen = Recorder(lambda event, i: fail_twice(event, None))
    sfn.register_handler("Try", seen)
    definition = machine(
        {
            "Try": {
                "Type": "Task",
                "Resource": fn("Try"),
                "Parameters": {"retries.$": "$$.State.RetryCount", "entered.$": "$$.State.EnteredTime"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5}],
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert [e["retries"] for e in seen.events] == [0, 1, 2]
    # A retry is not a new state entry: the entered time stays that of the first attempt.
    assert {e["entered"] for e in seen.events} == {"2026-03-02T09:00:00.000Z"}
    assert execution.status == "SUCCEEDED"


def test_given_a_wait_for_task_token_task_when_run_then_the_context_token_is_the_pending_token(
    sfn: LocalStepFunctions,
) -> None:
    handler = Recorder(lambda event, _: None)
    sfn.register_handler("Ask", handler)
    definition = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    token = handler.events[0]["token"]
    assert sfn.pending_tokens(execution.arn) == {token: "Ask"}


def test_given_a_map_item_selector_when_it_reads_map_item_then_index_and_value_are_per_item(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Each": {
                "Type": "Map",
                "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "state.$": "$$.State.Name"},
                "ItemProcessor": machine({"Keep": {"Type": "Pass", "End": True}}),
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, ["x", "y"])

    assert execution.output == [{"i": 0, "v": "x", "state": "Each"}, {"i": 1, "v": "y", "state": "Each"}]


def test_given_a_state_entered_after_a_wait_when_reading_entered_time_then_it_is_the_virtual_entry_time(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Hold": {"Type": "Wait", "Seconds": 86400, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "End": True},
        }
    )

    execution = run(sfn, definition)

    assert execution.output == {"at": "2026-03-03T09:00:00.000Z"}
    assert entered_at(sfn, execution, "Read") == [86400.0]


def test_given_no_input_when_started_then_the_execution_input_is_an_empty_object(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, machine({"Copy": {"Type": "Pass", "End": True}}))

    assert execution.output == {}


# ---------------------------------------------------------------- Lambda integrations


def test_given_lambda_invoke_when_run_then_the_function_output_is_wrapped_in_payload(
    sfn: LocalStepFunctions,
) -> None:
    handler = Recorder(lambda event, _: {"greeting": f"hi {event['name']}"})
    sfn.register_handler("Greet", handler)
    definition = machine(
        {
            "Greet": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": fn("Greet"), "Payload.$": "$"},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"name": "Ada"})

    assert handler.events == [{"name": "Ada"}]
    assert execution.output["Payload"] == {"greeting": "hi Ada"}
    assert execution.output["StatusCode"] == 200
    assert execution.output["ExecutedVersion"] == "$LATEST"


def test_given_lambda_invoke_with_the_usual_result_selector_when_run_then_only_the_payload_is_kept(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Greet", lambda event, _: {"ok": True})
    definition = machine(
        {
            "Greet": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Greet", "Payload.$": "$"},
                "ResultSelector": {"Payload.$": "$.Payload"},
                "ResultPath": "$.greet",
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"name": "Ada"})

    assert execution.output == {"name": "Ada", "greet": {"Payload": {"ok": True}}}


@pytest.mark.parametrize(
    "function_name",
    ["Greet", "Greet:live", "123456789012:function:Greet", "arn:aws:lambda:us-east-1:123456789012:function:Greet:3"],
)
def test_given_lambda_invoke_with_any_function_name_form_when_run_then_the_handler_is_found(
    sfn: LocalStepFunctions, function_name: str
) -> None:
    sfn.register_handler("Greet", lambda event, _: "hi")
    definition = machine(
        {
            "Greet": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_name, "Payload": {}},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.output["Payload"] == "hi"

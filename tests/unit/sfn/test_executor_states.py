"""Every state type, run by the executor on the virtual clock, against the Amazon States Language spec
and the Step Functions developer guide (Pass, Task, Choice, Wait, Succeed, Fail, Parallel, inline Map).
"""

from __future__ import annotations

from typing import Any

import pytest
from sfn_helpers import (
    Recorder,
    details_of,
    entered_at,
    event_types,
    exited_at,
    fn,
    machine,
    run,
    times_of,
)

from nurture_local.sfn.executor import LocalStepFunctions

# ---------------------------------------------------------------- Pass


def test_given_a_pass_state_with_result_and_result_path_when_run_then_the_result_is_placed_in_the_input(
    sfn: LocalStepFunctions,
) -> None:
    # The spec's "No-op" example.
    definition = machine(
        {
            "No-op": {
                "Type": "Pass",
                "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
                "ResultPath": "$.coords",
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"georefOf": "Home"})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}


def test_given_a_pass_state_without_result_when_run_then_it_copies_its_input_to_its_output(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, machine({"Copy": {"Type": "Pass", "End": True}}), {"a": [1, 2], "b": None})

    assert execution.output == {"a": [1, 2], "b": None}


def test_given_a_pass_state_with_parameters_when_run_then_its_output_is_the_built_payload(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {"Shape": {"Type": "Pass", "Parameters": {"id.$": "$.contact.id", "kind": "welcome"}, "End": True}}
    )

    execution = run(sfn, definition, {"contact": {"id": "c-1", "email": "a@example.com"}})

    assert execution.output == {"id": "c-1", "kind": "welcome"}


def test_given_a_chain_of_states_when_run_then_states_are_entered_in_order(sfn: LocalStepFunctions) -> None:
    definition = machine(
        {
            "First": {"Type": "Pass", "Next": "Second"},
            "Second": {"Type": "Pass", "Next": "Third"},
            "Third": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition)

    assert execution.states_entered == ["First", "Second", "Third"]


# ---------------------------------------------------------------- Task (Lambda)


def test_given_a_lambda_task_when_run_then_the_handler_gets_the_input_and_its_return_is_the_output(
    sfn: LocalStepFunctions,
) -> None:
    handler = Recorder(lambda event, _: {"sum": event["val1"] + event["val2"]})
    sfn.register_handler("Add", handler)

    execution = run(sfn, machine({"Add": {"Type": "Task", "Resource": fn("Add"), "End": True}}), {"val1": 3, "val2": 4})

    assert handler.events == [{"val1": 3, "val2": 4}]
    assert execution.output == {"sum": 7}


def test_given_a_handler_registered_by_arn_when_the_task_names_the_function_then_it_is_called(
    sfn: LocalStepFunctions,
) -> None:
    handler = Recorder(lambda event, _: "done")
    sfn.register_handler(fn("Send"), handler)

    execution = run(sfn, machine({"Send": {"Type": "Task", "Resource": fn("Send:live"), "End": True}}))

    assert execution.output == "done"
    assert len(handler.events) == 1


def test_given_a_lambda_task_when_run_then_the_handler_context_names_the_function(sfn: LocalStepFunctions) -> None:
    handler = Recorder(lambda event, _: None)
    sfn.register_handler("Notify", handler)

    run(sfn, machine({"Notify": {"Type": "Task", "Resource": fn("Notify"), "End": True}}))

    context = handler.contexts[0]
    assert context.function_name == "Notify"
    assert context.invoked_function_arn == fn("Notify")
    assert context.get_remaining_time_in_millis() > 0


def test_given_the_handler_mutates_its_event_when_run_then_the_state_input_is_unchanged(
    sfn: LocalStepFunctions,
) -> None:
    def mutate(event: Any, context: Any) -> Any:
        event["touched"] = True
        return "ok"

    sfn.register_handler("Mutate", mutate)
    definition = machine({"Mutate": {"Type": "Task", "Resource": fn("Mutate"), "ResultPath": "$.r", "End": True}})

    execution = run(sfn, definition, {"a": 1})

    assert execution.output == {"a": 1, "r": "ok"}


# ---------------------------------------------------------------- Choice

CHOOSE = machine(
    {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.tier", "StringEquals": "gold", "Next": "Gold"}],
            "Default": "Standard",
        },
        "Gold": {"Type": "Pass", "Result": "gold path", "End": True},
        "Standard": {"Type": "Pass", "Result": "standard path", "End": True},
    }
)


def test_given_a_choice_state_when_a_rule_matches_then_it_goes_to_that_rules_next(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, CHOOSE, {"tier": "gold"})

    assert execution.states_entered == ["Route", "Gold"]
    assert execution.output == "gold path"


def test_given_a_choice_state_when_no_rule_matches_then_it_goes_to_the_default(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, CHOOSE, {"tier": "bronze"})

    assert execution.states_entered == ["Route", "Standard"]


def test_given_a_choice_state_without_default_when_no_rule_matches_then_it_fails_with_no_choice_matched(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]},
            "One": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, {"n": 2})

    assert execution.status == "FAILED"
    assert execution.error == "States.NoChoiceMatched"


def test_given_a_choice_state_with_paths_when_run_then_its_output_is_its_input_filtered(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Route": {
                "Type": "Choice",
                "InputPath": "$.contact",
                "OutputPath": "$.tier",
                "Choices": [{"Variable": "$.tier", "IsPresent": True, "Next": "Done"}],
            },
            "Done": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, {"contact": {"tier": "gold"}, "other": 1})

    assert execution.output == "gold"


# ---------------------------------------------------------------- Wait


def wait_then_done(wait: dict[str, Any]) -> dict[str, Any]:
    return machine({"Hold": {"Type": "Wait", **wait, "Next": "Done"}, "Done": {"Type": "Succeed"}})


def test_given_a_wait_of_n_seconds_when_the_clock_advances_then_the_next_state_starts_after_n_seconds(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"Seconds": 3600}))

    assert exited_at(sfn, execution, "Hold") == [3600.0]
    assert entered_at(sfn, execution, "Done") == [3600.0]


def test_given_a_wait_of_n_seconds_when_less_time_has_passed_then_the_execution_is_still_waiting(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"Seconds": 3600}), idle=False)

    sfn.advance(seconds=3599)

    assert execution.status == "RUNNING"
    assert execution.states_entered == ["Hold"]


def test_given_a_wait_of_n_seconds_when_exactly_n_seconds_pass_then_the_execution_continues(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"Seconds": 3600}), idle=False)

    sfn.advance(seconds=3600)

    assert execution.status == "SUCCEEDED"


def test_given_a_wait_of_zero_seconds_when_run_then_it_does_not_wait(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, wait_then_done({"Seconds": 0}), idle=False)

    assert execution.status == "SUCCEEDED"


def test_given_a_wait_with_seconds_path_when_run_then_it_waits_the_seconds_in_the_input(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"SecondsPath": "$.delay"}), {"delay": 90})

    assert exited_at(sfn, execution, "Hold") == [90.0]


@pytest.mark.parametrize("delay", [-1, 1.5, "10", None])
def test_given_a_seconds_path_to_a_non_integer_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions, delay: Any
) -> None:
    execution = run(sfn, wait_then_done({"SecondsPath": "$.delay"}), {"delay": delay})

    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"


def test_given_a_wait_until_a_utc_timestamp_when_run_then_it_continues_at_that_instant(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"Timestamp": "2026-03-02T10:30:00Z"}))

    assert exited_at(sfn, execution, "Hold") == [5400.0]


def test_given_a_wait_until_a_timestamp_with_an_offset_when_run_then_it_is_compared_in_utc(
    sfn: LocalStepFunctions,
) -> None:
    # 12:00+02:00 is 10:00Z, one hour after T0 (09:00Z).
    execution = run(sfn, wait_then_done({"Timestamp": "2026-03-02T12:00:00+02:00"}))

    assert exited_at(sfn, execution, "Hold") == [3600.0]


def test_given_a_timestamp_path_with_a_negative_offset_when_run_then_it_is_compared_in_utc(
    sfn: LocalStepFunctions,
) -> None:
    # 05:00-05:00 is 10:00Z.
    execution = run(sfn, wait_then_done({"TimestampPath": "$.sendAt"}), {"sendAt": "2026-03-02T05:00:00-05:00"})

    assert exited_at(sfn, execution, "Hold") == [3600.0]


def test_given_a_wait_until_a_timestamp_in_the_past_when_run_then_it_continues_at_once(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, wait_then_done({"TimestampPath": "$.sendAt"}), {"sendAt": "2020-01-01T00:00:00Z"}, idle=False)

    assert execution.status == "SUCCEEDED"
    assert exited_at(sfn, execution, "Hold") == [0.0]


def test_given_a_timestamp_with_milliseconds_when_run_then_the_milliseconds_are_truncated(
    sfn: LocalStepFunctions,
) -> None:
    # Developer guide, Wait: "Step Functions considers the time value up to seconds and truncates milliseconds."
    execution = run(sfn, wait_then_done({"TimestampPath": "$.sendAt"}), {"sendAt": "2026-03-02T09:00:10.900Z"})

    assert exited_at(sfn, execution, "Hold") == [10.0]


@pytest.mark.parametrize("value", ["tomorrow", "2026-03-02 10:00:00", 1772442000, None])
def test_given_a_timestamp_path_to_a_non_timestamp_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions, value: Any
) -> None:
    execution = run(sfn, wait_then_done({"TimestampPath": "$.sendAt"}), {"sendAt": value})

    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"


def test_given_a_wait_state_when_run_then_its_output_is_its_input_filtered_by_its_paths(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {"Hold": {"Type": "Wait", "Seconds": 5, "InputPath": "$.keep", "OutputPath": "$.inner", "End": True}}
    )

    execution = run(sfn, definition, {"keep": {"inner": {"x": 1}}, "drop": 2})

    assert execution.output == {"x": 1}


def test_given_waits_of_thirty_days_when_advancing_thirty_days_then_every_due_execution_completes(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", wait_then_done({"SecondsPath": "$.delay"}))
    due = [sfn.start_execution(arn, {"delay": days * 86400}) for days in (1, 10, 30)]
    late = sfn.start_execution(arn, {"delay": 31 * 86400})

    sfn.advance(days=30)

    assert [e.status for e in due] == ["SUCCEEDED"] * 3
    assert late.status == "RUNNING"


# ---------------------------------------------------------------- Succeed and Fail


def test_given_a_succeed_state_with_paths_when_reached_then_the_execution_succeeds_with_the_filtered_input(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine({"Done": {"Type": "Succeed", "InputPath": "$.result", "OutputPath": "$.id"}})

    execution = run(sfn, definition, {"result": {"id": "r-9"}})

    assert execution.status == "SUCCEEDED"
    assert execution.output == "r-9"


def test_given_a_fail_state_when_reached_then_the_execution_fails_with_its_error_and_cause(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine({"Stop": {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}})

    execution = run(sfn, definition)

    assert (execution.status, execution.error, execution.cause) == ("FAILED", "ErrorA", "Kaiju attack")
    assert event_types(sfn, execution)[-2:] == ["FailStateEntered", "ExecutionFailed"]


def test_given_a_fail_state_with_error_and_cause_paths_when_reached_then_they_are_read_from_the_input(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine({"Stop": {"Type": "Fail", "ErrorPath": "$.code", "CausePath": "$.why"}})

    execution = run(sfn, definition, {"code": "Bounced", "why": "mailbox full"})

    assert (execution.error, execution.cause) == ("Bounced", "mailbox full")


# ---------------------------------------------------------------- Parallel


def test_given_a_parallel_state_when_run_then_each_branch_gets_the_input_and_results_keep_branch_order(
    sfn: LocalStepFunctions,
) -> None:
    # The spec's "FunWithMath": Add and Subtract on [3, 2] gives [5, 1]. The first branch also waits,
    # so it finishes last; the order of the result still follows "Branches".
    sfn.register_handler("Add", lambda event, _: event[0] + event[1])
    sfn.register_handler("Subtract", lambda event, _: event[0] - event[1])
    definition = machine(
        {
            "FunWithMath": {
                "Type": "Parallel",
                "Branches": [
                    machine(
                        {
                            "Slow": {"Type": "Wait", "Seconds": 10, "Next": "Add"},
                            "Add": {"Type": "Task", "Resource": fn("Add"), "End": True},
                        }
                    ),
                    machine({"Subtract": {"Type": "Task", "Resource": fn("Subtract"), "End": True}}),
                ],
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, [3, 2])

    assert execution.output == [5, 1]
    assert times_of(sfn, execution, "ParallelStateExited") == [10.0]


def test_given_a_parallel_state_with_parameters_result_selector_and_result_path_when_run_then_all_apply(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Parameters": {"n.$": "$.n"},
                "Branches": [
                    machine({"A": {"Type": "Pass", "End": True}}),
                    machine({"B": {"Type": "Pass", "Result": "b", "End": True}}),
                ],
                "ResultSelector": {"first.$": "$[0].n", "second.$": "$[1]"},
                "ResultPath": "$.both",
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, {"n": 7})

    assert execution.output == {"n": 7, "both": {"first": 7, "second": "b"}}


def test_given_a_parallel_branch_that_fails_when_another_is_waiting_for_a_token_then_the_sibling_is_cancelled(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Ask", lambda event, _: None)
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine(
                        {
                            "Ask": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                                "Parameters": {"FunctionName": "Ask", "Payload": {"token.$": "$$.Task.Token"}},
                                "End": True,
                            }
                        }
                    ),
                    machine(
                        {
                            "Pause": {"Type": "Wait", "Seconds": 60, "Next": "Boom"},
                            "Boom": {"Type": "Fail", "Error": "Branch.Broken", "Cause": "second branch"},
                        }
                    ),
                ],
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert (execution.status, execution.error) == ("FAILED", "Branch.Broken")
    assert sfn.pending_tokens() == {}
    assert times_of(sfn, execution, "ParallelStateFailed") == [60.0]


def test_given_a_parallel_branch_that_fails_when_another_is_still_waiting_then_that_branch_does_not_go_on(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine(
                        {
                            "Long": {"Type": "Wait", "Seconds": 600, "Next": "After"},
                            "After": {"Type": "Pass", "End": True},
                        }
                    ),
                    machine({"Boom": {"Type": "Fail", "Error": "Broken"}}),
                ],
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.status == "FAILED"
    assert "After" not in execution.states_entered
    assert exited_at(sfn, execution, "Long") == []


def test_given_a_parallel_state_with_a_catch_when_a_branch_fails_then_the_error_is_caught(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [machine({"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "why"}})],
                "Catch": [{"ErrorEquals": ["Broken"], "ResultPath": "$.error", "Next": "Recover"}],
                "End": True,
            },
            "Recover": {"Type": "Pass", "End": True},
        }
    )

    execution = run(sfn, definition, {"id": 1})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"id": 1, "error": {"Error": "Broken", "Cause": "why"}}


def test_given_a_succeed_state_inside_a_branch_when_reached_then_only_that_branch_ends(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine({"Stop": {"Type": "Succeed"}}),
                    machine({"Go": {"Type": "Pass", "Result": 2, "End": True}}),
                ],
                "Next": "After",
            },
            "After": {"Type": "Pass", "End": True},
        }
    )

    execution = run(sfn, definition, {"a": 1})

    assert execution.output == [{"a": 1}, 2]
    assert execution.states_entered[-1] == "After"


# ---------------------------------------------------------------- Map (inline)


def iterate(states: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return machine({"Each": {"Type": "Map", "ItemProcessor": machine(states), "End": True, **fields}})


def test_given_a_map_state_when_run_then_each_item_is_processed_and_results_keep_input_order(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Double", lambda event, _: event * 2)
    definition = iterate({"Double": {"Type": "Task", "Resource": fn("Double"), "End": True}}, ItemsPath="$.items")

    execution = run(sfn, definition, {"items": [1, 2, 3]})

    assert execution.output == [2, 4, 6]


def test_given_a_map_with_item_selector_when_run_then_each_iteration_gets_index_value_and_input_fields(
    sfn: LocalStepFunctions,
) -> None:
    # The spec's shipping example: the selector reads the Map's effective input (after InputPath).
    definition = iterate(
        {"Validate": {"Type": "Pass", "End": True}},
        InputPath="$.detail",
        ItemsPath="$.shipped",
        ItemSelector={
            "parcel.$": "$$.Map.Item.Value",
            "index.$": "$$.Map.Item.Index",
            "courier.$": "$.delivery-partner",
        },
    )

    execution = run(
        sfn, definition, {"detail": {"delivery-partner": "UQS", "shipped": [{"prod": "R31"}, {"prod": "S39"}]}}
    )

    assert execution.output == [
        {"parcel": {"prod": "R31"}, "index": 0, "courier": "UQS"},
        {"parcel": {"prod": "S39"}, "index": 1, "courier": "UQS"},
    ]


def test_given_a_legacy_map_with_iterator_and_parameters_when_run_then_it_behaves_as_item_processor(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Each": {
                "Type": "Map",
                "Parameters": {"ContextIndex.$": "$$.Map.Item.Index", "ContextValue.$": "$$.Map.Item.Value"},
                "Iterator": machine({"TestPass": {"Type": "Pass", "End": True}}),
                "End": True,
            }
        }
    )

    execution = run(sfn, definition, [{"who": "bob"}, {"who": "meg"}])

    assert execution.output == [
        {"ContextIndex": 0, "ContextValue": {"who": "bob"}},
        {"ContextIndex": 1, "ContextValue": {"who": "meg"}},
    ]


def test_given_a_map_with_result_path_when_run_then_the_results_replace_the_addressed_field(
    sfn: LocalStepFunctions,
) -> None:
    definition = iterate(
        {"Mark": {"Type": "Pass", "Result": "ok", "End": True}},
        InputPath="$.detail",
        ItemsPath="$.shipped",
        ResultPath="$.detail.shipped",
    )

    execution = run(sfn, definition, {"detail": {"shipped": [1, 2]}, "ship-date": "x"})

    assert execution.output == {"detail": {"shipped": ["ok", "ok"]}, "ship-date": "x"}


def slow_items_map(**fields: Any) -> dict[str, Any]:
    return iterate({"Hold": {"Type": "Wait", "SecondsPath": "$", "End": True}}, **fields)


def iteration_starts(sfn: LocalStepFunctions, execution: Any) -> dict[int, float]:
    starts = times_of(sfn, execution, "MapIterationStarted")
    indexes = [d["index"] for d in details_of(sfn, execution, "MapIterationStarted")]
    return dict(zip(indexes, starts, strict=True))


def test_given_max_concurrency_two_when_iterations_wait_then_the_third_starts_when_the_first_slot_frees(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, slow_items_map(MaxConcurrency=2), [30, 10, 5])

    assert iteration_starts(sfn, execution) == {0: 0.0, 1: 0.0, 2: 10.0}
    assert times_of(sfn, execution, "MapStateExited") == [30.0]
    assert execution.output == [30, 10, 5]


def test_given_max_concurrency_one_when_run_then_iterations_run_one_after_another_in_input_order(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, slow_items_map(MaxConcurrency=1), [30, 10, 5])

    assert iteration_starts(sfn, execution) == {0: 0.0, 1: 30.0, 2: 40.0}
    assert times_of(sfn, execution, "MapStateExited") == [45.0]


def test_given_max_concurrency_zero_when_run_then_all_iterations_start_at_once(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, slow_items_map(MaxConcurrency=0), [30, 10, 5])

    assert iteration_starts(sfn, execution) == {0: 0.0, 1: 0.0, 2: 0.0}
    assert times_of(sfn, execution, "MapStateExited") == [30.0]


def test_given_a_max_concurrency_path_when_run_then_the_limit_is_read_from_the_input(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(
        sfn, slow_items_map(ItemsPath="$.items", MaxConcurrencyPath="$.limit"), {"items": [30, 10], "limit": 1}
    )

    assert iteration_starts(sfn, execution) == {0: 0.0, 1: 30.0}


def test_given_an_empty_items_array_when_run_then_the_map_result_is_an_empty_array(sfn: LocalStepFunctions) -> None:
    execution = run(sfn, iterate({"P": {"Type": "Pass", "End": True}}), [])

    assert execution.status == "SUCCEEDED"
    assert execution.output == []


def test_given_items_path_to_a_non_array_when_run_then_the_execution_fails_with_runtime(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, iterate({"P": {"Type": "Pass", "End": True}}, ItemsPath="$.items"), {"items": {"a": 1}})

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_given_a_failing_iteration_when_others_are_waiting_then_the_map_fails_and_the_others_stop(
    sfn: LocalStepFunctions,
) -> None:
    definition = iterate(
        {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Broken"}],
                "Default": "Hold",
            },
            "Hold": {"Type": "Wait", "SecondsPath": "$", "Next": "Done"},
            "Done": {"Type": "Pass", "End": True},
            "Broken": {"Type": "Fail", "Error": "Item.Bad", "Cause": "zero"},
        }
    )

    execution = run(sfn, definition, [50, 0, 70])

    assert (execution.status, execution.error) == ("FAILED", "Item.Bad")
    assert "Done" not in execution.states_entered
    assert times_of(sfn, execution, "ExecutionFailed") == [0.0]


def test_given_a_succeed_state_in_an_iteration_when_reached_then_only_that_iteration_ends(
    sfn: LocalStepFunctions,
) -> None:
    definition = iterate(
        {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "Skip"}],
                "Default": "Keep",
            },
            "Skip": {"Type": "Succeed", "OutputPath": "$"},
            "Keep": {"Type": "Pass", "Result": "kept", "End": True},
        }
    )

    execution = run(sfn, definition, [1, 2])

    assert execution.output == ["kept", 2]

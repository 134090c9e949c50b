"""Error handling: Retry back-off maths on the virtual clock, Catch precedence, the predefined
`States.*` error names and what each matches, Lambda errors, payload limits. Against the ASL spec
("Errors", "Retrying after error", "Complex retry scenarios", "Fallback states", "Error output") and the
developer guide ("Error handling in Step Functions").
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sfn_helpers import (
    ErrorA,
    ErrorB,
    ErrorC,
    Flaky,
    details_of,
    entered_at,
    fn,
    machine,
    new_sfn,
    run,
    times_of,
)

from nurture_local.sfn.executor import LocalStepFunctions


def task(
    retry: list[dict[str, Any]] | None = None, catch: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"Type": "Task", "Resource": fn("Work"), **fields}
    if retry is not None:
        body["Retry"] = retry
    if catch is not None:
        body["Catch"] = catch
    if "Next" not in body:
        body["End"] = True
    return body


def attempt_times(sfn: LocalStepFunctions, execution: Any) -> list[float]:
    return times_of(sfn, execution, "LambdaFunctionScheduled")


def always_failing(sfn: LocalStepFunctions, exc: type[Exception] = ErrorA) -> Flaky:
    handler = Flaky(*[exc("fail") for _ in range(50)])
    sfn.register_handler("Work", handler)
    return handler


# ---------------------------------------------------------------- back-off maths


def test_given_interval_3_backoff_2_max_delay_10_when_every_attempt_fails_then_attempts_are_at_0_3_9_19(
    sfn: LocalStepFunctions,
) -> None:
    always_failing(sfn)
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxDelaySeconds": 10}]

    execution = run(sfn, machine({"Work": task(retry)}))

    assert attempt_times(sfn, execution) == [0.0, 3.0, 9.0, 19.0]
    assert times_of(sfn, execution, "ExecutionFailed") == [19.0]


def test_given_the_default_retrier_when_every_attempt_fails_then_it_retries_three_times_after_1_2_and_4_seconds(
    sfn: LocalStepFunctions,
) -> None:
    # Defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0.
    always_failing(sfn)

    execution = run(sfn, machine({"Work": task([{"ErrorEquals": ["States.ALL"]}])}))

    assert attempt_times(sfn, execution) == [0.0, 1.0, 3.0, 7.0]


def test_given_the_spec_example_retrier_when_it_fails_then_it_waits_3_and_4_point_5_seconds(
    sfn: LocalStepFunctions,
) -> None:
    # The spec: "a Retrier which will make 2 retry attempts after waits of 3 and 4.5 seconds".
    always_failing(sfn)
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}]

    execution = run(sfn, machine({"Work": task(retry)}))

    assert attempt_times(sfn, execution) == [0.0, 3.0, 7.5]


def test_given_a_backoff_rate_of_one_when_every_attempt_fails_then_the_interval_stays_constant(
    sfn: LocalStepFunctions,
) -> None:
    always_failing(sfn)
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60, "MaxAttempts": 4, "BackoffRate": 1}]

    execution = run(sfn, machine({"Work": task(retry)}))

    assert attempt_times(sfn, execution) == [0.0, 60.0, 120.0, 180.0, 240.0]


def test_given_max_attempts_zero_when_the_error_matches_then_it_is_never_retried(sfn: LocalStepFunctions) -> None:
    # The spec's "retry any error except States.Timeout" shape, with the named error given MaxAttempts 0.
    handler = always_failing(sfn)
    retry = [{"ErrorEquals": ["ErrorA"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]

    execution = run(sfn, machine({"Work": task(retry)}))

    assert handler.calls == 1
    assert (execution.status, execution.error) == ("FAILED", "ErrorA")


def test_given_a_task_that_succeeds_on_the_third_attempt_when_run_then_its_output_is_that_attempts_result(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Work", Flaky(ErrorA("1"), ErrorA("2"), result={"sent": True}))

    execution = run(sfn, machine({"Work": task([{"ErrorEquals": ["ErrorA"], "IntervalSeconds": 2}])}))

    assert execution.output == {"sent": True}
    assert attempt_times(sfn, execution) == [0.0, 2.0, 6.0]
    assert len(times_of(sfn, execution, "LambdaFunctionFailed")) == 2


def test_given_a_retry_when_waiting_between_attempts_then_the_execution_is_running(sfn: LocalStepFunctions) -> None:
    always_failing(sfn)

    execution = run(sfn, machine({"Work": task([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 600}])}), idle=False)
    sfn.advance(seconds=599)

    assert execution.status == "RUNNING"
    assert attempt_times(sfn, execution) == [0.0]


def test_given_the_spec_complex_retry_scenario_when_errors_a_b_c_b_occur_then_waits_are_1_2_5_and_z_catches(
    sfn: LocalStepFunctions,
) -> None:
    # The spec's "Complex retry scenarios": each retrier keeps its own count across the state's attempts.
    sfn.register_handler("Work", Flaky(ErrorA("a"), ErrorB("b"), ErrorC("c"), ErrorB("b")))
    definition = machine(
        {
            "X": task(
                retry=[
                    {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
                    {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
                ],
                catch=[{"ErrorEquals": ["States.ALL"], "Next": "Z"}],
                Next="Y",
            ),
            "Y": {"Type": "Succeed"},
            "Z": {"Type": "Pass", "End": True},
        }
    )

    execution = run(sfn, definition)

    assert attempt_times(sfn, execution) == [0.0, 1.0, 3.0, 8.0]
    assert execution.states_entered == ["X", "Z"]
    assert execution.output["Error"] == "ErrorB"


def test_given_a_state_visited_twice_when_it_fails_on_each_visit_then_the_retriers_reset_between_visits(
    sfn: LocalStepFunctions,
) -> None:
    # The spec: "once the interpreter transitions to another state in any way, all the Retrier parameters reset".
    calls: list[int] = []

    def fail_first_attempt_of_each_visit(event: Any, context: Any) -> Any:
        calls.append(1)
        if len(calls) % 2 == 1:
            raise ErrorA("first attempt")
        return "ok"

    sfn.register_handler("Work", fail_first_attempt_of_each_visit)
    retry = [{"ErrorEquals": ["ErrorA"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    definition = machine(
        {
            "Work": task(retry, ResultPath=None, Next="Again"),
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.visited", "IsPresent": True, "Next": "Done"}],
                "Default": "Mark",
            },
            "Mark": {"Type": "Pass", "Result": True, "ResultPath": "$.visited", "Next": "Work"},
            "Done": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, {})

    assert execution.status == "SUCCEEDED"
    assert entered_at(sfn, execution, "Work") == [0.0, 1.0]
    assert attempt_times(sfn, execution) == [0.0, 1.0, 1.0, 2.0]


# ---------------------------------------------------------------- jitter


def full_jitter_delays(seed: int) -> list[float]:
    sfn = new_sfn(seed=seed)
    always_failing(sfn)
    retry = [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": 10,
            "BackoffRate": 2,
            "MaxAttempts": 6,
            "MaxDelaySeconds": 100,
            "JitterStrategy": "FULL",
        }
    ]
    execution = run(sfn, machine({"Work": task(retry)}))
    times = attempt_times(sfn, execution)
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_given_full_jitter_when_every_attempt_fails_then_each_delay_is_between_zero_and_the_capped_backoff() -> None:
    # FULL jitter: a random delay between 0 and the computed back-off (10, 20, 40, 80, then capped at 100).
    ceilings = [10, 20, 40, 80, 100, 100]

    for seed in range(5):
        delays = full_jitter_delays(seed)
        assert len(delays) == 6
        assert all(0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))


def test_given_full_jitter_when_every_attempt_fails_then_the_delays_are_randomised() -> None:
    delays = full_jitter_delays(0)

    assert delays != [10, 20, 40, 80, 100, 100]
    assert len(set(delays)) == len(delays)


def test_given_full_jitter_and_the_same_seed_when_run_twice_then_the_attempt_times_are_identical() -> None:
    assert full_jitter_delays(7) == full_jitter_delays(7)


def test_given_jitter_none_when_every_attempt_fails_then_delays_are_the_exact_backoff(sfn: LocalStepFunctions) -> None:
    always_failing(sfn)
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 2, "JitterStrategy": "NONE"}]

    execution = run(sfn, machine({"Work": task(retry)}))

    assert attempt_times(sfn, execution) == [0.0, 2.0, 6.0]


# ---------------------------------------------------------------- what each error name matches


def route_for(sfn: LocalStepFunctions, catch_names: list[list[str]], exc: Exception) -> list[str]:
    """States entered when Work raises `exc` and catchers on `catch_names` lead to C0, C1, ..."""
    sfn.register_handler("Work", Flaky(exc))
    catch = [{"ErrorEquals": names, "Next": f"C{i}"} for i, names in enumerate(catch_names)]
    states: dict[str, Any] = {"Work": task(catch=catch)}
    states.update({f"C{i}": {"Type": "Succeed"} for i in range(len(catch_names))})
    return run(sfn, machine(states)).states_entered


def test_given_catchers_in_order_when_several_match_then_the_first_matching_catcher_wins(
    sfn: LocalStepFunctions,
) -> None:
    entered = route_for(sfn, [["Other"], ["ErrorA"], ["States.TaskFailed"], ["States.ALL"]], ErrorA("boom"))

    assert entered == ["Work", "C1"]


def test_given_a_catcher_listing_several_errors_when_any_of_them_occurs_then_it_matches(
    sfn: LocalStepFunctions,
) -> None:
    entered = route_for(sfn, [["ErrorB", "ErrorA"], ["States.ALL"]], ErrorA("boom"))

    assert entered == ["Work", "C0"]


def test_given_states_task_failed_when_a_lambda_raises_a_custom_error_then_it_matches(
    sfn: LocalStepFunctions,
) -> None:
    entered = route_for(sfn, [["Other"], ["States.TaskFailed"], ["States.ALL"]], ErrorC("boom"))

    assert entered == ["Work", "C1"]


def test_given_error_names_when_matching_then_the_comparison_is_case_sensitive(sfn: LocalStepFunctions) -> None:
    entered = route_for(sfn, [["errora"], ["States.ALL"]], ErrorA("boom"))

    assert entered == ["Work", "C1"]


def test_given_states_task_failed_when_the_task_times_out_then_it_does_not_match_but_states_all_does(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Wait for reply": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "Ask", "Payload": {"t.$": "$$.Task.Token"}},
                "TimeoutSeconds": 30,
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "Failed"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Other"},
                ],
                "End": True,
            },
            "Failed": {"Type": "Succeed"},
            "Other": {"Type": "Succeed"},
        }
    )
    sfn.register_handler("Ask", lambda event, _: None)

    execution = run(sfn, definition)

    assert execution.states_entered == ["Wait for reply", "Other"]
    assert execution.output["Error"] == "States.Timeout"
    assert entered_at(sfn, execution, "Other") == [30.0]


def test_given_a_runtime_error_when_a_states_all_retrier_and_catcher_exist_then_it_is_neither_retried_nor_caught(
    sfn: LocalStepFunctions,
) -> None:
    # Developer guide: a States.Runtime error isn't retriable, and States.ALL does not catch it.
    handler = Flaky()
    sfn.register_handler("Work", handler)
    definition = machine(
        {
            "Work": task(
                retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}],
                catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                InputPath="$.absent",
            ),
            "Recover": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition, {})

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert handler.calls == 0
    assert times_of(sfn, execution, "ExecutionFailed") == [0.0]


def test_given_a_runtime_error_when_a_catcher_names_states_runtime_then_it_is_still_not_caught(
    sfn: LocalStepFunctions,
) -> None:
    definition = machine(
        {
            "Work": task(catch=[{"ErrorEquals": ["States.Runtime"], "Next": "Recover"}], OutputPath="$.absent"),
            "Recover": {"Type": "Succeed"},
        }
    )
    sfn.register_handler("Work", Flaky())

    execution = run(sfn, definition)

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_given_a_result_over_256_kb_when_states_all_retries_and_catches_then_data_limit_exceeded_still_fails(
    sfn: LocalStepFunctions,
) -> None:
    handler = Flaky(result="x" * (256 * 1024 + 1))
    sfn.register_handler("Work", handler)
    definition = machine(
        {
            "Work": task(
                retry=[{"ErrorEquals": ["States.ALL"]}],
                catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            ),
            "Recover": {"Type": "Succeed"},
        }
    )

    execution = run(sfn, definition)

    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")
    assert handler.calls == 1


def test_given_a_result_just_under_256_kb_when_run_then_it_is_accepted(sfn: LocalStepFunctions) -> None:
    sfn.register_handler("Work", Flaky(result="x" * (256 * 1024 - 100)))

    execution = run(sfn, machine({"Work": task(ResultPath=None)}))

    assert execution.status == "SUCCEEDED"


def test_given_a_non_ascii_result_under_256_kb_in_utf8_when_run_then_it_is_accepted(sfn: LocalStepFunctions) -> None:
    # The quota counts UTF-8 bytes: 100,000 "é" are 200,000 bytes (but 600,000 characters as \u escapes).
    sfn.register_handler("Work", Flaky(result="é" * 100_000))

    execution = run(sfn, machine({"Work": task(ResultPath="$.body")}))

    assert execution.status == "SUCCEEDED"
    assert len(execution.output["body"]) == 100_000


# ---------------------------------------------------------------- error output and Catch ResultPath


def caught(sfn: LocalStepFunctions, input: Any, **catcher: Any) -> Any:
    sfn.register_handler("Work", Flaky(ErrorA("the cause")))
    definition = machine(
        {
            "Work": task(catch=[{"ErrorEquals": ["ErrorA"], "Next": "Recovery", **catcher}]),
            "Recovery": {"Type": "Pass", "End": True},
        }
    )
    return run(sfn, definition, input)


def test_given_a_catcher_without_result_path_when_it_matches_then_the_error_output_replaces_the_input(
    sfn: LocalStepFunctions,
) -> None:
    execution = caught(sfn, {"order": 1})

    assert set(execution.output) == {"Error", "Cause"}
    assert execution.output["Error"] == "ErrorA"


def test_given_a_catcher_with_result_path_when_it_matches_then_the_error_output_is_added_to_the_input(
    sfn: LocalStepFunctions,
) -> None:
    # The spec's "error-info" example.
    execution = caught(sfn, {"order": 1}, ResultPath="$.error-info")

    assert execution.output["order"] == 1
    assert execution.output["error-info"]["Error"] == "ErrorA"


def test_given_a_catcher_result_path_into_missing_objects_when_it_matches_then_they_are_created(
    sfn: LocalStepFunctions,
) -> None:
    execution = caught(sfn, {"order": 1}, ResultPath="$.errors.last")

    assert execution.output["errors"]["last"]["Error"] == "ErrorA"


def test_given_a_catcher_with_result_path_null_when_it_matches_then_the_input_passes_on_unchanged(
    sfn: LocalStepFunctions,
) -> None:
    execution = caught(sfn, {"order": 1}, ResultPath=None)

    assert execution.output == {"order": 1}


def test_given_retries_and_a_catcher_when_retries_are_exhausted_then_the_catcher_gets_the_last_error(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Work", Flaky(ErrorA("first"), ErrorA("second"), ErrorB("last")))
    definition = machine(
        {
            "Work": task(
                retry=[{"ErrorEquals": ["ErrorA"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovery"}],
            ),
            "Recovery": {"Type": "Pass", "End": True},
        }
    )

    execution = run(sfn, definition, {})

    assert execution.output["error"]["Error"] == "ErrorB"
    assert attempt_times(sfn, execution) == [0.0, 1.0, 3.0]


def test_given_a_caught_error_when_run_then_the_task_state_exits_with_the_catcher_output(
    sfn: LocalStepFunctions,
) -> None:
    execution = caught(sfn, {"order": 1}, ResultPath="$.err")

    exited = details_of(sfn, execution, "TaskStateExited")
    assert exited[0]["name"] == "Work"
    assert '"err"' in exited[0]["output"]


# ---------------------------------------------------------------- Lambda errors


class ContactSuppressed(Exception):
    pass


def test_given_a_handler_raising_when_run_then_the_error_is_the_exception_class_name_and_the_cause_is_json(
    sfn: LocalStepFunctions,
) -> None:
    import json

    sfn.register_handler("Work", Flaky(ContactSuppressed("c-1 unsubscribed")))

    execution = run(sfn, machine({"Work": task()}))

    assert execution.error == "ContactSuppressed"
    cause = json.loads(execution.cause or "")
    assert cause["errorType"] == "ContactSuppressed"
    assert cause["errorMessage"] == "c-1 unsubscribed"
    assert isinstance(cause["stackTrace"], list)


def test_given_lambda_invoke_with_a_raising_handler_when_run_then_the_error_is_the_exception_class_name(
    sfn: LocalStepFunctions,
) -> None:
    sfn.register_handler("Work", Flaky(ValueError("bad input")))
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Work", "Payload.$": "$"},
                "End": True,
            }
        }
    )

    execution = run(sfn, definition)

    assert execution.error == "ValueError"


def test_given_no_handler_for_the_function_when_run_then_the_task_fails_with_resource_not_found(
    sfn: LocalStepFunctions,
) -> None:
    execution = run(sfn, machine({"Work": task()}))

    assert execution.error == "Lambda.ResourceNotFoundException"


def test_given_a_handler_returning_a_non_json_value_when_run_then_the_task_fails(sfn: LocalStepFunctions) -> None:
    sfn.register_handler("Work", lambda event, _: {1, 2})

    execution = run(sfn, machine({"Work": task()}))

    assert execution.status == "FAILED"


@pytest.mark.parametrize("kind", ["Parallel", "Map"])
def test_given_a_retrier_on_a_parallel_or_map_state_when_a_branch_fails_then_the_whole_state_is_retried(
    sfn: LocalStepFunctions, kind: str
) -> None:
    sfn.register_handler("Work", Flaky(ErrorA("once")))
    inner = machine({"Work": task()})
    body: dict[str, Any] = {"Type": kind, "Retry": [{"ErrorEquals": ["ErrorA"], "IntervalSeconds": 4}], "End": True}
    if kind == "Parallel":
        body["Branches"] = [inner]
    else:
        body["ItemProcessor"] = inner

    execution = run(sfn, machine({"Outer": body}), [1])

    assert execution.status == "SUCCEEDED"
    assert attempt_times(sfn, execution) == [0.0, 4.0]

"""Definitions the executor refuses when they are loaded, never half-run: invalid ASL (as the spec and
AWS's validator reject it) and valid ASL this executor does not run (JSONata, variables, a distributed
Map's batching, tolerated failures and unmocked S3 reader or writer, activities). Every error names the
state and the field at fault.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sfn_helpers import fn, machine

from nurture_local.sfn.definition import load_definition
from nurture_local.sfn.errors import DefinitionError


def refused(definition: Any, substitutions: dict[str, Any] | None = None) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition, substitutions)
    return caught.value


def one_state(**body: Any) -> dict[str, Any]:
    return machine({"S": body})


def pass_state(**extra: Any) -> dict[str, Any]:
    return one_state(Type="Pass", End=True, **extra)


def task_state(**extra: Any) -> dict[str, Any]:
    return one_state(Type="Task", Resource=fn("Work"), End=True, **extra)


def map_state(**extra: Any) -> dict[str, Any]:
    return one_state(Type="Map", ItemProcessor=machine({"Inner": {"Type": "Pass", "End": True}}), End=True, **extra)


# ---------------------------------------------------------------- unsupported features


def test_given_the_jsonata_query_language_at_the_top_when_loaded_then_refused_naming_the_field() -> None:
    error = refused({**pass_state(), "QueryLanguage": "JSONata"})

    assert (error.state, error.field) == (None, "QueryLanguage")
    assert "JSONata" in str(error)


def test_given_the_jsonata_query_language_on_a_state_when_loaded_then_refused_naming_state_and_field() -> None:
    error = refused(pass_state(QueryLanguage="JSONata"))

    assert (error.state, error.field) == ("S", "QueryLanguage")


@pytest.mark.parametrize("field", ["Arguments", "Output"])
def test_given_a_jsonata_only_field_when_loaded_then_refused_naming_state_and_field(field: str) -> None:
    error = refused(task_state(**{field: {"a": "{% $states.input %}"}}))

    assert (error.state, error.field) == ("S", field)
    assert "JSONata" in error.reason


def test_given_workflow_variables_when_loaded_then_refused_naming_the_assign_field() -> None:
    error = refused(pass_state(Assign={"x": 1}))

    assert (error.state, error.field) == ("S", "Assign")


@pytest.mark.parametrize(
    "field",
    [
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "Label",
    ],
)
def test_given_a_distributed_map_field_on_an_inline_map_when_loaded_then_refused_naming_state_and_field(
    field: str,
) -> None:
    error = refused(map_state(**{field: {} if field.startswith(("Item", "Result")) else 1}))

    assert (error.state, error.field) == ("S", field)


def distributed_map(**extra: Any) -> dict[str, Any]:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        **machine({"Inner": {"Type": "Pass", "End": True}}),
    }
    return one_state(Type="Map", ItemProcessor=processor, End=True, **extra)


@pytest.mark.parametrize(
    "field",
    [
        "ItemBatcher",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
    ],
)
def test_given_a_distributed_map_field_that_is_not_emulated_when_loaded_then_refused_saying_so(field: str) -> None:
    error = refused(distributed_map(**{field: {} if field == "ItemBatcher" else 1}))

    assert (error.state, error.field) == ("S", field)
    assert "not emulated" in error.reason


@pytest.mark.parametrize("field", ["ItemReader", "ResultWriter"])
def test_given_an_unmocked_s3_field_of_a_distributed_map_when_loaded_then_refused_naming_the_mock_to_write(
    field: str,
) -> None:
    error = refused(distributed_map(**{field: {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}}))

    assert (error.state, error.field) == ("S", field)
    assert f"'S.{field}'" in error.reason


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"Mode": "PARALLEL"}, "ItemProcessor.ProcessorConfig.Mode"),
        ({"Mode": "INLINE", "ExecutionType": "STANDARD"}, "ItemProcessor.ProcessorConfig.ExecutionType"),
        ({"Mode": "DISTRIBUTED", "ExecutionType": "BATCH"}, "ItemProcessor.ProcessorConfig.ExecutionType"),
        ({"Mode": "DISTRIBUTED", "Workers": 3}, "ItemProcessor.ProcessorConfig"),
    ],
)
def test_given_a_bad_processor_config_when_loaded_then_refused_naming_the_field(
    config: dict[str, Any], field: str
) -> None:
    processor = {"ProcessorConfig": config, **machine({"Inner": {"Type": "Pass", "End": True}})}

    error = refused(one_state(Type="Map", ItemProcessor=processor, End=True))

    assert (error.state, error.field) == ("S", field)


def test_given_a_distributed_map_of_pure_states_with_a_label_when_loaded_then_it_is_accepted() -> None:
    compiled = load_definition(distributed_map(Label="Contacts", MaxConcurrency=1000))

    assert compiled.root.states["S"].distributed


def test_given_an_activity_resource_when_loaded_then_refused_naming_the_resource() -> None:
    error = refused(one_state(Type="Task", Resource="arn:aws:states:us-east-1:123456789012:activity:Approve", End=True))

    assert (error.state, error.field) == ("S", "Resource")
    assert "activit" in error.reason


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::ecs:runTask.sync",
        "arn:aws:states:::dynamodb:getItem.sync",
        "arn:aws:states:::lambda:invoke.sync",
        "arn:aws:states:::aws-sdk:dynamodb:query.sync",
        "https://example.com/task",
    ],
)
def test_given_an_integration_or_pattern_not_supported_when_loaded_then_refused_naming_the_resource(
    resource: str,
) -> None:
    error = refused(one_state(Type="Task", Resource=resource, End=True))

    assert (error.state, error.field) == ("S", "Resource")


def test_given_task_credentials_when_loaded_then_refused_naming_the_field() -> None:
    error = refused(task_state(Credentials={"RoleArn": "arn:aws:iam::123456789012:role/x"}))

    assert (error.state, error.field) == ("S", "Credentials")


# ---------------------------------------------------------------- structure


def test_given_an_unknown_state_field_when_loaded_then_refused_naming_state_and_field() -> None:
    error = refused(pass_state(Retries=3))

    assert (error.state, error.field) == ("S", "Retries")


@pytest.mark.parametrize(
    ("kind", "field"),
    [("Pass", "Retry"), ("Wait", "ResultPath"), ("Choice", "Next"), ("Succeed", "Parameters"), ("Fail", "InputPath")],
)
def test_given_a_field_not_allowed_for_the_state_type_when_loaded_then_refused(kind: str, field: str) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "Pass": {"End": True},
        "Wait": {"Seconds": 1, "End": True},
        "Choice": {"Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "S"}]},
        "Succeed": {},
        "Fail": {},
    }

    error = refused(one_state(Type=kind, **bodies[kind], **{field: "$.x"}))

    assert (error.state, error.field) == ("S", field)


def test_given_an_unknown_top_level_field_when_loaded_then_refused_naming_it() -> None:
    error = refused({**pass_state(), "Timeout": 5})

    assert "Timeout" in str(error)


def test_given_an_unknown_state_type_when_loaded_then_refused_naming_the_type_field() -> None:
    error = refused(one_state(Type="Sleep", End=True))

    assert (error.state, error.field) == ("S", "Type")


def test_given_an_unreachable_state_when_loaded_then_refused_naming_that_state() -> None:
    error = refused(machine({"A": {"Type": "Pass", "End": True}, "Orphan": {"Type": "Pass", "End": True}}))

    assert error.state == "Orphan"
    assert "not reachable" in error.reason


def test_given_a_next_naming_a_missing_state_when_loaded_then_refused_naming_state_and_next() -> None:
    error = refused(machine({"A": {"Type": "Pass", "Next": "Nowhere"}}))

    assert (error.state, error.field) == ("A", "Next")
    assert "Nowhere" in error.reason


def test_given_a_state_with_neither_next_nor_end_when_loaded_then_refused_naming_next() -> None:
    error = refused(machine({"A": {"Type": "Pass"}}))

    assert (error.state, error.field) == ("A", "Next")


def test_given_a_state_with_both_next_and_end_when_loaded_then_refused() -> None:
    error = refused(machine({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": {"Type": "Succeed"}}))

    assert (error.state, error.field) == ("A", "Next")


def test_given_end_false_when_loaded_then_refused_naming_end() -> None:
    error = refused(machine({"A": {"Type": "Pass", "End": False}}))

    assert (error.state, error.field) == ("A", "End")


def test_given_a_start_at_naming_a_missing_state_when_loaded_then_refused_naming_start_at() -> None:
    error = refused({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}})

    assert error.field == "StartAt"


def test_given_no_states_when_loaded_then_refused_naming_states() -> None:
    error = refused({"StartAt": "A", "States": {}})

    assert error.field == "States"


def test_given_a_choice_rule_to_a_missing_state_when_loaded_then_refused_naming_the_rule() -> None:
    definition = machine(
        {
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Gone"}],
                "Default": "End",
            },
            "End": {"Type": "Succeed"},
        }
    )

    error = refused(definition)

    assert (error.state, error.field) == ("Route", "Choices[0].Next")


def test_given_a_choice_default_to_a_missing_state_when_loaded_then_refused_naming_default() -> None:
    definition = machine(
        {
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "End"}],
                "Default": "Gone",
            },
            "End": {"Type": "Succeed"},
        }
    )

    error = refused(definition)

    assert (error.state, error.field) == ("Route", "Default")


def test_given_a_catcher_to_a_missing_state_when_loaded_then_refused_naming_the_catcher() -> None:
    error = refused(task_state(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]))

    assert (error.state, error.field) == ("S", "Catch[0].Next")


def test_given_a_branch_state_that_transitions_out_of_its_branch_when_loaded_then_refused() -> None:
    # The spec: states in a branch can transition only to each other.
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [machine({"Inner": {"Type": "Pass", "Next": "After"}})],
                "Next": "After",
            },
            "After": {"Type": "Succeed"},
        }
    )

    error = refused(definition)

    assert (error.state, error.field) == ("Inner", "Next")


def test_given_a_state_name_used_in_two_branches_when_loaded_then_refused_naming_the_duplicate() -> None:
    # The spec: state names MUST be unique within the scope of the whole state machine.
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    machine({"Notify": {"Type": "Pass", "End": True}}),
                    machine({"Notify": {"Type": "Pass", "End": True}}),
                ],
                "End": True,
            }
        }
    )

    error = refused(definition)

    assert error.state == "Notify"
    assert "unique" in error.reason


def test_given_a_map_state_name_reused_inside_its_processor_when_loaded_then_refused() -> None:
    definition = machine(
        {"Each": {"Type": "Map", "ItemProcessor": machine({"Each": {"Type": "Pass", "End": True}}), "End": True}}
    )

    error = refused(definition)

    assert error.state == "Each"


def test_given_an_invalid_state_inside_a_map_processor_when_loaded_then_the_error_names_the_inner_state() -> None:
    definition = machine(
        {
            "Each": {
                "Type": "Map",
                "ItemProcessor": machine({"Inner": {"Type": "Pass", "Bogus": 1, "End": True}}),
                "End": True,
            }
        }
    )

    error = refused(definition)

    assert (error.state, error.field) == ("Inner", "Bogus")


@pytest.mark.parametrize("present", [[], ["Iterator", "ItemProcessor"]])
def test_given_a_map_without_exactly_one_processor_when_loaded_then_refused(present: list[str]) -> None:
    body: dict[str, Any] = {"Type": "Map", "End": True}
    for key in present:
        body[key] = machine({f"In{key}": {"Type": "Pass", "End": True}})

    error = refused(machine({"Each": body}))

    assert (error.state, error.field) == ("Each", "ItemProcessor")


def test_given_a_branch_with_an_unknown_field_when_loaded_then_refused_naming_the_branch_field() -> None:
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [{**machine({"In": {"Type": "Pass", "End": True}}), "Extra": 1}],
                "End": True,
            }
        }
    )

    error = refused(definition)

    assert (error.state, error.field) == ("Both", "Branches[0].Extra")


def test_given_text_that_is_not_json_when_loaded_then_refused() -> None:
    error = refused('{"StartAt": ')

    assert "not valid JSON" in str(error)


def test_given_a_missing_definition_substitution_when_loaded_then_refused_naming_the_placeholder() -> None:
    error = refused(json.dumps(one_state(Type="Task", Resource="${WorkArn}", End=True)), {"Other": "x"})

    assert "${WorkArn}" in str(error)


@pytest.mark.parametrize("timeout", [0, -1, 1.5, "60"])
def test_given_a_machine_timeout_that_is_not_a_positive_integer_when_loaded_then_refused(timeout: Any) -> None:
    error = refused({**pass_state(), "TimeoutSeconds": timeout})

    assert error.field == "TimeoutSeconds"


# ---------------------------------------------------------------- paths and templates


def test_given_a_result_path_into_the_context_object_when_loaded_then_refused_naming_result_path() -> None:
    error = refused(pass_state(ResultPath="$$.Execution.Id"))

    assert (error.state, error.field) == ("S", "ResultPath")


@pytest.mark.parametrize("path", ["$.items[*]", "$..id", "$.a[0,1]", "$.a[1:2]"])
def test_given_a_result_path_that_is_not_a_reference_path_when_loaded_then_refused(path: str) -> None:
    error = refused(pass_state(ResultPath=path))

    assert (error.state, error.field) == ("S", "ResultPath")


@pytest.mark.parametrize("path", ["items", "$.", "$[", "$.a[?(@.x >"])
def test_given_an_input_path_that_is_not_a_json_path_when_loaded_then_refused_naming_input_path(path: str) -> None:
    error = refused(pass_state(InputPath=path))

    assert (error.state, error.field) == ("S", "InputPath")


def test_given_a_template_path_that_is_not_a_string_when_loaded_then_refused_naming_the_template_field() -> None:
    error = refused(pass_state(Parameters={"nested": {"id.$": 5}}))

    assert error.state == "S"
    assert error.field == "Parameters.nested.id.$"


def test_given_an_invalid_template_path_when_loaded_then_refused() -> None:
    error = refused(task_state(ResultSelector={"id.$": "body.id"}))

    assert (error.state, error.field) == ("S", "ResultSelector.id.$")


@pytest.mark.parametrize("field", ["ItemsPath", "SecondsPath", "TimeoutSecondsPath"])
def test_given_a_reference_path_field_with_a_wildcard_when_loaded_then_refused(field: str) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "ItemsPath": {"Type": "Map", "ItemProcessor": machine({"In": {"Type": "Pass", "End": True}})},
        "SecondsPath": {"Type": "Wait"},
        "TimeoutSecondsPath": {"Type": "Task", "Resource": fn("Work")},
    }

    error = refused(one_state(**bodies[field], End=True, **{field: "$.x[*]"}))

    assert (error.state, error.field) == ("S", field)


# ---------------------------------------------------------------- Wait, Task, Fail, Map fields


@pytest.mark.parametrize(
    "fields",
    [{}, {"Seconds": 1, "SecondsPath": "$.s"}, {"Timestamp": "2026-01-01T00:00:00Z", "TimestampPath": "$.t"}],
)
def test_given_a_wait_without_exactly_one_duration_field_when_loaded_then_refused(fields: dict[str, Any]) -> None:
    error = refused(one_state(Type="Wait", End=True, **fields))

    assert error.state == "S"
    assert error.field in ("Seconds", "SecondsPath", "TimestampPath")


@pytest.mark.parametrize("timestamp", ["2026-01-01", "2026-01-01T00:00:00", "next tuesday"])
def test_given_a_wait_timestamp_that_is_not_rfc3339_with_an_offset_when_loaded_then_refused(timestamp: str) -> None:
    error = refused(one_state(Type="Wait", Timestamp=timestamp, End=True))

    assert (error.state, error.field) == ("S", "Timestamp")


@pytest.mark.parametrize("seconds", [-1, 1.5, "10"])
def test_given_wait_seconds_that_are_not_a_non_negative_integer_when_loaded_then_refused(seconds: Any) -> None:
    error = refused(one_state(Type="Wait", Seconds=seconds, End=True))

    assert (error.state, error.field) == ("S", "Seconds")


def test_given_a_task_without_a_resource_when_loaded_then_refused_naming_resource() -> None:
    error = refused(one_state(Type="Task", End=True))

    assert (error.state, error.field) == ("S", "Resource")


@pytest.mark.parametrize(
    ("plain", "path"), [("TimeoutSeconds", "TimeoutSecondsPath"), ("HeartbeatSeconds", "HeartbeatSecondsPath")]
)
def test_given_a_timeout_and_its_path_together_when_loaded_then_refused(plain: str, path: str) -> None:
    error = refused(task_state(**{plain: 10, path: "$.t"}))

    assert (error.state, error.field) == ("S", path)


@pytest.mark.parametrize("field", ["TimeoutSeconds", "HeartbeatSeconds"])
@pytest.mark.parametrize("value", [0, -3, 2.5])
def test_given_a_timeout_that_is_not_a_positive_integer_when_loaded_then_refused(field: str, value: Any) -> None:
    error = refused(task_state(**{field: value}))

    assert (error.state, error.field) == ("S", field)


@pytest.mark.parametrize("heartbeat", [60, 61])
def test_given_a_heartbeat_not_smaller_than_the_timeout_when_loaded_then_refused(heartbeat: int) -> None:
    error = refused(task_state(TimeoutSeconds=60, HeartbeatSeconds=heartbeat))

    assert (error.state, error.field) == ("S", "HeartbeatSeconds")


def test_given_a_fail_state_with_error_and_error_path_when_loaded_then_refused_naming_error_path() -> None:
    error = refused(one_state(Type="Fail", Error="E", ErrorPath="$.e"))

    assert (error.state, error.field) == ("S", "ErrorPath")


def test_given_max_concurrency_and_its_path_together_when_loaded_then_refused() -> None:
    error = refused(map_state(MaxConcurrency=2, MaxConcurrencyPath="$.n"))

    assert (error.state, error.field) == ("S", "MaxConcurrencyPath")


def test_given_a_negative_max_concurrency_when_loaded_then_refused() -> None:
    error = refused(map_state(MaxConcurrency=-1))

    assert (error.state, error.field) == ("S", "MaxConcurrency")


def test_given_item_selector_and_parameters_together_on_a_map_when_loaded_then_refused() -> None:
    error = refused(map_state(ItemSelector={"a": 1}, Parameters={"b": 2}))

    assert (error.state, error.field) == ("S", "Parameters")


# ---------------------------------------------------------------- Retry and Catch


@pytest.mark.parametrize("kind", ["Retry", "Catch"])
def test_given_states_all_not_in_the_last_entry_when_loaded_then_refused(kind: str) -> None:
    entries: list[dict[str, Any]] = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["ErrorA"]}]
    if kind == "Catch":
        for entry in entries:
            entry["Next"] = "S"
    definition = machine({"S": {"Type": "Task", "Resource": fn("Work"), kind: entries, "End": True}})

    error = refused(definition)

    assert (error.state, error.field) == ("S", f"{kind}[0].ErrorEquals")
    assert "last" in error.reason


@pytest.mark.parametrize("kind", ["Retry", "Catch"])
def test_given_states_all_beside_other_names_when_loaded_then_refused(kind: str) -> None:
    entry: dict[str, Any] = {"ErrorEquals": ["ErrorA", "States.ALL"]}
    if kind == "Catch":
        entry["Next"] = "S"

    error = refused(machine({"S": {"Type": "Task", "Resource": fn("Work"), kind: [entry], "End": True}}))

    assert (error.state, error.field) == ("S", f"{kind}[0].ErrorEquals")
    assert "alone" in error.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("IntervalSeconds", 0),
        ("IntervalSeconds", 1.5),
        ("MaxAttempts", -1),
        ("BackoffRate", 0.5),
        ("MaxDelaySeconds", 0),
        ("MaxDelaySeconds", 31622400),
        ("JitterStrategy", "PARTIAL"),
        ("Delay", 3),
    ],
)
def test_given_an_invalid_retrier_field_when_loaded_then_refused_naming_it(field: str, value: Any) -> None:
    error = refused(task_state(Retry=[{"ErrorEquals": ["States.ALL"], field: value}]))

    assert (error.state, error.field) == ("S", f"Retry[0].{field}")


@pytest.mark.parametrize("names", [[], "States.ALL", [1]])
def test_given_error_equals_that_is_not_a_non_empty_list_of_names_when_loaded_then_refused(names: Any) -> None:
    error = refused(task_state(Retry=[{"ErrorEquals": names}]))

    assert (error.state, error.field) == ("S", "Retry[0].ErrorEquals")


def test_given_a_catcher_without_next_when_loaded_then_refused_naming_the_catcher_next() -> None:
    error = refused(task_state(Catch=[{"ErrorEquals": ["States.ALL"]}]))

    assert (error.state, error.field) == ("S", "Catch[0].Next")


def test_given_a_catcher_result_path_that_is_not_a_reference_path_when_loaded_then_refused() -> None:
    error = refused(
        machine(
            {
                "S": {
                    "Type": "Task",
                    "Resource": fn("Work"),
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$..e", "Next": "S"}],
                    "End": True,
                }
            }
        )
    )

    assert (error.state, error.field) == ("S", "Catch[0].ResultPath")


def test_given_retry_or_catch_on_a_pass_state_when_loaded_then_refused() -> None:
    error = refused(pass_state(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "S"}]))

    assert (error.state, error.field) == ("S", "Catch")


# ---------------------------------------------------------------- the message


def test_given_any_definition_error_when_shown_then_the_message_names_the_state_and_the_field() -> None:
    error = refused(task_state(TimeoutSeconds=0))

    assert str(error).startswith("state 'S', field 'TimeoutSeconds': ")


def test_given_a_valid_definition_with_every_state_type_when_loaded_then_it_compiles() -> None:
    definition = machine(
        {
            "P": {"Type": "Pass", "Next": "T"},
            "T": {
                "Type": "Task",
                "Resource": fn("Work"),
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxDelaySeconds": 5, "JitterStrategy": "FULL"}],
                "Next": "W",
            },
            "W": {"Type": "Wait", "Timestamp": "2026-01-01T00:00:00+01:00", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Par"}], "Default": "F"},
            "Par": {"Type": "Parallel", "Branches": [machine({"B": {"Type": "Succeed"}})], "Next": "M"},
            "M": {
                "Type": "Map",
                "Iterator": machine({"I": {"Type": "Pass", "End": True}}),
                "MaxConcurrency": 1,
                "Next": "S",
            },
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "E"},
        },
        TimeoutSeconds=86400,
        Comment="all kinds",
        Version="1.0",
    )

    compiled = load_definition(definition)

    assert set(compiled.root.states) == {"P", "T", "W", "C", "Par", "M", "S", "F"}
    assert compiled.timeout_seconds == 86400

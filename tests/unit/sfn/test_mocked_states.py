"""Mocked states run whatever their resource, as in AWS Step Functions Local.

Developer guide, "Configuration file for mocked service integrations": "You can mock any service
integration using Step Functions Local ... A mocked Task will never call the service endpoint", and a
mocked `.waitForTaskToken` task gets a generated task token. Only a state no test case mocks is
refused, when the state machine is created, naming the state and its Resource. A Task whose Resource
is a plain Lambda function ARN gets the mocked Invoke response's `Payload`, as the service gives such a
task the function's output; `arn:aws:states:::lambda:invoke` gets the whole response.
"""

from __future__ import annotations

from typing import Any

import pytest
from sfn_helpers import events, fn, machine, new_sfn

from nurture_local.sfn.errors import DefinitionError
from nurture_local.sfn.executor import LocalStepFunctions
from nurture_local.sfn.mockconfig import MockConfig

PUT_EVENTS = "arn:aws:states:::events:putEvents"
EVENT_ACCEPTED = {"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0}


def config(cases: dict[str, dict[str, str]], responses: dict[str, Any], machine_name: str = "m") -> MockConfig:
    return MockConfig({"StateMachines": {machine_name: {"TestCases": cases}}, "MockedResponses": responses})


def returns(value: Any) -> dict[str, Any]:
    return {"0": {"Return": value}}


def announce(**extra: Any) -> dict[str, Any]:
    """A Task on an integration the executor does not run itself (EventBridge PutEvents)."""
    body = {
        "Type": "Task",
        "Resource": PUT_EVENTS,
        "Parameters": {"Entries": [{"Source": "nurture", "DetailType": "Hello", "Detail.$": "$"}]},
        "End": True,
    }
    return body | extra


def sfn_with(mock_config: MockConfig) -> LocalStepFunctions:
    return new_sfn(mock_config=mock_config)


# ---------------------------------------------------------------- any resource, when mocked


def test_given_a_mocked_put_events_task_when_run_then_it_returns_the_mocked_response() -> None:
    sfn = sfn_with(config({"Happy": {"Announce": "Accepted"}}, {"Accepted": returns(EVENT_ACCEPTED)}))
    arn = sfn.create_state_machine("m", machine({"Announce": announce(ResultPath="$.sent")}))

    execution = sfn.start_execution(arn + "#Happy", {"id": 1})

    assert (execution.status, execution.output) == ("SUCCEEDED", {"id": 1, "sent": EVENT_ACCEPTED})
    assert [e["type"] for e in events(sfn, execution)][1:5] == [
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
    ]


def test_given_an_unsupported_resource_mocked_by_no_test_case_when_created_then_refused_naming_state_and_resource() -> (
    None
):
    sfn = sfn_with(config({"Happy": {"Other": "Accepted"}}, {"Accepted": returns(EVENT_ACCEPTED)}))

    with pytest.raises(DefinitionError) as caught:
        sfn.create_state_machine("m", machine({"Announce": announce()}))

    assert (caught.value.state, caught.value.field) == ("Announce", "Resource")
    assert "mock the state" in caught.value.reason


def test_given_mocks_for_another_state_machine_when_created_then_the_unsupported_resource_is_refused() -> None:
    sfn = sfn_with(config({"Happy": {"Announce": "Accepted"}}, {"Accepted": returns(EVENT_ACCEPTED)}, "other"))

    with pytest.raises(DefinitionError) as caught:
        sfn.create_state_machine("m", machine({"Announce": announce()}))

    assert (caught.value.state, caught.value.field) == ("Announce", "Resource")


def test_given_a_mocked_state_whose_resource_is_not_an_arn_when_created_then_refused_naming_the_resource() -> None:
    sfn = sfn_with(config({"Happy": {"Announce": "Accepted"}}, {"Accepted": returns(EVENT_ACCEPTED)}))

    with pytest.raises(DefinitionError) as caught:
        sfn.create_state_machine("m", machine({"Announce": announce(Resource="send-it")}))

    assert (caught.value.state, caught.value.field) == ("Announce", "Resource")
    assert "not an ARN" in caught.value.reason


def test_given_a_state_mocked_in_one_case_when_another_case_reaches_it_then_the_execution_fails_naming_it() -> None:
    sfn = sfn_with(config({"Happy": {"Announce": "Accepted"}, "Quiet": {}}, {"Accepted": returns(EVENT_ACCEPTED)}))
    arn = sfn.create_state_machine("m", machine({"Announce": announce()}))

    execution = sfn.start_execution(arn + "#Quiet")

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "test case 'Quiet' does not mock 'Announce'" in (execution.cause or "")
    assert PUT_EVENTS in (execution.cause or "")


def test_given_a_mocked_throw_on_an_unsupported_resource_when_retried_and_caught_then_retry_and_catch_apply() -> None:
    throttled = {"Throw": {"Error": "EventBridge.ThrottlingException", "Cause": "slow down"}}
    sfn = sfn_with(config({"Busy": {"Announce": "Throttled"}}, {"Throttled": {"0-1": throttled}}))
    definition = machine(
        {
            "Announce": announce(
                Retry=[{"ErrorEquals": ["EventBridge.ThrottlingException"], "MaxAttempts": 1}],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Gave up"}],
                End=None,
                Next="Done",
            ),
            "Gave up": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        }
    )
    definition["States"]["Announce"].pop("End")
    arn = sfn.create_state_machine("m", definition)

    execution = sfn.start_execution(arn + "#Busy")
    sfn.run_until_idle()

    assert execution.output == {"Error": "EventBridge.ThrottlingException", "Cause": "slow down"}
    assert execution.mock_calls == {"Announce": 2}


def test_given_a_mocked_callback_task_on_an_unsupported_resource_when_run_then_it_has_a_token_and_does_not_wait() -> (
    None
):
    sfn = sfn_with(config({"Approved": {"Ask": "Approve"}}, {"Approve": returns({"approved": True})}))
    ask = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
        "Parameters": {"Entries": [{"Detail": {"token.$": "$$.Task.Token"}, "DetailType": "Ask", "Source": "n"}]},
        "End": True,
    }
    arn = sfn.create_state_machine("m", machine({"Ask": ask}))

    execution = sfn.start_execution(arn + "#Approved")

    assert (execution.status, execution.output) == ("SUCCEEDED", {"approved": True})
    scheduled = next(e for e in events(sfn, execution) if e["type"] == "TaskScheduled")
    assert '"token":"' in scheduled["taskScheduledEventDetails"]["parameters"]


def test_given_an_unsupported_pattern_on_a_supported_service_when_mocked_then_it_runs() -> None:
    sfn = sfn_with(config({"Done": {"Crawl": "Finished"}}, {"Finished": returns({"JobRunState": "SUCCEEDED"})}))
    crawl = {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True}
    arn = sfn.create_state_machine("m", machine({"Crawl": crawl}))

    assert sfn.start_execution(arn + "#Done").output == {"JobRunState": "SUCCEEDED"}


# ---------------------------------------------------------------- mocked Lambda tasks


INVOKE_RESPONSE = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": {"score": 42}}


def test_given_a_mocked_function_arn_task_when_run_then_it_returns_the_mocked_payload() -> None:
    sfn = sfn_with(config({"Happy": {"Score": "Scored"}}, {"Scored": returns(INVOKE_RESPONSE)}))
    arn = sfn.create_state_machine("m", machine({"Score": {"Type": "Task", "Resource": fn("score"), "End": True}}))

    execution = sfn.start_execution(arn + "#Happy")

    assert execution.output == {"score": 42}


def test_given_a_mocked_lambda_invoke_task_when_run_then_it_returns_the_whole_invoke_response() -> None:
    sfn = sfn_with(config({"Happy": {"Score": "Scored"}}, {"Scored": returns(INVOKE_RESPONSE)}))
    invoke = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "score", "Payload.$": "$"},
        "End": True,
    }
    arn = sfn.create_state_machine("m", machine({"Score": invoke}))

    assert sfn.start_execution(arn + "#Happy").output == INVOKE_RESPONSE


def test_given_a_function_arn_mock_without_a_payload_when_created_then_refused_naming_the_state_and_response() -> None:
    sfn = sfn_with(config({"Happy": {"Score": "Bare"}}, {"Bare": {"0": {"Throw": {"Error": "E"}}, "1": {"Return": 1}}}))

    with pytest.raises(DefinitionError) as caught:
        sfn.create_state_machine("m", machine({"Score": {"Type": "Task", "Resource": fn("score"), "End": True}}))

    assert (caught.value.state, caught.value.field) == ("Score", "Resource")
    assert "'Bare' (test case 'Happy')" in caught.value.reason
    assert "Payload" in caught.value.reason


# ---------------------------------------------------------------- DISTRIBUTED Map

READ_CONTACTS = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}}
WRITE_RESULTS = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "runs"}}
WRITER_DETAILS = {"MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/Fan:1", "ResultWriterDetails": {}}


def fan_out(**extra: Any) -> dict[str, Any]:
    """A DISTRIBUTED Map whose iterations greet each contact (a Pass state) and announce it (mocked)."""
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hi {}', $.name)"}, "Next": "Tell"},
            "Tell": announce(ResultSelector={"failed.$": "$.FailedEntryCount"}, ResultPath="$.told"),
        },
    }
    body = {"Type": "Map", "ItemProcessor": processor, "Label": "Contacts", "MaxConcurrency": 1000, "End": True}
    return machine({"Fan": body | extra})


def test_given_a_distributed_map_of_mocked_and_pure_states_when_run_then_it_runs_like_an_inline_map() -> None:
    sfn = sfn_with(config({"Happy": {"Tell": "Accepted"}}, {"Accepted": {"0-1": {"Return": EVENT_ACCEPTED}}}))
    arn = sfn.create_state_machine("m", fan_out(ItemsPath="$.contacts"))

    execution = sfn.start_execution(arn + "#Happy", {"contacts": [{"name": "Ada"}, {"name": "Bo"}]})

    assert execution.status == "SUCCEEDED"
    assert execution.output == [
        {"greeting": "hi Ada", "told": {"failed": 0}},
        {"greeting": "hi Bo", "told": {"failed": 0}},
    ]


def test_given_a_failing_iteration_of_a_distributed_map_when_run_then_the_map_run_exceeds_the_threshold() -> None:
    # "Tolerated failure threshold for Distributed Map state": the default tolerance is 0%, "the workflow
    # fails if any one of its child workflow executions fails", with States.ExceedToleratedFailureThreshold.
    throttled = {"Throw": {"Error": "EventBridge.ThrottlingException", "Cause": "Rate exceeded"}}
    sfn = sfn_with(config({"Busy": {"Tell": "Throttled"}}, {"Throttled": {"0-9": throttled}}))
    arn = sfn.create_state_machine("m", fan_out(ItemsPath="$.contacts"))

    execution = sfn.start_execution(arn + "#Busy", {"contacts": [{"name": "Ada"}]})

    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert "EventBridge.ThrottlingException" in (execution.cause or "")


def test_given_a_mocked_item_reader_when_run_then_the_items_come_from_the_mock_through_the_item_selector() -> None:
    items = [{"name": "Ada"}, {"name": "Cy"}]
    sfn = sfn_with(
        config(
            {"Happy": {"Fan.ItemReader": "Contacts", "Tell": "Accepted"}},
            {"Contacts": returns(items), "Accepted": {"0-1": {"Return": EVENT_ACCEPTED}}},
        )
    )
    selector = {"name.$": "$$.Map.Item.Value.name", "index.$": "$$.Map.Item.Index"}
    arn = sfn.create_state_machine("m", fan_out(ItemReader=READ_CONTACTS, ItemSelector=selector))

    execution = sfn.start_execution(arn + "#Happy", {"ignored": True})

    assert [item["greeting"] for item in execution.output] == ["hi Ada", "hi Cy"]
    assert execution.mock_calls == {"Fan.ItemReader": 1, "Tell": 2}


def test_given_a_mocked_result_writer_when_run_then_the_map_result_is_the_writer_details() -> None:
    sfn = sfn_with(
        config(
            {"Happy": {"Tell": "Accepted", "Fan.ResultWriter": "Written"}},
            {"Accepted": returns(EVENT_ACCEPTED), "Written": returns(WRITER_DETAILS)},
        )
    )
    arn = sfn.create_state_machine("m", fan_out(ResultWriter=WRITE_RESULTS, ItemsPath="$.contacts", ResultPath="$.run"))

    execution = sfn.start_execution(arn + "#Happy", {"contacts": [{"name": "Ada"}]})

    assert execution.output == {"contacts": [{"name": "Ada"}], "run": WRITER_DETAILS}


def test_given_a_failing_item_reader_when_the_map_catches_it_then_the_catcher_gets_the_mocked_error() -> None:
    failure = {"Throw": {"Error": "States.ItemReaderFailed", "Cause": "NoSuchKey"}}
    sfn = sfn_with(
        config(
            {"Missing": {"Fan.ItemReader": "Gone"}, "Happy": {"Fan.ItemReader": "Gone", "Tell": "Accepted"}},
            {"Gone": {"0": failure}, "Accepted": returns(EVENT_ACCEPTED)},
        )
    )
    definition = fan_out(ItemReader=READ_CONTACTS, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "No file"}])
    definition["States"]["Fan"].pop("End")
    definition["States"]["Fan"]["Next"] = "Done"
    definition["States"] |= {"No file": {"Type": "Pass", "End": True}, "Done": {"Type": "Succeed"}}
    arn = sfn.create_state_machine("m", definition)

    execution = sfn.start_execution(arn + "#Missing")

    assert execution.output == {"Error": "States.ItemReaderFailed", "Cause": "NoSuchKey"}


def test_given_an_item_reader_mocked_in_another_case_when_run_then_the_execution_fails_naming_the_mock() -> None:
    sfn = sfn_with(
        config(
            {"Happy": {"Fan.ItemReader": "Contacts", "Tell": "Accepted"}, "Bare": {"Tell": "Accepted"}},
            {"Contacts": returns([]), "Accepted": returns(EVENT_ACCEPTED)},
        )
    )
    arn = sfn.create_state_machine("m", fan_out(ItemReader=READ_CONTACTS))

    execution = sfn.start_execution(arn + "#Bare")

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "test case 'Bare' does not mock 'Fan.ItemReader'" in (execution.cause or "")


def test_given_an_item_reader_mock_that_is_not_an_array_when_run_then_the_execution_fails_naming_it() -> None:
    sfn = sfn_with(
        config(
            {"Happy": {"Fan.ItemReader": "NotAList", "Tell": "Accepted"}},
            {"NotAList": returns({"name": "Ada"}), "Accepted": returns(EVENT_ACCEPTED)},
        )
    )
    arn = sfn.create_state_machine("m", fan_out(ItemReader=READ_CONTACTS))

    execution = sfn.start_execution(arn + "#Happy")

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "'NotAList'" in (execution.cause or "")

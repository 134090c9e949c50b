"""AWS Step Functions Local's mock configuration format: StateMachines -> TestCases -> state -> mocked
response; MockedResponses -> invocation numbers or ranges -> Return / Throw. Against the developer guide
("Configuration file for mocked service integrations") and its LambdaSQSIntegration example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sfn_helpers import Recorder, fn, machine, new_sfn, times_of

from nurture_local.sfn.executor import LocalStepFunctions, SfnApiError
from nurture_local.sfn.mockconfig import MockConfig, MockConfigError

LAMBDA_SUCCESS = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
SQS_SUCCESS = {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc"}

# The developer guide's example configuration.
GUIDE_CONFIG: dict[str, Any] = {
    "StateMachines": {
        "LambdaSQSIntegration": {
            "TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
            }
        }
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": LAMBDA_SUCCESS}},
        "LambdaMockedResourceNotReady": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}}
        },
        "MockedSQSSuccess": {"0": {"Return": SQS_SUCCESS}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": LAMBDA_SUCCESS},
        },
    },
}

DEFINITION = machine(
    {
        "LambdaState": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "HelloFunction", "Payload.$": "$"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
            "ResultPath": "$.lambda",
            "Next": "SQSState",
        },
        "SQSState": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MessageBody.$": "$"},
            "ResultPath": "$.sqs",
            "End": True,
        },
    }
)


def mocked(config: dict[str, Any] | None = None) -> tuple[LocalStepFunctions, str]:
    sfn = new_sfn(mock_config=MockConfig(config or GUIDE_CONFIG))
    return sfn, sfn.create_state_machine("LambdaSQSIntegration", DEFINITION)


# ---------------------------------------------------------------- Return and Throw


def test_given_the_happy_path_case_when_run_then_each_task_returns_its_mocked_response() -> None:
    sfn, arn = mocked()

    execution = sfn.start_execution(arn + "#HappyPath", {"id": 1})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"id": 1, "lambda": LAMBDA_SUCCESS, "sqs": SQS_SUCCESS}


def test_given_a_mocked_task_when_run_then_the_real_handler_is_never_called() -> None:
    sfn, arn = mocked()
    handler = Recorder()
    sfn.register_handler("HelloFunction", handler)

    sfn.start_execution(arn + "#HappyPath")

    assert handler.events == []


def test_given_the_retry_path_when_run_then_invocations_0_to_2_throw_and_3_returns_counting_retries() -> None:
    sfn, arn = mocked()

    execution = sfn.start_execution(arn + "#RetryPath", {"id": 1})
    sfn.run_until_idle()

    assert execution.status == "SUCCEEDED"
    assert execution.output["lambda"] == LAMBDA_SUCCESS
    assert times_of(sfn, execution, "TaskScheduled")[:4] == [0.0, 2.0, 6.0, 14.0]
    failures = [
        e["taskFailedEventDetails"]["error"]
        for e in sfn.get_execution_history(execution.arn)
        if e["type"] == "TaskFailed"
    ]
    assert failures == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]


def test_given_a_throw_response_when_a_catcher_matches_then_the_mocked_error_and_cause_are_caught() -> None:
    config = {
        "StateMachines": {"m": {"TestCases": {"Down": {"Work": "NotReady"}}}},
        "MockedResponses": {
            "NotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}}}
        },
    }
    sfn = new_sfn(mock_config=MockConfig(config))
    arn = sfn.create_state_machine(
        "m",
        machine(
            {
                "Work": {
                    "Type": "Task",
                    "Resource": fn("Work"),
                    "Catch": [{"ErrorEquals": ["Lambda.ResourceNotReadyException"], "Next": "Fallback"}],
                    "End": True,
                },
                "Fallback": {"Type": "Pass", "End": True},
            }
        ),
    )

    execution = sfn.start_execution(arn + "#Down")

    assert execution.output == {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}


def test_given_more_invocations_than_mocked_responses_when_run_then_the_execution_fails() -> None:
    # Developer guide: "If you do not specify a mocked response, the state machine execution will fail."
    config = {
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {"Short": {"LambdaState": "OneFailure"}}}},
        "MockedResponses": {"OneFailure": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "t"}}}},
    }
    sfn, arn = mocked(config)

    execution = sfn.start_execution(arn + "#Short")
    sfn.run_until_idle()

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "OneFailure" in (execution.cause or "")


def test_given_a_hybrid_case_when_a_state_is_not_mocked_then_it_calls_the_real_integration() -> None:
    class FakeSqs:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send_message(self, **params: Any) -> dict[str, Any]:
            self.sent.append(params)
            return {"MessageId": "real"}

    sqs = FakeSqs()
    sfn = new_sfn(mock_config=MockConfig(GUIDE_CONFIG), clients={"sqs": sqs})
    arn = sfn.create_state_machine("LambdaSQSIntegration", DEFINITION)

    execution = sfn.start_execution(arn + "#HybridPath", {"id": 1})

    assert execution.output["sqs"] == {"MessageId": "real"}
    assert json.loads(sqs.sent[0]["MessageBody"])["id"] == 1


def test_given_the_test_case_keyword_when_starting_then_it_selects_the_case_like_the_arn_suffix() -> None:
    sfn, arn = mocked()

    execution = sfn.start_execution(arn, {"id": 1}, test_case="HappyPath")

    assert execution.output["sqs"] == SQS_SUCCESS


def test_given_two_executions_of_a_case_when_run_then_each_counts_invocations_from_zero() -> None:
    config = {
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {"Once": {"LambdaState": "S", "SQSState": "Q"}}}},
        "MockedResponses": {"S": {"0": {"Return": {"n": 0}}}, "Q": {"0": {"Return": {}}}},
    }
    sfn, arn = mocked(config)

    first = sfn.start_execution(arn + "#Once")
    second = sfn.start_execution(arn + "#Once")

    assert first.status == second.status == "SUCCEEDED"


def test_given_a_mocked_callback_task_when_run_then_it_returns_the_mocked_response_without_waiting() -> None:
    config = {
        "StateMachines": {"m": {"TestCases": {"Approved": {"Ask": "Approve"}}}},
        "MockedResponses": {"Approve": {"0": {"Return": {"approved": True}}}},
    }
    sfn = new_sfn(mock_config=MockConfig(config))
    arn = sfn.create_state_machine(
        "m",
        machine(
            {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                    "End": True,
                }
            }
        ),
    )

    execution = sfn.start_execution(arn + "#Approved")

    assert (execution.status, execution.output) == ("SUCCEEDED", {"approved": True})
    assert sfn.pending_tokens() == {}


def test_given_an_unknown_test_case_when_starting_then_the_configuration_error_names_the_known_cases() -> None:
    sfn, arn = mocked()

    with pytest.raises(MockConfigError, match="LambdaSQSIntegration#HappyPath"):
        sfn.start_execution(arn + "#NoSuchCase")


def test_given_no_mock_configuration_when_starting_with_a_test_case_then_it_is_refused(
    sfn: LocalStepFunctions,
) -> None:
    arn = sfn.create_state_machine("m", machine({"P": {"Type": "Pass", "End": True}}))

    with pytest.raises(SfnApiError):
        sfn.start_execution(arn + "#HappyPath")


# ---------------------------------------------------------------- loading and bad configurations


def test_given_a_configuration_file_when_loaded_then_its_cases_are_available(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(GUIDE_CONFIG), encoding="utf-8")

    config = MockConfig.load(path)

    case = config.test_case("LambdaSQSIntegration", "RetryPath")
    assert set(case.states) == {"LambdaState", "SQSState"}


def test_given_a_file_that_is_not_json_when_loaded_then_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(MockConfigError, match="not valid JSON"):
        MockConfig.load(path)


def with_response(response: Any) -> dict[str, Any]:
    return {"StateMachines": {"m": {"TestCases": {"c": {"S": "R"}}}}, "MockedResponses": {"R": response}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be a JSON object"),
        ({"StateMachines": {}, "Extra": {}}, "unknown top-level"),
        ({"StateMachines": {"m": {}}}, "TestCases"),
        ({"StateMachines": {"m": {"TestCases": {"c": {"S": "Missing"}}}}}, "no mocked response named 'Missing'"),
        (with_response({}), "non-empty object"),
        (with_response({"first": {"Return": 1}}), "'first' is not an invocation number"),
        (with_response({"3-1": {"Return": 1}}), "ends before it starts"),
        (with_response({"0-2": {"Return": 1}, "2": {"Return": 2}}), "overlap"),
        (with_response({"0": {"Value": 1}}), "Return"),
        (with_response({"0": {"Return": 1, "Throw": {"Error": "E"}}}), "Return"),
        (with_response({"0": {"Throw": {"Cause": "no error"}}}), "'Error' string"),
    ],
)
def test_given_a_malformed_configuration_when_loaded_then_the_error_names_the_problem(
    document: Any, message: str
) -> None:
    with pytest.raises(MockConfigError, match=message):
        MockConfig(document)

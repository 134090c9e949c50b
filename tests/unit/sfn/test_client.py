"""The boto3-shaped client over the local executor: same calls, shapes and error codes as boto3."""

import json

import pytest
from botocore.exceptions import ClientError

from nurture_local.sfn.client import LocalStepFunctionsClient
from nurture_local.sfn.executor import LocalStepFunctions

WAIT_THEN_ECHO = json.dumps(
    {
        "StartAt": "Wait a day",
        "States": {
            "Wait a day": {"Type": "Wait", "Seconds": 86400, "Next": "Echo"},
            "Echo": {"Type": "Pass", "End": True},
        },
    }
)


@pytest.fixture
def client() -> LocalStepFunctionsClient:
    return LocalStepFunctionsClient(LocalStepFunctions())


def test_given_a_machine_when_started_and_a_day_passes_then_describe_shows_the_output(client):
    arn = client.create_state_machine(name="echo", definition=WAIT_THEN_ECHO, roleArn="arn:aws:iam::1:role/r")[
        "stateMachineArn"
    ]
    started = client.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 1}')
    assert client.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"

    client.executor.advance(days=1)

    described = client.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}
    assert [e["name"] for e in client.list_executions(stateMachineArn=arn)["executions"]] == ["run-1"]


def test_given_a_running_execution_when_the_same_name_starts_with_other_input_then_execution_already_exists(client):
    arn = client.create_state_machine(name="echo", definition=WAIT_THEN_ECHO)["stateMachineArn"]
    first = client.start_execution(stateMachineArn=arn, name="welcome-c1", input="{}")
    again = client.start_execution(stateMachineArn=arn, name="welcome-c1", input="{}")
    assert again["executionArn"] == first["executionArn"]

    with pytest.raises(ClientError) as raised:
        client.start_execution(stateMachineArn=arn, name="welcome-c1", input='{"other": true}')

    assert raised.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert raised.value.operation_name == "StartExecution"


def test_given_an_invalid_definition_when_created_then_invalid_definition_names_the_state(client):
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}})

    with pytest.raises(ClientError) as raised:
        client.create_state_machine(name="bad", definition=bad)

    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "state 'A'" in raised.value.response["Error"]["Message"]


def test_given_an_unknown_execution_when_described_then_execution_does_not_exist(client):
    with pytest.raises(ClientError) as raised:
        client.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:x")

    assert raised.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_given_a_stopped_execution_when_described_then_it_is_aborted(client):
    arn = client.create_state_machine(name="echo", definition=WAIT_THEN_ECHO)["stateMachineArn"]
    started = client.start_execution(stateMachineArn=arn, name="stop-me")

    client.stop_execution(executionArn=started["executionArn"], error="Unsubscribed", cause="contact left")

    described = client.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "ABORTED"
    assert described["error"] == "Unsubscribed"

"""JourneyExecutions on moto's Step Functions: a second start of a name is 'already started', a stop of
an execution that does not exist is 'not_found', a late resume is 'late'; other refusals are mapped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from nurture.adapters.stepfunctions import JourneyExecutions
from nurture.errors import ConfigurationError, DependencyUnavailable
from nurture.journeys.enrolments import execution_arn, state_machine_arn

PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
NAME = "welcome-0123456789abcdef0123456789abcdef-1"
DEFINITION = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}})


@pytest.fixture
def sfn(aws: None) -> Any:
    import boto3

    client = boto3.client("stepfunctions", region_name="us-east-1")
    client.create_state_machine(
        name="nurture-journey-welcome", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/journeys"
    )
    return client


class Refusing:
    """A boto3-shaped client whose every call raises AWS's error ``code``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def _refuse(self, operation: str) -> Any:
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, operation)

    def start_execution(self, **_: Any) -> Any:
        return self._refuse("StartExecution")

    def stop_execution(self, **_: Any) -> Any:
        return self._refuse("StopExecution")

    def send_task_success(self, **_: Any) -> Any:
        return self._refuse("SendTaskSuccess")


def test_given_the_prefix_when_naming_then_arns_follow_the_contract() -> None:
    assert state_machine_arn(PREFIX, "welcome") == PREFIX + "welcome"
    assert execution_arn(PREFIX, "welcome", NAME) == (
        f"arn:aws:states:us-east-1:123456789012:execution:nurture-journey-welcome:{NAME}"
    )


def test_given_a_name_when_started_twice_then_one_execution_and_the_second_is_already_started(sfn: Any) -> None:
    executions = JourneyExecutions(sfn)
    arn = state_machine_arn(PREFIX, "welcome")

    first = executions.start(arn, NAME, {"journey": "welcome", "contact_id": "c1"})
    second = executions.start(arn, NAME, {"journey": "welcome", "contact_id": "c1", "other": True})

    assert first.status == "started"
    assert first.execution_arn == execution_arn(PREFIX, "welcome", NAME)
    assert second.status == "already_started"
    listed = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [execution["name"] for execution in listed] == [NAME]
    described = sfn.describe_execution(executionArn=execution_arn(PREFIX, "welcome", NAME))
    assert json.loads(described["input"]) == {"contact_id": "c1", "journey": "welcome"}


def test_given_a_running_execution_when_stopped_then_it_is_aborted_with_the_reason(sfn: Any) -> None:
    executions = JourneyExecutions(sfn)
    executions.start(state_machine_arn(PREFIX, "welcome"), NAME, {})
    arn = execution_arn(PREFIX, "welcome", NAME)

    assert executions.stop(arn, error="JourneyExited", cause="ordered") == "stopped"

    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_given_no_such_execution_when_stopped_then_it_is_not_found_not_an_error(sfn: Any) -> None:
    assert JourneyExecutions(sfn).stop(execution_arn(PREFIX, "welcome", "never-started"), cause="ordered") in (
        "not_found",
        "stopped",
    )
    assert JourneyExecutions(Refusing("ExecutionDoesNotExist")).stop("arn", cause="ordered") == "not_found"


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_given_a_wait_that_is_over_when_resumed_then_it_is_late_not_an_error(code: str) -> None:
    assert JourneyExecutions(Refusing(code)).resume("token", {"outcome": "email.clicked"}) == "late"


def test_given_a_waiting_task_when_resumed_then_send_task_success_gets_the_output() -> None:
    calls: list[dict[str, Any]] = []

    class Recording:
        def send_task_success(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return {}

    status = JourneyExecutions(Recording()).resume(
        "tok", {"outcome": "order.placed", "at": "2026-01-01T00:00:00+00:00"}
    )

    assert status == "resumed"
    assert calls == [{"taskToken": "tok", "output": '{"outcome":"order.placed","at":"2026-01-01T00:00:00+00:00"}'}]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ThrottlingException", DependencyUnavailable),
        ("ServiceUnavailable", DependencyUnavailable),
        ("StateMachineDoesNotExist", ConfigurationError),
        ("AccessDeniedException", ConfigurationError),
    ],
)
def test_given_a_refusal_when_calling_then_it_is_mapped(code: str, error: type[Exception]) -> None:
    executions = JourneyExecutions(Refusing(code))
    with pytest.raises(error, match=code):
        executions.start(PREFIX + "welcome", NAME, {})
    with pytest.raises(error, match=code):
        executions.stop("arn", cause="ordered")
    with pytest.raises(error, match=code):
        executions.resume("tok", {})


def test_given_an_invalid_name_when_started_then_it_is_refused_before_any_call() -> None:
    with pytest.raises(ValueError, match="80"):
        JourneyExecutions(Refusing("Unused")).start(PREFIX + "welcome", "x" * 81, {})

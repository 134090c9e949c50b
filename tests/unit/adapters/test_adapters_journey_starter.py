"""JourneyStarter: deterministic execution names; a second start is 'already started', not an error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from nurture.adapters.stepfunctions import JourneyStarter
from nurture.errors import ConfigurationError, DependencyUnavailable

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:WelcomeJourney"
CONTACT_ID = "0123456789abcdef0123456789abcdef"


class FakeStepFunctions:
    """Records start_execution calls; answers like AWS (ExecutionAlreadyExists for a known name)."""

    def __init__(self, error_code: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error_code = error_code

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.calls.append({"stateMachineArn": stateMachineArn, "name": name, "input": input})
        code = self.error_code
        if code is None and sum(call["name"] == name for call in self.calls) > 1:
            code = "ExecutionAlreadyExists"
        if code is not None:
            raise ClientError({"Error": {"Code": code, "Message": "no"}}, "StartExecution")
        return {"executionArn": f"{ARN.replace(':stateMachine:', ':execution:')}:{name}"}


def test_given_a_contact_when_started_then_the_execution_is_named_welcome_contact_with_its_input() -> None:
    client = FakeStepFunctions()

    started = JourneyStarter(ARN, client).start(CONTACT_ID)

    assert started.status == "started"
    assert started.execution_name == f"welcome-{CONTACT_ID}"
    assert started.execution_arn is not None
    assert started.execution_arn.endswith(f":welcome-{CONTACT_ID}")
    [call] = client.calls
    assert call["stateMachineArn"] == ARN
    assert call["name"] == f"welcome-{CONTACT_ID}"
    assert json.loads(call["input"]) == {"contact_id": CONTACT_ID, "journey": "welcome"}


def test_given_a_started_journey_when_started_again_then_it_is_already_started_not_an_error() -> None:
    client = FakeStepFunctions()
    starter = JourneyStarter(ARN, client)
    starter.start(CONTACT_ID)

    again = starter.start(CONTACT_ID)

    assert again.status == "already_started"
    assert again.execution_arn is None
    assert len(client.calls) == 2


def test_given_throttling_when_starting_then_the_dependency_is_unavailable() -> None:
    with pytest.raises(DependencyUnavailable, match="ThrottlingException"):
        JourneyStarter(ARN, FakeStepFunctions("ThrottlingException")).start(CONTACT_ID)


def test_given_a_missing_state_machine_when_starting_then_it_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="StateMachineDoesNotExist"):
        JourneyStarter(ARN, FakeStepFunctions("StateMachineDoesNotExist")).start(CONTACT_ID)


def test_given_a_contact_id_that_cannot_name_an_execution_when_starting_then_nothing_is_called() -> None:
    client = FakeStepFunctions()

    with pytest.raises(ValueError, match="execution name"):
        JourneyStarter(ARN, client).start("not a valid id/" + "x" * 80)

    assert client.calls == []

"""Starting journeys (Step Functions executions) idempotently.

``JourneyStarter(state_machine_arn, client=None, *, journey="welcome")``: ``start(contact_id)``
starts an execution named ``<journey>-<contact_id>`` with input
``{"contact_id": "...", "journey": "<journey>"}``. Execution names are unique per state machine for
90 days, so a second start for the same contact is AWS's ``ExecutionAlreadyExists``: reported as
``already_started``, not an error. (While the first execution still runs, AWS answers a start with
the same name and input with that execution's ARN instead: reported as ``started``, and it is still
one execution.) A state machine that does not exist or may not be started is a
``ConfigurationError``; throttling and other failures are ``DependencyUnavailable`` (retry later).

The client is a boto3 ``stepfunctions`` client or anything with the same ``start_execution``
keywords that raises ``botocore.exceptions.ClientError`` with AWS's codes, such as the local
executor's facade (``nurture_local.sfn.client.LocalStepFunctionsClient``). Without one, a boto3
client is created on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import ConfigurationError, DependencyUnavailable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_stepfunctions import SFNClient

_DEPENDENCY = "step functions"
# Step Functions execution names: 1 to 80 letters, digits, '-' or '_'.
_EXECUTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_CONFIGURATION_CODES = frozenset(
    {
        "StateMachineDoesNotExist",
        "StateMachineDeleting",
        "InvalidArn",
        "AccessDeniedException",
        "KmsAccessDeniedException",
    }
)


class StartsExecutions(Protocol):
    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class JourneyStart:
    status: Literal["started", "already_started"]
    execution_name: str
    execution_arn: str | None = None  # None when already started (AWS does not say which execution)


class JourneyStarter:
    def __init__(
        self,
        state_machine_arn: str,
        client: SFNClient | StartsExecutions | None = None,
        *,
        journey: str = "welcome",
    ) -> None:
        self._state_machine_arn = state_machine_arn
        self._client = client
        self._journey = journey

    @property
    def journey(self) -> str:
        return self._journey

    @property
    def client(self) -> SFNClient | StartsExecutions:
        if self._client is None:
            self._client = boto3.client("stepfunctions")
        return self._client

    def execution_name(self, contact_id: str) -> str:
        name = f"{self._journey}-{contact_id}"
        if not _EXECUTION_NAME.fullmatch(name):
            raise ValueError("journey and contact id must make an execution name of at most 80 [A-Za-z0-9_-]")
        return name

    def start(self, contact_id: str) -> JourneyStart:
        """Start the journey for this contact, or report that it was started before."""
        name = self.execution_name(contact_id)
        payload = json.dumps({"contact_id": contact_id, "journey": self._journey}, separators=(",", ":"))
        try:
            answer = self.client.start_execution(stateMachineArn=self._state_machine_arn, name=name, input=payload)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "ExecutionAlreadyExists":
                return JourneyStart("already_started", name)
            if code in _CONFIGURATION_CODES:
                raise ConfigurationError(f"cannot start the {self._journey} journey: {code}") from exc
            raise DependencyUnavailable(_DEPENDENCY, f"StartExecution: {code}") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"StartExecution: {type(exc).__name__}") from exc
        return JourneyStart("started", name, str(answer["executionArn"]))

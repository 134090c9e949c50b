"""Journey executions on Step Functions: start, stop and resume them idempotently.

``JourneyExecutions(client=None)``; the ARNs it is given come from the one prefix ProcessFunction
is given (``nurture.journeys.enrolments.state_machine_arn`` / ``execution_arn``).

- ``start(state_machine_arn, name, input)``: execution names are unique per state machine for 90
  days, so a second start of the same name is AWS's ``ExecutionAlreadyExists``: ``already_started``,
  not an error. (While the first still runs, AWS answers a start with the same name and input with
  that execution's ARN instead: ``started``, still one execution.)
- ``stop(execution_arn, error, cause)``: an execution that does not exist (never started, or the
  start lost a race with this stop) is ``not_found``, not an error; stopping one that has ended
  already changes nothing (AWS answers it like any stop).
- ``resume(token, output)``: SendTaskSuccess; ``TaskTimedOut`` / ``InvalidToken`` /
  ``TaskDoesNotExist`` (the wait is over: a late event, a second click) are ``late``, not errors.

A state machine that does not exist or may not be called is a ``ConfigurationError``; throttling
and other failures are ``DependencyUnavailable`` (retry later).

The client is a boto3 ``stepfunctions`` client or anything with the same keywords that raises
``botocore.exceptions.ClientError`` with AWS's codes (the local executor's facade,
``nurture_local.sfn.client.LocalStepFunctionsClient``). Without one, a boto3 client is created on
first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NoReturn

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
_LATE_CODES = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


@dataclass(frozen=True, slots=True)
class JourneyStart:
    status: Literal["started", "already_started"]
    execution_name: str
    execution_arn: str | None = None  # None when already started (AWS does not say which execution)


StopStatus = Literal["stopped", "not_found"]
ResumeStatus = Literal["resumed", "late"]


class JourneyExecutions:
    def __init__(self, client: SFNClient | Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("stepfunctions")
        return self._client

    def start(self, state_machine_arn: str, name: str, input: Mapping[str, Any]) -> JourneyStart:
        """Start the execution ``name``, or report that it was started before."""
        if not _EXECUTION_NAME.fullmatch(name):
            raise ValueError("an execution name is at most 80 characters of [A-Za-z0-9_-]")
        payload = json.dumps(input, separators=(",", ":"), sort_keys=True)
        try:
            answer = self.client.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload)
        except ClientError as exc:
            if _code(exc) == "ExecutionAlreadyExists":
                return JourneyStart("already_started", name)
            _raise("StartExecution", exc)
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"StartExecution: {type(exc).__name__}") from exc
        return JourneyStart("started", name, str(answer["executionArn"]))

    def stop(self, execution_arn: str, *, error: str = "JourneyExited", cause: str) -> StopStatus:
        try:
            self.client.stop_execution(executionArn=execution_arn, error=error, cause=cause)
        except ClientError as exc:
            if _code(exc) == "ExecutionDoesNotExist":
                return "not_found"
            _raise("StopExecution", exc)
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"StopExecution: {type(exc).__name__}") from exc
        return "stopped"

    def resume(self, token: str, output: Mapping[str, Any]) -> ResumeStatus:
        try:
            self.client.send_task_success(taskToken=token, output=json.dumps(output, separators=(",", ":")))
        except ClientError as exc:
            if _code(exc) in _LATE_CODES:
                return "late"
            _raise("SendTaskSuccess", exc)
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"SendTaskSuccess: {type(exc).__name__}") from exc
        return "resumed"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _raise(operation: str, exc: ClientError) -> NoReturn:
    code = _code(exc)
    if code in _CONFIGURATION_CODES:
        raise ConfigurationError(f"{operation} refused: {code}") from exc
    raise DependencyUnavailable(_DEPENDENCY, f"{operation}: {code}") from exc

"""A boto3-shaped Step Functions client backed by the local executor.

Handlers take their Step Functions client as a parameter; in AWS that is
``boto3.client("stepfunctions")``, in the local runtime it is this class. Method names, keyword
arguments, response shapes and errors (`botocore.exceptions.ClientError` with AWS's error codes)
follow boto3, so the handler code is the same in both places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .clock import to_datetime
from .errors import DefinitionError
from .executor import LocalStepFunctions, SfnApiError


class LocalStepFunctionsClient:
    def __init__(self, executor: LocalStepFunctions) -> None:
        self.executor = executor

    def _call(self, operation: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except SfnApiError as exc:
            raise _client_error(operation, exc.code, exc.message) from exc
        except DefinitionError as exc:
            raise _client_error(operation, "InvalidDefinition", str(exc)) from exc

    def create_state_machine(self, *, name: str, definition: str, roleArn: str = "", **_: Any) -> dict[str, Any]:
        arn = self._call(
            "CreateStateMachine",
            lambda: self.executor.create_state_machine(name, definition, role_arn=roleArn or None),
        )
        return {"stateMachineArn": arn, "creationDate": self.executor.now}

    def start_execution(
        self,
        *,
        stateMachineArn: str,
        name: str | None = None,
        input: str = "{}",
        **_: Any,
    ) -> dict[str, Any]:
        execution = self._call(
            "StartExecution", lambda: self.executor.start_execution(stateMachineArn, input, name=name)
        )
        return {"executionArn": execution.arn, "startDate": to_datetime(execution.start)}

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:
        return dict(self._call("DescribeExecution", lambda: self.executor.describe_execution(executionArn)))

    def stop_execution(
        self,
        *,
        executionArn: str,
        error: str | None = None,
        cause: str | None = None,
    ) -> dict[str, Any]:
        execution = self._call("StopExecution", lambda: self.executor.stop_execution(executionArn, error, cause))
        return {"stopDate": to_datetime(execution.stop or self.executor.clock.now())}

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        self._call("SendTaskSuccess", lambda: self.executor.send_task_success(taskToken, output))
        return {}

    def send_task_failure(
        self,
        *,
        taskToken: str,
        error: str | None = None,
        cause: str | None = None,
    ) -> dict[str, Any]:
        self._call("SendTaskFailure", lambda: self.executor.send_task_failure(taskToken, error, cause))
        return {}

    def send_task_heartbeat(self, *, taskToken: str) -> dict[str, Any]:
        self._call("SendTaskHeartbeat", lambda: self.executor.send_task_heartbeat(taskToken))
        return {}

    def get_execution_history(self, *, executionArn: str, **_: Any) -> dict[str, Any]:
        return {"events": self._call("GetExecutionHistory", lambda: self.executor.get_execution_history(executionArn))}

    def list_executions(
        self,
        *,
        stateMachineArn: str,
        statusFilter: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._call("ListExecutions", lambda: self.executor.state_machine(stateMachineArn))
        executions = self.executor.executions(stateMachineArn, statusFilter)
        return {
            "executions": [
                {
                    "executionArn": e.arn,
                    "stateMachineArn": e.state_machine.arn,
                    "name": e.name,
                    "status": e.status,
                    "startDate": to_datetime(e.start),
                    **({"stopDate": to_datetime(e.stop)} if e.stop is not None else {}),
                }
                for e in executions
            ]
        }


def _client_error(operation: str, code: str, message: str) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return ClientError(response, operation)

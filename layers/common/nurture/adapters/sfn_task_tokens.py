"""Resuming a journey execution that waits on a task token (Step Functions SendTaskSuccess).

``TaskTimedOut``, ``InvalidToken`` and ``TaskDoesNotExist`` mean the wait is over already (it timed
out, the execution ended, or the token was used): a late event, answered False, never an error.
Anything else is ``DependencyUnavailable`` (the caller fails and its event is retried). The client
is boto3's ``stepfunctions`` or anything with the same keywords and ClientErrors (the local
executor's `nurture_local.sfn.client.LocalStepFunctionsClient`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_WAIT_OVER: Final = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class StepFunctionsTaskTokens:
    def __init__(self, client: SFNClient | Any) -> None:
        self._client = client

    def succeed(self, token: str, output: Mapping[str, Any]) -> bool:
        """True when the waiting task took the output; False when its wait was already over."""
        try:
            self._client.send_task_success(taskToken=token, output=json.dumps(dict(output), separators=(",", ":")))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _WAIT_OVER:
                return False
            raise DependencyUnavailable("step functions", f"SendTaskSuccess: {code}") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("step functions", f"SendTaskSuccess: {type(exc).__name__}") from exc
        return True

"""Errors raised by the local executor.

Two families: `DefinitionError` when a state machine is loaded (nothing has run yet), and
`StatesError` at run time, carrying the ASL error name and cause that Retry/Catch match on.
"""

from __future__ import annotations


class DefinitionError(ValueError):
    """A definition the executor refuses to load: names the state and field at fault."""

    def __init__(self, message: str, *, state: str | None = None, field: str | None = None) -> None:
        self.state = state
        self.field = field
        self.reason = message
        where = []
        if state is not None:
            where.append(f"state '{state}'")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StatesError(Exception):
    """A run-time failure with an ASL error name (e.g. ``States.Runtime``) and a cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


# The predefined error names AWS documents (Amazon States Language, "Error names").
ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
ITEM_READER_FAILED = "States.ItemReaderFailed"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

"""What a DynamoDB refusal means, for every repository: retry later (`DependencyUnavailable`) or a
store error retrying will not fix (each repository names its own class)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable, NurtureError

# Error codes that mean "try again later" (the caller's retry: an SQS redelivery, a state machine
# Retry), with the transaction cancellation reasons that mean the same.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def store_error(
    dependency: str, operation: str, exc: ClientError, permanent: Callable[[str, str], NurtureError]
) -> NurtureError:
    """``DependencyUnavailable`` for a retryable code, else ``permanent(operation, code)``."""
    code = error_code(exc)
    if code in RETRYABLE_CODES:
        return DependencyUnavailable(dependency, f"{operation}: {code}")
    return permanent(operation, code)


def call_store(
    dependency: str,
    operation: str,
    permanent: Callable[[str, str], NurtureError],
    call: Callable[..., Mapping[str, Any]],
    **request: Any,
) -> Mapping[str, Any]:
    """One DynamoDB call, its refusals mapped (`store_error`; no connection: `DependencyUnavailable`)."""
    try:
        return call(**request)
    except ClientError as exc:
        raise store_error(dependency, operation, exc, permanent) from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable(dependency, f"{operation}: {type(exc).__name__}") from exc


def query_pages(query: Callable[..., Mapping[str, Any]], request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every page of one Query, following ``LastEvaluatedKey``; the caller may stop early (no page
    beyond the one it stopped in is read)."""
    arguments = dict(request)
    while True:
        page = query(**arguments)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def conditional_store(
    dependency: str,
    operation: str,
    permanent: Callable[[str, str], NurtureError],
    call: Callable[..., Mapping[str, Any]],
    **request: Any,
) -> bool:
    """One conditional DynamoDB write: False when its condition does not hold; other refusals and no
    connection as `call_store` maps them."""
    try:
        call(**request)
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise store_error(dependency, operation, exc, permanent) from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable(dependency, f"{operation}: {type(exc).__name__}") from exc
    return True


class DependencyTable:
    """The table an adapter reads and writes, every refusal and lost connection one
    `DependencyUnavailable` naming ``what`` (the adapters whose callers retry all alike)."""

    def __init__(self, table_name: str, client: Any, what: str) -> None:
        self._table = table_name
        self._client = client
        self._what = what

    def _call(self, operation: str, **request: Any) -> Any:
        try:
            return getattr(self._client, operation)(TableName=self._table, **request)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(self._what, str(exc)) from exc

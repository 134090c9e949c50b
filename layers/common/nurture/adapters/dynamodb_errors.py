"""What a DynamoDB refusal means, for every repository: retry later (`DependencyUnavailable`) or a
store error retrying will not fix (each repository names its own class)."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

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

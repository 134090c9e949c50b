"""Answer chosen AWS operations in-process, below boto3, so shipped code runs unchanged and fast.

moto answers a boto3 call by building an HTTP request, signing it, matching its URL against every
service, dispatching it to a response class and serialising a reply that botocore parses again: about
3-8 ms a call, most of a local run's time. For the operations a run makes by the thousand, `route_to_local`
answers the call from a Python callable instead: botocore still validates the parameters against the
service model (a shipped adapter's malformed call still fails as it would on AWS), then the callable
gets exactly the parameters the caller passed and returns the parsed response. Service errors become the
same modeled `ClientError` subclasses boto3 raises. Every other call goes to moto as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(operation name, the caller's parameters) -> the response boto3 returns, without ResponseMetadata."""


class ServiceError(Exception):
    """A service's error answer: boto3 raises it as the modeled ClientError for `code`."""

    def __init__(self, code: str, message: str, *, status: int = 400, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra or {})

    def parsed_response(self) -> dict[str, Any]:
        """What botocore's parser would give for this error (extras such as CancellationReasons at the top)."""
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": self.status, "HTTPHeaders": {}, "RetryAttempts": 0},
            **self.extra,
        }


class NotAnswered(Exception):
    """Raised by an answer that does not handle this particular call (for example an unused variant)."""


def _response_metadata() -> dict[str, Any]:
    return {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}


@contextlib.contextmanager
def route_to_local(answers: Mapping[tuple[str, str], Answer]) -> Iterator[None]:
    """Within the block, every boto3 client answers `(service name, operation name)` from `answers`.

    The operation may be ``"*"`` for every operation of a service. Clients created before the block
    are routed too (the hook is on botocore's client class).
    """
    import botocore.client
    from botocore.exceptions import ParamValidationError
    from botocore.validate import ParamValidator

    original: Any = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    validator = ParamValidator()

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        service_model = self.meta.service_model
        service = service_model.service_name
        answer = answers.get((service, operation_name)) or answers.get((service, "*"))
        if answer is None:
            return original(self, operation_name, api_params)
        if self.meta.config.parameter_validation:
            report = validator.validate(api_params, service_model.operation_model(operation_name).input_shape)
            if report.has_errors():
                raise ParamValidationError(report=report.generate_report())
        try:
            response = answer(operation_name, api_params)
        except NotAnswered:
            return original(self, operation_name, api_params)
        except ServiceError as error:
            raise self.exceptions.from_code(error.code)(error.parsed_response(), operation_name) from None
        response["ResponseMetadata"] = _response_metadata()
        return response

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[attr-defined]

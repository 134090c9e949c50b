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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nurture_local.aws.dynamodb import DynamoDBEngine

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


# ---- DynamoDB: the local engine under every DynamoDB client ----
#
# `route_dynamodb_to` uses botocore's event system rather than `route_to_local`'s class hook so that
# the whole client pipeline stays as it is on AWS: a ``before-parameter-build.dynamodb`` handler
# (registered last, after boto3's resource layer has turned Python values into attribute values)
# keeps the caller's parameters in the request context; botocore validates them as usual; a
# ``before-call.dynamodb`` handler answers from the engine with ``(http_stub, parsed_response)``, so
# nothing is serialised, sent (moto's ``before-send`` hook is never reached) or parsed, and for an
# error botocore raises the modelled ClientError itself. boto3 resources (``Table``) work too.
# `dynamodb_answers` gives the same engine to `route_to_local` instead: clients only (a resource's
# Python values would reach the engine untransformed), and about ten times less botocore per call
# (no endpoint resolution, serialisation or event dispatch: ~10 µs against ~100 µs, bench/local_dynamodb.py).

_DYNAMODB_PARAMS = "nurture_local.dynamodb_params"
_engines: list[DynamoDBEngine] = []
_installed: list[bool] = []


class _HttpStub:
    """What botocore and its after-call handlers read of an HTTP response."""

    __slots__ = ("headers", "status_code")

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}

    @property
    def content(self) -> bytes:
        return b""

    @property
    def text(self) -> str:
        return ""


def _stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _engines:
        context[_DYNAMODB_PARAMS] = params


def _answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[_HttpStub, dict[str, Any]] | None:
    if not _engines or _DYNAMODB_PARAMS not in context:
        return None
    params = context.pop(_DYNAMODB_PARAMS)
    try:
        response = _engines[-1].handle(model.name, params)
    except ServiceError as error:
        parsed = error.parsed_response()
        parsed.update(_message_member(model, error))
        return _HttpStub(error.status), parsed
    response["ResponseMetadata"] = _response_metadata()
    return _HttpStub(200), response


def _message_member(model: Any, error: ServiceError) -> dict[str, str]:
    """The error shape's own message member ("message" or "Message"), as botocore's parser sets it."""
    for shape in model.error_shapes:
        if shape.name == error.code:
            return {member: error.message for member in shape.members if member.lower() == "message"}
    return {}


def _install() -> None:
    if _installed:
        return
    from botocore import handlers

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", _stash, handlers.REGISTER_LAST))
    handlers.BUILTIN_HANDLERS.append(("before-call.dynamodb", _answer, handlers.REGISTER_FIRST))
    _installed.append(True)
    import boto3

    # boto3's default session, when it exists already, registered the built-ins before ours.
    if boto3.DEFAULT_SESSION is not None:
        attach_session(boto3.DEFAULT_SESSION._session)


def attach_session(session: Any) -> None:
    """Give the routing handlers to a botocore session created before the first `route_dynamodb_to`."""
    session.register("before-parameter-build.dynamodb", _stash, unique_id="nurture-local-dynamodb-stash")
    session.register("before-call.dynamodb", _answer, unique_id="nurture-local-dynamodb-answer")


def attach(client: Any) -> None:
    """Give the routing handlers to a client whose session predates the first `route_dynamodb_to`."""
    events = client.meta.events
    events.register_last("before-parameter-build.dynamodb", _stash, unique_id="nurture-local-dynamodb-stash")
    events.register_first("before-call.dynamodb", _answer, unique_id="nurture-local-dynamodb-answer")


@contextlib.contextmanager
def route_dynamodb_to(engine: DynamoDBEngine) -> Iterator[DynamoDBEngine]:
    """Within the block, boto3 DynamoDB clients and resources answer from ``engine`` (innermost wins).

    The handlers join botocore's built-ins on first use: every session created afterwards has them
    (boto3's default session too, which ``mock_aws`` resets); a client of an older session needs
    `attach`. Other services are untouched (moto, or `route_to_local`, answers them).
    """
    _install()
    _engines.append(engine)
    try:
        yield engine
    finally:
        _engines.pop()


def dynamodb_answers(engine: DynamoDBEngine) -> dict[tuple[str, str], Answer]:
    """The engine as `route_to_local` answers (for clients; boto3 resources need `route_dynamodb_to`)."""
    return {("dynamodb", "*"): engine.handle}

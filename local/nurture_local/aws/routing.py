"""Answer chosen AWS operations in-process, below boto3, so shipped code runs unchanged and fast.

moto answers a boto3 call by building an HTTP request, signing it, matching its URL against every
service, dispatching it to a response class and serialising a reply that botocore parses again: about
3-8 ms a call, most of a local run's time. For the operations a run makes by the thousand,
`route_to_local` answers the call from a Python callable instead.

It works through botocore's own event system, so the whole client pipeline stays as it is on AWS
(and anything that wraps or watches a client's calls still sees every one of them):
- a ``before-parameter-build`` handler, registered last (after boto3's resource layer has turned
  Python values into attribute values), keeps the caller's parameters in the request context;
- botocore validates them against the service model as usual (a shipped adapter's malformed call
  still fails as it would on AWS);
- a ``before-call`` handler answers with ``(http_stub, parsed_response)``, so nothing is signed, sent
  (moto's ``before-send`` hook is never reached) or parsed; for a `ServiceError` botocore raises the
  modelled ``ClientError`` subclass itself. An answer may decline a call (`NotAnswered`): moto answers it.

The handlers join botocore's built-in handlers on first use, so every session created afterwards has
them (boto3's default session too, which ``mock_aws`` resets); a client of an older session needs
`attach`. Routes nest: the innermost one that answers a (service, operation) wins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nurture_local.aws.dynamodb import DynamoDBEngine

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(operation name, the caller's parameters) -> the response boto3 returns, without ResponseMetadata."""

Routes = Mapping[tuple[str, str], Answer]
"""(service name, operation name or "*") -> its answer."""


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


class NotAnswered(Exception):  # a signal, not an error: the call goes to moto instead
    """Raised by an answer that does not handle this particular call (for example an unused variant)."""


_ROUTED = "nurture_local.routed"  # request context key: (answer, the caller's parameters)
_routes: list[Routes] = []  # innermost last
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


def _find(model: Any) -> Answer | None:
    service, operation = model.service_model.service_name, model.name
    for routes in reversed(_routes):
        answer = routes.get((service, operation)) or routes.get((service, "*"))
        if answer is not None:
            return answer
    return None


def _stash(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    # The answer is looked up once, here, and kept with the parameters for `_answer`.
    answer = _find(model) if _routes else None
    if answer is not None:
        context[_ROUTED] = (answer, params)


def _answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[_HttpStub, dict[str, Any]] | None:
    if _ROUTED not in context:
        return None
    answer, params = context.pop(_ROUTED)
    try:
        response = answer(model.name, params)
    except NotAnswered:
        return None
    except ServiceError as error:
        parsed = error.parsed_response()
        parsed.update(_message_member(model, error))
        return _HttpStub(error.status), parsed
    response["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
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

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _stash, handlers.REGISTER_LAST))
    handlers.BUILTIN_HANDLERS.append(("before-call", _answer, handlers.REGISTER_FIRST))
    _installed.append(True)
    import boto3

    # boto3's default session, when it exists already, registered the built-ins before ours.
    if boto3.DEFAULT_SESSION is not None:
        attach_session(boto3.DEFAULT_SESSION._session)


def attach_session(session: Any) -> None:
    """Give the routing handlers to a botocore session created before the first `route_to_local`."""
    session.register("before-parameter-build", _stash, unique_id="nurture-local-stash")
    session.register("before-call", _answer, unique_id="nurture-local-answer")


def attach(client: Any) -> None:
    """Give the routing handlers to a client whose session predates the first `route_to_local`."""
    events = client.meta.events
    events.register_last("before-parameter-build", _stash, unique_id="nurture-local-stash")
    events.register_first("before-call", _answer, unique_id="nurture-local-answer")


@contextlib.contextmanager
def route_to_local(routes: Routes) -> Iterator[None]:
    """Within the block, boto3 clients (and resources) answer `(service, operation)` from `routes`."""
    _install()
    _routes.append(routes)
    try:
        yield
    finally:
        _routes.remove(routes)


def dynamodb_answers(engine: DynamoDBEngine) -> dict[tuple[str, str], Answer]:
    """The engine as the answer to every DynamoDB operation."""
    return {("dynamodb", "*"): engine.handle}


@contextlib.contextmanager
def route_dynamodb_to(engine: DynamoDBEngine) -> Iterator[DynamoDBEngine]:
    """Within the block, boto3 DynamoDB clients and resources answer from ``engine``."""
    with route_to_local(dynamodb_answers(engine)):
        yield engine

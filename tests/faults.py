"""Fault injection on the send path, shared by tests/integration/test_send_fault_injection.py (one
fault per run, each point in turn) and tests/integration/test_exactly_once_soak.py (1,000 sends,
faults drawn at random).

Faults are injected where they happen in production:
- on the wire of the DynamoDB client (`DynamoDbWire`, the client's only ``before-send`` handler, in
  front of moto's responder or Nurture's in-memory engine): a throttle (the write is *not*
  applied), or a write applied whose answer is lost (``ReadTimeoutError``); botocore's own retries
  (standard mode, 5 attempts) then run as on AWS;
- in the adapters, after the SDK's own retries (`Injected`): ``DependencyUnavailable``, a crash;
- in the provider call (`provider_answers`, around the in-process SES answer): a definite refusal,
  or a request whose answer never came, whether the provider accepted it or not;
- in the Lambda runtime: the function killed (`Crash`: ``Sandbox.Timedout``, ``Lambda.Unknown``),
  the task timing out (``States.Timeout``), the Lambda service failing before the function ran.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from nurture.errors import DependencyUnavailable


class Crash(BaseException):
    """The Lambda runtime stops the function here (what Step Functions then reports as ``error``).
    A BaseException: no ``except Exception`` of the code under test may catch it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def unavailable() -> DependencyUnavailable:
    """What an adapter raises once the SDK's retries are spent."""
    return DependencyUnavailable("send ledger", "injected")


@dataclass
class Fault:
    """Fires on the first ``times`` calls of ``operation`` at ``where`` (while it is in play).

    ``where``: "recipients", "history", "ledger", "provider", "lambda" (an adapter or the runtime:
    ``operation`` is a method name), or "wire" (``operation`` is a fragment of the DynamoDB request:
    an UpdateExpression's, or the operation name; ``key`` the item's sort key, None for any).
    On the wire, ``after`` set means the request is applied and its answer lost; otherwise the
    request is throttled (not applied)."""

    where: str
    operation: str
    before: BaseException | None = None  # raised instead of the call
    after: BaseException | None = None  # raised after the call went through
    times: int = 1
    key: str | None = None
    fired: int = 0

    @property
    def spent(self) -> bool:
        return self.fired >= self.times

    def run(self, call: Callable[[], Any]) -> Any:
        self.fired += 1
        if self.before is not None:
            raise self.before
        result = call()
        if self.after is not None:
            raise self.after
        return result


FaultSource = Callable[[], Iterable[Fault]]
"""The faults in play for the call being made (a run's one fault, or the current send's)."""


def in_play(faults: FaultSource, where: str, operation: str) -> Fault | None:
    return next(
        (f for f in faults() if f.where == where and f.operation == operation and not f.spent),
        None,
    )


class Injected:
    """Proxy for an adapter: a fault in play for ``where`` replaces the call of its operation."""

    def __init__(self, target: Any, where: str, faults: FaultSource) -> None:
        self._target = target
        self._where = where
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            fault = in_play(self._faults, self._where, name)
            if fault is None:
                return attribute(*args, **kwargs)
            return fault.run(lambda: attribute(*args, **kwargs))

        return call


# ---------------------------------------------------------------- the DynamoDB wire

Backend = Callable[[str, Any], AWSResponse]
"""(before-send event name, the signed request) -> the HTTP response."""


def moto_backend() -> Backend:
    """moto's own responder (what ``mock_aws`` puts on every client)."""
    from moto.core.models import botocore_stubber

    def answer(event_name: str, request: Any) -> AWSResponse:
        response = botocore_stubber(event_name=event_name, request=request)
        assert response is not None, "moto did not answer"
        return response

    return answer


class _Body:
    """The raw HTTP body botocore reads an AWSResponse's content from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _response(request: Any, status: int, payload: Any) -> AWSResponse:
    body = json.dumps(payload, default=lambda value: value.timestamp()).encode()
    return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0"}, _Body(body))  # type: ignore[arg-type]


def engine_backend(engine: Any) -> Backend:
    """Nurture's in-memory DynamoDB (`nurture_local.aws.dynamodb.DynamoDBEngine`) behind the HTTP
    request: the JSON protocol's body in, its answer (or error) out, as DynamoDB's endpoint does."""
    from nurture_local.aws.routing import ServiceError

    def answer(event_name: str, request: Any) -> AWSResponse:
        operation = event_name.rsplit(".", 1)[-1]
        try:
            return _response(request, 200, engine.handle(operation, json.loads(request.body)))
        except ServiceError as error:
            payload = {"__type": f"com.amazonaws.dynamodb.v20120810#{error.code}", "message": error.message}
            return _response(request, error.status, {**payload, **error.extra})

    return answer


def _throttled(request: Any) -> AWSResponse:
    payload = {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"}
    return _response(request, 400, payload)


class DynamoDbWire:
    """A DynamoDB client's only ``before-send`` handler: every request goes to ``backend``, unless a
    fault in play matches it. botocore's signing, retries and parsing all run as on AWS."""

    def __init__(self, client: Any, backend: Backend, faults: FaultSource) -> None:
        from moto.core.models import botocore_stubber

        self.backend = backend
        self.faults = faults
        self.requests = 0
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register("before-send.dynamodb", self)

    def __call__(self, event_name: str, request: Any, **_: Any) -> AWSResponse:
        self.requests += 1
        fault = self._matching(event_name, request)
        if fault is None:
            return self.backend(event_name, request)
        fault.fired += 1
        if fault.after is None:
            return _throttled(request)  # refused: nothing applied
        self.backend(event_name, request)  # applied; the answer never arrives
        raise ReadTimeoutError(endpoint_url=request.url)

    def _matching(self, event_name: str, request: Any) -> Fault | None:
        faults = [f for f in self.faults() if f.where == "wire" and not f.spent]
        if not faults:
            return None
        body = json.loads(request.body)
        operation = event_name.rsplit(".", 1)[-1]
        sort_key = body.get("Key", body.get("Item", {})).get("sk", {}).get("S")
        text = f"{operation} {body.get('UpdateExpression', '')}"
        for fault in faults:
            if fault.operation in text and (fault.key is None or fault.key == sort_key):
                return fault
        return None


# ---------------------------------------------------------------- the provider call


def provider_answers(
    answers: dict[tuple[str, str], Any], operation: tuple[str, str], faults: FaultSource, accepted: Callable[..., None]
) -> dict[tuple[str, str], Any]:
    """``answers`` (`nurture_local.aws.routing` answers) with the provider's ``operation`` wrapped:
    a fault in play at "provider" raises its ``before`` instead of the call (the provider never saw
    it) or its ``after`` once the provider accepted the message. ``accepted(params, answer)`` is told
    of every message the provider accepted."""
    inner = answers[operation]

    def answer(name: str, params: dict[str, Any]) -> dict[str, Any]:
        fault = in_play(faults, "provider", "send")

        def call() -> dict[str, Any]:
            response: dict[str, Any] = inner(name, params)
            accepted(params, response)
            return response

        return call() if fault is None else fault.run(call)

    return {**answers, operation: answer}

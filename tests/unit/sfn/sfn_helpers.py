"""Shared helpers for the executor's behaviour tests: definitions, runs and history timings.

Every test runs on a virtual clock starting at `T0`; times are read back from the execution history
as seconds since `T0`, so back-off maths and time-outs are asserted exactly, with no real waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import Execution, LocalStepFunctions
from nurture_local.sfn.mockconfig import MockConfig

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
REGION, ACCOUNT = "us-east-1", "123456789012"
LAMBDA_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


def fn(name: str) -> str:
    """The ARN of a Lambda function, as a Task's Resource."""
    return LAMBDA_PREFIX + name


def new_sfn(*, seed: int = 0, mock_config: MockConfig | None = None, clients: Any = None) -> LocalStepFunctions:
    return LocalStepFunctions(clock=VirtualClock(T0), seed=seed, mock_config=mock_config, clients=clients)


def machine(states: Mapping[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    """A definition whose StartAt is `start` or the first state listed."""
    return {"StartAt": start or next(iter(states)), "States": dict(states), **top}


def run(
    sfn: LocalStepFunctions,
    definition: Mapping[str, Any],
    input: Any = None,
    *,
    name: str | None = None,
    idle: bool = True,
) -> Execution:
    """Register `definition` as state machine "m", start it, and (by default) run until nothing is due."""
    arn = sfn.create_state_machine("m", definition)
    execution = sfn.start_execution(arn, input, name=name)
    if idle:
        sfn.run_until_idle()
    return execution


def offset(when: datetime) -> float:
    return (when - T0).total_seconds()


def events(sfn: LocalStepFunctions, execution: Execution) -> list[dict[str, Any]]:
    return sfn.get_execution_history(execution.arn)


def event_types(sfn: LocalStepFunctions, execution: Execution) -> list[str]:
    return [event["type"] for event in events(sfn, execution)]


def times_of(sfn: LocalStepFunctions, execution: Execution, kind: str) -> list[float]:
    """Seconds since T0 of every history event of type `kind`, in order."""
    return [offset(event["timestamp"]) for event in events(sfn, execution) if event["type"] == kind]


def details_of(sfn: LocalStepFunctions, execution: Execution, kind: str) -> list[dict[str, Any]]:
    key = kind[0].lower() + kind[1:] + "EventDetails"
    return [event[key] for event in events(sfn, execution) if event["type"] == kind]


def exited_at(sfn: LocalStepFunctions, execution: Execution, state: str) -> list[float]:
    """Seconds since T0 at which `state` was exited (any state type)."""
    return [
        offset(event["timestamp"])
        for event in events(sfn, execution)
        if event["type"].endswith("StateExited") and _details(event)["name"] == state
    ]


def entered_at(sfn: LocalStepFunctions, execution: Execution, state: str) -> list[float]:
    return [
        offset(event["timestamp"])
        for event in events(sfn, execution)
        if event["type"].endswith("StateEntered") and _details(event)["name"] == state
    ]


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next(value for key, value in event.items() if key.endswith("EventDetails"))


class Recorder:
    """A Lambda handler that records its events and answers with `respond(event, call_index)`."""

    def __init__(self, respond: Callable[[Any, int], Any] | None = None) -> None:
        self.events: list[Any] = []
        self.contexts: list[Any] = []
        self._respond = respond

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self._respond is None:
            return event
        return self._respond(event, len(self.events) - 1)


class Flaky:
    """A Lambda handler raising the given exceptions in turn, then returning `result`."""

    def __init__(self, *failures: BaseException, result: Any = None) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.result = {"ok": True} if result is None else result

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result


class ErrorA(Exception):
    pass


class ErrorB(Exception):
    pass


class ErrorC(Exception):
    pass

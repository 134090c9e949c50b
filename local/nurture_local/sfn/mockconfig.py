"""AWS Step Functions Local's mock configuration format.

    {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<mocked response>"}}}},
     "MockedResponses": {"<mocked response>": {"0": {"Return": ...}, "1-2": {"Throw": {"Error", "Cause"}}}}}

Invocations of a mocked Task state are counted per execution and per state, retries included, from 0.
Decision: an invocation with no entry (e.g. the 4th when only "0"-"2" exist) fails the task with
`States.Runtime` naming the mock, rather than silently repeating a response.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RUNTIME, StatesError

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def field_mock_name(state: str, field: str) -> str:
    """The test-case key that mocks a distributed Map's ItemReader or ResultWriter, e.g. "Load.ItemReader".

    The mock configuration format names only states; these two S3 calls belong to a Map state, so this
    executor names them after it (Step Functions Local documents no way to mock them).
    """
    return f"{state}.{field}"


class MockConfigError(ValueError):
    """The mock configuration file is malformed; the message names the place."""


@dataclass(frozen=True, slots=True)
class MockedResponse:
    name: str
    # (first, last, kind, payload): kind "Return" (payload = value) or "Throw" (payload = (error, cause))
    entries: tuple[tuple[int, int, str, Any], ...]

    def respond(self, invocation: int) -> Any:
        for first, last, kind, payload in self.entries:
            if first <= invocation <= last:
                if kind == "Return":
                    return payload
                error, cause = payload
                raise StatesError(error, cause)
        raise StatesError(RUNTIME, f"mocked response '{self.name}' has no entry for invocation {invocation}")


@dataclass(frozen=True, slots=True)
class MockTestCase:
    state_machine: str
    name: str
    states: dict[str, MockedResponse]


class MockConfig:
    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise MockConfigError("the mock configuration must be a JSON object")
        unknown = set(document) - {"StateMachines", "MockedResponses"}
        if unknown:
            raise MockConfigError(f"unknown top-level field(s): {', '.join(sorted(unknown))}")
        responses = document.get("MockedResponses", {})
        if not isinstance(responses, dict):
            raise MockConfigError("MockedResponses must be an object")
        self.responses = {name: _parse_response(name, body) for name, body in responses.items()}
        machines = document.get("StateMachines", {})
        if not isinstance(machines, dict):
            raise MockConfigError("StateMachines must be an object")
        self.cases: dict[tuple[str, str], MockTestCase] = {}
        for machine, body in machines.items():
            where = f"StateMachines.{machine}"
            if not isinstance(body, dict) or not isinstance(body.get("TestCases"), dict):
                raise MockConfigError(f"{where} needs a 'TestCases' object")
            for case, states in body["TestCases"].items():
                if not isinstance(states, dict):
                    raise MockConfigError(f"{where}.TestCases.{case} must map state names to mocked responses")
                mapped = {}
                for state, response in states.items():
                    if response not in self.responses:
                        raise MockConfigError(
                            f"{where}.TestCases.{case}.{state}: no mocked response named {response!r}"
                        )
                    mapped[state] = self.responses[response]
                self.cases[(machine, case)] = MockTestCase(machine, case, mapped)

    @classmethod
    def load(cls, path: str | Path) -> MockConfig:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise MockConfigError(f"{path}: not valid JSON: {exc}") from None
        return cls(document)

    def mocked_states(self, state_machine: str) -> frozenset[str]:
        """Every state (or Map field) some test case of `state_machine` mocks."""
        return frozenset(
            state for (machine, _), case in self.cases.items() if machine == state_machine for state in case.states
        )

    def test_cases(self, state_machine: str) -> list[MockTestCase]:
        return [case for (machine, _), case in self.cases.items() if machine == state_machine]

    def test_case(self, state_machine: str, case: str) -> MockTestCase:
        try:
            return self.cases[(state_machine, case)]
        except KeyError:
            known = ", ".join(f"{m}#{c}" for m, c in sorted(self.cases)) or "none"
            raise MockConfigError(
                f"no test case '{case}' for state machine '{state_machine}' (known: {known})"
            ) from None


def _parse_response(name: str, body: Any) -> MockedResponse:
    where = f"MockedResponses.{name}"
    if not isinstance(body, dict) or not body:
        raise MockConfigError(f"{where} must be a non-empty object of invocation numbers")
    entries = []
    for key, outcome in body.items():
        match = _RANGE.match(key)
        if not match:
            raise MockConfigError(f"{where}: '{key}' is not an invocation number or range like '1-2'")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if last < first:
            raise MockConfigError(f"{where}: range '{key}' ends before it starts")
        if not isinstance(outcome, dict) or len(outcome) != 1 or next(iter(outcome)) not in ("Return", "Throw"):
            raise MockConfigError(f'{where}.{key} must be {{"Return": ...}} or {{"Throw": {{...}}}}')
        if "Return" in outcome:
            entries.append((first, last, "Return", outcome["Return"]))
        else:
            thrown = outcome["Throw"]
            if not isinstance(thrown, dict) or not isinstance(thrown.get("Error"), str):
                raise MockConfigError(f"{where}.{key}.Throw needs an 'Error' string")
            entries.append((first, last, "Throw", (thrown["Error"], str(thrown.get("Cause", "")))))
    entries.sort()
    for (_, last_a, _, _), (first_b, _, _, _) in itertools.pairwise(entries):
        if first_b <= last_a:
            raise MockConfigError(f"{where}: invocation ranges overlap")
    return MockedResponse(name, tuple(entries))

"""Load, validate and compile an Amazon States Language definition (JSONPath query language).

Everything is checked here, before anything runs: unknown or missing fields, bad paths, bad
templates, unreachable or missing states, and features this executor does not implement. Each error
names the state and the field. The result is a tree of `State` objects the executor walks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors as err
from .choice import Predicate, compile_choice_rule
from .clock import parse_timestamp
from .errors import DefinitionError
from .intrinsics import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic
from .mockconfig import field_mock_name
from .paths import JsonPath, PathSyntaxError, compile_path
from .payload import Template, compile_template
from .resources import Resource, mocked_resource, parse_resource

MAX_NAME_LENGTH = 80

_COMMON = {"Type", "Comment", "QueryLanguage"}
_IO = {"InputPath", "OutputPath"}
_FLOW = {"Next", "End"}
_ERRORS = {"Retry", "Catch"}
_ALLOWED: dict[str, set[str]] = {
    "Pass": _COMMON | _IO | _FLOW | {"Parameters", "Result", "ResultPath"},
    "Task": _COMMON
    | _IO
    | _FLOW
    | _ERRORS
    | {
        "Resource",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
    },
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Wait": _COMMON | _IO | _FLOW | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _IO | _FLOW | _ERRORS | {"Branches", "Parameters", "ResultSelector", "ResultPath"},
    "Map": _COMMON
    | _IO
    | _FLOW
    | _ERRORS
    | {
        "Iterator",
        "ItemProcessor",
        "ItemsPath",
        "ItemSelector",
        "Parameters",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ResultSelector",
        "ResultPath",
        "ItemReader",
        "ResultWriter",
        "Label",
    },
}
# Fields only a DISTRIBUTED Map may have (its other ones are refused in _UNSUPPORTED).
_DISTRIBUTED_ONLY = ("ItemReader", "ResultWriter", "Label")
# Fields AWS accepts that this executor deliberately does not run: refused by name, never ignored.
_UNSUPPORTED: dict[str, str] = {
    "Assign": "workflow variables (Assign) are not supported by the local executor",
    "Arguments": "'Arguments' belongs to the JSONata query language, which is not supported",
    "Output": "'Output' belongs to the JSONata query language, which is not supported",
    "Credentials": "cross-account task credentials are not supported locally",
    "ItemBatcher": "a distributed Map's ItemBatcher is not emulated by the local executor",
    "ToleratedFailurePercentage": "a distributed Map's tolerated failures are not emulated by the local executor",
    "ToleratedFailurePercentagePath": "a distributed Map's tolerated failures are not emulated by the local executor",
    "ToleratedFailureCount": "a distributed Map's tolerated failures are not emulated by the local executor",
    "ToleratedFailureCountPath": "a distributed Map's tolerated failures are not emulated by the local executor",
}
_TOP_LEVEL = {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}
_RETRIER_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}
_CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Comment"}


@dataclass(slots=True, frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    full_jitter: bool = False


@dataclass(slots=True, frozen=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: JsonPath | None  # None: ResultPath null, the error output is discarded


# Sentinel: a path field set to JSON null ("InputPath": null means "{}" as input).
NULL_PATH = compile_path("$")


@dataclass(slots=True, eq=False)
class State:
    name: str
    type: str
    next: str | None = None
    end: bool = False
    input_path: JsonPath | None = None  # None: "$" (identity); NULL marker below for null
    input_null: bool = False
    output_path: JsonPath | None = None
    output_null: bool = False
    parameters: Template | None = None
    result_selector: Template | None = None
    result_path: JsonPath | None = None  # None: "$"
    result_discard: bool = False  # ResultPath null
    retriers: tuple[Retrier, ...] = ()
    catchers: tuple[Catcher, ...] = ()
    uses_context: bool = False
    # Pass
    result: Any = None
    has_result: bool = False
    # Task
    resource: Resource | None = None
    timeout_seconds: float | None = None
    timeout_seconds_path: JsonPath | None = None
    heartbeat_seconds: float | None = None
    heartbeat_seconds_path: JsonPath | None = None
    # Choice
    choices: tuple[tuple[Predicate, str], ...] = ()
    default: str | None = None
    # Wait
    wait_seconds: float | None = None
    wait_seconds_path: JsonPath | None = None
    wait_timestamp: float | None = None
    wait_timestamp_path: JsonPath | None = None
    # Fail
    error: str | None = None
    error_path: Any = None  # JsonPath or Intrinsic
    cause: str | None = None
    cause_path: Any = None
    # Parallel / Map
    branches: tuple[StateGroup, ...] = ()
    items_path: JsonPath | None = None
    item_selector: Template | None = None
    max_concurrency: int = 0
    max_concurrency_path: JsonPath | None = None
    distributed: bool = False
    item_reader: bool = False  # answered by the mock named field_mock_name(name, "ItemReader")
    result_writer: bool = False  # likewise "ResultWriter"


@dataclass(slots=True, eq=False)
class StateGroup:
    """A set of states with a start: the whole machine, a Parallel branch or a Map processor."""

    start_at: str
    states: dict[str, State] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class StateMachineDefinition:
    root: StateGroup
    timeout_seconds: float | None
    source: dict[str, Any]


def apply_substitutions(text: str, substitutions: Mapping[str, Any] | None) -> str:
    """Replace ``${Name}`` placeholders as CloudFormation's DefinitionSubstitutions does."""
    substitutions = substitutions or {}

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in substitutions:
            raise DefinitionError(f"no value for the definition substitution '${{{key}}}'")
        value = substitutions[key]
        return value if isinstance(value, str) else json.dumps(value)

    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", replace, text)


def load_definition(
    definition: str | Mapping[str, Any],
    substitutions: Mapping[str, Any] | None = None,
    *,
    mocked: frozenset[str] = frozenset(),
) -> StateMachineDefinition:
    """Parse (if text), substitute, validate and compile a state machine definition.

    `mocked` names the states (and distributed Map fields, see `field_mock_name`) that a mock
    configuration answers: those may use resources this executor does not run itself.
    """
    if isinstance(definition, str):
        text = apply_substitutions(definition, substitutions)
        try:
            source = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"the definition is not valid JSON: {exc}") from None
    else:
        source = dict(definition)
        if substitutions:
            source = json.loads(apply_substitutions(json.dumps(source), substitutions))
    if not isinstance(source, dict):
        raise DefinitionError("the definition must be a JSON object")
    unknown = set(source) - _TOP_LEVEL
    if unknown:
        raise DefinitionError(f"unknown top-level field(s): {', '.join(sorted(unknown))}")
    _check_query_language(source, state=None)
    timeout = source.get("TimeoutSeconds")
    if timeout is not None and not _is_positive_int(timeout):
        raise DefinitionError("TimeoutSeconds must be a positive integer", field="TimeoutSeconds")
    root = _compile_group(source, where="", mocked=mocked)
    _check_unique_names(root, set())
    return StateMachineDefinition(root=root, timeout_seconds=timeout, source=source)


def _check_query_language(node: Mapping[str, Any], state: str | None) -> None:
    language = node.get("QueryLanguage", "JSONPath")
    if language == "JSONata":
        raise DefinitionError(
            "the JSONata query language is not supported; use JSONPath", state=state, field="QueryLanguage"
        )
    if language != "JSONPath":
        raise DefinitionError(f"unknown query language {language!r}", state=state, field="QueryLanguage")


def _compile_group(node: Mapping[str, Any], where: str, mocked: frozenset[str]) -> StateGroup:
    start_at = node.get("StartAt")
    states = node.get("States")
    label = where or "the state machine"
    if not isinstance(start_at, str):
        raise DefinitionError(f"{label} needs a 'StartAt' string", field=f"{where}StartAt")
    if not isinstance(states, dict) or not states:
        raise DefinitionError(f"{label} needs a non-empty 'States' object", field=f"{where}States")
    if start_at not in states:
        raise DefinitionError(f"StartAt names '{start_at}', which is not a state of {label}", field=f"{where}StartAt")
    group = StateGroup(start_at=start_at)
    for name, body in states.items():
        if len(name) > MAX_NAME_LENGTH or not name:
            raise DefinitionError(f"state names must be 1 to {MAX_NAME_LENGTH} characters", state=name)
        if not isinstance(body, dict):
            raise DefinitionError("a state must be a JSON object", state=name)
        group.states[name] = _compile_state(name, body, mocked)
    _check_transitions(group)
    return group


def _check_unique_names(group: StateGroup, seen: set[str]) -> None:
    """ASL: state names MUST be unique within the whole state machine, branches and Map processors included."""
    for name, state in group.states.items():
        if name in seen:
            raise DefinitionError("state names must be unique within the whole state machine", state=name)
        seen.add(name)
        for branch in state.branches:
            _check_unique_names(branch, seen)


def _check_transitions(group: StateGroup) -> None:
    for state in group.states.values():
        for target, field_name in _targets(state):
            if target not in group.states:
                raise DefinitionError(
                    f"'{target}' is not a state in the same scope", state=state.name, field=field_name
                )
    reachable, frontier = {group.start_at}, [group.start_at]
    while frontier:
        for target, _ in _targets(group.states[frontier.pop()]):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    unreachable = [name for name in group.states if name not in reachable]
    if unreachable:
        raise DefinitionError("the state is not reachable from StartAt", state=unreachable[0])


def _targets(state: State) -> list[tuple[str, str]]:
    targets = []
    if state.next is not None:
        targets.append((state.next, "Next"))
    targets.extend((target, f"Choices[{i}].Next") for i, (_, target) in enumerate(state.choices))
    if state.default is not None:
        targets.append((state.default, "Default"))
    targets.extend((catcher.next, f"Catch[{i}].Next") for i, catcher in enumerate(state.catchers))
    return targets


def _compile_state(name: str, body: dict[str, Any], mocked: frozenset[str]) -> State:
    kind = body.get("Type")
    if kind not in _ALLOWED:
        raise DefinitionError(f"unknown or missing Type {kind!r}", state=name, field="Type")
    _check_query_language(body, state=name)
    for key in body:
        if key in _UNSUPPORTED:
            raise DefinitionError(_UNSUPPORTED[key], state=name, field=key)
        if key not in _ALLOWED[kind]:
            raise DefinitionError(f"'{key}' is not a field of a {kind} state", state=name, field=key)
    state = State(name=name, type=kind)
    if kind in ("Pass", "Task", "Wait", "Parallel", "Map"):
        has_next, has_end = "Next" in body, body.get("End") is True
        if "End" in body and body["End"] is not True:
            raise DefinitionError("End must be true when present", state=name, field="End")
        if has_next == has_end:
            raise DefinitionError("exactly one of 'Next' and 'End: true' is required", state=name, field="Next")
        if has_next:
            if not isinstance(body["Next"], str):
                raise DefinitionError("Next must be a state name", state=name, field="Next")
            state.next = body["Next"]
        state.end = has_end
    if kind != "Fail":
        state.input_path, state.input_null = _io_path(body, name, "InputPath")
        state.output_path, state.output_null = _io_path(body, name, "OutputPath")
    if "ResultPath" in body:
        if body["ResultPath"] is None:
            state.result_discard = True
        else:
            state.result_path = _path(body["ResultPath"], name, "ResultPath", reference=True)
            if state.result_path.is_context:
                raise DefinitionError("ResultPath cannot address the context object", state=name, field="ResultPath")
    if "Parameters" in body:
        state.parameters = _template(body["Parameters"], name, "Parameters")
    if "ResultSelector" in body:
        state.result_selector = _template(body["ResultSelector"], name, "ResultSelector")
    if kind in ("Task", "Parallel", "Map"):
        state.retriers = _retriers(body.get("Retry", []), name)
        state.catchers = _catchers(body.get("Catch", []), name)
    compile_kind = _KIND_COMPILERS.get(kind)
    if compile_kind is not None:
        compile_kind(state, body, mocked)
    state.uses_context = _uses_context(state, body)
    return state


def _uses_context(state: State, body: dict[str, Any]) -> bool:
    templates = (state.parameters, state.result_selector, state.item_selector)
    if any(t is not None and t.uses_context for t in templates):
        return True
    paths = (
        state.input_path,
        state.output_path,
        state.items_path,
        state.wait_seconds_path,
        state.wait_timestamp_path,
        state.timeout_seconds_path,
        state.heartbeat_seconds_path,
        state.max_concurrency_path,
    )
    if any(p is not None and p.is_context for p in paths):
        return True
    # Choice rules and Fail paths may read $$ too. A textual look is enough: a false positive only
    # costs building a context the state does not read.
    return state.type in ("Choice", "Fail") and "$$" in json.dumps(body)


def _io_path(body: dict[str, Any], state: str, name: str) -> tuple[JsonPath | None, bool]:
    if name not in body:
        return None, False
    if body[name] is None:
        return None, True
    path = _path(body[name], state, name)
    return (None if path.is_root and not path.is_context else path), False


def _path(value: Any, state: str, field_name: str, *, reference: bool = False) -> JsonPath:
    if not isinstance(value, str):
        raise DefinitionError("must be a JSONPath string", state=state, field=field_name)
    try:
        return compile_path(value, reference=reference)
    except PathSyntaxError as exc:
        raise DefinitionError(str(exc), state=state, field=field_name) from None


def _template(value: Any, state: str, field_name: str) -> Template:
    if not isinstance(value, dict | list | str | int | float | bool) and value is not None:
        raise DefinitionError("must be a JSON value", state=state, field=field_name)
    return compile_template(value, state=state, field=field_name)


def _error_equals(entry: dict[str, Any], state: str, where: str) -> tuple[str, ...]:
    names = entry.get("ErrorEquals")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DefinitionError(
            "ErrorEquals must be a non-empty list of error names", state=state, field=f"{where}.ErrorEquals"
        )
    if err.ALL in names and len(names) != 1:
        raise DefinitionError("States.ALL must appear alone in ErrorEquals", state=state, field=f"{where}.ErrorEquals")
    return tuple(names)


def _retriers(value: Any, state: str) -> tuple[Retrier, ...]:
    if not isinstance(value, list):
        raise DefinitionError("Retry must be a list of retriers", state=state, field="Retry")
    retriers = []
    for i, entry in enumerate(value):
        where = f"Retry[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionError("a retrier must be an object", state=state, field=where)
        for key in entry:
            if key not in _RETRIER_FIELDS:
                raise DefinitionError(f"'{key}' is not a retrier field", state=state, field=f"{where}.{key}")
        names = _error_equals(entry, state, where)
        if err.ALL in names and i != len(value) - 1:
            raise DefinitionError(
                "a retrier on States.ALL must be the last one", state=state, field=f"{where}.ErrorEquals"
            )
        interval = entry.get("IntervalSeconds", 1)
        attempts = entry.get("MaxAttempts", 3)
        backoff = entry.get("BackoffRate", 2.0)
        max_delay = entry.get("MaxDelaySeconds")
        jitter = entry.get("JitterStrategy", "NONE")
        if not _is_positive_int(interval) or interval > 99999999:
            raise DefinitionError(
                "IntervalSeconds must be a positive integer", state=state, field=f"{where}.IntervalSeconds"
            )
        if not _is_int(attempts) or attempts < 0 or attempts > 99999999:
            raise DefinitionError(
                "MaxAttempts must be a non-negative integer", state=state, field=f"{where}.MaxAttempts"
            )
        if not _is_number(backoff) or backoff < 1.0:
            raise DefinitionError("BackoffRate must be a number >= 1.0", state=state, field=f"{where}.BackoffRate")
        if max_delay is not None and (not _is_positive_int(max_delay) or max_delay >= 31622400):
            raise DefinitionError(
                "MaxDelaySeconds must be a positive integer below 31622400",
                state=state,
                field=f"{where}.MaxDelaySeconds",
            )
        if jitter not in ("FULL", "NONE"):
            raise DefinitionError("JitterStrategy must be FULL or NONE", state=state, field=f"{where}.JitterStrategy")
        retriers.append(
            Retrier(
                names,
                float(interval),
                attempts,
                float(backoff),
                None if max_delay is None else float(max_delay),
                jitter == "FULL",
            )
        )
    return tuple(retriers)


def _catchers(value: Any, state: str) -> tuple[Catcher, ...]:
    if not isinstance(value, list):
        raise DefinitionError("Catch must be a list of catchers", state=state, field="Catch")
    catchers = []
    for i, entry in enumerate(value):
        where = f"Catch[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionError("a catcher must be an object", state=state, field=where)
        for key in entry:
            if key not in _CATCHER_FIELDS:
                raise DefinitionError(f"'{key}' is not a catcher field", state=state, field=f"{where}.{key}")
        names = _error_equals(entry, state, where)
        if err.ALL in names and i != len(value) - 1:
            raise DefinitionError(
                "a catcher on States.ALL must be the last one", state=state, field=f"{where}.ErrorEquals"
            )
        if not isinstance(entry.get("Next"), str):
            raise DefinitionError("a catcher needs a 'Next' state", state=state, field=f"{where}.Next")
        result_path: JsonPath | None = compile_path("$")
        if "ResultPath" in entry:
            raw = entry["ResultPath"]
            result_path = None if raw is None else _path(raw, state, f"{where}.ResultPath", reference=True)
        catchers.append(Catcher(names, entry["Next"], result_path))
    return tuple(catchers)


# ---------------------------------------------------------------- per-type compilers


def _compile_pass(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    if "Result" in body:
        state.result, state.has_result = body["Result"], True


def _compile_task(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    name = state.name
    if not isinstance(body.get("Resource"), str):
        raise DefinitionError("a Task needs a 'Resource' ARN", state=name, field="Resource")
    try:
        state.resource = parse_resource(body["Resource"])
    except ValueError as exc:
        if name not in mocked:
            raise DefinitionError(
                f"{exc}; mock the state in the mock configuration to run it (Step Functions Local accepts "
                "any resource for a mocked state)",
                state=name,
                field="Resource",
            ) from None
        try:
            state.resource = mocked_resource(body["Resource"], str(exc))
        except ValueError as not_arn:
            raise DefinitionError(str(not_arn), state=name, field="Resource") from None
    for plain, path_field in (
        ("TimeoutSeconds", "TimeoutSecondsPath"),
        ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ):
        if plain in body and path_field in body:
            raise DefinitionError(f"'{plain}' and '{path_field}' are mutually exclusive", state=name, field=path_field)
        if plain in body and not _is_positive_int(body[plain]):
            raise DefinitionError(f"{plain} must be a positive integer", state=name, field=plain)
    state.timeout_seconds = body.get("TimeoutSeconds")
    state.heartbeat_seconds = body.get("HeartbeatSeconds")
    if "TimeoutSecondsPath" in body:
        state.timeout_seconds_path = _path(body["TimeoutSecondsPath"], name, "TimeoutSecondsPath", reference=True)
    if "HeartbeatSecondsPath" in body:
        state.heartbeat_seconds_path = _path(body["HeartbeatSecondsPath"], name, "HeartbeatSecondsPath", reference=True)
    if (
        state.timeout_seconds is not None
        and state.heartbeat_seconds is not None
        and state.heartbeat_seconds >= state.timeout_seconds
    ):
        raise DefinitionError(
            "HeartbeatSeconds must be smaller than TimeoutSeconds", state=name, field="HeartbeatSeconds"
        )


def _compile_choice(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    name = state.name
    choices = body.get("Choices")
    if not isinstance(choices, list) or not choices:
        raise DefinitionError("a Choice state needs a non-empty 'Choices' list", state=name, field="Choices")
    compiled = []
    for i, rule in enumerate(choices):
        predicate = compile_choice_rule(rule, state=name, field=f"Choices[{i}]", top_level=True)
        if not isinstance(rule.get("Next"), str):
            raise DefinitionError("a choice rule needs a 'Next' state", state=name, field=f"Choices[{i}].Next")
        compiled.append((predicate, rule["Next"]))
    state.choices = tuple(compiled)
    if "Default" in body:
        if not isinstance(body["Default"], str):
            raise DefinitionError("Default must be a state name", state=name, field="Default")
        state.default = body["Default"]


def _compile_wait(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    name = state.name
    given = [key for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if key in body]
    if len(given) != 1:
        raise DefinitionError(
            "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
            state=name,
            field=given[1] if len(given) > 1 else "Seconds",
        )
    key = given[0]
    if key == "Seconds":
        if not _is_int(body[key]) or body[key] < 0:
            raise DefinitionError("Seconds must be a non-negative integer", state=name, field=key)
        state.wait_seconds = float(body[key])
    elif key == "Timestamp":
        when = parse_timestamp(body[key])
        if when is None:
            raise DefinitionError("Timestamp must be an RFC 3339 timestamp with an offset", state=name, field=key)
        # AWS: "Step Functions considers the time value up to seconds and truncates milliseconds."
        state.wait_timestamp = float(math.floor(when))
    elif key == "SecondsPath":
        state.wait_seconds_path = _path(body[key], name, key, reference=True)
    else:
        state.wait_timestamp_path = _path(body[key], name, key, reference=True)


def _compile_fail(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    name = state.name
    for plain, path_field in (("Error", "ErrorPath"), ("Cause", "CausePath")):
        if plain in body and path_field in body:
            raise DefinitionError(f"'{plain}' and '{path_field}' are mutually exclusive", state=name, field=path_field)
        if plain in body and not isinstance(body[plain], str):
            raise DefinitionError(f"{plain} must be a string", state=name, field=plain)
        if path_field in body:
            value = body[path_field]
            if isinstance(value, str) and is_intrinsic(value):
                try:
                    compiled: Any = parse_intrinsic(value)
                except IntrinsicSyntaxError as exc:
                    raise DefinitionError(str(exc), state=name, field=path_field) from None
            else:
                compiled = _path(value, name, path_field, reference=True)
            setattr(state, "error_path" if plain == "Error" else "cause_path", compiled)
    state.error = body.get("Error")
    state.cause = body.get("Cause")


def _compile_parallel(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    branches = body.get("Branches")
    if not isinstance(branches, list) or not branches:
        raise DefinitionError("a Parallel state needs a non-empty 'Branches' list", state=state.name, field="Branches")
    compiled = []
    for i, branch in enumerate(branches):
        if not isinstance(branch, dict):
            raise DefinitionError("a branch must be an object", state=state.name, field=f"Branches[{i}]")
        _check_branch_fields(branch, state.name, f"Branches[{i}]", {"StartAt", "States", "Comment"})
        compiled.append(_compile_group(branch, where=f"{state.name}.Branches[{i}].", mocked=mocked))
    state.branches = tuple(compiled)


def _compile_map(state: State, body: dict[str, Any], mocked: frozenset[str]) -> None:
    name = state.name
    if ("Iterator" in body) == ("ItemProcessor" in body):
        raise DefinitionError(
            "a Map state needs exactly one of 'ItemProcessor' and 'Iterator'",
            state=name,
            field="ItemProcessor",
        )
    key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    processor = body[key]
    if not isinstance(processor, dict):
        raise DefinitionError("must be an object", state=name, field=key)
    _check_branch_fields(processor, name, key, {"StartAt", "States", "Comment", "ProcessorConfig"})
    _compile_processor_config(state, body, processor.get("ProcessorConfig", {}), f"{key}.ProcessorConfig", mocked)
    state.branches = (_compile_group(processor, where=f"{name}.{key}.", mocked=mocked),)
    if "ItemSelector" in body and "Parameters" in body:
        raise DefinitionError("'ItemSelector' and 'Parameters' are mutually exclusive", state=name, field="Parameters")
    # In a Map state, Parameters is the legacy name of ItemSelector.
    if "ItemSelector" in body or "Parameters" in body:
        selector_field = "ItemSelector" if "ItemSelector" in body else "Parameters"
        state.item_selector = _template(body[selector_field], name, selector_field)
        state.parameters = None
    if "ItemsPath" in body:
        state.items_path = _path(body["ItemsPath"], name, "ItemsPath", reference=True)
    if "MaxConcurrency" in body and "MaxConcurrencyPath" in body:
        raise DefinitionError(
            "'MaxConcurrency' and 'MaxConcurrencyPath' are mutually exclusive",
            state=name,
            field="MaxConcurrencyPath",
        )
    if "MaxConcurrency" in body:
        if not _is_int(body["MaxConcurrency"]) or body["MaxConcurrency"] < 0:
            raise DefinitionError("MaxConcurrency must be a non-negative integer", state=name, field="MaxConcurrency")
        state.max_concurrency = body["MaxConcurrency"]
    if "MaxConcurrencyPath" in body:
        state.max_concurrency_path = _path(body["MaxConcurrencyPath"], name, "MaxConcurrencyPath", reference=True)


def _compile_processor_config(
    state: State, body: dict[str, Any], config: Any, where: str, mocked: frozenset[str]
) -> None:
    """INLINE or DISTRIBUTED. A DISTRIBUTED Map runs its iterations like an inline Map, in this
    execution; its S3 reader and writer run only from mocked responses."""
    name = state.name
    if not isinstance(config, dict):
        raise DefinitionError("ProcessorConfig must be an object", state=name, field=where)
    if set(config) - {"Mode", "ExecutionType"}:
        raise DefinitionError("unknown ProcessorConfig field", state=name, field=where)
    mode = config.get("Mode", "INLINE")
    if mode not in ("INLINE", "DISTRIBUTED"):
        raise DefinitionError("Mode must be INLINE or DISTRIBUTED", state=name, field=f"{where}.Mode")
    state.distributed = mode == "DISTRIBUTED"
    if "ExecutionType" in config and (not state.distributed or config["ExecutionType"] not in ("STANDARD", "EXPRESS")):
        raise DefinitionError(
            "ExecutionType (STANDARD or EXPRESS) belongs to a DISTRIBUTED Map",
            state=name,
            field=f"{where}.ExecutionType",
        )
    for key in _DISTRIBUTED_ONLY:
        if key in body and not state.distributed:
            raise DefinitionError(f"'{key}' belongs to a DISTRIBUTED Map ({where}.Mode)", state=name, field=key)
    if "Label" in body and not isinstance(body["Label"], str):
        raise DefinitionError("Label must be a string", state=name, field="Label")
    for key, what in (("ItemReader", "reads the items from S3"), ("ResultWriter", "writes the results to S3")):
        if key not in body:
            continue
        if not isinstance(body[key], dict) or not isinstance(body[key].get("Resource"), str):
            raise DefinitionError(f"{key} must be an object with a 'Resource'", state=name, field=key)
        mock = field_mock_name(name, key)
        if mock not in mocked:
            raise DefinitionError(
                f"the {key} {what}, which the local executor does not do: mock it in the mock configuration's "
                f"test cases as '{mock}'",
                state=name,
                field=key,
            )
    if "ItemReader" in body and "ItemsPath" in body:
        raise DefinitionError(
            "ItemsPath with an ItemReader is not emulated by the local executor", state=name, field="ItemsPath"
        )
    state.item_reader = "ItemReader" in body
    state.result_writer = "ResultWriter" in body


def _check_branch_fields(branch: dict[str, Any], state: str, where: str, allowed: set[str]) -> None:
    for key in branch:
        if key not in allowed:
            raise DefinitionError(f"'{key}' is not allowed here", state=state, field=f"{where}.{key}")


def iter_states(group: StateGroup) -> Iterator[State]:
    """Every state of a group, Parallel branches and Map processors included."""
    for state in group.states.values():
        yield state
        for branch in state.branches:
            yield from iter_states(branch)


_KIND_COMPILERS = {
    "Pass": _compile_pass,
    "Task": _compile_task,
    "Choice": _compile_choice,
    "Wait": _compile_wait,
    "Fail": _compile_fail,
    "Parallel": _compile_parallel,
    "Map": _compile_map,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive_int(value: Any) -> bool:
    return _is_int(value) and value > 0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

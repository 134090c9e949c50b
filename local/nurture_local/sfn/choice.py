"""Choice Rules of the Amazon States Language (JSONPath query language).

`compile_choice_rule` validates one Choice Rule when a state machine is loaded and turns it into a
predicate ``(state_input, context_object) -> bool``. Everything that can be decided from the
definition (paths, operand types, timestamps, StringMatches patterns) is parsed once here, so the
predicate the executor calls on every transition is a small closure.

Run-time semantics (ASL spec, "Choice State"; AWS Step Functions developer guide, "Choice"):

- A comparison whose value is not of the operator's type (String, number, boolean, timestamp) is
  false; it is not an error. Booleans are not numbers.
- A ``Variable`` path, or the path of a ``*Path`` operator, that selects nothing is a
  ``States.Runtime`` error, for every operator except ``IsPresent``, which tests exactly that.
- String ordering follows Java's ``String.compareTo`` (the AWS guide points there): UTF-16 code
  units, no case folding or normalisation.
- Timestamps are RFC 3339 with an uppercase ``T`` and ``Z`` (or a numeric offset) and are compared
  as instants, to the nanosecond.
- ``StringMatches``: ``*`` matches any run of characters; ``\\*`` is a literal asterisk and
  ``\\\\`` a literal backslash (in JSON text: ``"\\\\*"`` and ``"\\\\\\\\"``); nothing else is special.

Values are the types `json.loads` produces: str, int, float, bool, None, dict, list.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from difflib import get_close_matches
from functools import lru_cache
from math import isfinite
from typing import Any, TypeAlias

from .errors import RUNTIME, DefinitionError, StatesError
from .paths import JsonPath, compile_path, is_missing

Predicate: TypeAlias = Callable[[Any, Any], bool]
"""A compiled Choice Rule: ``(state_input, context_object) -> bool``."""

_Compare: TypeAlias = Callable[[Any, Any], bool]

# ---------------------------------------------------------------- operator table

_RELATIONS: dict[str, _Compare] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")

# operator name -> (kind, relation name, operand is a path); Boolean has only Equals.
_COMPARISONS: dict[str, tuple[str, str, bool]] = {
    f"{kind}{relation}{'Path' if is_path else ''}": (kind, relation, is_path)
    for kind in _KINDS
    for relation in _RELATIONS
    if kind != "Boolean" or relation == "Equals"
    for is_path in (False, True)
}

_TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")

COMPARISON_OPERATORS: frozenset[str] = frozenset(
    [*_COMPARISONS, "StringMatches", *_TYPE_TESTS],
)
"""Every data-test operator a Choice Rule may use with ``Variable``."""

BOOLEAN_OPERATORS: frozenset[str] = frozenset({"And", "Or", "Not"})

_KNOWN_FIELDS = COMPARISON_OPERATORS | BOOLEAN_OPERATORS | {"Variable", "Next", "Comment"}

_OPERAND_DESCRIPTION = {
    "String": "a string",
    "Numeric": "a number",
    "Boolean": "a boolean (true or false)",
    "Timestamp": "an RFC 3339 timestamp string such as '2016-03-14T01:59:00Z'",
}


def compile_choice_rule(rule: Any, *, state: str, field: str, top_level: bool) -> Predicate:
    """Validate one Choice Rule and compile it to a predicate ``(state_input, context) -> bool``.

    `field` says where the rule sits (``"Choices[2]"``); nested rules extend it
    (``"Choices[2].And[0]"``, ``"Choices[2].Not"``). A top-level rule must have ``Next`` (the caller
    reads it; it is only validated here) and a nested one must not.

    Raises `DefinitionError` naming `state` and the exact field at fault. The predicate raises
    `StatesError` (``States.Runtime``) when a path it needs selects nothing.
    """
    if not isinstance(rule, dict):
        raise DefinitionError(f"a Choice Rule must be a JSON object, not {_json_type(rule)}", state=state, field=field)
    if "Condition" in rule:
        raise DefinitionError(
            "JSONata is not supported: 'Condition' is a JSONata Choice Rule; "
            "write the rule with 'Variable' and a comparison operator (JSONPath)",
            state=state,
            field=f"{field}.Condition",
        )
    for key in rule:
        if key not in _KNOWN_FIELDS:
            raise DefinitionError(_unknown_field_message(key), state=state, field=f"{field}.{key}")

    _check_next(rule, state=state, field=field, top_level=top_level)
    if "Comment" in rule and not isinstance(rule["Comment"], str):
        raise DefinitionError("'Comment' must be a string", state=state, field=f"{field}.Comment")

    operators = [key for key in rule if key in COMPARISON_OPERATORS or key in BOOLEAN_OPERATORS]
    if not operators:
        message = (
            "'Variable' needs a comparison operator such as 'StringEquals' or 'IsPresent'"
            if "Variable" in rule
            else "a Choice Rule needs exactly one of: a comparison operator with 'Variable', 'And', 'Or' or 'Not'"
        )
        raise DefinitionError(message, state=state, field=field)
    if len(operators) > 1:
        names = ", ".join(f"'{name}'" for name in operators)
        raise DefinitionError(f"a Choice Rule takes exactly one operator, found {names}", state=state, field=field)
    name = operators[0]
    if name in BOOLEAN_OPERATORS:
        if "Variable" in rule:
            raise DefinitionError(
                f"'Variable' is not allowed beside '{name}': a Boolean expression tests nested rules",
                state=state,
                field=f"{field}.Variable",
            )
        return _compile_boolean(name, rule[name], state=state, field=field)
    if "Variable" not in rule:
        raise DefinitionError(
            f"'Variable' is required with the comparison operator '{name}'",
            state=state,
            field=f"{field}.Variable",
        )
    variable = _compile_reference(rule["Variable"], state=state, field=f"{field}.Variable")
    return _compile_data_test(name, variable, rule[name], state=state, field=f"{field}.{name}")


# ---------------------------------------------------------------- validation helpers


def _check_next(rule: dict[str, Any], *, state: str, field: str, top_level: bool) -> None:
    if top_level:
        if "Next" not in rule:
            raise DefinitionError("'Next' is required on a top-level Choice Rule", state=state, field=f"{field}.Next")
        target = rule["Next"]
        if not isinstance(target, str) or not target:
            raise DefinitionError(
                "'Next' must be a non-empty string naming a state", state=state, field=f"{field}.Next"
            )
    elif "Next" in rule:
        raise DefinitionError(
            "'Next' is only allowed on a top-level Choice Rule, not inside 'And', 'Or' or 'Not'",
            state=state,
            field=f"{field}.Next",
        )


def _unknown_field_message(key: str) -> str:
    if key == "Assign":
        return "'Assign' (workflow variables) is not supported by the local executor"
    if key in {"Arguments", "Output"}:
        return f"'{key}' is a JSONata field; JSONata is not supported"
    close = get_close_matches(key, sorted(_KNOWN_FIELDS), n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown field '{key}' in a Choice Rule{hint}"


def _compile_reference(text: Any, *, state: str, field: str) -> JsonPath:
    if not isinstance(text, str):
        raise DefinitionError(
            f"must be a reference path string such as '$.value', not {_json_type(text)}",
            state=state,
            field=field,
        )
    try:
        return compile_path(text, reference=True)
    except ValueError as exc:
        raise DefinitionError(f"invalid reference path: {exc}", state=state, field=field) from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# ---------------------------------------------------------------- Boolean expressions


def _compile_boolean(name: str, operand: Any, *, state: str, field: str) -> Predicate:
    where = f"{field}.{name}"
    if name == "Not":
        if not isinstance(operand, dict):
            raise DefinitionError(
                f"'Not' must be a single Choice Rule object, not {_json_type(operand)}",
                state=state,
                field=where,
            )
        inner = compile_choice_rule(operand, state=state, field=where, top_level=False)

        def negation(data: Any, context: Any) -> bool:
            return not inner(data, context)

        return negation

    if not isinstance(operand, list) or not operand:
        got = "an empty array" if isinstance(operand, list) else _json_type(operand)
        raise DefinitionError(
            f"'{name}' must be a non-empty array of Choice Rules, not {got}", state=state, field=where
        )
    rules = tuple(
        compile_choice_rule(item, state=state, field=f"{where}[{index}]", top_level=False)
        for index, item in enumerate(operand)
    )
    if len(rules) == 1:
        return rules[0]
    if name == "And":

        def conjunction(data: Any, context: Any) -> bool:
            # A plain loop: about twice as fast as all() over a generator on this hot path.
            for test in rules:  # noqa: SIM110
                if not test(data, context):
                    return False
            return True

        return conjunction

    def disjunction(data: Any, context: Any) -> bool:
        for test in rules:  # noqa: SIM110 (see conjunction)
            if test(data, context):
                return True
        return False

    return disjunction


# ---------------------------------------------------------------- data-test expressions


def _compile_data_test(name: str, variable: JsonPath, operand: Any, *, state: str, field: str) -> Predicate:
    if name in _TYPE_TESTS:
        if not isinstance(operand, bool):
            raise DefinitionError(
                f"'{name}' must be true or false, not {_json_type(operand)}", state=state, field=field
            )
        if name == "IsPresent":
            return _is_present(variable, operand)
        return _type_test(variable, _TYPE_CHECKS[name], operand)

    if name == "StringMatches":
        if not isinstance(operand, str):
            raise DefinitionError(
                f"'StringMatches' must be a pattern string, not {_json_type(operand)}",
                state=state,
                field=field,
            )
        return _string_matches(variable, _compile_pattern(operand, state=state, field=field))

    kind, relation, is_path = _COMPARISONS[name]
    compare = _RELATIONS[relation]
    if kind == "String" and relation != "Equals":
        compare = _utf16_order(compare)
    if is_path:
        other = _compile_reference(operand, state=state, field=field)
        return _path_comparison(variable, other, _COERCE[kind], compare)

    value = _literal_operand(kind, operand)
    if value is None:
        raise DefinitionError(
            f"'{name}' must be {_OPERAND_DESCRIPTION[kind]}, not {_describe(operand)}",
            state=state,
            field=field,
        )
    if kind == "Timestamp":
        return _timestamp_comparison(variable, value, compare)
    return _literal_comparison(variable, value, _JSON_TYPES[kind], compare)


def _literal_operand(kind: str, operand: Any) -> Any:
    """The comparable form of a literal operand, or None if it is not of the operator's type."""
    if kind == "String":
        return operand if isinstance(operand, str) else None
    if kind == "Numeric":
        if isinstance(operand, int) and not isinstance(operand, bool):
            return operand
        return operand if isinstance(operand, float) and isfinite(operand) else None
    if kind == "Boolean":
        return operand if isinstance(operand, bool) else None
    return parse_timestamp(operand) if isinstance(operand, str) else None


def _describe(operand: Any) -> str:
    if isinstance(operand, str):
        return f"'{operand}'"
    return _json_type(operand)


def _invalid_path(path: JsonPath) -> StatesError:
    return StatesError(
        RUNTIME,
        f"Invalid path '{path.text}': The choice state's condition path references an invalid value.",
    )


# Each coercion maps a JSON value to its comparable form, or None when it is of another type.
# The missing-path sentinel is of no JSON type, so it always coerces to None.


def _as_string(value: Any) -> Any:
    return value if type(value) is str else None


def _as_number(value: Any) -> Any:
    kind = type(value)
    return value if kind is int or kind is float else None


def _as_boolean(value: Any) -> Any:
    return value if type(value) is bool else None


def _as_timestamp(value: Any) -> Any:
    return parse_timestamp(value) if type(value) is str else None


_COERCE: dict[str, Callable[[Any], Any]] = {
    "String": _as_string,
    "Numeric": _as_number,
    "Boolean": _as_boolean,
    "Timestamp": _as_timestamp,
}


_JSON_TYPES: dict[str, tuple[type, ...]] = {"String": (str,), "Numeric": (int, float), "Boolean": (bool,)}
"""Exact JSON value types per kind: ``type(True)`` is bool, so booleans are never numbers."""


def _literal_comparison(variable: JsonPath, expected: Any, types: tuple[type, ...], compare: _Compare) -> Predicate:
    find = variable.find
    on_context = variable.is_context
    if compare is operator.eq:  # the common case: compare inline, one call fewer

        def equality(data: Any, context: Any) -> bool:
            value = find(context if on_context else data)
            if type(value) in types:
                return bool(value == expected)
            if is_missing(value):
                raise _invalid_path(variable)
            return False

        return equality

    def comparison(data: Any, context: Any) -> bool:
        value = find(context if on_context else data)
        if type(value) in types:
            return compare(value, expected)
        if is_missing(value):
            raise _invalid_path(variable)
        return False

    return comparison


def _timestamp_comparison(variable: JsonPath, expected: int, compare: _Compare) -> Predicate:
    find = variable.find
    on_context = variable.is_context

    def comparison(data: Any, context: Any) -> bool:
        value = find(context if on_context else data)
        if type(value) is str:
            instant = parse_timestamp(value)
            return instant is not None and compare(instant, expected)
        if is_missing(value):
            raise _invalid_path(variable)
        return False

    return comparison


def _path_comparison(variable: JsonPath, other: JsonPath, coerce: Callable[[Any], Any], compare: _Compare) -> Predicate:
    find, find_other = variable.find, other.find
    on_context, other_on_context = variable.is_context, other.is_context

    def comparison(data: Any, context: Any) -> bool:
        raw = find(context if on_context else data)
        raw_other = find_other(context if other_on_context else data)
        value, value_other = coerce(raw), coerce(raw_other)
        if value is not None and value_other is not None:
            return compare(value, value_other)
        if is_missing(raw):
            raise _invalid_path(variable)
        if is_missing(raw_other):
            raise _invalid_path(other)
        return False

    return comparison


def _utf16_order(compare: _Compare) -> _Compare:
    """Order strings as Java's ``String.compareTo`` does: by UTF-16 code unit.

    Python orders by code point; the two differ only where a character above U+FFFF meets one in
    U+E000..U+FFFF. If either string is ASCII they agree, which is the common, cheap case.
    """

    def ordered(left: str, right: str) -> bool:
        if left.isascii() or right.isascii():
            return compare(left, right)
        return compare(left.encode("utf-16-be", "surrogatepass"), right.encode("utf-16-be", "surrogatepass"))

    return ordered


# ---------------------------------------------------------------- type tests


def _is_null(value: Any) -> bool:
    return value is None


def _is_numeric(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def _is_string(value: Any) -> bool:
    return type(value) is str


def _is_boolean(value: Any) -> bool:
    return type(value) is bool


def _is_timestamp(value: Any) -> bool:
    return type(value) is str and parse_timestamp(value) is not None


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "IsNull": _is_null,
    "IsNumeric": _is_numeric,
    "IsString": _is_string,
    "IsBoolean": _is_boolean,
    "IsTimestamp": _is_timestamp,
}


def _type_test(variable: JsonPath, check: Callable[[Any], bool], expected: bool) -> Predicate:
    find = variable.find
    on_context = variable.is_context

    def type_test(data: Any, context: Any) -> bool:
        value = find(context if on_context else data)
        if check(value):  # never true for the missing-path sentinel
            return expected
        if is_missing(value):
            raise _invalid_path(variable)
        return not expected

    return type_test


def _is_present(variable: JsonPath, expected: bool) -> Predicate:
    find = variable.find
    on_context = variable.is_context

    def is_present(data: Any, context: Any) -> bool:
        return is_missing(find(context if on_context else data)) is not expected

    return is_present


# ---------------------------------------------------------------- StringMatches

_Pattern: TypeAlias = tuple[str, ...]
"""A wildcard pattern as its literal pieces: ``"a*b*c"`` -> ``("a", "b", "c")``; no ``*`` -> one piece."""


def _compile_pattern(text: str, *, state: str, field: str) -> _Pattern:
    pieces: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            pieces.append("".join(current))
            current = []
        elif char == "\\":
            following = text[index + 1 : index + 2]
            if following not in ("*", "\\"):
                shown = f"'\\{following}'" if following else "a '\\' at the end"
                raise DefinitionError(
                    f"'StringMatches' pattern '{text}' has an open escape ({shown}): only '\\*' "
                    "(a literal '*') and '\\\\' (a literal '\\') may follow a backslash",
                    state=state,
                    field=field,
                )
            current.append(following)
            index += 1
        else:
            current.append(char)
        index += 1
    pieces.append("".join(current))
    return tuple(pieces)


def _string_matches(variable: JsonPath, pattern: _Pattern) -> Predicate:
    find = variable.find
    on_context = variable.is_context
    if len(pattern) == 1:
        literal = pattern[0]

        def matches_literal(data: Any, context: Any) -> bool:
            value = find(context if on_context else data)
            if type(value) is str:
                return value == literal
            if is_missing(value):
                raise _invalid_path(variable)
            return False

        return matches_literal

    head, middle, tail = pattern[0], pattern[1:-1], pattern[-1]
    minimum = sum(len(piece) for piece in pattern)

    def matches(data: Any, context: Any) -> bool:
        value = find(context if on_context else data)
        if type(value) is not str:
            if is_missing(value):
                raise _invalid_path(variable)
            return False
        if len(value) < minimum or not value.startswith(head) or not value.endswith(tail):
            return False
        # Leftmost placement of each middle piece is optimal for '*'-only patterns.
        start, end = len(head), len(value) - len(tail)
        for piece in middle:
            found = value.find(piece, start, end)
            if found < 0:
                return False
            start = found + len(piece)
        return True

    return matches


# ---------------------------------------------------------------- timestamps

_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@lru_cache(maxsize=1024)
def parse_timestamp(text: str) -> int | None:
    """An ASL timestamp as nanoseconds on a UTC time line, or None if `text` is not one.

    Accepted: RFC 3339 ``date-time`` with AWS's restrictions -- an uppercase ``T`` between date and
    time and an uppercase ``Z`` unless a numeric ``+hh:mm``/``-hh:mm`` offset is given. Seconds are
    required; a fraction of any length is allowed (compared to the nanosecond). Leap seconds
    (``:60``) are rejected. The result only serves to order instants; its zero is arbitrary.
    """
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction, sign, offset_hours, offset_minutes = match.group(7, 8, 9, 10)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12:
        return None
    if not 1 <= day <= _DAYS_IN_MONTH[month] + (1 if leap and month == 2 else 0):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = 0
    if sign is not None:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return None
        offset = int(offset_hours) * 3600 + int(offset_minutes) * 60
        if sign == "-":
            offset = -offset
    # Days since 0000-01-01 in the proleptic Gregorian calendar.
    days = (
        year * 365
        + (year + 3) // 4
        - (year + 99) // 100
        + (year + 399) // 400
        + _DAYS_BEFORE_MONTH[month]
        + (1 if leap and month > 2 else 0)
        + day
        - 1
    )
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    nanos = int((fraction or "")[:9].ljust(9, "0"))
    return seconds * 1_000_000_000 + nanos

"""Intrinsic functions of the Amazon States Language (JSONPath query language).

An intrinsic call such as ``States.Format('Hello {}', $.name)`` is parsed once, when the definition
is loaded, into a small tree of nodes; evaluating it walks that tree. Two kinds of failure:

- `IntrinsicSyntaxError` at load time: bad syntax, an unknown function, the wrong number of
  arguments, or a literal (or nested call) argument whose type is already known to be wrong.
- `StatesError` ``States.IntrinsicFailure`` at run time: an argument with the wrong type or value
  once paths have been resolved (index out of range, invalid JSON, too many items, ...).

Facts follow AWS's "Intrinsic functions for JSONPath states in Step Functions" page and the
Amazon States Language specification (string escapes, limits, rounding of non-integers).
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import INTRINSIC_FAILURE, StatesError
from .paths import JsonPath, PathSyntaxError, compile_path

__all__ = ["Intrinsic", "IntrinsicSyntaxError", "is_intrinsic", "parse_intrinsic"]

# Documented limits.
MAX_CALLS_PER_FIELD = 10  # "You can nest up to 10 intrinsic functions within a field"
MAX_RANGE_ITEMS = 1000  # States.ArrayRange
MAX_ENCODE_CHARS = 10_000  # States.Base64Encode / States.Base64Decode / States.Hash input
MAX_PAYLOAD_BYTES = 256 * 1024  # States.ArrayPartition / States.ArrayContains input array
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # States.MathAdd arguments

# JSON kinds, used both for load-time checks and run-time messages.
STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT = "string", "number", "boolean", "null", "array", "object"
_ANY = frozenset({STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT})

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class IntrinsicSyntaxError(ValueError):
    """An intrinsic call the executor refuses to load; says what is wrong and where."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(f"{reason} (at position {position} of '{text}')")


def is_intrinsic(text: str) -> bool:
    """True if `text` looks like an intrinsic call (``States.`` prefix and an opening parenthesis)."""
    return text.startswith("States.") and "(" in text


class Intrinsic:
    """A parsed intrinsic call. Immutable; build with `parse_intrinsic`."""

    __slots__ = ("_root", "text", "uses_context")

    def __init__(self, text: str, root: _Node, uses_context: bool) -> None:
        self.text = text
        self.uses_context = uses_context
        self._root = root

    def __repr__(self) -> str:
        return f"Intrinsic({self.text!r})"

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        """The call's value; ``$`` paths read `data`, ``$$`` paths read `context`.

        Raises `StatesError` (``States.IntrinsicFailure``, or ``States.Runtime`` for a missing path).
        """
        return self._root.evaluate(data, context, rng)


@lru_cache(maxsize=1024)
def parse_intrinsic(text: str) -> Intrinsic:
    """Parse an intrinsic call; raises `IntrinsicSyntaxError` for anything wrong at load time."""
    parser = _Parser(text)
    root = parser.parse_call()
    parser.skip_ws()
    if parser.pos != len(text):
        raise parser.error("unexpected text after the closing ')'")
    return Intrinsic(text, root, parser.uses_context)


# ---------------------------------------------------------------- evaluation tree


class _Node:
    __slots__ = ()
    kind: frozenset[str] = _ANY  # the JSON kinds this node can produce

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        raise NotImplementedError


class _Literal(_Node):
    __slots__ = ("kind", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.kind = frozenset({_kind_of(value)})

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        return self.value


class _StringLiteral(_Literal):
    """A quoted string; `parts` are the pieces between its unescaped ``{}`` placeholders."""

    __slots__ = ("parts",)

    def __init__(self, value: str, parts: tuple[str, ...]) -> None:
        super().__init__(value)
        self.parts = parts


class _Path(_Node):
    __slots__ = ("path",)

    def __init__(self, path: JsonPath) -> None:
        self.path = path

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        return self.path.get(context if self.path.is_context else data)


class _Call(_Node):
    __slots__ = ("args", "impl", "kind")

    def __init__(self, spec: _Spec, args: list[_Node]) -> None:
        self.impl = spec.impl
        self.args = tuple(args)
        self.kind = spec.returns

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        return self.impl([arg.evaluate(data, context, rng) for arg in self.args], rng)


class _Format(_Node):
    """States.Format; a literal template is split into pieces at load time."""

    __slots__ = ("parts", "template", "values")
    kind = frozenset({STRING})

    def __init__(self, args: list[_Node]) -> None:
        template = args[0]
        self.template = template
        self.parts = template.parts if isinstance(template, _StringLiteral) else None
        self.values = tuple(args[1:])

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        parts = self.parts
        if parts is None:
            template = self.template.evaluate(data, context, rng)
            if not isinstance(template, str):
                raise _failure("States.Format", f"the template (argument 1) must be a string, got {_show(template)}")
            parts = tuple(template.split("{}"))
        values = [node.evaluate(data, context, rng) for node in self.values]
        if len(parts) - 1 != len(values):
            raise _failure(
                "States.Format",
                f"the template has {len(parts) - 1} '{{}}' placeholder(s) but {len(values)} value argument(s)"
                " follow it; the counts must match",
            )
        out = [parts[0]]
        for value, piece in zip(values, parts[1:], strict=True):
            out.append(_format_value(value))
            out.append(piece)
        return "".join(out)


def _format_value(value: Any) -> str:
    """A value as States.Format inserts it. Strings go in as they are, other scalars as JSON. Objects
    and arrays go in as the service's Java runtime prints them, ``{Arg1=1, Arg2=[]}``: recorded from
    AWS (LocalStack's AWS-validated snapshot TestGeneric.test_format_2, 2023-02-09), not JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return json.dumps(value)


# ---------------------------------------------------------------- parser

_NAME_RE = re.compile(r"States\.[A-Za-z0-9_]+")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.calls = 0
        self.uses_context = False

    def error(self, reason: str, position: int | None = None) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(self.text, self.pos if position is None else position, reason)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def parse_call(self) -> _Node:
        start = self.pos
        match = _NAME_RE.match(self.text, start)
        if not match:
            raise self.error("expected an intrinsic function name such as 'States.Format'")
        name = match.group(0)
        spec = _FUNCTIONS.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, _FUNCTIONS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise self.error(f"unknown intrinsic function '{name}'{hint}", start)
        self.calls += 1
        if self.calls > MAX_CALLS_PER_FIELD:
            raise self.error(f"more than {MAX_CALLS_PER_FIELD} intrinsic functions in one field", start)
        self.pos = match.end()
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise self.error(f"expected '(' after '{name}'")
        self.pos += 1
        args: list[_Node] = []
        arg_starts: list[int] = []
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
        else:
            while True:
                self.skip_ws()
                arg_starts.append(self.pos)
                args.append(self.parse_arg())
                self.skip_ws()
                if self.pos >= len(self.text):
                    raise self.error(f"missing ')' to close '{name}('")
                ch = self.text[self.pos]
                self.pos += 1
                if ch == ")":
                    break
                if ch != ",":
                    raise self.error(f"expected ',' or ')' in the arguments of '{name}', found '{ch}'", self.pos - 1)
        spec.check(self, args, arg_starts, start)
        if spec.name == "States.Format":
            return _Format(args)
        return _Call(spec, args)

    def parse_arg(self) -> _Node:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("expected an argument, found the end of the text")
        ch = text[pos]
        if ch == "'":
            return self.parse_string()
        if ch == "$":
            return self.parse_path()
        if text.startswith("States.", pos):
            return self.parse_call()
        if ch == "-" or ch.isdigit():
            return self.parse_number()
        for word, value in _KEYWORDS.items():
            if text.startswith(word, pos):
                self.pos = pos + len(word)
                self.expect_delimiter(word)
                return _Literal(value)
        raise self.error(
            "expected an argument: a 'quoted string', a number, true, false, null, a JSONPath or an intrinsic call"
        )

    def expect_delimiter(self, token: str) -> None:
        text, pos = self.text, self.pos
        if pos < len(text) and not (text[pos].isspace() or text[pos] in ",)"):
            raise self.error(f"unexpected '{text[pos]}' after '{token}'")

    def parse_string(self) -> _Node:
        text = self.text
        start = self.pos
        pos = start + 1
        piece: list[str] = []
        parts: list[str] = []
        value: list[str] = []
        while True:
            if pos >= len(text):
                raise self.error('unterminated string: missing the closing "\'"', start)
            ch = text[pos]
            if ch == "'":
                pos += 1
                break
            if ch == "\\":
                escaped = text[pos + 1] if pos + 1 < len(text) else ""
                if not escaped or escaped not in _ESCAPABLE:
                    raise self.error(
                        "open escape backslash: only \\' \\{ \\} and \\\\ are allowed in an intrinsic string",
                        pos,
                    )
                piece.append(escaped)
                value.append(escaped)
                pos += 2
            elif text.startswith("{}", pos):
                parts.append("".join(piece))
                piece = []
                value.append("{}")
                pos += 2
            else:
                piece.append(ch)
                value.append(ch)
                pos += 1
        parts.append("".join(piece))
        self.pos = pos
        return _StringLiteral("".join(value), tuple(parts))

    def parse_number(self) -> _Node:
        start = self.pos
        match = _NUMBER_RE.match(self.text, start)
        if not match:
            raise self.error("expected a number after '-'")
        token = match.group(0)
        self.pos = match.end()
        self.expect_delimiter(token)
        if match.group("frac") is None and match.group("exp") is None:
            return _Literal(int(token))
        number = float(token)
        if not math.isfinite(number):
            raise self.error(f"the number {token} is out of range", start)
        return _Literal(number)

    def parse_path(self) -> _Node:
        text = self.text
        start = pos = self.pos
        depth = 0
        while pos < len(text):
            ch = text[pos]
            if depth == 0 and (ch in ",)" or ch.isspace()):
                break
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth < 0:
                    raise self.error("unbalanced ']' in a JSONPath argument", pos)
            elif ch in "'\"" and depth > 0:
                quote = ch
                pos += 1
                while pos < len(text) and text[pos] != quote:
                    pos += 2 if text[pos] == "\\" else 1
                if pos >= len(text):
                    raise self.error("unterminated quoted name in a JSONPath argument", start)
            pos += 1
        if depth:
            raise self.error("missing ']' in a JSONPath argument", start)
        path_text = text[start:pos]
        try:
            path = compile_path(path_text)
        except PathSyntaxError as exc:
            raise self.error(f"invalid JSONPath argument: {exc}", start) from None
        self.pos = pos
        if path.is_context:
            self.uses_context = True
        return _Path(path)


# ---------------------------------------------------------------- function table


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    kinds: frozenset[str]
    path_only: bool = False


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    params: tuple[_Param, ...]
    returns: frozenset[str]
    impl: Callable[[list[Any], random.Random], Any]
    optional: int = 0  # how many trailing params may be left out
    variadic: bool = False  # the last param repeats (zero or more times)

    def check(self, parser: _Parser, args: list[_Node], starts: list[int], call_start: int) -> None:
        count = len(args)
        required = len(self.params) - self.optional - (1 if self.variadic else 0)
        maximum = None if self.variadic else len(self.params)
        if count < required or (maximum is not None and count > maximum):
            if maximum is None:
                expected = f"at least {required}"
            elif required == maximum:
                expected = str(required)
            else:
                expected = f"{required} to {maximum}"
            raise parser.error(
                f"{self.name} takes {expected} argument(s) but {count} {'was' if count == 1 else 'were'} given",
                call_start,
            )
        for index, (arg, start) in enumerate(zip(args, starts, strict=True)):
            param = self.params[min(index, len(self.params) - 1)]
            where = f"{self.name} argument {index + 1} ({param.name})"
            if param.path_only and not isinstance(arg, _Path):
                raise parser.error(f"{where} must be a JSONPath", start)
            if not (arg.kind & param.kinds):
                given = (
                    f"the literal {_show(arg.value)} is {_article(_kind_of(arg.value))}"
                    if isinstance(arg, _Literal)
                    else f"the nested call returns {_kinds_text(arg.kind)}"
                )
                raise parser.error(f"{where} must be {_kinds_text(param.kinds)}, but {given}", start)


# ---------------------------------------------------------------- run-time helpers


def _failure(function: str, message: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, f"{function}: {message}")


def _kind_of(value: Any) -> str:
    if isinstance(value, str):
        return STRING
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if value is None:
        return NULL
    if isinstance(value, list):
        return ARRAY
    if isinstance(value, dict):
        return OBJECT
    return type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _kinds_text(kinds: frozenset[str]) -> str:
    if kinds == _ANY:
        return "any JSON value"
    names = [_article(kind) for kind in (STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT) if kind in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _arg(function: str, args: list[Any], index: int, name: str, kind: str) -> Any:
    value = args[index]
    if _kind_of(value) != kind:
        raise _failure(
            function,
            f"{name} (argument {index + 1}) must be {_article(kind)}, got {_kind_of(value)} {_show(value)}",
        )
    return value


def _rounded_int(function: str, args: list[Any], index: int, name: str) -> int:
    """An integer argument; AWS rounds a non-integer to the nearest integer (halves round up)."""
    value: int | float = _arg(function, args, index, name, NUMBER)
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise _failure(function, f"{name} (argument {index + 1}) must be a finite number, got {value}")
    return math.floor(value + 0.5)


def _exact_int(function: str, args: list[Any], index: int, name: str) -> int:
    value = _arg(function, args, index, name, NUMBER)
    if isinstance(value, float):
        if not value.is_integer():
            raise _failure(function, f"{name} (argument {index + 1}) must be an integer, got {value}")
        return int(value)
    return int(value)


def _limited_string(function: str, args: list[Any], index: int, name: str) -> str:
    value: str = _arg(function, args, index, name, STRING)
    if len(value) > MAX_ENCODE_CHARS:
        raise _failure(
            function,
            f"{name} (argument {index + 1}) has {len(value)} characters; the limit is {MAX_ENCODE_CHARS}",
        )
    return value


def _check_payload(function: str, array: list[Any]) -> None:
    size = len(json.dumps(array, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise _failure(function, f"the input array is {size} bytes; the payload limit is {MAX_PAYLOAD_BYTES} bytes")


def _json_key(value: Any) -> Any:
    """A hashable key with JSON equality: 1 == 1.0, but true != 1 and key order never matters."""
    if isinstance(value, bool):
        return (BOOLEAN, value)
    if isinstance(value, (int, float)):
        return (NUMBER, value)
    if isinstance(value, str):
        return (STRING, value)
    if value is None:
        return (NULL,)
    if isinstance(value, list):
        return (ARRAY, tuple(_json_key(item) for item in value))
    if isinstance(value, dict):
        return (OBJECT, frozenset((key, _json_key(item)) for key, item in value.items()))
    return (type(value).__name__, repr(value))


def _no_json_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


# ---------------------------------------------------------------- the functions


def _string_to_json(args: list[Any], rng: random.Random) -> Any:
    text = _arg("States.StringToJson", args, 0, "the JSON text", STRING)
    if not text.strip():
        # The service answers null for "" and " " (LocalStack's AWS-validated snapshot
        # TestJsonManipulation.test_string_to_json); Python's parser would refuse them.
        return None
    try:
        return json.loads(text, parse_constant=_no_json_constant)
    except ValueError as exc:
        raise _failure("States.StringToJson", f"argument 1 is not valid JSON ({exc}): {_show(text)}") from None


def _json_to_string(args: list[Any], rng: random.Random) -> Any:
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _array(args: list[Any], rng: random.Random) -> Any:
    return list(args)


def _array_partition(args: list[Any], rng: random.Random) -> Any:
    fn = "States.ArrayPartition"
    array: list[Any] = _arg(fn, args, 0, "the array", ARRAY)
    size = _rounded_int(fn, args, 1, "the chunk size")
    if size <= 0:
        raise _failure(fn, f"the chunk size (argument 2) must be a positive integer, got {_show(args[1])}")
    _check_payload(fn, array)
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_contains(args: list[Any], rng: random.Random) -> Any:
    fn = "States.ArrayContains"
    array: list[Any] = _arg(fn, args, 0, "the array", ARRAY)
    _check_payload(fn, array)
    wanted = _json_key(args[1])
    return any(_json_key(item) == wanted for item in array)


def _array_range(args: list[Any], rng: random.Random) -> Any:
    fn = "States.ArrayRange"
    start = _rounded_int(fn, args, 0, "the first element")
    end = _rounded_int(fn, args, 1, "the final element")
    step = _rounded_int(fn, args, 2, "the step")
    if step == 0:
        raise _failure(fn, "the step (argument 3) must not be zero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        return []
    count = abs(end - start) // abs(step) + 1
    if count > MAX_RANGE_ITEMS:
        raise _failure(fn, f"the range would have {count} items; the limit is {MAX_RANGE_ITEMS}")
    return list(range(start, start + count * step, step))


def _array_get_item(args: list[Any], rng: random.Random) -> Any:
    fn = "States.ArrayGetItem"
    array: list[Any] = _arg(fn, args, 0, "the array", ARRAY)
    index = _exact_int(fn, args, 1, "the index")
    if not 0 <= index < len(array):
        raise _failure(fn, f"the index (argument 2) {index} is out of range for an array of length {len(array)}")
    return array[index]


def _array_length(args: list[Any], rng: random.Random) -> Any:
    return len(_arg("States.ArrayLength", args, 0, "the array", ARRAY))


def _array_unique(args: list[Any], rng: random.Random) -> Any:
    array: list[Any] = _arg("States.ArrayUnique", args, 0, "the array", ARRAY)
    seen: set[Any] = set()
    out = []
    for item in array:
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(args: list[Any], rng: random.Random) -> Any:
    text = _limited_string("States.Base64Encode", args, 0, "the data")
    return base64.b64encode(text.encode()).decode("ascii")


def _base64_decode(args: list[Any], rng: random.Random) -> Any:
    fn = "States.Base64Decode"
    text = _limited_string(fn, args, 0, "the Base64 data")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _failure(fn, f"argument 1 is not valid Base64: {_show(text)}") from None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise _failure(fn, "argument 1 does not decode to UTF-8 text") from None


def _hash(args: list[Any], rng: random.Random) -> Any:
    fn = "States.Hash"
    text = _limited_string(fn, args, 0, "the data")
    algorithm = _arg(fn, args, 1, "the algorithm", STRING)
    name = _HASHES.get(algorithm)
    if name is None:
        raise _failure(fn, f"the algorithm (argument 2) {_show(algorithm)} is not one of {', '.join(_HASHES)}")
    return hashlib.new(name, text.encode(), usedforsecurity=False).hexdigest()


def _json_merge(args: list[Any], rng: random.Random) -> Any:
    fn = "States.JsonMerge"
    first: dict[str, Any] = _arg(fn, args, 0, "the first object", OBJECT)
    second: dict[str, Any] = _arg(fn, args, 1, "the second object", OBJECT)
    deep = _arg(fn, args, 2, "the deep-merge flag", BOOLEAN)
    if deep:
        raise _failure(fn, "deep merging is not supported: the third argument must be false")
    return {**first, **second}


def _math_random(args: list[Any], rng: random.Random) -> Any:
    fn = "States.MathRandom"
    start = _rounded_int(fn, args, 0, "the start")
    end = _rounded_int(fn, args, 1, "the end")
    if start >= end:
        raise _failure(fn, f"the start ({start}) must be less than the end ({end}), which is exclusive")
    if len(args) > 2:
        seed = _rounded_int(fn, args, 2, "the seed")
        return random.Random(seed).randrange(start, end)
    return rng.randrange(start, end)


def _math_add(args: list[Any], rng: random.Random) -> Any:
    fn = "States.MathAdd"
    total = 0
    for index in (0, 1):
        value = _rounded_int(fn, args, index, "the value" if index == 0 else "the step")
        if not INT32_MIN <= value <= INT32_MAX:
            raise _failure(fn, f"argument {index + 1} ({value}) is outside the range {INT32_MIN} to {INT32_MAX}")
        total += value
    return total


@lru_cache(maxsize=256)
def _splitter(delimiters: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in delimiters) + "]")


def _string_split(args: list[Any], rng: random.Random) -> Any:
    fn = "States.StringSplit"
    text: str = _arg(fn, args, 0, "the string", STRING)
    delimiters: str = _arg(fn, args, 1, "the delimiting characters", STRING)
    pieces = _splitter(delimiters).split(text) if delimiters else [text]
    return [piece for piece in pieces if piece]


def _uuid(args: list[Any], rng: random.Random) -> Any:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _format_placeholder(args: list[Any], rng: random.Random) -> Any:  # pragma: no cover - see _Format
    raise AssertionError("States.Format is evaluated by _Format")


def _specs() -> dict[str, _Spec]:
    any_ = _ANY
    string, number, array, obj = (frozenset({k}) for k in (STRING, NUMBER, ARRAY, OBJECT))
    boolean = frozenset({BOOLEAN})
    specs = [
        _Spec(
            "States.Format",
            (_Param("template", string), _Param("value", any_)),
            string,
            _format_placeholder,
            variadic=True,
        ),
        _Spec("States.StringToJson", (_Param("JSON text", string),), any_, _string_to_json),
        _Spec("States.JsonToString", (_Param("path", any_, path_only=True),), string, _json_to_string),
        _Spec("States.Array", (_Param("value", any_),), array, _array, variadic=True),
        _Spec(
            "States.ArrayPartition",
            (_Param("array", array), _Param("chunk size", number)),
            array,
            _array_partition,
        ),
        _Spec("States.ArrayContains", (_Param("array", array), _Param("value", any_)), boolean, _array_contains),
        _Spec(
            "States.ArrayRange",
            (_Param("first element", number), _Param("final element", number), _Param("step", number)),
            array,
            _array_range,
        ),
        _Spec("States.ArrayGetItem", (_Param("array", array), _Param("index", number)), any_, _array_get_item),
        _Spec("States.ArrayLength", (_Param("array", array),), number, _array_length),
        _Spec("States.ArrayUnique", (_Param("array", array),), array, _array_unique),
        _Spec("States.Base64Encode", (_Param("data", string),), string, _base64_encode),
        _Spec("States.Base64Decode", (_Param("Base64 data", string),), string, _base64_decode),
        _Spec("States.Hash", (_Param("data", string), _Param("algorithm", string)), string, _hash),
        _Spec(
            "States.JsonMerge",
            (_Param("first object", obj), _Param("second object", obj), _Param("deep-merge flag", boolean)),
            obj,
            _json_merge,
        ),
        _Spec(
            "States.MathRandom",
            (_Param("start", number), _Param("end", number), _Param("seed", number)),
            number,
            _math_random,
            optional=1,
        ),
        _Spec("States.MathAdd", (_Param("value", number), _Param("step", number)), number, _math_add),
        _Spec(
            "States.StringSplit",
            (_Param("string", string), _Param("delimiting characters", string)),
            array,
            _string_split,
        ),
        _Spec("States.UUID", (), string, _uuid),
    ]
    return {spec.name: spec for spec in specs}


_FUNCTIONS = _specs()

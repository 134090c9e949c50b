"""JSONPath as Amazon States Language uses it.

Two kinds of path (ASL spec, "Paths" and "Reference Paths"):
- a *reference path* names one node: ``$``, ``$.a.b``, ``$['a b']``, ``$.a[0]``. ResultPath, Choice
  ``Variable`` and the ``*Path`` fields of Wait/Choice/Fail take only these.
- a *path* may also use ``[*]``, ``.*``, ``..``, slices, unions and filters ``[?(@.x > 1)]``; like
  Jayway JsonPath (what AWS runs), an indefinite path yields a list of every match.

Paths starting with ``$$`` address the context object; the caller chooses which document to pass.
Paths are compiled once (cached), so evaluating one is a loop over pre-parsed segments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .errors import RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError

_MISSING = object()

# Segment kinds
_KEY, _INDEX, _WILDCARD, _SLICE, _UNION, _FILTER, _DESCEND = range(7)

_NAME_RE = re.compile(r"[A-Za-z0-9_\-$@:#&%+!?^~|/\\<>\u00a0-\uffff]+")


class PathSyntaxError(ValueError):
    """The text is not a JSONPath the executor understands."""


class JsonPath:
    """A compiled JSONPath. Use `compile_path`; instances are shared and immutable."""

    __slots__ = ("_keys", "definite", "is_context", "segments", "text")

    def __init__(self, text: str, segments: list[tuple[int, Any]], is_context: bool) -> None:
        self.text = text
        self.segments = tuple(segments)
        self.is_context = is_context
        self.definite = all(kind in (_KEY, _INDEX) for kind, _ in self.segments)
        # Fast path: a definite path is a tuple of dict keys / list indices.
        self._keys: tuple[str | int, ...] | None = tuple(arg for _, arg in self.segments) if self.definite else None

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    @property
    def is_root(self) -> bool:
        return not self.segments

    def find(self, data: Any) -> Any:
        """The value at this path, or the module's `_MISSING` sentinel (definite paths only)."""
        keys = self._keys
        if keys is None:
            return _select(self.segments, data)
        node = data
        for key in keys:
            if isinstance(key, str):
                if not isinstance(node, dict):
                    return _MISSING
                node = node.get(key, _MISSING)
                if node is _MISSING:
                    return _MISSING
            else:
                if not isinstance(node, list):
                    return _MISSING
                try:
                    node = node[key]
                except IndexError:
                    return _MISSING
        return node

    def resolve(self, data: Any, context: Any, *, field: str | None = None) -> Any:
        """`get` against the context object for a ``$$`` path, else against `data`."""
        return self.get(context if self.is_context else data, field=field)

    def exists(self, data: Any) -> bool:
        found = self.find(data)
        if self.definite:
            return found is not _MISSING
        return bool(found)

    def get(self, data: Any, *, field: str | None = None) -> Any:
        """The value at this path; a definite path that matches nothing is a States.Runtime error.

        An indefinite path returns the list of matches (possibly empty), as Jayway does.
        """
        found = self.find(data)
        if found is _MISSING:
            where = f" specified for the field '{field}'" if field else ""
            raise StatesError(RUNTIME, f"The JSONPath '{self.text}'{where} could not be found in the input")
        return found


def is_missing(value: Any) -> bool:
    return value is _MISSING


@lru_cache(maxsize=4096)
def compile_path(text: str, *, reference: bool = False) -> JsonPath:
    """Compile a JSONPath; ``reference=True`` also requires it to be a reference path.

    Raises `PathSyntaxError` (a ValueError) for text that is not a valid path.
    """
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"'{text}' is not a JSONPath: it must start with '$'")
    is_context = text.startswith("$$")
    body = text[2:] if is_context else text[1:]
    segments = _parse_segments(text, body)
    path = JsonPath(text, segments, is_context)
    if reference and not path.definite:
        raise PathSyntaxError(f"'{text}' is not a reference path: only '.name', \"['name']\" and '[index]' are allowed")
    return path


def set_path(data: Any, path: JsonPath, value: Any) -> Any:
    """ResultPath semantics: a copy of `data` with `value` placed at `path` (which must be definite).

    Containers along the path are copied, never mutated, so earlier states' documents stay intact.
    Missing objects on the way are created; a non-object in the way is States.ResultPathMatchFailure.
    """
    keys = path._keys
    if keys is None:
        raise StatesError(RESULT_PATH_MATCH_FAILURE, f"'{path.text}' is not a reference path")
    if not keys:
        return value
    return _set(data, keys, 0, value, path.text)


def _set(node: Any, keys: tuple[str | int, ...], i: int, value: Any, text: str) -> Any:
    key = keys[i]
    last = i == len(keys) - 1
    if isinstance(key, str):
        if node is None or node is _MISSING:
            node = {}
        if not isinstance(node, dict):
            raise StatesError(
                RESULT_PATH_MATCH_FAILURE,
                f"Unable to apply ResultPath '{text}': '{key}' cannot be set on a {type(node).__name__}",
            )
        copy = dict(node)
        copy[key] = value if last else _set(node.get(key, _MISSING), keys, i + 1, value, text)
        return copy
    if not isinstance(node, list) or not -len(node) <= key < len(node):
        raise StatesError(RESULT_PATH_MATCH_FAILURE, f"Unable to apply ResultPath '{text}': no index {key}")
    items = list(node)
    items[key] = value if last else _set(node[key], keys, i + 1, value, text)
    return items


# ---------------------------------------------------------------- parsing


def _parse_segments(text: str, body: str) -> list[tuple[int, Any]]:
    segments: list[tuple[int, Any]] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if body.startswith("..", i):
            segments.append((_DESCEND, None))
            i += 2
            if i < n and body[i] == "[":
                continue
            i = _parse_dot_member(text, body, i, segments)
        elif ch == ".":
            i = _parse_dot_member(text, body, i + 1, segments)
        elif ch == "[":
            i = _parse_bracket(text, body, i, segments)
        else:
            raise PathSyntaxError(f"'{text}': unexpected '{ch}' at position {i + len(text) - n}")
    return segments


def _parse_dot_member(text: str, body: str, i: int, segments: list[tuple[int, Any]]) -> int:
    if i < len(body) and body[i] == "*":
        segments.append((_WILDCARD, None))
        return i + 1
    match = _NAME_RE.match(body, i)
    if not match:
        raise PathSyntaxError(f"'{text}': a field name is expected after '.'")
    name = match.group(0)
    if name.endswith("()"):
        raise PathSyntaxError(f"'{text}': JSONPath functions are not supported")
    segments.append((_KEY, name))
    return match.end()


def _parse_bracket(text: str, body: str, i: int, segments: list[tuple[int, Any]]) -> int:
    if body.startswith("[?(", i):
        depth, j = 0, i + 1
        while j < len(body):
            if body[j] == "(":
                depth += 1
            elif body[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            elif body[j] in "'\"":
                j = _skip_string(text, body, j)
                continue
            j += 1
        if j >= len(body) or not body.startswith(")]", j):
            raise PathSyntaxError(f"'{text}': unterminated filter expression")
        segments.append((_FILTER, _compile_filter(text, body[i + 3 : j])))
        return j + 2
    close = _find_close(text, body, i)
    inner = body[i + 1 : close].strip()
    if inner == "*":
        segments.append((_WILDCARD, None))
    elif inner[:1] in "'\"":
        names = [_unquote(text, part.strip()) for part in _split_union(text, inner)]
        segments.append((_KEY, names[0]) if len(names) == 1 else (_UNION, names))
    elif ":" in inner:
        parts = inner.split(":")
        if len(parts) > 3:
            raise PathSyntaxError(f"'{text}': bad slice [{inner}]")
        try:
            bounds = [int(p) if p.strip() else None for p in parts]
        except ValueError:
            raise PathSyntaxError(f"'{text}': bad slice [{inner}]") from None
        segments.append((_SLICE, slice(*bounds)))
    else:
        try:
            indexes = [int(part) for part in inner.split(",")]
        except ValueError:
            raise PathSyntaxError(f"'{text}': '[{inner}]' is not an index, name, slice or filter") from None
        segments.append((_INDEX, indexes[0]) if len(indexes) == 1 else (_UNION, indexes))
    return close + 1


def _find_close(text: str, body: str, i: int) -> int:
    j = i + 1
    while j < len(body):
        if body[j] in "'\"":
            j = _skip_string(text, body, j)
            continue
        if body[j] == "]":
            return j
        j += 1
    raise PathSyntaxError(f"'{text}': unterminated '['")


def _skip_string(text: str, body: str, j: int) -> int:
    quote = body[j]
    j += 1
    while j < len(body) and body[j] != quote:
        j += 2 if body[j] == "\\" else 1
    if j >= len(body):
        raise PathSyntaxError(f"'{text}': unterminated string")
    return j + 1


def _split_union(text: str, inner: str) -> list[str]:
    parts, start, j = [], 0, 0
    while j < len(inner):
        if inner[j] in "'\"":
            j = _skip_string(text, inner, j)
            continue
        if inner[j] == ",":
            parts.append(inner[start:j])
            start = j + 1
        j += 1
    parts.append(inner[start:])
    return parts


def _unquote(text: str, token: str) -> str:
    if len(token) < 2 or token[0] != token[-1] or token[0] not in "'\"":
        raise PathSyntaxError(f"'{text}': expected a quoted name, got {token}")
    return re.sub(r"\\(.)", r"\1", token[1:-1])


# ---------------------------------------------------------------- filters

_FILTER_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|<=|>=|<|>|&&|\|\||!|\(|\))"
    r"|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<lit>true|false|null)"
    r"|(?P<path>[@$](?:\.[A-Za-z0-9_\-]+|\[[^\]]*\])*))"
)


def _compile_filter(text: str, expr: str) -> Callable[[Any, Any], bool]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _FILTER_TOKEN.match(expr, pos)
        if not match or match.end() == pos:
            raise PathSyntaxError(f"'{text}': cannot parse filter '{expr}' at '{expr[pos:]}'")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind or "")
        if kind == "str":
            tokens.append(("val", _unquote(text, value)))
        elif kind == "num":
            tokens.append(("val", float(value) if any(c in value for c in ".eE") else int(value)))
        elif kind == "lit":
            tokens.append(("val", {"true": True, "false": False, "null": None}[value]))
        elif kind == "path":
            inner = compile_path("$" + value[1:])
            tokens.append(("cur" if value[0] == "@" else "root", inner))
        else:
            tokens.append(("op", value))
    parser = _FilterParser(text, tokens)
    fn = parser.parse_or()
    if parser.pos != len(tokens):
        raise PathSyntaxError(f"'{text}': unexpected tokens in filter '{expr}'")
    return fn


class _FilterParser:
    def __init__(self, text: str, tokens: list[tuple[str, Any]]) -> None:
        self.text, self.tokens, self.pos = text, tokens, 0

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self) -> Callable[[Any, Any], bool]:
        left = self.parse_and()
        while self._peek() == ("op", "||"):
            self.pos += 1
            right = self.parse_and()
            left = (lambda a, b: lambda cur, root: a(cur, root) or b(cur, root))(left, right)
        return left

    def parse_and(self) -> Callable[[Any, Any], bool]:
        left = self.parse_unary()
        while self._peek() == ("op", "&&"):
            self.pos += 1
            right = self.parse_unary()
            left = (lambda a, b: lambda cur, root: a(cur, root) and b(cur, root))(left, right)
        return left

    def parse_unary(self) -> Callable[[Any, Any], bool]:
        token = self._peek()
        if token == ("op", "!"):
            self.pos += 1
            inner = self.parse_unary()
            return lambda cur, root: not inner(cur, root)
        if token == ("op", "("):
            self.pos += 1
            inner = self.parse_or()
            if self._peek() != ("op", ")"):
                raise PathSyntaxError(f"'{self.text}': missing ')' in filter")
            self.pos += 1
            return inner
        left = self.parse_operand()
        token = self._peek()
        if token and token[0] == "op" and token[1] in _COMPARATORS:
            self.pos += 1
            right = self.parse_operand()
            compare = _COMPARATORS[token[1]]

            def comparison(cur: Any, root: Any) -> bool:
                a, b = left(cur, root), right(cur, root)
                if a is _MISSING or b is _MISSING:
                    return False
                try:
                    return bool(compare(a, b))
                except TypeError:
                    return False

            return comparison
        return lambda cur, root: _truthy_exists(left(cur, root))

    def parse_operand(self) -> Callable[[Any, Any], Any]:
        token = self._peek()
        if token is None:
            raise PathSyntaxError(f"'{self.text}': filter ends too early")
        self.pos += 1
        kind, value = token
        if kind == "val":
            return lambda cur, root: value
        if kind == "cur":
            return lambda cur, root: value.find(cur)
        if kind == "root":
            return lambda cur, root: value.find(root)
        raise PathSyntaxError(f"'{self.text}': unexpected '{value}' in filter")


def _truthy_exists(value: Any) -> bool:
    return value is not _MISSING and value is not None and value is not False


def _same_kind(a: Any, b: Any) -> bool:
    numeric = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, numeric) and isinstance(b, numeric):
        return True
    return type(a) is type(b)


_COMPARATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: _same_kind(a, b) and a == b,
    "!=": lambda a, b: not (_same_kind(a, b) and a == b),
    "<": lambda a, b: _same_kind(a, b) and a < b,
    "<=": lambda a, b: _same_kind(a, b) and a <= b,
    ">": lambda a, b: _same_kind(a, b) and a > b,
    ">=": lambda a, b: _same_kind(a, b) and a >= b,
}


# ---------------------------------------------------------------- evaluation of indefinite paths


def _select(segments: tuple[tuple[int, Any], ...], root: Any) -> list[Any]:
    nodes = [root]
    for kind, arg in segments:
        out: list[Any] = []
        for node in nodes:
            if kind == _KEY:
                if isinstance(node, dict) and arg in node:
                    out.append(node[arg])
            elif kind == _INDEX:
                if isinstance(node, list) and -len(node) <= arg < len(node):
                    out.append(node[arg])
            elif kind == _WILDCARD:
                if isinstance(node, dict):
                    out.extend(node.values())
                elif isinstance(node, list):
                    out.extend(node)
            elif kind == _SLICE:
                if isinstance(node, list):
                    out.extend(node[arg])
            elif kind == _UNION:
                for member in arg:
                    if isinstance(member, str):
                        if isinstance(node, dict) and member in node:
                            out.append(node[member])
                    elif isinstance(node, list) and -len(node) <= member < len(node):
                        out.append(node[member])
            elif kind == _FILTER:
                children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
                out.extend(child for child in children if arg(child, root))
            elif kind == _DESCEND:
                out.extend(_descendants(node))
        nodes = out
    return nodes


def _descendants(node: Any) -> list[Any]:
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        found.extend(_descendants(child))
    return found

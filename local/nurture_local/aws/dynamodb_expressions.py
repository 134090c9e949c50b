"""DynamoDB expressions: condition/filter, key condition, update and projection.

Each expression text is parsed once into a small tree (``lru_cache`` on the text): placeholders stay
symbolic in the tree and are resolved against the request's ExpressionAttributeNames/Values at
evaluation, so a cached tree is valid for every request that uses the same text. The grammar and
semantics follow AWS's DynamoDB developer guide (condition and filter expressions, update
expressions, key condition expressions, projection expressions, expression attribute names and
values, reserved words).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from nurture_local.aws.dynamodb_values import (
    ALL_TYPES,
    SET_TYPES,
    AttributeValue,
    Item,
    arithmetic,
    canonical,
    copy_value,
    number,
    scalar_key,
    validation,
)

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<ph>#[A-Za-z0-9_]+)|(?P<val>:[A-Za-z0-9_]+)"
    r"|(?P<op><>|<=|>=|[=<>()\[\],.+\-]))"
)
_COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_CONDITION_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"}
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, name, ph, val, op, end
    text: str
    position: int


@lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """AWS's published reserved-word list (DynamoDB developer guide, "Reserved words in DynamoDB").

    moto ships the same published list as a data file; the engine reads that file rather than
    keeping a second copy (moto is always installed where the local runtime runs).
    """
    text = resources.files("moto.dynamodb.parsing").joinpath("reserved_keywords.txt").read_text()
    return frozenset(word.strip().upper() for word in text.split() if word.strip())


def _tokens(text: str, what: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            near = text[position : position + 10].strip()
            raise validation(f'Invalid {what}: Syntax error; token: "{near[:1]}", near: "{near}"')
        kind = match.lastgroup or "op"
        found.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    found.append(Token("end", "<EOF>", len(text)))
    return found


# ---- Trees ----


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: ("name", text) / ("ph", "#x") / ("index", n) elements."""

    elements: tuple[tuple[str, Any], ...]

    def resolve(self, names: Mapping[str, str]) -> tuple[str | int, ...]:
        resolved: list[str | int] = []
        for kind, value in self.elements:
            if kind == "ph":
                if value not in names:
                    raise validation(
                        "An expression attribute name used in the document path is not defined; "
                        f"attribute name: {value}"
                    )
                resolved.append(names[value])
            else:
                resolved.append(value)
        return tuple(resolved)


@dataclass(frozen=True, slots=True)
class Value:
    placeholder: str


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    arguments: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    operator: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Between:
    subject: Any
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class In:
    subject: Any
    choices: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Logical:
    operator: str  # AND, OR
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Not:
    operand: Any


@dataclass(frozen=True, slots=True)
class Arithmetic:
    operator: str  # + or -
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed expression with the placeholders it uses (for the unused/undefined checks)."""

    tree: Any
    names: frozenset[str]
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class UpdateActions:
    set: tuple[tuple[Path, Any], ...] = ()
    remove: tuple[Path, ...] = ()
    add: tuple[tuple[Path, Value], ...] = ()
    delete: tuple[tuple[Path, Value], ...] = ()


# ---- Parser ----


@dataclass
class _Parser:
    text: str
    what: str
    tokens: list[Token]
    position: int = 0
    names: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def error(self, token: Token | None = None) -> Exception:
        token = token or self.current
        near = self.text[max(0, token.position - 10) : token.position + 10].strip()
        return validation(f'Invalid {self.what}: Syntax error; token: "{token.text}", near: "{near}"')

    def expect_op(self, text: str) -> Token:
        if self.current.kind != "op" or self.current.text != text:
            raise self.error()
        return self.advance()

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind == "name" and self.current.text.upper() in words

    def at_op(self, *texts: str) -> bool:
        return self.current.kind == "op" and self.current.text in texts

    def finish(self) -> None:
        if self.current.kind != "end":
            raise self.error()

    # Paths and operands

    def path(self) -> Path:
        elements: list[tuple[str, Any]] = [self.path_element()]
        while True:
            if self.at_op("."):
                self.advance()
                elements.append(self.path_element())
            elif self.at_op("["):
                self.advance()
                if self.current.kind != "num":
                    raise self.error()
                elements.append(("index", int(self.advance().text)))
                self.expect_op("]")
            else:
                return Path(tuple(elements))

    def path_element(self) -> tuple[str, Any]:
        token = self.current
        if token.kind == "ph":
            self.advance()
            self.names.add(token.text)
            return ("ph", token.text)
        if token.kind == "name":
            if token.text.upper() in reserved_words():
                raise validation(
                    f"Invalid {self.what}: Attribute name is a reserved keyword; reserved keyword: {token.text}"
                )
            self.advance()
            return ("name", token.text)
        raise self.error()

    def value(self) -> Value:
        token = self.advance()
        if token.kind != "val":
            raise self.error(token)
        self.values.add(token.text)
        return Value(token.text)

    def operand(self) -> Any:
        token = self.current
        if token.kind == "val":
            return self.value()
        if token.kind == "name" and self.peek().kind == "op" and self.peek().text == "(":
            if token.text != "size":
                raise validation(f"Invalid {self.what}: Invalid function name; function: {token.text}")
            self.advance()
            self.expect_op("(")
            argument = self.path()
            self.expect_op(")")
            return Call("size", (argument,))
        return self.path()

    # Conditions (precedence from high to low: comparators, IN, BETWEEN, functions, parentheses, NOT, AND, OR)

    def condition(self) -> Any:
        left = self.conjunction()
        while self.at_keyword("OR"):
            self.advance()
            left = Logical("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.at_keyword("AND"):
            self.advance()
            left = Logical("AND", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.negation())
        return self.primary()

    def primary(self) -> Any:
        if self.at_op("("):
            self.advance()
            inner = self.condition()
            self.expect_op(")")
            return inner
        token = self.current
        if token.kind == "name" and token.text in _CONDITION_FUNCTIONS and self.peek().text == "(":
            return self.function_condition()
        left = self.operand()
        if self.current.kind == "op" and self.current.text in _COMPARATORS:
            operator = self.advance().text
            return Compare(operator, left, self.operand())
        if self.at_keyword("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.at_keyword("AND"):
                raise self.error()
            self.advance()
            return Between(left, low, self.operand())
        if self.at_keyword("IN"):
            self.advance()
            self.expect_op("(")
            choices = [self.operand()]
            while self.at_op(","):
                self.advance()
                choices.append(self.operand())
            self.expect_op(")")
            if len(choices) > 100:
                raise validation(f"Invalid {self.what}: The IN operator is provided with too many operands")
            return In(left, tuple(choices))
        raise self.error()

    def function_condition(self) -> Call:
        name = self.advance().text
        self.expect_op("(")
        subject = self.path()
        arguments: list[Any] = [subject]
        if name in ("attribute_type", "begins_with", "contains"):
            self.expect_op(",")
            arguments.append(self.operand())
        self.expect_op(")")
        return Call(name, tuple(arguments))

    # Update expressions

    def update(self) -> UpdateActions:
        sections: dict[str, list[Any]] = {}
        if self.current.kind == "end":
            raise validation(f"Invalid {self.what}: The expression can not be empty;")
        while self.current.kind != "end":
            if not self.at_keyword("SET", "REMOVE", "ADD", "DELETE"):
                raise self.error()
            clause = self.advance().text.upper()
            if clause in sections:
                raise validation(
                    f'Invalid {self.what}: The "{clause}" section can only be used once in an update expression;'
                )
            actions: list[Any] = []
            while True:
                actions.append(self.update_action(clause))
                if not self.at_op(","):
                    break
                self.advance()
            sections[clause] = actions
        return UpdateActions(
            set=tuple(sections.get("SET", ())),
            remove=tuple(sections.get("REMOVE", ())),
            add=tuple(sections.get("ADD", ())),
            delete=tuple(sections.get("DELETE", ())),
        )

    def update_action(self, clause: str) -> Any:
        target = self.path()
        if clause == "REMOVE":
            return target
        if clause == "SET":
            self.expect_op("=")
            return (target, self.set_value())
        return (target, self.value())

    def set_value(self) -> Any:
        left = self.set_operand()
        if self.at_op("+", "-"):
            operator = self.advance().text
            return Arithmetic(operator, left, self.set_operand())
        return left

    def set_operand(self) -> Any:
        token = self.current
        if token.kind == "name" and self.peek().kind == "op" and self.peek().text == "(":
            if token.text not in ("if_not_exists", "list_append"):
                raise validation(f"Invalid {self.what}: Invalid function name; function: {token.text}")
            self.advance()
            self.expect_op("(")
            if token.text == "if_not_exists":
                first: Any = self.path()
            else:
                first = self.set_operand()
            self.expect_op(",")
            second = self.set_operand()
            self.expect_op(")")
            return Call(token.text, (first, second))
        if token.kind == "val":
            return self.value()
        return self.path()

    # Projections

    def projection(self) -> tuple[Path, ...]:
        paths = [self.path()]
        while self.at_op(","):
            self.advance()
            paths.append(self.path())
        return tuple(paths)

    def parsed(self, tree: Any) -> Parsed:
        self.finish()
        return Parsed(tree, frozenset(self.names), frozenset(self.values))


def _parser(text: str, what: str) -> _Parser:
    if not text.strip():
        raise validation(f"Invalid {what}: The expression can not be empty;")
    return _Parser(text, what, _tokens(text, what))


@lru_cache(maxsize=8192)
def parse_condition(text: str, what: str = "ConditionExpression") -> Parsed:
    parser = _parser(text, what)
    return parser.parsed(parser.condition())


@lru_cache(maxsize=8192)
def parse_update(text: str) -> Parsed:
    parser = _parser(text, "UpdateExpression")
    return parser.parsed(parser.update())


@lru_cache(maxsize=8192)
def parse_projection(text: str) -> Parsed:
    parser = _parser(text, "ProjectionExpression")
    return parser.parsed(parser.projection())


# ---- Evaluation ----


class Context:
    """One request's placeholders, with the resolved paths memoised for the request."""

    __slots__ = ("names", "values")

    def __init__(self, names: Mapping[str, str] | None, values: Mapping[str, AttributeValue] | None) -> None:
        self.names: Mapping[str, str] = names or {}
        self.values: Mapping[str, AttributeValue] = values or {}

    def value(self, node: Value) -> AttributeValue:
        try:
            return self.values[node.placeholder]
        except KeyError:
            raise validation(
                f"An expression attribute value used in expression is not defined; attribute value: {node.placeholder}"
            ) from None


def lookup(item: Item | None, path: tuple[str | int, ...]) -> AttributeValue | None:
    if item is None:
        return None
    current: AttributeValue | None = item.get(path[0])  # type: ignore[arg-type]
    for element in path[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            members = current.get("L")
            if members is None or element >= len(members):
                return None
            current = members[element]
        else:
            mapping = current.get("M")
            if mapping is None:
                return None
            current = mapping.get(element)
    return current


def operand_value(node: Any, item: Item | None, context: Context) -> AttributeValue | None:
    if isinstance(node, Path):
        return lookup(item, node.resolve(context.names))
    if isinstance(node, Value):
        return context.value(node)
    if isinstance(node, Call) and node.function == "size":
        found = operand_value(node.arguments[0], item, context)
        if found is None:
            return None
        ((kind, inner),) = found.items()
        if kind == "S":
            return {"N": str(len(inner))}
        if kind in ("B", "L", "M") or kind in SET_TYPES:
            return {"N": str(len(inner))}
        return None  # size of a number, boolean or null: no value, so every comparison is false
    raise validation("Invalid operand")


def _ordered(left: AttributeValue | None, right: AttributeValue | None) -> tuple[Any, Any] | None:
    """Both values as comparable Python values when DynamoDB can order them (same scalar type)."""
    if left is None or right is None:
        return None
    left_type = next(iter(left))
    if left_type not in ("S", "N", "B") or left_type != next(iter(right)):
        return None
    return scalar_key(left), scalar_key(right)


def _equal(left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if left is None or right is None:
        return False
    return bool(canonical(left) == canonical(right))


def _check_value_type(node: Any, value: AttributeValue | None, allowed: tuple[str, ...], function: str) -> None:
    """A literal operand of the wrong type is a client error, unlike a stored attribute of the wrong type."""
    if isinstance(node, Value) and value is not None and next(iter(value)) not in allowed:
        raise validation(
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            f"operator or function: {function}, operand type: {next(iter(value))}"
        )


def evaluate(node: Any, item: Item | None, context: Context) -> bool:
    if isinstance(node, Logical):
        if node.operator == "AND":
            return evaluate(node.left, item, context) and evaluate(node.right, item, context)
        return evaluate(node.left, item, context) or evaluate(node.right, item, context)
    if isinstance(node, Not):
        return not evaluate(node.operand, item, context)
    if isinstance(node, Compare):
        left = operand_value(node.left, item, context)
        right = operand_value(node.right, item, context)
        if node.operator == "=":
            return _equal(left, right)
        if node.operator == "<>":
            # A missing attribute is "not equal" to any value.
            return not _equal(left, right)
        pair = _ordered(left, right)
        if pair is None:
            return False
        a, b = pair
        if node.operator == "<":
            return bool(a < b)
        if node.operator == "<=":
            return bool(a <= b)
        if node.operator == ">":
            return bool(a > b)
        return bool(a >= b)
    if isinstance(node, Between):
        subject = operand_value(node.subject, item, context)
        low = operand_value(node.low, item, context)
        high = operand_value(node.high, item, context)
        bounds = _ordered(low, high)
        if bounds is not None and bounds[0] > bounds[1]:
            raise validation(
                "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal "
                f"to lower bound; lower operand: {low}, upper operand: {high}"
            )
        lower = _ordered(subject, low)
        upper = _ordered(subject, high)
        return lower is not None and upper is not None and lower[1] <= lower[0] <= upper[1]
    if isinstance(node, In):
        subject = operand_value(node.subject, item, context)
        return any(_equal(subject, operand_value(choice, item, context)) for choice in node.choices)
    if isinstance(node, Call):
        return _function(node, item, context)
    raise validation("Invalid ConditionExpression")


def _function(node: Call, item: Item | None, context: Context) -> bool:
    name = node.function
    subject = operand_value(node.arguments[0], item, context)
    if name == "attribute_exists":
        return subject is not None
    if name == "attribute_not_exists":
        return subject is None
    argument = operand_value(node.arguments[1], item, context)
    if name == "attribute_type":
        if argument is None or "S" not in argument or argument["S"] not in ALL_TYPES:
            raise validation(
                "Invalid ConditionExpression: Invalid attribute type name found; type: "
                f"{argument}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
            )
        return subject is not None and next(iter(subject)) == argument["S"]
    if name == "begins_with":
        _check_value_type(node.arguments[1], argument, ("S", "B"), "begins_with")
        if subject is None or argument is None:
            return False
        subject_type, argument_type = next(iter(subject)), next(iter(argument))
        if subject_type != argument_type or subject_type not in ("S", "B"):
            return False
        return bool(subject[subject_type].startswith(argument[argument_type]))
    # contains
    if subject is None or argument is None:
        return False
    subject_type, argument_type = next(iter(subject)), next(iter(argument))
    if subject_type in ("S", "B"):
        return subject_type == argument_type and argument[argument_type] in subject[subject_type]
    if subject_type in SET_TYPES:
        if SET_TYPES[subject_type] != argument_type:
            return False
        if argument_type == "N":
            wanted = number(argument["N"])
            return any(number(member) == wanted for member in subject[subject_type])
        return argument[argument_type] in subject[subject_type]
    if subject_type == "L":
        wanted_value = canonical(argument)
        return any(canonical(member) == wanted_value for member in subject["L"])
    return False


# ---- Updates ----


def _type_error(operator: str, value: AttributeValue) -> Exception:
    return validation(
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        f"operator: {operator}, operand type: {next(iter(value))}"
    )


def _set_value(node: Any, item: Item, context: Context) -> AttributeValue:
    if isinstance(node, Value):
        return context.value(node)
    if isinstance(node, Path):
        found = lookup(item, node.resolve(context.names))
        if found is None:
            raise validation("The provided expression refers to an attribute that does not exist in the item")
        return found
    if isinstance(node, Arithmetic):
        left = _set_value(node.left, item, context)
        right = _set_value(node.right, item, context)
        for operand in (left, right):
            if "N" not in operand:
                raise validation("An operand in the update expression has an incorrect data type")
        return {"N": arithmetic(number(left["N"]), number(right["N"]), node.operator == "-")}
    if isinstance(node, Call):
        if node.function == "if_not_exists":
            existing = lookup(item, node.arguments[0].resolve(context.names))
            return existing if existing is not None else _set_value(node.arguments[1], item, context)
        first = _set_value(node.arguments[0], item, context)
        second = _set_value(node.arguments[1], item, context)
        for operand in (first, second):
            if "L" not in operand:
                raise _type_error("list_append", operand)
        return {"L": [*first["L"], *second["L"]]}
    raise validation("Invalid UpdateExpression")


def _overlap_check(paths: list[tuple[str | int, ...]]) -> None:
    ordered = sorted(paths, key=len)
    for index, shorter in enumerate(ordered):
        for longer in ordered[index + 1 :]:
            if longer[: len(shorter)] == shorter:
                raise validation(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one "
                    f"of these paths; path one: {_show(shorter)}, path two: {_show(longer)}"
                )
    if len(set(paths)) != len(paths):
        duplicate = next(path for path in paths if paths.count(path) > 1)
        raise validation(
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one "
            f"of these paths; path one: {_show(duplicate)}, path two: {_show(duplicate)}"
        )


def _show(path: tuple[str | int, ...]) -> str:
    return "[" + ", ".join(f"[{element}]" if isinstance(element, int) else element for element in path) + "]"


def _container(item: Item, path: tuple[str | int, ...]) -> Any:
    """The dict or list that holds the last element of ``path`` (None when the parent is absent)."""
    if len(path) == 1:
        return item
    parent = lookup(item, path[:-1])
    if parent is None:
        return None
    if isinstance(path[-1], int):
        return parent.get("L")
    return parent.get("M")


def _invalid_path() -> Exception:
    return validation("The document path provided in the update expression is invalid for update")


def _assign(item: Item, path: tuple[str | int, ...], value: AttributeValue) -> None:
    holder = _container(item, path)
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(holder, list):
            raise _invalid_path()
        if last < len(holder):
            holder[last] = value
        else:
            holder.append(value)
    else:
        if not isinstance(holder, dict):
            raise _invalid_path()
        holder[last] = value


def apply_update(
    parsed: Parsed, old: Item | None, key: Item, context: Context, key_names: frozenset[str]
) -> tuple[Item, list[tuple[str | int, ...]]]:
    """The item after the update, and the paths it changed. ``old`` is never modified: the result is
    a copy of it (copying cost proportional to the item)."""
    actions: UpdateActions = parsed.tree
    base: Item = old if old is not None else key
    targets: list[tuple[str | int, ...]] = []
    resolved_sets = [(path.resolve(context.names), node) for path, node in actions.set]
    resolved_removes = [path.resolve(context.names) for path in actions.remove]
    resolved_adds = [(path.resolve(context.names), node) for path, node in actions.add]
    resolved_deletes = [(path.resolve(context.names), node) for path, node in actions.delete]
    targets = (
        [path for path, _ in resolved_sets]
        + resolved_removes
        + [path for path, _ in resolved_adds]
        + [path for path, _ in resolved_deletes]
    )
    _overlap_check(targets)
    for path in targets:
        if path[0] in key_names:
            raise validation(
                "One or more parameter values were invalid: Cannot update attribute "
                f"{path[0]}. This attribute is part of the key"
            )
    # Every operand reads the item as it was before the update.
    new_values = [(path, _set_value(node, base, context)) for path, node in resolved_sets]
    result: Item = {name: copy_value(value) for name, value in base.items()}
    for path, value in new_values:
        _assign(result, path, copy_value(value))
    # List elements go from the highest index down so that earlier removals do not shift later ones.
    for path in sorted(resolved_removes, key=lambda p: [(-e if isinstance(e, int) else 0) for e in p]):
        holder = _container(result, path)
        last = path[-1]
        if isinstance(last, int):
            if isinstance(holder, list) and last < len(holder):
                del holder[last]
        elif isinstance(holder, dict):
            holder.pop(last, None)
    for path, node in resolved_adds:
        _add(result, path, context.value(node))
    for path, node in resolved_deletes:
        _delete(result, path, context.value(node))
    return result, targets


def _add(item: Item, path: tuple[str | int, ...], operand: AttributeValue) -> None:
    kind = next(iter(operand))
    if kind != "N" and kind not in SET_TYPES:
        raise _type_error("ADD", operand)
    existing = lookup(item, path)
    if existing is None:
        _assign(item, path, copy_value(operand))
        return
    existing_kind = next(iter(existing))
    if existing_kind != kind:
        raise validation("An operand in the update expression has an incorrect data type")
    if kind == "N":
        _assign(item, path, {"N": arithmetic(number(existing["N"]), number(operand["N"]), False)})
        return
    merged = list(existing[kind])
    present = {number(member) for member in merged} if kind == "NS" else set(merged)
    for member in operand[kind]:
        identity = number(member) if kind == "NS" else member
        if identity not in present:
            present.add(identity)
            merged.append(member)
    _assign(item, path, {kind: merged})


def _delete(item: Item, path: tuple[str | int, ...], operand: AttributeValue) -> None:
    kind = next(iter(operand))
    if kind not in SET_TYPES:
        raise _type_error("DELETE", operand)
    existing = lookup(item, path)
    if existing is None:
        return
    if next(iter(existing)) != kind:
        raise validation("An operand in the update expression has an incorrect data type")
    if kind == "NS":
        removed = {number(member) for member in operand[kind]}
        remaining = [member for member in existing[kind] if number(member) not in removed]
    else:
        dropped = set(operand[kind])
        remaining = [member for member in existing[kind] if member not in dropped]
    if remaining:
        _assign(item, path, {kind: remaining})
        return
    holder = _container(item, path)
    last = path[-1]
    if isinstance(last, int) and isinstance(holder, list):
        del holder[last]
    elif isinstance(holder, dict):
        holder.pop(last, None)


# ---- Projections ----


def check_projection_overlap(paths: list[tuple[str | int, ...]]) -> None:
    for index, first in enumerate(paths):
        for second in paths[index + 1 :]:
            shorter, longer = (first, second) if len(first) <= len(second) else (second, first)
            if longer[: len(shorter)] == shorter:
                raise validation(
                    "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
                    f"rewrite one of these paths; path one: {_show(first)}, path two: {_show(second)}"
                )


def project(item: Item, paths: list[tuple[str | int, ...]]) -> Item:
    """The parts of ``item`` at ``paths`` (a copy); list elements keep their relative order."""
    result: dict[str, Any] = {}
    # Selected list elements are gathered per list first, then compacted in index order.
    for path in paths:
        found = lookup(item, path)
        if found is None:
            continue
        _place(result, item, path, found)
    return _compact(result)


def _place(result: dict[str, Any], item: Item, path: tuple[str | int, ...], found: AttributeValue) -> None:
    holder: dict[Any, Any] = result
    source: Any = item
    for depth, element in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(element, int):
            source = source["L"][element]
        else:
            source = source[element] if depth == 0 else source["M"][element]
        if last:
            holder[element] = copy_value(found)
            return
        kind = "L" if isinstance(path[depth + 1], int) else "M"
        child = holder.get(element)
        if child is None:
            child = {"__kind__": kind}
            holder[element] = child
        holder = child


def _compact(node: dict[str, Any]) -> Item:
    return {name: _compact_value(value) for name, value in node.items()}


def _compact_value(value: Any) -> AttributeValue:
    if "__kind__" not in value:
        return value  # type: ignore[no-any-return]
    kind = value["__kind__"]
    members = {key: member for key, member in value.items() if key != "__kind__"}
    if kind == "L":
        return {"L": [_compact_value(members[index]) for index in sorted(members)]}
    return {"M": {name: _compact_value(member) for name, member in members.items()}}


def iter_placeholders(parsed: list[Parsed]) -> Iterator[tuple[frozenset[str], frozenset[str]]]:
    for entry in parsed:
        yield entry.names, entry.values

"""Conditions in journey definitions (triggers, entry filters, exits, branches), and their evaluation
against a *view*: a plain mapping of JSON-like values (pure).

    - field: profile.orders.count
      equals: 1
    - field: profile.email_consent
      becomes: subscribed          # was not this before the event, is after (triggers only)

A condition names a dotted ``field`` and exactly one operator. The roots a view may hold:
``event`` (the canonical event, as JSON), ``profile`` (the contact after the event, see
`nurture.journeys.views.profile_view`), ``before`` (the contact before the event: triggers only),
``enrolment`` (id, key, occurrence, data) and ``steps`` (results of earlier steps: branches only).
A field that is missing, or ``None``, fails every operator except ``exists: false`` and
``not_equals`` / ``not_in``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from operator import ge, gt, le, lt
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool
OPERATORS = ("equals", "not_equals", "in", "not_in", "exists", "gt", "gte", "lt", "lte", "contains", "becomes")
_MISSING = object()
_PLAIN_NUMBERS = (int, float)
_INT_TEXT = 10**640  # ints below it have a text form whatever sys.set_int_max_str_digits says
_DERIVED = ("operator", "compiled")  # cached from the fields: a copy computes its own

Check = Callable[[Any], bool]


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    field: str = Field(pattern=r"^(event|profile|before|enrolment|steps)(\.[A-Za-z0-9_]+)+$")
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    exists: bool | None = None
    gt: float | str | None = None
    gte: float | str | None = None
    lt: float | str | None = None
    lte: float | str | None = None
    contains: Scalar | None = None
    becomes: Scalar | None = Field(default=None, description="Triggers only: false before the event, true after")

    @model_validator(mode="after")
    def _one_operator(self) -> Self:
        given = [name for name in OPERATORS if getattr(self, "in_" if name == "in" else name) is not None]
        if len(given) != 1:
            raise ValueError(f"a condition needs exactly one of {', '.join(OPERATORS)} (got {len(given)})")
        if self.becomes is not None and not self.field.startswith("profile."):
            raise ValueError("'becomes' compares the profile before and after the event: use a profile.* field")
        return self

    @cached_property  # found once: scoring and segments evaluate conditions on every event
    def operator(self) -> str:
        return next(name for name in OPERATORS if getattr(self, "in_" if name == "in" else name) is not None)

    @cached_property  # built on first use: `holds` runs this for every condition of every event
    def compiled(self) -> Check:
        """The condition as a function of the view (`holds` calls it)."""
        return _compile(self)

    # A copy (model_copy(update=...) among others) must not keep what was derived from the
    # original's fields; a pickle cannot hold the compiled closure.
    def __copy__(self) -> Self:
        return _without_derived(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return _without_derived(super().__deepcopy__(memo))

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state["__dict__"] = {key: value for key, value in state["__dict__"].items() if key not in _DERIVED}
        return state


_C = TypeVar("_C", bound=Condition)


def _without_derived(condition: _C) -> _C:
    for name in _DERIVED:
        condition.__dict__.pop(name, None)
    return condition


def lookup(view: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or `_MISSING`."""
    return _lookup(view, path.split("."))


def _lookup(view: Mapping[str, Any], parts: Sequence[str]) -> Any:
    value: Any = view
    for part in parts:
        # A plain dict is the usual case: read without the abstract class checks.
        value = value.get(part, _MISSING) if type(value) is dict else _step(value, part)
        if value is _MISSING:
            return _MISSING
    return value


def _step(value: Any, part: str) -> Any:
    """One step of a path in anything but a plain dict."""
    if isinstance(value, Mapping) and part in value:
        return value[part]
    if isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit() and int(part) < len(value):
        return value[int(part)]
    return _MISSING


def holds(condition: Condition, view: Mapping[str, Any]) -> bool:
    """Whether the condition holds in this view."""
    return condition.compiled(view)


def all_hold(conditions: Sequence[Condition], view: Mapping[str, Any]) -> bool:
    # A loop rather than all() of a generator, which costs more than most tests themselves.
    for condition in conditions:  # noqa: SIM110
        if not condition.compiled(view):
            return False
    return True


# ---------------------------------------------------------------- compiled form (what `holds` runs)


def _compile(condition: Condition) -> Check:
    """The condition as a closure with everything that does not depend on the view done once: the
    path split, the operator chosen, the expected value's number and text forms, a bound's number
    and instant forms, ``in`` options as sets. It answers exactly as `_interpreted_holds`, which
    says the rules plainly (tests/unit/journeys/test_journeys_compiled_conditions.py compares them)."""
    parts = tuple(condition.field.split("."))
    operator = condition.operator
    if operator == "exists":
        wanted = condition.exists

        def exists(view: Mapping[str, Any]) -> bool:
            value = _lookup(view, parts)
            return (value is not _MISSING and value is not None) is wanted

        return exists
    if operator == "becomes":
        return _becomes(condition, parts)
    if operator in ("equals", "not_equals"):
        test = _same_as(getattr(condition, operator))
    elif operator in ("in", "not_in"):
        test = _member_of(tuple((condition.in_ if operator == "in" else condition.not_in) or ()))
    elif operator == "contains":
        test = _contains(condition.contains)
    else:
        test = _compared_to(getattr(condition, operator), _ORDERINGS[operator])
    if operator.startswith("not_"):

        def absent_or_not(view: Mapping[str, Any]) -> bool:
            value = _lookup(view, parts)
            return value is _MISSING or value is None or not test(value)

        return absent_or_not

    def present_and(view: Mapping[str, Any]) -> bool:
        value: Any = view
        for part in parts:  # `_lookup` inlined: most conditions of every event come here
            value = value.get(part, _MISSING) if type(value) is dict else _step(value, part)
            if value is _MISSING:
                return False
        return value is not None and test(value)

    return present_and


def _becomes(condition: Condition, parts: tuple[str, ...]) -> Check:
    before_parts = tuple(("before." + condition.field.removeprefix("profile.")).split("."))
    same = _same_as(condition.becomes)

    def becomes(view: Mapping[str, Any]) -> bool:
        before = _lookup(view, before_parts)  # first, as the interpreted form does (same errors)
        was = before is not _MISSING and before is not None and same(before)
        value = _lookup(view, parts)
        return value is not _MISSING and value is not None and same(value) and not was

    return becomes


def _same_as(expected: Any) -> Check:
    """`_same` with ``expected`` fixed: its type, number and text found once."""
    kind = type(expected)
    if isinstance(expected, bool):  # a boolean equals only a boolean
        return lambda value: type(value) is kind and value == expected
    wanted = _number(expected)
    text = str(expected)

    # Two floats, or two ints (below the size every Python can write as text, which `_same` does),
    # are the same decimal exactly when they are equal: no need to parse them.
    equal_or_not = kind is float or kind is int

    def same(value: Any) -> bool:
        if type(value) is kind:
            if value == expected:
                return True
            if equal_or_not and (kind is float or -_INT_TEXT < value < _INT_TEXT):
                return False
        if isinstance(value, bool):
            return False
        if wanted is None:  # `_same` would parse the value for nothing: only the texts can match
            return str(value) == text
        number = _number(value)
        if number is not None:
            return bool(number == wanted)
        return str(value) == text

    return same


def _member_of(options: tuple[Any, ...]) -> Check:
    """Whether ``_same(value, option)`` for any option. Options that are all plain texts and finite
    numbers (no booleans) become sets: numbers by their decimal value, texts as they are."""
    tests = tuple(_same_as(option) for option in options)

    def any_same(value: Any) -> bool:
        return any(test(value) for test in tests)

    numbers = [(option, _number(option)) for option in options if type(option) in (str, int, float)]
    if (
        not options
        or len(numbers) < len(options)
        or not all(number is None or number.is_finite() for _, number in numbers)
    ):
        return any_same
    texts = frozenset(option for option, number in numbers if number is None)
    decimals = frozenset(number for _, number in numbers if number is not None)
    every_text = frozenset(str(option) for option in options)

    def member(value: Any) -> bool:
        if type(value) is str and not decimals:
            return value in texts  # a numeric text cannot equal a non-numeric option
        if isinstance(value, bool):
            return False
        number = _number(value)
        if number is None:  # as `_same`: compared as texts with every option
            return str(value) in every_text
        if not number.is_finite():  # NaN never hashes like it compares: answer the long way
            return any_same(value)
        return number in decimals or (bool(texts) and str(value) in texts)

    return member


def _contains(expected: Any) -> Check:
    same = _same_as(expected)

    def contains(value: Any) -> bool:
        if isinstance(value, str):
            return same(value)
        return isinstance(value, list | tuple | set | frozenset) and any(same(item) for item in value)

    return contains


_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {"gt": gt, "gte": ge, "lt": lt, "lte": le}


def _compared_to(bound: Any, ordering: Callable[[Any, Any], Any]) -> Check:
    """`_compare` with the bound fixed: its number and instant forms found once."""
    plain = type(bound) in _PLAIN_NUMBERS
    bound_number = _number(bound)
    bound_instant = _instant(bound)

    def compared(value: Any) -> bool:
        if plain and type(value) in _PLAIN_NUMBERS:
            return bool(ordering(value, bound))
        number = _number(value)
        if number is not None and bound_number is not None:
            return bool(ordering(number, bound_number))
        if bound_instant is None:
            return False
        instant = _instant(value)
        return instant is not None and bool(ordering(instant, bound_instant))

    return compared


# ---------------------------------------------------------------- interpreted form (the reference)


def _interpreted_holds(condition: Condition, view: Mapping[str, Any]) -> bool:
    """The rules as written, evaluated from scratch on every call: the reference `_compile` must
    agree with (kept for the differential test, and for reading)."""
    value = lookup(view, condition.field)
    present = value is not _MISSING and value is not None
    operator = condition.operator
    if operator == "exists":
        return present is condition.exists
    if operator == "not_equals":
        return not present or not _same(value, condition.not_equals)
    if operator == "not_in":
        return not present or not any(_same(value, option) for option in condition.not_in or ())
    if operator == "becomes":
        before = lookup(view, "before." + condition.field.removeprefix("profile."))
        was = before is not _MISSING and before is not None and _same(before, condition.becomes)
        return present and _same(value, condition.becomes) and not was
    if not present:
        return False
    if operator == "equals":
        return _same(value, condition.equals)
    if operator == "in":
        return any(_same(value, option) for option in condition.in_ or ())
    if operator == "contains":
        return isinstance(value, list | tuple | set | frozenset | str) and any(
            _same(item, condition.contains) for item in (value if not isinstance(value, str) else [value])
        )
    bound = getattr(condition, operator)
    return _compare(value, bound, operator)


def _same(value: Any, expected: Any) -> bool:
    if type(value) is type(expected) and value == expected:
        return True  # the common case, without parsing both sides as numbers
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    number = _number(value)
    wanted = _number(expected)
    if number is not None and wanted is not None:
        return number == wanted
    return str(value) == str(expected)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        return _text_number(value)
    return None


@lru_cache(maxsize=4096)
def _text_number(text: str) -> Decimal | None:
    # Cached (bounded: texts come from events): a failed parse raises, and the same texts (states,
    # prices, bounds) come again and again.
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _compare(value: Any, bound: Any, operator: str) -> bool:
    left: Any = value
    right: Any = bound
    # ints and floats compare exactly as their decimal forms would: no need to build Decimals.
    if type(value) not in _PLAIN_NUMBERS or type(bound) not in _PLAIN_NUMBERS:
        left, right = _number(value), _number(bound)
    if left is None or right is None:
        left, right = _instant(value), _instant(bound)
        if left is None or right is None:
            return False
    if operator == "gt":
        return bool(left > right)
    if operator == "gte":
        return bool(left >= right)
    if operator == "lt":
        return bool(left < right)
    return bool(left <= right)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None

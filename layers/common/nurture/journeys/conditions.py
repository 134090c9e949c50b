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

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool
OPERATORS = ("equals", "not_equals", "in", "not_in", "exists", "gt", "gte", "lt", "lte", "contains", "becomes")
_MISSING = object()
_PLAIN_NUMBERS = (int, float)


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


def lookup(view: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or `_MISSING`."""
    value: Any = view
    for part in path.split("."):
        if type(value) is dict:  # the usual case, without the abstract class check
            value = value.get(part, _MISSING)
            if value is _MISSING:
                return _MISSING
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def holds(condition: Condition, view: Mapping[str, Any]) -> bool:
    """Whether the condition holds in this view."""
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


def all_hold(conditions: Sequence[Condition], view: Mapping[str, Any]) -> bool:
    return all(holds(condition, view) for condition in conditions)


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

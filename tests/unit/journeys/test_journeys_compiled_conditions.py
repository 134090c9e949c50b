"""The compiled conditions `holds` runs answer exactly as the interpreted rules: a generated table of
conditions by values, every pair evaluated both ways (the answer, or the exception raised)."""

from __future__ import annotations

import copy
import itertools
import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from nurture.journeys import conditions as module
from nurture.journeys.conditions import Condition, all_hold, holds

MISSING = object()  # the field is not in the view at all

NUMBERS: list[Any] = [0, 1, -1, 2, 99, 100, 101, 10**20, 10**5000, 1.0, 1.5, 0.1, 59.9, 100.0, -0.0, 1e23]
DECIMALS = [Decimal("1"), Decimal("1.00"), Decimal("100.0"), Decimal("59.90"), Decimal("-0"), Decimal("NaN")]
NUMERIC_TEXTS = ["1", "1.0", "01", " 1 ", "1e2", "100", "59.90", "-0", "0.10", "NaN", "Infinity", "1e400"]
TEXTS = ["", "abc", "US", "GB", "subscribed", "true", "None", "[1]", "1/2", "20260301"]
INSTANTS: list[Any] = [
    "2026-03-01T10:00:00+00:00",
    "2026-03-01T10:00:00Z",
    "2026-02-28T23:59:59Z",
    "2026-03-01",
    "2026-03-01T10:00:00",  # naive: ordering it against an aware bound raises, both ways alike
    datetime(2026, 3, 1, 10, tzinfo=UTC),
    datetime(2026, 3, 1, 10),  # noqa: DTZ001 - naive on purpose, as above
]
COLLECTIONS: list[Any] = [
    [],
    [1],  # as a text "[1]": an option "[1]" matches it, as `_same` compares texts last
    ["vip", "1"],
    [1, "2", 1.5],
    ("US",),
    {"abc"},
    frozenset({100}),
    [True],
    [None],
    [Decimal("1.0")],
    {"nested": 1},
]
VALUES: list[Any] = [
    *NUMBERS,
    float("nan"),
    float("inf"),
    *DECIMALS,
    *NUMERIC_TEXTS,
    *TEXTS,
    *INSTANTS,
    *COLLECTIONS,
    True,
    False,
    None,
    MISSING,
]

SCALARS: list[Any] = [
    0,
    1,
    -1,
    100,
    1.0,
    1.5,
    0.1,
    59.9,
    float("nan"),
    float("inf"),
    "1",
    "1.0",
    "01",
    "59.90",
    "NaN",
    "abc",
    "",
    "US",
    "[1]",
    "2026-03-01T10:00:00+00:00",
    True,
    False,
]
BOUNDS: list[Any] = [
    0,
    100,
    -1.5,
    0.1,
    59.9,
    float("inf"),
    "100",
    "59.90",
    "abc",
    "NaN",
    "1e400",
    "20260301",
    "2026-03-01T00:00:00Z",
    "2026-03-01T10:00:00+00:00",
    "2026-03-01",
    "2026-03-01T00:00:00",
]
OPTIONS: list[tuple[Any, ...]] = [
    (),
    ("US", "CA", "GB"),
    ("subscribed", "pending"),
    ("1", 2, 3.5),
    (1, 100.0, "59.90"),
    ("abc", 1),
    ("abc", "abc"),
    (1, 1.0),
    (1, True),
    (False,),
    ("NaN", 1),
    (float("nan"),),
    ("Infinity", "US"),
    ("[1]", "None"),
    ("2026-03-01T10:00:00+00:00",),
    (0, "0.10", "-0"),
]


def _conditions() -> list[Condition]:
    made = [Condition(field="profile.x", exists=wanted) for wanted in (True, False)]
    for value in SCALARS:
        made += [Condition.model_validate({"field": "profile.x", name: value}) for name in ("equals", "not_equals")]
        made += [Condition.model_validate({"field": "profile.x", name: value}) for name in ("contains", "becomes")]
    for bound in BOUNDS:
        made += [Condition.model_validate({"field": "profile.x", name: bound}) for name in ("gt", "gte", "lt", "lte")]
    for options in OPTIONS:
        made += [Condition.model_validate({"field": "profile.x", name: options}) for name in ("in", "not_in")]
    return made


def _views(value: Any) -> list[dict[str, Any]]:
    """The value as ``profile.x``, with each kind of ``before`` (for `becomes`)."""
    profile = {} if value is MISSING else {"x": value}
    befores: list[Any] = [MISSING, None, value, "abc", 1]
    return [{"profile": profile, **({} if before is MISSING else {"before": {"x": before}})} for before in befores]


def _outcome(evaluate: Callable[[Condition, Any], bool], condition: Condition, view: Any) -> Any:
    try:
        return evaluate(condition, view)
    except Exception as error:  # noqa: BLE001 - an error raised one way must be raised the other way
        return (type(error), str(error))


def _shown(view: dict[str, Any]) -> str:
    try:
        return repr(view)
    except ValueError:  # the int too long to write
        return "a view holding 10**5000"


def test_compiled_and_interpreted_agree_on_every_condition_and_value() -> None:
    conditions = _conditions()
    answers: list[Any] = []
    differences = []
    for condition, value in itertools.product(conditions, VALUES):
        for view in _views(value):
            compiled = _outcome(holds, condition, view)
            interpreted = _outcome(module._interpreted_holds, condition, view)
            answers.append(compiled)
            if compiled != interpreted or type(compiled) is not type(interpreted):
                differences.append((condition.model_dump(exclude_none=True), _shown(view), compiled, interpreted))
    assert not differences, differences[:10]
    # The table reaches every kind of answer: true, false, and the errors both forms raise alike
    # (a NaN ordered, a naive instant ordered against an aware one, an int beyond Python's text limit).
    assert {True, False} <= {answer for answer in answers if isinstance(answer, bool)}
    errors = {answer[0].__name__ for answer in answers if isinstance(answer, tuple)}
    assert errors >= {"InvalidOperation", "TypeError", "ValueError"}  # ValueError: an int too long to write
    assert len(conditions) > 150 and len(answers) > 50_000


@pytest.mark.parametrize(
    "path",
    ["profile.items.0", "profile.items.2", "profile.items.x", "profile.box.inner", "profile.box.none", "profile.x.0"],
)
def test_paths_through_lists_and_other_mappings_agree(path: str) -> None:
    view = {"profile": {"items": ["a", 1], "box": MappingProxyType({"inner": "1.0"}), "x": "ab"}}
    for operator, operand in [("equals", 1), ("equals", "a"), ("exists", True), ("gte", 1), ("in", ("a", "b"))]:
        condition = Condition.model_validate({"field": path, operator: operand})
        assert holds(condition, view) is module._interpreted_holds(condition, view)


def test_in_with_plain_options_is_a_set_lookup_and_otherwise_the_option_by_option_scan() -> None:
    # The set form is what makes `in` cheap; the differential test above proves it answers alike.
    assert module._member_of(("US", "CA", "GB")).__name__ == "member"
    assert module._member_of(("1", 2, 3.5)).__name__ == "member"
    for options in [(1, True), (float("nan"),), ("Infinity",), (Decimal("1"),)]:
        assert module._member_of(options).__name__ == "any_same"


def test_all_hold_stops_at_the_first_condition_that_fails() -> None:
    failing = Condition(field="profile.x", equals="no")
    raising = Condition(field="profile.x", gt=1)  # orders a NaN: raises if reached
    view = {"profile": {"x": "NaN"}}
    assert not all_hold([failing, raising], view)
    with pytest.raises(ArithmeticError):
        all_hold([raising, failing], view)


def test_a_copy_compiles_its_own_fields_and_a_pickle_round_trips() -> None:
    condition = Condition(field="profile.x", equals=1)
    assert holds(condition, {"profile": {"x": "1.0"}})  # compiled and cached now
    changed = condition.model_copy(update={"equals": None, "gt": 5})
    assert changed.operator == "gt"
    assert not holds(changed, {"profile": {"x": 1}}) and holds(changed, {"profile": {"x": 6}})
    unpickled = pickle.loads(pickle.dumps(condition))  # noqa: S301 - our own bytes
    for twin in (copy.deepcopy(condition), unpickled):
        assert twin == condition and holds(twin, {"profile": {"x": 1}}) and not holds(twin, {"profile": {"x": 2}})

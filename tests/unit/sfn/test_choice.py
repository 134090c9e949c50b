"""Choice Rules: compile-time validation and run-time semantics (JSONPath query language)."""

from __future__ import annotations

from typing import Any

import pytest

from nurture_local.sfn.choice import COMPARISON_OPERATORS, compile_choice_rule, parse_timestamp
from nurture_local.sfn.errors import RUNTIME, DefinitionError, StatesError

STATE = "RouteContact"
FIELD = "Choices[0]"


def compile_top(rule: dict[str, Any], *, field: str = FIELD) -> Any:
    return compile_choice_rule({**rule, "Next": "Target"}, state=STATE, field=field, top_level=True)


def evaluate(rule: dict[str, Any], data: Any, context: Any = None) -> bool:
    return bool(compile_top(rule)(data, context))


def definition_error(rule: Any, *, top_level: bool = True, field: str = FIELD) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        compile_choice_rule(rule, state=STATE, field=field, top_level=top_level)
    return caught.value


def invalid_path_cause(path: str) -> str:
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


# ---------------------------------------------------------------- the operator set


def test_given_the_asl_operator_list_when_listing_supported_operators_then_every_one_is_there() -> None:
    expected = {
        *(
            f"String{r}{p}"
            for r in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
            for p in ("", "Path")
        ),
        "StringMatches",
        *(
            f"Numeric{r}{p}"
            for r in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
            for p in ("", "Path")
        ),
        "BooleanEquals",
        "BooleanEqualsPath",
        *(
            f"Timestamp{r}{p}"
            for r in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
            for p in ("", "Path")
        ),
        "IsNull",
        "IsPresent",
        "IsNumeric",
        "IsString",
        "IsBoolean",
        "IsTimestamp",
    }

    assert expected == COMPARISON_OPERATORS
    assert len(COMPARISON_OPERATORS) == 39


# ---------------------------------------------------------------- comparisons against a literal

LITERAL_CASES = [
    # operator, operand, value, expected
    ("StringEquals", "gold", "gold", True),
    ("StringEquals", "gold", "Gold", False),
    ("StringEquals", "", "", True),
    ("StringLessThan", "b", "a", True),
    ("StringLessThan", "b", "b", False),
    ("StringLessThan", "abc", "ab", True),  # a proper prefix sorts first
    ("StringLessThan", "a", "B", True),  # no case folding: 'B' (0x42) < 'a' (0x61)
    ("StringGreaterThan", "a", "b", True),
    ("StringGreaterThan", "b", "b", False),
    ("StringLessThanEquals", "b", "b", True),
    ("StringLessThanEquals", "b", "c", False),
    ("StringGreaterThanEquals", "b", "b", True),
    ("StringGreaterThanEquals", "b", "a", False),
    ("NumericEquals", 1, 1, True),
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 1, 2, False),
    ("NumericEquals", 0.5, 0.5, True),
    ("NumericLessThan", 30, 29.99, True),
    ("NumericLessThan", 30, 30, False),
    ("NumericGreaterThan", 20, 21, True),
    ("NumericGreaterThan", 20, 20, False),
    ("NumericLessThanEquals", 30, 30, True),
    ("NumericLessThanEquals", 30, 31, False),
    ("NumericGreaterThanEquals", -1, -1, True),
    ("NumericGreaterThanEquals", -1, -1.5, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", True, False, False),
    ("BooleanEquals", False, False, True),
    ("TimestampEquals", "2001-01-01T12:00:00Z", "2001-01-01T12:00:00Z", True),
    ("TimestampEquals", "2001-01-01T12:00:00Z", "2001-01-01T12:00:01Z", False),
    ("TimestampLessThan", "2001-01-01T12:00:00Z", "2001-01-01T11:59:59Z", True),
    ("TimestampLessThan", "2001-01-01T12:00:00Z", "2001-01-01T12:00:00Z", False),
    ("TimestampGreaterThan", "2001-01-01T12:00:00Z", "2001-01-02T00:00:00Z", True),
    ("TimestampGreaterThan", "2001-01-01T12:00:00Z", "2000-12-31T23:59:59Z", False),
    ("TimestampLessThanEquals", "2001-01-01T12:00:00Z", "2001-01-01T12:00:00Z", True),
    ("TimestampLessThanEquals", "2001-01-01T12:00:00Z", "2001-01-01T12:00:00.001Z", False),
    ("TimestampGreaterThanEquals", "2001-01-01T12:00:00Z", "2001-01-01T12:00:00Z", True),
    ("TimestampGreaterThanEquals", "2001-01-01T12:00:00Z", "2001-01-01T11:00:00Z", False),
]


@pytest.mark.parametrize(("operator", "operand", "value", "expected"), LITERAL_CASES)
def test_given_a_value_when_compared_with_a_literal_then_the_operator_decides(
    operator: str, operand: Any, value: Any, expected: bool
) -> None:
    result = compile_top({"Variable": "$.v", operator: operand})({"v": value}, None)

    assert result is expected


TYPE_MISMATCH_CASES = [
    # operator, operand, a value of another type
    ("StringEquals", "1", 1),
    ("StringEquals", "true", True),
    ("StringEquals", "null", None),
    ("StringLessThan", "z", 1),
    ("StringGreaterThanEquals", "", ["a"]),
    ("NumericEquals", 1, "1"),
    ("NumericEquals", 1, True),  # a boolean is not a number
    ("NumericEquals", 0, False),
    ("NumericLessThan", 10, None),
    ("NumericGreaterThan", 0, {"n": 1}),
    ("BooleanEquals", True, 1),
    ("BooleanEquals", False, 0),
    ("BooleanEquals", False, None),
    ("BooleanEquals", True, "true"),
    ("TimestampEquals", "2001-01-01T12:00:00Z", 978350400),
    ("TimestampEquals", "2001-01-01T12:00:00Z", "2001-01-01 12:00:00Z"),  # not a timestamp string
    ("TimestampLessThan", "2001-01-01T12:00:00Z", "yesterday"),
    ("TimestampGreaterThan", "2001-01-01T12:00:00Z", "2099-01-01t12:00:00z"),  # lowercase t and z
]


@pytest.mark.parametrize(("operator", "operand", "value"), TYPE_MISMATCH_CASES)
def test_given_a_value_of_another_type_when_compared_then_false_not_an_error(
    operator: str, operand: Any, value: Any
) -> None:
    result = compile_top({"Variable": "$.v", operator: operand})({"v": value}, None)

    assert result is False


def test_given_a_timestamp_string_when_compared_with_string_equals_then_it_is_just_a_string() -> None:
    rule = {"Variable": "$.at", "StringEquals": "2001-01-01T12:00:00Z"}

    assert evaluate(rule, {"at": "2001-01-01T12:00:00Z"}) is True
    assert evaluate(rule, {"at": "2001-01-01T13:00:00+01:00"}) is False  # same instant, other text


def test_given_integers_beyond_float_precision_when_compared_numerically_then_compared_exactly() -> None:
    rule = {"Variable": "$.n", "NumericLessThan": 2**60 + 1}

    assert evaluate(rule, {"n": 2**60}) is True
    assert evaluate(rule, {"n": 2**60 + 1}) is False


def test_given_characters_outside_the_bmp_when_ordering_strings_then_utf16_code_units_decide() -> None:
    # Java's compareTo (which AWS documents) orders U+FFFF after U+10000, whose first UTF-16 unit
    # is the surrogate 0xD800; code point order would say the opposite.
    rule = {"Variable": "$.s", "StringLessThan": "\uffff"}

    assert evaluate(rule, {"s": "\U00010000"}) is True
    assert evaluate(rule, {"s": "\ue000"}) is True
    assert evaluate({"Variable": "$.s", "StringGreaterThan": "\U00010000"}, {"s": "\uffff"}) is True
    assert evaluate({"Variable": "$.s", "StringLessThan": "é"}, {"s": "e"}) is True


# ---------------------------------------------------------------- *Path comparisons

PATH_CASES = [
    # operator, left, right, expected
    ("StringEqualsPath", "a", "a", True),
    ("StringEqualsPath", "a", "b", False),
    ("StringLessThanPath", "a", "b", True),
    ("StringLessThanPath", "b", "a", False),
    ("StringGreaterThanPath", "b", "a", True),
    ("StringGreaterThanPath", "a", "a", False),
    ("StringLessThanEqualsPath", "a", "a", True),
    ("StringLessThanEqualsPath", "b", "a", False),
    ("StringGreaterThanEqualsPath", "a", "a", True),
    ("StringGreaterThanEqualsPath", "a", "b", False),
    ("StringLessThanPath", "\U00010000", "\uffff", True),  # UTF-16 order on both sides
    ("NumericEqualsPath", 2, 2.0, True),
    ("NumericEqualsPath", 2, 3, False),
    ("NumericLessThanPath", 2, 3, True),
    ("NumericLessThanPath", 3, 3, False),
    ("NumericGreaterThanPath", 4, 3, True),
    ("NumericGreaterThanPath", 3, 3, False),
    ("NumericLessThanEqualsPath", 3, 3, True),
    ("NumericLessThanEqualsPath", 4, 3, False),
    ("NumericGreaterThanEqualsPath", 3, 3, True),
    ("NumericGreaterThanEqualsPath", 2, 3, False),
    ("BooleanEqualsPath", True, True, True),
    ("BooleanEqualsPath", False, False, True),
    ("BooleanEqualsPath", True, False, False),
    ("TimestampEqualsPath", "2020-06-01T10:00:00Z", "2020-06-01T12:00:00+02:00", True),
    ("TimestampEqualsPath", "2020-06-01T10:00:00Z", "2020-06-01T10:00:00+02:00", False),
    ("TimestampLessThanPath", "2020-06-01T10:00:00Z", "2020-06-01T10:00:00-00:30", True),
    ("TimestampLessThanPath", "2020-06-01T10:00:00Z", "2020-06-01T10:00:00Z", False),
    ("TimestampGreaterThanPath", "2020-06-01T10:00:00.5Z", "2020-06-01T10:00:00Z", True),
    ("TimestampGreaterThanPath", "2020-06-01T10:00:00Z", "2020-06-01T10:00:00Z", False),
    ("TimestampLessThanEqualsPath", "2020-06-01T10:00:00Z", "2020-06-01T10:00:00Z", True),
    ("TimestampLessThanEqualsPath", "2020-06-01T10:00:01Z", "2020-06-01T10:00:00Z", False),
    ("TimestampGreaterThanEqualsPath", "2020-06-01T10:00:00Z", "2020-06-01T11:00:00+01:00", True),
    ("TimestampGreaterThanEqualsPath", "2020-06-01T09:59:59Z", "2020-06-01T10:00:00Z", False),
]


@pytest.mark.parametrize(("operator", "left", "right", "expected"), PATH_CASES)
def test_given_two_values_when_compared_by_path_then_the_operator_decides(
    operator: str, left: Any, right: Any, expected: bool
) -> None:
    result = compile_top({"Variable": "$.left", operator: "$.right"})({"left": left, "right": right}, None)

    assert result is expected


PATH_MISMATCH_CASES = [
    # operator, left, right: at least one side is not of the operator's type
    ("StringEqualsPath", "1", 1),
    ("StringLessThanPath", 1, "2"),
    ("NumericEqualsPath", 1, "1"),
    ("NumericLessThanPath", True, 2),
    ("NumericGreaterThanPath", 2, False),
    ("BooleanEqualsPath", True, "true"),
    ("BooleanEqualsPath", None, None),
    ("TimestampEqualsPath", "2020-06-01T10:00:00Z", "2020-06-01"),
    ("TimestampLessThanPath", "not a time", "2020-06-01T10:00:00Z"),
]


@pytest.mark.parametrize(("operator", "left", "right"), PATH_MISMATCH_CASES)
def test_given_a_side_of_another_type_when_compared_by_path_then_false(operator: str, left: Any, right: Any) -> None:
    result = compile_top({"Variable": "$.left", operator: "$.right"})({"left": left, "right": right}, None)

    assert result is False


def test_given_the_other_path_is_missing_when_compared_by_path_then_runtime_error_names_it() -> None:
    predicate = compile_top({"Variable": "$.left", "NumericGreaterThanPath": "$.threshold"})

    with pytest.raises(StatesError) as caught:
        predicate({"left": 8}, None)

    assert caught.value.error == RUNTIME
    assert caught.value.cause == invalid_path_cause("$.threshold")


def test_given_the_other_path_is_missing_and_the_variable_mistyped_when_compared_then_still_an_error() -> None:
    predicate = compile_top({"Variable": "$.left", "StringEqualsPath": "$.right"})

    with pytest.raises(StatesError) as caught:
        predicate({"left": 8}, None)

    assert caught.value.cause == invalid_path_cause("$.right")


def test_given_both_paths_are_missing_when_compared_by_path_then_the_variable_is_reported() -> None:
    predicate = compile_top({"Variable": "$.left", "StringEqualsPath": "$.right"})

    with pytest.raises(StatesError) as caught:
        predicate({}, None)

    assert caught.value.cause == invalid_path_cause("$.left")


# ---------------------------------------------------------------- missing Variable


def _operand_for(operator: str) -> Any:
    if operator.endswith("Path"):
        return "$.other"
    if operator.startswith("Is"):
        return True
    if operator == "StringMatches":
        return "x*"
    if operator.startswith("String"):
        return "x"
    if operator.startswith("Numeric"):
        return 1
    if operator.startswith("Boolean"):
        return True
    return "2020-01-01T00:00:00Z"


@pytest.mark.parametrize("operator", sorted(COMPARISON_OPERATORS - {"IsPresent"}))
def test_given_a_missing_variable_when_any_operator_but_is_present_runs_then_runtime_error(
    operator: str,
) -> None:
    predicate = compile_top({"Variable": "$.absent.deeper", operator: _operand_for(operator)})

    with pytest.raises(StatesError) as caught:
        predicate({"other": "x"}, None)

    assert caught.value.error == RUNTIME
    assert caught.value.cause == invalid_path_cause("$.absent.deeper")


@pytest.mark.parametrize(
    ("data", "path"),
    [({"items": [1]}, "$.items[3]"), ({"items": 5}, "$.items[0]"), ("text", "$.a"), ({"a": None}, "$.a.b")],
    ids=["index-out-of-range", "index-into-number", "key-into-string", "key-into-null"],
)
def test_given_a_path_through_the_wrong_kind_of_node_when_compared_then_runtime_error(data: Any, path: str) -> None:
    predicate = compile_top({"Variable": path, "NumericEquals": 1})

    with pytest.raises(StatesError) as caught:
        predicate(data, None)

    assert caught.value.cause == invalid_path_cause(path)


def test_given_a_null_value_when_compared_then_false_because_null_is_present() -> None:
    rule = {"Variable": "$.v", "StringEquals": "x"}

    assert evaluate(rule, {"v": None}) is False


# ---------------------------------------------------------------- type tests


@pytest.mark.parametrize(
    ("data", "operand", "expected"),
    [
        ({"v": 1}, True, True),
        ({"v": None}, True, True),  # present, with the value null
        ({}, True, False),
        ({}, False, True),
        ({"v": 1}, False, False),
        ({"other": {"v": 1}}, True, False),
    ],
)
def test_given_a_field_that_may_be_absent_when_is_present_runs_then_it_tests_existence(
    data: Any, operand: bool, expected: bool
) -> None:
    assert evaluate({"Variable": "$.v", "IsPresent": operand}, data) is expected


TYPE_TEST_CASES = [
    # operator, value, is it of that kind?
    ("IsNull", None, True),
    ("IsNull", 0, False),
    ("IsNull", "", False),
    ("IsNull", False, False),
    ("IsNumeric", 0, True),
    ("IsNumeric", -2.5, True),
    ("IsNumeric", True, False),
    ("IsNumeric", "1", False),
    ("IsNumeric", None, False),
    ("IsString", "", True),
    ("IsString", "2020-01-01T00:00:00Z", True),
    ("IsString", 1, False),
    ("IsString", None, False),
    ("IsBoolean", True, True),
    ("IsBoolean", False, True),
    ("IsBoolean", 0, False),
    ("IsBoolean", "true", False),
    ("IsTimestamp", "2016-03-14T01:59:00Z", True),
    ("IsTimestamp", "2016-03-14T01:59:00.123456789+05:30", True),
    ("IsTimestamp", "2016-03-14T01:59:00-00:00", True),
    ("IsTimestamp", "2016-03-14", False),
    ("IsTimestamp", "2016-03-14T01:59Z", False),  # seconds are required
    ("IsTimestamp", "2016-03-14T01:59:00", False),  # an offset or Z is required
    ("IsTimestamp", "2016-03-14t01:59:00Z", False),
    ("IsTimestamp", "2016-03-14T01:59:00z", False),
    ("IsTimestamp", "2016-03-14 01:59:00Z", False),
    ("IsTimestamp", "2016-03-14T01:59:00+0530", False),
    ("IsTimestamp", "2016-02-30T00:00:00Z", False),
    ("IsTimestamp", "2015-02-29T00:00:00Z", False),
    ("IsTimestamp", "2016-02-29T00:00:00Z", True),
    ("IsTimestamp", "2016-13-01T00:00:00Z", False),
    ("IsTimestamp", "2016-03-14T24:00:00Z", False),
    ("IsTimestamp", "2016-03-14T01:60:00Z", False),
    ("IsTimestamp", "2016-03-14T01:59:60Z", False),
    ("IsTimestamp", "2016-03-14T01:59:00+24:00", False),
    ("IsTimestamp", "2016-03-14T01:59:00.Z", False),
    ("IsTimestamp", "\uff12\uff10\uff11\uff16-03-14T01:59:00Z", False),  # full-width digits
    ("IsTimestamp", 1457920740, False),
    ("IsTimestamp", None, False),
]


@pytest.mark.parametrize(("operator", "value", "is_kind"), TYPE_TEST_CASES)
def test_given_a_value_when_a_type_test_runs_then_true_matches_the_kind_and_false_inverts_it(
    operator: str, value: Any, is_kind: bool
) -> None:
    assert evaluate({"Variable": "$.v", operator: True}, {"v": value}) is is_kind
    assert evaluate({"Variable": "$.v", operator: False}, {"v": value}) is (not is_kind)


# ---------------------------------------------------------------- StringMatches

MATCH_CASES = [
    # pattern as it reads in JSON after decoding, value, expected
    ("log-*.txt", "log-2024.txt", True),
    ("log-*.txt", "log-.txt", True),
    ("log-*.txt", "log-2024.csv", False),
    ("foo*.log", "foo23.log", True),
    ("*.log", "zebra.log", True),
    ("foo*.*", "foobar.zebra", True),
    ("*", "", True),
    ("*", "anything at all", True),
    ("", "", True),
    ("", "x", False),
    ("exact", "exact", True),
    ("exact", "exactly", False),
    ("a*a", "a", False),  # the prefix and suffix may not overlap
    ("a*a", "aa", True),
    ("a*b*c", "abc", True),
    ("a*b*c", "a-c-b-c", True),
    ("a*b*c", "acb", False),
    ("*b*b*", "bb", True),
    ("*b*b*", "b", False),
    ("**", "x", True),
    ("a.c", "abc", False),  # no regular-expression meaning
    ("a?c", "abc", False),
    ("[ab]", "a", False),
    ("new\nline*", "new\nline and more", True),
    ("\\*", "*", True),  # JSON "\\*": a literal asterisk
    ("\\*", "x", False),
    ("a\\*b", "a*b", True),
    ("a\\*b", "axb", False),
    ("\\**", "*suffix", True),
    ("\\\\", "\\", True),  # JSON "\\\\": a literal backslash
    ("C:\\\\*", "C:\\temp", True),
    ("C:\\\\*", "C:temp", False),
    ("\\\\*", "\\anything", True),  # escaped backslash, then a wildcard
    ("\\\\\\*", "\\*", True),  # escaped backslash, then escaped asterisk
    ("\\\\\\*", "\\x", False),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), MATCH_CASES)
def test_given_a_pattern_when_string_matches_runs_then_star_is_the_only_wildcard(
    pattern: str, value: str, expected: bool
) -> None:
    assert evaluate({"Variable": "$.name", "StringMatches": pattern}, {"name": value}) is expected


@pytest.mark.parametrize("value", [1, None, True, ["log-1.txt"]])
def test_given_a_non_string_when_string_matches_runs_then_false(value: Any) -> None:
    assert evaluate({"Variable": "$.name", "StringMatches": "*"}, {"name": value}) is False


# ---------------------------------------------------------------- timestamps


def test_given_the_same_instant_in_different_offsets_when_compared_then_equal() -> None:
    rule = {"Variable": "$.at", "TimestampEquals": "2024-03-10T12:00:00Z"}

    assert evaluate(rule, {"at": "2024-03-10T13:00:00+01:00"}) is True
    assert evaluate(rule, {"at": "2024-03-10T06:30:00-05:30"}) is True
    assert evaluate(rule, {"at": "2024-03-11T01:45:00+13:45"}) is True
    assert evaluate(rule, {"at": "2024-03-10T12:00:00-00:00"}) is True
    assert evaluate(rule, {"at": "2024-03-10T12:00:00.000000Z"}) is True
    assert evaluate(rule, {"at": "2024-03-10T12:00:00+01:00"}) is False


def test_given_an_offset_that_crosses_midnight_when_ordering_then_the_instant_decides() -> None:
    # 23:30 local time at -02:00 is 01:30 UTC the next day.
    rule = {"Variable": "$.at", "TimestampGreaterThan": "2024-01-01T01:00:00Z"}

    assert evaluate(rule, {"at": "2023-12-31T23:30:00-02:00"}) is True
    assert evaluate(rule, {"at": "2024-01-01T01:30:00+02:00"}) is False


def test_given_fractional_seconds_when_compared_then_they_count_to_the_nanosecond() -> None:
    rule = {"Variable": "$.at", "TimestampLessThan": "2024-01-01T00:00:00.000000002Z"}

    assert evaluate(rule, {"at": "2024-01-01T00:00:00.000000001Z"}) is True
    assert evaluate(rule, {"at": "2024-01-01T00:00:00.0000000025Z"}) is False  # beyond ns is ignored
    assert evaluate(rule, {"at": "2024-01-01T00:00:00.1Z"}) is False


def test_given_timestamps_across_leap_days_when_parsed_then_intervals_are_exact() -> None:
    day = 86_400 * 10**9
    leap_day_start = parse_timestamp("2024-02-29T00:00:00Z")
    end_of_february = parse_timestamp("2023-02-28T00:00:00Z")
    first_of_march = parse_timestamp("2023-03-01T00:00:00Z")
    year_2000 = parse_timestamp("2000-12-31T00:00:00Z")
    year_2001 = parse_timestamp("2001-01-01T00:00:00Z")
    assert leap_day_start is not None
    assert end_of_february is not None
    assert first_of_march is not None
    assert year_2000 is not None
    assert year_2001 is not None

    assert first_of_march - end_of_february == day
    assert parse_timestamp("2024-03-01T00:00:00Z") == leap_day_start + day
    assert year_2001 - year_2000 == day
    assert parse_timestamp("1970-01-01T00:00:00Z") == parse_timestamp("1969-12-31T19:00:00-05:00")


# ---------------------------------------------------------------- And / Or / Not


def test_given_and_when_every_rule_holds_then_true_otherwise_false() -> None:
    rule = {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {"Variable": "$.value", "NumericLessThan": 30},
        ]
    }

    assert evaluate(rule, {"value": 22}) is True
    assert evaluate(rule, {"value": 30}) is False
    assert evaluate(rule, {"value": 19}) is False


def test_given_or_when_any_rule_holds_then_true_otherwise_false() -> None:
    rule = {
        "Or": [
            {"Variable": "$.tier", "StringEquals": "gold"},
            {"Variable": "$.tier", "StringEquals": "platinum"},
            {"Variable": "$.vip", "BooleanEquals": True},
        ]
    }

    assert evaluate(rule, {"tier": "platinum", "vip": False}) is True
    assert evaluate(rule, {"tier": "basic", "vip": True}) is True
    assert evaluate(rule, {"tier": "basic", "vip": False}) is False


def test_given_not_when_evaluated_then_the_inner_result_is_inverted() -> None:
    rule = {"Not": {"Variable": "$.type", "StringEquals": "Private"}}

    assert evaluate(rule, {"type": "Public"}) is True
    assert evaluate(rule, {"type": "Private"}) is False


def test_given_and_guarded_by_is_present_when_the_field_is_absent_then_later_rules_are_not_evaluated() -> None:
    rule = {
        "And": [
            {"Variable": "$.keyThatMightNotExist", "IsPresent": True},
            {"Variable": "$.keyThatMightNotExist", "StringEquals": "foo"},
        ]
    }

    assert evaluate(rule, {}) is False
    assert evaluate(rule, {"keyThatMightNotExist": "foo"}) is True


def test_given_or_whose_first_rule_holds_when_a_later_path_is_missing_then_no_error() -> None:
    rule = {"Or": [{"Variable": "$.a", "IsNull": True}, {"Variable": "$.missing", "NumericEquals": 1}]}

    assert evaluate(rule, {"a": None}) is True
    with pytest.raises(StatesError):
        evaluate(rule, {"a": 1})


def test_given_a_single_element_and_or_when_evaluated_then_it_equals_that_rule() -> None:
    for name in ("And", "Or"):
        rule = {name: [{"Variable": "$.n", "NumericEquals": 1}]}

        assert evaluate(rule, {"n": 1}) is True
        assert evaluate(rule, {"n": 2}) is False


def test_given_deeply_nested_rules_when_evaluated_then_each_level_applies() -> None:
    rule = {
        "Or": [
            {
                "And": [
                    {"Variable": "$.country", "StringEquals": "FR"},
                    {
                        "Not": {
                            "Or": [
                                {"Variable": "$.optedOut", "BooleanEquals": True},
                                {"Variable": "$.email", "IsNull": True},
                            ]
                        }
                    },
                ]
            },
            {"Variable": "$.score", "NumericGreaterThan": 90},
        ]
    }

    assert evaluate(rule, {"country": "FR", "optedOut": False, "email": "a@b.c", "score": 0}) is True
    assert evaluate(rule, {"country": "FR", "optedOut": True, "email": "a@b.c", "score": 0}) is False
    assert evaluate(rule, {"country": "FR", "optedOut": False, "email": None, "score": 0}) is False
    assert evaluate(rule, {"country": "DE", "optedOut": True, "email": None, "score": 95}) is True


def test_given_not_over_a_missing_path_when_evaluated_then_the_error_propagates() -> None:
    predicate = compile_top({"Not": {"Variable": "$.gone", "StringEquals": "x"}})

    with pytest.raises(StatesError) as caught:
        predicate({}, None)

    assert caught.value.cause == invalid_path_cause("$.gone")


# ---------------------------------------------------------------- context object


def test_given_a_context_path_when_evaluated_then_it_reads_the_context_object_not_the_input() -> None:
    predicate = compile_top({"Variable": "$$.Execution.Input.plan", "StringEquals": "pro"})
    context = {"Execution": {"Input": {"plan": "pro"}}}

    assert predicate({"Execution": {"Input": {"plan": "free"}}}, context) is True
    assert predicate({}, {"Execution": {"Input": {"plan": "free"}}}) is False


def test_given_a_path_operator_on_input_and_context_when_evaluated_then_each_side_reads_its_document() -> None:
    predicate = compile_top({"Variable": "$.sentAt", "TimestampLessThanPath": "$$.State.EnteredTime"})
    context = {"State": {"EnteredTime": "2024-05-01T10:00:00.000Z"}}

    assert predicate({"sentAt": "2024-05-01T09:59:59Z"}, context) is True
    assert predicate({"sentAt": "2024-05-01T10:00:00Z"}, context) is False


def test_given_a_missing_context_field_when_evaluated_then_runtime_error_or_is_present_false() -> None:
    context = {"Execution": {"Id": "arn:exec"}}
    predicate = compile_top({"Variable": "$$.Execution.Input.plan", "StringEquals": "pro"})

    with pytest.raises(StatesError) as caught:
        predicate({"Execution": {"Input": {"plan": "pro"}}}, context)

    assert caught.value.cause == invalid_path_cause("$$.Execution.Input.plan")
    assert evaluate({"Variable": "$$.Execution.Input.plan", "IsPresent": False}, {}, context) is True


def test_given_the_root_as_variable_when_compared_then_the_whole_input_is_the_value() -> None:
    assert evaluate({"Variable": "$", "NumericEquals": 3}, 3) is True
    assert evaluate({"Variable": "$", "IsString": True}, {"a": 1}) is False
    assert evaluate({"Variable": "$['odd key'][1]", "StringEquals": "b"}, {"odd key": ["a", "b"]}) is True


def test_given_a_compiled_rule_when_evaluated_repeatedly_then_results_stay_plain_booleans() -> None:
    predicate = compile_top({"Variable": "$.n", "NumericLessThan": 10})

    results = [predicate({"n": n}, None) for n in range(20)]

    assert results == [True] * 10 + [False] * 10
    assert all(type(result) is bool for result in results)


# ---------------------------------------------------------------- definition errors: structure


@pytest.mark.parametrize("rule", [["Variable", "$.a"], "StringEquals", 1, None])
def test_given_a_rule_that_is_not_an_object_when_compiled_then_definition_error(rule: Any) -> None:
    error = definition_error(rule)

    assert (error.state, error.field) == (STATE, FIELD)
    assert "must be a JSON object" in str(error)
    assert f"state '{STATE}'" in str(error)
    assert f"field '{FIELD}'" in str(error)


def test_given_a_jsonata_condition_when_compiled_then_jsonata_is_not_supported() -> None:
    error = definition_error({"Condition": "{% $states.input.n > 1 %}", "Next": "Target"})

    assert (error.state, error.field) == (STATE, "Choices[0].Condition")
    assert "JSONata is not supported" in str(error)


def test_given_an_unknown_field_when_compiled_then_it_is_named_with_a_suggestion() -> None:
    error = definition_error({"Variable": "$.n", "NumericEqual": 1, "Next": "Target"})

    assert (error.state, error.field) == (STATE, "Choices[0].NumericEqual")
    assert "unknown field 'NumericEqual'" in str(error)
    assert "did you mean 'NumericEquals'" in str(error)


def test_given_an_unrelated_unknown_field_when_compiled_then_no_suggestion_is_made() -> None:
    error = definition_error({"Variable": "$.n", "IsNull": True, "Colour": "red", "Next": "Target"})

    assert error.field == "Choices[0].Colour"
    assert "did you mean" not in str(error)


def test_given_assign_on_a_rule_when_compiled_then_it_is_rejected_as_unsupported() -> None:
    error = definition_error({"Variable": "$.n", "IsNull": True, "Assign": {"x": 1}, "Next": "Target"})

    assert error.field == "Choices[0].Assign"
    assert "not supported" in str(error)


def test_given_a_top_level_rule_without_next_when_compiled_then_definition_error() -> None:
    error = definition_error({"Variable": "$.n", "NumericEquals": 1})

    assert (error.state, error.field) == (STATE, "Choices[0].Next")
    assert "'Next' is required" in str(error)


@pytest.mark.parametrize("target", [None, "", 3, ["A"]])
def test_given_next_that_is_not_a_state_name_when_compiled_then_definition_error(target: Any) -> None:
    error = definition_error({"Variable": "$.n", "NumericEquals": 1, "Next": target})

    assert error.field == "Choices[0].Next"
    assert "non-empty string" in str(error)


def test_given_next_on_a_nested_rule_when_compiled_then_definition_error_names_the_nested_field() -> None:
    rule = {
        "And": [{"Variable": "$.a", "IsNull": True}, {"Variable": "$.b", "IsNull": True, "Next": "X"}],
        "Next": "T",
    }

    error = definition_error(rule, field="Choices[2]")

    assert (error.state, error.field) == (STATE, "Choices[2].And[1].Next")
    assert "only allowed on a top-level Choice Rule" in str(error)


def test_given_next_inside_not_when_compiled_then_definition_error() -> None:
    error = definition_error({"Not": {"Variable": "$.a", "IsNull": True, "Next": "X"}, "Next": "T"})

    assert error.field == "Choices[0].Not.Next"


def test_given_a_nested_rule_compiled_directly_when_it_has_next_then_definition_error() -> None:
    error = definition_error({"Variable": "$.a", "IsNull": True, "Next": "X"}, top_level=False)

    assert error.field == "Choices[0].Next"


def test_given_a_nested_rule_without_next_when_compiled_directly_then_it_is_accepted() -> None:
    predicate = compile_choice_rule({"Variable": "$.a", "IsNull": True}, state=STATE, field=FIELD, top_level=False)

    assert predicate({"a": None}, None) is True


def test_given_a_comment_when_compiled_then_it_is_allowed_at_any_level() -> None:
    rule = {"Comment": "VIPs", "Not": {"Comment": "inner", "Variable": "$.vip", "BooleanEquals": False}}

    assert evaluate(rule, {"vip": True}) is True


@pytest.mark.parametrize("comment", [5, None, ["note"]])
def test_given_a_comment_that_is_not_a_string_when_compiled_then_definition_error(comment: Any) -> None:
    error = definition_error({"Comment": comment, "Variable": "$.a", "IsNull": True, "Next": "T"})

    assert error.field == "Choices[0].Comment"


def test_given_no_operator_when_compiled_then_definition_error() -> None:
    error = definition_error({"Next": "Target"})

    assert (error.state, error.field) == (STATE, FIELD)
    assert "exactly one of" in str(error)


def test_given_a_variable_without_operator_when_compiled_then_definition_error() -> None:
    error = definition_error({"Variable": "$.a", "Next": "Target"})

    assert error.field == FIELD
    assert "'Variable' needs a comparison operator" in str(error)


def test_given_two_comparison_operators_when_compiled_then_both_are_named() -> None:
    error = definition_error({"Variable": "$.a", "StringEquals": "x", "IsNull": False, "Next": "T"})

    assert error.field == FIELD
    assert "exactly one operator" in str(error)
    assert "'StringEquals'" in str(error)
    assert "'IsNull'" in str(error)


def test_given_a_boolean_and_a_comparison_operator_together_when_compiled_then_definition_error() -> None:
    error = definition_error({"And": [{"Variable": "$.a", "IsNull": True}], "Or": [], "Next": "T"})

    assert error.field == FIELD
    assert "'And', 'Or'" in str(error)


def test_given_a_comparison_without_variable_when_compiled_then_definition_error() -> None:
    error = definition_error({"NumericEquals": 1, "Next": "Target"})

    assert error.field == "Choices[0].Variable"
    assert "'Variable' is required" in str(error)
    assert "'NumericEquals'" in str(error)


def test_given_variable_beside_and_when_compiled_then_definition_error() -> None:
    error = definition_error({"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": True}], "Next": "T"})

    assert error.field == "Choices[0].Variable"
    assert "not allowed beside 'And'" in str(error)


@pytest.mark.parametrize(
    ("operand", "message"),
    [
        ([], "an empty array"),
        ({"Variable": "$.a", "IsNull": True}, "an object"),
        ("rule", "a string"),
        (None, "null"),
    ],
)
def test_given_and_that_is_not_a_non_empty_array_when_compiled_then_definition_error(
    operand: Any, message: str
) -> None:
    for name in ("And", "Or"):
        error = definition_error({name: operand, "Next": "T"})

        assert error.field == f"Choices[0].{name}"
        assert "non-empty array of Choice Rules" in str(error)
        assert message in str(error)


def test_given_an_or_element_that_is_not_an_object_when_compiled_then_its_index_is_named() -> None:
    error = definition_error({"Or": [{"Variable": "$.a", "IsNull": True}, "$.b"], "Next": "T"}, field="Choices[4]")

    assert (error.state, error.field) == (STATE, "Choices[4].Or[1]")
    assert "must be a JSON object" in str(error)


@pytest.mark.parametrize("operand", [[{"Variable": "$.a", "IsNull": True}], "rule", True])
def test_given_not_that_is_not_one_rule_when_compiled_then_definition_error(operand: Any) -> None:
    error = definition_error({"Not": operand, "Next": "T"})

    assert error.field == "Choices[0].Not"
    assert "single Choice Rule" in str(error)


def test_given_an_error_deep_in_nested_rules_when_compiled_then_the_full_field_path_is_named() -> None:
    rule = {
        "And": [
            {"Variable": "$.a", "IsNull": True},
            {"Not": {"Or": [{"Variable": "$.b", "IsNull": True}, {"Variable": "$.c", "NumericEquals": "7"}]}},
        ],
        "Next": "T",
    }

    error = definition_error(rule, field="Choices[3]")

    assert (error.state, error.field) == (STATE, "Choices[3].And[1].Not.Or[1].NumericEquals")
    assert "must be a number" in str(error)


# ---------------------------------------------------------------- definition errors: paths


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("value", "must start with '$'"),
        ("$.items[*]", "not a reference path"),
        ("$..name", "not a reference path"),
        ("$.items[?(@.n > 1)]", "not a reference path"),
        ("$.a[", "invalid reference path"),
        (5, "reference path string"),
        (None, "reference path string"),
        (["$.a"], "reference path string"),
    ],
)
def test_given_an_invalid_variable_when_compiled_then_definition_error_names_variable(
    variable: Any, message: str
) -> None:
    error = definition_error({"Variable": variable, "IsNull": True, "Next": "T"})

    assert (error.state, error.field) == (STATE, "Choices[0].Variable")
    assert message in str(error)


@pytest.mark.parametrize(
    ("operator", "operand"),
    [
        ("StringEqualsPath", "other"),
        ("NumericLessThanPath", "$.list[*]"),
        ("BooleanEqualsPath", True),
        ("TimestampEqualsPath", "2020-01-01T00:00:00Z"),
        ("StringGreaterThanEqualsPath", {"path": "$.a"}),
    ],
)
def test_given_a_path_operator_without_a_reference_path_when_compiled_then_definition_error(
    operator: str, operand: Any
) -> None:
    error = definition_error({"Variable": "$.a", operator: operand, "Next": "T"})

    assert (error.state, error.field) == (STATE, f"Choices[0].{operator}")


# ---------------------------------------------------------------- definition errors: operand types


@pytest.mark.parametrize(
    ("operator", "operand", "message"),
    [
        ("StringEquals", 5, "must be a string"),
        ("StringLessThan", None, "must be a string"),
        ("StringGreaterThanEquals", ["a"], "must be a string"),
        ("NumericEquals", "5", "must be a number"),
        ("NumericEquals", True, "must be a number"),
        ("NumericGreaterThan", None, "must be a number"),
        ("NumericLessThan", float("nan"), "must be a number"),
        ("NumericLessThanEquals", float("inf"), "must be a number"),
        ("BooleanEquals", "true", "must be a boolean"),
        ("BooleanEquals", 1, "must be a boolean"),
        ("TimestampEquals", "yesterday", "RFC 3339 timestamp"),
        ("TimestampLessThan", "2016-03-14T01:59:00", "RFC 3339 timestamp"),
        ("TimestampGreaterThan", "2016-03-14t01:59:00z", "RFC 3339 timestamp"),
        ("TimestampGreaterThanEquals", 1457920740, "RFC 3339 timestamp"),
        ("TimestampLessThanEquals", "2016-02-30T00:00:00Z", "RFC 3339 timestamp"),
        ("IsNull", "true", "must be true or false"),
        ("IsPresent", 1, "must be true or false"),
        ("IsNumeric", None, "must be true or false"),
        ("IsString", "yes", "must be true or false"),
        ("IsBoolean", 0, "must be true or false"),
        ("IsTimestamp", [True], "must be true or false"),
        ("StringMatches", 5, "pattern string"),
    ],
)
def test_given_an_operand_of_the_wrong_type_when_compiled_then_definition_error_names_the_operator(
    operator: str, operand: Any, message: str
) -> None:
    error = definition_error({"Variable": "$.a", operator: operand, "Next": "T"})

    assert (error.state, error.field) == (STATE, f"Choices[0].{operator}")
    assert message in str(error)
    assert f"state '{STATE}', field 'Choices[0].{operator}'" in str(error)


@pytest.mark.parametrize("pattern", ["a\\b", "trailing\\", "\\", "\\n*"])
def test_given_a_pattern_with_an_open_escape_when_compiled_then_definition_error(pattern: str) -> None:
    error = definition_error({"Variable": "$.a", "StringMatches": pattern, "Next": "T"})

    assert (error.state, error.field) == (STATE, "Choices[0].StringMatches")
    assert "open escape" in str(error)

"""Intrinsic functions (JSONPath query language).

Expected values marked "AWS example" are the outputs AWS gives on its page "Intrinsic functions for
JSONPath states in Step Functions"; "ASL spec example" ones come from the Amazon States Language
specification (states-language.net). Where the AWS page's own example is wrong, the test says so.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from nurture_local.sfn.errors import INTRINSIC_FAILURE, RUNTIME, StatesError
from nurture_local.sfn.intrinsics import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def run(text: str, data: Any = None, context: Any = None, rng: random.Random | None = None) -> Any:
    return parse_intrinsic(text).evaluate(data, context, rng or random.Random(0))


def failure(text: str, data: Any = None) -> str:
    """Evaluate `text`, expect States.IntrinsicFailure, and return its cause."""
    with pytest.raises(StatesError) as caught:
        run(text, data)
    assert caught.value.error == INTRINSIC_FAILURE
    return caught.value.cause


# ---------------------------------------------------------------- is_intrinsic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x')", True),
        ("States.UUID()", True),
        ("$.name", False),
        ("States.Format", False),
        ("plain text (with parens)", False),
    ],
)
def test_is_intrinsic_recognises_only_states_calls(text: str, expected: bool) -> None:
    assert is_intrinsic(text) is expected


# ---------------------------------------------------------------- literals and escapes


def test_string_literal_is_returned_without_quotes() -> None:
    assert run("States.Array('a b')") == ["a b"]


def test_escaped_quote_in_string_is_a_quote() -> None:
    assert run(r"States.Array('it\'s')") == ["it's"]


def test_escaped_braces_in_string_are_braces() -> None:
    assert run(r"States.Array('\{x\}')") == ["{x}"]


def test_escaped_backslash_in_string_is_one_backslash() -> None:
    assert run(r"States.Array('a\\b')") == ["a\\b"]


def test_unescaped_placeholder_outside_format_is_kept_as_text() -> None:
    assert run("States.Array('{}')") == ["{}"]


def test_integer_literal_stays_an_integer() -> None:
    (value,) = run("States.Array(2020)")
    assert value == 2020
    assert isinstance(value, int)


def test_negative_fractional_and_exponent_numbers_are_parsed() -> None:
    values = run("States.Array(-2, 2.5, 1e3, -1.5E-1)")
    assert values == [-2, 2.5, 1000.0, -0.15]
    assert isinstance(values[2], float)


def test_true_false_null_literals() -> None:
    assert run("States.Array(true, false, null)") == [True, False, None]


def test_whitespace_between_arguments_is_ignored() -> None:
    assert run("States.Array(  1 ,2\t,  'x'  )") == [1, 2, "x"]


def test_call_without_arguments() -> None:
    assert run("States.Array()") == []


# ---------------------------------------------------------------- paths and context


def test_root_path_argument_is_the_whole_input() -> None:
    assert run("States.Array($)", {"a": 1}) == [{"a": 1}]


def test_dotted_and_bracketed_path_arguments() -> None:
    data = {"a": {"b": 1}, "c d": 2, "items": [10, 20]}
    assert run("States.Array($.a.b, $['c d'], $.items[1])", data) == [1, 2, 20]


def test_bracket_name_with_comma_and_parenthesis_stays_in_the_path() -> None:
    assert run("States.Array($['a,b)'], 1)", {"a,b)": "x"}) == ["x", 1]


def test_filter_path_with_spaces_yields_the_list_of_matches() -> None:
    data = {"items": [{"n": 1, "id": "a"}, {"n": 2, "id": "b"}, {"n": 3, "id": "c"}]}
    assert run("States.ArrayLength($.items[?(@.n > 1)].id)", data) == 2


def test_context_path_reads_the_context_object_not_the_input() -> None:
    data = {"Execution": {"Name": "from-input"}}
    context = {"Execution": {"Name": "run-9"}}
    assert run("States.Format('run {}', $$.Execution.Name)", data, context) == "run run-9"


def test_uses_context_is_true_for_a_context_path() -> None:
    assert parse_intrinsic("States.Array($$.Execution.Id)").uses_context is True


def test_uses_context_sees_a_context_path_in_a_nested_call() -> None:
    intrinsic = parse_intrinsic("States.Format('{}', States.ArrayGetItem(States.Array($$.Map.Item.Index), 0))")
    assert intrinsic.uses_context is True


def test_uses_context_is_false_with_input_paths_only() -> None:
    assert parse_intrinsic("States.Array($.a, 'b')").uses_context is False


def test_missing_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as caught:
        run("States.Array($.missing)", {"a": 1})
    assert caught.value.error == RUNTIME
    assert "$.missing" in caught.value.cause


def test_text_is_kept_on_the_parsed_call() -> None:
    assert parse_intrinsic("States.Array(1)").text == "States.Array(1)"


def test_one_parsed_call_evaluates_against_different_inputs() -> None:
    intrinsic = parse_intrinsic("States.Format('Hi {}', $.name)")
    rng = random.Random(0)
    assert intrinsic.evaluate({"name": "Ann"}, None, rng) == "Hi Ann"
    assert intrinsic.evaluate({"name": "Bob"}, None, rng) == "Hi Bob"


# ---------------------------------------------------------------- nesting


ARN_DATA = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.3"}}
VERSION = "States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.')"
MAJOR = f"States.ArrayGetItem({VERSION}, 0)"
MINOR = f"States.ArrayGetItem({VERSION}, 1)"


def test_nested_calls_with_two_placeholders_build_the_version() -> None:
    assert run(f"States.Format('{{}}.{{}}', {MAJOR}, {MINOR})", ARN_DATA) == "1.0"


def test_aws_nine_call_example_parses_but_has_three_placeholders_for_two_values() -> None:
    # AWS example "myArn": '{}.{}.{}' with two values; the count rule makes it fail at run time.
    text = f"States.Format('{{}}.{{}}.{{}}', {MAJOR}, {MINOR})"
    cause = failure(text, ARN_DATA)
    assert "3 '{}' placeholder(s) but 2 value argument(s)" in cause


def test_ten_calls_in_one_field_are_allowed() -> None:
    text = "States.Array(" + ", ".join(["States.UUID()"] * 9) + ")"
    assert len(run(text)) == 9


def test_eleven_calls_in_one_field_are_rejected() -> None:
    text = "States.Array(" + ", ".join(["States.UUID()"] * 10) + ")"
    with pytest.raises(IntrinsicSyntaxError, match="more than 10 intrinsic functions"):
        parse_intrinsic(text)


# ---------------------------------------------------------------- States.Format


def test_format_literal_template_aws_example() -> None:
    assert run("States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"}) == "Hello, my name is Arnav."


def test_format_template_from_path_aws_example() -> None:
    data = {"name": "Arnav", "template": "Hello, my name is {}."}
    assert run("States.Format($.template, $.name)", data) == "Hello, my name is Arnav."


def test_format_with_number_literal_asl_spec_example() -> None:
    text = "States.Format('Your name is {}, we are in the year {}', $.name, 2020)"
    assert run(text, {"name": "Foo", "zebra": "stripe"}) == "Your name is Foo, we are in the year 2020"


def test_format_writes_numbers_booleans_and_null_as_json_text() -> None:
    assert run("States.Format('{} {} {} {}', 1.5, true, false, null)") == "1.5 true false null"


def test_format_escaped_braces_are_not_placeholders() -> None:
    assert run(r"States.Format('\{\} and {}', 'x')") == "{} and x"


def test_format_template_without_placeholders() -> None:
    assert run("States.Format('plain')") == "plain"


def test_format_inserts_value_containing_braces_verbatim() -> None:
    assert run("States.Format('<{}>', $.v)", {"v": "{}"}) == "<{}>"


def test_format_with_too_few_values_fails() -> None:
    assert "2 '{}' placeholder(s) but 1 value argument(s)" in failure("States.Format('{} {}', 'a')")


def test_format_with_too_many_values_fails() -> None:
    assert "States.Format" in failure("States.Format('{}', 'a', 'b')")


def test_format_path_template_placeholder_mismatch_fails() -> None:
    cause = failure("States.Format($.t, 1)", {"t": "no placeholder"})
    assert "0 '{}' placeholder(s) but 1 value argument(s)" in cause


# The service inserts an object or array as its Java runtime prints it, not as JSON text: recorded
# from AWS in LocalStack's AWS-validated snapshot (TestGeneric.test_format_2 and
# test_context_json_path: {"Arg1": 1, "Arg2": []} -> "{Arg1=1, Arg2=[]}", $$.StateMachine -> "{Id=..., Name=...}").


def test_given_an_object_argument_when_formatted_then_it_is_inserted_as_the_service_prints_it() -> None:
    data = {"fst": {"Arg1": 1, "Arg2": []}}

    result = run("States.Format('Formatting arguments fst={}.', $.fst)", data)

    assert result == "Formatting arguments fst={Arg1=1, Arg2=[]}."


def test_given_nested_arrays_and_objects_when_formatted_then_strings_are_unquoted_and_scalars_are_json() -> None:
    data = {"v": [1, "two", None, True, 1.5, {"k": "v", "n": [{}]}]}

    assert run("States.Format('<{}>', $.v)", data) == "<[1, two, null, true, 1.5, {k=v, n=[{}]}]>"


def test_given_the_context_object_when_formatted_then_it_reads_like_the_recorded_execution() -> None:
    context = {"StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "Name": "m"}}

    result = run("States.Format('snd={}.', $$.StateMachine)", None, context)

    assert result == "snd={Id=arn:aws:states:us-east-1:123456789012:stateMachine:m, Name=m}."


def test_given_a_nested_call_returning_an_array_when_formatted_then_it_loads_and_is_inserted() -> None:
    assert run("States.Format('{}', States.Array(1, 'a'))") == "[1, a]"


def test_format_template_path_that_is_not_a_string_fails() -> None:
    assert "the template (argument 1) must be a string" in failure("States.Format($.t)", {"t": 5})


# ---------------------------------------------------------------- States.StringToJson / JsonToString


def test_string_to_json_aws_example() -> None:
    assert run("States.StringToJson($.escapedJsonString)", {"escapedJsonString": '{"foo": "bar"}'}) == {"foo": "bar"}


def test_string_to_json_asl_spec_example() -> None:
    assert run("States.StringToJson($.someString)", {"someString": '{"number": 20}'}) == {"number": 20}


def test_string_to_json_of_a_literal_with_escaped_braces() -> None:
    assert run(r"States.StringToJson('\{\}')") == {}


@pytest.mark.parametrize("text", ["", " ", "\t\n"])
def test_given_an_empty_or_blank_string_when_parsed_as_json_then_the_result_is_null(text: str) -> None:
    # LocalStack's AWS-validated snapshot TestJsonManipulation.test_string_to_json: "" and " " give null.
    assert run("States.StringToJson($.s)", {"s": text}) is None


def test_given_unescaped_braces_in_a_literal_when_parsed_as_json_then_they_are_json_braces() -> None:
    # The service accepts this form (LocalStack's AWS-validated JSON_MERGE_ESCAPED_ARGUMENT template).
    text = 'States.JsonMerge(States.StringToJson(\'{"constant_in_literal": "false"}\'), $.input_field, false)'

    result = run(text, {"input_field": {"constant_input_field": "constant_value"}})

    assert result == {"constant_in_literal": "false", "constant_input_field": "constant_value"}


def test_given_unescaped_braces_around_a_placeholder_when_formatted_then_only_the_pair_is_replaced() -> None:
    assert run("States.Format('{\"k\": {}} and }{', $.v)", {"v": 7}) == '{"k": 7} and }{'


def test_given_a_lone_unescaped_brace_in_a_literal_when_loaded_then_it_is_a_brace() -> None:
    assert run("States.Array('a{b', 'a}b')") == ["a{b", "a}b"]


def test_string_to_json_invalid_json_fails() -> None:
    cause = failure("States.StringToJson($.s)", {"s": "{not json"})
    assert "States.StringToJson: argument 1 is not valid JSON" in cause


def test_string_to_json_rejects_nan() -> None:
    assert "not valid JSON" in failure("States.StringToJson('NaN')")


def test_string_to_json_of_a_non_string_fails() -> None:
    assert "must be a string, got number 5" in failure("States.StringToJson($.s)", {"s": 5})


def test_json_to_string_is_compact_aws_example() -> None:
    assert run("States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}) == '{"foo":"bar"}'


def test_json_to_string_asl_spec_example() -> None:
    data = {"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"}
    assert run("States.JsonToString($.someJson)", data) == '{"name":"Foo","year":2020}'


def test_json_to_string_keeps_non_ascii_characters() -> None:
    assert run("States.JsonToString($.v)", {"v": ["é"]}) == '["é"]'


# ---------------------------------------------------------------- States.Array


def test_array_aws_example() -> None:
    assert run("States.Array($.Id)", {"Id": 123456}) == [123456]


def test_array_asl_spec_example() -> None:
    data = {"someJson": {"random": "abcdefg"}, "zebra": "stripe"}
    assert run("States.Array('Foo', 2020, $.someJson, null)", data) == [
        "Foo",
        2020,
        {"random": "abcdefg"},
        None,
    ]


# ---------------------------------------------------------------- States.ArrayPartition


NINE = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}


def test_array_partition_aws_example() -> None:
    assert run("States.ArrayPartition($.inputArray,4)", NINE) == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]


def test_array_partition_rounds_a_fractional_chunk_size() -> None:
    assert run("States.ArrayPartition($.inputArray, 4.6)", NINE) == [[1, 2, 3, 4, 5], [6, 7, 8, 9]]


def test_array_partition_of_an_empty_array_is_empty() -> None:
    assert run("States.ArrayPartition(States.Array(), 2)") == []


def test_array_partition_zero_chunk_size_fails() -> None:
    assert "chunk size (argument 2) must be a positive integer" in failure(
        "States.ArrayPartition($.inputArray, 0)", NINE
    )


def test_array_partition_chunk_size_rounding_to_zero_fails() -> None:
    assert "positive integer" in failure("States.ArrayPartition($.inputArray, 0.4)", NINE)


def test_array_partition_negative_chunk_size_fails() -> None:
    assert "positive integer" in failure("States.ArrayPartition($.inputArray, -1)", NINE)


def test_array_partition_of_a_non_array_fails() -> None:
    assert "the array (argument 1) must be an array" in failure("States.ArrayPartition($.s, 2)", {"s": "abc"})


def test_array_partition_over_the_payload_limit_fails() -> None:
    big = {"a": ["x" * 1000] * 300}
    assert "payload limit is 262144 bytes" in failure("States.ArrayPartition($.a, 2)", big)


# ---------------------------------------------------------------- States.ArrayContains


def test_array_contains_aws_example() -> None:
    data = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5}
    assert run("States.ArrayContains($.inputArray, $.lookingFor)", data) is True


def test_array_contains_false_when_absent() -> None:
    assert run("States.ArrayContains($.inputArray, 10)", NINE) is False


def test_array_contains_compares_objects_by_value_not_key_order() -> None:
    data = {"a": [{"x": 1, "y": [2]}], "v": {"y": [2], "x": 1}}
    assert run("States.ArrayContains($.a, $.v)", data) is True


def test_array_contains_does_not_treat_true_as_one() -> None:
    assert run("States.ArrayContains($.a, true)", {"a": [1]}) is False


def test_array_contains_treats_one_and_one_point_zero_as_equal() -> None:
    assert run("States.ArrayContains($.a, 1.0)", {"a": [1]}) is True


def test_array_contains_of_a_non_array_fails() -> None:
    assert "States.ArrayContains" in failure("States.ArrayContains($.a, 1)", {"a": {"k": 1}})


# ---------------------------------------------------------------- States.ArrayRange


def test_array_range_aws_example() -> None:
    assert run("States.ArrayRange(1, 9, 2)") == [1, 3, 5, 7, 9]


def test_array_range_stops_before_an_end_it_does_not_land_on() -> None:
    assert run("States.ArrayRange(1, 10, 4)") == [1, 5, 9]


def test_array_range_with_a_negative_step() -> None:
    assert run("States.ArrayRange(10, 1, -3)") == [10, 7, 4, 1]


def test_array_range_rounds_fractional_arguments() -> None:
    assert run("States.ArrayRange(0.6, 3.4, 1.2)") == [1, 2, 3]


def test_array_range_stepping_away_from_the_end_is_empty() -> None:
    assert run("States.ArrayRange(5, 1, 1)") == []


def test_array_range_of_exactly_1000_items_is_allowed() -> None:
    values = run("States.ArrayRange(1, 1000, 1)")
    assert len(values) == 1000
    assert values[-1] == 1000


def test_array_range_over_1000_items_fails() -> None:
    assert "1001 items; the limit is 1000" in failure("States.ArrayRange(0, 1000, 1)")


def test_array_range_zero_step_fails() -> None:
    assert "the step (argument 3) must not be zero" in failure("States.ArrayRange(1, 9, 0)")


def test_array_range_non_number_path_argument_fails() -> None:
    assert "the final element (argument 2) must be a number" in failure("States.ArrayRange(1, $.e, 1)", {"e": "9"})


# ---------------------------------------------------------------- States.ArrayGetItem


def test_array_get_item_aws_example() -> None:
    data = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}
    assert run("States.ArrayGetItem($.inputArray, $.index)", data) == 6


def test_array_get_item_accepts_an_integral_float_index() -> None:
    assert run("States.ArrayGetItem($.inputArray, 0.0)", NINE) == 1


def test_array_get_item_returns_nested_values() -> None:
    assert run("States.ArrayGetItem($.a, 1)", {"a": [0, {"k": [1]}]}) == {"k": [1]}


def test_array_get_item_index_past_the_end_fails() -> None:
    cause = failure("States.ArrayGetItem($.inputArray, 9)", NINE)
    assert cause == "States.ArrayGetItem: the index (argument 2) 9 is out of range for an array of length 9"


def test_array_get_item_negative_index_fails() -> None:
    assert "out of range" in failure("States.ArrayGetItem($.inputArray, -1)", NINE)


def test_array_get_item_fractional_index_fails() -> None:
    assert "the index (argument 2) must be an integer, got 1.5" in failure(
        "States.ArrayGetItem($.inputArray, 1.5)", NINE
    )


# ---------------------------------------------------------------- States.ArrayLength / ArrayUnique


def test_array_length_aws_example() -> None:
    assert run("States.ArrayLength($.inputArray)", NINE) == 9


def test_array_length_of_a_string_fails() -> None:
    cause = failure("States.ArrayLength($.s)", {"s": "abc"})
    assert cause == 'States.ArrayLength: the array (argument 1) must be an array, got string "abc"'


def test_array_unique_aws_example() -> None:
    assert run("States.ArrayUnique($.inputArray)", {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}) == [
        1,
        2,
        3,
        4,
    ]


def test_array_unique_keeps_first_occurrences_in_order() -> None:
    assert run("States.ArrayUnique($.a)", {"a": ["b", "a", "b", "c", "a"]}) == ["b", "a", "c"]


def test_array_unique_removes_structurally_equal_objects() -> None:
    data = {"a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}, [1], [1]]}
    assert run("States.ArrayUnique($.a)", data) == [{"x": 1, "y": 2}, [1]]


def test_array_unique_keeps_true_and_one_apart() -> None:
    assert run("States.ArrayUnique($.a)", {"a": [1, True, 1.0, False, 0]}) == [1, True, False, 0]


def test_array_unique_of_a_non_array_fails() -> None:
    assert "States.ArrayUnique" in failure("States.ArrayUnique($.a)", {"a": None})


# ---------------------------------------------------------------- States.Base64Encode / Base64Decode


def test_base64_encode_aws_example() -> None:
    assert run("States.Base64Encode($.input)", {"input": "Data to encode"}) == "RGF0YSB0byBlbmNvZGU="


def test_base64_encode_uses_utf8() -> None:
    assert run("States.Base64Encode('héllo €')") == "aMOpbGxvIOKCrA=="


def test_base64_encode_accepts_10000_characters() -> None:
    assert len(run("States.Base64Encode($.s)", {"s": "a" * 10_000})) == 13_336


def test_base64_encode_over_10000_characters_fails() -> None:
    assert "10001 characters; the limit is 10000" in failure("States.Base64Encode($.s)", {"s": "a" * 10_001})


def test_base64_encode_of_a_number_fails() -> None:
    assert "the data (argument 1) must be a string" in failure("States.Base64Encode($.n)", {"n": 1})


def test_base64_decode_of_the_aws_example_input() -> None:
    # AWS's page says this decodes to "Decoded data"; the bytes actually spell the encode example's input.
    assert run("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}) == "Data to encode"


def test_base64_decode_reverses_encode() -> None:
    assert run("States.Base64Decode(States.Base64Encode('héllo €'))") == "héllo €"


def test_base64_decode_invalid_input_fails() -> None:
    assert "argument 1 is not valid Base64" in failure("States.Base64Decode('not base64!')")


def test_base64_decode_of_non_utf8_bytes_fails() -> None:
    assert "does not decode to UTF-8 text" in failure("States.Base64Decode('/w==')")


def test_base64_decode_over_10000_characters_fails() -> None:
    assert "the limit is 10000" in failure("States.Base64Decode($.s)", {"s": "QUFB" * 2501})


# ---------------------------------------------------------------- States.Hash


def test_hash_aws_example_sha1() -> None:
    # AWS's page prints "aaff4a450a104cd177d28d18d7485e8cae074b7", 39 hex digits (a '4' is missing).
    data = {"Data": "input data", "Algorithm": "SHA-1"}
    assert run("States.Hash($.Data, $.Algorithm)", data) == "aaff4a450a104cd177d28d18d74485e8cae074b7"


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("MD5", "900150983cd24fb0d6963f7d28e17f72"),
        ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("SHA-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "SHA-384",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "SHA-512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ],
)
def test_hash_of_abc_matches_the_standard_test_vector(algorithm: str, digest: str) -> None:
    assert run(f"States.Hash('abc', '{algorithm}')") == digest


def test_hash_unknown_algorithm_fails() -> None:
    cause = failure("States.Hash('abc', 'SHA-3')")
    assert cause == (
        'States.Hash: the algorithm (argument 2) "SHA-3" is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512'
    )


def test_hash_algorithm_name_is_case_sensitive() -> None:
    assert "is not one of" in failure("States.Hash('abc', 'sha-256')")


def test_hash_over_10000_characters_fails() -> None:
    assert "the limit is 10000" in failure("States.Hash($.s, 'MD5')", {"s": "a" * 10_001})


def test_hash_of_a_non_string_fails() -> None:
    assert "the data (argument 1) must be a string, got object" in failure("States.Hash($.d, 'MD5')", {"d": {}})


# ---------------------------------------------------------------- States.JsonMerge


def test_json_merge_aws_example() -> None:
    data = {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}
    assert run("States.JsonMerge($.json1, $.json2, false)", data) == {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}


def test_json_merge_leaves_its_inputs_unchanged() -> None:
    data = {"x": {"a": 1}, "y": {"a": 2}}
    run("States.JsonMerge($.x, $.y, false)", data)
    assert data == {"x": {"a": 1}, "y": {"a": 2}}


def test_json_merge_deep_mode_fails() -> None:
    cause = failure("States.JsonMerge($.x, $.y, true)", {"x": {}, "y": {}})
    assert "deep merging is not supported" in cause


def test_json_merge_deep_flag_from_a_path_fails_when_true() -> None:
    assert "States.JsonMerge" in failure("States.JsonMerge($.x, $.y, $.deep)", {"x": {}, "y": {}, "deep": True})


def test_json_merge_of_an_array_fails() -> None:
    assert "the second object (argument 2) must be an object" in failure(
        "States.JsonMerge($.x, $.y, false)", {"x": {}, "y": []}
    )


# ---------------------------------------------------------------- States.MathRandom


def test_math_random_aws_example_is_within_start_inclusive_end_exclusive() -> None:
    rng = random.Random(3)
    values = {run("States.MathRandom($.start, $.end)", {"start": 1, "end": 999}, rng=rng) for _ in range(500)}
    assert min(values) >= 1
    assert max(values) <= 998


def test_math_random_never_returns_the_end() -> None:
    assert {run("States.MathRandom(1, 2)", rng=random.Random(seed)) for seed in range(50)} == {1}


def test_math_random_reaches_the_start() -> None:
    assert {run("States.MathRandom(0, 2)", rng=random.Random(seed)) for seed in range(50)} == {0, 1}


def test_math_random_same_seed_gives_the_same_number() -> None:
    first = run("States.MathRandom(1, 1000000, 42)", rng=random.Random(1))
    second = run("States.MathRandom(1, 1000000, 42)", rng=random.Random(2))
    assert first == second


def test_math_random_different_seeds_give_different_numbers() -> None:
    values = {run(f"States.MathRandom(1, 1000000, {seed})") for seed in range(5)}
    assert len(values) == 5


def test_math_random_without_seed_is_deterministic_for_a_seeded_rng() -> None:
    first = [run("States.MathRandom(1, 1000000)", rng=rng) for rng in [random.Random(9)] * 3]
    second = [run("States.MathRandom(1, 1000000)", rng=rng) for rng in [random.Random(9)] * 3]
    assert first == second
    assert len(set(first)) == 3


def test_math_random_rounds_fractional_bounds() -> None:
    assert run("States.MathRandom(0.6, 2.4)") == 1


def test_math_random_empty_range_fails() -> None:
    assert "the start (5) must be less than the end (5)" in failure("States.MathRandom(5, 5)")


def test_math_random_string_bound_fails() -> None:
    assert "the end (argument 2) must be a number" in failure("States.MathRandom(1, $.e)", {"e": "9"})


# ---------------------------------------------------------------- States.MathAdd


def test_math_add_aws_example() -> None:
    assert run("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}) == 110


def test_math_add_rounds_fractional_arguments_to_the_nearest_integer() -> None:
    assert run("States.MathAdd(1.4, 2.5)") == 4


def test_math_add_accepts_the_int32_bounds() -> None:
    assert run("States.MathAdd(-2147483648, 2147483647)") == -1


def test_math_add_outside_int32_fails() -> None:
    assert "argument 1 (2147483648) is outside the range" in failure("States.MathAdd(2147483648, 0)")


def test_math_add_boolean_from_a_path_fails() -> None:
    assert "the step (argument 2) must be a number, got boolean true" in failure("States.MathAdd(1, $.b)", {"b": True})


# ---------------------------------------------------------------- States.StringSplit


def test_string_split_aws_example_single_delimiter() -> None:
    data = {"inputString": "1,2,3,4,5", "splitter": ","}
    assert run("States.StringSplit($.inputString, $.splitter)", data) == ["1", "2", "3", "4", "5"]


def test_string_split_aws_example_several_delimiting_characters() -> None:
    data = {"inputString": "This.is+a,test=string", "splitter": ".+,="}
    assert run("States.StringSplit($.inputString, $.splitter)", data) == ["This", "is", "a", "test", "string"]


def test_string_split_drops_empty_pieces() -> None:
    assert run("States.StringSplit(',a,,b,', ',')") == ["a", "b"]


def test_string_split_treats_regex_characters_literally() -> None:
    assert run("States.StringSplit('a.b|c', '|')") == ["a.b", "c"]


def test_string_split_with_empty_delimiters_returns_the_whole_string() -> None:
    assert run("States.StringSplit('abc', '')") == ["abc"]


def test_string_split_of_a_non_string_fails() -> None:
    assert "the string (argument 1) must be a string" in failure("States.StringSplit($.n, ',')", {"n": 12})


# ---------------------------------------------------------------- States.UUID


def test_uuid_is_a_version_4_uuid() -> None:
    assert UUID4.match(run("States.UUID()"))


def test_uuid_is_deterministic_for_a_seeded_rng() -> None:
    assert run("States.UUID()", rng=random.Random(5)) == run("States.UUID()", rng=random.Random(5))


def test_uuid_successive_calls_differ() -> None:
    first, second = run("States.Array(States.UUID(), States.UUID())")
    assert first != second


# ---------------------------------------------------------------- load-time errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Array('a'", "missing ')'"),
        ("States.Formatt('a')", "unknown intrinsic function 'States.Formatt'; did you mean 'States.Format'?"),
        ("States.Nope()", "unknown intrinsic function 'States.Nope'"),
        ("States.Array", "expected '(' after 'States.Array'"),
        ("States.Array (1)", "expected '(' after 'States.Array'"),
        ("States.Array(1,)", "expected an argument"),
        ("States.Array(1 2)", "expected ',' or ')'"),
        ("States.Array(1) extra", "unexpected text after the closing ')'"),
        ("States.Array('abc)", "unterminated string"),
        (r"States.Array('a\n')", "open escape backslash"),
        ("States.Array('a\\')", "unterminated string"),
        ("States.Array('a\\", "open escape backslash"),
        ("States.Array(12abc)", "unexpected 'a' after '12'"),
        ("States.Array(007)", "unexpected '0' after '0'"),
        ("States.Array(-x)", "expected a number after '-'"),
        ("States.Array(tru)", "expected an argument"),
        ("States.Array(truex)", "unexpected 'x' after 'true'"),
        ("States.Array(1e999)", "out of range"),
        ("States.Array($.a[0)", "missing ']'"),
        ("States.Array($.a])", "unbalanced ']'"),
        ("States.Array($.a.)", "invalid JSONPath argument"),
        ("States.Array(foo)", "expected an argument"),
    ],
)
def test_bad_syntax_is_rejected_at_load(text: str, message: str) -> None:
    with pytest.raises(IntrinsicSyntaxError) as caught:
        parse_intrinsic(text)
    assert message in str(caught.value)
    assert text in str(caught.value)


def test_syntax_error_reports_the_position() -> None:
    with pytest.raises(IntrinsicSyntaxError) as caught:
        parse_intrinsic("States.Array(1, 'a\\qb')")
    assert caught.value.position == 18
    assert "at position 18" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Format()", "States.Format takes at least 1 argument(s) but 0 were given"),
        ("States.StringToJson()", "States.StringToJson takes 1 argument(s) but 0 were given"),
        ("States.JsonToString($.a, $.b)", "States.JsonToString takes 1 argument(s) but 2 were given"),
        ("States.ArrayPartition($.a)", "States.ArrayPartition takes 2 argument(s) but 1 was given"),
        ("States.ArrayContains($.a)", "States.ArrayContains takes 2"),
        ("States.ArrayRange(1, 9)", "States.ArrayRange takes 3 argument(s) but 2 were given"),
        ("States.ArrayGetItem($.a)", "States.ArrayGetItem takes 2"),
        ("States.ArrayLength()", "States.ArrayLength takes 1"),
        ("States.ArrayUnique($.a, $.b)", "States.ArrayUnique takes 1"),
        ("States.Base64Encode()", "States.Base64Encode takes 1"),
        ("States.Base64Decode('a', 'b')", "States.Base64Decode takes 1"),
        ("States.Hash('a')", "States.Hash takes 2"),
        ("States.JsonMerge($.a, $.b)", "States.JsonMerge takes 3 argument(s) but 2 were given"),
        ("States.MathRandom(1)", "States.MathRandom takes 2 to 3 argument(s) but 1 was given"),
        ("States.MathRandom(1, 2, 3, 4)", "States.MathRandom takes 2 to 3 argument(s) but 4 were given"),
        ("States.MathAdd(1)", "States.MathAdd takes 2"),
        ("States.StringSplit('a')", "States.StringSplit takes 2"),
        ("States.UUID(1)", "States.UUID takes 0 argument(s) but 1 was given"),
    ],
)
def test_wrong_argument_count_is_rejected_at_load(text: str, message: str) -> None:
    with pytest.raises(IntrinsicSyntaxError, match=re.escape(message)):
        parse_intrinsic(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "States.Format(1)",
            "States.Format argument 1 (template) must be a string, but the literal 1 is a number",
        ),
        ("States.StringToJson(null)", "must be a string, but the literal null is a null"),
        ("States.JsonToString('x')", "States.JsonToString argument 1 (path) must be a JSONPath"),
        ("States.JsonToString(States.Array(1))", "must be a JSONPath"),
        ("States.ArrayLength('x')", 'must be an array, but the literal "x" is a string'),
        ("States.ArrayPartition($.a, '2')", "argument 2 (chunk size) must be a number"),
        ("States.ArrayRange(1, '9', 1)", "States.ArrayRange argument 2 (final element) must be a number"),
        ("States.ArrayGetItem($.a, true)", "argument 2 (index) must be a number"),
        ("States.Base64Encode(1)", "States.Base64Encode argument 1 (data) must be a string"),
        ("States.Hash('a', 256)", "States.Hash argument 2 (algorithm) must be a string"),
        ("States.JsonMerge($.a, $.b, 'false')", "argument 3 (deep-merge flag) must be a boolean"),
        ("States.JsonMerge('a', $.b, false)", "argument 1 (first object) must be an object"),
        ("States.MathRandom(1, 9, 'seed')", "argument 3 (seed) must be a number"),
        ("States.MathAdd(true, 1)", "States.MathAdd argument 1 (value) must be a number"),
        ("States.StringSplit('a', 1)", "argument 2 (delimiting characters) must be a string"),
        ("States.ArrayLength(States.Format('x'))", "must be an array, but the nested call returns a string"),
        ("States.MathAdd(States.UUID(), 1)", "must be a number, but the nested call returns a string"),
    ],
)
def test_literal_or_nested_call_of_the_wrong_type_is_rejected_at_load(text: str, message: str) -> None:
    with pytest.raises(IntrinsicSyntaxError, match=re.escape(message)):
        parse_intrinsic(text)


def test_nested_call_of_unknown_result_type_is_accepted_at_load() -> None:
    # ArrayGetItem may return anything, so the check is left to run time.
    assert run("States.ArrayLength(States.ArrayGetItem($.a, 0))", {"a": [[1, 2]]}) == 2


def test_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown intrinsic function"):
        parse_intrinsic("States.Bogus()")

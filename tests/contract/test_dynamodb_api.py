"""DynamoDB's API, operation by operation and expression feature by feature, on moto and on the engine.

Where moto departs from AWS's documentation the test cites the documentation and asserts each
backend's known answer with ``backend.known(moto=..., engine=...)``; nowhere is a case skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.contract.conftest import Backend


def key(pk: str, sk: str = "s") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def put(backend: Backend, pk: str, sk: str = "s", **attributes: Any) -> None:
    backend.client.put_item(TableName=backend.table, Item={**key(pk, sk), **attributes})


def get(backend: Backend, pk: str, sk: str = "s") -> dict[str, Any] | None:
    answer = backend.client.get_item(TableName=backend.table, Key=key(pk, sk), ConsistentRead=True)
    item: dict[str, Any] | None = answer.get("Item")
    return item


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    response: dict[str, Any] = caught.value.response
    return response


def code_of(call: Callable[[], Any]) -> str:
    return str(error_of(call)["Error"]["Code"])


def outcome(call: Callable[[], Any]) -> Any:
    """The call's result, its ClientError code, or the name of the Python exception that escaped
    (moto crashes with KeyError/TypeError/... on some invalid requests instead of answering)."""
    try:
        result = call()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    except (KeyError, ValueError, TypeError, AssertionError) as exc:
        return type(exc).__name__
    if isinstance(result, dict):
        return {name: value for name, value in result.items() if name != "ResponseMetadata"}
    return result


def update(backend: Backend, pk: str, expression: str, values: dict[str, Any] | None = None, **params: Any) -> Any:
    extra: dict[str, Any] = dict(params)
    if values is not None:
        extra["ExpressionAttributeValues"] = values
    return backend.client.update_item(TableName=backend.table, Key=key(pk), UpdateExpression=expression, **extra)


def condition_holds(
    backend: Backend, pk: str, condition: str, values: dict[str, Any] | None = None, **params: Any
) -> bool:
    """Whether ``condition`` is true for the item (checked with a no-op conditional update)."""
    extra: dict[str, Any] = dict(params)
    if values is not None:
        extra["ExpressionAttributeValues"] = {**values, ":probe": {"S": "p"}}
    else:
        extra["ExpressionAttributeValues"] = {":probe": {"S": "p"}}
    try:
        backend.client.update_item(
            TableName=backend.table,
            Key=key(pk),
            UpdateExpression="SET probe = :probe",
            ConditionExpression=condition,
            **extra,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ---- GetItem / PutItem / DeleteItem ----


def test_given_no_item_when_getting_then_the_answer_has_no_item(backend: Backend) -> None:
    answer = backend.client.get_item(TableName=backend.table, Key=key("nobody"))

    assert "Item" not in answer


def test_given_an_item_when_put_then_get_returns_every_type_as_written(backend: Backend) -> None:
    attributes = {
        "s": {"S": "text"},
        "empty": {"S": ""},
        "n": {"N": "12"},
        "b": {"B": b"\x00\x01"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "2"}]}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"x"]},
    }
    backend.client.put_item(TableName=backend.table, Item={**key("p", "t"), **attributes})

    item = get(backend, "p", "t")

    assert item is not None
    assert {name: item[name] for name in attributes if name not in ("ss", "ns", "bs")} == {
        name: value for name, value in attributes.items() if name not in ("ss", "ns", "bs")
    }
    assert sorted(item["ss"]["SS"]) == ["a", "b"]
    assert sorted(item["ns"]["NS"]) == ["1", "2"]
    assert item["bs"] == {"BS": [b"x"]}


def test_given_numbers_in_any_notation_when_read_back_then_they_are_normalised(backend: Backend) -> None:
    put(backend, "n", a={"N": "1.50"}, b={"N": "0010"}, c={"N": "1e2"}, d={"N": "-0.0"}, e={"N": ".5"})

    item = get(backend, "n")

    assert item is not None
    # AWS: numbers are stored without leading and trailing zeroes ("Leading and trailing zeroes are
    # trimmed", DynamoDB developer guide, Supported data types, Number). moto returns the text as sent.
    assert [item[name]["N"] for name in "abcde"] == backend.known(
        moto=["1.50", "0010", "1e2", "-0.0", ".5"], engine=["1.5", "10", "100", "0", "0.5"]
    )


def test_given_a_number_beyond_38_digits_when_put_then_validation_fails(backend: Backend) -> None:
    call = lambda: put(backend, "n", a={"N": "1" * 39})  # noqa: E731

    # AWS: "Numbers can have up to 38 digits of precision. Exceeding this results in an exception"
    # (DynamoDB developer guide, Supported data types, Number). moto stores the number.
    assert outcome(call) == backend.known(moto=None, engine="ValidationException")


def test_given_a_number_that_is_not_a_number_when_put_then_validation_fails(backend: Backend) -> None:
    assert code_of(lambda: put(backend, "n", a={"N": "twelve"})) == "ValidationException"


def test_given_a_wrong_python_type_when_called_then_botocore_validation_still_raises(backend: Backend) -> None:
    with pytest.raises(ParamValidationError):
        backend.client.get_item(TableName=backend.table, Key={"pk": {"S": 1}, "sk": {"S": "s"}})


def test_given_a_missing_table_when_getting_then_resource_not_found(backend: Backend) -> None:
    call = lambda: backend.client.get_item(TableName="no-such-table", Key=key("p"))  # noqa: E731

    assert code_of(call) == "ResourceNotFoundException"


def test_given_an_empty_string_key_when_put_then_validation_fails(backend: Backend) -> None:
    assert code_of(lambda: put(backend, "")) == "ValidationException"


def test_given_a_key_missing_the_sort_key_when_getting_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.get_item(TableName=backend.table, Key={"pk": {"S": "p"}})  # noqa: E731

    assert code_of(call) == "ValidationException"


def test_given_an_item_over_400_kb_when_put_then_validation_fails(backend: Backend) -> None:
    assert code_of(lambda: put(backend, "big", blob={"S": "x" * (400 * 1024 + 1)})) == "ValidationException"


def test_given_an_oversized_item_and_a_failing_condition_when_put_then_the_size_is_refused_first(
    backend: Backend,
) -> None:
    put(backend, "big")
    call = lambda: backend.client.put_item(  # noqa: E731
        TableName=backend.table,
        Item={**key("big"), "blob": {"S": "x" * (400 * 1024 + 1)}},
        ConditionExpression="attribute_not_exists(pk)",
    )

    assert code_of(call) == "ValidationException"


def test_given_an_item_when_put_over_it_with_all_old_then_the_old_item_is_returned(backend: Backend) -> None:
    put(backend, "p", v={"S": "one"})

    answer = backend.client.put_item(
        TableName=backend.table, Item={**key("p"), "v": {"S": "two"}}, ReturnValues="ALL_OLD"
    )

    assert answer["Attributes"] == {**key("p"), "v": {"S": "one"}}
    assert get(backend, "p") == {**key("p"), "v": {"S": "two"}}


def test_given_put_item_when_asking_for_all_new_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.put_item(TableName=backend.table, Item=key("p"), ReturnValues="ALL_NEW")  # noqa: E731

    assert code_of(call) == "ValidationException"


def test_given_an_existing_item_when_a_conditional_put_fails_then_the_error_carries_the_item(backend: Backend) -> None:
    put(backend, "p", v={"S": "one"})

    response = error_of(
        lambda: backend.client.put_item(
            TableName=backend.table,
            Item={**key("p"), "v": {"S": "two"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )

    assert response["Error"] == {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
    assert response["Item"] == {**key("p"), "v": {"S": "one"}}
    assert get(backend, "p") == {**key("p"), "v": {"S": "one"}}


def test_given_a_failed_condition_without_return_values_then_the_error_has_no_item(backend: Backend) -> None:
    put(backend, "p")

    response = error_of(
        lambda: backend.client.put_item(
            TableName=backend.table, Item=key("p"), ConditionExpression="attribute_not_exists(pk)"
        )
    )

    assert "Item" not in response


def test_given_an_item_when_deleted_with_all_old_and_a_condition_then_it_is_gone(backend: Backend) -> None:
    put(backend, "p", v={"N": "3"})
    refused = lambda: backend.client.delete_item(  # noqa: E731
        TableName=backend.table,
        Key=key("p"),
        ConditionExpression="v > :v",
        ExpressionAttributeValues={":v": {"N": "3"}},
    )
    assert code_of(refused) == "ConditionalCheckFailedException"

    answer = backend.client.delete_item(
        TableName=backend.table,
        Key=key("p"),
        ConditionExpression="v >= :v",
        ExpressionAttributeValues={":v": {"N": "3"}},
        ReturnValues="ALL_OLD",
    )

    assert answer["Attributes"] == {**key("p"), "v": {"N": "3"}}
    assert get(backend, "p") is None


def test_given_no_item_when_deleted_then_it_succeeds_without_attributes(backend: Backend) -> None:
    answer = backend.client.delete_item(TableName=backend.table, Key=key("nobody"), ReturnValues="ALL_OLD")

    assert "Attributes" not in answer


def test_given_a_projection_with_nested_paths_when_getting_then_only_those_parts_come_back(backend: Backend) -> None:
    put(
        backend,
        "p",
        a={
            "M": {
                "b": {"L": [{"S": "zero"}, {"M": {"c": {"S": "deep"}, "d": {"S": "no"}}}, {"S": "two"}]},
                "e": {"N": "1"},
            }
        },
        f={"S": "kept"},
        g={"S": "dropped"},
    )

    answer = backend.client.get_item(
        TableName=backend.table,
        Key=key("p"),
        ProjectionExpression="a.b[1].c, #f, a.b[2]",
        ExpressionAttributeNames={"#f": "f"},
    )

    # AWS returns every projected list element, in list order (DynamoDB developer guide, Projection
    # expressions; Specifying item attributes, list elements). moto keeps only the last path into a list.
    assert answer["Item"] == backend.known(
        moto={"a": {"M": {"b": {"L": [{"S": "two"}]}}}, "f": {"S": "kept"}},
        engine={"a": {"M": {"b": {"L": [{"M": {"c": {"S": "deep"}}}, {"S": "two"}]}}}, "f": {"S": "kept"}},
    )


# ---- Expression attribute names and values ----


def test_given_an_unused_attribute_name_when_calling_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.put_item(  # noqa: E731
        TableName=backend.table,
        Item=key("p"),
        ConditionExpression="attribute_not_exists(pk)",
        ExpressionAttributeNames={"#unused": "x"},
    )

    response = error_of(call)

    assert response["Error"]["Code"] == "ValidationException"
    assert "unused" in response["Error"]["Message"]


def test_given_an_unused_attribute_value_when_calling_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.put_item(  # noqa: E731
        TableName=backend.table,
        Item=key("p"),
        ConditionExpression="attribute_not_exists(pk)",
        ExpressionAttributeValues={":unused": {"S": "x"}},
    )

    # AWS refuses unused values as it does unused names ("Value provided in
    # ExpressionAttributeValues unused in expressions", DynamoDB API reference, Common errors /
    # ExpressionAttributeValues). moto accepts them on PutItem.
    assert outcome(call) == backend.known(moto={}, engine="ValidationException")


def test_given_an_undefined_attribute_value_when_calling_then_validation_fails(backend: Backend) -> None:
    call = lambda: condition_holds(backend, "p", "v = :undefined")  # noqa: E731

    # AWS: ValidationException "An expression attribute value used in expression is not defined"
    # (DynamoDB developer guide, Expression attribute values). moto crashes with a KeyError.
    assert outcome(call) == backend.known(moto="KeyError", engine="ValidationException")


def test_given_an_undefined_attribute_name_when_calling_then_validation_fails(backend: Backend) -> None:
    call = lambda: condition_holds(backend, "p", "#undefined = :v", {":v": {"S": "x"}})  # noqa: E731

    # AWS: ValidationException "An expression attribute name used in the document path is not
    # defined" (DynamoDB developer guide, Expression attribute names). moto crashes with a KeyError.
    assert outcome(call) == backend.known(moto="KeyError", engine="ValidationException")


def test_given_a_reserved_word_as_an_attribute_name_when_calling_then_validation_fails(backend: Backend) -> None:
    response = error_of(lambda: condition_holds(backend, "p", "status = :v", {":v": {"S": "x"}}))

    assert response["Error"]["Code"] == "ValidationException"
    assert "reserved keyword" in response["Error"]["Message"]


def test_given_a_syntax_error_when_calling_then_validation_fails(backend: Backend) -> None:
    call = lambda: condition_holds(backend, "p", "v = = :v", {":v": {"S": "x"}})  # noqa: E731

    # AWS answers a malformed expression with ValidationException ("Invalid ConditionExpression:
    # Syntax error"); moto's condition parser raises a ValueError instead.
    assert outcome(call) == backend.known(moto="ValueError", engine="ValidationException")


# ---- Condition expressions ----


@pytest.fixture
def sample(backend: Backend) -> Backend:
    put(
        backend,
        "p",
        n={"N": "10"},
        s={"S": "hello"},
        b={"B": b"\x01\x02"},
        ss={"SS": ["red", "green"]},
        ns={"NS": ["1", "2.5"]},
        l={"L": [{"S": "a"}, {"N": "1"}]},
        m={"M": {"deep": {"M": {"x": {"N": "1"}}}}},
        t={"BOOL": True},
    )
    return backend


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("n = :v", {":v": {"N": "10.0"}}, True),
        ("n <> :v", {":v": {"N": "10"}}, False),
        ("n < :v", {":v": {"N": "10.5"}}, True),
        ("n <= :v", {":v": {"N": "9.99"}}, False),
        ("n > :v", {":v": {"N": "-1"}}, True),
        ("n >= :v", {":v": {"N": "10"}}, True),
        ("s < :v", {":v": {"S": "help"}}, True),
        ("b < :v", {":v": {"B": b"\x01\x03"}}, True),
        ("n BETWEEN :a AND :b", {":a": {"N": "5"}, ":b": {"N": "10"}}, True),
        ("s BETWEEN :a AND :b", {":a": {"S": "a"}, ":b": {"S": "h"}}, False),
        ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
        ("s IN (:a)", {":a": {"S": "bye"}}, False),
        ("m.deep.x = :v", {":v": {"N": "1"}}, True),
        ("l[1] = :v", {":v": {"N": "1"}}, True),
        ("l[5] = :v", {":v": {"N": "1"}}, False),
        ("begins_with(s, :v)", {":v": {"S": "he"}}, True),
        ("begins_with(s, :v)", {":v": {"S": "lo"}}, False),
        ("contains(s, :v)", {":v": {"S": "ell"}}, True),
        ("contains(ss, :v)", {":v": {"S": "red"}}, True),
        ("contains(ns, :v)", {":v": {"N": "2.50"}}, True),
        ("contains(l, :v)", {":v": {"S": "a"}}, True),
        ("contains(ss, :v)", {":v": {"S": "blue"}}, False),
        ("size(s) = :v", {":v": {"N": "5"}}, True),
        ("size(ss) > :v", {":v": {"N": "1"}}, True),
        ("size(l) = :v", {":v": {"N": "2"}}, True),
        ("size(m) = :v", {":v": {"N": "1"}}, True),
        ("attribute_type(n, :v)", {":v": {"S": "N"}}, True),
        ("attribute_type(ss, :v)", {":v": {"S": "L"}}, False),
        ("attribute_exists(m.deep)", None, True),
        ("attribute_not_exists(m.shallow)", None, True),
        ("NOT attribute_exists(nothing)", None, True),
        ("t = :v", {":v": {"BOOL": True}}, True),
        ("ss = :v", {":v": {"SS": ["green", "red"]}}, True),
        ("m = :v", {":v": {"M": {"deep": {"M": {"x": {"N": "1.0"}}}}}}, True),
        # Precedence: AND binds tighter than OR; NOT tighter than AND; parentheses first.
        ("n = :one OR n = :ten AND s = :bye", {":one": {"N": "1"}, ":ten": {"N": "10"}, ":bye": {"S": "bye"}}, False),
        ("n = :ten OR n = :one AND s = :bye", {":one": {"N": "1"}, ":ten": {"N": "10"}, ":bye": {"S": "bye"}}, True),
        ("(n = :ten OR n = :one) AND s = :bye", {":one": {"N": "1"}, ":ten": {"N": "10"}, ":bye": {"S": "bye"}}, False),
        ("NOT n = :one AND s = :hello", {":one": {"N": "1"}, ":hello": {"S": "hello"}}, True),
        ("NOT (n = :ten AND s = :hello)", {":ten": {"N": "10"}, ":hello": {"S": "hello"}}, False),
        # Type mismatches that moto handles as AWS does: false, not an error.
        ("n = :v", {":v": {"S": "10"}}, False),
        ("n <> :v", {":v": {"S": "10"}}, True),
        ("begins_with(n, :v)", {":v": {"S": "1"}}, False),
        ("absent < :v", {":v": {"N": "1"}}, False),
        ("absent = :v", {":v": {"N": "1"}}, False),
    ],
)
def test_given_an_item_when_a_condition_is_evaluated_then_it_is_as_documented(
    sample: Backend, condition: str, values: dict[str, Any] | None, expected: bool
) -> None:
    assert condition_holds(sample, "p", condition, values) is expected


@pytest.mark.parametrize(
    ("condition", "values"),
    [
        ("n < :v", {":v": {"S": "z"}}),
        ("s > :v", {":v": {"N": "1"}}),
        ("ss < :v", {":v": {"S": "z"}}),
        ("n BETWEEN :a AND :b", {":a": {"S": "a"}, ":b": {"S": "z"}}),
    ],
)
def test_given_operands_of_different_types_when_ordered_then_the_comparison_is_false(
    sample: Backend, condition: str, values: dict[str, Any]
) -> None:
    call = lambda: condition_holds(sample, "p", condition, values)  # noqa: E731

    # AWS: "If an item contains an AttributeValue element of a different type than the one provided
    # in the request, the value does not match" (DynamoDB API reference, Condition, LT/LE/GT/GE/
    # BETWEEN). moto compares the Python values and crashes with a TypeError.
    assert outcome(call) == sample.known(moto="TypeError", engine=False)


def test_given_a_boolean_and_a_number_when_compared_for_equality_then_they_differ(sample: Backend) -> None:
    put(sample, "flag", one={"N": "1"})

    call = lambda: condition_holds(sample, "flag", "one = :v", {":v": {"BOOL": True}})  # noqa: E731

    # AWS: values of different types are never equal ('{"S":"6"} does not equal {"N":"6"}', DynamoDB
    # API reference, Condition, EQ). moto compares the Python values, and True == 1.
    assert outcome(call) is sample.known(moto=True, engine=False)


def test_given_begins_with_a_value_that_is_not_text_when_evaluated_then_validation_fails(sample: Backend) -> None:
    call = lambda: condition_holds(sample, "p", "begins_with(s, :v)", {":v": {"N": "1"}})  # noqa: E731

    # AWS: begins_with(path, substr) takes a string (or binary) operand; another type is refused
    # with ValidationException "Incorrect operand type for operator or function" (DynamoDB developer
    # guide, Condition and filter expressions, Functions). moto evaluates it to false.
    assert outcome(call) == sample.known(moto=False, engine="ValidationException")


def test_given_a_missing_attribute_when_compared_with_not_equal_then_it_is_true(sample: Backend) -> None:
    call = lambda: condition_holds(sample, "p", "absent <> :v", {":v": {"N": "1"}})  # noqa: E731

    assert outcome(call) is True


def test_given_keyword_case_when_a_condition_is_evaluated_then_keywords_are_case_insensitive(sample: Backend) -> None:
    values = {":a": {"N": "5"}, ":b": {"N": "10"}}

    assert condition_holds(sample, "p", "n between :a and :b and not n in (:a)", values) is True


def test_given_between_with_reversed_bounds_when_evaluated_then_validation_fails(sample: Backend) -> None:
    call = lambda: condition_holds(sample, "p", "n BETWEEN :a AND :b", {":a": {"N": "10"}, ":b": {"N": "5"}})  # noqa: E731

    # AWS: ValidationException "The BETWEEN operator requires upper bound to be greater than or equal
    # to lower bound" ("a BETWEEN b AND c: true if a is greater than or equal to b, and less than or
    # equal to c", DynamoDB developer guide, Condition and filter expressions). moto: just false.
    assert outcome(call) == sample.known(moto=False, engine="ValidationException")


def test_given_attribute_type_with_an_unknown_type_when_evaluated_then_validation_fails(sample: Backend) -> None:
    call = lambda: condition_holds(sample, "p", "attribute_type(n, :v)", {":v": {"S": "X"}})  # noqa: E731

    # AWS lists the valid type names for attribute_type (S, SS, N, NS, B, BS, BOOL, NULL, L, M) and
    # refuses any other with ValidationException; moto evaluates it to false.
    assert outcome(call) == sample.known(moto=False, engine="ValidationException")


# ---- Update expressions ----


def test_given_decimals_when_added_then_the_sum_is_exact(backend: Backend) -> None:
    put(backend, "p", n={"N": "0.1"})

    answer = update(
        backend, "p", "SET n = n + :v, m = :w - n", {":v": {"N": "0.2"}, ":w": {"N": "1"}}, ReturnValues="ALL_NEW"
    )

    assert answer["Attributes"]["n"] == {"N": "0.3"}
    assert answer["Attributes"]["m"] == {"N": "0.9"}


def test_given_a_counter_when_incremented_from_nothing_then_if_not_exists_starts_it(backend: Backend) -> None:
    values = {":zero": {"N": "0"}, ":one": {"N": "1"}}

    for _ in range(3):
        update(backend, "p", "SET c = if_not_exists(c, :zero) + :one", values)

    assert (get(backend, "p") or {})["c"] == {"N": "3"}


def test_given_lists_when_appended_then_list_append_concatenates_in_order(backend: Backend) -> None:
    put(backend, "p", l={"L": [{"S": "b"}]})

    update(
        backend,
        "p",
        "SET l = list_append(:front, l), k = list_append(if_not_exists(k, :empty), :front)",
        {":front": {"L": [{"S": "a"}]}, ":empty": {"L": []}},
    )

    item = get(backend, "p") or {}
    assert item["l"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert item["k"] == {"L": [{"S": "a"}]}


def test_given_nested_paths_when_set_and_removed_then_only_those_parts_change(backend: Backend) -> None:
    put(backend, "p", m={"M": {"a": {"N": "1"}, "b": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]}}}, gone={"S": "g"})

    update(
        backend,
        "p",
        "SET m.a = :two, m.b[1] = :v, m.b[9] = :end REMOVE gone, m.b[0]",
        {":two": {"N": "2"}, ":v": {"S": "Y"}, ":end": {"S": "end"}},
    )

    item = get(backend, "p") or {}
    assert item["m"] == {"M": {"a": {"N": "2"}, "b": {"L": [{"S": "Y"}, {"S": "z"}, {"S": "end"}]}}}
    assert "gone" not in item


def test_given_a_missing_parent_when_setting_a_nested_path_then_validation_fails(backend: Backend) -> None:
    put(backend, "p")

    assert code_of(lambda: update(backend, "p", "SET nothing.a = :v", {":v": {"N": "1"}})) == "ValidationException"


def test_given_arithmetic_on_a_missing_attribute_when_updating_then_validation_fails(backend: Backend) -> None:
    put(backend, "p")

    assert code_of(lambda: update(backend, "p", "SET c = c + :v", {":v": {"N": "1"}})) == "ValidationException"


def test_given_arithmetic_on_a_string_when_updating_then_validation_fails(backend: Backend) -> None:
    put(backend, "p", s={"S": "x"})

    assert code_of(lambda: update(backend, "p", "SET c = s + :v", {":v": {"N": "1"}})) == "ValidationException"


def test_given_add_and_delete_when_updating_then_numbers_add_and_sets_merge_and_shrink(backend: Backend) -> None:
    put(backend, "p", n={"N": "5"}, tags={"SS": ["a", "b"]}, shrink={"SS": ["a", "b"]}, gone={"NS": ["1"]})

    update(
        backend,
        "p",
        "ADD n :n, tags :more, fresh :fresh DELETE shrink :less, gone :one",
        {
            ":n": {"N": "-2.5"},
            ":more": {"SS": ["c"]},
            ":fresh": {"NS": ["7"]},
            ":less": {"SS": ["a"]},
            ":one": {"NS": ["1"]},
        },
    )

    item = get(backend, "p") or {}
    assert item["n"] == {"N": "2.5"}
    assert sorted(item["tags"]["SS"]) == ["a", "b", "c"]
    assert item["shrink"] == {"SS": ["b"]}
    assert item["fresh"] == {"NS": ["7"]}
    assert "gone" not in item


def test_given_add_of_a_string_when_updating_then_validation_fails(backend: Backend) -> None:
    assert code_of(lambda: update(backend, "p", "ADD s :v", {":v": {"S": "x"}})) == "ValidationException"


def test_given_an_update_of_a_key_attribute_then_validation_fails(backend: Backend) -> None:
    put(backend, "p")

    assert code_of(lambda: update(backend, "p", "SET sk = :v", {":v": {"S": "other"}})) == "ValidationException"


def test_given_overlapping_paths_in_one_update_then_validation_fails(backend: Backend) -> None:
    put(backend, "p", m={"M": {"a": {"N": "1"}}})

    assert code_of(lambda: update(backend, "p", "SET m = :v REMOVE m.a", {":v": {"M": {}}})) == "ValidationException"


def test_given_a_clause_used_twice_in_one_update_then_validation_fails(backend: Backend) -> None:
    call = lambda: update(backend, "p", "SET a = :v SET b = :v", {":v": {"N": "1"}})  # noqa: E731

    assert code_of(call) == "ValidationException"


def test_given_update_item_creating_an_item_when_asking_for_updated_new_then_only_updated_attributes(
    backend: Backend,
) -> None:
    answer = update(backend, "new", "SET v = :v", {":v": {"S": "x"}}, ReturnValues="UPDATED_NEW")

    # AWS: "UPDATED_NEW - Returns only the updated attributes, as they appear after the UpdateItem
    # operation" (UpdateItem API reference, ReturnValues): the key attributes were not updated.
    # moto adds them when the update creates the item.
    assert answer["Attributes"] == backend.known(moto={**key("new"), "v": {"S": "x"}}, engine={"v": {"S": "x"}})


def test_given_update_item_on_no_item_then_it_is_created_from_the_key(backend: Backend) -> None:
    answer = update(backend, "new", "SET v = :v", {":v": {"S": "x"}}, ReturnValues="ALL_NEW")

    assert answer["Attributes"] == {**key("new"), "v": {"S": "x"}}


@pytest.mark.parametrize(
    ("returns", "expected"),
    [
        ("NONE", None),
        ("ALL_OLD", {"pk": {"S": "p"}, "sk": {"S": "s"}, "a": {"N": "1"}, "b": {"S": "keep"}}),
        ("UPDATED_OLD", {"a": {"N": "1"}}),
        ("ALL_NEW", {"pk": {"S": "p"}, "sk": {"S": "s"}, "a": {"N": "2"}, "b": {"S": "keep"}, "c": {"S": "new"}}),
        ("UPDATED_NEW", {"a": {"N": "2"}, "c": {"S": "new"}}),
    ],
)
def test_given_return_values_when_updating_then_the_documented_attributes_come_back(
    backend: Backend, returns: str, expected: dict[str, Any] | None
) -> None:
    put(backend, "p", a={"N": "1"}, b={"S": "keep"})

    answer = update(
        backend, "p", "SET a = a + :one, c = :c", {":one": {"N": "1"}, ":c": {"S": "new"}}, ReturnValues=returns
    )

    assert answer.get("Attributes") == expected


def test_given_a_failed_conditional_update_with_all_old_then_the_error_carries_the_item(backend: Backend) -> None:
    put(backend, "p", version={"N": "2"})

    response = error_of(
        lambda: update(
            backend,
            "p",
            "SET version = :next",
            {":next": {"N": "3"}, ":expected": {"N": "1"}},
            ConditionExpression="version = :expected",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )

    assert response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert response["Item"] == {**key("p"), "version": {"N": "2"}}


# ---- Query ----


@pytest.fixture
def partition(backend: Backend) -> Backend:
    for index in range(10):
        put(backend, "q", f"item#{index:02d}", n={"N": str(index)}, even={"BOOL": index % 2 == 0})
    put(backend, "q", "other", n={"N": "99"}, even={"BOOL": False})
    put(backend, "elsewhere", "item#00")
    return backend


def query(backend: Backend, condition: str, values: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = backend.client.query(
        TableName=backend.table, KeyConditionExpression=condition, ExpressionAttributeValues=values, **params
    )
    return answer


def sort_keys(answer: dict[str, Any]) -> list[str]:
    return [item["sk"]["S"] for item in answer["Items"]]


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("pk = :p AND begins_with(sk, :s)", {":s": {"S": "item#0"}}, [f"item#{i:02d}" for i in range(10)]),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            {":a": {"S": "item#03"}, ":b": {"S": "item#05"}},
            ["item#03", "item#04", "item#05"],
        ),
        ("pk = :p AND sk < :s", {":s": {"S": "item#02"}}, ["item#00", "item#01"]),
        ("pk = :p AND sk <= :s", {":s": {"S": "item#01"}}, ["item#00", "item#01"]),
        ("pk = :p AND sk > :s", {":s": {"S": "item#09"}}, ["other"]),
        ("pk = :p AND sk >= :s", {":s": {"S": "item#09"}}, ["item#09", "other"]),
        ("pk = :p AND sk = :s", {":s": {"S": "other"}}, ["other"]),
        ("sk = :s AND pk = :p", {":s": {"S": "other"}}, ["other"]),
    ],
)
def test_given_a_partition_when_queried_with_a_sort_key_condition_then_matching_items_in_order(
    partition: Backend, condition: str, values: dict[str, Any], expected: list[str]
) -> None:
    answer = query(partition, condition, {":p": {"S": "q"}, **values})

    assert sort_keys(answer) == expected
    assert answer["Count"] == answer["ScannedCount"] == len(expected)


def test_given_a_descending_query_with_a_limit_when_paged_then_every_item_once_in_reverse_order(
    partition: Backend,
) -> None:
    seen: list[str] = []
    start: dict[str, Any] | None = None
    pages = 0
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        answer = query(partition, "pk = :p", {":p": {"S": "q"}}, ScanIndexForward=False, Limit=4, **extra)
        seen += sort_keys(answer)
        pages += 1
        start = answer.get("LastEvaluatedKey")
        if start is None:
            break

    assert seen == ["other"] + [f"item#{i:02d}" for i in reversed(range(10))]
    assert pages == 3


def test_given_a_limit_that_ends_exactly_at_the_last_item_then_last_evaluated_key_is_as_documented(
    partition: Backend,
) -> None:
    answer = query(partition, "pk = :p", {":p": {"S": "q"}}, Limit=11)

    assert len(answer["Items"]) == 11
    # AWS: when Limit stops the evaluation, the response carries LastEvaluatedKey, even if no item
    # is left ("the only way to know when you have reached the end of the result set is when
    # LastEvaluatedKey is empty", DynamoDB developer guide, Paginating table query results).
    # moto omits it when nothing is left.
    assert ("LastEvaluatedKey" in answer) is partition.known(moto=False, engine=True)


def test_given_a_filter_when_queried_then_count_and_scanned_count_differ_and_limit_counts_scanned_items(
    partition: Backend,
) -> None:
    answer = query(
        partition,
        "pk = :p AND begins_with(sk, :s)",
        {":p": {"S": "q"}, ":s": {"S": "item#"}, ":t": {"BOOL": True}},
        FilterExpression="even = :t",
        Limit=5,
    )

    assert sort_keys(answer) == ["item#00", "item#02", "item#04"]
    assert (answer["Count"], answer["ScannedCount"]) == (3, 5)
    assert answer["LastEvaluatedKey"] == {"pk": {"S": "q"}, "sk": {"S": "item#04"}}


def test_given_select_count_when_queried_then_only_counts_come_back(partition: Backend) -> None:
    answer = query(partition, "pk = :p", {":p": {"S": "q"}}, Select="COUNT")

    assert "Items" not in answer
    assert (answer["Count"], answer["ScannedCount"]) == (11, 11)


def test_given_a_projection_when_queried_then_only_projected_attributes(partition: Backend) -> None:
    answer = query(partition, "pk = :p AND sk = :s", {":p": {"S": "q"}, ":s": {"S": "other"}}, ProjectionExpression="n")

    assert answer["Items"] == [{"n": {"N": "99"}}]


def test_given_a_filter_on_a_key_attribute_when_queried_then_validation_fails(partition: Backend) -> None:
    call = lambda: query(  # noqa: E731
        partition, "pk = :p", {":p": {"S": "q"}, ":s": {"S": "x"}}, FilterExpression="sk = :s"
    )

    # AWS: "A filter expression cannot contain partition key or sort key attributes" (DynamoDB
    # developer guide, Filter expressions for the Query operation). moto applies the filter.
    answer = outcome(call)
    assert (answer if isinstance(answer, str) else answer["Count"]) == partition.known(
        moto=0, engine="ValidationException"
    )


def test_given_a_key_condition_without_the_partition_key_then_validation_fails(partition: Backend) -> None:
    assert code_of(lambda: query(partition, "sk = :s", {":s": {"S": "x"}})) == "ValidationException"


def test_given_a_key_condition_with_or_then_validation_fails(partition: Backend) -> None:
    call = lambda: query(partition, "pk = :p OR sk = :s", {":p": {"S": "q"}, ":s": {"S": "x"}})  # noqa: E731

    # AWS: a key condition is the partition key's equality, optionally AND one sort key condition
    # (DynamoDB developer guide, Key condition expressions); anything else is a ValidationException.
    # moto fails an internal assertion.
    assert outcome(call) == partition.known(moto="AssertionError", engine="ValidationException")


# ---- Indexes ----


def index_item(pk: str, n: int, **attributes: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "n": {"N": str(n)}, **attributes}


@pytest.fixture
def indexed_items(backend: Backend, indexed: str) -> Backend:
    items = [
        index_item("a", 1, gpk={"S": "g"}, gsk={"N": "30"}, colour={"S": "red"}, size={"S": "L"}, tag={"S": "t2"}),
        index_item("a", 2, gpk={"S": "g"}, gsk={"N": "10"}, colour={"S": "blue"}, tag={"S": "t1"}),
        index_item("b", 1, gpk={"S": "g"}, gsk={"N": "20"}),
        index_item("b", 2, gpk={"S": "h"}, gsk={"N": "5"}),
        index_item("c", 1, colour={"S": "none"}),  # no index keys: in no GSI (sparse)
    ]
    for item in items:
        backend.client.put_item(TableName=indexed, Item=item)
    return Backend(backend.name, backend.client, indexed)


def index_query(backend: Backend, index: str, condition: str, values: dict[str, Any], **params: Any) -> Any:
    return backend.client.query(
        TableName=backend.table,
        IndexName=index,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **params,
    )


def test_given_a_gsi_when_queried_then_items_come_in_index_sort_order_and_sparse_items_are_absent(
    indexed_items: Backend,
) -> None:
    answer = index_query(indexed_items, "by-g", "gpk = :g AND gsk > :low", {":g": {"S": "g"}, ":low": {"N": "5"}})

    assert [item["gsk"]["N"] for item in answer["Items"]] == ["10", "20", "30"]
    assert answer["Items"][0] == index_item(
        "a", 2, gpk={"S": "g"}, gsk={"N": "10"}, colour={"S": "blue"}, tag={"S": "t1"}
    )


def test_given_a_gsi_when_an_item_leaves_it_then_queries_no_longer_see_it(indexed_items: Backend) -> None:
    indexed_items.client.update_item(
        TableName=indexed_items.table, Key={"pk": {"S": "a"}, "n": {"N": "1"}}, UpdateExpression="REMOVE gpk"
    )
    indexed_items.client.update_item(
        TableName=indexed_items.table,
        Key={"pk": {"S": "b"}, "n": {"N": "2"}},
        UpdateExpression="SET gpk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
    )

    answer = index_query(indexed_items, "by-g", "gpk = :g", {":g": {"S": "g"}})

    assert [(item["pk"]["S"], item["n"]["N"]) for item in answer["Items"]] == [("b", "2"), ("a", "2"), ("b", "1")]


def test_given_an_include_projection_when_the_gsi_is_queried_then_keys_and_included_attributes_only(
    indexed_items: Backend,
) -> None:
    answer = index_query(indexed_items, "by-g-keys", "gpk = :g", {":g": {"S": "h"}})

    assert answer["Items"] == [{"pk": {"S": "b"}, "n": {"N": "2"}, "gpk": {"S": "h"}}]


def test_given_an_lsi_when_queried_then_items_come_in_the_alternate_sort_order(indexed_items: Backend) -> None:
    answer = index_query(indexed_items, "by-tag", "pk = :p", {":p": {"S": "a"}})

    assert answer["Items"] == [
        {"pk": {"S": "a"}, "n": {"N": "2"}, "tag": {"S": "t1"}},
        {"pk": {"S": "a"}, "n": {"N": "1"}, "tag": {"S": "t2"}},
    ]


def test_given_a_gsi_query_with_a_limit_when_paged_then_the_key_includes_index_and_table_keys(
    indexed_items: Backend,
) -> None:
    first = index_query(indexed_items, "by-g", "gpk = :g", {":g": {"S": "g"}}, Limit=2)
    second = index_query(
        indexed_items, "by-g", "gpk = :g", {":g": {"S": "g"}}, ExclusiveStartKey=first["LastEvaluatedKey"]
    )

    assert first["LastEvaluatedKey"] == {"pk": {"S": "b"}, "n": {"N": "1"}, "gpk": {"S": "g"}, "gsk": {"N": "20"}}
    assert [item["gsk"]["N"] for item in second["Items"]] == ["30"]


def test_given_a_numeric_sort_key_when_queried_then_it_orders_as_numbers(indexed_items: Backend) -> None:
    for n in (100, -5, 9):
        indexed_items.client.put_item(TableName=indexed_items.table, Item=index_item("num", n))

    answer = indexed_items.client.query(
        TableName=indexed_items.table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "num"}}
    )

    assert [item["n"]["N"] for item in answer["Items"]] == ["-5", "9", "100"]


def test_given_a_wrong_type_for_an_index_key_when_put_then_validation_fails(backend: Backend, indexed: str) -> None:
    call = lambda: backend.client.put_item(TableName=indexed, Item=index_item("x", 1, gsk={"S": "not a number"}))  # noqa: E731

    # AWS checks index key attributes against AttributeDefinitions on every write (PutItem API
    # reference: ValidationException for a type mismatch on an index key). moto stores the item.
    assert outcome(call) == backend.known(moto={}, engine="ValidationException")


def test_given_a_consistent_read_on_a_gsi_then_validation_fails(indexed_items: Backend) -> None:
    call = lambda: indexed_items.client.query(  # noqa: E731
        TableName=indexed_items.table,
        IndexName="by-g",
        KeyConditionExpression="gpk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
        ConsistentRead=True,
    )

    assert code_of(call) == "ValidationException"


def test_given_an_unknown_index_when_queried_then_validation_fails(indexed_items: Backend) -> None:
    call = lambda: indexed_items.client.query(  # noqa: E731
        TableName=indexed_items.table,
        IndexName="nope",
        KeyConditionExpression="gpk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
    )

    # AWS: ValidationException "The table does not have the specified index" (Query API reference,
    # IndexName); moto answers ResourceNotFoundException.
    assert code_of(call) == indexed_items.known(moto="ResourceNotFoundException", engine="ValidationException")


# ---- Scan ----


def test_given_a_table_when_scanned_in_pages_then_every_item_exactly_once(partition: Backend) -> None:
    seen: list[tuple[str, str]] = []
    start: dict[str, Any] | None = None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        answer = partition.client.scan(TableName=partition.table, Limit=3, **extra)
        seen += [(item["pk"]["S"], item["sk"]["S"]) for item in answer["Items"]]
        start = answer.get("LastEvaluatedKey")
        if start is None:
            break

    assert len(seen) == len(set(seen)) == 12


def test_given_segments_when_scanned_then_together_they_cover_the_table_once(partition: Backend) -> None:
    seen: list[tuple[str, str]] = []
    for segment in range(3):
        answer = partition.client.scan(TableName=partition.table, Segment=segment, TotalSegments=3)
        seen += [(item["pk"]["S"], item["sk"]["S"]) for item in answer["Items"]]

    assert len(seen) == len(set(seen)) == 12


def test_given_a_filter_and_projection_when_scanned_then_only_matches_and_their_projection(partition: Backend) -> None:
    answer = partition.client.scan(
        TableName=partition.table,
        FilterExpression="n >= :v",
        ProjectionExpression="#n",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":v": {"N": "8"}},
    )

    assert sorted(int(item["n"]["N"]) for item in answer["Items"]) == [8, 9, 99]
    assert answer["ScannedCount"] == 12


# ---- Transactions ----


def test_given_a_transaction_when_every_condition_holds_then_every_write_happens(backend: Backend) -> None:
    put(backend, "del")
    put(backend, "upd", n={"N": "1"})
    put(backend, "chk", state={"S": "open"})

    backend.client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": backend.table,
                    "Item": {**key("new"), "v": {"S": "x"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": backend.table,
                    "Key": key("upd"),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": backend.table, "Key": key("del")}},
            {
                "ConditionCheck": {
                    "TableName": backend.table,
                    "Key": key("chk"),
                    "ConditionExpression": "#s = :open",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":open": {"S": "open"}},
                }
            },
        ]
    )

    assert get(backend, "new") == {**key("new"), "v": {"S": "x"}}
    assert (get(backend, "upd") or {})["n"] == {"N": "2"}
    assert get(backend, "del") is None


def test_given_a_transaction_when_one_condition_fails_then_nothing_is_written_and_reasons_are_per_item(
    backend: Backend,
) -> None:
    put(backend, "taken", v={"S": "first"})
    put(backend, "upd", n={"N": "1"})

    response = error_of(
        lambda: backend.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": backend.table,
                        "Key": key("upd"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": backend.table,
                        "Item": {**key("taken"), "v": {"S": "second"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {"Put": {"TableName": backend.table, "Item": key("fresh")}},
            ]
        )
    )

    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert "[None, ConditionalCheckFailed, None]" in response["Error"]["Message"]
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {**key("taken"), "v": {"S": "first"}},
        },
        {"Code": "None"},
    ]
    assert (get(backend, "upd") or {})["n"] == {"N": "1"}
    assert get(backend, "fresh") is None


def test_given_a_failed_condition_check_without_return_values_then_its_reason_has_no_item(backend: Backend) -> None:
    put(backend, "chk")

    response = error_of(
        lambda: backend.client.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": backend.table,
                        "Key": key("chk"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    )

    assert response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
    ]


def test_given_two_operations_on_one_item_when_transacting_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.transact_write_items(  # noqa: E731
        TransactItems=[
            {"Put": {"TableName": backend.table, "Item": key("same")}},
            {"Delete": {"TableName": backend.table, "Key": key("same")}},
        ]
    )

    assert code_of(call) == "ValidationException"
    assert get(backend, "same") is None


def test_given_more_than_100_items_when_transacting_then_validation_fails(backend: Backend) -> None:
    items = [{"Put": {"TableName": backend.table, "Item": key(f"p{index}")}} for index in range(101)]

    assert code_of(lambda: backend.client.transact_write_items(TransactItems=items)) == "ValidationException"


def test_given_100_items_when_transacting_then_all_are_written(backend: Backend) -> None:
    items = [{"Put": {"TableName": backend.table, "Item": key(f"p{index}")}} for index in range(100)]

    backend.client.transact_write_items(TransactItems=items)

    assert backend.client.scan(TableName=backend.table, Select="COUNT")["Count"] == 100


def test_given_a_missing_table_in_a_transaction_then_resource_not_found(backend: Backend) -> None:
    call = lambda: backend.client.transact_write_items(  # noqa: E731
        TransactItems=[{"Put": {"TableName": "no-such-table", "Item": key("p")}}]
    )

    assert code_of(call) == "ResourceNotFoundException"


def test_given_items_when_read_in_a_transaction_then_responses_follow_the_request_order(backend: Backend) -> None:
    put(backend, "one", v={"N": "1"})

    answer = backend.client.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": backend.table, "Key": key("missing")}},
            {"Get": {"TableName": backend.table, "Key": key("one"), "ProjectionExpression": "v"}},
        ]
    )

    # AWS applies each Get's ProjectionExpression (TransactGetItems API reference, Get); moto ignores it.
    assert answer["Responses"] == [
        {},
        {"Item": backend.known(moto={**key("one"), "v": {"N": "1"}}, engine={"v": {"N": "1"}})},
    ]


# ---- Batches ----


def test_given_items_when_batch_written_and_read_then_puts_and_deletes_apply(backend: Backend) -> None:
    put(backend, "old")

    backend.client.batch_write_item(
        RequestItems={
            backend.table: [
                {"PutRequest": {"Item": {**key("a"), "v": {"N": "1"}}}},
                {"PutRequest": {"Item": key("b")}},
                {"DeleteRequest": {"Key": key("old")}},
            ]
        }
    )
    answer = backend.client.batch_get_item(
        RequestItems={backend.table: {"Keys": [key("a"), key("b"), key("old")], "ProjectionExpression": "pk, v"}}
    )

    assert sorted(answer["Responses"][backend.table], key=lambda item: item["pk"]["S"]) == [
        {"pk": {"S": "a"}, "v": {"N": "1"}},
        {"pk": {"S": "b"}},
    ]
    assert answer["UnprocessedKeys"] == {}


def test_given_duplicate_keys_when_batch_reading_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.batch_get_item(RequestItems={backend.table: {"Keys": [key("a"), key("a")]}})  # noqa: E731

    assert code_of(call) == "ValidationException"


def test_given_duplicate_keys_when_batch_writing_then_validation_fails(backend: Backend) -> None:
    call = lambda: backend.client.batch_write_item(  # noqa: E731
        RequestItems={backend.table: [{"PutRequest": {"Item": key("a")}}, {"DeleteRequest": {"Key": key("a")}}]}
    )

    # AWS: ValidationException when "your request contains at least two items with identical hash
    # and range keys" (BatchWriteItem API reference). moto applies both.
    answer = outcome(call)
    assert (answer if isinstance(answer, str) else "accepted") == backend.known(
        moto="accepted", engine="ValidationException"
    )


def test_given_more_than_25_writes_when_batch_writing_then_validation_fails(backend: Backend) -> None:
    requests = [{"PutRequest": {"Item": key(f"p{index}")}} for index in range(26)]

    answer = outcome(lambda: backend.client.batch_write_item(RequestItems={backend.table: requests}))

    # AWS: "There are more than 25 requests in the batch" is a ValidationException (BatchWriteItem
    # API reference); moto writes all 26.
    assert (answer if isinstance(answer, str) else "accepted") == backend.known(
        moto="accepted", engine="ValidationException"
    )


# ---- DescribeTable ----


def test_given_a_table_when_described_then_its_key_schema_and_status(backend: Backend, indexed: str) -> None:
    table = backend.client.describe_table(TableName=indexed)["Table"]

    assert table["TableName"] == indexed
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ]
    assert sorted(index["IndexName"] for index in table["GlobalSecondaryIndexes"]) == ["by-g", "by-g-keys"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == ["by-tag"]
    assert code_of(lambda: backend.client.describe_table(TableName="no-such-table")) == "ResourceNotFoundException"

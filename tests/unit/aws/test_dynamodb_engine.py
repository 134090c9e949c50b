"""DynamoDBEngine on its own (no boto3, no moto): isolation, indexes, caching, and what it refuses.

Behaviour shared with DynamoDB is covered on both backends by tests/contract; these are the
engine's own promises.
"""

from __future__ import annotations

from typing import Any

import pytest

from nurture_local.aws.dynamodb import DynamoDBEngine, DynamoDBServiceError, UnsupportedByEngine
from nurture_local.aws.dynamodb_expressions import parse_condition, parse_update

TABLE = "t"


@pytest.fixture
def engine() -> DynamoDBEngine:
    engine = DynamoDBEngine()
    engine.create_table(
        TABLE,
        key_schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        attribute_definitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "score", "AttributeType": "N"},
        ],
        global_secondary_indexes=[
            {
                "IndexName": "by-score",
                "KeySchema": [
                    {"AttributeName": "sk", "KeyType": "HASH"},
                    {"AttributeName": "score", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return engine


def key(pk: str, sk: str = "PROFILE") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def by_score(engine: DynamoDBEngine, **params: Any) -> list[str]:
    answer = engine.handle(
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "by-score",
            "KeyConditionExpression": "sk = :sk",
            "ExpressionAttributeValues": {":sk": {"S": "PROFILE"}},
            **params,
        },
    )
    return [item["pk"]["S"] for item in answer["Items"]]


def test_given_a_put_item_when_the_caller_mutates_its_dict_then_the_stored_item_is_unchanged(
    engine: DynamoDBEngine,
) -> None:
    item = {**key("a"), "m": {"M": {"l": {"L": [{"S": "x"}]}}}, "ss": {"SS": ["a"]}}
    engine.handle("PutItem", {"TableName": TABLE, "Item": item})

    item["m"]["M"]["l"]["L"].append({"S": "sneaked in"})
    item["ss"]["SS"].append("b")

    stored = engine.handle("GetItem", {"TableName": TABLE, "Key": key("a")})["Item"]
    assert stored["m"] == {"M": {"l": {"L": [{"S": "x"}]}}}
    assert stored["ss"] == {"SS": ["a"]}


def test_given_a_returned_item_when_the_caller_mutates_it_then_the_stored_item_is_unchanged(
    engine: DynamoDBEngine,
) -> None:
    engine.handle("PutItem", {"TableName": TABLE, "Item": {**key("a"), "l": {"L": [{"N": "1"}]}}})
    returned = [
        engine.handle("GetItem", {"TableName": TABLE, "Key": key("a")})["Item"],
        engine.handle(
            "UpdateItem",
            {
                "TableName": TABLE,
                "Key": key("a"),
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}},
                "ReturnValues": "ALL_NEW",
            },
        )["Attributes"],
        engine.handle(
            "Query",
            {"TableName": TABLE, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}}},
        )["Items"][0],
    ]

    for item in returned:
        item["l"]["L"].clear()
        item["pk"] = {"S": "hijacked"}

    assert engine.handle("GetItem", {"TableName": TABLE, "Key": key("a")})["Item"]["l"] == {"L": [{"N": "1"}]}


def test_given_expression_values_when_the_caller_mutates_them_later_then_the_stored_item_is_unchanged(
    engine: DynamoDBEngine,
) -> None:
    values = {":l": {"L": [{"S": "x"}]}}
    engine.handle(
        "UpdateItem",
        {"TableName": TABLE, "Key": key("a"), "UpdateExpression": "SET l = :l", "ExpressionAttributeValues": values},
    )

    values[":l"]["L"].append({"S": "later"})

    assert engine.handle("GetItem", {"TableName": TABLE, "Key": key("a")})["Item"]["l"] == {"L": [{"S": "x"}]}


def test_given_writes_when_items_gain_change_and_lose_their_index_key_then_the_gsi_follows(
    engine: DynamoDBEngine,
) -> None:
    for pk, score in (("a", "3"), ("b", "1"), ("c", "2")):
        engine.handle("PutItem", {"TableName": TABLE, "Item": {**key(pk), "score": {"N": score}}})
    engine.handle("PutItem", {"TableName": TABLE, "Item": key("unscored")})
    assert by_score(engine) == ["b", "c", "a"]

    engine.handle(
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": key("b"),
            "UpdateExpression": "SET score = :s",
            "ExpressionAttributeValues": {":s": {"N": "9"}},
        },
    )
    engine.handle("UpdateItem", {"TableName": TABLE, "Key": key("c"), "UpdateExpression": "REMOVE score"})
    engine.handle("DeleteItem", {"TableName": TABLE, "Key": key("a")})

    assert by_score(engine) == ["b"]
    assert by_score(engine, ScanIndexForward=False) == ["b"]
    table = engine.handle("DescribeTable", {"TableName": TABLE})["Table"]
    assert (table["ItemCount"], table["GlobalSecondaryIndexes"][0]["ItemCount"]) == (3, 1)


def test_given_a_failed_transaction_then_no_index_or_item_changed(engine: DynamoDBEngine) -> None:
    engine.handle("PutItem", {"TableName": TABLE, "Item": {**key("a"), "score": {"N": "1"}}})

    with pytest.raises(DynamoDBServiceError) as caught:
        engine.handle(
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": TABLE, "Item": {**key("b"), "score": {"N": "2"}}}},
                    {
                        "Delete": {
                            "TableName": TABLE,
                            "Key": key("a"),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            },
        )

    assert caught.value.code == "TransactionCanceledException"
    assert [reason["Code"] for reason in caught.value.extra["CancellationReasons"]] == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert by_score(engine) == ["a"]


def test_given_a_repeated_expression_when_evaluated_then_it_is_parsed_once() -> None:
    text = "SET #n = if_not_exists(#n, :zero) + :one REMOVE gone_for_the_cache_test"
    parse_update(text)
    before = parse_update.cache_info()

    parse_update(text)

    after = parse_update.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


def test_given_a_parsed_condition_then_it_lists_its_placeholders() -> None:
    parsed = parse_condition("#a = :x OR (size(b.c[2]) > :y AND NOT attribute_exists(#d))")

    assert (parsed.names, parsed.values) == (frozenset({"#a", "#d"}), frozenset({":x", ":y"}))


@pytest.mark.parametrize(
    ("operation", "params", "named"),
    [
        ("CreateBackup", {"TableName": TABLE, "BackupName": "b"}, "CreateBackup"),
        ("GetItem", {"TableName": TABLE, "Key": key("a"), "AttributesToGet": ["pk"]}, "AttributesToGet"),
        ("PutItem", {"TableName": TABLE, "Item": key("a"), "Expected": {}}, "Expected"),
        ("Query", {"TableName": TABLE, "KeyConditions": {}}, "KeyConditions"),
        ("Scan", {"TableName": TABLE, "ScanFilter": {}}, "ScanFilter"),
        ("UpdateItem", {"TableName": TABLE, "Key": key("a"), "AttributeUpdates": {}}, "AttributeUpdates"),
        ("GetItem", {"TableName": TABLE, "Key": key("a"), "ReturnConsumedCapacity": "TOTAL"}, "ReturnConsumedCapacity"),
        ("ExecuteStatement", {"Statement": "SELECT * FROM t"}, "ExecuteStatement"),
    ],
)
def test_given_an_unsupported_request_then_it_raises_naming_what_is_unsupported(
    engine: DynamoDBEngine, operation: str, params: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnsupportedByEngine, match=named):
        engine.handle(operation, params)


def test_given_ttl_when_enabled_then_it_is_described_and_expired_items_stay_readable(engine: DynamoDBEngine) -> None:
    engine.handle(
        "UpdateTimeToLive",
        {"TableName": TABLE, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires_at"}},
    )
    engine.handle("PutItem", {"TableName": TABLE, "Item": {**key("old"), "expires_at": {"N": "1"}}})

    described = engine.handle("DescribeTimeToLive", {"TableName": TABLE})["TimeToLiveDescription"]

    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert "Item" in engine.handle("GetItem", {"TableName": TABLE, "Key": key("old")})


def test_given_a_table_when_created_twice_then_resource_in_use(engine: DynamoDBEngine) -> None:
    with pytest.raises(DynamoDBServiceError) as caught:
        engine.create_table(
            TABLE,
            key_schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            attribute_definitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )

    assert caught.value.code == "ResourceInUseException"
    assert engine.table_names() == [TABLE]


def test_given_a_hash_only_table_when_used_then_items_are_keyed_by_the_partition_key_alone() -> None:
    engine = DynamoDBEngine()
    engine.handle(
        "CreateTable",
        {
            "TableName": "h",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    for value in ("1", "1.0", "2"):
        engine.handle("PutItem", {"TableName": "h", "Item": {"id": {"N": value}, "v": {"S": value}}})

    answer = engine.handle("Scan", {"TableName": "h"})

    assert sorted((item["id"]["N"], item["v"]["S"]) for item in answer["Items"]) == [("1", "1.0"), ("2", "2")]
    assert engine.handle("GetItem", {"TableName": "h", "Key": {"id": {"N": "1.00"}}})["Item"]["v"] == {"S": "1.0"}


def test_given_an_error_then_it_carries_the_wire_code_message_and_modelled_fields(engine: DynamoDBEngine) -> None:
    engine.handle("PutItem", {"TableName": TABLE, "Item": key("a")})

    with pytest.raises(DynamoDBServiceError) as caught:
        engine.handle(
            "PutItem",
            {
                "TableName": TABLE,
                "Item": key("a"),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        )

    assert (caught.value.code, caught.value.message) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    assert caught.value.extra == {"Item": key("a")}


def test_given_a_scan_page_boundary_when_its_partition_is_deleted_then_the_next_page_still_resumes(
    engine: DynamoDBEngine,
) -> None:
    for index in range(20):
        engine.handle("PutItem", {"TableName": TABLE, "Item": key(f"p{index}")})
    first = engine.handle("Scan", {"TableName": TABLE, "Limit": 5})
    boundary = first["LastEvaluatedKey"]
    engine.handle("DeleteItem", {"TableName": TABLE, "Key": boundary})

    rest: list[str] = []
    start: dict[str, Any] | None = boundary
    while start is not None:
        page = engine.handle("Scan", {"TableName": TABLE, "Limit": 5, "ExclusiveStartKey": start})
        rest += [item["pk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")

    seen = [item["pk"]["S"] for item in first["Items"]] + rest
    assert sorted(seen) == sorted(f"p{index}" for index in range(20))
    assert len(seen) == len(set(seen))

"""route_dynamodb_to under moto's mock_aws: DynamoDB answers from the engine, everything else from moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from nurture_local.aws.dynamodb import DynamoDBEngine, UnsupportedByEngine, mirror_tables
from nurture_local.aws.routing import attach, route_dynamodb_to
from tests.conftest import TABLE_NAME, create_nurture_table

KEY = {"pk": {"S": "CONTACT#1"}, "sk": {"S": "PROFILE"}}


def test_given_a_route_when_clients_are_used_then_dynamodb_hits_the_engine_and_sqs_still_hits_moto(aws: None) -> None:
    engine = DynamoDBEngine()
    with route_dynamodb_to(engine):
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_nurture_table(dynamodb)
        dynamodb.put_item(TableName=TABLE_NAME, Item=KEY)
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="q")["QueueUrl"]

        assert engine.table_names() == [TABLE_NAME]
        assert list(engine.items(TABLE_NAME)) == [KEY]
        assert boto3.client("sqs", region_name="us-east-1").get_queue_url(QueueName="q")["QueueUrl"] == queue

    # Outside the route the same kind of client reaches moto, which never saw the table.
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []


def test_given_a_client_from_an_older_session_when_attached_then_it_answers_from_the_engine(aws: None) -> None:
    # A session created before the routing handlers were first installed does not have them: attach.
    early = boto3.Session(region_name="us-east-1").client("dynamodb")
    engine = DynamoDBEngine()
    attach(early)
    with route_dynamodb_to(engine):
        create_nurture_table(early)

    assert engine.table_names() == [TABLE_NAME]
    assert early.list_tables()["TableNames"] == []  # outside the route: moto again


def test_given_nested_routes_then_the_innermost_engine_answers_and_the_outer_one_is_restored(aws: None) -> None:
    outer, inner = DynamoDBEngine(), DynamoDBEngine()
    client = boto3.client("dynamodb", region_name="us-east-1")
    with route_dynamodb_to(outer):
        with route_dynamodb_to(inner):
            create_nurture_table(client, "inner")
        create_nurture_table(client, "outer")

    assert (inner.table_names(), outer.table_names()) == (["inner"], ["outer"])


def test_given_the_resource_api_when_routed_then_python_values_round_trip(aws: None) -> None:
    with route_dynamodb_to(DynamoDBEngine()):
        create_nurture_table(boto3.client("dynamodb", region_name="us-east-1"))
        table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)

        table.put_item(Item={"pk": "a", "sk": "b", "n": Decimal("1.50"), "tags": {"x"}, "m": {"l": [1, "two"]}})
        item = table.get_item(Key={"pk": "a", "sk": "b"})["Item"]

    assert item == {"pk": "a", "sk": "b", "n": Decimal("1.5"), "tags": {"x"}, "m": {"l": [Decimal(1), "two"]}}


def test_given_a_condition_failure_when_routed_then_botocore_raises_the_modelled_exception(aws: None) -> None:
    with route_dynamodb_to(DynamoDBEngine()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_nurture_table(client)
        client.put_item(TableName=TABLE_NAME, Item=KEY)

        with pytest.raises(client.exceptions.ConditionalCheckFailedException) as caught:
            client.put_item(TableName=TABLE_NAME, Item=KEY, ConditionExpression="attribute_not_exists(pk)")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.operation_name == "PutItem"


def test_given_an_unsupported_parameter_when_routed_then_the_caller_gets_the_engines_error(aws: None) -> None:
    with route_dynamodb_to(DynamoDBEngine()):
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_nurture_table(client)

        with pytest.raises(UnsupportedByEngine, match="AttributesToGet"):
            client.get_item(TableName=TABLE_NAME, Key=KEY, AttributesToGet=["pk"])


def test_given_tables_in_moto_when_mirrored_then_the_engine_has_their_definition_ttl_and_items(aws: None) -> None:
    source = boto3.client("dynamodb", region_name="us-east-1")
    create_nurture_table(source)
    for index in range(30):
        source.put_item(TableName=TABLE_NAME, Item={"pk": {"S": f"p{index}"}, "sk": {"S": "s"}, "n": {"N": "1.0"}})
    engine = DynamoDBEngine()

    assert mirror_tables(source, engine) == [TABLE_NAME]

    with route_dynamodb_to(engine):
        client: Any = boto3.client("dynamodb", region_name="us-east-1")
        assert client.scan(TableName=TABLE_NAME, Select="COUNT")["Count"] == 30
        ttl = client.describe_time_to_live(TableName=TABLE_NAME)["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
        assert client.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "p3"}, "sk": {"S": "s"}})["Item"]["n"] == {
            "N": "1"
        }


def test_given_route_to_local_with_the_engine_and_sqs_answers_then_both_answer_in_process(aws: None) -> None:
    from nurture_local.aws.moto_direct import sqs_answers
    from nurture_local.aws.routing import dynamodb_answers, route_to_local

    engine = DynamoDBEngine()
    with route_to_local({**sqs_answers("123456789012", "us-east-1"), **dynamodb_answers(engine)}):
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_nurture_table(dynamodb)
        dynamodb.put_item(TableName=TABLE_NAME, Item=KEY)
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(TableName=TABLE_NAME, Item=KEY, ConditionExpression="attribute_not_exists(pk)")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="hello")

        assert [message["Body"] for message in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]
    assert list(engine.items(TABLE_NAME)) == [KEY]

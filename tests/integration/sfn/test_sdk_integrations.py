"""SDK integrations performed through real boto3 clients against moto (`mock_aws`): DynamoDB (optimized
getItem / putItem / updateItem / deleteItem and aws-sdk:dynamodb:query), SNS Publish, SQS SendMessage
(including .waitForTaskToken answered with SendTaskSuccess), SES v2 SendEmail (aws-sdk:sesv2:sendEmail)
and states:startExecution / .sync. Against the developer guide's integration pages: parameters are the
service API's, results are the API response, errors are "<Service>.<Error>Exception".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import Execution, LocalStepFunctions

REGION = "us-east-1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TABLE = "contacts"
SENDER = "hello@nurture.example"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def clients(aws: None) -> dict[str, Any]:
    return {name: boto3.client(name, region_name=REGION) for name in ("dynamodb", "sns", "sqs", "sesv2", "ses")}


@pytest.fixture
def sfn(clients: dict[str, Any]) -> LocalStepFunctions:
    return LocalStepFunctions(clock=VirtualClock(T0), clients=clients.get)


@pytest.fixture
def table(clients: dict[str, Any]) -> str:
    clients["dynamodb"].create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE


@pytest.fixture
def queue_url(clients: dict[str, Any]) -> str:
    url: str = clients["sqs"].create_queue(QueueName="sends")["QueueUrl"]
    return url


def run(sfn: LocalStepFunctions, states: dict[str, Any], input: Any = None, *, idle: bool = True) -> Execution:
    arn = sfn.create_state_machine("m", {"StartAt": next(iter(states)), "States": states})
    execution = sfn.start_execution(arn, input)
    if idle:
        sfn.run_until_idle()
    return execution


def task(resource: str, parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"Type": "Task", "Resource": resource, "Parameters": parameters, **fields}
    if "Next" not in body:
        body["End"] = True
    return body


def key(contact: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{contact}"}, "sk": {"S": "PROFILE"}}


def receive_one(clients: dict[str, Any], queue_url: str) -> dict[str, Any]:
    messages = clients["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1
    body: dict[str, Any] = json.loads(messages[0]["Body"])
    return body


# ---------------------------------------------------------------- DynamoDB


def test_given_put_item_then_get_item_when_run_then_the_item_read_back_is_the_item_written(
    sfn: LocalStepFunctions, table: str
) -> None:
    states = {
        "Save": task(
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": table, "Item": {**key("c-1"), "email.$": "$.email_attr"}},
            ResultPath=None,
            Next="Load",
        ),
        "Load": task(
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": table, "Key": key("c-1")},
            ResultSelector={"email.$": "$.Item.email.S"},
        ),
    }

    execution = run(sfn, states, {"email_attr": {"S": "ada@example.com"}})

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"email": "ada@example.com"}


def test_given_update_item_with_return_values_when_run_then_the_updated_attributes_are_the_result(
    sfn: LocalStepFunctions, table: str, clients: dict[str, Any]
) -> None:
    clients["dynamodb"].put_item(TableName=table, Item={**key("c-1"), "sends": {"N": "2"}})
    states = {
        "Count": task(
            "arn:aws:states:::dynamodb:updateItem",
            {
                "TableName": table,
                "Key": key("c-1"),
                "UpdateExpression": "SET sends = sends + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "UPDATED_NEW",
            },
        )
    }

    execution = run(sfn, states)

    assert execution.output["Attributes"] == {"sends": {"N": "3"}}


def test_given_delete_item_when_run_then_the_item_is_gone(
    sfn: LocalStepFunctions, table: str, clients: dict[str, Any]
) -> None:
    clients["dynamodb"].put_item(TableName=table, Item=key("c-1"))

    execution = run(
        sfn, {"Forget": task("arn:aws:states:::dynamodb:deleteItem", {"TableName": table, "Key": key("c-1")})}
    )

    assert execution.status == "SUCCEEDED"
    assert "Item" not in clients["dynamodb"].get_item(TableName=table, Key=key("c-1"))


def test_given_a_failed_put_condition_when_a_catcher_names_the_dynamodb_error_then_it_is_caught(
    sfn: LocalStepFunctions, table: str, clients: dict[str, Any]
) -> None:
    # Optimized DynamoDB integration errors are "DynamoDB.<Error>", e.g. DynamoDB.ConditionalCheckFailedException.
    clients["dynamodb"].put_item(TableName=table, Item=key("c-1"))
    states = {
        "Create": task(
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": table, "Item": key("c-1"), "ConditionExpression": "attribute_not_exists(pk)"},
            Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "Exists"}],
        ),
        "Exists": {"Type": "Pass", "End": True},
    }

    execution = run(sfn, states)

    assert execution.states_entered == ["Create", "Exists"]
    assert execution.output["Error"] == "DynamoDB.ConditionalCheckFailedException"


def test_given_aws_sdk_dynamodb_query_when_run_then_the_matching_items_are_returned(
    sfn: LocalStepFunctions, table: str, clients: dict[str, Any]
) -> None:
    for sk in ("SEND#1", "SEND#2", "PROFILE"):
        clients["dynamodb"].put_item(TableName=table, Item={"pk": {"S": "CONTACT#c-1"}, "sk": {"S": sk}})
    states = {
        "Sends": task(
            "arn:aws:states:::aws-sdk:dynamodb:query",
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {
                    ":pk": {"S.$": "States.Format('CONTACT#{}', $.contact)"},
                    ":prefix": {"S": "SEND#"},
                },
            },
            ResultSelector={"count.$": "$.Count", "keys.$": "$.Items[*].sk.S"},
        )
    }

    execution = run(sfn, states, {"contact": "c-1"})

    assert execution.output == {"count": 2, "keys": ["SEND#1", "SEND#2"]}


# ---------------------------------------------------------------- SNS and SQS


def test_given_sns_publish_with_a_json_message_when_run_then_subscribers_get_it_as_json_text(
    sfn: LocalStepFunctions, clients: dict[str, Any], queue_url: str
) -> None:
    topic = clients["sns"].create_topic(Name="events")["TopicArn"]
    queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients["sns"].subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    states = {"Announce": task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"event.$": "$.event"}})}

    execution = run(sfn, states, {"event": "signup"})

    assert execution.status == "SUCCEEDED"
    assert "MessageId" in execution.output
    assert receive_one(clients, queue_url) == {"event": "signup"}


def test_given_sqs_send_message_when_run_then_the_message_body_is_the_json_of_the_template(
    sfn: LocalStepFunctions, clients: dict[str, Any], queue_url: str
) -> None:
    states = {
        "Enqueue": task(
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": queue_url, "MessageBody": {"contact.$": "$.contact", "kind": "welcome"}},
        )
    }

    execution = run(sfn, states, {"contact": "c-1"})

    assert execution.status == "SUCCEEDED"
    assert "MessageId" in execution.output
    assert receive_one(clients, queue_url) == {"contact": "c-1", "kind": "welcome"}


def test_given_sqs_send_message_wait_for_task_token_when_the_worker_answers_then_the_execution_goes_on(
    sfn: LocalStepFunctions, clients: dict[str, Any], queue_url: str
) -> None:
    states = {
        "Ask worker": task(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            {"QueueUrl": queue_url, "MessageBody": {"contact.$": "$.contact", "token.$": "$$.Task.Token"}},
            HeartbeatSeconds=3600,
            ResultPath="$.reply",
            Next="Done",
        ),
        "Done": {"Type": "Succeed"},
    }
    execution = run(sfn, states, {"contact": "c-1"}, idle=False)
    sfn.advance(seconds=3599)
    assert execution.status == "RUNNING"
    message = receive_one(clients, queue_url)

    sfn.send_task_success(message["token"], json.dumps({"delivered": True}))

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"contact": "c-1", "reply": {"delivered": True}}


def test_given_sqs_wait_for_task_token_when_no_worker_answers_then_it_times_out_on_the_heartbeat(
    sfn: LocalStepFunctions, clients: dict[str, Any], queue_url: str
) -> None:
    states = {
        "Ask worker": task(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
            HeartbeatSeconds=600,
        )
    }

    execution = run(sfn, states)

    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")
    assert execution.stop is not None and execution.stop - T0.timestamp() == 600


# ---------------------------------------------------------------- SES v2


def send_email_state(sender: str) -> dict[str, Any]:
    return task(
        "arn:aws:states:::aws-sdk:sesv2:sendEmail",
        {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses.$": "States.Array($.email)"},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Welcome"},
                    "Body": {"Text": {"Data.$": "States.Format('Hello {}', $.name)"}},
                }
            },
        },
    )


def test_given_a_verified_sender_when_sesv2_send_email_runs_then_the_email_is_sent(
    sfn: LocalStepFunctions, clients: dict[str, Any]
) -> None:
    clients["sesv2"].create_email_identity(EmailIdentity=SENDER)

    execution = run(sfn, {"Send": send_email_state(SENDER)}, {"email": "ada@example.com", "name": "Ada"})

    assert execution.status == "SUCCEEDED"
    assert execution.output["MessageId"]
    assert clients["ses"].get_send_quota()["SentLast24Hours"] == 1


def test_given_an_unverified_sender_when_sesv2_send_email_runs_then_it_fails_with_message_rejected(
    sfn: LocalStepFunctions, clients: dict[str, Any]
) -> None:
    # AWS SDK integrations name errors "<Service>.<Error>", always with the "Exception" suffix.
    execution = run(
        sfn, {"Send": send_email_state("nobody@unverified.example")}, {"email": "ada@example.com", "name": "Ada"}
    )

    assert execution.status == "FAILED"
    assert (execution.error or "").endswith(".MessageRejectedException")


# ---------------------------------------------------------------- nested executions with SDK work


def test_given_a_child_that_writes_to_dynamodb_when_the_parent_uses_start_execution_sync_then_it_reads_the_write(
    sfn: LocalStepFunctions, table: str
) -> None:
    child_arn = sfn.create_state_machine(
        "child",
        {
            "StartAt": "Hold",
            "States": {
                "Hold": {"Type": "Wait", "Seconds": 60, "Next": "Save"},
                "Save": task(
                    "arn:aws:states:::dynamodb:putItem",
                    {"TableName": table, "Item": {**key("c-1"), "status": {"S": "welcomed"}}},
                ),
            },
        },
    )
    states = {
        "Run child": task(
            "arn:aws:states:::states:startExecution.sync:2",
            {"StateMachineArn": child_arn, "Input": {}},
            ResultSelector={"status.$": "$.Status"},
            ResultPath="$.child",
            Next="Load",
        ),
        "Load": task(
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": table, "Key": key("c-1")},
            ResultSelector={"status.$": "$.Item.status.S"},
            ResultPath="$.loaded",
        ),
    }

    execution = run(sfn, states, {})

    assert execution.output == {"child": {"status": "SUCCEEDED"}, "loaded": {"status": "welcomed"}}


def test_given_start_execution_without_sync_when_run_then_the_parent_ends_before_the_child_writes(
    sfn: LocalStepFunctions, table: str, clients: dict[str, Any]
) -> None:
    child_arn = sfn.create_state_machine(
        "child",
        {
            "StartAt": "Hold",
            "States": {
                "Hold": {"Type": "Wait", "Seconds": 60, "Next": "Save"},
                "Save": task("arn:aws:states:::dynamodb:putItem", {"TableName": table, "Item": key("c-1")}),
            },
        },
    )
    arn = sfn.create_state_machine(
        "m",
        {
            "StartAt": "Start",
            "States": {"Start": task("arn:aws:states:::states:startExecution", {"StateMachineArn": child_arn})},
        },
    )

    parent = sfn.start_execution(arn)

    assert parent.status == "SUCCEEDED"
    assert "Item" not in clients["dynamodb"].get_item(TableName=table, Key=key("c-1"))
    sfn.advance(seconds=60)
    assert "Item" in clients["dynamodb"].get_item(TableName=table, Key=key("c-1"))

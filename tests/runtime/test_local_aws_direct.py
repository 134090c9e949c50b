"""The local runtime's in-process answers (SQS, SES v2) give what moto's HTTP path gives, call for call.

Each test makes the same sequence of boto3 calls twice on fresh moto state, once answered by
`nurture_local.aws` and once by moto's own HTTP path, and compares the responses with the generated
ids taken out.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws

from nurture_local.aws.moto_direct import sesv2_answers, sqs_answers
from nurture_local.aws.routing import route_to_local

ACCOUNT, REGION = "123456789012", "us-east-1"
MISSING_QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/nope"
GENERATED = {"MessageId", "ReceiptHandle", "SentTimestamp", "ApproximateFirstReceiveTimestamp"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@contextlib.contextmanager
def answered(direct: bool) -> Iterator[None]:
    with mock_aws():
        if not direct:
            yield
            return
        with route_to_local({**sqs_answers(ACCOUNT, REGION), **sesv2_answers(ACCOUNT, REGION)}):
            yield


def without_generated(value: Any) -> Any:
    """Responses with their generated parts (ids, receipt handles, timestamps, metadata) made comparable."""
    if isinstance(value, dict):
        return {
            key: "<generated>" if key in GENERATED else without_generated(item)
            for key, item in value.items()
            if key != "ResponseMetadata"
        }
    if isinstance(value, list):
        return [without_generated(item) for item in value]
    if isinstance(value, str):
        return UUID.sub("<uuid>", value)
    return value


def both_ways(calls: Callable[[], list[Any]]) -> tuple[list[Any], list[Any]]:
    with answered(direct=True):
        direct = calls()
    with answered(direct=False):
        through_moto = calls()
    return without_generated(direct), without_generated(through_moto)


def queue_calls() -> list[Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="events",
        Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": "2"}}'},
    )["QueueUrl"]
    attributes = {"source": {"DataType": "String", "StringValue": "shopify"}}
    answers: list[Any] = [
        sqs.send_message(QueueUrl=url, MessageBody="one"),
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "a", "MessageBody": "two", "MessageAttributes": attributes},
                {"Id": "b", "MessageBody": "three"},
            ],
        ),
    ]
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    answers.append(received)
    # Received again without deletion: the second receive reaches maxReceiveCount, the third redrives.
    answers.append(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0))
    answers.append(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0))
    answers.append(sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, VisibilityTimeout=0))
    last = answers[-1]["Messages"]
    answers.append(
        sqs.delete_message_batch(
            QueueUrl=dead, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(last)]
        )
    )
    answers.append(sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"]))
    return answers


def test_given_sends_receives_redrive_and_deletes_when_answered_in_process_then_responses_match_moto() -> None:
    direct, through_moto = both_ways(queue_calls)

    assert direct == through_moto
    assert [m["Body"] for m in direct[2]["Messages"]] == ["one", "two", "three"]
    assert direct[2]["Messages"][0]["MD5OfBody"] == hashlib.md5(b"one").hexdigest()  # noqa: S324 - SQS's own digest
    assert direct[-1]["Attributes"] == {"ApproximateNumberOfMessages": "0"}


def error_calls(call: Callable[[Any], Any]) -> Callable[[], list[Any]]:
    def calls() -> list[Any]:
        sqs = boto3.client("sqs", region_name=REGION)
        with pytest.raises(ClientError) as raised:
            call(sqs)
        return [raised.value.response["Error"]["Code"], type(raised.value).__name__]

    return calls


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda sqs: sqs.send_message(
                QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/nope", MessageBody="x"
            ),
            id="send to a missing queue",
        ),
        pytest.param(
            lambda sqs: sqs.send_message_batch(
                QueueUrl=sqs.create_queue(QueueName="q")["QueueUrl"],
                Entries=[{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}],
            ),
            id="batch ids repeated",
        ),
        pytest.param(
            lambda sqs: sqs.receive_message(
                QueueUrl=sqs.create_queue(QueueName="q")["QueueUrl"], MaxNumberOfMessages=11
            ),
            id="more than 10 messages asked",
        ),
    ],
)
def test_given_a_call_sqs_refuses_when_answered_in_process_then_boto3_raises_the_same_error(call: Any) -> None:
    direct, through_moto = both_ways(error_calls(call))

    assert direct == through_moto


def test_given_a_malformed_call_when_answered_in_process_then_botocore_still_validates_it() -> None:
    with answered(direct=True):
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        with pytest.raises(ParamValidationError, match="MessageBody"):
            sqs.send_message(QueueUrl=url, MessageBody=42)


RAW = (
    b"From: Nurture <hello@nurture.local>\r\nTo: ada@example.com\r\nSubject: Welcome\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, Ada.\r\n"
)


def email_calls() -> list[Any]:
    from moto.ses.models import ses_backends

    ses = boto3.client("sesv2", region_name=REGION)
    ses.create_email_identity(EmailIdentity="hello@nurture.local")
    answers: list[Any] = [
        ses.send_email(
            FromEmailAddress="hello@nurture.local",
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Raw": {"Data": RAW}},
            EmailTags=[{"Name": "journey", "Value": "welcome"}],
        )
    ]
    with pytest.raises(ClientError) as refused:
        ses.send_email(
            FromEmailAddress="someone@unverified.example",
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Raw": {"Data": RAW}},
        )
    answers.append(refused.value.response["Error"]["Code"])
    sent = ses_backends[ACCOUNT][REGION].sent_messages
    answers.append([(m.source, m.destinations, m.raw_data) for m in sent])
    return answers


def test_given_a_raw_email_when_answered_in_process_then_ses_keeps_the_same_message_as_through_moto() -> None:
    direct, through_moto = both_ways(email_calls)

    assert direct == through_moto
    assert direct[0] == {"MessageId": "<generated>"}
    assert direct[1] == "MessageRejected"
    assert "Hello, Ada." in direct[2][0][2]

"""The SNS SMS adapter: the Publish it makes (on moto's SNS, which keeps every SMS it accepts) and how
each failure maps to a domain error (stubbed answers, no network)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.stub import Stubber
from moto import mock_aws

from nurture.adapters.sns_sms import SNS_CLIENT_CONFIG, SnsSmsSender
from nurture.messaging.errors import (
    EmailConfigurationError,
    EmailSendError,
    MessageRejected,
    RetryableSendError,
    SendOutcomeUnknown,
)
from nurture.messaging.sms_text import measure

REGION = "us-east-1"
ACCOUNT = "123456789012"
NUMBER = "+14155550123"
TEXT = measure("Acme: 20% off this weekend. Reply STOP to opt out.")


def published(client: Any) -> list[dict[str, Any]]:
    """The parameters of every Publish the client makes (moto keeps only the number and the text)."""
    seen: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: seen.append(dict(params)))
    return seen


@mock_aws
def test_a_marketing_sms_is_published_to_the_number_as_promotional() -> None:
    from moto.sns.models import sns_backends

    client = boto3.client("sns", region_name=REGION)
    calls = published(client)
    message_id = SnsSmsSender(client).send(TEXT, number=NUMBER, transactional=False)

    assert sns_backends[ACCOUNT][REGION].sms_messages[message_id] == (NUMBER, TEXT.body)
    (call,) = calls
    assert call == {
        "PhoneNumber": NUMBER,
        "Message": TEXT.body,
        "MessageAttributes": {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"}},
    }


@mock_aws
def test_the_deployments_number_sender_id_and_price_ride_along_and_a_confirmation_is_transactional() -> None:
    client = boto3.client("sns", region_name=REGION)
    calls = published(client)
    sender = SnsSmsSender(client, origination_number="+18005550100", sender_id="Acme", max_price_usd="0.50")
    sender.send(TEXT, number=NUMBER, transactional=True)

    (call,) = calls
    assert call["MessageAttributes"] == {
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": "+18005550100"},
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Acme"},
        "AWS.SNS.SMS.MaxPrice": {"DataType": "String", "StringValue": "0.50"},
    }


def stubbed() -> tuple[SnsSmsSender, Stubber]:
    client = boto3.client("sns", region_name=REGION)
    return SnsSmsSender(client), Stubber(client)


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("InvalidParameter", 400, MessageRejected),
        ("ParameterValueInvalid", 400, MessageRejected),
        ("OptedOut", 400, MessageRejected),
        ("AuthorizationError", 403, EmailConfigurationError),
        ("KMSDisabled", 400, EmailConfigurationError),
        ("Throttled", 429, RetryableSendError),
        ("Throttling", 400, RetryableSendError),
        ("InternalError", 500, RetryableSendError),
        ("SomethingNew", 503, RetryableSendError),
        ("SomethingElse", 400, EmailSendError),
    ],
)
def test_every_error_answer_is_a_definite_failure_of_the_right_kind(
    code: str, status: int, error: type[EmailSendError]
) -> None:
    sender, stub = stubbed()
    stub.add_client_error("publish", service_error_code=code, http_status_code=status)
    with stub, pytest.raises(error) as caught:
        sender.send(TEXT, number=NUMBER, transactional=False)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.definite


def test_numbers_in_sns_messages_are_redacted() -> None:
    sender, stub = stubbed()
    stub.add_client_error(
        "publish",
        service_error_code="InvalidParameter",
        service_message=f"Invalid parameter: PhoneNumber Reason: {NUMBER} is not valid to publish to",
        http_status_code=400,
    )
    with stub, pytest.raises(MessageRejected) as caught:
        sender.send(TEXT, number=NUMBER, transactional=False)
    assert NUMBER not in str(caught.value) and NUMBER[1:] not in str(caught.value)
    assert "<number>" in str(caught.value)


class Raising:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def publish(self, **_: Any) -> Any:
        raise self.exc


ENDPOINT = "https://sns.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("exc", "error", "definite"),
    [
        # The connection never opened: nothing went out, a retry is safe.
        (EndpointConnectionError(endpoint_url=ENDPOINT), RetryableSendError, True),
        (ConnectTimeoutError(endpoint_url=ENDPOINT), RetryableSendError, True),
        # The request went out and no answer came: the text may be on its way; never again.
        (ReadTimeoutError(endpoint_url=ENDPOINT), SendOutcomeUnknown, False),
        (ConnectionClosedError(endpoint_url=ENDPOINT), SendOutcomeUnknown, False),
        (NoCredentialsError(), EmailConfigurationError, True),
    ],
)
def test_transport_failures(exc: Exception, error: type[EmailSendError], definite: bool) -> None:
    with pytest.raises(error) as caught:
        SnsSmsSender(Raising(exc)).send(TEXT, number=NUMBER, transactional=False)
    assert caught.value.definite is definite


def test_the_client_config_turns_sdk_retries_off() -> None:
    config = Config(**SNS_CLIENT_CONFIG)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.read_timeout < 20  # below JourneyStepFunction's Lambda timeout (template.yaml)

"""The SES v2 adapter: the request it makes and how each failure maps to a domain error (no network)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError
from botocore.stub import Stubber

from nurture.adapters.ses_email import SES_CLIENT_CONFIG, SesEmailSender, tag_value
from nurture.messaging.errors import (
    AccountSendingPaused,
    EmailConfigurationError,
    EmailSendError,
    MessageRejected,
    RetryableSendError,
    SendOutcomeUnknown,
)

RAW = b"From: hello@acme.example\r\nTo: ada@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"
TAGS = {"contact_id": "c1", "journey": "welcome", "step": "welcome"}


def stubbed() -> tuple[SesEmailSender, Stubber]:
    client = boto3.client("sesv2", region_name="us-east-1")
    return SesEmailSender(client, "nurture-events"), Stubber(client)


def test_sends_raw_content_through_the_configuration_set_with_tags() -> None:
    sender, stub = stubbed()
    stub.add_response(
        "send_email",
        {"MessageId": "0100018f-abc"},
        {
            "FromEmailAddress": "Acme <hello@acme.example>",
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Content": {"Raw": {"Data": RAW}},
            "ConfigurationSetName": "nurture-events",
            "EmailTags": [
                {"Name": "contact_id", "Value": "c1"},
                {"Name": "journey", "Value": "welcome"},
                {"Name": "step", "Value": "welcome"},
            ],
        },
    )
    with stub:
        message_id = sender.send(RAW, sender="Acme <hello@acme.example>", recipient="ada@example.com", tags=TAGS)
    assert message_id == "0100018f-abc"
    stub.assert_no_pending_responses()


def test_tag_values_are_made_acceptable_to_ses() -> None:
    assert tag_value("welcome") == "welcome"
    assert tag_value("black friday/2026") == "black-friday-2026"
    assert tag_value("") == "-"
    assert len(tag_value("x" * 300)) == 256


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("MessageRejected", 400, MessageRejected),
        ("BadRequestException", 400, MessageRejected),
        ("MailFromDomainNotVerifiedException", 400, EmailConfigurationError),
        ("NotFoundException", 404, EmailConfigurationError),
        ("AccessDeniedException", 403, EmailConfigurationError),
        ("SendingPausedException", 400, AccountSendingPaused),
        ("AccountSuspendedException", 400, AccountSendingPaused),
        ("TooManyRequestsException", 429, RetryableSendError),
        ("LimitExceededException", 400, RetryableSendError),
        ("InternalFailure", 500, RetryableSendError),
        ("SomethingNew", 503, RetryableSendError),
        ("SomethingElse", 400, EmailSendError),
    ],
)
def test_every_error_answer_is_a_definite_failure_of_the_right_kind(
    code: str, status: int, error: type[EmailSendError]
) -> None:
    sender, stub = stubbed()
    stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
    with stub, pytest.raises(error) as caught:
        sender.send(RAW, sender="hello@acme.example", recipient="ada@example.com", tags=TAGS)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.definite


def test_addresses_in_ses_messages_are_redacted() -> None:
    sender, stub = stubbed()
    stub.add_client_error(
        "send_email",
        service_error_code="MessageRejected",
        service_message="Email address is not verified. The following identities failed the check: ada@example.com",
        http_status_code=400,
    )
    with stub, pytest.raises(MessageRejected) as caught:
        sender.send(RAW, sender="hello@acme.example", recipient="ada@example.com", tags=TAGS)
    assert "ada@example.com" not in str(caught.value)
    assert "<address>" in str(caught.value)


class Raising:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def send_email(self, **_: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "error", "definite"),
    [
        (EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"), RetryableSendError, True),
        (ConnectTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"), RetryableSendError, True),
        (ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"), SendOutcomeUnknown, False),
        (NoCredentialsError(), EmailConfigurationError, True),
    ],
)
def test_transport_failures(exc: Exception, error: type[EmailSendError], definite: bool) -> None:
    sender = SesEmailSender(Raising(exc), "nurture-events")
    with pytest.raises(error) as caught:
        sender.send(RAW, sender="hello@acme.example", recipient="ada@example.com", tags=TAGS)
    assert caught.value.definite is definite


def test_the_recommended_client_config_turns_sdk_retries_off() -> None:
    from botocore.config import Config

    config = Config(**SES_CLIENT_CONFIG)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.read_timeout < 20  # below SendEmailFunction's Lambda timeout (template.yaml)

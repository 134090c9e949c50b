"""Email through Amazon SES v2: one raw MIME message per call, with a configuration set and tags.

``SendEmail`` with ``Content.Raw`` sends the message as built (``nurture.messaging.mime``); the
configuration set publishes its events (delivery, open, click, bounce, complaint) and the tags ride
along in every event record, so the engagement handler can tell contact, journey and step apart
without a lookup. Tag names and values may only hold ASCII letters, digits, ``_`` and ``-`` (at
most 256 characters): other characters are replaced by ``-``.

Errors become `nurture.messaging.errors` exceptions. Any error *response* from SES means the
message was not accepted; so does a connection that could not be opened. A request sent whose
answer never came (read timeout, connection dropped) is `SendOutcomeUnknown`. Create the client
with SDK retries off (`SES_CLIENT_CONFIG`): botocore would otherwise re-send after a read timeout
on its own and could deliver the message twice; retries happen in Step Functions instead, guided
by the send ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from nurture.messaging.errors import (
    AccountSendingPaused,
    EmailConfigurationError,
    EmailSendError,
    MessageRejected,
    RetryableSendError,
    SendOutcomeUnknown,
)

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# botocore.config.Config arguments for the SES client (see the module docstring).
SES_CLIENT_CONFIG: Final[dict[str, Any]] = {
    "retries": {"mode": "standard", "total_max_attempts": 1},
    "connect_timeout": 3,
    "read_timeout": 10,
}

_REJECTED = frozenset({"MessageRejected", "BadRequestException", "InvalidParameterValue"})
_CONFIGURATION = frozenset(
    {
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "ConfigurationSetDoesNotExistException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    }
)
_PAUSED = frozenset({"SendingPausedException", "AccountSuspendedException", "AccountSendingPausedException"})
_RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "InternalFailure",
        "InternalServiceErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
    }
)
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_TAG_MAX = 256
_ADDRESS = re.compile(r"[^\s@<>\"']+@[^\s@<>\"',;]+")


def tag_value(value: str) -> str:
    """``value`` made acceptable as an SES message tag name or value."""
    cleaned = _TAG_UNSAFE.sub("-", value)[:_TAG_MAX]
    return cleaned or "-"


class SesEmailSender:
    def __init__(self, client: SESV2Client | Any, configuration_set: str) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str:
        """Send one message; returns SES's message id. Raises an `EmailSendError` subclass."""
        try:
            answer = self._client.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [recipient]},
                Content={"Raw": {"Data": raw_mime}},
                ConfigurationSetName=self._configuration_set,
                EmailTags=[{"Name": tag_value(name), "Value": tag_value(value)} for name, value in tags.items()],
            )
        except ClientError as exc:
            raise _from_client_error(exc) from exc
        except BotoCoreError as exc:
            raise _from_botocore_error(exc) from exc
        return str(answer["MessageId"])


def _from_client_error(exc: Any) -> EmailSendError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    # SES messages can quote the addresses involved: keep them out of logs and execution histories.
    detail = _ADDRESS.sub("<address>", str(error.get("Message", "")))
    message = f"SES refused the message: {code}: {detail}".rstrip(": ")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in _REJECTED:
        return MessageRejected(message, code=code)
    if code in _CONFIGURATION:
        return EmailConfigurationError(message, code=code)
    if code in _PAUSED:
        return AccountSendingPaused(message, code=code)
    if code in _RETRYABLE or status >= 500 or status == 429:
        return RetryableSendError(message, code=code)
    return EmailSendError(message, code=code)


def _from_botocore_error(exc: BaseException) -> EmailSendError:
    name = type(exc).__name__
    # ConnectionError: the connection (TCP, TLS, proxy) never opened, so nothing was sent.
    if isinstance(exc, BotoConnectionError):
        return RetryableSendError(f"could not reach SES: {name}", code=name)
    # HTTPClientError after the connection opened (ReadTimeoutError, ConnectionClosedError, ...):
    # the request may have been received and acted upon.
    if isinstance(exc, HTTPClientError):
        return SendOutcomeUnknown(f"no answer from SES: {name}", code=name)
    # Credentials, parameter validation, ...: raised before any request went out.
    return EmailConfigurationError(f"could not call SES: {name}: {exc}", code=name)

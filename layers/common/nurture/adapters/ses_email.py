"""Email through Amazon SES v2: one raw MIME message per call, with a configuration set and tags.

``SendEmail`` with ``Content.Raw`` sends the message as built (``nurture.messaging.mime``); the
configuration set publishes its events (delivery, open, click, bounce, complaint) and the tags ride
along in every event record, so the engagement handler can tell contact, journey and step apart
without a lookup. Tag names and values may only hold ASCII letters, digits, ``_`` and ``-`` (at
most 256 characters): other characters are replaced by ``-``.

Errors become `nurture.messaging.errors` exceptions (`nurture.adapters.send_errors`). Any error
*response* from SES means the message was not accepted; so does a connection that could not be
opened. A request sent whose answer never came (read timeout, connection dropped) is
`SendOutcomeUnknown`. Create the client
with SDK retries off (`SES_CLIENT_CONFIG`): botocore would otherwise re-send after a read timeout
on its own and could deliver the message twice; retries happen in Step Functions instead, guided
by the send ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.send_errors import ProviderCodes, from_botocore_error, from_client_error
from nurture.messaging.errors import EmailSendError

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


_CODES: Final = ProviderCodes("SES", _REJECTED, _CONFIGURATION, _PAUSED, _RETRYABLE)


def _from_client_error(exc: Any) -> EmailSendError:
    return from_client_error(exc, _CODES)


def _from_botocore_error(exc: BaseException) -> EmailSendError:
    return from_botocore_error(exc, "SES")

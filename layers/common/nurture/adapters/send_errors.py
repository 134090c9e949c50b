"""A provider's error as the sender sees it (`nurture.messaging.errors`): the one mapping of the
email (SES) and SMS (SNS) adapters.

Any error *response* means the message was not accepted; so does a connection that could not be
opened. A request sent whose answer never came (read timeout, connection dropped) is
`SendOutcomeUnknown`: the message may be out. Each adapter says which of its provider's codes
refuse the message, which mean the deployment is wrong, which pause the account and which are
worth retrying; a 5xx or 429 status is retryable whatever its code.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from nurture.messaging.errors import (
    AccountSendingPaused,
    EmailConfigurationError,
    EmailSendError,
    MessageRejected,
    RetryableSendError,
    SendOutcomeUnknown,
)

# Error messages can quote the addresses or numbers involved: keep them out of logs and histories.
_ADDRESS: Final = re.compile(r"[^\s@<>\"']+@[^\s@<>\"',;]+")
_NUMBER: Final = re.compile(r"\+?\d{7,15}")


@dataclass(frozen=True, slots=True)
class ProviderCodes:
    provider: str  # "SES", "SNS": named in the error's message
    rejected: Collection[str]
    configuration: Collection[str]
    paused: Collection[str]
    retryable: Collection[str]


def from_client_error(exc: Any, codes: ProviderCodes) -> EmailSendError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    detail = _NUMBER.sub("<number>", _ADDRESS.sub("<address>", str(error.get("Message", ""))))
    message = f"{codes.provider} refused the message: {code}: {detail}".rstrip(": ")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in codes.rejected:
        return MessageRejected(message, code=code)
    if code in codes.configuration:
        return EmailConfigurationError(message, code=code)
    if code in codes.paused:
        return AccountSendingPaused(message, code=code)
    if code in codes.retryable or status >= 500 or status == 429:
        return RetryableSendError(message, code=code)
    return EmailSendError(message, code=code)


def from_botocore_error(exc: BaseException, provider: str) -> EmailSendError:
    name = type(exc).__name__
    # ConnectionError: the connection (TCP, TLS, proxy) never opened, so nothing was sent.
    if isinstance(exc, BotoConnectionError):
        return RetryableSendError(f"could not reach {provider}: {name}", code=name)
    # HTTPClientError after the connection opened (ReadTimeoutError, ConnectionClosedError, ...):
    # the request may have been received and acted upon.
    if isinstance(exc, HTTPClientError):
        return SendOutcomeUnknown(f"no answer from {provider}: {name}", code=name)
    # Credentials, parameter validation, ...: raised before any request went out.
    return EmailConfigurationError(f"could not call {provider}: {name}: {exc}", code=name)

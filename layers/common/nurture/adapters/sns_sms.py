"""SMS through Amazon SNS: one ``Publish`` to a phone number per message (docs/sms.md, "Sending").

The message attributes say how it goes: ``AWS.SNS.SMS.SMSType`` ``Transactional`` (a confirmation:
the more reliable route) or ``Promotional`` (marketing: the cheaper one), and, when the deployment
sets them, ``AWS.MM.SMS.OriginationNumber`` (the number it is sent from: a toll-free number, 10DLC
or short code the account owns), ``AWS.SNS.SMS.SenderID`` (an alphanumeric sender, where the
destination country allows one) and ``AWS.SNS.SMS.MaxPrice`` (USD: SNS refuses a message that
would cost more).

Errors map as SES's do (`nurture.adapters.send_errors`): throttling, 5xx and a connection that never
opened are definite and retryable; a read timeout or a dropped connection after the request went
out is `SendOutcomeUnknown` (the text may be out: never sent again); a refused number or parameter
is definite and not retried. Create the client with SDK retries off (`SNS_CLIENT_CONFIG`): botocore
would otherwise publish again after a read timeout and the contact could get the text twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.send_errors import ProviderCodes, from_botocore_error, from_client_error

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

    from nurture.messaging.sms_text import SmsText

# botocore.config.Config arguments for the SNS client (see the module docstring).
SNS_CLIENT_CONFIG: Final[dict[str, Any]] = {
    "retries": {"mode": "standard", "total_max_attempts": 1},
    "connect_timeout": 3,
    "read_timeout": 10,
}

_CODES: Final = ProviderCodes(
    "SNS",
    # This message or number can never go as it is (a bad number, an opted-out one, a disabled endpoint).
    rejected=frozenset(
        {
            "InvalidParameter",
            "ParameterValueInvalid",
            "InvalidParameterValue",
            "ValidationError",
            "ValidationException",
            "OptedOut",
            "EndpointDisabled",
        }
    ),
    configuration=frozenset(
        {
            "AuthorizationError",
            "AccessDenied",
            "AccessDeniedException",
            "InvalidSecurity",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "NotFound",
            "KMSAccessDenied",
            "KMSDisabled",
            "KMSInvalidState",
            "KMSNotFound",
            "KMSOptInRequired",
        }
    ),
    # None: a spent monthly SMS budget is not a Publish error, SNS reports it in the status log.
    paused=frozenset(),
    retryable=frozenset(
        {"Throttled", "Throttling", "ThrottlingException", "KMSThrottling", "InternalError", "ServiceUnavailable"}
    ),
)


class SnsSmsSender:
    def __init__(
        self,
        client: SNSClient | Callable[[], SNSClient] | Any,
        *,
        origination_number: str | None = None,
        sender_id: str | None = None,
        max_price_usd: str | None = None,
    ) -> None:
        # The client, or what makes it on the first SMS: a container that only emails never pays
        # for the SNS client (its service model and endpoint rules) at cold start.
        self._client_of: Callable[[], Any] = client if callable(client) else lambda: client
        self._fixed: dict[str, Any] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (
                ("AWS.MM.SMS.OriginationNumber", origination_number),
                ("AWS.SNS.SMS.SenderID", sender_id),
                ("AWS.SNS.SMS.MaxPrice", max_price_usd),
            )
            if value
        }

    def send(self, text: SmsText, *, number: str, transactional: bool) -> str:
        """Publish one SMS to ``number`` (E.164); returns SNS's message id. Raises an
        `nurture.messaging.errors.EmailSendError` subclass (the send errors of every channel)."""
        attributes: dict[str, Any] = {
            "AWS.SNS.SMS.SMSType": {
                "DataType": "String",
                "StringValue": "Transactional" if transactional else "Promotional",
            },
            **self._fixed,
        }
        try:
            answer = self._client_of().publish(PhoneNumber=number, Message=text.body, MessageAttributes=attributes)
        except ClientError as exc:
            raise from_client_error(exc, _CODES) from exc
        except BotoCoreError as exc:
            raise from_botocore_error(exc, "SNS") from exc
        return str(answer["MessageId"])

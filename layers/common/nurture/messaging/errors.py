"""What can go wrong sending a message, as the domain sees it (the SES adapter maps ClientErrors here).

Every error says whether the provider *definitely did not accept* the message (``definite``): only
then may the same send be attempted again. The class names are the error names Step Functions sees
(a Python Lambda reports ``errorType`` = the exception's class name), so the journeys' ``Retry``
rules name them: keep them stable.
"""

from __future__ import annotations

from nurture.errors import NurtureError


class EmailSendError(NurtureError):
    """The email provider did not take the message. Not retried unless a subclass says so."""

    definite = True  # the provider answered: the message was not accepted

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # the provider's error code, e.g. "MessageRejected"


class MessageRejected(EmailSendError):
    """This message can never be sent as it is (invalid content, refused recipient or sender)."""


class EmailConfigurationError(EmailSendError):
    """The deployment is wrong (sender not verified, configuration set missing, no permission)."""


class AccountSendingPaused(EmailSendError):
    """The account (or configuration set) may not send now: paused or suspended. Retry in hours."""


class RetryableSendError(EmailSendError):
    """Throttled, a provider fault, or no connection at all: nothing was sent, retry with back-off."""


class SendOutcomeUnknown(EmailSendError):
    """The request may have reached the provider but no answer came back (a read timeout).

    The message may or may not be out: no attempt sends it again. The claim is recorded ``unknown``
    and the task answers so; SES's events (tagged with the claim id) settle it later.
    """

    definite = False

"""SendEmailFunction: one journey email, at most once per contact, journey and step.

Input (the journeys' ``lambda:invoke`` Payload): ``{"contact_id", "journey", "step"}`` plus, when
the state machine passes them, ``"execution"`` (``$$.Execution.Id``) and ``"attempt"``
(``$$.State.RetryCount``), both recorded on the claim.
Output: ``{"status": "sent" | "skipped" | "unknown", "reason": str | None, "message_id": str | None}``;
reasons: ``no_consent``, ``no_contact``, ``no_email_address``, ``already_sent``, ``already_claimed``,
``outcome_unknown`` (status ``unknown``).

Retries (the decision: `nurture.messaging.claims`, `nurture.messaging.journey_email`, docs/email.md):
every send is claimed in NurtureTable (``SEND#<journey>#<step>``, conditional write) before SES is
called, and marked ``sending`` just before the call. A retry of the same execution takes over a
claim that never reached ``sending`` (the provider was provably not called: a crash, a lost table
answer, ``DependencyUnavailable``). When SES *definitely* did not accept the message the claim
becomes ``failed`` and the error is raised (``RetryableSendError``, ``AccountSendingPaused`` are
retried by the state machine and may claim again). When the outcome is unknown (the request went
out, no answer came back; or a retry finds its own execution's claim still ``sending``) the claim
becomes ``unknown`` and the task answers ``unknown``/``outcome_unknown``: the journey goes on,
never sending twice, and SES's events (every message is tagged with its claim id) settle it later.
SDK retries are off on the SES client (botocore re-sends after read timeouts) and on for DynamoDB
(every ledger write is idempotent for its claim id). ``MessageRejected``,
``EmailConfigurationError``, ``RenderError`` and ``InvalidSendRequest`` are not retried: the
execution fails and shows the error.

Cold start: every module a send needs (boto3, pydantic, Jinja2, the layer) is imported here, during
Lambda's init phase; the settings, the SSM secret and the clients are built on the first invocation
and kept for the life of the container (docs/architecture.md, "Cold start").

Dependency injection (tests, local runtime): ``use_dependencies(JourneyEmailSender(...))`` replaces
what the first invocation would build from the environment (``build_sender()``; its ``clock``,
``environ`` and ``clients`` arguments let a test keep the real adapters on moto with a virtual
clock); ``use_dependencies(None)`` forgets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.email_sending import send_path
from nurture.messaging.journey_email import JourneyEmailSender, SendRequest, utc_now
from nurture.settings import SendEmailSettings

logger = Logger()

_sender: JourneyEmailSender | None = None


def use_dependencies(sender: JourneyEmailSender | None) -> None:
    """Replace (or, with None, forget) the sender built from the environment."""
    global _sender
    _sender = sender


def build_sender(
    environ: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    clients: Mapping[str, Any] | None = None,
) -> JourneyEmailSender:
    """Settings from the environment, the unsubscribe secret from SSM (checked here, at cold start),
    the DynamoDB and SES adapters (`nurture.adapters.email_sending.send_path`).

    ``clients`` may hold ready boto3 clients by service name ("dynamodb", "sesv2", "ssm").
    """
    settings = SendEmailSettings.from_environ(os.environ if environ is None else environ)
    return send_path(settings, log=logger, clock=clock or utc_now, clients=clients).sender


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str | None]:
    global _sender
    try:
        request = SendRequest.from_event(event, default_execution=str(getattr(context, "aws_request_id", "")))
        logger.append_keys(contact_id=request.contact_id, journey=request.journey, step=request.step)
        if _sender is None:
            _sender = build_sender()
        return _sender.send(request).as_output()
    except Exception as exc:  # logged once here with its type, then re-raised for Step Functions
        logger.warning("send task failed", error_type=type(exc).__name__)
        raise
    finally:
        logger.remove_keys(["contact_id", "journey", "step"])

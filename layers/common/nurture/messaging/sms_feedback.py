"""What an SMS reply or an SMS delivery status log means (pure; SmsEventsFunction applies it).

Two inputs reach SmsEventsFunction (docs/sms.md, "Two-way SMS and delivery status"):

- **Inbound**: End User Messaging publishes each SMS a contact sends to the origination number to
  the two-way channel's SNS topic, as a JSON ``Message`` with ``originationNumber`` (the contact),
  ``destinationNumber`` (ours), ``messageKeyword``, ``messageBody``, ``inboundMessageId`` and
  ``previousPublishedMessageId``. `inbound_of` reads it; `keyword_consent` turns its first word into
  an SMS consent state; `consent_event` into the canonical ``consent.changed``.
- **Delivery status**: SNS writes one log record per SMS to CloudWatch Logs
  (``sns/<region>/<account>/DirectPublishToPhoneNumber`` and ``…/Failure``); a subscription hands
  them to the function as ``awslogs.data`` (base64 of gzip of a JSON envelope whose ``logEvents[]``
  each carry one record in ``message``). `status_logs_of` reads them; `feedback_of` says what a
  status means for the claim, the number's suppression and the canonical event.

Parsing is pydantic at this boundary. A malformed record is reported by where it was (the SNS
message id, the log event id), never by what it held: messages hold phone numbers and text.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nurture.events import (
    ChannelConsent,
    ConsentChanged,
    ConsentProof,
    Contact,
    MessageRef,
    SmsDelivery,
    derive_event_id,
)
from nurture.identity import normalize_phone
from nurture.messaging.claims import LOST, SENT, UNSETTLED, SendKey, SendRecord

SmsConsentState = Literal["subscribed", "unsubscribed"]

# The opt-out and opt-in keywords carriers and AWS End User Messaging recognise (docs/sms.md).
STOP_KEYWORDS: Final = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_KEYWORDS: Final = frozenset({"START", "UNSTOP", "YES", "OPTIN"})
# Punctuation people add to a keyword ("STOP!", "Stop.") that does not change what they meant.
_TRAILING_PUNCTUATION: Final = ".,!?;:"

SOURCE: Final = "sms"
STORE: Final = "sms"  # no store sent it: the contact replied to Nurture's number


def keyword_consent(body: str) -> SmsConsentState | None:
    """The SMS consent a reply asks for: its first word, trimmed and upper-cased, is a STOP or a START
    keyword; anything else (HELP, a question, a thank you) asks for nothing."""
    words = body.split(maxsplit=1)
    if not words:
        return None
    keyword = words[0].rstrip(_TRAILING_PUNCTUATION).upper()
    if keyword in STOP_KEYWORDS:
        return "unsubscribed"
    if keyword in START_KEYWORDS:
        return "subscribed"
    return None


# ---------------------------------------------------------------- inbound (SNS two-way payload)


class _Sns(BaseModel):
    MessageId: str = Field(min_length=1)
    Message: str
    Timestamp: datetime


class _SnsRecord(BaseModel):
    Sns: _Sns


class _TwoWayMessage(BaseModel):
    """End User Messaging's two-way SMS payload (the fields we read; the others are allowed)."""

    model_config = ConfigDict(extra="ignore")

    originationNumber: str = Field(min_length=1)
    destinationNumber: str | None = None
    messageKeyword: str | None = None
    messageBody: str
    inboundMessageId: str = Field(min_length=1)
    previousPublishedMessageId: str | None = None


@dataclass(frozen=True, slots=True)
class InboundSms:
    inbound_message_id: str
    received_at: datetime  # SNS's Timestamp: the same on every retry of the notification
    number: str = field(repr=False)  # the contact's number, E.164
    body: str = field(repr=False)  # never logged: people write anything


def inbound_of(record: Mapping[str, Any]) -> InboundSms:
    """The two-way SMS an SNS → Lambda record carries. ValueError naming the SNS message and the
    field at fault, never quoting them."""
    try:
        envelope = _SnsRecord.model_validate(record)
    except ValidationError as exc:
        raise ValueError(f"not an SNS record ({exc.error_count()} problem(s))") from None
    where = f"SNS message {envelope.Sns.MessageId}"
    try:
        payload = _TwoWayMessage.model_validate_json(envelope.Sns.Message)
    except ValidationError as exc:
        fields = ", ".join(sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})) or "Message"
        raise ValueError(f"{where}: not a two-way SMS message ({fields})") from None
    number = normalize_phone(payload.originationNumber)
    if number is None:
        raise ValueError(f"{where}: originationNumber is not a phone number")
    received_at = envelope.Sns.Timestamp
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return InboundSms(payload.inboundMessageId, received_at.astimezone(UTC), number, payload.messageBody)


def consent_event(inbound: InboundSms, state: SmsConsentState) -> ConsentChanged:
    """The canonical ``consent.changed`` a keyword reply reports. Its id comes from the inbound
    message id, and its time from SNS's: a retried notification (or a redelivered queue message)
    is the same event, which ProcessFunction applies once."""
    return ConsentChanged(
        event_id=derive_event_id(SOURCE, STORE, "consent.changed", f"inbound/{inbound.inbound_message_id}", None),
        source=SOURCE,
        store=STORE,
        source_topic="sms:keyword",
        occurred_at=inbound.received_at,
        contact=Contact(phone=inbound.number),
        sms=ChannelConsent(state=state, changed_at=inbound.received_at),
        proof=ConsentProof(method="sms_keyword"),
    )


# ---------------------------------------------------------------- delivery status logs


class _Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messageId: str = Field(min_length=1)
    timestamp: str = Field(min_length=1)


class _Delivery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    destination: str = Field(min_length=1)
    numberOfMessageParts: int | None = Field(default=None, ge=1)
    priceInUSD: Decimal | None = Field(default=None, ge=0)
    providerResponse: str | None = None
    smsType: str | None = None


class _StatusLog(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notification: _Notification
    delivery: _Delivery
    status: Literal["SUCCESS", "FAILURE"]


class _LogEvent(BaseModel):
    id: str = Field(min_length=1)
    timestamp: int
    message: str


class _LogsEnvelope(BaseModel):
    messageType: str
    logGroup: str = ""
    logEvents: list[dict[str, Any]] = []


@dataclass(frozen=True, slots=True)
class SmsStatus:
    """One SMS delivery status log record."""

    message_id: str
    status: Literal["SUCCESS", "FAILURE"]
    at: datetime  # notification.timestamp (UTC): when SNS took the message
    destination: str = field(repr=False)  # the number: for the suppression list and the claim lookup only
    parts: int | None = None
    price_usd: Decimal | None = None
    provider_response: str | None = None


def _status_time(text: str) -> datetime:
    # SNS writes "2016-06-28 00:40:34.558": UTC, a space, no zone.
    moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def status_of(message: str) -> SmsStatus:
    """One log event's message (the JSON of a status record). ValueError naming the field at fault."""
    try:
        record = _StatusLog.model_validate_json(message)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors() if error["loc"]})
        raise ValueError(f"not an SMS delivery status record ({', '.join(fields) or 'not JSON'})") from None
    try:
        at = _status_time(record.notification.timestamp)
    except ValueError:
        raise ValueError("notification.timestamp is not a time") from None
    return SmsStatus(
        message_id=record.notification.messageId,
        status=record.status,
        at=at,
        destination=record.delivery.destination,
        parts=record.delivery.numberOfMessageParts,
        price_usd=record.delivery.priceInUSD,
        provider_response=record.delivery.providerResponse,
    )


def status_logs_of(event: Mapping[str, Any]) -> tuple[list[SmsStatus], list[str]]:
    """The status records a CloudWatch Logs subscription event carries, and the problems (one per
    malformed log event, or one for the whole envelope), each naming where it was. A CONTROL_MESSAGE
    (CloudWatch Logs checking the destination is reachable) carries none."""
    data = event.get("awslogs", {}).get("data") if isinstance(event.get("awslogs"), Mapping) else None
    if not isinstance(data, str):
        return [], ["awslogs.data is missing"]
    try:
        decoded = json.loads(gzip.decompress(base64.b64decode(data, validate=True)))
        envelope = _LogsEnvelope.model_validate(decoded)
    except (binascii.Error, OSError, EOFError, zlib.error, ValueError):
        return [], ["awslogs.data is not a gzip-compressed, base64-encoded CloudWatch Logs envelope"]
    if envelope.messageType != "DATA_MESSAGE":
        return [], []
    statuses: list[SmsStatus] = []
    problems: list[str] = []
    for index, raw in enumerate(envelope.logEvents):
        try:
            log_event = _LogEvent.model_validate(raw)
        except ValidationError:
            problems.append(f"log event {index}: not a CloudWatch Logs event")
            continue
        try:
            statuses.append(status_of(log_event.message))
        except ValueError as exc:
            problems.append(f"log event {log_event.id}: {exc}")
    return statuses, problems


# ---------------------------------------------------------------- what a status means

# providerResponse values that mean the number cannot receive SMS (suppressed for good), and why.
DEAD_RESPONSES: Final = {
    "invalid phone number": "dead_number",
    "phone number is not valid": "dead_number",
    "unknown phone carrier": "dead_number",
    "phone has blocked sms": "opted_out",
    "phone number is opted out": "opted_out",
}
# providerResponse values that may pass: counted like transient bounces (threshold within a window).
TRANSIENT_RESPONSES: Final = frozenset(
    {
        "phone is currently unreachable/unavailable",
        "unknown error attempting to reach phone",
        "phone carrier is currently unreachable/unavailable",
    }
)


def _response_key(response: str | None) -> str:
    return (response or "").strip().rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class Feedback:
    event_type: Literal["sms.delivered", "sms.failed"]
    suppress_reason: str | None = None  # dead_number | opted_out: the number is suppressed for good
    transient: bool = False  # counted towards the transient threshold


def feedback_of(status: SmsStatus) -> Feedback:
    if status.status == "SUCCESS":
        return Feedback("sms.delivered")
    key = _response_key(status.provider_response)
    return Feedback("sms.failed", suppress_reason=DEAD_RESPONSES.get(key), transient=key in TRANSIENT_RESPONSES)


Settle = Literal["sent", "failed"]


def settlement_of(record: SendRecord, status: SmsStatus) -> Settle | None:
    """What a status says about the claim it names: SUCCESS settles an unsettled claim (or one the
    reconciler gave up on: the message did go) as sent; FAILURE an unsettled one as failed. A claim
    recorded ``sent`` when SNS accepted the publish stays sent: the failure is reported by the event
    and the suppression, not by rewriting what the sender did."""
    if status.status == "SUCCESS":
        return SENT if record.status in UNSETTLED or record.status == LOST else None
    return "failed" if record.status in UNSETTLED else None


def delivery_event(status: SmsStatus, key: SendKey) -> SmsDelivery:
    """The canonical ``sms.delivered`` / ``sms.failed`` of a status whose claim is known."""
    feedback = feedback_of(status)
    response = status.provider_response if feedback.event_type == "sms.failed" else None
    return SmsDelivery(
        event_id=derive_event_id("nurture", "sns", feedback.event_type, f"message/{status.message_id}", status.at),
        source="nurture",
        store="sns",
        source_topic=f"sns:sms:{status.status}",
        occurred_at=status.at,
        type=feedback.event_type,
        contact_id=key.contact_id,
        message=MessageRef(
            channel="sms", message_id=status.message_id, journey=key.journey, step=key.step, enrolment=key.enrolment
        ),
        parts=status.parts,
        price_usd=status.price_usd,
        provider_response=response[:200] if response else None,
    )

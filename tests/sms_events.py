"""What SmsEventsFunction receives, built for tests: SNS's SMS delivery status records (the published
samples in tests/fixtures/third_party/sns_sms, with the fields a test needs changed) inside a
CloudWatch Logs subscription event, and End User Messaging's two-way SMS payload inside SNS's Lambda
envelope."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.third_party import fixture_json

SUCCESS = "sns_sms/sns_sms_delivery_status_log_success.json"
FAILURE = "sns_sms/sns_sms_delivery_status_log_failure.json"
DIRECT_LOG_GROUP = "sns/us-east-1/123456789012/DirectPublishToPhoneNumber"
FAILURE_LOG_GROUP = f"{DIRECT_LOG_GROUP}/Failure"


def status_record(
    sample: str,
    *,
    message_id: str | None = None,
    to: str | None = None,
    at: datetime | None = None,
    response: str | None = None,
) -> dict[str, Any]:
    """A published status record with its message id, destination, time or provider response replaced."""
    record = copy.deepcopy(fixture_json(sample))
    if message_id is not None:
        record["notification"]["messageId"] = message_id
    if to is not None:
        record["delivery"]["destination"] = to
    if at is not None:
        # SNS's own format: UTC, a space, milliseconds, no zone.
        record["notification"]["timestamp"] = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if response is not None:
        record["delivery"]["providerResponse"] = response
    return record


def awslogs_event(
    messages: list[Any], *, log_group: str = DIRECT_LOG_GROUP, at: datetime | None = None
) -> dict[str, Any]:
    """A CloudWatch Logs subscription event (as Lambda receives it) carrying ``messages``, each a
    record (serialised to JSON) or a string kept as it is."""
    millis = int((at or datetime(2026, 3, 2, tzinfo=UTC)).timestamp() * 1000)
    envelope = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": str(uuid.uuid4()),
        "subscriptionFilters": ["nurture-sms-status"],
        "logEvents": [
            {
                "id": f"{millis:d}{index:06d}",
                "timestamp": millis,
                "message": message if isinstance(message, str) else json.dumps(message),
            }
            for index, message in enumerate(messages)
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(envelope).encode())).decode()}}


def inbound_sms(
    number: str,
    text: str,
    *,
    inbound_id: str | None = None,
    at: datetime | None = None,
    sns_message_id: str | None = None,
) -> dict[str, Any]:
    """One SNS → Lambda record carrying a two-way SMS from ``number`` to the origination number."""
    payload = {
        "originationNumber": number,
        "destinationNumber": "+12065550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": text,
        "inboundMessageId": inbound_id or str(uuid.uuid4()),
        "previousPublishedMessageId": "wJ0M1kRBZZ53T8Aga8KTcE1o6E7ASp1sYjCFpUrP6Jw",
    }
    when = (at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)).astimezone(UTC)
    topic = "arn:aws:sns:us-east-1:123456789012:SmsInboundTopic"
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
        "Sns": {
            "Type": "Notification",
            "MessageId": sns_message_id or str(uuid.uuid4()),
            "TopicArn": topic,
            "Subject": None,
            "Message": json.dumps(payload),
            "Timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "EXAMPLE",
            "UnsubscribeUrl": "EXAMPLE",
            "MessageAttributes": {},
        },
    }

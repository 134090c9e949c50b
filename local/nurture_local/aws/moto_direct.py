"""The hot SQS and SES v2 operations of a local run, answered straight from moto's backend models.

The state stays moto's (queues with their redrive policy, SES's sent messages that the outbox reads);
only the HTTP round trip through moto's request parsing and response rendering is skipped. Each answer
builds the response the way moto's own response class does, so callers see the same shapes either way
(tests/runtime/test_local_aws.py runs the same calls both ways and compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .routing import Answer, NotAnswered

# The system attributes moto reports on ReceiveMessage (AttributeNames / MessageSystemAttributeNames "All").
_SYSTEM_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "SenderId": lambda m: m.sender_id,
    "SentTimestamp": lambda m: str(m.sent_timestamp),
    "ApproximateReceiveCount": lambda m: str(m.approximate_receive_count),
    "ApproximateFirstReceiveTimestamp": lambda m: str(m.approximate_first_receive_timestamp),
    "MessageDeduplicationId": lambda m: m.deduplication_id,
    "MessageGroupId": lambda m: m.group_id,
    "AWSTraceHeader": lambda m: (m.system_attributes or {}).get("AWSTraceHeader", {}).get("StringValue"),
    "SequenceNumber": lambda m: m.sequence_number,
}


def _service_errors(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A call moto refuses goes through moto's own HTTP path, which encodes the error exactly as boto3 sees it.

    Safe to repeat: these backend methods validate before they change anything (a batch is checked whole
    before its first message is queued), so the refused call left no trace to be applied twice.
    """
    from moto.core.exceptions import JsonRESTError, ServiceException

    try:
        return call()
    except (ServiceException, JsonRESTError):
        raise NotAnswered from None


def sqs_answers(account: str, region: str) -> dict[tuple[str, str], Answer]:
    def backend() -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[account][region]

    def queue_name(params: dict[str, Any]) -> str:
        return str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]

    def sent(message: Any, entry_id: str | None, fifo: bool) -> dict[str, Any]:
        answer: dict[str, Any] = {"MessageId": message.id, "MD5OfMessageBody": message.body_md5}
        if entry_id is not None:
            answer = {"Id": entry_id, **answer}
        if message.message_attributes:
            answer["MD5OfMessageAttributes"] = message.attribute_md5
        if fifo:
            answer["SequenceNumber"] = message.sequence_number
        return answer

    def send_message(_: str, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            name = queue_name(params)
            message = backend().send_message(
                name,
                params["MessageBody"],
                message_attributes=params.get("MessageAttributes") or {},
                delay_seconds=params.get("DelaySeconds"),
                deduplication_id=params.get("MessageDeduplicationId"),
                group_id=params.get("MessageGroupId"),
                system_attributes=params.get("MessageSystemAttributes"),
            )
            return sent(message, None, backend().get_queue(name).fifo_queue)

        return _service_errors(call)

    def send_message_batch(_: str, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            name = queue_name(params)
            entries = {
                str(index): {"MessageAttributes": {}, "DelaySeconds": None, **entry}
                for index, entry in enumerate(params["Entries"])
            }
            if not entries:
                raise NotAnswered  # moto's path answers EmptyBatchRequest
            messages, failed = backend().send_message_batch(name, entries)
            fifo = backend().get_queue(name).fifo_queue
            return {"Successful": [sent(m, m.user_id, fifo) for m in messages], "Failed": failed}

        return _service_errors(call)

    def receive_message(_: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("WaitTimeSeconds"):
            raise NotAnswered  # long polling: moto's own path waits as it should
        count = params.get("MaxNumberOfMessages", 1)
        if not 1 <= count <= 10:
            raise NotAnswered  # moto's path answers InvalidParameterValue

        def call() -> dict[str, Any]:
            name = queue_name(params)
            queue = backend().get_queue(name)
            visibility = params.get("VisibilityTimeout")
            messages = backend().receive_message(
                name,
                count,
                0,
                queue.visibility_timeout if visibility is None else visibility,
                params.get("MessageAttributeNames", []),
            )
            wanted = set(params.get("AttributeNames", [])) | set(params.get("MessageSystemAttributeNames", []))
            names = [n for n in _SYSTEM_ATTRIBUTES if "All" in wanted or n in wanted]
            answers = []
            for message in messages:
                answer: dict[str, Any] = {
                    "MessageId": message.id,
                    "ReceiptHandle": message.receipt_handle,
                    "MD5OfBody": message.body_md5,
                    "Body": message.body,
                }
                if message.message_attributes:
                    answer["MessageAttributes"] = message.message_attributes
                    answer["MD5OfMessageAttributes"] = message.attribute_md5
                if names:
                    values = {n: _SYSTEM_ATTRIBUTES[n](message) for n in names}
                    answer["Attributes"] = {n: v for n, v in values.items() if v is not None}
                answers.append(answer)
            return {"Messages": answers} if answers else {}

        return _service_errors(call)

    def delete_message(_: str, params: dict[str, Any]) -> dict[str, Any]:
        return _service_errors(lambda: backend().delete_message(queue_name(params), params["ReceiptHandle"]) or {})

    def delete_message_batch(_: str, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            entries = params["Entries"]
            handles = [entry["ReceiptHandle"] for entry in entries]
            if not entries or len(set(handles)) != len(handles):
                raise NotAnswered  # moto's path answers EmptyBatchRequest / BatchEntryIdsNotDistinct
            done, failed = backend().delete_message_batch(queue_name(params), entries)
            return {"Successful": [{"Id": entry_id} for entry_id in done], "Failed": failed}

        return _service_errors(call)

    return {
        ("sqs", "SendMessage"): send_message,
        ("sqs", "SendMessageBatch"): send_message_batch,
        ("sqs", "ReceiveMessage"): receive_message,
        ("sqs", "DeleteMessage"): delete_message,
        ("sqs", "DeleteMessageBatch"): delete_message_batch,
    }


def sesv2_answers(account: str, region: str) -> dict[tuple[str, str], Answer]:
    def send_email(_: str, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("Content", {}).get("Raw")
        if raw is None:
            raise NotAnswered  # Simple and Template content: moto's own path
        from moto.sesv2.models import sesv2_backends

        destination = params.get("Destination", {})
        recipients = [
            *destination.get("ToAddresses", []),
            *destination.get("CcAddresses", []),
            *destination.get("BccAddresses", []),
        ]
        data = raw["Data"]
        # boto3 takes the Raw data as bytes (or text, sent as UTF-8); moto keeps the message as text.
        text = (data.encode("utf-8") if isinstance(data, str) else bytes(data)).decode("utf-8")

        def call() -> dict[str, Any]:
            message = sesv2_backends[account][region].send_raw_email(
                source=params.get("FromEmailAddress"),  # type: ignore[arg-type] # moto takes None: From header
                destinations=recipients,
                raw_data=text,
            )
            return {"MessageId": message.id}

        return _service_errors(call)

    return {("sesv2", "SendEmail"): send_email}

"""The events queue (SQS): one canonical event per message, sent in batches of up to ten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from nurture.events import CanonicalEvent

_BATCH = 10
MAX_DELAY_SECONDS = 900  # SQS's limit for a message's own delay


class SqsEventQueue:
    def __init__(self, queue_url: str, client: SQSClient | Any) -> None:
        self._queue_url = queue_url
        self._client = client

    def send(self, events: Sequence[CanonicalEvent], *, delay_seconds: int = 0) -> None:
        """Queue every event or raise: a partial failure is an error (the store retries the delivery).
        ``delay_seconds`` (0 to 900, SQS's per-message delay) hides them from the consumer that long."""
        if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"delay_seconds: must be between 0 and {MAX_DELAY_SECONDS}, not {delay_seconds}")
        delay = {"DelaySeconds": delay_seconds} if delay_seconds else {}
        for start in range(0, len(events), _BATCH):
            chunk = events[start : start + _BATCH]
            entries: list[Any] = [
                {
                    "Id": str(index),
                    "MessageBody": event.model_dump_json(),
                    "MessageAttributes": {"type": {"DataType": "String", "StringValue": event.type}},
                    **delay,
                }
                for index, event in enumerate(chunk)
            ]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise DependencyUnavailable("events queue", str(exc)) from exc
            if answer.get("Failed"):
                codes = sorted({failure.get("Code", "?") for failure in answer["Failed"]})
                raise DependencyUnavailable("events queue", f"{len(answer['Failed'])} messages refused: {codes}")

"""The events queue adapter: SendMessageBatch in tens, and SQS's per-message delay when asked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nurture.adapters.sqs_events import SqsEventQueue
from nurture.errors import DependencyUnavailable
from nurture.profiles.refresh import refresh_event

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/events"
AT = datetime(2026, 6, 30, tzinfo=UTC)


class FakeSqs:
    def __init__(self, failed: int = 0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.failed = failed

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        assert QueueUrl == QUEUE
        self.batches.append(Entries)
        return {"Failed": [{"Id": "0", "Code": "InternalError"}] * self.failed}


EVENTS = [refresh_event(f"c{n:02d}", AT) for n in range(23)]


@pytest.mark.parametrize(("delay", "expected"), [(0, None), (1, 1), (900, 900)])
def test_events_go_ten_at_a_time_with_the_delay_asked(delay: int, expected: int | None) -> None:
    sqs = FakeSqs()
    SqsEventQueue(QUEUE, sqs).send(EVENTS, delay_seconds=delay)
    assert [len(batch) for batch in sqs.batches] == [10, 10, 3]
    assert {entry.get("DelaySeconds") for batch in sqs.batches for entry in batch} == {expected}
    assert sqs.batches[0][0]["MessageAttributes"]["type"]["StringValue"] == "contact.refresh"


@pytest.mark.parametrize("delay", [-1, 901])
def test_a_delay_sqs_would_refuse_is_refused_before_any_send(delay: int) -> None:
    sqs = FakeSqs()
    with pytest.raises(ValueError, match="delay_seconds: must be between 0 and 900"):
        SqsEventQueue(QUEUE, sqs).send(EVENTS, delay_seconds=delay)
    assert sqs.batches == []


def test_a_partial_failure_is_an_error() -> None:
    with pytest.raises(DependencyUnavailable, match=r"1 messages refused: \['InternalError'\]"):
        SqsEventQueue(QUEUE, FakeSqs(failed=1)).send(EVENTS[:2])

"""Score alerts to the stack's ScoreAlertsTopic (SNS): one JSON message per upward crossing of a
threshold the scoring model lists in ``notify`` (docs/scoring.md, "Score alerts").

Delivery is at least once: ProcessFunction publishes when it applies the ``score.crossed`` event
and again should that record be redelivered (a crash after the publish), so every message carries
the event's id (also as the ``event_id`` message attribute) for subscribers to drop repeats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable

_DEPENDENCY = "score alerts topic"


class SnsScoreAlerts:
    def __init__(self, topic_arn: str, client: Callable[[], Any] | Any) -> None:
        self._topic_arn = topic_arn
        # A callable makes the client on the first alert: most invocations never publish one.
        self._client_of: Callable[[], Any] = client if callable(client) else lambda: client

    def publish(self, alert: Mapping[str, Any], *, event_id: str) -> None:
        try:
            self._client_of().publish(
                TopicArn=self._topic_arn,
                Subject=f"Nurture: {alert.get('score')} score reached {alert.get('threshold')}",
                Message=json.dumps(alert, sort_keys=True),
                MessageAttributes={
                    "event_id": {"DataType": "String", "StringValue": event_id},
                    "type": {"DataType": "String", "StringValue": str(alert.get("type"))},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, type(exc).__name__) from exc

"""Webhook deliveries already received, so that a store's retry is acknowledged, not reprocessed.

One item per key of ``nurture.capture.intake.DeliveryLog`` (``delivery:<id>`` or ``body:<hash>``),
within its source and store: ``pk = WEBHOOK#<sha256 of source, store and key>`` (a fixed length,
whatever the headers held; two WooCommerce sites may number their deliveries alike).
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Shopify retries for 4 hours and WooCommerce for less; a week leaves a wide margin. The same
# window is the content dedupe window (docs/webhooks.md, "Replays").
DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600


class DynamoDbDeliveryLog:
    def __init__(self, table_name: str, client: DynamoDBClient | Any, *, clock: Any = time.time) -> None:
        self._table = table_name
        self._client = client
        self._clock = clock

    @staticmethod
    def _key(source: str, store: str, key: str) -> dict[str, Any]:
        identity = "\x1f".join((source, store, key)).encode("utf-8", "surrogatepass")
        return {"pk": {"S": f"WEBHOOK#{hashlib.sha256(identity).hexdigest()}"}, "sk": {"S": "WEBHOOK"}}

    def seen(self, source: str, store: str, key: str) -> bool:
        try:
            answer = self._client.get_item(
                TableName=self._table, Key=self._key(source, store, key), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("delivery log", str(exc)) from exc
        item = answer.get("Item")
        # An expired item may linger until DynamoDB's TTL sweep removes it.
        return item is not None and int(item["expires_at"]["N"]) > self._clock()

    def remember(self, source: str, store: str, key: str) -> None:
        now = int(self._clock())
        item = {
            **self._key(source, store, key),
            "source": {"S": source},
            "received_at": {"N": str(now)},
            "expires_at": {"N": str(now + DELIVERY_MEMORY_SECONDS)},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("delivery log", str(exc)) from exc

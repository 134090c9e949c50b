"""Webhook deliveries already received, so that a store's retry is acknowledged, not reprocessed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from nurture.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Shopify retries for 4 hours and WooCommerce for less; a week leaves a wide margin.
DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600


class DynamoDbDeliveryLog:
    def __init__(self, table_name: str, client: DynamoDBClient | Any, *, clock: Any = time.time) -> None:
        self._table = table_name
        self._client = client
        self._clock = clock

    @staticmethod
    def _key(source: str, delivery_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"WEBHOOK#{source}#{delivery_id}"}, "sk": {"S": "WEBHOOK"}}

    def seen(self, source: str, delivery_id: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client.get_item(
                TableName=self._table, Key=self._key(source, delivery_id), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("delivery log", str(exc)) from exc
        item = answer.get("Item")
        # An expired item may linger until DynamoDB's TTL sweep removes it.
        return item is not None and int(item["expires_at"]["N"]) > self._clock()

    def remember(self, source: str, delivery_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        now = int(self._clock())
        item = {
            **self._key(source, delivery_id),
            "received_at": {"N": str(now)},
            "expires_at": {"N": str(now + DELIVERY_MEMORY_SECONDS)},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("delivery log", str(exc)) from exc

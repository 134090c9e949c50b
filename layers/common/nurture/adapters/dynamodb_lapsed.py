"""NurtureTable for the daily lapsed scan: the sparse ``lapsed`` index and the scan's cursor.

Index ``lapsed`` (template.yaml): HASH ``last_order_day`` (S, ``YYYY-MM-DD``), RANGE ``pk``,
KEYS_ONLY. Only profile items carry ``last_order_day``, so a day's partition lists exactly the
contacts whose last order fell on that day. The event needs the exact ``last_order_at``: it is read
from the profiles with BatchGetItem (strongly consistent, a projection of two attributes) rather
than projected into the index, which keeps the index at its keys and lets the scan see an order
placed after the index was read.

Cursor: ``pk = SCAN#lapsed`` (`nurture.adapters.dynamodb_scan_cursor`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_scan_cursor import DynamoDBScanCursor
from nurture.errors import DependencyUnavailable
from nurture.profiles.lapsed import LastOrder

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX = "lapsed"
_DEPENDENCY = "DynamoDB"
_BATCH_GET = 100  # BatchGetItem's limit
_UNPROCESSED_ROUNDS = 5  # then the run fails and the next one resumes from the cursor


class DynamoDBLapsedIndex(DynamoDBScanCursor):
    def __init__(
        self,
        table: str,
        client: DynamoDBClient | Any,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(table, client, name="lapsed", clock=clock)
        self._sleep = sleep

    def contacts_on(self, day: date) -> list[str]:
        ids: list[str] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "last_order_day = :day",
            "ExpressionAttributeValues": {":day": {"S": day.isoformat()}},
        }
        while True:
            try:
                answer = self._client.query(**arguments)
            except (ClientError, BotoCoreError) as exc:
                raise DependencyUnavailable(_DEPENDENCY, f"Query: {type(exc).__name__}") from exc
            ids.extend(
                item["pk"]["S"].removeprefix("CONTACT#")
                for item in answer.get("Items", [])
                if item.get("sk", {}).get("S") == "PROFILE"
            )
            if "LastEvaluatedKey" not in answer:
                return ids
            arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def last_orders(self, contact_ids: Sequence[str]) -> list[LastOrder]:
        orders: list[LastOrder] = []
        for start in range(0, len(contact_ids), _BATCH_GET):
            keys = [
                {"pk": {"S": f"CONTACT#{cid}"}, "sk": {"S": "PROFILE"}}
                for cid in contact_ids[start : start + _BATCH_GET]
            ]
            for item in self._batch_get(keys):
                contact_id, last_order_at = item.get("contact_id", {}).get("S"), item.get("last_order_at", {}).get("S")
                if contact_id and last_order_at:
                    orders.append(LastOrder(contact_id, datetime.fromisoformat(last_order_at)))
        return sorted(orders, key=lambda order: order.contact_id)

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            self._table: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": "contact_id, last_order_at",
            }
        }
        for round_ in range(_UNPROCESSED_ROUNDS):
            try:
                answer = self._client.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                raise DependencyUnavailable(_DEPENDENCY, f"BatchGetItem: {type(exc).__name__}") from exc
            items.extend(answer.get("Responses", {}).get(self._table, []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
            self._sleep(0.05 * 2**round_)  # throttled: back off before asking for the rest
        raise DependencyUnavailable(_DEPENDENCY, "BatchGetItem: keys left unprocessed")

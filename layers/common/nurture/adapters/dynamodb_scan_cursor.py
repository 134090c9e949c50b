"""The cursor item of a daily scan on NurtureTable (lapsed, birthday).

``pk = SCAN#<name>``, ``sk = CURSOR``; ``next_day`` (S, ``YYYY-MM-DD``) is the first day not scanned
yet, ``updated_at`` (S). Moved with a conditional update on the value read, so two runs at once never
move it backwards (the loser is told and stops).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY = "DynamoDB"


def cursor_key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"SCAN#{name}"}, "sk": {"S": "CURSOR"}}


class DynamoDBScanCursor:
    def __init__(self, table: str, client: DynamoDBClient | Any, *, name: str, clock: Callable[[], datetime]) -> None:
        self._table = table
        self._client = client
        self._clock = clock
        self._cursor_key = cursor_key(name)

    def cursor(self) -> date | None:
        try:
            item = self._client.get_item(TableName=self._table, Key=self._cursor_key, ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"GetItem: {type(exc).__name__}") from exc
        return date.fromisoformat(item["next_day"]["S"]) if item and "next_day" in item else None

    def advance(self, previous: date | None, to: date) -> bool:
        condition = "attribute_not_exists(next_day)" if previous is None else "next_day = :previous"
        values: dict[str, Any] = {":to": {"S": to.isoformat()}, ":now": {"S": self._clock().isoformat()}}
        if previous is not None:
            values[":previous"] = {"S": previous.isoformat()}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._cursor_key,
                UpdateExpression="SET next_day = :to, updated_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable(_DEPENDENCY, f"UpdateItem: {type(exc).__name__}") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"UpdateItem: {type(exc).__name__}") from exc
        return True

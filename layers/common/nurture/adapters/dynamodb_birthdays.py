"""NurtureTable for the daily birthday scan: the sparse ``birthday`` index and the scan's cursor.

Index ``birthday`` (template.yaml): HASH ``birthday_md`` (S, ``MM-DD``), RANGE ``pk``, projection
INCLUDE ``contact_id``, ``time_zone``, ``location``: what the scan needs to find the contact's zone
(`nurture.delivery.zones.recipient_zone`), so a run reads the index and nothing else. Only profile
items carry ``birthday_md``, so a partition lists exactly the contacts born on that day of the year.

Cursor: ``pk = SCAN#birthday`` (`nurture.adapters.dynamodb_scan_cursor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_errors import query_pages
from nurture.adapters.dynamodb_profile_items import PROFILE_SK
from nurture.adapters.dynamodb_scan_cursor import DynamoDBScanCursor
from nurture.errors import DependencyUnavailable
from nurture.profiles.birthdays import BirthdayEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX = "birthday"
_DEPENDENCY = "DynamoDB"


class DynamoDBBirthdayIndex(DynamoDBScanCursor):
    def __init__(self, table: str, client: DynamoDBClient | Any, *, clock: Callable[[], datetime]) -> None:
        super().__init__(table, client, name="birthday", clock=clock)

    def entries(self, month_day: str) -> list[BirthdayEntry]:
        request = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "birthday_md = :md",
            "ExpressionAttributeValues": {":md": {"S": month_day}},
        }
        found: list[BirthdayEntry] = []
        for page in query_pages(self._query, request):
            found.extend(
                _entry(item, month_day) for item in page.get("Items", []) if item.get("sk", {}).get("S") == PROFILE_SK
            )
        return sorted(found, key=lambda entry: entry.contact_id)

    def _query(self, **request: Any) -> Mapping[str, Any]:
        try:
            answer: Mapping[str, Any] = self._client.query(**request)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"Query: {type(exc).__name__}") from exc
        return answer


def _entry(item: Mapping[str, Any], month_day: str) -> BirthdayEntry:
    location = item.get("location", {}).get("M", {})
    return BirthdayEntry(
        contact_id=item["pk"]["S"].removeprefix("CONTACT#"),
        month_day=month_day,
        time_zone=item.get("time_zone", {}).get("S"),
        country_code=location.get("country_code", {}).get("S"),
    )

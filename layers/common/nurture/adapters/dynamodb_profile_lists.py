"""Lists and tags on the profile item (string sets ``lists`` / ``tags``), written by journeys.

``ProfileLists(table_name, client)``: ``add(contact_id, list=..., tag=...)`` and ``remove(...)`` are
one UpdateItem each (``ADD`` / ``DELETE`` on the sets: idempotent, and they never touch what the
profile store writes, so neither needs the profile's version). A contact without a profile item
is left alone (``False``): the update never creates a profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable
from nurture.profiles.errors import ProfileStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY = "profile store"
_RETRYABLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


class ProfileLists:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._client = client

    def add(self, contact_id: str, *, list: str | None = None, tag: str | None = None) -> bool:
        return self._update("ADD", contact_id, list, tag)

    def remove(self, contact_id: str, *, list: str | None = None, tag: str | None = None) -> bool:
        return self._update("DELETE", contact_id, list, tag)

    def _update(self, verb: str, contact_id: str, list_name: str | None, tag: str | None) -> bool:
        clauses: list[str] = []
        values: dict[str, Any] = {}
        if list_name is not None:
            clauses.append("lists :list")
            values[":list"] = {"SS": [list_name]}
        if tag is not None:
            clauses.append("tags :tag")
            values[":tag"] = {"SS": [tag]}
        if not clauses:
            raise ValueError("name a list or a tag")
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "PROFILE"}},
                UpdateExpression=f"{verb} " + ", ".join(clauses),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "ConditionalCheckFailedException":
                return False
            if code in _RETRYABLE_CODES:
                raise DependencyUnavailable(_DEPENDENCY, f"UpdateItem lists: {code}") from exc
            raise ProfileStoreError("UpdateItem lists", code) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"UpdateItem lists: {type(exc).__name__}") from exc
        return True

"""Lists and tags on the profile item (``CONTACT#<id>`` / ``PROFILE``: ``lists`` and ``tags``, string
sets), written by journeys' ``update`` steps and ``on_completion``, and the profile as a journey's
conditions see it (branches, waits in the contact's zone).

A change is ``ADD`` / ``DELETE`` on the sets: the same change twice (a retried task) leaves the same
sets, and it never races the profile's other attributes. DynamoDB refuses one expression that both
adds to and deletes from the same attribute, so such a change is two writes (removals first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_profile_items import profile_from_item, profile_key
from nurture.errors import DependencyUnavailable
from nurture.journeys.tasks import ListChanges
from nurture.journeys.views import profile_view

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY: Final = "profile store"


class DynamoDbProfileLists:
    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def apply(self, contact_id: str, changes: ListChanges) -> bool:
        """False when the profile does not exist (nothing written)."""
        removals = [("DELETE", "lists", changes.remove_lists), ("DELETE", "tags", changes.remove_tags)]
        additions = [("ADD", "lists", changes.add_lists), ("ADD", "tags", changes.add_tags)]
        conflicting = {name for _, name, names in removals if names} & {name for _, name, names in additions if names}
        batches = [removals, additions] if conflicting else [removals + additions]
        for batch in batches:
            if not self._write(contact_id, [(verb, name, names) for verb, name, names in batch if names]):
                return False
        return True

    def _write(self, contact_id: str, clauses: list[tuple[str, str, frozenset[str]]]) -> bool:
        if not clauses:
            return True
        parts: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for verb, name, names in clauses:
            placeholder = f":{verb.lower()}_{name}"
            parts.setdefault(verb, []).append(f"#{name} {placeholder}")
            values[placeholder] = {"SS": sorted(names)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=profile_key(contact_id),
                UpdateExpression=" ".join(f"{verb} {', '.join(items)}" for verb, items in parts.items()),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={f"#{name}": name for _, name, _ in clauses},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        return True


class DynamoDbProfileViews:
    """The profile as conditions see it, strongly consistent (a list just written is seen)."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | Any,
    ) -> None:
        self._table = table_name
        self._client = client

    def view(self, contact_id: str, *, now: datetime | None = None) -> Mapping[str, Any] | None:
        """The contact's profile view, its scores read at ``now`` (branch steps: the current score)."""
        try:
            answer = self._client.get_item(TableName=self._table, Key=profile_key(contact_id), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        item = answer.get("Item")
        if item is None:
            return None
        profile, _version = profile_from_item(item)
        return profile_view(profile, now=now)

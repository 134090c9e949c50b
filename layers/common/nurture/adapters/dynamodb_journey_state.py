"""The enrolment record as the journey step function reads and marks it (NurtureTable, docs/journeys.md
"Records"): ``pk = CONTACT#<contact_id>``, ``sk = ENROLMENT#<journey>#<key hash or contact>#<occurrence>``.

The router writes the record (``running``, the trigger's ``data``); this adapter only reads it and
moves it on, every write conditional on ``status = running`` so that an exit and a completion
racing each other leave one answer. ``data`` is a map (a JSON string is read too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from nurture.errors import DependencyUnavailable
from nurture.journeys.tasks import RUNNING, EnrolmentAddress, EnrolmentState
from nurture.messaging.claims import SendKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY: Final = "enrolment store"


def enrolment_key(address: EnrolmentAddress) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{address.contact_id}"}, "sk": {"S": address.sort_key}}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _data(attribute: Mapping[str, Any] | None) -> dict[str, Any]:
    if not attribute:
        return {}
    if "S" in attribute:  # stored as JSON text
        value = json.loads(attribute["S"])
        return value if isinstance(value, dict) else {}
    value = TypeDeserializer().deserialize(dict(attribute))  # type: ignore[arg-type]
    return dict(value) if isinstance(value, Mapping) else {}


class DynamoDbJourneyState:
    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def read(self, address: EnrolmentAddress) -> EnrolmentState | None:
        try:
            answer = self._client.get_item(TableName=self._table, Key=enrolment_key(address), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        item = answer.get("Item")
        if item is None:
            return None
        reason = item.get("reason", {}).get("S")
        return EnrolmentState(
            str(item["status"]["S"]), None if reason is None else str(reason), _data(item.get("data"))
        )

    def mark_completed(self, address: EnrolmentAddress, *, at: datetime) -> bool:
        return self._update(
            address,
            "SET #status = :completed, ended_at = :at REMOVE await_token, await_event, await_until",
            {":completed": {"S": "completed"}, ":at": {"S": _iso(at)}},
        )

    def mark_exited(self, address: EnrolmentAddress, *, reason: str, at: datetime) -> bool:
        return self._update(
            address,
            "SET #status = :exited, reason = :reason, ended_at = :at REMOVE await_token, await_event, await_until",
            {":exited": {"S": "exited"}, ":reason": {"S": reason}, ":at": {"S": _iso(at)}},
        )

    def store_await(self, address: EnrolmentAddress, *, token: str, event: str, until: datetime) -> bool:
        return self._update(
            address,
            "SET await_token = :token, await_event = :event, await_until = :until",
            {":token": {"S": token}, ":event": {"S": event}, ":until": {"S": _iso(until)}},
        )

    def data(self, key: SendKey) -> Mapping[str, Any] | None:
        """The enrolment's data for a send claim (the reconciler's re-send)."""
        address = EnrolmentAddress.from_id(key.journey, key.contact_id, key.enrolment)
        if address is None:
            return None
        state = self.read(address)
        return None if state is None else state.data

    def _update(self, address: EnrolmentAddress, update: str, values: dict[str, Any]) -> bool:
        """One UpdateItem conditional on ``running``; False when the enrolment is not (or not there)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=enrolment_key(address),
                UpdateExpression=update,
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={**values, ":running": {"S": RUNNING}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        return True

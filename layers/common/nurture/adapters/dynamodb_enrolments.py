"""Enrolment records on NurtureTable (docs/journeys.md, "Records").

Item: ``pk = CONTACT#<contact_id>``, ``sk = ENROLMENT#<journey>#<key hash or "contact">#<occurrence, 6 digits>``;
``item_type`` enrolment; journey, contact_id, enrolment_id, key (absent for 'contact'),
trigger_event_id, status (running|completed|exited), reason, started_at, ended_at: S; occurrence: N;
data: S (the trigger event as JSON, without its contact); await_token, await_event, await_until: S.

- `latest`: one Query, newest occurrence first, limit 1; `running`: one Query on ``ENROLMENT#``
  filtered on status (paginated); `get`: one GetItem, its sort key derived from the id
  (`nurture.journeys.enrolments.parse_enrolment_id`); `data`: `get`'s ``data`` for a send claim
  (the reconciler's re-send). All consistent reads.
- `create` is a conditional put (``attribute_not_exists``): False when it exists already.
- `mark_exited` / `mark_completed` / `store_await` change only a ``running`` enrolment and say
  whether they did; `clear_await` removes the token (only the one given, when given).

Throttling is ``DependencyUnavailable`` (retry later); other refusals are ``EnrolmentStoreError``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nurture.adapters.dynamodb_errors import call_store, conditional_store
from nurture.adapters.dynamodb_profile_items import iso
from nurture.errors import NurtureError
from nurture.journeys.enrolments import CONTACT_KEY, Enrolment, EnrolmentStatus, parse_enrolment_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from nurture.messaging.claims import SendKey

    Item = dict[str, AttributeValueTypeDef]

_DEPENDENCY = "enrolment store"
_STATUSES: dict[str, EnrolmentStatus] = {"running": "running", "completed": "completed", "exited": "exited"}


class EnrolmentStoreError(NurtureError):
    """The table refused an enrolment request for a reason retrying will not fix, or an enrolment
    item does not have the shape this code writes."""

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"enrolment store {operation} failed: {detail}")
        self.operation = operation
        self.detail = detail


def enrolment_sk(journey: str, key_hash: str | None, occurrence: int) -> str:
    return f"ENROLMENT#{journey}#{key_hash or CONTACT_KEY}#{occurrence:06d}"


def _key(contact_id: str, sk: str) -> Item:
    return {"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": sk}}


class EnrolmentRepository:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._client = client

    # ---- reads ----

    def latest(self, contact_id: str, journey: str, key_hash: str | None) -> Enrolment | None:
        """The newest occurrence of this journey for this key (None: never enrolled)."""
        prefix = f"ENROLMENT#{journey}#{key_hash or CONTACT_KEY}#"
        answer = self._call(
            "Query latest",
            self._client.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":prefix": {"S": prefix}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = answer.get("Items") or []
        return enrolment_from_item(items[0]) if items else None

    def running(self, contact_id: str) -> list[Enrolment]:
        """Every running enrolment of the contact."""
        found: list[Enrolment] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "#status = :running",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"CONTACT#{contact_id}"},
                ":prefix": {"S": "ENROLMENT#"},
                ":running": {"S": "running"},
            },
            "ConsistentRead": True,
        }
        while True:
            answer = self._call("Query running", self._client.query, **request)
            found.extend(enrolment_from_item(item) for item in answer.get("Items") or [])
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get(self, contact_id: str, enrolment_id: str) -> Enrolment | None:
        journey, hashed, occurrence = parse_enrolment_id(enrolment_id, contact_id)
        answer = self._call(
            "GetItem",
            self._client.get_item,
            TableName=self._table,
            Key=_key(contact_id, enrolment_sk(journey, hashed, occurrence)),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else enrolment_from_item(item)

    def data(self, key: SendKey) -> Mapping[str, Any] | None:
        """The data of the enrolment a send claim belongs to (`nurture.messaging.sending.EnrolmentData`);
        None when there is no such enrolment of that journey and contact."""
        try:
            journey, _, _ = parse_enrolment_id(key.enrolment, key.contact_id)
        except ValueError:
            return None
        enrolment = self.get(key.contact_id, key.enrolment) if journey == key.journey else None
        return None if enrolment is None else enrolment.data

    # ---- writes ----

    def create(self, enrolment: Enrolment) -> bool:
        """Write a new enrolment; False when one with its id exists already."""
        return self._conditional(
            "PutItem",
            self._client.put_item,
            TableName=self._table,
            Item=enrolment_item(enrolment),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def mark_exited(self, contact_id: str, enrolment_id: str, *, reason: str, at: datetime) -> bool:
        return self._end(contact_id, enrolment_id, "exited", at, reason)

    def mark_completed(self, contact_id: str, enrolment_id: str, *, at: datetime) -> bool:
        return self._end(contact_id, enrolment_id, "completed", at, None)

    def store_await(
        self, contact_id: str, enrolment_id: str, *, token: str, event: str, until: datetime | None
    ) -> bool:
        """Record that the execution waits for ``event`` (the router resumes it); running only."""
        values: dict[str, AttributeValueTypeDef] = {
            ":token": {"S": token},
            ":event": {"S": event},
            ":running": {"S": "running"},
        }
        expression = "SET await_token = :token, await_event = :event"
        if until is not None:
            expression += ", await_until = :until"
            values[":until"] = {"S": iso(until)}
        else:
            expression += " REMOVE await_until"
        return self._update_running("UpdateItem await", contact_id, enrolment_id, expression, values)

    def clear_await(self, contact_id: str, enrolment_id: str, *, token: str | None = None) -> bool:
        """Forget the wait (only when it is still for ``token``, when given): the event came or timed out."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key_of(contact_id, enrolment_id),
            "UpdateExpression": "REMOVE await_token, await_event, await_until",
            "ConditionExpression": "attribute_exists(pk)",
        }
        if token is not None:
            request["ConditionExpression"] = "await_token = :token"
            request["ExpressionAttributeValues"] = {":token": {"S": token}}
        return self._conditional("UpdateItem clear await", self._client.update_item, **request)

    # ---- plumbing ----

    def _end(
        self, contact_id: str, enrolment_id: str, status: EnrolmentStatus, at: datetime, reason: str | None
    ) -> bool:
        values: dict[str, AttributeValueTypeDef] = {
            ":status": {"S": status},
            ":at": {"S": iso(at)},
            ":running": {"S": "running"},
        }
        expression = "SET #status = :status, ended_at = :at"
        if reason is not None:
            expression += ", reason = :reason"
            values[":reason"] = {"S": reason}
        # An ended enrolment awaits nothing: the router must not resume it.
        expression += " REMOVE await_token, await_event, await_until"
        return self._update_running("UpdateItem end", contact_id, enrolment_id, expression, values)

    def _update_running(
        self,
        operation: str,
        contact_id: str,
        enrolment_id: str,
        expression: str,
        values: dict[str, AttributeValueTypeDef],
    ) -> bool:
        """One UpdateItem of an enrolment that is still running (False when it is not, or is gone);
        ``values`` must bind ``:running``."""
        return self._conditional(
            operation,
            self._client.update_item,
            TableName=self._table,
            Key=self._key_of(contact_id, enrolment_id),
            UpdateExpression=expression,
            ConditionExpression="#status = :running",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )

    @staticmethod
    def _key_of(contact_id: str, enrolment_id: str) -> Item:
        journey, hashed, occurrence = parse_enrolment_id(enrolment_id, contact_id)
        return _key(contact_id, enrolment_sk(journey, hashed, occurrence))

    def _conditional(self, operation: str, call: Any, **request: Any) -> bool:
        return conditional_store(_DEPENDENCY, operation, EnrolmentStoreError, call, **request)

    def _call(self, operation: str, call: Any, **request: Any) -> Mapping[str, Any]:
        return call_store(_DEPENDENCY, operation, EnrolmentStoreError, call, **request)


def enrolment_item(enrolment: Enrolment) -> Item:
    item: Item = {
        **_key(enrolment.contact_id, enrolment_sk(enrolment.journey, enrolment.key_hash, enrolment.occurrence)),
        "item_type": {"S": "enrolment"},
        "journey": {"S": enrolment.journey},
        "contact_id": {"S": enrolment.contact_id},
        "enrolment_id": {"S": enrolment.enrolment_id},
        "occurrence": {"N": str(enrolment.occurrence)},
        "status": {"S": enrolment.status},
        "trigger_event_id": {"S": enrolment.trigger_event_id},
        "started_at": {"S": iso(enrolment.started_at)},
        "data": {"S": json.dumps(enrolment.data, separators=(",", ":"), sort_keys=True)},
    }
    optional: dict[str, str | None] = {
        "key": enrolment.key,
        "reason": enrolment.reason,
        "ended_at": iso(enrolment.ended_at) if enrolment.ended_at else None,
        "await_token": enrolment.await_token,
        "await_event": enrolment.await_event,
        "await_until": iso(enrolment.await_until) if enrolment.await_until else None,
    }
    item.update({name: {"S": value} for name, value in optional.items() if value is not None})
    return item


def enrolment_from_item(item: Mapping[str, Any]) -> Enrolment:
    def text(name: str) -> str | None:
        value = item.get(name)
        if value is None:
            return None
        if not isinstance(value, dict) or "S" not in value:
            raise EnrolmentStoreError("read", f"{name} is not a string")
        return str(value["S"])

    def required(name: str) -> str:
        value = text(name)
        if value is None:
            raise EnrolmentStoreError("read", f"{name} is missing")
        return value

    def instant(name: str) -> datetime | None:
        value = text(name)
        return None if value is None else datetime.fromisoformat(value)

    status = required("status")
    if status not in _STATUSES:
        raise EnrolmentStoreError("read", f"unknown status {status!r}")
    try:
        occurrence = int(item["occurrence"]["N"])
        data = json.loads(text("data") or "{}")
        started_at = datetime.fromisoformat(required("started_at"))
    except (KeyError, TypeError, ValueError) as exc:
        raise EnrolmentStoreError("read", f"malformed enrolment item ({type(exc).__name__})") from None
    return Enrolment(
        journey=required("journey"),
        contact_id=required("contact_id"),
        occurrence=occurrence,
        key=text("key"),
        trigger_event_id=required("trigger_event_id"),
        started_at=started_at,
        status=_STATUSES[status],
        reason=text("reason"),
        ended_at=instant("ended_at"),
        data=data if isinstance(data, dict) else {},
        await_token=text("await_token"),
        await_event=text("await_event"),
        await_until=instant("await_until"),
    )

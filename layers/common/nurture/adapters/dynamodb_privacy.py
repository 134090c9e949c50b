"""NurtureTable for privacy requests (`nurture.privacy.requests.PrivacyStore`; docs/privacy.md).

Items it reads and deletes: the partition ``CONTACT#<contact_id>`` (Query, consistent, paginated;
BatchWriteItem deletes, 25 keys a request, unprocessed keys re-sent with backoff) and the identity
items ``IDENTITY#…`` / ``IDENTITY`` (GetItem; DeleteItem conditioned on ``contact_id``, so an
identity that points at another contact now is left alone). Deleting the profile item deletes the
contact's segment member items with it (``SEGMENT#<segment>#<shard>`` / ``CONTACT#<contact_id>``,
one per segment its ``segments`` attribute names: docs/scoring.md).

Items it owns:

erasure      pk ``ERASURE#<contact_id>``, sk ``ERASURE``: ``item_type`` erasure, contact_id,
             started_at: S; identity_keys: SS (the identity items still to delete); suppressions:
             M {<suppression key>: S reason, "" to keep an existing item only}. Written before
             anything is deleted, deleted last: an erasure that crashed is finished from it.
suppression  pk ``SUPPRESSION#<hash>``: the hash is the keyed `suppression_hash` (hex) of the
             normalised address (email lower-cased, phone in E.164), under ``suppression_key``, the
             key every function that reads or writes the list is given. Any sort key: every item
             of the partition is kept, with the attributes that could name the contact
             (`PERSONAL_ATTRIBUTES`) removed (UpdateItem ``REMOVE``). One this adapter creates (only
             for a contact who complained or bounced for good, when none exists) has sk
             ``SUPPRESSION`` and holds item_type, reason, suppressed_at, source (``erasure``): nothing else.

claimed code pk ``CODEPOOL#<pool>``, sk ``CLAIMED#<code>`` (``nurture.adapters.dynamodb_codes``),
             found from the contact's ``OFFER#`` items: ``contact_id`` removed (UpdateItem,
             conditioned on it), the item kept so the code is never handed out again.

Throttling is ``DependencyUnavailable`` (retry later: every step is idempotent); other refusals are
``PrivacyStoreError``. Attribute values come back as plain values: numbers as int, or as text when
not whole (no float rounding), sets as sorted lists, binary as base64 text.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.types import Binary, TypeDeserializer

from nurture.adapters.dynamodb_codes import claimed_key
from nurture.adapters.dynamodb_errors import call_store, conditional_store
from nurture.adapters.dynamodb_profile_items import (
    IDENTITY_SK,
    PROFILE_SK,
    contact_pk,
    customer_identity,
    email_identity,
    identity_key,
    iso,
    phone_identity,
    profile_key,
    segment_member_key,
)
from nurture.delivery.suppression import suppression_hash
from nurture.errors import DependencyUnavailable, NurtureError
from nurture.privacy.requests import ErasureMarker, HeldItem, Identifiers, IdentityKey, SuppressionOutcome
from nurture.profiles.model import StoreCustomer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = dict[str, AttributeValueTypeDef]

_DEPENDENCY = "privacy store"
ERASURE_SK = "ERASURE"
SUPPRESSION_SK = "SUPPRESSION"
BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_BATCH_ATTEMPTS = 8
# Attributes a suppression item must not keep once its contact is erased.
PERSONAL_ATTRIBUTES = frozenset(
    {"contact_id", "email", "address", "phone", "number", "recipient", "destination", "first_name", "last_name", "name"}
)
_deserializer = TypeDeserializer()


class PrivacyStoreError(NurtureError):
    """The table refused a privacy request's call for a reason retrying will not fix."""

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"privacy store {operation} failed: {detail}")
        self.operation = operation
        self.detail = detail


def erasure_key(contact_id: str) -> Item:
    return {"pk": {"S": f"ERASURE#{contact_id}"}, "sk": {"S": ERASURE_SK}}


def plain(value: Any) -> Any:
    """A deserialised DynamoDB value as JSON-ready data."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, Binary):
        wrapped: Any = value  # the stubs do not declare Binary.value
        return base64.b64encode(wrapped.value).decode("ascii")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted((plain(element) for element in value), key=lambda element: (str(type(element)), element))
    if isinstance(value, list):
        return [plain(element) for element in value]
    if isinstance(value, dict):
        return {str(name): plain(element) for name, element in value.items()}
    return value


def plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: plain(_deserializer.deserialize(value)) for name, value in item.items()}


class DynamoDbPrivacyStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        suppression_key: bytes | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``suppression_key`` None: a store that reads (an export, `nurture contact show`) and
        never hashes an address for the suppression list (an erasure needs the key)."""
        self._table = table_name
        self._client = client
        self._key = suppression_key
        self._sleep = sleep

    # ---- the contact's partition ----

    def contact_items(self, contact_id: str) -> list[HeldItem]:
        return [
            HeldItem(sk=str(item["sk"]["S"]), attributes=plain_item(item))
            for item in self._query("Query contact", contact_pk(contact_id))
        ]

    def delete_contact_items(self, contact_id: str, sort_keys: Sequence[str]) -> None:
        keys: list[Item] = [{"pk": {"S": contact_pk(contact_id)}, "sk": {"S": sk}} for sk in sorted(set(sort_keys))]
        if PROFILE_SK in sort_keys:  # its segments' member items name the contact: they go first
            keys[:0] = [segment_member_key(segment, contact_id) for segment in self._segments_of(contact_id)]
        for start in range(0, len(keys), BATCH_SIZE):
            self._delete_batch(keys[start : start + BATCH_SIZE])

    def _segments_of(self, contact_id: str) -> list[str]:
        answer = self._call(
            "GetItem profile segments",
            self._client.get_item,
            TableName=self._table,
            Key=profile_key(contact_id),
            ProjectionExpression="#segments",
            ExpressionAttributeNames={"#segments": "segments"},  # a reserved word
            ConsistentRead=True,
        )
        segments = (answer.get("Item") or {}).get("segments", {}).get("M", {})
        return sorted(segments)

    def _delete_batch(self, keys: list[Item]) -> None:
        requests: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys]
        for attempt in range(MAX_BATCH_ATTEMPTS):
            answer = self._call("BatchWriteItem", self._client.batch_write_item, RequestItems={self._table: requests})
            requests = list((answer.get("UnprocessedItems") or {}).get(self._table) or [])
            if not requests:
                return
            self._sleep(min(2.0, 0.05 * 2**attempt))
        raise DependencyUnavailable(_DEPENDENCY, "BatchWriteItem: unprocessed items after retries")

    # ---- identities ----

    def identity_keys(self, identifiers: Identifiers) -> list[IdentityKey]:
        keys = [IdentityKey(email_identity(email).pk, "email", email) for email in sorted(identifiers.emails)]
        keys += [IdentityKey(phone_identity(phone).pk, "phone", phone) for phone in sorted(identifiers.phones)]
        keys += [
            IdentityKey(customer_identity(StoreCustomer(*customer)).pk, "customer", "/".join(customer))
            for customer in sorted(identifiers.customers)
        ]
        return keys

    def identity(self, key: str) -> Mapping[str, Any] | None:
        answer = self._call(
            "GetItem identity",
            self._client.get_item,
            TableName=self._table,
            Key=identity_key(key),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else plain_item(item)

    def delete_identity(self, key: str, contact_id: str) -> bool:
        """Delete the identity item if it points at the contact; False when it does not (or is gone)."""
        return self._conditional(
            "DeleteItem identity",
            self._client.delete_item,
            TableName=self._table,
            Key={"pk": {"S": key}, "sk": {"S": IDENTITY_SK}},
            ConditionExpression="contact_id = :contact",
            ExpressionAttributeValues={":contact": {"S": contact_id}},
        )

    # ---- the erasure marker ----

    def erasure(self, contact_id: str) -> ErasureMarker | None:
        answer = self._call(
            "GetItem erasure",
            self._client.get_item,
            TableName=self._table,
            Key=erasure_key(contact_id),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if item is None:
            return None
        values = plain_item(item)
        try:
            return ErasureMarker(
                contact_id=contact_id,
                started_at=datetime.fromisoformat(str(values["started_at"])),
                identity_keys=frozenset(str(key) for key in values.get("identity_keys") or []),
                suppressions={str(key): str(reason) for key, reason in (values.get("suppressions") or {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PrivacyStoreError("GetItem erasure", f"malformed erasure item ({type(exc).__name__})") from None

    def save_erasure(self, marker: ErasureMarker) -> None:
        item: Item = {
            **erasure_key(marker.contact_id),
            "item_type": {"S": "erasure"},
            "contact_id": {"S": marker.contact_id},
            "started_at": {"S": iso(marker.started_at)},
            "suppressions": {"M": {key: {"S": reason} for key, reason in sorted(marker.suppressions.items())}},
        }
        if marker.identity_keys:
            item["identity_keys"] = {"SS": sorted(marker.identity_keys)}
        self._call("PutItem erasure", self._client.put_item, TableName=self._table, Item=item)

    def end_erasure(self, contact_id: str) -> None:
        self._call("DeleteItem erasure", self._client.delete_item, TableName=self._table, Key=erasure_key(contact_id))

    # ---- suppression ----

    def suppression_key(self, kind: Literal["email", "phone"], value: str) -> str:
        if self._key is None:
            raise PrivacyStoreError("suppression key", "this store was opened without the suppression key")
        normalised = value.strip().lower() if kind == "email" else value.strip()
        return f"SUPPRESSION#{suppression_hash(normalised, self._key)}"

    def keep_suppression(self, key: str, reason: str, at: datetime) -> SuppressionOutcome:
        """Keep every item of the suppression partition without what names the contact; create one
        (key, reason, time) when there is none and ``reason`` says the contact must stay suppressed."""
        items = self._query("Query suppression", key)
        if not items:
            if not reason:
                return "absent"
            created = self._conditional_put(key, reason, at)
            return "created" if created else self.keep_suppression(key, "", at)
        outcome: SuppressionOutcome = "kept"
        for item in items:
            personal = sorted(PERSONAL_ATTRIBUTES & set(item))
            if not personal:
                continue
            names = {f"#a{index}": name for index, name in enumerate(personal)}
            scrubbed = self._conditional(
                "UpdateItem suppression",
                self._client.update_item,
                TableName=self._table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="REMOVE " + ", ".join(names),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
            )
            if not scrubbed:  # removed meanwhile: nothing to keep
                continue
            outcome = "scrubbed"
        return outcome

    def _conditional_put(self, key: str, reason: str, at: datetime) -> bool:
        return self._conditional(
            "PutItem suppression",
            self._client.put_item,
            TableName=self._table,
            Item={
                "pk": {"S": key},
                "sk": {"S": SUPPRESSION_SK},
                "item_type": {"S": "suppression"},
                "reason": {"S": reason},
                "suppressed_at": {"S": iso(at)},
                "source": {"S": "erasure"},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    # ---- discount codes ----

    def anonymise_claimed_code(self, pool: str, code: str, contact_id: str) -> bool:
        """Remove the contact from the pool's claimed item of the code (UpdateItem ``REMOVE``,
        conditioned on the contact id: idempotent); the item stays, the code claimed."""
        return self._conditional(
            "UpdateItem claimed code",
            self._client.update_item,
            TableName=self._table,
            Key=claimed_key(pool, code),
            UpdateExpression="REMOVE contact_id",
            ConditionExpression="contact_id = :contact",
            ExpressionAttributeValues={":contact": {"S": contact_id}},
        )

    # ---- plumbing ----

    def _query(self, operation: str, pk: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        found: list[dict[str, Any]] = []
        while True:
            answer = self._call(operation, self._client.query, **request)
            found.extend(answer.get("Items") or [])
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _call(self, operation: str, call: Any, **request: Any) -> Mapping[str, Any]:
        return call_store(_DEPENDENCY, operation, PrivacyStoreError, call, **request)

    def _conditional(self, operation: str, call: Any, **request: Any) -> bool:
        return conditional_store(_DEPENDENCY, operation, PrivacyStoreError, call, **request)

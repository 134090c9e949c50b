"""A fast, faithful, in-memory DynamoDB for the local runtime (development only, never shipped).

``DynamoDBEngine.handle(operation, params)`` takes exactly what a boto3 *client* call receives (the
botocore operation name and its parameters, attribute values in wire format) and returns what the
client would return, without ResponseMetadata; errors are `DynamoDBServiceError` with the wire
error code. `nurture_local.aws.routing.route_dynamodb_to` puts it under real boto3 clients.

Storage: per table, partitions keyed by the partition key's value; each partition keeps its sort
keys in a sorted list (bisect) beside a dict of records, so a Query costs O(log n + k) and a write
O(log n) plus the item's own size. Secondary indexes are the same structure, keyed by the index key
then the table key, and are maintained on every write; an item without an index's key attributes
is not in that index (sparse). Every item that goes in or comes out is copied, item by item: a
caller never holds a reference into the engine.

Deliberate differences from the service (see also ``UnsupportedByEngine``):

- Every read is strongly consistent; ConsistentRead is accepted (and refused on a GSI, as AWS does).
- TTL settings are recorded, expired items are not deleted (DynamoDB's own sweep is only
  "typically within a few days", so callers must filter on the attribute anyway).
- TransactWriteItems' ClientRequestToken is accepted and ignored (no idempotency window).
- No capacity accounting, throttling or item collection metrics: ReturnConsumedCapacity and
  ReturnItemCollectionMetrics other than NONE raise `UnsupportedByEngine`.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nurture_local.aws.dynamodb_expressions import (
    Between,
    Call,
    Compare,
    Context,
    Logical,
    Parsed,
    Path,
    Value,
    apply_update,
    check_projection_overlap,
    evaluate,
    parse_condition,
    parse_projection,
    parse_update,
    project,
)
from nurture_local.aws.dynamodb_values import (
    MAX_ITEM_BYTES,
    AttributeValue,
    DynamoDBServiceError,
    Item,
    UnsupportedByEngine,
    copy_item,
    ingest_item,
    ingest_value,
    item_size,
    scalar_key,
    validation,
)

__all__ = ["DynamoDBEngine", "DynamoDBServiceError", "UnsupportedByEngine"]

_PAGE_BYTES = 1024 * 1024
_ACCOUNT = "123456789012"


class _Top:
    """Sorts after every value: the upper bound of "all sort tuples that start with v"."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return not isinstance(other, _Top)


_TOP = _Top()


class _Record:
    __slots__ = ("item", "size")

    def __init__(self, item: Item, size: int) -> None:
        self.item = item
        self.size = size


class _Bucket:
    """One partition: sort tuples in order, and the records by sort tuple."""

    __slots__ = ("order", "records")

    def __init__(self) -> None:
        self.order: list[tuple[Any, ...]] = []
        self.records: dict[tuple[Any, ...], _Record] = {}

    def put(self, key: tuple[Any, ...], record: _Record) -> None:
        if key not in self.records:
            insort(self.order, key)
        self.records[key] = record

    def remove(self, key: tuple[Any, ...]) -> None:
        if self.records.pop(key, None) is not None:
            del self.order[bisect_left(self.order, key)]


@dataclass(frozen=True, slots=True)
class _KeySchema:
    hash_name: str
    hash_type: str
    range_name: str | None
    range_type: str | None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)


@dataclass
class _Index:
    name: str
    kind: str  # "GSI" or "LSI"
    key: _KeySchema
    description: dict[str, Any]
    projection_type: str
    non_key: frozenset[str]
    partitions: dict[Any, _Bucket] = field(default_factory=dict)
    count: int = 0


@dataclass
class _Table:
    name: str
    key: _KeySchema
    attribute_definitions: list[dict[str, str]]
    key_schema: list[dict[str, str]]
    indexes: dict[str, _Index]
    created: datetime
    billing_mode: str
    partitions: dict[Any, _Bucket] = field(default_factory=dict)
    count: int = 0
    size: int = 0
    ttl: dict[str, Any] | None = None

    def sort_tuple(self, item: Item) -> tuple[Any, ...]:
        if self.key.range_name is None:
            return ()
        return (scalar_key(item[self.key.range_name]),)

    def index_entry(self, index: _Index, item: Item) -> tuple[Any, tuple[Any, ...]] | None:
        """(partition value, sort tuple) of ``item`` in ``index``, None when the item is not in it."""
        hash_value = item.get(index.key.hash_name)
        if hash_value is None:
            return None
        head: tuple[Any, ...] = ()
        if index.key.range_name is not None:
            range_value = item.get(index.key.range_name)
            if range_value is None:
                return None
            head = (scalar_key(range_value),)
        return scalar_key(hash_value), (*head, scalar_key(item[self.key.hash_name]), *self.sort_tuple(item))


def _key_schema(key_schema: Sequence[Mapping[str, str]], types: Mapping[str, str], where: str) -> _KeySchema:
    hashes = [entry["AttributeName"] for entry in key_schema if entry.get("KeyType") == "HASH"]
    ranges = [entry["AttributeName"] for entry in key_schema if entry.get("KeyType") == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1 or len(key_schema) != len(hashes) + len(ranges):
        raise validation(f"1 validation error detected: Invalid KeySchema for {where}")
    for name in hashes + ranges:
        if name not in types:
            raise validation(
                "One or more parameter values were invalid: Some index key attributes are not defined in "
                f"AttributeDefinitions. Keys: [{name}], AttributeDefinitions: {sorted(types)}"
            )
        if types[name] not in ("S", "N", "B"):
            raise validation(f"Invalid key attribute type {types[name]} for {name}")
    range_name = ranges[0] if ranges else None
    return _KeySchema(hashes[0], types[hashes[0]], range_name, None if range_name is None else types[range_name])


def _not_found(what: str = "Requested resource not found") -> DynamoDBServiceError:
    return DynamoDBServiceError("ResourceNotFoundException", what)


def _check_supported(operation: str, params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise UnsupportedByEngine(f"DynamoDBEngine: {operation} parameter {name} is not supported")
    for name in ("ReturnConsumedCapacity", "ReturnItemCollectionMetrics"):
        if params.get(name, "NONE") != "NONE":
            raise UnsupportedByEngine(f"DynamoDBEngine: {operation} {name}={params[name]} is not supported")


_COMMON = frozenset({"TableName", "ReturnConsumedCapacity"})
_WRITE = _COMMON | {
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnValues",
    "ReturnValuesOnConditionCheckFailure",
    "ReturnItemCollectionMetrics",
}
_ALLOWED = {
    "GetItem": _COMMON | {"Key", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames"},
    "PutItem": _WRITE | {"Item"},
    "UpdateItem": _WRITE | {"Key", "UpdateExpression"},
    "DeleteItem": _WRITE | {"Key"},
    "Query": _COMMON
    | {
        "IndexName",
        "KeyConditionExpression",
        "FilterExpression",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "ScanIndexForward",
        "Limit",
        "ExclusiveStartKey",
        "Select",
        "ConsistentRead",
    },
    "Scan": _COMMON
    | {
        "IndexName",
        "FilterExpression",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "Limit",
        "ExclusiveStartKey",
        "Select",
        "ConsistentRead",
        "Segment",
        "TotalSegments",
    },
    "TransactWriteItems": frozenset(
        {"TransactItems", "ClientRequestToken", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"}
    ),
    "TransactGetItems": frozenset({"TransactItems", "ReturnConsumedCapacity"}),
    "BatchGetItem": frozenset({"RequestItems", "ReturnConsumedCapacity"}),
    "BatchWriteItem": frozenset({"RequestItems", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"}),
    "DescribeTable": frozenset({"TableName"}),
    "DeleteTable": frozenset({"TableName"}),
    "ListTables": frozenset({"ExclusiveStartTableName", "Limit"}),
    "UpdateTimeToLive": frozenset({"TableName", "TimeToLiveSpecification"}),
    "DescribeTimeToLive": frozenset({"TableName"}),
    # Capacity, encryption, tags and deletion protection change nothing an in-memory table does.
    "CreateTable": frozenset(
        {
            "TableName",
            "KeySchema",
            "AttributeDefinitions",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "BillingMode",
            "ProvisionedThroughput",
            "Tags",
            "SSESpecification",
            "TableClass",
            "DeletionProtectionEnabled",
            "StreamSpecification",
            "OnDemandThroughput",
            "WarmThroughput",
        }
    ),
}


@dataclass
class _Request:
    """A single-item write, validated and ready to evaluate against the current item."""

    table: _Table
    key: Item
    hash_value: Any
    sort: tuple[Any, ...]
    condition: Parsed | None
    context: Context
    return_on_failure: bool
    action: str  # Put, Update, Delete, ConditionCheck
    record: _Record | None = None  # Put: the checked item
    update: Parsed | None = None


def _placeholders(
    expressions: Iterable[Parsed | None],
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> Context:
    """Check the request's placeholders as DynamoDB does (undefined and unused are both refused)."""
    used_names: set[str] = set()
    used_values: set[str] = set()
    any_expression = False
    for parsed in expressions:
        if parsed is None:
            continue
        any_expression = True
        used_names |= parsed.names
        used_values |= parsed.values
    if names is not None:
        if not any_expression:
            raise validation("ExpressionAttributeNames can only be specified when using expressions")
        if not names:
            raise validation("ExpressionAttributeNames must not be empty")
    if values is not None:
        if not any_expression:
            raise validation("ExpressionAttributeValues can only be specified when using expressions")
        if not values:
            raise validation("ExpressionAttributeValues must not be empty")
    provided_names = set(names or ())
    provided_values = set(values or ())
    for name in sorted(used_names - provided_names):
        raise validation(
            f"An expression attribute name used in the document path is not defined; attribute name: {name}"
        )
    for value in sorted(used_values - provided_values):
        raise validation(f"An expression attribute value used in expression is not defined; attribute value: {value}")
    unused_names = provided_names - used_names
    if unused_names:
        raise validation(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
            + ", ".join(sorted(unused_names))
            + "}"
        )
    unused_values = provided_values - used_values
    if unused_values:
        raise validation(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
            + ", ".join(sorted(unused_values))
            + "}"
        )
    ingested = {name: ingest_value(value) for name, value in (values or {}).items()}
    return Context(names, ingested)


def _optional(parse: Callable[[str], Parsed], text: Any) -> Parsed | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise validation("An expression must be a string")
    return parse(text)


class DynamoDBEngine:
    """In-memory DynamoDB tables answering boto3-client-shaped requests (see the module doc)."""

    def __init__(self, *, region: str = "us-east-1", account_id: str = _ACCOUNT) -> None:
        self._tables: dict[str, _Table] = {}
        self._region = region
        self._account = account_id
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "GetItem": self._get_item,
            "PutItem": self._put_item,
            "UpdateItem": self._update_item,
            "DeleteItem": self._delete_item,
            "Query": self._query,
            "Scan": self._scan,
            "TransactWriteItems": self._transact_write,
            "TransactGetItems": self._transact_get,
            "BatchGetItem": self._batch_get,
            "BatchWriteItem": self._batch_write,
            "DescribeTable": self._describe_table,
            "CreateTable": self._create_table_request,
            "DeleteTable": self._delete_table,
            "ListTables": self._list_tables,
            "UpdateTimeToLive": self._update_ttl,
            "DescribeTimeToLive": self._describe_ttl,
        }

    # ---- Tables ----

    def create_table(
        self,
        name: str,
        *,
        key_schema: Sequence[Mapping[str, str]],
        attribute_definitions: Sequence[Mapping[str, str]],
        global_secondary_indexes: Sequence[Mapping[str, Any]] = (),
        local_secondary_indexes: Sequence[Mapping[str, Any]] = (),
        billing_mode: str = "PAY_PER_REQUEST",
    ) -> None:
        """Create a table from CreateTable's parameter shapes (KeySchema, AttributeDefinitions, indexes)."""
        if name in self._tables:
            raise DynamoDBServiceError("ResourceInUseException", f"Table already exists: {name}")
        types = {entry["AttributeName"]: entry["AttributeType"] for entry in attribute_definitions}
        key = _key_schema(key_schema, types, "table")
        indexes: dict[str, _Index] = {}
        for kind, definitions in (("GSI", global_secondary_indexes), ("LSI", local_secondary_indexes)):
            for definition in definitions:
                index_name = definition["IndexName"]
                if index_name in indexes:
                    raise validation(f"Duplicate index name: {index_name}")
                index_key = _key_schema(definition["KeySchema"], types, index_name)
                if kind == "LSI" and (index_key.hash_name != key.hash_name or index_key.range_name is None):
                    raise validation(f"Local secondary index {index_name} must share the table's partition key")
                projection = dict(definition.get("Projection") or {"ProjectionType": "ALL"})
                projection_type = projection.get("ProjectionType", "ALL")
                if projection_type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
                    raise validation(f"Unknown ProjectionType {projection_type}")
                indexes[index_name] = _Index(
                    name=index_name,
                    kind=kind,
                    key=index_key,
                    description={
                        "IndexName": index_name,
                        "KeySchema": [dict(entry) for entry in definition["KeySchema"]],
                        "Projection": projection,
                    },
                    projection_type=projection_type,
                    non_key=frozenset(projection.get("NonKeyAttributes", ())),
                )
        used = set(key.names)
        for index in indexes.values():
            used.update(index.key.names)
        if set(types) != used:
            raise validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
                "number of attributes defined in AttributeDefinitions"
            )
        self._tables[name] = _Table(
            name=name,
            key=key,
            attribute_definitions=[dict(entry) for entry in attribute_definitions],
            key_schema=[dict(entry) for entry in key_schema],
            indexes=indexes,
            created=datetime.now(UTC),
            billing_mode=billing_mode,
        )

    def create_table_from_description(self, description: Mapping[str, Any]) -> None:
        """Create a table from a CreateTable request or a DescribeTable ``Table`` (e.g. one read from moto)."""
        self.create_table(
            description["TableName"],
            key_schema=description["KeySchema"],
            attribute_definitions=description["AttributeDefinitions"],
            global_secondary_indexes=description.get("GlobalSecondaryIndexes") or (),
            local_secondary_indexes=description.get("LocalSecondaryIndexes") or (),
            billing_mode=(description.get("BillingModeSummary") or {}).get(
                "BillingMode", description.get("BillingMode", "PAY_PER_REQUEST")
            ),
        )

    def table_names(self) -> list[str]:
        return sorted(self._tables)

    def _table(self, name: Any) -> _Table:
        table = self._tables.get(name) if isinstance(name, str) else None
        if table is None:
            raise _not_found("Requested resource not found" if isinstance(name, str) else "Missing TableName")
        return table

    # ---- Dispatch ----

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one botocore operation (``"GetItem"``, ...) with a client's parameters."""
        handler = self._operations.get(operation)
        if handler is None:
            raise UnsupportedByEngine(f"DynamoDBEngine: operation {operation} is not supported")
        _check_supported(operation, params, _ALLOWED[operation])
        return handler(params)

    # ---- Keys ----

    def _key(self, table: _Table, key: Any) -> tuple[Item, Any, tuple[Any, ...]]:
        if not isinstance(key, dict) or set(key) != set(table.key.names):
            raise validation("The provided key element does not match the schema")
        ingested = ingest_item(key)
        self._check_key_values(table, ingested)
        return ingested, scalar_key(ingested[table.key.hash_name]), table.sort_tuple(ingested)

    @staticmethod
    def _check_key_values(table: _Table, item: Item) -> None:
        for name, wanted in ((table.key.hash_name, table.key.hash_type), (table.key.range_name, table.key.range_type)):
            if name is None:
                continue
            value = item.get(name)
            if value is None:
                raise validation(f"One or more parameter values were invalid: Missing the key {name} in the item")
            actual = next(iter(value))
            if actual != wanted:
                raise validation(
                    f"One or more parameter values were invalid: Type mismatch for key {name} expected: {wanted} "
                    f"actual: {actual}"
                )
            if actual in ("S", "B") and len(value[actual]) == 0:
                raise validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                    f"contain an empty {'string' if actual == 'S' else 'binary'} value. Key: {name}"
                )

    @staticmethod
    def _check_index_values(table: _Table, item: Item) -> None:
        for index in table.indexes.values():
            for name, wanted in (
                (index.key.hash_name, index.key.hash_type),
                (index.key.range_name, index.key.range_type),
            ):
                if name is None or name not in item:
                    continue
                actual = next(iter(item[name]))
                if actual != wanted:
                    raise validation(
                        f"One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: "
                        f"{wanted} Actual: {actual} IndexName: {index.name}"
                    )
                if actual in ("S", "B") and len(item[name][actual]) == 0:
                    raise validation(
                        "One or more parameter values are not valid. A value specified for a secondary index key is "
                        "not supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                        f"IndexName: {index.name}, IndexKey: {name}"
                    )

    def _current(self, table: _Table, hash_value: Any, sort: tuple[Any, ...]) -> _Record | None:
        bucket = table.partitions.get(hash_value)
        return None if bucket is None else bucket.records.get(sort)

    def _checked_record(self, table: _Table, item: Item) -> _Record:
        self._check_key_values(table, item)
        self._check_index_values(table, item)
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise validation("Item size has exceeded the maximum allowed size")
        return _Record(item, size)

    def _store(self, table: _Table, hash_value: Any, sort: tuple[Any, ...], record: _Record | None) -> None:
        """Replace (or delete, with None) the item at this key, keeping every index in step."""
        bucket = table.partitions.get(hash_value)
        old = None if bucket is None else bucket.records.get(sort)
        if old is not None:
            for index in table.indexes.values():
                entry = table.index_entry(index, old.item)
                if entry is not None:
                    index_bucket = index.partitions[entry[0]]
                    index_bucket.remove(entry[1])
                    index.count -= 1
                    if not index_bucket.records:
                        del index.partitions[entry[0]]
            table.count -= 1
            table.size -= old.size
        if record is None:
            if bucket is not None and old is not None:
                bucket.remove(sort)
                if not bucket.records:
                    del table.partitions[hash_value]
            return
        if bucket is None:
            bucket = table.partitions[hash_value] = _Bucket()
        bucket.put(sort, record)
        table.count += 1
        table.size += record.size
        for index in table.indexes.values():
            entry = table.index_entry(index, record.item)
            if entry is not None:
                target = index.partitions.get(entry[0])
                if target is None:
                    target = index.partitions[entry[0]] = _Bucket()
                target.put(entry[1], record)
                index.count += 1

    # ---- Projections ----

    def _projection(self, parsed: Parsed | None, context: Context) -> list[tuple[Any, ...]] | None:
        if parsed is None:
            return None
        paths = [path.resolve(context.names) for path in parsed.tree]
        check_projection_overlap(paths)
        return paths

    @staticmethod
    def _output(item: Item, paths: list[tuple[Any, ...]] | None) -> Item:
        return copy_item(item) if paths is None else project(item, paths)

    # ---- Single-item operations ----

    def _get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(params.get("TableName"))
        _key, hash_value, sort = self._key(table, params.get("Key"))
        projection = _optional(parse_projection, params.get("ProjectionExpression"))
        context = _placeholders([projection], params.get("ExpressionAttributeNames"), None)
        paths = self._projection(projection, context)
        record = self._current(table, hash_value, sort)
        if record is None:
            return {}
        return {"Item": self._output(record.item, paths)}

    def _write_request(self, params: dict[str, Any], action: str) -> _Request:
        table = self._table(params.get("TableName"))
        condition = _optional(parse_condition, params.get("ConditionExpression"))
        update = _optional(parse_update, params.get("UpdateExpression")) if action == "Update" else None
        if action == "Update" and update is None:
            raise UnsupportedByEngine(
                "DynamoDBEngine: UpdateItem without UpdateExpression (AttributeUpdates) is not supported"
            )
        context = _placeholders(
            [condition, update], params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
        )
        on_failure = params.get("ReturnValuesOnConditionCheckFailure", "NONE")
        if on_failure not in ("NONE", "ALL_OLD"):
            raise validation(f"Invalid ReturnValuesOnConditionCheckFailure: {on_failure}")
        record: _Record | None = None
        if action == "Put":
            # The item's own checks (keys, index key types, size) come before any condition, as on AWS.
            record = self._checked_record(table, ingest_item(params.get("Item")))
            key = {name: record.item[name] for name in table.key.names}
            hash_value, sort = scalar_key(key[table.key.hash_name]), table.sort_tuple(key)
        else:
            key, hash_value, sort = self._key(table, params.get("Key"))
        return _Request(
            table, key, hash_value, sort, condition, context, on_failure == "ALL_OLD", action, record, update
        )

    def _evaluate(self, request: _Request) -> tuple[_Record | None, _Record | None, list[tuple[Any, ...]]]:
        """(old, new, updated paths) for a request; raises ConditionalCheckFailedException (with the
        old item when asked) when its condition is false. Nothing is stored."""
        old = self._current(request.table, request.hash_value, request.sort)
        old_item = None if old is None else old.item
        if request.condition is not None and not evaluate(request.condition.tree, old_item, request.context):
            extra: dict[str, Any] = {}
            if request.return_on_failure and old_item is not None:
                extra["Item"] = copy_item(old_item)
            raise DynamoDBServiceError("ConditionalCheckFailedException", "The conditional request failed", extra)
        if request.action == "Put":
            return old, request.record, []
        if request.action == "Delete":
            return old, None, []
        if request.action == "ConditionCheck":
            return old, old, []
        assert request.update is not None
        new_item, paths = apply_update(
            request.update, old_item, request.key, request.context, frozenset(request.table.key.names)
        )
        return old, self._checked_record(request.table, new_item), paths

    def _put_item(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._replace(params, "Put")

    def _delete_item(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._replace(params, "Delete")

    def _replace(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        """PutItem or DeleteItem: the old item (no longer stored, so not copied) with ALL_OLD."""
        returns = params.get("ReturnValues", "NONE")
        if returns not in ("NONE", "ALL_OLD"):
            raise validation("ReturnValues can only be ALL_OLD or NONE")
        request = self._write_request(params, action)
        old, new, _paths = self._evaluate(request)
        self._store(request.table, request.hash_value, request.sort, new)
        return {"Attributes": old.item} if returns == "ALL_OLD" and old is not None else {}

    def _update_item(self, params: dict[str, Any]) -> dict[str, Any]:
        returns = params.get("ReturnValues", "NONE")
        if returns not in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
            raise validation(f"Invalid ReturnValues: {returns}")
        request = self._write_request(params, "Update")
        old, new, paths = self._evaluate(request)
        self._store(request.table, request.hash_value, request.sort, new)
        # The stored records are never handed out: the old one is no longer reachable, the new one is copied.
        attributes: Item | None = None
        if returns == "ALL_OLD" and old is not None:
            attributes = old.item
        elif returns == "ALL_NEW" and new is not None:
            attributes = copy_item(new.item)
        elif returns == "UPDATED_OLD" and old is not None:
            attributes = project(old.item, paths)
        elif returns == "UPDATED_NEW" and new is not None:
            attributes = project(new.item, paths)
        return {"Attributes": attributes} if attributes else {}

    # ---- Transactions ----

    def _transact_write(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("TransactItems")
        if not isinstance(entries, list) or not entries:
            raise validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint")
        if len(entries) > 100:
            raise validation(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                "Member must have length less than or equal to 100"
            )
        requests: list[_Request] = []
        targets: set[tuple[str, Any, tuple[Any, ...]]] = set()
        for entry in entries:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
            ((action, body),) = entry.items()
            allowed = {
                "Put": _ALLOWED["PutItem"] - {"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"},
                "Update": _ALLOWED["UpdateItem"]
                - {"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"},
                "Delete": _ALLOWED["DeleteItem"]
                - {"ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"},
                "ConditionCheck": frozenset(
                    {
                        "TableName",
                        "Key",
                        "ConditionExpression",
                        "ExpressionAttributeNames",
                        "ExpressionAttributeValues",
                        "ReturnValuesOnConditionCheckFailure",
                    }
                ),
            }.get(action)
            if allowed is None:
                raise validation(f"Unknown TransactItems member {action}")
            _check_supported(f"TransactWriteItems {action}", body, allowed)
            if action == "ConditionCheck" and body.get("ConditionExpression") is None:
                raise validation("The ConditionCheck must have a ConditionExpression")
            request = self._write_request(body, action)
            target = (request.table.name, request.hash_value, request.sort)
            if target in targets:
                raise validation("Transaction request cannot include multiple operations on one item")
            targets.add(target)
            requests.append(request)
        outcomes: list[tuple[_Record | None, _Record | None]] = []
        reasons: list[dict[str, Any]] = []
        failed = False
        for request in requests:
            try:
                old, new, _paths = self._evaluate(request)
            except DynamoDBServiceError as error:
                failed = True
                if error.code == "ConditionalCheckFailedException":
                    reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": error.message}
                    if "Item" in error.extra:
                        reason["Item"] = error.extra["Item"]
                else:
                    reason = {"Code": "ValidationError", "Message": error.message}
                reasons.append(reason)
                outcomes.append((None, None))
                continue
            reasons.append({"Code": "None"})
            outcomes.append((old, new))
        if failed:
            codes = ", ".join(reason["Code"] for reason in reasons)
            raise DynamoDBServiceError(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                {"CancellationReasons": reasons},
            )
        for request, (_old, new) in zip(requests, outcomes, strict=True):
            if request.action != "ConditionCheck":
                self._store(request.table, request.hash_value, request.sort, new)
        return {}

    def _transact_get(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("TransactItems")
        if not isinstance(entries, list) or not entries or len(entries) > 100:
            raise validation("TransactItems must hold between 1 and 100 items")
        responses: list[dict[str, Any]] = []
        seen: set[tuple[str, Any, tuple[Any, ...]]] = set()
        gets = []
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != {"Get"}:
                raise validation("TransactGetItems can only contain Get")
            body = entry["Get"]
            _check_supported(
                "TransactGetItems Get",
                body,
                frozenset({"TableName", "Key", "ProjectionExpression", "ExpressionAttributeNames"}),
            )
            table = self._table(body.get("TableName"))
            _key, hash_value, sort = self._key(table, body.get("Key"))
            if (table.name, hash_value, sort) in seen:
                raise validation("Transaction request cannot include multiple operations on one item")
            seen.add((table.name, hash_value, sort))
            projection = _optional(parse_projection, body.get("ProjectionExpression"))
            context = _placeholders([projection], body.get("ExpressionAttributeNames"), None)
            gets.append((table, hash_value, sort, self._projection(projection, context)))
        for table, hash_value, sort, paths in gets:
            record = self._current(table, hash_value, sort)
            responses.append({} if record is None else {"Item": self._output(record.item, paths)})
        return {"Responses": responses}

    # ---- Batches ----

    def _batch_get(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("RequestItems")
        if not isinstance(requested, dict) or not requested:
            raise validation("RequestItems must not be empty")
        if sum(len(body.get("Keys") or ()) for body in requested.values()) > 100:
            raise validation("Too many items requested for the BatchGetItem call")
        responses: dict[str, list[Item]] = {}
        for table_name, body in requested.items():
            _check_supported(
                "BatchGetItem RequestItems",
                body,
                frozenset({"Keys", "ProjectionExpression", "ExpressionAttributeNames", "ConsistentRead"}),
            )
            table = self._table(table_name)
            projection = _optional(parse_projection, body.get("ProjectionExpression"))
            context = _placeholders([projection], body.get("ExpressionAttributeNames"), None)
            paths = self._projection(projection, context)
            keys = [self._key(table, key) for key in body.get("Keys") or ()]
            if not keys:
                raise validation("Keys must not be empty")
            if len({(hash_value, sort) for _key, hash_value, sort in keys}) != len(keys):
                raise validation("Provided list of item keys contains duplicates")
            found = responses.setdefault(table_name, [])
            for _key, hash_value, sort in keys:
                record = self._current(table, hash_value, sort)
                if record is not None:
                    found.append(self._output(record.item, paths))
        return {"Responses": responses, "UnprocessedKeys": {}}

    def _batch_write(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("RequestItems")
        if not isinstance(requested, dict) or not requested:
            raise validation("RequestItems must not be empty")
        if sum(len(entries) for entries in requested.values()) > 25:
            raise validation(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                "Map value must satisfy constraint: Member must have length less than or equal to 25"
            )
        writes: list[tuple[_Table, Any, tuple[Any, ...], _Record | None]] = []
        for table_name, entries in requested.items():
            table = self._table(table_name)
            seen: set[tuple[Any, tuple[Any, ...]]] = set()
            for entry in entries:
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise validation("A write request must hold exactly one of PutRequest or DeleteRequest")
                ((kind, body),) = entry.items()
                if kind == "PutRequest":
                    item = ingest_item(body.get("Item"))
                    record: _Record | None = self._checked_record(table, item)
                    hash_value, sort = scalar_key(item[table.key.hash_name]), table.sort_tuple(item)
                elif kind == "DeleteRequest":
                    _key, hash_value, sort = self._key(table, body.get("Key"))
                    record = None
                else:
                    raise validation(f"Unknown write request {kind}")
                if (hash_value, sort) in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add((hash_value, sort))
                writes.append((table, hash_value, sort, record))
        for table, hash_value, sort, record in writes:
            self._store(table, hash_value, sort, record)
        return {"UnprocessedItems": {}}

    # ---- Query and Scan ----

    def _read_plan(
        self, params: dict[str, Any], operation: str
    ) -> tuple[_Table, _Index | None, Context, Parsed | None, Parsed | None, list[tuple[Any, ...]] | None]:
        table = self._table(params.get("TableName"))
        index: _Index | None = None
        if params.get("IndexName") is not None:
            index = table.indexes.get(params["IndexName"])
            if index is None:
                raise validation(f"The table does not have the specified index: {params['IndexName']}")
            if index.kind == "GSI" and params.get("ConsistentRead"):
                raise validation("Consistent reads are not supported on global secondary indexes")
        key_condition = (
            _optional(
                lambda text: parse_condition(text, "KeyConditionExpression"), params.get("KeyConditionExpression")
            )
            if operation == "Query"
            else None
        )
        if operation == "Query" and key_condition is None:
            raise UnsupportedByEngine(
                "DynamoDBEngine: Query without KeyConditionExpression (KeyConditions) is not supported"
            )
        filter_ = _optional(lambda text: parse_condition(text, "FilterExpression"), params.get("FilterExpression"))
        projection = _optional(parse_projection, params.get("ProjectionExpression"))
        context = _placeholders(
            [key_condition, filter_, projection],
            params.get("ExpressionAttributeNames"),
            params.get("ExpressionAttributeValues"),
        )
        select = params.get("Select")
        if select == "SPECIFIC_ATTRIBUTES" and projection is None:
            raise validation("Select SPECIFIC_ATTRIBUTES needs a ProjectionExpression")
        if select not in (None, "SPECIFIC_ATTRIBUTES") and projection is not None:
            raise validation(
                "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES, "
                "ALL_PROJECTED_ATTRIBUTES or COUNT"
            )
        if select == "ALL_ATTRIBUTES" and index is not None and index.projection_type != "ALL":
            raise validation(
                "One or more parameter values were invalid: "
                "Select type ALL_ATTRIBUTES is not supported for global secondary index"
            )
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        limit = params.get("Limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise validation("Limit must be greater than or equal to 1")
        if filter_ is not None and operation == "Query":
            keys = set(table.key.names) | (set(index.key.names) if index is not None else set())
            for path in _paths_of(filter_.tree):
                if path.resolve(context.names)[0] in keys:
                    raise validation(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: "
                        f"{path.resolve(context.names)[0]}"
                    )
        paths = self._projection(projection, context)
        return table, index, context, key_condition, filter_, paths

    def _query(self, params: dict[str, Any]) -> dict[str, Any]:
        table, index, context, key_condition, filter_, paths = self._read_plan(params, "Query")
        assert key_condition is not None
        schema = table.key if index is None else index.key
        hash_value, bounds = _key_bounds(key_condition.tree, schema, context)
        partitions = table.partitions if index is None else index.partitions
        bucket = partitions.get(hash_value)
        forward = params.get("ScanIndexForward", True)
        start_after = self._start_tuple(table, index, params.get("ExclusiveStartKey"), hash_value)
        candidates: Iterator[_Record] = iter(())
        if bucket is not None:
            candidates = _bucket_range(bucket, bounds, forward, start_after)
        return self._page(table, index, candidates, params, context, filter_, paths)

    def _scan(self, params: dict[str, Any]) -> dict[str, Any]:
        table, index, context, _key_condition, filter_, paths = self._read_plan(params, "Scan")
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if (segment is None) != (total is None):
            raise validation("Segment and TotalSegments must be given together")
        if total is not None and (not 1 <= total <= 1_000_000 or segment is None or not 0 <= segment < total):
            raise validation("Segment must be less than TotalSegments")
        partitions = table.partitions if index is None else index.partitions
        start = params.get("ExclusiveStartKey")
        candidates = self._scan_records(table, index, partitions, start, segment, total)
        return self._page(table, index, candidates, params, context, filter_, paths)

    def _scan_records(
        self,
        table: _Table,
        index: _Index | None,
        partitions: dict[Any, _Bucket],
        start: Any,
        segment: int | None,
        total: int | None,
    ) -> Iterator[_Record]:
        # Partitions in hash order, as DynamoDB scans them: a page boundary stays valid even when the
        # partition it named has since been emptied.
        names = sorted(partitions, key=_scan_order)
        first = 0
        start_after: tuple[Any, ...] | None = None
        if start is not None:
            schema = table.key if index is None else index.key
            hash_value = self._start_hash(schema, start)
            start_after = self._start_tuple(table, index, start, hash_value)
            first = bisect_left([_scan_order(name) for name in names], _scan_order(hash_value))
            if first == len(names) or names[first] != hash_value:
                start_after = None
        for position in range(first, len(names)):
            hash_value = names[position]
            if total is not None and _scan_order(hash_value)[0] % total != segment:
                continue
            bucket = partitions[hash_value]
            after = start_after if position == first else None
            yield from _bucket_range(bucket, (None, None, None), True, after)

    @staticmethod
    def _start_hash(schema: _KeySchema, start: Any) -> Any:
        if not isinstance(start, dict) or schema.hash_name not in start:
            raise validation("The provided starting key is invalid: The provided key element does not match the schema")
        return scalar_key(ingest_value(start[schema.hash_name]))

    def _start_tuple(self, table: _Table, index: _Index | None, start: Any, hash_value: Any) -> tuple[Any, ...] | None:
        if start is None:
            return None
        if not isinstance(start, dict):
            raise validation("The provided starting key is invalid")
        item = ingest_item(start)
        wanted = set(table.key.names) | (set(index.key.names) if index is not None else set())
        if set(item) != wanted:
            raise validation("The provided starting key is invalid: The provided key element does not match the schema")
        if index is None:
            if scalar_key(item[table.key.hash_name]) != hash_value:
                raise validation(
                    "The provided starting key is invalid: The provided key element does not match the schema"
                )
            return table.sort_tuple(item)
        entry = table.index_entry(index, item)
        if entry is None or entry[0] != hash_value:
            raise validation("The provided starting key is invalid")
        return entry[1]

    def _page(
        self,
        table: _Table,
        index: _Index | None,
        candidates: Iterator[_Record],
        params: Mapping[str, Any],
        context: Context,
        filter_: Parsed | None,
        paths: list[tuple[Any, ...]] | None,
    ) -> dict[str, Any]:
        limit = params.get("Limit")
        count_only = params.get("Select") == "COUNT"
        items: list[Item] = []
        count = scanned = read = 0
        last: _Record | None = None
        stopped = False
        for record in candidates:
            scanned += 1
            read += record.size
            last = record
            visible = record.item if index is None else self._index_view(table, index, record.item)
            if filter_ is None or evaluate(filter_.tree, visible, context):
                count += 1
                if not count_only:
                    items.append(self._output(visible, paths))
            # DynamoDB stops at Limit evaluated items or 1 MB read, and says where with LastEvaluatedKey.
            if (limit is not None and scanned >= limit) or read >= _PAGE_BYTES:
                stopped = True
                break
        response: dict[str, Any] = {"Count": count, "ScannedCount": scanned}
        if not count_only:
            response = {"Items": items, **response}
        if stopped and last is not None:
            response["LastEvaluatedKey"] = self._evaluated_key(table, index, last.item)
        return response

    @staticmethod
    def _evaluated_key(table: _Table, index: _Index | None, item: Item) -> Item:
        names = list(table.key.names) + ([] if index is None else list(index.key.names))
        return {name: copy_item({name: item[name]})[name] for name in dict.fromkeys(names)}

    @staticmethod
    def _index_view(table: _Table, index: _Index, item: Item) -> Item:
        if index.projection_type == "ALL":
            return item
        keep = set(table.key.names) | set(index.key.names) | index.non_key
        return {name: value for name, value in item.items() if name in keep}

    # ---- Table management ----

    def _describe(self, table: _Table) -> dict[str, Any]:
        arn = f"arn:aws:dynamodb:{self._region}:{self._account}:table/{table.name}"
        description: dict[str, Any] = {
            "TableName": table.name,
            "KeySchema": [dict(entry) for entry in table.key_schema],
            "AttributeDefinitions": [dict(entry) for entry in table.attribute_definitions],
            "TableStatus": "ACTIVE",
            "CreationDateTime": table.created,
            "ItemCount": table.count,
            "TableSizeBytes": table.size,
            "TableArn": arn,
            "BillingModeSummary": {"BillingMode": table.billing_mode},
        }
        for kind, key in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            indexes = [index for index in table.indexes.values() if index.kind == kind]
            if indexes:
                description[key] = [
                    {
                        **index.description,
                        "IndexArn": f"{arn}/index/{index.name}",
                        "ItemCount": index.count,
                        "IndexSizeBytes": 0,
                        **({"IndexStatus": "ACTIVE"} if kind == "GSI" else {}),
                    }
                    for index in indexes
                ]
        return description

    def _describe_table(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Table": self._describe(self._table(params.get("TableName")))}

    def _create_table_request(self, params: dict[str, Any]) -> dict[str, Any]:
        stream = params.get("StreamSpecification") or {}
        if stream.get("StreamEnabled"):
            raise UnsupportedByEngine("DynamoDBEngine: CreateTable StreamSpecification (streams) is not supported")
        self.create_table(
            params["TableName"],
            key_schema=params["KeySchema"],
            attribute_definitions=params["AttributeDefinitions"],
            global_secondary_indexes=params.get("GlobalSecondaryIndexes") or (),
            local_secondary_indexes=params.get("LocalSecondaryIndexes") or (),
            billing_mode=params.get("BillingMode", "PROVISIONED"),
        )
        return {"TableDescription": self._describe(self._tables[params["TableName"]])}

    def _delete_table(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(params.get("TableName"))
        description = {**self._describe(table), "TableStatus": "DELETING"}
        del self._tables[table.name]
        return {"TableDescription": description}

    def _list_tables(self, params: dict[str, Any]) -> dict[str, Any]:
        names = self.table_names()
        start = params.get("ExclusiveStartTableName")
        if start is not None:
            names = names[bisect_right(names, start) :]
        limit = params.get("Limit", 100)
        response: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            response["LastEvaluatedTableName"] = names[limit - 1]
        return response

    def _update_ttl(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(params.get("TableName"))
        specification = dict(params["TimeToLiveSpecification"])
        table.ttl = specification
        return {"TimeToLiveSpecification": specification}

    def _describe_ttl(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(params.get("TableName"))
        if table.ttl is None or not table.ttl.get("Enabled"):
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": table.ttl["AttributeName"]}}

    # ---- Introspection (tests, the runner's dumps) ----

    def items(self, table_name: str) -> Iterator[Item]:
        """Copies of every item of a table, partition by partition in sort-key order."""
        table = self._table(table_name)
        for bucket in table.partitions.values():
            for key in bucket.order:
                yield copy_item(bucket.records[key].item)


def _scan_order(hash_value: Any) -> tuple[int, Any]:
    text = hash_value if isinstance(hash_value, bytes) else str(hash_value).encode()
    return zlib.crc32(text), hash_value


def _paths_of(node: Any) -> Iterator[Path]:
    if isinstance(node, Path):
        yield node
    elif isinstance(node, Logical | Compare):
        yield from _paths_of(node.left)
        yield from _paths_of(node.right)
    elif isinstance(node, Between):
        yield from _paths_of(node.subject)
        yield from _paths_of(node.low)
        yield from _paths_of(node.high)
    elif isinstance(node, Call):
        for argument in node.arguments:
            yield from _paths_of(argument)
    elif hasattr(node, "operand"):
        yield from _paths_of(node.operand)
    elif hasattr(node, "choices"):
        yield from _paths_of(node.subject)
        for choice in node.choices:
            yield from _paths_of(choice)


def _key_name(node: Any, context: Context) -> str:
    if not isinstance(node, Path) or len(node.elements) != 1:
        raise validation("Invalid KeyConditionExpression: a key condition must name a key attribute")
    resolved = node.resolve(context.names)[0]
    assert isinstance(resolved, str)
    return resolved


def _key_value(node: Any, context: Context) -> AttributeValue:
    if not isinstance(node, Value):
        raise validation("Invalid KeyConditionExpression: a key condition must compare with a value")
    return context.value(node)


_Bounds = tuple[str | None, Any, Any]


def _key_bounds(tree: Any, schema: _KeySchema, context: Context) -> tuple[Any, _Bounds]:
    """The partition value and the sort key range (operator, value, upper) of a key condition."""
    conditions = []
    if isinstance(tree, Logical):
        if tree.operator != "AND" or isinstance(tree.left, Logical) or isinstance(tree.right, Logical):
            raise validation("Invalid operator used in KeyConditionExpression: OR")
        conditions = [tree.left, tree.right]
    else:
        conditions = [tree]
    hash_value: Any = None
    bounds: _Bounds = (None, None, None)
    seen: set[str] = set()
    for condition in conditions:
        if isinstance(condition, Compare):
            name = _key_name(condition.left, context)
            value = _key_value(condition.right, context)
            operator = condition.operator
            if operator == "<>":
                raise validation("Unsupported operator in KeyConditionExpression: <>")
        elif isinstance(condition, Between):
            name = _key_name(condition.subject, context)
            value = _key_value(condition.low, context)
            operator = "BETWEEN"
        elif isinstance(condition, Call) and condition.function == "begins_with":
            name = _key_name(condition.arguments[0], context)
            value = _key_value(condition.arguments[1], context)
            operator = "begins_with"
        else:
            raise validation("Invalid KeyConditionExpression: unsupported condition in a key condition")
        if name in seen:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        seen.add(name)
        if name == schema.hash_name:
            if operator != "=":
                raise validation("Query key condition not supported")
            _check_key_type(name, value, schema.hash_type)
            hash_value = scalar_key(ingest_value(value))
        elif name == schema.range_name:
            _check_key_type(name, value, schema.range_type)
            low = scalar_key(ingest_value(value))
            if operator == "BETWEEN":
                assert isinstance(condition, Between)
                high_value = _key_value(condition.high, context)
                _check_key_type(name, high_value, schema.range_type)
                high = scalar_key(ingest_value(high_value))
                if low > high:
                    raise validation(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than "
                        "or equal to lower bound"
                    )
                bounds = ("BETWEEN", low, high)
            elif operator == "begins_with":
                if schema.range_type == "N":
                    raise validation(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                        "operator or function: begins_with, operand type: N"
                    )
                bounds = ("begins_with", low, None)
            else:
                bounds = (operator, low, None)
        else:
            raise validation(f"Query condition missed key schema element: {schema.hash_name}")
    if hash_value is None:
        raise validation(f"Query condition missed key schema element: {schema.hash_name}")
    return hash_value, bounds


def _check_key_type(name: str, value: AttributeValue, wanted: str | None) -> None:
    if next(iter(value)) != wanted:
        raise validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        )


def _bucket_range(
    bucket: _Bucket, bounds: _Bounds, forward: bool, start_after: tuple[Any, ...] | None
) -> Iterator[_Record]:
    order = bucket.order
    operator, low, high = bounds
    first, last = 0, len(order)
    if operator == "=":
        first, last = bisect_left(order, (low,)), bisect_right(order, (low, _TOP))
    elif operator == "<":
        last = bisect_left(order, (low,))
    elif operator == "<=":
        last = bisect_right(order, (low, _TOP))
    elif operator == ">":
        first = bisect_right(order, (low, _TOP))
    elif operator == ">=":
        first = bisect_left(order, (low,))
    elif operator == "BETWEEN":
        first, last = bisect_left(order, (low,)), bisect_right(order, (high, _TOP))
    elif operator == "begins_with":
        first = bisect_left(order, (low,))
        last = first
        while last < len(order) and order[last][0].startswith(low):
            last += 1
    if start_after is not None:
        if forward:
            first = max(first, bisect_right(order, start_after))
        else:
            last = min(last, bisect_left(order, start_after))
    positions = range(first, last) if forward else range(last - 1, first - 1, -1)
    records = bucket.records
    for position in positions:
        yield records[order[position]]


def mirror_tables(source: Any, engine: DynamoDBEngine, names: Iterable[str] | None = None) -> list[str]:
    """Copy tables (definition and items) from another DynamoDB client into ``engine``.

    ``source`` is a boto3 DynamoDB client answering from elsewhere, typically moto's backend after
    its CloudFormation deployed template.yaml. Call it before entering ``route_dynamodb_to``: inside,
    that client would answer from the engine too. Returns the names mirrored.
    """
    mirrored = []
    for name in names if names is not None else source.list_tables()["TableNames"]:
        description = source.describe_table(TableName=name)["Table"]
        engine.create_table_from_description(description)
        ttl = source.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            engine.handle(
                "UpdateTimeToLive",
                {
                    "TableName": name,
                    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": ttl["AttributeName"]},
                },
            )
        for page in source.get_paginator("scan").paginate(TableName=name):
            for item in page["Items"]:
                engine.handle("PutItem", {"TableName": name, "Item": item})
        mirrored.append(name)
    return mirrored

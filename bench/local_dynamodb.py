"""Micro-benchmark: the local runtime's DynamoDBEngine against moto's DynamoDB, through boto3 clients.

Prints ``name: value unit`` lines: the median latency of GetItem, PutItem, a conditional UpdateItem
(the send ledger's claim) and a 3-item TransactWriteItems (the profile store's commit) on each
backend, at 1,000 and 20,000 items already in the table (the engine's cost must not grow with the
table), the ratio moto/engine, and what botocore itself costs per routed call (engine.handle alone
against the same call through a boto3 client under ``route_dynamodb_to``).

Both backends answer through a real boto3 client (the engine via ``route_dynamodb_to``); the tables
are pre-filled outside the client (moto's backend / ``engine.handle``) so that filling 20,000 items
does not dominate the run. Every timed operation is checked afterwards (a benchmark that timed a
broken run would be worthless).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(name, "testing")

TABLE = "nurture-bench"
SIZES = (1_000, 20_000)
# moto's TransactWriteItems copies the table on every call: keep its sample small at 20,000 items.
REPEATS = {"engine": 400, "moto": 60}
TRANSACT_REPEATS = {"engine": 400, "moto": 5}


def _table_definition() -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _profile_item(index: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"CONTACT#{index:08d}"},
        "sk": {"S": "PROFILE"},
        "email": {"S": f"person{index}@example.com"},
        "version": {"N": "1"},
        "order_count": {"N": "2"},
        "revenue": {"M": {"EUR": {"N": "42.5"}}},
        "tags": {"L": [{"S": "vip"}, {"S": "newsletter"}]},
    }


@contextmanager
def _backend(kind: str, size: int) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    from nurture_local.aws.dynamodb import DynamoDBEngine
    from nurture_local.aws.routing import route_dynamodb_to

    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        if kind == "engine":
            engine = stack.enter_context(route_dynamodb_to(DynamoDBEngine()))
            engine.handle("CreateTable", _table_definition())
            for index in range(size):
                engine.handle("PutItem", {"TableName": TABLE, "Item": _profile_item(index)})
            yield boto3.client("dynamodb", region_name="us-east-1"), engine
            return
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**_table_definition())
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        for index in range(size):
            backend.put_item(TABLE, _profile_item(index))
        yield client, None


def _median_ms(call: Callable[[int], Any], repeats: int) -> float:
    # Garbage left by the previous run (moto's table copies) must not be collected on this one's clock.
    gc.collect()
    samples = []
    for round_ in range(repeats):
        started = time.perf_counter()
        call(round_)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _operations(client: Any, size: int) -> dict[str, Callable[[int], Any]]:
    def get_item(round_: int) -> Any:
        key = {"pk": {"S": f"CONTACT#{round_ % size:08d}"}, "sk": {"S": "PROFILE"}}
        return client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)

    def put_item(round_: int) -> Any:
        item = {**_profile_item(round_), "pk": {"S": f"NEW#{round_:08d}"}}
        return client.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def update_item(round_: int) -> Any:
        return client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": f"CONTACT#{round_ % size:08d}"}, "sk": {"S": f"SEND#welcome#{round_}"}},
            UpdateExpression=(
                "SET #status = :claimed, execution = :execution, attempts = if_not_exists(attempts, :zero) + :one"
                " REMOVE failed_at, #error"
            ),
            ConditionExpression="attribute_not_exists(pk) OR #status = :failed",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues={
                ":claimed": {"S": "claimed"},
                ":failed": {"S": "failed"},
                ":execution": {"S": f"execution-{round_}"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
            },
        )

    def transact(round_: int) -> Any:
        contact = f"CONTACT#{round_ % size:08d}"
        return client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": contact}, "sk": {"S": f"EVENT#{round_:08d}"}, "body": {"S": "{}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": contact}, "sk": {"S": "PROFILE"}},
                        "UpdateExpression": "SET #v = #v + :one, #a0 = :v0",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#v": "version", "#a0": "first_name"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":v0": {"S": f"Ada {round_}"}},
                    }
                },
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": contact}, "sk": {"S": f"ORDER#{round_:08d}"}, "total": {"N": "9.99"}},
                    }
                },
            ]
        )

    return {
        "get_item": get_item,
        "put_item": put_item,
        "update_item_conditional": update_item,
        "transact_write_3": transact,
    }


def _verify(client: Any, repeats: dict[str, int]) -> None:
    """Every timed write landed: the last claim, the last put and the last transaction's items."""
    claim = client.get_item(
        TableName=TABLE, Key={"pk": {"S": f"CONTACT#{0:08d}"}, "sk": {"S": "SEND#welcome#0"}}, ConsistentRead=True
    )
    assert claim["Item"]["status"] == {"S": "claimed"}, claim
    last = repeats["transact_write_3"] - 1
    order = client.get_item(
        TableName=TABLE, Key={"pk": {"S": f"CONTACT#{last:08d}"}, "sk": {"S": f"ORDER#{last:08d}"}}, ConsistentRead=True
    )
    assert order["Item"]["total"]["N"] in ("9.99",), order
    put = client.get_item(
        TableName=TABLE, Key={"pk": {"S": f"NEW#{repeats['put_item'] - 1:08d}"}, "sk": {"S": "PROFILE"}}
    )
    assert "Item" in put, put


def _routing_overhead(engine: Any, client: Any) -> tuple[float, float]:
    """GetItem on the engine alone, and through a boto3 client routed to it (botocore's share)."""
    params = {
        "TableName": TABLE,
        "Key": {"pk": {"S": "CONTACT#00000001"}, "sk": {"S": "PROFILE"}},
        "ConsistentRead": True,
    }
    direct = _median_ms(lambda _round: engine.handle("GetItem", params), 2000)
    routed = _median_ms(lambda _round: client.get_item(**params), 2000)
    return direct, routed


def main() -> None:
    results: dict[tuple[str, str, int], float] = {}
    for size in SIZES:
        for kind in ("engine", "moto"):
            with _backend(kind, size) as (client, engine):
                operations = _operations(client, size)
                repeats = {
                    name: (TRANSACT_REPEATS if name == "transact_write_3" else REPEATS)[kind] for name in operations
                }
                for name, call in operations.items():
                    results[(name, kind, size)] = _median_ms(call, repeats[name])
                _verify(client, repeats)
                if engine is not None and size == SIZES[-1]:
                    direct, routed = _routing_overhead(engine, client)
    for size in SIZES:
        for name in ("get_item", "put_item", "update_item_conditional", "transact_write_3"):
            engine_ms, moto_ms = results[(name, "engine", size)], results[(name, "moto", size)]
            print(f"dynamodb_{name}_engine_{size}_items: {engine_ms:.3f} ms")
            print(f"dynamodb_{name}_moto_{size}_items: {moto_ms:.3f} ms")
            print(f"dynamodb_{name}_moto_over_engine_{size}_items: {moto_ms / engine_ms:.1f} x")
    for name in ("get_item", "put_item", "update_item_conditional", "transact_write_3"):
        growth = results[(name, "engine", SIZES[-1])] / results[(name, "engine", SIZES[0])]
        print(f"dynamodb_{name}_engine_growth_{SIZES[0]}_to_{SIZES[-1]}: {growth:.2f} x")
    print(f"dynamodb_get_item_engine_handle_only: {direct * 1000:.1f} us")
    print(f"dynamodb_get_item_engine_through_boto3: {routed * 1000:.1f} us")
    print(f"dynamodb_botocore_overhead_per_routed_call: {(routed - direct) * 1000:.1f} us")


if __name__ == "__main__":
    main()

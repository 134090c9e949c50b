"""Every contract test runs on moto's DynamoDB and on the local runtime's DynamoDBEngine (plugged in
under boto3 by `route_dynamodb_to`, as the local runtime does).

Both backends are reached through a real boto3 client, so the shipped adapters and botocore's
parameter validation are exercised unchanged. Where moto departs from AWS's documented behaviour
the test says so, cites the documentation and asserts each backend's known answer (`known`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import TABLE_NAME, create_nurture_table

INDEXED_TABLE = "nurture-indexed"


@dataclass(frozen=True)
class Backend:
    name: str  # "moto" or "engine"
    client: Any
    table: str

    def known(self, *, moto: Any, engine: Any) -> Any:
        """The answer this backend is known to give where moto and AWS's documentation disagree."""
        return moto if self.name == "moto" else engine


def create_indexed_table(client: Any, name: str = INDEXED_TABLE) -> str:
    """A table with a numeric sort key, a sparse GSI (KEYS_ONLY and INCLUDE variants) and an LSI."""
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
            {"AttributeName": "gpk", "AttributeType": "S"},
            {"AttributeName": "gsk", "AttributeType": "N"},
            {"AttributeName": "tag", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by-g-keys",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["colour"]},
            },
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-tag",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "tag", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@functools.cache
def _session() -> Any:
    """One boto3 session for every contract test: a client from it skips reloading the service model."""
    import boto3

    from nurture_local.aws.routing import attach_session

    session = boto3.Session(region_name="us-east-1")
    attach_session(session._session)
    return session


@pytest.fixture(params=["moto", "engine"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """moto, and the engine as the local runtime puts it under boto3 (``route_dynamodb_to``)."""
    from moto import mock_aws

    from nurture_local.aws.dynamodb import DynamoDBEngine
    from nurture_local.aws.routing import route_dynamodb_to

    with mock_aws(), contextlib.ExitStack() as routes:
        # The engine stands in under mock_aws, as in the local runtime: moto keeps every other service.
        if request.param == "engine":
            routes.enter_context(route_dynamodb_to(DynamoDBEngine()))
        client = _session().client("dynamodb")
        create_nurture_table(client)
        yield Backend("moto" if request.param == "moto" else "engine", client, TABLE_NAME)


@pytest.fixture
def indexed(backend: Backend) -> str:
    return create_indexed_table(backend.client)


# The fixtures the integration tests of the shipped adapters take, answered by the backend under test:
# their scenarios (imported by test_shipped_scenarios.py) run unchanged on both backends.
@pytest.fixture
def dynamodb(backend: Backend) -> Any:
    return backend.client


@pytest.fixture
def nurture_table(backend: Backend) -> str:
    return backend.table

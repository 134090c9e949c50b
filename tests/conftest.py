"""Fixtures shared by every test: an in-process AWS (moto) with Nurture's table, and a Lambda context."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

# No test may reach a real AWS account, whatever the developer's shell holds.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "nurture-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "NurtureTests",
    }
)
os.environ.pop("AWS_PROFILE", None)

TABLE_NAME = "nurture-test"
ROOT = Path(__file__).resolve().parents[1]


@cache
def nurture_table_definition() -> dict[str, Any]:
    """NurtureTable's keys and indexes exactly as template.yaml declares them (docs/architecture.md):
    pk/sk strings, the sparse ``unsettled`` and ``lapsed`` indexes, the sharded ``acquisition_score``,
    ``loyalty_score``, ``customer_value`` and ``due`` indexes (docs/scoring.md, "Wiring")."""
    from nurture_local.template import load_template

    properties = load_template(ROOT / "template.yaml")["Resources"]["NurtureTable"]["Properties"]
    return {
        name: properties[name]
        for name in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
    }


def create_nurture_table(client: Any, name: str = TABLE_NAME) -> str:
    """The table as template.yaml declares it, with TTL on expires_at (CreateTable takes no TTL: it is
    set apart, as CloudFormation does)."""
    client.create_table(TableName=name, **copy.deepcopy(nurture_table_definition()))
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return name


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def nurture_table(dynamodb: Any) -> str:
    return create_nurture_table(dynamodb)


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb: int = 128
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()

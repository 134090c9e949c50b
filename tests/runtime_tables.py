"""What a local-runtime test reads back from the deployed table at the end of a scenario."""

from __future__ import annotations

from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import TABLE


def table_items(env: LocalEnvironment) -> list[dict[str, Any]]:
    """Every item of NurtureTable, as plain Python values (a Scan: tests only)."""
    deserializer = TypeDeserializer()
    client = boto3.client("dynamodb", region_name="us-east-1")
    return [
        {key: deserializer.deserialize(value) for key, value in item.items()}
        for page in client.get_paginator("scan").paginate(TableName=env.resources[TABLE])
        for item in page["Items"]
    ]

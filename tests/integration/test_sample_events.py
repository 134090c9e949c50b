"""The sample events in events/ are current and are answered as documented by the real handlers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.ingest import app as ingest
from functions.process import app as process
from nurture_local.runtime.environment import LocalConfig

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


class RecordingStepFunctions:
    def __init__(self) -> None:
        self.started: list[str] = []

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.started.append(name)
        return {"executionArn": f"{stateMachineArn.replace(':stateMachine:', ':execution:')}:{name}"}


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_the_sample_events_are_what_the_generator_writes():
    result = subprocess.run(
        [sys.executable, "scripts/gen_sample_events.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout


def test_given_the_sample_webhook_when_ingested_with_the_local_secret_then_202_and_queued(
    aws: None, nurture_table: str, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
):
    queue_url = boto3.client("sqs").create_queue(QueueName="events")["QueueUrl"]
    boto3.client("ssm").put_parameter(
        Name="/nurture/webhook-secrets", Value=json.dumps(LocalConfig().webhook_secrets), Type="SecureString"
    )
    monkeypatch.setenv("EVENTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("TABLE_NAME", nurture_table)
    monkeypatch.setenv("WEBHOOK_SECRETS_PARAMETER", "/nurture/webhook-secrets")
    ingest.use_dependencies(None)
    try:
        response = ingest.lambda_handler(load("ingest-shopify-customers-create.json"), lambda_context)
    finally:
        ingest.use_dependencies(None)

    assert response["statusCode"] == 202, response["body"]
    assert json.loads(response["body"])["events"] == 2


def test_given_the_sample_sqs_batch_when_processed_then_no_failures_and_the_welcome_journey_starts(
    dynamodb: Any, nurture_table: str, lambda_context: Any
):
    recorder = RecordingStepFunctions()
    environ = {
        "TABLE_NAME": nurture_table,
        "JOURNEY_STATE_MACHINE_PREFIX": "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-",
        "EVENT_RETENTION_DAYS": "30",
    }
    process.use_dependencies(process.build(environ, clients={"dynamodb": dynamodb, "stepfunctions": recorder}))
    try:
        response = process.lambda_handler(load("process-sqs-batch.json"), lambda_context)
    finally:
        process.use_dependencies(None)

    assert response == {"batchItemFailures": []}
    # a new subscriber without an order: the welcome series, and the acquisition nurture for a lead
    assert sorted(name.split("-")[0] for name in recorder.started) == ["acquisition_nurture", "welcome"]


def test_given_the_sample_ses_send_notification_when_handled_then_the_unknown_welcome_claim_is_sent(
    dynamodb: Any, nurture_table: str, lambda_context: Any
):
    from datetime import UTC, datetime

    from functions.engagement import app as engagement
    from nurture.adapters.dynamodb_sends import SendLedger
    from nurture.messaging.claims import SendKey
    from tests.sending import secret_in_ssm

    key = SendKey(
        "5fd9746836664c3086d0fb88fb7f38e5", "welcome", "welcome", "welcome-5fd9746836664c3086d0fb88fb7f38e5-1"
    )
    ledger = SendLedger(nurture_table, dynamodb)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    claim_id = "0d6b4d4c3f2a4e0c9a51c1f0b7e2a9d3"
    assert ledger.claim(key, claim_id=claim_id, execution="welcome", attempt=0, at=at)
    ledger.start_sending(key, claim_id=claim_id, at=at)
    ledger.record_unknown(key, claim_id=claim_id, at=at)
    import boto3

    queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="events")["QueueUrl"]
    environ = {"TABLE_NAME": nurture_table, "EVENTS_QUEUE_URL": queue_url, **secret_in_ssm()}
    engagement.use_dependencies(engagement.build(environ, clients={"dynamodb": dynamodb}))
    try:
        assert engagement.lambda_handler(load("engagement-ses-send.json"), lambda_context) == {"settled_sent": 1}
    finally:
        engagement.use_dependencies(None)
    record = ledger.get(key)
    assert record is not None and record.status == "sent"

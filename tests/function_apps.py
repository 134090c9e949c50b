"""A function's handler module loaded from functions/<name>/app.py (each is a top-level module
named ``app`` in Lambda, so tests load them by path under a name of their own), a scheduled
function's run as EventBridge invokes it, and what such a function sends to the events queue."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from nurture.events import CanonicalEvent, parse_event
from tests.conftest import TABLE_NAME, FakeLambdaContext

ROOT = Path(__file__).resolve().parents[1]


def load_app(function: str) -> ModuleType:
    """functions/<function>/app.py as the module ``<function>_app``."""
    name = f"{function}_app"
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / function / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_scheduled(
    app: ModuleType, environ: Mapping[str, str], clients: Mapping[str, Any], clock: Callable[[], datetime]
) -> dict[str, Any]:
    """Build the function with ``environ``, ``clients`` and ``clock``, invoke it with EventBridge's
    scheduled event, then forget what it built; its answer."""
    app.use_dependencies(app.build(environ, clients=clients, clock=clock))
    try:
        return dict(app.lambda_handler({"detail-type": "Scheduled Event"}, FakeLambdaContext()))
    finally:
        app.use_dependencies(None)


@dataclass
class QueueingFunction:
    """A scheduled function on moto whose output is events on the events queue (the lapsed scan,
    the refresh pass): run it at ``now``, then read what it queued."""

    dynamodb: Any
    sqs: Any
    queue_url: str
    app: ModuleType
    now: datetime

    def run(self, **environ: str) -> dict[str, Any]:
        env = {"TABLE_NAME": TABLE_NAME, "EVENTS_QUEUE_URL": self.queue_url, **environ}
        return run_scheduled(self.app, env, {"dynamodb": self.dynamodb, "sqs": self.sqs}, lambda: self.now)

    def received(self) -> list[CanonicalEvent]:
        """Every event visible on the queue now (a delayed one is not), removed from it."""
        events: list[CanonicalEvent] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(parse_event(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def events_queue() -> tuple[Any, str]:
    """An SQS client and a new queue's URL (inside moto)."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    return sqs, sqs.create_queue(QueueName="events")["QueueUrl"]

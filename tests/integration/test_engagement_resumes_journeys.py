"""EngagementFunction resumes the journeys waiting on a send's engagement (the task token stored by
the claim), through the local executor's Step Functions client (real token semantics: a timed-out
or used token is refused), and queues one canonical event per tagged SES event on moto's SQS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import functions.engagement.app as engagement_app
from nurture.adapters.dynamodb_sends import SendLedger
from nurture.events import EmailEngagement, parse_event
from nurture.messaging.claims import AwaitedEngagement, SendKey
from nurture_local.sfn.client import LocalStepFunctionsClient
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import Execution, LocalStepFunctions
from tests.conftest import FakeLambdaContext
from tests.sending import secret_in_ssm, ses_notification

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = SendKey("c-ada", "win_back", "miss_you", "win_back-c-ada-1")
TAGS = {
    "contact_id": KEY.contact_id,
    "journey": KEY.journey,
    "step": KEY.step,
    "enrolment": KEY.enrolment,
    "claim_id": "claim-1",
}
# A send that waits up to an hour for a click: on_event → "Clicked", on timeout → "Timed out".
WAITING = {
    "StartAt": "Send",
    "States": {
        "Send": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Step", "Payload": {"task_token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 3600,
            "ResultPath": "$.steps.miss_you_click",
            "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "Timed out"}],
            "Next": "Clicked",
        },
        "Clicked": {"Type": "Succeed"},
        "Timed out": {"Type": "Succeed"},
    },
}


class World:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.sfn = LocalStepFunctions(clock=VirtualClock(T0), region="us-east-1", account="123456789012")
        self.ledger = SendLedger(table, dynamodb)
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.queue_url = self.sqs.create_queue(QueueName="events")["QueueUrl"]
        self.tokens: list[str] = []

        def step(event: dict[str, Any], context: Any) -> dict[str, Any]:
            # What JourneyStepFunction does with a waiting send: the token goes into the claim write.
            token = event["task_token"]
            self.tokens.append(token)
            awaited = AwaitedEngagement(token, "email.clicked", T0 + timedelta(hours=1))
            assert self.ledger.claim(KEY, claim_id="claim-1", execution="x", attempt=0, at=T0, awaited=awaited)
            self.ledger.start_sending(KEY, claim_id="claim-1", at=T0)
            self.ledger.record_sent(KEY, claim_id="claim-1", message_id="m-1", at=T0)
            return {}

        self.sfn.register_handler("Step", step)
        self.arn = self.sfn.create_state_machine("nurture-journey-win_back", json.dumps(WAITING))
        environ = {"TABLE_NAME": table, "EVENTS_QUEUE_URL": self.queue_url, **secret_in_ssm()}
        clients = {"dynamodb": dynamodb, "stepfunctions": LocalStepFunctionsClient(self.sfn), "sqs": self.sqs}
        engagement_app.use_dependencies(engagement_app.build(environ, clients=clients))

    def start(self) -> Execution:
        execution = self.sfn.start_execution(self.arn, {"steps": {}}, name="win_back-c-ada-1")
        self.sfn.advance(seconds=1)
        return execution

    def ses(self, *samples: str) -> dict[str, int]:
        return engagement_app.lambda_handler(ses_notification(list(samples), TAGS), FakeLambdaContext())

    def queued(self) -> list[EmailEngagement]:
        events = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                return events
            for message in answer["Messages"]:
                event = parse_event(message["Body"])
                assert isinstance(event, EmailEngagement)
                events.append(event)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> Iterator[World]:
    yield World(dynamodb, nurture_table)
    engagement_app.use_dependencies(None)


def test_a_click_resumes_the_waiting_journey_and_a_second_click_changes_nothing(world: World) -> None:
    # Given a journey waiting for a click on the email it just sent
    execution = world.start()
    assert execution.status == "RUNNING"
    # When SES reports the delivery, then the click
    assert "resumed" not in world.ses("ses_event_delivery.json")
    counts = world.ses("ses_event_click.json")
    world.sfn.advance(seconds=1)
    # Then the journey goes on down its on_event path, with the click's outcome and time
    assert counts["resumed"] == 1
    assert execution.status == "SUCCEEDED"
    output = execution.output if isinstance(execution.output, dict) else json.loads(execution.output or "{}")
    assert output["steps"]["miss_you_click"] == {"outcome": "email.clicked", "at": "2017-08-09T23:51:25.570Z"}
    record = world.ledger.get(KEY)
    assert record is not None and record.awaited is None
    # And a second click (another SNS notification) changes nothing
    again = world.ses("ses_event_click.json")
    assert "resumed" not in again and "late" not in again


def test_a_delivery_does_not_answer_a_wait_for_a_click(world: World) -> None:
    execution = world.start()
    counts = world.ses("ses_event_delivery.json", "ses_event_open.json")
    world.sfn.advance(seconds=1)
    assert "resumed" not in counts and execution.status == "RUNNING"
    record = world.ledger.get(KEY)
    assert record is not None and record.awaited is not None


def test_a_click_after_the_timeout_is_late_and_changes_nothing(world: World) -> None:
    execution = world.start()
    world.sfn.advance(seconds=3601)
    assert execution.status == "SUCCEEDED"
    history_before = len(execution.history)
    counts = world.ses("ses_event_click.json")
    assert counts["late"] == 1
    assert len(execution.history) == history_before
    record = world.ledger.get(KEY)
    assert record is not None and record.awaited is None  # the dead token is dropped


def test_every_tagged_engagement_sample_becomes_one_canonical_event_with_a_stable_id(world: World) -> None:
    world.start()
    samples = [
        "ses_event_send.json",
        "ses_event_delivery.json",
        "ses_event_delivery_delay.json",
        "ses_event_open.json",
        "ses_event_click.json",
        "ses_event_bounce_permanent.json",
        "ses_event_complaint.json",
        "ses_event_reject.json",
    ]
    counts = world.ses(*samples)
    assert counts["events_queued"] == 5
    events = world.queued()
    by_type = {event.type: event for event in events}
    assert sorted(by_type) == ["email.bounced", "email.clicked", "email.complained", "email.delivered", "email.opened"]
    for event in events:
        assert (event.source, event.store, event.contact_id, event.contact) == ("nurture", "ses", "c-ada", None)
        assert (event.message.journey, event.message.step, event.message.enrolment) == (
            "win_back",
            "miss_you",
            "win_back-c-ada-1",
        )
    assert by_type["email.clicked"].link and by_type["email.clicked"].occurred_at == datetime(
        2017, 8, 9, 23, 51, 25, 570000, tzinfo=UTC
    )
    assert by_type["email.bounced"].bounce_type == "Permanent"
    # A redelivered notification gives the same ids (ProcessFunction applies each once)
    world.ses(*samples)
    assert sorted(event.event_id for event in world.queued()) == sorted(event.event_id for event in events)


def test_untagged_events_are_not_queued(world: World) -> None:
    counts = engagement_app.lambda_handler(ses_notification(["ses_event_click.json"]), FakeLambdaContext())
    assert "events_queued" not in counts and world.queued() == []

"""EngagementFunction's handler on moto: SES's published events, in SNS's Lambda envelope, settle the
send claims they are tagged with, through the real ledger (and out of the 'unsettled' index)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

import functions.engagement.app as engagement_app
from nurture.adapters.dynamodb_sends import SendLedger
from nurture.errors import ConfigurationError
from nurture.messaging.claims import FAILED, SENT, UNKNOWN, SendKey
from nurture.messaging.engagement import MalformedEvents
from tests.sending import secret_in_ssm, ses_notification

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = SendKey("c-ada", "welcome", "welcome", "welcome-c-ada-1")
TAGS = {
    "contact_id": "c-ada",
    "journey": "welcome",
    "step": "welcome",
    "enrolment": "welcome-c-ada-1",
    "claim_id": "claim-1",
}
SES_MESSAGE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"


def engagement_environ(table: str) -> dict[str, str]:
    """The function's settings, with a real (moto) events queue."""
    queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="events")["QueueUrl"]
    return {"TABLE_NAME": table, "EVENTS_QUEUE_URL": queue_url, **secret_in_ssm()}


@pytest.fixture
def ledger(dynamodb: Any, nurture_table: str) -> Iterator[SendLedger]:
    engagement_app.use_dependencies(
        engagement_app.build(engagement_environ(nurture_table), clients={"dynamodb": dynamodb})
    )
    yield SendLedger(nurture_table, dynamodb)
    engagement_app.use_dependencies(None)


def unknown_claim(ledger: SendLedger, key: SendKey = KEY, claim_id: str = "claim-1") -> None:
    """A claim whose SES call never answered."""
    assert ledger.claim(key, claim_id=claim_id, execution="welcome-c-ada", attempt=0, at=T0)
    ledger.start_sending(key, claim_id=claim_id, at=T0)
    ledger.record_unknown(key, claim_id=claim_id, at=T0 + timedelta(seconds=10))


def test_the_send_event_settles_an_unknown_claim_and_takes_it_out_of_the_index(
    ledger: SendLedger, lambda_context: Any
) -> None:
    # Given an unknown claim, waiting in the index
    unknown_claim(ledger)
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(days=1))) == [KEY]
    # When SES's Send event for its message arrives through SNS
    counts = engagement_app.lambda_handler(ses_notification(["ses_event_send.json"], TAGS), lambda_context)
    # Then the claim is sent, with SES's message id, and the reconciler will not see it
    assert counts == {"settled_sent": 1}
    record = ledger.get(KEY)
    assert record is not None and (record.status, record.message_id) == (SENT, SES_MESSAGE_ID)
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(days=1))) == []


def test_every_later_event_and_the_same_event_again_change_nothing(ledger: SendLedger, lambda_context: Any) -> None:
    unknown_claim(ledger)
    samples = ["ses_event_send.json", "ses_event_delivery.json", "ses_event_open.json", "ses_event_click.json"]
    engagement_app.lambda_handler(ses_notification(samples, TAGS), lambda_context)
    before = ledger.get(KEY)
    # When SNS delivers the whole notification again (a retried invocation)
    counts = engagement_app.lambda_handler(ses_notification(samples, TAGS), lambda_context)
    # Then nothing changes (the canonical events are queued again, with the same ids)
    assert counts == {"unchanged": 4, "events_queued": 3}
    assert ledger.get(KEY) == before


def test_a_reject_settles_the_claim_as_failed(ledger: SendLedger, lambda_context: Any) -> None:
    unknown_claim(ledger)
    counts = engagement_app.lambda_handler(ses_notification(["ses_event_reject.json"], TAGS), lambda_context)
    record = ledger.get(KEY)
    assert counts == {"settled_failed": 1}
    assert record is not None and (record.status, record.error) == (FAILED, "SES Reject")
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(days=1))) == []


def test_untagged_events_and_events_for_no_claim_are_ignored(ledger: SendLedger, lambda_context: Any) -> None:
    unknown_claim(ledger)
    untagged = ses_notification(["ses_event_bounce_permanent.json"])
    other_contact = ses_notification(["ses_event_complaint.json"], {**TAGS, "contact_id": "c-nobody"})
    counts = engagement_app.lambda_handler({"Records": untagged["Records"] + other_contact["Records"]}, lambda_context)
    # (their claims are not ours, but the bounce and the complaint still suppress the address)
    assert counts == {"not_ours": 1, "unknown_claim": 1, "events_queued": 1, "suppressed": 2}
    record = ledger.get(KEY)
    assert record is not None and record.status == UNKNOWN


def test_a_malformed_record_fails_the_invocation_and_its_retry_is_harmless(
    ledger: SendLedger, lambda_context: Any
) -> None:
    # Given a notification with a good record and SAM's plain-text sample (not an SES event)
    from tests.third_party import fixture_json

    unknown_claim(ledger)
    event = ses_notification(["ses_event_send.json"], TAGS)
    event["Records"] += fixture_json("aws_events/sam_sns_notification_event.json")["Records"]
    # When it is handled, twice (Lambda retries a failed asynchronous invocation)
    for _attempt in range(2):
        with pytest.raises(MalformedEvents, match=r"record 1: SNS message 95df01b4-.*: Message is not JSON"):
            engagement_app.lambda_handler(event, lambda_context)
    # Then the good record settled its claim once
    record = ledger.get(KEY)
    assert record is not None and record.status == SENT


def test_a_missing_table_name_is_a_configuration_error(aws: None) -> None:
    with pytest.raises(ConfigurationError, match="TABLE_NAME"):
        engagement_app.build({"EVENTS_QUEUE_URL": "https://sqs.example/q"})
    with pytest.raises(ConfigurationError, match="EVENTS_QUEUE_URL"):
        engagement_app.build({"TABLE_NAME": "t"})
    with pytest.raises(ConfigurationError, match="UNSUBSCRIBE_SECRET_PARAMETER"):
        engagement_app.build({"TABLE_NAME": "t", "EVENTS_QUEUE_URL": "https://sqs.example/q"})


def test_given_the_engagement_module_when_imported_then_it_loads_no_template_engine() -> None:
    # Settling claims renders nothing: Jinja2 (~15 ms of cold start) stays on the send path only.
    import subprocess
    import sys

    code = "import sys, functions.engagement.app; print(sorted(m for m in ('boto3', 'jinja2') if m in sys.modules))"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)  # noqa: S603
    assert result.stdout.strip() == "['boto3']"

"""The send ledger and the sender's profile read, on moto's DynamoDB (NurtureTable as declared)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.adapters.dynamodb_sends import DynamoDbRecipients, SendLedger, send_key
from nurture.errors import DependencyUnavailable
from nurture.messaging.delivery import Recipient
from nurture.profiles.model import ConsentRecord, Profile

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:welcome:welcome-c1"


@pytest.fixture
def ledger(dynamodb: Any, nurture_table: str) -> SendLedger:
    return SendLedger(nurture_table, dynamodb)


def test_the_first_claim_wins_and_the_second_is_refused(ledger: SendLedger, dynamodb: Any, nurture_table: str) -> None:
    assert ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0) is True
    assert ledger.claim("c1", "welcome", "welcome", "another", claimed_at=T0) is False
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key("c1", "welcome", "welcome"))["Item"]
    assert item["pk"] == {"S": "CONTACT#c1"}
    assert item["sk"] == {"S": "SEND#welcome#welcome"}
    assert item["status"] == {"S": "claimed"}
    assert item["execution"] == {"S": EXECUTION}
    assert item["attempts"] == {"N": "1"}


def test_claims_are_per_step(ledger: SendLedger) -> None:
    assert ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0)
    assert ledger.claim("c1", "welcome", "content", EXECUTION, claimed_at=T0)
    assert ledger.claim("c2", "welcome", "welcome", EXECUTION, claimed_at=T0)


def test_a_sent_step_is_never_claimed_again(ledger: SendLedger) -> None:
    ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0)
    ledger.record_sent("c1", "welcome", "welcome", message_id="m-1", sent_at=T0 + timedelta(seconds=1))
    assert ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0) is False
    record = ledger.get("c1", "welcome", "welcome")
    assert record is not None
    assert (record.status, record.message_id, record.sent_at) == ("sent", "m-1", T0 + timedelta(seconds=1))


def test_a_definite_failure_may_be_claimed_again(ledger: SendLedger) -> None:
    ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0)
    ledger.record_failed("c1", "welcome", "welcome", error="TooManyRequestsException", failed_at=T0)
    failed = ledger.get("c1", "welcome", "welcome")
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "TooManyRequestsException")
    assert ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0 + timedelta(seconds=5)) is True
    again = ledger.get("c1", "welcome", "welcome")
    assert again is not None
    assert (again.status, again.attempts, again.error, again.failed_at) == ("claimed", 2, None, None)


def test_an_unfinished_claim_blocks_every_retry(ledger: SendLedger) -> None:
    ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0)
    for _ in range(3):
        assert ledger.claim("c1", "welcome", "welcome", EXECUTION, claimed_at=T0) is False


def test_only_a_claim_can_be_finished(ledger: SendLedger) -> None:
    with pytest.raises(DependencyUnavailable, match="no claim"):
        ledger.record_sent("c9", "welcome", "welcome", message_id="m", sent_at=T0)
    assert ledger.get("c9", "welcome", "welcome") is None


def test_the_recipient_is_read_from_the_profile_item(dynamodb: Any, nurture_table: str) -> None:
    consent = ConsentRecord("subscribed", T0, "shopify", "acme.myshopify.com", "e1")
    profile = Profile(
        contact_id="c1",
        created_at=T0,
        updated_at=T0,
        source="shopify",
        store="other.myshopify.com",
        email="ada@example.com",
        first_name="Ada",
        locale="en-GB",
        email_consent=consent,
    )
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    dynamodb.put_item(TableName=nurture_table, Item={**profile_key("c1"), **attributes})
    recipients = DynamoDbRecipients(nurture_table, dynamodb)
    assert recipients.get("c1") == Recipient(
        contact_id="c1",
        email="ada@example.com",
        email_consent="subscribed",
        first_name="Ada",
        locale="en-GB",
        store="acme.myshopify.com",
    )
    assert recipients.get("nobody") is None

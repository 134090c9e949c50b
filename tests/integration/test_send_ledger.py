"""The send ledger and the sender's profile read, on moto's DynamoDB (NurtureTable as declared)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.adapters.dynamodb_sends import DynamoDbRecipients, SendLedger, send_key
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import ClaimSuperseded, SendKey
from nurture.messaging.delivery import Recipient
from nurture.profiles.model import ConsentRecord, Profile

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:welcome:welcome-c1"
KEY = SendKey("c1", "welcome", "welcome", "welcome-c1-1")


@pytest.fixture
def ledger(dynamodb: Any, nurture_table: str) -> SendLedger:
    return SendLedger(nurture_table, dynamodb)


def claim(ledger: SendLedger, claim_id: str, execution: str = EXECUTION, key: SendKey = KEY, attempt: int = 0) -> bool:
    return ledger.claim(key, claim_id=claim_id, execution=execution, attempt=attempt, at=T0)


def test_the_first_claim_wins_and_another_execution_is_refused(
    ledger: SendLedger, dynamodb: Any, nurture_table: str
) -> None:
    assert claim(ledger, "a") is True
    assert claim(ledger, "b", execution="another") is False
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key(KEY))["Item"]
    assert item["pk"] == {"S": "CONTACT#c1"}
    assert item["sk"] == {"S": "SEND#welcome-c1-1#welcome"}
    assert item["status"] == {"S": "claimed"}
    assert item["execution"] == {"S": EXECUTION}
    assert (item["claim_id"], item["attempt"], item["claims"]) == ({"S": "a"}, {"N": "0"}, {"N": "1"})


def test_claims_are_per_step(ledger: SendLedger) -> None:
    assert claim(ledger, "a")
    assert claim(ledger, "b", key=SendKey("c1", "welcome", "content", "welcome-c1-1"))
    assert claim(ledger, "c", key=SendKey("c2", "welcome", "welcome", "welcome-c2-1"))


def test_a_claim_that_never_reached_the_provider_is_taken_over_by_the_same_execution(ledger: SendLedger) -> None:
    assert claim(ledger, "a")
    assert claim(ledger, "b", attempt=1) is True
    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.claim_id, record.attempt, record.claims) == ("claimed", "b", 1, 2)
    # and the superseded attempt can no longer start the provider call
    with pytest.raises(ClaimSuperseded):
        ledger.start_sending(KEY, claim_id="a", at=T0)


def test_the_same_claim_written_twice_counts_once(ledger: SendLedger) -> None:
    # botocore re-sends a write whose answer was lost: the second copy is recognised as ours
    assert claim(ledger, "a")
    assert claim(ledger, "a")
    record = ledger.get(KEY)
    assert record is not None and record.claims == 1


def test_once_sending_no_attempt_claims_again(ledger: SendLedger) -> None:
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.start_sending(KEY, claim_id="a", at=T0)  # a re-sent copy is ours
    for attempt in range(3):
        assert claim(ledger, f"retry-{attempt}", attempt=attempt + 1) is False
    record = ledger.get(KEY)
    assert record is not None and (record.status, record.claim_id) == ("sending", "a")


def test_a_sent_step_is_never_claimed_again(ledger: SendLedger) -> None:
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.record_sent(KEY, claim_id="a", message_id="m-1", at=T0 + timedelta(seconds=1))
    ledger.record_sent(KEY, claim_id="a", message_id="m-1", at=T0 + timedelta(seconds=1))  # re-sent copy
    assert claim(ledger, "b") is False
    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.message_id, record.sent_at) == ("sent", "m-1", T0 + timedelta(seconds=1))


def test_a_definite_failure_may_be_claimed_again(ledger: SendLedger) -> None:
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.record_failed(KEY, claim_id="a", error="TooManyRequestsException", at=T0)
    failed = ledger.get(KEY)
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "TooManyRequestsException")
    assert ledger.claim(KEY, claim_id="b", execution=EXECUTION, attempt=1, at=T0 + timedelta(seconds=5)) is True
    again = ledger.get(KEY)
    assert again is not None
    assert (again.status, again.claims, again.error, again.failed_at, again.sending_at) == (
        "claimed",
        2,
        None,
        None,
        None,
    )


def test_an_unknown_outcome_is_recorded_and_can_still_be_settled(ledger: SendLedger) -> None:
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.record_unknown(KEY, claim_id="a", at=T0 + timedelta(seconds=10))
    unknown = ledger.get(KEY)
    assert unknown is not None and (unknown.status, unknown.unknown_at) == ("unknown", T0 + timedelta(seconds=10))
    assert claim(ledger, "b", attempt=1) is False
    ledger.record_sent(KEY, claim_id="a", message_id="m-late", at=T0 + timedelta(seconds=11))
    settled = ledger.get(KEY)
    assert settled is not None and (settled.status, settled.message_id) == ("sent", "m-late")


def test_only_the_claim_holder_can_finish_it(ledger: SendLedger) -> None:
    with pytest.raises(ClaimSuperseded):
        ledger.record_sent(SendKey("c9", "welcome", "welcome", "welcome-c9-1"), claim_id="x", message_id="m", at=T0)
    assert ledger.get(SendKey("c9", "welcome", "welcome", "welcome-c9-1")) is None
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    with pytest.raises(ClaimSuperseded):
        ledger.record_failed(KEY, claim_id="someone-else", error="x", at=T0)


def test_a_table_error_is_dependency_unavailable(ledger: SendLedger) -> None:
    broken = SendLedger("no-such-table", ledger._client)
    with pytest.raises(DependencyUnavailable):
        claim(broken, "a")


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


def test_the_recipient_carries_the_phone_number_and_its_sms_consent(dynamodb: Any, nurture_table: str) -> None:
    sms = ConsentRecord("subscribed", T0, "shopify", "acme.myshopify.com", "e2")
    profile = Profile(
        contact_id="c2",
        created_at=T0,
        updated_at=T0,
        source="shopify",
        store="acme.myshopify.com",
        phone="+14155550123",
        sms_consent=sms,
    )
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    dynamodb.put_item(TableName=nurture_table, Item={**profile_key("c2"), **attributes})
    recipient = DynamoDbRecipients(nurture_table, dynamodb).get("c2")
    assert recipient is not None
    assert (recipient.email, recipient.email_consent) == (None, None)
    assert (recipient.phone, recipient.sms_consent) == ("+14155550123", "subscribed")


# ---------------------------------------------------------------- SMS claims


def test_an_sms_claim_records_its_channel_segments_and_encoding_and_an_email_retry_clears_them(
    ledger: SendLedger, dynamodb: Any, nurture_table: str
) -> None:
    # Given an email_or_sms step whose first attempt chose SMS and failed definitely
    assert ledger.claim(
        KEY, claim_id="a", execution=EXECUTION, attempt=0, at=T0, channel="sms", segments=2, encoding="UCS-2"
    )
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key(KEY))["Item"]
    assert (item["channel"], item["segments"], item["encoding"]) == ({"S": "sms"}, {"N": "2"}, {"S": "UCS-2"})
    record = ledger.get(KEY)
    assert record is not None and (record.channel, record.segments, record.encoding) == ("sms", 2, "UCS-2")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.record_failed(KEY, claim_id="a", error="Throttled", at=T0)
    # When its retry chooses email (consent changed meanwhile)
    assert ledger.claim(KEY, claim_id="b", execution=EXECUTION, attempt=1, at=T0)
    # Then the claim says email again (no channel: as every claim written before SMS)
    item = dynamodb.get_item(TableName=nurture_table, Key=send_key(KEY))["Item"]
    assert not {"channel", "segments", "encoding"} & set(item)
    record = ledger.get(KEY)
    assert record is not None and (record.channel, record.segments, record.encoding) == ("email", None, None)


def test_an_sms_message_id_points_back_to_its_claim_for_30_days(
    ledger: SendLedger, dynamodb: Any, nurture_table: str
) -> None:
    ledger.record_sms_message(KEY, claim_id="a", message_id="sns-1", at=T0)
    item = dynamodb.get_item(TableName=nurture_table, Key={"pk": {"S": "SMSMESSAGE#sns-1"}, "sk": {"S": "SEND"}})[
        "Item"
    ]
    assert {name: value.get("S") for name, value in item.items() if "S" in value} == {
        "pk": "SMSMESSAGE#sns-1",
        "sk": "SEND",
        "contact_id": "c1",
        "journey": "welcome",
        "step": "welcome",
        "enrolment": "welcome-c1-1",
        "claim_id": "a",
    }
    assert int(item["expires_at"]["N"]) == int((T0 + timedelta(days=30)).timestamp())


# ---------------------------------------------------------------- the reconciler's writes


def unknown(ledger: SendLedger, claim_id: str = "a") -> None:
    assert claim(ledger, claim_id)
    ledger.start_sending(KEY, claim_id=claim_id, at=T0)
    ledger.record_unknown(KEY, claim_id=claim_id, at=T0 + timedelta(seconds=5))


def test_a_re_send_claim_is_taken_once_and_its_own_re_sent_copy_is_recognised(ledger: SendLedger) -> None:
    # Given an unknown claim
    unknown(ledger)
    # When a reconciler takes it for a re-send, and botocore re-sends that same write
    assert ledger.claim_resend(KEY, previous_claim_id="a", claim_id="r1", at=T0 + timedelta(hours=1)) is True
    assert ledger.claim_resend(KEY, previous_claim_id="a", claim_id="r1", at=T0 + timedelta(hours=1)) is True
    # Then it counts one re-send, under the new claim id, back in the index from now
    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.claim_id, record.resends, record.claims) == ("sending", "r1", 1, 2)
    assert record.unknown_at is None and record.execution == EXECUTION
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(hours=1))) == [KEY]
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(minutes=59))) == []
    # And another reconciler holding the old claim id is refused, and so is a second re-send
    assert ledger.claim_resend(KEY, previous_claim_id="a", claim_id="r2", at=T0 + timedelta(hours=1)) is False
    assert ledger.claim_resend(KEY, previous_claim_id="r1", claim_id="r3", at=T0 + timedelta(hours=3)) is False


def test_a_claim_given_up_leaves_the_index_and_its_late_event_still_settles_it(ledger: SendLedger) -> None:
    unknown(ledger)
    ledger.give_up(KEY, claim_id="a", at=T0 + timedelta(hours=2))
    ledger.give_up(KEY, claim_id="a", at=T0 + timedelta(hours=2))  # its own re-sent copy
    record = ledger.get(KEY)
    assert record is not None and (record.status, record.lost_at) == ("lost", T0 + timedelta(hours=2))
    assert list(ledger.unsettled(since_at_most=T0 + timedelta(days=1))) == []
    # and nobody may claim it again
    assert claim(ledger, "b", execution="another") is False
    ledger.record_sent(KEY, claim_id="a", message_id="m-late", at=T0 + timedelta(hours=3))
    record = ledger.get(KEY)
    assert record is not None and (record.status, record.message_id) == ("sent", "m-late")


def test_giving_up_a_claim_someone_else_moved_on_is_refused(ledger: SendLedger) -> None:
    unknown(ledger)
    assert ledger.claim_resend(KEY, previous_claim_id="a", claim_id="r1", at=T0 + timedelta(hours=1))
    with pytest.raises(ClaimSuperseded):
        ledger.give_up(KEY, claim_id="a", at=T0 + timedelta(hours=2))

"""The shipped DynamoDB adapters, through their real scenarios, on moto and on the local engine.

Each test asserts the observable result explicitly; both backends must give it. The one place the
backends differ is DynamoDB's number normalisation (see ``test_..._revenue_is_returned_normalised``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.process import app
from nurture.adapters.dynamodb_deliveries import DELIVERY_MEMORY_SECONDS, DynamoDbDeliveryLog
from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.dynamodb_sends import DynamoDbRecipients, SendLedger, send_key
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import ClaimSuperseded, SendKey
from nurture.messaging.delivery import Recipient
from nurture.profiles.model import ConsentRecord, Profile, StoreCustomer
from nurture.settings import ProcessSettings
from tests.contract.conftest import Backend
from tests.integration.test_process import (
    STATE_MACHINE_ARN,
    RecordingStepFunctions,
    deliver,
    failures,
)
from tests.unit.profiles.profile_events import (
    CUSTOMER_ID,
    EMAIL,
    PHONE,
    STORE,
    T0,
    at,
    cancelled,
    consent,
    contact,
    order,
    placed,
    upserted,
)

RETENTION_DAYS = 30
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:welcome:welcome-c1"


@pytest.fixture
def sfn() -> RecordingStepFunctions:
    return RecordingStepFunctions()


@pytest.fixture
def process(backend: Backend, sfn: RecordingStepFunctions) -> Iterator[Any]:
    settings = ProcessSettings(
        table_name=backend.table, welcome_state_machine_arn=STATE_MACHINE_ARN, event_retention_days=RETENTION_DAYS
    )
    app.use_dependencies(app.build_dependencies(settings, dynamodb_client=backend.client, sfn_client=sfn))
    yield app
    app.use_dependencies(None)


def items_of(backend: Backend, contact_id: str, prefix: str) -> list[dict[str, Any]]:
    answer = backend.client.query(
        TableName=backend.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":prefix": {"S": prefix}},
        ConsistentRead=True,
    )
    return list(answer["Items"])


def contact_id_by_email(backend: Backend, email: str = EMAIL) -> str:
    key = {"pk": {"S": f"IDENTITY#email#{hashlib.sha256(email.encode()).hexdigest()}"}, "sk": {"S": "IDENTITY"}}
    item = backend.client.get_item(TableName=backend.table, Key=key, ConsistentRead=True)["Item"]
    return str(item["contact_id"]["S"])


def profile_item(backend: Backend, contact_id: str) -> dict[str, Any]:
    [item] = items_of(backend, contact_id, "PROFILE")
    return item


# ---- ProfileRepository through the process handler ----


def test_given_a_new_person_when_their_event_is_processed_then_contact_identities_profile_and_log_exist(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    event = upserted(at(0), contact(first_name="Ada", phone=PHONE))

    response = deliver(lambda_context, event)

    assert failures(response) == []
    contact_id = contact_id_by_email(backend)
    profile = profile_item(backend, contact_id)
    assert (profile["email"], profile["first_name"], profile["version"]) == ({"S": EMAIL}, {"S": "Ada"}, {"N": "1"})
    assert profile["customers"]["L"][0]["M"]["customer_id"] == {"S": CUSTOMER_ID}
    scan = backend.client.scan(TableName=backend.table)["Items"]
    kinds = sorted(item["pk"]["S"].split("#")[1] for item in scan if item["sk"]["S"] == "IDENTITY")
    assert kinds == ["customer", "email", "phone"]
    [logged] = items_of(backend, contact_id, "EVENT#")
    assert int(logged["expires_at"]["N"]) == int((T0 + timedelta(days=RETENTION_DAYS)).timestamp())
    assert json.loads(logged["body"]["S"])["event_id"] == event.event_id


def test_given_an_applied_event_when_delivered_twice_more_then_one_log_item_and_an_unchanged_profile(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    event = upserted(at(0), contact(first_name="Ada"))
    deliver(lambda_context, event)
    contact_id = contact_id_by_email(backend)
    before = profile_item(backend, contact_id)

    response = deliver(lambda_context, event, event)

    assert failures(response) == []
    assert profile_item(backend, contact_id) == before
    assert len(items_of(backend, contact_id, "EVENT#")) == 1


def test_given_a_newer_update_when_an_older_one_arrives_then_it_is_logged_but_overwrites_nothing(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    deliver(lambda_context, upserted(at(2), contact(first_name="New")))
    contact_id = contact_id_by_email(backend)
    before = profile_item(backend, contact_id)

    response = deliver(lambda_context, upserted(at(1), contact(first_name="Old", last_name="Stale")))

    assert failures(response) == []
    after = profile_item(backend, contact_id)
    assert after == before
    assert "last_name" not in after
    assert len(items_of(backend, contact_id, "EVENT#")) == 2


def test_given_orders_when_one_is_cancelled_then_the_aggregates_take_it_back_and_the_revenue_is_returned_normalised(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order("A", "10.00"), at(1)), placed(order("B", "5.50"), at(2)))

    response = deliver(lambda_context, cancelled(order("A", "10.00"), at(3)))

    assert failures(response) == []
    contact_id = contact_id_by_email(backend)
    profile = profile_item(backend, contact_id)
    assert profile["order_count"] == {"N": "1"}
    # AWS: "Leading and trailing zeroes are trimmed" (DynamoDB developer guide, Supported data types,
    # Number): the service answers "5.5" for a stored "5.50". moto keeps the text as sent.
    assert profile["revenue"] == {"M": {"EUR": {"N": backend.known(moto="5.50", engine="5.5")}}}
    orders = {item["order_id"]["S"]: item for item in items_of(backend, contact_id, "ORDER#")}
    assert (orders["A"]["status"], orders["A"]["counted"]) == ({"S": "cancelled"}, {"BOOL": False})
    repository = ProfileRepository(backend.table, backend.client)
    stored = repository.get_profile(contact_id)
    assert stored is not None
    assert stored.orders.revenue == {"EUR": Decimal("5.50")}


def test_given_a_contact_when_found_by_customer_id_or_phone_then_events_merge_into_one_profile(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    from nurture.events import Contact

    deliver(lambda_context, upserted(at(0), contact(phone=PHONE)))
    contact_id = contact_id_by_email(backend)

    response = deliver(
        lambda_context,
        placed(order("9001", "42"), at(1), who=Contact(customer_id=CUSTOMER_ID)),
        consent("subscribed", at(2), channel="sms", who=Contact(phone=PHONE)),
    )

    assert failures(response) == []
    profile = profile_item(backend, contact_id)
    assert profile["order_count"] == {"N": "1"}
    assert profile["sms_consent"]["M"]["state"] == {"S": "subscribed"}
    assert backend.client.scan(TableName=backend.table, Select="COUNT")["Count"] == 3 + 1 + 1 + 3
    repository = ProfileRepository(backend.table, backend.client)
    assert repository.find_contact_id(phone=PHONE) == contact_id
    assert repository.find_contact_id(customer=StoreCustomer("shopify", STORE, CUSTOMER_ID)) == contact_id


def test_given_a_subscription_when_processed_twice_then_one_welcome_start_and_the_duplicate_reuses_its_effects(
    backend: Backend, process: Any, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    subscribe = consent("subscribed", at(1))
    sfn.failures.append("ThrottlingException")
    first = deliver(lambda_context, subscribe)

    retried = deliver(lambda_context, subscribe)

    contact_id = contact_id_by_email(backend)
    assert failures(first) == ["00000000-0000-4000-8000-000000000000"]
    assert failures(retried) == []
    assert list(sfn.executions) == [f"welcome-{contact_id}"]
    assert len(items_of(backend, contact_id, "EVENT#")) == 1


def test_given_the_table_is_missing_when_processed_then_the_record_fails(
    backend: Backend, process: Any, lambda_context: Any
) -> None:
    backend.client.delete_table(TableName=backend.table)

    response = deliver(lambda_context, upserted(at(0)))

    assert failures(response) == ["00000000-0000-4000-8000-000000000000"]


def test_given_a_racing_writer_when_the_profile_changes_between_read_and_write_then_the_update_is_replanned(
    backend: Backend,
) -> None:
    from tests.integration.test_process import InterleavingClient

    plain = ProfileRepository(backend.table, backend.client, event_retention_days=RETENTION_DAYS)
    plain.apply(upserted(at(0), contact(first_name="First")))
    racing = ProfileRepository(
        backend.table,
        InterleavingClient(
            backend.client, "transact_write_items", lambda: plain.apply(upserted(at(2), contact(first_name="New")))
        ),
        event_retention_days=RETENTION_DAYS,
    )

    result = racing.apply(upserted(at(1), contact(first_name="Old", last_name="Older")))

    assert result.outcome == "applied"
    assert "contact.updated" in result.ignored
    assert profile_item(backend, result.contact_id or "")["version"] == {"N": "2"}
    assert len(items_of(backend, result.contact_id or "", "EVENT#")) == 3


def test_given_two_first_sightings_race_when_the_rival_claims_the_email_first_then_both_agree(
    backend: Backend,
) -> None:
    from tests.integration.test_process import InterleavingClient

    rival = ProfileRepository(backend.table, backend.client)
    rival_ids: list[str] = []
    racing = ProfileRepository(
        backend.table,
        InterleavingClient(
            backend.client,
            "put_item",
            lambda: rival_ids.append(rival.resolve_contact(contact(), source="shopify", store=STORE).contact_id),
        ),
    )

    resolution = racing.resolve_contact(contact(phone=PHONE), source="shopify", store=STORE)

    assert resolution.contact_id == rival_ids[0]
    assert racing.find_contact_id(phone=PHONE) == rival_ids[0]


def test_given_a_duplicate_event_when_applied_directly_then_the_cancellation_carries_the_first_items_effects(
    backend: Backend,
) -> None:
    repository = ProfileRepository(backend.table, backend.client)
    subscribe = consent("subscribed", at(1))
    first = repository.apply(subscribe)

    again = repository.apply(subscribe)

    assert (first.outcome, again.outcome) == ("applied", "duplicate")
    assert again.effects == first.effects
    assert again.welcome_due


# ---- The send ledger ----

KEY = SendKey("c1", "welcome", "welcome")


def claim(ledger: SendLedger, claim_id: str, execution: str = EXECUTION, attempt: int = 0) -> bool:
    return ledger.claim(KEY, claim_id=claim_id, execution=execution, attempt=attempt, at=T0)


def test_given_a_claim_when_another_execution_claims_then_refused_and_a_resent_copy_counts_once(
    backend: Backend,
) -> None:
    ledger = SendLedger(backend.table, backend.client)

    assert claim(ledger, "a") is True
    assert claim(ledger, "b", execution="another") is False
    assert claim(ledger, "a") is True  # botocore re-sent the first write: recognised as ours

    item = backend.client.get_item(TableName=backend.table, Key=send_key("c1", "welcome", "welcome"))["Item"]
    assert (item["status"], item["claim_id"], item["claims"], item["attempt"]) == (
        {"S": "claimed"},
        {"S": "a"},
        {"N": "1"},
        {"N": "0"},
    )


def test_given_an_unsent_claim_when_the_same_execution_retries_then_it_takes_over_and_supersedes(
    backend: Backend,
) -> None:
    ledger = SendLedger(backend.table, backend.client)
    claim(ledger, "a")

    assert claim(ledger, "b", attempt=1) is True

    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.claim_id, record.attempt, record.claims) == ("claimed", "b", 1, 2)
    with pytest.raises(ClaimSuperseded):
        ledger.start_sending(KEY, claim_id="a", at=T0)


def test_given_a_send_in_flight_when_retries_claim_then_refused_until_a_definite_failure(backend: Backend) -> None:
    ledger = SendLedger(backend.table, backend.client)
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.start_sending(KEY, claim_id="a", at=T0)  # a re-sent copy is ours

    assert claim(ledger, "retry", attempt=1) is False
    ledger.record_failed(KEY, claim_id="a", error="TooManyRequestsException", at=T0)
    assert ledger.claim(KEY, claim_id="b", execution=EXECUTION, attempt=1, at=T0 + timedelta(seconds=5)) is True

    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.claims, record.error, record.failed_at, record.sending_at) == (
        "claimed",
        2,
        None,
        None,
        None,
    )
    item = backend.client.get_item(TableName=backend.table, Key=send_key("c1", "welcome", "welcome"))["Item"]
    assert "error" not in item


def test_given_a_sent_step_when_claimed_again_then_refused_and_the_record_shows_it(backend: Backend) -> None:
    ledger = SendLedger(backend.table, backend.client)
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)

    ledger.record_sent(KEY, claim_id="a", message_id="m-1", at=T0 + timedelta(seconds=1))
    ledger.record_sent(KEY, claim_id="a", message_id="m-1", at=T0 + timedelta(seconds=1))  # re-sent copy

    assert claim(ledger, "b") is False
    record = ledger.get(KEY)
    assert record is not None
    assert (record.status, record.message_id, record.sent_at) == ("sent", "m-1", T0 + timedelta(seconds=1))


def test_given_an_unknown_outcome_when_the_provider_answers_late_then_it_is_settled(backend: Backend) -> None:
    ledger = SendLedger(backend.table, backend.client)
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    ledger.record_unknown(KEY, claim_id="a", at=T0 + timedelta(seconds=10))

    assert claim(ledger, "b", attempt=1) is False
    ledger.record_sent(KEY, claim_id="a", message_id="m-late", at=T0 + timedelta(seconds=11))

    record = ledger.get(KEY)
    assert record is not None and (record.status, record.message_id) == ("sent", "m-late")


def test_given_no_claim_or_another_holder_when_finishing_then_superseded_and_nothing_is_written(
    backend: Backend,
) -> None:
    ledger = SendLedger(backend.table, backend.client)
    nobody = SendKey("c9", "welcome", "welcome")

    with pytest.raises(ClaimSuperseded):
        ledger.record_sent(nobody, claim_id="x", message_id="m", at=T0)
    claim(ledger, "a")
    ledger.start_sending(KEY, claim_id="a", at=T0)
    with pytest.raises(ClaimSuperseded):
        ledger.record_failed(KEY, claim_id="someone-else", error="x", at=T0)

    assert ledger.get(nobody) is None
    with pytest.raises(DependencyUnavailable):
        SendLedger("no-such-table", backend.client).claim(KEY, claim_id="a", execution=EXECUTION, attempt=0, at=T0)


def test_given_a_profile_item_when_the_sender_reads_the_recipient_then_consent_and_store_come_from_it(
    backend: Backend,
) -> None:
    consent_record = ConsentRecord("subscribed", T0, "shopify", "acme.myshopify.com", "e1")
    profile = Profile(
        contact_id="c1",
        created_at=T0,
        updated_at=T0,
        source="shopify",
        store="other.myshopify.com",
        email="ada@example.com",
        first_name="Ada",
        locale="en-GB",
        email_consent=consent_record,
    )
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    backend.client.put_item(TableName=backend.table, Item={**profile_key("c1"), **attributes})

    recipients = DynamoDbRecipients(backend.table, backend.client)

    assert recipients.get("c1") == Recipient(
        contact_id="c1",
        email="ada@example.com",
        email_consent="subscribed",
        first_name="Ada",
        locale="en-GB",
        store="acme.myshopify.com",
    )
    assert recipients.get("nobody") is None


# ---- The webhook delivery log ----


def test_given_a_remembered_delivery_when_checked_then_seen_until_it_expires(backend: Backend) -> None:
    now = [datetime(2026, 3, 1, tzinfo=UTC).timestamp()]
    log = DynamoDbDeliveryLog(backend.table, backend.client, clock=lambda: now[0])

    assert log.seen("shopify", "d-1") is False
    log.remember("shopify", "d-1")

    assert log.seen("shopify", "d-1") is True
    assert log.seen("shopify", "d-2") is False
    now[0] += DELIVERY_MEMORY_SECONDS + 1
    assert log.seen("shopify", "d-1") is False


def test_given_a_missing_table_when_the_delivery_log_is_used_then_the_dependency_is_unavailable(
    backend: Backend,
) -> None:
    log = DynamoDbDeliveryLog("no-such-table", backend.client)

    with pytest.raises(DependencyUnavailable):
        log.seen("shopify", "d-1")
    with pytest.raises(DependencyUnavailable):
        log.remember("shopify", "d-1")

"""Shipped adapter scenarios that the integration tests do not already cover on both backends
(test_shipped_scenarios.py re-runs those): the two where moto's number text departs from AWS's, the
duplicate detection through the cancellation's item, and the webhook delivery log."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from nurture.adapters.dynamodb_deliveries import DELIVERY_MEMORY_SECONDS, DynamoDbDeliveryLog
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.errors import DependencyUnavailable
from nurture.profiles.model import StoreCustomer
from tests.contract.conftest import Backend
from tests.integration.test_process import (  # noqa: F401 (process and sfn are fixtures)
    contact_id_by_email,
    deliver,
    failures,
    items_of,
    process,
    profile_item,
    sfn,
)
from tests.unit.profiles.profile_events import (
    CUSTOMER_ID,
    PHONE,
    STORE,
    at,
    cancelled,
    consent,
    contact,
    order,
    placed,
    upserted,
)

# ---- ProfileRepository through the process handler ----


@pytest.mark.usefixtures("process")
def test_given_orders_when_one_is_cancelled_then_the_aggregates_take_it_back_and_the_revenue_is_returned_normalised(
    backend: Backend, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order("A", "10.00"), at(1)), placed(order("B", "5.50"), at(2)))

    response = deliver(lambda_context, cancelled(order("A", "10.00"), at(3)))

    assert failures(response) == []
    contact_id = contact_id_by_email(backend.client, backend.table)
    profile = profile_item(backend.client, backend.table, contact_id)
    assert profile["order_count"] == {"N": "1"}
    # AWS: "Leading and trailing zeroes are trimmed" (DynamoDB developer guide, Supported data types,
    # Number): the service answers "5.5" for a stored "5.50". moto keeps the text as sent.
    assert profile["revenue"] == {"M": {"EUR": {"N": backend.known(moto="5.50", engine="5.5")}}}
    orders = {item["order_id"]["S"]: item for item in items_of(backend.client, backend.table, contact_id, "ORDER#")}
    assert (orders["A"]["status"], orders["A"]["counted"]) == ({"S": "cancelled"}, {"BOOL": False})
    repository = ProfileRepository(backend.table, backend.client)
    stored = repository.get_profile(contact_id)
    assert stored is not None
    assert stored.orders.revenue == {"EUR": Decimal("5.50")}


@pytest.mark.usefixtures("process")
def test_given_a_contact_when_found_by_customer_id_or_phone_then_events_merge_into_one_profile(
    backend: Backend, lambda_context: Any
) -> None:
    from nurture.events import Contact

    deliver(lambda_context, upserted(at(0), contact(phone=PHONE)))
    contact_id = contact_id_by_email(backend.client, backend.table)

    response = deliver(
        lambda_context,
        placed(order("9001", "42.00"), at(1), who=Contact(customer_id=CUSTOMER_ID)),
        consent("subscribed", at(2), channel="sms", who=Contact(phone=PHONE)),
    )

    assert failures(response) == []
    profile = profile_item(backend.client, backend.table, contact_id)
    assert profile["order_count"] == {"N": "1"}
    # AWS trims trailing zeros (see the cancelled-order test above); moto keeps "42.00".
    assert profile["revenue"] == {"M": {"EUR": {"N": backend.known(moto="42.00", engine="42")}}}
    assert profile["sms_consent"]["M"]["state"] == {"S": "subscribed"}
    # events, profile, order, ids, the SMS welcome's enrolment (SMS consent became subscribed), and the
    # counted order's recommendations data (its product's info and its two categories: docs/offers.md)
    assert backend.client.scan(TableName=backend.table, Select="COUNT")["Count"] == 3 + 1 + 1 + 3 + 1 + 3
    repository = ProfileRepository(backend.table, backend.client)
    assert repository.find_contact_id(phone=PHONE) == contact_id
    assert repository.find_contact_id(customer=StoreCustomer("shopify", STORE, CUSTOMER_ID)) == contact_id


def test_given_a_duplicate_event_when_applied_directly_then_it_carries_the_first_items_effects_and_journeys(
    backend: Backend,
) -> None:
    repository = ProfileRepository(backend.table, backend.client)
    subscribe = consent("subscribed", at(1))
    first = repository.apply(subscribe, triggered=lambda change: ("welcome",))

    again = repository.apply(subscribe, triggered=lambda change: ("something else",))

    assert (first.outcome, again.outcome) == ("applied", "duplicate")
    assert again.effects == first.effects
    assert again.triggered == first.triggered == ("welcome",)


# ---- The webhook delivery log ----


def test_given_a_remembered_delivery_when_checked_then_seen_until_it_expires(backend: Backend) -> None:
    now = [datetime(2026, 3, 1, tzinfo=UTC).timestamp()]
    log = DynamoDbDeliveryLog(backend.table, backend.client, clock=lambda: now[0])

    assert log.seen("shopify", STORE, "delivery:d-1") is False
    log.remember("shopify", STORE, "delivery:d-1")

    assert log.seen("shopify", STORE, "delivery:d-1") is True
    assert log.seen("shopify", STORE, "delivery:d-2") is False
    now[0] += DELIVERY_MEMORY_SECONDS + 1
    assert log.seen("shopify", STORE, "delivery:d-1") is False


def test_given_a_missing_table_when_the_delivery_log_is_used_then_the_dependency_is_unavailable(
    backend: Backend,
) -> None:
    log = DynamoDbDeliveryLog("no-such-table", backend.client)

    with pytest.raises(DependencyUnavailable):
        log.seen("shopify", STORE, "delivery:d-1")
    with pytest.raises(DependencyUnavailable):
        log.remember("shopify", STORE, "delivery:d-1")


@pytest.mark.usefixtures("process")
def test_given_a_consent_change_by_contact_id_when_processed_then_it_applies_to_that_profile_only(
    backend: Backend, lambda_context: Any
) -> None:
    from nurture.events import ConsentChanged

    deliver(lambda_context, consent("subscribed", at(1)))
    contact_id = contact_id_by_email(backend.client, backend.table)
    by_id = {"event_id": "pref-1", "source": "nurture", "store": "consent", "source_topic": "preferences"}
    preferences = ConsentChanged.model_validate(
        {**by_id, "occurred_at": at(2), "contact_id": contact_id, "unsubscribed_topics": ["offers"]}
    )
    stranger = ConsentChanged.model_validate(
        {**by_id, "event_id": "pref-2", "occurred_at": at(2), "contact_id": "nobody", "unsubscribed_topics": []}
    )

    response = deliver(lambda_context, preferences, stranger)

    assert failures(response) == []
    profile = profile_item(backend.client, backend.table, contact_id)
    assert profile["unsubscribed_topics"] == {"SS": ["offers"]}
    assert profile["email_consent"]["M"]["state"] == {"S": "subscribed"}
    stored = ProfileRepository(backend.table, backend.client).get_profile(contact_id)
    assert stored is not None and stored.unsubscribed_topics == frozenset({"offers"})
    # an event by id never creates a contact
    assert ProfileRepository(backend.table, backend.client).get_profile("nobody") is None

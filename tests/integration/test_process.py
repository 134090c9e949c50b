"""ProcessFunction on moto: SQS batches of canonical events become profiles, exactly once, in order,
and the router starts, exits and resumes journeys (welcome, abandoned checkout) exactly once."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.process import app
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_profile_items import iso
from nurture.adapters.dynamodb_profiles import MAX_ATTEMPTS, ProfileRepository
from nurture.capture.shopify import normalize
from nurture.errors import ConfigurationError, DependencyUnavailable
from nurture.events import (
    CanonicalEvent,
    CartUpdated,
    Checkout,
    CheckoutStarted,
    Contact,
    ContactBirthday,
    ContactLapsed,
    EmailEngagement,
    MessageRef,
)
from nurture.journeys.enrolments import execution_arn, key_hash
from nurture.profiles.errors import ConcurrentProfileUpdate
from nurture.profiles.model import StoreCustomer
from tests.third_party import fixture_json
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
    refunded,
    upserted,
)

PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
WELCOME_ARN = PREFIX + "welcome"
ACQUISITION_ARN = PREFIX + "acquisition_nurture"
RETENTION_DAYS = 30


class RecordingStepFunctions:
    """A boto3-shaped Step Functions client: records starts, stops and resumes, and refuses a name
    it has started before (ExecutionAlreadyExists), as AWS does."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stops: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.executions: dict[str, str] = {}
        self.failures: list[str] = []  # error codes to raise on the next starts

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.calls.append({"stateMachineArn": stateMachineArn, "name": name, "input": json.loads(input)})
        if self.failures:
            raise ClientError({"Error": {"Code": self.failures.pop(0), "Message": "refused"}}, "StartExecution")
        if name in self.executions:
            raise ClientError(
                {"Error": {"Code": "ExecutionAlreadyExists", "Message": f"Execution Already Exists: '{name}'"}},
                "StartExecution",
            )
        self.executions[name] = input
        return {"executionArn": f"{stateMachineArn.replace(':stateMachine:', ':execution:')}:{name}"}

    def stop_execution(self, *, executionArn: str, error: str, cause: str) -> dict[str, Any]:
        self.stops.append({"executionArn": executionArn, "error": error, "cause": cause})
        return {}

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        self.resumes.append({"taskToken": taskToken, "output": json.loads(output)})
        return {}


@pytest.fixture
def sfn() -> RecordingStepFunctions:
    return RecordingStepFunctions()


def environment(table: str, **overrides: str) -> dict[str, str]:
    return {
        "TABLE_NAME": table,
        "JOURNEY_STATE_MACHINE_PREFIX": PREFIX,
        "EVENT_RETENTION_DAYS": str(RETENTION_DAYS),
        **overrides,
    }


@pytest.fixture
def process(dynamodb: Any, nurture_table: str, sfn: RecordingStepFunctions) -> Any:
    """The handler with moto's DynamoDB and the recording Step Functions client injected."""
    app.use_dependencies(app.build(environment(nurture_table), clients={"dynamodb": dynamodb, "stepfunctions": sfn}))
    yield app
    app.use_dependencies(None)


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS event shaped like SAM's published sample, one record per body."""
    sample = fixture_json("aws_events/sam_sqs_receive_message_event.json")
    records = []
    for index, body in enumerate(bodies):
        record = copy.deepcopy(sample["Records"][0])
        record["messageId"] = f"00000000-0000-4000-8000-{index:012d}"
        record["body"] = body
        record["md5OfBody"] = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        records.append(record)
    return {"Records": records}


def deliver(lambda_context: Any, *events: CanonicalEvent | str) -> dict[str, Any]:
    bodies = [event if isinstance(event, str) else event.model_dump_json() for event in events]
    response: dict[str, Any] = app.lambda_handler(sqs_event(*bodies), lambda_context)
    return response


def failures(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def items_of(dynamodb: Any, table: str, contact_id: str, prefix: str) -> list[dict[str, Any]]:
    answer = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":prefix": {"S": prefix}},
        ConsistentRead=True,
    )
    return list(answer["Items"])


def profile_item(dynamodb: Any, table: str, contact_id: str) -> dict[str, Any]:
    [item] = items_of(dynamodb, table, contact_id, "PROFILE")
    return item


def contact_id_by_email(dynamodb: Any, table: str, email: str = EMAIL) -> str:
    key = {"pk": {"S": f"IDENTITY#email#{hashlib.sha256(email.encode()).hexdigest()}"}, "sk": {"S": "IDENTITY"}}
    return str(dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["contact_id"]["S"])


# ---- Profiles ----


def test_given_a_new_person_when_their_contact_event_is_processed_then_a_contact_with_identities_and_log_exists(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    event = upserted(at(0), contact(first_name="Ada", phone=PHONE))

    response = deliver(lambda_context, event)

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["email"] == {"S": EMAIL}
    assert profile["first_name"] == {"S": "Ada"}
    assert profile["version"] == {"N": "1"}
    assert profile["customers"]["L"][0]["M"]["customer_id"] == {"S": CUSTOMER_ID}
    scan = dynamodb.scan(TableName=nurture_table)["Items"]
    identity_keys = sorted(item["pk"]["S"].split("#")[1] for item in scan if item["sk"]["S"] == "IDENTITY")
    assert identity_keys == ["customer", "email", "phone"]
    assert not any(EMAIL in item["pk"]["S"] or PHONE in item["pk"]["S"] for item in scan)
    [logged] = items_of(dynamodb, nurture_table, contact_id, "EVENT#")
    assert logged["event_id"] == {"S": event.event_id}
    assert int(logged["expires_at"]["N"]) == int((T0 + timedelta(days=RETENTION_DAYS)).timestamp())
    assert json.loads(logged["body"]["S"])["event_id"] == event.event_id


def test_given_an_applied_event_when_it_is_delivered_again_then_one_event_item_and_the_profile_is_unchanged(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    event = upserted(at(0), contact(first_name="Ada"))
    deliver(lambda_context, event)
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    before = profile_item(dynamodb, nurture_table, contact_id)

    response = deliver(lambda_context, event, event)

    assert failures(response) == []
    assert profile_item(dynamodb, nurture_table, contact_id) == before
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 1


def test_given_a_newer_update_when_an_older_one_arrives_then_it_is_logged_but_overwrites_nothing(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, upserted(at(2), contact(first_name="New")))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    before = profile_item(dynamodb, nurture_table, contact_id)

    response = deliver(lambda_context, upserted(at(1), contact(first_name="Old", last_name="Stale")))

    assert failures(response) == []
    after = profile_item(dynamodb, nurture_table, contact_id)
    assert after == before
    assert after["first_name"] == {"S": "New"}
    assert "last_name" not in after
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 2


def test_given_a_contact_when_found_by_customer_id_or_phone_then_events_merge_into_the_same_profile(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, upserted(at(0), contact(phone=PHONE)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    by_customer = placed(order("9001", "42.00"), at(1), who=Contact(customer_id=CUSTOMER_ID))
    by_phone = consent("subscribed", at(2), channel="sms", who=Contact(phone=PHONE))

    response = deliver(lambda_context, by_customer, by_phone)

    assert failures(response) == []
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["order_count"] == {"N": "1"}
    assert profile["revenue"] == {"M": {"EUR": {"N": "42.00"}}}
    assert profile["sms_consent"]["M"]["state"] == {"S": "subscribed"}
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 3
    assert (
        dynamodb.scan(TableName=nurture_table, Select="COUNT")["Count"] == 3 + 1 + 1 + 3 + 1 + 3
    )  # events, profile, order, ids, the SMS welcome's enrolment (SMS consent became subscribed), and the
    # recommendations data of the counted order (its product's info and its two categories: docs/offers.md)
    repository = ProfileRepository(nurture_table, dynamodb)
    assert repository.find_contact_id(phone=PHONE) == contact_id
    assert repository.find_contact_id(customer=StoreCustomer("shopify", STORE, CUSTOMER_ID)) == contact_id
    assert repository.find_contact_id(email="ADA@example.com ") == contact_id


def test_given_a_counted_order_when_it_is_cancelled_then_the_profile_takes_it_back_and_the_order_is_recorded(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order("A", "10.00"), at(1)), placed(order("B", "5.50"), at(2)))

    response = deliver(lambda_context, cancelled(order("A", "10.00"), at(3)), placed(order("A", "10.00"), at(1)))

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["order_count"] == {"N": "1"}
    assert profile["revenue"] == {"M": {"EUR": {"N": "5.50"}}}
    orders = {item["order_id"]["S"]: item for item in items_of(dynamodb, nurture_table, contact_id, "ORDER#")}
    assert orders["A"]["status"] == {"S": "cancelled"}
    assert orders["A"]["counted"] == {"BOOL": False}
    assert orders["B"]["status"] == {"S": "placed"}
    assert ProfileRepository(nurture_table, dynamodb).get_profile(contact_id).orders.revenue == {"EUR": Decimal("5.50")}  # type: ignore[union-attr]


def test_given_counted_orders_when_refunded_then_the_refund_is_stored_and_taken_out_of_revenue(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order("A", "10.00"), at(1)), placed(order("B", "5.50"), at(2)))

    # A's partial refund, a replay of it, B's full refund, and an unpaid order that must not count.
    response = deliver(
        lambda_context,
        refunded(order("A", "10.00"), "2.50", at(3)),
        refunded(order("A", "10.00"), "2.50", at(3)),
        refunded(order("B", "5.50"), "5.50", at(4)),
        placed(order("C", "7.00", unpaid=True), at(5)),
    )

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["order_count"] == {"N": "1"}
    assert ProfileRepository(nurture_table, dynamodb).get_profile(contact_id).orders.revenue == {"EUR": Decimal("7.50")}  # type: ignore[union-attr]
    orders = {item["order_id"]["S"]: item for item in items_of(dynamodb, nurture_table, contact_id, "ORDER#")}
    assert (orders["A"]["counted"], Decimal(orders["A"]["refunded"]["N"])) == ({"BOOL": True}, Decimal("2.50"))
    assert (orders["B"]["counted"], Decimal(orders["B"]["refunded"]["N"])) == ({"BOOL": False}, Decimal("5.50"))
    assert (orders["C"]["counted"], "refunded" in orders["C"]) == ({"BOOL": False}, False)


def test_given_the_latest_order_taken_back_out_then_the_order_dates_are_those_of_the_orders_still_counted(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order("A", "10.00"), at(1)), placed(order("B", "5.50"), at(50)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    assert profile_item(dynamodb, nurture_table, contact_id)["last_order_at"] == {"S": iso(at(50))}

    # B fully refunded: the last order is A again (recency, tier and the lapsed scan follow it)
    assert failures(deliver(lambda_context, refunded(order("B", "5.50"), "5.50", at(60)))) == []
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert (profile["first_order_at"], profile["last_order_at"]) == ({"S": iso(at(1))}, {"S": iso(at(1))})
    assert profile["last_order_day"] == {"S": at(1).date().isoformat()}

    # A cancelled too: nothing counts, so no order dates and out of the lapsed index
    assert failures(deliver(lambda_context, cancelled(order("A", "10.00"), at(61)))) == []
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["order_count"] == {"N": "0"}
    assert not {"first_order_at", "last_order_at", "last_order_day"} & set(profile)


def test_given_an_anonymous_cart_when_processed_then_it_succeeds_and_writes_nothing(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    cart = CartUpdated(
        event_id="c" * 32,
        source="shopify",
        store=STORE,
        source_topic="carts/update",
        occurred_at=T0,
        cart={"token": "cart-1"},
    )

    response = deliver(lambda_context, cart)

    assert failures(response) == []
    assert dynamodb.scan(TableName=nurture_table, Select="COUNT")["Count"] == 0


# ---- The welcome journey (the router, end to end) ----


def welcome_input(contact_id: str, occurrence: int = 1, journey: str = "welcome") -> dict[str, Any]:
    return {
        "journey": journey,
        "contact_id": contact_id,
        "enrolment": {"id": f"{journey}-{contact_id}-{occurrence}", "key": None, "occurrence": occurrence},
        "steps": {},
    }


def both_series(contact_id: str) -> list[str]:
    """What subscribing starts for a contact with no order (a lead): the acquisition nurture and the
    welcome series, in the catalogue's order."""
    return [f"acquisition_nurture-{contact_id}-1", f"welcome-{contact_id}-1"]


def test_given_a_contact_when_email_consent_becomes_subscribed_then_one_welcome_journey_starts(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    response = deliver(lambda_context, upserted(at(0)), consent("subscribed", at(1)))

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    # ... and one acquisition nurture: the contact has no order, a lead
    assert sfn.calls == [
        {
            "stateMachineArn": ACQUISITION_ARN,
            "name": f"acquisition_nurture-{contact_id}-1",
            "input": welcome_input(contact_id, journey="acquisition_nurture"),
        },
        {"stateMachineArn": WELCOME_ARN, "name": f"welcome-{contact_id}-1", "input": welcome_input(contact_id)},
    ]
    lead, enrolment = items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#")
    assert lead["sk"] == {"S": "ENROLMENT#acquisition_nurture#contact#000001"}
    assert enrolment["sk"] == {"S": "ENROLMENT#welcome#contact#000001"}
    assert enrolment["status"] == lead["status"] == {"S": "running"}
    assert enrolment["enrolment_id"] == {"S": f"welcome-{contact_id}-1"}
    [logged] = [
        item
        for item in items_of(dynamodb, nurture_table, contact_id, "EVENT#")
        if item["event_type"]["S"] == "consent.changed"
    ]
    assert logged["triggered"] == {"L": [{"S": "acquisition_nurture"}, {"S": "welcome"}]}


def test_given_a_subscribed_contact_when_a_newer_subscribed_report_arrives_then_no_start_is_attempted(
    process: Any, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(1)))

    response = deliver(lambda_context, consent("subscribed", at(2)))

    assert failures(response) == []
    assert len(sfn.calls) == 2  # the welcome series and the acquisition nurture, from the first report only


def test_given_a_contact_who_left_when_subscribing_again_then_welcome_exited_and_never_restarts(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(1)), consent("unsubscribed", at(2)))

    response = deliver(lambda_context, consent("subscribed", at(3)))

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    # Unsubscribing exited both marketing series, and re-entry 'never' holds afterwards.
    assert [call["name"] for call in sfn.calls] == both_series(contact_id)
    assert sfn.stops == [
        {
            "executionArn": execution_arn(PREFIX, name.split("-")[0], name),
            "error": "JourneyExited",
            "cause": "unsubscribed",
        }
        for name in both_series(contact_id)
    ]
    enrolments = items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#")
    assert [(item["status"], item["reason"]) for item in enrolments] == [({"S": "exited"}, {"S": "unsubscribed"})] * 2


def test_given_the_journey_start_failed_when_the_record_is_retried_then_the_duplicate_still_starts_the_journey(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    subscribe = consent("subscribed", at(1))
    sfn.failures.append("ThrottlingException")
    first = deliver(lambda_context, subscribe)
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    profile_after_first = profile_item(dynamodb, nurture_table, contact_id)

    retried = deliver(lambda_context, subscribe)

    assert failures(first) == ["00000000-0000-4000-8000-000000000000"]
    assert failures(retried) == []
    assert list(sfn.executions) == both_series(contact_id)
    assert profile_item(dynamodb, nurture_table, contact_id) == profile_after_first
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 1
    assert len(items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#")) == 2


def test_given_a_started_journey_when_the_same_subscribe_is_redelivered_then_already_exists_is_not_a_failure(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    subscribe = consent("subscribed", at(1))
    deliver(lambda_context, subscribe)

    response = deliver(lambda_context, subscribe)

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    # The redelivery restarts the same name (no new occurrence) and AWS says it exists already.
    assert [call["name"] for call in sfn.calls] == both_series(contact_id) * 2
    assert len(sfn.executions) == 2
    assert len(items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#")) == 2
    assert sfn.stops == []


def test_given_a_welcome_that_ended_when_another_trigger_comes_then_reentry_never_holds(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(1)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    for name in both_series(contact_id):
        EnrolmentRepository(nurture_table, dynamodb).mark_completed(contact_id, name, at=at(2))

    response = deliver(lambda_context, consent("pending", at(3)), consent("subscribed", at(4)))

    assert failures(response) == []
    assert len(sfn.calls) == 2
    assert len(items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#")) == 2


# ---- Abandoned checkout: keyed on the checkout, exited by its order ----


def checkout_started(
    token: str, hours: float, *, url: str | None = "https://shop.example/recover/1"
) -> CheckoutStarted:
    return CheckoutStarted(
        event_id=f"checkout-{token}-{hours}",
        source="shopify",
        store=STORE,
        source_topic="checkouts/create",
        occurred_at=at(hours),
        contact=contact(),
        checkout=Checkout(token=token, currency="EUR", abandoned_checkout_url=url),
    )


def test_given_a_running_abandoned_checkout_when_its_order_arrives_then_the_enrolment_exits_and_stops(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(0)), checkout_started("tok-1", 1), checkout_started("tok-2", 1.5))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    hashed = key_hash("tok-1")
    names = [call["name"] for call in sfn.calls]
    assert f"abandoned_checkout-{contact_id}-{hashed}-1" in names
    assert f"abandoned_checkout-{contact_id}-{key_hash('tok-2')}-1" in names

    response = deliver(lambda_context, placed(order(checkout_token="tok-1"), at(2)))

    assert failures(response) == []
    enrolments = {
        item["enrolment_id"]["S"]: item
        for item in items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#abandoned_checkout#")
    }
    ended = enrolments[f"abandoned_checkout-{contact_id}-{hashed}-1"]
    assert (ended["status"], ended["reason"]) == ({"S": "exited"}, {"S": "ordered"})
    assert "ended_at" in ended
    # The other checkout's enrolment is untouched (same_key), and so is the welcome series; the order
    # ends the lead's acquisition nurture too.
    assert enrolments[f"abandoned_checkout-{contact_id}-{key_hash('tok-2')}-1"]["status"] == {"S": "running"}
    assert sfn.stops == [
        {
            "executionArn": execution_arn(PREFIX, "abandoned_checkout", f"abandoned_checkout-{contact_id}-{hashed}-1"),
            "error": "JourneyExited",
            "cause": "ordered",
        },
        {
            "executionArn": execution_arn(PREFIX, "acquisition_nurture", f"acquisition_nurture-{contact_id}-1"),
            "error": "JourneyExited",
            "cause": "ordered",
        },
    ]
    assert json.loads(ended["data"]["S"])["checkout"]["token"] == "tok-1"


def test_given_a_checkout_without_a_recovery_link_when_processed_then_no_journey_starts(
    process: Any, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(0)))

    deliver(lambda_context, checkout_started("tok-1", 1, url=None))

    assert [call["name"].split("-")[0] for call in sfn.calls] == ["acquisition_nurture", "welcome"]


def test_given_an_awaiting_enrolment_when_its_event_arrives_then_it_is_resumed(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, consent("subscribed", at(0)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    EnrolmentRepository(nurture_table, dynamodb).store_await(
        contact_id, f"welcome-{contact_id}-1", token="token-1", event="order.placed", until=None
    )

    deliver(lambda_context, placed(order(), at(1)))

    assert sfn.resumes == [{"taskToken": "token-1", "output": {"outcome": "order.placed", "at": at(1).isoformat()}}]


# ---- Derived events: by contact id ----


def test_given_a_click_for_a_known_contact_when_processed_then_the_profile_records_it(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, upserted(at(0)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)

    response = deliver(lambda_context, clicked(contact_id, at(2)), clicked(contact_id, at(1), event_id="older"))

    assert failures(response) == []
    profile = profile_item(dynamodb, nurture_table, contact_id)
    assert profile["last_click_at"] == {"S": at(2).isoformat(timespec="microseconds")}
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 3


def test_given_a_click_for_an_unknown_contact_when_processed_then_it_is_no_contact_and_writes_nothing(
    dynamodb: Any, nurture_table: str
) -> None:
    result = ProfileRepository(nurture_table, dynamodb).apply(clicked("no-such-contact", at(1)))

    assert result.outcome == "no_contact"
    assert dynamodb.scan(TableName=nurture_table)["Items"] == []


def clicked(contact_id: str, when: Any, *, event_id: str = "click-1") -> EmailEngagement:
    return EmailEngagement(
        type="email.clicked",
        event_id=event_id,
        source="nurture",
        store="ses",
        source_topic="Click",
        occurred_at=when,
        contact_id=contact_id,
        message=MessageRef(message_id="m-1", journey="welcome", step="welcome"),
    )


# ---- Bad records ----


def test_given_a_batch_with_malformed_records_when_processed_then_only_they_fail(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    leaky = json.dumps({"type": "contact.upserted", "contact": {"email": "leak@example.com"}})

    response = deliver(lambda_context, upserted(at(0)), "not json at all", leaky, consent("subscribed", at(1)))

    assert failures(response) == ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    assert len(items_of(dynamodb, nurture_table, contact_id, "EVENT#")) == 2
    assert caplog.messages.count("malformed record") == 2
    logged = " ".join(repr(record.__dict__) for record in caplog.records)
    assert "leak@example.com" not in logged
    assert EMAIL not in logged


def test_given_a_batch_of_only_malformed_records_when_processed_then_all_are_reported_not_raised(
    process: Any, lambda_context: Any
) -> None:
    response = deliver(lambda_context, "{}", "[]")

    assert len(failures(response)) == 2


def test_given_the_table_is_missing_when_processed_then_the_record_fails(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    dynamodb.delete_table(TableName=nurture_table)

    response = deliver(lambda_context, upserted(at(0)))

    assert failures(response) == ["00000000-0000-4000-8000-000000000000"]


# ---- Races ----


class InterleavingClient:
    """Forwards to the real client, but runs ``before_first(name)`` once before the first such call."""

    def __init__(self, client: Any, operation: str, before_first: Any) -> None:
        self._client = client
        self._operation = operation
        self._before_first = before_first

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name != self._operation or self._before_first is None:
            return attribute

        def intercepted(**kwargs: Any) -> Any:
            hook, self._before_first = self._before_first, None
            hook()
            return attribute(**kwargs)

        return intercepted


def test_given_a_newer_update_lands_between_read_and_write_when_an_older_one_commits_then_it_is_replanned(
    dynamodb: Any, nurture_table: str
) -> None:
    plain = ProfileRepository(nurture_table, dynamodb, event_retention_days=RETENTION_DAYS)
    plain.apply(upserted(at(0), contact(first_name="First")))
    racing = ProfileRepository(
        nurture_table,
        InterleavingClient(
            dynamodb, "transact_write_items", lambda: plain.apply(upserted(at(2), contact(first_name="New")))
        ),
        event_retention_days=RETENTION_DAYS,
    )

    result = racing.apply(upserted(at(1), contact(first_name="Old", last_name="Older")))

    assert result.outcome == "applied"
    assert "contact.updated" in result.ignored
    profile = plain.get_profile(result.contact_id or "")
    assert profile is not None
    assert (profile.first_name, profile.last_name, profile.contact_updated_at) == ("New", None, at(2))
    assert profile_item(dynamodb, nurture_table, result.contact_id or "")["version"] == {"N": "2"}
    assert len(items_of(dynamodb, nurture_table, result.contact_id or "", "EVENT#")) == 3


def test_given_two_first_sightings_race_when_the_other_claims_the_email_first_then_both_agree_on_its_contact(
    dynamodb: Any, nurture_table: str
) -> None:
    rival = ProfileRepository(nurture_table, dynamodb)
    rival_ids: list[str] = []
    racing = ProfileRepository(
        nurture_table,
        InterleavingClient(
            dynamodb,
            "put_item",
            lambda: rival_ids.append(rival.resolve_contact(contact(), source="shopify", store=STORE).contact_id),
        ),
    )

    resolution = racing.resolve_contact(contact(phone=PHONE), source="shopify", store=STORE)

    assert resolution.contact_id == rival_ids[0]
    assert resolution.conflicts == ()
    assert racing.find_contact_id(phone=PHONE) == rival_ids[0]


class CancellingClient:
    """Forwards to the real client; transact_write_items answers as ``transact`` decides."""

    def __init__(self, client: Any, transact: Any) -> None:
        self._client = client
        self.transact_write_items = lambda **kwargs: transact(client, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def cancellation(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def test_given_the_profile_keeps_changing_when_applying_then_it_gives_up_after_bounded_attempts(
    dynamodb: Any, nurture_table: str
) -> None:
    calls: list[int] = []

    def always_conflicting(client: Any, kwargs: dict[str, Any]) -> Any:
        calls.append(len(kwargs["TransactItems"]))
        raise cancellation("None", "ConditionalCheckFailed")

    repository = ProfileRepository(nurture_table, CancellingClient(dynamodb, always_conflicting))

    with pytest.raises(ConcurrentProfileUpdate):
        repository.apply(upserted(at(0)))

    assert len(calls) == MAX_ATTEMPTS


def test_given_a_duplicate_whose_cancellation_omits_the_item_when_applying_then_effects_are_read_back(
    dynamodb: Any, nurture_table: str
) -> None:
    subscribe = consent("subscribed", at(1))
    ProfileRepository(nurture_table, dynamodb).apply(subscribe, triggered=lambda change: ("welcome",))

    def without_items(client: Any, kwargs: dict[str, Any]) -> Any:
        try:
            return client.transact_write_items(**kwargs)
        except ClientError as exc:
            for reason in exc.response.get("CancellationReasons", []):
                reason.pop("Item", None)
            raise

    result = ProfileRepository(nurture_table, CancellingClient(dynamodb, without_items)).apply(subscribe)

    assert result.outcome == "duplicate"
    assert "consent.email" in result.effects
    assert result.triggered == ("welcome",)


def test_given_throttling_when_applying_then_the_dependency_is_unavailable(dynamodb: Any, nurture_table: str) -> None:
    def throttled(client: Any, kwargs: dict[str, Any]) -> Any:
        raise cancellation("None", "ThrottlingError")

    with pytest.raises(DependencyUnavailable, match="ThrottlingError"):
        ProfileRepository(nurture_table, CancellingClient(dynamodb, throttled)).apply(upserted(at(0)))


# ---- Published payloads and configuration ----


def test_given_the_published_shopify_test_order_when_processed_then_it_is_recorded_but_not_counted(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    payload = fixture_json("shopify/orders_create.json")
    events = normalize("orders/create", payload, store=STORE)

    response = deliver(lambda_context, *events)

    assert failures(response) == []
    buyer = next(event.contact for event in events if event.type == "order.placed")
    assert buyer is not None
    contact_id = ProfileRepository(nurture_table, dynamodb).find_contact_id(email=buyer.email)
    assert contact_id is not None
    # Shopify's published sample is a test order: recorded, never counted in the aggregates.
    assert payload["test"] is True
    [recorded] = items_of(dynamodb, nurture_table, contact_id, "ORDER#")
    assert recorded["order_id"] == {"S": str(payload["id"])}
    assert recorded["is_test"] == {"BOOL": True}
    assert profile_item(dynamodb, nurture_table, contact_id)["order_count"] == {"N": "0"}
    subscribed = any(
        event.type == "consent.changed" and event.email is not None and event.email.state == "subscribed"
        for event in events
    )
    # a test order is not counted: a subscribed buyer is still a lead
    assert [call["name"] for call in sfn.calls] == (both_series(contact_id) if subscribed else [])


def test_given_settings_in_the_environment_when_invoked_then_the_handler_builds_its_own_dependencies(
    dynamodb: Any, nurture_table: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", nurture_table)
    monkeypatch.setenv("JOURNEY_STATE_MACHINE_PREFIX", PREFIX)
    monkeypatch.setenv("EVENT_RETENTION_DAYS", "400")
    app.use_dependencies(None)
    try:
        response = deliver(lambda_context, upserted(at(0)))
    finally:
        app.use_dependencies(None)

    assert failures(response) == []
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    [logged] = items_of(dynamodb, nurture_table, contact_id, "EVENT#")
    assert int(logged["expires_at"]["N"]) == int((T0 + timedelta(days=400)).timestamp())


def test_given_a_missing_setting_when_invoked_then_it_is_a_configuration_error_naming_it(
    lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("JOURNEY_STATE_MACHINE_PREFIX", PREFIX)
    monkeypatch.delenv("EVENT_RETENTION_DAYS", raising=False)
    app.use_dependencies(None)

    with pytest.raises(ConfigurationError, match="EVENT_RETENTION_DAYS"):
        deliver(lambda_context, upserted(at(0)))


# ---- Issue 13: a withdrawal is never lost to a claim from the future ----


def test_given_a_queued_subscribe_dated_2099_when_an_unsubscribe_follows_then_consent_is_unsubscribed(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    from datetime import UTC, datetime

    # Queued before intake bounded timestamps: processing must still let the withdrawal win.
    future = consent("subscribed", datetime(2099, 1, 1, tzinfo=UTC), occurred_at=at(0))
    withdrawal = consent("unsubscribed", datetime(2026, 6, 1, tzinfo=UTC))

    response = deliver(lambda_context, future, withdrawal)

    assert failures(response) == []
    profile = profile_item(dynamodb, nurture_table, contact_id_by_email(dynamodb, nurture_table))
    assert profile["email_consent"]["M"]["state"] == {"S": "unsubscribed"}


def test_the_module_loads_what_a_batch_needs_at_import_but_not_powertools_parser_models() -> None:
    # Imports belong to Lambda's init phase (docs/architecture.md); Powertools' batch utility builds
    # its parser models when pydantic is imported before it, and this handler uses none of them.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, functions.process.app; "
        "print(sorted(m for m in ('boto3', 'pydantic', 'aws_lambda_powertools.utilities.parser.models', "
        "'aws_xray_sdk') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)  # noqa: S603
    assert result.stdout.strip() == "['boto3', 'pydantic']"


def test_given_a_lapsed_customer_when_the_scan_event_comes_then_win_back_starts_and_an_order_exits_it(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any, sfn: RecordingStepFunctions
) -> None:
    deliver(lambda_context, placed(order(), at(0)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    lapsed = ContactLapsed(
        event_id="lapsed-1",
        source="nurture",
        store="scan",
        source_topic="lapsed",
        occurred_at=at(90 * 24),
        contact_id=contact_id,
        last_order_at=at(0),
        days=90,
    )

    deliver(lambda_context, lapsed, lapsed.model_copy(update={"contact_id": "no-such-contact", "event_id": "x"}))
    deliver(lambda_context, placed(order("5002"), at(91 * 24)))

    assert [call["name"] for call in sfn.calls] == [f"win_back-{contact_id}-1"]
    assert [stop["cause"] for stop in sfn.stops] == ["ordered"]
    [enrolment] = items_of(dynamodb, nurture_table, contact_id, "ENROLMENT#win_back#")
    assert (enrolment["status"], enrolment["reason"]) == ({"S": "exited"}, {"S": "ordered"})


def test_given_a_birthday_from_the_scan_then_it_is_recorded_and_nothing_else_changes(
    process: Any, dynamodb: Any, nurture_table: str, lambda_context: Any
) -> None:
    deliver(lambda_context, placed(order(), at(0)))
    contact_id = contact_id_by_email(dynamodb, nurture_table)
    before = profile_item(dynamodb, nurture_table, contact_id)
    birthday = ContactBirthday(
        event_id="birthday-1",
        source="nurture",
        store="scan",
        source_topic="scan/birthday",
        occurred_at=at(48),
        contact_id=contact_id,
        date=date(2026, 3, 4),
    )

    response = deliver(lambda_context, birthday, birthday.model_copy(update={"contact_id": "nobody", "event_id": "y"}))

    assert failures(response) == []
    assert profile_item(dynamodb, nurture_table, contact_id) == before  # not even last_activity_at
    [logged] = [
        item for item in items_of(dynamodb, nurture_table, contact_id, "EVENT#") if "birthday" in item["sk"]["S"]
    ]
    assert (logged["event_type"], logged["effects"]) == ({"S": "contact.birthday"}, {"L": []})

"""RefreshFunction on moto (docs/scoring.md, "The refresh pass"): the due contacts of every shard get
a contact.refresh on the events queue, the same ids on a rerun; once a day the VIP threshold is
recomputed from the customer_value index and the contacts it moves are refreshed after SQS's delay.
Profile items are put as ProcessFunction will write them (tests/insights_items.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from nurture.adapters.dynamodb_profile_items import profile_key
from nurture.events import ContactRefresh
from nurture.profiles.refresh import refresh_event
from tests.conftest import TABLE_NAME
from tests.function_apps import QueueingFunction, events_queue, load_app
from tests.insights_items import profile_item, recorded_calls

NOW = datetime(2026, 6, 30, 13, 0, tzinfo=UTC)
THRESHOLD_KEY = {"pk": {"S": "SETTINGS"}, "sk": {"S": "VIP_THRESHOLD"}}


@dataclass
class World(QueueingFunction):
    now: datetime = NOW

    def put(self, *items: dict[str, Any]) -> None:
        for item in items:
            self.dynamodb.put_item(TableName=TABLE_NAME, Item=item)

    def queued(self) -> list[ContactRefresh]:
        """The refreshes visible on the queue now (delayed ones are not), removed from it."""
        received = self.received()
        events = [event for event in received if isinstance(event, ContactRefresh)]
        assert len(events) == len(received)  # nothing else was sent
        return sorted(events, key=lambda e: (e.contact_id, e.due_at))

    def delayed(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesDelayed"])

    def threshold_item(self) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(TableName=TABLE_NAME, Key=THRESHOLD_KEY).get("Item")
        return item


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> World:
    return World(dynamodb, *events_queue(), load_app("refresh"))


def test_every_due_contact_is_sent_a_refresh_and_a_rerun_sends_the_same_ids(world: World) -> None:
    # Given 40 contacts due (over every shard), one due in a minute and one never
    due = {f"c{n:02d}": NOW - timedelta(hours=n, minutes=3) for n in range(40)}
    world.put(*(profile_item(cid, acquisition="12.5", due_at=at) for cid, at in due.items()))
    world.put(profile_item("later", due_at=NOW + timedelta(minutes=1)), profile_item("never", acquisition="3"))
    # When the hourly pass runs
    answer = world.run()
    # Then each due contact has one contact.refresh, dated and identified by its due_at
    events = world.queued()
    assert [(e.contact_id, e.due_at) for e in events] == sorted(due.items())
    assert events == sorted((refresh_event(cid, at) for cid, at in due.items()), key=lambda e: e.contact_id)
    assert (answer["due"], answer["events"], answer["more_due"]) == (40, 40, False)
    # And a rerun before ProcessFunction moved due_at sends the very same ids (applied once)
    world.run()
    assert [e.event_id for e in world.queued()] == [e.event_id for e in events]


def test_the_pass_reads_the_indexes_and_never_scans(world: World) -> None:
    world.put(profile_item("c1", due_at=NOW - timedelta(hours=1)), profile_item("c2", clv="120"))
    with recorded_calls(world.dynamodb) as calls:
        world.run()
    operations = [operation for operation, _ in calls]
    assert "Scan" not in operations
    assert sorted({params.get("IndexName") for operation, params in calls if operation == "Query"}) == [
        "customer_value",
        "due",
    ]
    # 16 shards of due, of every CLV, and of the CLVs the first threshold (120) moves
    assert operations.count("Query") == 48
    assert {operation for operation in operations if operation != "Query"} == {"GetItem", "PutItem"}


def test_a_run_sends_at_most_its_bound_and_the_next_runs_the_rest(world: World) -> None:
    # Given 25 contacts due, and runs bounded to 10 events
    world.put(*(profile_item(f"c{n:02d}", due_at=NOW - timedelta(minutes=n)) for n in range(25)))
    sent: list[set[str]] = []
    for expected_due, expected_more in ((10, True), (10, True), (5, False)):
        answer = world.run(REFRESH_MAX_EVENTS="10")
        assert (answer["due"], answer["more_due"]) == (expected_due, expected_more)
        refreshed = {e.contact_id for e in world.queued()}
        sent.append(refreshed)
        # ProcessFunction applies each refresh and stores the contact's next due_at (tomorrow)
        world.put(*(profile_item(cid, due_at=NOW + timedelta(days=1)) for cid in refreshed))
    # Then each contact was refreshed once, over three runs
    assert [len(batch) for batch in sent] == [10, 10, 5]
    assert set().union(*sent) == {f"c{n:02d}" for n in range(25)}


def test_the_vip_threshold_is_computed_daily_and_the_contacts_it_moves_are_refreshed_after_a_delay(
    world: World,
) -> None:
    # Given 40 customers with CLVs 10, 20, ..., 400 and leads with no CLV
    world.put(*(profile_item(f"cust{n:02d}", clv=str(10 * n)) for n in range(1, 41)))
    world.put(*(profile_item(f"lead{n}", acquisition="20") for n in range(5)))
    # When the first pass runs: the top 5 % of 40 CLVs is the 2 highest, so the threshold is 390
    answer = world.run()
    assert (answer["threshold"], answer["customers"], answer["threshold_recomputed"]) == ("390", 40, True)
    item = world.threshold_item()
    assert item is not None
    assert (item["value"], item["customers"], item["top_percent"]) == ({"N": "390"}, {"N": "40"}, {"N": "5"})
    assert item["computed_at"] == {"S": NOW.isoformat(timespec="microseconds")}
    # Then the two VIPs are refreshed, delayed past ProcessFunction's 10 minutes of caching
    assert (answer["threshold_refreshes"], world.queued(), world.delayed()) == (2, [], 2)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        assert [(e.contact_id, e.due_at) for e in world.queued()] == [("cust39", NOW), ("cust40", NOW)]

    # When it runs again within the day: nothing is recomputed
    world.now = NOW + timedelta(hours=19)
    assert world.run()["threshold_recomputed"] is False
    # When the base changed and a day passed: 20 more customers at 500
    world.put(*(profile_item(f"new{n:02d}", clv="500") for n in range(20)))
    world.now = NOW + timedelta(hours=24)
    answer = world.run()
    # Then the threshold is 500 (top 3 of 60) and the customers at 390 and 400 are no longer VIP
    assert (answer["threshold"], answer["customers"], answer["threshold_refreshes"]) == ("500", 60, 2)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        refreshed = world.queued()
    assert [(e.contact_id, e.due_at) for e in refreshed] == [("cust39", world.now), ("cust40", world.now)]
    # (the 20 new customers at 500 reach the threshold on their next assessment: ProcessFunction
    # reads the threshold when it computes their tier; no refresh is needed for them)


def test_a_changed_share_recomputes_at_once(world: World) -> None:
    world.put(*(profile_item(f"cust{n:02d}", clv=str(10 * n)) for n in range(1, 21)))
    world.run()
    world.now = NOW + timedelta(hours=1)
    answer = world.run(VIP_TOP_PERCENT="25")
    assert (answer["threshold_recomputed"], answer["threshold"], answer["threshold_refreshes"]) == (True, "160", 4)


def test_bad_settings_are_refused_naming_the_variable(world: World) -> None:
    from nurture.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="VIP_TOP_PERCENT"):
        world.run(VIP_TOP_PERCENT="0")
    with pytest.raises(ConfigurationError, match="REFRESH_MAX_EVENTS"):
        world.run(REFRESH_MAX_EVENTS="none")
    assert world.threshold_item() is None


def test_no_customer_stores_no_threshold(world: World) -> None:
    world.put(profile_item("lead", acquisition="20"))
    answer = world.run()
    assert (answer["threshold"], answer["customers"]) == (None, 0)
    item = world.threshold_item()
    assert item is not None and "value" not in item
    assert Decimal(item["customers"]["N"]) == 0


def test_process_function_ranks_customers_against_the_threshold_the_pass_wrote(
    world: World, lambda_context: Any
) -> None:
    from functions.process import app as process
    from nurture.events import parse_event
    from tests.integration.test_process import RecordingStepFunctions, contact_id_by_email, deliver, environment

    # Given the pass's threshold over 20 customers (CLVs 10..200): the top 5 %, 200
    world.put(*(profile_item(f"cust{n:02d}", clv=str(10 * n)) for n in range(1, 21)))
    assert world.run()["threshold"] == "200"
    # When ProcessFunction applies two first orders: CLVs 240 (80 over three years) and 180
    clients = {"dynamodb": world.dynamodb, "stepfunctions": RecordingStepFunctions(), "sqs": world.sqs}
    process.use_dependencies(
        process.build(environment(TABLE_NAME, EVENTS_QUEUE_URL=world.queue_url), clients=clients, clock=lambda: NOW)
    )
    try:
        for number, (email, total) in enumerate((("big@example.com", "80.00"), ("small@example.com", "60.00"))):
            order = {"order_id": f"o{number}", "currency": "USD", "total": total}
            placed = {"type": "order.placed", "event_id": f"order-{number}", "source": "generic", "store": "shop"}
            body = {**placed, "source_topic": "order.placed", "occurred_at": NOW.isoformat(), "order": order}
            deliver(lambda_context, parse_event({**body, "contact": {"email": email}}))
    finally:
        process.use_dependencies(None)
    # Then the one reaching the threshold is VIP, the other a first-time buyer
    tiers = {
        email: world.dynamodb.get_item(
            TableName=TABLE_NAME, Key=profile_key(contact_id_by_email(world.dynamodb, TABLE_NAME, email))
        )["Item"]["tier"]["S"]
        for email in ("big@example.com", "small@example.com")
    }
    assert tiers == {"big@example.com": "vip", "small@example.com": "first_time"}

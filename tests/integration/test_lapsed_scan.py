"""LapsedScanFunction on moto: the sparse ``lapsed`` index read day by day from the cursor, the
profiles' last_order_at, and one contact.lapsed per contact on the events queue, the same ids on a
rerun (docs/journeys.md, "The daily lapsed scan")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.events import ContactLapsed
from tests.conftest import TABLE_NAME
from tests.function_apps import QueueingFunction, events_queue, load_app

NOW = datetime(2026, 6, 30, 6, 0, tzinfo=UTC)


@dataclass
class World(QueueingFunction):
    now: datetime = NOW

    def profile(self, contact_id: str, last_order_at: datetime) -> None:
        self.dynamodb.put_item(
            TableName=TABLE_NAME,
            Item={
                "pk": {"S": f"CONTACT#{contact_id}"},
                "sk": {"S": "PROFILE"},
                "item_type": {"S": "profile"},
                "contact_id": {"S": contact_id},
                "last_order_at": {"S": last_order_at.isoformat(timespec="microseconds")},
                "last_order_day": {"S": last_order_at.date().isoformat()},
            },
        )

    def queued(self) -> list[ContactLapsed]:
        received = self.received()
        events = [event for event in received if isinstance(event, ContactLapsed)]
        assert len(events) == len(received)  # nothing else was sent
        return sorted(events, key=lambda e: e.contact_id)


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> World:
    return World(dynamodb, *events_queue(), load_app("lapsed_scan"))


def days_ago(days: int, hour: int = 15) -> datetime:
    return datetime.combine(NOW.date() - timedelta(days=days), datetime.min.time(), tzinfo=UTC).replace(hour=hour)


def test_contacts_whose_last_order_is_exactly_90_days_old_are_found(world: World) -> None:
    # Given contacts whose last order is 89, 90 (two of them) and 91 days old
    for contact_id, age in (("c89", 89), ("c90a", 90), ("c90b", 90), ("c91", 91)):
        world.profile(contact_id, days_ago(age))
    # When the daily scan runs
    answer = world.run()
    # Then only the two of 90 days are lapsed, each with its last order
    events = world.queued()
    assert [e.contact_id for e in events] == ["c90a", "c90b"]
    assert all(e.last_order_at == days_ago(90) and e.days == 90 for e in events)
    assert answer == {"days_scanned": 1, "events": 2, "days_behind": 0, "next_day": days_ago(89).date().isoformat()}


def test_a_rerun_the_same_day_sends_nothing_and_a_replayed_day_sends_the_same_ids(world: World) -> None:
    world.profile("c1", days_ago(90))
    world.run()
    first = world.queued()
    # When it runs again the same day: the cursor says the day is done
    assert world.run()["days_scanned"] == 0
    assert world.queued() == []
    # When the cursor is lost (a failed run before it moved) and the day is read again
    world.dynamodb.delete_item(TableName=TABLE_NAME, Key={"pk": {"S": "SCAN#lapsed"}, "sk": {"S": "CURSOR"}})
    world.run()
    # Then the very same event is sent: ProcessFunction applies it once
    assert world.queued() == first


def test_missed_days_are_caught_up_and_empty_days_move_the_cursor(world: World) -> None:
    # Given the scan ran four days ago, then missed three days
    world.now = NOW - timedelta(days=4)
    world.run()
    world.profile("late2", days_ago(92))
    world.profile("late1", days_ago(91))
    world.profile("today", days_ago(90))
    world.profile("recent", days_ago(30))
    world.now = NOW
    # When it runs today
    answer = world.run()
    # Then it read the four days it had not read, oldest first, and sent the lapsed of each
    assert answer["days_scanned"] == 4
    assert [e.contact_id for e in world.queued()] == ["late1", "late2", "today"]
    # And an empty day tomorrow still moves the cursor
    world.now = NOW + timedelta(days=1)
    assert world.run() == {
        "days_scanned": 1,
        "events": 0,
        "days_behind": 0,
        "next_day": days_ago(88).date().isoformat(),
    }


def test_catch_up_is_bounded_per_run(world: World) -> None:
    world.now = NOW - timedelta(days=10)
    world.run()
    world.now = NOW
    answer = world.run(MAX_CATCH_UP_DAYS="4")
    assert (answer["days_scanned"], answer["days_behind"]) == (4, 6)
    assert world.run(MAX_CATCH_UP_DAYS="31")["days_scanned"] == 6


def test_a_contact_who_ordered_again_is_not_lapsed(world: World) -> None:
    # Given a profile the index still lists under an old day though its last order is newer
    world.profile("back", days_ago(90))
    world.dynamodb.update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": "CONTACT#back"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET last_order_at = :at",
        ExpressionAttributeValues={":at": {"S": days_ago(1).isoformat(timespec="microseconds")}},
    )
    world.run()
    assert world.queued() == []


def test_many_contacts_on_one_day_are_all_sent(world: World) -> None:
    for n in range(130):
        world.profile(f"c{n:03d}", days_ago(90, hour=n % 24))
    assert world.run()["events"] == 130
    assert len({e.event_id for e in world.queued()}) == 130


def test_the_scan_queries_the_index_and_never_scans(world: World) -> None:
    calls: list[str] = []
    world.dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    world.profile("c1", days_ago(90))
    world.run()
    assert "Scan" not in calls
    assert {"GetItem", "Query", "BatchGetItem", "UpdateItem"} <= set(calls)


def test_lapsed_after_days_is_a_setting(world: World) -> None:
    world.profile("c30", days_ago(30))
    world.profile("c90", days_ago(90))
    world.run(LAPSED_AFTER_DAYS="30")
    assert [(e.contact_id, e.days) for e in world.queued()] == [("c30", 30)]


def test_keys_a_throttled_batch_get_left_unprocessed_are_asked_again(world: World) -> None:
    from nurture.adapters.dynamodb_lapsed import DynamoDBLapsedIndex

    # Given DynamoDB answering the first BatchGetItem with every key unprocessed (throttled)
    class Throttling:
        def __init__(self, client: Any) -> None:
            self._client, self.calls = client, 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self._client, name)

        def batch_get_item(self, **params: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                return {"Responses": {TABLE_NAME: []}, "UnprocessedKeys": params["RequestItems"]}
            return self._client.batch_get_item(**params)

    world.profile("c1", days_ago(90))
    client = Throttling(world.dynamodb)
    index = DynamoDBLapsedIndex(TABLE_NAME, client, clock=lambda: NOW, sleep=lambda _: None)
    # Then the second round reads it
    assert [order.contact_id for order in index.last_orders(["c1"])] == ["c1"]
    assert client.calls == 2


def test_a_cursor_moved_by_another_run_stops_this_one(world: World) -> None:
    from nurture.adapters.dynamodb_lapsed import DynamoDBLapsedIndex

    index = DynamoDBLapsedIndex(TABLE_NAME, world.dynamodb, clock=lambda: NOW)
    first = NOW.date() - timedelta(days=95)
    assert index.advance(None, first)
    # Given two runs that both read the cursor at `first`: the second one to move it loses
    assert index.advance(first, first + timedelta(days=1))
    assert not index.advance(first, first + timedelta(days=1))
    assert not index.advance(None, first)
    assert index.cursor() == first + timedelta(days=1)

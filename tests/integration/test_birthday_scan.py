"""BirthdayScanFunction on moto: the sparse ``birthday`` index the profile store fills, read one
``MM-DD`` partition at a time (a Query, never a Scan nor a profile read), one contact.birthday per
contact whose birthday is tomorrow in its zone, the same ids on a rerun, missed days caught up
(docs/journeys.md, "The daily birthday scan")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.events import ContactBirthday, parse_event
from tests.conftest import TABLE_NAME
from tests.function_apps import QueueingFunction, events_queue, load_app

NOW = datetime(2026, 6, 30, 12, 0, 5, tzinfo=UTC)  # the daily run, a few seconds late


class Recording:
    """The DynamoDB client, with the operations called on it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, str | None]] = []

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self._client, name)

        def call(**request: Any) -> Any:
            self.calls.append((name, request.get("IndexName")))
            return operation(**request)

        return call


@dataclass
class World(QueueingFunction):
    now: datetime = NOW
    upserts: int = 0  # each later than the one before, so a correction applies

    def contact(self, address: str, birthday: date | None, **fields: Any) -> str:
        """A contact as the profile store writes it from a webhook."""
        repository = ProfileRepository(TABLE_NAME, self.dynamodb._client, clock=lambda: NOW - timedelta(days=30))
        contact = {"email": address, **({"birthday": birthday.isoformat()} if birthday else {}), **fields}
        event = parse_event(
            {
                "type": "contact.upserted",
                "event_id": f"up-{self.upserts}",
                "source": "generic",
                "store": "shop",
                "source_topic": "contact",
                "occurred_at": (NOW - timedelta(days=30) + timedelta(seconds=self.upserts)).isoformat(),
                "contact": contact,
            }
        )
        self.upserts += 1
        result = repository.apply(event)
        assert result.contact_id is not None
        return result.contact_id

    def queued(self) -> list[ContactBirthday]:
        received = self.received()
        events = [event for event in received if isinstance(event, ContactBirthday)]
        assert len(events) == len(received)  # nothing else was sent
        return sorted(events, key=lambda e: e.contact_id)


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> World:
    return World(Recording(dynamodb), *events_queue(), load_app("birthday_scan"))


def test_contacts_whose_birthday_is_tomorrow_in_their_zone_are_found_through_the_index(world: World) -> None:
    # Given contacts born on July 1 in Paris and in Auckland (where it is already July 1), on July 2
    # in Auckland, on June 30 in Paris, and one with no birthday
    paris = world.contact("paris@example.com", date(1990, 7, 1), time_zone="Europe/Paris")
    world.contact("auckland@example.com", date(1985, 7, 1), time_zone="Pacific/Auckland")
    auckland = world.contact("auckland2@example.com", date(1985, 7, 2), location={"country_code": "NZ"})
    world.contact("today@example.com", date(1970, 6, 30), time_zone="Europe/Paris")
    world.contact("nobody@example.com", None)
    world.dynamodb.calls.clear()
    # When the daily scan runs at 12:00 UTC on June 30
    answer = world.run()
    # Then tomorrow's birthdays in each zone are announced, by contact id, with the day celebrated
    events = world.queued()
    assert sorted((e.contact_id, e.date) for e in events) == sorted(
        [(paris, date(2026, 7, 1)), (auckland, date(2026, 7, 2))]
    )
    assert all(e.occurred_at == datetime(2026, 6, 30, 12, tzinfo=UTC) for e in events)
    assert answer == {"days_scanned": 1, "events": 2, "days_behind": 0, "next_day": "2026-07-01"}
    # And the table was only queried through the birthday index, and the cursor read and moved
    assert {call for call in world.dynamodb.calls if call[0] == "query"} == {("query", "birthday")}
    assert {name for name, _ in world.dynamodb.calls} == {"query", "get_item", "update_item"}


def test_the_profile_store_keeps_the_index_key_with_the_birthday(world: World) -> None:
    contact_id = world.contact("leap@example.com", date(1992, 2, 29))
    item = world.dynamodb.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "PROFILE"}}
    )
    assert item["Item"]["birthday_md"] == {"S": "02-29"}
    world.contact("leap@example.com", date(1992, 3, 1))  # a correction
    item = world.dynamodb.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "PROFILE"}}
    )
    assert item["Item"]["birthday_md"] == {"S": "03-01"}


def test_a_rerun_sends_nothing_and_a_replayed_day_sends_the_same_ids(world: World) -> None:
    world.contact("paris@example.com", date(1990, 7, 1), time_zone="Europe/Paris")
    world.run()
    first = world.queued()
    assert len(first) == 1
    # When it runs again the same day: the cursor says the day is done
    assert world.run()["days_scanned"] == 0
    assert world.queued() == []
    # When the cursor is lost (a failed run before it moved) and the day is read again
    world.dynamodb.delete_item(TableName=TABLE_NAME, Key={"pk": {"S": "SCAN#birthday"}, "sk": {"S": "CURSOR"}})
    world.run()
    # Then the very same event is sent: ProcessFunction applies it once
    assert world.queued() == first


def test_missed_days_are_caught_up_and_a_late_birthday_is_still_sent(world: World) -> None:
    # Given a run on June 27, then none until June 30
    world.contact("june29@example.com", date(1990, 6, 29), time_zone="Europe/Paris")
    world.contact("july1@example.com", date(1990, 7, 1), time_zone="Europe/Paris")
    world.now = NOW - timedelta(days=3)
    world.run()
    assert world.queued() == []
    # When the scan runs again on June 30
    world.now = NOW
    answer = world.run()
    # Then June 28 (announcing June 29, now past) to 30 are read: both are sent
    assert answer == {"days_scanned": 3, "events": 2, "days_behind": 0, "next_day": "2026-07-01"}
    assert sorted(e.date for e in world.queued()) == [date(2026, 6, 29), date(2026, 7, 1)]

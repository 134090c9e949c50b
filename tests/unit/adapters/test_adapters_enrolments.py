"""EnrolmentRepository and DynamoDbProfileLists on moto's DynamoDB (real boto3): the records of
docs/journeys.md, conditional writes, and the profile's lists, tags and last order day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from nurture.adapters.dynamodb_enrolments import EnrolmentRepository, EnrolmentStoreError, enrolment_sk
from nurture.adapters.dynamodb_profile_lists import DynamoDbProfileLists
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.errors import DependencyUnavailable
from nurture.journeys.enrolments import Enrolment, key_hash
from nurture.journeys.tasks import ListChanges
from nurture.messaging.claims import SendKey
from tests.unit.profiles.profile_events import at, order, placed, upserted

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONTACT_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def enrolments(dynamodb: Any, nurture_table: str) -> EnrolmentRepository:
    return EnrolmentRepository(nurture_table, dynamodb)


def new(journey: str = "welcome", key: str | None = None, occurrence: int = 1, **fields: Any) -> Enrolment:
    values: dict[str, Any] = {
        "journey": journey,
        "contact_id": CONTACT_ID,
        "occurrence": occurrence,
        "key": key,
        "trigger_event_id": f"event-{journey}-{key}-{occurrence}",
        "started_at": T0,
        "data": {"checkout": {"token": key, "total": "12.50"}},
    }
    values.update(fields)
    return Enrolment(**values)


def raw(dynamodb: Any, table: str, enrolment: Enrolment) -> dict[str, Any]:
    key = {
        "pk": {"S": f"CONTACT#{CONTACT_ID}"},
        "sk": {"S": enrolment_sk(enrolment.journey, enrolment.key_hash, enrolment.occurrence)},
    }
    return dict(dynamodb.get_item(TableName=table, Key=key)["Item"])


def test_given_a_new_enrolment_when_created_then_the_item_follows_the_contract_and_reads_back(
    enrolments: EnrolmentRepository, dynamodb: Any, nurture_table: str
) -> None:
    enrolment = new("abandoned_checkout", "tok-1")

    assert enrolments.create(enrolment)

    item = raw(dynamodb, nurture_table, enrolment)
    assert item["sk"] == {"S": f"ENROLMENT#abandoned_checkout#{key_hash('tok-1')}#000001"}
    assert item["enrolment_id"] == {"S": enrolment.enrolment_id}
    assert (item["key"], item["occurrence"], item["status"]) == ({"S": "tok-1"}, {"N": "1"}, {"S": "running"})
    assert enrolments.get(CONTACT_ID, enrolment.enrolment_id) == enrolment


def test_given_an_enrolment_keyed_on_the_contact_then_its_sort_key_says_contact_and_it_has_no_key(
    enrolments: EnrolmentRepository, dynamodb: Any, nurture_table: str
) -> None:
    enrolments.create(new())

    item = raw(dynamodb, nurture_table, new())
    assert item["sk"] == {"S": "ENROLMENT#welcome#contact#000001"}
    assert "key" not in item


def test_given_an_existing_enrolment_when_created_again_then_it_is_refused_and_unchanged(
    enrolments: EnrolmentRepository,
) -> None:
    assert enrolments.create(new())
    assert not enrolments.create(new(trigger_event_id="another"))

    stored = enrolments.get(CONTACT_ID, new().enrolment_id)
    assert stored is not None and stored.trigger_event_id == new().trigger_event_id


def test_given_several_occurrences_when_asking_for_the_latest_then_the_newest_of_that_key(
    enrolments: EnrolmentRepository,
) -> None:
    for occurrence in (1, 2, 10):
        enrolments.create(new("abandoned_checkout", "tok-1", occurrence))
    enrolments.create(new("abandoned_checkout", "tok-2", 11))
    enrolments.create(new("welcome", None, 3))

    latest = enrolments.latest(CONTACT_ID, "abandoned_checkout", key_hash("tok-1"))

    assert latest is not None and latest.occurrence == 10
    assert enrolments.latest(CONTACT_ID, "welcome", None) == new("welcome", None, 3)
    assert enrolments.latest(CONTACT_ID, "win_back", None) is None
    assert enrolments.latest(CONTACT_ID, "abandoned_checkout", key_hash("tok-3")) is None


def test_given_running_and_ended_enrolments_when_listing_running_then_only_running_ones(
    enrolments: EnrolmentRepository,
) -> None:
    for enrolment in (new(), new("abandoned_checkout", "a"), new("abandoned_checkout", "b"), new("win_back")):
        enrolments.create(enrolment)
    enrolments.mark_completed(CONTACT_ID, new("abandoned_checkout", "b").enrolment_id, at=T0)
    enrolments.mark_exited(CONTACT_ID, new("win_back").enrolment_id, reason="ordered", at=T0)

    running = enrolments.running(CONTACT_ID)

    assert {enrolment.enrolment_id for enrolment in running} == {
        new().enrolment_id,
        new("abandoned_checkout", "a").enrolment_id,
    }
    assert enrolments.running("someone-else") == []


def test_given_a_running_enrolment_when_exited_then_once_only_with_reason_and_time(
    enrolments: EnrolmentRepository,
) -> None:
    enrolment = new("abandoned_checkout", "tok-1")
    enrolments.create(enrolment)
    enrolments.store_await(CONTACT_ID, enrolment.enrolment_id, token="t", event="email.clicked", until=None)

    first = enrolments.mark_exited(CONTACT_ID, enrolment.enrolment_id, reason="ordered", at=at(1))
    second = enrolments.mark_exited(CONTACT_ID, enrolment.enrolment_id, reason="checkout_completed", at=at(2))
    completed = enrolments.mark_completed(CONTACT_ID, enrolment.enrolment_id, at=at(3))

    assert (first, second, completed) == (True, False, False)
    stored = enrolments.get(CONTACT_ID, enrolment.enrolment_id)
    assert stored is not None
    assert (stored.status, stored.reason, stored.ended_at) == ("exited", "ordered", at(1))
    assert stored.await_token is None  # an ended enrolment awaits nothing


def test_given_no_such_enrolment_when_marked_then_nothing_is_created(
    enrolments: EnrolmentRepository, dynamodb: Any, nurture_table: str
) -> None:
    assert not enrolments.mark_completed(CONTACT_ID, new().enrolment_id, at=T0)
    assert enrolments.get(CONTACT_ID, new().enrolment_id) is None
    assert dynamodb.scan(TableName=nurture_table)["Items"] == []


def test_given_a_running_enrolment_when_a_wait_is_stored_and_cleared_then_the_router_sees_it_and_then_not(
    enrolments: EnrolmentRepository,
) -> None:
    enrolments.create(new())
    until = T0 + timedelta(days=1)

    assert enrolments.store_await(CONTACT_ID, new().enrolment_id, token="tok", event="order.placed", until=until)
    stored = enrolments.get(CONTACT_ID, new().enrolment_id)
    assert stored is not None and (stored.await_token, stored.await_event, stored.await_until) == (
        "tok",
        "order.placed",
        until,
    )
    assert not enrolments.clear_await(CONTACT_ID, new().enrolment_id, token="another")
    assert enrolments.clear_await(CONTACT_ID, new().enrolment_id, token="tok")
    cleared = enrolments.get(CONTACT_ID, new().enrolment_id)
    assert cleared is not None and cleared.await_token is None and cleared.await_event is None


def test_given_an_ended_enrolment_when_a_wait_is_stored_then_it_is_refused(enrolments: EnrolmentRepository) -> None:
    enrolments.create(new())
    enrolments.mark_completed(CONTACT_ID, new().enrolment_id, at=T0)

    assert not enrolments.store_await(CONTACT_ID, new().enrolment_id, token="t", event="order.placed", until=None)


def test_given_a_send_claim_when_its_enrolment_data_is_read_then_the_trigger_data_stored_as_json_text(
    enrolments: EnrolmentRepository, dynamodb: Any, nurture_table: str
) -> None:
    enrolment = new("abandoned_checkout", "tok-1")
    enrolments.create(enrolment)
    assert "S" in raw(dynamodb, nurture_table, enrolment)["data"]  # the one representation: JSON text

    def claim(journey: str, enrolment_id: str) -> SendKey:
        return SendKey(CONTACT_ID, journey, "reminder", enrolment_id)

    assert enrolments.data(claim("abandoned_checkout", enrolment.enrolment_id)) == enrolment.data
    assert enrolments.data(claim("abandoned_checkout", new("abandoned_checkout", "tok-2").enrolment_id)) is None
    assert enrolments.data(claim("welcome", enrolment.enrolment_id)) is None  # not that journey's
    assert enrolments.data(claim("abandoned_checkout", "not-an-enrolment-id")) is None


def test_given_throttling_or_a_missing_table_then_errors_are_mapped(dynamodb: Any) -> None:
    class Throttled:
        def query(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Query")

    with pytest.raises(DependencyUnavailable, match="ThrottlingException"):
        EnrolmentRepository("t", Throttled()).running(CONTACT_ID)  # type: ignore[arg-type]
    with pytest.raises(EnrolmentStoreError, match="ResourceNotFoundException"):
        EnrolmentRepository("no-such-table", dynamodb).running(CONTACT_ID)


# ---- The profile item: lists, tags, last order day ----


def test_given_a_profile_when_lists_and_tags_change_then_the_profile_reads_them_and_apply_keeps_them(
    dynamodb: Any, nurture_table: str
) -> None:
    profiles = ProfileRepository(nurture_table, dynamodb)
    contact_id = profiles.apply(upserted(at(0))).contact_id
    assert contact_id is not None
    lists = DynamoDbProfileLists(nurture_table, dynamodb)

    assert lists.apply(contact_id, ListChanges(add_lists=frozenset({"lapsed"}), add_tags=frozenset({"vip"})))
    assert lists.apply(contact_id, ListChanges(add_lists=frozenset({"newsletter"})))
    # a set: adding twice is adding once
    assert lists.apply(contact_id, ListChanges(add_lists=frozenset({"newsletter"})))
    assert lists.apply(contact_id, ListChanges(remove_lists=frozenset({"lapsed"})))
    profiles.apply(upserted(at(1)))  # the profile store's own writes leave them alone

    profile = profiles.get_profile(contact_id)
    assert profile is not None
    assert (profile.lists, profile.tags) == (frozenset({"newsletter"}), frozenset({"vip"}))


def test_given_no_profile_when_lists_change_then_no_profile_is_created(dynamodb: Any, nurture_table: str) -> None:
    assert not DynamoDbProfileLists(nurture_table, dynamodb).apply("nobody", ListChanges(add_lists=frozenset({"vip"})))
    assert dynamodb.scan(TableName=nurture_table)["Items"] == []


def test_given_an_order_when_applied_then_last_order_day_feeds_the_lapsed_index(
    dynamodb: Any, nurture_table: str
) -> None:
    profiles = ProfileRepository(nurture_table, dynamodb)
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    contact_id = profiles.apply(placed(order(), late_evening)).contact_id

    found = dynamodb.query(
        TableName=nurture_table,
        IndexName="lapsed",
        KeyConditionExpression="last_order_day = :day",
        ExpressionAttributeValues={":day": {"S": "2026-03-01"}},
    )["Items"]

    assert found == [
        {"last_order_day": {"S": "2026-03-01"}, "pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "PROFILE"}}
    ]

"""ReconcileSendsFunction on moto: the 'unsettled' index finds the claims no SES event settled, each
is re-sent once through the sender's path, never twice by reconcilers running at once, and given
up (``lost``) when its re-send is not settled either."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

import functions.reconcile_sends.app as reconcile_app
from nurture.adapters.dynamodb_sends import UNSETTLED_SHARDS, SendLedger, unsettled_shard
from nurture.messaging.claims import CLAIM_HEADER, LOST, SENDING, SENT, UNKNOWN, SendKey, SendRecord
from nurture.messaging.errors import SendOutcomeUnknown
from nurture.messaging.reconcile import Reconciler
from tests.sending import put_subscriber, sent_messages

REGION, ACCOUNT = "us-east-1", "123456789012"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = SendKey("c-ada", "welcome", "welcome", "welcome-c-ada-1")
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"


@dataclass
class World:
    ledger: SendLedger
    now: list[datetime]
    dynamodb: Any

    def reconciler(self) -> Reconciler:
        environ = {
            "TABLE_NAME": self.ledger._table,
            "SENDER_ADDRESS": "Acme Outfitters <hello@acme.example>",
            "CONFIGURATION_SET": "nurture-events",
            "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
            "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
        }
        return reconcile_app.build(environ, clock=lambda: self.now[0], clients={"dynamodb": self.dynamodb})

    def at(self, moment: datetime) -> None:
        self.now[0] = moment


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> Iterator[World]:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=SECRET_PARAMETER, Value="reconciler-unsubscribe-secret", Type="SecureString"
    )
    put_subscriber(dynamodb, nurture_table, KEY.contact_id, "ada@example.com", "Ada", at=T0)
    yield World(SendLedger(nurture_table, dynamodb), [T0], dynamodb)
    reconcile_app.use_dependencies(None)


def unsettled_claim(ledger: SendLedger, status: str, key: SendKey = KEY, claim_id: str = "claim-1") -> None:
    assert ledger.claim(key, claim_id=claim_id, execution="welcome-c-ada", attempt=0, at=T0)
    ledger.start_sending(key, claim_id=claim_id, at=T0)
    if status == UNKNOWN:
        ledger.record_unknown(key, claim_id=claim_id, at=T0)


def claim_ids_sent() -> list[str]:
    return [str(message[CLAIM_HEADER]) for message in sent_messages(ACCOUNT, REGION)]


# ---------------------------------------------------------------- the index


def test_the_index_holds_only_unsettled_claims_older_than_asked(world: World) -> None:
    # Given an unknown claim, one left sending, one sent and one failed
    ledger = world.ledger
    unsettled_claim(ledger, UNKNOWN)
    unsettled_claim(ledger, SENDING, SendKey("c-bob", "welcome", "welcome", "welcome-c-bob-1"), "claim-2")
    unsettled_claim(ledger, SENDING, SendKey("c-cy", "welcome", "welcome", "welcome-c-cy-1"), "claim-3")
    ledger.record_sent(
        SendKey("c-cy", "welcome", "welcome", "welcome-c-cy-1"), claim_id="claim-3", message_id="m", at=T0
    )
    unsettled_claim(ledger, SENDING, SendKey("c-dee", "welcome", "welcome", "welcome-c-dee-1"), "claim-4")
    ledger.record_failed(
        SendKey("c-dee", "welcome", "welcome", "welcome-c-dee-1"), claim_id="claim-4", error="x", at=T0
    )
    # When the index is read / Then it holds the two unsettled ones, from the time they became so
    assert sorted(k.contact_id for k in ledger.unsettled(since_at_most=T0)) == ["c-ada", "c-bob"]
    assert list(ledger.unsettled(since_at_most=T0 - timedelta(seconds=1))) == []
    # And the items of settled claims carry no index key (the index is sparse)
    item = world.dynamodb.get_item(
        TableName=ledger._table, Key={"pk": {"S": "CONTACT#c-cy"}, "sk": {"S": "SEND#welcome-c-cy-1#welcome"}}
    )["Item"]
    assert "unsettled_shard" not in item and "unsettled_since" not in item


def test_claims_spread_over_the_index_shards() -> None:
    shards = {unsettled_shard(f"{n:032x}") for n in range(400)}
    assert shards == {f"UNSETTLED#{n:02d}" for n in range(UNSETTLED_SHARDS)}
    assert unsettled_shard("c-ada") == unsettled_shard("c-ada")


def test_the_reconciler_queries_the_index_and_never_scans(world: World) -> None:
    calls: list[str] = []
    world.dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **kw: calls.append(model.name))
    world.reconciler().run()
    assert set(calls) == {"Query"}
    assert calls.count("Query") == UNSETTLED_SHARDS


# ---------------------------------------------------------------- wait, re-send once, give up


@pytest.mark.parametrize("status", [UNKNOWN, SENDING])
def test_a_claim_no_event_settled_is_re_sent_once_after_an_hour(world: World, status: str) -> None:
    # Given a claim unsettled since T0
    unsettled_claim(world.ledger, status)
    reconciler = world.reconciler()
    # When the reconciler runs before the hour is out / Then it waits (the index does not offer it)
    world.at(T0 + timedelta(minutes=59))
    assert reconciler.run() == {}
    assert sent_messages(ACCOUNT, REGION) == []
    # When it runs after the hour / Then the email is re-sent once, under a new claim id, and counted
    world.at(T0 + timedelta(hours=1, minutes=5))
    assert reconciler.run() == {"resent": 1}
    record = world.ledger.get(KEY)
    assert record is not None
    assert (record.status, record.resends, record.claims, record.execution) == (SENT, 1, 2, "welcome-c-ada")
    assert claim_ids_sent() == [record.claim_id] != ["claim-1"]
    # And later runs find nothing more to do
    world.at(T0 + timedelta(days=2))
    assert reconciler.run() == {}
    assert len(sent_messages(ACCOUNT, REGION)) == 1


def test_a_re_send_no_event_settles_either_is_given_up_after_the_second_window(world: World) -> None:
    # Given an unknown claim whose re-send also never answers
    unsettled_claim(world.ledger, UNKNOWN)
    reconciler = world.reconciler()
    silent = dataclasses.replace(reconciler.sender, provider=NoAnswer())  # type: ignore[type-var]
    reconciler = dataclasses.replace(reconciler, sender=silent)
    world.at(T0 + timedelta(hours=1))
    assert reconciler.run() == {"resend_unknown": 1}
    record = world.ledger.get(KEY)
    assert record is not None and (record.status, record.resends) == (UNKNOWN, 1)
    # When the second window has not passed / Then it waits
    world.at(T0 + timedelta(hours=1, minutes=59))
    assert reconciler.run() == {}
    # When it has / Then the claim is given up: lost, counted, out of the index, never sent
    world.at(T0 + timedelta(hours=2, minutes=1))
    assert reconciler.run() == {"given_up": 1}
    record = world.ledger.get(KEY)
    assert record is not None and (record.status, record.lost_at) == (LOST, T0 + timedelta(hours=2, minutes=1))
    assert list(world.ledger.unsettled(since_at_most=T0 + timedelta(days=9))) == []
    assert sent_messages(ACCOUNT, REGION) == []


def test_a_contact_who_unsubscribed_meanwhile_is_not_re_sent(world: World) -> None:
    unsettled_claim(world.ledger, UNKNOWN)
    put_subscriber(
        world.dynamodb, world.ledger._table, KEY.contact_id, "ada@example.com", "Ada", at=T0, state="unsubscribed"
    )
    world.at(T0 + timedelta(hours=2))
    assert world.reconciler().run() == {"resend_skipped": 1}
    record = world.ledger.get(KEY)
    assert record is not None and record.status == LOST
    assert sent_messages(ACCOUNT, REGION) == []


def test_a_re_send_due_in_the_recipients_night_waits_for_the_morning(world: World) -> None:
    # Given a claim left unsettled at 20:30 (the contact's zone: UTC, no profile zone or country)
    evening = T0.replace(hour=20, minute=30)
    assert world.ledger.claim(KEY, claim_id="claim-1", execution="welcome-c-ada", attempt=0, at=evening)
    world.ledger.start_sending(KEY, claim_id="claim-1", at=evening)
    reconciler = world.reconciler()
    # When the reconciler finds it at 21:35, in quiet hours / Then it waits: nothing sent, still unsettled
    world.at(evening + timedelta(hours=1, minutes=5))
    assert reconciler.run() == {"resend_deferred": 1}
    record = world.ledger.get(KEY)
    assert record is not None and (record.status, record.resends) == (SENDING, 0)
    assert sent_messages(ACCOUNT, REGION) == []
    # When it runs at 08:05 / Then the email is re-sent once
    world.at(T0.replace(day=T0.day + 1, hour=8, minute=5))
    assert reconciler.run() == {"resent": 1}
    assert len(sent_messages(ACCOUNT, REGION)) == 1


def test_a_contact_who_paused_meanwhile_is_not_re_sent(world: World) -> None:
    unsettled_claim(world.ledger, UNKNOWN)
    world.dynamodb.update_item(
        TableName=world.ledger._table,
        Key={"pk": {"S": f"CONTACT#{KEY.contact_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET paused_until = :until",
        ExpressionAttributeValues={":until": {"S": (T0 + timedelta(days=30)).isoformat()}},
    )
    world.at(T0 + timedelta(hours=2))
    assert world.reconciler().run() == {"resend_skipped": 1}
    record = world.ledger.get(KEY)
    assert record is not None and record.status == LOST
    assert sent_messages(ACCOUNT, REGION) == []


# ---------------------------------------------------------------- reconcilers running at once


def test_two_reconcilers_at_once_send_it_once(world: World) -> None:
    # Given an unknown claim, and reconciler A that reads it, then pauses while B runs in full
    unsettled_claim(world.ledger, UNKNOWN)
    world.at(T0 + timedelta(hours=3))
    a, b = world.reconciler(), world.reconciler()
    b_counts: list[Any] = []

    class PausesAfterReading:
        def __init__(self, ledger: SendLedger) -> None:
            self._ledger = ledger

        def __getattr__(self, name: str) -> Any:
            return getattr(self._ledger, name)

        def get(self, key: SendKey) -> SendRecord | None:
            record = self._ledger.get(key)
            b_counts.append(b.run())
            return record

    a = dataclasses.replace(a, ledger=PausesAfterReading(world.ledger))
    # When A goes on with what it read
    a_counts = a.run()
    # Then B re-sent it and A's conditional write lost: one email
    assert (b_counts, a_counts) == ([{"resent": 1}], {"raced": 1})
    assert len(sent_messages(ACCOUNT, REGION)) == 1
    record = world.ledger.get(KEY)
    assert record is not None and (record.status, record.resends) == (SENT, 1)


def test_the_same_stale_record_re_sent_twice_sends_once(world: World) -> None:
    unsettled_claim(world.ledger, UNKNOWN)
    world.at(T0 + timedelta(hours=3))
    stale = world.ledger.get(KEY)
    assert stale is not None
    sender = world.reconciler().sender
    first, second = sender.resend(stale), world.reconciler().sender.resend(stale)  # type: ignore[attr-defined]
    assert (first.status, second.status, second.reason) == ("sent", "skipped", "already_claimed")
    assert len(sent_messages(ACCOUNT, REGION)) == 1


def test_the_handler_reports_the_counts(world: World, lambda_context: Any) -> None:
    from tests.third_party import fixture_json

    unsettled_claim(world.ledger, UNKNOWN)
    world.at(T0 + timedelta(hours=1))
    reconcile_app.use_dependencies(world.reconciler())
    event = fixture_json("aws_events/sam_eventbridge_scheduled_event.json")
    assert reconcile_app.lambda_handler(event, lambda_context) == {"resent": 1}


class NoAnswer:
    """SES took the request and the answer never came."""

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Any) -> str:
        raise SendOutcomeUnknown("no answer", code="ReadTimeoutError")

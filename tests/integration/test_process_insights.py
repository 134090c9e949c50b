"""ProcessFunction on moto with insights on (EVENTS_QUEUE_URL set, as the stack sets it): scores,
tier and segments stored on the profile item with the index attributes, segment member items,
derived events queued once per cause (again, same ids, on a redelivery), score alerts published."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.process import app
from nurture.adapters.dynamodb_profile_items import profile_from_item, shard_of
from nurture.events import CanonicalEvent
from tests.insight_events import LEAD as EMAIL
from tests.insight_events import event, viewed, warming_up
from tests.integration.test_process import (
    RecordingStepFunctions,
    contact_id_by_email,
    deliver,
    environment,
    failures,
    items_of,
    profile_item,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> Any:
    sqs = boto3.client("sqs", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    alerts_inbox = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=alerts_inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="score-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    clock = Clock()
    env = environment(nurture_table, EVENTS_QUEUE_URL=queue, SCORE_ALERTS_TOPIC_ARN=topic)
    clients = {"dynamodb": dynamodb, "stepfunctions": RecordingStepFunctions(), "sqs": sqs, "sns": sns}
    app.use_dependencies(app.build(env, clients=clients, clock=clock))

    class World:
        pass

    w = World()
    w.sqs, w.queue, w.inbox, w.clock, w.table, w.db = sqs, queue, alerts_inbox, clock, nurture_table, dynamodb  # type: ignore[attr-defined]
    yield w
    app.use_dependencies(None)


def drain(sqs: Any, queue: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def apply(w: Any, lambda_context: Any, happened: CanonicalEvent | str, now: datetime) -> None:
    w.clock.now = now
    assert failures(deliver(lambda_context, happened)) == []


def test_views_store_scores_and_a_segment_and_queue_segment_entered_once(world: Any, lambda_context: Any) -> None:
    w = world
    for number in range(3):
        apply(w, lambda_context, viewed(at(number), number), at(number))
    contact_id = contact_id_by_email(w.db, w.table, EMAIL)

    item = profile_item(w.db, w.table, contact_id)
    assert item["shard"] == {"S": shard_of(contact_id)}
    assert float(item["acquisition_score"]["N"]) > 0
    assert "loyalty_score" in item
    assert set(item["segments"]["M"]) == {"hot_browsers"}
    profile, _ = profile_from_item(item)
    assert profile.insights is not None
    assert profile.insights.scores.explanation("acquisition", at(2))[0]["rule"] == "viewed_product"
    [member] = list(
        w.db.query(
            TableName=w.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"SEGMENT#hot_browsers#{shard_of(contact_id)}"}},
        )["Items"]
    )
    assert member["contact_id"] == {"S": contact_id}

    derived = drain(w.sqs, w.queue)
    assert [(d["type"], d["segment"]) for d in derived] == [("segment.entered", "hot_browsers")]
    entered = derived[0]

    # the third view redelivered: a duplicate queues the recorded event again, with the same id
    apply(w, lambda_context, viewed(at(2), 2), at(2, hours=1))
    again = drain(w.sqs, w.queue)
    assert [d["event_id"] for d in again] == [entered["event_id"]]

    # both copies applied: one event item, and no further derived events
    apply(w, lambda_context, json.dumps(entered), at(2, hours=2))
    apply(w, lambda_context, json.dumps(again[0]), at(2, hours=2))
    logged = [i for i in items_of(w.db, w.table, contact_id, "EVENT#") if i["event_type"]["S"] == "segment.entered"]
    assert len(logged) == 1
    assert drain(w.sqs, w.queue) == []


def test_an_order_ends_the_segment_and_deletes_the_member_item(world: Any, lambda_context: Any) -> None:
    w = world
    for number in range(3):
        apply(w, lambda_context, viewed(at(number), number), at(number))
    drain(w.sqs, w.queue)
    order = {"order_id": "o1", "currency": "USD", "total": "80.00"}
    apply(w, lambda_context, event("order.placed", at(3), 9, order=order), at(3))
    contact_id = contact_id_by_email(w.db, w.table, EMAIL)

    assert [(d["type"], d.get("segment")) for d in drain(w.sqs, w.queue)] == [("segment.exited", "hot_browsers")]
    item = profile_item(w.db, w.table, contact_id)
    assert item["segments"] == {"M": {}}
    assert item["tier"] == {"S": "first_time"}
    assert item["clv"] == {"N": "240.00"}
    members = w.db.query(
        TableName=w.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SEGMENT#hot_browsers#{shard_of(contact_id)}"}},
    )["Items"]
    assert members == []


def test_reaching_sales_ready_queues_score_crossed_and_its_alert_is_published(world: Any, lambda_context: Any) -> None:
    w = world
    consent = {"state": "subscribed", "changed_at": at().isoformat()}
    apply(w, lambda_context, event("consent.changed", at(), 1, email=consent), at())
    for happened in warming_up(at()):
        apply(w, lambda_context, happened, happened.occurred_at)
    crossings = [d for d in drain(w.sqs, w.queue) if d["type"] == "score.crossed"]
    sales_ready = [d for d in crossings if d["threshold"] == "sales_ready"]
    assert len(sales_ready) == 1 and sales_ready[0]["direction"] == "up"
    assert drain(w.sqs, w.inbox) == []  # the crossing itself publishes nothing: applying its event does

    apply(w, lambda_context, json.dumps(sales_ready[0]), at(3))
    [alert] = drain(w.sqs, w.inbox)
    assert alert["event_id"] == sales_ready[0]["event_id"]
    assert (alert["score"], alert["threshold"], alert["email"]) == ("acquisition", "sales_ready", EMAIL)
    # warm is not in notify: applying its crossing publishes nothing
    [warm] = [d for d in crossings if d["threshold"] == "warm"]
    apply(w, lambda_context, json.dumps(warm), at(3))
    assert drain(w.sqs, w.inbox) == []


def test_a_product_viewed_twice_in_a_day_queues_product_browsed_once(world: Any, lambda_context: Any) -> None:
    w = world
    mug = {"product_id": "mug", "title": "Blue mug", "unit_price": "29.90", "currency": "USD"}
    apply(w, lambda_context, event("product.viewed", at(hours=1), 1, product=mug), at(hours=1))
    assert [d["type"] for d in drain(w.sqs, w.queue)] == []  # one view: nothing yet

    second = event("product.viewed", at(hours=5), 2, product=mug)
    apply(w, lambda_context, second, at(hours=5))
    contact_id = contact_id_by_email(w.db, w.table, EMAIL)

    [browsed] = [d for d in drain(w.sqs, w.queue) if d["type"] == "product.browsed"]
    assert (browsed["contact_id"], browsed["product"]["product_id"]) == (contact_id, "mug")
    assert browsed["occurred_at"] == "2026-03-02T15:00:00Z"  # the second view's time

    # applied back from the queue: recorded and routed, not assessed (it derives nothing more)
    apply(w, lambda_context, json.dumps(browsed), at(hours=5, days=0.01))
    assert drain(w.sqs, w.queue) == []
    logged = [i for i in items_of(w.db, w.table, contact_id, "EVENT#") if i["event_type"]["S"] == "product.browsed"]
    assert len(logged) == 1

    # a third view within the day: no second product.browsed
    apply(w, lambda_context, event("product.viewed", at(hours=7), 3, product=mug), at(hours=7))
    assert [d["type"] for d in drain(w.sqs, w.queue) if d["type"] == "product.browsed"] == []

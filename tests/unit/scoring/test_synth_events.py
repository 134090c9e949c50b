"""`nurture synth-events`: a seeded synthetic history of canonical events, the same for a seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from nurture.events import parse_event
from nurture_local.cli import main
from nurture_local.synth import START, contact_key, generate


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    first = generate(contacts=80, days=60, seed=3)
    assert generate(contacts=80, days=60, seed=3) == first
    assert generate(contacts=80, days=60, seed=4) != first


def test_every_event_is_a_valid_canonical_event_in_time_order() -> None:
    events = generate(contacts=400, days=90, seed=1)
    parsed = [parse_event(event) for event in events]  # raises on any invalid event
    # What was written is what validation reads back: no field dropped or defaulted differently.
    for raw, event in zip(events, parsed, strict=True):
        assert event.event_id == raw["event_id"]
        assert event.occurred_at == datetime.fromisoformat(raw["occurred_at"])
    times = [event.occurred_at for event in parsed]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < START + timedelta(days=90)
    assert len({event.event_id for event in parsed}) == len(parsed)
    assert all(contact_key(event) is not None for event in events)
    assert len({contact_key(event) for event in events}) == 400


def test_the_history_holds_every_kind_of_behaviour() -> None:
    events = generate(contacts=400, days=90, seed=1)
    types = Counter(event["type"] for event in events)
    for event_type in (
        "contact.upserted",
        "consent.changed",
        "product.viewed",
        "cart.updated",
        "checkout.started",
        "checkout.updated",
        "checkout.completed",
        "order.placed",
        "order.paid",
        "order.cancelled",
        "email.opened",
        "email.clicked",
        "email.bounced",
    ):
        assert types[event_type] > 0, event_type
    assert types["contact.upserted"] == 400
    # The funnel narrows: views > carts > checkouts > orders, and opens > clicks.
    assert types["product.viewed"] > types["cart.updated"] > types["checkout.started"] > types["order.placed"]
    assert types["email.opened"] > types["email.clicked"]
    unsubscribes = [e for e in events if e["type"] == "consent.changed" and e["source"] == "nurture"]
    assert unsubscribes
    assert all(e["email"]["state"] == "unsubscribed" for e in unsubscribes)


def test_intent_drives_orders() -> None:
    """Contacts who browse more order more: the latent intent shows through the behaviour."""
    events = generate(contacts=600, days=90, seed=2)
    views: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    for event in events:
        key = contact_key(event)
        assert key is not None
        if event["type"] == "product.viewed":
            views[key] += 1
        elif event["type"] == "order.placed":
            orders[key] += 1
    keys = sorted({contact_key(e) for e in events if e["type"] == "contact.upserted"}, key=lambda k: views[k or ""])
    low, high = keys[: len(keys) // 2], keys[len(keys) // 2 :]
    assert sum(orders[k or ""] for k in high) > 3 * sum(orders[k or ""] for k in low)


def test_the_command_writes_the_generated_events(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    assert main(["synth-events", "--contacts", "30", "--days", "20", "--seed", "5", "--out", str(out)]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == generate(contacts=30, days=20, seed=5)


def test_the_command_refuses_an_empty_population(tmp_path: Path) -> None:
    assert main(["synth-events", "--contacts", "0", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert not (tmp_path / "x.jsonl").exists()

"""Issue 9 on the local runtime's virtual clock: a lead's messages change once its score crosses the
sales-ready threshold (events/score-nurture.jsonl), and a dynamic segment's entry starts a journey
that its exit, by time alone or by an order, ends (events/segment-nudge.jsonl)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]


def run(name: str, days: float) -> tuple[RunReport, list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []

    def read_table(env: LocalEnvironment) -> None:
        items.extend(table_items(env))

    report = run_scenario(load_scenario(ROOT / "events" / name), root=ROOT, days=days, at_end=read_table)
    return report, items


def sent(report: RunReport, to: str) -> list[tuple[str, datetime]]:
    return [(m.step, m.sent_at.astimezone(UTC)) for m in report.messages if m.to == to]


def rounds(report: RunReport, to: str) -> list[tuple[str, str, datetime]]:
    """The acquisition rounds a contact got: each is one send (`round_<n>`) whose variant is the offer
    once sales-ready, told apart by its subject."""
    return [
        (m.step, "offer" if "welcome offer" in m.subject else "lesson", m.sent_at.astimezone(UTC))
        for m in report.messages
        if m.journey == "acquisition_nurture" and m.to == to
    ]


def contact_id(items: list[dict[str, Any]], email: str) -> str:
    [profile] = [i for i in items if i["sk"] == "PROFILE" and i.get("email") == email]
    return str(profile["contact_id"])


@pytest.fixture(scope="module")
def score_run() -> tuple[RunReport, list[dict[str, Any]]]:
    return run("score-nurture.jsonl", 25)


@pytest.fixture(scope="module")
def segment_run() -> tuple[RunReport, list[dict[str, Any]]]:
    return run("segment-nudge.jsonl", 5)


def test_the_lead_gets_the_offer_after_crossing_and_the_cold_lead_keeps_its_lessons(
    score_run: tuple[RunReport, list[dict[str, Any]]],
) -> None:
    report, _ = score_run
    assert report.rejected == [] and report.dead_letters == 0
    # Before the crossing (03-10 14:10) her round sends a lesson; the next round reads 70+: the offer, then no more
    assert rounds(report, "lea@example.com") == [
        ("round_1", "lesson", datetime(2026, 3, 7, 15, tzinfo=UTC)),
        ("round_2", "offer", datetime(2026, 3, 11, 15, tzinfo=UTC)),
    ]
    kit = [(step, kind) for step, kind, _ in rounds(report, "kit@example.com")]
    assert kit == [("round_1", "lesson"), ("round_2", "lesson"), ("round_3", "lesson"), ("round_4", "lesson")]
    assert report.journeys["sales_handoff"] == {"SUCCEEDED": 1}


def test_the_crossing_is_an_event_the_handoff_starts_on_and_the_report_lists_scores(
    score_run: tuple[RunReport, list[dict[str, Any]]],
) -> None:
    report, items = score_run
    lea = contact_id(items, "lea@example.com")
    crossings = [
        i
        for i in items
        if i["pk"] == f"CONTACT#{lea}" and i["sk"].startswith("EVENT#") and i["event_type"] == "score.crossed"
    ]
    bodies = [json.loads(i["body"]) for i in crossings]
    # warm and sales_ready reached on 03-09 / 03-10; by decay, she falls back under sales_ready later
    assert sorted((b["threshold"], b["direction"]) for b in bodies) == [
        ("sales_ready", "down"),
        ("sales_ready", "up"),
        ("warm", "up"),
    ]
    [profile] = [i for i in items if i["pk"] == f"CONTACT#{lea}" and i["sk"] == "PROFILE"]
    assert "sales_ready" in profile["lists"]
    contacts = {c["email"]: c for c in report.as_json()["contacts"]}
    assert set(contacts) == {"lea@example.com", "kit@example.com"}
    rules = {line["rule"] for line in contacts["lea@example.com"]["scores"]["acquisition"]["explanation"]}
    assert {"started_checkout", "updated_cart", "viewed_product", "email_subscribed"} <= rules
    assert contacts["kit@example.com"]["scores"]["acquisition"]["value"] == 27.0  # fit points only
    assert contacts["lea@example.com"]["tier"] is None and contacts["lea@example.com"]["segments"] == []


def test_entering_hot_browsers_starts_browse_nudge_and_leaving_it_ends_it(
    segment_run: tuple[RunReport, list[dict[str, Any]]],
) -> None:
    report, items = segment_run
    assert report.rejected == [] and report.dead_letters == 0
    still_looking = [(m.to, m.sent_at.astimezone(UTC)) for m in report.messages if m.step == "still_looking"]
    assert still_looking == [("bea@example.com", datetime(2026, 3, 3, 14, 10, tzinfo=UTC))]  # a day after entering
    enrolments = {
        (i["contact_id"], i["status"], i.get("reason"))
        for i in items
        if i.get("item_type") == "enrolment" and i["journey"] == "browse_nudge"
    }
    assert enrolments == {
        (contact_id(items, "bea@example.com"), "completed", None),
        (contact_id(items, "ben@example.com"), "exited", "left_segment"),  # his oldest view aged out
        (contact_id(items, "bo@example.com"), "exited", "ordered"),
    }
    assert report.journeys["browse_nudge"] == {"ABORTED": 2, "SUCCEEDED": 1}
    # Ben left by time alone: the refresh pass woke him, and the exit is an event in his log
    ben = contact_id(items, "ben@example.com")
    types = [i["event_type"] for i in items if i["pk"] == f"CONTACT#{ben}" and i["sk"].startswith("EVENT#")]
    assert "contact.refresh" in types and types.count("segment.exited") == 1
    # Only Bea is still in it (her views are under 7 days old at the end): the others' member items went
    members = [i["contact_id"] for i in items if i["pk"].startswith("SEGMENT#hot_browsers#")]
    assert members == [contact_id(items, "bea@example.com")]


def test_the_report_s_contacts_carry_their_journeys_and_offers_as_the_contact_view_shows_them(
    segment_run: tuple[RunReport, list[dict[str, Any]]],
) -> None:
    report, items = segment_run
    contacts = {c["email"]: c for c in report.as_json()["contacts"]}
    for email in ("bea@example.com", "ben@example.com", "bo@example.com"):
        enrolment_items = [
            i for i in items if i.get("item_type") == "enrolment" and i["contact_id"] == contact_id(items, email)
        ]
        journeys = contacts[email]["journeys"]
        assert len(journeys) == len(enrolment_items) > 0
        assert set(journeys[0]) == {"journey", "status", "reason", "started_at", "ended_at"}
        assert [j["started_at"] for j in journeys] == sorted(j["started_at"] for j in journeys)
        assert contacts[email]["offers"] == []  # no code pool in this scenario
    nudges = {(email, j["status"], j["reason"]) for email, c in contacts.items() for j in c["journeys"]}
    assert {
        ("bea@example.com", "completed", None),
        ("ben@example.com", "exited", "left_segment"),
        ("bo@example.com", "exited", "ordered"),
    } <= nudges

"""events/cart-recovery.jsonl on the local runtime: the abandoned-checkout journey from Shopify's
checkouts/create, ended by the order of the checkout and skipped (second reminder) by a click."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.sending import NO_DELIVERY_LIMITS

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "events" / "cart-recovery.jsonl"


@pytest.fixture(scope="module")
def report() -> RunReport:
    # The journey's own mechanics at the scenario's hours (04:00 in New York): no quiet hours, no caps.
    config = LocalConfig(function_environment=NO_DELIVERY_LIMITS)
    return run_scenario(load_scenario(SCENARIO), root=ROOT, days=3, config=config)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_scenario_is_accepted_line_by_line(report: RunReport) -> None:
    # Every webhook and the click are accepted (the journeys aside, this holds on main today)
    assert report.rejected == []
    assert report.dead_letters == 0
    assert [answer["outcome"] for answer in report.answers] == [
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "click",
    ]


def test_reminders_go_to_who_abandoned_and_stop_on_order_or_click(report: RunReport) -> None:
    recovery = [(m.to, m.step, m.sent_at) for m in report.messages if m.journey == "abandoned_checkout"]
    assert recovery == [
        # Alice abandons: a reminder after an hour, a second one 24 hours later (no click)
        ("alice@example.com", "reminder", at("2026-03-02T10:00:00")),
        # Bob gets the first reminder; his order at 11:10 ends the enrolment before the second
        ("bob@example.com", "reminder", at("2026-03-02T10:10:00")),
        # Carol clicks the first reminder at 13:50: no second
        ("carol@example.com", "reminder", at("2026-03-02T10:20:00")),
        ("alice@example.com", "second_reminder", at("2026-03-03T10:00:00")),
        # 72 hours after her checkout, the last reminder
        ("alice@example.com", "last_reminder", at("2026-03-05T09:00:00")),
    ]
    # Bob's enrolment was stopped (StopExecution); Alice's and Carol's ran to their end
    assert report.journeys["abandoned_checkout"] == {"ABORTED": 1, "SUCCEEDED": 2}


@pytest.fixture(scope="module")
def with_delivery_rules() -> RunReport:
    """The same scenario as `nurture run` plays it: the default delivery rules on."""
    return run_scenario(load_scenario(SCENARIO), root=ROOT, days=3)


def test_with_the_delivery_rules_the_reminders_wait_for_the_morning_and_an_early_order_stops_them(
    with_delivery_rules: RunReport,
) -> None:
    recovery = [(m.to, m.step, m.sent_at) for m in with_delivery_rules.messages if m.journey == "abandoned_checkout"]
    assert recovery == [
        # due at 10:00-10:20 UTC (05:00 in New York): quiet hours hold them to 08:00 local
        ("alice@example.com", "reminder", at("2026-03-02T13:00:00")),
        ("carol@example.com", "reminder", at("2026-03-02T13:00:00")),
        # no click from Alice: the second one a day later; Carol clicked at 13:50
        ("alice@example.com", "second_reminder", at("2026-03-03T13:00:00")),
        ("alice@example.com", "last_reminder", at("2026-03-05T13:00:00")),
    ]
    # Bob's order at 11:10 came before his reminder was due: his enrolment stopped, nothing sent
    assert with_delivery_rules.journeys["abandoned_checkout"] == {"ABORTED": 1, "SUCCEEDED": 2}
    assert [a["outcome"] for a in with_delivery_rules.answers][-1] == "click"

"""A send skipped by the frequency cap, end to end on the local runtime (docs/delivery.md, rule 4):
tests/runtime/scenarios/win-back-capped.jsonl played as `nurture run` plays it (store webhooks →
IngestFunction → ProcessFunction → the journeys on the local executor → JourneyStepFunction → SES,
the daily lapsed scan fired on the virtual clock), with the default delivery policy.

Dora and Eve last ordered on 2026-01-02 and lapse on 04-02. Eve left a checkout on 04-01 at 21:00
UTC; its reminder went an hour later. The scan finds both at 10:00 UTC (06:00 in Ottawa); the win-back's
"we miss you" (`on_cap: skip`) could go at 08:00 local (12:00 UTC), within 16 hours of that reminder:
skipped for Eve, deferred to 08:00 and sent to Dora.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from nurture.adapters.dynamodb_delivery import DecisionCounters
from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import TABLE, RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "runtime" / "scenarios" / "win-back-capped.jsonl"
DORA, EVE = "dora@example.com", "eve@example.com"
LAPSE_DAY = "2026-04-02"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Run:
    report: RunReport
    items: list[dict[str, Any]]
    miss_you_counts: Counter[str]  # the decision counters of win_back / miss_you on the lapse day

    def sent(self, to: str) -> list[tuple[str, str, datetime]]:
        return sorted((m.journey, m.step, m.sent_at) for m in self.report.messages if m.to == to)

    def profile(self, email: str) -> dict[str, Any]:
        (profile,) = [i for i in self.items if i["sk"] == "PROFILE" and i.get("email") == email]
        return profile

    def decisions(self, email: str, journey: str) -> list[tuple[str, str, str | None, str | None]]:
        pk = self.profile(email)["pk"]
        found = sorted(
            (i for i in self.items if i["pk"] == pk and i["sk"].startswith("DECISION#") and i["journey"] == journey),
            key=lambda i: i["sk"],
        )
        return [(i["step"], i["outcome"], i.get("reason"), i.get("until")) for i in found]

    def enrolment(self, email: str, journey: str) -> dict[str, Any]:
        pk = self.profile(email)["pk"]
        (enrolment,) = [i for i in self.items if i["pk"] == pk and i["sk"].startswith(f"ENROLMENT#{journey}#")]
        return enrolment


@pytest.fixture(scope="module")
def run() -> Run:
    items: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()

    def read_table(env: LocalEnvironment) -> None:
        client = boto3.client("dynamodb", region_name="us-east-1")
        table = env.resources[TABLE]
        items.extend(table_items(env))
        counts.update(DecisionCounters(table, client).totals("win_back", "miss_you", LAPSE_DAY))

    report = run_scenario(load_scenario(SCENARIO), root=ROOT, days=15, at_end=read_table)
    assert report.rejected == []
    assert report.dead_letters == 0
    return Run(report, items, counts)


def test_the_cart_reminder_went_the_evening_before_the_lapse(run: Run) -> None:
    reminders = sorted((m for m in run.sent(EVE) if m[0] == "abandoned_checkout"), key=lambda m: m[2])
    assert reminders == [
        ("abandoned_checkout", "reminder", at("2026-04-01T22:00:00Z")),  # 18:00 in Ottawa
        ("abandoned_checkout", "second_reminder", at("2026-04-02T22:00:00Z")),  # `on_cap: send`
        ("abandoned_checkout", "last_reminder", at("2026-04-04T21:00:00Z")),  # 72 hours after her checkout
    ]


def test_we_miss_you_within_16_hours_of_it_is_skipped_not_sent(run: Run) -> None:
    # Not in the outbox: no "we miss you" for Eve, ever (not deferred to when the cap frees, 14:00 UTC)
    assert [m for m in run.sent(EVE) if m[1] == "miss_you"] == []
    # Dora, lapsed the same day with nothing else sent to her, gets it at 08:00 local
    assert ("win_back", "miss_you", at("2026-04-02T12:00:00Z")) in run.sent(DORA)


def test_the_skip_is_recorded_on_the_contact(run: Run) -> None:
    # The scan at 10:00 UTC (06:00 local): the first allowed minute, 08:00, is still within 16 hours
    # of the reminder, so it is skipped at once (not deferred through the night to be skipped then)
    assert run.decisions(EVE, "win_back")[0] == ("miss_you", "skipped", "frequency_cap", None)
    assert run.decisions(DORA, "win_back")[:2] == [
        ("miss_you", "deferred", "quiet_hours", "2026-04-02T12:00:00.000Z"),
        ("miss_you", "sent", None, None),
    ]


def test_the_skip_is_counted_for_the_journey_step(run: Run) -> None:
    counts = run.miss_you_counts
    assert (counts["skipped"], counts["skipped_frequency_cap"]) == (1, 1)  # Eve
    assert counts["sent"] == 1  # Dora
    assert (counts["deferred"], counts["deferred_quiet_hours"]) == (1, 1)  # Dora's, at 06:00 local


def test_the_journey_goes_on_after_the_skip(run: Run) -> None:
    # No click on an email never sent: the incentive 7 days later, as for anyone who did not click
    assert [m for m in run.sent(EVE) if m[0] == "win_back"] == [("win_back", "incentive", at("2026-04-09T12:00:00Z"))]
    assert ("incentive", "sent", None, None) in run.decisions(EVE, "win_back")
    # then, no click on the incentive either, the lapsed list; the execution succeeded
    assert "lapsed" in run.profile(EVE).get("lists", set())
    assert run.enrolment(EVE, "win_back")["status"] == "completed"
    assert run.report.journeys["win_back"] == {"SUCCEEDED": 2}

"""The local runtime drives what AWS would: SES's engagement events for scenario lines (open,
click, bounce, complaint of the latest email sent to an address), SES's Delivery after every
accepted email, and the template's EventBridge schedules fired on the virtual clock."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LOCAL_SCHEDULE_FLOOR, LocalEnvironment, parse_schedule
from nurture_local.runtime.runner import journey_counts, run_scenario
from nurture_local.runtime.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# ---- schedules ----


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
        ("rate(6 hours)", timedelta(hours=6)),
        ("rate(2 hours)", LOCAL_SCHEDULE_FLOOR),  # floored: every 6 hours locally
        ("rate(15 minutes)", LOCAL_SCHEDULE_FLOOR),
        ("rate(1 minute)", LOCAL_SCHEDULE_FLOOR),
    ],
)
def test_rate_expressions_fire_every_period_from_the_start(expression: str, period: timedelta) -> None:
    schedule = parse_schedule("Fn", expression)
    assert schedule.period == period
    assert schedule.first_after(START) == START + period


def test_a_daily_cron_fires_at_its_utc_time_of_day() -> None:
    schedule = parse_schedule("Fn", "cron(30 6 * * ? *)")
    assert schedule.period == timedelta(days=1)
    assert schedule.first_after(START) == datetime(2026, 3, 3, 6, 30, tzinfo=UTC)  # 06:30 already passed
    assert parse_schedule("Fn", "cron(0 10 ? * * *)").first_after(START) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression", ["rate(0 days)", "rate(1 week)", "cron(0 10 ? * MON-FRI *)", "cron(0/5 * * * ? *)"]
)
def test_schedules_the_runtime_cannot_fire_are_refused_by_name(expression: str) -> None:
    with pytest.raises(ValueError, match="Fn"):
        parse_schedule("Fn", expression)


def test_executions_are_counted_by_journey_and_status() -> None:
    counts = journey_counts(
        [("nurture-journey-welcome", "SUCCEEDED"), ("nurture-journey-welcome", "RUNNING"), ("Other", "FAILED")]
    )
    assert counts == {"Other": {"FAILED": 1}, "welcome": {"RUNNING": 1, "SUCCEEDED": 1}}


# ---- scenario lines ----


def write(tmp_path: Path, *lines: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_action_lines_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"at": "2026-03-02T08:00:00Z", "action": "open", "to": "ada@example.com"},
        {"at": "2026-03-02T09:00:00Z", "action": "click", "to": "ada@example.com", "link": "https://shop.example/x"},
    )
    first, second = load_scenario(path)
    assert (first.action, first.to, first.link, first.step) == ("open", "ada@example.com", None, None)
    assert (second.action, second.link) == ("click", "https://shop.example/x")


def test_an_action_line_may_name_the_step_of_the_email(tmp_path: Path) -> None:
    path = write(tmp_path, {"at": "2026-03-02T08:00:00Z", "action": "click", "to": "a@example.com", "step": "welcome"})
    (line,) = load_scenario(path)
    assert line.step == "welcome"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"action": "forward", "to": "ada@example.com"}, "action"),
        ({"action": "open"}, "to"),
        ({"action": "open", "to": "ada@example.com", "link": "https://x.example"}, "link"),
        ({"action": "open", "to": "ada@example.com", "source": "shopify"}, "source"),
        ({"action": "open", "to": "ada@example.com", "step": ""}, "step"),
    ],
)
def test_malformed_action_lines_name_the_field(tmp_path: Path, line: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError, match=f"field '{field}'"):
        load_scenario(write(tmp_path, {"at": "2026-03-02T08:00:00Z", **line}))


# ---- a run ----


@pytest.fixture(scope="module")
def engagement_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Counter[str], list[dict[str, Any]]]:
    """Ada signs up at 08:00 UTC (03:00 in Ottawa: the welcome goes at 08:00 local, 13:00 UTC), opens
    it, clicks it; a click by someone never emailed; two days pass."""
    sign_up = next(line for line in DEMO.read_text().splitlines() if "ada.lovelace@example.com" in line)
    tmp = tmp_path_factory.mktemp("engagement")
    path = write(
        tmp,
        json.loads(sign_up),
        {"at": "2026-03-02T13:30:00Z", "action": "open", "to": "Ada.Lovelace@example.com"},
        {
            "at": "2026-03-02T13:35:00Z",
            "action": "click",
            "to": "ada.lovelace@example.com",
            "link": "https://x.example/",
        },
        {"at": "2026-03-02T14:00:00Z", "action": "click", "to": "nobody@example.com"},
    )
    delivered: Counter[str] = Counter()
    records: list[dict[str, Any]] = []
    original = LocalEnvironment.invoke

    def recording(self: LocalEnvironment, logical_id: str, event: Any) -> Any:
        if logical_id == "EngagementFunction":
            for record in event["Records"]:
                message = json.loads(record["Sns"]["Message"])
                delivered[message["eventType"]] += 1
                records.append(message)
        return original(self, logical_id, event)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalEnvironment, "invoke", recording)
        report = run_scenario(load_scenario(path), root=ROOT, days=2)
    return report, delivered, records


def test_engagement_lines_reach_the_engagement_function_tagged_like_the_message(engagement_run: Any) -> None:
    report, delivered, records = engagement_run
    # Then SES's Send and Delivery of each email, and the open and the click, reached it
    sent = len(report.messages)
    assert sent >= 2  # the welcome and, two days on, the content email
    assert delivered == {"Send": sent, "Delivery": sent, "Open": 1, "Click": 1}
    click = next(r for r in records if r["eventType"] == "Click")
    send = next(r for r in records if r["eventType"] == "Send")
    # And the click is about the latest message to that address, with its tags (the claim it names)
    assert click["mail"]["messageId"] == send["mail"]["messageId"]
    assert click["mail"]["tags"]["journey"] == ["welcome"]
    assert click["click"]["link"] == "https://x.example/"


def test_an_engagement_line_for_an_address_never_emailed_is_rejected_not_a_crash(engagement_run: Any) -> None:
    report = engagement_run[0]
    (rejected,) = report.rejected
    assert rejected["line"] == 4
    assert rejected["status"] == 422
    assert "nobody@example.com" in rejected["error"]


def test_schedules_fire_on_the_virtual_clock(engagement_run: Any) -> None:
    report = engagement_run[0]
    # 2 days and 6 hours of virtual time: the daily scan twice, the reconciler and the refresh pass
    # every 6 hours (both floored), the birthday scan at each 12:00 UTC (from 08:00 on day one: three)
    assert report.schedule_runs == {
        "LapsedScanFunction": 2,
        "BirthdayScanFunction": 3,
        "ReconcileSendsFunction": 9,
        "RefreshFunction": 9,
    }
    assert report.as_json()["schedule_runs"] == report.schedule_runs

"""events/win-back.jsonl on the local runtime: the daily lapsed scan, fired on the virtual clock,
finds the customers whose last order is 90 days old, and the win-back journey writes to them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "events" / "win-back.jsonl"


@pytest.fixture(scope="module")
def report() -> RunReport:
    return run_scenario(load_scenario(SCENARIO), root=ROOT, days=16)


def test_the_orders_and_the_click_are_accepted_and_the_scan_runs_every_day(report: RunReport) -> None:
    assert report.rejected == []
    assert report.dead_letters == 0
    # 2026-01-02 10:00 to 2026-04-19 09:00: 106 daily runs
    assert report.schedule_runs["LapsedScanFunction"] == 106


def test_the_scan_finds_the_lapsed_on_the_90th_day(tmp_path: Path) -> None:
    # Given profiles carrying last_order_day as ProcessFunction records it (issue 7 adds the write;
    # until then it is derived here from last_order_at before each run of the scan)
    found: list[tuple[date, int]] = []
    original = LocalEnvironment.run_schedule

    def scan_with_last_order_day(env: LocalEnvironment, logical_id: str) -> Any:
        if logical_id != "LapsedScanFunction":
            return original(env, logical_id)
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = env.resources["NurtureTable"]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                if item["sk"]["S"] == "PROFILE" and "last_order_at" in item:
                    day = item["last_order_at"]["S"][:10]
                    if item.get("last_order_day", {}).get("S") != day:
                        dynamodb.update_item(
                            TableName=table,
                            Key={"pk": item["pk"], "sk": item["sk"]},
                            UpdateExpression="SET last_order_day = :day",
                            ExpressionAttributeValues={":day": {"S": day}},
                        )
        answer = original(env, logical_id)
        if answer["events"]:
            found.append((datetime.now(UTC).date(), answer["events"]))
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalEnvironment, "run_schedule", scan_with_last_order_day)
        run_scenario(load_scenario(SCENARIO), root=ROOT, days=16)

    # Then Dora and Eve lapse on the 90th day after their orders, Frank (ordered since) never
    assert found == [(date(2026, 4, 2), 2)]


def test_the_lapsed_customers_are_won_back_and_the_loyal_one_is_left_alone(report: RunReport) -> None:
    sent = [(m.to, m.step, m.sent_at.date()) for m in report.messages if m.journey == "win_back"]
    assert sent == [
        ("dora@example.com", "miss_you", date(2026, 4, 2)),  # 90 days after her only order
        ("eve@example.com", "miss_you", date(2026, 4, 2)),
        ("eve@example.com", "incentive", date(2026, 4, 9)),  # no click within 7 days
    ]
    # Dora clicked (her enrolment completed on the click); Eve's ended on the lapsed list
    assert report.journeys["win_back"] == {"SUCCEEDED": 2}

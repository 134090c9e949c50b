"""The refresh loop on the local runtime: ProcessFunction stores when time alone next changes a
contact (``due_at``), RefreshFunction finds it in the ``due`` index and sends ``contact.refresh``,
ProcessFunction assesses it (the scores decay) and stores the next ``due_at`` (docs/scoring.md,
"The refresh pass"). Replayed on the cart recovery, three days past its last line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nurture_local.runtime.environment import LOCAL_SCHEDULE_FLOOR, LocalEnvironment
from nurture_local.runtime.runner import run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "events" / "cart-recovery.jsonl"


def test_contacts_due_are_refreshed_and_due_again_later() -> None:
    seen: dict[str, Any] = {}

    def read_table(env: LocalEnvironment) -> None:
        seen["items"] = table_items(env)
        seen["now"] = datetime.now().astimezone()

    report = run_scenario(load_scenario(SCENARIO), root=ROOT, days=3, at_end=read_table)
    items, now = seen["items"], seen["now"]
    profiles = [item for item in items if item["sk"] == "PROFILE"]
    refreshes = [item for item in items if item.get("event_type") == "contact.refresh"]
    # Then the pass ran every six hours locally and woke contacts (their scores decay daily)
    assert report.schedule_runs["RefreshFunction"] >= 12
    assert {item["contact_id"] for item in profiles if "due_at" in item} <= {
        item["pk"].removeprefix("CONTACT#") for item in refreshes
    }
    assert len({item["pk"] for item in refreshes}) >= 2
    # And each refresh was applied once (its id from the due_at it answered)
    assert len({item["event_id"] for item in refreshes}) == len(refreshes)
    # And no contact is left overdue longer than a run period: each applied refresh moved due_at on
    overdue = [
        item["contact_id"]
        for item in profiles
        if "due_at" in item and datetime.fromisoformat(item["due_at"]) < now - LOCAL_SCHEDULE_FLOOR
    ]
    assert overdue == []
    assert all(
        datetime.fromisoformat(item["due_at"]) > now - timedelta(days=1) for item in profiles if "due_at" in item
    )
    assert report.dead_letters == 0

"""The delivery rules end to end on the local runtime (docs/delivery.md): store webhooks → IngestFunction
→ ProcessFunction → the journeys' state machines (local executor) → JourneyStepFunction → SES, on the
virtual clock.

- Ada subscribes at 01:28 in Ottawa (the demo's first sign-up, moved into the night; no time zone on
  the profile: the country's, America/Toronto): her welcome email goes at 08:00 local, not at once.
- Alice abandons a checkout (and subscribes) at 04:00 in New York (cart-recovery): her welcome email
  goes at 08:00 local, and the cart reminder due an hour after the checkout comes within 16 hours of
  it: deferred by the frequency cap until the cap frees (00:00 local), then past the quiet hours, to
  08:00 the next day.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
CART = ROOT / "events" / "cart-recovery"
ADA = "ada.lovelace@example.com"
ALICE = "alice@example.com"
NIGHT = "2026-03-02T06:28:00Z"  # 01:28 in Ottawa (EST, UTC-5)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ada_at_night() -> dict[str, Any]:
    """The demo's first Shopify line (Ada's customers/create), its times moved to 01:28 local."""
    line = json.loads(next(raw for raw in DEMO.read_text().splitlines() if '"source":"shopify"' in raw))
    body = line["body"]
    assert body["email"] == ADA and body["default_address"]["country_code"] == "CA"
    body["created_at"] = body["updated_at"] = NIGHT
    body["email_marketing_consent"]["consent_updated_at"] = NIGHT
    return {**line, "at": NIGHT}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("delivery") / "scenario.jsonl"
    lines = [
        ada_at_night(),
        {
            "at": "2026-03-02T09:00:00Z",
            "source": "shopify",
            "topic": "checkouts/create",
            "body_file": str(CART / "checkouts-create-alice.json"),
        },
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    items: list[dict[str, Any]] = []

    def read_table(env: LocalEnvironment) -> None:
        items.extend(table_items(env))

    report = run_scenario(load_scenario(path), root=ROOT, days=1.5, at_end=read_table)
    assert report.rejected == []
    assert report.dead_letters == 0
    return report, items


def sent(report: RunReport, to: str) -> list[tuple[str, str, datetime]]:
    return [(m.journey, m.step, m.sent_at) for m in report.messages if m.to == to]


def decisions(items: list[dict[str, Any]], email: str) -> list[tuple[str, str, str | None, str | None]]:
    (pk,) = {i["pk"] for i in items if i["sk"] == "PROFILE" and i.get("email") == email}
    found = sorted((i for i in items if i["pk"] == pk and i["sk"].startswith("DECISION#")), key=lambda i: i["sk"])
    return [(i["step"], i["outcome"], i.get("reason"), i.get("until")) for i in found]


def test_a_subscriber_at_night_gets_the_welcome_email_at_8_local_not_at_once(run: tuple[RunReport, Any]) -> None:
    report, items = run
    # 08:00 in Toronto on 2 March (EST) is 13:00 UTC; not 06:28
    assert sent(report, ADA) == [("welcome", "welcome", at("2026-03-02T13:00:00Z"))]
    assert decisions(items, ADA) == [
        ("welcome", "deferred", "quiet_hours", "2026-03-02T13:00:00.000Z"),
        ("welcome", "sent", None, None),
    ]


def test_a_cart_reminder_goes_over_the_caps_but_not_through_the_night(run: tuple[RunReport, Any]) -> None:
    report, items = run
    assert sorted(sent(report, ALICE), key=lambda m: (m[2], m[0])) == [
        ("abandoned_checkout", "reminder", at("2026-03-02T13:00:00Z")),
        ("welcome", "welcome", at("2026-03-02T13:00:00Z")),  # 08:00 in New York
        # due at 10:00 UTC (05:00 local): the welcome email a moment before does not hold it back
        # (`on_cap: send`), the night does: 08:00 local, beside the welcome email (both above)
        ("abandoned_checkout", "second_reminder", at("2026-03-03T13:00:00Z")),
    ]
    outcomes = [(step, outcome, reason) for step, outcome, reason, _ in decisions(items, ALICE)]
    assert ("reminder", "deferred", "quiet_hours") in outcomes
    assert ("reminder", "deferred", "frequency_cap") not in outcomes
    assert outcomes.count(("reminder", "sent", None)) == 1
    assert outcomes.count(("welcome", "sent", None)) == 1

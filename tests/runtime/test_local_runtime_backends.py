"""The in-memory DynamoDB changes nothing a run does: the same messages at the same virtual times as moto's.

moto's DynamoDB is the reference (the integration tests run every adapter on it); the local runtime
uses Nurture's in-memory engine by default because moto's cost per write grows with the table. Each
scenario is replayed on both and the reports must be identical.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
UNSUBSCRIBE_TOKEN = re.compile(r"token=[^\s\"'<>]+")
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"


def observable(report: RunReport) -> dict[str, Any]:
    """Everything a run shows a user, message contents included (MIME ids and dates aside)."""
    document = report.as_json()
    # Contact ids are drawn at random in each run: the contacts compare by everything else.
    document["contacts"] = [{**contact, "contact_id": None} for contact in document["contacts"]]
    return {
        **document,
        "answers": report.answers,
        "dead_letters": report.dead_letters,
        "bodies": [(m.to, m.step, _body_text(m.raw)) for m in report.messages],
    }


def _body_text(raw: bytes) -> str:
    import email
    import email.policy

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain",))
    assert part is not None
    # The unsubscribe token names the contact, whose id is drawn at random in each run.
    return UNSUBSCRIBE_TOKEN.sub("token=<token>", str(part.get_content()))


def test_given_the_demo_scenario_when_run_on_both_dynamodb_backends_then_the_reports_are_identical() -> None:
    # The demo's sign-up week: moto's cost per write grows with the table (8 months of the library's
    # stories on moto take many minutes); the contract tests hold the engine to moto call by call.
    week = next(line.at for line in load_scenario(DEMO) if line.source == "shopify")
    lines = [line for line in load_scenario(DEMO) if line.at >= week and not line.action]

    in_memory = run_scenario(lines, root=ROOT, days=30, config=LocalConfig(dynamodb="in-memory"))
    reference = run_scenario(lines, root=ROOT, days=30, config=LocalConfig(dynamodb="moto"))

    assert observable(in_memory) == observable(reference)
    assert len(in_memory.messages) > 0

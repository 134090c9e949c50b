"""An SMS sent and a STOP honoured, end to end on the local runtime: events/sms-welcome.jsonl played
as `nurture run` plays it (generic webhooks → IngestFunction → ProcessFunction → the sms_welcome
journey on the local executor → JourneyStepFunction → SNS; every SMS's SUCCESS status log →
SmsEventsFunction; the replies through SmsInboundTopic → SmsEventsFunction → ProcessFunction).

Grace subscribes at 10:00 New York and gets the opt-in confirmation at once; Heidi (a number, no
email) at 22:30, hers deferred to 08:00 by quiet hours. Grace's STOP the next morning withdraws
her SMS consent and ends her series: no offer for her, Heidi's three days after her welcome. Grace's
"Start" a week later restores her consent; the series (once per contact) does not start again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "events" / "sms-welcome.jsonl"
GRACE, HEIDI = "+12125550142", "+12065550199"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Run:
    report: RunReport
    items: list[dict[str, Any]]
    outbox: Path

    def texts(self, number: str) -> list[tuple[str, str, datetime]]:
        sent = sorted((m for m in self.report.messages if m.to == number), key=lambda m: m.sent_at)
        return [(m.journey, m.step, m.sent_at) for m in sent]

    def body(self, number: str, step: str) -> str:
        (message,) = [m for m in self.report.messages if m.to == number and m.step == step]
        return message.raw.decode("utf-8")

    def partition(self, number: str) -> list[dict[str, Any]]:
        (profile,) = [i for i in self.items if i["sk"] == "PROFILE" and i.get("phone") == number]
        return sorted((i for i in self.items if i["pk"] == profile["pk"]), key=lambda i: i["sk"])

    def profile(self, number: str) -> dict[str, Any]:
        return next(i for i in self.partition(number) if i["sk"] == "PROFILE")

    def starting(self, number: str, prefix: str) -> list[dict[str, Any]]:
        return [i for i in self.partition(number) if i["sk"].startswith(prefix)]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    items: list[dict[str, Any]] = []

    def read_table(env: LocalEnvironment) -> None:
        items.extend(table_items(env))

    outbox = tmp_path_factory.mktemp("outbox")
    report = run_scenario(load_scenario(SCENARIO), root=ROOT, outbox=outbox, at_end=read_table)
    assert report.rejected == []
    assert report.dead_letters == 0
    return Run(report, items, outbox)


def test_an_sms_goes_at_once_in_the_day_and_waits_for_the_morning_at_night(run: Run) -> None:
    assert run.texts(GRACE) == [("sms_welcome", "welcome", at("2026-03-02T15:00:00Z"))]
    assert run.texts(HEIDI) == [
        ("sms_welcome", "welcome", at("2026-03-03T13:00:00Z")),  # 22:30 → 08:00 New York
        ("sms_welcome", "offer", at("2026-03-06T13:00:00Z")),
    ]
    (deferral,) = [i for i in run.starting(HEIDI, "DECISION#") if i["outcome"] == "deferred"]
    assert (deferral["step"], deferral["reason"], deferral["until"]) == (
        "welcome",
        "quiet_hours",
        "2026-03-03T13:00:00.000Z",
    )
    assert (run.report.sms, run.report.emails) == (3, 0)
    assert len(list(run.outbox.glob("*.txt"))) == 3


def test_the_texts_name_the_store_and_end_with_the_opt_out(run: Run) -> None:
    welcome, offer = run.body(HEIDI, "welcome"), run.body(HEIDI, "offer")
    assert "Msg frequency varies" in welcome and "Reply HELP for help" in welcome
    assert "Heidi, text-only offers" in offer
    for text in (welcome, offer, run.body(GRACE, "welcome")):
        assert text.rstrip().endswith("Reply STOP to opt out.")


def test_every_sms_is_claimed_once_and_settled_by_its_status_log(run: Run) -> None:
    for number, steps in ((GRACE, {"welcome"}), (HEIDI, {"welcome", "offer"})):
        claims = run.starting(number, "SEND#")
        assert {c["sk"].rsplit("#", 1)[1] for c in claims} == steps
        for claim in claims:
            assert (claim["status"], claim["channel"], claim["encoding"], claim["segments"]) == (
                "sent",
                "sms",
                "GSM-7",
                1,
            )
            pointer = next(i for i in run.items if i["pk"] == f"SMSMESSAGE#{claim['message_id']}")
            assert pointer["claim_id"] == claim["claim_id"]
    # The status logs came back as sms.delivered events, applied to the profiles
    delivered = [i for i in run.starting(HEIDI, "EVENT#") if i.get("event_type") == "sms.delivered"]
    assert len(delivered) == 2


def test_stop_withdraws_sms_consent_and_ends_the_series(run: Run) -> None:
    (enrolment,) = run.starting(GRACE, "ENROLMENT#sms_welcome#")
    assert (enrolment["status"], enrolment["reason"]) == ("exited", "sms_unsubscribed")
    events = run.starting(GRACE, "EVENT#")
    keywords = [i for i in events if i.get("event_type") == "consent.changed" and i.get("source") == "sms"]
    assert len(keywords) == 2  # STOP, then Start
    # No offer for Grace, ever (her execution was stopped; Heidi's ran to the end)
    assert [m for m in run.report.messages if m.to == GRACE and m.step == "offer"] == []
    assert run.report.journeys["sms_welcome"] == {"ABORTED": 1, "SUCCEEDED": 1}


def test_start_restores_sms_consent_without_starting_the_series_again(run: Run) -> None:
    consent = run.profile(GRACE)["sms_consent"]
    assert (consent["state"], consent["source"]) == ("subscribed", "sms")
    assert consent["changed_at"].startswith("2026-03-10T16:00")
    assert len(run.starting(GRACE, "ENROLMENT#sms_welcome#")) == 1  # reentry: never

"""The local runtime end to end: scenarios replayed through the real handlers, template and journeys."""

from __future__ import annotations

import email
import email.policy
import json
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from nurture_local.cli import main
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import ScenarioError, load_scenario

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    outbox = tmp_path_factory.mktemp("outbox")
    return run_scenario(load_scenario(DEMO), root=ROOT, days=30, outbox=outbox)


def texters_in(lines_path: Path) -> set[str]:
    """The numbers the demo scenario subscribes to text messages (Shopify's sms_marketing_consent)."""
    numbers = set()
    for raw in lines_path.read_text().splitlines():
        body = json.loads(raw)["body"] if raw.startswith("{") else {}
        if (body.get("sms_marketing_consent") or {}).get("state") == "subscribed":
            numbers.add(body["phone"])
    return numbers


def subscribers_in(lines_path: Path) -> tuple[set[str], set[str]]:
    """Who the demo scenario subscribes, and who it signs up without email consent."""
    subscribed, not_subscribed = set(), set()
    for raw in lines_path.read_text().splitlines():
        if not raw.startswith("{"):
            continue
        body = json.loads(raw)["body"]
        address = (body.get("email") or body.get("contact", {}).get("email", "")).lower()
        consent = body.get("email_marketing_consent", {}) or {}
        meta = {m["key"]: m["value"] for m in body.get("meta_data", [])}
        generic = body.get("consent", {}).get("email", {}).get("state")
        if "subscribed" in (consent.get("state"), meta.get("nurture_email_consent"), generic):
            subscribed.add(address)
        else:
            not_subscribed.add(address)
    return subscribed, not_subscribed


def test_given_the_demo_week_when_30_days_pass_then_every_subscriber_gets_the_welcome_series_and_four_lessons(
    demo_report,
):
    subscribed, _ = subscribers_in(DEMO)
    by_recipient = defaultdict(list)
    for message in demo_report.messages:
        if message.channel == "email":
            by_recipient[message.to].append(message)

    assert set(by_recipient) == subscribed
    for to, messages in by_recipient.items():
        # Nobody in the demo orders: every subscriber is a lead, in the acquisition nurture beside the welcome
        # series, and with no score computed every round sends its lesson.
        assert [m.step for m in messages] == [
            "welcome", "content", "round_1", "round_2", "round_3", "feedback", "round_4"
        ], to  # fmt: skip
        # with no score computed every round sends its lesson (the step's own template)
        assert all("welcome offer" not in m.subject for m in messages if m.journey == "acquisition_nurture"), to
        welcome = [m.sent_at for m in messages if m.journey == "welcome"]
        assert [at - welcome[0] for at in welcome] == [timedelta(0), timedelta(days=2), timedelta(days=16)], to
        lessons = [m.sent_at for m in messages if m.journey == "acquisition_nurture"]
        assert [at - lessons[0] for at in lessons] == [timedelta(days=d) for d in (0, 4, 8, 15)], to
        # 5 days after subscribing; the welcome email itself may have waited for the morning
        assert timedelta(days=4) < lessons[0] - welcome[0] <= timedelta(days=5), to
        # the two series fit the frequency caps together: 16 hours apart at least, 3 in any 7 days at most
        times = sorted(m.sent_at for m in messages)
        assert all(later - earlier >= timedelta(hours=16) for earlier, later in pairwise(times)), to
        assert all(later - earlier >= timedelta(days=7) for earlier, later in zip(times, times[3:], strict=False)), to
    assert demo_report.executions == {"SUCCEEDED": 2 * len(subscribed) + len(texters_in(DEMO))}
    assert demo_report.journeys["acquisition_nurture"] == {"SUCCEEDED": len(subscribed)}
    assert demo_report.rejected == []
    assert demo_report.dead_letters == 0


def test_given_the_demo_when_two_customers_also_subscribe_to_texts_then_each_gets_the_sms_welcome(demo_report):
    texters = texters_in(DEMO)
    texts = defaultdict(list)
    for message in demo_report.messages:
        if message.channel == "sms":
            texts[message.to].append(message)

    assert len(texters) == 2 and set(texts) == texters
    for to, messages in texts.items():
        assert [(m.journey, m.step) for m in messages] == [("sms_welcome", "welcome"), ("sms_welcome", "offer")], to
        assert messages[1].sent_at - messages[0].sent_at >= timedelta(days=3), to
        assert all(m.raw.decode().rstrip().endswith("Reply STOP to opt out.") for m in messages), to
    assert demo_report.journeys["sms_welcome"] == {"SUCCEEDED": 2}


def test_given_the_demo_when_a_customer_did_not_consent_then_they_get_nothing(demo_report):
    _, not_subscribed = subscribers_in(DEMO)

    assert not_subscribed, "the demo scenario should include customers without consent"
    assert not_subscribed.isdisjoint({m.to for m in demo_report.messages})


def test_given_the_demo_when_shopify_retries_a_delivery_then_it_is_acknowledged_once_as_duplicate(demo_report):
    duplicates = [answer for answer in demo_report.answers if answer["outcome"] == "duplicate"]

    assert len(duplicates) == 1
    assert len(demo_report.messages) == len({(m.to, m.step) for m in demo_report.messages})


def test_given_the_demo_outbox_then_each_message_is_an_eml_with_one_click_unsubscribe(demo_report):
    assert demo_report.outbox_index is not None
    files = sorted(demo_report.outbox_index.parent.glob("*.eml"))
    assert len(files) == demo_report.emails
    assert len(list(demo_report.outbox_index.parent.glob("*.txt"))) == demo_report.sms == 4
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].startswith("<https://")
    assert {part.get_content_type() for part in parsed.walk()} >= {"text/plain", "text/html"}


def test_given_a_scenario_with_a_bad_line_when_run_with_json_then_it_reports_messages_rejected_and_executions(
    tmp_path, capsys
):
    scenario = tmp_path / "scenario.jsonl"
    (tmp_path / "payloads").mkdir()
    (tmp_path / "payloads" / "grace.json").write_text(
        json.dumps(
            {
                "type": "consent.changed",
                "occurred_at": "2026-05-01T10:00:00Z",
                "contact": {"email": "grace@example.com", "first_name": "Grace"},
                "consent": {"email": {"state": "subscribed"}},
            }
        )
    )
    scenario.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "at": "2026-05-01T10:00:00Z",
                        "source": "generic",
                        "topic": "consent.changed",
                        "body_file": "payloads/grace.json",
                    }
                ),
                json.dumps(
                    {
                        "at": "2026-05-01T11:00:00Z",
                        "source": "shopify",
                        "topic": "customers/create",
                        "body": {"id": 1, "email": "not-an-order"},
                    }
                ),
            ]
        )
    )

    exit_code = main(["run", str(scenario), "--days", "3", "--outbox", str(tmp_path / "outbox"), "--json"])

    document = json.loads(capsys.readouterr().out)
    assert exit_code == 0
    assert [(m["to"], m["step"]) for m in document["messages"]] == [
        ("grace@example.com", "welcome"),
        ("grace@example.com", "content"),
    ]
    assert set(document["messages"][0]) == {"to", "channel", "journey", "step", "subject", "sent_at"}
    assert document["rejected"] == [{"line": 2, "status": 400, "error": document["rejected"][0]["error"]}]
    assert "updated_at" in document["rejected"][0]["error"]
    assert document["executions"] == {"RUNNING": 2}  # Grace's welcome series and acquisition nurture


def test_given_a_malformed_scenario_when_loaded_then_the_error_names_line_and_field(tmp_path):
    scenario = tmp_path / "bad.jsonl"
    scenario.write_text('{"at": "2026-05-01T10:00:00", "source": "shopify", "topic": "x", "body": {}}\n')

    with pytest.raises(ScenarioError, match=r"bad.jsonl:1: field 'at': .* has no UTC offset"):
        load_scenario(scenario)

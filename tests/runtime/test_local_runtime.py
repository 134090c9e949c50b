"""The local runtime end to end: scenarios replayed through the real handlers, template and journeys."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from nurture.config import CONFIG_DIR_VARIABLE
from nurture_local.cli import main
from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import ScenarioError, load_scenario

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"


DEMO_CONFIG = DEMO.parent / "config"
# The demo's sign-up week (scripts/gen_demo_scenario.py): its webhooks' delivery ids. The library's
# stories around it are checked below by what each journey did.
WEEK = ("shopify-delivery-", "woo-delivery-", "generic-delivery-")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    outbox = tmp_path_factory.mktemp("outbox")
    config = LocalConfig(function_environment={CONFIG_DIR_VARIABLE: str(DEMO_CONFIG)})  # as `nurture demo`
    return run_scenario(load_scenario(DEMO), root=ROOT, days=30, outbox=outbox, config=config)


def week_lines(lines_path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(raw) for raw in lines_path.read_text().splitlines() if raw.startswith("{")]
    return [line for line in lines if str(line.get("delivery_id", "")).startswith(WEEK)]


def texters_in(lines_path: Path) -> set[str]:
    """The numbers the demo's week subscribes to text messages (Shopify's sms_marketing_consent)."""
    numbers = set()
    for line in week_lines(lines_path):
        body = line["body"]
        if (body.get("sms_marketing_consent") or {}).get("state") == "subscribed":
            numbers.add(body["phone"])
    return numbers


def subscribers_in(lines_path: Path) -> tuple[set[str], set[str]]:
    """Who the demo's week subscribes, and who it signs up without email consent."""
    subscribed, not_subscribed = set(), set()
    for line in week_lines(lines_path):
        body = line["body"]
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
        if message.channel == "email" and message.to in subscribed:
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
    assert demo_report.rejected == []
    assert demo_report.dead_letters == 0


def test_given_the_demo_when_two_customers_also_subscribe_to_texts_then_each_gets_the_sms_welcome(demo_report):
    texters = texters_in(DEMO)
    texts = defaultdict(list)
    for message in demo_report.messages:
        if message.channel == "sms" and message.to in texters:
            texts[message.to].append(message)

    assert len(texters) == 2 and set(texts) == texters
    for to, messages in texts.items():
        assert [(m.journey, m.step) for m in messages] == [("sms_welcome", "welcome"), ("sms_welcome", "offer")], to
        assert messages[1].sent_at - messages[0].sent_at >= timedelta(days=3), to
        assert all(m.raw.decode().rstrip().endswith("Reply STOP to opt out.") for m in messages), to


def test_given_the_demo_when_a_customer_did_not_consent_then_they_get_nothing(demo_report):
    _, not_subscribed = subscribers_in(DEMO)

    assert not_subscribed, "the demo scenario should include customers without consent"
    assert not_subscribed.isdisjoint({m.to for m in demo_report.messages})


def test_given_the_demo_when_shopify_retries_a_delivery_then_it_is_acknowledged_once_as_duplicate(demo_report):
    duplicates = [answer for answer in demo_report.answers if answer["outcome"] == "duplicate"]

    assert len(duplicates) == 1
    # nothing sent twice: one message per recipient, journey, step and time
    assert len(demo_report.messages) == len({(m.to, m.journey, m.step, m.sent_at) for m in demo_report.messages})
    week = subscribers_in(DEMO)[0]
    assert len([m for m in demo_report.messages if m.to in week]) == len(
        {(m.to, m.step) for m in demo_report.messages if m.to in week}
    )


def test_given_the_demo_outbox_then_each_message_is_an_eml_with_one_click_unsubscribe(demo_report):
    assert demo_report.outbox_index is not None
    files = sorted(demo_report.outbox_index.parent.glob("*.eml"))
    assert len(files) == demo_report.emails
    assert len(list(demo_report.outbox_index.parent.glob("*.txt"))) == demo_report.sms >= 4
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].startswith("<https://")
    assert {part.get_content_type() for part in parsed.walk()} >= {"text/plain", "text/html"}


# ---------------------------------------------------------------- the journey library in the demo


def sent(report: RunReport, journey: str, step: str | None = None) -> list[Any]:
    return [m for m in report.messages if m.journey == journey and (step is None or m.step == step)]


def text_of(message: Any) -> str:
    if message.channel == "sms":
        return str(message.raw.decode())
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    return str(parsed.get_body(("plain",)).get_content())


def test_given_the_demo_then_every_journey_of_the_catalogue_acts_and_sms_is_sent(demo_report):
    from nurture.journeys.catalogue import default_catalogue

    assert set(demo_report.activity) == set(default_catalogue())
    for journey, did in demo_report.activity.items():
        assert did["enrolled"] >= 1, journey
        # sales_handoff sends nothing: it files the contact on the sales team's list and completes
        assert did["messages"] or (journey == "sales_handoff" and did["status"] == {"completed": 1}), journey
    assert demo_report.sms >= 5  # the week's SMS welcomes and Radia's birthday greeting
    assert demo_report.rejected == [] and demo_report.dead_letters == 0


def test_given_the_demo_then_offers_are_single_use_codes_and_an_empty_pool_says_why(demo_report):
    welcome = demo_report.activity["welcome"]["offers"]
    assert welcome == {"claimed": 12, "pool_empty": welcome["pool_empty"]} and welcome["pool_empty"] >= 1
    codes = [line for m in sent(demo_report, "welcome", "welcome") for line in text_of(m).split() if "DEMO-" in line]
    assert len(codes) == len(set(codes)) == 12  # one code per contact, never twice
    [last] = sent(demo_report, "abandoned_checkout", "last_reminder")
    assert "DEMO-CART-RECOVERY-" in text_of(last) and "148.00" in text_of(last)  # the cart is worth 75 or more
    assert last.sent_at - sent(demo_report, "abandoned_checkout", "reminder")[0].sent_at >= timedelta(hours=70)


def test_given_the_demo_then_birthdays_go_at_nine_local_by_email_or_by_sms_to_the_sms_only(demo_report):
    greetings = sorted(sent(demo_report, "birthday"), key=lambda m: m.sent_at)
    assert [(m.channel, m.sent_at.isoformat()) for m in greetings] == [
        ("email", "2026-03-20T13:00:00+00:00"),  # 09:00 in Toronto (EDT)
        ("sms", "2026-03-25T14:00:00+00:00"),  # 09:00 in Chicago (CDT): Radia consented to SMS only
    ]
    assert all("DEMO-BIRTHDAY-" in text_of(m) for m in greetings)
    assert text_of(greetings[1]).rstrip().endswith("Reply STOP to opt out.")


def test_given_the_demo_then_the_customer_stories_run_their_journeys(demo_report):
    # Grace: near the store (the places listed), her first order's survey and cross-sell, the beans'
    # reminder before they run out and again after her reorder, a cross-sell of their complement.
    [invitation] = sent(demo_report, "geo_invite")
    assert "ByWard Market (0.7 km)" in text_of(invitation)
    assert [m.step for m in sent(demo_report, "first_purchase")] == ["survey", "cross_sell"]
    reminders = [m for m in sent(demo_report, "replenishment") if m.to == "grace.brewer@example.net"]
    assert [m.sent_at.date().isoformat() for m in reminders] == ["2025-09-28", "2025-11-05"]
    assert any("Burr grinder" in text_of(m) for m in sent(demo_report, "cross_sell"))
    # Margaret: the VIP tier's thank-you, then the exclusive offer three days later.
    vip = [m for m in sent(demo_report, "vip") if m.to == "margaret.big@example.net"]
    assert [m.step for m in vip] == ["thank_you", "exclusive_offer"]
    # Linus lapses 90 days after his last order: "we miss you", then the incentive.
    assert [m.step for m in sent(demo_report, "win_back") if m.to == "linus.autumn@example.net"] == [
        "miss_you",
        "incentive",
    ]
    # Tim looked at the grinder twice; Barbara browsed three products; Lea turned sales-ready.
    assert [m.to for m in sent(demo_report, "browse_abandonment")] == ["tim.browser@example.net"]
    assert "barbara.looking@example.net" in {m.to for m in sent(demo_report, "browse_nudge")}
    assert demo_report.activity["sales_handoff"]["enrolled"] == 1


def test_given_the_demo_then_a_dormant_subscriber_gets_one_re_permission_email_then_no_more_mail(demo_report):
    dora = "dora.quiet@example.net"
    [ask] = [m for m in sent(demo_report, "sunset") if m.to == dora]
    assert ask.sent_at.date().isoformat() == "2026-02-14"  # 180 days after she subscribed, never opening
    assert [m for m in demo_report.messages if m.to == dora and m.sent_at > ask.sent_at] == []
    assert demo_report.activity["sunset"]["status"].get("completed", 0) >= 1  # the unsubscribe step ran


def test_given_the_demo_command_with_json_then_it_prints_what_run_with_json_prints(tmp_path, capsys):
    assert main(["demo", "--json", "--outbox", str(tmp_path / "a")]) == 0
    demo = json.loads(capsys.readouterr().out)
    assert main(["run", str(DEMO), "--days", "30", "--json", "--outbox", str(tmp_path / "b")]) == 0
    run = json.loads(capsys.readouterr().out)

    # The same document; only the contact ids differ (random, as the deployed stack's are), and so
    # which of a pool's codes each contact got (the claim picks by a hash of the enrolment id) and,
    # when a pool runs out, which of the contacts mailed at the same instant got its last codes.
    assert without_contact_ids(demo) == without_contact_ids(run)
    assert offers_by_pool(demo) == offers_by_pool(run)
    assert demo["activity"]["geo_invite"]["messages"] == {"invitation": 1}  # the demo's own config was used


def without_contact_ids(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each contact id replaced by the contact's address (or number), and each
    code by its pool's name."""
    text = json.dumps(document, sort_keys=True)
    for contact in document["contacts"]:
        text = text.replace(contact["contact_id"], contact["email"] or "no-email")
    text = re.sub(r"(DEMO-[A-Z-]+)-\d{3}", r"\1", text)
    renamed: dict[str, Any] = json.loads(text)
    for contact in renamed["contacts"]:
        del contact["offers"]
    return renamed


def offers_by_pool(document: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for contact in document["contacts"]:
        for offer in contact["offers"]:
            counts[offer["pool"]] += 1
    return dict(counts)


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

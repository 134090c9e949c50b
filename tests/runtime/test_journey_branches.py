"""Journey branches end to end on the local runtime: store webhooks → IngestFunction → events queue →
ProcessFunction (router) → Step Functions (local executor) → JourneyStepFunction → SES (moto) → SES
events → EngagementFunction → events queue, on the virtual clock.

Each scenario is written here (a handful of lines, run once per module fixture) from the payloads
of events/cart-recovery/, events/win-back/ and tests/runtime/scenarios/ (provenance: the README
there). At the end of each run the table is read back (`run_scenario(at_end=...)`): the enrolment
records and the profile, as the handlers left them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalConfig, LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items
from tests.sending import NO_DELIVERY_LIMITS

ROOT = Path(__file__).resolve().parents[2]
CART = ROOT / "events" / "cart-recovery"
WIN_BACK = ROOT / "events" / "win-back"
PAYLOADS = Path(__file__).resolve().parent / "scenarios"

ALICE = "alice@example.com"
ALICE_TOKEN = "c0ffee0000000000000000000000a11c"
ALICE_SECOND_TOKEN = "c0ffee0000000000000000000000a12c"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Run:
    report: RunReport
    items: list[dict[str, Any]]  # every item of NurtureTable at the end of the run
    engagement: list[dict[str, Any]] = field(default_factory=list)  # SES records EngagementFunction got

    def profile(self, email: str) -> dict[str, Any]:
        (profile,) = [i for i in self.items if i["sk"] == "PROFILE" and i.get("email") == email]
        return profile

    def enrolments(self, email: str, journey: str) -> list[dict[str, Any]]:
        pk = self.profile(email)["pk"]
        prefix = f"ENROLMENT#{journey}#"
        return sorted((i for i in self.items if i["pk"] == pk and i["sk"].startswith(prefix)), key=lambda i: i["sk"])

    def claims(self, email: str, journey: str) -> dict[str, dict[str, Any]]:
        pk = self.profile(email)["pk"]
        return {
            i["step"]: i
            for i in self.items
            if i["pk"] == pk and i["sk"].startswith("SEND#") and i["journey"] == journey
        }

    def sent(self, journey: str) -> list[tuple[str, str, datetime]]:
        return [(m.to, m.step, m.sent_at) for m in self.report.messages if m.journey == journey]

    def outcomes(self) -> list[str]:
        return [answer["outcome"] for answer in self.report.answers]


def replay(directory: Path, lines: list[dict[str, Any]], *, days: float) -> Run:
    """Write the scenario, run it, and read back the table and what EngagementFunction received."""
    path = directory / "scenario.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    items: list[dict[str, Any]] = []
    engagement: list[dict[str, Any]] = []

    def read_table(env: LocalEnvironment) -> None:
        items.extend(table_items(env))

    original: Callable[[LocalEnvironment, str, Any], Any] = LocalEnvironment.invoke

    def recording(self: LocalEnvironment, logical_id: str, event: Any) -> Any:
        if logical_id == "EngagementFunction":
            engagement.extend(json.loads(record["Sns"]["Message"]) for record in event["Records"])
        return original(self, logical_id, event)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalEnvironment, "invoke", recording)
        config = LocalConfig(function_environment=NO_DELIVERY_LIMITS)  # journey mechanics, at their hours
        report = run_scenario(load_scenario(path), root=ROOT, days=days, at_end=read_table, config=config)
    assert report.rejected == []
    assert report.dead_letters == 0
    return Run(report, items, engagement)


def shopify(when: str, topic: str, body: Path, **extra: str) -> dict[str, Any]:
    return {"at": when, "source": "shopify", "topic": topic, "body_file": str(body), **extra}


# ---------------------------------------------------------------- 1. a late click on win-back


@pytest.fixture(scope="module")
def late_click(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Eve's only order is on 01-02 11:00 (the scan fires daily at 11:00, from the run's start): she
    lapses on 04-02, gets "we miss you" then, the incentive on 04-09 (no click within 7 days), and
    clicks the "we miss you" email on 04-10 11:30, 8 days after it: too late for its wait."""
    return replay(
        tmp_path_factory.mktemp("late-click"),
        [
            shopify("2026-01-02T11:00:00Z", "orders/create", WIN_BACK / "orders-create-eve.json"),
            {"at": "2026-04-10T11:30:00Z", "action": "click", "to": "eve@example.com", "step": "miss_you"},
        ],
        days=7,  # to 04-17 11:30: past the incentive's 7-day wait (04-16 11:00)
    )


def test_a_late_click_on_we_miss_you_reaches_the_engagement_function_and_the_profile(late_click: Run) -> None:
    assert late_click.outcomes() == ["accepted", "click"]
    # The click is about the "we miss you" email (its tags name that send), not the newer incentive
    (click,) = [record for record in late_click.engagement if record["eventType"] == "Click"]
    assert click["mail"]["tags"]["journey"] == ["win_back"]
    assert click["mail"]["tags"]["step"] == ["miss_you"]
    assert click["mail"]["messageId"] == late_click.claims("eve@example.com", "win_back")["miss_you"]["message_id"]
    # And ProcessFunction recorded it on the profile
    assert late_click.profile("eve@example.com")["last_click_at"].startswith("2026-04-10T11:30:00")


def test_a_late_click_changes_nothing_the_journey_goes_on_to_the_lapsed_list(late_click: Run) -> None:
    # Still exactly the two emails, each once: the click resumed nothing and restarted nothing
    assert late_click.sent("win_back") == [
        ("eve@example.com", "miss_you", at("2026-04-02T11:00:00")),
        ("eve@example.com", "incentive", at("2026-04-09T11:00:00")),
    ]
    assert late_click.report.journeys["win_back"] == {"SUCCEEDED": 1}
    (enrolment,) = late_click.enrolments("eve@example.com", "win_back")
    assert enrolment["status"] == "completed"
    # The incentive's 7-day wait timed out on 04-16 11:00 and the last step ran: the lapsed list
    assert enrolment["ended_at"].startswith("2026-04-16T11:00:00")
    assert "lapsed" in late_click.profile("eve@example.com")["lists"]


# ---------------------------------------------------------------- 2. unsubscribing ends recovery


@pytest.fixture(scope="module")
def unsubscribed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Alice's checkout at 09:00 (she ticks the marketing box); at 09:30 Shopify's customers/update
    says her email consent is now unsubscribed: before the 1-hour reminder (10:00)."""
    return replay(
        tmp_path_factory.mktemp("unsubscribed"),
        [
            shopify("2026-03-02T09:00:00Z", "checkouts/create", CART / "checkouts-create-alice.json"),
            shopify(
                "2026-03-02T09:30:00Z",
                "customers/update",
                PAYLOADS / "shopify-customers-update-alice-unsubscribed.json",
            ),
        ],
        days=2,
    )


def test_unsubscribing_during_cart_recovery_ends_it_before_the_reminder(unsubscribed: Run) -> None:
    assert unsubscribed.outcomes() == ["accepted", "accepted"]
    assert unsubscribed.profile(ALICE)["email_consent"]["state"] == "unsubscribed"
    # No reminder, no second reminder
    assert unsubscribed.sent("abandoned_checkout") == []
    # The router stopped the execution (StopExecution) and recorded why on the enrolment
    assert unsubscribed.report.journeys["abandoned_checkout"] == {"ABORTED": 1}
    (enrolment,) = unsubscribed.enrolments(ALICE, "abandoned_checkout")
    assert enrolment["key"] == ALICE_TOKEN
    assert (enrolment["status"], enrolment["reason"]) == ("exited", "unsubscribed")
    assert enrolment["ended_at"].startswith("2026-03-02T09:30:00")


def test_unsubscribing_ends_the_welcome_series_too(unsubscribed: Run) -> None:
    # The checkout's opt-in started the welcome series (welcome at once); the content email never goes
    assert unsubscribed.sent("welcome") == [(ALICE, "welcome", at("2026-03-02T09:00:00"))]
    assert unsubscribed.report.journeys["welcome"] == {"ABORTED": 1}
    (enrolment,) = unsubscribed.enrolments(ALICE, "welcome")
    assert (enrolment["status"], enrolment["reason"]) == ("exited", "unsubscribed")


# ---------------------------------------------------------------- 3. a redelivered checkout


@pytest.fixture(scope="module")
def redelivered(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Alice's checkouts/create three times (Shopify's retry with the same webhook id; the same
    checkout again under another webhook id and other bytes, as a second subscription would send
    it: it passes the webhook's dedupe and reaches the router as the same event), then her
    checkouts/update of the same token."""
    body = json.loads((CART / "checkouts-create-alice.json").read_bytes())
    return replay(
        tmp_path_factory.mktemp("redelivered"),
        [
            shopify(
                "2026-03-02T09:00:00Z", "checkouts/create", CART / "checkouts-create-alice.json", delivery_id="d-1"
            ),
            shopify(
                "2026-03-02T09:01:00Z", "checkouts/create", CART / "checkouts-create-alice.json", delivery_id="d-1"
            ),
            # The same JSON, compact (other bytes, so another content hash): the same canonical event
            {
                "at": "2026-03-02T09:02:00Z",
                "source": "shopify",
                "topic": "checkouts/create",
                "body": body,
                "delivery_id": "d-2",
            },
            shopify("2026-03-02T09:05:00Z", "checkouts/update", CART / "checkouts-update-alice.json"),
        ],
        days=3,  # the last reminder comes 72 hours after the checkout
    )


def test_a_redelivered_checkout_is_acknowledged_and_reaches_the_router_as_the_same_event(redelivered: Run) -> None:
    # The retry is answered as a duplicate by the webhook; the other two are queued
    assert redelivered.outcomes() == ["accepted", "duplicate", "accepted", "accepted"]


def test_a_redelivered_or_updated_checkout_starts_no_second_enrolment(redelivered: Run) -> None:
    (enrolment,) = redelivered.enrolments(ALICE, "abandoned_checkout")
    assert (enrolment["key"], enrolment["occurrence"], enrolment["status"]) == (ALICE_TOKEN, 1, "completed")
    assert redelivered.report.journeys["abandoned_checkout"] == {"SUCCEEDED": 1}
    # One reminder, one second reminder (no click) and the last one, each once
    assert redelivered.sent("abandoned_checkout") == [
        (ALICE, "reminder", at("2026-03-02T10:00:00")),
        (ALICE, "second_reminder", at("2026-03-03T10:00:00")),
        (ALICE, "last_reminder", at("2026-03-05T09:00:00")),
    ]
    # The consent the checkout carried started one welcome series, not two
    assert sum(redelivered.report.journeys["welcome"].values()) == 1


# ---------------------------------------------------------------- 4. a second checkout


@pytest.fixture(scope="module")
def two_checkouts(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Alice abandons a checkout at 09:00 and another one (another token) at 12:00."""
    return replay(
        tmp_path_factory.mktemp("two-checkouts"),
        [
            shopify("2026-03-02T09:00:00Z", "checkouts/create", CART / "checkouts-create-alice.json"),
            shopify(
                "2026-03-02T12:00:00Z", "checkouts/create", PAYLOADS / "shopify-checkouts-create-alice-second.json"
            ),
        ],
        days=3,
    )


def test_a_second_checkout_is_its_own_enrolment(two_checkouts: Run) -> None:
    enrolments = two_checkouts.enrolments(ALICE, "abandoned_checkout")
    assert sorted((e["key"], e["occurrence"], e["status"]) for e in enrolments) == [
        (ALICE_TOKEN, 1, "completed"),
        (ALICE_SECOND_TOKEN, 1, "completed"),
    ]
    assert len({e["enrolment_id"] for e in enrolments}) == 2
    assert two_checkouts.report.journeys["abandoned_checkout"] == {"SUCCEEDED": 2}


def test_each_checkout_gets_its_own_reminders_with_its_own_recovery_link(two_checkouts: Run) -> None:
    assert two_checkouts.sent("abandoned_checkout") == [
        (ALICE, "reminder", at("2026-03-02T10:00:00")),
        (ALICE, "reminder", at("2026-03-02T13:00:00")),
        (ALICE, "second_reminder", at("2026-03-03T10:00:00")),
        (ALICE, "second_reminder", at("2026-03-03T13:00:00")),
        (ALICE, "last_reminder", at("2026-03-05T09:00:00")),
        (ALICE, "last_reminder", at("2026-03-05T12:00:00")),
    ]
    links = [
        ALICE_SECOND_TOKEN if ALICE_SECOND_TOKEN.encode() in m.raw else ALICE_TOKEN
        for m in two_checkouts.report.messages
        if m.journey == "abandoned_checkout"
    ]
    assert links == [ALICE_TOKEN, ALICE_SECOND_TOKEN] * 3


# ---------------------------------------------------------------- 5. WooCommerce pending orders


@pytest.fixture(scope="module")
def woocommerce(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Two WooCommerce orders left pending (placed, not paid): Wendy's at 09:00, paid at 09:30
    (order.updated, processing); Walt's at 09:10, never paid."""

    def woo(when: str, topic: str, name: str) -> dict[str, Any]:
        return {"at": when, "source": "woocommerce", "topic": topic, "body_file": str(PAYLOADS / name)}

    return replay(
        tmp_path_factory.mktemp("woocommerce"),
        [
            woo("2026-03-02T09:00:00Z", "order.created", "woocommerce-order-created-pending-wendy.json"),
            woo("2026-03-02T09:10:00Z", "order.created", "woocommerce-order-created-pending-walt.json"),
            woo("2026-03-02T09:30:00Z", "order.updated", "woocommerce-order-updated-processing-wendy.json"),
        ],
        days=3,
    )


def test_a_pending_woocommerce_order_starts_cart_recovery_keyed_on_its_order_key(woocommerce: Run) -> None:
    assert woocommerce.outcomes() == ["accepted", "accepted", "accepted"]
    (walt,) = woocommerce.enrolments("walt@example.com", "abandoned_checkout")
    assert (walt["key"], walt["status"]) == ("wc_order_58d2d0a7e2f", "completed")
    # Walt never paid: the three reminders, the first with the order's payment link
    walt_sent = [(m.step, m.sent_at, m.raw) for m in woocommerce.report.messages if m.to == "walt@example.com"]
    assert [(step, sent_at) for step, sent_at, _ in walt_sent if step.endswith("reminder")] == [
        ("reminder", at("2026-03-02T10:10:00")),
        ("second_reminder", at("2026-03-03T10:10:00")),
        ("last_reminder", at("2026-03-05T09:10:00")),
    ]
    assert b"order-pay/728/" in next(raw for step, _, raw in walt_sent if step == "reminder")


def test_paying_the_pending_order_before_the_hour_stops_its_recovery(woocommerce: Run) -> None:
    (wendy,) = woocommerce.enrolments("wendy@example.com", "abandoned_checkout")
    assert wendy["key"] == "wc_order_58d2d042d1d"
    assert (wendy["status"], wendy["reason"]) == ("exited", "ordered")
    assert wendy["ended_at"].startswith("2026-03-02T09:30:00")
    assert [m for m in woocommerce.report.messages if m.to == "wendy@example.com" and "reminder" in m.step] == []
    assert woocommerce.report.journeys["abandoned_checkout"] == {"ABORTED": 1, "SUCCEEDED": 1}

"""The journey library's other branches on the virtual clock (events/library-branches.jsonl, with the
demo's configuration): a customer's welcome, a small cart, a click that ends the reminders, an order
that ends them, the default win-back incentive and a VIP's, a click on the win-back, a click that
keeps a dormant subscriber, a browse that ends in a cart. The demo (tests/runtime/test_local_runtime.py)
runs the main paths."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest

from nurture.config import CONFIG_DIR_VARIABLE
from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "events" / "library-branches.jsonl"
CONFIG = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "config"


@pytest.fixture(scope="module")
def report() -> RunReport:
    config = LocalConfig(function_environment={CONFIG_DIR_VARIABLE: str(CONFIG)})
    return run_scenario(load_scenario(SCENARIO), root=ROOT, days=30, config=config)


def to(report: RunReport, first: str, journey: str | None = None) -> list[Any]:
    return [m for m in report.messages if m.to.startswith(first.lower() + ".") and journey in (None, m.journey)]


def text_of(message: Any) -> str:
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    return str(parsed.get_body(("plain",)).get_content())


def contact(report: RunReport, first: str) -> dict[str, Any]:
    [found] = [c for c in report.contacts if (c["email"] or "").startswith(first.lower() + ".")]
    return found


def test_a_customer_who_subscribes_gets_the_customer_welcome_without_a_first_order_code(report):
    [welcome] = [m for m in to(report, "Olga", "welcome") if m.step == "welcome"]
    assert "thanks for shopping with us" in welcome.subject
    assert "DEMO-WELCOME-" not in text_of(welcome)
    assert report.activity["welcome"]["offers"]["not_eligible"] == 1  # hers: the code is for leads


def test_the_cart_reminders_branch_on_the_value_a_click_and_an_order(report):
    # Cora's CAD 40 cart: all three reminders, the last without a code.
    cora = to(report, "Cora", "abandoned_checkout")
    assert [m.step for m in cora] == ["reminder", "second_reminder", "last_reminder"]
    assert "DEMO-CART-RECOVERY-" not in text_of(cora[-1])
    assert report.activity["abandoned_checkout"]["offers"] == {"not_eligible": 1}
    # Cleo clicked the first: nothing more. Cody ordered: the recovery ended.
    assert [m.step for m in to(report, "Cleo", "abandoned_checkout")] == ["reminder"]
    assert [m.step for m in to(report, "Cody", "abandoned_checkout")] == ["reminder"]
    assert report.activity["abandoned_checkout"]["exits"] == {"ordered": 1}


def test_the_win_back_incentive_follows_the_customers_value_and_a_click_ends_it(report):
    [una] = [m for m in to(report, "Una", "win_back") if m.step == "incentive"]
    assert "DEMO-WIN-BACK-" in text_of(una)  # a one-order customer: the default pool
    [vera] = [m for m in to(report, "Vera", "win_back") if m.step == "incentive"]
    assert "DEMO-" not in text_of(vera)  # a VIP: the VIP pool, empty here: the no-discount version
    assert contact(report, "Vera")["tier"] in ("vip", "lapsed") and "vip" in {
        j["journey"] for j in contact(report, "Vera")["journeys"]
    }
    assert [m.step for m in to(report, "Uri", "win_back")] == ["miss_you"]  # he clicked it


def test_a_dormant_subscriber_who_clicks_the_re_permission_email_stays_subscribed(report):
    assert [m.step for m in to(report, "Sam", "sunset")] == ["re_permission"]
    assert contact(report, "Sam")["email_consent"] == "subscribed"
    [cleo_ask] = to(report, "Cleo", "sunset")  # her click was on a cart reminder, months earlier
    assert contact(report, "Cleo")["email_consent"] == "unsubscribed"
    assert [m for m in to(report, "Cleo") if m.sent_at > cleo_ask.sent_at] == []


def test_a_product_viewed_twice_then_carted_gets_no_browse_reminder(report):
    assert to(report, "Bea", "browse_abandonment") == []
    assert report.activity["browse_abandonment"]["exits"] == {"carted": 1}
    assert report.rejected == [] and report.dead_letters == 0


def test_the_committed_scenarios_are_the_generators_output() -> None:
    import subprocess
    import sys

    check = subprocess.run(
        [sys.executable, "scripts/gen_demo_scenario.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, "run scripts/gen_demo_scenario.py: a committed scenario differs from its output"

"""Consent end to end on the local runtime: the sign-up form, the confirmation link and the
unsubscribe link, called on ConsentFunction as a browser or a mail client would (scenario lines
``subscribe``, ``confirm``, ``unsubscribe``), through the events queue, ProcessFunction's router and
the journeys, on the virtual clock.

One run, four people signing up on 2026-03-02 at 09:00:
- Ada confirms at 10:00 (the welcome email goes out), then unsubscribes with one click (POST) the
  next day: the welcome journey exits, its content email (due 03-04 10:00) is never sent;
- Bea confirms too, then a link scanner fetches the unsubscribe link (GET) the next day: nothing
  changes, the content email goes out;
- Cal never confirms: the confirmation at 09:00, one reminder at +3 days, nothing after +7 days; a
  confirmation attempted on day 8 is refused (410) and Cal is never subscribed;
- Dan opens the confirmation page (GET) and leaves: still pending, no welcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import RunReport, run_scenario
from nurture_local.runtime.scenario import load_scenario
from tests.runtime_tables import table_items

ROOT = Path(__file__).resolve().parents[2]
ADA, BEA, CAL, DAN = "ada@example.com", "bea@example.com", "cal@example.com", "dan@example.com"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Run:
    report: RunReport
    items: list[dict[str, Any]]

    def profile(self, email: str) -> dict[str, Any]:
        (profile,) = [i for i in self.items if i["sk"] == "PROFILE" and i.get("email") == email]
        return profile

    def enrolments(self, email: str, journey: str) -> list[dict[str, Any]]:
        pk = self.profile(email)["pk"]
        prefix = f"ENROLMENT#{journey}#"
        return [i for i in self.items if i["pk"] == pk and i["sk"].startswith(prefix)]

    def events(self, email: str) -> list[dict[str, Any]]:
        """The canonical events in the contact's event log (their stored bodies)."""
        pk = self.profile(email)["pk"]
        return [json.loads(i["body"]) for i in self.items if i["pk"] == pk and i["sk"].startswith("EVENT#")]

    def sent(self, email: str) -> list[tuple[str, str, datetime]]:
        return [(m.journey, m.step, m.sent_at) for m in self.report.messages if m.to == email]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    lines = [
        {"at": "2026-03-02T09:00:00Z", "action": "subscribe", "to": ADA, "store": "shop.example", "first_name": "Ada"},
        {"at": "2026-03-02T09:00:00Z", "action": "subscribe", "to": BEA, "store": "shop.example"},
        {"at": "2026-03-02T09:00:00Z", "action": "subscribe", "to": CAL, "store": "shop.example"},
        {"at": "2026-03-02T09:00:00Z", "action": "subscribe", "to": DAN, "store": "shop.example"},
        {"at": "2026-03-02T10:00:00Z", "action": "confirm", "to": ADA},
        {"at": "2026-03-02T10:00:00Z", "action": "confirm", "to": BEA},
        {"at": "2026-03-02T10:00:00Z", "action": "confirm", "to": DAN, "method": "GET"},
        {"at": "2026-03-03T12:00:00Z", "action": "unsubscribe", "to": ADA},
        {"at": "2026-03-03T12:00:00Z", "action": "unsubscribe", "to": ADA},  # the mail client retries
        {"at": "2026-03-03T12:00:00Z", "action": "unsubscribe", "to": BEA, "method": "GET"},
        {"at": "2026-03-10T10:00:00Z", "action": "confirm", "to": CAL},  # day 8: the link has expired
    ]
    path = tmp_path_factory.mktemp("consent") / "scenario.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    items: list[dict[str, Any]] = []

    def read_table(env: LocalEnvironment) -> None:
        items.extend(table_items(env))

    report = run_scenario(load_scenario(path), root=ROOT, days=3, at_end=read_table)
    assert report.dead_letters == 0
    return Run(report, items)


def test_every_line_is_answered_and_only_the_expired_confirmation_is_refused(run: Run) -> None:
    statuses = [(answer["line"], answer["http_status"]) for answer in run.report.answers]
    assert statuses == [(1, 202), (2, 202), (3, 202), (4, 202), (5, 200), (6, 200), (7, 200), (8, 200), (9, 200),
                        (10, 200), (11, 410)]  # fmt: skip


def test_a_double_opt_in_confirmed_starts_the_welcome_journey_and_the_acquisition_nurture(run: Run) -> None:
    consent = run.profile(BEA)["email_consent"]
    assert (consent["state"], consent["opt_in_level"]) == ("subscribed", "confirmed_opt_in")
    # Bea has no order: a lead, so the acquisition nurture's lessons follow 5 and 9 days after she confirmed
    assert run.sent(BEA) == [
        ("double_opt_in", "confirm", at("2026-03-02T09:00:00")),
        ("welcome", "welcome", at("2026-03-02T10:00:00")),
        ("welcome", "content", at("2026-03-04T10:00:00")),
        # each round is one send (its step id `round_<n>`): the lesson, or the offer once sales-ready
        ("acquisition_nurture", "round_1", at("2026-03-07T10:00:00")),
        ("acquisition_nurture", "round_2", at("2026-03-11T10:00:00")),
    ]
    (enrolment,) = run.enrolments(BEA, "double_opt_in")
    assert (enrolment["status"], enrolment.get("reason")) == ("exited", "no_longer_pending")
    # The proof is kept with the event: the confirmation page, the IP and the user agent
    (confirmed,) = [e for e in run.events(BEA) if (e.get("proof") or {}).get("method") == "confirm_page"]
    assert confirmed["proof"] == {"method": "confirm_page", "ip": "127.0.0.1", "user_agent": "nurture-local"}
    assert confirmed["source"] == "nurture"


def test_an_unsubscribe_by_post_is_honoured_the_welcome_journey_exits(run: Run) -> None:
    assert run.profile(ADA)["email_consent"]["state"] == "unsubscribed"
    assert run.sent(ADA) == [
        ("double_opt_in", "confirm", at("2026-03-02T09:00:00")),
        ("welcome", "welcome", at("2026-03-02T10:00:00")),
    ]  # no content email on 03-04
    for journey in ("welcome", "acquisition_nurture"):
        (enrolment,) = run.enrolments(ADA, journey)
        assert (enrolment["status"], enrolment.get("reason")) == ("exited", "unsubscribed"), journey
    # the retried one-click POST is the same event: one unsubscribe in the event log
    one_click = [e for e in run.events(ADA) if (e.get("proof") or {}).get("method") == "one_click"]
    assert len({e["event_id"] for e in one_click}) == 1


def test_a_get_on_the_unsubscribe_link_changed_nothing(run: Run) -> None:
    assert run.profile(BEA)["email_consent"]["state"] == "subscribed"
    assert ("welcome", "content", at("2026-03-04T10:00:00")) in run.sent(BEA)


def test_a_double_opt_in_that_lapsed_sends_one_reminder_and_never_subscribes(run: Run) -> None:
    assert run.sent(CAL) == [
        ("double_opt_in", "confirm", at("2026-03-02T09:00:00")),
        ("double_opt_in", "confirm_reminder", at("2026-03-05T09:00:00")),
    ]
    assert run.profile(CAL)["email_consent"]["state"] == "pending"
    assert run.enrolments(CAL, "welcome") == []


def test_opening_the_confirmation_page_confirms_nothing(run: Run) -> None:
    assert run.profile(DAN)["email_consent"]["state"] == "pending"
    assert run.enrolments(DAN, "welcome") == []

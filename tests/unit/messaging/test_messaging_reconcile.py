"""The reconciler's run, with the ledger and the sender in memory: what it does with each decision,
and how one claim's failure is counted without holding up the others."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import LOST, SENT, UNKNOWN, ClaimSuperseded, SendKey, SendRecord
from nurture.messaging.reconcile import Reconciler, ReconciliationIncomplete
from nurture.messaging.sending import SendResult
from tests.unit.messaging.fake_log import FakeLog

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def record(contact: str, *, resends: int = 0, status: str = UNKNOWN) -> SendRecord:
    return SendRecord(
        contact,
        "welcome",
        "welcome",
        status,
        1,
        f"claim-{contact}",
        "x",
        0,
        unknown_at=T0,
        resends=resends,
        enrolment=f"welcome-{contact}-1",
    )


class Ledger:
    def __init__(self, *records: SendRecord) -> None:
        self.records = {r.key: r for r in records}
        self.asked: list[datetime] = []

    def unsettled(self, *, since_at_most: datetime) -> Iterator[SendKey]:
        self.asked.append(since_at_most)
        yield from self.records

    def get(self, key: SendKey) -> SendRecord | None:
        return self.records.get(key)

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        if key.contact_id == "moved-on":
            raise ClaimSuperseded(key)
        self.records[key] = dataclasses.replace(self.records[key], status=LOST)


class Sender:
    def __init__(self) -> None:
        self.resent: list[str] = []

    def resend(self, record: SendRecord) -> SendResult:
        if record.contact_id == "table-down":
            raise DependencyUnavailable("send ledger", "injected")
        self.resent.append(record.contact_id)
        return SendResult("sent", None, "m")


def test_each_decision_is_carried_out_and_counted() -> None:
    # Given a claim never re-sent, one re-sent already, one settled since the index was read,
    # and one another run gave up meanwhile
    ledger = Ledger(
        record("new"),
        record("again", resends=1),
        record("settled", status=SENT),
        record("moved-on", resends=1),
    )
    sender, log = Sender(), FakeLog()
    # When the reconciler runs two hours later
    counts = Reconciler(ledger, sender, log, clock=lambda: T0 + timedelta(hours=2)).run()
    # Then it asked the index for claims unsettled for an hour or more, re-sent one, gave one up
    assert ledger.asked == [T0 + timedelta(hours=1)]
    assert counts == {"resent": 1, "given_up": 1, "settled": 1, "raced": 1}
    assert sender.resent == ["new"]
    assert ledger.records[SendKey("again", "welcome", "welcome", "welcome-again-1")].status == LOST
    # And the loss is a warning naming the claim, never an address
    (lost,) = [fields for _level, msg, fields in log.lines if msg.startswith("email lost")]
    assert lost["claim_id"] == "claim-again"


def test_an_unsettled_sms_is_given_up_never_re_sent() -> None:
    # Given an SMS whose Publish never answered, an hour ago and more, with no status log since
    sms = dataclasses.replace(record("texted"), channel="sms", segments=1, encoding="GSM-7")
    ledger, sender, log = Ledger(sms), Sender(), FakeLog()
    # When the reconciler runs
    counts = Reconciler(ledger, sender, log, clock=lambda: T0 + timedelta(hours=2)).run()
    # Then it is lost at once: no second text
    assert counts == {"given_up": 1}
    assert sender.resent == []
    assert ledger.records[sms.key].status == LOST
    (lost,) = [fields for _level, msg, fields in log.lines if msg.startswith("sms lost")]
    assert (lost["claim_id"], lost["resends"]) == ("claim-texted", 0)


def test_one_claim_failing_is_counted_and_the_run_still_reconciles_the_rest_then_fails() -> None:
    ledger = Ledger(record("table-down"), record("fine"))
    sender = Sender()
    with pytest.raises(ReconciliationIncomplete, match="1 unsettled claim"):
        Reconciler(ledger, sender, FakeLog(), clock=lambda: T0 + timedelta(hours=2)).run()
    assert sender.resent == ["fine"]


def test_a_claim_that_vanished_is_counted() -> None:
    class Vanishing(Ledger):
        def get(self, key: SendKey) -> SendRecord | None:
            return None

    assert Reconciler(Vanishing(record("gone")), Sender(), FakeLog(), clock=lambda: T0 + timedelta(hours=2)).run() == {
        "vanished": 1
    }

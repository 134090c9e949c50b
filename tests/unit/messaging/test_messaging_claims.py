"""The send claim's pure rules: what a retry does with an existing claim, how SES's published events
settle an unknown one (the samples in tests/fixtures/third_party/ses, unchanged), and when a claim
no event settles is re-sent."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from nurture.messaging.claims import (
    CLAIMED,
    FAILED,
    LOST,
    SENDING,
    SENT,
    SETTLE_WITHIN,
    UNKNOWN,
    ProviderEvent,
    SendKey,
    SendRecord,
    Settlement,
    reconcile_unknown,
    ses_event,
    settle,
    verdict_on_existing,
)
from tests.third_party import fixture_json

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:welcome:welcome-c1"
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SES_MESSAGE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"


def record(status: str, *, execution: str = EXECUTION, resends: int = 0, **times: datetime) -> SendRecord:
    return SendRecord("c1", "welcome", "welcome", status, 1, "claim-1", execution, 0, resends=resends, **times)


def ours(sample: str) -> ProviderEvent:
    """The published sample as SES would publish it for our message: the same event, tagged claim-1."""
    return dataclasses.replace(ses_event(fixture_json(f"ses/{sample}")), claim_id="claim-1")


# ---------------------------------------------------------------- a retry meets an existing claim


@pytest.mark.parametrize(
    ("status", "execution", "verdict"),
    [
        (SENT, EXECUTION, "already_sent"),
        (SENT, "another", "already_sent"),
        (SENDING, EXECUTION, "outcome_unknown"),
        (UNKNOWN, EXECUTION, "outcome_unknown"),
        (SENDING, "another", "already_claimed"),
        (UNKNOWN, "another", "already_claimed"),
        (CLAIMED, "another", "already_claimed"),
    ],
)
def test_a_refused_claim_is_sent_unknown_or_someone_elses(status: str, execution: str, verdict: str) -> None:
    assert verdict_on_existing(record(status, execution=execution), EXECUTION) == verdict


def test_a_claim_that_vanished_is_someone_elses() -> None:
    assert verdict_on_existing(None, EXECUTION) == "already_claimed"


# ---------------------------------------------------------------- SES events


def test_the_published_send_event_is_read() -> None:
    # Given SES's sample Send event, unchanged / When it is read
    event = ses_event(fixture_json("ses/ses_event_send.json"))
    # Then kind, message id and time come from it, and it carries no claim id (we did not tag it)
    assert event == ProviderEvent("Send", SES_MESSAGE_ID, datetime(2016, 10, 14, 5, 2, 16, 645000, tzinfo=UTC), None)


@pytest.mark.parametrize(
    "sample",
    [
        "ses_event_send.json",
        "ses_event_delivery.json",
        "ses_event_bounce_permanent.json",
        "ses_event_complaint.json",
        "ses_event_reject.json",
        "ses_event_open.json",
        "ses_event_click.json",
        "ses_event_delivery_delay.json",
    ],
)
def test_an_event_without_our_claim_id_settles_nothing(sample: str) -> None:
    event = ses_event(fixture_json(f"ses/{sample}"))
    assert event.claim_id is None
    assert settle(record(UNKNOWN), event) is None


@pytest.mark.parametrize(
    "sample",
    [
        "ses_event_send.json",
        "ses_event_delivery.json",
        "ses_event_delivery_delay.json",
        "ses_event_bounce_permanent.json",
        "ses_event_complaint.json",
        "ses_event_open.json",
        "ses_event_click.json",
    ],
)
@pytest.mark.parametrize("status", [UNKNOWN, SENDING])
def test_an_event_proving_acceptance_settles_an_unknown_claim_as_sent(sample: str, status: str) -> None:
    # Given a claim whose SES call never answered, and SES's event for the message tagged with it
    # When the event is applied / Then the claim is sent, with SES's message id
    assert settle(record(status), ours(sample)) == Settlement(SENT, SES_MESSAGE_ID)


def test_a_reject_settles_it_as_failed() -> None:
    assert settle(record(UNKNOWN), ours("ses_event_reject.json")) == Settlement(FAILED, SES_MESSAGE_ID, "SES Reject")


def test_an_event_for_another_claim_or_a_sent_one_changes_nothing() -> None:
    other = dataclasses.replace(ours("ses_event_send.json"), claim_id="claim-2")
    assert settle(record(UNKNOWN), other) is None
    assert settle(record(SENT), ours("ses_event_delivery.json")) is None


def test_an_unknown_kind_settles_nothing() -> None:
    assert settle(record(UNKNOWN), dataclasses.replace(ours("ses_event_send.json"), kind="Subscription")) is None


# ---------------------------------------------------------------- no event: wait, re-send once, give up


def test_an_unknown_claim_waits_for_events_then_is_re_sent_once_then_given_up() -> None:
    unknown = record(UNKNOWN, unknown_at=T0)
    assert reconcile_unknown(unknown, T0 + SETTLE_WITHIN - timedelta(seconds=1)) == "wait"
    assert reconcile_unknown(unknown, T0 + SETTLE_WITHIN) == "resend"
    assert reconcile_unknown(dataclasses.replace(unknown, resends=1), T0 + SETTLE_WITHIN) == "give_up"


def test_an_unknown_sms_waits_for_its_status_log_then_is_given_up_never_re_sent() -> None:
    unknown = dataclasses.replace(record(UNKNOWN, unknown_at=T0), channel="sms")
    assert reconcile_unknown(unknown, T0 + SETTLE_WITHIN - timedelta(seconds=1)) == "wait"
    assert reconcile_unknown(unknown, T0 + SETTLE_WITHIN) == "give_up"


def test_a_claim_left_sending_counts_from_the_provider_call() -> None:
    sending = record(SENDING, claimed_at=T0, sending_at=T0 + timedelta(seconds=1))
    assert reconcile_unknown(sending, T0 + SETTLE_WITHIN) == "wait"
    assert reconcile_unknown(sending, T0 + SETTLE_WITHIN + timedelta(seconds=1)) == "resend"


@pytest.mark.parametrize("status", [CLAIMED, SENT, FAILED])
def test_other_claims_need_no_reconciling(status: str) -> None:
    assert reconcile_unknown(record(status), T0) == "settled"


def test_our_tags_name_the_claim_and_its_send_key() -> None:
    # Given SES's sample Send event for a message sent with our four tags
    payload = fixture_json("ses/ses_event_send.json")
    payload["mail"]["tags"].update(
        {
            "contact_id": ["c1"],
            "journey": ["welcome"],
            "step": ["content"],
            "enrolment": ["welcome-c1-1"],
            "claim_id": ["claim-1"],
        }
    )
    # When it is read / Then it names the claim id and the contact, journey and step
    event = ses_event(payload)
    assert (event.claim_id, event.key) == ("claim-1", SendKey("c1", "welcome", "content", "welcome-c1-1"))


def test_an_event_missing_one_of_our_key_tags_names_no_send_key() -> None:
    payload = fixture_json("ses/ses_event_send.json")
    payload["mail"]["tags"].update({"contact_id": ["c1"], "claim_id": ["claim-1"]})
    assert ses_event(payload).key is None


def test_a_claim_given_up_needs_no_reconciling_but_its_late_event_still_settles_it() -> None:
    lost = record(LOST, unknown_at=T0)
    assert reconcile_unknown(lost, T0 + 10 * SETTLE_WITHIN) == "settled"
    assert settle(lost, ours("ses_event_delivery.json")) == Settlement(SENT, SES_MESSAGE_ID)

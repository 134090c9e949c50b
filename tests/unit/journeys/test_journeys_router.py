"""The router's decisions (docs/journeys.md, "The router"): triggers and entry filters on the views,
re-entry never / always / after, redelivery by trigger event, exits by type, when and same_key, the
marketing unsubscribe exit, and resumes of enrolments awaiting the event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nurture.events import Checkout, CheckoutCompleted, CheckoutStarted, ContactLapsed
from nurture.journeys.catalogue import Catalogue, default_catalogue
from nurture.journeys.definition import Journey
from nurture.journeys.enrolments import Enrolment, trigger_data
from nurture.journeys.router import decide, latest_keys, made_unsubscribed, triggered_journeys
from nurture.profiles.model import ConsentRecord, Profile
from tests.unit.profiles.profile_events import STORE, T0, at, consent, contact, order, placed

CONTACT_ID = "c0ffee"
NOW = at(100)


def profile(email_consent: str | None = None, **fields: Any) -> Profile:
    record = (
        None
        if email_consent is None
        else ConsentRecord(state=email_consent, changed_at=T0, source="shopify", store=STORE, event_id="e0")  # type: ignore[arg-type]
    )
    return Profile(
        contact_id=CONTACT_ID,
        created_at=T0,
        updated_at=T0,
        source="shopify",
        store=STORE,
        email="ada@example.com",
        email_consent=record,
        **fields,
    )


def checkout(
    checkout_token: str = "tok-1",  # noqa: S107 (a checkout token, not a secret)
    *,
    hours: float = 1,
    url: str | None = "https://shop/r",
    kind: Any = None,
) -> Any:
    model = kind or CheckoutStarted
    return model(
        event_id=f"{model.__name__}-{checkout_token}-{hours}",
        source="shopify",
        store=STORE,
        source_topic="checkouts/create",
        occurred_at=at(hours),
        contact=contact(),
        checkout=Checkout(token=checkout_token, abandoned_checkout_url=url),
    )


def lapsed(hours: float = 1) -> ContactLapsed:
    return ContactLapsed(
        event_id=f"lapsed-{hours}",
        source="nurture",
        store="scan",
        source_topic="lapsed",
        occurred_at=at(hours),
        contact_id=CONTACT_ID,
        last_order_at=T0,
        days=90,
    )


def enrolment(journey: str = "welcome", *, key: str | None = None, occurrence: int = 1, **fields: Any) -> Enrolment:
    values: dict[str, Any] = {
        "journey": journey,
        "contact_id": CONTACT_ID,
        "occurrence": occurrence,
        "key": key,
        "trigger_event_id": "an-earlier-event",
        "started_at": T0,
    }
    values.update(fields)
    return Enrolment(**values)


def ended(journey: str = "welcome", *, at_: Any = T0, **fields: Any) -> Enrolment:
    return enrolment(journey, status="completed", ended_at=at_, **fields)


def catalogue_of(*documents: dict[str, Any]) -> Catalogue:
    journeys = [Journey.model_validate(document) for document in documents]
    return Catalogue({journey.id: journey for journey in journeys})


def lapsed_journey(reentry: Any) -> dict[str, Any]:
    return {
        "id": "again",
        "name": "Again",
        "trigger": {"event": "contact.lapsed"},
        "reentry": reentry,
        "steps": [{"send": {"id": "hello"}}],
    }


def run(
    event: Any,
    *,
    before: Profile | None = None,
    after: Profile | None = None,
    latest: Any = None,
    running: Any = (),
    catalogue: Catalogue | None = None,
    triggered: Any = None,
) -> Any:
    return decide(
        catalogue or default_catalogue(),
        event,
        contact_id=CONTACT_ID,
        before=before,
        after=after if after is not None else profile("subscribed"),
        latest=latest or {},
        running=list(running),
        now=NOW,
        triggered=triggered,
    )


# ---- Triggers and entry filters ----


def test_given_consent_becoming_subscribed_when_routed_then_welcome_starts_occurrence_one() -> None:
    event = consent("subscribed", at(1))

    decision = run(event, before=profile("not_subscribed"), after=profile("subscribed"))

    # a contact with no order is a lead: the acquisition nurture starts beside the welcome series
    lead, start = decision.starts
    assert lead.enrolment.enrolment_id == f"acquisition_nurture-{CONTACT_ID}-1"
    assert start.enrolment.enrolment_id == f"welcome-{CONTACT_ID}-1"
    assert (start.enrolment.occurrence, start.enrolment.key, start.redelivery) == (1, None, False)
    assert start.enrolment.trigger_event_id == event.event_id
    assert start.enrolment.started_at == NOW
    assert "contact" not in start.enrolment.data
    assert start.enrolment.data["email"]["state"] == "subscribed"
    assert start.enrolment.execution_input() == {
        "journey": "welcome",
        "contact_id": CONTACT_ID,
        "enrolment": {"id": f"welcome-{CONTACT_ID}-1", "key": None, "occurrence": 1},
        "steps": {},
    }


@pytest.mark.parametrize("before", [profile("subscribed"), None])
def test_given_welcome_becomes_subscribed_when_already_subscribed_or_new_then_it_triggers_only_on_a_change(
    before: Profile | None,
) -> None:
    triggered = triggered_journeys(default_catalogue(), consent("subscribed", at(1)), before, profile("subscribed"))

    assert triggered == (() if before is not None else ("acquisition_nurture", "welcome"))


def test_given_consent_becoming_pending_when_routed_then_only_double_opt_in_triggers() -> None:
    triggered = triggered_journeys(default_catalogue(), consent("pending", at(1)), None, profile("pending"))

    assert triggered == ("double_opt_in",)


def test_given_a_subscriber_signing_up_again_when_routed_then_double_opt_in_does_not_trigger() -> None:
    # planning keeps them subscribed: the profile after the pending report is still subscribed
    after = profile("subscribed")
    assert triggered_journeys(default_catalogue(), consent("pending", at(1)), after, after) == ()


def test_given_a_checkout_with_a_recovery_link_and_a_subscriber_then_abandoned_checkout_triggers() -> None:
    assert triggered_journeys(default_catalogue(), checkout(), profile("subscribed"), profile("subscribed")) == (
        "abandoned_checkout",
    )


def test_given_a_checkout_without_a_recovery_link_then_trigger_when_refuses() -> None:
    assert triggered_journeys(default_catalogue(), checkout(url=None), None, profile("subscribed")) == ()


def test_given_a_checkout_of_a_contact_not_subscribed_then_the_entry_filter_refuses() -> None:
    assert triggered_journeys(default_catalogue(), checkout(), None, profile("not_subscribed")) == ()
    assert run(checkout(), after=profile("not_subscribed")).starts == ()


def test_given_a_journey_keyed_on_a_path_the_event_lacks_then_it_is_skipped() -> None:
    keyed = catalogue_of(
        {
            "id": "keyed",
            "name": "Keyed",
            "trigger": {"event": "order.placed"},
            "key": "event.order.checkout_token",
            "steps": [{"send": {"id": "hello"}}],
        }
    )
    without = placed(order(), at(1))
    with_token = placed(order(checkout_token="tok-9"), at(1))

    assert triggered_journeys(keyed, without, None, profile("subscribed")) == ()
    assert latest_keys(keyed, without, ["keyed"]) == []
    assert run(without, catalogue=keyed, triggered=["keyed"]).starts == ()
    assert triggered_journeys(keyed, with_token, None, profile("subscribed")) == ("keyed",)
    assert latest_keys(keyed, with_token, ["keyed"]) == [("keyed", "tok-9")]


def test_given_a_checkout_when_started_then_the_enrolment_is_keyed_on_its_token() -> None:
    [start] = run(checkout("tok-1")).starts

    assert start.enrolment.key == "tok-1"
    assert start.enrolment.enrolment_id == f"abandoned_checkout-{CONTACT_ID}-{start.enrolment.key_hash}-1"
    assert start.enrolment.execution_input()["enrolment"]["key"] == "tok-1"
    assert start.enrolment.data["checkout"]["abandoned_checkout_url"] == "https://shop/r"


def test_given_recorded_triggers_when_deciding_then_they_are_used_as_recorded() -> None:
    # A duplicate repeats what the first application decided, whatever the profile says now.
    decision = run(consent("subscribed", at(1)), before=profile("subscribed"), triggered=["welcome"])

    assert [start.enrolment.journey for start in decision.starts] == ["welcome"]
    assert run(consent("subscribed", at(1)), before=None, triggered=[]).starts == ()


def test_given_a_recorded_journey_no_longer_in_the_catalogue_then_it_is_ignored() -> None:
    assert run(consent("subscribed", at(1)), triggered=["retired"]).starts == ()


# ---- Re-entry ----


def test_given_reentry_never_when_the_journey_ran_before_then_nothing_starts() -> None:
    event = consent("subscribed", at(1))

    latest = {("welcome", None): ended(), ("acquisition_nurture", None): ended("acquisition_nurture")}
    decision = run(event, before=profile("unsubscribed"), latest=latest)

    assert decision.starts == ()


def test_given_a_running_enrolment_when_triggered_again_by_another_event_then_nothing_starts() -> None:
    catalogue = catalogue_of(lapsed_journey("always"))

    assert run(lapsed(), catalogue=catalogue, latest={("again", None): enrolment("again")}).starts == ()


def test_given_reentry_always_when_the_last_one_ended_then_the_next_occurrence_starts() -> None:
    catalogue = catalogue_of(lapsed_journey("always"))

    [start] = run(lapsed(), catalogue=catalogue, latest={("again", None): ended("again", occurrence=3)}).starts

    assert start.enrolment.occurrence == 4
    assert start.enrolment.enrolment_id == f"again-{CONTACT_ID}-4"


@pytest.mark.parametrize(("days_since_end", "starts"), [(179, False), (180, True), (400, True)])
def test_given_reentry_after_180_days_then_a_new_occurrence_only_once_the_period_has_passed(
    days_since_end: int, starts: bool
) -> None:
    catalogue = catalogue_of(lapsed_journey({"after": "180d"}))
    event = lapsed(hours=0)
    previous = ended("again", at_=event.occurred_at - timedelta(days=days_since_end))

    decision = run(event, catalogue=catalogue, latest={("again", None): previous})

    assert [start.enrolment.occurrence for start in decision.starts] == ([2] if starts else [])


def test_given_reentry_after_when_the_last_one_still_runs_then_nothing_starts() -> None:
    catalogue = catalogue_of(lapsed_journey({"after": "1d"}))

    assert run(lapsed(), catalogue=catalogue, latest={("again", None): enrolment("again")}).starts == ()


def test_given_the_shipped_win_back_when_lapsed_then_it_starts_and_re_enters_after_180_days() -> None:
    event = lapsed(hours=0)
    first = run(event).starts
    recent = run(event, latest={("win_back", None): ended("win_back", at_=event.occurred_at - timedelta(days=10))})

    assert [start.enrolment.journey for start in first] == ["win_back"]
    assert recent.starts == ()


# ---- Redelivery ----


def test_given_the_enrolment_this_event_started_is_running_when_redelivered_then_it_starts_again_same_name() -> None:
    event = consent("subscribed", at(1))
    started = enrolment(trigger_event_id=event.event_id)

    decision = run(event, before=None, latest={("welcome", None): started}, running=[started], triggered=["welcome"])

    [start] = decision.starts
    assert start.redelivery
    assert start.enrolment == started
    # It is not exited or resumed by the event that started it.
    assert decision.exits == ()


def test_given_the_enrolment_this_event_started_has_ended_when_redelivered_then_nothing_starts() -> None:
    catalogue = catalogue_of(lapsed_journey("always"))
    event = lapsed()
    finished = ended("again", trigger_event_id=event.event_id)

    assert run(event, catalogue=catalogue, latest={("again", None): finished}, triggered=["again"]).starts == ()


# ---- Exits ----


def test_given_a_running_checkout_enrolment_when_its_order_arrives_then_it_exits_ordered() -> None:
    running = enrolment("abandoned_checkout", key="tok-1")

    decision = run(placed(order(checkout_token="tok-1"), at(2)), running=[running])

    assert [(exit.enrolment, exit.reason) for exit in decision.exits] == [(running, "ordered")]


def test_given_a_running_checkout_enrolment_when_another_checkouts_order_arrives_then_it_keeps_running() -> None:
    running = enrolment("abandoned_checkout", key="tok-1")

    assert run(placed(order(checkout_token="tok-2"), at(2)), running=[running]).exits == ()
    assert run(placed(order(), at(2)), running=[running]).exits == ()


def test_given_an_order_from_before_the_trigger_when_it_arrives_late_then_the_enrolment_keeps_running() -> None:
    # A WooCommerce pending order gives checkout.started and order.placed at the same instant with
    # the same token; SQS may apply the order after the checkout it came with.
    running = enrolment("abandoned_checkout", key="tok-1", data={"occurred_at": at(2).isoformat()})

    assert run(placed(order(checkout_token="tok-1"), at(2)), running=[running]).exits == ()
    assert run(placed(order(checkout_token="tok-1"), at(1)), running=[running]).exits == ()
    later = run(placed(order(checkout_token="tok-1"), at(3)), running=[running])
    assert [exit.reason for exit in later.exits] == ["ordered"]


def test_given_a_running_checkout_enrolment_when_the_checkout_completes_then_it_exits_checkout_completed() -> None:
    running = enrolment("abandoned_checkout", key="tok-1")

    decision = run(checkout("tok-1", hours=3, kind=CheckoutCompleted), running=[running])

    assert [exit.reason for exit in decision.exits] == ["checkout_completed"]


def test_given_an_exit_rule_without_same_key_when_the_event_comes_then_any_such_event_exits() -> None:
    running = enrolment("win_back")

    assert [exit.reason for exit in run(placed(order(), at(2)), running=[running]).exits] == ["ordered"]


def test_given_an_exit_rule_with_when_then_it_exits_only_when_the_conditions_hold() -> None:
    catalogue = catalogue_of(
        {
            **lapsed_journey("never"),
            "exit": [{"event": "order.placed", "when": [{"field": "event.order.total", "gte": 50}]}],
        }
    )
    running = enrolment("again")

    big = run(placed(order(total="80.00"), at(2)), catalogue=catalogue, running=[running])
    small = run(placed(order(total="10.00"), at(2)), catalogue=catalogue, running=[running])

    assert [exit.reason for exit in big.exits] == ["order_placed"]  # no reason given: the event type
    assert small.exits == ()


def test_given_marketing_journeys_when_email_consent_becomes_unsubscribed_then_they_exit_unsubscribed() -> None:
    welcome = enrolment("welcome")
    checkout_run = enrolment("abandoned_checkout", key="tok-1")
    not_marketing = enrolment("again")
    catalogue = Catalogue(
        {**default_catalogue().journeys, **catalogue_of({**lapsed_journey("never"), "marketing": False}).journeys}
    )

    decision = run(
        consent("unsubscribed", at(2)),
        before=profile("subscribed"),
        after=profile("unsubscribed"),
        running=[welcome, checkout_run, not_marketing],
        catalogue=catalogue,
    )

    assert {(exit.enrolment.journey, exit.reason) for exit in decision.exits} == {
        ("welcome", "unsubscribed"),
        ("abandoned_checkout", "unsubscribed"),
    }


def test_given_a_contact_already_unsubscribed_when_another_event_comes_then_no_unsubscribe_exit() -> None:
    assert not made_unsubscribed(profile("unsubscribed"), profile("unsubscribed"))
    assert made_unsubscribed(None, profile("unsubscribed"))  # a duplicate: ending them again is harmless
    assert not made_unsubscribed(profile("subscribed"), profile("subscribed"))
    decision = run(
        upserted_like(), before=profile("unsubscribed"), after=profile("unsubscribed"), running=[enrolment()]
    )
    assert decision.exits == ()


def upserted_like() -> Any:
    from tests.unit.profiles.profile_events import upserted

    return upserted(at(3))


def test_given_an_enrolment_of_a_journey_no_longer_in_the_catalogue_then_it_is_left_alone() -> None:
    assert run(placed(order(), at(2)), running=[enrolment("retired")]).exits == ()


# ---- Resumes ----


def test_given_an_enrolment_awaiting_this_event_type_when_it_comes_then_it_is_resumed() -> None:
    waiting = enrolment("welcome", await_token="tok", await_event="order.placed")
    other = enrolment("welcome", occurrence=2, await_token="tok2", await_event="checkout.completed")
    event = placed(order(), at(2))

    decision = run(event, running=[waiting, other])

    assert [(resume.enrolment, resume.token, resume.output) for resume in decision.resumes] == [
        (waiting, "tok", {"outcome": "order.placed", "at": at(2).isoformat()})
    ]


def test_given_an_awaiting_enrolment_that_the_same_event_exits_then_it_is_exited_not_resumed() -> None:
    waiting = enrolment("win_back", await_token="tok", await_event="order.placed")

    decision = run(placed(order(), at(2)), running=[waiting])

    assert [exit.reason for exit in decision.exits] == ["ordered"]
    assert decision.resumes == ()


def test_trigger_data_is_the_event_without_its_contact() -> None:
    data = trigger_data(checkout())

    assert "contact" not in data
    assert data["type"] == "checkout.started"

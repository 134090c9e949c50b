"""The score-driven journeys of the catalogue (issue 9): acquisition_nurture, loyalty_nurture,
sales_handoff and browse_nudge. Their sends' variants choose on hand-made profile views as the wiring will
build them (``profile.scores``, ``profile.tier``, ``profile.segments``: docs/scoring.md, "Wiring"),
and the router starts and ends them on the events meant to (triggers, entry filters, exits,
re-entry) — pure, on the shipped definitions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from nurture.events import ScoreCrossed, SegmentChange, derive_event_id
from nurture.journeys.catalogue import default_catalogue
from nurture.journeys.definition import Journey, SendSpec, SendStep, UpdateStep, walk_steps
from nurture.journeys.enrolments import Enrolment
from nurture.journeys.errors import EnrolmentEnded
from nurture.journeys.router import decide, triggered_journeys
from nurture.offers.personalise import choose_variant, offer_of, variant_of
from nurture.profiles.model import OrderStats, Profile
from tests.unit.journeys.test_journeys_router import CONTACT_ID, enrolment, lapsed
from tests.unit.journeys.test_journeys_router import profile as router_profile
from tests.unit.journeys.test_journeys_tasks import request, world
from tests.unit.profiles.profile_events import T0, at, consent, paid, placed

NOW = at(1000)


# ---------------------------------------------------------------- hand-made views and events


def view(acquisition: float | None = None, loyalty: float | None = None, tier: str | None = None) -> dict[str, Any]:
    """The roots a branch reads: the profile as the wiring's view holds it (scores absent before the
    first assessment: ``{}``)."""
    scores = {name: value for name, value in (("acquisition", acquisition), ("loyalty", loyalty)) if value is not None}
    return {
        "profile": {"email_consent": "subscribed", "orders": {"count": 0}, "scores": scores, "tier": tier},
        "enrolment": {"data": {}},
        "steps": {},
    }


def profile(email_consent: str | None = "subscribed", orders: int = 0) -> Profile:
    return router_profile(email_consent, orders=OrderStats(count=orders))


def crossed(score: str, threshold: str, direction: str, hours: float = 10) -> ScoreCrossed:
    return ScoreCrossed(
        event_id=derive_event_id("nurture", "scoring", "score.crossed", f"contact/{CONTACT_ID}/{score}", at(hours)),
        source="nurture",
        store="scoring",
        source_topic="scoring",
        occurred_at=at(hours),
        contact_id=CONTACT_ID,
        score=score,
        threshold=threshold,
        direction=direction,  # type: ignore[arg-type]
        value=71.0 if direction == "up" else 69.0,
        threshold_value=70.0,
    )


def segment(change: str, segment_id: str = "hot_browsers", hours: float = 10) -> SegmentChange:
    event_type = f"segment.{change}"
    return SegmentChange(
        event_id=derive_event_id("nurture", "segments", event_type, f"contact/{CONTACT_ID}/{segment_id}", at(hours)),
        source="nurture",
        store="segments",
        source_topic="segments",
        occurred_at=at(hours),
        type=event_type,  # type: ignore[arg-type]
        contact_id=CONTACT_ID,
        segment=segment_id,
    )


def running(journey: str, *, triggered_at: datetime = T0, **fields: Any) -> Enrolment:
    """A running enrolment whose trigger happened at ``triggered_at`` (exits only count after it)."""
    return enrolment(journey, data={"occurred_at": triggered_at.isoformat()}, **fields)


def journey(journey_id: str) -> Journey:
    return default_catalogue()[journey_id]


# ---------------------------------------------------------------- walking a definition


def send(journey_id: str, step_id: str) -> SendSpec:
    (found,) = [
        step.send
        for step in walk_steps(journey(journey_id).steps)
        if isinstance(step, SendStep) and step.send.id == step_id
    ]
    return found


def chosen(spec: SendSpec, views: Mapping[str, Any]) -> tuple[str, str | None, str | None, bool]:
    """What a send renders for these views: (template set, topic, offer pool, completes the journey)."""
    index = choose_variant(spec, views)
    variant = variant_of(spec, index)
    template = (variant.template if variant is not None else None) or spec.template
    topic = (variant.topic if variant is not None else None) or spec.topic
    offer = offer_of(spec, index)
    assert template is not None
    return template, topic, offer.pool if offer is not None else None, variant is not None and variant.completes


def messages(journey_id: str, views_by_round: list[dict[str, Any]]) -> list[str]:
    """The template sets a contact gets when each send it reaches reads the next view: the
    definition's semantics (a variant that completes is the last message)."""
    rounds = iter(views_by_round)
    sent: list[str] = []
    for step in journey(journey_id).steps:
        if isinstance(step, SendStep):
            views = next(rounds, None)
            if views is None:
                break
            template, _, _, completes = chosen(step.send, views)
            sent.append(template.split("/")[1])
            if completes:
                break
    return sent


# ---------------------------------------------------------------- acquisition_nurture


@pytest.mark.parametrize("round_number", [1, 2, 3, 4])
@pytest.mark.parametrize(
    ("acquisition", "expected"),
    [
        (30, "lesson"),
        (69.99, "lesson"),
        (70, "offer"),  # "at or above" the sales-ready threshold
        (75, "offer"),
        (None, "lesson"),  # no score yet (before the first assessment): the cold content
    ],
)
def test_each_acquisition_round_sends_the_offer_at_70_or_more_and_the_lesson_below(
    round_number: int, acquisition: float | None, expected: str
) -> None:
    template, topic, pool, completes = chosen(send("acquisition_nurture", f"round_{round_number}"), view(acquisition))

    if expected == "offer":
        # the one offer template, a first-order code, under the offers topic; and the nurture ends
        assert (template, topic, pool, completes) == ("acquisition_nurture/offer", "offers", "welcome", True)
    else:
        assert (template, topic, pool, completes) == (f"acquisition_nurture/lesson_{round_number}", None, None, False)


def test_the_acquisition_rounds_are_four_sends_each_with_the_one_offer_variant() -> None:
    sends = [step.send for step in walk_steps(journey("acquisition_nurture").steps) if isinstance(step, SendStep)]

    assert [(spec.id, spec.template) for spec in sends] == [
        (f"round_{n}", f"acquisition_nurture/lesson_{n}") for n in (1, 2, 3, 4)
    ]
    assert len({spec.variants for spec in sends}) == 1


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([30, 30, 30, 30], ["lesson_1", "lesson_2", "lesson_3", "lesson_4"]),  # a cold lead: every lesson
        ([30, 45, 75, 20], ["lesson_1", "lesson_2", "offer"]),  # crosses between rounds 2 and 3
        ([75, 10], ["offer"]),  # sales-ready by the first round; a later fall changes nothing
        ([30, 30, 30, 80], ["lesson_1", "lesson_2", "lesson_3", "offer"]),
        ([None, 69, 70], ["lesson_1", "lesson_2", "offer"]),
    ],
)
def test_a_lead_gets_lessons_until_its_score_reaches_70_then_one_offer_and_nothing_more(
    scores: list[float | None], expected: list[str]
) -> None:
    # Each round re-reads the score: the message after the crossing is the offer, and the offer ends it
    assert messages("acquisition_nurture", [view(acquisition=score) for score in scores]) == expected


# ---------------------------------------------------------------- loyalty_nurture


@pytest.mark.parametrize("round_number", [1, 2, 3])
@pytest.mark.parametrize(
    ("tier", "loyalty", "expected"),
    [
        ("vip", 75, "vip_reward"),
        ("vip", 30, "vip_reward"),  # a VIP by value is rewarded whatever the engagement
        ("repeat", 75, "reward"),  # engaged: loyalty at or above 60
        ("first_time", 60, "reward"),
        ("repeat", 59.99, "nudge"),  # slipping: loyalty under 60
        ("first_time", 30, "nudge"),
        ("at_risk", 75, "nudge"),  # no order for 60 days: a nudge, however engaged
        ("at_risk", 30, "nudge"),
        ("lapsed", 80, "nudge"),
        (None, None, "nudge"),  # no tier and no score yet
    ],
)
def test_each_loyalty_round_rewards_vips_and_the_engaged_and_nudges_the_slipping(
    round_number: int, tier: str | None, loyalty: float | None, expected: str
) -> None:
    template, topic, pool, completes = chosen(
        send("loyalty_nurture", f"round_{round_number}"), view(None, loyalty, tier)
    )

    assert template == f"loyalty_nurture/{expected}"
    assert topic == (None if expected == "nudge" else "offers")  # rewards go under the offers topic
    assert pool == {"vip_reward": "vip", "reward": "loyalty_reward"}.get(expected)  # the nudge offers nothing
    assert not completes


def test_a_customer_gets_one_loyalty_email_a_round_following_its_tier_and_score() -> None:
    rounds = [view(loyalty=35, tier="first_time"), view(loyalty=80, tier="vip"), view(loyalty=65, tier="at_risk")]

    assert messages("loyalty_nurture", rounds) == ["nudge", "vip_reward", "nudge"]


# ---------------------------------------------------------------- the send task agrees


@pytest.mark.parametrize(
    ("journey_id", "step_id", "profile_view", "template"),
    [
        ("acquisition_nurture", "round_2", {"scores": {"acquisition": 30.0}}, "acquisition_nurture/lesson_2"),
        ("acquisition_nurture", "round_2", {"scores": {"acquisition": 75.0}}, "acquisition_nurture/offer"),
        ("acquisition_nurture", "round_2", {"scores": {}}, "acquisition_nurture/lesson_2"),
        ("loyalty_nurture", "round_1", {"tier": "vip", "scores": {"loyalty": 20.0}}, "loyalty_nurture/vip_reward"),
        ("loyalty_nurture", "round_1", {"tier": "repeat", "scores": {"loyalty": 75.0}}, "loyalty_nurture/reward"),
        ("loyalty_nurture", "round_1", {"tier": "at_risk", "scores": {"loyalty": 75.0}}, "loyalty_nurture/nudge"),
    ],
)
def test_the_journey_step_function_sends_the_variant_of_the_profile_it_reads(
    journey_id: str, step_id: str, profile_view: dict[str, Any], template: str
) -> None:
    steps, _ = world(journey=journey_id)
    steps.profiles.profile = profile_view

    if template == "acquisition_nurture/offer":
        with pytest.raises(EnrolmentEnded):  # the offer variant completes the journey
            steps.run(request("send", step_id, journey=journey_id))
    else:
        steps.run(request("send", step_id, journey=journey_id))
    (sent,) = steps.sender.sent
    assert sent.template == template


# ---------------------------------------------------------------- triggers and entry filters


def test_a_lead_subscribing_starts_the_welcome_series_and_the_acquisition_nurture() -> None:
    triggered = triggered_journeys(default_catalogue(), consent("subscribed", at(1)), None, profile(orders=0))

    assert set(triggered) == {"welcome", "acquisition_nurture"}


def test_a_customer_subscribing_is_no_lead_and_gets_the_welcome_series_only() -> None:
    triggered = triggered_journeys(default_catalogue(), consent("subscribed", at(1)), None, profile(orders=1))

    assert triggered == ("welcome",)


@pytest.mark.parametrize("event", [placed(occurred_at=at(1)), paid(occurred_at=at(1))])
def test_the_first_counted_order_of_a_subscriber_starts_the_loyalty_nurture(event: Any) -> None:
    catalogue = default_catalogue()

    assert triggered_journeys(catalogue, event, profile(orders=0), profile(orders=1)) == ("loyalty_nurture",)
    # the second order, an order not counted yet, a customer not subscribed: nothing
    assert triggered_journeys(catalogue, event, profile(orders=1), profile(orders=2)) == ()
    assert triggered_journeys(catalogue, event, profile(orders=0), profile(orders=0)) == ()
    assert triggered_journeys(catalogue, event, profile(None, 0), profile(None, 1)) == ()


@pytest.mark.parametrize(
    ("score", "threshold", "direction", "starts"),
    [
        ("acquisition", "sales_ready", "up", True),
        ("acquisition", "sales_ready", "down", False),
        ("acquisition", "warm", "up", False),
        ("loyalty", "engaged", "up", False),
    ],
)
def test_only_the_acquisition_score_reaching_sales_ready_hands_the_contact_off(
    score: str, threshold: str, direction: str, starts: bool
) -> None:
    event = crossed(score, threshold, direction)

    triggered = triggered_journeys(default_catalogue(), event, profile(), profile())

    assert triggered == (("sales_handoff",) if starts else ())


def test_the_handoff_is_one_update_adding_the_contact_to_the_sales_ready_list_whatever_its_consent() -> None:
    handoff = journey("sales_handoff")
    (step,) = handoff.steps

    assert isinstance(step, UpdateStep)
    assert (step.update.add_to_list, handoff.marketing, handoff.entry) == ("sales_ready", False, ())
    event = crossed("acquisition", "sales_ready", "up")
    assert triggered_journeys(default_catalogue(), event, profile(None), profile(None)) == ("sales_handoff",)


def test_entering_hot_browsers_starts_the_browse_nudge_for_a_subscriber_only() -> None:
    catalogue = default_catalogue()

    assert triggered_journeys(catalogue, segment("entered"), profile(), profile()) == ("browse_nudge",)
    assert triggered_journeys(catalogue, segment("entered", "cart_abandoners"), profile(), profile()) == ()
    assert triggered_journeys(catalogue, segment("exited"), profile(), profile()) == ()
    assert triggered_journeys(catalogue, segment("entered"), profile("unsubscribed"), profile("unsubscribed")) == ()


# ---------------------------------------------------------------- exits


def exits(event: Any, *enrolments: Enrolment, after: Profile | None = None) -> dict[str, str]:
    decision = decide(
        default_catalogue(),
        event,
        contact_id=CONTACT_ID,
        before=profile(),
        after=after or profile(),
        latest={},
        running=list(enrolments),
        now=NOW,
    )
    return {exit.enrolment.journey: exit.reason for exit in decision.exits}


def test_leaving_hot_browsers_ends_the_browse_nudge_and_leaving_another_segment_does_not() -> None:
    nudge = running("browse_nudge")

    assert exits(segment("exited"), nudge) == {"browse_nudge": "left_segment"}
    assert exits(segment("exited", "engaged_subscribers"), nudge) == {}
    assert exits(segment("entered", "premium_browsers"), nudge) == {}


def test_a_segment_exit_from_before_the_entry_does_not_end_the_nudge() -> None:
    # the queue does not keep order: an exit that happened before the entry that started it
    assert exits(segment("exited", hours=0.5), running("browse_nudge", triggered_at=at(1))) == {}


@pytest.mark.parametrize("event", [placed(occurred_at=at(5)), paid(occurred_at=at(5))])
def test_an_order_ends_the_acquisition_nurture_and_the_browse_nudge_but_not_the_loyalty_nurture(event: Any) -> None:
    enrolments = (running("acquisition_nurture"), running("browse_nudge"), running("loyalty_nurture"))

    assert exits(event, *enrolments, after=profile(orders=1)) == {
        "acquisition_nurture": "ordered",
        "browse_nudge": "ordered",
    }


def test_lapsing_ends_the_loyalty_nurture_and_starts_win_back() -> None:
    decision = decide(
        default_catalogue(),
        lapsed(),
        contact_id=CONTACT_ID,
        before=profile(orders=1),
        after=profile(orders=1),
        latest={},
        running=[running("loyalty_nurture")],
        now=NOW,
    )

    assert [(exit.enrolment.journey, exit.reason) for exit in decision.exits] == [("loyalty_nurture", "lapsed")]
    assert [start.enrolment.journey for start in decision.starts] == ["win_back"]


def test_unsubscribing_ends_every_score_driven_marketing_journey() -> None:
    enrolments = (running("acquisition_nurture"), running("loyalty_nurture"), running("browse_nudge"))
    event = consent("unsubscribed", at(5))

    decision = decide(
        default_catalogue(),
        event,
        contact_id=CONTACT_ID,
        before=profile(),
        after=profile("unsubscribed"),
        latest={},
        running=list(enrolments),
        now=NOW,
    )

    assert {exit.enrolment.journey: exit.reason for exit in decision.exits} == {
        "acquisition_nurture": "unsubscribed",
        "loyalty_nurture": "unsubscribed",
        "browse_nudge": "unsubscribed",
    }


# ---------------------------------------------------------------- re-entry


@pytest.mark.parametrize(
    ("journey_id", "event"),
    [("sales_handoff", crossed("acquisition", "sales_ready", "up", hours=24 * 40)), ("browse_nudge", None)],
)
def test_a_second_handoff_or_nudge_waits_30_days_after_the_last_one_ended(journey_id: str, event: Any) -> None:
    def starts(days_since_end: float) -> list[int]:
        trigger = event if event is not None else segment("entered", hours=24 * 40)
        last = running(journey_id, status="completed", ended_at=trigger.occurred_at - timedelta(days=days_since_end))
        decision = decide(
            default_catalogue(),
            trigger,
            contact_id=CONTACT_ID,
            before=profile(),
            after=profile(),
            latest={(journey_id, None): last},
            running=[],
            now=NOW,
        )
        return [start.enrolment.occurrence for start in decision.starts if start.enrolment.journey == journey_id]

    assert starts(29) == []
    assert starts(30) == [2]

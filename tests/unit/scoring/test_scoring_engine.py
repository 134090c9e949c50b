"""The scoring engine: each rule kind, decay, caps, negative points, explanations, threshold
crossings and the item round trip, on small models whose arithmetic can be checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nurture.scoring.engine import Crossing, DayTally, Scores, apply_event, decay
from nurture.scoring.model import ScoringModel, default_model, load_model

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HALF_LIFE = timedelta(days=10)

_MODEL_TEXT = """
scores:
  lead: {half_life: 10d, thresholds: {warm: 10, hot: 20}}
  fan: {half_life: 90d}
fit:
  - id: has_phone
    score: lead
    when: [{field: profile.has_phone, equals: true}]
    points: 4
  - id: outside_market
    score: lead
    when: [{field: profile.country_code, exists: true}, {field: profile.country_code, not_in: [US]}]
    points: -6
behaviour:
  - id: viewed
    score: lead
    event: product.viewed
    points: 8
  - id: dear_view
    score: lead
    event: product.viewed
    when: [{field: event.product.unit_price, gte: 100}]
    points: 1
  - id: carted
    score: lead
    event: [cart.updated, checkout.started]
    points: 3
    cap_per_day: 5
  - id: clicked
    score: lead
    event: email.clicked
    points: 10
    cap: 15
  - id: bounced
    score: lead
    event: email.bounced
    points: -10
    cap: 15
    cap_per_day: 12
  - id: ordered
    score: fan
    event: order.placed
    when: [{field: profile.orders.count, gte: 2}]
    points: 7
"""
MODEL = load_model(_MODEL_TEXT, source="test.yaml")

# Thresholds at 10 and 20, and rules big enough to cross both at once.
JUMPS = load_model(
    """
scores:
  s: {half_life: 10d, thresholds: {low: 10, high: 20}}
fit:
  - {id: base, score: s, when: [{field: profile.has_phone, equals: true}], points: 20}
behaviour:
  - {id: jump, score: s, event: order.placed, points: 25}
  - {id: fall, score: s, event: email.complained, points: -30}
""",
    source="jumps.yaml",
)

LEAD: dict[str, Any] = {"has_phone": False, "country_code": None, "orders": {"count": 0}}


def view(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": event_type, **fields}


def run(
    events: list[tuple[str, datetime]], profile: dict[str, Any] | None = None, model: ScoringModel = MODEL
) -> Scores:
    scores = Scores()
    for event_type, at in events:
        scores = apply_event(model, scores, profile or LEAD, view(event_type), at).scores
    return scores


# ---------------------------------------------------------------- rule kinds


@pytest.mark.parametrize(
    ("profile", "event", "lead", "fan"),
    [
        pytest.param(LEAD, view("contact.upserted"), 0.0, 0.0, id="nothing holds"),
        pytest.param({**LEAD, "has_phone": True}, view("contact.upserted"), 4.0, 0.0, id="fit rule holds"),
        pytest.param({**LEAD, "country_code": "FR"}, view("contact.upserted"), -6.0, 0.0, id="negative fit rule"),
        pytest.param(
            {**LEAD, "country_code": "US"}, view("contact.upserted"), 0.0, 0.0, id="fit needs every condition"
        ),
        pytest.param(LEAD, view("product.viewed", product={"unit_price": "20.00"}), 8.0, 0.0, id="behaviour rule"),
        pytest.param(LEAD, view("product.viewed", product={"unit_price": "120.00"}), 9.0, 0.0, id="event condition"),
        pytest.param(LEAD, view("checkout.started"), 3.0, 0.0, id="one of the rule's events"),
        pytest.param(LEAD, view("order.placed"), 0.0, 0.0, id="profile condition fails"),
        pytest.param({**LEAD, "orders": {"count": 2}}, view("order.placed"), 0.0, 7.0, id="rule of the other score"),
        pytest.param(LEAD, view("email.bounced"), -10.0, 0.0, id="negative behaviour rule"),
    ],
)
def test_each_rule_kind(profile: dict[str, Any], event: dict[str, Any], lead: float, fan: float) -> None:
    scores = apply_event(MODEL, Scores(), profile, event, T0).scores
    assert scores.value("lead", T0) == lead
    assert scores.value("fan", T0) == fan


def test_fit_points_follow_the_profile_and_never_decay() -> None:
    phone = {**LEAD, "has_phone": True}
    scores = apply_event(MODEL, Scores(), phone, view("contact.upserted"), T0).scores
    assert scores.value("lead", T0 + 5 * HALF_LIFE) == 4.0
    assert decay(MODEL, scores, T0 + 5 * HALF_LIFE).scores.value("lead", T0 + 5 * HALF_LIFE) == 4.0
    scores = apply_event(MODEL, scores, LEAD, view("contact.upserted"), T0 + DAY).scores
    assert scores.value("lead", T0 + DAY) == 0.0  # the phone was removed: re-evaluated on the next event


# ---------------------------------------------------------------- decay


@pytest.mark.parametrize(("half_lives", "value"), [(0, 8.0), (1, 4.0), (2, 2.0), (0.5, 5.66)])
def test_behaviour_points_halve_every_half_life(half_lives: float, value: float) -> None:
    scores = run([("product.viewed", T0)])
    now = T0 + half_lives * HALF_LIFE
    assert scores.value("lead", now) == value
    decayed = decay(MODEL, scores, now).scores
    assert decayed.value("lead", now) == value
    assert decayed.states["lead"].at == now
    assert decayed.states["lead"].behaviour == ({"viewed": round(8 * 0.5**half_lives, 6)})


def test_decay_is_the_same_in_one_step_or_many() -> None:
    scores = run([("product.viewed", T0)])
    for day in range(1, 21):
        scores = decay(MODEL, scores, T0 + day * DAY).scores
    assert scores.value("lead", T0 + 20 * DAY) == 2.0


def test_points_that_decay_to_nothing_are_forgotten() -> None:
    scores = run([("product.viewed", T0)])
    assert decay(MODEL, scores, T0 + 10 * HALF_LIFE).scores.states["lead"].behaviour == {"viewed": 0.007812}
    assert decay(MODEL, scores, T0 + 11 * HALF_LIFE).scores.states["lead"].behaviour == {}  # 0.0039 shows as 0.00


def test_an_event_processed_out_of_order_does_not_decay_backwards() -> None:
    scores = run([("product.viewed", T0), ("email.clicked", T0 - HALF_LIFE)])
    assert scores.states["lead"].at == T0
    assert scores.value("lead", T0) == 18.0


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        apply_event(MODEL, Scores(), LEAD, view("product.viewed"), T0.replace(tzinfo=None))


# ---------------------------------------------------------------- caps


@pytest.mark.parametrize(
    ("times", "value"),
    [
        pytest.param([T0], 3.0, id="one"),
        pytest.param([T0, T0], 5.0, id="second capped at 5 a day"),
        pytest.param([T0, T0, T0], 5.0, id="nothing more that day"),
        pytest.param(
            [T0.replace(hour=23), T0.replace(hour=23, minute=59, second=59), T0.replace(hour=23, minute=59, second=59)],
            5.0,
            id="23:59:59 is still the same UTC day",
        ),
        pytest.param([T0.replace(hour=23), T0.replace(hour=23, minute=30), T0 + DAY / 2], 8.0, id="a new day at 00:00"),
    ],
)
def test_cap_per_day_resets_at_utc_midnight(times: list[datetime], value: float) -> None:
    scores = run([("cart.updated", at) for at in times], model=_without_decay())
    assert scores.value("lead", times[-1]) == value


def test_cap_per_day_counts_a_utc_day_not_a_local_one() -> None:
    paris = T0.replace(hour=23, minute=30).astimezone(datetime.fromisoformat("2025-05-02T01:30+02:00").tzinfo)
    assert paris.day == 2  # already the 2nd in Paris: still the 1st in UTC
    scores = run([("cart.updated", T0.replace(hour=1)), ("cart.updated", paris)], model=_without_decay())
    assert scores.states["lead"].today["carted"] == DayTally(date(2025, 5, 1), 5.0)


def test_cap_bounds_the_decayed_points() -> None:
    scores = run([("email.clicked", T0), ("email.clicked", T0)])
    assert scores.value("lead", T0) == 15.0  # 10 + 10, capped at 15
    assert scores.value("lead", T0 + HALF_LIFE) == 7.5
    scores = apply_event(MODEL, scores, LEAD, view("email.clicked"), T0 + HALF_LIFE).scores
    assert scores.value("lead", T0 + HALF_LIFE) == 15.0  # 7.5 + 10, capped again
    scores = apply_event(MODEL, scores, LEAD, view("email.clicked"), T0 + 3 * HALF_LIFE).scores
    assert scores.value("lead", T0 + 3 * HALF_LIFE) == 13.75  # 15 / 4 + 10: under the cap


@pytest.mark.parametrize(
    ("times", "value"),
    [
        pytest.param([T0], -10.0, id="negative points"),
        pytest.param([T0, T0], -12.0, id="cap_per_day bounds the magnitude"),
        pytest.param([T0, T0 + DAY / 2], -15.0, id="cap bounds how low it goes"),
        pytest.param([T0, T0 + DAY / 2, T0 + 3 * DAY / 2], -15.0, id="and stays there"),
    ],
)
def test_negative_points_are_capped_on_their_magnitude(times: list[datetime], value: float) -> None:
    scores = run([("email.bounced", at) for at in times], model=_without_decay())
    assert scores.value("lead", times[-1]) == value


def test_negative_points_decay_towards_zero() -> None:
    scores = run([("email.bounced", T0)])
    assert scores.value("lead", T0 + HALF_LIFE) == -5.0
    assert scores.value("lead", T0 + 2 * HALF_LIFE) == -2.5


# ---------------------------------------------------------------- explanation


def test_the_explanation_lists_rules_largest_magnitude_first_rounded_to_two_decimals() -> None:
    profile = {**LEAD, "has_phone": True, "country_code": "FR"}
    scores = Scores()
    for event, at in [
        (view("email.clicked"), T0),
        (view("product.viewed", product={"unit_price": "150"}), T0 + HALF_LIFE / 3),
        (view("email.bounced"), T0 + HALF_LIFE),
    ]:
        scores = apply_event(MODEL, scores, profile, event, at).scores
    now = T0 + HALF_LIFE
    assert scores.explanation("lead", now) == [
        {"rule": "bounced", "points": -10.0},
        {"rule": "outside_market", "points": -6.0},
        {"rule": "viewed", "points": 5.04},  # 8 * 0.5 ** (2 / 3) = 5.0397
        {"rule": "clicked", "points": 5.0},
        {"rule": "has_phone", "points": 4.0},
        {"rule": "dear_view", "points": 0.63},  # 1 * 0.5 ** (2 / 3) = 0.62996
    ]
    assert scores.value("lead", now) == -1.33  # -16 + 5.0397 + 9 + 0.62996
    assert scores.explanation("fan", now) == []
    assert scores.explanation("unknown", now) == []
    assert scores.value("unknown", now) == 0.0


def test_the_explanation_breaks_ties_by_rule_id_and_leaves_out_zeros() -> None:
    scores = Scores.from_item(
        {
            "lead": {
                "at": T0.isoformat(),
                "half_life": HALF_LIFE.total_seconds(),
                "fit": {"zeta": 5, "alpha": 5},
                "behaviour": {"tiny": 0.004, "beta": -5},
            }
        }
    )
    assert [line["rule"] for line in scores.explanation("lead", T0)] == ["alpha", "beta", "zeta"]


# ---------------------------------------------------------------- crossings


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(["product.viewed"], (), id="below stays below"),
        pytest.param(["product.viewed", "cart.updated"], (("warm", "up", 11.0),), id="up on an event"),
        pytest.param(
            ["product.viewed", "email.clicked", "product.viewed"],
            (("hot", "up", 26.0),),
            id="above warm stays above: only hot",
        ),
        pytest.param(["email.clicked"], (("warm", "up", 10.0),), id="reaching it is crossing it"),
        pytest.param(["product.viewed", "email.clicked", "email.bounced"], (("warm", "down", 8.0),), id="down: event"),
        pytest.param(["email.clicked", "email.clicked", "product.viewed"], (("hot", "up", 23.0),), id="one at a time"),
    ],
)
def test_crossings_on_events(events: list[str], expected: tuple[tuple[str, str, float], ...]) -> None:
    scores = run([(event, T0) for event in events[:-1]])
    update = apply_event(MODEL, scores, LEAD, view(events[-1]), T0)
    assert update.crossed == tuple(Crossing("lead", name, direction, value) for name, direction, value in expected)


def test_an_event_crossing_two_thresholds_reports_both_in_the_model_order() -> None:
    up = apply_event(JUMPS, Scores(), LEAD, view("order.placed"), T0)
    assert up.crossed == (Crossing("s", "low", "up", 25.0), Crossing("s", "high", "up", 25.0))
    down = apply_event(JUMPS, up.scores, LEAD, view("email.complained"), T0)
    assert down.crossed == (Crossing("s", "low", "down", -5.0), Crossing("s", "high", "down", -5.0))


def test_a_fall_by_decay_is_reported_once_by_decay() -> None:
    scores = run([("email.clicked", T0), ("product.viewed", T0)])  # 18: warm
    assert decay(MODEL, scores, T0 + DAY).crossed == ()  # 16.8: still warm
    update = decay(MODEL, scores, T0 + HALF_LIFE)
    assert update.crossed == (Crossing("lead", "warm", "down", 9.0),)
    assert decay(MODEL, update.scores, T0 + 2 * HALF_LIFE).crossed == ()  # already below


def test_an_event_after_an_unreported_fall_reports_it_against_the_stored_value() -> None:
    scores = run([("email.clicked", T0), ("product.viewed", T0)])  # 18 stored
    # No daily decay ran: the value fell to 4.5 by now; the bounce takes it lower still.
    update = apply_event(MODEL, scores, LEAD, view("email.bounced"), T0 + 2 * HALF_LIFE)
    assert update.crossed == (Crossing("lead", "warm", "down", -5.5),)


def test_negative_points_decaying_can_cross_upwards() -> None:
    phone = {**LEAD, "has_phone": True}
    scores = apply_event(JUMPS, Scores(), phone, view("email.complained"), T0).scores  # 20 - 30
    assert decay(JUMPS, scores, T0 + HALF_LIFE).crossed == ()  # 20 - 15
    update = decay(JUMPS, scores, T0 + 2 * HALF_LIFE)  # 20 - 7.5
    assert update.crossed == (Crossing("s", "low", "up", 12.5),)


def test_decay_without_state_does_nothing() -> None:
    assert decay(MODEL, Scores(), T0).scores == Scores()


# ---------------------------------------------------------------- item round trip and model changes


def test_to_item_and_from_item_round_trip() -> None:
    profile = {**LEAD, "has_phone": True, "orders": {"count": 3}}
    scores = Scores()
    for event, at in [("cart.updated", T0), ("order.placed", T0 + DAY / 3), ("product.viewed", T0 + DAY)]:
        scores = apply_event(MODEL, scores, profile, view(event), at).scores
    item = scores.to_item()
    assert item["lead"]["value"] == scores.value("lead", T0 + DAY)
    assert item["lead"]["today"] == {}  # carted was yesterday
    assert Scores.from_item(item) == scores
    # As DynamoDB gives it back through boto3: numbers as Decimals.
    as_decimals = {
        name: {
            **state,
            "half_life": Decimal(str(state["half_life"])),
            "fit": {k: Decimal(str(v)) for k, v in state["fit"].items()},
        }
        for name, state in item.items()
    }
    assert Scores.from_item(as_decimals) == scores
    assert Scores.from_item(None) == Scores() == Scores.from_item({})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"at": "yesterday"}, "scores.lead.at"),
        ({"at": "2025-05-01T12:00:00"}, "scores.lead.at"),
        ({"half_life": 0}, "scores.lead.half_life"),
        ({"fit": {"has_phone": "many"}}, "scores.lead.fit.has_phone"),
        ({"behaviour": []}, "scores.lead.behaviour"),
        ({"today": {"carted": {"day": "May 1st", "points": 3}}}, "scores.lead.today.carted.day"),
        ({"today": {"carted": {"day": "2025-05-01", "points": True}}}, "scores.lead.today.carted.points"),
    ],
)
def test_a_malformed_item_names_the_field(change: dict[str, Any], field: str) -> None:
    item = run([("cart.updated", T0)]).to_item()
    item["lead"].update(change)
    with pytest.raises(ValueError, match=field):
        Scores.from_item(item)


def test_rules_removed_from_the_model_stop_counting() -> None:
    scores = run([("product.viewed", T0), ("email.clicked", T0)], profile={**LEAD, "has_phone": True})
    smaller = load_model(
        """
scores:
  lead: {half_life: 5d, thresholds: {warm: 10}}
behaviour:
  - {id: viewed, score: lead, event: product.viewed, points: 8}
""",
        source="smaller.yaml",
    )
    update = decay(smaller, scores, T0 + HALF_LIFE)
    assert update.scores.explanation("lead", T0 + HALF_LIFE) == [{"rule": "viewed", "points": 4.0}]
    assert update.crossed == (Crossing("lead", "warm", "down", 4.0),)
    assert set(update.scores.states) == {"lead"}
    # Past points decayed with the half-life they were stored with; from now on the new one.
    assert update.scores.states["lead"].half_life == timedelta(days=5).total_seconds()
    assert update.scores.value("lead", T0 + HALF_LIFE + timedelta(days=5)) == 2.0


# ---------------------------------------------------------------- the shipped model


def test_a_lead_of_the_shipped_model_becomes_sales_ready_then_falls_on_a_complaint() -> None:
    model = default_model()
    profile = {
        "email_consent": "subscribed",
        "has_phone": True,
        "country_code": "US",
        "orders": {"count": 0},
        "unsubscribed_topics": [],
    }
    product = {"product_id": "p1", "unit_price": "120.00", "currency": "USD"}
    days: list[list[dict[str, Any]]] = [
        [view("product.viewed", product=product)] * 3 + [view("email.clicked")],
        [view("product.viewed", product=product)] * 2 + [view("cart.updated")],
        [view("cart.updated"), view("checkout.started")],
    ]
    scores = Scores()
    crossed: list[Crossing] = []
    for day, events in enumerate(days):
        for event in events:
            update = apply_event(model, scores, profile, event, T0 + day * DAY)
            scores, crossed = update.scores, crossed + list(update.crossed)
    assert [(c.threshold, c.direction) for c in crossed] == [("warm", "up"), ("sales_ready", "up")]
    assert {"rule": "started_checkout", "points": 15.0} in scores.explanation("acquisition", T0 + 2 * DAY)
    complaint = apply_event(model, scores, profile, view("email.complained"), T0 + 2 * DAY)
    assert [(c.threshold, c.direction) for c in complaint.crossed] == [("sales_ready", "down")]


def test_an_unsubscribed_lead_outside_the_markets_stays_cold_whatever_it_browses() -> None:
    model = default_model()
    profile = {"email_consent": "unsubscribed", "country_code": "JP", "orders": {"count": 0}}
    scores = Scores()
    for hour in range(20):
        scores = apply_event(model, scores, profile, view("product.viewed", product={}), T0 + hour * DAY / 4).scores
    assert scores.value("acquisition", T0 + 5 * DAY) < model.scores["acquisition"].thresholds["warm"]


def _without_decay() -> ScoringModel:
    """MODEL with a year's half-life: caps can be checked to the cent over a day."""
    return load_model(_MODEL_TEXT.replace("half_life: 10d", "half_life: 52w"), source="slow.yaml")

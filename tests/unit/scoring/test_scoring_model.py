"""The scoring model file: the shipped one loads, and a bad one is refused with an error that names
the file, the field (with the rule's id) and why."""

from __future__ import annotations

import pytest

from nurture.journeys.definition import EVENT_TYPES
from nurture.scoring.model import BehaviourRule, ScoringModelError, default_model, load_model

VALID = """
scores:
  acquisition: {half_life: 30d, thresholds: {sales_ready: 70}}
fit:
  - id: has_phone
    score: acquisition
    when: [{field: profile.has_phone, equals: true}]
    points: 5
behaviour:
  - id: viewed
    score: acquisition
    event: [product.viewed, cart.updated]
    points: 2
"""


def test_the_shipped_model_loads_with_two_scores_and_about_thirty_rules() -> None:
    model = default_model()
    assert list(model.scores) == ["acquisition", "loyalty"]
    assert model.scores["acquisition"].thresholds["sales_ready"] == 70
    assert 25 <= len(model.fit) + len(model.behaviour) <= 40
    assert default_model() is model  # cached for the process
    for score in model.scores:
        assert model.fit_rules(score), f"{score} has no fit rule"
        assert any(rule.score == score for rule in model.behaviour), f"{score} has no behaviour rule"


def test_the_shipped_model_has_negative_rules_for_unsubscribes_bounces_and_complaints() -> None:
    model = default_model()
    negative_events = {event for rule in model.behaviour if rule.points < 0 for event in rule.events}
    assert {"consent.changed", "email.bounced", "email.complained", "order.cancelled"} <= negative_events


def test_a_valid_model_is_indexed_by_event_and_score() -> None:
    model = load_model(VALID, source="model.yaml")
    assert [rule.id for rule in model.behaviour_rules("cart.updated")] == ["viewed"]
    assert model.behaviour_rules("order.placed") == ()
    assert [rule.id for rule in model.fit_rules("acquisition")] == ["has_phone"]
    assert isinstance(model.rule("viewed"), BehaviourRule)
    assert model.rule("nope") is None
    assert model.half_life_seconds("acquisition") == 30 * 86400


def _replace(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            _replace("product.viewed, cart.updated", "product.viewed, cart.abandoned"),
            "behaviour.0 (viewed).event",
            id="unknown event",
        ),
        pytest.param(_replace("id: viewed", "id: has_phone"), "behaviour.0 (has_phone).id: 'has_phone' is used twice"),
        pytest.param(
            _replace("score: acquisition\n    event", "score: acqusition\n    event"),
            "behaviour.0 (viewed).score: 'acqusition' is not one of the scores (acquisition)",
            id="unknown score",
        ),
        pytest.param(
            _replace("half_life: 30d", "half_life: 30 days"), "scores.acquisition.half_life", id="bad duration"
        ),
        pytest.param(_replace("half_life: 30d", "half_life: 2y"), "scores.acquisition.half_life", id="bad unit"),
        pytest.param(_replace("points: 5", "points: 0"), "fit.0 (has_phone).points: a rule that gives 0 points"),
        pytest.param(_replace("points: 5", "points: 5000"), "fit.0 (has_phone).points", id="points out of range"),
        pytest.param(
            _replace("field: profile.has_phone", "field: event.contact.phone"),
            "fit.0 (has_phone).when: event.contact.phone: a fit rule reads the profile",
            id="fit rule on an event",
        ),
        pytest.param(
            _replace("equals: true", "becomes: true"),
            "fit.0 (has_phone).when: 'becomes' needs the profile before the event",
            id="becomes",
        ),
        pytest.param(_replace("points: 2", "points: 2\n    cap_per_day: -1"), "behaviour.0 (viewed).cap_per_day"),
        pytest.param(_replace("points: 2", "points: 2\n    decay: 3d"), "behaviour.0 (viewed).decay: Extra inputs"),
        pytest.param(_replace("sales_ready: 70", "Sales-Ready: 70"), "scores.acquisition.thresholds"),
        pytest.param("scores: {}\n", "scores: Dictionary should have at least 1 item", id="no score"),
        pytest.param("- a list\n", "a scoring model is a mapping", id="not a mapping"),
        pytest.param("scores: [\n", "not valid YAML", id="bad yaml"),
    ],
)
def test_a_bad_model_names_the_file_and_the_field(text: str, expected: str) -> None:
    with pytest.raises(ScoringModelError) as raised:
        load_model(text, source="custom.yaml")
    message = str(raised.value)
    assert message.startswith("custom.yaml: ")
    assert expected in message


def test_an_unknown_event_lists_the_known_ones() -> None:
    with pytest.raises(ScoringModelError) as raised:
        load_model(_replace("product.viewed, cart.updated", "product.seen"), source="m.yaml")
    assert "'product.seen' is not an event type" in str(raised.value)
    assert all(event in str(raised.value) for event in EVENT_TYPES)

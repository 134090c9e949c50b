"""`nurture train-score`: AUC by ranks, features and labels as of a cutoff, the split, the fit, the
pure evaluator reproducing the trainer, and the command end to end on a small generated history."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nurture.events import parse_event
from nurture.scoring.predictive import FEATURES, PredictiveModel
from nurture_local.cli import main
from nurture_local.synth import generate, write_jsonl
from nurture_local.train_score import (
    ContactHistory,
    Example,
    TrainingError,
    auc,
    examples,
    fit,
    label,
    probabilities,
    rule_score,
    split,
    train,
)

CUTOFF = datetime(2025, 3, 1, tzinfo=UTC)
HORIZON = timedelta(days=30)
STORE = "demo.myshopify.com"
CONTACT = {"customer_id": "c1", "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),  # 3 of the 4 (positive, negative) pairs in order
        ([1, 2, 3, 4], [0, 0, 1, 1], 1.0),
        ([4, 3, 2, 1], [0, 0, 1, 1], 0.0),
        ([1, 1, 2, 2], [0, 1, 0, 1], 0.5),  # ties: pairs 1v1 and 2v2 count half, 2v1 whole, 1v2 none
        ([0.5, 0.5, 0.5], [1, 0, 0], 0.5),  # all tied
        ([3, 1, 3, 2, 5], [1, 0, 0, 1, 1], 4.5 / 6),  # 3>1, 3=3 half, 2>1, 2<3, 5>1, 5>3
    ],
)
def test_auc_by_ranks(scores: list[float], labels: list[int], expected: float) -> None:
    assert auc(scores, labels) == pytest.approx(expected)


def test_auc_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="one positive and one negative"):
        auc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="length"):
        auc([0.1], [1, 0])


def _raw(event_type: str, at: datetime, **body: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"{event_type}-{at.isoformat()}",
        "type": event_type,
        "source": "shopify",
        "store": STORE,
        "source_topic": "t",
        "occurred_at": at.isoformat(),
        "contact": CONTACT,
    }
    event.update(body)
    return event


def _order(order_id: str, *, is_test: bool = False) -> dict[str, Any]:
    return {"order_id": order_id, "currency": "USD", "total": "40.00", "is_test": is_test}


def _view(at: datetime) -> dict[str, Any]:
    return _raw("product.viewed", at, product={"product_id": "p1", "unit_price": "20.00", "currency": "USD"})


def _history(raws: list[dict[str, Any]]) -> ContactHistory:
    history = ContactHistory("c1", [(raw, parse_event(raw)) for raw in raws])
    history.events.sort(key=lambda pair: pair[1].occurred_at)
    return history


BEFORE = [
    _raw("contact.upserted", CUTOFF - timedelta(days=20)),
    _view(CUTOFF - timedelta(days=3)),
    _view(CUTOFF - timedelta(days=10)),
    _raw("order.placed", CUTOFF - timedelta(days=8), order=_order("o1")),
]


def test_features_as_of_the_cutoff_ignore_later_events() -> None:
    (alone,) = examples([_history(BEFORE)], CUTOFF, HORIZON)
    later = [
        _view(CUTOFF),  # at the cutoff: not before it
        _view(CUTOFF + timedelta(hours=1)),
        _raw("order.placed", CUTOFF + timedelta(days=2), order=_order("o2")),
        _raw(
            "consent.changed",
            CUTOFF + timedelta(days=1),
            email={"state": "subscribed", "changed_at": "2025-03-02T00:00Z"},
        ),
    ]
    (with_later,) = examples([_history(BEFORE + later)], CUTOFF, HORIZON)
    assert with_later.features == alone.features
    assert alone.features["views_7d"] == 1 and alone.features["views_30d"] == 2 and alone.features["orders"] == 1
    assert alone.features["email_subscribed"] == 0
    assert (alone.label, with_later.label) == (0, 1)
    assert len(with_later.history) == len(BEFORE)


def test_a_contact_first_seen_after_the_cutoff_is_no_example() -> None:
    assert examples([_history([_view(CUTOFF + timedelta(days=1))])], CUTOFF, HORIZON) == []


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        ([_raw("order.placed", CUTOFF, order=_order("o2"))], 1),  # the cutoff itself is in the horizon
        ([_raw("order.placed", CUTOFF + HORIZON - timedelta(seconds=1), order=_order("o2"))], 1),
        ([_raw("order.placed", CUTOFF + HORIZON, order=_order("o2"))], 0),  # after the horizon
        ([_raw("order.placed", CUTOFF + timedelta(days=1), order=_order("o2", is_test=True))], 0),
        (
            [
                _raw("order.placed", CUTOFF + timedelta(days=1), order=_order("o2")),
                _raw("order.cancelled", CUTOFF + timedelta(days=2), order=_order("o2")),
            ],
            0,
        ),
        (
            [
                _raw("order.placed", CUTOFF + timedelta(days=1), order=_order("o2")),
                _raw("order.cancelled", CUTOFF + timedelta(days=2), order=_order("o2")),
                _raw("order.placed", CUTOFF + timedelta(days=3), order=_order("o3")),
            ],
            1,
        ),
        ([_raw("checkout.started", CUTOFF + timedelta(days=1), checkout={"token": "k"})], 0),
    ],
)
def test_label_is_a_counted_order_within_the_horizon(later: list[dict[str, Any]], expected: int) -> None:
    assert label(_history(BEFORE + later), CUTOFF, HORIZON) == expected


def _example(key: str, label_value: int, **values: float) -> Example:
    return Example(key, dict.fromkeys(FEATURES, 0.0) | values, label_value, ())


def test_split_is_stratified_seeded_and_disjoint() -> None:
    items = [_example(f"c{n:03d}", 1 if n % 5 == 0 else 0) for n in range(200)]
    train_set, test_set = split(items, seed=7)
    assert {i.key for i in train_set}.isdisjoint({i.key for i in test_set})
    assert len(train_set) + len(test_set) == 200
    assert (len(test_set), sum(i.label for i in test_set)) == (60, 12)  # 30% of each class
    again = split(list(reversed(items)), seed=7)  # the input's order does not matter
    assert [i.key for i in again[1]] == [i.key for i in test_set]
    assert [i.key for i in split(items, seed=8)[1]] != [i.key for i in test_set]


def test_fit_recovers_a_known_logistic_model() -> None:
    rng = random.Random(11)
    items = []
    for n in range(6000):
        x, phone = rng.gauss(10, 4), float(rng.random() < 0.3)
        p = 1 / (1 + math.exp(-(-1.0 + 0.5 * (x - 10) + 1.2 * phone)))
        items.append(_example(f"c{n}", int(rng.random() < p), days_since_activity=x, has_phone=phone))
    fitted, intercept = fit(items, ["days_since_activity", "has_phone"])
    by_name = {f.name: f for f in fitted}
    # Coefficients are on the standardised scale: divide by the scale for the raw one.
    assert by_name["days_since_activity"].coefficient / by_name["days_since_activity"].scale == pytest.approx(
        0.5, abs=0.05
    )
    assert by_name["has_phone"].coefficient / by_name["has_phone"].scale == pytest.approx(1.2, abs=0.15)
    raw_intercept = intercept - sum(f.coefficient * f.mean / f.scale for f in fitted)
    assert raw_intercept == pytest.approx(-1.0 - 0.5 * 10, abs=0.5)


@pytest.fixture(scope="module")
def small_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "events.jsonl"
    write_jsonl(generate(contacts=300, days=90, seed=2), path)
    return path


def test_the_evaluator_reproduces_the_trainers_probabilities(small_history: Path) -> None:
    report, test_set = train(small_history, horizon=HORIZON, seed=1)
    loaded = PredictiveModel.from_json(json.dumps(report.model.to_json()))
    expected = probabilities(test_set, report.model)  # numpy
    assert [loaded.probability(item.features) for item in test_set] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert len(set(expected)) > len(expected) // 2  # not a constant model
    assert auc(expected, [item.label for item in test_set]) == pytest.approx(report.test_auc)


def test_the_rule_score_ranks_a_checkout_above_a_glance() -> None:
    glance = examples([_history(BEFORE[:2])], CUTOFF, HORIZON)[0]
    checkout = _raw("checkout.started", CUTOFF - timedelta(days=1), checkout={"token": "k"})
    engaged = examples([_history([*BEFORE[:2], checkout])], CUTOFF, HORIZON)[0]
    assert rule_score(engaged, CUTOFF) > rule_score(glance, CUTOFF) > 0


def test_train_score_end_to_end(small_history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "weights.json"
    assert main(["train-score", str(small_history), "--horizon", "30d", "--out", str(weights), "--seed", "1"]) == 0
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines() if ": " in line)
    trained, rule = float(printed["test_auc_predictive"]), float(printed["test_auc_rule_acquisition"])
    assert trained > 0.5
    assert 0 <= rule <= 1
    model = PredictiveModel.from_json(weights.read_text(encoding="utf-8"))
    assert [f.name for f in model.features] == list(FEATURES)
    assert model.horizon_days == 30
    assert model.metadata["as_of"] == "2025-03-06T00:00:00+00:00"  # the last event's day (Apr 5) minus 30 days
    assert model.metadata["trained"]["test_auc"] == pytest.approx(trained, abs=1e-4)
    assert model.metadata["trained"]["rule_acquisition_test_auc"] == pytest.approx(rule, abs=1e-4)


def test_train_score_with_an_explicit_cutoff(small_history: Path, tmp_path: Path) -> None:
    weights = tmp_path / "w.json"
    assert main(["train-score", str(small_history), "--as-of", "2025-02-20", "--out", str(weights)]) == 0
    assert json.loads(weights.read_text(encoding="utf-8"))["as_of"] == "2025-02-20T00:00:00+00:00"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--horizon", "soon"], "not a duration"),
        (["--as-of", "someday"], "--as-of is not a date"),
        (["--as-of", "2024-01-01"], "the train split needs contacts"),  # before anyone signed up
    ],
)
def test_train_score_usage_errors(
    small_history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["train-score", str(small_history), "--out", str(tmp_path / "w.json"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_an_invalid_event_is_named_by_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(BEFORE[0]) + "\n" + json.dumps({**BEFORE[1], "type": "product.seen"}) + "\n")
    assert main(["train-score", str(path), "--out", str(tmp_path / "w.json")]) == 2
    assert "bad.jsonl:2: not a canonical event" in capsys.readouterr().err


def test_train_raises_on_an_empty_history(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(TrainingError, match="no event names a contact"):
        train(path, horizon=HORIZON)

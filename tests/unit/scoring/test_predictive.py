"""The predictive score's pure half (`nurture.scoring.predictive`): features as of an instant, and the
model read from JSON and evaluated without numpy."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.scoring.predictive import FEATURES, MODEL_FORMAT, Feature, PredictiveModel, features

NOW = datetime(2025, 4, 1, tzinfo=UTC)


def _event(event_type: str, days_ago: float) -> dict[str, Any]:
    return {"type": event_type, "occurred_at": (NOW - timedelta(days=days_ago)).isoformat()}


PROFILE: dict[str, Any] = {
    "has_phone": True,
    "email_consent": "subscribed",
    "sms_consent": "not_subscribed",
    "orders": {"count": 2, "last_order_at": (NOW - timedelta(days=12)).isoformat()},
    "created_at": (NOW - timedelta(days=40)).isoformat(),
    "last_activity_at": (NOW - timedelta(days=1.5)).isoformat(),
}


def test_features_count_events_in_their_windows_before_now_only() -> None:
    events = [
        _event("product.viewed", 1),
        _event("product.viewed", 6.9),
        _event("product.viewed", 7.1),  # 30-day window only
        _event("product.viewed", 30),  # the window's edge: in
        _event("product.viewed", 30.01),  # too old
        _event("product.viewed", 0),  # at now: not before it
        _event("product.viewed", -2),  # later
        _event("cart.updated", 3),
        _event("checkout.started", 20),
        _event("email.opened", 2),
        _event("email.clicked", 2),
        _event("email.bounced", 9),
    ]
    values = features(PROFILE, events, NOW)
    assert set(values) == set(FEATURES)
    assert values["views_7d"] == 2
    assert values["views_30d"] == 4
    assert (values["carts_7d"], values["carts_30d"]) == (1, 1)
    assert (values["checkouts_7d"], values["checkouts_30d"]) == (0, 1)
    assert (values["opens_30d"], values["clicks_7d"], values["clicks_30d"], values["bounces_30d"]) == (1, 1, 1, 1)


def test_features_from_the_profile() -> None:
    values = features(PROFILE, [], NOW)
    assert values["orders"] == 2
    assert values["days_since_order"] == pytest.approx(12)
    assert values["days_since_activity"] == pytest.approx(1.5)
    assert values["days_since_signup"] == pytest.approx(40)
    assert (values["has_phone"], values["email_subscribed"], values["email_unsubscribed"]) == (1, 1, 0)
    assert values["sms_subscribed"] == 0


@pytest.mark.parametrize(
    ("profile", "name", "expected"),
    [
        ({}, "days_since_order", 180.0),  # never ordered: the cap
        ({}, "days_since_activity", 90.0),
        ({"orders": {"count": 1, "last_order_at": "2024-01-01T00:00:00+00:00"}}, "days_since_order", 180.0),
        ({"last_activity_at": (NOW + timedelta(days=1)).isoformat()}, "days_since_activity", 0.0),
        ({"email_consent": "unsubscribed"}, "email_unsubscribed", 1.0),
        ({"email_consent": "pending"}, "email_subscribed", 0.0),
        ({"sms_consent": "subscribed"}, "sms_subscribed", 1.0),
        ({"orders": {"count": None}}, "orders", 0.0),
    ],
)
def test_profile_features_edges(profile: dict[str, Any], name: str, expected: float) -> None:
    assert features(profile, [], NOW)[name] == expected


def test_features_accept_datetimes_and_refuse_a_bad_instant() -> None:
    assert features({}, [{"type": "product.viewed", "occurred_at": NOW - timedelta(hours=1)}], NOW)["views_7d"] == 1
    with pytest.raises(ValueError, match=r"events\[1\]\.occurred_at"):
        features({}, [_event("product.viewed", 1), {"type": "cart.updated", "occurred_at": "yesterday"}], NOW)
    with pytest.raises(ValueError, match="aware"):
        features({}, [], NOW.replace(tzinfo=None))


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "horizon_days": 30,
        "intercept": -1.0,
        "features": [
            {"name": "views_7d", "transform": "log1p", "mean": 0.5, "scale": 2.0, "coefficient": 1.2},
            {"name": "has_phone", "transform": "identity", "mean": 0.25, "scale": 0.5, "coefficient": -0.4},
        ],
        "as_of": "2025-04-01T00:00:00+00:00",
    }
    document.update(changes)
    return document


def test_probability_by_hand() -> None:
    model = PredictiveModel.from_json(json.dumps(_document()))
    # logit = -1 + 1.2 * (ln(1 + 3) - 0.5) / 2 - 0.4 * (1 - 0.25) / 0.5
    logit = -1 + 1.2 * (math.log(4) - 0.5) / 2 - 0.4 * 0.75 / 0.5
    assert model.logit({"views_7d": 3, "has_phone": 1, "unused": 9}) == pytest.approx(logit)
    assert model.probability({"views_7d": 3, "has_phone": 1}) == pytest.approx(1 / (1 + math.exp(-logit)))
    assert model.metadata == {"as_of": "2025-04-01T00:00:00+00:00"}


def test_probability_stays_finite_at_extreme_logits() -> None:
    model = PredictiveModel((Feature("x", "identity", 0.0, 1.0, 1.0),), 0.0, 30.0, {})
    assert model.probability({"x": -1000}) == 0.0
    assert model.probability({"x": 1000}) == 1.0


def test_a_missing_feature_is_named() -> None:
    with pytest.raises(ValueError, match="'has_phone' is missing"):
        PredictiveModel.from_json(_document()).probability({"views_7d": 1})


def test_json_round_trip() -> None:
    model = PredictiveModel.from_json(_document())
    assert PredictiveModel.from_json(json.dumps(model.to_json())) == model
    assert model.to_json() == {**_document(), "horizon_days": 30.0, "intercept": -1.0}


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ("{not json", "model: not JSON"),
        ("[]", "model: must be a JSON object"),
        (_document(format="other/1"), "format: must be"),
        (_document(features=[]), "features: must be a non-empty list"),
        (_document(features=["x"]), r"features\[0\]: must be an object"),
        (_document(features=[{"transform": "identity", "mean": 0, "scale": 1, "coefficient": 1}]), r"\.name"),
        (_document(features=[{**_document()["features"][0], "transform": "log"}]), r"features\[0\]\.transform"),
        (_document(features=[{**_document()["features"][0], "scale": 0}]), r"features\[0\]\.scale: must be positive"),
        (_document(features=[{**_document()["features"][0], "mean": "1"}]), r"features\[0\]\.mean: must be a finite"),
        (_document(features=[{**_document()["features"][1], "coefficient": float("nan")}]), r"\.coefficient"),
        (_document(features=[_document()["features"][0]] * 2), "appears twice"),
        (_document(intercept=True), "intercept: must be a finite number"),
        (_document(horizon_days=0), "horizon_days: must be positive"),
    ],
)
def test_a_bad_model_is_refused_naming_the_field(document: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        PredictiveModel.from_json(document)

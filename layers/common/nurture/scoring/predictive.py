"""The predictive score (pure, standard library only): the probability that a contact orders within a
horizon, from a logistic regression trained offline (`nurture train-score`, docs/scoring.md).

Two parts, shared by the trainer and the evaluator so that both compute the same numbers:

- `features(profile, events, now)`: a contact's features as of ``now``, from its profile view
  (`nurture.journeys.views.profile_view`) and its events of the last 30 days (event views, as the
  segments read them); only events strictly before ``now`` count.
- `PredictiveModel`: the trained weights as data (JSON), ``probability(features)``.

No numpy here: the process function evaluates the model where the layer ships no numeric library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

MODEL_FORMAT = "nurture-predictive-score/1"
Transform = Literal["identity", "log1p"]
TRANSFORMS: tuple[Transform, ...] = ("identity", "log1p")

WINDOW_DAYS = 30  # the longest event window: what the segments' recent events already cover
# Recency features are capped: "never" reads as the cap, and a very old date adds nothing more.
_ACTIVITY_CAP_DAYS = 90.0
_ORDER_CAP_DAYS = 180.0
_SIGNUP_CAP_DAYS = 180.0

# (feature, event type, window in days): counts of the contact's events in that window.
COUNTS: tuple[tuple[str, str, int], ...] = (
    ("views_7d", "product.viewed", 7),
    ("views_30d", "product.viewed", 30),
    ("carts_7d", "cart.updated", 7),
    ("carts_30d", "cart.updated", 30),
    ("checkouts_7d", "checkout.started", 7),
    ("checkouts_30d", "checkout.started", 30),
    ("opens_30d", "email.opened", 30),
    ("clicks_7d", "email.clicked", 7),
    ("clicks_30d", "email.clicked", 30),
    ("bounces_30d", "email.bounced", 30),
)

# Every feature `features` computes, with the transform the trainer applies before scaling: counts
# are heavy-tailed (one binge of 40 views is not 10 times the intent of 4), so they go through log1p.
FEATURES: dict[str, Transform] = {
    **{name: "log1p" for name, _, _ in COUNTS},
    "orders": "log1p",
    "days_since_activity": "identity",
    "days_since_order": "identity",
    "days_since_signup": "identity",
    "has_phone": "identity",
    "email_subscribed": "identity",
    "email_unsubscribed": "identity",
    "sms_subscribed": "identity",
}


def features(profile: Mapping[str, Any], events: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, float]:
    """The contact's features as of ``now`` (aware). ``events``: event views with ``type`` and
    ``occurred_at`` (ISO 8601 or datetime); those at or after ``now``, or older than 30 days, are
    ignored. Raises ValueError naming a malformed ``occurred_at``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    ages: dict[str, list[float]] = {}
    for position, event in enumerate(events):
        at = _instant(event.get("occurred_at"))
        if at is None:
            raise ValueError(f"events[{position}].occurred_at: must be an aware ISO 8601 instant")
        age = (now - at) / timedelta(days=1)
        if 0 < age <= WINDOW_DAYS:
            ages.setdefault(str(event.get("type")), []).append(age)
    result = {name: float(sum(1 for age in ages.get(kind, ()) if age <= days)) for name, kind, days in COUNTS}
    orders = profile.get("orders") or {}
    result["orders"] = float(orders.get("count") or 0)
    result["days_since_activity"] = _days_since(profile.get("last_activity_at"), now, _ACTIVITY_CAP_DAYS)
    result["days_since_order"] = _days_since(orders.get("last_order_at"), now, _ORDER_CAP_DAYS)
    result["days_since_signup"] = _days_since(profile.get("created_at"), now, _SIGNUP_CAP_DAYS)
    result["has_phone"] = 1.0 if profile.get("has_phone") else 0.0
    result["email_subscribed"] = 1.0 if profile.get("email_consent") == "subscribed" else 0.0
    result["email_unsubscribed"] = 1.0 if profile.get("email_consent") == "unsubscribed" else 0.0
    result["sms_subscribed"] = 1.0 if profile.get("sms_consent") == "subscribed" else 0.0
    return result


@dataclass(frozen=True)
class Feature:
    """One input of the model: ``coefficient * (transform(x) - mean) / scale``."""

    name: str
    transform: Transform
    mean: float
    scale: float
    coefficient: float

    def term(self, value: float) -> float:
        x = math.log1p(max(value, 0.0)) if self.transform == "log1p" else value
        return self.coefficient * (x - self.mean) / self.scale


@dataclass(frozen=True)
class PredictiveModel:
    """A logistic regression as data. ``metadata`` keeps what the trainer recorded (cutoff,
    horizon, AUCs…) as it was; only ``features`` and ``intercept`` are read to score."""

    features: tuple[Feature, ...]
    intercept: float
    horizon_days: float
    metadata: Mapping[str, Any]

    def logit(self, values: Mapping[str, float]) -> float:
        total = self.intercept
        for feature in self.features:
            value = values.get(feature.name)
            if value is None:
                raise ValueError(f"features: {feature.name!r} is missing")
            total += feature.term(float(value))
        return total

    def probability(self, values: Mapping[str, float]) -> float:
        """P(order within the horizon | features): the logistic function of the logit."""
        z = self.logit(values)
        if z >= 0:  # the two forms keep exp() from overflowing on either side
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "horizon_days": self.horizon_days,
            "intercept": self.intercept,
            "features": [
                {
                    "name": f.name,
                    "transform": f.transform,
                    "mean": f.mean,
                    "scale": f.scale,
                    "coefficient": f.coefficient,
                }
                for f in self.features
            ],
            **{key: value for key, value in self.metadata.items() if key not in _MODEL_KEYS},
        }

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> PredictiveModel:
        """Read a model written by `to_json` (its text or the parsed mapping). Raises ValueError
        naming the field at fault."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ValueError(f"model: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, Mapping):
            raise ValueError("model: must be a JSON object")
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"format: must be {MODEL_FORMAT!r}")
        raw_features = data.get("features")
        if not isinstance(raw_features, list) or not raw_features:
            raise ValueError("features: must be a non-empty list")
        parsed: list[Feature] = []
        for position, raw in enumerate(raw_features):
            where = f"features[{position}]"
            if not isinstance(raw, Mapping):
                raise ValueError(f"{where}: must be an object")
            name = raw.get("name")
            if not isinstance(name, str) or not name:
                raise ValueError(f"{where}.name: must be a non-empty string")
            if name in {f.name for f in parsed}:
                raise ValueError(f"{where}.name: {name!r} appears twice")
            transform = raw.get("transform")
            if transform not in TRANSFORMS:
                raise ValueError(f"{where}.transform: must be one of {', '.join(TRANSFORMS)}")
            scale = _finite(raw.get("scale"), f"{where}.scale")
            if scale <= 0:
                raise ValueError(f"{where}.scale: must be positive")
            parsed.append(
                Feature(
                    name=name,
                    transform=transform,
                    mean=_finite(raw.get("mean"), f"{where}.mean"),
                    scale=scale,
                    coefficient=_finite(raw.get("coefficient"), f"{where}.coefficient"),
                )
            )
        horizon = _finite(data.get("horizon_days"), "horizon_days")
        if horizon <= 0:
            raise ValueError("horizon_days: must be positive")
        metadata = {key: value for key, value in data.items() if key not in _MODEL_KEYS}
        return cls(tuple(parsed), _finite(data.get("intercept"), "intercept"), horizon, metadata)


_MODEL_KEYS = frozenset({"format", "horizon_days", "intercept", "features"})


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: must be a finite number")
    return float(value)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return None


def _days_since(value: Any, now: datetime, cap: float) -> float:
    at = _instant(value)
    if at is None:
        return cap
    return min(max((now - at) / timedelta(days=1), 0.0), cap)

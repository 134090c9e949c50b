"""`nurture train-score`: fit the predictive score on an event history (development only; numpy).

Per contact, as of a cutoff: its profile replayed from its events before the cutoff (the profile
consumer's own `plan_update`), its features (`nurture.scoring.predictive.features`, the code the
process function will run), and its label: a counted order (`order.placed`, not a test, not
cancelled within the horizon) in ``[cutoff, cutoff + horizon)``. Contacts are split into train and
test, stratified by label, seeded; a logistic regression (L2, Newton's method) is fit on train; the
report gives the held-out AUC beside the AUC of the rule-based acquisition score
(`nurture.scoring.engine.apply_event` of the shipped model over the same events) on the same
contacts. docs/scoring.md, "Predictive score", says more.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nurture.events import parse_event
from nurture.journeys.views import event_view, profile_view
from nurture.profiles.planning import order_key, plan_update
from nurture.scoring.engine import Scores, apply_event
from nurture.scoring.model import default_model
from nurture.scoring.predictive import FEATURES, WINDOW_DAYS, Feature, PredictiveModel, features
from nurture_local.synth import contact_key, read_jsonl

if TYPE_CHECKING:
    from nurture.events import CanonicalEvent
    from nurture.profiles.model import OrderKey, OrderRecord, Profile

TEST_FRACTION = 0.3
L2 = 1.0  # on the standardised coefficients (never the intercept): a little shrinkage, no more
_NEWTON_STEPS = 50


class TrainingError(ValueError):
    """The history cannot train a model (unreadable, too small, one class only…)."""


@dataclass
class ContactHistory:
    key: str
    events: list[tuple[dict[str, Any], CanonicalEvent]] = field(default_factory=list)


@dataclass(frozen=True)
class Example:
    key: str
    features: dict[str, float]
    label: int
    history: tuple[tuple[dict[str, Any], CanonicalEvent], ...]  # the events before the cutoff


@dataclass(frozen=True)
class TrainingReport:
    model: PredictiveModel
    train_auc: float
    test_auc: float
    rule_test_auc: float
    train: tuple[int, int]  # contacts, positives
    test: tuple[int, int]
    events: int
    seconds: float

    def lines(self) -> list[str]:
        meta = self.model.metadata
        return [
            f"events: {self.events}; cutoff {meta['as_of']}, horizon {self.model.horizon_days:g} days",
            f"contacts: train {self.train[0]} ({self.train[1]} ordered), test {self.test[0]} ({self.test[1]} ordered)",
            f"train_auc_predictive: {self.train_auc:.4f}",
            f"test_auc_predictive: {self.test_auc:.4f}",
            f"test_auc_rule_acquisition: {self.rule_test_auc:.4f}",
            f"run_time: {self.seconds:.1f} s",
        ]


def load_histories(path: Path) -> tuple[dict[str, ContactHistory], int]:
    """Every event of the file, validated (`parse_event`), grouped by contact and ordered by time.
    Raises TrainingError naming the line of an invalid event."""
    histories: dict[str, ContactHistory] = {}
    count = 0
    try:
        for number, raw in read_jsonl(path):
            try:
                event = parse_event(raw)
            except ValueError as exc:
                raise TrainingError(f"{path.name}:{number}: not a canonical event: {exc}") from None
            key = contact_key(raw)
            if key is None:
                continue
            histories.setdefault(key, ContactHistory(key)).events.append((raw, event))
            count += 1
    except json.JSONDecodeError as exc:
        raise TrainingError(f"{path.name}: not JSON lines ({exc.msg})") from None
    for history in histories.values():
        history.events.sort(key=lambda pair: pair[1].occurred_at)
    return histories, count


def default_cutoff(histories: Iterable[ContactHistory], horizon: timedelta) -> datetime:
    """Midnight UTC on the day the horizon still fits before the last event: every label is seen."""
    last = max(event.occurred_at for history in histories for _, event in history.events)
    return (last - horizon).replace(hour=0, minute=0, second=0, microsecond=0)


def replay(
    history: Iterable[tuple[dict[str, Any], CanonicalEvent]], key: str
) -> Iterator[tuple[Profile, CanonicalEvent]]:
    """The contact's profile after each of these events, as the profile consumer builds it."""
    profile: Profile | None = None
    orders: dict[OrderKey, OrderRecord] = {}
    for _, event in history:
        ok = order_key(event)
        change = plan_update(
            profile, event, contact_id=key, now=event.occurred_at, order=orders.get(ok) if ok else None
        )
        profile = change.after
        if ok is not None and change.order_after is not None:
            orders[ok] = change.order_after
        yield profile, event


def label(history: ContactHistory, cutoff: datetime, horizon: timedelta) -> int:
    """1 when the contact placed a counted order in ``[cutoff, cutoff + horizon)``."""
    end = cutoff + horizon
    placed: set[str] = set()
    cancelled: set[str] = set()
    for _, event in history.events:
        if not cutoff <= event.occurred_at < end:
            continue
        if event.type == "order.placed" and not event.order.is_test:
            placed.add(event.order.order_id)
        elif event.type == "order.cancelled":
            cancelled.add(event.order.order_id)
    return 1 if placed - cancelled else 0


def examples(histories: Iterable[ContactHistory], cutoff: datetime, horizon: timedelta) -> list[Example]:
    """One example per contact seen before the cutoff (later sign-ups have nothing to score)."""
    result = []
    window_start = cutoff - timedelta(days=WINDOW_DAYS)
    for history in histories:
        before = tuple(pair for pair in history.events if pair[1].occurred_at < cutoff)
        if not before:
            continue
        profile = deque(replay(before, history.key), maxlen=1)[0][0]
        recent = [raw for raw, event in before if event.occurred_at >= window_start]
        values = features(profile_view(profile), recent, cutoff)
        result.append(Example(history.key, values, label(history, cutoff, horizon), before))
    return result


def split(items: Sequence[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Train and test, stratified by label: each class shuffled (seeded) and 30% of it held out."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret
    train: list[Example] = []
    test: list[Example] = []
    for value in (0, 1):
        group = sorted((item for item in items if item.label == value), key=lambda item: item.key)
        rng.shuffle(group)
        held = round(len(group) * TEST_FRACTION)
        test.extend(group[:held])
        train.extend(group[held:])
    return train, test


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve by the rank (Mann-Whitney U) formula, ties given their mean rank:
    the probability that a random positive scores above a random negative, ties counting half."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for value in labels if value)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one positive and one negative")
    order = sorted(range(len(scores)), key=lambda index: scores[index])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1  # ranks are 1-based
        for position in range(start, end + 1):
            ranks[order[position]] = mean_rank
        start = end + 1
    rank_sum = sum(rank for rank, value in zip(ranks, labels, strict=True) if value)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def fit(train: Sequence[Example], names: Sequence[str]) -> tuple[list[Feature], float]:
    """Logistic regression on the transformed, standardised features: L2-penalised maximum
    likelihood by Newton's method (deterministic; converges in a handful of steps)."""
    raw = _matrix(train, names)
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature: left as is, its coefficient shrinks to 0
    x = np.hstack([np.ones((len(train), 1)), (raw - mean) / scale])
    y = np.array([item.label for item in train], dtype=float)
    penalty = np.diag([0.0] + [L2] * len(names))
    weights = np.zeros(x.shape[1])
    for _ in range(_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (p - y) + penalty @ weights
        hessian = (x.T * (p * (1 - p))) @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    fitted = [
        Feature(name, FEATURES[name], float(mean[i]), float(scale[i]), float(weights[i + 1]))
        for i, name in enumerate(names)
    ]
    return fitted, float(weights[0])


def probabilities(items: Sequence[Example], model: PredictiveModel) -> list[float]:
    """The trainer's own probabilities (numpy, vectorised) for these examples: what the pure
    evaluator (`PredictiveModel.probability`) must reproduce from the JSON."""
    names = [feature.name for feature in model.features]
    mean = np.array([feature.mean for feature in model.features])
    scale = np.array([feature.scale for feature in model.features])
    coefficients = np.array([feature.coefficient for feature in model.features])
    logits = ((_matrix(items, names) - mean) / scale) @ coefficients + model.intercept
    return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]


def _matrix(items: Sequence[Example], names: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    rows = [
        [math.log1p(item.features[name]) if FEATURES[name] == "log1p" else item.features[name] for name in names]
        for item in items
    ]
    return np.array(rows, dtype=float)


def rule_score(example: Example, cutoff: datetime) -> float:
    """The rule-based acquisition score at the cutoff: the shipped model applied to every event
    before it, in order, on the profile after each (as the process function will)."""
    model = default_model()
    scores = Scores()
    for profile, event in replay(example.history, example.key):
        scores = apply_event(model, scores, profile_view(profile), event_view(event), event.occurred_at).scores
    return scores.value("acquisition", cutoff)


def train(
    path: Path, *, horizon: timedelta, as_of: datetime | None = None, seed: int = 1
) -> tuple[TrainingReport, list[Example]]:
    """Everything `nurture train-score` does but writing: the report and the held-out examples."""
    started = time.perf_counter()
    histories, count = load_histories(path)
    if not histories:
        raise TrainingError(f"{path.name}: no event names a contact")
    cutoff = as_of if as_of is not None else default_cutoff(histories.values(), horizon)
    items = examples(histories.values(), cutoff, horizon)
    train_set, test_set = split(items, seed)
    for name, part in (("train", train_set), ("test", test_set)):
        if len({item.label for item in part}) < 2:
            raise TrainingError(
                f"the {name} split needs contacts who ordered and who did not within the horizon "
                f"({len(part)} contacts as of {cutoff:%Y-%m-%d}): a longer history, more contacts or another --as-of"
            )
    names = list(FEATURES)
    fitted, intercept = fit(train_set, names)
    draft = PredictiveModel(tuple(fitted), intercept, horizon / timedelta(days=1), {})
    train_auc = auc(probabilities(train_set, draft), [item.label for item in train_set])
    test_labels = [item.label for item in test_set]
    test_auc = auc(probabilities(test_set, draft), test_labels)
    rule_auc = auc([rule_score(item, cutoff) for item in test_set], test_labels)
    seconds = time.perf_counter() - started
    metadata = {
        "target": "a counted order (order.placed, not a test, not cancelled) within horizon_days of the cutoff",
        "as_of": cutoff.astimezone(UTC).isoformat(),
        "trained": {
            "events_file": path.name,
            "events": count,
            "seed": seed,
            "split": f"stratified by label, {TEST_FRACTION:.0%} held out",
            "l2": L2,
            "contacts": {"train": len(train_set), "test": len(test_set)},
            "positives": {"train": sum(i.label for i in train_set), "test": sum(test_labels)},
            "train_auc": round(train_auc, 4),
            "test_auc": round(test_auc, 4),
            "rule_acquisition_test_auc": round(rule_auc, 4),
        },
    }
    model = PredictiveModel(draft.features, intercept, draft.horizon_days, metadata)
    report = TrainingReport(
        model=model,
        train_auc=train_auc,
        test_auc=test_auc,
        rule_test_auc=rule_auc,
        train=(len(train_set), sum(i.label for i in train_set)),
        test=(len(test_set), sum(test_labels)),
        events=count,
        seconds=seconds,
    )
    return report, test_set

"""The router reads an order's facts (``event.facts``, from products.yaml: docs/offers.md) in
triggers, keys, entry and exit conditions; the enrolment's data carries them; an exit's ``same_key``
on a list matches when the enrolment's key is in it (docs/journeys.md, "exit")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nurture.config import CONFIG_DIR_VARIABLE
from nurture.events import LineItem
from nurture.journeys.enrolments import trigger_data
from nurture.journeys.views import journey_event_view, trigger_views
from nurture.offers.products import _products_in
from tests.unit.journeys.test_journeys_router import catalogue_of, checkout, enrolment, profile, run
from tests.unit.profiles.profile_events import at, order, paid, placed

PRODUCTS = """
products:
  beans: {consumption_days: 30, remind_days_before: 5, complements: [filter]}
"""
REPLENISHMENT = {
    "id": "replenish",
    "name": "Replenishment",
    "trigger": {"event": "order.paid", "when": [{"field": "event.facts.replenish", "exists": True}]},
    "key": "event.facts.replenish.product_id",
    "exit": [{"event": "order.placed", "same_key": "event.facts.product_ids", "reason": "reordered"}],
    "reentry": "always",
    "steps": [{"send": {"id": "remind"}}],
}


@pytest.fixture(autouse=True)
def products_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "products.yaml").write_text(PRODUCTS, encoding="utf-8")
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))
    _products_in.cache_clear()
    yield
    _products_in.cache_clear()


def bought(*products: str, hours: float = 1, kind: Any = placed) -> Any:
    lines = tuple(LineItem(product_id=p, title=p, quantity=1, unit_price=Decimal(5)) for p in products)
    return kind(order(f"o-{'-'.join(products)}-{hours}", line_items=lines), at(hours))


def test_an_order_event_carries_its_facts_and_other_events_none() -> None:
    view = journey_event_view(bought("beans", "cup"))

    assert view["facts"] == {
        "product_ids": ["beans", "cup"],
        "replenish": {"product_id": "beans", "due_at": (at(1) + timedelta(days=25)).isoformat().replace("+00:00", "Z")},
        "complements": ["filter"],
    }
    assert "facts" not in journey_event_view(checkout())
    assert "facts" not in trigger_views(checkout(), None, profile("subscribed"))["event"]


def test_a_trigger_condition_reads_the_facts_and_the_key_is_the_product_that_runs_out() -> None:
    catalogue = catalogue_of(REPLENISHMENT)

    beans = run(bought("beans", kind=paid), catalogue=catalogue)
    cups = run(bought("cup", kind=paid), catalogue=catalogue)

    [start] = beans.starts
    assert start.enrolment.key == "beans"
    assert start.enrolment.data["facts"]["replenish"]["due_at"].startswith("2026-03-26")  # for a wait's until
    assert cups.starts == ()  # no configured period: no replenish fact, the trigger does not hold


def test_the_enrolment_data_carries_the_facts_without_the_contact() -> None:
    data = trigger_data(bought("beans"))

    assert "contact" not in data
    assert data["facts"]["product_ids"] == ["beans"]


@pytest.mark.parametrize(
    ("products", "exits"),
    [
        (("cup", "beans"), ["reordered"]),  # the key is one of the order's products
        (("cup",), []),  # it is not
        ((), []),  # an empty list holds no key
    ],
)
def test_an_exit_same_key_on_a_list_matches_when_it_holds_the_key(products: tuple[str, ...], exits: list[str]) -> None:
    running = enrolment("replenish", key="beans")

    decision = run(bought(*products, hours=5), catalogue=catalogue_of(REPLENISHMENT), running=[running])

    assert [exit.reason for exit in decision.exits] == exits


def test_an_exit_same_key_on_a_scalar_still_compares_the_value() -> None:
    journey = {**REPLENISHMENT, "exit": [{"event": "order.placed", "same_key": "event.order.order_id"}]}
    running = [enrolment("replenish", key="o-beans-5")]

    same = run(bought("beans", hours=5), catalogue=catalogue_of(journey), running=running)
    other = run(bought("beans", hours=6), catalogue=catalogue_of(journey), running=running)

    assert [exit.reason for exit in same.exits] == ["order_placed"]
    assert other.exits == ()


def counted(orders: int) -> Any:
    from nurture.profiles.model import OrderStats

    return profile("subscribed", orders=OrderStats(count=orders))


def test_a_reorder_ends_the_countdown_and_starts_the_next_one() -> None:
    # The shipped journey's shape: the order event that counts the order starts and ends.
    counts = [{"field": "event.facts.counts_order", "equals": True}]
    journey = {
        **REPLENISHMENT,
        "trigger": {"event": ["order.placed", "order.paid"], "when": REPLENISHMENT["trigger"]["when"] + counts},
        "exit": [{**REPLENISHMENT["exit"][0], "event": ["order.placed", "order.paid"], "when": counts}],
    }
    running = enrolment("replenish", key="beans", data={"occurred_at": at(1).isoformat()})
    reorder = bought("beans", hours=500)

    decision = run(
        reorder,
        catalogue=catalogue_of(journey),
        running=[running],
        latest={("replenish", "beans"): running},
        before=counted(1),
        after=counted(2),
        triggered=["replenish"],
    )

    # Decided exits first: the running countdown ends, and the same order starts occurrence 2.
    assert [(exit.enrolment.occurrence, exit.reason) for exit in decision.exits] == [(1, "reordered")]
    assert [start.enrolment.occurrence for start in decision.starts] == [2]

    # The trigger order's own order.paid (it counted already) ends nothing and starts nothing.
    paid_later = bought("beans", hours=500, kind=paid)
    again = run(
        paid_later,
        catalogue=catalogue_of(journey),
        running=[running],
        latest={("replenish", "beans"): running},
        before=counted(2),
        after=counted(2),
    )
    assert again.exits == () and again.starts == ()

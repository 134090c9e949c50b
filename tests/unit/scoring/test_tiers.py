"""Value tiers (nurture.scoring.tiers): RFM breakpoints, CLV, tier precedence, the VIP threshold."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import get_args

import pytest
from pydantic import ValidationError

from nurture.profiles.model import OrderStats
from nurture.scoring.tiers import (
    TIERS,
    Rfm,
    Tier,
    TierPolicy,
    clv,
    main_currency,
    main_revenue,
    reaches_vip,
    rfm,
    tier,
    vip_threshold,
)
from nurture.settings import LapsedScanSettings

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
POLICY = TierPolicy()
YEAR = timedelta(days=365, hours=5, minutes=49, seconds=12)  # the mean Gregorian year, spelt out


def orders(
    count: int = 1,
    revenue: dict[str, str] | None = None,
    *,
    days_ago: int = 10,
    first_days_ago: int | None = None,
    first: datetime | None = None,
) -> OrderStats:
    """Counted orders: the last one ``days_ago`` days before NOW, the first ``first_days_ago``
    (default: the same day) or at ``first``."""
    last = NOW - timedelta(days=days_ago)
    if first is None:
        first = NOW - timedelta(days=first_days_ago if first_days_ago is not None else days_ago)
    money = {code: Decimal(amount) for code, amount in (revenue if revenue is not None else {"EUR": "50"}).items()}
    return OrderStats(count=count, revenue=money, first_order_at=first, last_order_at=last)


# ---- Policy ----


def test_the_default_policy_is_the_documented_one() -> None:
    assert POLICY.recency_days == (30, 60, 90, 180)
    assert POLICY.frequency_orders == (2, 3, 5, 10)
    assert POLICY.monetary == (Decimal(100), Decimal(250), Decimal(500), Decimal(1000))
    assert (POLICY.at_risk_after, POLICY.lapsed_after) == (60, 90)
    assert POLICY.vip_top_percent == Decimal(5)
    assert POLICY.expected_lifetime_years == Decimal(3)


def test_lapsed_after_is_the_lapsed_scans_default() -> None:
    # The tier turns lapsed on the day the scan sends contact.lapsed: the two defaults move together.
    assert LapsedScanSettings.model_fields["lapsed_after_days"].default == POLICY.lapsed_after


def test_the_tier_literal_and_its_tuple_agree() -> None:
    assert get_args(Tier) == TIERS


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recency_days": (30, 30, 90, 180)}, "recency_days"),
        ({"frequency_orders": (5, 3, 7, 10)}, "frequency_orders"),
        ({"monetary": ("100", "250", "250", "1000")}, "monetary"),
        ({"monetary": ("0", "250", "500", "1000")}, "monetary"),
        ({"recency_days": (30, 60, 90)}, "recency_days"),
        ({"at_risk_after": 90}, "at_risk_after"),
        ({"at_risk_after": 120}, "at_risk_after"),
        ({"lapsed_after": 0}, "lapsed_after"),
        ({"vip_top_percent": 0}, "vip_top_percent"),
        ({"vip_top_percent": 101}, "vip_top_percent"),
        ({"expected_lifetime_years": 0}, "expected_lifetime_years"),
        ({"expected_lifetime_years": "NaN"}, "expected_lifetime_years"),
        ({"vip_top_pct": 5}, "vip_top_pct"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        TierPolicy.model_validate(changes)


def test_the_policy_is_frozen_and_reads_money_as_decimal() -> None:
    policy = TierPolicy.model_validate({"monetary": ["10.50", "20", "30", "40"], "expected_lifetime_years": "2.5"})
    assert policy.monetary[0] == Decimal("10.50")
    assert policy.expected_lifetime_years == Decimal("2.5")
    with pytest.raises(ValidationError):
        policy.lapsed_after = 30  # type: ignore[misc]


# ---- RFM ----


@pytest.mark.parametrize(
    ("days_ago", "score"),
    [(0, 5), (29, 5), (30, 4), (59, 4), (60, 3), (89, 3), (90, 2), (179, 2), (180, 1), (2000, 1)],
)
def test_recency_breakpoints(days_ago: int, score: int) -> None:
    result = rfm(orders(days_ago=days_ago), NOW, POLICY)
    assert result is not None
    assert result.recency == score


@pytest.mark.parametrize(
    ("last", "now", "days"),
    [
        # Whole UTC calendar days, not 24-hour periods: two minutes across UTC midnight is a day.
        (datetime(2026, 6, 29, 23, 59, tzinfo=UTC), datetime(2026, 6, 30, 0, 1, tzinfo=UTC), 1),
        (datetime(2026, 6, 30, 0, 0, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, tzinfo=UTC), 0),
        # An offset is converted to UTC first: 01:00+02:00 on the 30th is the 29th in UTC.
        (datetime(2026, 6, 30, 1, 0, tzinfo=timezone(timedelta(hours=2))), NOW, 1),
        # A last order ahead of the clock (skew) is today, not a negative age.
        (NOW + timedelta(days=3), NOW, 0),
    ],
)
def test_recency_counts_utc_days(last: datetime, now: datetime, days: int) -> None:
    stats = OrderStats(count=1, revenue={"EUR": Decimal(5)}, first_order_at=last, last_order_at=last)
    # Breakpoints of 1, 2, 3 and 4 days: 0 days scores 5, 1 day scores 4.
    policy = TierPolicy(recency_days=(1, 2, 3, 4))
    result = rfm(stats, now, policy)
    assert result is not None
    assert result.recency == 5 - days


@pytest.mark.parametrize(
    ("count", "score"),
    [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (9, 4), (10, 5), (250, 5)],
)
def test_frequency_breakpoints(count: int, score: int) -> None:
    result = rfm(orders(count=count), NOW, POLICY)
    assert result is not None
    assert result.frequency == score


@pytest.mark.parametrize(
    ("revenue", "score"),
    [
        ({}, 1),  # free orders only
        ({"EUR": "0"}, 1),
        ({"EUR": "99.99"}, 1),
        ({"EUR": "100"}, 2),
        ({"EUR": "249.99"}, 2),
        ({"EUR": "250.00"}, 3),
        ({"EUR": "499.99"}, 3),
        ({"EUR": "500"}, 4),
        ({"EUR": "999.99"}, 4),
        ({"EUR": "1000"}, 5),
        # The main currency only: 600 EUR + 500 USD is 600, not 1100.
        ({"EUR": "600", "USD": "500"}, 4),
        ({"USD": "600", "EUR": "500"}, 4),
    ],
)
def test_monetary_breakpoints(revenue: dict[str, str], score: int) -> None:
    result = rfm(orders(count=3, revenue=revenue), NOW, POLICY)
    assert result is not None
    assert result.monetary == score


def test_rfm_of_a_contact_with_orders() -> None:
    stats = orders(count=5, revenue={"EUR": "300"}, days_ago=45, first_days_ago=400)
    assert rfm(stats, NOW, POLICY) == Rfm(recency=4, frequency=4, monetary=3)


def test_no_counted_order_has_no_rfm() -> None:
    assert rfm(OrderStats(), NOW, POLICY) is None
    # The only order was cancelled: its dates stay on the stats, but nothing is counted.
    cancelled = OrderStats(count=0, first_order_at=NOW, last_order_at=NOW)
    assert rfm(cancelled, NOW, POLICY) is None


# ---- Main currency ----


@pytest.mark.parametrize(
    ("revenue", "currency", "amount"),
    [
        ({}, None, "0"),
        ({"USD": "10"}, "USD", "10"),
        ({"USD": "10", "EUR": "20"}, "EUR", "20"),
        ({"EUR": "20", "USD": "20.01"}, "USD", "20.01"),
        ({"USD": "10", "EUR": "10.00"}, "EUR", "10"),  # a tie: the alphabetically first code
        ({"USD": "1", "GBP": "5", "EUR": "5"}, "EUR", "5"),
    ],
)
def test_the_main_currency_has_the_most_revenue(revenue: dict[str, str], currency: str | None, amount: str) -> None:
    stats = orders(revenue=revenue)
    assert main_currency(stats) == currency
    assert main_revenue(stats) == Decimal(amount)


# ---- CLV ----


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        # One order yesterday: one year of history assumed, not 365 orders a year.
        (orders(1, {"EUR": "120"}, days_ago=1), "360.00"),
        # One order today.
        (orders(1, {"EUR": "120"}, days_ago=0), "360.00"),
        # Three orders within six months: still at least a year.
        (orders(3, {"EUR": "300"}, days_ago=5, first_days_ago=180), "900.00"),
        # Exactly one year, then two and four years of history: the yearly revenue times 3.
        (orders(2, {"EUR": "400"}, days_ago=5, first=NOW - YEAR), "1200.00"),
        (orders(4, {"EUR": "1000"}, days_ago=5, first=NOW - 2 * YEAR), "1500.00"),
        (orders(8, {"EUR": "2000"}, days_ago=5, first=NOW - 4 * YEAR), "1500.00"),
        # A year and a half: 10 / 1.5 * 3 = 20.
        (orders(2, {"EUR": "10"}, days_ago=5, first=NOW - YEAR * 3 / 2), "20.00"),
        # Thirds round to cents, half up: 100 / 3 * 3.
        (orders(3, {"EUR": "100"}, days_ago=5, first=NOW - 3 * YEAR), "100.00"),
        (orders(1, {"EUR": "0.005"}, days_ago=5), "0.02"),
        # Several currencies: only the main one (EUR) counts; the USD is not converted.
        (orders(3, {"EUR": "300", "USD": "200"}, days_ago=5, first_days_ago=100), "900.00"),
        (orders(3, {"JPY": "30000", "EUR": "200"}, days_ago=5, first_days_ago=100), "90000.00"),
        # Free orders only.
        (orders(1, {}, days_ago=5), "0.00"),
        # A first order ahead of the clock (skew): one year assumed.
        (orders(1, {"EUR": "10"}, days_ago=0, first=NOW + timedelta(days=2)), "30.00"),
    ],
)
def test_clv(stats: OrderStats, expected: str) -> None:
    value = clv(stats, NOW, POLICY)
    assert value == Decimal(expected)
    assert value is not None
    assert value.as_tuple().exponent == -2


def test_clv_uses_the_expected_lifetime() -> None:
    stats = orders(2, {"EUR": "100"}, days_ago=5)
    assert clv(stats, NOW, TierPolicy(expected_lifetime_years=Decimal("1.5"))) == Decimal("150.00")
    assert clv(stats, NOW, TierPolicy(expected_lifetime_years=Decimal(1))) == Decimal("100.00")
    # Half a cent rounds up, as money does (not to the even cent).
    half_cent = orders(1, {"EUR": "0.125"}, days_ago=5)
    assert clv(half_cent, NOW, TierPolicy(expected_lifetime_years=Decimal(1))) == Decimal("0.13")


def test_no_counted_order_has_no_clv() -> None:
    assert clv(OrderStats(), NOW, POLICY) is None
    assert clv(OrderStats(count=0, first_order_at=NOW, last_order_at=NOW), NOW, POLICY) is None


# ---- Tiers ----

BIG = {"EUR": "5000"}  # CLV 15000.00 over one year: a VIP against the threshold below
THRESHOLD = Decimal("1000.00")


@pytest.mark.parametrize(
    ("stats", "threshold", "expected"),
    [
        (OrderStats(), THRESHOLD, None),
        (OrderStats(count=0, first_order_at=NOW, last_order_at=NOW), THRESHOLD, None),  # only order cancelled
        (orders(1, days_ago=10), THRESHOLD, "first_time"),
        (orders(1, days_ago=10), None, "first_time"),
        (orders(2, days_ago=10), THRESHOLD, "repeat"),
        (orders(12, days_ago=0, first_days_ago=300), THRESHOLD, "repeat"),  # CLV 150.00, under the threshold
        # VIP: by value, whatever the count; at the threshold exactly; not a cent under it.
        (orders(1, BIG, days_ago=10), THRESHOLD, "vip"),
        (orders(4, BIG, days_ago=10), THRESHOLD, "vip"),
        (orders(2, {"EUR": "333.34"}, days_ago=10), THRESHOLD, "vip"),  # CLV 1000.02
        (orders(2, {"EUR": "333.33"}, days_ago=10), Decimal("999.99"), "vip"),  # CLV 999.99
        (orders(2, {"EUR": "333.33"}, days_ago=10), THRESHOLD, "repeat"),  # CLV 999.99
        (orders(1, {"EUR": "333.33"}, days_ago=10), THRESHOLD, "first_time"),
        # No population to rank against yet: nobody is VIP.
        (orders(4, BIG, days_ago=10), None, "repeat"),
        # A zero CLV is never VIP, even against a zero threshold.
        (orders(2, {}, days_ago=10), Decimal(0), "repeat"),
        (orders(2, {"EUR": "1"}, days_ago=10), Decimal(0), "vip"),
        # At risk from day 60, lapsed from day 90, whatever the value.
        (orders(2, days_ago=59), THRESHOLD, "repeat"),
        (orders(2, days_ago=60), THRESHOLD, "at_risk"),
        (orders(1, days_ago=60), THRESHOLD, "at_risk"),
        (orders(4, BIG, days_ago=59), THRESHOLD, "vip"),
        (orders(4, BIG, days_ago=60), THRESHOLD, "at_risk"),
        (orders(2, days_ago=89), THRESHOLD, "at_risk"),
        (orders(2, days_ago=90), THRESHOLD, "lapsed"),
        (orders(1, days_ago=90), THRESHOLD, "lapsed"),
        (orders(4, BIG, days_ago=90), THRESHOLD, "lapsed"),
        (orders(4, BIG, days_ago=900), THRESHOLD, "lapsed"),
    ],
)
def test_tier_and_its_precedence(stats: OrderStats, threshold: Decimal | None, expected: Tier | None) -> None:
    assert tier(stats, NOW, POLICY, threshold) == expected


def test_the_tier_follows_the_policy() -> None:
    policy = TierPolicy(at_risk_after=20, lapsed_after=40)
    assert tier(orders(2, days_ago=19), NOW, policy, None) == "repeat"
    assert tier(orders(2, days_ago=20), NOW, policy, None) == "at_risk"
    assert tier(orders(2, days_ago=40), NOW, policy, None) == "lapsed"


def test_lapsing_happens_on_the_utc_day_the_lapsed_scan_reads() -> None:
    # The scan reads, on a UTC day D, the contacts whose last order's UTC day is D - 90: the tier
    # turns lapsed at 00:00 UTC on D even when the last order was late in its day.
    last = datetime(2026, 4, 1, 23, 59, tzinfo=UTC)
    stats = OrderStats(count=2, revenue={"EUR": Decimal(10)}, first_order_at=last, last_order_at=last)
    day = datetime(2026, 6, 30, tzinfo=UTC)
    assert tier(stats, day - timedelta(microseconds=1), POLICY, None) == "at_risk"
    assert tier(stats, day, POLICY, None) == "lapsed"


# ---- VIP threshold ----


def _shuffled(values: list[Decimal]) -> list[Decimal]:
    random.Random(9).shuffle(values)
    return values


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 5, None),
        ([Decimal("42.50")], 5, Decimal("42.50")),
        ([Decimal(3), Decimal(1), Decimal(2)], 5, Decimal(3)),  # at least one value is top
        ([Decimal(3), Decimal(1), Decimal(2)], 100, Decimal(1)),
        ([Decimal(3), Decimal(1), Decimal(2)], 34, Decimal(2)),  # ceil(1.02) = 2 values
        ([Decimal(3), Decimal(1), Decimal(2)], Decimal("33.3"), Decimal(3)),  # ceil(0.999) = 1
        # Ties: the threshold is shared, so all three tens reach it (more than 50 %).
        ([Decimal(10), Decimal(5), Decimal(10), Decimal(10)], 50, Decimal(10)),
        # 5 % of 100 values 1..100 is the 5th highest; of 101 values, ceil(5.05) = the 6th.
        (_shuffled([Decimal(n) for n in range(1, 101)]), 5, Decimal(96)),
        (_shuffled([Decimal(n) for n in range(1, 102)]), 5, Decimal(96)),
        (_shuffled([Decimal(n) for n in range(1, 101)]), Decimal("2.5"), Decimal(98)),
    ],
)
def test_vip_threshold(values: list[Decimal], percent: Decimal | int, expected: Decimal | None) -> None:
    assert vip_threshold(iter(values), percent) == expected


def test_five_percent_of_a_hundred_customers_are_vip() -> None:
    values = _shuffled([Decimal(n) * 10 for n in range(1, 101)])
    threshold = vip_threshold(values, POLICY.vip_top_percent)
    assert threshold is not None
    assert sum(1 for value in values if value >= threshold) == 5


@pytest.mark.parametrize("percent", [0, -5, 101, Decimal("100.01")])
def test_vip_threshold_refuses_a_percent_out_of_range(percent: Decimal | int) -> None:
    with pytest.raises(ValueError, match="top_percent"):
        vip_threshold([Decimal(1)], percent)


@pytest.mark.parametrize(
    ("clv", "threshold", "vip"),
    [
        (Decimal(500), Decimal(400), True),
        (Decimal(400), Decimal(400), True),  # reaching the threshold is enough
        (Decimal("399.99"), Decimal(400), False),
        (Decimal(500), None, False),  # no population ranked yet: nobody
        (None, Decimal(400), False),  # no counted order: no CLV
        (Decimal(0), Decimal(0), False),  # a CLV of 0 never, even when the threshold is 0
        (Decimal("0.01"), Decimal(0), True),
    ],
)
def test_reaches_vip_is_the_rule_tier_applies(clv: Decimal | None, threshold: Decimal | None, vip: bool) -> None:
    assert reaches_vip(clv, threshold) is vip


# ---- Time zones ----

NAIVE = datetime(2026, 6, 30, 12, 0)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("stats", "now", "field"),
    [
        (orders(2), NAIVE, "now"),
        (OrderStats(), NAIVE, "now"),  # refused even when there is nothing to compute
        (OrderStats(count=1, revenue={"EUR": Decimal(1)}, first_order_at=NOW, last_order_at=NAIVE), NOW, "last_order"),
    ],
)
def test_a_naive_datetime_is_refused(stats: OrderStats, now: datetime, field: str) -> None:
    for compute in (
        lambda: rfm(stats, now, POLICY),
        lambda: tier(stats, now, POLICY, None),
    ):
        with pytest.raises(ValueError, match=field):
            compute()


@pytest.mark.parametrize(
    ("stats", "now", "field"),
    [
        (orders(2), NAIVE, "now"),
        (OrderStats(), NAIVE, "now"),
        (OrderStats(count=1, revenue={"EUR": Decimal(1)}, first_order_at=NAIVE, last_order_at=NOW), NOW, "first_order"),
    ],
)
def test_clv_refuses_a_naive_datetime(stats: OrderStats, now: datetime, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        clv(stats, now, POLICY)

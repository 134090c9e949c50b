"""Value tiers: RFM, a simple CLV and the contact's tier, from its counted orders (pure, no I/O).

docs/scoring.md ("Value tiers") is the user-facing description; the decisions, in short:

- **Input.** ``OrderStats`` (``nurture.profiles.model``): the orders capture and planning count.
  Which orders those are (and which ones should not be) is written in the docs, not decided here.
- **Days.** Recency is counted in whole UTC calendar days between the last order and ``now``, like
  the lapsed scan (``nurture.profiles.lapsed``), which reads the contacts whose last order's UTC day
  is exactly ``lapsed_after`` days ago: the tier turns ``lapsed`` on the day the scan sends
  ``contact.lapsed``, never hours before or after it.
- **Money.** ``Decimal`` throughout. The contact's main currency is the one with the most revenue
  (a tie goes to the alphabetically first code); revenue in any other currency is not converted
  (Nurture has no exchange rates) and so counts neither for the monetary score nor for CLV.
- **Times.** Every datetime must be time-zone aware: a naive one is a ``ValueError``, not a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nurture.profiles.model import OrderStats

Tier = Literal["first_time", "repeat", "vip", "at_risk", "lapsed"]
TIERS: tuple[Tier, ...] = ("first_time", "repeat", "vip", "at_risk", "lapsed")

# CLV is money: rounded to cents (half up) like an amount a marketer reads.
_CENT = Decimal("0.01")
# A year of history, for "orders per year": the mean Gregorian year (365.2425 days), so leap
# years average out.
_YEAR = timedelta(seconds=31_556_952)
_MICROSECOND = timedelta(microseconds=1)

Days = Annotated[int, Field(ge=1, le=3650)]
Orders = Annotated[int, Field(ge=1)]
Amount = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class TierPolicy(BaseModel):
    """How RFM scores, CLV and tiers are computed (docs/scoring.md says why the defaults are these).

    Each RFM breakpoint list holds four strictly increasing values that split the scale into five
    scores. Recency (days since the last order): below the first breakpoint scores 5, from the
    last one on scores 1. Frequency (orders) and monetary (revenue in the main currency): below the
    first breakpoint scores 1, from the last one on scores 5. A value equal to a breakpoint
    belongs to the score above it (recency: below it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    recency_days: tuple[Days, Days, Days, Days] = (30, 60, 90, 180)
    frequency_orders: tuple[Orders, Orders, Orders, Orders] = (2, 3, 5, 10)
    monetary: tuple[Amount, Amount, Amount, Amount] = (Decimal(100), Decimal(250), Decimal(500), Decimal(1000))
    # Days since the last order (UTC days, like the lapsed scan's LAPSED_AFTER_DAYS).
    at_risk_after: Days = 60
    lapsed_after: Days = 90
    vip_top_percent: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)] = Decimal(5)
    expected_lifetime_years: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)] = Decimal(3)

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        for name in ("recency_days", "frequency_orders", "monetary"):
            points = getattr(self, name)
            if any(later <= earlier for earlier, later in pairwise(points)):
                raise ValueError(f"{name}: the breakpoints must be strictly increasing")
        if self.at_risk_after >= self.lapsed_after:
            raise ValueError("at_risk_after: must be fewer days than lapsed_after")
        return self


@dataclass(frozen=True, slots=True)
class Rfm:
    """Recency, frequency and monetary scores, 1 (lowest value to the store) to 5 (highest)."""

    recency: int
    frequency: int
    monetary: int


def main_currency(stats: OrderStats) -> str | None:
    """The currency with the most revenue (ties: the alphabetically first code); None without revenue."""
    if not stats.revenue:
        return None
    return min(stats.revenue, key=lambda code: (-stats.revenue[code], code))


def main_revenue(stats: OrderStats) -> Decimal:
    """Revenue in the main currency (0 without revenue); other currencies are left out, not converted."""
    currency = main_currency(stats)
    return stats.revenue[currency] if currency is not None else Decimal(0)


def rfm(stats: OrderStats, now: datetime, policy: TierPolicy) -> Rfm | None:
    """The contact's RFM scores at ``now``; None when it has no counted order."""
    days = _days_since_last_order(stats, now)
    if days is None:
        return None
    recency = 5 - _reached(days, policy.recency_days)
    frequency = 1 + _reached(stats.count, policy.frequency_orders)
    monetary = 1 + _reached(main_revenue(stats), policy.monetary)
    return Rfm(recency=recency, frequency=frequency, monetary=monetary)


def clv(stats: OrderStats, now: datetime, policy: TierPolicy) -> Decimal | None:
    """Average order value * orders per year * ``expected_lifetime_years``, in the main currency,
    rounded to cents; None when the contact has no counted order.

    Orders per year = orders / years since the first order, at least one year: a first order
    yesterday is not 365 orders a year. The order count cancels out, so this is the yearly revenue
    in the main currency times the expected lifetime (which also keeps orders in other currencies
    from diluting the average order value).
    """
    _require_aware(now, "now")
    if stats.count <= 0 or stats.first_order_at is None:
        return None
    first = _require_aware(stats.first_order_at, "first_order_at")
    history = max(now - first, _YEAR)
    years = Decimal(history // _MICROSECOND) / Decimal(_YEAR // _MICROSECOND)
    value = main_revenue(stats) / years * policy.expected_lifetime_years
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def tier(stats: OrderStats, now: datetime, policy: TierPolicy, vip_threshold: Decimal | None) -> Tier | None:
    """The contact's tier at ``now``; None when it has no counted order.

    Precedence: lapsed, at_risk, vip, repeat, first_time: time since the last order outranks value
    (a VIP who stopped buying is lapsed). VIP needs a threshold (None: no population to rank
    against yet, nobody is VIP) and a CLV above zero that reaches it.
    """
    days = _days_since_last_order(stats, now)
    if days is None:
        return None
    if days >= policy.lapsed_after:
        return "lapsed"
    if days >= policy.at_risk_after:
        return "at_risk"
    if vip_threshold is not None and reaches_vip(clv(stats, now, policy), vip_threshold):
        return "vip"
    return "repeat" if stats.count >= 2 else "first_time"


def reaches_vip(value: Decimal | None, vip_threshold: Decimal | None) -> bool:
    """Whether a CLV makes a contact VIP (before time outranks it: `tier`): above zero and at least
    the threshold; never without a threshold. The refresh pass asks it of the old and the new
    threshold to find the contacts a moved threshold changes."""
    return value is not None and vip_threshold is not None and value > 0 and value >= vip_threshold


def vip_threshold(values: Iterable[Decimal], top_percent: Decimal | int) -> Decimal | None:
    """The CLV a contact needs to be in the top ``top_percent`` % of ``values``; None when empty.

    The top N % is ceil(N % of the count) values, at least one: with 100 values and 5 %, the 5th
    highest. Every value equal to the threshold reaches it, so ties may make VIPs slightly more
    than N %.
    """
    percent = Decimal(top_percent)
    if not 0 < percent <= 100:
        raise ValueError("top_percent: must be above 0 and at most 100")
    ranked = sorted(values, reverse=True)
    if not ranked:
        return None
    top = int((len(ranked) * percent / 100).to_integral_value(rounding=ROUND_CEILING))
    return ranked[max(top, 1) - 1]


def _days_since_last_order(stats: OrderStats, now: datetime) -> int | None:
    """Whole UTC calendar days from the last order to ``now`` (0 on the same day, never negative)."""
    _require_aware(now, "now")
    if stats.count <= 0 or stats.last_order_at is None:
        return None
    last = _require_aware(stats.last_order_at, "last_order_at")
    return max((now.astimezone(UTC).date() - last.astimezone(UTC).date()).days, 0)


def _reached(value: int | Decimal, breakpoints: Iterable[int | Decimal]) -> int:
    """How many breakpoints ``value`` has reached (0-4)."""
    return sum(1 for point in breakpoints if value >= point)


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: a time-zone aware datetime is required")
    return value

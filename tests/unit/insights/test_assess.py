"""The assessment ProcessFunction runs after each event (nurture.insights.assess): pure, on real
canonical events planned onto real profiles, with the shipped model, segments and weights."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nurture.events import CanonicalEvent, ContactRefresh, ScoreCrossed, SegmentChange, derive_event_id, parse_event
from nurture.insights.assess import NOT_ASSESSED, assess, default_config, derived_events
from nurture.journeys.views import event_view, profile_view
from nurture.profiles.model import Profile
from nurture.profiles.planning import plan_update
from tests.insight_events import event, subscribed, viewed, warming_up

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
CONTACT = "c1"
CONFIG = default_config()


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def ordered(when: datetime, number: int, total: str = "120.00") -> CanonicalEvent:
    order = {"order_id": f"o{number}", "currency": "USD", "total": total}
    return event("order.placed", when, number, order=order)


class Contact:
    """A contact's life through plan_update + assess, as ProfileRepository.apply runs them."""

    def __init__(self) -> None:
        self.profile: Profile | None = None
        self.log: list[dict[str, Any]] = []
        self.derived: list[CanonicalEvent] = []
        self.vip_threshold: Decimal | None = None

    def apply(self, happened: CanonicalEvent, now: datetime | None = None) -> Any:
        now = now or happened.occurred_at
        change = plan_update(self.profile, happened, contact_id=CONTACT, now=now)
        assessment = assess(CONFIG, change.after, happened, list(self.log), now, self.vip_threshold)
        self.profile = replace(change.after, insights=assessment.insights)
        self.log.append(event_view(happened))
        self.derived.extend(derived_events(CONTACT, happened, assessment, CONFIG.model))
        return assessment

    @property
    def view(self) -> dict[str, Any]:
        assert self.profile is not None
        return profile_view(self.profile)


def test_a_lead_browsing_scores_acquisition_with_its_explanation_and_no_tier() -> None:
    lead = Contact()
    lead.apply(subscribed(at(), 1))
    assessment = lead.apply(viewed(at(hours=1), 2))

    insights = assessment.insights
    assert insights.at == at(hours=1)
    explanation = {line["rule"]: line["points"] for line in insights.scores.explanation("acquisition", at(hours=1))}
    assert explanation["viewed_product"] == 3.0
    assert explanation["email_subscribed"] == 10.0
    assert lead.view["scores"]["acquisition"] == insights.scores.value("acquisition", at(hours=1))
    assert lead.view["tier"] is None and lead.view["clv"] is None  # no counted order
    assert insights.value is None
    # behaviour points decay daily: due at the next UTC midnight
    assert insights.due_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert 0 < (insights.predicted_order_30d or 0) < 1


def test_three_views_in_a_week_enter_hot_browsers_and_an_order_exits_it() -> None:
    lead = Contact()
    lead.apply(viewed(at(0), 1))
    lead.apply(viewed(at(1), 2))
    third = lead.apply(viewed(at(2), 3))

    assert third.entered == ("hot_browsers",)
    assert lead.view["segments"] == ["hot_browsers"]
    assert lead.profile is not None and lead.profile.insights is not None
    stay = lead.profile.insights.segments["hot_browsers"]
    assert stay.since == at(2)
    assert stay.until == at(7)  # the third-newest view leaves the 7-day window
    assert lead.profile.insights.due_at == datetime(2026, 3, 5, tzinfo=UTC)  # decay comes first

    fourth = lead.apply(viewed(at(3), 4))
    assert (fourth.entered, fourth.exited) == ((), ())
    assert lead.profile.insights.segments["hot_browsers"].since == at(2)  # kept while inside

    order = lead.apply(ordered(at(4), 5))
    assert order.exited == ("hot_browsers",)
    assert "hot_browsers" not in lead.view["segments"]
    assert [type(d).__name__ for d in lead.derived].count("SegmentChange") == 2


def test_time_alone_takes_a_contact_out_of_a_segment_on_refresh() -> None:
    lead = Contact()
    for number in range(1, 4):
        lead.apply(viewed(at(number - 1), number))
    assert lead.view["segments"] == ["hot_browsers"]

    refresh = ContactRefresh(
        event_id="r1",
        source="nurture",
        store="refresh",
        source_topic="contact.refresh",
        occurred_at=at(8),
        contact_id=CONTACT,
        due_at=at(7),
    )
    assessment = lead.apply(refresh, at(8))
    assert assessment.exited == ("hot_browsers",)
    # refresh only decays: viewed_product holds 9 points decayed, nothing added
    points = {line["rule"]: line["points"] for line in assessment.insights.scores.explanation("acquisition", at(8))}
    assert 0 < points["viewed_product"] < 9


def test_a_score_crossing_sales_ready_is_one_event_with_a_deterministic_id() -> None:
    lead = Contact()
    lead.apply(subscribed(at(), 1))
    crossed: list[Any] = []
    for happened in warming_up(at()):
        crossed.extend(lead.apply(happened).crossed)
    names = [(c.score, c.threshold, c.direction) for c in crossed]
    assert ("acquisition", "warm", "up") in names
    assert ("acquisition", "sales_ready", "up") in names
    assert names.count(("acquisition", "sales_ready", "up")) == 1
    alerts = [d for d in lead.derived if isinstance(d, ScoreCrossed) and d.threshold == "sales_ready"]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.value >= 70 and alert.threshold_value == 70
    assert alert.contact_id == CONTACT and alert.source == "nurture" and alert.store == "scoring"
    # the same cause derives the same ids (a redelivery is applied once downstream)
    assert parse_event(alert.model_dump_json()) == alert


def test_derived_event_ids_follow_the_cause() -> None:
    lead = Contact()
    lead.apply(viewed(at(0), 1))
    lead.apply(viewed(at(1), 2))
    change = plan_update(lead.profile, viewed(at(2), 3), contact_id=CONTACT, now=at(2))
    one = assess(CONFIG, change.after, viewed(at(2), 3), lead.log, at(2), None)
    first = derived_events(CONTACT, viewed(at(2), 3), one, CONFIG.model)
    again = derived_events(CONTACT, viewed(at(2), 3), one, CONFIG.model)
    other = derived_events(CONTACT, viewed(at(2), 99), one, CONFIG.model)
    assert [d.event_id for d in first] == [d.event_id for d in again]
    assert {d.event_id for d in first}.isdisjoint(d.event_id for d in other)
    assert all(isinstance(d, SegmentChange) for d in first)
    assert {d.occurred_at for d in first} == {at(2)}  # when the cause happened


@pytest.mark.parametrize(
    ("orders", "tier", "due"),
    [
        # one order of 120: first_time, at risk 60 UTC days after the order's day
        ([(0, "120.00")], "first_time", datetime(2026, 5, 1, tzinfo=UTC)),
        ([(0, "50.00"), (5, "60.00")], "repeat", datetime(2026, 5, 6, tzinfo=UTC)),
    ],
)
def test_orders_give_a_tier_rfm_and_clv_and_the_day_time_changes_it(
    orders: list[tuple[int, str]], tier: str, due: datetime
) -> None:
    customer = Contact()
    for number, (day, total) in enumerate(orders, start=1):
        customer.apply(ordered(at(day), number, total))
    view = customer.view
    assert view["tier"] == tier
    assert view["rfm"]["recency"] == 5
    assert view["clv"] == pytest.approx(float(sum(Decimal(total) for _, total in orders) * 3))
    # no behaviour points on acquisition, loyalty has some: decay is due first, the tier change after
    refresh = ContactRefresh(
        event_id="r",
        source="nurture",
        store="refresh",
        source_topic="contact.refresh",
        occurred_at=due - timedelta(hours=1),
        contact_id=CONTACT,
        due_at=due,
    )
    customer.apply(refresh, due - timedelta(hours=1))
    assert customer.view["tier"] == tier  # not yet
    customer.apply(replace_id(refresh, "r2"), due)
    assert customer.view["tier"] == "at_risk"


def replace_id(refresh: ContactRefresh, event_id: str) -> ContactRefresh:
    return refresh.model_copy(update={"event_id": event_id})


def test_a_vip_threshold_makes_a_large_customer_vip() -> None:
    customer = Contact()
    customer.vip_threshold = Decimal("300")
    customer.apply(ordered(at(), 1, "120.00"))
    assert customer.view["tier"] == "vip"  # CLV 360 >= 300
    customer.vip_threshold = Decimal("400")
    customer.apply(viewed(at(1), 2))
    assert customer.view["tier"] == "first_time"


def test_nurtures_own_conclusions_are_not_assessed() -> None:
    assert {"score.crossed", "segment.entered", "segment.exited", "contact.birthday", "product.browsed"} == NOT_ASSESSED
    assert "contact.refresh" not in NOT_ASSESSED


def test_the_history_reads_the_segments_and_predictive_types_for_30_days() -> None:
    history = CONFIG.history
    assert history is not None
    assert history.window == timedelta(days=30)
    assert {"product.viewed", "order.placed", "email.clicked", "email.opened", "email.bounced"} <= history.types
    # browse abandonment reads the carts and checkouts
    assert {"cart.updated", "checkout.started", "checkout.updated", "checkout.completed"} <= history.types


def test_without_segments_or_weights_the_history_still_reads_a_day_for_browse_abandonment() -> None:
    history = replace(CONFIG, segments={}, predictive=None).history
    assert history is not None
    assert history.window == timedelta(hours=24)
    assert history.types == {
        "product.viewed",
        "cart.updated",
        "checkout.started",
        "checkout.updated",
        "checkout.completed",
    }
    assert replace(CONFIG, segments={}, predictive=None, browse=False).history is None


def test_the_profile_item_reader_knows_every_tier() -> None:
    from nurture.adapters.dynamodb_profile_items import _TIERS
    from nurture.scoring.tiers import TIERS

    assert tuple(_TIERS) == TIERS


def engagement(kind: str, when: datetime, number: int) -> CanonicalEvent:
    return parse_event(
        {
            "type": kind,
            "event_id": f"m{number}",
            "source": "nurture",
            "store": "ses",
            "source_topic": kind,
            "occurred_at": when.isoformat(),
            "contact_id": CONTACT,
            "message": {"message_id": f"msg{number}"},
        }
    )


def refresh_at(when: datetime) -> ContactRefresh:
    return ContactRefresh(
        event_id=f"r{when.isoformat()}",
        source="nurture",
        store="refresh",
        source_topic="contact.refresh",
        occurred_at=when,
        contact_id=CONTACT,
        due_at=when,
    )


def test_a_silent_subscriber_is_due_the_instant_it_turns_dormant_and_enters_then() -> None:
    subscriber = Contact()
    assert subscriber.apply(subscribed(at(), 1)).insights.due_at == at(180)  # no behaviour points to decay
    assert subscriber.apply(refresh_at(at(180))).entered == ("dormant_subscribers",)

    reader = Contact()
    reader.apply(subscribed(at(), 1))
    reader.apply(engagement("email.opened", at(40), 2))
    reader.apply(engagement("email.clicked", at(100), 3))
    assert reader.view["engagement"]["last_engaged_at"] == at(100).isoformat()

    # the refresh pass wakes the contact at each due_at (daily while the click's points decay), and
    # one wake-up is the instant it has been silent for 180 days
    woken_at: list[datetime] = []
    entered: tuple[str, ...] = ()
    while not entered:
        assert reader.profile is not None and reader.profile.insights is not None
        due = reader.profile.insights.due_at
        assert due is not None and due <= at(280), due
        woken_at.append(due)
        entered = reader.apply(refresh_at(due)).entered
    assert woken_at[-1] == at(280)
    assert entered == ("dormant_subscribers",)
    assert reader.derived[-1].type == "segment.entered"
    assert reader.profile is not None and reader.profile.insights is not None
    assert reader.profile.insights.segments["dormant_subscribers"].until is None  # only engagement ends it
    # an open brings the contact back
    assert reader.apply(engagement("email.opened", at(281), 4)).exited == ("dormant_subscribers",)


# ---- Browse abandonment: product.browsed ----

MUG = {"product_id": "mug", "title": "Blue mug", "unit_price": "29.90", "currency": "USD", "url": "https://s/mug"}


def viewed_mug(when: datetime, number: int) -> CanonicalEvent:
    return event("product.viewed", when, number, product=MUG)


def carted(kind: str, when: datetime, number: int, product_id: str = "mug") -> CanonicalEvent:
    line = {"product_id": product_id, "title": "x", "quantity": 1, "unit_price": "29.90"}
    basket = "cart" if kind == "cart.updated" else "checkout"
    return event(kind, when, number, **{basket: {"token": f"t{number}", "line_items": [line]}})


def browsed(contact: Contact) -> list[CanonicalEvent]:
    return [derived for derived in contact.derived if derived.type == "product.browsed"]


@pytest.mark.parametrize(
    ("history", "last_view", "derives"),
    [
        pytest.param([viewed_mug(at(hours=1), 1)], at(hours=3), True, id="the second view in a day"),
        pytest.param([], at(hours=3), False, id="a first view"),
        pytest.param(
            [viewed_mug(at(hours=1), 1), viewed_mug(at(hours=2), 2)], at(hours=3), False, id="a third view: not again"
        ),
        pytest.param([viewed_mug(at(hours=1), 1)], at(hours=26), False, id="views 25 hours apart"),
        pytest.param(
            [viewed_mug(at(hours=1), 1), viewed_mug(at(hours=27), 2)],
            at(hours=28),
            True,
            id="the first view out of the window: the second of this day",
        ),
        pytest.param([viewed(at(hours=1), 1)], at(hours=3), False, id="another product viewed before"),
        pytest.param(
            [viewed_mug(at(hours=1), 1), carted("cart.updated", at(hours=2), 2)], at(hours=3), False, id="in a cart"
        ),
        pytest.param(
            [carted("checkout.started", at(hours=0), 2), viewed_mug(at(hours=1), 1)],
            at(hours=3),
            False,
            id="in a checkout",
        ),
        pytest.param(
            [viewed_mug(at(hours=1), 1), carted("checkout.updated", at(hours=2), 2, product_id="hat")],
            at(hours=3),
            True,
            id="a cart of other products",
        ),
        pytest.param(
            [carted("cart.updated", at(hours=-30), 2), viewed_mug(at(hours=1), 1)],
            at(hours=3),
            True,
            id="a cart older than a day",
        ),
        pytest.param(
            [
                event(
                    "order.placed",
                    at(hours=-100),
                    9,
                    order={
                        "order_id": "o9",
                        "currency": "USD",
                        "total": "29.90",
                        "line_items": [{"product_id": "mug", "title": "x", "quantity": 1, "unit_price": "29.90"}],
                    },
                ),
                viewed_mug(at(hours=1), 1),
            ],
            at(hours=3),
            False,
            id="ordered before",
        ),
    ],
)
def test_a_product_viewed_twice_in_a_day_without_a_cart_derives_product_browsed(
    history: list[CanonicalEvent], last_view: datetime, derives: bool
) -> None:
    lead = Contact()
    for happened in history:
        lead.apply(happened)

    earlier = len(lead.derived)

    lead.apply(viewed_mug(last_view, 20))

    found = [derived for derived in lead.derived[earlier:] if derived.type == "product.browsed"]
    assert len(found) == (1 if derives else 0)
    if derives:
        [derived] = found
        assert derived.model_dump(mode="json") == {
            "type": "product.browsed",
            "event_id": derive_event_id("nurture", "browse", "product.browsed", f"contact/{CONTACT}/mug", "e20"),
            "source": "nurture",
            "store": "browse",
            "source_topic": "product.browsed",
            "occurred_at": last_view.isoformat().replace("+00:00", "Z"),
            "contact": None,
            "contact_id": CONTACT,
            "product": {**MUG, "variant_id": None, "sku": None, "product_type": None, "categories": []},
        }
        assert parse_event(derived.model_dump_json()) == derived  # it goes through the queue as it is


def test_a_view_processed_late_counts_the_views_before_it_not_after() -> None:
    lead = Contact()
    lead.apply(viewed_mug(at(hours=1), 1))
    lead.apply(viewed_mug(at(hours=5), 2))  # the second view: derived
    # a view that happened between them, processed last: the second of its own window again
    lead.apply(viewed_mug(at(hours=3), 3), now=at(hours=6))

    assert [d.occurred_at for d in browsed(lead)] == [at(hours=5), at(hours=3)]

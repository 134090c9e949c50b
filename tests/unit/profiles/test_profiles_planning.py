"""plan_update: what one canonical event changes in a profile, under the ordering rules."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from profile_events import (
    CUSTOMER_ID,
    EMAIL,
    PHONE,
    STORE,
    at,
    cancelled,
    consent,
    contact,
    fulfilled,
    order,
    paid,
    placed,
    refunded,
    upserted,
)

from nurture.events import CanonicalEvent, ChannelConsent, ConsentChanged, Location
from nurture.profiles.model import OrderKey, OrderRecord, Profile, StoreCustomer
from nurture.profiles.planning import (
    ACTIVITY,
    CONSENT_EMAIL,
    CONSENT_SMS,
    CONTACT,
    CREATED,
    IDENTITY,
    NOT_ACTIVITY,
    ORDER_CANCELLED,
    ORDER_COUNTED,
    ORDER_PAID,
    ORDER_REFUNDED,
    ORDER_UNCOUNTED,
    ORDER_UNPAID,
    ProfileChange,
    order_key,
    plan_update,
)

CONTACT_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


class Replay:
    """Applies events one after another the way the repository does: profile and order records kept."""

    def __init__(self) -> None:
        self.profile: Profile | None = None
        self.orders: dict[OrderKey, OrderRecord] = {}
        self.changes: list[ProfileChange] = []

    def apply(self, event: CanonicalEvent, now: datetime = NOW) -> ProfileChange:
        key = order_key(event)
        change = plan_update(
            self.profile,
            event,
            contact_id=CONTACT_ID,
            now=now,
            order=self.orders.get(key) if key else None,
        )
        self.profile = change.after
        if key is not None and change.order_after is not None:
            self.orders[key] = change.order_after
        self.changes.append(change)
        return change

    def apply_all(self, *events: CanonicalEvent) -> ProfileChange:
        for event in events:
            change = self.apply(event)
        return change


# ---- Creation and contact fields ----


def test_given_no_profile_when_a_contact_is_upserted_then_a_profile_is_created_from_it() -> None:
    event = upserted(at(0), contact(first_name="Ada", last_name="Lovelace", phone=PHONE, locale="en-GB"))

    change = plan_update(None, event, contact_id=CONTACT_ID, now=NOW)

    profile = change.after
    assert change.created
    assert (profile.contact_id, profile.source, profile.store) == (CONTACT_ID, "shopify", STORE)
    assert (profile.email, profile.phone, profile.first_name, profile.last_name) == (
        EMAIL,
        PHONE,
        "Ada",
        "Lovelace",
    )
    assert profile.locale == "en-GB"
    assert profile.customers == frozenset({StoreCustomer("shopify", STORE, CUSTOMER_ID)})
    assert profile.contact_updated_at == at(0)
    assert profile.last_activity_at == at(0)
    assert profile.created_at == profile.updated_at == NOW
    assert set(change.effects) == {CREATED, IDENTITY, CONTACT, ACTIVITY}
    assert not change.email_subscribed


def test_given_a_newer_contact_update_when_an_older_one_arrives_then_the_profile_is_unchanged() -> None:
    replay = Replay()
    newer = replay.apply(upserted(at(2), contact(first_name="New")))

    change = replay.apply(upserted(at(1), contact(first_name="Old", last_name="Stale")))

    assert change.after == newer.after
    assert not change.profile_changed
    assert change.ignored == (CONTACT,)
    assert change.after.first_name == "New"
    assert change.after.last_name is None
    assert change.after.contact_updated_at == at(2)


def test_given_a_contact_update_when_another_has_the_same_time_then_the_first_one_stays() -> None:
    replay = Replay()
    replay.apply(upserted(at(1), contact(first_name="First")))

    change = replay.apply(upserted(at(1), contact(first_name="Second")))

    assert change.after.first_name == "First"
    assert CONTACT in change.ignored


def test_given_a_profile_when_a_newer_update_leaves_fields_out_then_those_fields_keep_their_values() -> None:
    replay = Replay()
    replay.apply(
        upserted(
            at(0),
            contact(
                first_name="Ada",
                phone=PHONE,
                time_zone="Europe/London",
                location=Location(country_code="GB", city="London"),
            ),
        )
    )

    change = replay.apply(upserted(at(1), contact(email=None, last_name="King", location=Location(postal_code="N1"))))

    profile = change.after
    assert (profile.email, profile.phone, profile.first_name, profile.last_name) == (EMAIL, PHONE, "Ada", "King")
    assert profile.time_zone == "Europe/London"
    assert profile.location is not None
    assert (profile.location.country_code, profile.location.city, profile.location.postal_code) == (
        "GB",
        "London",
        "N1",
    )
    assert profile.contact_updated_at == at(1)
    assert profile.updated_at == NOW


def test_given_a_newer_profile_when_an_older_event_names_another_store_customer_id_then_the_id_is_still_added() -> None:
    replay = Replay()
    replay.apply(upserted(at(5)))

    change = replay.apply(upserted(at(1), contact(customer_id="other-9")))

    assert StoreCustomer("shopify", STORE, "other-9") in change.after.customers
    assert IDENTITY in change.effects
    assert CONTACT in change.ignored


def test_given_a_profile_when_an_event_is_applied_then_last_activity_is_the_latest_occurrence() -> None:
    replay = Replay()
    replay.apply(placed(order(), at(3)))

    change = replay.apply(upserted(at(1)))

    assert change.after.last_activity_at == at(3)
    assert ACTIVITY not in change.effects


def test_given_no_change_when_planned_then_updated_at_is_kept() -> None:
    replay = Replay()
    first = replay.apply(upserted(at(1)))

    change = replay.apply(upserted(at(1)), now=datetime(2027, 1, 1, tzinfo=UTC))

    assert change.after.updated_at == first.after.updated_at == NOW


# ---- Consent ----


def test_given_no_consent_when_email_becomes_subscribed_then_email_subscribed_is_true() -> None:
    change = Replay().apply(consent("subscribed", at(0)))

    assert change.email_subscribed
    assert CONSENT_EMAIL in change.effects
    record = change.after.email_consent
    assert record is not None
    assert (record.state, record.changed_at, record.source, record.store) == ("subscribed", at(0), "shopify", STORE)
    assert record.opt_in_level == "single_opt_in"


def test_given_subscribed_when_an_older_unsubscribe_arrives_then_it_is_ignored() -> None:
    replay = Replay()
    replay.apply(consent("subscribed", at(2)))

    change = replay.apply(consent("unsubscribed", at(1)))

    assert change.after.consent_state("email") == "subscribed"
    assert CONSENT_EMAIL in change.ignored
    assert CONSENT_EMAIL not in change.effects
    assert not change.email_subscribed


def test_given_subscribed_when_subscribed_is_reported_again_later_then_it_is_not_a_new_subscription() -> None:
    replay = Replay()
    replay.apply(consent("subscribed", at(1)))

    change = replay.apply(consent("subscribed", at(2)))

    assert change.after.email_consent is not None
    assert change.after.email_consent.changed_at == at(2)
    assert not change.email_subscribed


def test_given_unsubscribed_when_a_newer_subscribe_arrives_then_email_subscribed_is_true_again() -> None:
    replay = Replay()
    replay.apply_all(consent("subscribed", at(1)), consent("unsubscribed", at(2)))

    change = replay.apply(consent("subscribed", at(3)))

    assert change.email_subscribed


def test_given_pending_double_opt_in_when_reported_then_no_welcome_yet() -> None:
    change = Replay().apply(consent("pending", at(0)))

    assert change.after.consent_state("email") == "pending"
    assert not change.email_subscribed


def test_given_no_consent_when_sms_becomes_subscribed_then_only_sms_changes_and_no_welcome() -> None:
    change = Replay().apply(consent("subscribed", at(0), channel="sms"))

    assert change.after.consent_state("sms") == "subscribed"
    assert change.after.email_consent is None
    assert CONSENT_SMS in change.effects
    assert not change.email_subscribed


def test_given_both_channels_when_one_report_is_newer_and_the_other_older_then_each_channel_decides_alone() -> None:
    replay = Replay()
    replay.apply_all(consent("subscribed", at(1), channel="email"), consent("subscribed", at(5), channel="sms"))
    both = ConsentChanged(
        **consent("unsubscribed", at(3)).model_dump(exclude={"email", "sms", "type"}),
        email=ChannelConsent(state="unsubscribed", changed_at=at(3)),
        sms=ChannelConsent(state="unsubscribed", changed_at=at(3)),
    )

    change = replay.apply(both)

    assert change.after.consent_state("email") == "unsubscribed"
    assert change.after.consent_state("sms") == "subscribed"
    assert CONSENT_EMAIL in change.effects
    assert CONSENT_SMS in change.ignored
    assert CONSENT_SMS not in change.effects


# ---- Orders ----


def test_given_a_contact_when_an_order_is_placed_then_it_is_counted_with_its_products_and_categories() -> None:
    change = Replay().apply(placed(order(total="100.00"), at(1)))

    stats = change.after.orders
    assert stats.count == 1
    assert stats.revenue == {"EUR": Decimal("100.00")}
    assert stats.products == frozenset({"p-1"})
    assert stats.categories == frozenset({"drinks", "tea"})
    assert stats.first_order_at == stats.last_order_at == at(1)
    assert change.order_after is not None
    assert (change.order_after.status, change.order_after.counted, change.order_after.placed_at) == (
        "placed",
        True,
        at(1),
    )
    assert ORDER_COUNTED in change.effects


def test_given_a_counted_order_when_placed_is_delivered_again_then_it_is_not_counted_twice() -> None:
    replay = Replay()
    first = replay.apply(placed(order(), at(1)))

    change = replay.apply(placed(order(), at(1)))

    assert change.after.orders == first.after.orders
    assert not change.order_changed
    assert ORDER_COUNTED in change.ignored


def test_given_a_placed_order_when_paid_then_it_is_marked_paid_and_still_counted_once() -> None:
    replay = Replay()
    replay.apply(placed(order(), at(1)))

    change = replay.apply(paid(order(), at(2)))

    assert change.after.orders.count == 1
    assert change.after.orders.revenue == {"EUR": Decimal("100.00")}
    assert change.order_after is not None
    assert (change.order_after.status, change.order_after.paid_at) == ("paid", at(2))
    assert ORDER_PAID in change.effects
    assert ORDER_COUNTED not in change.effects


def test_given_a_counted_order_when_fulfilled_then_only_the_activity_moves() -> None:
    # order.fulfilled starts the post-purchase journeys; the order's counting is its placement's.
    replay = Replay()
    replay.apply(placed(order(), at(1)))
    before = replay.profile
    assert before is not None

    change = replay.apply(fulfilled(order(), at(5)))

    assert change.after.orders == before.orders
    assert change.order_after == change.order_before
    assert change.after.last_activity_at == at(5)
    assert ACTIVITY in change.effects
    assert not [effect for effect in change.effects if effect.startswith("order")]


def test_given_paid_arrives_before_placed_when_both_are_applied_then_the_order_is_counted_once() -> None:
    replay = Replay()
    first = replay.apply(paid(order(), at(2)))

    change = replay.apply(placed(order(), at(1)))

    assert ORDER_COUNTED in first.effects
    assert change.after.orders.count == 1
    assert change.after.orders.revenue == {"EUR": Decimal("100.00")}
    assert change.order_after is not None
    assert (change.order_after.status, change.order_after.placed_at) == ("paid", at(1))


def test_given_a_counted_order_when_cancelled_then_its_count_and_revenue_are_taken_back_but_products_stay() -> None:
    replay = Replay()
    replay.apply_all(placed(order("A", "100.00"), at(1)), placed(order("B", "40.50"), at(2)))

    change = replay.apply(cancelled(order("B", "40.50"), at(3)))

    stats = change.after.orders
    assert stats.count == 1
    assert stats.revenue == {"EUR": Decimal("100.00")}
    assert stats.products == frozenset({"p-1"})
    assert stats.last_order_at == at(2)
    assert change.order_after is not None
    assert (change.order_after.status, change.order_after.counted) == ("cancelled", False)
    assert {ORDER_CANCELLED, ORDER_UNCOUNTED} <= set(change.effects)


def test_given_the_only_order_when_cancelled_then_its_currency_leaves_the_revenue() -> None:
    replay = Replay()
    replay.apply(placed(order(), at(1)))

    change = replay.apply(cancelled(order(), at(2)))

    assert change.after.orders.count == 0
    assert change.after.orders.revenue == {}


def test_given_a_cancellation_arrives_first_when_placed_and_paid_follow_then_the_order_is_never_counted() -> None:
    replay = Replay()
    replay.apply(cancelled(order(), at(3)))

    placed_change = replay.apply(placed(order(), at(1)))
    paid_change = replay.apply(paid(order(), at(2)))

    assert paid_change.after.orders.count == 0
    assert paid_change.after.orders.revenue == {}
    assert paid_change.order_after is not None
    assert paid_change.order_after.status == "cancelled"
    assert (paid_change.order_after.placed_at, paid_change.order_after.paid_at) == (at(1), at(2))
    assert ORDER_COUNTED in placed_change.ignored
    assert ORDER_PAID in paid_change.ignored


def test_given_a_cancelled_order_when_cancelled_again_then_nothing_changes() -> None:
    replay = Replay()
    first = replay.apply_all(placed(order(), at(1)), cancelled(order(), at(2)))

    change = replay.apply(cancelled(order(), at(2)))

    assert change.after.orders == first.after.orders
    assert not change.order_changed
    assert ORDER_CANCELLED in change.ignored


def test_given_orders_in_two_currencies_when_counted_then_revenue_is_kept_per_currency() -> None:
    change = Replay().apply_all(
        placed(order("A", "10.10", "EUR"), at(1)),
        placed(order("B", "20.00", "USD"), at(2)),
        placed(order("C", "0.90", "EUR"), at(3)),
    )

    assert change.after.orders.count == 3
    assert change.after.orders.revenue == {"EUR": Decimal("11.00"), "USD": Decimal("20.00")}
    assert change.after.orders.first_order_at == at(1)
    assert change.after.orders.last_order_at == at(3)


def test_given_a_test_order_when_placed_then_it_is_recorded_but_not_counted() -> None:
    change = Replay().apply(placed(order(is_test=True), at(1)))

    assert change.after.orders.count == 0
    assert change.order_after is not None
    assert (change.order_after.is_test, change.order_after.counted) == (True, False)


# ---- Which orders count: unpaid, refunded ----

UNPAID = order(unpaid=True)

# Events of order 5001 (total 100.00 EUR) in the order they arrive → (count, EUR revenue, counted).
COUNTING_CASES: list[tuple[str, list[CanonicalEvent], int, str | None, bool]] = [
    ("placed unpaid (pending, authorized, on hold)", [placed(UNPAID, at(1))], 0, None, False),
    ("placed unpaid, then paid", [placed(UNPAID, at(1)), paid(order(), at(2))], 1, "100.00", True),
    ("paid, then the unpaid placement arrives late", [paid(order(), at(2)), placed(UNPAID, at(1))], 1, "100.00", True),
    ("placed paid, then fully refunded", [placed(order(), at(1)), refunded(order(), "100.00", at(2))], 0, None, False),
    ("paid, then partly refunded", [paid(order(), at(1)), refunded(order(), "30.00", at(2))], 1, "70.00", True),
    (
        "two partial refunds, the whole amount so far each time",
        [paid(order(), at(1)), refunded(order(), "30.00", at(2)), refunded(order(), "50.00", at(3))],
        1,
        "50.00",
        True,
    ),
    (
        "the older refund report arrives after the newer",
        [paid(order(), at(1)), refunded(order(), "50.00", at(3)), refunded(order(), "30.00", at(2))],
        1,
        "50.00",
        True,
    ),
    (
        "a partial refund before the order counts",
        [refunded(order(), "30.00", at(2)), paid(order(), at(1))],
        1,
        "70.00",
        True,
    ),
    (
        "a full refund before placed and paid",
        [refunded(order(), "100.00", at(3)), placed(order(), at(1)), paid(order(), at(2))],
        0,
        None,
        False,
    ),
    (
        "fully refunded, then a late paid event",
        [placed(order(), at(1)), refunded(order(), "100.00", at(3)), paid(order(), at(2))],
        0,
        None,
        False,
    ),
    (
        "partly refunded, then cancelled",
        [placed(order(), at(1)), refunded(order(), "30.00", at(2)), cancelled(order(), at(3))],
        0,
        None,
        False,
    ),
    ("cancelled, then refunded", [cancelled(order(), at(2)), refunded(order(), "100.00", at(3))], 0, None, False),
    ("a test order paid", [paid(order(is_test=True), at(1))], 0, None, False),
    ("an unpaid placement replayed", [placed(UNPAID, at(1)), placed(UNPAID, at(1))], 0, None, False),
]


@pytest.mark.parametrize(
    ("events", "count", "revenue", "counted"),
    [case[1:] for case in COUNTING_CASES],
    ids=[case[0] for case in COUNTING_CASES],
)
def test_given_order_events_when_applied_then_only_paid_unrefunded_orders_count(
    events: list[CanonicalEvent], count: int, revenue: str | None, counted: bool
) -> None:
    replay = Replay()

    change = replay.apply_all(*events)

    assert change.after.orders.count == count
    assert change.after.orders.revenue == ({} if revenue is None else {"EUR": Decimal(revenue)})
    assert change.order_after is not None
    assert change.order_after.counted is counted


def test_given_an_unpaid_order_when_paid_then_it_counts_from_its_payment() -> None:
    replay = Replay()
    placed_change = replay.apply(placed(UNPAID, at(1)))

    paid_change = replay.apply(paid(order(), at(5)))

    assert ORDER_UNPAID in placed_change.effects
    assert ORDER_COUNTED not in placed_change.effects
    assert placed_change.after.orders.first_order_at is None
    assert ORDER_COUNTED in paid_change.effects
    assert paid_change.after.orders.first_order_at == paid_change.after.orders.last_order_at == at(5)


def test_given_two_orders_when_one_is_partly_then_fully_refunded_then_only_its_share_leaves() -> None:
    replay = Replay()
    replay.apply_all(paid(order("A", "100.00"), at(1)), paid(order("B", "40.00"), at(2)))

    partly = replay.apply(refunded(order("B", "40.00"), "10.00", at(3)))
    fully = replay.apply(refunded(order("B", "40.00"), "40.00", at(4)))

    assert (partly.after.orders.count, partly.after.orders.revenue) == (2, {"EUR": Decimal("130.00")})
    assert ORDER_REFUNDED in partly.effects
    assert ORDER_UNCOUNTED not in partly.effects
    assert (fully.after.orders.count, fully.after.orders.revenue) == (1, {"EUR": Decimal("100.00")})
    assert {ORDER_REFUNDED, ORDER_UNCOUNTED} <= set(fully.effects)
    assert fully.order_after is not None
    assert (fully.order_after.refunded, fully.order_after.counted) == (Decimal("40.00"), False)


def test_given_a_refund_when_replayed_then_nothing_changes() -> None:
    replay = Replay()
    first = replay.apply_all(paid(order(), at(1)), refunded(order(), "30.00", at(2)))

    change = replay.apply(refunded(order(), "30.00", at(2)))

    assert change.after.orders == first.after.orders
    assert not change.order_changed
    assert ORDER_REFUNDED in change.ignored


@pytest.mark.parametrize(
    ("events", "revenue"),
    [
        ((placed(UNPAID, at(1)), paid(order(), at(2)), refunded(order(), "30.00", at(3))), "70.00"),
        ((placed(order(), at(1)), refunded(order(), "30.00", at(3)), refunded(order(), "45.50", at(4))), "54.50"),
        ((placed(order(), at(1)), paid(order(), at(2)), refunded(order(), "100.00", at(3))), None),
    ],
)
def test_given_an_orders_events_in_any_order_and_redelivered_then_the_stats_are_the_same(
    events: tuple[CanonicalEvent, ...], revenue: str | None
) -> None:
    outcomes = set()
    for permutation in itertools.permutations(events):
        replay = Replay()
        # Each delivered twice in a row, as a store retry would, before the next arrives.
        change = replay.apply_all(*(event for event in permutation for _ in range(2)))
        outcomes.add((change.after.orders.count, tuple(sorted(change.after.orders.revenue.items()))))

    expected_revenue = () if revenue is None else (("EUR", Decimal(revenue)),)
    assert outcomes == {(0 if revenue is None else 1, expected_revenue)}


# ---- Guards and privacy ----


def test_given_a_record_of_another_order_when_planning_then_it_is_refused() -> None:
    other = OrderRecord(
        key=OrderKey("shopify", STORE, "other"), status="placed", counted=True, currency="EUR", total=Decimal(1)
    )

    with pytest.raises(ValueError, match="order record"):
        plan_update(None, placed(order(), at(1)), contact_id=CONTACT_ID, now=NOW, order=other)


def test_given_another_contacts_profile_when_planning_then_it_is_refused() -> None:
    profile = Replay().apply(upserted(at(0))).after

    with pytest.raises(ValueError, match="another contact"):
        plan_update(replace(profile, contact_id="someone-else"), upserted(at(1)), contact_id=CONTACT_ID, now=NOW)


def test_given_a_profile_when_printed_then_neither_email_nor_phone_appears() -> None:
    profile = Replay().apply(upserted(at(0), contact(phone=PHONE))).after

    text = repr(profile)

    assert EMAIL not in text
    assert PHONE not in text
    assert CONTACT_ID in text


# ---- Withdrawals are never lost (issue 13) ----

FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def test_given_a_subscribe_dated_in_the_future_when_an_earlier_unsubscribe_arrives_then_the_withdrawal_wins() -> None:
    # A claim from the future (queued before intake bounded timestamps, or within the clock skew
    # intake allows) cannot be ordered against; a withdrawal always beats it.
    replay = Replay()
    replay.apply(consent("subscribed", FUTURE))

    change = replay.apply(consent("unsubscribed", datetime(2026, 5, 1, tzinfo=UTC)))

    assert change.after.consent_state("email") == "unsubscribed"
    assert CONSENT_EMAIL in change.effects


def test_given_a_withdrawal_that_beat_a_future_subscribe_when_it_is_replayed_then_it_stays_withdrawn() -> None:
    replay = Replay()
    replay.apply_all(consent("subscribed", FUTURE), consent("unsubscribed", datetime(2026, 5, 1, tzinfo=UTC)))

    change = replay.apply(consent("subscribed", FUTURE, occurred_at=at(1)))

    assert change.after.consent_state("email") == "unsubscribed"
    assert not change.email_subscribed


@pytest.mark.parametrize("first", ["subscribed", "unsubscribed"])
def test_given_a_subscribe_and_an_unsubscribe_at_the_same_instant_when_applied_in_any_order_then_unsubscribed_wins(
    first: str,
) -> None:
    second = "unsubscribed" if first == "subscribed" else "subscribed"
    replay = Replay()

    change = replay.apply_all(consent(first, at(1), occurred_at=at(1)), consent(second, at(1), occurred_at=at(2)))

    assert change.after.consent_state("email") == "unsubscribed"


def test_given_a_future_subscribe_when_a_later_subscribe_arrives_then_the_ordering_is_unchanged() -> None:
    replay = Replay()
    replay.apply(consent("unsubscribed", at(1)))

    change = replay.apply(consent("subscribed", at(2)))

    assert change.after.consent_state("email") == "subscribed"
    assert change.email_subscribed


# ---- Engagement (derived events, by contact id) ----


def engagement_event(kind: str, hours: float, event_id: str) -> CanonicalEvent:
    from nurture.events import EmailEngagement, MessageRef

    return EmailEngagement(
        type=kind,  # type: ignore[arg-type]
        event_id=event_id,
        source="nurture",
        store="ses",
        source_topic=kind,
        occurred_at=at(hours),
        contact_id=CONTACT_ID,
        message=MessageRef(message_id="m-1"),
    )


def test_given_opens_and_clicks_in_any_order_then_the_latest_of_each_wins() -> None:
    replay = Replay()
    replay.apply(upserted(at(0)))

    replay.apply(engagement_event("email.opened", 3, "o2"))
    late_open = replay.apply(engagement_event("email.opened", 2, "o1"))
    click = replay.apply(engagement_event("email.clicked", 4, "c1"))

    assert replay.profile is not None
    assert replay.profile.engagement.last_open_at == at(3)
    assert replay.profile.engagement.last_click_at == at(4)
    assert "engagement.open" in late_open.ignored
    assert "engagement.click" in click.effects
    assert replay.profile.last_activity_at == at(4)


def test_given_a_delivery_event_then_nothing_changes_it_is_not_the_contacts_doing() -> None:
    replay = Replay()
    replay.apply(upserted(at(0)))

    change = replay.apply(engagement_event("email.delivered", 1, "d1"))

    assert change.effects == ()
    assert change.after == change.before


def not_the_contacts_doing(kind: str, hours: float) -> CanonicalEvent:
    from nurture.events import ContactLapsed, ContactRefresh, SegmentChange

    envelope = {"event_id": f"{kind}-1", "source": "nurture", "occurred_at": at(hours), "contact_id": CONTACT_ID}
    if kind == "contact.refresh":
        return ContactRefresh(store="refresh", source_topic="refresh", due_at=at(hours), **envelope)
    if kind == "contact.lapsed":
        return ContactLapsed(store="scan", source_topic="scan/lapsed", last_order_at=at(0), days=90, **envelope)
    return SegmentChange(type="segment.entered", store="segments", source_topic="segments", segment="s", **envelope)


@pytest.mark.parametrize("kind", ["contact.refresh", "contact.lapsed", "segment.entered"])
def test_what_nurture_derives_never_moves_last_activity(kind: str) -> None:
    # The hourly refresh alone would otherwise keep every contact "active" (the predictive score).
    assert kind in NOT_ACTIVITY
    replay = Replay()
    replay.apply(upserted(at(0)))
    replay.apply(engagement_event("email.clicked", 1, "c1"))

    change = replay.apply(not_the_contacts_doing(kind, 30))

    assert ACTIVITY not in change.effects
    assert replay.profile is not None and replay.profile.last_activity_at == at(1)


def test_given_subscribed_when_a_later_pending_sign_up_arrives_then_the_contact_stays_subscribed() -> None:
    replay = Replay()
    replay.apply(consent("subscribed", at(1)))

    change = replay.apply(consent("pending", at(2)))

    assert change.after.consent_state("email") == "subscribed"
    assert CONSENT_EMAIL in change.ignored


def test_given_unsubscribed_when_a_later_pending_sign_up_arrives_then_it_is_pending() -> None:
    replay = Replay()
    replay.apply(consent("unsubscribed", at(1)))

    change = replay.apply(consent("pending", at(2)))

    assert change.after.consent_state("email") == "pending"


def _preferences(occurred: datetime, topics: tuple[str, ...] | None, paused_until: datetime | None) -> ConsentChanged:
    return ConsentChanged.model_validate(
        {
            "event_id": f"p-{occurred.isoformat()}",
            "source": "nurture",
            "store": "consent",
            "source_topic": "preferences",
            "occurred_at": occurred,
            "contact_id": CONTACT_ID,
            "unsubscribed_topics": topics,
            "paused_until": paused_until,
        }
    )


def test_preferences_are_taken_and_only_a_newer_report_replaces_them() -> None:
    replay = Replay()
    replay.apply(consent("subscribed", at(0)))

    first = replay.apply(_preferences(at(2), ("offers",), at(30)))
    older = replay.apply(_preferences(at(1), (), None))
    newer = replay.apply(_preferences(at(3), ("newsletter", "offers"), None))

    assert (first.after.unsubscribed_topics, first.after.paused_until) == (frozenset({"offers"}), at(30))
    assert "preferences" in older.ignored and older.after.unsubscribed_topics == frozenset({"offers"})
    # a report without a pause keeps the pause; consent is untouched
    assert (newer.after.unsubscribed_topics, newer.after.paused_until) == (frozenset({"newsletter", "offers"}), at(30))
    assert newer.after.consent_state("email") == "subscribed"


# ---- SMS keyword replies (source sms, the contact named by phone) ----


def _keyword(body: str, hours: float) -> ConsentChanged:
    from nurture.messaging import sms_feedback
    from tests.sms_events import inbound_sms

    inbound = sms_feedback.inbound_of(inbound_sms(PHONE, body, inbound_id=f"in-{hours}", at=at(hours)))
    state = sms_feedback.keyword_consent(body)
    assert state is not None
    return sms_feedback.consent_event(inbound, state)


def test_a_stop_reply_withdraws_sms_consent_and_leaves_email_alone() -> None:
    replay = Replay()
    replay.apply_all(consent("subscribed", at(0), channel="email"), consent("subscribed", at(1), channel="sms"))
    change = replay.apply(_keyword("STOP", 2))
    assert change.after.consent_state("sms") == "unsubscribed"
    assert change.after.consent_state("email") == "subscribed"
    assert change.after.sms_consent is not None and change.after.sms_consent.source == "sms"
    assert change.after.phone == PHONE
    # And START restores it, later
    assert replay.apply(_keyword("start", 3)).after.consent_state("sms") == "subscribed"


def test_a_stop_from_a_number_nobody_has_creates_an_unsubscribed_contact() -> None:
    change = Replay().apply(_keyword("Stop please", 0))
    assert change.created and (change.after.source, change.after.store) == ("sms", "sms")
    assert change.after.phone == PHONE
    assert change.after.consent_state("sms") == "unsubscribed"
    assert change.after.consent_state("email") is None


def test_order_dates_are_recomputed_from_the_orders_that_still_count() -> None:
    from nurture.profiles.model import OrderKey, OrderRecord, OrderStats
    from nurture.profiles.planning import with_order_dates

    def record(name: str, counted: bool, **times: datetime) -> OrderRecord:
        return OrderRecord(OrderKey("shopify", STORE, name), "paid", counted, "EUR", Decimal(10), **times)

    stats = OrderStats(count=2, first_order_at=at(1), last_order_at=at(9))
    records = [
        record("a", True, placed_at=at(1), counted_at=at(2)),  # counted when paid, after placement
        record("b", False, placed_at=at(9), counted_at=at(9)),  # taken back out
        record("c", True, paid_at=at(5)),  # counted before counting times were kept: its payment
    ]
    assert with_order_dates(stats, records) == OrderStats(count=2, first_order_at=at(2), last_order_at=at(5))
    assert with_order_dates(stats, records[1:2]) == OrderStats(count=2)  # none counts: no dates

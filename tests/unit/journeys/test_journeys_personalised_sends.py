"""Send variants, offers and recommendations (docs/offers.md) and the consent-withdrawing update step:
the step function's decisions with in-memory ports."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from nurture.events import CanonicalEvent, ConsentChanged
from nurture.journeys.definition import RecommendSpec, load_journey
from nurture.journeys.enrolments import Enrolment
from nurture.journeys.errors import EnrolmentEnded
from nurture.journeys.tasks import JourneySteps, StepRequest
from nurture.messaging.claims import SendKey
from nurture.messaging.personal import Personalisation
from nurture.messaging.sending import SendRequest, SendResult
from nurture.offers.personalise import Personaliser
from tests.unit.journeys.test_journeys_tasks import Enrolments, Lists, Profiles
from tests.unit.messaging.fake_log import FakeLog

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

LIBRARY = load_journey(
    """
id: offers
name: Offers
trigger: {event: order.placed}
steps:
  - send:
      id: round_1
      template: offers/lesson
      variants:
        - when: [{field: profile.scores.acquisition, gte: 70}]
          template: offers/offer
          topic: offers
          offer: {pool: first_order}
          completes: true
        - when: [{field: profile.orders.count, gte: 1}]
          template: offers/customer
  - send:
      id: cart
      offer:
        pool: cart_recovery
        when: [{field: enrolment.data.checkout.total, gte: 75}]
        products: enrolment.data.checkout.line_items
  - send:
      id: picks
      recommend: {seed: bought, count: 2, skip_when_empty: true}
  - update:
      id: sunset
      email_consent: unsubscribed
""",
    source="test",
)


@dataclass
class Sender:
    """Lets every message go: calls ``personalise`` as the real sender does once the rules allow it."""

    sent: list[tuple[SendRequest, Personalisation | None]] = field(default_factory=list)
    verdict: str = "sent"

    def send(self, request: SendRequest) -> SendResult:
        if self.verdict != "sent":
            self.sent.append((request, None))
            return SendResult(self.verdict, "topic_unsubscribed")
        personal = request.personalise() if request.personalise is not None else None
        self.sent.append((request, personal))
        if personal is not None and personal.skip_reason is not None:
            return SendResult("skipped", personal.skip_reason)
        return SendResult("sent", None, "ses-1", channel="email")


@dataclass
class Store:
    items: dict[SendKey, Personalisation] = field(default_factory=dict)

    def get(self, key: SendKey) -> Personalisation | None:
        return self.items.get(key)

    def put_first(self, key: SendKey, personal: Personalisation, *, at: str) -> Personalisation:
        return self.items.setdefault(key, personal)


@dataclass(frozen=True)
class Claimed:
    status: Literal["claimed", "pool_empty"]
    code: str | None
    expires_at: str | None = None


@dataclass
class Codes:
    available: list[str] = field(default_factory=lambda: ["CODE-1", "CODE-2"])
    claims: dict[str, str] = field(default_factory=dict)

    def claim(self, pool: str, contact_id: str, claim_key: str, at: datetime) -> Claimed:
        if claim_key in self.claims:
            return Claimed("claimed", self.claims[claim_key])
        if not self.available:
            return Claimed("pool_empty", None)
        self.claims[claim_key] = self.available.pop(0)
        return Claimed("claimed", self.claims[claim_key])


@dataclass
class Picks:
    products: list[dict[str, Any]] = field(default_factory=list)

    def recommend(self, contact_id: str, spec: RecommendSpec, views: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        return self.products[: spec.count]


@dataclass
class Queue:
    events: list[CanonicalEvent] = field(default_factory=list)

    def send(self, events: Sequence[CanonicalEvent]) -> None:
        self.events.extend(events)


def world(
    profile: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    just_bought: bool = False,
    picks: list[dict[str, Any]] | None = None,
) -> tuple[JourneySteps, Sender, Store, Codes, Enrolments]:
    enrolments = Enrolments()
    enrolments.states["c-ada", "offers-c-ada-1"] = Enrolment(
        "offers", "c-ada", 1, None, trigger_event_id="e-1", started_at=T0, data=data or {}
    )
    sender, store, codes = Sender(), Store(), Codes()
    personaliser = Personaliser(
        store=store,
        codes=codes,
        recommender=Picks(picks or []),
        discounts={"cart_recovery": "10% off this cart", "first_order": "10% off"},
        just_bought=lambda contact_id, products, views, now: just_bought,
    )
    steps = JourneySteps(
        {"offers": LIBRARY},
        enrolments,
        sender,
        Lists(),
        Profiles(profile if profile is not None else {"orders": {"count": 0}, "scores": {}}),
        FakeLog(),
        clock=lambda: T0,
        personaliser=personaliser,
        events=Queue(),
    )
    return steps, sender, store, codes, enrolments


def request(action: str, step: str) -> StepRequest:
    return StepRequest.from_event(
        {
            "action": action,
            "journey": "offers",
            "step": step,
            "contact_id": "c-ada",
            "enrolment": {"id": "offers-c-ada-1", "key": None, "occurrence": 1},
            "execution": "arn:exec",
        }
    )


@pytest.mark.parametrize(
    ("profile", "template", "topic"),
    [
        ({"orders": {"count": 0}, "scores": {}}, "offers/lesson", None),  # no score yet: the default
        ({"orders": {"count": 2}, "scores": {"acquisition": 12}}, "offers/customer", None),
        ({"orders": {"count": 2}, "scores": {"acquisition": 71}}, "offers/offer", "offers"),  # first that holds
    ],
)
def test_the_first_variant_that_holds_gives_the_template_and_topic(
    profile: dict[str, Any], template: str, topic: str | None
) -> None:
    steps, sender, *_ = world(profile)
    with contextlib.suppress(EnrolmentEnded):
        steps.run(request("send", "round_1"))
    sent, _ = sender.sent[0]
    assert (sent.template, sent.message.topic) == (template, topic)


def test_a_completing_variant_ends_the_journey_completed_after_its_send() -> None:
    steps, sender, _store, _codes, enrolments = world({"orders": {"count": 0}, "scores": {"acquisition": 80}})
    with pytest.raises(EnrolmentEnded, match="completed"):
        steps.run(request("send", "round_1"))
    assert enrolments.states["c-ada", "offers-c-ada-1"].status == "completed"
    _, personal = sender.sent[0]
    assert personal is not None and personal.variant == 1
    assert personal.offer == {"code": "CODE-1", "pool": "first_order", "discount": "10% off", "expires_at": None}


def test_a_variant_chosen_once_is_kept_by_a_retry_even_if_the_profile_moved() -> None:
    steps, sender, _store, *_ = world({"orders": {"count": 0}, "scores": {"acquisition": 80}})
    with pytest.raises(EnrolmentEnded):
        steps.run(request("send", "round_1"))
    # The score fell meanwhile; the retried task renders the message it decided (and its code).
    enrolments = steps.enrolments
    assert isinstance(enrolments, Enrolments)
    key = ("c-ada", "offers-c-ada-1")
    enrolments.states[key] = dataclasses.replace(enrolments.states[key], status="running")
    steps.profiles.profile = {"orders": {"count": 0}, "scores": {"acquisition": 10}}  # type: ignore[attr-defined]
    with pytest.raises(EnrolmentEnded):
        steps.run(request("send", "round_1"))
    assert [request.template for request, _ in sender.sent] == ["offers/offer", "offers/offer"]
    assert sender.sent[0][1] == sender.sent[1][1]


@pytest.mark.parametrize(
    ("total", "just_bought", "offer_reason", "code"),
    [
        (120, False, "claimed", "CODE-1"),
        (40, False, "not_eligible", None),  # under the configured cart value
        (120, True, "just_bought", None),  # never a discount on what the contact just bought
    ],
)
def test_a_cart_offer_needs_the_value_and_never_discounts_what_was_just_bought(
    total: int, just_bought: bool, offer_reason: str, code: str | None
) -> None:
    data = {"checkout": {"total": total, "line_items": [{"product_id": "p-1", "title": "Mug"}]}}
    steps, sender, _store, codes, _ = world(data=data, just_bought=just_bought)
    steps.run(request("send", "cart"))
    _, personal = sender.sent[0]
    assert personal is not None and personal.offer_reason == offer_reason
    assert (personal.offer or {}).get("code") == code
    assert len(codes.claims) == (1 if code else 0)  # no code is used up without a discount


def test_an_empty_pool_sends_the_no_discount_version_and_says_why() -> None:
    data = {"checkout": {"total": 120, "line_items": []}}
    steps, sender, store, codes, _ = world(data=data)
    codes.available.clear()
    assert steps.run(request("send", "cart")).status == "sent"
    _, personal = sender.sent[0]
    assert personal is not None and (personal.offer, personal.offer_reason) == (None, "pool_empty")
    assert store.items  # the reason is kept with the send


def test_a_skipped_send_claims_no_code() -> None:
    steps, sender, store, codes, _ = world(data={"checkout": {"total": 120}})
    sender.verdict = "skipped"
    steps.run(request("send", "cart"))
    assert codes.claims == {} and store.items == {}


def test_recommendations_are_stored_and_a_send_without_any_is_skipped() -> None:
    mug = {"product_id": "p-2", "title": "Mug", "url": "https://shop.example/mug", "unit_price": "9", "currency": "EUR"}
    steps, sender, store, *_ = world(picks=[mug])
    assert steps.run(request("send", "picks")).status == "sent"
    assert sender.sent[0][1] is not None and list(sender.sent[0][1].recommendations) == [mug]

    steps, sender, store, *_ = world(picks=[])
    output = steps.run(request("send", "picks"))
    assert (output.status, output.reason) == ("skipped", "no_recommendations")
    assert store.items == {}


def test_an_update_withdrawing_consent_queues_one_consent_changed_event_a_retry_repeats() -> None:
    steps, *_ = world()
    steps.run(request("update", "sunset"))
    steps.run(request("update", "sunset"))
    queue = steps.events
    assert isinstance(queue, Queue)
    first, again = queue.events
    assert isinstance(first, ConsentChanged)
    assert first.event_id == again.event_id  # the same event: ProcessFunction applies it once
    assert first.contact_id == "c-ada" and first.email is not None and first.email.state == "unsubscribed"
    assert first.proof is not None and first.proof.method == "journey"
    assert (first.source, first.store, first.source_topic) == ("nurture", "journey", "journey/offers")

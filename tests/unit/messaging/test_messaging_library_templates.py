"""Every template set a catalogue journey can send (each send step's and each of its variants'),
rendered with the contexts a send can give it (docs/offers.md): no offer, a claimed code,
recommendations, nearby places. Also the pools the catalogue names exist in config/pools.yaml."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nurture.capture import shopify
from nurture.config import SHIPPED_CONFIG_DIR
from nurture.events import CheckoutStarted, OrderPlaced
from nurture.journeys.catalogue import load_catalogue
from nurture.journeys.definition import SendSpec, SendStep, walk_steps
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.rendering import has_opt_out, render_email, render_sms
from nurture.offers.pools import load_pools
from tests.third_party import fixture_json

STORE = "acme-outfitters.myshopify.com"
UNSUBSCRIBE = "https://acme.example/u?t=1"
OFFER = {"code": "GIFT-7Q2K9", "discount": "15% off your next order", "pool": "welcome", "expires_at": None}
RECOMMENDATIONS = [
    {
        "product_id": "p-1",
        "title": "Trail socks",
        "url": "https://acme.example/p/1",
        "unit_price": "12.00",
        "currency": "USD",
    },
    {"product_id": "p-2", "title": "Boot wax", "url": None, "unit_price": "8.50", "currency": "USD"},
]
PLACES = [
    {
        "id": "soho",
        "name": "Acme SoHo",
        "kind": "store",
        "url": "https://acme.example/soho",
        "distance_km": 1.234,
        "starts_at": None,
    },
    {
        "id": "fair",
        "name": "Spring fair",
        "kind": "event",
        "url": None,
        "distance_km": 4,
        "starts_at": "2025-05-03T10:00:00+00:00",
    },
]


def sends() -> list[tuple[str, SendSpec, str]]:
    """(journey, send step, template set) for every set a send may render."""
    found = []
    for journey in load_catalogue().values():
        for step in walk_steps(journey.steps):
            if isinstance(step, SendStep):
                default = step.send.template or f"{journey.id}/{step.send.id}"
                sets = {default, *(variant.template or default for variant in step.send.variants)}
                found.extend((journey.id, step.send, template_set) for template_set in sorted(sets))
    return found


def offered_sets() -> list[tuple[str, SendSpec, str]]:
    """The template sets a send may render with a code: the step's own with the step's offer, a
    variant's with its offer (or, without one, the step's)."""
    found = {}
    for journey in load_catalogue().values():
        for step in walk_steps(journey.steps):
            if isinstance(step, SendStep):
                default = step.send.template or f"{journey.id}/{step.send.id}"
                if step.send.offer is not None:
                    found.setdefault(default, (journey.id, step.send, default))
                for variant in step.send.variants:
                    if variant.offer is not None:
                        template_set = variant.template or default
                        found.setdefault(template_set, (journey.id, step.send, template_set))
    return [found[template_set] for template_set in sorted(found)]


def unique(cases: list[tuple[str, SendSpec, str]]) -> list[tuple[str, SendSpec, str]]:
    """One case per template set (the loyalty rounds share theirs)."""
    return list({template_set: (j, s, template_set) for j, s, template_set in reversed(cases)}.values())[::-1]


SENDS = sends()
EMAIL_SENDS = unique([(j, s, t) for j, s, t in SENDS if s.channel in ("email", "email_or_sms")])
SMS_SENDS = unique([(j, s, t) for j, s, t in SENDS if s.channel in ("sms", "email_or_sms")])


def context(data: dict[str, Any] | None = None, first_name: str | None = "Ada", **personal: Any) -> dict[str, Any]:
    recipient = Recipient("c-ada", "ada@example.com", "subscribed", first_name=first_name, store=STORE)
    return email_context(
        recipient,
        journey="library",
        step="step",
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url="https://acme.example/p?t=1",
        enrolment_id="library-c-ada-1",
        enrolment_data=data,
        personal={"offer": None, "offer_reason": None, "recommendations": [], "places": [], **personal},
    )


def shopify_data(topic: str, fixture: str, kind: type[Any]) -> dict[str, Any]:
    """The trigger as the router stores it on the enrolment: the event as JSON without its contact."""
    events = shopify.normalize(topic, fixture_json(fixture), store=STORE)
    (event,) = [event for event in events if isinstance(event, kind)]
    data: dict[str, Any] = json.loads(event.model_dump_json(exclude={"contact"}))
    return data


def id_of(case: tuple[str, SendSpec, str]) -> str:
    return f"{case[0]}:{case[2]}"


@pytest.mark.parametrize("case", EMAIL_SENDS, ids=id_of)
@pytest.mark.parametrize("first_name", ["Ada", None])
def test_every_email_renders_without_anything_personal(case: tuple[str, SendSpec, str], first_name: str | None) -> None:
    _, send, template_set = case
    email = render_email(template_set, context({}, first_name=first_name))
    assert email.subject and "None" not in email.subject and not email.subject.startswith(","), email.subject
    for part in (email.html, email.text):
        assert (UNSUBSCRIBE in part) is not send.transactional  # a confirmation request has no unsubscribe link
        assert "None" not in part
        assert OFFER["code"] not in part
        assert ("Hi Ada," if first_name else "Hi there,") in part


def test_the_sets_with_a_code_are_the_offers() -> None:
    # welcome/welcome_customer inherits the step's offer, whose `when` (no order yet) excludes customers.
    assert [case[2] for case in offered_sets()] == [
        "abandoned_checkout/last_reminder",
        "acquisition_nurture/offer",
        "birthday/greeting",
        "loyalty_nurture/reward",
        "loyalty_nurture/vip_reward",
        "vip/exclusive_offer",
        "welcome/welcome",
        "win_back/incentive",
    ]


@pytest.mark.parametrize("case", offered_sets(), ids=id_of)
def test_an_email_with_an_offer_shows_the_code_and_the_discount(case: tuple[str, SendSpec, str]) -> None:
    _, _, template_set = case
    with_code = render_email(template_set, context({}, offer=OFFER, offer_reason="claimed"))
    without = render_email(template_set, context({}, offer_reason="pool_empty"))
    for part in (with_code.html, with_code.text):
        assert OFFER["code"] in part
        assert "15% off your next order" in part
    expiring = render_email(template_set, context({}, offer={**OFFER, "expires_at": "2030-01-31T23:59:59+00:00"}))
    assert "2030-01-31" in expiring.html and "2030-01-31" in expiring.text
    assert without.text != with_code.text  # the no-discount version says something else


@pytest.mark.parametrize("case", [c for c in EMAIL_SENDS if c[1].recommend], ids=id_of)
def test_an_email_with_recommendations_lists_them_with_links(case: tuple[str, SendSpec, str]) -> None:
    _, _, template_set = case
    email = render_email(template_set, context({}, recommendations=RECOMMENDATIONS))
    for part in (email.html, email.text):
        assert "Trail socks" in part and "Boot wax" in part
        assert "12.00 USD" in part
    assert 'href="https://acme.example/p/1"' in email.html
    assert "Trail socks, 12.00 USD: https://acme.example/p/1" in email.text


def test_the_local_invitation_lists_the_places_nearest_first() -> None:
    email = render_email("geo_invite/invitation", context({}, places=PLACES))
    for part in (email.html, email.text):
        assert part.index("Acme SoHo") < part.index("Spring fair")
        assert "1.2 km" in part and "4.0 km" in part
        assert "2025-05-03" in part
    assert 'href="https://acme.example/soho"' in email.html
    assert "Acme SoHo is close by." in email.html


def test_the_last_cart_reminder_lists_the_cart_with_the_code_or_without() -> None:
    data = shopify_data("checkouts/create", "shopify/checkouts_create.json", CheckoutStarted)
    with_code = render_email("abandoned_checkout/last_reminder", context(data, offer=OFFER))
    without = render_email("abandoned_checkout/last_reminder", context(data, offer_reason="not_eligible"))
    for email in (with_code, without):
        for part in (email.html, email.text):
            assert "IPod Nano - 8GB" in part and "421.88 USD" in part
            assert "/recover?key=" in part
    assert with_code.subject == "A gift to help you finish your order at Acme Outfitters"
    assert without.subject == "Last call: your cart at Acme Outfitters"
    assert "last reminder" in without.text and OFFER["code"] not in without.text


def test_the_replenishment_reminder_names_the_product_and_links_to_a_filled_cart() -> None:
    data = shopify_data("orders/create", "shopify/orders_create.json", OrderPlaced)
    item = data["order"]["line_items"][0]
    store_link = render_email(
        "replenishment/reminder", context({**data, "facts": {"replenish": {"product_id": item["product_id"]}}})
    )
    assert "Reorder now: https://acme-outfitters.myshopify.com/\n" in store_link.text  # the sample has no variant id
    item["variant_id"] = "39072856"
    data["facts"] = {
        "product_ids": [item["product_id"]],
        "replenish": {"product_id": item["product_id"], "due_at": "2030-01-01T09:00:00Z"},
    }
    email = render_email("replenishment/reminder", context(data))
    reorder = f"https://acme-outfitters.myshopify.com/cart/{item['variant_id']}:{item['quantity']}"
    assert item["title"] in email.subject
    for part in (email.html, email.text):
        assert item["title"] in part
    assert f'href="{reorder}"' in email.html and f"Reorder now: {reorder}" in email.text


def test_the_replenishment_reminder_without_its_product_links_to_the_store() -> None:
    email = render_email("replenishment/reminder", context({"facts": {"replenish": {"product_id": "gone"}}}))
    assert "your favourite" in email.subject
    assert "Reorder now: https://acme-outfitters.myshopify.com/" in email.text


def test_the_browse_reminder_shows_the_product_browsed() -> None:
    product = {
        "product_id": "p-9",
        "title": "Rain jacket",
        "url": "https://acme.example/p/9",
        "unit_price": "89.00",
        "currency": "EUR",
        "categories": ["outerwear"],
    }
    email = render_email("browse_abandonment/reminder", context({"product": product}, recommendations=RECOMMENDATIONS))
    assert email.subject == "Still thinking about Rain jacket?"
    assert 'href="https://acme.example/p/9"' in email.html
    assert "Rain jacket (89.00 EUR)" in email.text


def test_the_survey_links_each_rating_to_the_review_page() -> None:
    email = render_email("first_purchase/survey", context({}))
    for rating in range(1, 6):
        assert f"https://acme-outfitters.myshopify.com/?rating={rating}" in email.text
        assert f'href="https://acme-outfitters.myshopify.com/?rating={rating}"' in email.html


@pytest.mark.parametrize("case", SMS_SENDS, ids=id_of)
def test_every_sms_renders_with_its_opt_out_in_at_most_two_segments(case: tuple[str, SendSpec, str]) -> None:
    _, send, template_set = case
    long_name = "Maximiliana"
    for personal in ({}, {"offer": {**OFFER, "code": "BDAY-7Q2K9XW4RT", "expires_at": "2030-01-31T00:00:00Z"}}):
        text = render_sms(template_set, context({}, first_name=long_name, **personal))
        assert has_opt_out(text) or send.transactional
        assert text.segments <= 2, (template_set, text.body)
        assert "None" not in text.body
        if personal:
            assert "BDAY-7Q2K9XW4RT" in text.body or not (send.offer or any(v.offer for v in send.variants))


def test_the_birthday_sms_carries_the_code() -> None:
    text = render_sms("birthday/greeting", context({}, offer=OFFER))
    assert text.body.startswith(
        "Acme Outfitters: Happy birthday Ada! Our gift: 15% off your next order with code GIFT-7Q2K9."
    )
    assert text.encoding == "GSM-7"


def pools_named() -> set[str]:
    pools = set()
    for journey in load_catalogue().values():
        for step in walk_steps(journey.steps):
            if isinstance(step, SendStep):
                offers = [step.send.offer, *(variant.offer for variant in step.send.variants)]
                pools.update(offer.pool for offer in offers if offer is not None)
    return pools


def test_every_pool_a_journey_names_is_configured() -> None:
    named = pools_named()
    assert named == {
        "welcome",
        "cart_recovery",
        "birthday",
        "vip",
        "loyalty_reward",
        "win_back",
        "win_back_repeat",
        "win_back_vip",
    }
    configured = set(load_pools(SHIPPED_CONFIG_DIR / "pools.yaml"))
    assert named <= configured, f"pools named by journeys but not in pools.yaml: {sorted(named - configured)}"

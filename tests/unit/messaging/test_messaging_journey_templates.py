"""The abandoned-checkout and win-back emails, rendered with a real Shopify checkout (the published
checkouts/create payload mapped through nurture.capture) as the router stores it on the enrolment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nurture.capture import shopify
from nurture.events import CheckoutStarted
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.rendering import render_email
from tests.third_party import fixture_json

STORE = "acme-outfitters.myshopify.com"
RECOVERY = "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"


def enrolment_data() -> dict[str, Any]:
    """What the trigger carried, as JSON without its contact (docs/journeys.md, Records)."""
    events = shopify.normalize("checkouts/create", fixture_json("shopify/checkouts_create.json"), store=STORE)
    (started,) = [event for event in events if isinstance(event, CheckoutStarted)]
    data: dict[str, Any] = json.loads(started.model_dump_json(exclude={"contact"}))
    return data


def context(data: dict[str, Any] | None, first_name: str | None = "Ada") -> dict[str, Any]:
    recipient = Recipient("c-ada", "ada@example.com", "subscribed", first_name=first_name, store=STORE)
    return email_context(
        recipient,
        journey="abandoned_checkout",
        step="reminder",
        unsubscribe_url="https://acme.example/u?t=1",
        enrolment_id="abandoned_checkout-c-ada-0123456789ab-1",
        enrolment_data=data,
    )


@pytest.mark.parametrize("step", ["reminder", "second_reminder"])
def test_a_cart_reminder_lists_the_items_with_quantities_prices_and_the_recovery_link(step: str) -> None:
    email = render_email(f"abandoned_checkout/{step}", context(enrolment_data()))
    assert "Acme Outfitters" in email.subject
    for part in (email.html, email.text):
        assert "IPod Nano - 8GB" in part
        assert "421.88 USD" in part
        assert "https://acme.example/u?t=1" in part
    assert "1 &times; 199.00 USD" in email.html and "1 x 199.00 USD" in email.text
    assert f'href="{RECOVERY.replace("&", "&amp;")}"' in email.html
    assert RECOVERY in email.text


def test_the_cart_is_escaped_in_html() -> None:
    data = enrolment_data()
    data["checkout"]["line_items"][0]["title"] = "<script>alert(1)</script>"
    data["checkout"]["abandoned_checkout_url"] = 'https://x.example/"><script>'
    email = render_email("abandoned_checkout/reminder", context(data))
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_a_recovery_link_that_is_not_http_is_no_button() -> None:
    data = enrolment_data()
    data["checkout"]["abandoned_checkout_url"] = "javascript:alert(1)"
    email = render_email("abandoned_checkout/reminder", context(data))
    assert "javascript:" not in email.html


def test_a_reminder_without_data_still_renders() -> None:
    email = render_email("abandoned_checkout/reminder", context(None, first_name=None))
    assert email.subject.startswith("You left something")


@pytest.mark.parametrize("step", ["miss_you", "incentive"])
def test_win_back_emails_render(step: str) -> None:
    email = render_email(f"win_back/{step}", context({}))
    assert "Ada" in email.html and "Ada" in email.text
    # The incentive's code is claimed from a pool when it is sent (docs/offers.md): none is written in.
    assert "CODE" not in email.html and "CODE" not in email.text


SCORE_DRIVEN = {
    # template set: the placeholder code a marketer replaces (None: the email carries no code)
    "acquisition_nurture/lesson_1": None,
    "acquisition_nurture/lesson_2": None,
    "acquisition_nurture/lesson_3": None,
    "acquisition_nurture/lesson_4": None,
    "acquisition_nurture/offer": None,  # a claimed code: test_messaging_library_templates.py
    "loyalty_nurture/reward": None,  # the `loyalty_reward` pool
    "loyalty_nurture/vip_reward": None,  # the `vip` pool
    "loyalty_nurture/nudge": None,
    "browse_nudge/still_looking": None,
}


@pytest.mark.parametrize(("template_set", "code"), sorted(SCORE_DRIVEN.items()))
def test_the_score_driven_emails_render_personalised_with_the_unsubscribe_link(
    template_set: str, code: str | None
) -> None:
    email = render_email(template_set, context({}))
    assert email.subject and "\n" not in email.subject
    for part in (email.html, email.text):
        assert "Ada" in part
        assert "Acme Outfitters" in part
        assert "https://acme.example/u?t=1" in part
        assert (code in part) if code else ("CODE" not in part)
    assert "https://acme-outfitters.myshopify.com/" in email.text


def test_the_score_driven_emails_greet_a_contact_without_a_name() -> None:
    for template_set in SCORE_DRIVEN:
        email = render_email(template_set, context({}, first_name=None))
        assert "Hi there," in email.text, template_set
        assert "None" not in email.subject and not email.subject.startswith(","), template_set


def test_each_lesson_offer_and_reward_has_its_own_subject() -> None:
    subjects = {template_set: render_email(template_set, context({})).subject for template_set in SCORE_DRIVEN}
    assert len(set(subjects.values())) == len(SCORE_DRIVEN), subjects
    assert subjects["browse_nudge/still_looking"] == "Still looking, Ada?"
    assert subjects["acquisition_nurture/offer"] == "Ada, a welcome offer for your first order"

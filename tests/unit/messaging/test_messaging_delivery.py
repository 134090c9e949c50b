"""Delivery rules and the template context."""

from __future__ import annotations

import pytest

from nurture.messaging.context import email_context, store_display_name, store_url
from nurture.messaging.delivery import Recipient, email_skip_reason


def recipient(**overrides: object) -> Recipient:
    values: dict[str, object] = {"contact_id": "c1", "email": "ada@example.com", "email_consent": "subscribed"}
    values.update(overrides)
    return Recipient(**values)  # type: ignore[arg-type]


def test_a_subscribed_contact_with_an_address_may_be_emailed() -> None:
    assert email_skip_reason(recipient()) is None


@pytest.mark.parametrize("state", ["unsubscribed", "not_subscribed", "pending", None])
def test_anything_but_subscribed_is_no_consent(state: str | None) -> None:
    assert email_skip_reason(recipient(email_consent=state)) == "no_consent"


def test_no_profile_or_no_address() -> None:
    assert email_skip_reason(None) == "no_contact"
    assert email_skip_reason(recipient(email=None)) == "no_email_address"


def test_the_recipient_repr_never_shows_the_address() -> None:
    assert "ada@example.com" not in repr(recipient())


@pytest.mark.parametrize(
    ("store", "name", "url"),
    [
        ("acme-outfitters.myshopify.com", "Acme Outfitters", "https://acme-outfitters.myshopify.com/"),
        ("www.example.com", "example.com", "https://www.example.com/"),
        ("https://shop.example.com/", "shop.example.com", "https://shop.example.com/"),
        ("Corner Shop", "Corner Shop", None),
        ("", "our store", None),
        (None, "our store", None),
    ],
)
def test_store_name_and_url(store: str | None, name: str, url: str | None) -> None:
    assert store_display_name(store) == name
    assert store_url(store) == url


def test_the_context_always_has_every_key() -> None:
    context = email_context(
        recipient(first_name="  ", store=None), journey="welcome", step="content", unsubscribe_url="https://u"
    )
    assert context == {
        "contact": {"first_name": None, "last_name": None, "locale": None},
        "store": {"name": "our store", "url": None},
        "unsubscribe_url": "https://u",
        "preferences_url": None,
        "confirm_url": None,
        "journey": "welcome",
        "step": "content",
        "enrolment": {"id": "", "data": {}},
    }

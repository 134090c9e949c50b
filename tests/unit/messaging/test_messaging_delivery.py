"""The recipient and the template context."""

from __future__ import annotations

import pytest

from nurture.messaging.context import email_context, store_display_name, store_url
from nurture.messaging.delivery import Recipient


def recipient(**overrides: object) -> Recipient:
    values: dict[str, object] = {"contact_id": "c1", "email": "ada@example.com", "email_consent": "subscribed"}
    values.update(overrides)
    return Recipient(**values)  # type: ignore[arg-type]


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
        # Nothing personalised (docs/offers.md): the keys are there all the same.
        "offer": None,
        "offer_reason": None,
        "recommendations": [],
        "places": [],
        "variant": "welcome/content",
    }

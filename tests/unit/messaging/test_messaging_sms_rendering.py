"""render_sms: the marketing layout, stripping, measuring, the segment limit and the sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader

from nurture.messaging import rendering
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.rendering import RenderError, has_opt_out, render_sms

OFFER = '{% extends "sms/_layout/marketing.txt" %}\n{% block body %}\nHi {{ contact.first_name or "there" }}, 20% off until Sunday.\n{% endblock %}\n'  # noqa: E501


@pytest.fixture
def templates() -> Iterator[dict[str, str]]:
    """SMS templates of the test (the real ones first: the layout is the shipped one)."""
    sources: dict[str, str] = {}
    real = rendering.environment()
    env = real.overlay(loader=ChoiceLoader([real.loader, DictLoader(sources)]))  # type: ignore[list-item]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rendering, "environment", lambda: env)
        yield sources


def context(first_name: str | None = "Ada") -> dict[str, Any]:
    recipient = Recipient("c1", None, None, first_name=first_name, store="acme-outfitters.myshopify.com")
    return email_context(recipient, journey="offers", step="sms", unsubscribe_url="")


def test_a_marketing_sms_names_the_store_and_ends_with_the_opt_out(templates: dict[str, str]) -> None:
    templates["sms/offers/sms/body.txt"] = OFFER
    text = render_sms("offers/sms", context())
    assert text.body == "Acme Outfitters: Hi Ada, 20% off until Sunday.\n\nReply STOP to opt out."
    assert (text.encoding, text.segments, text.characters) == ("GSM-7", 1, len(text.body))
    assert has_opt_out(text)


def test_the_layout_without_a_store_in_the_context(templates: dict[str, str]) -> None:
    templates["sms/offers/sms/body.txt"] = OFFER
    text = render_sms("offers/sms", {"contact": {"first_name": None}})
    assert text.body == "Hi there, 20% off until Sunday.\n\nReply STOP to opt out."


@pytest.mark.parametrize(
    ("source", "body", "encoding", "segments"),
    [
        ("\n\n  Your code: {{ code }}  \n\n", "Your code: 1234", "GSM-7", 1),
        ("{{ code }} <b>&</b>", "1234 <b>&</b>", "GSM-7", 1),  # not autoescaped
        ("Merci {{ name }} 😀", "Merci Zoë 😀", "UCS-2", 1),
        ("{{ 'a' * 1530 }}", "a" * 1530, "GSM-7", 10),  # 10 segments: the most allowed
        ("{{ 'ê' * 670 }}", "ê" * 670, "UCS-2", 10),
    ],
)
def test_rendered_stripped_and_measured(
    templates: dict[str, str], source: str, body: str, encoding: str, segments: int
) -> None:
    templates["sms/codes/body.txt"] = source
    text = render_sms("codes", {"code": "1234", "name": "Zoë"})
    assert (text.body, text.encoding, text.segments) == (body, encoding, segments)
    assert not has_opt_out(text)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "the SMS is empty"),
        ("  \n\t\n ", "the SMS is empty"),
        ("{% if false %}never{% endif %}", "the SMS is empty"),
        ("{{ 'a' * 1531 }}", "the SMS takes 11 segments (at most 10)"),
        ("{{ 'ê' * 671 }}", "the SMS takes 11 segments (at most 10)"),
        ("Hi {{ nobody }}", "UndefinedError"),
        # the sandbox: no Python internals
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
        ("{{ code.__class__ }}", "SecurityError"),
        ("{% if %}x{% endif %}", "TemplateSyntaxError"),
        ("{{ items.append(1) }}", "SecurityError"),  # immutable sandbox: no mutation of the context
    ],
)
def test_render_errors_name_the_template(templates: dict[str, str], source: str, message: str) -> None:
    templates["sms/broken/body.txt"] = source
    with pytest.raises(RenderError, match=re.escape(message)) as caught:
        render_sms("broken", {"code": "1234", "items": []})
    assert caught.value.template == "sms/broken/body.txt"


def test_an_unknown_template_set() -> None:
    with pytest.raises(RenderError, match="template not found") as caught:
        render_sms("no/such/set", context())
    assert caught.value.template == "sms/no/such/set/body.txt"


@pytest.mark.parametrize("name", ["../email/welcome", "Offers", "offers/", "/offers", "offers//sms", ""])
def test_a_malformed_template_set_name(name: str) -> None:
    with pytest.raises(ValueError, match="invalid template set name"):
        render_sms(name, context())


def test_the_shipped_layout_ends_with_the_opt_out_line() -> None:
    source = (rendering.TEMPLATES_DIR / "sms/_layout/marketing.txt").read_text(encoding="utf-8")
    assert source.rstrip().endswith("Reply STOP to opt out.")

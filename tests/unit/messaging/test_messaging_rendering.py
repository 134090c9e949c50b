"""Rendering: sandboxed, autoescaped HTML, StrictUndefined, and the welcome journey's templates."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from nurture.messaging import rendering
from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.rendering import RenderError, render_email

UNSUBSCRIBE = "https://example.com/unsubscribe?token=v1.abc.def"


def context(first_name: str | None = "Ada", store: str | None = "acme-outfitters.myshopify.com") -> dict[str, Any]:
    recipient = Recipient("c1", "ada@example.com", "subscribed", first_name=first_name, store=store)
    return email_context(recipient, journey="welcome", step="welcome", unsubscribe_url=UNSUBSCRIBE)


def from_string(source: str, values: dict[str, Any], *, html: bool) -> str:
    """Render source as if it were an .html (autoescaped) or .txt template of the real environment."""
    env = rendering.environment()
    template = env.from_string(source)
    if html:
        # from_string templates have no file name: autoescape as the .html loader would.
        template = env.overlay(autoescape=True).from_string(source)
    return template.render(values)


@pytest.mark.parametrize("step", ["welcome", "content", "feedback"])
def test_every_welcome_email_renders_with_name_store_and_unsubscribe_link(step: str) -> None:
    # Given a subscribed contact with a first name at a Shopify store
    # When each welcome journey email is rendered
    email = render_email(f"welcome/{step}", context())
    # Then subject, HTML and text are personalised and carry the unsubscribe link
    assert email.subject and "\n" not in email.subject
    for part in (email.html, email.text):
        assert "Ada" in part
        assert "Acme Outfitters" in part
    assert f'href="{UNSUBSCRIBE}"' in email.html
    assert f"Unsubscribe with one click: {UNSUBSCRIBE}" in email.text
    assert "https://acme-outfitters.myshopify.com/" in email.text


def test_subjects_of_the_welcome_series() -> None:
    subjects = [render_email(f"welcome/{step}", context()).subject for step in ("welcome", "content", "feedback")]
    assert subjects == [
        "Welcome to Acme Outfitters, Ada!",
        "Ada, here is how to get the most out of Acme Outfitters",
        "Ada, how are we doing? (one quick question)",
    ]


def test_a_contact_without_first_name_gets_a_friendly_fallback() -> None:
    email = render_email("welcome/welcome", context(first_name=None))
    assert email.subject == "Welcome to Acme Outfitters!"
    assert "Hi there," in email.text
    assert "Hi there," in email.html
    assert "None" not in email.text + email.html


def test_a_store_that_is_not_a_host_name_has_no_link_but_keeps_its_name() -> None:
    email = render_email("welcome/content", context(store="Corner Shop"))
    assert "Corner Shop" in email.subject
    assert "Start exploring:" not in email.text
    assert "Start exploring" not in email.html


def test_html_is_autoescaped_and_text_is_not() -> None:
    # Given a first name that is a script
    hostile = context(first_name="<script>alert(1)</script>")
    # When the welcome email is rendered
    email = render_email("welcome/welcome", hostile)
    # Then the HTML part carries it escaped, never as markup
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    # and the text part (no markup to escape) carries it as typed
    assert "Hi <script>alert(1)</script>," in email.text


def test_an_undefined_variable_is_an_error_not_an_empty_string() -> None:
    values = context()
    del values["unsubscribe_url"]
    with pytest.raises(RenderError) as caught:
        render_email("welcome/welcome", values)
    assert isinstance(caught.value.__cause__, UndefinedError)
    assert "unsubscribe_url" in str(caught.value)


def test_an_undefined_attribute_is_an_error_too() -> None:
    with pytest.raises(UndefinedError):
        from_string("Hi {{ contact.nickname }}", context(), html=False)


def test_the_sandbox_blocks_python_internals() -> None:
    with pytest.raises(SecurityError):
        from_string("{{ ''.__class__ }}", {}, html=False)
    with pytest.raises(SecurityError):
        from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}", {}, html=False)


def test_the_sandbox_forbids_mutating_the_context() -> None:
    with pytest.raises(SecurityError):
        from_string("{{ contact.update({'first_name': 'Eve'}) }}", context(), html=False)


def test_an_unknown_or_malformed_template_set_is_refused() -> None:
    with pytest.raises(RenderError, match="template not found"):
        render_email("welcome/nope", context())
    for bad in ("../etc", "welcome/../../x", "/abs", "Welcome", ""):
        with pytest.raises(ValueError, match="invalid template set"):
            render_email(bad, context())


def test_the_environment_is_built_once() -> None:
    assert rendering.environment() is rendering.environment()

"""Rendering email and SMS templates with Jinja2, sandboxed.

A *template set* names a directory under ``nurture/templates/email/``, e.g. ``welcome/content``,
holding three files:

- ``subject.txt``: the subject line (not autoescaped; whitespace, line breaks included, is collapsed
  to single spaces, so a template may wrap it);
- ``body.html``: the HTML part (autoescaped: ``{{ contact.first_name }}`` holding ``<script>`` comes
  out as ``&lt;script&gt;``);
- ``body.txt``: the plain-text part (not autoescaped).

Templates run in Jinja2's ``ImmutableSandboxedEnvironment`` (a template cannot reach Python
internals such as ``''.__class__`` nor mutate the context) with ``StrictUndefined``: a variable the
context does not define is an error, never an empty string. ``None`` renders as an empty string, so
write ``{{ contact.first_name or "there" }}`` for a fallback. Templates may ``{% extends %}`` or
``{% include %}`` shared files under ``templates/email/_layout/``.

The context every email template gets (see ``nurture.messaging.context``):
``contact`` (``first_name``, ``last_name``, ``locale``), ``store`` (``name``, ``url``),
``unsubscribe_url``, ``journey``, ``step`` and ``enrolment`` (``id``; ``data``: what the
enrolment's trigger event carried, e.g. ``enrolment.data.checkout.line_items``).

An SMS template set names a directory under ``nurture/templates/sms/`` holding ``body.txt`` (not
autoescaped; surrounding whitespace stripped). Marketing SMS templates extend
``sms/_layout/marketing.txt`` (the store's name first, the opt-out line "Reply STOP to opt out."
last): the sender refuses a marketing SMS without an opt-out (`has_opt_out`). `render_sms` returns
the body measured (`nurture.messaging.sms_text`): an empty body or one over `MAX_SMS_SEGMENTS`
segments is a `RenderError`.

Jinja2 is imported and the environment built on the first render, once per process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Re-exported: the sender renders, measures and checks an SMS through this module.
from nurture.messaging.sms_text import SmsText as SmsText
from nurture.messaging.sms_text import has_opt_out as has_opt_out
from nurture.messaging.sms_text import measure

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
EMAIL_PARTS = ("subject.txt", "body.html", "body.txt")
_TEMPLATE_SET = re.compile(r"[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*")
_WHITESPACE = re.compile(r"\s+")
MAX_SUBJECT_LENGTH = 200
# Ten segments are 1,530 GSM-7 characters or 670 UCS-2 ones: past that a template went wrong (a
# loop over a long list), and every segment is billed.
MAX_SMS_SEGMENTS = 10


class RenderError(Exception):
    """A template could not be rendered: unknown template set, undefined variable, sandbox violation.

    ``template`` names the file; the Jinja2 exception, if any, is the ``__cause__``.
    """

    def __init__(self, template: str, message: str) -> None:
        super().__init__(f"{template}: {message}")
        self.template = template


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _finalize(value: Any) -> Any:
    return "" if value is None else value


@cache
def environment() -> Environment:
    """The one sandboxed environment of this process (built on first use)."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the layer: never stat them again
    )


def _check_set_name(template_set: str) -> None:
    if not _TEMPLATE_SET.fullmatch(template_set):
        raise ValueError(f"invalid template set name {template_set!r} (expected e.g. 'welcome/content')")


def template_names(template_set: str) -> tuple[str, str, str]:
    """The subject, HTML and text template names of a set; ValueError for a malformed set name."""
    _check_set_name(template_set)
    subject, html, text = (f"email/{template_set}/{part}" for part in EMAIL_PARTS)
    return subject, html, text


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Render one template file (path relative to the templates directory)."""
    try:
        return environment().get_template(name).render(context)
    except TemplateNotFound as exc:
        raise RenderError(name, "template not found") from exc
    except TemplateError as exc:  # UndefinedError, SecurityError, TemplateSyntaxError, ...
        raise RenderError(name, f"{type(exc).__name__}: {exc}") from exc


def render_email(template_set: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render a template set's subject, HTML part and text part with the same context."""
    subject_name, html_name, text_name = template_names(template_set)
    subject = _WHITESPACE.sub(" ", render_template(subject_name, context)).strip()
    if not subject:
        raise RenderError(subject_name, "the subject is empty")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise RenderError(subject_name, f"the subject is longer than {MAX_SUBJECT_LENGTH} characters")
    return RenderedEmail(
        subject=subject,
        html=render_template(html_name, context),
        text=render_template(text_name, context),
    )


def sms_template_name(template_set: str) -> str:
    """The body template of an SMS template set; ValueError for a malformed set name."""
    _check_set_name(template_set)
    return f"sms/{template_set}/body.txt"


def render_sms(template_set: str, context: Mapping[str, Any]) -> SmsText:
    """Render an SMS template set's body, stripped and measured (encoding, segments)."""
    name = sms_template_name(template_set)
    text = measure(render_template(name, context).strip())
    if not text.body:
        raise RenderError(name, "the SMS is empty")
    if text.segments > MAX_SMS_SEGMENTS:
        raise RenderError(name, f"the SMS takes {text.segments} segments (at most {MAX_SMS_SEGMENTS})")
    return text

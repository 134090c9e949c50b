"""Reading what a browser or a store's sign-up form sends (pure): bodies, tokens, languages.

The sign-up form (``POST /subscribe``) accepts ``application/json`` (an object) or
``application/x-www-form-urlencoded``; the fields are the same either way (docs/consent.md):
``email`` and ``store`` required, ``first_name`` and ``locale`` optional, and ``website``, a
honeypot a person never fills in (hidden by the form's CSS): when it holds anything the request is
answered as accepted and dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

from nurture.capture.errors import FieldError
from nurture.identity import normalize_email, normalize_locale

MAX_FORM_BYTES: Final = 16 * 1024
MAX_STORE_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 100
HONEYPOT: Final = "website"
LANGUAGES: Final = ("en", "es", "it")
DEFAULT_LANGUAGE: Final = "en"
_SIGNUP_FIELDS: Final = frozenset({"email", "store", "first_name", "locale", HONEYPOT})


class FormError(ValueError):
    """The request cannot be honoured; ``errors`` name the fields (never quoting their values)."""

    def __init__(self, errors: list[FieldError], status: int = 400) -> None:
        super().__init__("; ".join(f"{error['field']}: {error['message']}" for error in errors))
        self.errors = errors
        self.status = status


@dataclass(frozen=True, slots=True)
class SignUp:
    email: str
    store: str
    first_name: str | None = None
    locale: str | None = None

    def __repr__(self) -> str:  # never print the address (logs, tracebacks)
        return f"SignUp(store={self.store!r})"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def form_fields(body: bytes) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body: every value of every field."""
    if len(body) > MAX_FORM_BYTES:
        raise FormError([{"field": "body", "message": f"is larger than {MAX_FORM_BYTES} bytes"}], status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError([{"field": "body", "message": "is not UTF-8 text"}]) from None
    return parse_qs(text, keep_blank_values=True, max_num_fields=64)


def one_value(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise FormError([{"field": name, "message": "is given more than once"}])
    return values[0]


def signup_fields(content_type: str | None, body: bytes) -> dict[str, str | None]:
    """The sign-up form's fields from a JSON or form-encoded body."""
    kind = media_type(content_type)
    if kind == "application/json":
        if len(body) > MAX_FORM_BYTES:
            raise FormError([{"field": "body", "message": f"is larger than {MAX_FORM_BYTES} bytes"}], status=413)
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise FormError([{"field": "body", "message": "is not valid JSON"}]) from None
        if not isinstance(document, dict):
            raise FormError([{"field": "body", "message": "must be a JSON object"}])
        errors: list[FieldError] = [
            {"field": name, "message": "must be a string"}
            for name, value in document.items()
            if name in _SIGNUP_FIELDS and value is not None and not isinstance(value, str)
        ]
        if errors:
            raise FormError(errors)
        return {name: document.get(name) for name in _SIGNUP_FIELDS}
    if kind == "application/x-www-form-urlencoded":
        fields = form_fields(body)
        return {name: one_value(fields, name) for name in _SIGNUP_FIELDS}
    raise FormError(
        [{"field": "headers.content-type", "message": "must be application/json or application/x-www-form-urlencoded"}],
        status=415,
    )


def is_bot(fields: dict[str, str | None]) -> bool:
    """The honeypot holds something: a bot filled in every field it found."""
    return bool((fields.get(HONEYPOT) or "").strip())


def parse_signup(fields: dict[str, str | None]) -> SignUp:
    """Validate the sign-up fields; `FormError` names every field that is wrong."""
    errors: list[FieldError] = []
    email: str | None = None
    raw_email = (fields.get("email") or "").strip()
    if not raw_email:
        errors.append({"field": "email", "message": "is required"})
    else:
        try:
            email = normalize_email(raw_email)
        except ValueError as exc:  # the message never quotes the address
            errors.append({"field": "email", "message": str(exc)})
    store = (fields.get("store") or "").strip()
    if not store:
        errors.append({"field": "store", "message": "is required"})
    elif len(store) > MAX_STORE_LENGTH or not store.isprintable():
        errors.append({"field": "store", "message": f"must be 1 to {MAX_STORE_LENGTH} printable characters"})
    first_name = (fields.get("first_name") or "").strip() or None
    if first_name is not None and (len(first_name) > MAX_NAME_LENGTH or not first_name.isprintable()):
        errors.append({"field": "first_name", "message": f"must be at most {MAX_NAME_LENGTH} printable characters"})
    locale: str | None = None
    raw_locale = (fields.get("locale") or "").strip()
    if raw_locale:
        locale = normalize_locale(raw_locale)
        if locale is None:
            errors.append({"field": "locale", "message": "must be a language tag such as 'fr' or 'en-US'"})
    if errors or email is None:
        raise FormError(errors)
    return SignUp(email=email, store=store, first_name=first_name, locale=locale)


def choose_language(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` when it names a language the pages speak, else the best of Accept-Language, else en."""
    if query_lang and query_lang.strip().lower() in LANGUAGES:
        return query_lang.strip().lower()
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-", 1)[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE

"""The consent routes' pure parts: confirmation tokens, form parsing, the honeypot, languages, pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from markupsafe import escape

from nurture.consent.forms import FormError, choose_language, is_bot, parse_signup, signup_fields
from nurture.consent.pages import TEXTS, day_text, message_page, preferences_page
from nurture.consent.preferences import CurrentPreferences
from nurture.messaging.unsubscribe import BadSignature, make_token, page_url, verify_token

SECRET = "unit-test-secret-0123456789"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _token(purpose: str) -> str:
    return make_token(SECRET, contact_id="c1", channel="email", list_id="double_opt_in", issued_at=NOW, purpose=purpose)


@pytest.mark.parametrize(("signed", "checked"), [("confirm", "unsubscribe"), ("unsubscribe", "confirm")])
def test_a_token_passes_only_for_its_purpose(signed: str, checked: str) -> None:
    assert verify_token(SECRET, _token(signed), now=NOW, purpose=signed).contact_id == "c1"
    with pytest.raises(BadSignature):
        verify_token(SECRET, _token(signed), now=NOW, purpose=checked)


def test_an_unsubscribe_token_signed_before_purposes_still_verifies() -> None:
    # The default purpose is the historical one: links already in inboxes keep working.
    token = make_token(SECRET, contact_id="c1", channel="email", list_id="welcome", issued_at=NOW)
    assert verify_token(SECRET, token, now=NOW + timedelta(days=30)).list_id == "welcome"


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        _token("gossip")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.example/unsubscribe", "https://api.example/confirm?token=t"),
        ("https://api.example/prod/unsubscribe?x=1", "https://api.example/prod/confirm?x=1&token=t"),
        ("https://api.example", "https://api.example/confirm?token=t"),
    ],
)
def test_page_url_replaces_the_last_path_segment(base: str, expected: str) -> None:
    assert page_url(base, "confirm", "t") == expected


def test_json_and_form_give_the_same_fields() -> None:
    as_json = signup_fields("application/json; charset=utf-8", b'{"email": "a@example.com", "store": "s"}')
    as_form = signup_fields("application/x-www-form-urlencoded", b"email=a%40example.com&store=s")
    assert as_json == as_form


@pytest.mark.parametrize(("website", "bot"), [(None, False), ("", False), ("  ", False), ("x", True)])
def test_the_honeypot(website: str | None, bot: bool) -> None:
    assert is_bot({"website": website}) is bot


def test_a_sign_up_is_normalised() -> None:
    signup = parse_signup({"email": " Ada@Example.COM", "store": " shop ", "first_name": " Ada ", "locale": "es_ES"})
    assert (signup.email, signup.store, signup.first_name, signup.locale) == ("ada@example.com", "shop", "Ada", "es-ES")
    assert "ada" not in repr(signup)


def test_every_wrong_field_is_named_and_no_value_is_quoted() -> None:
    with pytest.raises(FormError) as caught:
        parse_signup({"email": "secret-address", "store": "", "first_name": "x" * 200, "locale": "??"})
    assert [error["field"] for error in caught.value.errors] == ["email", "store", "first_name", "locale"]
    assert "secret-address" not in str(caught.value)


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("it", "es", "it"),
        (None, "es-ES,es;q=0.9,en;q=0.8", "es"),
        (None, "fr-FR,fr;q=0.9,it;q=0.5,es;q=0.4", "it"),
        (None, "de", "en"),
        ("xx", None, "en"),
        (None, "es;q=0,it", "it"),
        (None, "en;q=bad,es;q=0.5", "es"),
    ],
)
def test_the_page_language(query: str | None, header: str | None, expected: str) -> None:
    assert choose_language(query, header) == expected


def test_every_language_has_every_text() -> None:
    assert {lang: set(texts) for lang, texts in TEXTS.items()} == {lang: set(TEXTS["en"]) for lang in TEXTS}


@pytest.mark.parametrize("lang", ["en", "es", "it"])
def test_pages_render_in_each_language_without_javascript(lang: str) -> None:
    page = message_page(lang, "unsubscribe", action="?token=a&b", button="unsubscribe_button")
    assert f'<html lang="{lang}">' in page and str(escape(TEXTS[lang]["unsubscribe_button"])) in page
    assert 'action="?token=a&amp;b"' in page  # autoescaped
    assert "<script" not in page
    page = preferences_page(lang, action="preferences", token="t", current=CurrentPreferences(), now=NOW)
    assert str(escape(TEXTS[lang]["topic_offers"])) in page


def test_page_values_are_escaped() -> None:
    assert "&lt;script&gt;" in preferences_page(
        "en", action="p", token="<script>", current=CurrentPreferences(), now=NOW
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Friday 8 May 2026"),
        ("es", "viernes 8 de mayo de 2026"),
        ("it", "venerdì 8 maggio 2026"),  # "fino a venerdì 8 maggio": no article to elide
        ("de", "Friday 8 May 2026"),  # a language without pages: English
    ],
)
def test_a_day_as_each_language_writes_it(lang: str, expected: str) -> None:
    assert day_text(lang, date(2026, 5, 8)) == expected


def _preferences(current: CurrentPreferences, lang: str = "en") -> str:
    return preferences_page(lang, action="preferences", token="t", current=current, now=NOW)


@pytest.mark.parametrize(
    ("paused_until", "zone", "shown"),
    [
        (NOW + timedelta(days=30), None, "until Wednesday 1 July 2026."),  # UTC without a zone
        # 23:30 UTC on 30 June is 1 July in Rome, still 30 June in New York
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "Europe/Rome", "until Wednesday 1 July 2026."),
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "America/New_York", "until Tuesday 30 June 2026."),
        (NOW, None, None),  # ended: no pause to show
        (NOW - timedelta(days=1), None, None),
    ],
)
def test_a_pause_is_shown_with_its_last_day_in_the_contacts_zone(
    paused_until: datetime, zone: str | None, shown: str | None
) -> None:
    page = _preferences(CurrentPreferences(paused_until=paused_until, time_zone=zone))
    if shown is None:
        assert "paused until" not in page
    else:
        assert f"Marketing emails are paused {shown}" in page


def test_the_topics_opted_out_of_are_unticked() -> None:
    page = _preferences(CurrentPreferences(unsubscribed_topics=frozenset({"offers"})))
    assert '<input type="checkbox" name="topics" value="offers"> ' in page
    assert '<input type="checkbox" name="topics" value="newsletter" checked>' in page
    assert '<input type="checkbox" name="topics" value="product_news" checked>' in page


@pytest.mark.parametrize(
    ("current", "sms_box", "state"),
    [
        (CurrentPreferences(), None, None),  # no phone: no SMS at all
        (CurrentPreferences(sms_subscribed=True), None, None),  # consent without a number: nothing to send to
        (CurrentPreferences(has_phone=True), '<input type="checkbox" name="sms" value="on">', "sms_off"),
        (
            CurrentPreferences(has_phone=True, sms_subscribed=True),
            '<input type="checkbox" name="sms" value="on" checked>',
            "sms_on",
        ),
    ],
)
@pytest.mark.parametrize("lang", ["en", "es", "it"])
def test_sms_is_shown_on_or_off_only_with_a_phone_number(
    current: CurrentPreferences, sms_box: str | None, state: str | None, lang: str
) -> None:
    page = _preferences(current, lang)
    if sms_box is None:
        assert 'name="sms"' not in page and str(escape(TEXTS[lang]["sms"])) not in page
    else:
        assert sms_box in page
        assert state is not None and str(escape(TEXTS[lang][state])) in page


def test_an_email_unsubscribe_is_said_above_the_topics() -> None:
    assert TEXTS["en"]["email_unsubscribed"] in _preferences(CurrentPreferences(email_unsubscribed=True))
    assert TEXTS["en"]["email_unsubscribed"] not in _preferences(CurrentPreferences())

"""Identifier clean-up: email addresses, phone numbers, locales."""

from __future__ import annotations

import pytest

from nurture.identity import normalize_email, normalize_locale, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("  bob+news@mail.example.co.uk ", "bob+news@mail.example.co.uk"),
        ("ada@Exämple.fr", "ada@xn--exmple-cua.fr"),  # an internationalised domain, in ASCII form
    ],
)
def test_given_an_address_when_normalized_then_it_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        *("", "plain", "a@b", "a@@b.io", "a b@c.io", ".a@b.io", "a..b@c.io", "a@-b.io", "a@b_c.io", "x" * 65 + "@b.io"),
        # Issue 13: accepted once, then refused by SES on every send.
        *("a\x00b@c.co", "\u202eadmin@evil.co", "a,b@c.co", "\uff41@\uff42.co"),
        "josé@example.fr",  # SES has no SMTPUTF8: the local part must be ASCII
        "ada@shop.local",  # special-use domain
    ],
)
def test_given_something_that_is_not_an_address_when_normalized_then_it_raises(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a valid email address") as raised:
        normalize_email(raw)
    assert raw.strip() not in str(raised.value) or not raw.strip()


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+1 (415) 555-0123", None, "+14155550123"),
        ("0033 6 12 34 56 78", None, "+33612345678"),
        ("(555) 555-5555", "US", "+15555555555"),
        ("1-613-555-0100", "CA", "+16135550100"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("07700 900123", "gb", "+447700900123"),
        ("06 1234 5678", "IT", "+390612345678"),
    ],
)
def test_given_a_phone_number_when_normalized_then_it_is_e164(raw: str, country: str | None, expected: str) -> None:
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("555-555-BILL", "US"),  # letters
        ("123-123-1234", "CA"),  # no North American area code starts with 1
        ("06 12 34 56 78", None),  # national form without a country
        ("06 12 34 56 78", "ZZ"),  # a country we cannot dial
        ("+0 123 4567", None),  # no country code starts with 0
        ("+1 234", None),  # too short
        ("", "US"),
    ],
)
def test_given_a_phone_that_cannot_be_made_e164_when_normalized_then_it_is_none(raw: str, country: str | None) -> None:
    assert normalize_phone(raw, country) is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("en", "en"), ("en_US", "en-US"), ("FR-ca", "fr-ca"), ("", None), ("english", None)]
)
def test_given_a_locale_when_normalized_then_it_is_a_language_tag_or_none(raw: str, expected: str | None) -> None:
    assert normalize_locale(raw) == expected


def in_digits(zero: int) -> str:
    return "".join(chr(zero + int(digit)) if digit.isdigit() else digit for digit in "+1 415 555 0123")


@pytest.mark.parametrize("raw", [in_digits(0xFF10), in_digits(0x0660), in_digits(0x0660).replace(" ", "")])
def test_given_a_phone_written_in_other_digits_when_normalized_then_it_is_the_same_e164_number(raw: str) -> None:
    assert normalize_phone(raw) == "+14155550123"


def test_given_a_phone_in_non_ascii_digits_when_a_canonical_contact_is_built_then_it_is_refused() -> None:
    from pydantic import ValidationError

    from nurture.events import Contact

    with pytest.raises(ValidationError, match=r"E\.164"):
        Contact(phone=in_digits(0x0660).replace(" ", ""))

"""Normalisation of the identifiers a person is found by: email address, phone number, locale.

Pure functions on strings (no pydantic), shared by the canonical models, which validate with them,
and by the store normalizers, which clean store data with them before building those models.
"""

from __future__ import annotations

import re

_EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
_NOT_AN_ADDRESS = "is not a valid email address"

# ASCII digits only: "\d" would let fullwidth or Arabic-Indic digits through as a second identity.
E164_PATTERN = re.compile(r"\+[1-9][0-9]{6,14}")
# Characters people type inside phone numbers that carry no digits.
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_PHONE_MAX_LENGTH = 64
# North American Numbering Plan: area code and exchange never start with 0 or 1, a structure
# phonenumbers' length-only "possible" check does not look at.
_NANP_NATIONAL = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")

_LOCALE_PATTERN = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def normalize_email(raw: str) -> str:
    """Return the address SES can send to, lower-cased; raise ValueError when there is none.

    Syntax is checked by ``email-validator`` (RFC 5321/5322, IDNA 2008), without DNS lookups
    (deliverability is SES's business). Policy for internationalised addresses, from what SES
    accepts (it has no SMTPUTF8): the local part must be ASCII; the domain may be internationalised
    and is kept in its ASCII (Punycode) form, so ``ada@bücher.de`` is ``ada@xn--bcher-kva.de``.
    Quoted local parts, IP-literal domains and special-use domains (``.local``, ``.test``, …) are
    refused. The error message never quotes the address.
    """
    address = raw.strip()
    if not address or len(address) > _EMAIL_MAX_LENGTH:
        raise ValueError(_NOT_AN_ADDRESS)
    # Imported here: email-validator (and idna) load only when an address is seen.
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False, strict=True)
    except EmailNotValidError:
        raise ValueError(_NOT_AN_ADDRESS) from None
    ascii_address = valid.ascii_email
    if ascii_address is None:  # pragma: no cover - only with SMTPUTF8 allowed
        raise ValueError(_NOT_AN_ADDRESS)
    return ascii_address.lower()


def normalize_phone(raw: str, country_code: str | None = None) -> str | None:
    """Return the number in E.164 form, or None when it cannot be made into one.

    Parsed with ``phonenumbers``: digits of any script become ASCII ones, so a number written in
    Arabic-Indic or fullwidth digits is the same identity. International forms (+CC… or 00CC…) are
    accepted for any country; national forms when ``country_code`` (ISO 3166-1 alpha-2) says where
    they are dialled. The number must have a possible length for its country; letters (vanity
    numbers, extensions) give None: a store's free-text phone field must not break a webhook, nor
    become a wrong number.
    """
    text = raw.strip()
    if not text or len(text) > _PHONE_MAX_LENGTH or any(character.isalpha() for character in text):
        return None
    compact = _PHONE_PUNCTUATION.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    region = country_code.upper() if country_code and len(country_code) == 2 and country_code.isalpha() else None
    if not compact.startswith("+") and region is None:
        return None
    # Imported here: phonenumbers loads on the first phone seen, and each region's metadata lazily.
    import phonenumbers

    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not E164_PATTERN.fullmatch(e164) or (number.country_code == 1 and not _NANP_NATIONAL.fullmatch(e164[2:])):
        return None
    return e164


def normalize_locale(raw: str) -> str | None:
    """Return a BCP 47 style tag (``fr``, ``en-US``) or None; stores write ``en_US`` too."""
    tag = raw.strip().replace("_", "-")
    if not tag:
        return None
    language, _, rest = tag.partition("-")
    tag = language.lower() + ("-" + rest if rest else "")
    return tag if _LOCALE_PATTERN.fullmatch(tag) else None

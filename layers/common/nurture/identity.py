"""Normalisation of the identifiers a person is found by: email address, phone number, locale.

Pure functions on strings (no pydantic), shared by the canonical models, which validate with them,
and by the store normalizers, which clean store data with them before building those models.
"""

from __future__ import annotations

import re

_EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
_NOT_AN_ADDRESS = "is not a valid email address"

E164_PATTERN = re.compile(r"\+[1-9]\d{6,14}")
# Characters people type inside phone numbers that carry no digits.
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")

# Calling codes of the countries whose national numbers we can rewrite to E.164 without a phone
# library: (calling code, whether the national form starts with a trunk "0" to drop).
# Numbers already in international form (+CC… or 00CC…) never need this table.
_CALLING_CODES: dict[str, tuple[str, bool]] = {
    "AT": ("43", True),
    "AU": ("61", True),
    "BE": ("32", True),
    "CH": ("41", True),
    "DE": ("49", True),
    "DK": ("45", False),
    "ES": ("34", False),
    "FI": ("358", True),
    "FR": ("33", True),
    "GB": ("44", True),
    "IE": ("353", True),
    "IT": ("39", False),  # Italian numbers keep their leading 0 after +39
    "LU": ("352", False),
    "NL": ("31", True),
    "NO": ("47", False),
    "NZ": ("64", True),
    "PL": ("48", False),
    "PT": ("351", False),
    "SE": ("46", True),
}
# North American Numbering Plan: one calling code, ten-digit national numbers.
_NANP_COUNTRIES = frozenset({"US", "CA", "PR", "VI", "GU", "AS", "MP"})
_NANP_NATIONAL = re.compile(r"[2-9]\d{2}[2-9]\d{6}")

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

    International forms (+CC… or 00CC…) are accepted for any country; national forms only when the
    country is known (``country_code``, ISO 3166-1 alpha-2) and listed above. Letters, extensions
    and impossible lengths give None: a store's free-text phone field must not break a webhook.
    """
    compact = _PHONE_PUNCTUATION.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        return compact if E164_PATTERN.fullmatch(compact) else None
    if not compact.isdigit() or country_code is None:
        return None
    country = country_code.upper()
    if country in _NANP_COUNTRIES:
        national = compact[1:] if len(compact) == 11 and compact.startswith("1") else compact
        return "+1" + national if _NANP_NATIONAL.fullmatch(national) else None
    if country not in _CALLING_CODES:
        return None
    calling_code, drops_trunk_zero = _CALLING_CODES[country]
    national = compact[1:] if drops_trunk_zero and compact.startswith("0") else compact
    candidate = "+" + calling_code + national
    return candidate if E164_PATTERN.fullmatch(candidate) else None


def normalize_locale(raw: str) -> str | None:
    """Return a BCP 47 style tag (``fr``, ``en-US``) or None; stores write ``en_US`` too."""
    tag = raw.strip().replace("_", "-")
    if not tag:
        return None
    language, _, rest = tag.partition("-")
    tag = language.lower() + ("-" + rest if rest else "")
    return tag if _LOCALE_PATTERN.fullmatch(tag) else None

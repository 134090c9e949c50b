"""Normalisation of the identifiers a person is found by: email address, phone number, locale.

Pure functions on strings (no pydantic), shared by the canonical models, which validate with them,
and by the store normalizers, which clean store data with them before building those models.
"""

from __future__ import annotations

import re

_EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit
_EMAIL_LOCAL_MAX_LENGTH = 64
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+")
# Letters and digits of any script (internationalised domains), inner hyphens.
_DOMAIN_LABEL_PATTERN = re.compile(r"[^\W_](?:[^\W_]|-)*(?<!-)")

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
    """Return the address trimmed and lower-cased; raise ValueError when it is not an address.

    The check is deliberately pragmatic (one @, a dotted domain of valid labels): deliverability is
    SES's business; this only keeps garbage out of the identity index.
    """
    address = raw.strip().lower()
    if len(address) > _EMAIL_MAX_LENGTH or not _EMAIL_PATTERN.fullmatch(address):
        raise ValueError("is not a valid email address")
    local, domain = address.rsplit("@", 1)
    labels = domain.split(".")
    if (
        len(local) > _EMAIL_LOCAL_MAX_LENGTH
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_DOMAIN_LABEL_PATTERN.fullmatch(label) for label in labels)
    ):
        raise ValueError("is not a valid email address")
    return address


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

"""The recipient's time zone, for quiet hours and send hours (pure).

In order: the profile's ``time_zone`` (an IANA name), else a representative zone of the phone
number's country (the region its calling code and number belong to, by ``phonenumbers``), else of
the profile's country (``location.country_code``), else the store's default
(``DeliveryPolicy.default_time_zone``), else UTC. A country spanning several zones gets its most
populous one, so quiet hours may be an hour or more off at its edges: a profile's own zone always
wins. The number comes before the address: an SMS is read where the phone is, and a number's
country is rarely wrong where a store's address form may hold a billing country.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ISO 3166-1 alpha-2 → the zone most of the country's people live in.
COUNTRY_ZONES: Final[dict[str, str]] = {
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BE": "Europe/Brussels",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CO": "America/Bogota",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "MX": "America/Mexico_City",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PE": "America/Lima",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "TR": "Europe/Istanbul",
    "US": "America/New_York",
    "ZA": "Africa/Johannesburg",
}

UTC_ZONE: Final = ZoneInfo("UTC")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def phone_region(phone: str) -> str | None:
    """The ISO 3166-1 region of an E.164 number (``+33…`` → ``FR``; ``+1 416…`` → ``CA``), None when
    it has none (a malformed number, a non-geographic code)."""
    if not phone.startswith("+"):
        return None
    # Imported here, as in nurture.identity: phonenumbers loads on the first number that needs it.
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    # A valid number names its region (+1 is shared by the US, Canada and the Caribbean); an invalid
    # one still has its calling code's main region.
    region = phonenumbers.region_code_for_number(number)
    if region is None and number.country_code is not None:
        region = phonenumbers.region_code_for_country_code(number.country_code)
    return None if region in (None, phonenumbers.UNKNOWN_REGION, "001") else region


def recipient_zone(
    time_zone: str | None, country_code: str | None, default: str | None = None, phone: str | None = None
) -> ZoneInfo:
    """The zone quiet hours and send hours are counted in (see the module's docstring)."""
    zone = _zone(time_zone)
    if zone is not None:
        return zone  # the number is not even parsed
    region = phone_region(phone) if phone else None
    phone_zone = COUNTRY_ZONES.get(region) if region else None
    country_zone = COUNTRY_ZONES.get(country_code.upper()) if country_code else None
    for candidate in (phone_zone, country_zone, default):
        zone = _zone(candidate)
        if zone is not None:
            return zone
    return UTC_ZONE

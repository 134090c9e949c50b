"""The recipient's time zone, for quiet hours and send hours (pure).

In order: the profile's ``time_zone`` (an IANA name), else a representative zone of the profile's
country (``location.country_code``; a country spanning several zones gets its most populous one,
so quiet hours may be an hour or more off at its edges: a profile's own zone always wins), else the
store's default (``DeliveryPolicy.default_time_zone``), else UTC.
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


def recipient_zone(time_zone: str | None, country_code: str | None, default: str | None = None) -> ZoneInfo:
    """The zone quiet hours and send hours are counted in (see the module's docstring)."""
    country_zone = COUNTRY_ZONES.get(country_code.upper()) if country_code else None
    for candidate in (time_zone, country_zone, default):
        zone = _zone(candidate)
        if zone is not None:
            return zone
    return UTC_ZONE

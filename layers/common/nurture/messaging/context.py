"""The context email templates are rendered with (documented in `nurture.messaging.rendering`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nurture.messaging.delivery import Recipient

DEFAULT_STORE_NAME = "our store"
_NOTHING_PERSONAL: Mapping[str, Any] = {"offer": None, "offer_reason": None, "recommendations": [], "places": []}
_SHOPIFY_SUFFIX = ".myshopify.com"
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}")


def store_host(store: str | None) -> str | None:
    """The store's host name when its identifier is one (``acme.myshopify.com``, ``shop.example``)."""
    if not store:
        return None
    host = store.strip().lower().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return host if _HOST.fullmatch(host) else None


def store_display_name(store: str | None) -> str:
    """A name to show people: ``acme-outfitters.myshopify.com`` → ``Acme Outfitters``,
    ``www.example.com`` → ``example.com``; anything that is not a host name is shown as given."""
    if not store or not store.strip():
        return DEFAULT_STORE_NAME
    host = store_host(store)
    if host is None:
        return store.strip()
    if host.endswith(_SHOPIFY_SUFFIX):
        handle = host.removesuffix(_SHOPIFY_SUFFIX)
        return " ".join(word.capitalize() for word in re.split(r"[-_.]+", handle) if word) or DEFAULT_STORE_NAME
    return host.removeprefix("www.")


def store_url(store: str | None) -> str | None:
    host = store_host(store)
    return None if host is None else f"https://{host}/"


def email_context(
    recipient: Recipient,
    *,
    journey: str,
    step: str,
    unsubscribe_url: str,
    preferences_url: str | None = None,
    confirm_url: str | None = None,
    enrolment_id: str = "",
    enrolment_data: Mapping[str, Any] | None = None,
    personal: Mapping[str, Any] | None = None,
    template: str | None = None,
) -> dict[str, Any]:
    """Everything a journey email template may use. Every key is always present (StrictUndefined);
    ``enrolment.data`` is what the enrolment's trigger event carried (``data.checkout.line_items``),
    an empty mapping when it carried nothing. ``personal``: the send's offer, ``offer_reason``,
    ``recommendations`` and ``places`` (`nurture.messaging.personal`, docs/offers.md), empty when
    the step has none; ``variant`` is the template set rendered."""
    return {
        **(personal if personal is not None else _NOTHING_PERSONAL),
        "variant": template or f"{journey}/{step}",
        "contact": {
            "first_name": (recipient.first_name or "").strip() or None,
            "last_name": (recipient.last_name or "").strip() or None,
            "locale": recipient.locale,
        },
        "store": {"name": store_display_name(recipient.store), "url": store_url(recipient.store)},
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        # Only on a transactional (double opt-in) send: the signed link that confirms the sign-up.
        "confirm_url": confirm_url,
        "journey": journey,
        "step": step,
        "enrolment": {"id": enrolment_id, "data": dict(enrolment_data or {})},
    }

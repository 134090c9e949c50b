"""What the service desk sees of one contact (`nurture contact show`; pure): read from the items a
privacy export reads (`PrivacyStore.contact_items`), shown without the personal data a service
desk does not need: the first name and a masked email address, never the address, the phone
number, the location or an event's body.

- the profile view's ``email_consent`` / ``sms_consent``, ``tier``, ``rfm``, ``clv`` (with its
  currency), ``scores`` (at ``now``), ``segments``, ``lists`` and ``tags``;
- ``journeys``: the enrolments (``ENROLMENT#`` items): journey, status, reason, started / ended;
- ``offers``: the codes claimed (``OFFER#<pool>#<enrolment id>#<step id>``: pool, code, at,
  enrolment, step; docs/offers.md) and ``personalisation``: the decisions stored per send
  (``PERSONAL#<enrolment id>#<step id>``: variant, template, offer, offer reason, at).

`journeys_of` and `offers_of` are also what the local runtime's report shows per contact.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nurture.journeys.views import profile_view

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from nurture.privacy.requests import HeldItem
    from nurture.profiles.model import Profile

ENROLMENT_PREFIX = "ENROLMENT#"
OFFER_PREFIX = "OFFER#"
PERSONAL_PREFIX = "PERSONAL#"


def mask_email(address: str | None) -> str | None:
    """``a***@example.com``: enough to confirm an address a caller gives, not to read one."""
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _sorted_by(records: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: tuple(str(record.get(name) or "") for name in names))


def journeys_of(items: Iterable[HeldItem]) -> list[dict[str, Any]]:
    """The contact's enrolments, oldest first: ``{journey, status, reason, started_at, ended_at}``."""
    return _sorted_by(
        [
            {name: item.attributes.get(name) for name in ("journey", "status", "reason", "started_at", "ended_at")}
            for item in items
            if item.sk.startswith(ENROLMENT_PREFIX)
        ],
        "started_at",
        "journey",
    )


def offers_of(items: Iterable[HeldItem]) -> list[dict[str, Any]]:
    """The codes claimed for the contact, oldest first: ``{pool, code, at, enrolment, step}``."""
    offers = []
    for item in items:
        if not item.sk.startswith(OFFER_PREFIX):
            continue
        pool, _, rest = item.sk.removeprefix(OFFER_PREFIX).partition("#")
        enrolment, _, step = rest.rpartition("#")
        offers.append(
            {
                "pool": pool,
                "code": item.attributes.get("code"),
                "at": item.attributes.get("at"),
                "enrolment": enrolment or None,
                "step": step or None,
            }
        )
    return _sorted_by(offers, "at", "pool")


def personalisation_of(items: Iterable[HeldItem]) -> list[dict[str, Any]]:
    """The decisions stored per send, oldest first (recommendations left out: product lists)."""
    decisions = []
    for item in items:
        if not item.sk.startswith(PERSONAL_PREFIX):
            continue
        enrolment, _, step = item.sk.removeprefix(PERSONAL_PREFIX).rpartition("#")
        attributes = item.attributes
        decisions.append(
            {
                "enrolment": enrolment or None,
                "step": step or None,
                "variant": attributes.get("variant"),
                "template": attributes.get("template"),
                "offer": _json(attributes.get("offer")),
                "offer_reason": attributes.get("offer_reason"),
                "at": attributes.get("at"),
            }
        )
    return _sorted_by(decisions, "at", "enrolment", "step")


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def contact_view(profile: Profile | None, items: Iterable[HeldItem], now: datetime) -> dict[str, Any]:
    """The service desk's document for one contact (``profile`` None: the partition holds no profile
    item, e.g. an erasure midway)."""
    held = list(items)
    document: dict[str, Any] = {
        "contact_id": profile.contact_id if profile is not None else None,
        "first_name": None,
        "email": None,
    }
    if profile is not None:
        view = profile_view(profile, now=now)
        value = profile.insights.value if profile.insights is not None else None
        document.update(
            first_name=profile.first_name,
            email=mask_email(profile.email),
            **{name: view[name] for name in _PROFILE_FIELDS},
            clv=None if value is None else {"amount": str(value.clv), "currency": value.currency},
        )
    document.update(journeys=journeys_of(held), offers=offers_of(held), personalisation=personalisation_of(held))
    return document


_PROFILE_FIELDS = ("email_consent", "sms_consent", "tier", "rfm", "scores", "segments", "lists", "tags")


def render(document: Mapping[str, Any]) -> str:
    """The document as text for a terminal: one line per fact, one per enrolment and offer."""
    lines = [
        f"contact {document['contact_id']}  {document['first_name'] or '-'}  {document['email'] or '-'}",
        f"consent: email {document.get('email_consent') or '-'}, sms {document.get('sms_consent') or '-'}",
        f"tier: {document.get('tier') or '-'}  rfm: {_rfm(document.get('rfm'))}  clv: {_clv(document.get('clv'))}",
        "scores: "
        + (", ".join(f"{name} {value:.2f}" for name, value in sorted((document.get("scores") or {}).items())) or "-"),
        f"segments: {', '.join(document.get('segments') or []) or '-'}",
        f"lists: {', '.join(document.get('lists') or []) or '-'}  tags: {', '.join(document.get('tags') or []) or '-'}",
        f"journeys ({len(document['journeys'])}):",
        *(
            f"  {j['journey']}  {j['status']}{' (' + j['reason'] + ')' if j.get('reason') else ''}"
            f"  {j.get('started_at') or '-'} → {j.get('ended_at') or '-'}"
            for j in document["journeys"]
        ),
        f"offers ({len(document['offers'])}):",
        *(f"  {o['pool']}  {o['code']}  {o.get('at') or '-'}" for o in document["offers"]),
        f"personalisation ({len(document['personalisation'])}):",
        *(
            f"  {p['enrolment']} / {p['step']}  {p.get('template') or '-'}  offer: {p.get('offer_reason') or '-'}"
            for p in document["personalisation"]
        ),
    ]
    return "\n".join(lines)


def _rfm(rfm: Mapping[str, Any] | None) -> str:
    return "-" if not rfm else f"R{rfm['recency']} F{rfm['frequency']} M{rfm['monetary']}"


def _clv(clv: Mapping[str, Any] | None) -> str:
    return "-" if not clv else f"{clv['amount']} {clv['currency']}"

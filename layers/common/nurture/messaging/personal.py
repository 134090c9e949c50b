"""What a send's message is personalised with (docs/offers.md): the variant's template set, the offer
and the recommendations (and the geolocation journey's places), decided once per send and stored,
so that a retry, a deferral and the reconciler's re-send render the same message.

`Personalisation.context` is what the templates get; every key is always there (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nurture.messaging.claims import SendKey

# Why a send has no code (``offer_reason``); "claimed" when it has one.
CLAIMED = "claimed"
POOL_EMPTY = "pool_empty"
NOT_ELIGIBLE = "not_eligible"
JUST_BOUGHT = "just_bought"
NO_RECOMMENDATIONS = "no_recommendations"  # a send whose recommendations are its point: skipped


@dataclass(frozen=True, slots=True)
class Personalisation:
    variant: int = 0  # 0: the step's own version; n: its n-th variant
    offer: Mapping[str, Any] | None = None  # {code, discount, pool, expires_at}
    offer_reason: str | None = None  # None: the step has no offer
    recommendations: tuple[Mapping[str, Any], ...] = ()
    places: tuple[Mapping[str, Any], ...] = ()
    skip_reason: str | None = None  # set: the send is skipped for this reason (nothing is stored)

    def context(self) -> dict[str, Any]:
        return {
            "offer": dict(self.offer) if self.offer is not None else None,
            "offer_reason": self.offer_reason,
            "recommendations": [dict(item) for item in self.recommendations],
            "places": [dict(place) for place in self.places],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "offer": dict(self.offer) if self.offer is not None else None,
            "offer_reason": self.offer_reason,
            "recommendations": [dict(item) for item in self.recommendations],
            "places": [dict(place) for place in self.places],
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Personalisation:
        offer = document.get("offer")
        return cls(
            variant=int(document.get("variant") or 0),
            offer=dict(offer) if isinstance(offer, Mapping) else None,
            offer_reason=document.get("offer_reason"),
            recommendations=tuple(dict(item) for item in document.get("recommendations") or ()),
            places=tuple(dict(place) for place in document.get("places") or ()),
        )


NONE = Personalisation()  # a send with nothing personalised: no offer, no recommendations


def empty_context() -> dict[str, Any]:
    return NONE.context()


class PersonalisationStore(Protocol):
    """The decisions, one per send (`nurture.adapters.dynamodb_personal`):
    ``CONTACT#<contact_id>`` / ``PERSONAL#<enrolment id>#<step id>``."""

    def get(self, key: SendKey) -> Personalisation | None: ...

    def put_first(self, key: SendKey, personal: Personalisation, *, at: str) -> Personalisation:
        """Store it unless one is stored already; the one that stands (ours, or the earlier one)."""
        ...

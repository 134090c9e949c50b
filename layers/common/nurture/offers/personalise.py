"""Deciding a send's personalisation (docs/offers.md): its variant, its offer, its recommendations
and (the geolocation journey) the places near the contact. Pure apart from the ports below.

The variant is chosen when the send is tried (`choose_variant`, on the views a branch reads); the
rest only once the delivery rules let the message go (`Personaliser.decide`, which claims a code)
and then stored, so a retry, a deferral and the reconciler's re-send render the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from nurture.journeys.conditions import all_hold, lookup
from nurture.journeys.definition import OfferSpec, RecommendSpec, SendSpec, VariantSpec
from nurture.messaging.claims import SendKey
from nurture.messaging.personal import (
    CLAIMED,
    JUST_BOUGHT,
    NO_RECOMMENDATIONS,
    NOT_ELIGIBLE,
    POOL_EMPTY,
    Personalisation,
    PersonalisationStore,
)


class ClaimResult(Protocol):
    status: Literal["claimed", "pool_empty"]
    code: str | None
    expires_at: str | None


class CodePool(Protocol):
    """`nurture.adapters.dynamodb_codes`: one code per contact and claim key, atomically."""

    def claim(self, pool: str, contact_id: str, claim_key: str, at: datetime) -> ClaimResult: ...


class Recommender(Protocol):
    def recommend(
        self, contact_id: str, spec: RecommendSpec, views: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]: ...


class JustBought(Protocol):
    def __call__(self, contact_id: str, product_ids: Sequence[str], views: Mapping[str, Any], now: datetime) -> bool:
        """Whether the contact bought every one of these products lately (docs/offers.md: never a
        discount on a product the contact just bought)."""
        ...


# The places near a contact, for the template (`nurture.journeys.views.template_places` on the profile).
Places = Callable[[str, datetime], Sequence[Mapping[str, Any]]]


class ChecksDiscounts(Protocol):
    def discountable(self, contact_id: str, products: Collection[str], *, excluding_order: str | None) -> bool: ...


def just_bought_by(checker: ChecksDiscounts) -> JustBought:
    """The rule on the contact's order history (`nurture.offers.service.Recommender.discountable`),
    not counting the order that started the enrolment (a post-purchase journey's own order)."""

    def just_bought(contact_id: str, product_ids: Sequence[str], views: Mapping[str, Any], now: datetime) -> bool:
        trigger_order = lookup(views, "enrolment.data.order.order_id")
        excluding = trigger_order if isinstance(trigger_order, str) else None
        return not checker.discountable(contact_id, product_ids, excluding_order=excluding)

    return just_bought


def choose_variant(spec: SendSpec, views: Mapping[str, Any]) -> int:
    """0 for the step's own version, n for the first variant whose conditions hold."""
    for index, variant in enumerate(spec.variants, start=1):
        if all_hold(variant.when, views):
            return index
    return 0


def variant_of(spec: SendSpec, index: int) -> VariantSpec | None:
    return spec.variants[index - 1] if 0 < index <= len(spec.variants) else None


def offer_of(spec: SendSpec, index: int) -> OfferSpec | None:
    variant = variant_of(spec, index)
    return variant.offer if variant is not None and variant.offer is not None else spec.offer


def needs_decision(spec: SendSpec) -> bool:
    """Whether a send has anything to decide once it may go (and to store)."""
    return spec.offer is not None or spec.recommend is not None or spec.places or any(v.offer for v in spec.variants)


def product_ids(value: Any) -> list[str]:
    """The product ids of line items (or of a single product) read from a view path."""
    items = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    found = [str(item.get("product_id")) for item in items if isinstance(item, Mapping) and item.get("product_id")]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Personaliser:
    store: PersonalisationStore
    codes: CodePool | None = None  # None: every offer is pool_empty (no pools wired)
    recommender: Recommender | None = None  # None: no recommendations
    discounts: Mapping[str, str] | None = None  # pool id -> the words an email shows ("15% off")
    just_bought: JustBought | None = None  # None: the rule never withholds a code
    places: Places | None = None  # the places near the contact (the geolocation journey)

    def decide(
        self,
        key: SendKey,
        spec: SendSpec,
        variant: int,
        views: Mapping[str, Any],
        now: datetime,
    ) -> Personalisation:
        stored = self.store.get(key)
        if stored is not None:
            return stored
        recommendations: tuple[Mapping[str, Any], ...] = ()
        if spec.recommend is not None and self.recommender is not None:
            recommendations = tuple(self.recommender.recommend(key.contact_id, spec.recommend, views))
        if spec.recommend is not None and spec.recommend.skip_when_empty and not recommendations:
            # Decided before any code is claimed: a skipped send must not use one up.
            return Personalisation(variant=variant, skip_reason=NO_RECOMMENDATIONS)
        offer, reason = self._offer(key, offer_of(spec, variant), views, now)
        profile = views.get("profile")
        near = spec.places and isinstance(profile, Mapping) and bool(profile.get("nearby"))  # read the point then
        places = tuple(self.places(key.contact_id, now)) if self.places is not None and near else ()
        decided = Personalisation(
            variant=variant,
            offer=offer,
            offer_reason=reason,
            recommendations=recommendations,
            places=places,
        )
        if offer is None and not recommendations and not places and variant == 0 and reason is None:
            return decided  # nothing to keep
        return self.store.put_first(key, decided, at=now.isoformat())

    def _offer(
        self, key: SendKey, spec: OfferSpec | None, views: Mapping[str, Any], now: datetime
    ) -> tuple[dict[str, Any] | None, str | None]:
        if spec is None:
            return None, None
        if not all_hold(spec.when, views):
            return None, NOT_ELIGIBLE
        if spec.products is not None and self.just_bought is not None:
            products = product_ids(lookup(views, spec.products))
            if products and self.just_bought(key.contact_id, products, views, now):
                return None, JUST_BOUGHT
        if self.codes is None:
            return None, POOL_EMPTY
        claim_key = f"{spec.pool}#{key.enrolment}#{key.step}"
        result = self.codes.claim(spec.pool, key.contact_id, claim_key, now)
        if result.status != CLAIMED or result.code is None:
            return None, POOL_EMPTY
        discount = (self.discounts or {}).get(spec.pool)
        return {"code": result.code, "pool": spec.pool, "discount": discount, "expires_at": result.expires_at}, CLAIMED

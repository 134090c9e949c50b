"""The profile store's table items: explicit mapping to and from the domain models, keys, privacy."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from nurture.adapters import dynamodb_profile_items as items
from nurture.events import Contact
from nurture.profiles.errors import CorruptProfileItem
from nurture.profiles.model import (
    ConsentRecord,
    Engagement,
    GeoPoint,
    OrderKey,
    OrderRecord,
    OrderStats,
    Profile,
    ProfileLocation,
    StoreCustomer,
)

T = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def stored(attributes: items.Attributes) -> dict[str, object]:
    """What DynamoDB holds after the update: the attributes that were set."""
    return {name: value for name, value in attributes.items() if value is not None}


def full_profile() -> Profile:
    return Profile(
        contact_id="abc123",
        created_at=T,
        updated_at=T + timedelta(days=1),
        source="shopify",
        store="acme.myshopify.com",
        email="ada@example.com",
        phone="+14155550123",
        customers=frozenset(
            {StoreCustomer("shopify", "acme.myshopify.com", "7"), StoreCustomer("generic", "web", "x")}
        ),
        first_name="Ada",
        last_name="Lovelace",
        locale="en-GB",
        time_zone="Europe/London",
        birthday=date(1815, 12, 10),
        location=ProfileLocation(country_code="GB", city="London", point=GeoPoint(51.5074, -0.1278)),
        contact_updated_at=T,
        email_consent=ConsentRecord("subscribed", T, "shopify", "acme.myshopify.com", "e1", "confirmed_opt_in"),
        sms_consent=ConsentRecord("unsubscribed", T, "shopify", "acme.myshopify.com", "e2"),
        orders=OrderStats(
            count=2,
            revenue={"EUR": Decimal("120.50"), "USD": Decimal("9.99")},
            products=frozenset({"p-1", "p-2"}),
            categories=frozenset({"tea"}),
            first_order_at=T,
            last_order_at=T + timedelta(hours=5),
        ),
        engagement=Engagement(last_open_at=T, last_click_at=None),
        last_activity_at=T + timedelta(hours=5),
    )


def test_given_a_full_profile_when_mapped_to_an_item_and_back_then_nothing_is_lost() -> None:
    profile = full_profile()

    restored, version = items.profile_from_item(stored(items.profile_attributes(profile, 7)))

    assert restored == profile
    assert version == 7


def test_given_a_bare_profile_when_mapped_then_unknown_values_are_removed_not_written_empty() -> None:
    profile = Profile(contact_id="abc", created_at=T, updated_at=T, source="generic", store="web")

    attributes = items.profile_attributes(profile, 1)

    removed = {name for name, value in attributes.items() if value is None}
    assert {"email", "phone", "products_bought", "categories_bought", "email_consent", "customers"} <= removed
    assert {"birthday", "birthday_md"} <= removed  # out of the sparse birthday index
    assert items.profile_from_item(stored(attributes)) == (profile, 1)


def test_given_a_profile_item_when_mapped_then_times_are_fixed_width_utc_text() -> None:
    attributes = items.profile_attributes(full_profile(), 1)

    assert attributes["created_at"] == {"S": "2026-03-01T12:30:15.123456+00:00"}
    assert attributes["revenue"] == {"M": {"EUR": {"N": "120.50"}, "USD": {"N": "9.99"}}}
    assert (attributes["birthday"], attributes["birthday_md"]) == ({"S": "1815-12-10"}, {"S": "12-10"})


def test_given_an_item_with_a_wrong_type_when_read_then_it_is_a_corrupt_item() -> None:
    item = stored(items.profile_attributes(full_profile(), 1))
    item["order_count"] = {"S": "two"}

    with pytest.raises(CorruptProfileItem, match="order_count"):
        items.profile_from_item(item)


def test_given_an_item_with_an_unknown_consent_state_when_read_then_it_is_a_corrupt_item() -> None:
    item = stored(items.profile_attributes(full_profile(), 1))
    item["email_consent"] = {"M": {**item["email_consent"]["M"], "state": {"S": "maybe"}}}

    with pytest.raises(CorruptProfileItem, match="consent state"):
        items.profile_from_item(item)


def test_given_an_order_record_when_mapped_and_back_then_nothing_is_lost() -> None:
    record = OrderRecord(
        key=OrderKey("woocommerce", "shop.example.com", "42"),
        status="paid",
        counted=True,
        currency="EUR",
        total=Decimal("19.90"),
        placed_at=T,
        paid_at=T + timedelta(minutes=3),
    )

    item = items.order_item("abc", record, T)

    assert item["sk"] == {"S": "ORDER#woocommerce#shop.example.com#42"}
    assert items.order_from_item(item) == record


def test_given_an_email_when_keyed_then_the_key_holds_its_hash_never_the_address() -> None:
    contact = Contact(email="Ada@Example.com", phone="+14155550123", customer_id="7")

    identities = items.contact_identities(contact, source="shopify", store="acme.myshopify.com")

    digest = hashlib.sha256(b"ada@example.com").hexdigest()
    assert [identity.kind for identity in identities] == ["email", "customer", "phone"]
    assert identities[0].pk == f"IDENTITY#email#{digest}"
    assert identities[1].pk == "IDENTITY#customer#shopify#acme.myshopify.com#7"
    assert identities[2].pk == f"IDENTITY#phone#{hashlib.sha256(b'+14155550123').hexdigest()}"
    item = items.identity_item(identities[0], "abc", T)
    assert "ada@example.com" not in json.dumps(item).lower()
    assert item["contact_id"] == {"S": "abc"}

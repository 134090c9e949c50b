"""A contact's point: Shopify's geocoded order addresses and the generic webhook's location."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from capture_payloads import load_fixture

from nurture.capture import generic, shopify
from nurture.capture.errors import InvalidPayload
from nurture.events import Location

STORE = "acme.myshopify.com"


def order_with(billing: tuple[Any, Any], shipping: tuple[Any, Any]) -> dict[str, Any]:
    """The published orders/create payload (its addresses carry latitude / longitude, null there)
    with the coordinates a geocoded order has."""
    payload = copy.deepcopy(load_fixture("shopify", "orders_create.json"))
    for name, (latitude, longitude) in (("billing_address", billing), ("shipping_address", shipping)):
        payload[name]["latitude"], payload[name]["longitude"] = latitude, longitude
    return payload


def contact_location(payload: dict[str, Any]) -> Location | None:
    contact = shopify.normalize("orders/create", payload, store=STORE)[0].contact
    assert contact is not None
    return contact.location


def test_the_published_fixture_has_null_coordinates_so_no_point() -> None:
    location = contact_location(load_fixture("shopify", "orders_create.json"))

    assert location is not None
    assert (location.latitude, location.longitude) == (None, None)
    assert location.country_code is not None  # the address fields are still mapped


@pytest.mark.parametrize(
    ("billing", "shipping", "point"),
    [
        pytest.param((45.41634, -75.6868), (38.2, -85.7), (45.41634, -75.6868), id="billing first"),
        pytest.param((None, None), (38.2, -85.7), (38.2, -85.7), id="shipping when billing is not geocoded"),
        pytest.param(("45.5", "-73.6"), (None, None), (45.5, -73.6), id="numbers as text"),
        pytest.param((45.5, None), (38.2, -85.7), (38.2, -85.7), id="half a point is no point"),
        pytest.param((None, None), (None, None), (None, None), id="none geocoded"),
        pytest.param((95.0, 10.0), (None, None), (None, None), id="off the globe: dropped, not refused"),
        pytest.param(("north", "east"), (None, None), (None, None), id="not numbers: dropped, not refused"),
        pytest.param((True, 1.0), (None, None), (None, None), id="a boolean is not a coordinate"),
    ],
)
def test_a_shopify_purchase_gives_the_point_of_its_first_geocoded_address(
    billing: tuple[Any, Any], shipping: tuple[Any, Any], point: tuple[float | None, float | None]
) -> None:
    location = contact_location(order_with(billing, shipping))

    assert location is not None
    assert (location.latitude, location.longitude) == point


def generic_body(location: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "product.viewed",
        "id": "view-1",
        "occurred_at": "2026-05-04T09:30:00+02:00",
        "contact": {"email": "ada@example.org", "location": location},
        "product": {"product_id": "p-7", "title": "Blue mug"},
    }


def test_a_generic_sender_gives_the_event_s_geo() -> None:
    body = generic_body({"country_code": "FR", "latitude": 48.8566, "longitude": 2.3522})

    events = generic.normalize("", body, store="web")

    assert [event.type for event in events][-1] == "product.viewed"
    for event in events:
        assert event.contact is not None
        assert event.contact.location == Location(country_code="FR", latitude=48.8566, longitude=2.3522)


@pytest.mark.parametrize(
    ("location", "field"),
    [
        pytest.param({"latitude": 48.8}, "contact.location", id="latitude alone"),
        pytest.param({"longitude": 2.3}, "contact.location", id="longitude alone"),
        pytest.param({"latitude": 90.5, "longitude": 2.3}, "contact.location.latitude", id="latitude above 90"),
        pytest.param({"latitude": 4, "longitude": -180.5}, "contact.location.longitude", id="longitude below -180"),
        pytest.param({"latitude": "north", "longitude": 2.3}, "contact.location.latitude", id="not a number"),
    ],
)
def test_a_generic_point_that_is_not_one_is_refused_naming_the_field(location: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPayload) as raised:
        generic.normalize("", generic_body(location), store="web")

    assert [error["field"] for error in raised.value.errors] == [field]


@pytest.mark.parametrize(
    "fields",
    [{"latitude": 1.0}, {"longitude": 1.0}, {"latitude": -91.0, "longitude": 0.0}, {"latitude": 0.0, "longitude": 181}],
)
def test_the_canonical_location_holds_a_whole_point_on_the_globe_or_none(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"latitude|longitude"):
        Location(**fields)

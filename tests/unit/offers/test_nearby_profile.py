"""The profile's latest point (planning) and the places near it in the profile view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nurture.config import CONFIG_DIR_VARIABLE
from nurture.events import Contact, ContactUpserted, Location, derive_event_id
from nurture.journeys.views import profile_view, template_places, trigger_views
from nurture.offers.places import _places_in
from nurture.profiles.model import GeoPoint, Profile
from nurture.profiles.planning import plan_update

T0 = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
CONTACT_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
PARIS = (48.8566, 2.3522)
LYON = (45.7640, 4.8357)
PLACES = """
places:
  - {id: marais, name: Acme Le Marais, kind: store, latitude: 48.8589, longitude: 2.3622,
     url: "https://acme.example/marais"}
  - {id: versailles, name: Acme Versailles, kind: store, latitude: 48.8049, longitude: 2.1204}
  - {id: fair, name: The Paris fair, kind: event, latitude: 48.8320, longitude: 2.2880,
     starts_at: "2026-05-14T09:00:00+02:00", ends_at: "2026-05-17T19:00:00+02:00"}
"""


def upserted(hours: float, location: Location | None) -> ContactUpserted:
    at = T0 + timedelta(hours=hours)
    return ContactUpserted(
        event_id=derive_event_id("generic", "web", "contact.upserted", "contact/ada", at),
        source="generic",
        store="web",
        source_topic="contact.upserted",
        occurred_at=at,
        contact=Contact(email="ada@example.com", location=location),
    )


def replay(*events: ContactUpserted) -> Profile:
    profile: Profile | None = None
    for event in events:
        profile = plan_update(profile, event, contact_id=CONTACT_ID, now=event.occurred_at).after
    assert profile is not None
    return profile


def point(profile: Profile) -> GeoPoint | None:
    return profile.location.point if profile.location is not None else None


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([upserted(0, Location(latitude=PARIS[0], longitude=PARIS[1]))], GeoPoint(*PARIS), id="given"),
        pytest.param(
            [
                upserted(0, Location(latitude=PARIS[0], longitude=PARIS[1])),
                upserted(1, Location(latitude=LYON[0], longitude=LYON[1])),
            ],
            GeoPoint(*LYON),
            id="the latest point replaces it",
        ),
        pytest.param(
            [
                upserted(1, Location(latitude=LYON[0], longitude=LYON[1])),
                upserted(0, Location(latitude=PARIS[0], longitude=PARIS[1])),
            ],
            GeoPoint(*LYON),
            id="an older event's point is ignored",
        ),
        pytest.param(
            [upserted(0, Location(latitude=PARIS[0], longitude=PARIS[1])), upserted(1, Location(city="Paris"))],
            GeoPoint(*PARIS),
            id="a location without a point keeps it",
        ),
        pytest.param([upserted(0, None), upserted(1, Location(city="Paris"))], None, id="never given"),
    ],
)
def test_the_profile_keeps_the_latest_point_given(events: list[ContactUpserted], expected: GeoPoint | None) -> None:
    assert point(replay(*events)) == expected


def test_a_point_never_shows_in_a_repr() -> None:
    profile = replay(upserted(0, Location(latitude=PARIS[0], longitude=PARIS[1])))

    assert "48.8" not in repr(profile.location)
    assert "2.35" not in repr(profile.location)


@pytest.fixture
def configured_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "places.yaml").write_text(PLACES, encoding="utf-8")
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))
    _places_in.cache_clear()
    yield
    _places_in.cache_clear()


def located(latitude: float, longitude: float, hours: float = 0) -> Profile:
    return replay(upserted(hours, Location(latitude=latitude, longitude=longitude)))


@pytest.mark.usefixtures("configured_places")
@pytest.mark.parametrize(
    ("profile", "now", "nearby"),
    [
        pytest.param(located(*PARIS), None, ["marais", "fair", "versailles"], id="nearest first, at last activity"),
        pytest.param(located(*PARIS), datetime(2026, 5, 18, tzinfo=UTC), ["marais", "versailles"], id="ended event"),
        pytest.param(located(*LYON), None, [], id="none near"),
        pytest.param(replay(upserted(0, Location(city="Paris"))), None, [], id="no point"),
        pytest.param(located(*PARIS, hours=24 * 8), None, ["marais", "versailles"], id="last activity after the end"),
    ],
)
def test_the_profile_view_lists_the_places_near_the_contact(
    profile: Profile, now: datetime | None, nearby: list[str]
) -> None:
    view = profile_view(profile, now=now)

    assert view["nearby"] == nearby
    assert view["nearest_place"] == (nearby[0] if nearby else None)
    assert "48.8566" not in json.dumps(view)  # the point itself is never in the view


@pytest.mark.usefixtures("configured_places")
def test_a_first_point_near_a_store_is_what_the_geolocation_trigger_sees() -> None:
    before = replay(upserted(0, Location(city="Paris")))
    after = replay(upserted(0, Location(city="Paris")), upserted(1, Location(latitude=PARIS[0], longitude=PARIS[1])))

    views = trigger_views(upserted(1, Location(latitude=PARIS[0], longitude=PARIS[1])), before, after)

    assert (views["before"]["nearest_place"], views["profile"]["nearest_place"]) == (None, "marais")


def test_without_configured_places_nothing_is_near(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))  # no places.yaml there
    _places_in.cache_clear()
    try:
        assert profile_view(located(*PARIS))["nearby"] == []
    finally:
        _places_in.cache_clear()


@pytest.mark.usefixtures("configured_places")
def test_the_template_places_of_a_profile() -> None:
    places = template_places(located(*PARIS), T0)

    assert places == [
        {
            "id": "marais",
            "name": "Acme Le Marais",
            "kind": "store",
            "url": "https://acme.example/marais",
            "distance_km": 0.8,
            "starts_at": None,
        },
        {
            "id": "fair",
            "name": "The Paris fair",
            "kind": "event",
            "url": None,
            "distance_km": 5.4,
            "starts_at": "2026-05-14T09:00:00+02:00",
        },
        {
            "id": "versailles",
            "name": "Acme Versailles",
            "kind": "store",
            "url": None,
            "distance_km": 17.9,
            "starts_at": None,
        },
    ]

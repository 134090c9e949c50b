"""Places near a contact: haversine, the radius and event end rules, places.yaml's loader."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nurture.config import CONFIG_DIR_VARIABLE, SHIPPED_CONFIG_DIR
from nurture.offers import places as places_module
from nurture.offers.places import Place, PlacesError, _places_in, default_places, haversine_km, load_places, places_near
from nurture.profiles.model import GeoPoint

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
PARIS = GeoPoint(48.8566, 2.3522)


@pytest.mark.parametrize(
    ("a", "b", "expected_km", "tolerance_km"),
    [
        pytest.param((48.8566, 2.3522), (51.5074, -0.1278), 343.5, 0.5, id="Paris-London"),
        pytest.param((40.7128, -74.0060), (51.5074, -0.1278), 5570.2, 5.0, id="New York-London"),
        pytest.param((0.0, 0.0), (0.0, 1.0), 111.195, 0.01, id="one degree of the equator"),
        pytest.param((0.0, 0.0), (0.0, 180.0), 20015.1, 0.5, id="antipodes: half the circumference"),
        pytest.param((-33.8688, 151.2093), (-37.8136, 144.9631), 713.4, 2.0, id="Sydney-Melbourne"),
        pytest.param((10.0, 179.5), (10.0, -179.5), 109.5, 0.2, id="across the antimeridian"),
        pytest.param((45.0, 5.0), (45.0, 5.0), 0.0, 0.0, id="same point"),
    ],
)
def test_haversine_against_known_distances(
    a: tuple[float, float], b: tuple[float, float], expected_km: float, tolerance_km: float
) -> None:
    assert haversine_km(*a, *b) == pytest.approx(expected_km, abs=tolerance_km)
    assert haversine_km(*b, *a) == pytest.approx(haversine_km(*a, *b))


def place(place_id: str, latitude: float, longitude: float, **fields: object) -> Place:
    return Place.model_validate(
        {"id": place_id, "name": place_id.title(), "kind": "store", "latitude": latitude, "longitude": longitude}
        | fields
    )


MARAIS = place("marais", 48.8589, 2.3622)  # about 0.8 km from PARIS
VERSAILLES = place("versailles", 48.8049, 2.1204)  # about 17.9 km
ORLEANS = place("orleans", 47.9030, 1.9093)  # about 111 km
FAIR = place(
    "fair",
    48.8320,
    2.2880,
    kind="event",
    starts_at="2026-05-14T09:00:00+02:00",
    ends_at="2026-05-17T19:00:00+02:00",
)  # about 5.4 km


@pytest.mark.parametrize(
    ("places", "now", "expected"),
    [
        pytest.param([ORLEANS, VERSAILLES, MARAIS], NOW, [("marais", 0.8), ("versailles", 17.9)], id="nearest first"),
        pytest.param([ORLEANS], NOW, [], id="beyond the default 25 km"),
        pytest.param([place("orleans", 47.9030, 1.9093, radius_km=120)], NOW, [("orleans", 111.0)], id="own radius"),
        pytest.param([place("marais", 48.8589, 2.3622, radius_km=0.5)], NOW, [], id="radius below the distance"),
        pytest.param([FAIR, MARAIS], NOW, [("marais", 0.8), ("fair", 5.4)], id="an event before it starts"),
        pytest.param([FAIR], datetime(2026, 5, 17, 16, 59, tzinfo=UTC), [("fair", 5.4)], id="an event until it ends"),
        pytest.param([FAIR], datetime(2026, 5, 17, 17, 0, tzinfo=UTC), [], id="an ended event"),
        pytest.param(
            [place("b", 48.8589, 2.3622), place("a", 48.8589, 2.3622)], NOW, [("a", 0.8), ("b", 0.8)], id="ties by id"
        ),
        pytest.param([], NOW, [], id="no place"),
    ],
)
def test_places_near(places: list[Place], now: datetime, expected: list[tuple[str, float]]) -> None:
    near = places_near(PARIS, places, now)

    assert [(found.place.id, found.distance_km) for found in near] == expected


def test_a_nearby_place_in_a_template_names_what_a_message_shows() -> None:
    [near] = places_near(PARIS, [FAIR.model_copy(update={"url": "https://acme.example/fair"})], NOW)

    assert near.template_entry() == {
        "id": "fair",
        "name": "Fair",
        "kind": "event",
        "url": "https://acme.example/fair",
        "distance_km": 5.4,
        "starts_at": "2026-05-14T09:00:00+02:00",
    }


VALID = """
places:
  - {id: marais, name: Acme Le Marais, kind: store, latitude: 48.8589, longitude: 2.3622}
  - {id: fair, name: The fair, kind: event, latitude: 48.83, longitude: 2.29, radius_km: 40,
     url: "https://acme.example/fair", ends_at: "2026-05-17T19:00:00+02:00"}
"""


def test_a_valid_file_loads_with_the_default_radius() -> None:
    marais, fair = load_places(VALID, source="places.yaml")

    assert (marais.id, marais.radius_km, marais.ends_at) == ("marais", 25.0, None)
    assert (fair.kind, fair.radius_km, fair.url) == ("event", 40.0, "https://acme.example/fair")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "places.yaml: places.yaml is a mapping"),
        ("places: [\n", "places.yaml: not valid YAML"),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 91, longitude: 0}\n",
            "places.yaml: places.0 (x).latitude: Input should be less than or equal to 90",
        ),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: -181}\n",
            "places.0 (x).longitude: Input should be greater than or equal to -180",
        ),
        (
            "places:\n  - {id: x, name: X, kind: shop, latitude: 1, longitude: 1}\n",
            "places.0 (x).kind: Input should be",
        ),
        ("places:\n  - {id: Bad-Id, name: X, kind: store, latitude: 1, longitude: 1}\n", "places.0 (Bad-Id).id:"),
        ("places:\n  - {id: x, kind: store, latitude: 1, longitude: 1}\n", "places.0 (x).name: Field required"),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: 1, radius_km: 0}\n",
            "places.0 (x).radius_km: Input should be greater than 0",
        ),
        (
            "places:\n  - {id: x, name: X, kind: event, latitude: 1, longitude: 1}\n",
            "places.0 (x): an event needs ends_at",
        ),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: 1, ends_at: '2026-01-01T00:00:00Z'}\n",
            "places.0 (x): a store has no starts_at / ends_at",
        ),
        (
            "places:\n  - {id: x, name: X, kind: event, latitude: 1, longitude: 1,"
            " starts_at: '2026-01-02T00:00:00Z', ends_at: '2026-01-01T00:00:00Z'}\n",
            "places.0 (x): starts_at must be before ends_at",
        ),
        (
            "places:\n  - {id: x, name: X, kind: event, latitude: 1, longitude: 1, ends_at: '2026-01-01T00:00:00'}\n",
            "places.0 (x).ends_at: Input should have timezone info",
        ),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: 1, url: 'ftp://x'}\n",
            "places.0 (x).url: String should match pattern",
        ),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: 1, colour: red}\n",
            "places.0 (x).colour: Extra inputs are not permitted",
        ),
        (
            "places:\n  - {id: x, name: X, kind: store, latitude: 1, longitude: 1}\n"
            "  - {id: x, name: Y, kind: store, latitude: 2, longitude: 2}\n",
            "places.yaml: place id 'x' is given twice",
        ),
        ("stores: []\n", "stores: Extra inputs are not permitted"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_the_place_and_the_field(text: str, message: str) -> None:
    with pytest.raises(PlacesError) as raised:
        load_places(text, source="places.yaml")

    assert str(raised.value).startswith("places.yaml: ")
    assert message in str(raised.value)


@pytest.mark.parametrize("text", ["", "places: []\n", "# only comments\nplaces:\n"])
def test_an_empty_file_has_no_places(text: str) -> None:
    assert load_places(text, source="places.yaml") == ()


def test_the_shipped_file_has_no_places_and_its_commented_example_is_valid() -> None:
    text = (SHIPPED_CONFIG_DIR / "places.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    commented = lines[lines.index("# places:") :]
    example = "\n".join(line.removeprefix("# ") for line in commented if line.startswith("# "))

    assert load_places(text, source="places.yaml") == ()
    assert [p.id for p in load_places(example, source="example")] == ["paris_marais", "lyon_fair_2026"]


def test_default_places_reads_the_configured_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "places.yaml").write_text(VALID, encoding="utf-8")
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))
    _places_in.cache_clear()
    try:
        assert [p.id for p in default_places()] == ["marais", "fair"]
        (tmp_path / "places.yaml").write_text("places: []\n", encoding="utf-8")
        assert [p.id for p in default_places()] == ["marais", "fair"]  # kept for the process
    finally:
        _places_in.cache_clear()


def test_a_missing_file_is_no_places(tmp_path: Path) -> None:
    assert places_module.read_places(tmp_path / "places.yaml") == ()

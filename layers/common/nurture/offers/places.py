"""Stores and events near a contact (pure but for `default_places`): the geolocation journey's data.

``places.yaml`` (docs/offers.md, "Configuration") lists the places an operator invites contacts to:

```yaml
places:
  - id: paris_marais            # [a-z][a-z0-9_]{0,39}, unique
    name: Acme Le Marais
    kind: store                 # store | event
    latitude: 48.8589
    longitude: 2.3622
    radius_km: 25               # optional (default 25): who counts as near
    url: https://acme.example/stores/marais   # optional
  - id: lyon_fair_2026
    name: Acme at the Lyon fair
    kind: event
    latitude: 45.7640
    longitude: 4.8357
    starts_at: 2026-05-14T09:00:00+02:00      # optional for an event
    ends_at: 2026-05-17T19:00:00+02:00        # required for an event: it is near until it ends
```

A missing file, or ``places: []``, is no place: the geolocation journey stays idle. A bad file is
refused, naming the file, the place (its position and id) and the field. Distances are great-circle
(haversine) on a sphere of the Earth's mean radius: within 0.5 % of the ellipsoid's, more than a
"near" decision needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from nurture.config import config_file
from nurture.events import Latitude, Longitude
from nurture.yaml_files import describe_error, yaml_mapping

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from nurture.profiles.model import GeoPoint

PLACES_FILE = "places.yaml"
DEFAULT_RADIUS_KM = 25.0
# The IUGG mean radius of the Earth.
EARTH_RADIUS_KM = 6371.0088


class PlacesError(ValueError):
    """``places.yaml`` is not valid: the message names the file, the place and the field."""


class Place(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["store", "event"]
    latitude: Latitude
    longitude: Longitude
    radius_km: float = Field(default=DEFAULT_RADIUS_KM, gt=0, le=20000, allow_inf_nan=False)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2048)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _dates_fit_the_kind(self) -> Self:
        if self.kind == "store":
            if self.starts_at is not None or self.ends_at is not None:
                raise ValueError("a store has no starts_at / ends_at (only an event does)")
        elif self.ends_at is None:
            raise ValueError("an event needs ends_at: it is invited to until it ends")
        elif self.starts_at is not None and self.starts_at >= self.ends_at:
            raise ValueError("starts_at must be before ends_at")
        return self

    def open_at(self, now: datetime) -> bool:
        """A store always is; an event until it ends (before it starts too: an invitation precedes it)."""
        return self.ends_at is None or now < self.ends_at


class _PlacesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    places: tuple[Place, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for place in self.places:
            if place.id in seen:
                raise ValueError(f"place id {place.id!r} is given twice")
            seen.add(place.id)
        return self


def load_places(text: str, *, source: str) -> tuple[Place, ...]:
    """The places of a ``places.yaml`` text. Raises `PlacesError` naming ``source``."""
    if not text.strip():
        return ()
    document = yaml_mapping(
        text, source=source, what="places.yaml is a mapping with a list 'places'", error=PlacesError
    )
    if document.get("places") is None:  # "places:" with every example commented out
        document = {**document, "places": []}
    try:
        return _PlacesFile.model_validate(document).places
    except ValidationError as exc:
        problems = "; ".join(describe_error(error, document, ("places",)) for error in exc.errors(include_url=False))
        raise PlacesError(f"{source}: {problems}") from None


def read_places(path: Path) -> tuple[Place, ...]:
    """The places of a file; none when it does not exist."""
    if not path.exists():
        return ()
    return load_places(path.read_text(encoding="utf-8"), source=path.name)


def default_places() -> tuple[Place, ...]:
    """The deployment's places (`nurture.config`), read on first use and kept for the process (per
    directory: the local runtime runs scenarios with their own)."""
    return _places_in(config_file(PLACES_FILE))


@cache
def _places_in(path: Path) -> tuple[Place, ...]:
    return read_places(path)


def haversine_km(latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float) -> float:
    """The great-circle distance between two points (degrees), in kilometres."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    half_dphi = (phi_b - phi_a) / 2
    half_dlambda = math.radians(longitude_b - longitude_a) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class NearbyPlace:
    place: Place
    distance_km: float  # rounded to 0.1 km

    def template_entry(self) -> dict[str, Any]:
        """What a template's ``places`` lists (docs/offers.md, "The template context")."""
        place = self.place
        return {
            "id": place.id,
            "name": place.name,
            "kind": place.kind,
            "url": place.url,
            "distance_km": self.distance_km,
            "starts_at": None if place.starts_at is None else place.starts_at.isoformat(),
        }


def places_near(point: GeoPoint, places: Iterable[Place], now: datetime) -> list[NearbyPlace]:
    """The places within their radius of ``point`` and open at ``now`` (an event not ended),
    nearest first (ties by id)."""
    found = []
    for place in places:
        if not place.open_at(now):
            continue
        distance = haversine_km(point.latitude, point.longitude, place.latitude, place.longitude)
        if distance <= place.radius_km:
            found.append((distance, place.id, place))
    return [NearbyPlace(place, round(distance, 1)) for distance, _, place in sorted(found, key=lambda f: f[:2])]


def nearby_for(point: GeoPoint | None, now: datetime, places: Sequence[Place] | None = None) -> list[NearbyPlace]:
    """`places_near` of a contact's point (none without one), among ``places`` or the deployment's."""
    if point is None:
        return []
    return places_near(point, default_places() if places is None else places, now)

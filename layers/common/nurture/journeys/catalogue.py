"""The journey catalogue: every definition in ``nurture/catalogue/*.yaml``, loaded and validated once
per process (the router and the journey step function read it at cold start)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nurture.journeys.definition import Journey, JourneyDefinitionError, load_journey

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogue"


@dataclass(frozen=True)
class Catalogue(Mapping[str, Journey]):
    journeys: Mapping[str, Journey]

    def __getitem__(self, journey_id: str) -> Journey:
        return self.journeys[journey_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.journeys)

    def __len__(self) -> int:
        return len(self.journeys)

    def triggered_by(self, event_type: str) -> list[Journey]:
        return [journey for journey in self.journeys.values() if event_type in journey.trigger.events]


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Every ``<id>.yaml`` in the directory, sorted by id. Raises JourneyDefinitionError for the
    first invalid file (its message names the file and the field)."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise JourneyDefinitionError(f"{directory}: no journey definitions (<id>.yaml)")
    journeys = {}
    for path in files:
        journey = load_journey(path.read_text(encoding="utf-8"), source=str(path.name), expected_id=path.stem)
        journeys[journey.id] = journey
    return Catalogue(journeys)


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped in the layer, loaded on first use and kept for the process."""
    return load_catalogue()

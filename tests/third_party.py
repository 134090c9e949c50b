"""Published third-party sample payloads (Shopify, WooCommerce, AWS), kept in the repository as published.

``tests/fixtures/third_party/SOURCES.md`` records where each file comes from. Tests read them from here only,
so that a clone of the repository with nothing beside it passes ``make test``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "third_party"


def fixture_bytes(relative: str) -> bytes:
    """The file's bytes exactly as published (signatures are computed over them)."""
    return (FIXTURES / relative).read_bytes()


def fixture_json(relative: str) -> Any:
    return json.loads(fixture_bytes(relative))

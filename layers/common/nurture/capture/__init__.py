"""Capture: turn store webhooks into canonical events (``nurture.events``).

- ``signatures``: verify the HMAC a store sent (no pydantic: cheap to import).
- ``shopify`` / ``woocommerce`` / ``generic``: ``normalize(topic, payload, *, store)`` for each
  source. Each returns a non-empty list of events or raises ``IgnoredTopic`` (answer 202, store
  nothing) or ``InvalidPayload`` (answer 400 with its ``errors``); see ``errors``.

This package's ``__init__`` imports nothing heavy: :func:`load_normalizer` imports a source's
module on first use, so a process loads the models of the sources it is sent, not of every source.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from nurture.capture.errors import UnknownSource

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from nurture.events import CanonicalEvent

SOURCES: tuple[str, ...] = ("shopify", "woocommerce", "generic")


class Normalizer(Protocol):
    def __call__(
        self, topic: str, payload: Mapping[str, Any], *, store: str, received_at: datetime | None = None
    ) -> list[CanonicalEvent]: ...


def load_normalizer(source: str) -> Normalizer:
    """Return ``normalize`` of the source's module; raise ``UnknownSource`` for any other name."""
    if source not in SOURCES:
        raise UnknownSource(source)
    normalize: Normalizer = import_module(f"nurture.capture.{source}").normalize
    return normalize

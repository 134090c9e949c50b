"""Outcomes of capture other than a list of events. No pydantic here: handlers map these to HTTP."""

from __future__ import annotations

from typing import TypedDict


class FieldError(TypedDict):
    field: str  # dotted path into the payload, e.g. "line_items.0.price"; "body" for the whole body
    message: str


class CaptureError(Exception):
    """Base of everything capture raises on purpose."""


class UnknownSource(CaptureError):
    """No normalizer for this source (the handler answers 404)."""

    def __init__(self, source: str) -> None:
        super().__init__(f"unknown source: {source!r}")
        self.source = source


class IgnoredTopic(CaptureError):
    """A well-signed delivery we have no use for: the handler answers 202 and stores nothing.

    Raised for topics we do not map and for deliveries of a mapped topic that carry nothing to act
    on (e.g. a WooCommerce ``order.updated`` whose status is ``on-hold``). Never raised for
    invalid payloads: those are :class:`InvalidPayload`.
    """

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"ignored {topic!r}: {reason}")
        self.topic = topic
        self.reason = reason


class InvalidPayload(CaptureError):
    """The payload does not have the shape we need: the handler answers 400 with ``errors``."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{error['field']}: {error['message']}" for error in errors))
        self.errors = errors

"""Receiving one webhook delivery: the order of checks and what each outcome means.

    unknown source → 404 · body over 256 KB → 413 · WooCommerce activation ping → 200, ignored
    bad or missing signature → 401 · Shopify delivery without X-Shopify-Webhook-Id → 400
    delivery id seen before → 202, not processed again · body not JSON / invalid → 400 naming fields
    topic we do not use → 202, ignored · otherwise the events are queued → 202

Nothing is written for a rejected request. A delivery is remembered only after its events are in the
queue, so a crash in between means the store's retry is processed again; the events carry
deterministic ids, so processing them twice changes nothing downstream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from nurture.capture import SOURCES, load_normalizer
from nurture.capture.errors import FieldError, IgnoredTopic, InvalidPayload
from nurture.capture.signatures import SIGNATURE_HEADERS, TOPIC_HEADERS, verify_hmac_base64

if TYPE_CHECKING:
    from nurture.events import CanonicalEvent

MAX_BODY_BYTES = 256 * 1024
# Headers naming one delivery, used to acknowledge a retried delivery without processing it again.
DELIVERY_ID_HEADERS: dict[str, str] = {
    "shopify": "X-Shopify-Webhook-Id",
    "woocommerce": "X-WC-Webhook-Delivery-ID",
    "generic": "X-Nurture-Delivery-Id",
}
STORE_HEADERS: dict[str, str] = {
    "shopify": "X-Shopify-Shop-Domain",
    "woocommerce": "X-WC-Webhook-Source",
    "generic": "X-Nurture-Store",
}
DEFAULT_GENERIC_STORE = "default"
# Header values end up in table keys (2,048-byte limit) and in every event: bounded and printable,
# checked before anything is read or written. Delivery ids and topics are ASCII tokens (Shopify's
# ids are UUIDs, WooCommerce's 40-hex hashes); a store is a shop domain or a site URL.
MAX_DELIVERY_ID_LENGTH = 255
MAX_TOPIC_LENGTH = 128
MAX_STORE_LENGTH = 255


class EventQueue(Protocol):
    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


class DeliveryLog(Protocol):
    def seen(self, source: str, delivery_id: str) -> bool: ...

    def remember(self, source: str, delivery_id: str) -> None: ...


@dataclass(frozen=True)
class WebhookRequest:
    source: str
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, object]
    events: int = 0
    errors: list[FieldError] = field(default_factory=list)


def receive_webhook(
    request: WebhookRequest,
    *,
    secrets: Mapping[str, str],
    queue: EventQueue,
    deliveries: DeliveryLog,
    received_at: datetime | None = None,
) -> Outcome:
    """Answer one delivery. ``received_at`` is the receiving clock (default: now) that bounds the
    payload's timestamps."""
    received_at = received_at or datetime.now(UTC)
    source = request.source
    if source not in SOURCES:
        return Outcome(404, {"message": f"unknown webhook source '{source}'", "sources": list(SOURCES)})
    if len(request.body) > MAX_BODY_BYTES:
        return Outcome(413, {"message": f"the body is larger than {MAX_BODY_BYTES} bytes"})
    if source == "woocommerce" and _is_activation_ping(request.body):
        return Outcome(200, {"status": "ignored", "reason": "activation ping"})

    secret = secrets.get(source, "").encode()
    if not verify_hmac_base64(secret, request.body, request.header(SIGNATURE_HEADERS[source])):
        return Outcome(401, {"message": f"missing or invalid {SIGNATURE_HEADERS[source]} signature"})

    header_errors = _header_errors(request)
    if header_errors:
        return _invalid(header_errors)
    delivery_id = request.header(DELIVERY_ID_HEADERS[source])
    if source == "shopify" and not delivery_id:
        return _invalid([{"field": "headers.X-Shopify-Webhook-Id", "message": "required header is missing"}])
    if delivery_id and deliveries.seen(source, delivery_id):
        return Outcome(202, {"status": "duplicate", "reason": "delivery already received"})

    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _invalid([{"field": "body", "message": f"not valid JSON: {exc}"}])
    topic = request.header(TOPIC_HEADERS[source]) or ""
    if source != "generic" and not topic:
        return _invalid([{"field": f"headers.{TOPIC_HEADERS[source]}", "message": "required header is missing"}])
    store = request.header(STORE_HEADERS[source]) or (DEFAULT_GENERIC_STORE if source == "generic" else "")
    if not store:
        return _invalid([{"field": f"headers.{STORE_HEADERS[source]}", "message": "required header is missing"}])

    normalize = load_normalizer(source)
    try:
        events = normalize(topic, payload, store=store, received_at=received_at)
    except IgnoredTopic as ignored:
        return Outcome(202, {"status": "ignored", "reason": ignored.reason})
    except InvalidPayload as invalid:
        return _invalid(invalid.errors)

    queue.send(events)
    if delivery_id:
        deliveries.remember(source, delivery_id)
    return Outcome(202, {"status": "accepted", "events": len(events)}, events=len(events))


def _header_errors(request: WebhookRequest) -> list[FieldError]:
    """Delivery id, topic and store headers that are too long or hold what no store sends."""
    source = request.source
    limits = (
        (DELIVERY_ID_HEADERS[source], MAX_DELIVERY_ID_LENGTH, True),
        (TOPIC_HEADERS[source], MAX_TOPIC_LENGTH, True),
        (STORE_HEADERS[source], MAX_STORE_LENGTH, False),
    )
    errors: list[FieldError] = []
    for name, limit, token in limits:
        value = request.header(name)
        if value is None:
            continue
        if len(value) > limit:
            errors.append({"field": f"headers.{name}", "message": f"is longer than {limit} characters"})
        elif not _printable(value, ascii_token=token):
            kind = "visible ASCII characters" if token else "printable text"
            errors.append({"field": f"headers.{name}", "message": f"must be {kind}"})
    return errors


def _printable(value: str, *, ascii_token: bool) -> bool:
    if ascii_token:
        return all("!" <= char <= "~" for char in value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return value.isprintable()


def _invalid(errors: list[FieldError]) -> Outcome:
    return Outcome(400, {"message": "invalid webhook", "errors": errors}, errors=errors)


def _is_activation_ping(body: bytes) -> bool:
    from nurture.capture.woocommerce import activation_ping_webhook_id

    return activation_ping_webhook_id(body) is not None

"""Receiving one webhook delivery: the order of checks and what each outcome means.

    unknown source → 404 · body over 256 KB → 413 · WooCommerce activation ping → 200, ignored
    bad or missing signature (under the store's secret) → 401
    delivery id, topic or store header too long or not printable → 400 naming the header
    Shopify / WooCommerce delivery without its delivery id → 400
    X-Shopify-Triggered-At older than 5 hours or ahead of the clock → 400
    delivery id seen before, or the same body under the same topic for the same store within the
    dedupe window → 202 "duplicate", not processed again
    body not JSON, nested too deep / invalid, timestamps or amounts out of bounds, topic the body
    contradicts → 400 naming fields · topic we do not use → 202, ignored · otherwise queued → 202

Nothing is written for a rejected request. A delivery is remembered only after its events are in the
queue, so a crash in between means the store's retry is processed again; the events carry
deterministic ids, so processing them twice changes nothing downstream.

The signature covers the body only (as Shopify and WooCommerce define it), not the headers; see
docs/webhooks.md ("Replays") for what is bound and what cannot be.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from nurture.capture import SOURCES, load_normalizer
from nurture.capture.errors import FieldError, IgnoredTopic, InvalidPayload
from nurture.capture.limits import (
    MAX_CLOCK_SKEW,
    MAX_DELIVERY_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_STORE_LENGTH,
    MAX_TOPIC_LENGTH,
    SHOPIFY_MAX_DELIVERY_AGE,
)
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
# Stores always send a delivery id; our generic format leaves it optional.
REQUIRED_DELIVERY_ID = frozenset({"shopify", "woocommerce"})
SHOPIFY_TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"

# A source's secret: one string for every store, or an object with one secret per store.
SourceSecret = str | Mapping[str, str]


class EventQueue(Protocol):
    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


class DeliveryLog(Protocol):
    """Deliveries already queued, by key: ``delivery:<id>`` (the store's delivery id) or
    ``body:<sha256 of topic and body>`` (the content dedupe window), both within one store."""

    def seen(self, source: str, store: str, key: str) -> bool: ...

    def remember(self, source: str, store: str, key: str) -> None: ...


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
    secrets: Mapping[str, SourceSecret],
    queue: EventQueue,
    deliveries: DeliveryLog,
    received_at: datetime | None = None,
) -> Outcome:
    """Answer one delivery. ``received_at`` is the receiving clock (default: now) that bounds the
    payload's timestamps and Shopify's X-Shopify-Triggered-At."""
    received_at = received_at or datetime.now(UTC)
    source = request.source
    if source not in SOURCES:
        return Outcome(404, {"message": f"unknown webhook source '{source}'", "sources": list(SOURCES)})
    if len(request.body) > MAX_BODY_BYTES:
        return Outcome(413, {"message": f"the body is larger than {MAX_BODY_BYTES} bytes"})
    if source == "woocommerce" and _is_activation_ping(request.body):
        return Outcome(200, {"status": "ignored", "reason": "activation ping"})

    store = request.header(STORE_HEADERS[source]) or (DEFAULT_GENERIC_STORE if source == "generic" else "")
    secret = webhook_secret(secrets, source, store)
    if not verify_hmac_base64(secret, request.body, request.header(SIGNATURE_HEADERS[source])):
        return Outcome(401, {"message": f"missing or invalid {SIGNATURE_HEADERS[source]} signature"})

    errors = (
        _header_errors(request) or _required_header_errors(request, store) or _freshness_errors(request, received_at)
    )
    if errors:
        return _invalid(errors)
    topic = request.header(TOPIC_HEADERS[source]) or ""
    delivery_id = request.header(DELIVERY_ID_HEADERS[source])
    keys = [f"delivery:{delivery_id}"] if delivery_id else []
    keys.append("body:" + hashlib.sha256(topic.encode() + b"\x1f" + request.body).hexdigest())
    if any(deliveries.seen(source, store, key) for key in keys):
        return Outcome(202, {"status": "duplicate", "reason": "delivery already received"})

    payload, body_error = _parse_json(request.body)
    if body_error is not None:
        return _invalid([body_error])
    normalize = load_normalizer(source)
    try:
        events = normalize(topic, payload, store=store, received_at=received_at)
    except IgnoredTopic as ignored:
        return Outcome(202, {"status": "ignored", "reason": ignored.reason})
    except InvalidPayload as invalid:
        return _invalid(invalid.errors)

    queue.send(events)
    for key in keys:
        deliveries.remember(source, store, key)
    return Outcome(202, {"status": "accepted", "events": len(events)}, events=len(events))


def webhook_secret(secrets: Mapping[str, SourceSecret], source: str, store: str) -> bytes:
    """The secret that signs ``store``'s deliveries of ``source`` (empty: none, so no signature is valid).

    A plain string serves every store of the source. An object names its stores: a store it does
    not list has no secret. Store names match whatever their case and trailing slash
    (``https://Shop.example/`` is ``https://shop.example``).
    """
    entry = secrets.get(source)
    if isinstance(entry, str):
        return entry.encode()
    if entry is None:
        return b""
    wanted = _store_key(store)
    return next((secret.encode() for name, secret in entry.items() if _store_key(name) == wanted), b"")


def _store_key(store: str) -> str:
    return store.strip().lower().rstrip("/")


def _required_header_errors(request: WebhookRequest, store: str) -> list[FieldError]:
    source = request.source
    required = [TOPIC_HEADERS[source], STORE_HEADERS[source]] if source != "generic" else []
    if source in REQUIRED_DELIVERY_ID:
        required.insert(0, DELIVERY_ID_HEADERS[source])
    return [
        {"field": f"headers.{name}", "message": "required header is missing"}
        for name in required
        if not request.header(name)
    ]


def _freshness_errors(request: WebhookRequest, received_at: datetime) -> list[FieldError]:
    """Shopify's X-Shopify-Triggered-At, when sent, must fall within its retry schedule."""
    value = request.header(SHOPIFY_TRIGGERED_AT_HEADER) if request.source == "shopify" else None
    if value is None:
        return []
    field = f"headers.{SHOPIFY_TRIGGERED_AT_HEADER}"
    try:
        triggered_at = datetime.fromisoformat(value.strip())
    except ValueError:
        return [{"field": field, "message": "must be an ISO 8601 timestamp"}]
    if triggered_at.tzinfo is None:
        triggered_at = triggered_at.replace(tzinfo=UTC)
    if triggered_at > received_at + MAX_CLOCK_SKEW:
        return [{"field": field, "message": "is ahead of the time the delivery was received"}]
    if received_at - triggered_at > SHOPIFY_MAX_DELIVERY_AGE:
        hours = int(SHOPIFY_MAX_DELIVERY_AGE.total_seconds() // 3600)
        return [{"field": field, "message": f"is more than {hours} hours old: a stale or replayed delivery"}]
    return []


def _parse_json(body: bytes) -> tuple[Any, FieldError | None]:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, {"field": "body", "message": f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}
    except UnicodeDecodeError:
        return None, {"field": "body", "message": "not valid JSON: not UTF-8 text"}
    except (ValueError, RecursionError):  # an integer of thousands of digits, nesting of thousands of levels
        return None, {"field": "body", "message": "not valid JSON: a number or nesting too large"}
    if _depth(payload) > MAX_JSON_DEPTH:
        return None, {"field": "body", "message": f"is nested deeper than {MAX_JSON_DEPTH} levels"}
    return payload, None


def _depth(value: object) -> int:
    """How deeply ``value``'s lists and objects nest (iterative: a deep body must not recurse)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


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

"""HTTP API (payload format 2.0) requests and responses: the one place outcomes become HTTP."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from nurture.errors import ConfigurationError, DependencyUnavailable, InvalidRequest, NotFound


def request_body(event: Mapping[str, Any]) -> bytes:
    """The raw body bytes, exactly as the store signed them; ``InvalidRequest`` when unreadable."""
    body = event.get("body") or ""
    if isinstance(body, bytes):
        return body
    if not isinstance(body, str):
        raise InvalidRequest("body", "must be text")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("body", "is flagged base64 but is not valid base64") from None
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no byte sequence a client could have sent
        raise InvalidRequest("body", "is not valid UTF-8 text") from None


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Headers with lower-cased names (HTTP API already lower-cases them; tests may not)."""
    return {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}


def json_response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, separators=(",", ":")),
    }


def html_response(status: int, html: str) -> dict[str, Any]:
    """A server-rendered page (the consent pages): never cached, never framed by another site."""
    return {
        "statusCode": status,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            "x-frame-options": "DENY",
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "referrer-policy": "no-referrer",
        },
        "body": html,
    }


def error_response(exc: Exception) -> dict[str, Any]:
    """Map an exception that escaped the logic to a response that reveals no internals."""
    if isinstance(exc, InvalidRequest):
        errors = [{"field": exc.field, "message": exc.reason}]
        return json_response(400, {"message": "invalid request", "errors": errors})
    if isinstance(exc, NotFound):
        return json_response(404, {"message": f"no such {exc.what}"})
    if isinstance(exc, DependencyUnavailable):
        return json_response(503, {"message": "temporarily unavailable, please retry"})
    if isinstance(exc, ConfigurationError):
        return json_response(500, {"message": "the service is misconfigured"})
    return json_response(500, {"message": "internal error"})

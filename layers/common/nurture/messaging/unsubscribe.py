"""Signed unsubscribe tokens and the unsubscribe URL (RFC 8058 one-click and the footer link).

Token format, version 1 (URL-safe, no padding, about 150 characters)::

    v1.<payload>.<signature>

- ``payload``: base64url of compact JSON ``{"c": contact_id, "ch": channel, "l": list, "iat": issued_at}``
  where ``list`` is the journey or mailing list the message belongs to and ``issued_at`` is epoch
  seconds (UTC).
- ``signature``: base64url of HMAC-SHA256 under the unsubscribe secret over
  ``b"nurture-<purpose>\\x00" + b"v1." + payload`` (purpose ``unsubscribe``, or ``confirm`` for a
  double opt-in confirmation link, `nurture.consent.tokens`). The purpose prefix keeps a MAC made for
  anything else with the same secret from ever passing as an unsubscribe token; the version is
  signed too, so it cannot be swapped.

Verification checks the length and shape, then the signature (``hmac.compare_digest``, constant
time) *before* decoding the payload, then the claims and their age. The signature is not
encrypted: the token reveals the contact id (a random UUID) and the list, nothing personal.

Tokens expire after `DEFAULT_MAX_AGE` (a year: an unsubscribe link keeps working far longer than
the 30 days the CAN-SPAM Act requires). Rotating the secret: verify with ``previous_secrets`` until
the tokens signed with the old one have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

VERSION: Final = "v1"
CHANNELS: Final = frozenset({"email", "sms"})
DEFAULT_MAX_AGE: Final = timedelta(days=365)
CLOCK_SKEW: Final = timedelta(minutes=5)
MIN_SECRET_BYTES: Final = 16
MAX_TOKEN_LENGTH: Final = 512
MAX_ID_LENGTH: Final = 128
TOKEN_PARAMETER: Final = "token"  # noqa: S105 - the query parameter name, not a secret
# What a token is for, signed into its MAC: an unsubscribe token never passes as a confirmation
# token (double opt-in, `nurture.consent`) nor the other way round.
PURPOSES: Final = frozenset({"unsubscribe", "confirm"})
_SIGNATURE_BYTES: Final = 32
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(ValueError):
    """The token cannot be honoured. Subclasses say why; none of them reveals the expected MAC."""


class MalformedToken(InvalidToken):
    """Not a token of a version we know: wrong shape, length, encoding or claims."""


class BadSignature(InvalidToken):
    """The signature does not match: the token was altered or signed with another secret."""


class ExpiredToken(InvalidToken):
    """A genuine token, but older than the accepted age (or issued in the future)."""


@dataclass(frozen=True, slots=True)
class Claims:
    contact_id: str
    channel: str
    list_id: str  # the journey or mailing list the message was sent for
    issued_at: datetime
    version: str = VERSION


def _secret_bytes(secret: bytes | str) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"the unsubscribe secret must be at least {MIN_SECRET_BYTES} bytes long")
    return key


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url: only the alphabet, no padding, canonical (one spelling per byte string)."""
    if not _BASE64URL.fullmatch(text):
        raise MalformedToken("the token is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedToken("the token is not base64url") from None
    if _b64encode(data) != text:
        raise MalformedToken("the token is not canonical base64url")
    return data


def _sign(key: bytes, signed_part: str, purpose: str = "unsubscribe") -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {sorted(PURPOSES)}")
    prefix = b"nurture-" + purpose.encode("ascii") + b"\x00"
    return hmac.new(key, prefix + signed_part.encode("ascii"), hashlib.sha256).digest()


def _check_identifier(name: str, value: str) -> None:
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise ValueError(f"{name} must be 1 to {MAX_ID_LENGTH} printable characters")


def make_token(
    secret: bytes | str,
    *,
    contact_id: str,
    channel: str,
    list_id: str,
    issued_at: datetime,
    purpose: str = "unsubscribe",
) -> str:
    """Sign an unsubscribe token for ``contact_id`` on ``channel`` for ``list_id`` (a journey or list);
    ``purpose="confirm"`` signs a double opt-in confirmation token instead."""
    key = _secret_bytes(secret)
    _check_identifier("contact_id", contact_id)
    _check_identifier("list_id", list_id)
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}")
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    claims = {"c": contact_id, "ch": channel, "l": list_id, "iat": int(issued_at.timestamp())}
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signed_part = f"{VERSION}.{payload}"
    return f"{signed_part}.{_b64encode(_sign(key, signed_part, purpose))}"


def verify_token(
    secret: bytes | str,
    token: str,
    *,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    previous_secrets: Iterable[bytes | str] = (),
    purpose: str = "unsubscribe",
) -> Claims:
    """Return the claims of a genuine, unexpired token; raise an `InvalidToken` subclass otherwise."""
    keys = [_secret_bytes(secret), *(_secret_bytes(old) for old in previous_secrets)]
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise MalformedToken("the token is empty, too long or not ASCII")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken("the token does not have three parts")
    version, payload, signature_text = parts
    if version != VERSION:
        raise MalformedToken(f"unknown token version {version[:8]!r}")
    signature = _b64decode(signature_text)
    if len(signature) != _SIGNATURE_BYTES:
        raise MalformedToken("the signature has the wrong length")
    signed_part = f"{version}.{payload}"
    # Compare against every accepted key (no early exit), so timing does not tell which one matched.
    matches = [hmac.compare_digest(_sign(key, signed_part, purpose), signature) for key in keys]
    if not any(matches):
        raise BadSignature("the token signature does not match")
    claims = _decode_claims(payload)
    now = now or datetime.now(UTC)
    if claims.issued_at > now + CLOCK_SKEW:
        raise ExpiredToken("the token was issued in the future")
    if now - claims.issued_at > max_age:
        raise ExpiredToken(f"the token is older than {max_age.days} days")
    return claims


def _decode_claims(payload: str) -> Claims:
    try:
        data = json.loads(_b64decode(payload).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedToken("the token payload is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedToken("the token payload is not an object")
    contact_id, channel, list_id, issued = data.get("c"), data.get("ch"), data.get("l"), data.get("iat")
    if not (isinstance(contact_id, str) and contact_id and isinstance(list_id, str) and list_id):
        raise MalformedToken("the token names no contact or list")
    if channel not in CHANNELS:
        raise MalformedToken("the token names an unknown channel")
    if not isinstance(issued, int) or isinstance(issued, bool) or issued < 0:
        raise MalformedToken("the token has no issue time")
    return Claims(contact_id, str(channel), list_id, datetime.fromtimestamp(issued, tz=UTC))


def check_base_url(base_url: str) -> str:
    """Return ``base_url`` if it can carry one-click unsubscribes; raise ValueError otherwise.

    RFC 8058 requires an HTTPS URI; plain http is accepted only for localhost (the local runtime).
    """
    parts = urlsplit(base_url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not (parts.scheme == "https" or local) or not parts.hostname:
        raise ValueError("the unsubscribe URL must be an https:// URL (http:// only for localhost)")
    if parts.fragment:
        raise ValueError("the unsubscribe URL must not have a #fragment")
    return base_url


def unsubscribe_url(base_url: str, token: str) -> str:
    """The link that honours ``token``: ``base_url`` with ``token=<token>`` added to its query."""
    parts = urlsplit(check_base_url(base_url))
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != TOKEN_PARAMETER]
    query.append((TOKEN_PARAMETER, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def page_url(base_url: str, page: str, token: str) -> str:
    """The link to another consent page (``confirm``, ``preferences``): ``base_url`` with ``page`` in
    place of its last path segment (``…/unsubscribe`` → ``…/confirm``), carrying ``token``."""
    parts = urlsplit(check_base_url(base_url))
    head = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    return unsubscribe_url(urlunsplit((parts.scheme, parts.netloc, f"{head}/{page}", parts.query, "")), token)


def token_from_url(url: str) -> str | None:
    """The token a link carries (for the unsubscribe endpoint and tests)."""
    values = [value for name, value in parse_qsl(urlsplit(url).query) if name == TOKEN_PARAMETER]
    return values[0] if len(values) == 1 else None

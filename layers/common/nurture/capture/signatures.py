"""Webhook signatures: base64(HMAC-SHA256(raw body, secret)), as Shopify and WooCommerce sign.

Our generic format is signed the same way. Kept free of pydantic so that a handler can reject a
forged request before it imports any model.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SIGNATURE_HEADERS: dict[str, str] = {
    "shopify": "X-Shopify-Hmac-Sha256",
    "woocommerce": "X-WC-Webhook-Signature",
    "generic": "X-Nurture-Signature",
}
TOPIC_HEADERS: dict[str, str] = {
    "shopify": "X-Shopify-Topic",
    "woocommerce": "X-WC-Webhook-Topic",
    "generic": "X-Nurture-Topic",
}
_SHA256_DIGEST_SIZE = 32


def sign_base64(secret: bytes, body: bytes) -> str:
    """Return the signature header value a store would send for ``body`` (tests, local runner)."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode("ascii")


def verify_hmac_base64(secret: bytes, body: bytes, signature_header: str | None) -> bool:
    """Tell whether ``signature_header`` is the base64 HMAC-SHA256 of ``body`` under ``secret``.

    Never raises on what a caller sends: a missing, non-ASCII, non-base64 or wrong-length header is
    simply False. An empty secret is False too, since anybody could compute that signature.
    The digests are compared with ``hmac.compare_digest`` (constant time).
    """
    if not secret or not signature_header:
        return False
    try:
        received = base64.b64decode(signature_header.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return False
    if len(received) != _SHA256_DIGEST_SIZE:
        return False
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, received)

"""The suppression key of an address, and when transient bounces suppress it (pure).

Suppression items are keyed by a keyed hash of the normalised address (trimmed, lower-cased), never
the address: an erased contact who complained is still recognised, the table holds no address for
it, and nobody without the key can test a guessed address against it. The key is derived from a
deployment secret (`suppression_key`; docs/delivery.md, "The hash"); there is no unkeyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from nurture.delivery.policy import DeliveryPolicy


def normalised_address(address: str) -> str:
    return address.strip().lower()


# A label of its own: the key is never the secret it comes from (the unsubscribe signing secret).
SUPPRESSION_KEY_LABEL: Final = b"nurture/suppression-key/v1"


def suppression_key(secret: str) -> bytes:
    """The key of every suppression hash: HMAC-SHA-256(secret, label)."""
    if not secret:
        raise ValueError("the suppression secret is empty")
    return hmac.new(secret.encode("utf-8"), SUPPRESSION_KEY_LABEL, hashlib.sha256).digest()


def suppression_hash(address: str, key: bytes) -> str:
    """Hex HMAC-SHA-256 naming the address (or E.164 number) in ``SUPPRESSION#<hash>`` items."""
    if not key:
        raise ValueError("a suppression hash needs a key")  # never an unkeyed hash in the table
    return hmac.new(key, normalised_address(address).encode("utf-8"), hashlib.sha256).hexdigest()


def transient_bounces_suppress(bounced_at: Iterable[datetime], now: datetime, policy: DeliveryPolicy) -> bool:
    """True when enough transient bounces fall within the policy's window (default 3 in 30 days)."""
    since = now - policy.transient_bounce_window
    return sum(1 for moment in bounced_at if moment > since) >= policy.transient_bounce_threshold

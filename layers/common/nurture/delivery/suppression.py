"""The suppression key of an address, and when transient bounces suppress it (pure).

Suppression items are keyed by a hash of the normalised address (trimmed, lower-cased), never the
address: an erased contact who complained is still recognised, and the table holds no address for
it. With a secret the hash is an HMAC-SHA-256 (nobody without the secret can test a guessed
address against it); no secret is wired yet, so it is a plain SHA-256 of the normalised address
(docs/delivery.md says what that protects and what it does not).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from nurture.delivery.policy import DeliveryPolicy


def normalised_address(address: str) -> str:
    return address.strip().lower()


def suppression_hash(address: str, secret: bytes | None = None) -> str:
    """Hex digest naming the address in ``SUPPRESSION#<hash>`` items."""
    data = normalised_address(address).encode("utf-8")
    if secret:
        return hmac.new(secret, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def transient_bounces_suppress(bounced_at: Iterable[datetime], now: datetime, policy: DeliveryPolicy) -> bool:
    """True when enough transient bounces fall within the policy's window (default 3 in 30 days)."""
    since = now - policy.transient_bounce_window
    return sum(1 for moment in bounced_at if moment > since) >= policy.transient_bounce_threshold

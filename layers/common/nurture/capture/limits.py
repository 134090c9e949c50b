"""Limits a webhook delivery must respect (no pydantic here: intake checks headers before any model
loads). Each is documented, with its reason, in docs/webhooks.md ("Limits")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Timestamps: nothing a store reports predates 2000 (earlier values are placeholders such as
# 0001-01-01 or the epoch), and nothing has happened yet beyond the receiving clock plus a little
# drift: a consent "changed_at" from the future would outrank every later change, an unsubscribe
# included, and a year-9999 date overflows the event log's expiry.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CLOCK_SKEW = timedelta(minutes=5)

# Shopify retries a failed delivery 8 times over 4 hours, each time with the payload and the
# X-Shopify-Triggered-At of the first attempt; an hour of margin on top.
SHOPIFY_MAX_DELIVERY_AGE = timedelta(hours=5)

# Header values end up in table keys (2,048-byte limit) and in every event. Delivery ids and topics
# are ASCII tokens (Shopify's ids are UUIDs, WooCommerce's are hashes); a store is a shop domain or
# a site URL.
MAX_DELIVERY_ID_LENGTH = 255
MAX_TOPIC_LENGTH = 128
MAX_STORE_LENGTH = 255

# JSON nesting: store payloads are a handful of levels deep; a deeper body is not a store's.
MAX_JSON_DEPTH = 32

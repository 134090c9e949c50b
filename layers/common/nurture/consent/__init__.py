"""Consent on Nurture's own HTTP routes: double opt-in, unsubscribe, preferences (docs/consent.md)."""

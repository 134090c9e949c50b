"""The journey library's offers and recommendations (docs/offers.md)."""

"""Offers and recommendations: code pools, product data, places and the send-time personalisation (docs/offers.md)."""

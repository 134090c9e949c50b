"""The journey library's personalisation: offers, recommendations and nearby places (docs/offers.md)."""

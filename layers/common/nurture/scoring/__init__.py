"""Scoring, value tiers and their policies (pure): docs/scoring.md."""

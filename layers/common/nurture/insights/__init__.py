"""Scores, tiers and segments as the running stack computes them (docs/scoring.md, "Wiring")."""

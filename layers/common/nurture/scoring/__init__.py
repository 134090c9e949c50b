"""Lead and customer scoring, value tiers (pure): a model as data (`nurture.scoring.model`), the
engine that applies it to events and decays it (`nurture.scoring.engine`), RFM, CLV and tiers
(`nurture.scoring.tiers`). See docs/scoring.md."""

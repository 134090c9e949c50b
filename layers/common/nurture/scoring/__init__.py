"""Lead and customer scoring (pure): a model as data (`nurture.scoring.model`) and the engine that
applies it to events and decays it (`nurture.scoring.engine`). See docs/scoring.md."""

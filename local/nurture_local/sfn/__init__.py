"""A local Amazon States Language executor driven by a virtual clock."""

"""Nurture's local runtime: development tools that never ship in the Lambda layer."""

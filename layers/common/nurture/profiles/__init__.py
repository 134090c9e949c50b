"""Contact profiles (pure domain code, no boto3).

- ``model``: the profile, its consent, order aggregates and per-order records, ``ApplyResult``.
- ``planning``: ``plan_update(profile | None, event, ...)`` → ``ProfileChange``: what one canonical
  event changes, with the ordering rules (out-of-order and duplicate deliveries are safe).
- ``errors``: the profile store's domain exceptions.

Persistence lives in ``nurture.adapters.dynamodb_profiles``.
"""

"""Privacy requests (docs/privacy.md): erase a contact, export everything held about one.

`nurture.privacy.requests` decides (pure, behind the `PrivacyStore` and `ExecutionStopper`
protocols); `nurture.adapters.dynamodb_privacy` reads and deletes NurtureTable items.
"""

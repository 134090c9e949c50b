"""Delivery rules: whether, and when, a message may go to a contact (pure; docs/delivery.md).

`decide` is the one function every send passes: `Send`, `Defer` (until an instant) or `Skip` (a
reason). The recipient's zone (`zones`), the policy (`policy`) and the suppression key
(`suppression`) are its parts.
"""

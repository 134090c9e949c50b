"""Errors of the profile store, in domain terms (the DynamoDB adapter raises them ``from`` boto3's).

A throttled or unavailable table is ``nurture.errors.DependencyUnavailable`` (retry later); these
are the cases particular to profiles.
"""

from __future__ import annotations

from nurture.errors import NurtureError


class ProfileStoreError(NurtureError):
    """The profile table refused a request for a reason retrying will not fix (missing table,
    access denied, invalid request): a deployment or programming error."""

    def __init__(self, operation: str, code: str) -> None:
        super().__init__(f"profile store {operation} failed: {code}")
        self.operation = operation
        self.code = code


class ConcurrentProfileUpdate(NurtureError):
    """Other writers kept changing the profile between our read and our write; give up for now
    (the SQS message is retried later)."""

    def __init__(self, contact_id: str, attempts: int) -> None:
        super().__init__(f"profile {contact_id} changed concurrently {attempts} times")
        self.contact_id = contact_id
        self.attempts = attempts


class CorruptProfileItem(NurtureError):
    """A profile table item does not have the shape this code writes."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"unreadable item {key}: {detail}")
        self.key = key
        self.detail = detail

"""The contact's current choices, as the preferences page shows them (read by ConsentFunction's one
table read, `nurture.adapters.dynamodb_preferences`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class CurrentPreferences:
    """What the preferences page shows of the contact's profile; the defaults are a contact with no
    profile (erased, or not created yet): every topic, no pause, no phone."""

    unsubscribed_topics: frozenset[str] = frozenset()
    paused_until: datetime | None = None
    email_unsubscribed: bool = False
    has_phone: bool = False
    sms_subscribed: bool = False
    # The zone the pause's end is shown in (`nurture.delivery.zones.recipient_zone`).
    time_zone: str | None = None
    country_code: str | None = None


class PreferencesReader(Protocol):
    def current(self, contact_id: str) -> CurrentPreferences | None: ...

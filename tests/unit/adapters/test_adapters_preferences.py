"""The preferences page's read of a profile item (`nurture.adapters.dynamodb_preferences`): what the
projection returns, and values of an unexpected type read as absent (the page shows the default)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nurture.adapters.dynamodb_preferences import preferences_from_item
from nurture.consent.preferences import CurrentPreferences

FULL: dict[str, Any] = {
    "unsubscribed_topics": {"SS": ["offers", "newsletter"]},
    "paused_until": {"S": "2026-06-01T10:00:00.000000+00:00"},
    "email_consent": {"M": {"state": {"S": "subscribed"}}},
    "sms_consent": {"M": {"state": {"S": "subscribed"}}},
    "phone": {"S": "+12125550199"},
    "time_zone": {"S": "America/New_York"},
    "location": {"M": {"country_code": {"S": "US"}}},
}


def test_a_projected_profile_item() -> None:
    assert preferences_from_item(FULL) == CurrentPreferences(
        unsubscribed_topics=frozenset({"offers", "newsletter"}),
        paused_until=datetime(2026, 6, 1, 10, tzinfo=UTC),
        email_unsubscribed=False,
        has_phone=True,
        sms_subscribed=True,
        time_zone="America/New_York",
        country_code="US",
    )


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({}, CurrentPreferences()),  # a profile with none of them
        ({"email_consent": {"M": {"state": {"S": "unsubscribed"}}}}, CurrentPreferences(email_unsubscribed=True)),
        ({"email_consent": {"M": {"state": {"S": "pending"}}}}, CurrentPreferences()),
        (
            {"sms_consent": {"M": {"state": {"S": "unsubscribed"}}}, "phone": {"S": "+1"}},
            CurrentPreferences(has_phone=True),
        ),
        ({"phone": {"S": ""}}, CurrentPreferences()),
        ({"paused_until": {"S": "not a time"}}, CurrentPreferences()),
        ({"paused_until": {"S": "2026-06-01T10:00:00"}}, CurrentPreferences()),  # no zone: not a moment
        ({"paused_until": {"N": "1"}}, CurrentPreferences()),
        ({"unsubscribed_topics": {"S": "offers"}}, CurrentPreferences()),
        ({"sms_consent": {"S": "subscribed"}}, CurrentPreferences()),
        ({"location": {"M": {}}}, CurrentPreferences()),
    ],
)
def test_each_value_alone_and_the_unexpected_ones_read_as_absent(
    changed: dict[str, Any], expected: CurrentPreferences
) -> None:
    assert preferences_from_item(changed) == expected

"""ConsentFunction's one read of NurtureTable: what the preferences page shows of a profile.

One GetItem of ``CONTACT#<id>`` / ``PROFILE`` (`nurture.adapters.dynamodb_profile_items`), projected
to what the page needs: ``unsubscribed_topics``, ``paused_until``, ``email_consent.state``,
``sms_consent.state``, ``phone`` (only whether there is one leaves this module), ``time_zone`` and
``location.country_code`` (the zone the pause's end date is shown in). Eventually consistent: a
change saved on the page reaches the profile through the events queue anyway, a moment later.

A value of an unexpected type reads as absent (the page shows the default for it rather than
failing); a refusal of the table is `DependencyUnavailable` (throttled, unreachable) or
`ProfileStoreError` (missing table, access denied), as for the profile store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from nurture.adapters.dynamodb_errors import call_store
from nurture.adapters.dynamodb_profile_items import profile_key
from nurture.consent.preferences import CurrentPreferences
from nurture.profiles.errors import ProfileStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY: Final = "profile store"
PROJECTION: Final = (
    "unsubscribed_topics, paused_until, email_consent.#state, sms_consent.#state, phone, time_zone,"
    " #location.country_code"
)
# "state" and "location" are DynamoDB reserved words.
NAMES: Final = {"#state": "state", "#location": "location"}


class DynamoDbPreferencesReader:
    """`nurture.consent.preferences.PreferencesReader` on NurtureTable."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def current(self, contact_id: str) -> CurrentPreferences | None:
        answer = call_store(
            _DEPENDENCY,
            "GetItem",
            ProfileStoreError,
            self._client.get_item,
            TableName=self._table,
            Key=profile_key(contact_id),
            ProjectionExpression=PROJECTION,
            ExpressionAttributeNames=NAMES,
        )
        item = answer.get("Item")
        return None if item is None else preferences_from_item(item)


def preferences_from_item(item: Mapping[str, Any]) -> CurrentPreferences:
    topics = item.get("unsubscribed_topics", {}).get("SS")
    return CurrentPreferences(
        unsubscribed_topics=frozenset(str(topic) for topic in topics) if isinstance(topics, list) else frozenset(),
        paused_until=_moment(_text(item, "paused_until")),
        email_unsubscribed=_text(_map(item, "email_consent"), "state") == "unsubscribed",
        has_phone=bool(_text(item, "phone")),
        sms_subscribed=_text(_map(item, "sms_consent"), "state") == "subscribed",
        time_zone=_text(item, "time_zone"),
        country_code=_text(_map(item, "location"), "country_code"),
    )


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) else None


def _map(item: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = item.get(name, {}).get("M")
    return value if isinstance(value, Mapping) else {}


def _moment(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment is not None and moment.tzinfo is not None else None

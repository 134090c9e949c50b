"""The send ledger: at most one email per contact, journey and step (NurtureTable ``SEND#`` items).

Item ``pk = CONTACT#<contact_id>``, ``sk = SEND#<journey>#<step>``:

========== ============================================================================
status     ``claimed`` before the provider is called, then ``sent`` or ``failed``
execution  the journey execution (or other caller) that holds the claim
attempts   how many claims were taken (1, or more after definite failures)
claimed_at ISO-8601 UTC of the latest claim
message_id the provider's message id (``sent``)
sent_at    ISO-8601 UTC (``sent``)
failed_at  ISO-8601 UTC (``failed``)
error      the provider's error code (``failed``)
========== ============================================================================

`claim` is one conditional write: it succeeds when no item exists (``attribute_not_exists(pk)``)
or when the previous attempt ended in a *definite* failure (``status = failed``: the provider
refused the message before accepting it). A ``claimed`` item whose outcome was never recorded means
"the message may be out": it is never claimed again. Items do not expire: a claim is forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from nurture.errors import DependencyUnavailable
from nurture.messaging.delivery import Recipient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLAIMED: Final = "claimed"
SENT: Final = "sent"
FAILED: Final = "failed"
_DEPENDENCY: Final = "send ledger"


@dataclass(frozen=True, slots=True)
class SendRecord:
    contact_id: str
    journey: str
    step: str
    status: str
    attempts: int
    execution: str | None = None
    claimed_at: datetime | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    error: str | None = None


def send_key(contact_id: str, journey: str, step: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": f"SEND#{journey}#{step}"}}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name, {}).get("S")
    return None if value is None else datetime.fromisoformat(value)


def _string(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return None if value is None else str(value)


def _is_conditional_failure(exc: Any) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class SendLedger:
    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def claim(self, contact_id: str, journey: str, step: str, execution: str, *, claimed_at: datetime) -> bool:
        """Take the right to send; False when it is held already (sent, or in flight / outcome unknown)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.update_item(
                TableName=self._table,
                Key=send_key(contact_id, journey, step),
                UpdateExpression=(
                    "SET #status = :claimed, contact_id = :contact, journey = :journey, step = :step,"
                    " execution = :execution, claimed_at = :claimed_at,"
                    " attempts = if_not_exists(attempts, :zero) + :one"
                    " REMOVE failed_at, #error"
                ),
                ConditionExpression="attribute_not_exists(pk) OR #status = :failed",
                ExpressionAttributeNames={"#status": "status", "#error": "error"},
                ExpressionAttributeValues={
                    ":claimed": {"S": CLAIMED},
                    ":failed": {"S": FAILED},
                    ":contact": {"S": contact_id},
                    ":journey": {"S": journey},
                    ":step": {"S": step},
                    ":execution": {"S": execution},
                    ":claimed_at": {"S": _iso(claimed_at)},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        return True

    def record_sent(self, contact_id: str, journey: str, step: str, *, message_id: str, sent_at: datetime) -> None:
        """The provider accepted the message (only a ``claimed`` item moves to ``sent``)."""
        self._finish(
            contact_id,
            journey,
            step,
            "SET #status = :sent, message_id = :message_id, sent_at = :sent_at",
            {":sent": {"S": SENT}, ":message_id": {"S": message_id}, ":sent_at": {"S": _iso(sent_at)}},
        )

    def record_failed(self, contact_id: str, journey: str, step: str, *, error: str, failed_at: datetime) -> None:
        """The provider definitely did not accept the message: a later attempt may claim it again.

        Never call this when the outcome is unknown (see `nurture.messaging.errors.SendOutcomeUnknown`).
        """
        self._finish(
            contact_id,
            journey,
            step,
            "SET #status = :failed_status, failed_at = :failed_at, #error = :error",
            {":failed_status": {"S": FAILED}, ":failed_at": {"S": _iso(failed_at)}, ":error": {"S": error}},
        )

    def _finish(self, contact_id: str, journey: str, step: str, update: str, values: dict[str, Any]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.update_item(
                TableName=self._table,
                Key=send_key(contact_id, journey, step),
                UpdateExpression=update,
                ConditionExpression="#status = :claimed",
                ExpressionAttributeNames={"#status": "status", **({"#error": "error"} if "#error" in update else {})},
                ExpressionAttributeValues={":claimed": {"S": CLAIMED}, **values},
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                raise DependencyUnavailable(_DEPENDENCY, f"no claim to update for {journey}/{step}") from exc
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc

    def get(self, contact_id: str, journey: str, step: str) -> SendRecord | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client.get_item(
                TableName=self._table, Key=send_key(contact_id, journey, step), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        item = answer.get("Item")
        if item is None:
            return None
        return SendRecord(
            contact_id=contact_id,
            journey=journey,
            step=step,
            status=str(item["status"]["S"]),
            attempts=int(item.get("attempts", {}).get("N", "0")),
            execution=_string(item, "execution"),
            claimed_at=_parse_time(item, "claimed_at"),
            message_id=_string(item, "message_id"),
            sent_at=_parse_time(item, "sent_at"),
            failed_at=_parse_time(item, "failed_at"),
            error=_string(item, "error"),
        )


class DynamoDbRecipients:
    """The sender's view of a profile (``CONTACT#<id>`` / ``PROFILE``), read with the profile store's
    own item mapping (`nurture.adapters.dynamodb_profile_items`), strongly consistent so that an
    unsubscribe written a moment ago is seen."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def get(self, contact_id: str) -> Recipient | None:
        from botocore.exceptions import BotoCoreError, ClientError

        from nurture.adapters.dynamodb_profile_items import profile_from_item, profile_key

        try:
            answer = self._client.get_item(TableName=self._table, Key=profile_key(contact_id), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable("profile store", str(exc)) from exc
        item = answer.get("Item")
        if item is None:
            return None
        profile, _version = profile_from_item(item)
        consent = profile.email_consent
        return Recipient(
            contact_id=profile.contact_id,
            email=profile.email,
            email_consent=None if consent is None else consent.state,
            first_name=profile.first_name,
            last_name=profile.last_name,
            locale=profile.locale,
            # The store the person subscribed at, else the one they were first seen at.
            store=consent.store if consent is not None else profile.store,
        )

"""Which send claim an SMS delivery status log is about (NurtureTable, read side).

========================================== =====================================================
``SMSMESSAGE#<message id>`` / ``SEND``     the message pointer the sender writes after SNS accepted
                                           an SMS (docs/sms.md, "Sending"): ``contact_id``,
                                           ``journey``, ``step``, ``enrolment``, ``claim_id``,
                                           ``expires_at``. `key_of_sms_message` reads it
``IDENTITY#phone#<sha256>`` / ``IDENTITY`` the contact a number belongs to (the profile store's
                                           identity item)
``CONTACT#<id>`` / ``SEND#…``              the contact's send claims: `sms_claim_by_number` Queries
                                           them for an SMS whose outcome is unknown (it has no
                                           pointer: the sender never learnt its message id)
========================================== =====================================================
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from nurture.adapters.dynamodb_errors import DependencyTable
from nurture.adapters.dynamodb_profile_items import IDENTITY_SK, phone_identity
from nurture.adapters.dynamodb_sends import key_from_item, record_from_item, sms_message_key
from nurture.messaging.claims import SENDING, UNKNOWN, SendKey, SendRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# An SMS's status log comes within seconds of SNS taking it; a claim marked sending more than this
# before the log's time is not the one the log is about.
MATCH_WITHIN: Final = timedelta(hours=1)
_DEPENDENCY: Final = "sms messages"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DynamoDbSmsMessages(DependencyTable):
    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        super().__init__(table_name, client, _DEPENDENCY)

    def key_of_sms_message(self, message_id: str) -> tuple[SendKey, str] | None:
        """The claim an SMS message id names, and its claim id; None without a pointer."""
        item = self._call("get_item", Key=sms_message_key(message_id), ConsistentRead=True).get("Item")
        if item is None:
            return None
        try:
            key = SendKey(item["contact_id"]["S"], item["journey"]["S"], item["step"]["S"], item["enrolment"]["S"])
            return key, str(item["claim_id"]["S"])
        except KeyError:
            return None  # a pointer missing a part names nothing we can settle

    def contact_of_number(self, number: str) -> str | None:
        """The contact whose identity is this E.164 number (hashed, as the profile store keys it)."""
        key = {"pk": {"S": phone_identity(number).pk}, "sk": {"S": IDENTITY_SK}}
        item = self._call("get_item", Key=key, ConsistentRead=True, ProjectionExpression="contact_id").get("Item")
        return None if item is None else str(item["contact_id"]["S"])

    def sms_claim_by_number(self, number: str, *, message_id: str, sent_by: datetime) -> SendRecord | None:
        """The claim of an SMS without a pointer: the number's contact's claim already settled with
        ``message_id`` (an earlier status of the same SMS matched it), else its oldest SMS claim still
        ``sending`` or ``unknown`` that was marked sending within `MATCH_WITHIN` before ``sent_by``
        (the status's time); None when the number is nobody's or no claim fits. One GetItem and one
        Query of the contact's claims."""
        contact_id = self.contact_of_number(number)
        if contact_id is None:
            return None
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :send)",
            "FilterExpression": "channel = :sms AND (message_id = :message_id OR"
            " (#status IN (:sending, :unknown) AND sending_at BETWEEN :from AND :to))",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"CONTACT#{contact_id}"},
                ":send": {"S": "SEND#"},
                ":sms": {"S": "sms"},
                ":message_id": {"S": message_id},
                ":sending": {"S": SENDING},
                ":unknown": {"S": UNKNOWN},
                ":from": {"S": _iso(sent_by - MATCH_WITHIN)},
                ":to": {"S": _iso(sent_by)},
            },
            "ConsistentRead": True,
        }
        found: list[SendRecord] = []
        while True:
            answer = self._call("query", **request)
            found.extend(record_from_item(key_from_item(item), item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        same = [record for record in found if record.message_id == message_id]
        if same:
            return same[0]
        dated = [record for record in found if record.sending_at is not None]
        return min(dated, key=lambda record: record.sending_at or sent_by, default=None)

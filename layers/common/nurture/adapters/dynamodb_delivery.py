"""What the delivery rules read and write in NurtureTable, besides the profile and the send claims.

========================================== =====================================================
``CONTACT#<id>`` / ``SEND#…``              the send claims (`nurture.adapters.dynamodb_sends`):
                                           `DynamoDbDeliveryHistory` reads the contact's recent
                                           ones with one Query (``begins_with(sk, "SEND#")``,
                                           filtered on ``sent_at`` / ``sending_at``), never a scan
``SUPPRESSION#<hash>`` / ``SUPPRESSION``   a suppressed address (`nurture.delivery.suppression`
                                           names it by keyed hash, never the address): ``reason``
                                           (``bounce`` | ``complaint`` | ``transient_bounces``),
                                           ``suppressed_at``. No TTL: for good
``SUPPRESSION#<hash>`` / ``TRANSIENT#<at>`` one transient bounce, expiring after the policy's window
``CONTACT#<id>`` / ``DECISION#<at>#<enrolment>#<step>``
                                           one delivery decision: ``outcome`` (``sent`` |
                                           ``deferred`` | ``skipped``), ``reason``, ``until``,
                                           ``channel`` (the step's; a sent one: the channel
                                           used); expires after `DECISION_RETENTION`
``STATS#<journey>#<day>#<shard>`` / ``STEP#<step>``
                                           per journey, UTC day and step: counters ``sent``,
                                           ``deferred``, ``skipped`` and ``skipped_<reason>`` …,
                                           ``sent_by_email`` / ``sent_by_sms``
========================================== =====================================================

The counters are written by every send of a step: one item per step and day would be a hot key at
a large campaign's peak, so each is split in `STATS_SHARDS` items (the shard from a hash of the
contact id); a reader sums the shards (`DecisionCounters.totals`). A retried task may count a
decision twice: they are figures for people, not the ledger (the claims are).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from nurture.adapters.dynamodb_errors import DependencyTable
from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import History
from nurture.delivery.suppression import suppression_hash, transient_bounces_suppress
from nurture.messaging.claims import FAILED, SendKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STATS_SHARDS: Final = 8
DECISION_RETENTION: Final = timedelta(days=400)  # a year of history on the contact, and a margin
SUPPRESSION_SK: Final = "SUPPRESSION"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def suppression_pk(address_hash: str) -> str:
    return f"SUPPRESSION#{address_hash}"


def stats_shard(contact_id: str) -> int:
    return int.from_bytes(hashlib.sha256(contact_id.encode("utf-8")).digest()[:4], "big") % STATS_SHARDS


class DynamoDbDeliveryHistory(DependencyTable):
    """`nurture.messaging.sending.DeliveryHistory`: one Query of the contact's claims (split by
    channel) and one GetItem of the suppression list per send; two (the address and the number) for
    an ``email_or_sms`` step, which may go by either. Two GetItems rather than a BatchGetItem: the
    role needs no second action for the rarer step, and each read is as cheap. ``suppression_key``:
    the writers' key (`nurture.adapters.secrets.read_suppression_key`)."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any, *, suppression_key: bytes) -> None:
        super().__init__(table_name, client, "delivery history")
        self._key = suppression_key

    def history(
        self,
        contact_id: str,
        address: str | None,
        *,
        phone: str | None = None,
        since: datetime,
        excluding: SendKey,
    ) -> History:
        emails, texts = self._marketing_sent_at(contact_id, since, excluding)
        return History(
            marketing_sent_at=tuple(emails),
            suppressed=bool(address) and self.suppressed(address or ""),
            marketing_sms_sent_at=tuple(texts),
            sms_suppressed=bool(phone) and self.suppressed(phone or ""),
        )

    def suppressed(self, address: str) -> bool:
        """Whether an address (or an E.164 number: the same hash) is on the suppression list."""
        key = {"pk": {"S": suppression_pk(suppression_hash(address, self._key))}, "sk": {"S": SUPPRESSION_SK}}
        return "Item" in self._call("get_item", Key=key, ConsistentRead=True, ProjectionExpression="pk")

    def _marketing_sent_at(
        self, contact_id: str, since: datetime, excluding: SendKey
    ) -> tuple[list[datetime], list[datetime]]:
        """When the contact's marketing emails and SMS went (or may have), since ``since``."""
        own = f"SEND#{excluding.enrolment}#{excluding.step}"
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :send)",
            # Sent, or possibly sent (sending, unknown); a definite failure went nowhere.
            "FilterExpression": "(sent_at >= :since OR sending_at >= :since) AND #status <> :failed"
            " AND (attribute_not_exists(transactional) OR transactional = :false)",
            "ProjectionExpression": "sk, sent_at, sending_at, #channel",
            "ExpressionAttributeNames": {"#status": "status", "#channel": "channel"},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"CONTACT#{contact_id}"},
                ":send": {"S": "SEND#"},
                ":since": {"S": _iso(since)},
                ":failed": {"S": FAILED},
                ":false": {"BOOL": False},
            },
        }
        emails: list[datetime] = []
        texts: list[datetime] = []
        while True:
            answer = self._call("query", **request)
            for item in answer.get("Items", []):
                if item["sk"]["S"] == own:
                    continue
                moment = _parse(item.get("sent_at", {}).get("S")) or _parse(item.get("sending_at", {}).get("S"))
                if moment is not None:
                    # A claim without a channel was written before SMS: an email.
                    (texts if item.get("channel", {}).get("S") == "sms" else emails).append(moment)
            if "LastEvaluatedKey" not in answer:
                return emails, texts
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


class DynamoDbDecisionLog(DependencyTable):
    """`nurture.messaging.sending.DecisionLog`: one item on the contact, one counter update."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        super().__init__(table_name, client, "delivery decisions")

    def record(
        self,
        key: SendKey,
        outcome: str,
        *,
        reason: str | None,
        until: datetime | None,
        at: datetime,
        channel: str | None = None,
    ) -> None:
        item: dict[str, Any] = {
            "pk": {"S": f"CONTACT#{key.contact_id}"},
            "sk": {"S": f"DECISION#{_iso(at)}#{key.enrolment}#{key.step}"},
            "outcome": {"S": outcome},
            "journey": {"S": key.journey},
            "step": {"S": key.step},
            "enrolment": {"S": key.enrolment},
            "decided_at": {"S": _iso(at)},
            "expires_at": {"N": str(int((at + DECISION_RETENTION).timestamp()))},
        }
        if reason is not None:
            item["reason"] = {"S": reason}
        if until is not None:
            item["until"] = {"S": _iso(until)}
        if channel is not None:
            item["channel"] = {"S": channel}
        self._call("put_item", Item=item)
        counters = {"#outcome": outcome}
        adds = "#outcome :one"
        if reason is not None:
            counters["#why"] = f"{outcome}_{reason}"
            adds += ", #why :one"
        if outcome == "sent" and channel is not None:
            counters["#by"] = f"sent_by_{channel}"  # sent_by_email, sent_by_sms
            adds += ", #by :one"
        day = at.astimezone(UTC).date().isoformat()
        self._call(
            "update_item",
            Key={
                "pk": {"S": f"STATS#{key.journey}#{day}#{stats_shard(key.contact_id):02d}"},
                "sk": {"S": f"STEP#{key.step}"},
            },
            UpdateExpression=f"ADD {adds}",
            ExpressionAttributeNames=counters,
            ExpressionAttributeValues={":one": {"N": "1"}},
        )


class DecisionCounters(DependencyTable):
    """Reads the sharded counters back (reports, tests)."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        super().__init__(table_name, client, "delivery decisions")

    def totals(self, journey: str, step: str, day: str) -> Counter[str]:
        total: Counter[str] = Counter()
        for shard in range(STATS_SHARDS):
            key = {"pk": {"S": f"STATS#{journey}#{day}#{shard:02d}"}, "sk": {"S": f"STEP#{step}"}}
            item = self._call("get_item", Key=key).get("Item") or {}
            for name, value in item.items():
                if "N" in value:
                    total[name] += int(value["N"])
        return total


class DynamoDbSuppressions(DependencyTable):
    """EngagementFunction's writes: a permanent bounce or a complaint suppresses at once; transient
    bounces are kept (each an item that expires) and suppress once the policy's threshold is met.
    ``suppression_key``: the readers' key (`nurture.adapters.secrets.read_suppression_key`)."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | Any,
        policy: DeliveryPolicy = DEFAULT_POLICY,
        *,
        suppression_key: bytes,
    ) -> None:
        super().__init__(table_name, client, "suppression list")
        self._policy = policy
        self._key = suppression_key

    def suppress(self, address: str, *, reason: str, at: datetime) -> None:
        pk = suppression_pk(suppression_hash(address, self._key))
        self._call(
            "update_item",
            Key={"pk": {"S": pk}, "sk": {"S": SUPPRESSION_SK}},
            # The first reason and time stay (a redelivered event changes nothing).
            UpdateExpression="SET reason = if_not_exists(reason, :reason),"
            " suppressed_at = if_not_exists(suppressed_at, :at)",
            ExpressionAttributeValues={":reason": {"S": reason}, ":at": {"S": _iso(at)}},
        )

    def transient_bounce(self, address: str, *, event_id: str, at: datetime) -> bool:
        """Record one transient bounce (the same event twice is one item); True when the address is
        now suppressed."""
        pk = suppression_pk(suppression_hash(address, self._key))
        expires = int((at + self._policy.transient_bounce_window).timestamp())
        self._call(
            "put_item",
            Item={
                "pk": {"S": pk},
                "sk": {"S": f"TRANSIENT#{_iso(at)}#{event_id[:64]}"},
                "bounced_at": {"S": _iso(at)},
                "expires_at": {"N": str(expires)},
            },
        )
        answer = self._call(
            "query",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :transient)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":transient": {"S": "TRANSIENT#"}},
            ProjectionExpression="bounced_at",
            ConsistentRead=True,
        )
        times = [moment for item in answer.get("Items", []) if (moment := _parse(item["bounced_at"]["S"]))]
        if transient_bounces_suppress(times, at, self._policy):
            self.suppress(address, reason="transient_bounces", at=at)
            return True
        return False

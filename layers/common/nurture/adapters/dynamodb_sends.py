"""The send ledger: at most one email per step of an enrolment (NurtureTable ``SEND#`` items).

Item ``pk = CONTACT#<contact_id>``, ``sk = SEND#<enrolment id>#<step>`` (the enrolment id is the
execution name, ``<journey>-<contact_id>-…``: docs/journeys.md); the states and why they exist
are `nurture.messaging.claims`:

========== ============================================================================
status     ``claimed`` → ``sending`` → ``sent`` | ``failed`` | ``unknown``
claim_id   unique to the invocation holding the claim; tags the message; every write after the
           claim is conditioned on it
execution  the journey execution (or other caller) holding the claim
attempt    Step Functions' retry count of the attempt holding it (``$$.State.RetryCount``)
claims     how many claims were taken (more than 1 after definite failures or takeovers)
claimed_at, sending_at, sent_at, failed_at, unknown_at   ISO-8601 UTC
message_id the provider's message id (``sent``)
error      the provider's error code (``failed``)
resends    how many times the reconciler re-sent it (at most 1); ``lost_at`` when it gave up
journey, step, enrolment, contact_id   what the key says, readable without parsing it
transactional  ``true`` on a transactional send (absent: marketing): the frequency caps count the rest
channel    ``sms`` for a text message (absent: email, as every claim written before SMS);
           ``segments`` (N) and ``encoding`` (``GSM-7`` | ``UCS-2``) with it
await_token, await_event, await_until
           a `.waitForTaskToken` send: the token EngagementFunction resumes on that SES event
           (written by the claim itself, before the provider call; removed once used)
unsettled_shard, unsettled_since
           the sparse index ``unsettled`` (see below): present only while the claim is ``sending``
           or ``unknown``
========== ============================================================================

The index ``unsettled`` (GSI, keys only) answers the reconciler's one question, "which claims have
been unsettled since before T?", without a scan: ``unsettled_shard`` (``UNSETTLED#00`` …
``UNSETTLED#15``, from a hash of the contact id, so that a burst of sends does not write one hot
index partition) and ``unsettled_since`` (ISO-8601: when it became ``sending`` or ``unknown``, the
time `nurture.messaging.claims.reconcile_unknown` counts from). Both attributes are set by the writes
that make a claim unsettled and removed by those that settle it, so the index holds only the
claims waiting for an answer.

`claim` is one conditional write: it succeeds when no item exists, when the previous attempt ended
in a *definite* failure (``failed``), or when the same execution's earlier attempt claimed it and
never started the provider call (``claimed``: provably not sent). Every write is safe to re-send
(botocore re-sends a request whose answer timed out): a refused write whose item already carries
this invocation's ``claim_id`` in the state it asked for was its own first copy. Items do not expire.

An SMS sent also gets a pointer from its SNS message id back to its claim (SNS's delivery status
logs name only the message id and the number): ``pk = SMSMESSAGE#<message id>``, ``sk = SEND``,
``contact_id``, ``journey``, ``step``, ``enrolment``, ``claim_id``, ``expires_at`` (TTL, 30 days).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_profile_items import profile_from_item, profile_key
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import (
    CLAIMED,
    FAILED,
    LOST,
    MAX_RESENDS,
    SENDING,
    SENT,
    UNKNOWN,
    AwaitedEngagement,
    ClaimSuperseded,
    SendKey,
    SendRecord,
)
from nurture.messaging.delivery import Recipient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DEPENDENCY: Final = "send ledger"

# botocore.config.Config arguments for the DynamoDB client of the send path: SDK retries stay on
# (throttling, lost answers), which the claim_id conditions make safe; short timeouts keep a
# stuck call from eating the function's 20 s.
DYNAMODB_CLIENT_CONFIG: Final[dict[str, Any]] = {
    "retries": {"mode": "standard", "max_attempts": 5},
    "connect_timeout": 2,
    "read_timeout": 5,
}


# SNS writes an SMS's delivery status log within minutes (at worst hours: carrier receipts); a month
# of pointers covers any late log.
SMS_MESSAGE_RETENTION: Final = timedelta(days=30)

UNSETTLED_INDEX: Final = "unsettled"
UNSETTLED_SHARDS: Final = 16
# Written while a claim is unsettled, removed when it settles (the index is sparse).
_MARK_UNSETTLED: Final = "unsettled_shard = :shard, unsettled_since = :at"
_UNMARK: Final = "unsettled_shard, unsettled_since"


def send_key(key: SendKey) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{key.contact_id}"}, "sk": {"S": f"SEND#{key.enrolment}#{key.step}"}}


def sms_message_key(message_id: str) -> dict[str, Any]:
    """The pointer from an SNS message id to its claim."""
    return {"pk": {"S": f"SMSMESSAGE#{message_id}"}, "sk": {"S": "SEND"}}


def unsettled_shard(contact_id: str) -> str:
    """The index partition of a claim: stable per contact, spread over `UNSETTLED_SHARDS`."""
    digest = hashlib.sha256(contact_id.encode("utf-8")).digest()
    return f"UNSETTLED#{int.from_bytes(digest[:4], 'big') % UNSETTLED_SHARDS:02d}"


def key_from_item(item: dict[str, Any]) -> SendKey:
    """``CONTACT#<id>`` / ``SEND#<enrolment id>#<step>`` back to its key (names hold no ``#``; the
    enrolment id starts with the journey id, which holds no ``-``). Reads the keys only: the
    ``unsettled`` index projects nothing else."""
    contact_id = str(item["pk"]["S"]).removeprefix("CONTACT#")
    _send, enrolment, step = str(item["sk"]["S"]).split("#", 2)
    return SendKey(contact_id, enrolment.split("-", 1)[0], step, enrolment)


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


def _number(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name, {}).get("N")
    return None if value is None else int(value)


def _is_conditional_failure(exc: Any) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _awaited(item: dict[str, Any]) -> AwaitedEngagement | None:
    token, event, until = _string(item, "await_token"), _string(item, "await_event"), _parse_time(item, "await_until")
    return AwaitedEngagement(token, event, until) if token and event and until else None


def _await_values(awaited: AwaitedEngagement) -> dict[str, Any]:
    return {
        ":await_token": {"S": awaited.token},
        ":await_event": {"S": awaited.event},
        ":await_until": {"S": _iso(awaited.until)},
    }


_SET_AWAIT: Final = "await_token = :await_token, await_event = :await_event, await_until = :await_until"


def record_from_item(key: SendKey, item: dict[str, Any]) -> SendRecord:
    return SendRecord(
        contact_id=key.contact_id,
        journey=key.journey,
        step=key.step,
        status=str(item["status"]["S"]),
        claims=_number(item, "claims") or _number(item, "attempts") or 0,
        claim_id=_string(item, "claim_id"),
        execution=_string(item, "execution"),
        attempt=_number(item, "attempt"),
        claimed_at=_parse_time(item, "claimed_at"),
        sending_at=_parse_time(item, "sending_at"),
        message_id=_string(item, "message_id"),
        sent_at=_parse_time(item, "sent_at"),
        failed_at=_parse_time(item, "failed_at"),
        unknown_at=_parse_time(item, "unknown_at"),
        lost_at=_parse_time(item, "lost_at"),
        error=_string(item, "error"),
        resends=_number(item, "resends") or 0,
        enrolment=key.enrolment,
        awaited=_awaited(item),
        transactional=item.get("transactional", {}).get("BOOL") is True,
        channel=_string(item, "channel") or "email",
        segments=_number(item, "segments"),
        encoding=_string(item, "encoding"),
        template=_string(item, "template"),
    )


class SendLedger:
    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def claim(
        self,
        key: SendKey,
        *,
        claim_id: str,
        execution: str,
        attempt: int | None,
        at: datetime,
        awaited: AwaitedEngagement | None = None,
        transactional: bool = False,
        channel: str = "email",
        segments: int | None = None,
        encoding: str | None = None,
        template: str | None = None,
    ) -> bool:
        """Take the right to send; False when someone holds it (sent, sending, unknown, or claimed
        by another execution): `get` says who. ``awaited`` (a `.waitForTaskToken` send) is written
        by this same write, so no SES event can come before the token. ``channel`` (and for an SMS
        its ``segments`` and ``encoding``) says what this attempt sends: an ``email_or_sms`` step
        decided anew by a retry overwrites them. ``template``: the template set this send renders when it
        is not the step's default (a variant, a shared template), for the reconciler's re-send."""
        values: dict[str, Any] = {
            ":claimed": {"S": CLAIMED},
            ":failed": {"S": FAILED},
            ":claim_id": {"S": claim_id},
            ":contact": {"S": key.contact_id},
            ":journey": {"S": key.journey},
            ":step": {"S": key.step},
            ":enrolment": {"S": key.enrolment},
            ":execution": {"S": execution},
            ":at": {"S": _iso(at)},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
        }
        sets = (
            "#status = :claimed, claim_id = :claim_id, contact_id = :contact, journey = :journey, step = :step,"
            " enrolment = :enrolment, execution = :execution, claimed_at = :at,"
            " claims = if_not_exists(claims, :zero) + :one"
        )
        if awaited is not None:
            sets += f", {_SET_AWAIT}"
            values.update(_await_values(awaited))
        if transactional:
            sets += ", transactional = :transactional"
            values[":transactional"] = {"BOOL": True}
        if attempt is not None:
            sets += ", attempt = :attempt"
            values[":attempt"] = {"N": str(attempt)}
        removes = ["failed_at", "#error", "sending_at"] + ([] if attempt is not None else ["attempt"])
        if channel == "email":
            removes.append("#channel")  # absent means email
        else:
            sets += ", #channel = :channel"
            values[":channel"] = {"S": channel}
        for name, value in (("segments", segments), ("encoding", encoding), ("template", template)):
            if value is None:
                removes.append(f"#{name}")
            else:
                sets += f", #{name} = :{name}"
                values[f":{name}"] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        return self._write(
            key,
            f"SET {sets} REMOVE {', '.join(removes)}",
            # The last clause is a takeover: never its own re-sent copy, so that `claims` counts once.
            "attribute_not_exists(pk) OR #status = :failed"
            " OR (#status = :claimed AND execution = :execution AND claim_id <> :claim_id)",
            values,
            claim_id=claim_id,
            done=(CLAIMED,),
            raise_when_refused=False,
        )

    def start_sending(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        """The provider is about to be called. Raises ClaimSuperseded when the claim is not ours."""
        self._write(
            key,
            f"SET #status = :sending, sending_at = :at, {_MARK_UNSETTLED}",
            "claim_id = :claim_id AND #status = :claimed",
            {
                ":claimed": {"S": CLAIMED},
                ":sending": {"S": SENDING},
                ":claim_id": {"S": claim_id},
                ":at": {"S": _iso(at)},
                ":shard": {"S": unsettled_shard(key.contact_id)},
            },
            claim_id=claim_id,
            done=(SENDING,),
        )

    def record_sent(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None:
        """The provider accepted the message."""
        self._finish(
            key,
            claim_id,
            SENT,
            f"message_id = :message_id, sent_at = :at REMOVE {_UNMARK}",
            {":message_id": {"S": message_id}},
            at,
        )

    def record_sms_message(self, key: SendKey, *, claim_id: str, message_id: str, at: datetime) -> None:
        """The pointer from an SMS's SNS message id to its claim (one PutItem, after `record_sent`):
        SmsEventsFunction finds the claim a delivery status log is about with one GetItem."""
        item = {
            **sms_message_key(message_id),
            "contact_id": {"S": key.contact_id},
            "journey": {"S": key.journey},
            "step": {"S": key.step},
            "enrolment": {"S": key.enrolment},
            "claim_id": {"S": claim_id},
            "expires_at": {"N": str(int((at + SMS_MESSAGE_RETENTION).timestamp()))},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc

    def record_failed(self, key: SendKey, *, claim_id: str, error: str, at: datetime) -> None:
        """The provider definitely did not accept the message: a later attempt may claim it again.

        Never call this when the outcome is unknown (see `nurture.messaging.errors.SendOutcomeUnknown`).
        """
        self._finish(
            key, claim_id, FAILED, f"failed_at = :at, #error = :error REMOVE {_UNMARK}", {":error": {"S": error}}, at
        )

    def record_unknown(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        """The provider call went out and no answer came: provider events will settle it."""
        self._finish(
            key,
            claim_id,
            UNKNOWN,
            f"unknown_at = :at, {_MARK_UNSETTLED}",
            {":shard": {"S": unsettled_shard(key.contact_id)}},
            at,
        )

    def claim_resend(self, key: SendKey, *, previous_claim_id: str, claim_id: str, at: datetime) -> bool:
        """The reconciler's right to send again: the claim, still unsettled under
        ``previous_claim_id`` and never re-sent, moves to ``claim_id`` and ``sending`` with
        ``resends`` counted. One conditional write, so of two reconcilers only one wins (False for
        the other); the execution that first claimed it stays recorded."""
        return self._write(
            key,
            f"SET #status = :sending, claim_id = :claim_id, sending_at = :at, {_MARK_UNSETTLED},"
            " resends = if_not_exists(resends, :zero) + :one, claims = claims + :one REMOVE unknown_at",
            "claim_id = :previous AND (#status = :sending OR #status = :unknown)"
            " AND (attribute_not_exists(resends) OR resends < :max)",
            {
                ":sending": {"S": SENDING},
                ":unknown": {"S": UNKNOWN},
                ":previous": {"S": previous_claim_id},
                ":claim_id": {"S": claim_id},
                ":at": {"S": _iso(at)},
                ":shard": {"S": unsettled_shard(key.contact_id)},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":max": {"N": str(MAX_RESENDS)},
            },
            claim_id=claim_id,
            done=(SENDING,),
            raise_when_refused=False,
        )

    def give_up(self, key: SendKey, *, claim_id: str, at: datetime) -> None:
        """Still unsettled after its re-send: ``lost``, out of the index, never sent again."""
        self._finish(key, claim_id, LOST, f"lost_at = :at REMOVE {_UNMARK}", {}, at)

    def store_await(self, key: SendKey, awaited: AwaitedEngagement) -> bool:
        """Put a waiting execution's token on an existing claim (a retry that finds the message
        already sent or unknown: its events must still resume the wait). False when no claim exists."""
        return self._update_if(
            key,
            UpdateExpression=f"SET {_SET_AWAIT}",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=_await_values(awaited),
        )

    def clear_await(self, key: SendKey, *, token: str) -> bool:
        """Remove the token once used (or found dead); only that token: a newer one stays. False
        when the claim holds another token (or none)."""
        return self._update_if(
            key,
            UpdateExpression="REMOVE await_token, await_event, await_until",
            ConditionExpression="await_token = :await_token",
            ExpressionAttributeValues={":await_token": {"S": token}},
        )

    def _update_if(self, key: SendKey, **request: Any) -> bool:
        """One conditional UpdateItem of the claim: False when its condition does not hold."""
        try:
            self._client.update_item(TableName=self._table, Key=send_key(key), **request)
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        return True

    def unsettled(self, *, since_at_most: datetime) -> Iterator[SendKey]:
        """Claims unsettled since ``since_at_most`` or earlier, read from the sparse index shard by shard
        (eventually consistent: read each with `get` before acting on it)."""
        for shard in range(UNSETTLED_SHARDS):
            arguments: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": UNSETTLED_INDEX,
                "KeyConditionExpression": "unsettled_shard = :shard AND unsettled_since <= :before",
                "ExpressionAttributeValues": {
                    ":shard": {"S": f"UNSETTLED#{shard:02d}"},
                    ":before": {"S": _iso(since_at_most)},
                },
            }
            while True:
                try:
                    page = self._client.query(**arguments)
                except (ClientError, BotoCoreError) as exc:
                    raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
                for item in page.get("Items", []):
                    yield key_from_item(item)
                if "LastEvaluatedKey" not in page:
                    break
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _finish(
        self, key: SendKey, claim_id: str, status: str, sets: str, values: dict[str, Any], at: datetime
    ) -> None:
        # From sending (the usual case), unknown (a retry marked it while this attempt was still
        # running, or events arrive late) or lost (its events came after the reconciler gave up):
        # the claim's own outcome always wins.
        self._write(
            key,
            f"SET #status = :status, {sets}",
            "claim_id = :claim_id AND (#status = :sending OR #status = :unknown OR #status = :lost)",
            {
                ":status": {"S": status},
                ":sending": {"S": SENDING},
                ":unknown": {"S": UNKNOWN},
                ":lost": {"S": LOST},
                ":claim_id": {"S": claim_id},
                ":at": {"S": _iso(at)},
                **values,
            },
            claim_id=claim_id,
            done=(status,),
        )

    def _write(
        self,
        key: SendKey,
        update: str,
        condition: str,
        values: dict[str, Any],
        *,
        claim_id: str,
        done: Collection[str],
        raise_when_refused: bool = True,
    ) -> bool:
        """One conditional UpdateItem. Refused: True when the item shows this claim_id in a state of
        ``done`` (our own write, re-sent by botocore after its answer was lost), else ClaimSuperseded
        (or False when not ``raise_when_refused``)."""
        # Every ``#name`` stands for the attribute of that name (status, error, encoding… are
        # DynamoDB reserved words or may become so).
        names = {f"#{name}": name for name in re.findall(r"#(\w+)", f"{update} {condition}")}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=send_key(key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _is_conditional_failure(exc):
                raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
            item: Any = exc.response.get("Item")  # ALL_OLD; moto may leave it out: read instead
            current = record_from_item(key, item) if isinstance(item, dict) and item else self.get(key)
            if current is not None and current.claim_id == claim_id and current.status in done:
                return True
            if raise_when_refused:
                raise ClaimSuperseded(key) from exc
            return False
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        return True

    def get(self, key: SendKey) -> SendRecord | None:
        try:
            answer = self._client.get_item(TableName=self._table, Key=send_key(key), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyUnavailable(_DEPENDENCY, str(exc)) from exc
        item = answer.get("Item")
        return None if item is None else record_from_item(key, item)


class DynamoDbRecipients:
    """The sender's view of a profile (``CONTACT#<id>`` / ``PROFILE``), read with the profile store's
    own item mapping (`nurture.adapters.dynamodb_profile_items`), strongly consistent so that an
    unsubscribe written a moment ago is seen."""

    def __init__(self, table_name: str, client: DynamoDBClient | Any) -> None:
        self._table = table_name
        self._client = client

    def get(self, contact_id: str) -> Recipient | None:
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
            time_zone=profile.time_zone,
            country_code=profile.location.country_code if profile.location is not None else None,
            # Written by the preferences page; absent: the email consent alone decides.
            unsubscribed_topics=profile.unsubscribed_topics,
            paused_until=profile.paused_until,
            phone=profile.phone,
            sms_consent=None if profile.sms_consent is None else profile.sms_consent.state,
        )

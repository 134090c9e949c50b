"""The profile store on DynamoDB: find and create contacts, apply canonical events to profiles.

``ProfileRepository(table_name, client=None, *, event_retention_days=..., clock=None)`` takes a
low-level boto3 DynamoDB client; without one it creates ``boto3.client("dynamodb")`` on first use.
(Not a service resource: its client rewrites every attribute value it is given, and the items here
are already in DynamoDB's wire format.) Items and their mapping to domain models are in
``nurture.adapters.dynamodb_profile_items``; the decisions about what an event changes are in
``nurture.profiles.planning`` (pure).

Applying an event (``apply``):

1. Find the contact by the event's identities (email, store customer id, phone: identity items,
   read consistently) or create it: each missing identity is claimed with a conditional put
   (``attribute_not_exists(pk)``), so two racing first sightings agree on one contact id (the
   loser adopts the winner's). Identities of the event that another contact already holds are
   left alone and reported (``ApplyResult.identity_conflicts``); merging two existing contacts is
   not done here. An event without a contact (an anonymous Shopify cart) changes no profile.
   Events Nurture derives itself (``ContactLapsed``, ``ContactBirthday``, ``EmailEngagement``,
   ``SmsDelivery``) name the contact by id: no identity is read or claimed, and an id without a
   profile is ``no_contact``.
2. Read the profile (consistent), then, for an order event, that order's record.
3. ``plan_update`` computes the new profile and order record under the ordering rules; the
   ``triggered`` callback (the router's trigger decisions) names the journeys this change triggers.
4. One ``TransactWriteItems``: put the event item (with those journeys) with ``attribute_not_exists(pk)``; update the
   profile item conditioned on the version read (``attribute_not_exists(pk)`` for a new one) and
   bump it; put the order record. When nothing but the log changes, only the event item is put.

``TransactionCanceledException`` reasons (one per item, in order):

- the event item's condition failed → the same event was applied before: nothing is written and
  the outcome is ``duplicate`` (with the effects and triggered journeys recorded on that first
  application, so that a redelivery after a crash between the write and the journey start still
  starts the journey);
- the profile's condition failed, or a ``TransactionConflict`` → another writer changed the contact
  since step 2: read again, re-plan and retry (up to ``MAX_ATTEMPTS``). Re-planning is how an older
  update never overwrites a newer one: the plan keeps only what is still newer than the state it
  replaces (for an event that is stale in every respect, just the event log item);
- throttling → ``DependencyUnavailable``; anything else → ``ProfileStoreError``.

The same event applied twice therefore changes nothing, and an older update never overwrites a
newer one, whatever the interleaving. Event items expire ``event_retention_days`` after the event's
``occurred_at`` (DynamoDB TTL). Profiles stay idempotent beyond that: contact and consent updates
need a strictly newer time and orders have their own records.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, NoReturn

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters import dynamodb_profile_items as items
from nurture.adapters.dynamodb_errors import RETRYABLE_CODES, call_store, error_code, query_pages, store_error
from nurture.errors import DependencyUnavailable
from nurture.events import (
    ConsentChanged,
    ContactBirthday,
    ContactLapsed,
    ContactRefresh,
    EmailEngagement,
    ProductBrowsed,
    ScoreCrossed,
    SegmentChange,
    SmsDelivery,
    parse_event,
)
from nurture.profiles.errors import ConcurrentProfileUpdate, ProfileStoreError
from nurture.profiles.model import ApplyResult, OrderKey, OrderRecord, Profile, StoreCustomer
from nurture.profiles.planning import ORDER_UNCOUNTED, ProfileChange, order_key, plan_update, with_order_dates

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

    from nurture.adapters.dynamodb_profile_items import Identity, Item
    from nurture.events import CanonicalEvent, Contact
    from nurture.insights.assess import Assessed

MAX_ATTEMPTS = 5
DEFAULT_EVENT_RETENTION_DAYS = 365
_DEPENDENCY = "profile store"


@dataclass(frozen=True, slots=True)
class ContactResolution:
    contact_id: str
    conflicts: tuple[str, ...] = ()


class _Conflict(Exception):
    """The profile changed between read and write (internal: triggers a re-plan)."""


class _Duplicate(Exception):
    """The event item exists already (internal)."""

    def __init__(
        self, effects: tuple[str, ...], triggered: tuple[str, ...], derived: tuple[CanonicalEvent, ...]
    ) -> None:
        super().__init__("event applied before")
        self.effects = effects
        self.triggered = triggered
        self.derived = derived


# Which journeys a change triggers (the router's trigger decisions), recorded on the event item.
TriggeredBy = Callable[[ProfileChange], tuple[str, ...]]


def _nothing_triggered(change: ProfileChange) -> tuple[str, ...]:
    return ()


# What the process function concludes about the contact after a change (nurture.insights): the
# profile with its new insights and the events they raise, written and recorded with the change.
Assesses = Callable[[ProfileChange], "Assessed | None"]
# Events Nurture derives itself name their contact by id: no identity is read or claimed.
_BY_ID = (
    ContactLapsed,
    ContactBirthday,
    EmailEngagement,
    SmsDelivery,
    ScoreCrossed,
    SegmentChange,
    ContactRefresh,
    ProductBrowsed,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ProfileRepository:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        event_retention_days: int = DEFAULT_EVENT_RETENTION_DAYS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if event_retention_days < 1:
            raise ValueError("event_retention_days must be at least 1")
        self._table = table_name
        self._client = client
        self._retention_days = event_retention_days
        self._clock = clock or _utc_now

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = boto3.client("dynamodb")
        return self._client

    # ---- Lookups ----

    def find_contact_id(
        self, *, email: str | None = None, phone: str | None = None, customer: StoreCustomer | None = None
    ) -> str | None:
        """The contact holding the first of these identifiers that is known (email, customer, phone)."""
        candidates: list[Identity] = []
        if email is not None:
            candidates.append(items.email_identity(email))
        if customer is not None:
            candidates.append(items.customer_identity(customer))
        if phone is not None:
            candidates.append(items.phone_identity(phone))
        for identity in candidates:
            owner = self._identity_owner(identity)
            if owner is not None:
                return owner
        return None

    def get_profile(self, contact_id: str) -> Profile | None:
        stored = self._read_profile(contact_id)
        return None if stored is None else stored[0]

    def get_order(self, contact_id: str, key: OrderKey) -> OrderRecord | None:
        item = self._get(items.order_key(contact_id, key), "GetItem order")
        return None if item is None else items.order_from_item(item)

    # ---- Contacts ----

    def resolve_contact(self, contact: Contact, *, source: str, store: str) -> ContactResolution:
        """Return the contact these identifiers belong to, creating it (race-safely) when new."""
        identities = items.contact_identities(contact, source=source, store=store)
        if not identities:
            raise ValueError("a contact needs at least one of email, phone or customer_id")
        owners = {identity: self._identity_owner(identity) for identity in identities}
        owner = next((found for found in owners.values() if found is not None), None)
        conflicts = [identity.kind for identity, found in owners.items() if found not in (None, owner)]
        for identity, found in owners.items():
            if found is not None:
                continue
            if owner is None:
                # A new contact, unless another first sighting claims this identity first: then it is theirs.
                owner = self._claim(identity, uuid.uuid4().hex)
            elif self._claim(identity, owner) != owner:
                conflicts.append(identity.kind)
        assert owner is not None  # identities is not empty: the first was found or claimed
        return ContactResolution(owner, tuple(conflicts))

    def _identity_owner(self, identity: Identity) -> str | None:
        item = self._get(items.identity_key(identity.pk), "GetItem identity")
        if item is None:
            return None
        owner = item.get("contact_id", {}).get("S")
        if not owner:
            raise ProfileStoreError("GetItem identity", "identity item without contact_id")
        return str(owner)

    def _claim(self, identity: Identity, contact_id: str) -> str:
        """Point ``identity`` at ``contact_id`` unless it points somewhere already; return where it points."""
        try:
            self.client.put_item(
                TableName=self._table,
                Item=items.identity_item(identity, contact_id, self._clock()),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise store_error(_DEPENDENCY, "PutItem identity", exc, ProfileStoreError) from exc
            owner = self._identity_owner(identity)
            if owner is None:  # identity items are never deleted
                raise ProfileStoreError("PutItem identity", "identity vanished after a failed claim") from exc
            return owner
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, type(exc).__name__) from exc
        return contact_id

    # ---- Applying events ----

    def apply(
        self, event: CanonicalEvent, *, triggered: TriggeredBy | None = None, assess: Assesses | None = None
    ) -> ApplyResult:
        """Apply one canonical event to its contact's profile, exactly once (see the module doc).
        ``assess``: the contact's insights after the change (scores, tier, segments), written with it."""
        decide_triggers = triggered or _nothing_triggered
        conflicts: tuple[str, ...] = ()
        by_id = isinstance(event, _BY_ID) or (isinstance(event, ConsentChanged) and event.contact_id is not None)
        if isinstance(event, _BY_ID):
            contact_id = event.contact_id  # derived by Nurture, naming the contact by id
        elif isinstance(event, ConsentChanged) and event.contact_id is not None:
            contact_id = event.contact_id  # Nurture's consent pages: the contact a signed token names
        elif event.contact is None:
            return ApplyResult(outcome="no_contact")
        else:
            resolution = self.resolve_contact(event.contact, source=event.source, store=event.store)
            contact_id, conflicts = resolution.contact_id, resolution.conflicts
        key = order_key(event)
        for _attempt in range(MAX_ATTEMPTS):
            stored = self._read_profile(contact_id)
            order = self.get_order(contact_id, key) if key is not None else None
            if stored is None and by_id:
                return ApplyResult(outcome="no_contact")  # an event by id never creates a contact
            profile, version = stored if stored is not None else (None, 0)
            change = plan_update(profile, event, contact_id=contact_id, now=self._clock(), order=order)
            if ORDER_UNCOUNTED in change.effects and change.order_after is not None:
                change = self._with_order_dates(change, change.order_after)
            assessed = assess(change) if assess is not None else None
            if assessed is not None:
                change = replace(change, after=assessed.after)
            derived = assessed.derived if assessed is not None else ()
            journeys = decide_triggers(change)
            try:
                self._commit(event, change, version, journeys, derived)
            except _Duplicate as duplicate:
                return ApplyResult(
                    outcome="duplicate",
                    contact_id=contact_id,
                    effects=duplicate.effects,
                    triggered=duplicate.triggered,
                    identity_conflicts=conflicts,
                    after=profile,
                    derived=duplicate.derived,
                )
            except _Conflict:
                continue
            return ApplyResult(
                outcome="applied",
                contact_id=contact_id,
                created=change.created,
                effects=change.effects,
                ignored=change.ignored,
                triggered=journeys,
                identity_conflicts=conflicts,
                before=change.before,
                after=change.after,
                derived=derived,
            )
        raise ConcurrentProfileUpdate(contact_id, MAX_ATTEMPTS)

    def _with_order_dates(self, change: ProfileChange, taken_out: OrderRecord) -> ProfileChange:
        """A counted order was taken back out: the first and last order dates become those of the
        contact's orders that still count (one Query of its order records)."""
        records = [record for record in self._order_records(change.contact_id) if record.key != taken_out.key]
        orders = with_order_dates(change.after.orders, [*records, taken_out])
        return replace(change, after=replace(change.after, orders=orders))

    def _order_records(self, contact_id: str) -> list[OrderRecord]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :orders)",
            "ExpressionAttributeValues": {":pk": {"S": items.contact_pk(contact_id)}, ":orders": {"S": "ORDER#"}},
            "ConsistentRead": True,
        }
        return [items.order_from_item(item) for item in self._query_all(request, "Query orders")]

    def _query_all(self, request: dict[str, Any], operation: str, limit: int | None = None) -> list[dict[str, Any]]:
        def query(**arguments: Any) -> Mapping[str, Any]:
            return call_store(_DEPENDENCY, operation, ProfileStoreError, self.client.query, **arguments)

        items = (item for page in query_pages(query, request) for item in page.get("Items", []))
        return list(islice(items, limit))

    def recent_events(
        self, contact_id: str, *, types: frozenset[str], since: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """The contact's logged events of ``types`` that occurred at or after ``since`` (event views:
        the canonical JSON as applied), newest first, at most ``limit``: one Query of its partition
        (paginated), read consistently so an event applied a moment ago is in it."""
        if not types:
            return []
        names = {f":t{index}": {"S": kind} for index, kind in enumerate(sorted(types))}
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "FilterExpression": f"event_type IN ({', '.join(names)})",
            "ProjectionExpression": "body",
            "ExpressionAttributeValues": {
                ":pk": {"S": items.contact_pk(contact_id)},
                ":from": {"S": f"EVENT#{items.iso(since)}"},
                ":to": {"S": "EVENT#~"},  # after every timestamp: events dated ahead of the clock count
                **names,
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        return [
            json.loads(item["body"]["S"]) for item in self._query_all(request, "Query events", limit) if "body" in item
        ]

    def _read_profile(self, contact_id: str) -> tuple[Profile, int] | None:
        item = self._get(items.profile_key(contact_id), "GetItem profile")
        return None if item is None else items.profile_from_item(item)

    def _commit(
        self,
        event: CanonicalEvent,
        change: ProfileChange,
        version: int,
        triggered: tuple[str, ...],
        derived: tuple[CanonicalEvent, ...],
    ) -> None:
        now = self._clock()
        contact_id = change.contact_id
        transaction: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": items.event_item(
                        contact_id,
                        event,
                        effects=change.effects,
                        now=now,
                        retention_days=self._retention_days,
                        triggered=triggered,
                        derived=derived,
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        if change.profile_changed or change.order_changed:
            transaction.append(self._profile_update(change, version))
            if change.order_after is not None and change.order_changed:
                transaction.append(
                    {"Put": {"TableName": self._table, "Item": items.order_item(contact_id, change.order_after, now)}}
                )
            transaction.extend(self._segment_member_writes(change))
        try:
            self.client.transact_write_items(TransactItems=transaction)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise store_error(_DEPENDENCY, "TransactWriteItems", exc, ProfileStoreError) from exc
            self._raise_cancellation(exc, contact_id, event)
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, type(exc).__name__) from exc

    def _profile_update(self, change: ProfileChange, version: int) -> TransactWriteItemTypeDef:
        attributes = items.profile_attributes(change.after, version + 1)
        names: dict[str, str] = {}
        values: dict[str, AttributeValueTypeDef] = {}
        assignments: list[str] = []
        removals: list[str] = []
        for index, (name, value) in enumerate(attributes.items()):
            names[f"#a{index}"] = name
            if value is None:
                removals.append(f"#a{index}")
            else:
                values[f":v{index}"] = value
                assignments.append(f"#a{index} = :v{index}")
        expression = "SET " + ", ".join(assignments)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        if change.before is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#version = :expected_version"
            names["#version"] = "version"
            values[":expected_version"] = {"N": str(version)}
        return {
            "Update": {
                "TableName": self._table,
                "Key": items.profile_key(change.contact_id),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _segment_member_writes(self, change: ProfileChange) -> list[TransactWriteItemTypeDef]:
        """A member item per segment entered, its deletion per segment exited (listing a segment
        reads these, never the profiles)."""
        before = change.before.insights if change.before is not None else None
        after = change.after.insights
        held = before.segments if before is not None else {}
        stays = after.segments if after is not None else {}
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": items.segment_member_item(segment, change.contact_id, stays[segment].since),
                }
            }
            for segment in sorted(set(stays) - set(held))
        ]
        writes.extend(
            {"Delete": {"TableName": self._table, "Key": items.segment_member_key(segment, change.contact_id)}}
            for segment in sorted(set(held) - set(stays))
        )
        return writes

    def _raise_cancellation(self, exc: ClientError, contact_id: str, event: CanonicalEvent) -> NoReturn:
        reasons = exc.response.get("CancellationReasons") or []
        codes = [str(reason.get("Code") or "None") for reason in reasons]
        if codes and codes[0] == "ConditionalCheckFailed":
            first: Any = reasons[0]
            existing: Mapping[str, Any] | None = first.get("Item")
            if existing is None:  # not returned: read the first application's record
                existing = self._get(items.event_key(contact_id, event), "GetItem event")
            raise _Duplicate(
                items.event_effects(existing or {}),
                items.event_triggered(existing or {}),
                tuple(parse_event(body) for body in items.event_derived(existing or {})),
            ) from exc
        if any(code in ("ConditionalCheckFailed", "TransactionConflict") for code in codes[1:]):
            raise _Conflict from exc
        if any(code in RETRYABLE_CODES for code in codes):
            raise DependencyUnavailable(_DEPENDENCY, "TransactWriteItems: " + ",".join(codes)) from exc
        raise ProfileStoreError("TransactWriteItems", ",".join(codes) or error_code(exc)) from exc

    # ---- Plumbing ----

    def _get(self, key: Item, operation: str) -> dict[str, AttributeValueTypeDef] | None:
        answer = call_store(
            _DEPENDENCY,
            operation,
            ProfileStoreError,
            self.client.get_item,
            TableName=self._table,
            Key=key,
            ConsistentRead=True,
        )
        item: dict[str, AttributeValueTypeDef] | None = answer.get("Item")
        return item

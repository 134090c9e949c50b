"""Erasure and export of one contact (pure: the table and Step Functions are behind protocols).

What is held about contact ``<id>`` (docs/architecture.md, "NurtureTable"): every item of the
partition ``CONTACT#<id>`` (profile, events, orders, send claims, enrolments, offers,
personalisations) and the identity items
``IDENTITY#…`` that point at it. The identity keys are hashes or store customer ids, so they are
found from the identifiers the contact's items hold: the profile's email, phone and customers, and
the contact of every event in its log (an address the profile no longer holds still has its identity
item).

Erasure, in an order a crash can resume from (`PrivacyRequests.erase`):

1. read the partition; write the marker ``ERASURE#<id>`` with the identity keys and suppression
   keys found (merged with a marker a crashed erasure left: its partition may already be gone);
2. stop the execution of every enrolment that did not complete (error ``ContactErased``);
3. keep suppression as a keyed hash only: an existing ``SUPPRESSION#<hash>`` item of one of the
   contact's addresses or numbers is kept, stripped of anything that names the contact; when the
   contact complained or bounced permanently and its address has no such item, one is written (key,
   reason, time: nothing else), so an erased contact who complained is never mailed again;
   otherwise none is created;
4. delete the identity items that point at the contact (conditionally: one that points elsewhere
   now stays);
5. remove the contact id from the code pools' claimed items of its discount codes (found from its
   ``OFFER#`` items: the code stays claimed, never handed out twice); delete every item of the
   partition, then read it again and do the same with what was written meanwhile (a journey step
   that was running when its execution was stopped);
6. delete the marker.

Every step is idempotent, so a retry after a crash anywhere finishes the erasure; a contact with
neither items nor a marker is `NotFound`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from nurture.errors import InvalidRequest, NotFound
from nurture.journeys.enrolments import execution_arn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

# Contact ids are random UUIDs in hex (docs/architecture.md).
CONTACT_ID = re.compile(r"[0-9a-f]{32}")
ERASED_ERROR = "ContactErased"
ERASED_CAUSE = "the contact was erased (privacy request)"

ItemKind = Literal["profile", "events", "orders", "sends", "enrolments", "offers", "personalisations", "other"]
KINDS: tuple[ItemKind, ...] = (
    "profile",
    "events",
    "orders",
    "sends",
    "enrolments",
    "offers",
    "personalisations",
    "other",
)
_PREFIXES: tuple[tuple[str, ItemKind], ...] = (
    ("EVENT#", "events"),
    ("ORDER#", "orders"),
    ("SEND#", "sends"),
    ("ENROLMENT#", "enrolments"),
    ("OFFER#", "offers"),  # the contact's discount-code claims (docs/offers.md)
    ("PERSONAL#", "personalisations"),  # a send's variant, offer and recommendations, decided once
)
SuppressionOutcome = Literal["kept", "scrubbed", "created", "absent"]


def check_contact_id(value: str) -> str:
    """The contact id, or ``InvalidRequest`` naming the field ``id`` (the value is never quoted)."""
    if not CONTACT_ID.fullmatch(value):
        raise InvalidRequest("id", "must be a contact id: 32 lower-case hexadecimal digits")
    return value


@dataclass(frozen=True, slots=True)
class HeldItem:
    """One item of a contact's partition: its sort key and its attributes as plain values."""

    sk: str
    attributes: Mapping[str, Any]

    @property
    def kind(self) -> ItemKind:
        if self.sk == "PROFILE":
            return "profile"
        return next((kind for prefix, kind in _PREFIXES if self.sk.startswith(prefix)), "other")


@dataclass(frozen=True, slots=True)
class Identifiers:
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    customers: frozenset[tuple[str, str, str]] = frozenset()  # (source, store, customer id)


@dataclass(frozen=True, slots=True)
class IdentityKey:
    key: str  # the identity item's partition key
    kind: str  # email | phone | customer
    value: str  # the identifier in clear (for the export only; never stored by an erasure)


@dataclass(frozen=True, slots=True)
class ErasureMarker:
    """``ERASURE#<id>``: what an erasure still has to finish (keys only, no identifier in clear)."""

    contact_id: str
    started_at: datetime
    identity_keys: frozenset[str]
    # suppression key -> the reason to create it when absent ("" keeps an existing one only)
    suppressions: Mapping[str, str] = field(default_factory=dict)


class ReadsContacts(Protocol):
    """What finding a contact and reading its items needs (an export, `nurture contact show`)."""

    def contact_items(self, contact_id: str) -> list[HeldItem]: ...

    def identity_keys(self, identifiers: Identifiers) -> list[IdentityKey]: ...

    def identity(self, key: str) -> Mapping[str, Any] | None: ...


def find_contact(
    store: ReadsContacts,
    *,
    email: str | None = None,
    phone: str | None = None,
    customer: tuple[str, str, str] | None = None,
) -> str | None:
    """The contact an identifier (already normalised) points at; None when none does."""
    identifiers = Identifiers(
        emails=frozenset([email] if email else []),
        phones=frozenset([phone] if phone else []),
        customers=frozenset([customer] if customer else []),
    )
    for identity in store.identity_keys(identifiers):
        item = store.identity(identity.key)
        if item is not None and isinstance(item.get("contact_id"), str):
            return str(item["contact_id"])
    return None


class PrivacyStore(ReadsContacts, Protocol):
    def delete_identity(self, key: str, contact_id: str) -> bool: ...

    def delete_contact_items(self, contact_id: str, sort_keys: Sequence[str]) -> None: ...

    def erasure(self, contact_id: str) -> ErasureMarker | None: ...

    def save_erasure(self, marker: ErasureMarker) -> None: ...

    def end_erasure(self, contact_id: str) -> None: ...

    def suppression_key(self, kind: Literal["email", "phone"], value: str) -> str: ...

    def keep_suppression(self, key: str, reason: str, at: datetime) -> SuppressionOutcome: ...

    def anonymise_claimed_code(self, pool: str, code: str, contact_id: str) -> bool: ...


class ExecutionStopper(Protocol):
    def stop(self, execution_arn: str, *, error: str = ..., cause: str) -> Literal["stopped", "not_found"]: ...


@dataclass(frozen=True, slots=True)
class ErasureSummary:
    """Counts only (what a dry run would erase, or what an erasure did): safe to log and print."""

    contact_id: str
    items: Mapping[str, int]  # per kind of partition item
    identities: int
    executions: int  # enrolments whose execution is (dry run) or was stopped
    suppressions: Mapping[str, int]  # outcome -> count ("kept", "scrubbed", "created"; planned: "keep", "create")
    resumed: bool  # an earlier erasure of this contact had not finished
    erased: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "erased": self.erased,
            "resumed": self.resumed,
            "items": dict(self.items),
            "identities": self.identities,
            "executions_stopped" if self.erased else "executions_to_stop": self.executions,
            "suppressions": dict(self.suppressions),
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PrivacyRequests:
    def __init__(
        self,
        store: PrivacyStore,
        executions: ExecutionStopper,
        state_machine_prefix: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._executions = executions
        self._prefix = state_machine_prefix
        self._clock = clock or _utc_now

    # ---- lookups ----

    def find_contact(
        self, *, email: str | None = None, phone: str | None = None, customer: tuple[str, str, str] | None = None
    ) -> str | None:
        """The contact an identifier (already normalised) points at; None when none does."""
        return find_contact(self._store, email=email, phone=phone, customer=customer)

    # ---- erasure ----

    def plan(self, contact_id: str) -> ErasureSummary:
        """What `erase` would do, changing nothing (the dry run)."""
        check_contact_id(contact_id)
        items = self._store.contact_items(contact_id)
        marker = self._store.erasure(contact_id)
        if not items and marker is None:
            raise NotFound("contact")
        identity_keys, suppressions = self._keys(contact_id, items, marker)
        owned = sum(1 for key in identity_keys if (self._store.identity(key) or {}).get("contact_id") == contact_id)
        return ErasureSummary(
            contact_id=contact_id,
            items=_count(items),
            identities=owned,
            executions=len(self._unfinished_executions(items)),
            suppressions=dict(Counter("create" if reason else "keep" for reason in suppressions.values())),
            resumed=marker is not None,
            erased=False,
        )

    def erase(self, contact_id: str) -> ErasureSummary:
        check_contact_id(contact_id)
        items = self._store.contact_items(contact_id)
        earlier = self._store.erasure(contact_id)
        if not items and earlier is None:
            raise NotFound("contact")
        now = self._clock()
        identity_keys, suppressions = self._keys(contact_id, items, earlier)
        marker = ErasureMarker(
            contact_id=contact_id,
            started_at=earlier.started_at if earlier else now,
            identity_keys=frozenset(identity_keys),
            suppressions=suppressions,
        )
        self._store.save_erasure(marker)
        stopped = self._stop(items)
        outcomes: Counter[str] = Counter(
            self._store.keep_suppression(key, reason, now) for key, reason in sorted(marker.suppressions.items())
        )
        outcomes.pop("absent", None)
        identities = sum(self._store.delete_identity(key, contact_id) for key in sorted(marker.identity_keys))
        counts = _count(items)
        self._anonymise_claimed_codes(contact_id, items)
        self._store.delete_contact_items(contact_id, [item.sk for item in items])
        # Whatever was written meanwhile (a step that ran while its execution was being stopped).
        late = self._store.contact_items(contact_id)
        if late:
            stopped += self._stop(late)
            counts.update(item.kind for item in late)
            self._anonymise_claimed_codes(contact_id, late)
            self._store.delete_contact_items(contact_id, [item.sk for item in late])
        self._store.end_erasure(contact_id)
        return ErasureSummary(
            contact_id=contact_id,
            items=dict(counts),
            identities=identities,
            executions=stopped,
            suppressions=dict(outcomes),
            resumed=earlier is not None,
            erased=True,
        )

    def _keys(
        self, contact_id: str, items: Sequence[HeldItem], marker: ErasureMarker | None
    ) -> tuple[set[str], dict[str, str]]:
        """The identity keys and the suppression keys (with the reason to create one) of the contact."""
        identifiers = identifiers_of(items)
        identity_keys = {identity.key for identity in self._store.identity_keys(identifiers)}
        reason = suppression_reason(items)
        suppressions = {self._store.suppression_key("email", email): reason for email in identifiers.emails}
        suppressions.update({self._store.suppression_key("phone", phone): "" for phone in identifiers.phones})
        if marker is not None:
            identity_keys |= marker.identity_keys
            for key, earlier_reason in marker.suppressions.items():
                suppressions[key] = suppressions.get(key) or earlier_reason
        return identity_keys, suppressions

    def _anonymise_claimed_codes(self, contact_id: str, items: Iterable[HeldItem]) -> None:
        """The pools' claimed items of the contact's codes lose the contact id and stay claimed (a
        code is never handed out twice). Before the partition goes: its offer items are the only
        way to them."""
        for item in items:
            if item.kind != "offers":
                continue
            pool = item.attributes.get("pool") or item.sk.removeprefix("OFFER#").split("#", 1)[0]
            code = item.attributes.get("code")
            if isinstance(pool, str) and pool and isinstance(code, str) and code:
                self._store.anonymise_claimed_code(pool, code, contact_id)

    def _unfinished_executions(self, items: Iterable[HeldItem]) -> list[str]:
        arns = []
        for item in items:
            if item.kind != "enrolments" or item.attributes.get("status") == "completed":
                continue
            journey, name = item.attributes.get("journey"), item.attributes.get("enrolment_id")
            if isinstance(journey, str) and isinstance(name, str):
                arns.append(execution_arn(self._prefix, journey, name))
        return sorted(arns)

    def _stop(self, items: Iterable[HeldItem]) -> int:
        """Stop the execution of every enrolment that did not complete (an exited one too: its stop
        may have failed); stopping one that has ended changes nothing."""
        return sum(
            self._executions.stop(arn, error=ERASED_ERROR, cause=ERASED_CAUSE) == "stopped"
            for arn in self._unfinished_executions(items)
        )

    # ---- export ----

    def export(self, contact_id: str) -> dict[str, Any]:
        """Everything held about the contact, as one JSON-ready document (sorted: the same data
        gives the same document). It holds personal data: it is for the data subject."""
        check_contact_id(contact_id)
        items = sorted(self._store.contact_items(contact_id), key=lambda item: item.sk)
        if not items:
            raise NotFound("contact")
        document: dict[str, Any] = {"contact_id": contact_id, "profile": None}
        for kind in KINDS[1:]:
            document[kind] = []
        for item in items:
            record = _exported(item)
            if item.kind == "profile":
                document["profile"] = record
            else:
                document[item.kind].append(record)
        identities = []
        for identity in sorted(
            self._store.identity_keys(identifiers_of(items)), key=lambda i: (i.kind, i.value, i.key)
        ):
            stored = self._store.identity(identity.key)
            if stored is not None and stored.get("contact_id") == contact_id:
                identities.append({"kind": identity.kind, "value": identity.value, "since": stored.get("created_at")})
        document["identities"] = identities
        return document


def _count(items: Iterable[HeldItem]) -> Counter[str]:
    counts: Counter[str] = Counter(dict.fromkeys(KINDS, 0))
    counts.update(item.kind for item in items)
    return counts


def _json_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _exported(item: HeldItem) -> dict[str, Any]:
    """The item's attributes without its partition key; JSON held as text (an event's canonical
    body, an enrolment's data) as the object it is."""
    record = {name: value for name, value in item.attributes.items() if name != "pk"}
    for name in ("body", "data", "recommendations"):
        if name in record:
            record[name] = _json_text(record[name])
    return record


def _event_body(item: HeldItem) -> Mapping[str, Any]:
    body = _json_text(item.attributes.get("body"))
    return body if isinstance(body, dict) else {}


def identifiers_of(items: Iterable[HeldItem]) -> Identifiers:
    """Every email, phone and store customer the contact's profile and events name."""
    emails: set[str] = set()
    phones: set[str] = set()
    customers: set[tuple[str, str, str]] = set()
    for item in items:
        if item.kind == "profile":
            emails.update(_texts(item.attributes.get("email")))
            phones.update(_texts(item.attributes.get("phone")))
            for customer in item.attributes.get("customers") or []:
                if isinstance(customer, dict):
                    parts = (customer.get("source"), customer.get("store"), customer.get("customer_id"))
                    if all(isinstance(part, str) and part for part in parts):
                        customers.add((str(parts[0]), str(parts[1]), str(parts[2])))
        elif item.kind == "events":
            body = _event_body(item)
            contact = body.get("contact")
            if not isinstance(contact, dict):
                continue
            emails.update(_texts(contact.get("email")))
            phones.update(_texts(contact.get("phone")))
            source, store, customer_id = body.get("source"), body.get("store"), contact.get("customer_id")
            if isinstance(source, str) and isinstance(store, str) and isinstance(customer_id, str) and customer_id:
                customers.add((source, store, customer_id))
    return Identifiers(frozenset(emails), frozenset(phones), frozenset(customers))


def _texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def suppression_reason(items: Iterable[HeldItem]) -> str:
    """``complaint`` or ``bounce`` when the contact's event log shows SES reported a complaint or a
    permanent bounce; "" otherwise."""
    reasons = set()
    for item in items:
        if item.kind != "events":
            continue
        event_type = item.attributes.get("event_type")
        if event_type == "email.complained":
            reasons.add("complaint")
        elif event_type == "email.bounced" and _event_body(item).get("bounce_type") == "Permanent":
            reasons.add("bounce")
    return "complaint" if "complaint" in reasons else "bounce" if reasons else ""

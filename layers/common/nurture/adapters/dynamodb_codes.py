"""NurtureTable's discount-code pools (docs/offers.md, "Code pools").

Items (attribute: DynamoDB type):

available  pk ``CODEPOOL#<pool>``, sk ``AVAILABLE#<code>``: item_type ``code``, imported_at: S,
           code_expires_at: S (optional: YYYY-MM-DD or a UTC time; not ``expires_at``, the
           table's TTL attribute: the store's expiry of the code is not the item's).
claimed    pk ``CODEPOOL#<pool>``, sk ``CLAIMED#<code>``: item_type ``claimed_code``, contact_id,
           claim (``<pool>#<enrolment id>#<step id>``), at: S; code_expires_at: S (optional, the
           available item's). An erasure removes ``contact_id`` and keeps the item: the code stays
           claimed, never handed out twice.
offer      pk ``CONTACT#<contact_id>``, sk ``OFFER#<claim>``: item_type ``offer``, pool, code, at: S;
           code_expires_at: S (optional). The contact's claim: its presence makes a claim idempotent.

Import writes an available item only when neither it nor the claimed item exists (one
TransactWriteItems per 50 codes: a Put and a ConditionCheck each, 100 actions); a claim moves one
code from available to claimed and writes the contact's claim in one TransactWriteItems. Throttling
and lost connections are ``DependencyUnavailable`` (retry later); other refusals
``CodeStoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from nurture.adapters.dynamodb_errors import RETRYABLE_CODES, call_store, error_code, query_pages, store_error
from nurture.adapters.dynamodb_profile_items import contact_pk, iso
from nurture.errors import DependencyUnavailable, NurtureError
from nurture.offers.codes import ClaimResult, Code, claim_order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

_DEPENDENCY = "code pool"
AVAILABLE = "AVAILABLE#"
CLAIMED = "CLAIMED#"
OFFER = "OFFER#"
CANDIDATES = 25  # available codes read per claim round
CLAIM_ROUNDS = 5  # codes taken meanwhile: at most this many rounds before "retry later"
IMPORT_CHUNK = 50  # codes per TransactWriteItems: 2 actions each, 100 actions (the limit)


class CodeStoreError(NurtureError):
    """The table refused a code pool's call for a reason retrying will not fix."""

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"code pool {operation} failed: {detail}")
        self.operation = operation
        self.detail = detail


class CodePool(Protocol):
    """What the send path needs: one code per claim key, the same one every time."""

    def claim(self, pool: str, contact_id: str, claim_key: str, at: datetime) -> ClaimResult: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    already_present: int  # available or claimed in the pool already: left as they are


@dataclass(frozen=True, slots=True)
class PoolCounts:
    available: int
    claimed: int


@dataclass(frozen=True, slots=True)
class OfferClaim:
    """One of the contact's claims (its ``OFFER#`` item)."""

    claim: str
    pool: str
    code: str
    at: str
    expires_at: str | None


def pool_pk(pool: str) -> str:
    return f"CODEPOOL#{pool}"


def offer_key(contact_id: str, claim: str) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": contact_pk(contact_id)}, "sk": {"S": f"{OFFER}{claim}"}}


def claimed_key(pool: str, code: str) -> dict[str, AttributeValueTypeDef]:
    return {"pk": {"S": pool_pk(pool)}, "sk": {"S": f"{CLAIMED}{code}"}}


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if isinstance(value, Mapping) and "S" in value else None


def offer_claim(item: Mapping[str, Any]) -> OfferClaim:
    claim = str(item["sk"]["S"]).removeprefix(OFFER)
    return OfferClaim(
        claim=claim,
        pool=_text(item, "pool") or claim.split("#", 1)[0],
        code=_text(item, "code") or "",
        at=_text(item, "at") or "",
        expires_at=_text(item, "code_expires_at"),
    )


class DynamoDbCodePools:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._client = client

    # ---- import ----

    def import_codes(
        self,
        pool: str,
        codes: Sequence[Code],
        at: datetime,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportResult:
        """Add the codes to the pool as available; a code the pool holds already (available or
        claimed) is left as it is and counted. ``progress(done, total)`` after every chunk."""
        imported = present = 0
        for start in range(0, len(codes), IMPORT_CHUNK):
            chunk = list(codes[start : start + IMPORT_CHUNK])
            while chunk:
                refused = self._import_chunk(pool, chunk, at)
                if refused is None:
                    imported += len(chunk)
                    break
                present += len(refused)
                chunk = [code for index, code in enumerate(chunk) if index not in refused]
            if progress is not None:
                progress(min(start + IMPORT_CHUNK, len(codes)), len(codes))
        return ImportResult(imported=imported, already_present=present)

    def _import_chunk(self, pool: str, chunk: Sequence[Code], at: datetime) -> set[int] | None:
        """None when every code was written; else the indexes of the codes the pool holds already
        (nothing of the chunk was written)."""
        actions: list[TransactWriteItemTypeDef] = []
        for code in chunk:
            item: dict[str, AttributeValueTypeDef] = {
                "pk": {"S": pool_pk(pool)},
                "sk": {"S": f"{AVAILABLE}{code.code}"},
                "item_type": {"S": "code"},
                "imported_at": {"S": iso(at)},
            }
            if code.expires_at:
                item["code_expires_at"] = {"S": code.expires_at}
            actions.append(
                {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(sk)"}}
            )
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": claimed_key(pool, code.code),
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                }
            )
        reasons = self._transact("TransactWriteItems import", actions)
        if reasons is None:
            return None
        failed = {index // 2 for index, reason in enumerate(reasons) if reason == "ConditionalCheckFailed"}
        if failed:
            return failed
        raise DependencyUnavailable(_DEPENDENCY, "TransactWriteItems import: " + ",".join(reasons))

    # ---- claim ----

    def claim(self, pool: str, contact_id: str, claim_key: str, at: datetime) -> ClaimResult:
        """One code for the claim key, the same one every time (docs/offers.md, "Claim"): the
        contact's claim when there is one; else an available code picked by a hash of the claim key
        and moved to claimed, with the contact's claim, in one transaction. ``pool_empty`` when no
        code is available; `DependencyUnavailable` when every round lost its race (retry later)."""
        earlier = self._offer(contact_id, claim_key)
        if earlier is not None:
            return earlier
        lost: set[str] = set()
        for _ in range(CLAIM_ROUNDS):
            available = self._available(pool)
            if not available:
                return ClaimResult("pool_empty")
            # A code lost to a conflict may still be there: tried again only when nothing else is.
            expiries = dict([code for code in available if code[0] not in lost] or available)
            code = claim_order(claim_key, expiries)[0]
            reasons = self._transact(
                "TransactWriteItems claim", self._claim_writes(pool, contact_id, claim_key, code, expiries[code], at)
            )
            if reasons is None:
                return ClaimResult("claimed", code, expiries[code])
            if reasons[2] == "ConditionalCheckFailed":  # the same claim won meanwhile: its code
                won = self._offer(contact_id, claim_key)
                if won is not None:
                    return won
            if not set(reasons) <= {"None", "ConditionalCheckFailed", "TransactionConflict"}:
                raise DependencyUnavailable(_DEPENDENCY, "TransactWriteItems claim: " + ",".join(reasons))
            lost.add(code)  # taken (or being taken) by another claim: try another
        raise DependencyUnavailable(_DEPENDENCY, f"claim lost {CLAIM_ROUNDS} races for a code of pool {pool}")

    def _claim_writes(
        self, pool: str, contact_id: str, claim_key: str, code: str, expires_at: str | None, at: datetime
    ) -> list[TransactWriteItemTypeDef]:
        expiry: dict[str, AttributeValueTypeDef] = {"code_expires_at": {"S": expires_at}} if expires_at else {}
        return [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": pool_pk(pool)}, "sk": {"S": f"{AVAILABLE}{code}"}},
                    "ConditionExpression": "attribute_exists(sk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **claimed_key(pool, code),
                        "item_type": {"S": "claimed_code"},
                        "contact_id": {"S": contact_id},
                        "claim": {"S": claim_key},
                        "at": {"S": iso(at)},
                        **expiry,
                    },
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **offer_key(contact_id, claim_key),
                        "item_type": {"S": "offer"},
                        "pool": {"S": pool},
                        "code": {"S": code},
                        "at": {"S": iso(at)},
                        **expiry,
                    },
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
        ]

    def _offer(self, contact_id: str, claim_key: str) -> ClaimResult | None:
        answer = self._call(
            "GetItem offer",
            self._client.get_item,
            TableName=self._table,
            Key=offer_key(contact_id, claim_key),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if item is None:
            return None
        offer = offer_claim(item)
        return ClaimResult("claimed", offer.code, offer.expires_at)

    def _available(self, pool: str) -> list[tuple[str, str | None]]:
        """Up to `CANDIDATES` available codes of the pool, with their expiry."""
        answer = self._call(
            "Query available",
            self._client.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :available)",
            ExpressionAttributeValues={":pk": {"S": pool_pk(pool)}, ":available": {"S": AVAILABLE}},
            ConsistentRead=True,
            Limit=CANDIDATES,
        )
        return [
            (str(item["sk"]["S"]).removeprefix(AVAILABLE), _text(item, "code_expires_at"))
            for item in answer.get("Items") or []
        ]

    # ---- reading ----

    def status(self, pools: Iterable[str]) -> dict[str, PoolCounts]:
        """Available and claimed codes per pool (Query with Select COUNT, every page)."""
        return {pool: PoolCounts(self._count(pool, AVAILABLE), self._count(pool, CLAIMED)) for pool in pools}

    def _count(self, pool: str, prefix: str) -> int:
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pool_pk(pool)}, ":prefix": {"S": prefix}},
            "Select": "COUNT",
        }
        pages = query_pages(lambda **arguments: self._call("Query count", self._client.query, **arguments), request)
        return sum(int(page.get("Count") or 0) for page in pages)

    def claims_of(self, contact_id: str) -> list[OfferClaim]:
        """The contact's claims (its ``OFFER#`` items), by claim key."""
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :offer)",
            "ExpressionAttributeValues": {":pk": {"S": contact_pk(contact_id)}, ":offer": {"S": OFFER}},
            "ConsistentRead": True,
        }
        pages = query_pages(lambda **arguments: self._call("Query offers", self._client.query, **arguments), request)
        return [offer_claim(item) for page in pages for item in page.get("Items") or []]

    # ---- plumbing ----

    def _call(self, operation: str, call: Any, **request: Any) -> Mapping[str, Any]:
        return call_store(_DEPENDENCY, operation, CodeStoreError, call, **request)

    def _transact(self, operation: str, actions: Sequence[TransactWriteItemTypeDef]) -> list[str] | None:
        """None when the transaction was written; else each action's cancellation reason code
        (``None`` for an action that was not the cause)."""
        try:
            self._client.transact_write_items(TransactItems=list(actions))
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise store_error(_DEPENDENCY, operation, exc, CodeStoreError) from exc
            reasons = [str(reason.get("Code") or "None") for reason in exc.response.get("CancellationReasons") or []]
            if len(reasons) != len(actions):
                raise CodeStoreError(operation, "cancelled without a reason per action") from exc
            if any(reason in RETRYABLE_CODES for reason in reasons):
                raise DependencyUnavailable(_DEPENDENCY, f"{operation}: " + ",".join(reasons)) from exc
            return reasons
        except BotoCoreError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"{operation}: {type(exc).__name__}") from exc
        return None

"""NurtureTable readers of scores, values, refreshes and segments (docs/scoring.md, "Wiring"), and
the VIP threshold's settings item. Every reader queries an index or a known partition: none scans.

Indexes (template.yaml; all KEYS_ONLY, hash key ``shard``, ``00`` to ``15``: `shard_of`):

- ``acquisition_score`` / ``loyalty_score`` (range: the score's value, N): `ScoreIndex`;
- ``customer_value`` (range ``clv``, N; customers only): `CustomerValueIndex`;
- ``due`` (range ``due_at``, S, ISO instant; profiles time alone will change): `DueIndex`.

An index entry holds the table's keys (``pk`` ``CONTACT#<id>``, ``sk`` ``PROFILE``) and the index's
own: the contact id and the range value come from the entry, no profile is read. Indexes are
eventually consistent: an answer may lag a write by a moment.

Segment members: pk ``SEGMENT#<segment id>#<shard>``, sk ``CONTACT#<contact id>`` (`SegmentMembers`).
VIP threshold: pk ``SETTINGS``, sk ``VIP_THRESHOLD``; ``value`` N (absent: none yet), ``customers``
N, ``top_percent`` N, ``computed_at`` S (`VipThresholdStore`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from nurture.adapters.dynamodb_errors import DependencyTable, conditional_store, query_pages
from nurture.adapters.dynamodb_profile_items import PROFILE_SK, SCORE_ATTRIBUTES, SHARDS, iso, segment_pk
from nurture.errors import DependencyUnavailable
from nurture.profiles.refresh import Due, Valued, VipThreshold

if TYPE_CHECKING:
    from collections.abc import Iterable

_DEPENDENCY = "DynamoDB"
# Score name -> its index, whose range key is the profile attribute of the same name.
SCORE_INDEXES = SCORE_ATTRIBUTES
CUSTOMER_VALUE_INDEX = "customer_value"
DUE_INDEX = "due"
CONTACT_PREFIX = "CONTACT#"
_IN_SHARD = "#shard = :shard"
THRESHOLD_KEY = {"pk": {"S": "SETTINGS"}, "sk": {"S": "VIP_THRESHOLD"}}


class Ranked(NamedTuple):
    """A contact and its value on an index (a score or a CLV), as the index holds it."""

    contact_id: str
    value: Decimal


def shards() -> tuple[str, ...]:
    return tuple(f"{shard:02d}" for shard in range(SHARDS))


def _number(value: Decimal | float | int | str, name: str) -> Decimal:
    """A finite number for a key condition; anything else is a ValueError naming ``name``."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name}: must be a finite number, not {value!r}")
    return number


class _ShardedIndex(DependencyTable):
    """One index of profile entries keyed by ``shard``: a Query per shard, every page read."""

    def __init__(self, table_name: str, client: Any, index: str, range_key: str) -> None:
        super().__init__(table_name, client, _DEPENDENCY)
        self._index = index
        self._range = range_key

    def query_shard(
        self, shard: str, condition: str, values: dict[str, Any], *, descending: bool = False, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """The profile entries of one shard matching ``condition`` (on ``#shard`` and ``#range``),
        page after page; with ``limit``, at most that many (the last page asks for what is left)."""
        arguments: dict[str, Any] = {
            "IndexName": self._index,
            "KeyConditionExpression": condition,
            # SHARD is one of DynamoDB's reserved words; a name the condition does not use is refused.
            "ExpressionAttributeNames": {"#shard": "shard"}
            | ({"#range": self._range} if "#range" in condition else {}),
            "ExpressionAttributeValues": {":shard": {"S": shard}, **values},
            "ScanIndexForward": not descending,
        }
        read = 0
        while limit is None or read < limit:
            if limit is not None:
                arguments["Limit"] = limit - read
            page = self._call("query", **arguments)
            for item in page.get("Items", []):
                if item.get("sk", {}).get("S") == PROFILE_SK and item["pk"]["S"].startswith(CONTACT_PREFIX):
                    read += 1
                    yield item
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def ranked(self, item: dict[str, Any]) -> Ranked:
        return Ranked(item["pk"]["S"].removeprefix(CONTACT_PREFIX), Decimal(item[self._range]["N"]))


def _best_first(ranked: Iterable[Ranked]) -> list[Ranked]:
    return sorted(ranked, key=_rank)


class ScoreIndex:
    """The base ordered by a score (``acquisition`` or ``loyalty``): the top N, every contact above X."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._indexes = {
            score: _ShardedIndex(table_name, client, index, index) for score, index in SCORE_INDEXES.items()
        }

    def _index(self, score: str) -> _ShardedIndex:
        if score not in self._indexes:
            raise ValueError(f"score: {score!r} is not one of {', '.join(sorted(self._indexes))}")
        return self._indexes[score]

    def top(self, score: str, n: int) -> list[Ranked]:
        """The ``n`` contacts with the highest value, best first (ties by contact id); fewer only
        when fewer contacts have the score. Each shard is read descending with ``Limit`` n and the
        16 answers merged; a shard cut at the n-th value is read again at that value alone, so
        ties across the cut are broken by contact id like the others (no extra Query without one)."""
        index = self._index(score)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n: must be a whole number of at least 1, not {n!r}")
        read = {
            shard: [index.ranked(item) for item in index.query_shard(shard, _IN_SHARD, {}, descending=True, limit=n)]
            for shard in shards()
        }
        top = heapq.nsmallest(n, (entry for entries in read.values() for entry in entries), key=_rank)
        if len(top) < n:
            return top
        cut = top[-1].value
        ties = [
            index.ranked(item)
            for shard, entries in read.items()
            if len(entries) == n and entries[-1].value == cut
            for item in index.query_shard(shard, "#shard = :shard AND #range = :cut", {":cut": {"N": str(cut)}})
        ]
        if not ties:
            return top
        merged = {entry.contact_id: entry for entry in (*top, *ties)}
        return heapq.nsmallest(n, merged.values(), key=_rank)

    def above(self, score: str, value: Decimal | float | int) -> list[Ranked]:
        """Every contact whose value is strictly above ``value``, best first (ties by contact id)."""
        index = self._index(score)
        bound = {":bound": {"N": str(_number(value, "value"))}}
        return _best_first(
            index.ranked(item)
            for shard in shards()
            for item in index.query_shard(shard, "#shard = :shard AND #range > :bound", bound)
        )


def _rank(entry: Ranked) -> tuple[Decimal, str]:
    return (-entry.value, entry.contact_id)


class CustomerValueIndex:
    """The customers' CLVs (``customer_value``): all of them for the VIP threshold, or a range."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._index = _ShardedIndex(table_name, client, CUSTOMER_VALUE_INDEX, "clv")

    def values(self) -> list[Decimal]:
        """Every customer's CLV (one per customer, in no particular order)."""
        index = self._index
        return [Decimal(item["clv"]["N"]) for shard in shards() for item in index.query_shard(shard, _IN_SHARD, {})]

    def between(self, low: Decimal, high: Decimal | None) -> list[Valued]:
        """The customers whose CLV is at least ``low`` and at most ``high`` (None: no upper bound),
        by contact id."""
        values: dict[str, Any] = {":low": {"N": str(_number(low, "low"))}}
        condition = "#shard = :shard AND #range >= :low"
        if high is not None:
            values[":high"] = {"N": str(_number(high, "high"))}
            condition = "#shard = :shard AND #range BETWEEN :low AND :high"
        found = [
            Valued(item["pk"]["S"].removeprefix(CONTACT_PREFIX), Decimal(item["clv"]["N"]))
            for shard in shards()
            for item in self._index.query_shard(shard, condition, values)
        ]
        return sorted(found, key=lambda entry: entry.contact_id)


class DueIndex:
    """The contacts whose refresh is due (``due``): ``due_at`` at or before now, every shard."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._index = _ShardedIndex(table_name, client, DUE_INDEX, "due_at")

    def due(self, now: datetime) -> Iterator[Due]:
        """Shard after shard, oldest first within a shard, page after page: the caller may stop
        early (the rest stay due and the next run finds them)."""
        bound = {":now": {"S": iso(now)}}
        for shard in shards():
            for item in self._index.query_shard(shard, "#shard = :shard AND #range <= :now", bound):
                yield Due(item["pk"]["S"].removeprefix(CONTACT_PREFIX), datetime.fromisoformat(item["due_at"]["S"]))


class SegmentMembers(DependencyTable):
    """A segment's members, from its member items (16 partitions per segment), never a scan."""

    def __init__(self, table_name: str, client: Any) -> None:
        super().__init__(table_name, client, _DEPENDENCY)

    def _pages(self, segment: str, **extra: Any) -> Iterator[Mapping[str, Any]]:
        def query(**arguments: Any) -> Mapping[str, Any]:
            page: Mapping[str, Any] = self._call("query", **arguments)
            return page

        for shard in shards():
            key = {
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": segment_pk(segment, shard)}},
            }
            yield from query_pages(query, {**key, **extra})

    def members(self, segment: str) -> list[str]:
        """The member contact ids, sorted."""
        return sorted(
            item["sk"]["S"].removeprefix(CONTACT_PREFIX)
            for page in self._pages(segment, ProjectionExpression="sk")
            for item in page.get("Items", [])
        )

    def size(self, segment: str) -> int:
        """How many members (Select=COUNT: DynamoDB counts, no item is returned)."""
        return sum(int(page.get("Count", 0)) for page in self._pages(segment, Select="COUNT"))


class VipThresholdStore(DependencyTable):
    """The VIP threshold's settings item: read by the refresh pass and ProcessFunction, written by
    the refresh pass with a condition on the item it read (two runs at once: one write wins)."""

    def __init__(self, table_name: str, client: Any) -> None:
        super().__init__(table_name, client, _DEPENDENCY)

    def get(self) -> VipThreshold | None:
        item = self._call("get_item", Key=THRESHOLD_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return VipThreshold(
            value=Decimal(item["value"]["N"]) if "value" in item else None,
            customers=int(item["customers"]["N"]),
            top_percent=Decimal(item["top_percent"]["N"]),
            computed_at=datetime.fromisoformat(item["computed_at"]["S"]),
        )

    def value(self) -> Decimal | None:
        """The threshold in force (None: not computed yet, or no customer): what tiers compare with."""
        threshold = self.get()
        return None if threshold is None else threshold.value

    def put(self, threshold: VipThreshold, *, replacing: VipThreshold | None) -> bool:
        """Write ``threshold`` if the item is still ``replacing`` (None: absent); False when another
        run wrote it first."""
        item: dict[str, Any] = {
            **THRESHOLD_KEY,
            "customers": {"N": str(threshold.customers)},
            "top_percent": {"N": str(threshold.top_percent)},
            "computed_at": {"S": iso(threshold.computed_at)},
        }
        if threshold.value is not None:
            item["value"] = {"N": str(threshold.value)}
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if replacing is not None:
            condition = {
                "ConditionExpression": "computed_at = :read",
                "ExpressionAttributeValues": {":read": {"S": iso(replacing.computed_at)}},
            }
        return conditional_store(
            _DEPENDENCY, "PutItem", _unavailable, self._client.put_item, TableName=self._table, Item=item, **condition
        )


def _unavailable(operation: str, code: str) -> DependencyUnavailable:
    # The pass is retried by the next hourly run: every refusal means "try later".
    return DependencyUnavailable(_DEPENDENCY, f"{operation}: {code}")

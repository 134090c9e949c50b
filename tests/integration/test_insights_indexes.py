"""The readers of scores, values, refreshes and segments on moto (docs/scoring.md, "Wiring"): the
table built from template.yaml's definition, profile and member items put as ProcessFunction will
write them. "The top 100 leads" and "every contact above 70" come from the sharded indexes, 16
Queries and never a Scan, and agree with a sort of the items put."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nurture.adapters.dynamodb_insights import (
    CustomerValueIndex,
    DueIndex,
    Ranked,
    ScoreIndex,
    SegmentMembers,
    VipThresholdStore,
)
from nurture.adapters.dynamodb_profile_items import SHARDS, shard_of
from nurture.adapters.dynamodb_profile_items import segment_member_item as member_item
from nurture.profiles.refresh import Due, Valued, VipThreshold
from tests.conftest import TABLE_NAME
from tests.insights_items import profile_item, recorded_calls

NOW = datetime(2026, 6, 30, 13, 0, tzinfo=UTC)
D = Decimal


class SmallPages:
    """The client, every Query answered a few items a page (as DynamoDB does past 1 MB), so that
    the readers' paging is exercised on a small table."""

    def __init__(self, client: Any, page: int = 7) -> None:
        self._client, self._page = client, page
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **params: Any) -> Any:
        return self._client.query(**{**params, "Limit": min(params.get("Limit", self._page), self._page)})


def put(dynamodb: Any, *items: dict[str, Any]) -> None:
    for item in items:
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)


@pytest.fixture
def base(dynamodb: Any, nurture_table: str) -> dict[str, tuple[Decimal, Decimal]]:
    """300 assessed contacts with scores of 2 decimals drawn at random (seeded), some tied; 20
    profiles never assessed (no score: in no score index)."""
    draw = random.Random(9)
    scores: dict[str, tuple[Decimal, Decimal]] = {}
    for n in range(300):
        contact_id = f"{draw.getrandbits(64):016x}"
        acquisition = D(draw.randrange(-2000, 10000)) / 100 if n % 10 else D(70)  # every tenth exactly 70
        loyalty = D(draw.randrange(0, 12000)) / 100
        scores[contact_id] = (acquisition, loyalty)
        put(dynamodb, profile_item(contact_id, acquisition=acquisition, loyalty=loyalty))
    put(dynamodb, *(profile_item(f"unscored-{n}") for n in range(20)))
    return scores


def expected(scores: dict[str, tuple[Decimal, Decimal]], which: int) -> list[Ranked]:
    return sorted(
        (Ranked(cid, values[which]) for cid, values in scores.items()), key=lambda r: (-r.value, r.contact_id)
    )


def queries(calls: list[tuple[str, dict[str, Any]]]) -> Counter[str]:
    return Counter(params.get("IndexName", "table") for operation, params in calls if operation == "Query")


def test_the_contacts_spread_over_every_shard(base: dict[str, tuple[Decimal, Decimal]]) -> None:
    assert {shard_of(cid) for cid in base} == {f"{n:02d}" for n in range(SHARDS)}
    assert shard_of("c1") == shard_of("c1") and len({shard_of(f"c{n}") for n in range(1000)}) == SHARDS


@pytest.mark.parametrize(("score", "which"), [("acquisition", 0), ("loyalty", 1)])
def test_the_top_100_come_from_16_queries_of_the_index_and_no_scan(
    dynamodb: Any, base: dict[str, tuple[Decimal, Decimal]], score: str, which: int
) -> None:
    index = ScoreIndex(TABLE_NAME, dynamodb)
    with recorded_calls(dynamodb) as calls:
        top = index.top(score, 100)
    # Then they are the 100 best, best first, ties by contact id
    assert top == expected(base, which)[:100]
    assert len(top) == 100
    # And they came from one Query per shard of the score's index, nothing else
    assert [operation for operation, _ in calls] == ["Query"] * 16
    assert queries(calls) == {f"{score}_score": 16}
    assert {params["ExpressionAttributeValues"][":shard"]["S"] for _, params in calls} == {
        f"{n:02d}" for n in range(16)
    }
    assert all(params["ScanIndexForward"] is False and params["Limit"] == 100 for _, params in calls)


def test_every_contact_above_70_comes_from_16_queries_and_no_scan(
    dynamodb: Any, base: dict[str, tuple[Decimal, Decimal]]
) -> None:
    index = ScoreIndex(TABLE_NAME, dynamodb)
    with recorded_calls(dynamodb) as calls:
        above = index.above("acquisition", 70)
    # Then every contact strictly above 70 (the 30 at exactly 70 are not), best first
    assert above == [entry for entry in expected(base, 0) if entry.value > 70]
    assert len(above) > 50 and all(entry.value != 70 for entry in above)
    assert [operation for operation, _ in calls] == ["Query"] * 16
    assert queries(calls) == {"acquisition_score": 16}


def test_more_contacts_wanted_than_scored_gives_them_all(
    dynamodb: Any, base: dict[str, tuple[Decimal, Decimal]]
) -> None:
    assert ScoreIndex(TABLE_NAME, dynamodb).top("loyalty", 1000) == expected(base, 1)


def test_small_pages_give_the_same_answers(dynamodb: Any, base: dict[str, tuple[Decimal, Decimal]]) -> None:
    # Given DynamoDB answering 7 items a page
    index = ScoreIndex(TABLE_NAME, SmallPages(dynamodb))
    # Then every page is read, and the answers are the same
    assert index.top("acquisition", 100) == expected(base, 0)[:100]
    assert index.above("loyalty", 70) == [entry for entry in expected(base, 1) if entry.value > 70]
    assert index.above("acquisition", "-1000") == expected(base, 0)


def test_ties_across_the_cut_are_broken_by_contact_id(dynamodb: Any, nurture_table: str) -> None:
    # Given 64 contacts at exactly 50 (every shard holds some) and 5 above them
    tied = [f"t{n:02d}" for n in range(64)]
    put(dynamodb, *(profile_item(cid, acquisition="50") for cid in tied))
    put(dynamodb, *(profile_item(f"best{n}", acquisition=str(90 + n)) for n in range(5)))
    index = ScoreIndex(TABLE_NAME, dynamodb)
    with recorded_calls(dynamodb) as calls:
        top = index.top("acquisition", 8)
    # Then the 5 best, then the 3 lowest contact ids of the tie, whichever shards hold them
    assert top == [Ranked(f"best{n}", D(90 + n)) for n in (4, 3, 2, 1, 0)] + [Ranked(c, D(50)) for c in tied[:3]]
    # And the shards cut at the tie were read again at that value: still no Scan
    assert {operation for operation, _ in calls} == {"Query"}
    assert sum(queries(calls).values()) > 16


def test_a_score_the_model_does_not_have_is_refused_naming_it(dynamodb: Any, nurture_table: str) -> None:
    index = ScoreIndex(TABLE_NAME, dynamodb)
    with pytest.raises(ValueError, match=r"score: 'predictive' is not one of acquisition, loyalty"):
        index.top("predictive", 10)
    with pytest.raises(ValueError, match=r"score: 'Acquisition'"):
        index.above("Acquisition", 70)
    with pytest.raises(ValueError, match=r"n: must be a whole number of at least 1"):
        index.top("acquisition", 0)
    with pytest.raises(ValueError, match=r"value: must be a finite number"):
        index.above("acquisition", float("nan"))
    with pytest.raises(ValueError, match=r"value: 'seventy' is not a number"):
        index.above("acquisition", "seventy")  # type: ignore[arg-type]


def test_the_due_index_lists_every_contact_due_by_now_across_shards(dynamodb: Any, nurture_table: str) -> None:
    due = {f"due-{n:02d}": NOW - timedelta(hours=n) for n in range(40)}  # "due-00" exactly now
    put(dynamodb, *(profile_item(cid, due_at=at) for cid, at in due.items()))
    put(dynamodb, profile_item("later", due_at=NOW + timedelta(microseconds=1)), profile_item("never"))
    with recorded_calls(dynamodb) as calls:
        found = list(DueIndex(TABLE_NAME, SmallPages(dynamodb)).due(NOW))
    assert sorted(found) == sorted(Due(cid, at) for cid, at in due.items())
    assert {operation for operation, _ in calls} == {"Query"}
    assert queries(calls)["due"] >= 16 and set(queries(calls)) == {"due"}


def test_the_customer_value_index_gives_every_clv_and_a_range(dynamodb: Any, nurture_table: str) -> None:
    clvs = {f"cust-{n:02d}": D(25 * n) + D("0.50") for n in range(30)}
    put(dynamodb, *(profile_item(cid, clv=value) for cid, value in clvs.items()))
    put(dynamodb, profile_item("lead", acquisition="40"))  # no order: not in the index
    index = CustomerValueIndex(TABLE_NAME, SmallPages(dynamodb))
    assert sorted(index.values()) == sorted(clvs.values())
    assert index.between(D("100.50"), D("200.50")) == [
        Valued(f"cust-{n:02d}", clvs[f"cust-{n:02d}"]) for n in range(4, 9)
    ]
    assert index.between(D(700), None) == [Valued(f"cust-{n:02d}", clvs[f"cust-{n:02d}"]) for n in range(28, 30)]


def test_a_segments_members_and_size_come_from_its_member_items(dynamodb: Any, nurture_table: str) -> None:
    members = sorted(f"m{n:03d}" for n in range(45))
    put(dynamodb, *(member_item("hot_browsers", cid, NOW) for cid in members))
    put(dynamodb, member_item("hot_browsers_2", "other", NOW), member_item("cart_abandoners", "m000", NOW))
    reader = SegmentMembers(TABLE_NAME, SmallPages(dynamodb, page=4))
    with recorded_calls(dynamodb) as calls:
        listed, size = reader.members("hot_browsers"), reader.size("hot_browsers")
    assert (listed, size) == (members, 45)
    assert {operation for operation, _ in calls} == {"Query"}
    assert {p["ExpressionAttributeValues"][":pk"]["S"] for _, p in calls} == {
        f"SEGMENT#hot_browsers#{n:02d}" for n in range(16)
    }
    assert all(p["Select"] == "COUNT" for _, p in calls if "Select" in p)
    assert (reader.members("engaged_subscribers"), reader.size("engaged_subscribers")) == ([], 0)
    assert reader.members("cart_abandoners") == ["m000"]


def test_the_vip_threshold_item_is_written_once_per_reading(dynamodb: Any, nurture_table: str) -> None:
    store = VipThresholdStore(TABLE_NAME, dynamodb)
    assert store.get() is None
    first = VipThreshold(D("412.50"), 120, D(5), NOW)
    assert store.put(first, replacing=None)
    assert store.get() == first
    # A second writer that read nothing, or read an older item, loses
    assert not store.put(VipThreshold(D(1), 1, D(5), NOW), replacing=None)
    stale = VipThreshold(D(300), 100, D(5), NOW - timedelta(days=1))
    assert not store.put(VipThreshold(D(2), 2, D(5), NOW), replacing=stale)
    # One that read the item in place wins; no threshold (no customer) is stored as no value
    nobody = VipThreshold(None, 0, D("2.5"), NOW + timedelta(days=1))
    assert store.put(nobody, replacing=first)
    assert store.get() == nobody
    item = dynamodb.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "SETTINGS"}, "sk": {"S": "VIP_THRESHOLD"}})["Item"]
    assert "value" not in item and item["customers"] == {"N": "0"}

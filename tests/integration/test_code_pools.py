"""The code pools on moto (docs/offers.md, "Code pools"): import refuses codes the pool holds, a
claim is idempotent per claim key, different keys get different codes, an empty pool says so, and
two claims racing for the last code: exactly one gets it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nurture.adapters.dynamodb_codes import DynamoDbCodePools, ImportResult, OfferClaim, PoolCounts
from nurture.errors import DependencyUnavailable
from nurture.offers.codes import ClaimResult, Code, claim_key

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADA, BOB = "a" * 32, "b" * 32


@pytest.fixture
def pools(dynamodb: Any, nurture_table: str) -> DynamoDbCodePools:
    return DynamoDbCodePools(nurture_table, dynamodb)


def items(dynamodb: Any, table: str, pk: str) -> dict[str, dict[str, Any]]:
    answer = dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
    )
    return {item["sk"]["S"]: item for item in answer["Items"]}


def test_import_adds_available_codes_and_leaves_those_the_pool_holds(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    assert pools.import_codes("birthday", [Code("BDAY-1", "2026-12-31"), Code("BDAY-2")], NOW) == ImportResult(2, 0)
    pools.claim("birthday", ADA, claim_key("birthday", "e1", "gift"), NOW)  # one of them is claimed now
    seen: list[tuple[int, int]] = []
    result = pools.import_codes(
        "birthday",
        [Code("BDAY-1"), Code("BDAY-2"), Code("BDAY-3")],
        NOW,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result == ImportResult(imported=1, already_present=2)
    assert seen == [(3, 3)]
    held = items(dynamodb, nurture_table, "CODEPOOL#birthday")
    assert sorted(sk.split("#", 1)[0] for sk in held) == ["AVAILABLE", "AVAILABLE", "CLAIMED"]
    assert {sk.split("#", 1)[1] for sk in held} == {"BDAY-1", "BDAY-2", "BDAY-3"}
    # The code's expiry stays as imported (an import of the same code without one changes nothing).
    first = held.get("AVAILABLE#BDAY-1") or held["CLAIMED#BDAY-1"]
    assert first["code_expires_at"] == {"S": "2026-12-31"}
    assert pools.status(["birthday", "vip"]) == {"birthday": PoolCounts(2, 1), "vip": PoolCounts(0, 0)}


def test_a_large_import_goes_in_chunks_and_counts_every_page(pools: DynamoDbCodePools) -> None:
    codes = [Code(f"BULK-{index:05d}") for index in range(260)]
    seen: list[int] = []
    assert pools.import_codes("vip", codes[:130], NOW) == ImportResult(130, 0)
    assert pools.import_codes("vip", codes, NOW, progress=lambda done, _: seen.append(done)) == ImportResult(130, 130)
    assert seen == [50, 100, 150, 200, 250, 260]
    assert pools.status(["vip"])["vip"] == PoolCounts(260, 0)


def test_a_claim_is_the_same_code_every_time_for_its_key(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    pools.import_codes("win_back", [Code(f"WB-{index}", "2026-06-30") for index in range(10)], NOW)
    key = claim_key("win_back", "enrolment-1", "incentive")
    first = pools.claim("win_back", ADA, key, NOW)
    assert first.status == "claimed" and first.code is not None and first.expires_at == "2026-06-30"
    assert pools.claim("win_back", ADA, key, NOW) == first
    assert pools.status(["win_back"])["win_back"] == PoolCounts(9, 1)
    claimed = items(dynamodb, nurture_table, "CODEPOOL#win_back")[f"CLAIMED#{first.code}"]
    assert claimed["contact_id"] == {"S": ADA} and claimed["claim"] == {"S": key}
    assert pools.claims_of(ADA) == [
        OfferClaim(key, "win_back", first.code, "2026-03-02T09:00:00.000000+00:00", "2026-06-30")
    ]
    assert pools.claims_of(BOB) == []


def test_different_keys_get_different_codes(pools: DynamoDbCodePools) -> None:
    pools.import_codes("welcome", [Code(f"W-{index}") for index in range(30)], NOW)
    results = [pools.claim("welcome", ADA, claim_key("welcome", f"e{index}", "offer"), NOW) for index in range(20)]
    results.append(pools.claim("welcome", BOB, claim_key("welcome", "e0", "offer"), NOW))  # another contact
    codes = [result.code for result in results]
    assert None not in codes and len(set(codes)) == 21
    assert pools.status(["welcome"])["welcome"] == PoolCounts(9, 21)


def test_an_empty_pool_gives_no_code(pools: DynamoDbCodePools) -> None:
    assert pools.claim("vip", ADA, claim_key("vip", "e1", "offer"), NOW) == ClaimResult("pool_empty")
    pools.import_codes("vip", [Code("VIP-1")], NOW)
    assert pools.claim("vip", ADA, claim_key("vip", "e1", "offer"), NOW).code == "VIP-1"
    assert pools.claim("vip", BOB, claim_key("vip", "e2", "offer"), NOW) == ClaimResult("pool_empty")
    # The first claim still reads back its code: the pool being empty does not matter to it.
    assert pools.claim("vip", ADA, claim_key("vip", "e1", "offer"), NOW).code == "VIP-1"


class Interleaved:
    """The table's client, running ``meanwhile`` once just before the first transaction: another
    claim that lands between this claim's read and its write."""

    def __init__(self, client: Any, meanwhile: Any) -> None:
        self._client = client
        self._meanwhile = meanwhile
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        self.transactions += 1
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            meanwhile()
        return self._client.transact_write_items(**request)


def test_two_claims_race_for_the_last_code_and_one_wins(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    pools.import_codes("cart_recovery", [Code("LAST-1")], NOW)
    other: list[ClaimResult] = []
    racing = Interleaved(
        dynamodb, lambda: other.append(pools.claim("cart_recovery", BOB, claim_key("cart_recovery", "eb", "r"), NOW))
    )
    loser = DynamoDbCodePools(nurture_table, racing).claim(
        "cart_recovery", ADA, claim_key("cart_recovery", "ea", "r"), NOW
    )
    assert other == [ClaimResult("claimed", "LAST-1")]
    assert loser == ClaimResult("pool_empty")
    assert pools.claims_of(ADA) == [] and [claim.code for claim in pools.claims_of(BOB)] == ["LAST-1"]


def test_a_claim_that_loses_its_code_takes_another(pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str) -> None:
    pools.import_codes("win_back", [Code("X-1"), Code("X-2")], NOW)
    key = claim_key("win_back", "ea", "incentive")
    # The other claim takes the very code this one is about to try (its key is the same: same first pick).
    other: list[ClaimResult] = []
    racing = Interleaved(dynamodb, lambda: other.append(pools.claim("win_back", BOB, key, NOW)))
    result = DynamoDbCodePools(nurture_table, racing).claim("win_back", ADA, key, NOW)
    assert racing.transactions == 2
    assert {result.code, other[0].code} == {"X-1", "X-2"}


def test_the_same_claim_racing_with_itself_gives_one_code(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    # A retry of the same send running while the first attempt claims: both end with one code.
    pools.import_codes("win_back", [Code(f"Y-{index}") for index in range(5)], NOW)
    key = claim_key("win_back", "ea", "incentive")
    other: list[ClaimResult] = []
    racing = Interleaved(dynamodb, lambda: other.append(pools.claim("win_back", ADA, key, NOW)))
    result = DynamoDbCodePools(nurture_table, racing).claim("win_back", ADA, key, NOW)
    assert result == other[0] and result.status == "claimed"
    assert pools.status(["win_back"])["win_back"] == PoolCounts(4, 1)


def test_a_claim_that_keeps_losing_asks_for_a_retry(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    pools.import_codes("win_back", [Code(f"Z-{index}") for index in range(10)], NOW)

    class Stolen(Interleaved):
        """Every transaction finds its code claimed by someone else just before."""

        def transact_write_items(self, **request: Any) -> Any:
            self.transactions += 1
            code = request["TransactItems"][0]["Delete"]["Key"]["sk"]["S"].removeprefix("AVAILABLE#")
            pools.claim("win_back", BOB, f"steal-{code}", NOW)  # some code: maybe not this one
            self._client.delete_item(TableName=nurture_table, Key=request["TransactItems"][0]["Delete"]["Key"])
            return self._client.transact_write_items(**request)

    stolen = Stolen(dynamodb, None)
    with pytest.raises(DependencyUnavailable, match="lost 5 races"):
        DynamoDbCodePools(nurture_table, stolen).claim("win_back", ADA, claim_key("win_back", "e", "s"), NOW)
    assert stolen.transactions == 5


def test_a_code_lost_to_a_conflict_is_tried_again_when_it_is_the_only_one(
    pools: DynamoDbCodePools, dynamodb: Any, nurture_table: str
) -> None:
    # The first transaction is cancelled by a conflict (another transaction on the item, which then
    # did not take the code): the code is still available and the claim gets it in the next round.
    from botocore.exceptions import ClientError

    pools.import_codes("vip", [Code("ONLY-1")], NOW)

    class Conflicted(Interleaved):
        def transact_write_items(self, **request: Any) -> Any:
            self.transactions += 1
            if self.transactions == 1:
                reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}]
                error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
                raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]
            return self._client.transact_write_items(**request)

    conflicted = Conflicted(dynamodb, None)
    result = DynamoDbCodePools(nurture_table, conflicted).claim("vip", ADA, claim_key("vip", "e", "s"), NOW)
    assert result == ClaimResult("claimed", "ONLY-1") and conflicted.transactions == 2

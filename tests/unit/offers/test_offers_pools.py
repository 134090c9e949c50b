"""config/pools.yaml: the shipped pools, and a bad file named with its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.config import CONFIG_DIR_VARIABLE, SHIPPED_CONFIG_DIR
from nurture.offers.pools import POOLS_FILE, PoolsError, _pools_in, default_pools, load_pools, parse_pools


def test_the_shipped_pools() -> None:
    pools = load_pools(SHIPPED_CONFIG_DIR / POOLS_FILE)
    assert {pool_id: pool.discount for pool_id, pool in pools.items()} == {
        "welcome": "10% off your first order",
        "cart_recovery": "10% off this cart",
        "birthday": "a birthday gift: 15% off",
        "vip": "an exclusive 20% off",
        "loyalty_reward": "15% off your next order",
        "win_back": "10% off your next order",
        "win_back_repeat": "15% off your next order",
        "win_back_vip": "25% off your next order",
    }
    assert all(pool.description for pool in pools.values())


def test_a_missing_file_is_no_pools(tmp_path: Path) -> None:
    assert load_pools(tmp_path / POOLS_FILE) == {}


def test_the_default_pools_come_from_the_configuration_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / POOLS_FILE).write_text("pools:\n  - {id: demo, discount: 5% off, description: A demo pool}\n")
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))
    _pools_in.cache_clear()
    try:
        assert list(default_pools()) == ["demo"]
    finally:
        _pools_in.cache_clear()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "pools.yaml: the file is a mapping with a list 'pools'"),
        ("pools: [\n", "pools.yaml: not valid YAML"),
        ("pool: []\n", "pools.yaml: pool: Extra inputs are not permitted"),
        ("pools:\n  - {id: Win-Back, discount: x, description: y}\n", "pools.yaml: pools.0.id: String should match"),
        ("pools:\n  - {id: a, description: y}\n", "pools.yaml: pools.0.discount: Field required"),
        ("pools:\n  - {id: a, discount: '  ', description: y}\n", "pools.yaml: pools.0.discount: String should have"),
        ("pools:\n  - {id: a, discount: x, description: y, amount: 5}\n", "pools.0.amount: Extra inputs"),
        (
            "pools:\n  - {id: a, discount: x, description: y}\n  - {id: a, discount: z, description: y}\n",
            "pools.yaml: pools: Value error, pool id 'a' appears twice",
        ),
    ],
)
def test_a_bad_file_is_named_with_its_field(text: str, message: str) -> None:
    with pytest.raises(PoolsError) as raised:
        parse_pools(text, source="pools.yaml")
    assert message in str(raised.value)


def test_an_empty_list_is_no_pools() -> None:
    assert parse_pools("pools: []\n", source="pools.yaml") == {}

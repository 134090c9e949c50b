"""products.yaml (docs/offers.md, "Configuration"): the format, defaults, and errors naming the
file and the field; the shipped file is empty; a missing file is the empty configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.config import CONFIG_DIR_VARIABLE, SHIPPED_CONFIG_DIR
from nurture.offers.products import (
    ProductsConfig,
    ProductsConfigError,
    _products_in,
    default_products,
    load_products_config,
    read_products_config,
)

EXAMPLE = """
just_bought_days: 14
products:
  8812345:
    consumption_days: 30
    complements: [8812399, "mug-1"]
  "8812399":
    complements: ["8812345"]
categories:
  coffee:
    complements: [mugs]
"""


def test_a_full_file_reads_ids_as_text_and_fills_in_the_defaults() -> None:
    config = load_products_config(EXAMPLE, source="products.yaml")

    assert config.just_bought_days == 14
    assert config.products["8812345"].consumption_days == 30
    assert config.products["8812345"].remind_days_before == 5  # the default
    assert config.complements_of("8812345") == ("8812399", "mug-1")
    assert config.products["8812399"].consumption_days is None
    assert config.category_complements_of("coffee") == ("mugs",)
    assert config.complements_of("unknown") == ()


@pytest.mark.parametrize(
    "text",
    ["", "# only comments\n#products: {}\n", "just_bought_days: 30\nproducts:\ncategories:\n"],
    ids=["empty", "comments", "null sections"],
)
def test_an_empty_file_is_the_empty_configuration(text: str) -> None:
    assert load_products_config(text, source="products.yaml") == ProductsConfig()
    assert ProductsConfig().just_bought_days == 30


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("just_bought_days: -1", "products.yaml: just_bought_days:"),
        ("products: {a: {consumption_days: 0}}", "products.yaml: products.a.consumption_days:"),
        ("products: {a: {consumption_days: 5, remind_days_before: 5}}", "products.a: remind_days_before (5)"),
        ("products: {a: {complements: [a]}}", "products.a.complements: 'a' cannot complement itself"),
        ("categories: {tea: {complements: [tea]}}", "categories.tea.complements: 'tea' cannot complement itself"),
        ("products: {a: {consumption_day: 5}}", "products.yaml: products.a.consumption_day: Extra inputs"),
        ("product: {}", "products.yaml: product: Extra inputs"),
        ("- a list", "products.yaml: products.yaml is a mapping"),
        ("products: [", "products.yaml: not valid YAML"),
    ],
)
def test_an_invalid_file_is_refused_naming_the_file_and_the_field(text: str, names: str) -> None:
    with pytest.raises(ProductsConfigError) as raised:
        load_products_config(text, source="products.yaml")
    assert names in str(raised.value)


def test_the_shipped_file_holds_no_product(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_DIR_VARIABLE, raising=False)
    shipped = read_products_config(SHIPPED_CONFIG_DIR / "products.yaml")

    assert (SHIPPED_CONFIG_DIR / "products.yaml").is_file()
    assert shipped == ProductsConfig()


def test_a_missing_file_is_the_empty_configuration(tmp_path: Path) -> None:
    assert read_products_config(tmp_path / "products.yaml") == ProductsConfig()


def test_the_default_is_read_from_the_configured_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "products.yaml").write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.setenv(CONFIG_DIR_VARIABLE, str(tmp_path))
    _products_in.cache_clear()
    try:
        first = default_products()
        (tmp_path / "products.yaml").write_text("just_bought_days: 1\n", encoding="utf-8")
        assert first.just_bought_days == 14
        assert default_products() is first  # kept for the process
    finally:
        _products_in.cache_clear()

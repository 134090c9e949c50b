"""``products.yaml``: consumption periods, complements and the just-bought window (docs/offers.md,
"Configuration"), validated by these models (pure, but for reading the file).

A missing file is an empty configuration (replenishment and complements stay idle); a file that is
there must be valid: the error names the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from nurture.config import config_file
from nurture.yaml_files import yaml_mapping

PRODUCTS_FILE = "products.yaml"


def _as_text(value: object) -> object:
    # YAML reads an unquoted id (8812345) as a number: an id is text whatever the author typed.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ProductId = Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=256)]
Category = Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=256)]
Days = Annotated[int, Field(ge=1, le=3650)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProductSpec(_Model):
    """One product: how long a unit lasts (none: no replenishment), and what goes with it."""

    consumption_days: Days | None = None
    remind_days_before: int = Field(default=5, ge=0, le=3650)
    complements: tuple[ProductId, ...] = ()

    @model_validator(mode="after")
    def _reminder_before_it_runs_out(self) -> Self:
        if self.consumption_days is not None and self.remind_days_before >= self.consumption_days:
            raise ValueError(
                f"remind_days_before ({self.remind_days_before}) must be less than consumption_days "
                f"({self.consumption_days}): the reminder would be due before the order"
            )
        return self


class CategorySpec(_Model):
    complements: tuple[Category, ...] = ()


class ProductsConfig(_Model):
    just_bought_days: int = Field(default=30, ge=0, le=3650)
    products: dict[ProductId, ProductSpec] = Field(default_factory=dict)
    categories: dict[Category, CategorySpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _nothing_complements_itself(self) -> Self:
        for kind, specs in (("products", self.products), ("categories", self.categories)):
            for name, spec in specs.items():
                if name in spec.complements:
                    raise ValueError(f"{kind}.{name}.complements: {name!r} cannot complement itself")
        return self

    def complements_of(self, product_id: str) -> tuple[str, ...]:
        spec = self.products.get(product_id)
        return () if spec is None else spec.complements

    def category_complements_of(self, category: str) -> tuple[str, ...]:
        spec = self.categories.get(category)
        return () if spec is None else spec.complements


class ProductsConfigError(ValueError):
    """products.yaml is not valid: the message names the file, the field and why."""


def load_products_config(text: str, *, source: str) -> ProductsConfig:
    """Parse and validate ``products.yaml``. A file of comments alone is the empty configuration.
    Raises ProductsConfigError naming ``source`` and the field."""
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return ProductsConfig()
    document = yaml_mapping(
        text,
        source=source,
        what="products.yaml is a mapping (just_bought_days, products, categories)",
        error=ProductsConfigError,
    )
    try:
        return ProductsConfig.model_validate({key: value for key, value in document.items() if value is not None})
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_url=False))
        raise ProductsConfigError(f"{source}: {problems}") from None


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def read_products_config(path: Path) -> ProductsConfig:
    """The file at ``path``; none there: the empty configuration."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ProductsConfig()
    return load_products_config(text, source=str(path))


def default_products() -> ProductsConfig:
    """``products.yaml`` of the configuration directory (`nurture.config`), read on first use and
    kept for the process (per directory: the local runtime runs scenarios with their own)."""
    return _products_in(config_file(PRODUCTS_FILE))


@cache
def _products_in(path: Path) -> ProductsConfig:
    return read_products_config(path)

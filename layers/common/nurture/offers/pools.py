"""The code pools of ``config/pools.yaml`` (docs/offers.md, "Code pools"), validated by these models
when loaded (pure but for reading the file).

    pools:
      - id: win_back                          # [a-z][a-z0-9_]{0,39}: what a journey's offer names
        discount: 10% off your next order     # the words the email shows
        description: The win-back incentive   # for operators

A missing file means no pools: every offer then finds its pool empty (the no-discount variant).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from nurture.config import config_file
from nurture.yaml_files import yaml_mapping

POOLS_FILE = "pools.yaml"
POOL_ID = r"^[a-z][a-z0-9_]{0,39}$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PoolsError(ValueError):
    """``pools.yaml`` is not valid: the message names the file, the field and why."""


class Pool(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=POOL_ID)]
    discount: Text
    description: Text


class PoolsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pools: list[Pool] = Field(default_factory=list)

    @field_validator("pools")
    @classmethod
    def _unique_ids(cls, pools: list[Pool]) -> list[Pool]:
        seen: set[str] = set()
        for pool in pools:
            if pool.id in seen:
                raise ValueError(f"pool id {pool.id!r} appears twice")
            seen.add(pool.id)
        return pools


def parse_pools(text: str, *, source: str) -> Mapping[str, Pool]:
    """The pools of one file's text, by id (in the file's order). Raises `PoolsError` naming
    ``source`` and each bad field (``pools.2.discount: …``)."""
    document = yaml_mapping(text, source=source, what="the file is a mapping with a list 'pools'", error=PoolsError)
    try:
        parsed = PoolsFile.model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise PoolsError(f"{source}: {'; '.join(problems)}") from None
    return {pool.id: pool for pool in parsed.pools}


def load_pools(path: Path) -> Mapping[str, Pool]:
    """The pools of the file at ``path``; none when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise PoolsError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_pools(text, source=str(path))


def default_pools() -> Mapping[str, Pool]:
    """The pools of the configuration directory (`nurture.config`), loaded on first use and kept for
    the process (per directory: the local runtime runs scenarios with their own)."""
    return _pools_in(config_file(POOLS_FILE))


@cache
def _pools_in(path: Path) -> Mapping[str, Pool]:
    return load_pools(path)

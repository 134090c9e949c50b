"""The library's configuration: the data files an operator edits before deploying (docs/offers.md,
"Configuration"): ``pools.yaml`` (code pools), ``products.yaml`` (consumption periods, complements)
and ``places.yaml`` (stores and events). Each file's loader lives with the code that reads it; this
module says where the files are."""

from __future__ import annotations

import os
from pathlib import Path

SHIPPED_CONFIG_DIR = Path(__file__).resolve().parent
CONFIG_DIR_VARIABLE = "NURTURE_CONFIG_DIR"


def config_dir() -> Path:
    """``NURTURE_CONFIG_DIR`` when a function's environment sets it (the demo's own files), else the
    files shipped in the layer."""
    configured = os.environ.get(CONFIG_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else SHIPPED_CONFIG_DIR


def config_file(name: str) -> Path:
    """The path of one configuration file (it may not exist: each loader says what that means)."""
    return config_dir() / name

"""Write docs/generic-webhook.schema.json from the pydantic model of the generic webhook format.

Usage: python scripts/gen_generic_schema.py [--check]
--check exits 1 when the committed file differs from what the model generates (CI uses the test).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nurture.capture.generic import generic_webhook_json_schema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "generic-webhook.schema.json"


def render_schema() -> str:
    return json.dumps(generic_webhook_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    rendered = render_schema()
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != rendered:
            sys.stderr.write(f"{SCHEMA_PATH} is stale: run python scripts/gen_generic_schema.py\n")
            return 1
        return 0
    SCHEMA_PATH.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

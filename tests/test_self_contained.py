"""The repository stands on its own: a clone with nothing beside it passes `make test` and `make demo`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.third_party import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
# A path that climbs out of the repository into a sibling `shared/` folder, in any spelling the code uses.
READS_SIBLING_SHARED = re.compile(r"""\.\./shared/|parent\s*/\s*["']shared["']""")


def test_given_the_tracked_files_then_none_reads_a_folder_beside_the_repository() -> None:
    # git from PATH, as the developer's shell and CI run it.
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout  # noqa: S607
    offenders = [
        name
        for name in tracked.splitlines()
        if not name.endswith(".md")
        and (ROOT / name).is_file()
        and READS_SIBLING_SHARED.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_given_the_third_party_fixtures_then_each_file_is_listed_with_its_provenance() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    published = sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.rglob("*.json"))
    assert published, "no third-party fixtures found"
    assert [name for name in published if f"`{name}`" not in sources] == []

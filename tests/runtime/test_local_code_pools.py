"""Code lines of a scenario: ``import_codes`` fills a pool of the run's table through the adapter
`nurture codes import` uses; a malformed line is refused naming the line and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nurture.offers.codes import Code
from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import TABLE, run_scenario
from nurture_local.runtime.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, *lines: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_code_lines_are_read_from_a_list_or_a_file_beside_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "codes").mkdir()
    (tmp_path / "codes" / "win_back.csv").write_text("code,expires_at\nWB-1,2026-12-31\nWB-2,\n")
    path = write(
        tmp_path,
        {"at": "2026-03-02T09:00:00Z", "action": "import_codes", "pool": "birthday", "codes": ["BDAY-1", "BDAY-2"]},
        {"at": "2026-03-02T09:00:00Z", "action": "import_codes", "pool": "win_back", "file": "codes/win_back.csv"},
    )
    listed, filed = load_scenario(path)
    assert (listed.codes_import, listed.pool, listed.codes) == (True, "birthday", (Code("BDAY-1"), Code("BDAY-2")))
    assert (filed.pool, filed.codes) == ("win_back", (Code("WB-1", "2026-12-31"), Code("WB-2")))


@pytest.mark.parametrize(
    ("line", "field", "detail"),
    [
        ({"pool": "birthday"}, "codes", "exactly one of"),
        ({"pool": "birthday", "codes": ["A-1"], "file": "x.csv"}, "codes", "exactly one of"),
        ({"codes": ["A-1"]}, "pool", "a pool id"),
        ({"pool": "Birthday", "codes": ["A-1"]}, "pool", "a pool id"),
        ({"pool": "birthday", "codes": "A-1"}, "codes", "a list"),
        ({"pool": "birthday", "codes": []}, "codes", "no codes"),
        ({"pool": "birthday", "codes": ["A-1", "a-1"]}, "codes", r"codes\[1\]: code 'a-1' repeats codes\[0\]"),
        ({"pool": "birthday", "codes": ["A 1"]}, "codes", r"codes\[0\]"),
        ({"pool": "birthday", "file": "missing.csv"}, "file", "cannot read missing.csv"),
        ({"pool": "birthday", "file": "bad.csv"}, "file", "bad.csv: nothing imported:\n  line 3: code 'x'"),
        ({"pool": "birthday", "codes": ["A-1"], "to": "ada@example.com"}, "to", "unknown key"),
    ],
)
def test_a_malformed_code_line_is_refused_naming_the_line_and_field(
    tmp_path: Path, line: dict[str, Any], field: str, detail: str
) -> None:
    (tmp_path / "bad.csv").write_text("code\nGOOD-1\nx\n")
    path = write(tmp_path, {"at": "2026-03-02T09:00:00Z", "action": "import_codes", **line})
    with pytest.raises(ScenarioError, match=rf"scenario.jsonl:1: field '{field}': (.|\n)*{detail}"):
        load_scenario(path)


def test_a_run_imports_the_codes_into_its_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"at": "2026-03-02T09:00:00Z", "action": "import_codes", "pool": "birthday", "codes": ["BDAY-1", "BDAY-2"]},
        {"at": "2026-03-02T10:00:00Z", "action": "import_codes", "pool": "birthday", "codes": ["BDAY-2", "BDAY-3"]},
    )
    held: dict[str, Any] = {}

    def read_pool(env: LocalEnvironment) -> None:
        import boto3

        from nurture.adapters.dynamodb_codes import DynamoDbCodePools

        pools = DynamoDbCodePools(env.resources[TABLE], boto3.client("dynamodb", region_name="us-east-1"))
        held.update(pools.status(["birthday"]))

    report = run_scenario(load_scenario(path), root=ROOT, at_end=read_pool)
    assert report.rejected == []
    assert [answer["outcome"] for answer in report.answers] == ["import_codes", "import_codes"]
    assert (held["birthday"].available, held["birthday"].claimed) == (3, 0)

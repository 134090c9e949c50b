"""``nurture codes`` on moto: import a CSV into a pool, count the pools, generate a file for the
store; a bad file imports nothing, an unknown pool names the known ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from nurture.offers.codes import ALPHABET, parse_codes_csv
from nurture.offers.pools import _pools_in, default_pools
from nurture_local.cli import main


@pytest.fixture(autouse=True)
def shipped_pools(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("NURTURE_CONFIG_DIR", raising=False)
    _pools_in.cache_clear()
    yield
    _pools_in.cache_clear()


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def table(name: str) -> list[str]:
    return ["--table", name, "--region", "us-east-1"]


def test_import_then_status(tmp_path: Path, nurture_table: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = csv_file(tmp_path, "code,expires_at\nBDAY-1,2026-12-31\nBDAY-2,\n")
    assert main(["codes", "import", str(path), "--pool", "birthday", *table(nurture_table)]) == 0
    assert capsys.readouterr().out == "pool birthday: 2 codes imported, 0 already in the pool\n"
    assert main(["codes", "import", str(path), "--pool", "birthday", *table(nurture_table)]) == 0
    assert capsys.readouterr().out == "pool birthday: 0 codes imported, 2 already in the pool\n"

    assert main(["codes", "status", "--json", *table(nurture_table)]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["birthday"] == {"available": 2, "claimed": 0}
    assert counts["win_back"] == {"available": 0, "claimed": 0}
    assert set(counts) == set(default_pools())

    assert main(["codes", "status", *table(nurture_table)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["pool", "available", "claimed", "discount"]
    rows = {line.split()[0]: line.split(maxsplit=3)[1:] for line in lines[1:]}
    assert rows["birthday"] == ["2", "0", "a birthday gift: 15% off"]
    assert list(rows) == list(default_pools())


def test_a_large_import_reports_progress(
    tmp_path: Path, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path, "code\n" + "".join(f"VIP-{index:05d}\n" for index in range(2100)))
    assert main(["codes", "import", str(path), "--pool", "vip", *table(nurture_table)]) == 0
    out = capsys.readouterr()
    assert out.out == "pool vip: 2100 codes imported, 0 already in the pool\n"
    assert out.err.splitlines() == [
        "1000 of 2100 codes written",
        "2000 of 2100 codes written",
        "2100 of 2100 codes written",
    ]


def test_a_bad_file_imports_nothing(
    tmp_path: Path, nurture_table: str, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path, "code\nGOOD-1\nno\nGOOD-2\nGOOD-1\n")
    assert main(["codes", "import", str(path), "--pool", "vip", *table(nurture_table)]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err and "line 3: code 'no'" in err and "line 5: code 'GOOD-1' repeats line 2" in err
    assert dynamodb.scan(TableName=nurture_table)["Items"] == []


def test_an_unknown_pool_names_the_known_ones(
    tmp_path: Path, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path, "code\nABC\n")
    assert main(["codes", "import", str(path), "--pool", "winback", *table(nurture_table)]) == 2
    err = capsys.readouterr().err
    assert "--pool 'winback' is not a pool of pools.yaml" in err and "win_back, win_back_repeat" in err


def test_the_table_comes_from_the_stack(tmp_path: Path, nurture_table: str, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="nurture",
        TemplateBody=json.dumps(
            {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"TableName": {"Value": nurture_table}}}
        ),
    )
    path = csv_file(tmp_path, "code\nWELCOME-1\n")
    assert main(["codes", "import", str(path), "--pool", "welcome", "--stack", "nurture", "--region", "us-east-1"]) == 0
    capsys.readouterr()
    assert main(["codes", "status", "--json", "--stack", "nurture", "--region", "us-east-1"]) == 0
    assert json.loads(capsys.readouterr().out)["welcome"]["available"] == 1
    assert main(["codes", "status", "--region", "us-east-1"]) == 2
    assert "give --stack or --table" in capsys.readouterr().err


def test_generate_writes_a_file_for_the_store_and_this_import(
    tmp_path: Path, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "winback.csv"
    assert (
        main(["codes", "generate", "--pool", "win_back", "--count", "300", "--prefix", "WB-", "--output", str(out)])
        == 0
    )
    assert "upload it to the store" in capsys.readouterr().err
    codes = parse_codes_csv(out.read_text(encoding="utf-8"))
    assert len({code.code for code in codes}) == 300
    assert all(code.code.startswith("WB-") and set(code.code[3:]) <= set(ALPHABET) for code in codes)
    # Never overwritten: the store may hold these codes already.
    assert main(["codes", "generate", "--pool", "win_back", "--count", "1", "--output", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["codes", "generate", "--pool", "win_back", "--count", "0", "--output", str(tmp_path / "x.csv")]) == 2
    assert "--count" in capsys.readouterr().err
    assert main(["codes", "import", str(out), "--pool", "win_back", *table(nurture_table)]) == 0
    assert capsys.readouterr().out == "pool win_back: 300 codes imported, 0 already in the pool\n"

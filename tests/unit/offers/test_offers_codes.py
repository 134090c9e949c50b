"""Files of codes to import, generated codes and the order a claim tries codes in (pure)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nurture.offers import codes as codes_module
from nurture.offers.codes import (
    ALPHABET,
    CODE,
    RANDOM_LENGTH,
    Code,
    CodesFileError,
    claim_key,
    claim_order,
    codes_csv,
    generate_codes,
    parse_codes_csv,
)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("code\nWELCOME-1\nWELCOME_2\n", [Code("WELCOME-1"), Code("WELCOME_2")]),
        ("\ufeffcode\r\nabc\r\n", [Code("abc")]),  # Excel: a BOM and CRLF
        (" Code \n  abc  \n\n\nxyz\n", [Code("abc"), Code("xyz")]),  # blank lines, padding
        (
            "code,expires_at\nA-1,2026-12-31\nA-2,2026-12-31T23:59:59Z\nA-3,2026-12-31T08:00:00+02:00\nA-4,\n",
            [
                Code("A-1", "2026-12-31"),
                Code("A-2", "2026-12-31T23:59:59+00:00"),
                Code("A-3", "2026-12-31T06:00:00+00:00"),
                Code("A-4"),
            ],
        ),
        ("expires_at,code\n2027-01-01,X99\n", [Code("X99", "2027-01-01")]),
        ('code\n"QUOTED"\n', [Code("QUOTED")]),
        ("code\n" + "a" * 64 + "\n", [Code("a" * 64)]),
    ],
)
def test_a_file_of_codes_is_read(text: str, codes: list[Code]) -> None:
    assert parse_codes_csv(text) == codes


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", ["line 1: empty file"]),
        ("name\nabc\n", ["line 1: the header must name a column 'code' (found: name)"]),
        ("code,amount\nabc,10\n", ["line 1: unknown column 'amount'"]),
        ("code,code\nabc,abd\n", ["line 1: column 'code' appears twice"]),
        ("code\n", ["no codes"]),
        ("code\nab\n", ["line 2: code 'ab' must be 3 to 64"]),
        ("code\n" + "a" * 65 + "\n", ["line 2: code"]),
        ("code\nhas space\n", ["line 2: code 'has space'"]),
        ("code\nCAFÉ10\n", ["line 2: code 'CAFÉ10'"]),
        ("code\nabc\nxyz\nABC\n", ["line 4: code 'ABC' repeats line 2"]),
        ("code,expires_at\nabc,tomorrow\n", ["line 2: expires_at 'tomorrow' must be an ISO 8601 date"]),
        ("code,expires_at\nabc,2026-02-30\n", ["line 2: expires_at '2026-02-30'"]),
        ("code,expires_at\nabc,2026-12-31T23:59:59\n", ["line 2: expires_at '2026-12-31T23:59:59'"]),
        ("code,expires_at\nabc\n", ["line 2: 1 fields, the header has 2"]),
        # every bad line is reported, with its own number (blank lines count)
        (
            "code\nok1\n\nx\nok2\nok1\n!!\n",
            ["line 4: code 'x'", "line 6: code 'ok1' repeats line 2", "line 7: code '!!'"],
        ),
    ],
)
def test_a_bad_file_names_every_bad_line(text: str, problems: list[str]) -> None:
    with pytest.raises(CodesFileError) as raised:
        parse_codes_csv(text, source="codes.csv")
    assert len(raised.value.problems) == len(problems)
    for found, expected in zip(raised.value.problems, problems, strict=True):
        assert found.startswith(expected), found
    assert str(raised.value).startswith("codes.csv: nothing imported")


def test_a_long_list_of_problems_is_cut_short_in_the_message() -> None:
    text = "code\n" + "\n".join("x" for _ in range(80)) + "\n"
    with pytest.raises(CodesFileError) as raised:
        parse_codes_csv(text)
    assert len(raised.value.problems) == 80
    assert "… and 30 more" in str(raised.value)


def test_generated_codes_are_distinct_readable_and_importable() -> None:
    codes = generate_codes(5000, prefix="WB-")
    assert len(set(codes)) == 5000
    for code in codes:
        assert code.startswith("WB-") and len(code) == 3 + RANDOM_LENGTH
        assert set(code[3:]) <= set(ALPHABET) and CODE.fullmatch(code)
    assert not set(ALPHABET) & set("0O1IL")
    assert parse_codes_csv(codes_csv(codes)) == [Code(code) for code in codes]


def test_generated_codes_skip_repeats_and_the_codes_to_avoid(monkeypatch: pytest.MonkeyPatch) -> None:
    # A random source that draws AAAA… twice, then BBBB…, then CCCC…: the repeat and the code to
    # avoid (in another case) are drawn again.
    draws = iter("A" * RANDOM_LENGTH * 2 + "B" * RANDOM_LENGTH + "C" * RANDOM_LENGTH)
    monkeypatch.setattr(codes_module, "secrets", SimpleNamespace(choice=lambda _alphabet: next(draws)))
    assert generate_codes(2, prefix="P-", avoid=["p-" + "b" * RANDOM_LENGTH]) == [
        "P-" + "A" * RANDOM_LENGTH,
        "P-" + "C" * RANDOM_LENGTH,
    ]


@pytest.mark.parametrize(("count", "prefix"), [(0, ""), (100_001, ""), (1, "bad prefix"), (1, "P" * 33)])
def test_generation_refuses_a_bad_count_or_prefix(count: int, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"count|prefix"):
        generate_codes(count, prefix=prefix)


def test_a_claim_tries_codes_in_an_order_fixed_by_its_key() -> None:
    candidates = [f"CODE{index:02d}" for index in range(25)]
    key = claim_key("win_back", "enrolment-1", "incentive")
    assert key == "win_back#enrolment-1#incentive"
    order = claim_order(key, candidates)
    assert sorted(order) == candidates
    assert claim_order(key, reversed(candidates)) == order  # the same, whatever the read order
    # Different claims start with different codes most of the time (25 codes: ~1 in 25 share).
    firsts = {claim_order(claim_key("win_back", f"e{index}", "incentive"), candidates)[0] for index in range(200)}
    assert len(firsts) >= 20

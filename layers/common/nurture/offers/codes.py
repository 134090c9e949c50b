"""Discount codes (docs/offers.md, "Code pools"), pure: reading a file of codes to import, making
random codes, and which available code a claim tries first.

A file of codes is CSV with a header: ``code`` (required) and ``expires_at`` (optional, an ISO 8601
date ``2026-12-31`` or a time with an offset ``2026-12-31T23:59:59Z``). Codes match
``[A-Za-z0-9_-]{3,64}``. A code given twice in the file is refused, compared without regard to case
(the stores treat ``ABC`` and ``abc`` as one code). Every bad line is reported by its number and
then nothing is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

CODE = re.compile(r"[A-Za-z0-9_-]{3,64}")
PREFIX = re.compile(r"[A-Za-z0-9_-]{0,32}")
COLUMNS = ("code", "expires_at")
# No look-alikes (0/O, 1/I/L), upper case only: a code read off a phone and typed at checkout.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RANDOM_LENGTH = 10  # 31^10 ≈ 8e14 codes: a million codes in a pool collide with a guess ~1 in 8e8
MAX_GENERATED = 100_000
MAX_REPORTED_PROBLEMS = 50


class CodesFileError(ValueError):
    """A file of codes cannot be imported: ``problems`` lists every bad line ("line 3: …")."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        shown = list(problems[:MAX_REPORTED_PROBLEMS])
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more")
        super().__init__(f"{source}: nothing imported:\n" + "\n".join(f"  {problem}" for problem in shown))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    expires_at: str | None = None  # YYYY-MM-DD, or a UTC ISO 8601 time to the second


@dataclass(slots=True)  # not frozen: it satisfies the send path's ClaimResult protocol (plain attributes)
class ClaimResult:
    """What a claim gave: a code (the same one every time for one claim key) or none left."""

    status: Literal["claimed", "pool_empty"]
    code: str | None = None
    expires_at: str | None = None


def claim_key(pool: str, enrolment_id: str, step_id: str) -> str:
    """Which claim a send makes: one code per pool, journey occurrence (enrolment) and step."""
    return f"{pool}#{enrolment_id}#{step_id}"


def parse_expiry(text: str) -> str:
    """``2026-12-31`` as it is; a time with an offset in UTC to the second. ValueError otherwise."""
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time needs an offset (Z or +hh:mm)")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_codes_csv(text: str, *, source: str = "codes file") -> list[Code]:
    """The codes of a CSV file's text, in the file's order. Raises `CodesFileError` listing every bad
    line (the header is line 1); blank lines are skipped."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))  # Excel's UTF-8 files start with a BOM
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise CodesFileError(source, [f"line 1: not CSV: {exc}"]) from None
    if header is None:
        raise CodesFileError(source, ["line 1: empty file: a header 'code' (and optionally 'expires_at') is needed"])
    columns = [name.strip().lower() for name in header]
    problems = _header_problems(columns)
    if problems:
        raise CodesFileError(source, problems)
    code_at, expiry_at = columns.index("code"), columns.index("expires_at") if "expires_at" in columns else None
    codes: list[Code] = []
    first_line: dict[str, int] = {}
    try:
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                problems.append(f"line {number}: {len(row)} fields, the header has {len(columns)}")
                continue
            code = row[code_at].strip()
            if not CODE.fullmatch(code):
                problems.append(f"line {number}: code {code[:70]!r} must be 3 to 64 of A-Z a-z 0-9 _ -")
                continue
            earlier = first_line.setdefault(code.casefold(), number)
            if earlier != number:
                problems.append(f"line {number}: code {code!r} repeats line {earlier}")
                continue
            expiry = row[expiry_at].strip() if expiry_at is not None else ""
            try:
                codes.append(Code(code, parse_expiry(expiry) if expiry else None))
            except ValueError:
                problems.append(
                    f"line {number}: expires_at {expiry[:40]!r} must be an ISO 8601 date (2026-12-31) "
                    "or a time with an offset (2026-12-31T23:59:59Z)"
                )
    except csv.Error as exc:
        problems.append(f"line {rows.line_num}: not CSV: {exc}")
    if problems:
        raise CodesFileError(source, problems)
    if not codes:
        raise CodesFileError(source, ["no codes: the file has a header only"])
    return codes


def codes_from_list(values: Sequence[object], *, source: str = "codes") -> list[Code]:
    """Codes given as a list (a scenario line), checked as a file's are; problems name the index
    (``codes[2]: …``). No expiry."""
    problems: list[str] = []
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str) or not CODE.fullmatch(value):
            problems.append(f"{source}[{index}]: {str(value)[:70]!r} must be 3 to 64 of A-Z a-z 0-9 _ -")
        elif first.setdefault(value.casefold(), index) != index:
            problems.append(f"{source}[{index}]: code {value!r} repeats {source}[{first[value.casefold()]}]")
    if not values:
        problems.append(f"{source}: no codes")
    if problems:
        raise CodesFileError(source, problems)
    return [Code(str(value)) for value in values]


def _header_problems(columns: Sequence[str]) -> list[str]:
    if "code" not in columns:
        return [f"line 1: the header must name a column 'code' (found: {', '.join(columns) or 'nothing'})"]
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        return [f"line 1: unknown column {', '.join(map(repr, unknown))} (allowed: {', '.join(COLUMNS)})"]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        return [f"line 1: column {', '.join(map(repr, repeated))} appears twice"]
    return []


def check_prefix(prefix: str) -> str:
    if not PREFIX.fullmatch(prefix):
        raise ValueError("the prefix must be at most 32 of A-Z a-z 0-9 _ -")
    return prefix


def generate_codes(count: int, *, prefix: str = "", avoid: Iterable[str] = ()) -> list[str]:
    """``count`` distinct random codes (`secrets`), ``prefix`` then `RANDOM_LENGTH` characters of
    `ALPHABET`; none of them in ``avoid`` (compared without regard to case)."""
    if not 1 <= count <= MAX_GENERATED:
        raise ValueError(f"the count must be 1 to {MAX_GENERATED}")
    check_prefix(prefix)
    taken = {code.casefold() for code in avoid}
    codes: list[str] = []
    while len(codes) < count:
        code = prefix + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
        if code.casefold() not in taken:
            taken.add(code.casefold())
            codes.append(code)
    return codes


def codes_csv(codes: Iterable[str]) -> str:
    """The CSV `parse_codes_csv` reads (and a store's bulk upload takes): a header ``code``, one code a
    line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code"])
    writer.writerows([code] for code in codes)
    return out.getvalue()


def claim_order(key: str, candidates: Iterable[str]) -> list[str]:
    """The candidates in the order a claim tries them: by a hash of the claim key with each code
    (rendezvous hashing). The same key and codes give the same order; two claims racing over the
    same available codes start, most of the time, with different ones."""
    return sorted(candidates, key=lambda code: hashlib.sha256(f"{key}\0{code}".encode()).digest())

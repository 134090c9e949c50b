"""``nurture codes import | generate | status``: the discount-code pools of a deployed stack
(docs/offers.md, "Code pools").

For operators, with boto3's default credentials. The table comes from ``--table`` or the stack's
output ``TableName`` (``--stack``), as for ``nurture privacy``. The pools are those of
``pools.yaml`` in the configuration directory (``NURTURE_CONFIG_DIR``, else the shipped one): a pool
id it does not name is a usage error. ``generate`` only writes a CSV: the merchant uploads it to
the store (Shopify's bulk discount code import, a WooCommerce coupon import), then imports it here.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROGRESS_EVERY = 1000  # codes between two progress lines of an import


class UsageError(Exception):
    pass


def add_codes_commands(commands: Any) -> None:
    codes = commands.add_parser(
        "codes",
        help="import, generate and count the discount codes of the code pools",
        description="The discount-code pools (config/pools.yaml) of a deployed Nurture stack.",
    )
    codes_commands = codes.add_subparsers(title="codes commands")
    load = codes_commands.add_parser(
        "import",
        help="add the codes of a CSV file to a pool",
        description="Add the codes of a CSV file (a header 'code' and optionally 'expires_at', an ISO 8601 date "
        "or time with an offset) to a pool. Codes are 3 to 64 of A-Z a-z 0-9 _ -, each once in the file. A bad "
        "line is reported by its number and then nothing is imported. A code the pool holds already "
        "(available or claimed) is left as it is and counted: importing a file again is harmless.",
    )
    load.add_argument("file", type=Path, help="the CSV file of codes")
    load.add_argument("--pool", required=True, help="the pool id (config/pools.yaml)")
    load.set_defaults(command=_import)
    generate = codes_commands.add_parser(
        "generate",
        help="write random codes to a CSV file, for the store first and then `nurture codes import`",
        description="Write COUNT random codes (10 characters without look-alikes such as 0/O and 1/I/L, after "
        "PREFIX) to a CSV file. Nothing is imported: upload the file to the store first (e.g. Shopify's bulk "
        "discount code import, under one discount with the pool's terms), so that the codes work at checkout, "
        "then import the same file here with `nurture codes import FILE --pool ID`.",
    )
    generate.add_argument("--pool", required=True, help="the pool id the codes are for (config/pools.yaml)")
    generate.add_argument("--count", type=int, required=True, help="how many codes (1 to 100000)")
    generate.add_argument("--prefix", default="", help="a prefix for every code, e.g. WINBACK- (at most 32 characters)")
    generate.add_argument("--output", type=Path, required=True, help="the CSV file to write (not overwritten)")
    generate.set_defaults(command=_generate)
    status = codes_commands.add_parser(
        "status",
        help="available and claimed codes per pool",
        description="For every pool of config/pools.yaml: how many codes are available and how many were claimed.",
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(command=_status)
    for command in (load, status):
        command.add_argument("--stack", help="read the table from this stack's outputs")
        command.add_argument("--table", help="the NurtureTable name (instead of --stack)")
        command.add_argument("--region", help="the stack's region (default: the AWS configuration's)")


def _pools() -> Any:
    from nurture.offers.pools import PoolsError, default_pools

    try:
        return default_pools()
    except PoolsError as exc:
        raise UsageError(str(exc)) from None


def _pool(args: argparse.Namespace) -> str:
    pools = _pools()
    if args.pool not in pools:
        known = ", ".join(pools) or "none: pools.yaml names no pool"
        raise UsageError(f"--pool {args.pool!r} is not a pool of pools.yaml (known: {known})")
    return str(args.pool)


def _store(args: argparse.Namespace) -> Any:
    from nurture.adapters.dynamodb_codes import DynamoDbCodePools
    from nurture_local.stacks import StackError, aws_session, describe_stack

    session = aws_session(args.region)
    if args.stack:
        if args.table:
            raise UsageError("give --stack or --table, not both")
        try:
            (table,) = describe_stack(session, args.stack).output("TableName")
        except StackError as exc:
            raise UsageError(str(exc)) from None
    elif args.table:
        table = str(args.table)
    else:
        raise UsageError("give --stack or --table")
    return DynamoDbCodePools(table, session.client("dynamodb"))


def _run(work: Any, args: argparse.Namespace) -> int:
    from nurture.errors import NurtureError
    from nurture.offers.codes import CodesFileError

    try:
        return int(work(args))
    except (UsageError, CodesFileError) as exc:
        print(f"nurture codes: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NurtureError as exc:
        print(f"nurture codes: failed ({type(exc).__name__}): {exc}", file=sys.stderr)
        return EXIT_FAILED


def _import(args: argparse.Namespace) -> int:
    def work(args: argparse.Namespace) -> int:
        from nurture.offers.codes import parse_codes_csv

        pool = _pool(args)
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{args.file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        codes = parse_codes_csv(text, source=str(args.file))
        store = _store(args)
        reported = [0]

        def progress(done: int, total: int) -> None:
            if total >= PROGRESS_EVERY and (done - reported[0] >= PROGRESS_EVERY or done == total):
                reported[0] = done
                print(f"{done} of {total} codes written", file=sys.stderr)

        try:
            result = store.import_codes(pool, codes, datetime.now(UTC), progress)
        except Exception:
            print(f"stopped after {reported[0]} codes; importing the file again finishes it", file=sys.stderr)
            raise
        print(f"pool {pool}: {result.imported} codes imported, {result.already_present} already in the pool")
        return EXIT_OK

    return _run(work, args)


def _generate(args: argparse.Namespace) -> int:
    def work(args: argparse.Namespace) -> int:
        from nurture.offers.codes import codes_csv, generate_codes

        _pool(args)
        try:
            codes = generate_codes(args.count, prefix=args.prefix)
        except ValueError as exc:
            option = "--prefix" if "prefix" in str(exc) else "--count"
            raise UsageError(f"{option}: {exc}") from None
        try:
            with args.output.open("x", encoding="utf-8", newline="") as out:  # never overwrite imported codes
                out.write(codes_csv(codes))
        except FileExistsError:
            raise UsageError(f"--output {args.output} exists: give a new file") from None
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror}") from None
        print(
            f"wrote {len(codes)} codes to {args.output}: upload it to the store (e.g. Shopify's bulk discount code "
            f"import), then `nurture codes import {args.output} --pool {args.pool}`",
            file=sys.stderr,
        )
        return EXIT_OK

    return _run(work, args)


def _status(args: argparse.Namespace) -> int:
    def work(args: argparse.Namespace) -> int:
        pools = _pools()
        counts = _store(args).status(list(pools))
        if args.json:
            document = {pool: {"available": c.available, "claimed": c.claimed} for pool, c in counts.items()}
            print(json.dumps(document, indent=2, sort_keys=True))
            return EXIT_OK
        width = max([4, *(len(pool) for pool in pools)])
        print(f"{'pool':<{width}}  {'available':>9}  {'claimed':>7}  discount")
        for pool, count in counts.items():
            print(f"{pool:<{width}}  {count.available:>9}  {count.claimed:>7}  {pools[pool].discount}")
        return EXIT_OK

    return _run(work, args)

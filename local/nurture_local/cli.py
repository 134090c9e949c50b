"""The `nurture` command: Nurture's local runtime and developer tools.

nurture sfn run DEFINITION.json [--input JSON] [--mock-config FILE --state-machine NAME --case NAME] [--json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return EXIT_USAGE
    result: int = args.command(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nurture", description="Nurture's local runtime and developer tools.")
    commands = parser.add_subparsers(title="commands")

    sfn = commands.add_parser("sfn", help="the local Step Functions executor")
    sfn_commands = sfn.add_subparsers(title="sfn commands")
    run = sfn_commands.add_parser(
        "run",
        help="run one execution to completion on the virtual clock",
        description="Run one execution of an Amazon States Language definition on the virtual clock, "
        "to completion (Waits and Retry intervals cost no real time).",
    )
    run.add_argument("definition", type=Path, help="the state machine definition (JSON)")
    run.add_argument("--input", default="{}", help="execution input as JSON (default: {})")
    run.add_argument("--mock-config", type=Path, help="a Step Functions Local mock configuration file")
    run.add_argument("--state-machine", help="state machine name in the mock configuration (default: file stem)")
    run.add_argument("--case", help="test case name in the mock configuration")
    run.add_argument(
        "--handler",
        action="append",
        default=[],
        metavar="FUNCTION=MODULE:CALLABLE",
        help="route a Lambda function name to a Python handler (repeatable)",
    )
    run.add_argument(
        "--substitution",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a DefinitionSubstitutions value for ${KEY} (repeatable)",
    )
    run.add_argument("--start", help="virtual start time, ISO 8601 with offset (default: 2026-01-01T00:00:00Z)")
    run.add_argument("--max-days", type=float, default=400, help="stop the virtual clock after this many days")
    run.add_argument("--json", action="store_true", help="print one JSON document")
    run.set_defaults(command=_sfn_run)
    return parser


def _fail_usage(message: str) -> int:
    print(f"nurture: {message}", file=sys.stderr)
    return EXIT_USAGE


def _sfn_run(args: argparse.Namespace) -> int:
    from nurture_local.sfn.clock import VirtualClock
    from nurture_local.sfn.errors import DefinitionError
    from nurture_local.sfn.executor import LocalStepFunctions, SfnApiError
    from nurture_local.sfn.mockconfig import MockConfig, MockConfigError

    try:
        definition = args.definition.read_text(encoding="utf-8")
    except OSError as exc:
        return _fail_usage(f"cannot read {args.definition}: {exc.strerror}")
    try:
        execution_input = json.loads(args.input)
    except json.JSONDecodeError as exc:
        return _fail_usage(f"--input is not valid JSON: {exc}")
    if (args.mock_config is None) != (args.case is None):
        return _fail_usage("--mock-config and --case go together")
    name = args.state_machine or args.definition.name.split(".")[0]
    try:
        substitutions = dict(_key_value(item, "--substitution") for item in args.substitution)
        handlers = [_key_value(item, "--handler") for item in args.handler]
        start = _start_time(args.start)
        mock_config = MockConfig.load(args.mock_config) if args.mock_config else None
    except (ValueError, OSError) as exc:
        return _fail_usage(str(exc))

    sfn = LocalStepFunctions(clock=VirtualClock(start), mock_config=mock_config)
    try:
        for function, target in handlers:
            sfn.register_handler(function, _load_handler(target))
        arn = sfn.create_state_machine(name, definition, substitutions=substitutions)
        execution = sfn.start_execution(arn, execution_input, name=f"{name}-run", test_case=args.case)
    except DefinitionError as exc:
        return _fail_usage(f"invalid definition {args.definition}: {exc}")
    except (SfnApiError, MockConfigError, ValueError) as exc:
        return _fail_usage(str(exc))
    sfn.run_until_idle(max_days=args.max_days)

    report: dict[str, Any] = {
        "status": execution.status,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "states": execution.states_entered,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"status: {execution.status}")
        print(f"states: {' -> '.join(execution.states_entered)}")
        if execution.status == "SUCCEEDED":
            print(f"output: {json.dumps(execution.output)}")
        if execution.error is not None or execution.cause is not None:
            print(f"error:  {execution.error}")
            print(f"cause:  {execution.cause}")
        if execution.status == "RUNNING":
            waiting = ", ".join(sorted(set(sfn.pending_tokens(execution.arn).values()))) or "nothing due"
            print(f"still running after {args.max_days:g} virtual days (waiting on: {waiting})")
        print(f"virtual time: {_elapsed(sfn.clock.now() - execution.start)}")
    return EXIT_OK if execution.status == "SUCCEEDED" else EXIT_FAILED


def _key_value(item: str, flag: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"{flag} expects KEY=VALUE, got {item!r}")
    return key, value


def _start_time(text: str | None) -> datetime:
    if text is None:
        return datetime(2026, 1, 1, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--start is not an ISO 8601 time: {text!r}") from None
    if parsed.tzinfo is None:
        raise ValueError("--start needs a UTC offset, e.g. 2026-01-01T09:00:00Z")
    return parsed


def _load_handler(target: str) -> Any:
    module_name, sep, attribute = target.partition(":")
    if not sep:
        raise ValueError(f"--handler target must be MODULE:CALLABLE, got {target!r}")
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load handler {target!r}: {exc}") from None
    if not callable(handler):
        raise ValueError(f"handler {target!r} is not callable")
    return handler


def _elapsed(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"


if __name__ == "__main__":
    sys.exit(main())

"""The `nurture` command: Nurture's local runtime and developer tools.

nurture sfn run DEFINITION.json [--input JSON] [--mock-config FILE --state-machine NAME --case NAME] [--json]
nurture journeys [--json] | nurture journeys build [--check] | nurture journeys schema
nurture segments [SCENARIO] [--days N] [--segment ID] [--json]: each segment's size and members after a replay
nurture synth-events [--contacts N] [--days N] [--seed N] --out FILE.jsonl: a synthetic store history
nurture train-score EVENTS.jsonl [--as-of DATE] [--horizon 30d] [--out weights.json] [--seed N]: the predictive score
nurture privacy erase | export (--contact-id ID | --email X | --phone X | --customer S/S/ID) (--stack NAME | --table T
    --state-machine-prefix ARN) [--yes]: for operators, against a deployed stack (docs/privacy.md)
nurture codes import FILE.csv --pool ID | generate --pool ID --count N [--prefix P] --output FILE.csv | status
    (--stack NAME | --table T): the discount-code pools (docs/offers.md)
nurture contact show (--contact-id ID | --email X | --phone X | --customer S/S/ID) (--stack NAME | --table T) [--json]:
    the service desk's view of a contact (tier, treatment, journeys, offers)
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
DEMO_SCENARIO = Path(__file__).resolve().parent / "runtime" / "demo" / "scenario.jsonl"


class _UsageError(Exception):
    """A bad argument or input file: the command prints it and exits with EXIT_USAGE."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return EXIT_USAGE
    result: int = args.command(args)
    return result


def _parser() -> argparse.ArgumentParser:
    from nurture_local.runtime.environment import DYNAMODB_BACKENDS

    parser = argparse.ArgumentParser(prog="nurture", description="Nurture's local runtime and developer tools.")
    commands = parser.add_subparsers(title="commands")

    run_scenario = commands.add_parser(
        "run",
        help="replay a scenario of store webhooks on the local runtime",
        description="Replay a scenario (JSON lines of store webhooks) through the real handlers on an "
        "in-process AWS (moto), with journeys on the virtual clock. Sent mail lands in the outbox.",
    )
    run_scenario.add_argument("scenario", type=Path, help="the scenario file (.jsonl)")
    run_scenario.add_argument("--days", type=float, default=0, help="run the clock N days past the last line")
    run_scenario.add_argument("--outbox", type=Path, default=Path("outbox"), help="where .eml files go")
    run_scenario.add_argument("--json", action="store_true", help="print one JSON document")
    run_scenario.add_argument(
        "--config",
        type=Path,
        help="the library's configuration (products.yaml, places.yaml, pools.yaml: docs/offers.md);"
        " default: config/ beside the scenario when there is one, else the shipped files",
    )
    run_scenario.add_argument("--verbose", action="store_true", help="show the handlers' own (INFO) logs")
    run_scenario.add_argument(
        "--dynamodb",
        choices=DYNAMODB_BACKENDS,
        default=DYNAMODB_BACKENDS[0],
        help="which DynamoDB answers the handlers: Nurture's in-memory one (fast, the default) or moto's "
        "(the reference; slower as the tables grow)",
    )
    run_scenario.set_defaults(command=_run)

    segments = commands.add_parser(
        "segments",
        help="replay a scenario, then list each segment's size and members",
        description="Replay a scenario on the local runtime (as `nurture run`; default: the bundled demo), "
        "then list each shipped segment's id, name, size and members (by email, else contact id), read "
        "from its member items as the stack reads them: 16 Queries a segment, no scan.",
    )
    segments.add_argument("scenario", type=Path, nargs="?", default=DEMO_SCENARIO, help="the scenario file (.jsonl)")
    segments.add_argument("--days", type=float, default=0, help="run the clock N days past the last line")
    segments.add_argument("--segment", metavar="ID", help="list this segment only")
    segments.add_argument("--json", action="store_true", help="print a JSON list of objects")
    segments.add_argument("--verbose", action="store_true", help="show the handlers' own (INFO) logs")
    segments.add_argument(
        "--dynamodb", choices=DYNAMODB_BACKENDS, default=DYNAMODB_BACKENDS[0], help="as for `nurture run`"
    )
    segments.set_defaults(command=_segments)

    demo = commands.add_parser(
        "demo", help="run the bundled demo scenario (every journey of the library acts; ~8 virtual months)"
    )
    demo.add_argument("--outbox", type=Path, default=Path("outbox"), help="where .eml files go")
    demo.add_argument("--json", action="store_true", help="print one JSON document (the same as `nurture run --json`)")
    demo.set_defaults(command=_demo)

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

    journeys = commands.add_parser(
        "journeys",
        help="the journey catalogue: main-path figures, compiled state machines, the schema",
        description="One row per journey of the catalogue: its trigger and key, the states of its compiled "
        "state machine, and its main path (a contact who never engages and never exits) measured on the "
        "local executor: state transitions, messages, and the list-price cost per 1,000 contacts.",
    )
    journeys.add_argument("--json", action="store_true", help="print a JSON list of objects")
    journeys.set_defaults(command=_journeys)
    journey_commands = journeys.add_subparsers(title="journeys commands")
    build = journey_commands.add_parser(
        "build", help="compile every journey into statemachines/<id>.asl.json (committed)"
    )
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each file that differs")
    build.set_defaults(command=_journeys_build)
    schema = journey_commands.add_parser("schema", help="write docs/journey.schema.json (for editors)")
    schema.set_defaults(command=_journeys_schema)

    synth = commands.add_parser(
        "synth-events",
        help="write a synthetic store history (canonical events as JSON lines) for train-score",
        description="Contacts who sign up, browse, fill carts, check out, order and read a twice-weekly "
        "newsletter, drawn from the distributions docs/scoring.md states; the same seed gives the same file.",
    )
    synth.add_argument("--contacts", type=int, default=3000, help="how many contacts (default: 3000)")
    synth.add_argument("--days", type=int, default=120, help="how many days of history (default: 120)")
    synth.add_argument("--seed", type=int, default=1, help="the PRNG seed (default: 1)")
    synth.add_argument("--out", type=Path, required=True, help="the file to write (.jsonl)")
    synth.set_defaults(command=_synth_events)

    train = commands.add_parser(
        "train-score",
        help="fit the predictive score (orders within a horizon) and compare it with the rule-based score",
        description="Features of every contact as of a cutoff, labels from the horizon after it, a logistic "
        "regression fit on a seeded stratified split; prints the held-out AUC beside the rule-based "
        "acquisition score's on the same contacts, and writes the weights as JSON.",
    )
    train.add_argument("events", type=Path, help="canonical events as JSON lines (e.g. from synth-events)")
    train.add_argument(
        "--as-of",
        help="the cutoff, a date or an ISO 8601 instant in UTC (default: the last event's day minus the horizon)",
    )
    train.add_argument("--horizon", default="30d", help="the label's window after the cutoff (default: 30d)")
    train.add_argument("--out", type=Path, default=Path("weights.json"), help="where the model goes")
    train.add_argument("--seed", type=int, default=1, help="the train/test split's seed (default: 1)")
    train.add_argument("--json", action="store_true", help="print the model's JSON instead of the report")
    train.set_defaults(command=_train_score)

    from nurture_local.codes import add_codes_commands
    from nurture_local.contact import add_contact_commands
    from nurture_local.privacy import add_privacy_commands

    add_privacy_commands(commands)
    add_codes_commands(commands)
    add_contact_commands(commands)
    return parser


def _project_root() -> Path:
    """The checkout holding template.yaml: the current directory or one of its parents, else ours."""
    for candidate in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (candidate / "template.yaml").is_file() and (candidate / "functions").is_dir():
            return candidate
    raise FileNotFoundError("cannot find template.yaml: run nurture from the project checkout")


def _replay(args: argparse.Namespace, *, outbox: Path | None, at_end: Any = None) -> Any:
    """Run ``args.scenario`` on the local runtime with the `run` options; its report."""
    from nurture.config import CONFIG_DIR_VARIABLE
    from nurture_local.runtime.environment import LocalConfig
    from nurture_local.runtime.runner import run_scenario
    from nurture_local.runtime.scenario import ScenarioError, load_scenario

    try:
        lines = load_scenario(args.scenario)
        root = _project_root()
    except (ScenarioError, FileNotFoundError) as exc:
        raise _UsageError(str(exc)) from None
    if args.days < 0:
        raise _UsageError("--days must not be negative")
    progress = None if args.json else (lambda message: print(f"... {message}", file=sys.stderr))
    environment = {}
    config_dir = getattr(args, "config", None) or (args.scenario.parent / "config")
    if config_dir.is_dir():
        # The library's configuration (docs/offers.md): the scenario's own products, places and pools.
        environment[CONFIG_DIR_VARIABLE] = str(config_dir.resolve())
    elif getattr(args, "config", None) is not None:
        raise _UsageError(f"--config: {config_dir} is not a directory")
    config = LocalConfig(
        log_level="INFO" if args.verbose else "WARNING", dynamodb=args.dynamodb, function_environment=environment
    )
    return run_scenario(
        lines, root=root, days=args.days, outbox=outbox, progress=progress, config=config, at_end=at_end
    )


def _run(args: argparse.Namespace) -> int:
    try:
        report = _replay(args, outbox=args.outbox)
    except _UsageError as exc:
        return _fail_usage(str(exc))
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _print_report(report)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from nurture_local.runtime.environment import DYNAMODB_BACKENDS

    print(
        "Nurture demo: the journey library's stories from August 2025, a week of sign-ups in March 2026,"
        " then 30 virtual days.",
        file=sys.stderr,
    )
    return _run(
        argparse.Namespace(
            scenario=DEMO_SCENARIO,
            days=30,
            outbox=args.outbox,
            json=args.json,
            config=None,
            verbose=False,
            dynamodb=DYNAMODB_BACKENDS[0],
        )
    )


def _segments(args: argparse.Namespace) -> int:
    from nurture.segments.definition import default_segments
    from nurture_local.segments import SegmentListing, list_segments, render

    segments = dict(default_segments())
    if args.segment is not None:
        if args.segment not in segments:
            return _fail_usage(f"--segment: no segment {args.segment!r} (one of {', '.join(segments)})")
        segments = {args.segment: segments[args.segment]}
    listings: list[SegmentListing] = []

    def read_members(env: Any) -> None:
        import boto3

        from nurture_local.runtime.runner import TABLE

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        listings.extend(list_segments(dynamodb, env.resources[TABLE], segments))

    try:
        _replay(args, outbox=None, at_end=read_members)
    except _UsageError as exc:
        return _fail_usage(str(exc))
    if args.json:
        print(json.dumps([listing.as_json() for listing in listings], indent=2))
    else:
        print(render(listings))
    return EXIT_OK


def _activity_line(did: dict[str, Any]) -> str:
    """One journey's row of the report: enrolments, messages by step, offers and exits by reason."""
    if not did["enrolled"]:
        return "nothing (no contact entered)"

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{label} {count}" for label, count in sorted(counts.items()))

    parts = [f"{did['enrolled']} enrolled ({listed(did['status'])})"]
    parts.append(f"sent {listed(did['messages'])}" if did["messages"] else "sent nothing")
    if did["skipped"]:
        parts.append(f"skipped {listed(did['skipped'])}")
    if did["offers"]:
        parts.append(f"offers: {listed(did['offers'])}")
    if did["exits"]:
        parts.append(f"exits: {listed(did['exits'])}")
    return "; ".join(parts)


def _print_report(report: Any) -> None:
    """Who got what and when: one row per recipient, one column per step, with days since the first."""
    by_recipient: dict[str, list[Any]] = {}
    for message in report.messages:
        by_recipient.setdefault(message.to, []).append(message)
    steps: list[str] = []
    for message in report.messages:
        if message.step not in steps:
            steps.append(message.step)
    width = max([len("recipient"), *(len(to) for to in by_recipient)])
    print()
    print("  ".join(["recipient".ljust(width), *(step.ljust(20) for step in steps)]).rstrip())
    for to, sent in by_recipient.items():
        first = sent[0].sent_at
        cells = []
        for step in steps:
            at = next((m.sent_at for m in sent if m.step == step), None)
            cells.append("-".ljust(20) if at is None else f"{at:%b %d %H:%M} (+{(at - first).days}d)".ljust(20))
        print("  ".join([to.ljust(width), *cells]).rstrip())
    executions = ", ".join(f"{status} {count}" for status, count in sorted(report.executions.items())) or "none"
    answers: dict[str, int] = {}
    for answer in report.answers:
        label = answer["outcome"]
        answers[label] = answers.get(label, 0) + 1
    print()
    print(
        f"{report.lines} deliveries: "
        + ", ".join(f"{count} {label}" for label, count in sorted(answers.items()))
        + f"; clock ran {report.started_at:%Y-%m-%d} to {report.ended_at:%Y-%m-%d} (virtual)"
    )
    print(
        f"{len(by_recipient)} recipients, {report.emails} emails, {report.sms} sms; "
        f"{report.dead_letters} dead letters; journey executions: {executions}"
    )
    for journey, statuses in report.journeys.items():
        print(f"  {journey}: " + ", ".join(f"{status} {count}" for status, count in statuses.items()))
    if report.activity:
        print("what each journey did:")
        for journey, did in report.activity.items():
            print(f"  {journey}: {_activity_line(did)}")
    if report.schedule_runs:
        print(
            "schedules fired: " + ", ".join(f"{name} {count}" for name, count in sorted(report.schedule_runs.items()))
        )
    for rejected in report.rejected:
        print(f"  rejected line {rejected['line']}: {rejected['status']} {rejected['error']}")
    if report.outbox_index is not None:
        print(f"Outbox: {report.outbox_index.resolve()} ({report.emails} .eml and {report.sms} .txt files beside it)")


def _synth_events(args: argparse.Namespace) -> int:
    from nurture_local.synth import generate, write_jsonl

    if args.contacts < 1 or args.days < 1:
        return _fail_usage("--contacts and --days must be at least 1")
    events = generate(contacts=args.contacts, days=args.days, seed=args.seed)
    try:
        write_jsonl(events, args.out)
    except OSError as exc:
        return _fail_usage(f"cannot write {args.out}: {exc.strerror}")
    print(f"wrote {args.out}: {len(events)} events of {args.contacts} contacts over {args.days} days", file=sys.stderr)
    return EXIT_OK


def _train_score(args: argparse.Namespace) -> int:
    from nurture.journeys.definition import parse_duration
    from nurture_local.train_score import TrainingError, train

    try:
        horizon = parse_duration(args.horizon)
        as_of = None if args.as_of is None else _cutoff(args.as_of)
    except ValueError as exc:
        return _fail_usage(str(exc))
    try:
        report, _ = train(args.events, horizon=horizon, as_of=as_of, seed=args.seed)
    except OSError as exc:
        return _fail_usage(f"cannot read {args.events}: {exc.strerror}")
    except TrainingError as exc:
        return _fail_usage(str(exc))
    document = report.model.to_json()
    try:
        args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        return _fail_usage(f"cannot write {args.out}: {exc.strerror}")
    if args.json:
        print(json.dumps(document, indent=2))
        return EXIT_OK
    for line in report.lines():
        print(line)
    print(f"wrote {args.out}")
    return EXIT_OK


def _cutoff(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--as-of is not a date or an ISO 8601 time: {text!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _fail_usage(message: str) -> int:
    print(f"nurture: {message}", file=sys.stderr)
    return EXIT_USAGE


def _journeys(args: argparse.Namespace) -> int:
    from nurture.journeys.definition import JourneyDefinitionError
    from nurture_local.journeys import catalogue_at, figures, table

    try:
        rows = [figures(journey) for journey in catalogue_at(_project_root()).values()]
    except (JourneyDefinitionError, FileNotFoundError) as exc:
        return _fail_usage(str(exc))
    if args.json:
        print(json.dumps([row.as_json() for row in rows], indent=2))
    else:
        print(table(rows))
    return EXIT_OK


def _journeys_build(args: argparse.Namespace) -> int:
    from nurture.journeys.definition import JourneyDefinitionError
    from nurture_local.journeys import build

    try:
        differing = build(_project_root(), check=args.check)
    except (JourneyDefinitionError, FileNotFoundError) as exc:
        return _fail_usage(str(exc))
    if args.check:
        for relative in differing:
            print(
                f"nurture: {relative} differs from the compiler's output (run: nurture journeys build)", file=sys.stderr
            )
        return EXIT_FAILED if differing else EXIT_OK
    for relative in differing:
        print(f"wrote {relative}", file=sys.stderr)
    if not differing:
        print("state machines are up to date", file=sys.stderr)
    return EXIT_OK


def _journeys_schema(args: argparse.Namespace) -> int:
    from nurture_local.journeys import write_schema

    try:
        path = write_schema(_project_root())
    except FileNotFoundError as exc:
        return _fail_usage(str(exc))
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


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

"""Differential test: every corpus definition runs on our executor and on moto's interpreter.

Given each (definition, input) pair in tests/sfn_corpus, when it runs to completion on the local
executor (virtual clock) and on moto's Step Functions interpreter (real sleeps), then both report
the same status, the same output (compared as JSON, key order aside, 1 and 1.0 apart) and, on
failure, the same error name (and the same cause when the definition chose it, i.e. for errors
outside the ``States.`` namespace).

Moto sleeps in real time, so both engines get the same shortened definition: every Wait ``Seconds``
and every Retry ``IntervalSeconds`` at most 1 second, ``BackoffRate`` 1. All moto executions without
queued Lambda results start at once and are polled together.

Lambda tasks: moto 5.2.5's Lambda "simple" backend (``config={"lambda": {"use_docker": False}}``)
never runs code. With an empty results queue an invocation returns its own request payload (an echo
function); otherwise it pops the next queued result. So ``echo`` runs everywhere (our side registers
an echo handler), while cases calling other functions run one at a time: the Python handler runs
on our executor, each result it returns is recorded in call order and queued on moto, which must
consume them all (an extra call would get its own payload back and change the output). The simple
backend cannot report a function error, so Lambda failures (Retry/Catch on a Lambda error) are not
in this corpus.

Where moto disagrees with what AWS documents, the case is listed in `KNOWN_MOTO_DIVERGENCES` with the
documented outcome: our executor must produce that outcome (and moto must still differ, so the
entry is removed once moto is fixed). docs/sfn-executor-differential.md explains each entry.
"""

from __future__ import annotations

import copy
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.config import DefaultConfig
from nurture_local.sfn.executor import LocalStepFunctions

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "sfn_corpus"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, so ARNs in the context object agree
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sfn-differential"
MAX_SLEEP_SECONDS = 1
POLL_INTERVAL_SECONDS = 0.05
MOTO_DEADLINE_SECONDS = 120.0
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
# Context fields that differ between two runs (or break moto's describe_execution).
FORBIDDEN_IN_CORPUS = (
    "$$.Execution.StartTime",
    "$$.State.EnteredTime",
    "$$.Task.Token",
    "States.UUID",
    "States.MathRandom",
)

Json = Any
Handler = Callable[[Any, Any], Any]


# ---------------------------------------------------------------- Lambda handlers


def echo(event: Json, context: Any) -> Json:
    """What moto's simple Lambda backend does when no result is queued: return the payload."""
    return event


def score_contact(event: Json, context: Any) -> Json:
    points = int(event["opens"]) * 10 + len(event["tags"]) * 5
    return {"points": points, "segment": "hot" if points >= 50 else "cold"}


def render_message(event: Json, context: Any) -> Json:
    return f"You scored {event['points']} points"


HANDLERS: dict[str, Handler] = {
    "echo": echo,
    "score-contact": score_contact,
    "render-message": render_message,
}
ECHO_FUNCTIONS = frozenset({"echo"})  # need no queued result on moto


# ---------------------------------------------------------------- outcomes


def canonical(value: Json) -> str:
    """JSON text that equal documents share: sorted keys, compact; 1 and 1.0 stay different."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Outcome:
    status: str
    output: str | None = None  # canonical JSON text
    error: str | None = None
    cause: str | None = None  # kept only for errors a definition names itself (not States.*)

    @classmethod
    def of(cls, status: str, output_text: str | None, error: str | None, cause: str | None) -> Outcome:
        output = canonical(json.loads(output_text)) if status == "SUCCEEDED" and output_text else None
        if error is None or error.startswith("States."):
            cause = None
        return cls(status, output, error, cause)


def succeeded(output: Json) -> Outcome:
    return Outcome("SUCCEEDED", canonical(output))


def failed(error: str, cause: str | None = None) -> Outcome:
    return Outcome.of("FAILED", None, error, cause)


@dataclass(frozen=True)
class Divergence:
    why: str  # what moto does, and what AWS documents (with the page)
    expected: Outcome  # the outcome AWS documents; our executor must produce it


SPEC = "Amazon States Language spec (https://states-language.net/spec.html)"
ERRORS_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html"
CHOICE_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html"
WAIT_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html"
INTRINSICS_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html"
JAYWAY = "Jayway JsonPath README, 'What is Returned When?' (https://github.com/json-path/JsonPath)"

KNOWN_MOTO_DIVERGENCES: dict[tuple[str, int], Divergence] = {
    ("choice_no_match", 1): Divergence(
        "moto fails with States.Runtime ('No branching option reached'); AWS names this error "
        f"States.NoChoiceMatched: 'A Choice state failed to find a match for the condition field' ({SPEC}, "
        f"Appendix A; {ERRORS_PAGE})",
        failed("States.NoChoiceMatched"),
    ),
    ("choice_string", 3): Divergence(
        "moto does not treat '\\*' in StringMatches as a literal '*'; the spec (Choice Rules, StringMatches): "
        '\'If the character "*" needs to appear as part of the value without serving as a wildcard, it MUST '
        f"be escaped with a backslash' ({SPEC}; {CHOICE_PAGE})",
        succeeded({"s": "lit*star and more", "t": "z", "branch": "EscapedStar"}),
    ),
    ("choice_timestamp", 1): Divergence(
        "moto does not parse fractional seconds, so TimestampLessThan is false; timestamps 'must conform to "
        f"RFC3339 profile ISO 8601' (time-secfrac is part of RFC 3339) ({CHOICE_PAGE})",
        succeeded({"when": "2019-12-31T23:59:59.999Z", "ref": "2025-01-01T00:00:00Z", "branch": "LessThan"}),
    ),
    ("choice_timestamp", 6): Divergence(
        "moto does not parse fractional seconds, so TimestampGreaterThanEqualsPath is false; timestamps "
        f"'must conform to RFC3339 profile ISO 8601' ({CHOICE_PAGE})",
        succeeded(
            {"when": "2024-03-01T12:00:00.500Z", "ref": "2024-03-01T12:00:00.250Z", "branch": "GreaterThanEqualsPath"}
        ),
    ),
    ("choice_types", 6): Divergence(
        "moto's IsTimestamp is false for an RFC 3339 timestamp with fractional seconds and a numeric offset; "
        "the only restrictions AWS adds to RFC 3339 are an uppercase T and an uppercase Z when no numeric "
        f"offset is present ({CHOICE_PAGE})",
        succeeded({"v": "2024-06-30T23:59:59.123+02:00", "branch": "Timestamp"}),
    ),
    ("wait_variants", 1): Divergence(
        "moto rejects a TimestampPath value with a numeric offset (+02:00) with States.Runtime; Wait "
        "timestamps 'must conform to the RFC3339 profile of ISO 8601', an uppercase Z only standing for "
        f"'no numeric offset' ({WAIT_PAGE})",
        succeeded({"id": 2, "status": "waited"}),
    ),
    ("intrinsics_edge_cases", 1): Divergence(
        "moto garbles escaped reserved characters in States.Format; the spec (Intrinsic Functions): the "
        "literal strings \\' \\{ \\} represent ' { } "
        f"({SPEC}; {INTRINSICS_PAGE})",
        succeeded({"text": "It's {literal} for Ada"}),
    ),
    ("intrinsics_edge_cases", 2): Divergence(
        "moto encodes the Base64Encode argument with Python's ascii codec and fails (States.Runtime, "
        "UnicodeEncodeError) on non-ASCII text; AWS documents the argument as 'a data string of up to 10,000 "
        f"characters', with no ASCII restriction ({INTRINSICS_PAGE}); decode(encode(s)) is s",
        succeeded({"roundTrip": "Grüße, 世界"}),
    ),
    ("intrinsics_edge_cases", 3): Divergence(
        "moto refuses a negative step in States.ArrayRange; AWS: 'All arguments MUST be integer values. The "
        f"third argument MUST NOT be zero.' ({SPEC}, Appendix B; {INTRINSICS_PAGE})",
        succeeded({"range": [10, 5, 0]}),
    ),
    ("intrinsics_edge_cases", 4): Divergence(
        "moto drops a null literal argument of States.Array; the documented example "
        f"States.Array('Foo', 2020, $.someJson, null) returns [\"Foo\", 2020, {{...}}, null] ({SPEC}, Appendix B)",
        succeeded({"array": ["a", None, None]}),
    ),
    ("intrinsics_edge_cases", 5): Divergence(
        "moto's States.ArrayUnique fails on objects (States.Runtime, TypeError unhashable dict); AWS: it "
        f"'removes duplicate values from an array', any JSON values ({SPEC}, Appendix B; {INTRINSICS_PAGE})",
        succeeded({"unique": [{"o": 1}, [1], 1, {"o": 2}]}),
    ),
    ("intrinsics_edge_cases", 6): Divergence(
        "moto's States.ArrayUnique treats true as a duplicate of 1 and false of 0 (Python equality); in JSON "
        f"they are different values, so none is a duplicate ({SPEC}, Appendix B)",
        succeeded({"unique": [1, True, "1", 0, False]}),
    ),
    ("intrinsics_math_json", 2): Divergence(
        "moto reports an out-of-range States.ArrayGetItem as States.Runtime (IndexError); the spec (Payload "
        "Template): 'If the Intrinsic Function fails during evaluation, the interpreter fails the machine "
        f"execution with an Error Name of States.IntrinsicFailure' ({SPEC})",
        failed("States.IntrinsicFailure"),
    ),
    ("jsonpath_edge_cases", 1): Divergence(
        "moto returns a one-element list for a path with an array index followed by a field "
        "($.contacts[1].email); paths use Jayway JsonPath syntax, where a definite path (fields and single "
        f"indexes only) returns the single value ({SPEC}, Paths; {JAYWAY})",
        succeeded({"second": "b@x.io", "firstTag": "t1"}),
    ),
    ("jsonpath_edge_cases", 2): Divergence(
        "moto fails (States.Runtime, 'could not be found') when a filter matches nothing; in Jayway JsonPath, "
        f"whose syntax AWS paths follow, 'Indefinite paths always returns a list' - here [] ({SPEC}, Paths; {JAYWAY})",
        succeeded({"bigIds": []}),
    ),
    ("map_catch", 2): Divergence(
        "moto fails a JSONPath Map whose ItemsPath is not an array with States.QueryEvaluationError, which AWS "
        f"defines only for JSONata states ({SPEC}, Appendix A); AWS does not name the JSONPath error, our "
        f"executor uses States.Runtime, the error for failures applying paths ({ERRORS_PAGE})",
        failed("States.Runtime"),
    ),
    ("runtime_errors", 3): Divergence(
        "moto crashes ('Custom Error Names MUST NOT begin with the prefix States.') and fails with "
        "States.Runtime; the spec (JSONPath Runtime Errors): a ResultPath that cannot be applied fails with "
        "States.ResultPathMatchFailure, which is not one of the errors States.ALL cannot catch "
        f"(States.Runtime, States.DataLimitExceeded) ({SPEC}; {ERRORS_PAGE})",
        succeeded({"error": "States.ResultPathMatchFailure"}),
    ),
}


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    name: str
    index: int
    definition: dict[str, Any]  # already shortened for moto; both engines run this one
    input: Json
    functions: frozenset[str]

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.index)

    @property
    def execution_name(self) -> str:
        return f"{self.name}-{self.index}"

    @property
    def queued(self) -> bool:
        return bool(self.functions - ECHO_FUNCTIONS)

    @property
    def sleeps(self) -> int:
        """How many Wait states and retriers the definition has (a rough measure of its real sleeping)."""
        return sum((state["Type"] == "Wait") + len(state.get("Retry", [])) for state in _state_groups(self.definition))


def _state_groups(group: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every state of a definition, Parallel branches and Map processors included."""
    for state in group["States"].values():
        yield state
        for branch in state.get("Branches", []):
            yield from _state_groups(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _state_groups(state[key])


def shorten(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with every sleep at most MAX_SLEEP_SECONDS (moto sleeps in real time)."""
    short = copy.deepcopy(definition)
    now = datetime.now(UTC)
    for state in _state_groups(short):
        if state["Type"] == "Wait":
            if "Seconds" in state:
                state["Seconds"] = min(state["Seconds"], MAX_SLEEP_SECONDS)
            if "Timestamp" in state:
                when = datetime.fromisoformat(state["Timestamp"].replace("Z", "+00:00"))
                assert when < now, f"corpus Wait Timestamp {state['Timestamp']} must be in the past"
        for retrier in state.get("Retry", []):
            retrier["IntervalSeconds"] = min(retrier.get("IntervalSeconds", 1), MAX_SLEEP_SECONDS)
            if "BackoffRate" in retrier:
                retrier["BackoffRate"] = 1.0
    return short


def _function_name(reference: str) -> str:
    return reference.split(":")[6] if reference.startswith("arn:") else reference


def functions_used(definition: dict[str, Any]) -> frozenset[str]:
    names = set()
    for state in _state_groups(definition):
        resource = state.get("Resource", "")
        if resource.startswith("arn:aws:lambda:"):
            names.add(_function_name(resource))
        elif resource.startswith("arn:aws:states:::lambda:invoke"):
            names.add(_function_name(state["Parameters"]["FunctionName"]))
    return frozenset(names)


def load_corpus() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS.glob("*.asl.json")):
        name = path.name.removesuffix(".asl.json")
        text = path.read_text()
        for forbidden in FORBIDDEN_IN_CORPUS:
            assert forbidden not in text, f"{path.name}: {forbidden} differs between runs; keep it out"
        definition = shorten(json.loads(text))
        inputs = json.loads((CORPUS / f"{name}.inputs.json").read_text())
        assert isinstance(inputs, list) and inputs, f"{name}.inputs.json must be a non-empty list"
        functions = functions_used(definition)
        unknown = functions - HANDLERS.keys()
        assert not unknown, f"{path.name} calls functions with no handler here: {sorted(unknown)}"
        cases.extend(Case(name, index, definition, item, functions) for index, item in enumerate(inputs))
    return cases


CASES = load_corpus()


# ---------------------------------------------------------------- our executor


def run_ours(case: Case, calls: list[Json]) -> Outcome:
    """Run one case to completion on the virtual clock; every Lambda result is appended to `calls`."""

    def recording(handler: Handler) -> Handler:
        def call(event: Json, context: Any) -> Json:
            result = handler(event, context)
            calls.append(result)
            return result

        return call

    sfn = LocalStepFunctions(region=REGION, account=ACCOUNT)
    for name, handler in HANDLERS.items():
        sfn.register_handler(name, recording(handler))
    arn = sfn.create_state_machine(case.name, case.definition, role_arn=ROLE_ARN)
    execution = sfn.start_execution(arn, json.dumps(case.input), name=case.execution_name)
    sfn.run_until_idle()
    return Outcome.of(execution.status, execution.output_text, execution.error, execution.cause)


@dataclass(frozen=True)
class OurRun:
    outcome: Outcome
    lambda_results: list[Json]


@pytest.fixture(scope="module")
def ours() -> dict[tuple[str, int], OurRun]:
    runs = {}
    for case in CASES:
        calls: list[Json] = []
        outcome = run_ours(case, calls)
        runs[case.key] = OurRun(outcome, calls)
    return runs


# ---------------------------------------------------------------- moto


def _echo_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _poll(sfn: Any, started: dict[tuple[str, int], str], deadline: float) -> dict[tuple[str, int], Outcome]:
    outcomes: dict[tuple[str, int], Outcome] = {}
    pending = dict(started)
    while pending:
        for key, arn in list(pending.items()):
            answer = sfn.describe_execution(executionArn=arn)
            if answer["status"] != "RUNNING":
                outcomes[key] = Outcome.of(
                    answer["status"], answer.get("output"), answer.get("error"), answer.get("cause")
                )
                del pending[key]
        if pending:
            if time.monotonic() > deadline:
                pytest.fail(f"moto executions still running after {MOTO_DEADLINE_SECONDS} s: {sorted(pending)}")
            time.sleep(POLL_INTERVAL_SECONDS)
    return outcomes


@pytest.fixture(scope="module")
def moto_outcomes(ours: dict[tuple[str, int], OurRun]) -> Iterator[dict[tuple[str, int], Outcome]]:
    from moto.awslambda_simple.models import lambda_simple_backends

    deadline = time.monotonic() + MOTO_DEADLINE_SECONDS
    with mock_aws(config=MOTO_CONFIG):
        boto3.client("iam", region_name=REGION).create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument="{}"
        )
        lambda_client = boto3.client("lambda", region_name=REGION)
        for function in HANDLERS:
            lambda_client.create_function(
                FunctionName=function,
                Runtime="python3.13",
                Role=ROLE_ARN,
                Handler="handler.handler",
                Code={"ZipFile": _echo_zip()},
            )
        # The queue behind moto's documented POST /moto-api/static/lambda-simple/response, used directly
        # so that it can be emptied and checked between cases.
        results_queue: list[str] = lambda_simple_backends[ACCOUNT][REGION].lambda_simple_results_queue
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machines: dict[str, str] = {}
        for case in CASES:
            if case.name not in machines:
                machines[case.name] = sfn.create_state_machine(
                    name=case.name, definition=json.dumps(case.definition), roleArn=ROLE_ARN
                )["stateMachineArn"]

        def start(case: Case) -> str:
            arn: str = sfn.start_execution(
                stateMachineArn=machines[case.name], name=case.execution_name, input=json.dumps(case.input)
            )["executionArn"]
            return arn

        # Everything that needs no queued Lambda result, all at once, those that sleep first (starting an
        # execution costs moto tens of milliseconds, so the sleeps overlap with the other starts).
        concurrent = sorted((case for case in CASES if not case.queued), key=lambda case: -case.sleeps)
        outcomes = _poll(sfn, {case.key: start(case) for case in concurrent}, deadline)
        # Queued Lambda results are shared by every invocation in the region: one case at a time.
        for case in CASES:
            if not case.queued:
                continue
            results_queue.clear()
            results_queue.extend(json.dumps(result) for result in ours[case.key].lambda_results)
            outcomes.update(_poll(sfn, {case.key: start(case)}, deadline))
            assert not results_queue, (
                f"{case.key}: moto invoked Lambda fewer times than our executor "
                f"({len(results_queue)} queued results left)"
            )
        yield outcomes


# ---------------------------------------------------------------- the tests


def test_given_the_corpus_when_loaded_then_it_covers_enough_definitions() -> None:
    assert len({case.name for case in CASES}) >= 20
    assert any(case.queued for case in CASES) and any(case.functions == ECHO_FUNCTIONS for case in CASES)


def test_given_the_divergence_table_when_checked_then_every_entry_names_a_corpus_case() -> None:
    keys = {case.key for case in CASES}
    assert set(KNOWN_MOTO_DIVERGENCES) <= keys


@pytest.mark.parametrize("case", CASES, ids=[f"{case.name}[{case.index}]" for case in CASES])
def test_given_a_corpus_case_when_run_on_both_engines_then_they_agree(
    case: Case, ours: dict[tuple[str, int], OurRun], moto_outcomes: dict[tuple[str, int], Outcome]
) -> None:
    mine, theirs = ours[case.key].outcome, moto_outcomes[case.key]
    divergence = KNOWN_MOTO_DIVERGENCES.get(case.key)
    if divergence is None:
        assert mine == theirs, f"input {json.dumps(case.input)}"
    else:
        assert mine == divergence.expected, divergence.why
        assert theirs != divergence.expected, "moto now does what AWS documents: drop the table entry"

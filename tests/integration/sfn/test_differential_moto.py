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

Every state machine we ship (statemachines/*.asl.json) runs here too, found by globbing that folder:
its DefinitionSubstitutions are read from template.yaml, each function reference (``!GetAtt F.Arn``,
``!Ref F``) replaced by a fake function ``F`` that exists on both engines (a simple-backend function
on moto, a scripted handler on ours). Its scenarios are tests/sfn_corpus/shipped/NAME.scenarios.json:
an input and the Lambda calls the execution must make, in order, each with the event it must carry
(checked on our side) and the result it gets (returned by the handler on ours, queued on moto). For
these, the states entered, in order, are compared too (several end states share one output), and
each scenario names the state it ends in. A shipped machine without a scenarios file fails the test.
Moto's queued results are per region, so each scenario runs in a region of its own (on both engines,
so ARNs agree) and the scenarios run on moto side by side, beside the rest of the corpus.

Where moto disagrees with what AWS documents, the case is listed in `KNOWN_MOTO_DIVERGENCES` with the
documented outcome: our executor must produce that outcome (and moto must still differ, so the
entry is removed once moto is fixed). docs/sfn-executor-differential.md explains each entry.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from moto.core.config import DefaultConfig

from nurture_local.sfn.executor import LocalStepFunctions
from nurture_local.sfn.mockconfig import MockConfig
from nurture_local.template import load_template

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "sfn_corpus"
SHIPPED = ROOT / "statemachines"  # every state machine we ship
SCENARIOS = CORPUS / "shipped"  # NAME.scenarios.json for each SHIPPED / NAME.asl.json
TEMPLATE = ROOT / "template.yaml"
# Moto's queued Lambda results are per region: each shipped scenario gets a region of its own (in turn),
# so that scenarios run side by side on moto. The corpus stays in REGION.
SCENARIO_REGIONS = ("us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, so ARNs in the context object agree
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sfn-differential"
MAX_SLEEP_SECONDS = 1
# A callback task's timeout covers its Lambda call too (moto's simple backend answers well within it).
TOKEN_TIMEOUT_SECONDS = 2
POLL_INTERVAL_SECONDS = 0.05
LANE_POLL_INTERVAL_SECONDS = 0.25  # scenarios polled beside the other executions: spare the CPU they need
MOTO_DEADLINE_SECONDS = 120.0
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
# Context fields that differ between two runs (or break moto's describe_execution).
TOKEN_HANDED_TO_THE_FUNCTION = '"task_token.$": "$$.Task.Token"'
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
    states: tuple[str, ...] | None = None  # the states entered, in order: compared for shipped machines only

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
MAP_RUN_THRESHOLD_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html"
CONTEXT_PAGE = "https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html"
JSON_RFC = "RFC 8259, section 7 (https://www.rfc-editor.org/rfc/rfc8259#section-7)"
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
    ("intrinsics_service_forms", 1): Divergence(
        "moto builds States.Format with Python's str.format, so the braces of '{\"count\": {}}' fail it "
        "(States.Runtime, KeyError); the service accepts unescaped braces in a quoted literal and replaces only "
        "'{}' (LocalStack's AWS-validated template JSON_MERGE_ESCAPED_ARGUMENT passes "
        f"States.StringToJson('{{\"constant_in_literal\": ...}}'); {INTRINSICS_PAGE})",
        succeeded({"json": '{"count": 3}'}),
    ),
    ("intrinsics_service_forms", 2): Divergence(
        "moto's JSONPath parser fails on a bracket name holding an escaped quote ($['it\\'s']) with "
        "States.Runtime; paths follow Jayway JsonPath, whose bracket notation takes quoted names with escapes "
        f"({SPEC}, Paths; {JAYWAY})",
        succeeded({"double": 5, "single": 5, "text": "5 times"}),
    ),
    ("intrinsics_service_forms", 3): Divergence(
        "moto's context object has no Execution.RedriveCount (States.Runtime, path not found); AWS: 'The value "
        f"of the RedriveCount context object is 0, if you've not yet redriven an execution' ({CONTEXT_PAGE})",
        succeeded({"redrives": 0, "name": "intrinsics_service_forms-3"}),
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
    ("mocked_distributed_map", 1): Divergence(
        "moto's DISTRIBUTED Map succeeds with [null] when an iteration fails; AWS: the default tolerated failure "
        "percentage 'is zero, which means that the workflow fails if any one of its child workflow executions "
        f"fails', with States.ExceedToleratedFailureThreshold ({MAP_RUN_THRESHOLD_PAGE})",
        succeeded({"contacts": [{"id": 1}], "error": "States.ExceedToleratedFailureThreshold"}),
    ),
    ("runtime_errors", 3): Divergence(
        "moto crashes ('Custom Error Names MUST NOT begin with the prefix States.') and fails with "
        "States.Runtime; the spec (JSONPath Runtime Errors): a ResultPath that cannot be applied fails with "
        "States.ResultPathMatchFailure, which is not one of the errors States.ALL cannot catch "
        f"(States.Runtime, States.DataLimitExceeded) ({SPEC}; {ERRORS_PAGE})",
        succeeded({"error": "States.ResultPathMatchFailure"}),
    ),
    ("state_names_unicode", 0): Divergence(
        "moto's parser keeps a state name's JSON escapes undecoded ('\\u00c9tape \\u2014 un', in $$.State.Name "
        "and in the history) while it decodes them in string values; the spec: 'A State Machine is represented "
        "by a JSON object' and a state's name 'is the field name' (of the States object), so JSON's escapes "
        f"apply: '\\u00c9' is 'É' ({SPEC}, Example: Hello World, States; {JSON_RFC})",
        succeeded(
            {
                "v": "é",
                "first": {"state": "Étape — un", "text": "Grüße — ok", "input": "é"},
                "second": {"state": "Étape — deux"},
            }
        ),
    ),
}


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class ScriptedCall:
    """One Lambda call a shipped machine's scenario expects: which function, with what, answering what."""

    function: str
    event: dict[str, Any]  # the fields the event must have (a subset of it)
    result: Json


@dataclass(frozen=True)
class Scenario:
    label: str
    calls: tuple[ScriptedCall, ...]
    ends_in: str  # the last state entered


@dataclass(frozen=True)
class Case:
    name: str
    index: int
    definition: dict[str, Any]  # already shortened for moto; both engines run this one (shipped: unsubstituted)
    input: Json
    functions: frozenset[str]
    # Shipped machines only: the DefinitionSubstitutions (our executor applies them, moto gets the
    # definition with them applied, as CloudFormation would deploy it) and the scripted Lambda calls.
    substitutions: Mapping[str, str] = field(default_factory=dict)
    scenario: Scenario | None = None
    region: str = REGION  # both engines run the case in this region
    # A definition with NAME.mocks.json beside it: that Step Functions Local mock configuration, and the
    # test case (named with the input) this execution runs.
    mocks: Mapping[str, Any] | None = None
    test_case: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.index)

    @property
    def id(self) -> str:
        return f"{self.name}[{self.index}]" + (f"-{self.scenario.label}" if self.scenario else "")

    @property
    def execution_name(self) -> str:
        return f"{self.name}-{self.index}"

    @property
    def shipped(self) -> bool:
        return self.scenario is not None

    @property
    def deployed_definition(self) -> str:
        """What moto runs: the definition with its substitutions applied, as JSON text.

        A shipped machine is UTF-8 text, as its file is deployed; a corpus definition is ASCII JSON
        (``\\u`` escapes for anything else), the same definition for AWS (state_names_unicode).
        """
        definition = substitute(self.definition, self.substitutions) if self.substitutions else self.definition
        return json.dumps(definition, ensure_ascii=not self.shipped)

    @property
    def queued(self) -> bool:
        return bool(self.functions - ECHO_FUNCTIONS)

    @property
    def sleeps(self) -> int:
        """How many Wait states and retriers the definition has (a rough measure of its real sleeping)."""
        return sum((state["Type"] == "Wait") + len(state.get("Retry", [])) for state in _state_groups(self.definition))


def _state_groups(group: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every state of a definition, Parallel branches and Map processors included."""
    for _, state in _named_states(group):
        yield state


def _named_states(group: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in group["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _named_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _named_states(state[key])


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
        if state["Type"] == "Task" and str(state.get("Resource", "")).endswith(".waitForTaskToken"):
            # Nobody sends the token in these runs: the wait ends by its timeout (the on_timeout path).
            state["TimeoutSeconds"] = min(state.get("TimeoutSeconds", TOKEN_TIMEOUT_SECONDS), TOKEN_TIMEOUT_SECONDS)
        for retrier in state.get("Retry", []):
            retrier["IntervalSeconds"] = min(retrier.get("IntervalSeconds", 1), MAX_SLEEP_SECONDS)
            if "BackoffRate" in retrier:
                retrier["BackoffRate"] = 1.0
    return short


def _function_name(reference: str) -> str:
    return reference.split(":")[6] if reference.startswith("arn:") else reference


def functions_used(definition: dict[str, Any], mocked: frozenset[str] = frozenset()) -> frozenset[str]:
    """The Lambda functions the definition calls, leaving out the states a mock configuration answers."""
    names = set()
    for name, state in _named_states(definition):
        if name in mocked:
            continue
        resource = state.get("Resource", "")
        if resource.startswith("arn:aws:lambda:"):
            names.add(_function_name(resource))
        elif resource.startswith("arn:aws:states:::lambda:invoke"):
            names.add(_function_name(state["Parameters"]["FunctionName"]))
    return frozenset(names)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute(definition: dict[str, Any], substitutions: Mapping[str, str]) -> dict[str, Any]:
    """``${Name}`` placeholders replaced in the definition's text, as CloudFormation does."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in substitutions, f"no DefinitionSubstitutions value for {match.group(0)}"
        return substitutions[match.group(1)]

    text = _PLACEHOLDER.sub(value, json.dumps(definition, ensure_ascii=False))
    result: dict[str, Any] = json.loads(text)
    return result


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
        mocks_file = CORPUS / f"{name}.mocks.json"
        mocks = json.loads(mocks_file.read_text()) if mocks_file.exists() else None
        mocked = MockConfig(mocks).mocked_states(name) if mocks else frozenset()
        functions = functions_used(definition, mocked)
        unknown = functions - HANDLERS.keys()
        assert not unknown, f"{path.name} calls functions with no handler here: {sorted(unknown)}"
        for index, item in enumerate(inputs):
            if mocks is None:
                cases.append(Case(name, index, definition, item, functions))
                continue
            assert set(item) == {"case", "input"}, f"{name}.inputs.json: with mocks, each entry is {{case, input}}"
            cases.append(Case(name, index, definition, item["input"], functions, mocks=mocks, test_case=item["case"]))
    return cases


_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


@dataclass(frozen=True)
class FunctionReference:
    """A DefinitionSubstitutions value naming a function of template.yaml: ``!GetAtt F.Arn`` or ``!Ref F``."""

    function: str  # its logical id, the fake function's name on both engines
    arn: bool

    def fake(self, region: str) -> str:
        return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{self.function}" if self.arn else self.function


def template_substitutions() -> dict[Path, dict[str, FunctionReference]]:
    """Each state machine file's DefinitionSubstitutions in template.yaml (the test knows only functions)."""
    resources: dict[str, dict[str, Any]] = load_template(TEMPLATE)["Resources"]
    functions = {logical_id for logical_id, resource in resources.items() if resource.get("Type") in _FUNCTION_TYPES}
    found: dict[Path, dict[str, FunctionReference]] = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        uri = properties.get("DefinitionUri")
        if resource.get("Type") != "AWS::Serverless::StateMachine" or not isinstance(uri, str):
            continue
        values: dict[str, FunctionReference] = {}
        for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
            match value:
                case {"Fn::GetAtt": [str(function), "Arn"]} if function in functions:
                    values[key] = FunctionReference(function, arn=True)
                case {"Ref": str(function)} if function in functions:
                    values[key] = FunctionReference(function, arn=False)
                case _:
                    raise AssertionError(
                        f"template.yaml {logical_id}: DefinitionSubstitutions {key} = {value!r} is not a function "
                        "reference; teach the differential test a fake value for it"
                    )
        found[(ROOT / uri).resolve()] = values
    return found


def _scenario(item: dict[str, Any], functions: frozenset[str], where: str) -> Scenario:
    calls = tuple(ScriptedCall(call["function"], call.get("event", {}), call["result"]) for call in item["calls"])
    unknown = {call.function for call in calls} - functions
    assert not unknown, f"{where}: the definition calls no function {sorted(unknown)}"
    return Scenario(item["scenario"], calls, item["ends_in"])


def load_shipped(taken: set[str]) -> list[Case]:
    """A case per scenario of every shipped state machine that has a scenarios file."""
    substitutions = template_substitutions()
    cases: list[Case] = []
    for path in sorted(SHIPPED.glob("*.asl.json")):
        name = path.name.removesuffix(".asl.json")
        scenarios_path = SCENARIOS / f"{name}.scenarios.json"
        if not scenarios_path.exists():
            continue  # test_given_the_shipped_state_machines_when_collected_then_each_has_scenarios says so
        assert name not in taken, f"statemachines/{path.name} has the name of a corpus definition"
        text = path.read_text()
        # A journey's callback tasks hand their token to the step function (its input, never the output).
        checked = text.replace(TOKEN_HANDED_TO_THE_FUNCTION, "")
        for forbidden in FORBIDDEN_IN_CORPUS:
            assert forbidden not in checked, f"statemachines/{path.name}: {forbidden} differs between runs"
        references = substitutions.get(path.resolve(), {})
        definition = shorten(json.loads(text))
        scenarios = json.loads(scenarios_path.read_text())
        assert isinstance(scenarios, list) and scenarios, f"{scenarios_path.name} must be a non-empty list"
        for index, item in enumerate(scenarios):
            region = SCENARIO_REGIONS[len(cases) % len(SCENARIO_REGIONS)]
            values = {key: reference.fake(region) for key, reference in references.items()}
            functions = functions_used(substitute(definition, values))
            scenario = _scenario(item, functions, f"{scenarios_path.name}[{index}]")
            cases.append(Case(name, index, definition, item["input"], functions, values, scenario, region))
    return cases


_CORPUS_CASES = load_corpus()
CASES = _CORPUS_CASES + load_shipped({case.name for case in _CORPUS_CASES})
SHIPPED_CASES = [case for case in CASES if case.shipped]


# ---------------------------------------------------------------- our executor


class ScriptError(Exception):
    """A shipped machine made a Lambda call its scenario does not script."""


class Script:
    """The handlers a scenario scripts: each call is checked against the next scripted one and answered."""

    def __init__(self, scenario: Scenario) -> None:
        self.remaining = list(scenario.calls)
        self.problems: list[str] = []
        self.made = 0

    def handler(self, function: str) -> Handler:
        def call(event: Json, context: Any) -> Json:
            self.made += 1
            if not self.remaining:
                self.problems.append(f"call {self.made}: {function}({json.dumps(event)}) is not in the script")
                raise ScriptError(function)
            expected = self.remaining.pop(0)
            carried = {key: event.get(key) for key in expected.event} if isinstance(event, dict) else event
            if expected.function != function or carried != expected.event:
                self.problems.append(
                    f"call {self.made}: {function}({json.dumps(event)}), the script expects "
                    f"{expected.function} with {json.dumps(expected.event)}"
                )
            return expected.result

        return call

    def finish(self) -> list[str]:
        if self.remaining:
            self.problems.append(f"{len(self.remaining)} scripted call(s) never made")
        return self.problems


def run_ours(case: Case, calls: list[Json], problems: list[str]) -> Outcome:
    """Run one case to completion on the virtual clock; every Lambda result is appended to `calls`.

    A shipped machine's case calls its scenario's script; what goes against the script is appended to
    `problems`, and the outcome carries the states entered.
    """

    def recording(handler: Handler) -> Handler:
        def call(event: Json, context: Any) -> Json:
            result = handler(event, context)
            calls.append(result)
            return result

        return call

    mock_config = MockConfig(case.mocks) if case.mocks else None
    sfn = LocalStepFunctions(region=case.region, account=ACCOUNT, mock_config=mock_config)
    script = Script(case.scenario) if case.scenario else None
    handlers = {name: script.handler(name) for name in case.functions} if script else HANDLERS
    for name, handler in handlers.items():
        sfn.register_handler(name, recording(handler))
    arn = sfn.create_state_machine(case.name, case.definition, substitutions=case.substitutions, role_arn=ROLE_ARN)
    execution = sfn.start_execution(arn, json.dumps(case.input), name=case.execution_name, test_case=case.test_case)
    sfn.run_until_idle()
    outcome = Outcome.of(execution.status, execution.output_text, execution.error, execution.cause)
    if script is None:
        return outcome
    problems.extend(script.finish())
    return dataclasses.replace(outcome, states=tuple(execution.states_entered))


@dataclass(frozen=True)
class OurRun:
    outcome: Outcome
    lambda_results: list[Json]
    script_problems: list[str]  # shipped machines: calls that went against the scenario's script


@pytest.fixture(scope="module")
def ours() -> dict[tuple[str, int], OurRun]:
    runs = {}
    for case in CASES:
        calls: list[Json] = []
        problems: list[str] = []
        outcome = run_ours(case, calls, problems)
        runs[case.key] = OurRun(outcome, calls, problems)
    return runs


# ---------------------------------------------------------------- moto


def _echo_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _poll(
    clients: Mapping[str, Any],
    started: dict[tuple[str, int], str],
    deadline: float,
    interval: float = POLL_INTERVAL_SECONDS,
) -> dict[tuple[str, int], Outcome]:
    """Wait for the executions (by ARN, each described through its region's client in `clients`)."""
    outcomes: dict[tuple[str, int], Outcome] = {}
    pending = dict(started)
    while pending:
        for key, arn in list(pending.items()):
            answer = clients[_region_of(arn)].describe_execution(executionArn=arn)
            if answer["status"] != "RUNNING":
                outcomes[key] = Outcome.of(
                    answer["status"], answer.get("output"), answer.get("error"), answer.get("cause")
                )
                del pending[key]
        if pending:
            if time.monotonic() > deadline:
                pytest.fail(f"moto executions still running after {MOTO_DEADLINE_SECONDS} s: {sorted(pending)}")
            time.sleep(interval)
    return outcomes


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _states_entered(sfn: Any, arn: str) -> tuple[str, ...]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return tuple(
        event["stateEnteredEventDetails"]["name"]
        for page in pages
        for event in page["events"]
        if "stateEnteredEventDetails" in event
    )


def moto_test_case(case: Case) -> Any:
    """The case's mock test case, built with moto's own classes. Moto 5.2.5 carries Step Functions
    Local's mocking in its interpreter (Environment.is_mocked_mode) but no loader for the file."""
    from moto.stepfunctions.parser.mocking import mock_config as moto_mocks

    assert case.mocks is not None and case.test_case is not None
    states = []
    for state, response_name in case.mocks["StateMachines"][case.name]["TestCases"][case.test_case].items():
        entries = []
        for invocations, outcome in case.mocks["MockedResponses"][response_name].items():
            first, _, last = invocations.partition("-")
            span = (int(first), int(last or first))
            if "Return" in outcome:
                entries.append(moto_mocks.MockedResponseReturn(*span, outcome["Return"]))
            else:
                thrown = outcome["Throw"]
                entries.append(moto_mocks.MockedResponseThrow(*span, thrown["Error"], thrown.get("Cause", "")))
        states.append(moto_mocks.StateMockedResponses(state, response_name, entries))
    return moto_mocks.MockTestCase(case.name, case.test_case, states)


@contextlib.contextmanager
def moto_mock_test_cases(cases: list[Case]) -> Iterator[None]:
    """Give each of moto's executions of a mocked case its test case, found by execution name."""
    from moto.stepfunctions.parser.backend.execution import Execution

    by_name = {case.execution_name: moto_test_case(case) for case in cases if case.test_case is not None}
    start_worker = Execution._get_start_execution_worker

    def with_test_case(execution: Any) -> Any:
        worker = start_worker(execution)
        worker._mock_test_case = by_name.get(execution.name)
        return worker

    with mock.patch.object(Execution, "_get_start_execution_worker", with_test_case):
        yield


@pytest.fixture(scope="module")
def moto_outcomes(ours: dict[tuple[str, int], OurRun]) -> Iterator[dict[tuple[str, int], Outcome]]:
    from moto.awslambda_simple.models import lambda_simple_backends

    deadline = time.monotonic() + MOTO_DEADLINE_SECONDS
    regions = sorted({REGION} | {case.region for case in CASES})
    with mock_aws(config=MOTO_CONFIG), moto_mock_test_cases(CASES):
        boto3.client("iam", region_name=REGION).create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument="{}"
        )
        functions = {region: set() if region != REGION else set(HANDLERS) for region in regions}
        for case in CASES:
            functions[case.region] |= case.functions
        for region in regions:
            lambda_client = boto3.client("lambda", region_name=region)
            for function in sorted(functions[region]):
                lambda_client.create_function(
                    FunctionName=function,
                    Runtime="python3.13",
                    Role=ROLE_ARN,
                    Handler="handler.handler",
                    Code={"ZipFile": _echo_zip()},
                )
        clients = {region: boto3.client("stepfunctions", region_name=region) for region in regions}
        machines: dict[tuple[str, str], str] = {}
        for case in CASES:
            if (case.region, case.name) not in machines:
                machines[case.region, case.name] = clients[case.region].create_state_machine(
                    name=case.name, definition=case.deployed_definition, roleArn=ROLE_ARN
                )["stateMachineArn"]

        def start(case: Case) -> str:
            arn: str = clients[case.region].start_execution(
                stateMachineArn=machines[case.region, case.name],
                name=case.execution_name,
                input=json.dumps(case.input),
            )["executionArn"]
            return arn

        def run_queued(cases: list[Case], interval: float = POLL_INTERVAL_SECONDS) -> dict[tuple[str, int], Outcome]:
            """One region's cases one at a time: each gets exactly the results our executor's handlers gave."""
            # The queue behind moto's documented POST /moto-api/static/lambda-simple/response, used directly
            # so that it can be emptied and checked between cases.
            results_queue: list[str] = lambda_simple_backends[ACCOUNT][cases[0].region].lambda_simple_results_queue
            outcomes: dict[tuple[str, int], Outcome] = {}
            for case in cases:
                results_queue.clear()
                results_queue.extend(json.dumps(result) for result in ours[case.key].lambda_results)
                started[case.key] = start(case)
                outcomes.update(_poll(clients, {case.key: started[case.key]}, deadline, interval))
                assert not results_queue, (
                    f"{case.key}: moto invoked Lambda fewer times than our executor "
                    f"({len(results_queue)} queued results left)"
                )
            return outcomes

        # Queued Lambda results are shared by every invocation in a region: one case at a time in each
        # region. The shipped scenarios' regions run in threads, side by side and beside everything else;
        # REGION's own queued cases wait for the concurrent cases (echo calls, in REGION too) to finish.
        lanes: dict[str, list[Case]] = {}
        for case in CASES:
            if case.queued:
                lanes.setdefault(case.region, []).append(case)
        here = lanes.pop(REGION, [])
        started: dict[tuple[str, int], str] = {}
        with ThreadPoolExecutor(max_workers=len(lanes) or 1) as pool:
            elsewhere = [pool.submit(run_queued, lane, LANE_POLL_INTERVAL_SECONDS) for lane in lanes.values()]
            # Everything that needs no queued Lambda result, all at once, those that sleep first (starting
            # an execution costs moto tens of milliseconds, so the sleeps overlap with the other starts).
            concurrent = sorted((case for case in CASES if not case.queued), key=lambda case: -case.sleeps)
            arns = {case.key: start(case) for case in concurrent}
            started.update(arns)
            outcomes = _poll(clients, arns, deadline)
            if here:
                outcomes.update(run_queued(here))
            for lane in elsewhere:
                outcomes.update(lane.result())
        for case in SHIPPED_CASES:
            states = _states_entered(clients[case.region], started[case.key])
            outcomes[case.key] = dataclasses.replace(outcomes[case.key], states=states)
        yield outcomes


# ---------------------------------------------------------------- the tests


def test_given_the_corpus_when_loaded_then_it_covers_enough_definitions() -> None:
    assert len({case.name for case in CASES}) >= 20
    assert any(case.queued for case in CASES) and any(case.functions == ECHO_FUNCTIONS for case in CASES)


def test_given_the_divergence_table_when_checked_then_every_entry_names_a_corpus_case() -> None:
    keys = {case.key for case in CASES}
    assert set(KNOWN_MOTO_DIVERGENCES) <= keys


def test_given_the_shipped_state_machines_when_collected_then_each_has_scenarios() -> None:
    shipped = {path.name.removesuffix(".asl.json") for path in SHIPPED.glob("*.asl.json")}
    assert shipped, f"no state machine in {SHIPPED}"
    missing = sorted(
        f"{SCENARIOS.relative_to(ROOT)}/{name}.scenarios.json" for name in shipped - {c.name for c in SHIPPED_CASES}
    )
    assert not missing, f"every state machine we ship runs in this test: write {', '.join(missing)}"
    orphans = {path.name.removesuffix(".scenarios.json") for path in SCENARIOS.glob("*.scenarios.json")} - shipped
    assert not orphans, f"scenarios for no shipped state machine: {sorted(orphans)}"


@pytest.mark.parametrize("case", SHIPPED_CASES, ids=[case.id for case in SHIPPED_CASES])
def test_given_a_shipped_scenario_when_run_on_our_executor_then_it_follows_its_script(
    case: Case, ours: dict[tuple[str, int], OurRun]
) -> None:
    assert case.scenario is not None
    run = ours[case.key]
    assert not run.script_problems, f"input {json.dumps(case.input)}"
    assert run.outcome.states and run.outcome.states[-1] == case.scenario.ends_in, run.outcome.states


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_given_a_corpus_case_when_run_on_both_engines_then_they_agree(
    case: Case, ours: dict[tuple[str, int], OurRun], moto_outcomes: dict[tuple[str, int], Outcome]
) -> None:
    mine, theirs = ours[case.key].outcome, moto_outcomes[case.key]
    divergence = KNOWN_MOTO_DIVERGENCES.get(case.key)
    if divergence is None:
        assert mine == theirs, f"input {json.dumps(case.input)}; moto's output {theirs.output}"
    else:
        assert mine == divergence.expected, divergence.why
        assert theirs != divergence.expected, "moto now does what AWS documents: drop the table entry"

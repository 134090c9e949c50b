"""The whole cold start of each Lambda function, beside a bare `import boto3`, in fresh interpreters.

A handler that defers its imports to the first invocation still makes the user wait for them, so
importing the handler module alone says little. For each function this bench:

1. discovers, in a subprocess, what a realistic first invocation loads: the handler is imported
   and invoked once on moto (in-process) with a realistic first event (see the scenarios below: the
   sample events from events/, journey_step's for the contact that applying the sample SQS batch
   creates), and every import statement the handler's
   code path executes is recorded (module and names imported, already loaded or not), together
   with the boto3 clients it creates. Imports made while moto's code is on the stack are moto's
   and are left out; so are moto itself, this bench and the fixtures it seeds beforehand;
2. replays that in fresh interpreters: the imports made while the handler module was imported
   (Lambda's init phase), then those of the first invocation and the same boto3 clients (which
   makes botocore load their service models and endpoint rules), and times both. A check fails
   the bench if the replay left out a module the invocation loaded outside moto.

Counted: imports (module bodies run, so a handler's module-level objects and every pydantic model
defined at import are built), botocore's data files for the clients the handler creates, the
client objects, and the one-time builds listed in FIRST_USE_BUILDS that the invocation made (the
journey catalogue: its YAML files parsed and validated). Not counted: interpreter start-up (the same
for every function and for the baseline), the rest of the first invocation's own work that is not
an import (settings validation, the SSM read, network round trips, the event TypeAdapter, Jinja2
compiling a template), moto and the bench.
So a change that moves work from an import to first use (pydantic's `defer_build`, say) would look
cheaper here without being cheaper: compare such changes some other way.

Times are CPU time of the measured process (`time.process_time`): Lambda runs init at full CPU,
and CPU time does not count the waits for a core that a busy development machine adds. Each
figure is the median of 5 fresh interpreters; the functions and the baseline are interleaved.
`_init` and `_first_invoke` split a function's figure (`_clients` and `_builds` are part of the
first invocation).
The profile lines come from 3 more `python -X importtime` runs per function (median self times,
which the profiler inflates a little): per group of packages, a module outside the groups counted
for the group that imported it, then the slowest modules.

    .venv/bin/python bench/coldstart.py
"""

from __future__ import annotations

import argparse
import builtins
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
FUNCTIONS = ("ingest", "process", "journey_step", "engagement", "reconcile_sends", "lapsed_scan")
REGION = "us-east-1"
# What Lambda gives every function (credentials as environment variables, region) and what the
# template sets; client creation resolves credentials, so they must be there.
LAMBDA_ENVIRON = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "nurture",
    "LOG_LEVEL": "WARNING",
}
# Top-level packages of the test harness: imports made while one of them is running are not
# the handler's.
HARNESS = frozenset({"moto", "responses", "werkzeug"})
GROUPS = {
    "boto3/botocore": ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"),
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection"),
    "powertools": ("aws_lambda_powertools", "aws_xray_sdk", "wrapt"),
    "jinja2": ("jinja2", "markupsafe"),
    "nurture": ("nurture", "functions"),
}
TOP_MODULES = 8
PROFILE_RUNS = 3
OTHER = "stdlib/other"


# --- discovery (runs in a subprocess: `coldstart.py --discover NAME`) -------------------------


class ImportRecorder:
    """Records the imports and boto3 clients of the code under test, not those of the harness.

    Imports are recorded in the order they start (an importer before what it imports), so that a
    replay imports them the same way and `-X importtime` charges each module to its importer.
    """

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, list[str]]] = {}  # phase -> module -> names imported from it
        self.clients: list[str] = []
        self.loaded: set[str] = set()  # modules that were not loaded yet, found for the code under test
        self._imports: dict[str, list[str]] = {}

    @staticmethod
    def _from_harness() -> bool:
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            if str(frame.f_globals.get("__name__", "")).partition(".")[0] in HARNESS:
                return True
            frame = frame.f_back
        return False

    def _record(self, module: str, names: Sequence[str]) -> None:
        if module.partition(".")[0] in HARNESS or self._from_harness():
            return
        known = self._imports.setdefault(module, [])
        known.extend(name for name in names if name != "*" and name not in known)

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """A meta path finder that finds nothing: it notes which modules load for the code under test."""
        if name.partition(".")[0] not in HARNESS and not self._from_harness():
            self.loaded.add(name)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self._imports = self.phases.setdefault(name, {})
        yield

    @contextmanager
    def recording(self) -> Iterator[None]:
        import botocore.session

        original_import = builtins.__import__
        original_import_module = importlib.import_module
        original_create_client = botocore.session.Session.create_client

        def traced_import(
            name: str,
            globals: Mapping[str, object] | None = None,
            locals: Mapping[str, object] | None = None,
            fromlist: Sequence[str] | None = (),
            level: int = 0,
        ) -> Any:
            absolute = name
            if level:
                absolute = importlib.util.resolve_name("." * level + name, str((globals or {}).get("__package__")))
            self._record(absolute, fromlist or ())
            return original_import(name, globals, locals, fromlist, level)

        def traced_import_module(name: str, package: str | None = None) -> Any:
            self._record(importlib.util.resolve_name(name, package) if name.startswith(".") else name, ())
            return original_import_module(name, package)

        def traced_create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            if not self._from_harness():
                self.clients.append(service_name)
            return original_create_client(session, service_name, *args, **kwargs)

        builtins.__import__ = traced_import
        importlib.import_module = traced_import_module
        setattr(botocore.session.Session, "create_client", traced_create_client)  # noqa: B010 - mypy: method
        sys.meta_path.insert(0, self)
        try:
            yield
        finally:
            sys.meta_path.remove(self)
            builtins.__import__ = original_import
            importlib.import_module = original_import_module
            setattr(botocore.session.Session, "create_client", original_create_client)  # noqa: B010


def _sample_event(name: str) -> Any:
    return json.loads((ROOT / "events" / name).read_text())


def _create_table(name: str) -> str:
    import boto3

    from tests.conftest import create_nurture_table

    return create_nurture_table(boto3.client("dynamodb", region_name=REGION), name)


def _welcome_state_machine(journey: str = "welcome") -> str:
    import boto3

    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    answer = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=f"nurture-journey-{journey}", definition=definition, roleArn=f"arn:aws:iam::123456789012:role/{journey}"
    )
    return answer["stateMachineArn"]


def _ingest_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    import boto3

    from nurture_local.runtime.environment import LocalConfig

    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"]
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/nurture/webhook-secrets", Value=json.dumps(LocalConfig().webhook_secrets), Type="SecureString"
    )
    environ = {
        "EVENTS_QUEUE_URL": queue_url,
        "TABLE_NAME": _create_table("nurture"),
        "WEBHOOK_SECRETS_PARAMETER": "/nurture/webhook-secrets",
    }

    def check(response: Any) -> None:
        assert response["statusCode"] == 202, response

    return environ, _sample_event("ingest-shopify-customers-create.json"), check


def _process_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    # The sample batch: the contact's upsert, then its consent event, which starts the welcome and
    # acquisition nurture journeys: the router (catalogue loaded on this first use) writes the
    # enrolments and calls StartExecution on moto's state machines named with the prefix. Insights
    # are on, as in the stack (EVENTS_QUEUE_URL): each event assesses the contact (scoring model,
    # segments and predictive weights loaded on first use; the contact's recent events queried).
    import boto3

    state_machine = _welcome_state_machine()
    nurture = _welcome_state_machine("acquisition_nurture")
    environ = {
        "TABLE_NAME": _create_table("nurture"),
        "JOURNEY_STATE_MACHINE_PREFIX": state_machine.removesuffix("welcome"),
        "EVENT_RETENTION_DAYS": "400",
        "EVENTS_QUEUE_URL": boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"],
    }

    def check(response: Any) -> None:
        assert response == {"batchItemFailures": []}, response
        client = boto3.client("stepfunctions", region_name=REGION)
        for arn, journey in ((state_machine, "welcome-"), (nurture, "acquisition_nurture-")):
            names = [execution["name"] for execution in client.list_executions(stateMachineArn=arn)["executions"]]
            assert len(names) == 1 and names[0].startswith(journey), names
        items = boto3.client("dynamodb", region_name=REGION).scan(TableName=environ["TABLE_NAME"])["Items"]
        assert any(item["sk"]["S"] == "PROFILE" and "scores" in item for item in items), "the contact was not assessed"

    return environ, _sample_event("process-sqs-batch.json"), check


def _sending_environment(table: str) -> dict[str, str]:
    """What JourneyStepFunction and ReconcileSendsFunction read: the sender, its secret, SES set up on moto."""
    import boto3

    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="hello@nurture.local")
    boto3.client("sesv2", region_name=REGION).create_configuration_set(ConfigurationSetName="nurture-events")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/nurture/unsubscribe-secret", Value="an-unsubscribe-secret", Type="SecureString"
    )
    return {
        "TABLE_NAME": table,
        "SENDER_ADDRESS": "hello@nurture.local",
        "CONFIGURATION_SET": "nurture-events",
        "UNSUBSCRIBE_BASE_URL": "https://nurture.localhost/unsubscribe",
        "UNSUBSCRIBE_SECRET_PARAMETER": "/nurture/unsubscribe-secret",
    }


def _journey_step_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    # The welcome journey's first Task (events/journey-step-welcome-send.json) for the contact the
    # sample SQS batch creates (subscribed to email), with the running enrolment the router wrote:
    # the enrolment is read, the catalogue loaded, the send claimed and the email sent on moto's SES.
    import boto3

    from nurture.adapters.dynamodb_profiles import ProfileRepository
    from nurture.events import parse_event
    from tests.sending import NO_DELIVERY_LIMITS, put_enrolment, sent_messages

    table = _create_table("nurture")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    profiles = ProfileRepository(table, dynamodb, event_retention_days=400)
    (contact_id,) = {profiles.apply(parse_event(record["body"])).contact_id for record in _process_records()}
    # Contact ids are drawn at random: the sample's contact, enrolment and execution become this one's.
    sample = _sample_event("journey-step-welcome-send.json")
    enrolment = put_enrolment(dynamodb, table, contact_id)
    event = {
        **json.loads(json.dumps(sample).replace(sample["contact_id"], contact_id)),
        "enrolment": {"id": enrolment, "key": None, "occurrence": 1},
    }
    assert event["execution"].endswith(f":{enrolment}"), event
    # Whatever the hour the bench runs at: a send deferred by quiet hours in the contact's zone
    # would load less than the first send it is meant to measure.
    environ = {**_sending_environment(table), **NO_DELIVERY_LIMITS}

    def check(response: Any) -> None:
        assert response["status"] == "sent" and response["next_at"], response
        assert len(sent_messages("123456789012", REGION)) == 1

    return environ, event, check


def _process_records() -> list[Any]:
    records: list[Any] = _sample_event("process-sqs-batch.json")["Records"]
    return records


def _engagement_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    # SES's published Click event in SNS's envelope, for a welcome email sent by a task that waits
    # for a click (its token on the send claim): the claim is read, the waiting execution resumed
    # (SendTaskSuccess; moto takes any token), the token dropped, an email.clicked queued on SQS.
    from datetime import UTC, datetime, timedelta

    import boto3

    from nurture.adapters.dynamodb_sends import SendLedger
    from nurture.messaging.claims import AwaitedEngagement, SendKey
    from tests.sending import secret_in_ssm, ses_notification

    table = _create_table("nurture")
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
    contact_id = "5fd9746836664c3086d0fb88fb7f38e5"
    key = SendKey(contact_id, "welcome", "welcome", f"welcome-{contact_id}-1")
    claim_id = "0d6b4d4c3f2a4e0c9a51c1f0b7e2a9d3"
    at = datetime.now(UTC)
    awaited = AwaitedEngagement("a-task-token", "email.clicked", at + timedelta(days=1))
    ledger = SendLedger(table, boto3.client("dynamodb", region_name=REGION))
    assert ledger.claim(key, claim_id=claim_id, execution="welcome", attempt=0, at=at, awaited=awaited)
    ledger.start_sending(key, claim_id=claim_id, at=at)
    ledger.record_sent(key, claim_id=claim_id, message_id="a-message-id", at=at)
    tags = {"contact_id": contact_id, "journey": "welcome", "step": "welcome", "enrolment": key.enrolment}
    event = ses_notification(["ses_event_click.json"], {**tags, "claim_id": claim_id})
    # Its cold start reads the secret its suppression key is derived from (docs/delivery.md).
    environ = {"TABLE_NAME": table, "EVENTS_QUEUE_URL": queue_url, **secret_in_ssm()}

    def check(response: Any) -> None:
        assert response.get("resumed") == 1 and response.get("events_queued") == 1, response
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        assert len(messages) == 1 and '"email.clicked"' in messages[0]["Body"], messages
        record = ledger.get(key)
        assert record is not None and record.awaited is None, record

    return environ, event, check


def _reconcile_sends_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    # The scheduled run over an empty 'unsettled' index: every shard queried, nothing to re-send.
    environ = _sending_environment(_create_table("nurture"))

    def check(response: Any) -> None:
        assert isinstance(response, dict), response

    return environ, _sample_event("reconcile-sends-schedule.json"), check


def _lapsed_scan_scenario() -> tuple[dict[str, str], Any, Callable[[Any], None]]:
    # The first daily run (no cursor: today only) with one contact whose last order is 90 days old:
    # the 'lapsed' index queried, the profile read, one contact.lapsed sent to the events queue.
    from datetime import UTC, datetime, timedelta

    import boto3

    table = _create_table("nurture")
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
    last_order = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0) - timedelta(days=90)
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=table,
        Item={
            "pk": {"S": "CONTACT#c-lapsed"},
            "sk": {"S": "PROFILE"},
            "item_type": {"S": "profile"},
            "contact_id": {"S": "c-lapsed"},
            "last_order_at": {"S": last_order.isoformat(timespec="microseconds")},
            "last_order_day": {"S": last_order.date().isoformat()},
        },
    )
    environ = {"TABLE_NAME": table, "EVENTS_QUEUE_URL": queue_url}

    def check(response: Any) -> None:
        assert response["days_scanned"] == 1 and response["events"] == 1, response
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        assert len(messages) == 1 and '"contact.lapsed"' in messages[0]["Body"], messages

    # The EventBridge schedule's event (not read by the function), as for the reconciler.
    return environ, _sample_event("reconcile-sends-schedule.json"), check


# One-time builds of a first invocation that are not imports but can cost as much, each cached for
# the process by a `functools.cache` function: replayed after the clients when the discovery saw
# its cache filled, and timed as part of the first invocation (`_builds`).
FIRST_USE_BUILDS = (("nurture.journeys.catalogue", "default_catalogue"),)  # the journey catalogue


def _was_built(module: str, call: str) -> bool:
    loaded = sys.modules.get(module)
    return loaded is not None and getattr(loaded, call).cache_info().currsize > 0


SCENARIOS = {
    "ingest": _ingest_scenario,
    "process": _process_scenario,
    "journey_step": _journey_step_scenario,
    "engagement": _engagement_scenario,
    "reconcile_sends": _reconcile_sends_scenario,
    "lapsed_scan": _lapsed_scan_scenario,
}


def discover(function: str) -> dict[str, Any]:
    """Invoke the function once on moto; return what it imported and which clients it created."""
    os.environ.update(LAMBDA_ENVIRON)
    sys.path.insert(0, str(ROOT))  # functions/ and tests/, as for `python -c` run from the root
    from moto import mock_aws

    with mock_aws():
        environ, event, check = SCENARIOS[function]()
        assert not any(_was_built(*build) for build in FIRST_USE_BUILDS), "built by the set-up, not the handler"
        os.environ.update(environ)
        recorder = ImportRecorder()
        with recorder.recording():
            with recorder.phase("init"):
                app = importlib.import_module(f"functions.{function}.app")
            with recorder.phase("first_invoke"):
                response = app.lambda_handler(event, _LambdaContext())
        check(response)
    return {
        "init": list(recorder.phases["init"].items()),
        "first_invoke": list(recorder.phases["first_invoke"].items()),
        "clients": recorder.clients,
        "builds": [build for build in FIRST_USE_BUILDS if _was_built(*build)],
        "new_modules": sorted(recorder.loaded & set(sys.modules)),  # not the optional ones that failed
    }


class _LambdaContext:
    function_name = "coldstart"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:coldstart"
    memory_limit_in_mb = 1024
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/coldstart"
    log_stream_name = "coldstart"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- measurement (fresh interpreters) ---------------------------------------------------------

# Replays a discovery in a fresh interpreter: the module-level imports (Lambda's init phase), then
# the first invocation's imports and clients; prints the CPU seconds of each and the modules the
# invocation loaded that the replay did not. An import that failed in the handler (an optional
# dependency) fails here too, at the same cost.
REPLAY = """
import json, sys, time
plan = json.loads(sys.argv[1])

def replay(imports):
    for module, names in imports:
        try:
            __import__(module, fromlist=names)
        except ImportError:
            pass

start = time.process_time()
replay(plan["init"])
init = time.process_time()
replay(plan["first_invoke"])
invoked = time.process_time()
if plan["clients"]:
    import boto3
    for service in plan["clients"]:
        boto3.client(service)
clients = time.process_time()
for module, call in plan["builds"]:
    getattr(sys.modules[module], call)()
done = time.process_time()
missing = sorted(set(plan["new_modules"]) - set(sys.modules))
print(json.dumps({
    "init": init - start,
    "first_invoke": done - init,
    "clients": clients - invoked,
    "builds": done - clients,
    "missing": missing,
}))
"""


def _fresh_python(code: str, *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        cwd=ROOT,
        env={**_clean_environ(), **LAMBDA_ENVIRON},
        check=True,
        capture_output=True,
        text=True,
    )


def _clean_environ() -> dict[str, str]:
    # Nothing from the developer's AWS configuration may change what botocore loads.
    return {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BOTO"))}


def _discovery(function: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--discover", function],
        cwd=ROOT,
        env=_clean_environ(),
        check=True,
        capture_output=True,
        text=True,
    )
    plan: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return plan


def _replay(plan: Mapping[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(_fresh_python(REPLAY, json.dumps(plan)).stdout)
    if answer["missing"]:
        raise SystemExit(f"the replay did not load what the invocation loaded: {answer['missing']}")
    return answer


def _boto3_seconds() -> float:
    code = "import time; t = time.process_time(); import boto3; print(time.process_time() - t)"
    return float(_fresh_python(code).stdout)


def _profile(plan: Mapping[str, Any]) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Import self times (seconds, medians of a few `-X importtime` runs) per group and the slowest
    modules. A module outside the groups (the standard library, mostly) counts for the group of the
    module that imported it first."""
    group_runs: dict[str, list[float]] = {}
    module_runs: dict[str, list[float]] = {}
    for _ in range(PROFILE_RUNS):
        stderr = _fresh_python(REPLAY, json.dumps(plan), importtime=True).stderr
        groups = dict.fromkeys([*GROUPS, OTHER], 0.0)
        stack: list[tuple[int, str]] = []  # (depth, group) of the importers of the current line
        # Children are printed before their importer: read backwards to meet the importer first.
        for line in reversed(stderr.splitlines()):
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _cumulative, raw_name = line.removeprefix("import time:").split("|")
            name = raw_name.strip()
            depth = (len(raw_name) - len(raw_name.lstrip()) - 1) // 2
            while stack and stack[-1][0] >= depth:
                stack.pop()
            top = name.partition(".")[0]
            group = next((group for group, packages in GROUPS.items() if top in packages), None)
            group = group or (stack[-1][1] if stack else OTHER)
            stack.append((depth, group))
            groups[group] += int(self_us) / 1e6
            module_runs.setdefault(name, []).append(int(self_us) / 1e6)
        for group, seconds in groups.items():
            group_runs.setdefault(group, []).append(seconds)
    medians = {name: statistics.median(runs) for name, runs in module_runs.items()}
    slowest = sorted(medians.items(), key=lambda item: item[1], reverse=True)[:TOP_MODULES]
    return {group: statistics.median(runs) for group, runs in group_runs.items()}, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discover", choices=FUNCTIONS, help=argparse.SUPPRESS)
    parser.add_argument("functions", nargs="*", help=f"some of {', '.join(FUNCTIONS)} (default: all)")
    args = parser.parse_args()
    if unknown := set(args.functions) - set(FUNCTIONS):
        parser.error(f"unknown functions: {sorted(unknown)}")
    if args.discover:
        print(json.dumps(discover(args.discover)))
        return

    plans = {function: _discovery(function) for function in args.functions or FUNCTIONS}
    baseline: list[float] = []
    runs: dict[str, list[dict[str, float]]] = {function: [] for function in plans}
    for _ in range(RUNS):  # interleaved, so that a slow moment of the machine hits everyone alike
        baseline.append(_boto3_seconds())
        for function, plan in plans.items():
            runs[function].append(_replay(plan))

    boto3_median = statistics.median(baseline)
    print(f"import_boto3: {boto3_median * 1000:.0f} ms")
    for function in plans:
        median = statistics.median(run["init"] + run["first_invoke"] for run in runs[function])
        print(f"coldstart_{function}: {median * 1000:.0f} ms")
        print(f"coldstart_{function}_vs_boto3: {median / boto3_median:.2f} x")
    for function, plan in plans.items():
        for part in ("init", "first_invoke", "clients", "builds"):
            median = statistics.median(run[part] for run in runs[function])
            print(f"coldstart_{function}_{part}: {median * 1000:.0f} ms")
        print(f"coldstart_{function}_client_count: {len(plan['clients'])} ({', '.join(plan['clients'])})")
        built = ", ".join(f"{module}.{call}" for module, call in plan["builds"]) or "none"
        print(f"coldstart_{function}_build_count: {len(plan['builds'])} ({built})")
        groups, slowest = _profile(plan)
        for group, seconds in groups.items():
            print(f"coldstart_{function}_self_{group}: {seconds * 1000:.0f} ms")
        for module, seconds in slowest:
            print(f"coldstart_{function}_slowest_{module}: {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()

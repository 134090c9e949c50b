"""`nurture journeys`: build and check the committed state machines, write the definition schema, and
measure each journey's main path on the local executor (what it costs per 1,000 contacts).

The main path is what a contact who never engages and never exits goes through: every send answers
``sent``, no token task is ever resumed (its engagement timeout fires), a branch takes its default
arm. Transitions are counted, not estimated: the compiled definition runs on the virtual clock with a
stand-in JourneyStepFunction answering per the contract (docs/journeys.md, "`nurture journeys`").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nurture.journeys.catalogue import Catalogue, load_catalogue
from nurture.journeys.compiler import compile_journey, entry_wait, render_definition
from nurture.journeys.definition import Journey, SendStep, journey_json_schema, walk_steps
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import LambdaContext, LocalStepFunctions

CATALOGUE = Path("layers/common/nurture/catalogue")
STATE_MACHINES = Path("statemachines")
SCHEMA = Path("docs/journey.schema.json")

# List prices (us-east-1, 2026), per unit.
STATE_TRANSITION_USD = 0.025 / 1_000
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
LAMBDA_GB_SECOND_USD = 0.0000133334  # arm64
LAMBDA_MEMORY_GB = 0.5  # JourneyStepFunction: 512 MB
TASK_DURATION_SECONDS = 0.150  # assumed billed duration of one task (a send: DynamoDB claim + SES call)
EMAIL_USD = 0.10 / 1_000
# One single-segment SMS to a US number: an assumed $0.00581 (SNS / End User Messaging, toll-free)
# plus about $0.0025 of carrier fees; other countries cost more (docs/journeys.md).
SMS_USD = 0.0083
CONTACTS = 1_000

STAND_IN_FUNCTION = "JourneyStepFunction"
STAND_IN_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{STAND_IN_FUNCTION}"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class JourneyFigures:
    """One row of `nurture journeys` (the keys of --json, in order)."""

    id: str
    trigger: list[str]
    key: str
    states: int
    transitions_main_path: int
    messages_main_path: int
    transitions_per_message: float
    cost_per_1000_contacts_usd: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MainPath:
    transitions: int  # billed: every state entered, plus every retry (none when nothing fails)
    task_invocations: int  # JourneyStepFunction invocations
    messages: int  # sends that answered "sent"
    texts: int  # of which SMS
    states_entered: list[str]
    status: str


def catalogue_at(root: Path) -> Catalogue:
    return load_catalogue(root / CATALOGUE)


def rendered(catalogue: Catalogue) -> dict[str, str]:
    """``statemachines/<id>.asl.json`` → its text, for every journey."""
    return {
        f"{STATE_MACHINES}/{journey.id}.asl.json": render_definition(compile_journey(journey))
        for journey in catalogue.values()
    }


def build(root: Path, *, check: bool) -> list[str]:
    """Write (or, with ``check``, only compare) every journey's state machine; returns the files that
    differed (relative to root). Files of journeys no longer in the catalogue are left alone."""
    differing = []
    for relative, text in rendered(catalogue_at(root)).items():
        path = root / relative
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        differing.append(relative)
        if not check:
            path.write_text(text, encoding="utf-8")
    return differing


def schema_text() -> str:
    return json.dumps(journey_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(root: Path) -> Path:
    path = root / SCHEMA
    path.write_text(schema_text(), encoding="utf-8")
    return path


def run_main_path(journey: Journey, definition: dict[str, Any] | None = None) -> MainPath:
    """Run the journey's compiled definition once for a contact who never engages and never exits."""
    sfn = LocalStepFunctions(clock=VirtualClock(START.timestamp()))
    messages = 0
    texts = 0
    # The channel of each send step (an email_or_sms step counts as email: the usual case).
    sms_steps = {
        step.send.id for step in walk_steps(journey.steps) if isinstance(step, SendStep) and step.send.channel == "sms"
    }

    def stand_in(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        nonlocal messages, texts
        action = event["action"]
        now = sfn.now
        next_at = None
        if "next_wait" in event:
            # A local time or a date would land within a day or so; only the count matters here.
            seconds = event["next_wait"].get("seconds", 86_400)
            next_at = (now + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
        channel = None
        if action == "send":
            messages += 1
            channel = "sms" if event["step"] in sms_steps else "email"
            texts += channel == "sms"
        return {
            "status": "sent" if action == "send" else "done",
            "reason": None,
            "message_id": f"stand-in-{messages}" if action == "send" else None,
            "next_at": next_at,
            "arm": "default" if action == "branch" else None,
            "channel": channel,
        }

    sfn.register_handler(STAND_IN_FUNCTION, stand_in)
    arn = sfn.create_state_machine(
        f"journey-{journey.id}",
        definition if definition is not None else compile_journey(journey),
        substitutions={"JourneyStepFunctionArn": STAND_IN_ARN},
    )
    steps: dict[str, Any] = {}
    entry = entry_wait(journey)
    if entry is not None:
        # What the router puts in the input of a journey that begins by waiting for an hour or a date.
        steps[entry[0]] = {"next_at": (START + timedelta(days=1)).isoformat().replace("+00:00", "Z")}
    execution_input = {
        "journey": journey.id,
        "contact_id": "c-main-path",
        "enrolment": {"id": f"{journey.id}-c-main-path-1", "key": None, "occurrence": 1},
        "steps": steps,
    }
    execution = sfn.start_execution(arn, execution_input, name=f"{journey.id}-c-main-path-1")
    sfn.run_until_idle(max_days=400)
    entered = execution.states_entered
    tasks_entered = sum(1 for kind, _, _ in execution.history if kind == "TaskStateEntered")
    invocations = sum(1 for kind, _, _ in execution.history if kind == "TaskScheduled")
    return MainPath(
        transitions=len(entered) + (invocations - tasks_entered),
        task_invocations=invocations,
        messages=messages,
        texts=texts,
        states_entered=entered,
        status=execution.status,
    )


def cost_per_1000_contacts(path: MainPath) -> float:
    """Step Functions transitions + Lambda requests and duration + SES emails and SMS, for 1,000 contacts."""
    per_invocation = LAMBDA_REQUEST_USD + LAMBDA_MEMORY_GB * TASK_DURATION_SECONDS * LAMBDA_GB_SECOND_USD
    emails = path.messages - path.texts
    per_contact = (
        path.transitions * STATE_TRANSITION_USD
        + path.task_invocations * per_invocation
        + emails * EMAIL_USD
        + path.texts * SMS_USD
    )
    return CONTACTS * per_contact


def figures(journey: Journey) -> JourneyFigures:
    definition = compile_journey(journey)
    path = run_main_path(journey, definition)
    if path.status != "SUCCEEDED":
        raise RuntimeError(f"{journey.id}: the main path ended {path.status}: {' -> '.join(path.states_entered)}")
    return JourneyFigures(
        id=journey.id,
        trigger=list(journey.trigger.events),
        key=journey.key,
        states=len(definition["States"]),
        transitions_main_path=path.transitions,
        messages_main_path=path.messages,
        transitions_per_message=round(path.transitions / path.messages, 2) if path.messages else 0.0,
        cost_per_1000_contacts_usd=round(cost_per_1000_contacts(path), 4),
    )


def table(rows: list[JourneyFigures]) -> str:
    headers = ["id", "trigger", "key", "states", "transitions", "messages", "per message", "$ / 1,000 contacts"]
    cells = [
        [
            row.id,
            ", ".join(row.trigger),
            row.key,
            str(row.states),
            str(row.transitions_main_path),
            str(row.messages_main_path),
            f"{row.transitions_per_message:.2f}",
            f"{row.cost_per_1000_contacts_usd:.4f}",
        ]
        for row in rows
    ]
    numeric = set(range(3, len(headers)))
    widths = [max(len(line[column]) for line in [headers, *cells]) for column in range(len(headers))]

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if column in numeric else value.ljust(width)
            for column, (value, width) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), *(line(values) for values in cells)])

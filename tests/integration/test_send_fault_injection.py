"""Fault injection on the send path: the welcome journey (the real definition, its Retry rules, on
the local executor with a virtual clock), the real SendEmailFunction handler and adapters on moto,
with one failure injected into the welcome email's first attempt at each point where a send can
be lost or doubled.

Faults are injected where they happen in production (the helpers: tests/faults.py): on the wire of
the DynamoDB client (a write applied whose answer is lost, which botocore's retries re-send; a
throttle, not applied); in the adapters, after the SDK's own retries (``DependencyUnavailable``,
SES's answers); in the Lambda runtime (the function killed, the task timing out, the Lambda service
failing before the function ran). tests/integration/test_exactly_once_soak.py draws them at random
over 1,000 sends.

Per point: SES messages for the welcome step (never 2; 0 only with an explicit ``unknown`` claim
the reconciler re-sends), the claim's outcome, and the later emails of the series (always sent).
Then what production does next, with the real functions: SES's Send event for every welcome
message it accepted goes through EngagementFunction's handler (SAM's SNS envelope around SES's
published sample, tagged as the message was), and ReconcileSendsFunction's reconciler runs three
times, an hour apart. The last two columns are the final count and the claim's final state: never
2, and 0 only with the claim ``lost`` (given up, counted).
``pytest -s`` prints the table; docs/email.md quotes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

import functions.engagement.app as engagement_app
import functions.journey_step.app as journey_step_app
import functions.reconcile_sends.app as reconcile_app
from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, SendLedger
from nurture.messaging.claims import CLAIM_HEADER, LOST, SENDING, SENT, SETTLE_WITHIN, UNKNOWN, SendKey
from nurture.messaging.errors import RetryableSendError, SendOutcomeUnknown
from nurture.messaging.reconcile import Reconciler
from nurture.messaging.sending import JourneySender
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.errors import StatesError
from nurture_local.sfn.executor import LocalStepFunctions
from tests.conftest import FakeLambdaContext, create_nurture_table
from tests.faults import Crash, DynamoDbWire, Fault, Injected, moto_backend, unavailable
from tests.sending import enrolment_input, put_enrolment, put_subscriber, sent_messages, ses_notification

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = (ROOT / "statemachines" / "welcome.asl.json").read_text(encoding="utf-8")
REGION, ACCOUNT = "us-east-1", "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nurture-JourneyStepFunction"
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WELCOME = SendKey("c-ada", "welcome", "welcome", "welcome-c-ada-1")
SUBJECTS = {
    "welcome": "Welcome to Acme Outfitters, Ada!",
    "content": "Ada, here is how to get the most out of Acme Outfitters",
    "feedback": "Ada, how are we doing? (one quick question)",
}


WELCOME_SK = "SEND#welcome-c-ada-1#welcome"


def wire(fragment: str, *, lost: bool = False) -> Fault:
    """A fault on the wire of the welcome claim's UpdateItem: its answer lost, or throttled."""
    return Fault("wire", fragment, after=ReadTimeoutError(endpoint_url="x") if lost else None, key=WELCOME_SK)


# (label, fault, SES messages for the welcome step, outcome)
POINTS: list[tuple[str, Fault | None, int, str]] = [
    ("no fault", None, 1, "sent"),
    (
        "Lambda service error before the function ran",
        Fault("lambda", "invoke", before=Crash("Lambda.ServiceException")),
        1,
        "sent",
    ),
    ("profile read unavailable (before the claim)", Fault("recipients", "get", before=unavailable()), 1, "sent"),
    (
        "claim written, answer lost: botocore re-sends it",
        wire("claims = if_not_exists", lost=True),
        1,
        "sent",
    ),
    ("claim throttled once (SDK retry)", wire("claims = if_not_exists"), 1, "sent"),
    ("claim written, then DependencyUnavailable", Fault("ledger", "claim", after=unavailable()), 1, "sent"),
    ("Lambda killed after the claim, before SES", Fault("ledger", "claim", after=Crash("Sandbox.Timedout")), 1, "sent"),
    (
        "'sending' not recorded (DependencyUnavailable)",
        Fault("ledger", "start_sending", before=unavailable()),
        1,
        "sent",
    ),
    (
        "'sending' written, answer lost: botocore re-sends it",
        wire("sending_at", lost=True),
        1,
        "sent",
    ),
    (
        "Lambda killed after 'sending', before SES",
        Fault("ledger", "start_sending", after=Crash("Lambda.Unknown")),
        0,
        "unknown",
    ),
    (
        "SES throttles (RetryableSendError)",
        Fault("provider", "send", before=RetryableSendError("throttled", code="TooManyRequestsException")),
        1,
        "sent",
    ),
    (
        "SES throttles, 'failed' throttled once (SDK retry)",
        Fault("provider", "send", before=RetryableSendError("throttled", code="TooManyRequestsException")),
        1,
        "sent",
    ),
    (
        "SES throttles, 'failed' not recorded",
        Fault("provider", "send", before=RetryableSendError("throttled", code="TooManyRequestsException")),
        0,
        "unknown",
    ),
    (
        "SES accepted, answer lost (read timeout)",
        Fault("provider", "send", after=SendOutcomeUnknown("no answer", code="ReadTimeoutError")),
        1,
        "unknown",
    ),
    (
        "Lambda killed during the SES call (after accepting)",
        Fault("provider", "send", after=Crash("Sandbox.Timedout")),
        1,
        "unknown",
    ),
    (
        "task timed out after SES accepted (States.Timeout)",
        Fault("provider", "send", after=Crash("States.Timeout")),
        1,
        "unknown",
    ),
    (
        "'sent' written, answer lost: botocore re-sends it",
        wire("message_id = :message_id", lost=True),
        1,
        "sent",
    ),
    (
        "'sent' not recorded (DependencyUnavailable)",
        Fault("ledger", "record_sent", before=unavailable()),
        1,
        "sending",
    ),
    (
        "Lambda killed after 'sent' was recorded",
        Fault("ledger", "record_sent", after=Crash("Lambda.Unknown")),
        1,
        "sent",
    ),
]
# The point where the reconciler's re-send meets the same silence: no answer, and no event.
LOST_AGAIN = "Lambda killed after 'sending', before SES; the re-send unanswered too"
POINTS.append(
    (LOST_AGAIN, Fault("ledger", "start_sending", after=Crash("Lambda.Unknown")), 0, "unknown"),
)
# After SES's Send events and three reconciler runs: (welcome emails, the claim's final state).
FINAL: dict[str, tuple[int, str]] = {label: (1, "sent") for label, *_ in POINTS}
FINAL.update(
    {
        "Lambda killed after 'sending', before SES": (1, "sent: re-sent once after 1 h"),
        "SES throttles, 'failed' not recorded": (1, "sent: re-sent once after 1 h"),
        "SES accepted, answer lost (read timeout)": (1, "sent: settled by its Send event"),
        "Lambda killed during the SES call (after accepting)": (1, "sent: settled by its Send event"),
        "task timed out after SES accepted (States.Timeout)": (1, "sent: settled by its Send event"),
        "'sent' not recorded (DependencyUnavailable)": (1, "sent: settled by its Send event"),
        LOST_AGAIN: (0, "lost: re-sent once, no answer, given up after 2 h (counted)"),
    }
)
# Points whose second fault follows the first: the definite SES failure's "failed" write.
SECOND_FAULTS: dict[str, Fault] = {
    "SES throttles, 'failed' throttled once (SDK retry)": wire("failed_at"),
    "SES throttles, 'failed' not recorded": Fault("ledger", "record_failed", before=unavailable()),
}


@dataclass
class Row:
    point: str
    welcome_sent: int
    outcome: str
    later_sent: tuple[int, int]
    final_sent: int = 0
    final: str = ""
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def markdown(self) -> str:
        return f"| {self.point} | {self.welcome_sent} | {self.outcome} | {self.final_sent} | {self.final} |"


@pytest.fixture
def no_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps between its retries; the virtual clock runs the rest."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)


@dataclass
class World:
    sfn: LocalStepFunctions
    arn: str
    ledger: SendLedger
    reconciler: Callable[[datetime], Reconciler]


@pytest.fixture
def make_world(no_sdk_backoff: None) -> Iterator[Callable[[list[Fault]], World]]:
    from moto import mock_aws

    with mock_aws():

        def build(faults: list[Fault]) -> World:
            by_place = {fault.where: fault for fault in faults}
            dynamodb = boto3.client("dynamodb", region_name=REGION, config=Config(**DYNAMODB_CLIENT_CONFIG))
            DynamoDbWire(dynamodb, moto_backend(), lambda: faults)
            table = create_nurture_table(dynamodb)
            boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
            boto3.client("ssm", region_name=REGION).put_parameter(
                Name=SECRET_PARAMETER, Value="fault-injection-unsubscribe-secret", Type="SecureString"
            )
            put_subscriber(dynamodb, table, WELCOME.contact_id, "ada@example.com", "Ada", at=T0)
            put_enrolment(dynamodb, table, WELCOME.contact_id)
            queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"]
            sfn = LocalStepFunctions(clock=VirtualClock(T0), region=REGION, account=ACCOUNT)
            environ = {
                "TABLE_NAME": table,
                "SENDER_ADDRESS": "Acme Outfitters <hello@acme.example>",
                "CONFIGURATION_SET": "nurture-events",
                "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
                "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
                "EVENTS_QUEUE_URL": queue_url,
            }
            steps = journey_step_app.build(environ, clock=lambda: sfn.now, clients={"dynamodb": dynamodb})
            sender = steps.sender
            assert isinstance(sender, JourneySender)
            engagement_app.use_dependencies(engagement_app.build(environ, clients={"dynamodb": dynamodb}))

            def reconciler(now: datetime) -> Reconciler:
                built = reconcile_app.build(environ, clock=lambda: now, clients={"dynamodb": dynamodb})
                if by_place.get("resend") is None:
                    return built
                silent = dataclasses.replace(built.sender, provider=NoAnswer())  # type: ignore[type-var]
                return dataclasses.replace(built, sender=silent)

            sender = dataclasses.replace(
                sender,
                recipients=Injected(sender.recipients, "recipients", lambda: faults),
                ledger=Injected(sender.ledger, "ledger", lambda: faults),
                provider=Injected(sender.provider, "provider", lambda: faults),
            )
            journey_step_app.use_dependencies(dataclasses.replace(steps, sender=sender))
            runtime = by_place.get("lambda")

            def invoke(event: Any, context: Any) -> Any:
                try:
                    if runtime is not None and not runtime.spent:
                        return runtime.run(lambda: journey_step_app.lambda_handler(event, context))
                    return journey_step_app.lambda_handler(event, context)
                except Crash as crash:
                    raise StatesError(crash.error, json.dumps({"errorMessage": "injected"})) from None

            sfn.register_handler(FUNCTION_ARN, invoke)
            arn = sfn.create_state_machine(
                "WelcomeJourney", DEFINITION, substitutions={"JourneyStepFunctionArn": FUNCTION_ARN}
            )
            return World(sfn, arn, SendLedger(table, dynamodb), reconciler)

        try:
            yield build
        finally:
            journey_step_app.use_dependencies(None)
            engagement_app.use_dependencies(None)


class NoAnswer:
    """SES never reached, and the caller cannot tell: the re-send's answer is lost too."""

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Any) -> str:
        raise SendOutcomeUnknown("no answer", code="ReadTimeoutError")


def welcome_messages() -> list[EmailMessage]:
    return [m for m in sent_messages(ACCOUNT, REGION) if m["Subject"] == SUBJECTS["welcome"]]


def reconcile(world: World) -> tuple[str, dict[str, int]]:
    """What production does next: SES's Send event for each welcome message it accepted, through
    EngagementFunction's handler; then the reconciler every hour, three times. The claim's final
    state, and what the reconciler counted."""
    for message in welcome_messages():
        tags = {"contact_id": WELCOME.contact_id, "journey": "welcome", "step": "welcome"}
        tags["enrolment"] = WELCOME.enrolment
        event = ses_notification(["ses_event_send.json"], {**tags, "claim_id": str(message[CLAIM_HEADER])})
        engagement_app.lambda_handler(event, FakeLambdaContext())
    counts: dict[str, int] = {}
    for hours in range(3):
        for name, count in (
            world.reconciler(world.sfn.now + hours * (SETTLE_WITHIN + timedelta(minutes=1))).run().items()
        ):
            counts[name] = counts.get(name, 0) + count
    record = world.ledger.get(WELCOME)
    assert record is not None
    return record.status, counts


def describe(status: str, settled_by_event: bool, counts: dict[str, int]) -> str:
    if status == LOST:
        assert counts == {"resend_unknown": 1, "given_up": 1}, counts
        return "lost: re-sent once, no answer, given up after 2 h (counted)"
    assert status == SENT, status
    if counts:
        assert counts == {"resent": 1}, counts
        return "sent: re-sent once after 1 h"
    return "sent: settled by its Send event" if settled_by_event else "sent"


def run_point(make_world: Callable[[list[Fault]], World], label: str, fault: Fault | None) -> Row:
    faults = [fresh for fresh in (fault, SECOND_FAULTS.get(label)) if fresh is not None]
    if label == LOST_AGAIN:
        faults.append(Fault("resend", "send"))
    faults = [dataclasses.replace(item, fired=False) for item in faults]
    world = make_world(faults)
    execution = world.sfn.start_execution(world.arn, enrolment_input("c-ada"), name="welcome-c-ada-1")
    world.sfn.advance(days=30)
    assert execution.status == "SUCCEEDED", (label, execution.status, execution.history[-1])
    assert all(item.fired for item in faults if item.where != "resend"), label
    messages = sent_messages(ACCOUNT, REGION)
    count = {step: [m for m in messages if m["Subject"] == subject] for step, subject in SUBJECTS.items()}
    record = world.ledger.get(WELCOME)
    assert record is not None
    row = Row(label, len(count["welcome"]), record.status, (len(count["content"]), len(count["feedback"])))
    settled_by_event = record.status in (UNKNOWN, SENDING) and row.welcome_sent == 1
    status, row.counts = reconcile(world)
    row.final_sent, row.final = len(welcome_messages()), describe(status, settled_by_event, row.counts)
    return row


@pytest.mark.parametrize(("label", "fault", "sent", "outcome"), POINTS, ids=[point[0] for point in POINTS])
def test_a_fault_at_each_point_never_doubles_nor_silently_loses_the_email(
    make_world: Callable[[list[Fault]], World], label: str, fault: Fault | None, sent: int, outcome: str
) -> None:
    # Given a subscriber, and a fault in the welcome email's first attempt
    # When the journey runs for 30 days with the state machine's Retry rules
    row = run_point(make_world, label, fault)
    print(f"\n{row.markdown()}")
    # Then the welcome email went out once, or not at all with the claim left unsettled for the
    # reconciler: never twice, never silently
    assert (row.welcome_sent, row.outcome) == (sent, outcome)
    if row.welcome_sent == 0:
        assert row.outcome in (UNKNOWN, SENDING)
    # And the rest of the series was not lost
    assert row.later_sent == (1, 1)
    # And after SES's events and the reconciler: once, or given up and counted; never twice
    assert (row.final_sent, row.final) == FINAL[label]
    assert row.final_sent == 1 or (row.final.startswith(LOST) and row.counts.get("given_up") == 1)


def test_docs_email_md_shows_this_table() -> None:
    documented = (ROOT / "docs" / "email.md").read_text(encoding="utf-8")
    for label, _fault, sent, outcome in POINTS:
        final_sent, final = FINAL[label]
        assert f"| {label} | {sent} | {outcome} | {final_sent} | {final} |" in documented, label

"""Fault injection on the send path: the welcome journey (the real definition, its Retry rules, on
the local executor with a virtual clock), the real SendEmailFunction handler and adapters on moto,
with one failure injected into the welcome email's first attempt at each point where a send can
be lost or doubled.

Faults are injected where they happen in production:
- on the wire of the DynamoDB client (a botocore ``before-send`` handler ahead of moto's): a write
  applied whose answer is lost (``ReadTimeoutError``, which botocore's retries re-send), a throttle;
- in the adapters, after the SDK's own retries: ``DependencyUnavailable``, SES's answers;
- in the Lambda runtime: the function killed (``Sandbox.Timedout``, ``Lambda.Unknown``), the task
  timing out (``States.Timeout``), the Lambda service failing before the function ran.

Per point: SES messages for the welcome step (never 2; 0 only with an explicit ``unknown`` claim
the reconciler re-sends), the claim's outcome, and the later emails of the series (always sent).
``pytest -s`` prints the table; docs/email.md quotes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

import functions.send_email.app as send_email_app
from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, SendLedger
from nurture.errors import DependencyUnavailable
from nurture.messaging.claims import (
    CLAIM_HEADER,
    SENDING,
    SENT,
    SETTLE_WITHIN,
    UNKNOWN,
    ProviderEvent,
    SendKey,
    reconcile_unknown,
    settle,
)
from nurture.messaging.errors import RetryableSendError, SendOutcomeUnknown
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.errors import StatesError
from nurture_local.sfn.executor import LocalStepFunctions
from tests.conftest import create_nurture_table
from tests.sending import put_subscriber, sent_messages

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = (ROOT / "statemachines" / "welcome.asl.json").read_text(encoding="utf-8")
REGION, ACCOUNT = "us-east-1", "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nurture-SendEmailFunction"
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WELCOME = SendKey("c-ada", "welcome", "welcome")
SUBJECTS = {
    "welcome": "Welcome to Acme Outfitters, Ada!",
    "content": "Ada, here is how to get the most out of Acme Outfitters",
    "feedback": "Ada, how are we doing? (one quick question)",
}


class Crash(BaseException):
    """The Lambda runtime stops the function here (what Step Functions then reports as ``error``)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    """Fires once, on the first call of ``operation`` for the welcome step."""

    where: str  # "recipients", "ledger", "provider", "wire", "lambda"
    operation: str  # a method name, or for "wire" a fragment of the UpdateExpression
    before: BaseException | None = None  # raised instead of the call
    after: BaseException | None = None  # raised after the call went through
    fired: bool = False

    def run(self, call: Callable[[], Any]) -> Any:
        self.fired = True
        if self.before is not None:
            raise self.before
        result = call()
        if self.after is not None:
            raise self.after
        return result


class Injected:
    """Proxy for an adapter: ``fault`` replaces the first call of its operation."""

    def __init__(self, target: Any, fault: Fault | None) -> None:
        self._target = target
        self._fault = fault

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        fault = self._fault
        if fault is None or fault.fired or name != fault.operation:
            return attribute
        return lambda *args, **kwargs: fault.run(lambda: attribute(*args, **kwargs))


def on_the_wire(client: Any, fault: Fault | None) -> None:
    """DynamoDB UpdateItem faults ahead of moto's responder: a lost answer, or a throttle."""
    from moto.core.models import botocore_stubber

    def before_send(request: Any, **kwargs: Any) -> AWSResponse | None:
        if fault is None or fault.fired:
            return None
        body = json.loads(request.body)
        if body.get("Key", {}).get("sk", {}).get("S") != "SEND#welcome#welcome":
            return None
        if fault.operation not in body.get("UpdateExpression", ""):
            return None
        fault.fired = True
        if fault.after is not None:  # the write is applied, its answer never arrives
            botocore_stubber(event_name="before-send.dynamodb.UpdateItem", request=request)
            raise ReadTimeoutError(endpoint_url=request.url)
        throttled = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'
        from moto.core.botocore_stubber import MockRawResponse

        return AWSResponse(request.url, 400, {}, MockRawResponse(throttled))  # type: ignore[arg-type]

    client.meta.events.register_first("before-send.dynamodb.UpdateItem", before_send)


def unavailable() -> DependencyUnavailable:
    return DependencyUnavailable("send ledger", "injected")


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
        Fault("wire", "claims = if_not_exists", after=ReadTimeoutError(endpoint_url="x")),
        1,
        "sent",
    ),
    ("claim throttled once (SDK retry)", Fault("wire", "claims = if_not_exists"), 1, "sent"),
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
        Fault("wire", "sending_at", after=ReadTimeoutError(endpoint_url="x")),
        1,
        "sent",
    ),
    (
        "Lambda killed after 'sending', before SES",
        Fault("ledger", "start_sending", after=Crash("Lambda.Unknown")),
        0,
        "unknown: no SES event, re-sent once after 1 h",
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
        "unknown: no SES event, re-sent once after 1 h",
    ),
    (
        "SES accepted, answer lost (read timeout)",
        Fault("provider", "send", after=SendOutcomeUnknown("no answer", code="ReadTimeoutError")),
        1,
        "unknown: settled sent by its Send event",
    ),
    (
        "Lambda killed during the SES call (after accepting)",
        Fault("provider", "send", after=Crash("Sandbox.Timedout")),
        1,
        "unknown: settled sent by its Send event",
    ),
    (
        "task timed out after SES accepted (States.Timeout)",
        Fault("provider", "send", after=Crash("States.Timeout")),
        1,
        "unknown: settled sent by its Send event",
    ),
    (
        "'sent' written, answer lost: botocore re-sends it",
        Fault("wire", "message_id = :message_id", after=ReadTimeoutError(endpoint_url="x")),
        1,
        "sent",
    ),
    (
        "'sent' not recorded (DependencyUnavailable)",
        Fault("ledger", "record_sent", before=unavailable()),
        1,
        "sending: settled sent by its Send event",
    ),
    (
        "Lambda killed after 'sent' was recorded",
        Fault("ledger", "record_sent", after=Crash("Lambda.Unknown")),
        1,
        "sent",
    ),
]
# Points whose second fault follows the first: the definite SES failure's "failed" write.
SECOND_FAULTS: dict[str, Fault] = {
    "SES throttles, 'failed' throttled once (SDK retry)": Fault("wire", "failed_at"),
    "SES throttles, 'failed' not recorded": Fault("ledger", "record_failed", before=unavailable()),
}


@dataclass
class Row:
    point: str
    welcome_sent: int
    outcome: str
    later_sent: tuple[int, int]
    status: str


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


@pytest.fixture
def make_world(no_sdk_backoff: None) -> Iterator[Callable[[list[Fault]], World]]:
    from moto import mock_aws

    with mock_aws():

        def build(faults: list[Fault]) -> World:
            by_place = {fault.where: fault for fault in faults}
            dynamodb = boto3.client("dynamodb", region_name=REGION, config=Config(**DYNAMODB_CLIENT_CONFIG))
            on_the_wire(dynamodb, by_place.get("wire"))
            table = create_nurture_table(dynamodb)
            boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
            boto3.client("ssm", region_name=REGION).put_parameter(
                Name=SECRET_PARAMETER, Value="fault-injection-unsubscribe-secret", Type="SecureString"
            )
            put_subscriber(dynamodb, table, WELCOME.contact_id, "ada@example.com", "Ada", at=T0)
            sfn = LocalStepFunctions(clock=VirtualClock(T0), region=REGION, account=ACCOUNT)
            environ = {
                "TABLE_NAME": table,
                "SENDER_ADDRESS": "Acme Outfitters <hello@acme.example>",
                "CONFIGURATION_SET": "nurture-events",
                "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
                "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
            }
            sender = send_email_app.build_sender(environ, clock=lambda: sfn.now, clients={"dynamodb": dynamodb})
            sender = dataclasses.replace(
                sender,
                recipients=Injected(sender.recipients, by_place.get("recipients")),
                ledger=Injected(sender.ledger, by_place.get("ledger")),
                provider=Injected(sender.provider, by_place.get("provider")),
            )
            send_email_app.use_dependencies(sender)
            runtime = by_place.get("lambda")

            def invoke(event: Any, context: Any) -> Any:
                try:
                    if runtime is not None and not runtime.fired:
                        return runtime.run(lambda: send_email_app.lambda_handler(event, context))
                    return send_email_app.lambda_handler(event, context)
                except Crash as crash:
                    raise StatesError(crash.error, json.dumps({"errorMessage": "injected"})) from None

            sfn.register_handler(FUNCTION_ARN, invoke)
            arn = sfn.create_state_machine(
                "WelcomeJourney", DEFINITION, substitutions={"SendEmailFunctionArn": FUNCTION_ARN}
            )
            return World(sfn, arn, SendLedger(table, dynamodb))

        try:
            yield build
        finally:
            send_email_app.use_dependencies(None)


def outcome_of(world: World, welcome: list[EmailMessage]) -> tuple[str, str]:
    """The welcome claim's status, and what settles it: a Send event for the message, or the reconciler."""
    record = world.ledger.get(WELCOME)
    assert record is not None
    if record.status == SENT:
        return record.status, "sent"
    assert record.status in (UNKNOWN, SENDING), record
    if welcome:  # SES has it: its Send event (tagged with the claim id) settles the claim
        (message,) = welcome
        event = ProviderEvent("Send", "ses-message-id", world.sfn.now, claim_id=str(message[CLAIM_HEADER]))
        settlement = settle(record, event)
        assert settlement is not None and settlement.status == SENT
        return record.status, f"{record.status}: settled sent by its Send event"
    decision = reconcile_unknown(record, world.sfn.now + SETTLE_WITHIN)
    assert decision == "resend"
    return record.status, f"{record.status}: no SES event, re-sent once after 1 h"


def run_point(make_world: Callable[[list[Fault]], World], label: str, fault: Fault | None) -> Row:
    faults = [fresh for fresh in (fault, SECOND_FAULTS.get(label)) if fresh is not None]
    faults = [dataclasses.replace(item, fired=False) for item in faults]
    world = make_world(faults)
    execution = world.sfn.start_execution(
        world.arn, {"contact_id": "c-ada", "journey": "welcome"}, name="welcome-c-ada"
    )
    world.sfn.advance(days=30)
    assert execution.status == "SUCCEEDED", (label, execution.status, execution.history[-1])
    assert all(item.fired for item in faults), label
    messages = sent_messages(ACCOUNT, REGION)
    count = {step: [m for m in messages if m["Subject"] == subject] for step, subject in SUBJECTS.items()}
    status, outcome = outcome_of(world, count["welcome"])
    return Row(label, len(count["welcome"]), outcome, (len(count["content"]), len(count["feedback"])), status)


@pytest.mark.parametrize(("label", "fault", "sent", "outcome"), POINTS, ids=[point[0] for point in POINTS])
def test_a_fault_at_each_point_never_doubles_nor_silently_loses_the_email(
    make_world: Callable[[list[Fault]], World], label: str, fault: Fault | None, sent: int, outcome: str
) -> None:
    # Given a subscriber, and a fault in the welcome email's first attempt
    # When the journey runs for 30 days with the state machine's Retry rules
    row = run_point(make_world, label, fault)
    print(f"\n| {row.point} | {row.welcome_sent} | {row.outcome} |")
    # Then the welcome email went out once, or not at all with the claim left "unknown" for the
    # reconciler: never twice, never silently
    assert row.welcome_sent in (0, 1)
    assert (row.welcome_sent, row.outcome) == (sent, outcome)
    if row.welcome_sent == 0:
        assert row.status in (UNKNOWN, SENDING)
    # And the rest of the series was not lost
    assert row.later_sent == (1, 1)


def test_docs_email_md_shows_this_table() -> None:
    documented = (ROOT / "docs" / "email.md").read_text(encoding="utf-8")
    for label, _fault, sent, outcome in POINTS:
        assert f"| {label} | {sent} | {outcome} |" in documented, label

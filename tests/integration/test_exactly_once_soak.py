"""Exactly once, proven by a soak: 1,000 journey sends through the real code, with faults drawn from
a seeded RNG at every point of the send path, Step Functions' retries and SQS redeliveries.

What runs (all of it the shipped code, in-process, on a virtual clock):
- each contact's trigger (a Shopify ``consent.changed``, email ``subscribed``) arrives as an SQS
  record at ProcessFunction's handler; some records are delivered twice: after the first delivery
  finished, or while it runs (a second container gets the same record just before the first calls
  StartExecution); some deliveries fail (the function killed, StartExecution unavailable) and SQS
  delivers them again after the queue's visibility timeout;
- the compiled journey (statemachines/welcome.asl.json: its Retry and Catch rules) on the local
  executor, its tasks calling JourneyStepFunction's handler with the real adapters;
- SES (moto's, answered in-process) behind the real SES adapter; every message SES accepted gets
  its Send event (SES's published sample in SNS's Lambda envelope, tagged as the message was) at
  EngagementFunction's handler a few seconds to minutes later, sometimes twice (SNS retries);
- ReconcileSendsFunction's handler every 15 minutes of virtual time;
- DynamoDB: Nurture's in-memory engine (``nurture_local.aws``) behind botocore's full request path
  (signing, the SDK's retries, parsing), or moto's (``SOAK_DYNAMODB=moto``; slower, same verdict).

Faults (tests/faults.py), one to three per send, drawn per send from the seed: before the claim,
on the claim, after the claim, in the provider call (a definite refusal, or no answer whether SES
accepted or not), after SES accepted, on the record of ``sent``, on the record of ``failed``;
besides, on the reconciler's re-send and on the trigger's delivery.

At the end, for every (contact, journey, step): SES accepted at most one message, and the claim is
``sent`` with that message's id (recorded by the task, settled by its Send event, or re-sent once by
the reconciler), or ``lost`` with no message (the re-send went unanswered too: given up, counted).
``pytest -s`` prints the tables; docs/exactly-once.md quotes them. ``SOAK_SEED``, ``SOAK_SENDS`` and
``SOAK_DYNAMODB`` (engine | moto) change the run.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import heapq
import importlib.util
import json
import logging
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

import functions.engagement.app as engagement_app
import functions.journey_step.app as journey_step_app
import functions.process.app as process_app
import functions.reconcile_sends.app as reconcile_app
from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, SendLedger
from nurture.adapters.ses_email import SES_CLIENT_CONFIG
from nurture.messaging.claims import CLAIM_TAG, LOST, SENT, SendKey, SendRecord
from nurture_local.aws.moto_direct import sesv2_answers, sqs_answers
from nurture_local.aws.routing import ServiceError, route_to_local
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.errors import StatesError
from nurture_local.sfn.executor import LocalStepFunctions
from tests.conftest import FakeLambdaContext, create_nurture_table
from tests.faults import Crash, DynamoDbWire, Fault, Injected, engine_backend, in_play, moto_backend, unavailable
from tests.sending import ses_notification
from tests.third_party import fixture_json
from tests.unit.profiles.profile_events import consent, contact

ROOT = Path(__file__).resolve().parents[2]
REGION, ACCOUNT = "us-east-1", "123456789012"
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nurture-journey-"
STEP_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nurture-JourneyStepFunction"
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday; triggers arrive over the next 12 hours
SEED = int(os.environ.get("SOAK_SEED", "8"))
SENDS = int(os.environ.get("SOAK_SENDS", "1000"))
BACKEND = os.environ.get("SOAK_DYNAMODB", "engine")
VISIBILITY_TIMEOUT = timedelta(seconds=180)  # EventsQueue (template.yaml)
MAX_RECEIVES = 5  # its redrive policy's maxReceiveCount
SNS_RETRIES = (timedelta(minutes=1), timedelta(minutes=2))  # Lambda's asynchronous invocation retries
RECONCILE_EVERY = timedelta(minutes=15)  # ReconcileSendsSchedule
FAULTS_PER_SEND = (1, 1, 1, 2, 2, 3)
GIVE_UP_AFTER = timedelta(days=40)  # the journey lasts 16 days; anything still going on at 40 is a bug  # drawn: mostly one, sometimes two or three


@dataclass(frozen=True)
class Channel:
    """What differs between channels: the journey that sends, and the provider call (SES, SNS)."""

    name: str
    journey: str
    steps: tuple[str, ...]
    provider: tuple[str, str]  # (service, operation) the adapter calls

    @property
    def definition(self) -> str:
        return (ROOT / "statemachines" / f"{self.journey}.asl.json").read_text(encoding="utf-8")


EMAIL = Channel("email", "welcome", ("welcome", "content", "feedback"), ("sesv2", "SendEmail"))


# ---------------------------------------------------------------- the faults, by point

Draw = Callable[[random.Random], list[Fault]]


def lost() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")


def on_wire(fragment: str, *, applied: bool, key: str | None = None) -> Draw:
    """Throttled (not applied) or applied with its answer lost, 1 to 5 times in a row: up to 4 the
    SDK's retries absorb, 5 spend them all (the adapter raises DependencyUnavailable)."""
    return lambda rng: [Fault("wire", fragment, after=lost() if applied else None, times=rng.randint(1, 5), key=key)]


def at(where: str, operation: str, *, before: BaseException | None = None, after: BaseException | None = None) -> Draw:
    return lambda rng: [Fault(where, operation, before=before, after=after)]


def ses_error(code: str, status: int = 400) -> ServiceError:
    return ServiceError(code, "injected", status=status)


SES_URL = "https://email.us-east-1.amazonaws.com/"
# (point, label, draw): the points of issue 8, in the order a send meets them.
POINTS: list[tuple[str, str, Draw]] = [
    ("before the claim", "Lambda service error before the function ran", at("lambda", "invoke", before=Crash("Lambda.ServiceException"))),
    ("before the claim", "profile GetItem throttled 1-5 times", on_wire("GetItem", applied=False, key="PROFILE")),
    ("before the claim", "send history unavailable", at("history", "history", before=unavailable())),
    ("before the claim", "Lambda killed before the claim", at("ledger", "claim", before=Crash("Sandbox.Timedout"))),
    ("the claim", "claim throttled 1-5 times", on_wire("claims = if_not_exists", applied=False)),
    ("the claim", "claim applied, answer lost 1-5 times", on_wire("claims = if_not_exists", applied=True)),
    ("after the claim", "Lambda killed after the claim", at("ledger", "claim", after=Crash("Sandbox.Timedout"))),
    ("after the claim", "claim written, then DependencyUnavailable", at("ledger", "claim", after=unavailable())),
    ("after the claim", "'sending' throttled 1-5 times", on_wire("sending_at", applied=False)),
    ("after the claim", "'sending' applied, answer lost 1-5 times", on_wire("sending_at", applied=True)),
    ("after the claim", "Lambda killed after 'sending', before SES", at("ledger", "start_sending", after=Crash("Lambda.Unknown"))),
    ("in the provider call", "SES throttles", at("provider", "send", before=ses_error("TooManyRequestsException", 429))),
    ("in the provider call", "SES 500", at("provider", "send", before=ses_error("InternalFailure", 500))),
    ("in the provider call", "connection to SES could not open", at("provider", "send", before=EndpointConnectionError(endpoint_url=SES_URL))),
    ("in the provider call", "sending paused for the account", at("provider", "send", before=ses_error("SendingPausedException"))),
    ("in the provider call", "request lost before SES: no answer", at("provider", "send", before=ReadTimeoutError(endpoint_url=SES_URL))),
    ("in the provider call", "Lambda killed during the call, SES never got it", at("provider", "send", before=Crash("Sandbox.Timedout"))),
    ("after the provider accepted", "SES accepted, answer lost (read timeout)", at("provider", "send", after=ReadTimeoutError(endpoint_url=SES_URL))),
    ("after the provider accepted", "SES accepted, connection reset", at("provider", "send", after=ConnectionClosedError(endpoint_url=SES_URL))),
    ("after the provider accepted", "SES accepted, Lambda killed", at("provider", "send", after=Crash("Sandbox.Timedout"))),
    ("after the provider accepted", "SES accepted, task timed out", at("provider", "send", after=Crash("States.Timeout"))),
    ("before the record", "'sent' throttled 1-5 times", on_wire("message_id = :message_id", applied=False)),
    ("before the record", "'sent' applied, answer lost 1-5 times", on_wire("message_id = :message_id", applied=True)),
    ("before the record", "'sent' not recorded (DependencyUnavailable)", at("ledger", "record_sent", before=unavailable())),
    ("before the record", "Lambda killed before 'sent' was recorded", at("ledger", "record_sent", before=Crash("Lambda.Unknown"))),
    ("before the record", "Lambda killed after 'sent' was recorded", at("ledger", "record_sent", after=Crash("Lambda.Unknown"))),
    ("before the record", "the task's answer lost (Lambda service error)", at("lambda", "answer", before=Crash("Lambda.ServiceException"))),
    ("the 'failed' record", "'failed' throttled 1-5 times", on_wire("failed_at", applied=False)),
    ("the 'failed' record", "'failed' not recorded (DependencyUnavailable)", at("ledger", "record_failed", before=unavailable())),
]  # fmt: skip
# The reconciler's re-send, drawn for a few sends (it runs only for a claim left unsettled).
RESEND_POINTS: list[tuple[str, str, Draw]] = [
    ("the reconciler's re-send", "re-send unanswered, SES never got it", at("provider", "send", before=ReadTimeoutError(endpoint_url=SES_URL))),
    ("the reconciler's re-send", "re-send accepted, answer lost", at("provider", "send", after=ReadTimeoutError(endpoint_url=SES_URL))),
    ("the reconciler's re-send", "re-send: 'sending' throttled 1-5 times", on_wire("claim_id = :claim_id, resends", applied=False)),
]  # fmt: skip
RESEND_FAULT_RATE = 0.15
# The trigger's delivery, per contact: (label, probability).
TRIGGER_FAULTS = {
    "delivered again after the first delivery finished": 0.15,
    "delivered again while the first runs (another container)": 0.10,
    "ProcessFunction killed before StartExecution": 0.08,
    "StartExecution unavailable": 0.08,
}
# The Send event: (label, probability).
FEEDBACK_FAULTS = {
    "Send event delivered twice (SNS retry)": 0.10,
    "EngagementFunction fails once (claim read throttled 5 times)": 0.10,
}


@dataclass
class Plan:
    """One send: its faults, and what became of them."""

    key: SendKey
    faults: list[tuple[str, str, Fault]]
    resend: list[tuple[str, str, Fault]] = field(default_factory=list)
    attempts: int = 0
    accepted: list[tuple[str, str, datetime]] = field(default_factory=list)  # (message id, claim id, at)
    settled_by_event: bool = False

    def in_play(self) -> list[Fault]:
        return [fault for *_, fault in self.faults]


def draw_plan(rng: random.Random, key: SendKey) -> Plan:
    drawn = [rng.choice(POINTS) for _ in range(rng.choice(FAULTS_PER_SEND))]
    plan = Plan(key, [(point, label, draw(rng)[0]) for point, label, draw in drawn])
    if rng.random() < RESEND_FAULT_RATE:
        point, label, draw = rng.choice(RESEND_POINTS)
        plan.resend.append((point, label, draw(rng)[0]))
    return plan


# ---------------------------------------------------------------- the world


def load_container(name: str) -> Any:
    """A second ProcessFunction container: the handler module loaded afresh (its own batch
    processor and dependencies), as Lambda runs two invocations side by side."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / "process" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Trigger:
    index: int
    body: str
    message_id: str
    faults: set[str]
    receives: int = 0
    contact_id: str | None = None


class Soak:
    def __init__(self, channel: Channel, seed: int, contacts: int, backend: str) -> None:
        self.channel = channel
        self.rng = random.Random(seed)
        self.seed = seed
        self.active: list[Fault] = []
        self.plans: dict[SendKey, Plan] = {}
        self.agenda: list[tuple[datetime, int, str, Callable[[], None]]] = []
        self.sequence = 0
        self.counts: Counter[str] = Counter()
        self.triggers = [self._trigger(index, contacts) for index in range(contacts)]
        self.sfn = LocalStepFunctions(clock=VirtualClock(T0), region=REGION, account=ACCOUNT, seed=seed)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION, config=Config(**DYNAMODB_CLIENT_CONFIG))
        self.engine: Any = None
        if backend == "engine":
            from nurture_local.aws.dynamodb import DynamoDBEngine

            self.engine = DynamoDBEngine(region=REGION, account_id=ACCOUNT)
            wire_backend = engine_backend(self.engine)
        else:
            wire_backend = moto_backend()
        self.wire = DynamoDbWire(self.dynamodb, wire_backend, lambda: self.active)
        self.table = create_nurture_table(self.dynamodb)
        self.ledger = SendLedger(self.table, self.dynamodb)

    # -------------------------------------------------------- set-up

    def _trigger(self, index: int, contacts: int) -> Trigger:
        who = contact(email=f"soak-{index:04d}@example.com", customer_id=f"{90000 + index}", phone=None)
        body = consent("subscribed", arrival(index, contacts), who=who)
        faults = {label for label, rate in TRIGGER_FAULTS.items() if self.rng.random() < rate}
        return Trigger(index, body.model_dump_json(), f"soak-{self.seed}-{index:05d}", faults)

    def environ(self, queue_url: str) -> dict[str, str]:
        return {
            "TABLE_NAME": self.table,
            "SENDER_ADDRESS": "Acme Outfitters <hello@acme.example>",
            "CONFIGURATION_SET": "nurture-events",
            "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
            "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
            "EVENTS_QUEUE_URL": queue_url,
            "JOURNEY_STATE_MACHINE_PREFIX": PREFIX,
            "EVENT_RETENTION_DAYS": "30",
        }

    def wire_up(self) -> None:
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=SECRET_PARAMETER, Value="soak-unsubscribe-secret-of-some-length", Type="SecureString"
        )
        queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="events")["QueueUrl"]
        environ = self.environ(queue_url)
        clock = lambda: self.sfn.now  # noqa: E731
        from nurture_local.sfn.client import LocalStepFunctionsClient

        stepfunctions = LocalStepFunctionsClient(self.sfn)
        clients = {
            "dynamodb": self.dynamodb,
            "sesv2": boto3.client("sesv2", region_name=REGION, config=Config(**SES_CLIENT_CONFIG)),
            "stepfunctions": stepfunctions,
            "sqs": boto3.client("sqs", region_name=REGION),
        }
        steps = journey_step_app.build(environ, clock=clock, clients=clients)
        sender = steps.emails
        sender = dataclasses.replace(
            sender,
            recipients=Injected(sender.recipients, "recipients", lambda: self.active),
            history=Injected(sender.history, "history", lambda: self.active),
            ledger=Injected(sender.ledger, "ledger", lambda: self.active),
        )
        journey_step_app.use_dependencies(dataclasses.replace(steps, emails=sender))
        engagement_app.use_dependencies(engagement_app.build(environ, clients=clients))
        reconciler = reconcile_app.build(environ, clock=clock, clients=clients)
        reconcile_app.use_dependencies(
            dataclasses.replace(reconciler, sender=Resending(reconciler.sender, self))  # type: ignore[type-var]
        )
        dispatcher = process_app.build(environ, clients=clients, clock=clock)
        self.second = load_container(f"soak_process_second_container_{id(self)}")
        self.second.use_dependencies(self.second.build(environ, clients=clients, clock=clock))
        process_app.use_dependencies(
            dataclasses.replace(dispatcher, executions=Starting(dispatcher.executions, self))
        )
        self.sfn.register_handler(STEP_FUNCTION, self.invoke_step)
        self.sfn.create_state_machine(
            f"nurture-journey-{self.channel.journey}",
            self.channel.definition,
            substitutions={"JourneyStepFunctionArn": STEP_FUNCTION},
        )

    def routes(self) -> dict[tuple[str, str], Any]:
        from tests.faults import provider_answers

        answers = {**sqs_answers(ACCOUNT, REGION), **sesv2_answers(ACCOUNT, REGION)}
        return provider_answers(answers, self.channel.provider, lambda: self.active, self.accepted)

    # -------------------------------------------------------- the agenda (virtual time)

    def at(self, when: datetime, what: str, action: Callable[[], None]) -> None:
        self.sequence += 1
        heapq.heappush(self.agenda, (when, self.sequence, what, action))

    def run(self) -> None:
        for trigger in self.triggers:
            when = arrival(trigger.index, len(self.triggers))
            self.at(when, "trigger", lambda trigger=trigger: self.deliver(trigger))
        self.at(T0 + RECONCILE_EVERY, "reconcile", self.reconcile)
        while self.agenda:
            when, _, _what, action = heapq.heappop(self.agenda)
            if when >= T0 + GIVE_UP_AFTER:
                self.counts[f"still busy after {GIVE_UP_AFTER.days} days"] += 1  # the verdict says what
                break
            self.sfn.run_until(when)
            action()

    def quiet(self) -> bool:
        """Nothing left to do but the reconciler: every execution over, no claim unsettled."""
        return not self.sfn.executions(status="RUNNING") and all(
            item[2] == "reconcile" for item in self.agenda
        )

    # -------------------------------------------------------- ProcessFunction (SQS)

    def deliver(self, trigger: Trigger, container: Any = None) -> None:
        trigger.receives += 1
        self.counts[f"trigger deliveries (receive {min(trigger.receives, 3)}{'+' if trigger.receives >= 3 else ''})"] += 1
        event = sqs_event(trigger)
        handler = (container or process_app).lambda_handler
        previous, self.active = self.active, []
        self.current_trigger = trigger
        try:
            answer = handler(event, FakeLambdaContext())
            failed = bool(answer["batchItemFailures"])
        except Crash:
            failed = True
        finally:
            self.active = previous
        if container is not None:
            return  # the first container's delivery decides whether SQS delivers it again
        if failed:
            assert trigger.receives < MAX_RECEIVES, f"trigger {trigger.index} would go to the dead-letter queue"
            self.at(self.sfn.now + VISIBILITY_TIMEOUT, "trigger again", lambda: self.deliver(trigger))
        elif "delivered again after the first delivery finished" in trigger.faults:
            trigger.faults.discard("delivered again after the first delivery finished")
            later = timedelta(seconds=self.rng.randint(1, 3 * 86_400))
            self.at(self.sfn.now + later, "trigger duplicate", lambda: self.deliver(trigger))

    def starting(self, state_machine_arn: str, name: str, payload: Any, start: Callable[[], Any]) -> Any:
        trigger = self.current_trigger
        trigger.contact_id = payload["contact_id"]
        self.plan_for(trigger)
        if "delivered again while the first runs (another container)" in trigger.faults:
            trigger.faults.discard("delivered again while the first runs (another container)")
            self.counts["trigger delivered to a second container mid-flight"] += 1
            self.deliver(trigger, container=self.second)
            self.current_trigger = trigger
        if "ProcessFunction killed before StartExecution" in trigger.faults:
            trigger.faults.discard("ProcessFunction killed before StartExecution")
            self.counts["ProcessFunction killed before StartExecution"] += 1
            raise Crash("Sandbox.Timedout")
        if "StartExecution unavailable" in trigger.faults:
            trigger.faults.discard("StartExecution unavailable")
            self.counts["StartExecution unavailable"] += 1
            raise unavailable()
        return start()

    def plan_for(self, trigger: Trigger) -> None:
        """Draw the contact's sends' faults, from an RNG of its own (the same seed, the same faults
        whatever the order the executor runs things in)."""
        assert trigger.contact_id is not None
        rng = random.Random(f"{self.seed}:{trigger.index}")
        enrolment = f"{self.channel.journey}-{trigger.contact_id}-1"
        for step in self.channel.steps:
            key = SendKey(trigger.contact_id, self.channel.journey, step, enrolment)
            self.plans.setdefault(key, draw_plan(rng, key))

    # -------------------------------------------------------- JourneyStepFunction

    def invoke_step(self, event: Any, context: Any) -> Any:
        if event.get("action") != "send":
            return journey_step_app.lambda_handler(event, context)
        key = SendKey(event["contact_id"], event["journey"], event["step"], event["enrolment"]["id"])
        plan = self.plans[key]
        plan.attempts += 1
        previous, self.active = self.active, plan.in_play()
        try:
            start = in_play(lambda: self.active, "lambda", "invoke")
            if start is not None:
                start.run(lambda: None)
            answer = journey_step_app.lambda_handler(event, context)
            done = in_play(lambda: self.active, "lambda", "answer")
            if done is not None:
                done.run(lambda: None)
            return answer
        except Crash as crash:
            raise StatesError(crash.error, json.dumps({"errorMessage": "injected"})) from None
        finally:
            self.active = previous

    def accepted(self, params: dict[str, Any], answer: dict[str, Any]) -> None:
        """SES accepted a message: note it, and publish its Send event a few seconds to minutes on."""
        tags = {tag["Name"]: tag["Value"] for tag in params["EmailTags"]}
        key = SendKey(tags["contact_id"], tags["journey"], tags["step"], tags["enrolment"])
        plan = self.plans[key]
        now = self.sfn.now
        plan.accepted.append((answer["MessageId"], tags[CLAIM_TAG], now))
        mail = {"messageId": answer["MessageId"], "timestamp": now.isoformat().replace("+00:00", "Z")}
        notification = ses_notification(["ses_event_send.json"], tags, mail)
        delay = timedelta(seconds=self.rng.randint(1, 600))
        failures = 1 if self.rng.random() < FEEDBACK_FAULTS[FAILS_ONCE] else 0
        self.at(now + delay, "feedback", lambda: self.feedback(plan, notification, failures))
        if self.rng.random() < FEEDBACK_FAULTS[TWICE]:
            self.counts[TWICE] += 1
            again = delay + timedelta(seconds=self.rng.randint(1, 600))
            self.at(now + again, "feedback again", lambda: self.feedback(plan, notification, 0))

    # -------------------------------------------------------- EngagementFunction (SNS)

    def feedback(self, plan: Plan, notification: dict[str, Any], failures: int, attempt: int = 0) -> None:
        before = self.ledger.get(plan.key)
        previous = self.active
        if failures:
            self.counts[FAILS_ONCE] += 1
            self.active = [Fault("wire", "GetItem", times=5, key=f"SEND#{plan.key.enrolment}#{plan.key.step}")]
        try:
            engagement_app.lambda_handler(copy.deepcopy(notification), FakeLambdaContext())
        except Exception:
            assert attempt < len(SNS_RETRIES), "a Send event would go to the dead-letter queue"
            retry = SNS_RETRIES[attempt]
            self.at(self.sfn.now + retry, "feedback retry", lambda: self.feedback(plan, notification, 0, attempt + 1))
            return
        finally:
            self.active = previous
        after = self.ledger.get(plan.key)
        if before is not None and after is not None and before.status != SENT and after.status == SENT:
            plan.settled_by_event = True

    # -------------------------------------------------------- ReconcileSendsFunction

    def reconcile(self) -> None:
        self.at(self.sfn.now + RECONCILE_EVERY, "reconcile", self.reconcile)
        if self.nothing_unsettled():
            self.counts["reconciler runs skipped (index empty)"] += 1
            if self.quiet():
                self.agenda.clear()  # the last reconciler run: nothing is left to happen
            return
        try:
            counts = reconcile_app.lambda_handler({}, FakeLambdaContext())
        except Exception as exc:  # ReconciliationIncomplete: the next run retries those claims
            self.counts[f"reconciler run failed ({type(exc).__name__})"] += 1
        else:
            self.counts.update({f"reconciler: {name}": count for name, count in counts.items() if count})
        self.counts["reconciler runs"] += 1

    def nothing_unsettled(self) -> bool:
        """Whether the ledger's sparse index ``unsettled`` is empty: a reconciler run would make 16
        empty Queries and change nothing, so the soak skips it (read beside the wire, uncounted)."""
        scan = {"TableName": self.table, "IndexName": "unsettled", "Select": "COUNT", "Limit": 1}
        if self.engine is not None:
            return int(self.engine.handle("Scan", scan)["Count"]) == 0
        return int(boto3.client("dynamodb", region_name=REGION).scan(**scan)["Count"]) == 0

    def resending(self, record: SendRecord, resend: Callable[[SendRecord], Any]) -> Any:
        plan = self.plans[record.key]
        previous, self.active = self.active, [fault for *_, fault in plan.resend]
        try:
            return resend(record)
        finally:
            self.active = previous


TWICE = "Send event delivered twice (SNS retry)"
FAILS_ONCE = "EngagementFunction fails once (claim read throttled 5 times)"


def arrival(index: int, contacts: int) -> datetime:
    """When the contact subscribes: spread over 12 hours from T0."""
    return T0 + timedelta(seconds=index * 43_200 // contacts)


class Starting:
    """ProcessFunction's Step Functions port, with the soak's hooks before StartExecution."""

    def __init__(self, target: Any, soak: Soak) -> None:
        self._target = target
        self._soak = soak

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def start(self, state_machine_arn: str, name: str, input: Any) -> Any:
        return self._soak.starting(
            state_machine_arn, name, input, lambda: self._target.start(state_machine_arn, name, input)
        )


class Resending:
    """The reconciler's sender, with the soak's re-send faults in play during its re-send."""

    def __init__(self, target: Any, soak: Soak) -> None:
        self._target = target
        self._soak = soak

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def resend(self, record: SendRecord) -> Any:
        return self._soak.resending(record, self._target.resend)


_SQS_SAMPLE: list[dict[str, Any]] = []


def sqs_event(trigger: Trigger) -> dict[str, Any]:
    """SQS's Lambda event (SAM's published sample) with the trigger's record, as the n-th receive."""
    if not _SQS_SAMPLE:
        _SQS_SAMPLE.append(fixture_json("aws_events/sam_sqs_receive_message_event.json")["Records"][0])
    record = copy.deepcopy(_SQS_SAMPLE[0])
    record["messageId"] = trigger.message_id
    record["body"] = trigger.body
    record["md5OfBody"] = hashlib.md5(trigger.body.encode(), usedforsecurity=False).hexdigest()
    record["attributes"]["ApproximateReceiveCount"] = str(trigger.receives)
    return {"Records": [record]}


# ---------------------------------------------------------------- the verdict


@dataclass
class Verdict:
    outcomes: Counter[str]
    problems: list[str]
    messages: int


def verdict(soak: Soak) -> Verdict:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    for key, plan in soak.plans.items():
        record = soak.ledger.get(key)
        ids = [message_id for message_id, *_ in plan.accepted]
        where = f"{key.enrolment}/{key.step} (faults: {[label for _, label, _ in plan.faults]})"
        if len(ids) > 1:
            problems.append(f"{where}: {len(ids)} messages")
        if record is None:
            problems.append(f"{where}: no claim")
        elif record.status == SENT:
            if ids != [record.message_id]:
                problems.append(f"{where}: sent as {record.message_id}, SES accepted {ids}")
            elif record.resends:
                outcomes["sent: re-sent once by the reconciler"] += 1
            elif plan.settled_by_event:
                outcomes["sent: unsettled, then settled by its Send event"] += 1
            else:
                outcomes["sent: recorded by the task"] += 1
        elif record.status == LOST:
            if ids:
                problems.append(f"{where}: lost, yet SES accepted {ids}")
            outcomes["lost: re-sent once, unanswered, given up (counted)"] += 1
        else:
            problems.append(f"{where}: left {record.status}")
    executions = soak.sfn.executions()
    statuses = Counter(execution.status for execution in executions)
    if statuses != Counter({"SUCCEEDED": len(soak.triggers)}):
        problems.append(f"executions: {dict(statuses)} for {len(soak.triggers)} contacts")
    if len(soak.plans) != len(soak.triggers) * len(soak.channel.steps):
        problems.append(f"{len(soak.plans)} sends planned for {len(soak.triggers)} contacts")
    return Verdict(outcomes, problems, sum(len(plan.accepted) for plan in soak.plans.values()))


def fault_table(soak: Soak) -> list[str]:
    by_point: dict[str, list[int]] = {}
    for plan in soak.plans.values():
        for point, _label, fault in [*plan.faults, *plan.resend]:
            counts = by_point.setdefault(point, [0, 0])
            counts[0] += 1
            counts[1] += 1 if fault.fired else 0
    lines = ["| fault point | drawn | fired |", "|---|---|---|"]
    lines += [f"| {point} | {drawn} | {fired} |" for point, (drawn, fired) in by_point.items()]
    return lines


def moto_ses_messages() -> int:
    from moto.ses.models import ses_backends

    return len(ses_backends[ACCOUNT][REGION].sent_messages)


@pytest.fixture
def soak_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Channel, int], Soak]]:
    """moto, the in-process answers, the handlers' dependencies: built per soak, forgotten after."""
    import botocore.endpoint
    from moto import mock_aws

    # botocore sleeps between its retries; the virtual clock runs everything else.
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
    # The functions' own logs (a line per send, per retry): the tables below say what they would.
    quiet = logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined"))
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    with mock_aws():
        built: list[Soak] = []

        def build(channel: Channel, sends: int) -> Soak:
            soak = Soak(channel, SEED, -(-sends // len(channel.steps)), BACKEND)  # at least ``sends``
            built.append(soak)
            return soak

        try:
            yield build
        finally:
            quiet.setLevel(level)
            for module in (journey_step_app, engagement_app, reconcile_app, process_app):
                module.use_dependencies(None)


@pytest.mark.parametrize("channel", [EMAIL], ids=lambda channel: channel.name)
def test_a_thousand_sends_under_random_faults_go_out_exactly_once_or_are_counted_lost(
    soak_world: Callable[[Channel, int], Soak], channel: Channel
) -> None:
    # Given contacts subscribing over 12 hours, each send of their journey with 1-3 faults drawn
    started = time.perf_counter()
    soak = soak_world(channel, SENDS)
    with route_to_local(soak.routes()):
        soak.wire_up()
        # When the triggers arrive through SQS, the journeys run with their Retry rules, SES's
        # events come back and the reconciler runs every 15 minutes, until all is settled
        soak.run()
        result = verdict(soak)
        ses_messages = moto_ses_messages()
    elapsed = time.perf_counter() - started

    report = [
        f"exactly-once soak: {channel.name}, {len(soak.plans)} sends, {len(soak.triggers)} contacts, seed {SEED},"
        f" DynamoDB {BACKEND}: {elapsed:.1f} s, {soak.wire.requests} DynamoDB requests,"
        f" {sum(plan.attempts for plan in soak.plans.values())} send attempts,"
        f" virtual time {soak.sfn.now - T0}",
        "",
        *fault_table(soak),
        "",
        "| outcome | sends |",
        "|---|---|",
        *[f"| {name} | {count} |" for name, count in sorted(result.outcomes.items())],
        f"| SES messages (per send: at most 1) | {result.messages} |",
        "",
        "| delivery and feedback | count |",
        "|---|---|",
        *[f"| {name} | {count} |" for name, count in sorted(soak.counts.items())],
    ]
    print("\n" + "\n".join(report))
    # Then no send went out twice, none is left unsettled, and every message SES accepted is the
    # one its claim records
    assert result.problems == [], "\n".join(result.problems[:20])
    assert result.messages == ses_messages
    assert sum(result.outcomes.values()) == len(soak.plans)
    # And the faults did fire: a soak whose faults never fired would prove nothing
    fired = sum(1 for plan in soak.plans.values() for *_, fault in plan.faults if fault.fired)
    assert fired > len(soak.plans) // 2

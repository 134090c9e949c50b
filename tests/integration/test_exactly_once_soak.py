"""Exactly once, proven by a soak: 1,000 journey sends, half email and half SMS, through the real
code, with faults drawn from a seeded RNG at every point of the send path, Step Functions' retries
and SQS redeliveries (docs/exactly-once.md).

What runs (all of it the shipped code, in-process, on a virtual clock):
- each contact's trigger (a Shopify ``consent.changed``: email or SMS ``subscribed``) arrives as an
  SQS record at ProcessFunction's handler; some records are delivered twice: after the first
  delivery finished, or while it runs (a second container gets the same record just before the
  first calls StartExecution); some deliveries fail (the function killed, StartExecution
  unavailable) and SQS delivers them again after the queue's visibility timeout;
- the compiled journeys (statemachines/welcome.asl.json, sms_welcome.asl.json: their Retry and
  Catch rules) on the local executor, their tasks calling JourneyStepFunction's handler with the
  real adapters;
- SES and SNS (moto's models, answered in-process) behind the real adapters; every message a
  provider accepted gets its feedback a few seconds to minutes later, sometimes twice: SES's Send
  event at EngagementFunction's handler, SNS's SUCCESS status log at SmsEventsFunction's;
- ReconcileSendsFunction's handler every 15 minutes of virtual time;
- DynamoDB: Nurture's in-memory engine (``nurture_local.aws``) behind botocore's full request path
  (signing, the SDK's retries, parsing), or moto's (``SOAK_DYNAMODB=moto``; slower, same verdict).

Faults (tests/faults.py), one to three per send, drawn per send from the seed: before the claim,
on the claim, after the claim, in the provider call (a definite refusal, or no answer whether the
provider got the request or not), after the provider accepted, on the record of ``sent``, on the
record of ``failed``; besides, on the reconciler's re-send, on the trigger's delivery and on the
feedback's.

At the end, for every (contact, journey, step): the provider accepted at most one message, and the
claim is ``sent`` with that message's id (recorded by the task, settled by its feedback, or re-sent
once by the reconciler), or ``lost`` with no message (given up, counted). ``pytest -s`` prints the
tables; docs/exactly-once.md quotes them. ``SOAK_SEED``, ``SOAK_SENDS``, ``SOAK_CHANNELS``
(email,sms) and ``SOAK_DYNAMODB`` (engine | moto) change the run.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import heapq
import importlib.util
import json
import logging
import math
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
import functions.sms_events.app as sms_events_app
from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, SendLedger
from nurture.adapters.ses_email import SES_CLIENT_CONFIG
from nurture.adapters.sns_sms import SNS_CLIENT_CONFIG
from nurture.adapters.stepfunctions import JourneyStart
from nurture.messaging.claims import LOST, SENT, SendKey, SendRecord
from nurture.messaging.sending import JourneySender
from nurture_local.aws.moto_direct import sesv2_answers, sqs_answers
from nurture_local.aws.routing import NotAnswered, ServiceError, route_to_local
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.errors import StatesError
from nurture_local.sfn.executor import LocalStepFunctions
from tests.conftest import FakeLambdaContext, create_nurture_table
from tests.faults import (
    Crash,
    DynamoDbWire,
    Fault,
    Injected,
    engine_backend,
    in_play,
    moto_backend,
    provider_answers,
    unavailable,
)
from tests.sending import ses_notification
from tests.sms_events import SUCCESS, awslogs_event, status_record
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
GIVE_UP_AFTER = timedelta(
    days=40
)  # the journey lasts 16 days; anything still going on at 40 is a bug  # drawn: mostly one, sometimes two or three


@dataclass(frozen=True)
class Channel:
    """What differs between channels: the journey that sends, the provider call (SES, SNS), its
    error codes, and the feedback that settles an unknown outcome (SES's events, SNS's status logs)."""

    name: str
    journey: str
    steps: tuple[str, ...]
    provider: tuple[str, str]  # (service, operation) the adapter calls
    errors: dict[str, tuple[str, int]]  # the provider's error answers by kind: (code, HTTP status)

    @property
    def definition(self) -> str:
        return (ROOT / "statemachines" / f"{self.journey}.asl.json").read_text(encoding="utf-8")


EMAIL = Channel(
    "email",
    "welcome",
    ("welcome", "content", "feedback"),
    ("sesv2", "SendEmail"),
    {
        "throttle": ("TooManyRequestsException", 429),
        "500": ("InternalFailure", 500),
        "paused": ("SendingPausedException", 400),
    },
)
# No "paused" for SNS: a spent SMS budget is not a Publish error (nurture.adapters.sns_sms).
SMS = Channel(
    "sms",
    "sms_welcome",
    ("welcome", "offer"),
    ("sns", "Publish"),
    {"throttle": ("Throttled", 400), "500": ("InternalError", 500)},
)
CHANNELS = {channel.name: channel for channel in (EMAIL, SMS)}


# ---------------------------------------------------------------- the faults, by point

Draw = Callable[[random.Random, Channel], Fault | None]  # None: not a fault of this channel


def lost() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")


def on_wire(fragment: str, *, applied: bool, key: str | None = None) -> Draw:
    """Throttled (not applied) or applied with its answer lost, 1 to 5 times in a row: up to 4 the
    SDK's retries absorb, 5 spend them all (the adapter raises DependencyUnavailable)."""
    return lambda rng, _: Fault("wire", fragment, after=lost() if applied else None, times=rng.randint(1, 5), key=key)


def at(where: str, operation: str, *, before: BaseException | None = None, after: BaseException | None = None) -> Draw:
    return lambda rng, _: Fault(where, operation, before=before, after=after)


def refused(kind: str) -> Draw:
    """The provider's error answer of this kind (not applied: the provider refused the message)."""

    def draw(rng: random.Random, channel: Channel) -> Fault | None:
        if kind not in channel.errors:
            return None
        code, status = channel.errors[kind]
        return Fault("provider", "send", before=ServiceError(code, "injected", status=status))

    return draw


PROVIDER_URL = "https://provider.us-east-1.amazonaws.com/"
# (point, label, draw): the points of issue 8, in the order a send meets them.
POINTS: list[tuple[str, str, Draw]] = [
    (
        "before the claim",
        "Lambda service error before the function ran",
        at("lambda", "invoke", before=Crash("Lambda.ServiceException")),
    ),
    ("before the claim", "profile GetItem throttled 1-5 times", on_wire("GetItem", applied=False, key="PROFILE")),
    ("before the claim", "send history unavailable", at("history", "history", before=unavailable())),
    ("before the claim", "Lambda killed before the claim", at("ledger", "claim", before=Crash("Sandbox.Timedout"))),
    ("the claim", "claim throttled 1-5 times", on_wire("claims = if_not_exists", applied=False)),
    ("the claim", "claim applied, answer lost 1-5 times", on_wire("claims = if_not_exists", applied=True)),
    ("after the claim", "Lambda killed after the claim", at("ledger", "claim", after=Crash("Sandbox.Timedout"))),
    ("after the claim", "claim written, then DependencyUnavailable", at("ledger", "claim", after=unavailable())),
    ("after the claim", "'sending' throttled 1-5 times", on_wire("sending_at", applied=False)),
    ("after the claim", "'sending' applied, answer lost 1-5 times", on_wire("sending_at", applied=True)),
    (
        "after the claim",
        "Lambda killed after 'sending', before the provider",
        at("ledger", "start_sending", after=Crash("Lambda.Unknown")),
    ),
    ("in the provider call", "provider throttles", refused("throttle")),
    ("in the provider call", "provider 500", refused("500")),
    ("in the provider call", "sending paused for the account (email)", refused("paused")),
    (
        "in the provider call",
        "connection to the provider could not open",
        at("provider", "send", before=EndpointConnectionError(endpoint_url=PROVIDER_URL)),
    ),
    (
        "in the provider call",
        "request lost before the provider: no answer",
        at("provider", "send", before=ReadTimeoutError(endpoint_url=PROVIDER_URL)),
    ),
    (
        "in the provider call",
        "Lambda killed during the call, the provider never got it",
        at("provider", "send", before=Crash("Sandbox.Timedout")),
    ),
    (
        "after the provider accepted",
        "accepted, answer lost (read timeout)",
        at("provider", "send", after=ReadTimeoutError(endpoint_url=PROVIDER_URL)),
    ),
    (
        "after the provider accepted",
        "accepted, connection reset",
        at("provider", "send", after=ConnectionClosedError(endpoint_url=PROVIDER_URL)),
    ),
    ("after the provider accepted", "accepted, Lambda killed", at("provider", "send", after=Crash("Sandbox.Timedout"))),
    ("after the provider accepted", "accepted, task timed out", at("provider", "send", after=Crash("States.Timeout"))),
    ("before the record", "'sent' throttled 1-5 times", on_wire("message_id = :message_id", applied=False)),
    ("before the record", "'sent' applied, answer lost 1-5 times", on_wire("message_id = :message_id", applied=True)),
    (
        "before the record",
        "'sent' not recorded (DependencyUnavailable)",
        at("ledger", "record_sent", before=unavailable()),
    ),
    (
        "before the record",
        "Lambda killed before 'sent' was recorded",
        at("ledger", "record_sent", before=Crash("Lambda.Unknown")),
    ),
    (
        "before the record",
        "Lambda killed after 'sent' was recorded",
        at("ledger", "record_sent", after=Crash("Lambda.Unknown")),
    ),
    (
        "before the record",
        "the task's answer lost (Lambda service error)",
        at("lambda", "answer", before=Crash("Lambda.ServiceException")),
    ),
    ("the 'failed' record", "'failed' throttled 1-5 times", on_wire("failed_at", applied=False)),
    (
        "the 'failed' record",
        "'failed' not recorded (DependencyUnavailable)",
        at("ledger", "record_failed", before=unavailable()),
    ),
]
# The reconciler's re-send (email only: an SMS is never re-sent), drawn for a few sends; it fires
# only for a claim left unsettled.
RESEND_POINTS: list[tuple[str, str, Draw]] = [
    (
        "the reconciler's re-send",
        "re-send unanswered, SES never got it",
        at("provider", "send", before=ReadTimeoutError(endpoint_url=PROVIDER_URL)),
    ),
    (
        "the reconciler's re-send",
        "re-send accepted, answer lost",
        at("provider", "send", after=ReadTimeoutError(endpoint_url=PROVIDER_URL)),
    ),
    (
        "the reconciler's re-send",
        "re-send: 'sending' throttled 1-5 times",
        on_wire("resends = if_not_exists", applied=False),
    ),
]
RESEND_FAULT_RATE = 0.15
# The trigger's delivery, per contact: (label, probability).
TRIGGER_FAULTS = {
    "delivered again after the first delivery finished": 0.15,
    "delivered again while the first runs (another container)": 0.10,
    "ProcessFunction killed before StartExecution": 0.08,
    "StartExecution unavailable": 0.08,
}
# The provider's feedback (SES's Send event, SNS's status log): probabilities.
TWICE = "feedback delivered twice"
FAILS_ONCE = "feedback function fails once (its first DynamoDB request throttled 5 times), retried"
FEEDBACK_FAULTS = {TWICE: 0.10, FAILS_ONCE: 0.10}


@dataclass
class Plan:
    """One send: its faults, and what became of them."""

    key: SendKey
    channel: Channel
    faults: list[tuple[str, str, Fault]]
    resend: list[tuple[str, str, Fault]] = field(default_factory=list)
    attempts: int = 0
    accepted: list[tuple[str, datetime]] = field(default_factory=list)  # (message id, when)
    settled_by_event: bool = False

    def in_play(self) -> list[Fault]:
        return [fault for *_, fault in self.faults]


def draw_plan(rng: random.Random, key: SendKey, channel: Channel) -> Plan:
    plan = Plan(key, channel, [])
    for _ in range(rng.choice(FAULTS_PER_SEND)):
        fault = None
        while fault is None:
            point, label, draw = rng.choice(POINTS)
            fault = draw(rng, channel)
        plan.faults.append((point, label, fault))
    if channel is EMAIL and rng.random() < RESEND_FAULT_RATE:
        point, label, draw = rng.choice(RESEND_POINTS)
        plan.resend.append((point, label, draw(rng, channel)))  # type: ignore[arg-type]
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
    channel: Channel
    body: str
    message_id: str
    faults: set[str]
    receives: int = 0
    contact_id: str | None = None


class Soak:
    def __init__(self, channels: tuple[Channel, ...], seed: int, sends: int, backend: str) -> None:
        self.channels = channels
        self.rng = random.Random(seed)
        self.current_key: SendKey | None = None  # the send being attempted (its provider call's)
        self.feedback_lost = False  # the check that the soak can fail: no feedback ever comes
        self.seed = seed
        self.active: list[Fault] = []
        self.plans: dict[SendKey, Plan] = {}
        self.agenda: list[tuple[datetime, int, str, Callable[[], None]]] = []
        self.sequence = 0
        self.counts: Counter[str] = Counter()
        contacts = contact_channels(channels, sends)
        self.triggers = [self._trigger(index, len(contacts), channel) for index, channel in enumerate(contacts)]
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

    def _trigger(self, index: int, contacts: int, channel: Channel) -> Trigger:
        """The store reports the contact subscribed to the channel (an email, or a phone number)."""
        if channel is EMAIL:
            who = contact(email=f"soak-{index:04d}@example.com", customer_id=f"{90000 + index}", phone=None)
        else:
            who = contact(email=None, customer_id=f"{90000 + index}", phone=f"+1415555{index:04d}")
        body = consent("subscribed", arrival(index, contacts), channel=channel.name, who=who)
        faults = {label for label, rate in TRIGGER_FAULTS.items() if self.rng.random() < rate}
        return Trigger(index, channel, body.model_dump_json(), f"soak-{self.seed}-{index:05d}", faults)

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
            "sns": boto3.client("sns", region_name=REGION, config=Config(**SNS_CLIENT_CONFIG)),
            "stepfunctions": stepfunctions,
            "sqs": boto3.client("sqs", region_name=REGION),
        }
        steps = journey_step_app.build(environ, clock=clock, clients=clients)
        sender = steps.sender
        assert isinstance(sender, JourneySender)
        sender = dataclasses.replace(
            sender,
            recipients=Injected(sender.recipients, "recipients", lambda: self.active),
            history=Injected(sender.history, "history", lambda: self.active),
            ledger=Injected(sender.ledger, "ledger", lambda: self.active),
        )
        journey_step_app.use_dependencies(dataclasses.replace(steps, sender=sender))
        engagement_app.use_dependencies(engagement_app.build(environ, clients=clients))
        sms_events_app.use_dependencies(sms_events_app.build(environ, clients=clients))
        reconciler = reconcile_app.build(environ, clock=clock, clients=clients)
        reconcile_app.use_dependencies(dataclasses.replace(reconciler, sender=Resending(reconciler.sender, self)))
        dispatcher = process_app.build(environ, clients=clients, clock=clock)
        self.second = load_container(f"soak_process_second_container_{id(self)}")
        self.second.use_dependencies(self.second.build(environ, clients=clients, clock=clock))
        process_app.use_dependencies(dataclasses.replace(dispatcher, executions=Starting(dispatcher.executions, self)))
        self.sfn.register_handler(STEP_FUNCTION, self.invoke_step)
        for channel in self.channels:
            self.sfn.create_state_machine(
                f"nurture-journey-{channel.journey}",
                channel.definition,
                substitutions={"JourneyStepFunctionArn": STEP_FUNCTION},
            )

    def routes(self) -> dict[tuple[str, str], Any]:
        """SQS, SES and SNS answered in-process from moto's models; each provider call with the
        faults of the send being attempted."""
        answers = {**sqs_answers(ACCOUNT, REGION), **sesv2_answers(ACCOUNT, REGION), **sns_sms_answers()}
        for channel in self.channels:
            answers = provider_answers(answers, channel.provider, lambda: self.active, self.accepted)
        return answers

    # -------------------------------------------------------- the agenda (virtual time)

    def at(self, when: datetime, what: str, action: Callable[[], None]) -> None:
        self.sequence += 1
        heapq.heappush(self.agenda, (when, self.sequence, what, action))

    def run(self) -> None:
        for trigger in self.triggers:
            when = arrival(trigger.index, len(self.triggers))
            self.at(when, "trigger", functools.partial(self.deliver, trigger))
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
        return not self.sfn.executions(status="RUNNING") and all(item[2] == "reconcile" for item in self.agenda)

    # -------------------------------------------------------- ProcessFunction (SQS)

    def deliver(self, trigger: Trigger, container: Any = None) -> None:
        trigger.receives += 1
        self.counts[
            f"trigger deliveries (receive {min(trigger.receives, 3)}{'+' if trigger.receives >= 3 else ''})"
        ] += 1
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
        channel = trigger.channel
        enrolment = f"{channel.journey}-{trigger.contact_id}-1"
        for step in channel.steps:
            key = SendKey(trigger.contact_id, channel.journey, step, enrolment)
            self.plans.setdefault(key, draw_plan(rng, key, channel))

    # -------------------------------------------------------- JourneyStepFunction

    def invoke_step(self, event: Any, context: Any) -> Any:
        if event.get("action") != "send":
            return journey_step_app.lambda_handler(event, context)
        key = SendKey(event["contact_id"], event["journey"], event["step"], event["enrolment"]["id"])
        plan = self.plans[key]
        plan.attempts += 1
        previous, self.active = self.active, plan.in_play()
        self.current_key = key
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
        """The provider accepted a message: note it, and deliver its feedback a few seconds to
        minutes on: SES's Send event to EngagementFunction, SNS's SUCCESS status log to
        SmsEventsFunction."""
        assert self.current_key is not None
        plan = self.plans[self.current_key]
        now = self.sfn.now
        plan.accepted.append((answer["MessageId"], now))
        if plan.channel is EMAIL:
            tags = {tag["Name"]: tag["Value"] for tag in params["EmailTags"]}
            mail = {"messageId": answer["MessageId"], "timestamp": now.isoformat().replace("+00:00", "Z")}
            event = ses_notification(["ses_event_send.json"], tags, mail)
            handler = engagement_app.lambda_handler
        else:
            status = status_record(SUCCESS, message_id=answer["MessageId"], to=params["PhoneNumber"], at=now)
            event = awslogs_event([status], at=now)
            handler = sms_events_app.lambda_handler
        if self.feedback_lost:
            return
        delay = timedelta(seconds=self.rng.randint(1, 600))
        failures = 1 if self.rng.random() < FEEDBACK_FAULTS[FAILS_ONCE] else 0
        self.at(now + delay, "feedback", lambda: self.feedback(plan, handler, event, failures))
        if self.rng.random() < FEEDBACK_FAULTS[TWICE]:
            self.counts[f"{plan.channel.name}: {TWICE}"] += 1
            again = delay + timedelta(seconds=self.rng.randint(1, 600))
            self.at(now + again, "feedback again", lambda: self.feedback(plan, handler, event, 0))

    # -------------------------------------------------------- EngagementFunction, SmsEventsFunction

    def feedback(
        self, plan: Plan, handler: Callable[..., Any], event: dict[str, Any], failures: int, attempt: int = 0
    ) -> None:
        """An asynchronous invocation (SNS, CloudWatch Logs): a failed one is retried twice."""
        before = self.ledger.get(plan.key)
        previous = self.active
        if failures:
            self.counts[f"{plan.channel.name}: {FAILS_ONCE}"] += 1
            self.active = [Fault("wire", "", times=5)]
        try:
            handler(copy.deepcopy(event), FakeLambdaContext())
        except Exception:  # noqa: BLE001 - any error fails the invocation, which Lambda retries
            assert attempt < len(SNS_RETRIES), "the feedback would go to the dead-letter queue"
            retry = SNS_RETRIES[attempt]
            self.at(self.sfn.now + retry, "feedback retry", lambda: self.feedback(plan, handler, event, 0, attempt + 1))
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
        except Exception as exc:  # noqa: BLE001 - ReconciliationIncomplete: the next run retries those claims
            self.counts[f"reconciler run failed ({type(exc).__name__})"] += 1
        else:
            self.counts.update({f"reconciler: {name}": count for name, count in counts.items() if count})
        self.counts["reconciler runs"] += 1

    def nothing_unsettled(self) -> bool:
        """Whether the ledger's sparse index ``unsettled`` is empty: a reconciler run would make 16
        empty Queries and change nothing, so the soak skips it (read beside the wire, uncounted)."""
        scan: dict[str, Any] = {"TableName": self.table, "IndexName": "unsettled", "Select": "COUNT", "Limit": 1}
        if self.engine is not None:
            return int(self.engine.handle("Scan", scan)["Count"]) == 0
        return int(boto3.client("dynamodb", region_name=REGION).scan(**scan)["Count"]) == 0

    def resending(self, record: SendRecord, resend: Callable[[SendRecord], Any]) -> Any:
        plan = self.plans[record.key]
        previous, self.active = self.active, [fault for *_, fault in plan.resend]
        self.current_key = record.key
        try:
            return resend(record)
        finally:
            self.active = previous


def sns_sms_answers() -> dict[tuple[str, str], Any]:
    """SNS Publish to a phone number answered from moto's SNS model, which keeps the SMS."""

    def publish(_: str, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("PhoneNumber"):
            raise NotAnswered
        from moto.sns.models import sns_backends

        backend = sns_backends[ACCOUNT][REGION]
        return {"MessageId": backend.publish(params["Message"], None, phone_number=params["PhoneNumber"])}

    return {("sns", "Publish"): publish}


def contact_channels(channels: tuple[Channel, ...], sends: int) -> list[Channel]:
    """Each contact's channel: as many sends on each channel, ``sends`` at least in all (an email
    welcome sends 3, an SMS welcome 2: two email contacts for every three SMS ones)."""
    per_channel = math.lcm(*(len(channel.steps) for channel in channels))
    pattern = [channel for channel in channels for _ in range(per_channel // len(channel.steps))]
    return pattern * -(-sends // (per_channel * len(channels)))


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
        if input["journey"] not in {channel.journey for channel in self._soak.channels}:
            # An email subscriber with no order also enters the acquisition nurture: the soak proves the
            # sends of its channels' journeys, so another journey's start succeeds and runs nothing.
            return JourneyStart("started", name)
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
    outcomes: Counter[tuple[str, str]]  # (channel, outcome)
    problems: list[str]
    messages: int


def verdict(soak: Soak) -> Verdict:
    outcomes: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    for key, plan in soak.plans.items():
        record = soak.ledger.get(key)
        ids = [message_id for message_id, _ in plan.accepted]
        name = plan.channel.name
        where = f"{key.enrolment}/{key.step} (faults: {[label for _, label, _ in plan.faults]})"
        if len(ids) > 1:
            problems.append(f"{where}: {len(ids)} messages")
        if record is None:
            problems.append(f"{where}: no claim")
        elif record.status == SENT:
            if ids != [record.message_id]:
                problems.append(f"{where}: sent as {record.message_id}, SES accepted {ids}")
            elif record.resends:
                outcomes[(name, "sent: re-sent once by the reconciler")] += 1
            elif plan.settled_by_event:
                outcomes[(name, "sent: unsettled, then settled by the provider's feedback")] += 1
            else:
                outcomes[(name, "sent: recorded by the task")] += 1
        elif record.status == LOST:
            if ids:
                problems.append(f"{where}: lost, yet the provider accepted {ids}")
            given_up = "re-sent once, unanswered, given up" if record.resends else "never re-sent (SMS), given up"
            outcomes[(name, f"lost: {given_up} (counted)")] += 1
        else:
            problems.append(f"{where}: left {record.status}")
    executions = soak.sfn.executions()
    statuses = Counter(execution.status for execution in executions)
    if statuses != Counter({"SUCCEEDED": len(soak.triggers)}):
        problems.append(f"executions: {dict(statuses)} for {len(soak.triggers)} contacts")
    if len(soak.plans) != sum(len(trigger.channel.steps) for trigger in soak.triggers):
        problems.append(f"{len(soak.plans)} sends planned for {len(soak.triggers)} contacts")
    return Verdict(outcomes, problems, sum(len(plan.accepted) for plan in soak.plans.values()))


def fault_table(soak: Soak) -> list[str]:
    """Faults drawn and fired, by point and channel (a fault may never fire: its point was never
    reached, e.g. a 'failed' record after a provider that did not refuse)."""
    counts: dict[str, Counter[str]] = {}
    for plan in soak.plans.values():
        for point, _label, fault in [*plan.faults, *plan.resend]:
            by_channel = counts.setdefault(point, Counter())
            by_channel[f"{plan.channel.name} drawn"] += 1
            by_channel[f"{plan.channel.name} fired"] += 1 if fault.fired else 0
    names = [channel.name for channel in soak.channels]
    lines = [
        "| fault point | " + " | ".join(f"{name}: drawn | {name}: fired" for name in names) + " |",
        "|---|" + "---|---|" * len(names),
    ]
    order = list(dict.fromkeys(point for point, *_ in [*POINTS, *RESEND_POINTS]))
    for point in sorted(counts, key=order.index):
        cells = " | ".join(f"{counts[point][f'{name} drawn']} | {counts[point][f'{name} fired']}" for name in names)
        lines.append(f"| {point} | {cells} |")
    return lines


def moto_messages() -> int:
    """What moto's SES and SNS kept: every email and SMS they accepted."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    return len(ses_backends[ACCOUNT][REGION].sent_messages) + len(sns_backends[ACCOUNT][REGION].sms_messages)


@pytest.fixture
def soak_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[tuple[Channel, ...], int], Soak]]:
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

        def build(channels: tuple[Channel, ...], sends: int) -> Soak:
            soak = Soak(channels, SEED, sends, BACKEND)
            built.append(soak)
            return soak

        try:
            yield build
        finally:
            quiet.setLevel(level)
            for module in (journey_step_app, engagement_app, sms_events_app, reconcile_app, process_app):
                module.use_dependencies(None)


SOAK_CHANNELS = tuple(CHANNELS[name] for name in os.environ.get("SOAK_CHANNELS", "email,sms").split(","))


def run_soak(soak: Soak) -> tuple[Verdict, int]:
    with route_to_local(soak.routes()):
        soak.wire_up()
        soak.run()
        return verdict(soak), moto_messages()


def report(soak: Soak, result: Verdict, elapsed: float) -> str:
    channels = "+".join(channel.name for channel in soak.channels)
    lines = [
        f"exactly-once soak: {channels}, {len(soak.plans)} sends, {len(soak.triggers)} contacts, seed {soak.seed},"
        f" DynamoDB {BACKEND}: {elapsed:.1f} s, {soak.wire.requests} DynamoDB requests,"
        f" {sum(plan.attempts for plan in soak.plans.values())} send attempts,"
        f" virtual time {soak.sfn.now - T0}",
        "",
        *fault_table(soak),
        "",
        "| channel | outcome | sends |",
        "|---|---|---|",
        *[f"| {channel} | {name} | {count} |" for (channel, name), count in sorted(result.outcomes.items())],
        f"| all | messages the provider accepted (at most 1 per send) | {result.messages} |",
        "",
        "| trigger, feedback, reconciler | count |",
        "|---|---|",
        *[f"| {name} | {count} |" for name, count in sorted(soak.counts.items())],
    ]
    return "\n".join(lines)


def test_a_thousand_sends_under_random_faults_go_out_exactly_once_or_are_counted_lost(
    soak_world: Callable[[tuple[Channel, ...], int], Soak],
) -> None:
    # Given contacts subscribing over 12 hours (half to email, half to SMS), each send of their
    # journey with 1-3 faults drawn from the seed
    started = time.perf_counter()
    soak = soak_world(SOAK_CHANNELS, SENDS)
    # When the triggers arrive through SQS, the journeys run with their Retry rules, the providers'
    # feedback comes back and the reconciler runs every 15 minutes, until all is settled
    result, provider_kept = run_soak(soak)
    print("\n" + report(soak, result, time.perf_counter() - started))
    # Then no send went out twice, none is left unsettled, and every message the provider accepted
    # is the one its claim records
    assert result.problems == [], "\n".join(result.problems[:20])
    assert result.messages == provider_kept
    assert sum(result.outcomes.values()) == len(soak.plans) >= SENDS
    # And the faults did fire: a soak whose faults never fired would prove nothing
    fired = sum(1 for plan in soak.plans.values() for *_, fault in plan.faults if fault.fired)
    assert fired > len(soak.plans) // 2


def test_the_soak_sees_a_duplicate_when_the_providers_feedback_is_lost(
    soak_world: Callable[[tuple[Channel, ...], int], Soak],
) -> None:
    # Given the soak with SES's events never delivered (the one way docs/email.md says a
    # duplicate can happen: SES accepted, its answer and every event lost, the reconciler re-sends)
    soak = soak_world((EMAIL,), 90)
    soak.feedback_lost = True
    # When it runs
    result, _ = run_soak(soak)
    # Then the verdict names the duplicates: the soak can fail
    assert any(problem.endswith(": 2 messages") for problem in result.problems), result.problems

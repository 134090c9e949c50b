"""The local AWS environment: moto in-process, the stack from template.yaml, handlers called in-process.

`LocalEnvironment` is a context manager:
- time: time-machine holds the whole process at the executor's virtual time, so handlers, moto and
  the executor agree on "now" (a send recorded at +16 days says +16 days);
- AWS: moto's `mock_aws`; the SAM template is packaged and translated locally and deployed with
  moto's CloudFormation, so the tables, queues and parameters are the ones template.yaml declares;
  the calls a run makes by the thousand (SQS send/receive/delete, SES v2 raw sends) are answered from
  moto's backend models in-process, without the HTTP round trip, and DynamoDB by Nurture's in-memory
  engine once the deploy created the tables (`nurture_local.aws`; ``dynamodb="moto"`` keeps moto's);
- Step Functions: the state machines of the template run on `nurture_local.sfn`, their Lambda ARNs
  routed to the handlers named by each function's CodeUri and Handler; `boto3.client("stepfunctions")`
  inside handlers returns the executor's boto3-shaped client;
- secrets: the local configuration's secrets are written to moto's SSM under the template's names;
- what moto's CloudFormation skips and the handlers need: the SES configuration set (created in
  moto's SES v2), its event destination and the SNS subscription behind it (every email accepted
  queues SES's Send and Delivery events; `engagement_event` queues an Open, Click, Bounce or
  Complaint of the latest email sent to an address; `publish_email_events` delivers them to the
  subscribed functions in SNS's Lambda envelope), and EventBridge schedules (moto creates the rule
  and never fires it: `schedules` lists each rule's expression, the runner fires them on the
  virtual clock with `run_schedule`);
- SMS: every SMS published to a phone number through SNS is kept (`sent_sms`: the outbox's .txt files)
  and gets the SUCCESS delivery status record SNS would log, delivered to the functions subscribed to
  SNS's SMS status log groups as a CloudWatch Logs subscription event; `sms_failure` queues a FAILURE
  record for the latest SMS to a number, `sms_reply` a contact's reply as the origination number's
  two-way channel publishes it to the inbound topic (SNS's Lambda envelope, to that topic's
  subscribers); `publish_sms_events` delivers them (moto has neither the log subscriptions nor
  End User Messaging).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from nurture_local.aws.dynamodb import DynamoDBEngine, mirror_tables
from nurture_local.aws.moto_direct import sesv2_answers, sqs_answers
from nurture_local.aws.routing import NotAnswered, route_dynamodb_to, route_to_local
from nurture_local.sfn.client import LocalStepFunctionsClient
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import LambdaContext, LocalStepFunctions

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARTIFACT_BUCKET = "nurture-local-artifacts"
STACK_NAME = "nurture-local"
DYNAMODB_BACKENDS = ("in-memory", "moto")  # the first is the default
# A schedule faster than this fires at this period locally. The reconciler (rate(15 minutes), ~3 ms
# a run: 16 index queries) fired hourly made `make demo` about 55% slower, and locally SES answers
# every send, so it has work only when a test plants an unknown claim.
LOCAL_SCHEDULE_FLOOR = timedelta(hours=6)
ENGAGEMENT_EVENT_TYPES = {
    "open": "Open",
    "click": "Click",
    "bounce": "Bounce",
    "soft_bounce": "Bounce",  # a transient bounce (mailbox full): counted, suppresses after a threshold
    "complaint": "Complaint",
}


class NoMessageFor(LookupError):
    """An engagement line names an address no email was sent to (yet)."""


@dataclass(frozen=True)
class Schedule:
    """An EventBridge rule's schedule, as the local runtime fires it: every ``period`` from
    ``offset`` after midnight UTC (``rate``: from the start of the run; ``cron``: a time of day)."""

    logical_id: str
    expression: str
    period: timedelta
    time_of_day: timedelta | None = None  # cron: the UTC time of day it fires

    def first_after(self, start: datetime) -> datetime:
        if self.time_of_day is None:
            return start + self.period
        midnight = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first = midnight + self.time_of_day
        return first if first > start else first + timedelta(days=1)


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")


def parse_schedule(logical_id: str, expression: str) -> Schedule:
    """``rate(N minute(s)|hour(s)|day(s))`` (floored to LOCAL_SCHEDULE_FLOOR) and the daily
    ``cron(M H * * ? *)`` forms; anything else is refused, naming the rule's target."""
    rate = _RATE.fullmatch(expression.strip())
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        period = timedelta(**{f"{unit}s": count})
        if count < 1:
            raise ValueError(f"{logical_id}: {expression!r}: a rate must be at least 1")
        return Schedule(logical_id, expression, max(period, LOCAL_SCHEDULE_FLOOR))
    fields = expression.strip().removeprefix("cron(").removesuffix(")").split()
    if expression.strip().startswith("cron(") and len(fields) == 6 and all(f in ("*", "?") for f in fields[2:]):
        minute, hour = fields[0], fields[1]
        if minute.isdigit() and hour.isdigit() and int(minute) < 60 and int(hour) < 24:
            return Schedule(logical_id, expression, timedelta(days=1), timedelta(hours=int(hour), minutes=int(minute)))
    raise ValueError(
        f"{logical_id}: schedule {expression!r} is not supported by the local runtime"
        " (rate(N minutes|hours|days) or a daily cron(M H * * ? *))"
    )


@dataclass(frozen=True)
class LocalConfig:
    """What a deployment gets from its operator; locally these are development values."""

    sender_address: str = "hello@nurture.local"
    unsubscribe_base_url: str = "https://nurture.localhost/unsubscribe"
    webhook_secrets: dict[str, str] = field(
        default_factory=lambda: {
            "shopify": "local-shopify-app-secret",
            "woocommerce": "local-woocommerce-webhook-secret",
            "generic": "local-generic-secret",
        }
    )
    unsubscribe_secret: str = "local-unsubscribe-signing-secret"  # noqa: S105 - a development value
    event_retention_days: int = 400
    # Handlers' own logs would drown the report; `nurture run --verbose` shows them.
    log_level: str = "WARNING"
    # Which DynamoDB answers the handlers: "in-memory" (nurture_local.aws.dynamodb: its cost per call
    # does not grow with the table) or "moto" (the reference the contract tests hold the engine to;
    # moto 5.2.5 copies whole tables on every transaction, so a run's cost grows with its size).
    dynamodb: str = "in-memory"
    # Variables added to every function's environment, as an operator's deployment would set them
    # (e.g. ``DELIVERY_MIN_GAP``: docs/delivery.md).
    function_environment: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dynamodb not in DYNAMODB_BACKENDS:
            raise ValueError(f"dynamodb must be one of {', '.join(DYNAMODB_BACKENDS)}, not {self.dynamodb!r}")


class TravellingClock(VirtualClock):
    """The executor's virtual clock; moving it moves the whole process's time (time-machine)."""

    def __init__(self, start: datetime) -> None:
        import time_machine

        super().__init__(start)
        self._traveller = time_machine.travel(start, tick=False)
        self._coordinates = self._traveller.start()

    def set(self, when: float) -> None:
        before = self.now()
        super().set(when)
        if self.now() != before:
            self._coordinates.move_to(self.now(), tick=False)

    def stop(self) -> None:
        self._traveller.stop()


@dataclass
class DeployedFunction:
    logical_id: str
    physical_name: str
    handler: Callable[[Any, Any], Any]
    environment: dict[str, str]


class LocalEnvironment:
    def __init__(self, root: Path, start: datetime, config: LocalConfig | None = None) -> None:
        self.root = root
        self.start = start
        self.config = config or LocalConfig()
        self.functions: dict[str, DeployedFunction] = {}
        self.resources: dict[str, str] = {}  # logical id -> physical id (and state machine ARNs)
        self.state_machines: dict[str, str] = {}  # logical id -> ARN on the local executor
        self._stack = contextlib.ExitStack()
        self.clock: TravellingClock | None = None
        self.executor: LocalStepFunctions | None = None
        # Stand-ins for what moto's CloudFormation skips (see `_stand_in_for_skipped`).
        self.email_event_functions: list[str] = []  # logical ids SES's events reach (through SNS)
        self.scheduled_functions: list[str] = []  # logical ids EventBridge schedules invoke
        self.schedules: list[Schedule] = []  # their schedules, in the template's order
        self._email_events: list[dict[str, Any]] = []  # SES events not yet delivered
        self.sms_status_functions: list[str] = []  # logical ids subscribed to SNS's SMS status log groups
        self.sms_inbound_functions: list[str] = []  # logical ids subscribed to the two-way SMS topic
        self.sms_inbound_topic: str = ""  # logical id of that topic (its policy lets sms-voice publish)
        self.sent_sms: list[SentSms] = []  # every SMS SNS accepted, in order
        self._sms_events: list[tuple[str, dict[str, Any]]] = []  # (function kind, event) not yet delivered
        # Recipient address (lower-cased) -> the "mail" object of every email SES accepted for it,
        # oldest first (message id, destination, tags): what an engagement line's event is about.
        self.sent_mail: dict[str, list[dict[str, Any]]] = {}

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalEnvironment:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        from moto import mock_aws

        for name, value in {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            self._stack.enter_context(_environ({name: value}))
        self.clock = TravellingClock(self.start)
        self._stack.callback(self.clock.stop)
        self._stack.enter_context(mock_aws())
        self._stack.enter_context(
            route_to_local(
                {**sqs_answers(ACCOUNT, REGION), **self._sesv2_publishing_events(), **self._sms_publishing_events()}
            )
        )
        self.executor = LocalStepFunctions(clock=self.clock, region=REGION, account=ACCOUNT)
        self._stack.enter_context(_route_stepfunctions_to(LocalStepFunctionsClient(self.executor)))
        self._deploy()
        if self.config.dynamodb == "in-memory":
            self._stack.enter_context(route_dynamodb_to(self._dynamodb_from_deploy()))

    def _sesv2_publishing_events(self) -> dict[tuple[str, str], Any]:
        """moto's SES v2 sends, each accepted message also queuing the Send event SES would publish
        through the configuration set's event destination (when the template declares one)."""
        answers = sesv2_answers(ACCOUNT, REGION)
        send = answers[("sesv2", "SendEmail")]

        def send_and_publish(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            answer = send(operation, params)
            event = _ses_send_event(params, str(answer["MessageId"]))
            for address in event["mail"]["destination"]:
                self.sent_mail.setdefault(str(address).lower(), []).append(event["mail"])
            if self.email_event_functions:
                # SES publishes Send at once and Delivery once the receiving server accepts it.
                self._email_events.extend([event, _ses_delivery_event(event["mail"])])
            return answer

        return {**answers, ("sesv2", "SendEmail"): send_and_publish}

    def _sms_publishing_events(self) -> dict[tuple[str, str], Any]:
        """SNS publishes to a phone number, answered from moto's backend (which keeps the SMS), each
        also queuing the SUCCESS status record SNS would log for it. Topic publishes go to moto."""

        def publish_sms(_: str, params: dict[str, Any]) -> dict[str, Any]:
            number = params.get("PhoneNumber")
            if not number:
                raise NotAnswered
            from moto.sns.models import sns_backends

            try:
                message_id = sns_backends[ACCOUNT][REGION].publish(params["Message"], None, phone_number=number)
            except ValueError:
                raise NotAnswered from None  # moto's own path answers the error
            attributes = params.get("MessageAttributes") or {}
            sms_type = attributes.get("AWS.SNS.SMS.SMSType", {}).get("StringValue") or "Promotional"
            sent = SentSms(message_id, str(number), str(params["Message"]), datetime.now(UTC), str(sms_type))
            self.sent_sms.append(sent)
            if self.sms_status_functions:
                self._queue_status(sent, "SUCCESS", "Message has been accepted by phone carrier")
            return {"MessageId": message_id}

        return {("sns", "Publish"): publish_sms}

    def _queue_status(self, sms: SentSms, status: str, response: str) -> None:
        group = f"sns/{REGION}/{ACCOUNT}/DirectPublishToPhoneNumber" + ("" if status == "SUCCESS" else "/Failure")
        event = _logs_subscription_event(group, [_sms_status_record(sms, status, response)])
        self._sms_events.append(("status", event))

    def sms_failure(self, to: str, response: str) -> None:
        """Queue the FAILURE status record SNS logs when the latest SMS to ``to`` could not be
        delivered (``response``: the carrier's answer, e.g. "Invalid phone number").
        ``NoMessageFor`` when no SMS was sent to ``to``."""
        sms = next((sent for sent in reversed(self.sent_sms) if sent.number == to), None)
        if sms is None:
            raise NoMessageFor(f"no SMS was sent to {to} before this line")
        self._queue_status(sms, "FAILURE", response)

    def sms_reply(self, number: str, text: str) -> None:
        """Queue what the origination number's two-way channel publishes to the inbound topic when
        ``number`` replies ``text`` (End User Messaging's two-way payload, in SNS's Lambda envelope)."""
        import uuid

        payload = {
            "originationNumber": number,
            "destinationNumber": self.sent_sms[-1].origination if self.sent_sms else "+18005550100",
            "messageKeyword": "KEYWORD_" + ACCOUNT,
            "messageBody": text,
            "inboundMessageId": str(uuid.uuid4()),
            "previousPublishedMessageId": next(
                (sms.message_id for sms in reversed(self.sent_sms) if sms.number == number), ""
            ),
        }
        self._sms_events.append(("inbound", _sns_notification(payload, self.resources.get(self.sms_inbound_topic, ""))))

    def publish_sms_events(self) -> int:
        """Deliver the queued SMS status records and replies to their functions, one invocation each
        (as CloudWatch Logs and SNS invoke Lambda). Returns how many were delivered."""
        delivered = 0
        while self._sms_events:
            kind, event = self._sms_events.pop(0)
            for logical_id in self.sms_status_functions if kind == "status" else self.sms_inbound_functions:
                self.invoke(logical_id, event)
            delivered += 1
        return delivered

    def publish_email_events(self) -> int:
        """Deliver the queued SES events to their subscribers, one SNS notification per invocation
        (as SNS invokes Lambda). Returns how many events were delivered."""
        delivered = 0
        while self._email_events:
            message = self._email_events.pop(0)
            for logical_id in self.email_event_functions:
                self.invoke(logical_id, _sns_notification(message, self.resources.get("EmailEventsTopic", "")))
            delivered += 1
        return delivered

    def engagement_event(self, action: str, to: str, link: str | None = None, step: str | None = None) -> None:
        """Queue what SES publishes when the recipient of the latest email sent to ``to`` (of the
        journey step ``step``, when given) opens it, clicks ``link``, or when it bounces or is marked
        as spam (the shapes of SES's published samples, tests/fixtures/third_party/ses).
        ``NoMessageFor`` when no such email was sent to ``to``."""
        sent = self.sent_mail.get(to.lower(), [])
        mail = next((m for m in reversed(sent) if step is None or m["tags"].get("step") == [step]), None)
        if mail is None:
            of_step = f" for step {step}" if step is not None else ""
            raise NoMessageFor(f"no email{of_step} was sent to {to} before this line")
        self._email_events.append(
            _ses_engagement_event(ENGAGEMENT_EVENT_TYPES[action], mail, to, link, transient=action == "soft_bounce")
        )

    def consent_link(self, to: str, kind: str, step: str | None = None) -> str:
        """The link a consent line follows in the latest email to ``to`` (of ``step``, when given)
        that carries one: ``unsubscribe`` is its List-Unsubscribe URL, ``confirm`` its confirmation
        link. ``NoMessageFor`` when no such email was sent."""
        from moto.ses.models import ses_backends

        raw_by_id = {
            sent.id: (raw.encode() if isinstance(raw, str) else raw)
            for sent in ses_backends[ACCOUNT][REGION].sent_messages
            if (raw := getattr(sent, "raw_data", None)) is not None
        }
        for mail in reversed(self.sent_mail.get(to.lower(), [])):
            if step is not None and mail["tags"].get("step") != [step]:
                continue
            link = _consent_link(raw_by_id.get(str(mail["messageId"]), b""), kind)
            if link is not None:
                return link
        of_step = f" of step {step}" if step is not None else ""
        raise NoMessageFor(f"no email{of_step} with a {kind} link was sent to {to} before this line")

    def run_schedule(self, logical_id: str) -> Any:
        """Invoke an EventBridge-scheduled function now, with a scheduled event; its answer."""
        return self.invoke(logical_id, _scheduled_event())

    def run_schedules(self) -> dict[str, Any]:
        """Invoke each EventBridge-scheduled function once, with a scheduled event; their answers."""
        return {logical_id: self.run_schedule(logical_id) for logical_id in self.scheduled_functions}

    def _dynamodb_from_deploy(self) -> DynamoDBEngine:
        """The engine, holding the tables (and anything in them) that the deploy created in moto."""
        import boto3

        engine = DynamoDBEngine(region=REGION, account_id=ACCOUNT)
        mirror_tables(boto3.client("dynamodb", region_name=REGION), engine)
        return engine

    # ------------------------------------------------------------ deployment

    def _deploy(self) -> None:
        import boto3

        from nurture_local import template as sam

        parameters = {
            "SenderAddress": self.config.sender_address,
            "UnsubscribeBaseUrl": self.config.unsubscribe_base_url,
            "EventRetentionDays": str(self.config.event_retention_days),
            "LogLevel": self.config.log_level,
        }
        source = sam.load_template(self.root / "template.yaml")
        packaged = sam.package_template(source, self.root, bucket=ARTIFACT_BUCKET)
        translated = sam.translate(packaged, REGION)

        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        for bucket, key in sam.code_artifacts(packaged):
            s3.put_object(Bucket=bucket, Key=key, Body=_stub_zip())

        cloudformation = boto3.client("cloudformation", region_name=REGION)
        declared = translated.get("Parameters", {})
        with _quiet_moto_cloudformation():
            cloudformation.create_stack(
                StackName=STACK_NAME,
                TemplateBody=json.dumps(_without_event_source_mappings(translated)),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        # moto skips what it does not emulate (the HTTP API, the SES configuration set): those rows
        # come back without ids and are not needed locally.
        with _quiet_moto_cloudformation():
            rows = cloudformation.describe_stack_resources(StackName=STACK_NAME)["StackResources"]
        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in rows
            if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
        }
        self._stand_in_for_skipped(translated, resources)
        values = {name: spec.get("Default", "") for name, spec in declared.items()}
        values.update({k: v for k, v in parameters.items() if k in declared})
        # The pseudo parameters CloudFormation gives every !Sub (the journeys' ARN prefix names them).
        values.update(
            {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK_NAME}
        )
        self._write_secrets(values)
        self._verify_sender(values.get("SenderAddress", self.config.sender_address))

        # State machines first: their ARNs (on the local executor) are what `!Ref Journey` gives handlers.
        self._create_state_machines(translated, resources, values)
        resources.update(self.state_machines)
        self.resources = resources
        specs = sam.function_specs(translated, self.root, parameters=values, resources=resources)
        assert self.executor is not None
        for logical_id, spec in specs.items():
            physical_name = resources.get(logical_id, logical_id)
            # Lambda sets AWS_LAMBDA_FUNCTION_NAME in every function's environment.
            environment = {
                **spec.environment,
                **self.config.function_environment,
                "AWS_LAMBDA_FUNCTION_NAME": physical_name,
            }
            function = DeployedFunction(
                logical_id=logical_id,
                physical_name=physical_name,
                handler=_load_handler(logical_id, spec.code_dir, spec.handler, environment),
                environment=environment,
            )
            self.functions[logical_id] = function
            self.executor.register_handler(function.physical_name, self._wrap(function))

    def _stand_in_for_skipped(self, translated: dict[str, Any], resources: dict[str, str]) -> None:
        """Give the resources moto's CloudFormation skips what handlers need of them locally."""
        import boto3

        for logical_id, resource in translated.get("Resources", {}).items():
            if logical_id in resources:
                continue
            kind = resource.get("Type")
            if kind == "AWS::SES::ConfigurationSet":
                name = resource.get("Properties", {}).get("Name") or f"{STACK_NAME}-{logical_id}"
                boto3.client("sesv2", region_name=REGION).create_configuration_set(ConfigurationSetName=name)
                resources[logical_id] = name
            elif kind and kind.startswith("AWS::ApiGatewayV2::"):
                resources[logical_id] = f"local-{logical_id.lower()}"  # the runner calls the handler directly
        self.email_event_functions = _email_event_subscribers(translated)
        self.sms_inbound_topic, self.sms_inbound_functions = _sms_inbound_subscribers(translated)
        self.sms_status_functions = _log_subscribers(translated)
        self.schedules = [
            parse_schedule(target["Arn"]["Fn::GetAtt"][0], resource["Properties"]["ScheduleExpression"])
            for resource in translated.get("Resources", {}).values()
            if resource.get("Type") == "AWS::Events::Rule" and "ScheduleExpression" in resource.get("Properties", {})
            for target in resource["Properties"].get("Targets", [])
            if isinstance(target.get("Arn"), dict) and "Fn::GetAtt" in target["Arn"]
        ]
        self.scheduled_functions = [schedule.logical_id for schedule in self.schedules]

    def _write_secrets(self, parameters: dict[str, str]) -> None:
        import boto3

        ssm = boto3.client("ssm", region_name=REGION)
        names = {
            "WebhookSecretsParameterName": json.dumps(self.config.webhook_secrets),
            "UnsubscribeSecretParameterName": self.config.unsubscribe_secret,
        }
        for parameter, value in names.items():
            if parameters.get(parameter):
                ssm.put_parameter(Name=parameters[parameter], Value=value, Type="SecureString", Overwrite=True)

    def _verify_sender(self, address: str) -> None:
        import boto3

        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=address)

    def _create_state_machines(
        self, translated: dict[str, Any], resources: dict[str, str], parameters: dict[str, str]
    ) -> None:
        from nurture_local import template as sam

        assert self.executor is not None
        # GetAtt Arn of a function, as DefinitionSubstitutions use it; moto knows functions by name.
        known = dict(resources)
        for logical_id, resource in translated.get("Resources", {}).items():
            if resource.get("Type") == "AWS::Lambda::Function" and logical_id in resources:
                known[f"{logical_id}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{resources[logical_id]}"
        for logical_id, resource in translated.get("Resources", {}).items():
            if resource.get("Type") != "AWS::StepFunctions::StateMachine":
                continue
            properties = resource.get("Properties", {})
            where = f"{logical_id}.Properties"
            definition = properties.get("DefinitionString")
            if definition is None:
                definition_text = json.dumps(properties.get("Definition"))
            else:
                definition_text = sam.resolve_value(
                    translated, definition, where=f"{where}.DefinitionString", parameters=parameters, resources=known
                )
            substitutions = {
                key: sam.resolve_value(
                    translated,
                    value,
                    where=f"{where}.DefinitionSubstitutions.{key}",
                    parameters=parameters,
                    resources=known,
                )
                for key, value in (properties.get("DefinitionSubstitutions") or {}).items()
            }
            # moto created it too (it cannot run our handlers); the same name gives the same ARN here.
            name = resources[logical_id].rsplit(":", 1)[-1]
            self.state_machines[logical_id] = self.executor.create_state_machine(
                name, definition_text, substitutions=substitutions
            )

    # ------------------------------------------------------------ invoking handlers

    def _wrap(self, function: DeployedFunction) -> Callable[[Any, Any], Any]:
        def invoke(event: Any, context: Any) -> Any:
            with _environ(function.environment):
                return function.handler(event, context)

        return invoke

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call a function's handler in-process with its own environment, as Lambda would."""
        function = self.functions[logical_id]
        context = LambdaContext(
            function.physical_name,
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.physical_name}",
            f"local-{logical_id}",
        )
        with _environ(function.environment):
            return function.handler(event, context)


# ---------------------------------------------------------------- helpers


@contextlib.contextmanager
def _quiet_moto_cloudformation() -> Iterator[None]:
    """moto warns about the resources it skips (HTTP API, SES configuration set); we stand in for those."""
    import logging
    import warnings

    cloudformation_logger = logging.getLogger("moto")
    level = cloudformation_logger.level
    cloudformation_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
            yield
    finally:
        cloudformation_logger.setLevel(level)


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _route_stepfunctions_to(client: LocalStepFunctionsClient) -> Iterator[None]:
    """Make ``boto3.client("stepfunctions")`` (and session.client) return the local executor's client."""
    import boto3.session

    original: Any = boto3.session.Session.client

    def client_for(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if service_name in ("stepfunctions", "sfn"):
            return client
        return original(self, service_name, *args, **kwargs)

    boto3.session.Session.client = client_for  # type: ignore[method-assign]
    boto3.DEFAULT_SESSION = None
    try:
        yield
    finally:
        boto3.session.Session.client = original  # type: ignore[method-assign]
        boto3.DEFAULT_SESSION = None


def _load_handler(
    logical_id: str, code_dir: Path, handler: str, environment: dict[str, str]
) -> Callable[[Any, Any], Any]:
    """Import a handler as Lambda would: in its own environment (Powertools reads it at import).

    stdout is pointed at stderr meanwhile, so the loggers the module creates write to stderr and
    the runtime's own output (a table, or --json) stays clean.
    """
    module_name, _, attribute = handler.rpartition(".")
    path = code_dir / (module_name.replace(".", "/") + ".py")
    unique = f"nurture_local_functions.{logical_id}.{module_name}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{logical_id}: cannot load handler module {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    with _environ(environment), contextlib.redirect_stdout(sys.stderr):
        spec.loader.exec_module(module)
    loaded = getattr(module, attribute)
    if not callable(loaded):
        raise TypeError(f"{logical_id}: {handler} is not callable")
    return loaded  # type: ignore[no-any-return]


def _stub_zip() -> bytes:
    """moto's Lambda wants a code archive; the real code runs in-process, so this one is a placeholder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Nurture local runtime: handlers run in-process.\n")
    return buffer.getvalue()


@dataclass(frozen=True)
class SentSms:
    """One SMS SNS accepted (moto keeps the number and text only)."""

    message_id: str
    number: str
    body: str
    sent_at: datetime
    sms_type: str
    origination: str = "+18005550100"  # locally no origination number is leased: a placeholder


def _email_event_subscribers(translated: dict[str, Any]) -> list[str]:
    """The functions subscribed (AWS::SNS::Subscription, lambda) to a topic some SES configuration
    set event destination publishes to: moto skips both resources."""
    resources = translated.get("Resources", {})
    topics = {
        resource["Properties"]["EventDestination"].get("SnsDestination", {}).get("TopicARN", {}).get("Ref")
        for resource in resources.values()
        if resource.get("Type") == "AWS::SES::ConfigurationSetEventDestination"
    }
    return _topic_subscribers(resources, topics)


def _sms_inbound_subscribers(translated: dict[str, Any]) -> tuple[str, list[str]]:
    """The topic End User Messaging may publish two-way SMS to (its policy's principal), and the
    functions subscribed to it."""
    resources = translated.get("Resources", {})
    topics = [
        str(topic["Ref"])
        for resource in resources.values()
        if resource.get("Type") == "AWS::SNS::TopicPolicy"
        and any(
            statement.get("Principal") == {"Service": "sms-voice.amazonaws.com"}
            for statement in resource["Properties"]["PolicyDocument"].get("Statement", [])
        )
        for topic in resource["Properties"].get("Topics", [])
        if isinstance(topic, dict) and "Ref" in topic
    ]
    return (topics[0], _topic_subscribers(resources, set(topics))) if topics else ("", [])


def _log_subscribers(translated: dict[str, Any]) -> list[str]:
    """The functions a CloudWatch Logs subscription filter delivers to (SNS's SMS status logs)."""
    found: list[str] = []
    for resource in translated.get("Resources", {}).values():
        destination = resource.get("Properties", {}).get("DestinationArn")
        if resource.get("Type") == "AWS::Logs::SubscriptionFilter" and isinstance(destination, dict):
            logical_id = destination.get("Fn::GetAtt", [""])[0]
            if logical_id and logical_id not in found:
                found.append(logical_id)
    return found


def _topic_subscribers(resources: dict[str, Any], topics: set[Any]) -> list[str]:
    return [
        properties["Endpoint"]["Fn::GetAtt"][0]
        for resource in resources.values()
        if resource.get("Type") == "AWS::SNS::Subscription"
        for properties in [resource.get("Properties", {})]
        if properties.get("Protocol") == "lambda"
        and isinstance(properties.get("TopicArn"), dict)
        and properties["TopicArn"].get("Ref") in topics
        and isinstance(properties.get("Endpoint"), dict)
        and "Fn::GetAtt" in properties["Endpoint"]
    ]


def _ses_send_event(params: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The Send event SES publishes for an accepted SendEmail (event publishing's record format),
    with the request's tags and configuration set."""
    from datetime import UTC
    from datetime import datetime as clock

    destination = params.get("Destination", {})
    tags: dict[str, list[str]] = {"ses:configuration-set": [str(params.get("ConfigurationSetName", ""))]}
    tags.update({str(tag["Name"]): [str(tag["Value"])] for tag in params.get("EmailTags", [])})
    return {
        "eventType": "Send",
        "mail": {
            "timestamp": clock.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "source": params.get("FromEmailAddress"),
            "sendingAccountId": ACCOUNT,
            "messageId": message_id,
            "destination": list(destination.get("ToAddresses", [])),
            "headersTruncated": False,
            "tags": tags,
        },
        "send": {},
    }


def _consent_link(raw: bytes, kind: str) -> str | None:
    """The unsubscribe URL (List-Unsubscribe) or the confirmation link (the text part) of a message."""
    import email
    import email.policy
    import re

    if not raw:
        return None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if kind == "unsubscribe":
        header = str(message.get("List-Unsubscribe") or "")
        return header.strip().removeprefix("<").removesuffix(">") or None
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            found = re.search(r"https?://\S+/confirm\?\S+", str(part.get_content()))
            if found:
                return found.group(0)
    return None


def _ses_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ses_delivery_event(mail: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventType": "Delivery",
        "mail": copy.deepcopy(mail),
        "delivery": {
            "timestamp": _ses_timestamp(),
            "processingTimeMillis": 1000,
            "recipients": list(mail["destination"]),
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "mta.nurture.local",
        },
    }


def _ses_engagement_event(
    kind: str, mail: dict[str, Any], to: str, link: str | None, *, transient: bool = False
) -> dict[str, Any]:
    """An Open, Click, Bounce or Complaint record about ``mail`` (its tags name the send claim)."""
    now = _ses_timestamp()
    agent = "Mozilla/5.0 (nurture-local)"
    detail: dict[str, Any]
    if kind == "Open":
        detail = {"ipAddress": "192.0.2.1", "timestamp": now, "userAgent": agent}
    elif kind == "Click":
        url = link or "https://shop.nurture-demo.example/"
        detail = {"ipAddress": "192.0.2.1", "link": url, "linkTags": {}, "timestamp": now, "userAgent": agent}
    elif kind == "Bounce":
        detail = {
            "bounceType": "Transient" if transient else "Permanent",
            "bounceSubType": "MailboxFull" if transient else "General",
            "bouncedRecipients": [
                {
                    "emailAddress": to,
                    "action": "failed",
                    "status": "4.2.2" if transient else "5.1.1",
                    "diagnosticCode": "smtp; 452 4.2.2 mailbox full" if transient else "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": now,
            "feedbackId": f"local-bounce-{mail['messageId']}",
            "reportingMTA": "dsn; mta.nurture.local",
        }
    else:
        detail = {
            "complainedRecipients": [{"emailAddress": to}],
            "timestamp": now,
            "feedbackId": f"local-complaint-{mail['messageId']}",
            "userAgent": agent,
            "complaintFeedbackType": "abuse",
            "arrivalDate": now,
        }
    return {"eventType": kind, "mail": copy.deepcopy(mail), kind.lower(): detail}


def _sms_status_record(sms: SentSms, status: str, response: str) -> dict[str, Any]:
    """The delivery status record SNS logs for an SMS (the shape of its published samples,
    tests/fixtures/third_party/sns_sms); the price is the samples' per part, for illustration."""
    parts = _message_parts(sms.body)
    delivery: dict[str, Any] = {
        "mnc": 0,
        "numberOfMessageParts": parts,
        "destination": sms.number,
        "priceInUSD": round(0.00645 * parts, 5),
        "smsType": sms.sms_type,
        "mcc": 0,
        "providerResponse": response,
        "dwellTimeMs": 600,
        "dwellTimeMsUntilDeviceAck": 1400,
    }
    if status == "SUCCESS":
        delivery["phoneCarrier"] = "Nurture Local Carrier"
    stamp = sms.sent_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return {"notification": {"messageId": sms.message_id, "timestamp": stamp}, "delivery": delivery, "status": status}


def _message_parts(body: str) -> int:
    """Segments as SNS bills them, roughly: GSM-7 for plain ASCII (an extension character such as
    ``{`` counts two), else UCS-2. The send path records the exact count on the claim."""
    if all(ord(character) < 128 and character != "`" for character in body):
        septets = len(body) + sum(character in "^{}[]~|\\" for character in body)
        return 1 if septets <= 160 else -(-septets // 153)
    return 1 if len(body) <= 70 else -(-len(body) // 67)


def _logs_subscription_event(log_group: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """A CloudWatch Logs subscription event, as Lambda receives it: the envelope gzip-compressed and
    base64-encoded in ``awslogs.data``."""
    import base64
    import gzip
    import uuid

    millis = int(datetime.now(UTC).timestamp() * 1000)
    envelope = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": log_group,
        "logStream": str(uuid.uuid4()),
        "subscriptionFilters": [f"{STACK_NAME}-sms-status"],
        "logEvents": [
            {"id": f"{millis}{index:06d}", "timestamp": millis, "message": json.dumps(record)}
            for index, record in enumerate(records)
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(envelope).encode())).decode()}}


def _sns_notification(message: dict[str, Any], topic_arn: str) -> dict[str, Any]:
    """SNS's Lambda event around one message."""
    import uuid
    from datetime import UTC
    from datetime import datetime as clock

    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": clock.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "local",
                    "UnsubscribeUrl": "local",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def _scheduled_event() -> dict[str, Any]:
    """EventBridge's Scheduled Event, as a rule's target receives it (time-machine holds the
    process at the virtual time)."""
    import uuid
    from datetime import UTC
    from datetime import datetime as wall

    now = wall.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": {},
    }


def _without_event_source_mappings(template: dict[str, Any]) -> dict[str, Any]:
    """moto would poll the queue itself and try to run the function in Docker; the runner polls instead."""
    copy: dict[str, Any] = json.loads(json.dumps(template))
    copy["Resources"] = {
        logical_id: resource
        for logical_id, resource in copy["Resources"].items()
        if resource.get("Type") != "AWS::Lambda::EventSourceMapping"
    }
    return copy

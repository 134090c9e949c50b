"""Replay a scenario through the real handlers on the local environment and report what was sent."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nurture.capture.intake import DELIVERY_ID_HEADERS, STORE_HEADERS
from nurture.capture.signatures import SIGNATURE_HEADERS, TOPIC_HEADERS, sign_base64

from .environment import ACCOUNT, REGION, LocalConfig, LocalEnvironment, NoMessageFor, Schedule
from .outbox import SentMessage, write_outbox
from .scenario import ScenarioLine

INGEST_FUNCTION = "IngestFunction"
CONSENT_FUNCTION = "ConsentFunction"
ONE_CLICK = b"List-Unsubscribe=One-Click"
PROCESS_FUNCTION = "ProcessFunction"
EVENTS_QUEUE = "EventsQueue"
TABLE = "NurtureTable"
# A bound on redeliveries of one message while draining: the queue's own redrive policy moves a
# message that keeps failing to the dead-letter queue well before this.
MAX_DRAIN_ROUNDS = 100
HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)
PROGRESS_REPORTS = 10  # a long replay says how far it got about this many times


@dataclass
class RunReport:
    messages: list[SentMessage]
    rejected: list[dict[str, Any]]
    executions: dict[str, int]
    lines: int
    started_at: datetime
    ended_at: datetime
    dead_letters: int = 0
    outbox_index: Path | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    # Journey id -> execution status -> count (the state machine is named <stack>-journey-<id>).
    journeys: dict[str, dict[str, int]] = field(default_factory=dict)
    # Scheduled function (logical id) -> how many times its schedule fired.
    schedule_runs: dict[str, int] = field(default_factory=dict)
    # Every contact's scores (with their explanation), tier and segments at the end of the run.
    contacts: list[dict[str, Any]] = field(default_factory=list)
    # Journey id -> what it did: enrolments by status, exits by reason, messages by step, offers by outcome.
    activity: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def emails(self) -> int:
        return sum(1 for message in self.messages if message.channel == "email")

    @property
    def sms(self) -> int:
        return sum(1 for message in self.messages if message.channel == "sms")

    def as_json(self) -> dict[str, Any]:
        return {
            "messages": [
                {
                    "to": m.to,
                    "channel": m.channel,
                    "journey": m.journey,
                    "step": m.step,
                    "subject": m.subject,
                    "sent_at": m.sent_at.isoformat(),
                }
                for m in self.messages
            ],
            "emails": self.emails,
            "sms": self.sms,
            "rejected": self.rejected,
            "executions": self.executions,
            "journeys": self.journeys,
            "schedule_runs": self.schedule_runs,
            "contacts": self.contacts,
            "activity": self.activity,
        }


Progress = Callable[[str], None]


def run_scenario(
    lines: Sequence[ScenarioLine],
    *,
    root: Path,
    days: float = 0,
    outbox: Path | None = None,
    progress: Progress | None = None,
    config: LocalConfig | None = None,
    at_end: Callable[[LocalEnvironment], None] | None = None,
) -> RunReport:
    """Deliver each line at its time, let queues and journeys run, then run `days` more days.

    ``at_end`` is called with the environment once the clock has reached the end, before it is
    torn down: a test reads the tables there (boto3 inside it answers from the run's AWS)."""
    import boto3

    say = progress or (lambda _: None)
    start = lines[0].at
    with LocalEnvironment(root, start, config) as env:
        executor = env.executor
        assert executor is not None
        say(f"deployed template.yaml on the local runtime ({len(env.functions)} functions)")
        rejected: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        every = max(1, len(lines) // PROGRESS_REPORTS)
        sqs = boto3.client("sqs", region_name=REGION)  # the poller's one client, as Lambda's would be
        clock = ScheduleClock(env, sqs, start)
        for index, line in enumerate(lines, start=1):
            clock.advance_to(line.at)
            if line.consent:
                status, answer = _deliver_consent(env, line)
            elif line.sms:
                status, answer = _deliver_sms(env, line)
            elif line.codes_import:
                status, answer = _import_codes(line, env.resources[TABLE])
            else:
                status, answer = _deliver_action(env, line) if line.action else _deliver(env, line)
            outcome = answer.get("status") if status < 400 else "rejected"
            answers.append({"line": line.number, "http_status": status, "outcome": str(outcome)})
            if status >= 400:
                rejected.append({"line": line.number, "status": status, "error": _error_text(answer)})
            settle(env, sqs)
            if index % every == 0 and index < len(lines):
                say(f"replayed {index} of {len(lines)} lines (virtual time {line.at:%Y-%m-%d %H:%M} UTC)")
        end = lines[-1].at + timedelta(days=days)
        say(f"replayed {len(lines)} lines; running the clock to {end:%Y-%m-%d %H:%M} UTC")
        clock.advance_to(end)
        if at_end is not None:
            at_end(env)
        messages = _sent_messages(env)
        # A state machine named <stack>-journey-<id> counts under <id>; another under its logical id.
        logical_ids = {
            arn: arn.rsplit(":", 1)[-1] if "-journey-" in arn else logical_id
            for logical_id, arn in env.state_machines.items()
        }
        executions = dict(Counter(execution.status for execution in executor.executions()))
        report = RunReport(
            messages=messages,
            rejected=rejected,
            executions=executions,
            lines=len(lines),
            started_at=start,
            ended_at=end,
            dead_letters=_dead_letters(env),
            answers=answers,
            journeys=journey_counts(
                (logical_ids.get(e.state_machine.arn, e.state_machine.name), e.status) for e in executor.executions()
            ),
            schedule_runs=dict(clock.runs),
            contacts=contact_insights(env, end),
            activity=journey_activity(env, messages),
        )
        if outbox is not None:
            report.outbox_index = write_outbox(outbox, messages)
        return report


class ScheduleClock:
    """Moves the virtual clock, firing EventBridge schedules on the way (moto never fires them).

    Each schedule fires at its times (``rate``: every period from the start of the run, floored
    to LOCAL_SCHEDULE_FLOOR; daily ``cron``: at its UTC time): the journeys run up to that time
    first, then the function is invoked, then what it caused (email events, events queued) is
    delivered before the clock moves on. Firings happen while the runner moves the clock between
    lines and at the end, never in the middle of a line.
    """

    def __init__(self, env: LocalEnvironment, sqs: Any, start: datetime) -> None:
        self._env = env
        self._sqs = sqs
        self._due: list[tuple[datetime, int, Schedule]] = [
            (schedule.first_after(start), order, schedule) for order, schedule in enumerate(env.schedules)
        ]
        self.runs: Counter[str] = Counter()

    def advance_to(self, when: datetime) -> None:
        executor = self._env.executor
        assert executor is not None
        while self._due:
            at, order, schedule = min(self._due, key=lambda due: (due[0], due[1]))
            if at > when:
                break
            executor.run_until(at)
            settle(self._env, self._sqs)
            self._env.run_schedule(schedule.logical_id)
            self.runs[schedule.logical_id] += 1
            settle(self._env, self._sqs)
            self._due[order] = (at + schedule.period, order, schedule)
        executor.run_until(when)
        settle(self._env, self._sqs)


def journey_counts(executions: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Executions by journey and status, from (state machine name, status) pairs."""
    counts: dict[str, Counter[str]] = {}
    for machine, status in executions:
        journey = machine.rsplit("-journey-", 1)[1] if "-journey-" in machine else machine
        counts.setdefault(journey, Counter())[status] += 1
    return {journey: dict(sorted(statuses.items())) for journey, statuses in sorted(counts.items())}


def settle(env: LocalEnvironment, sqs: Any) -> None:
    """Deliver SES's events (and SMS status records and replies) and then the events queue until
    both are empty: an engagement event
    queues canonical events, and what ProcessFunction does with them may send more email."""
    for _ in range(MAX_DRAIN_ROUNDS):
        published = env.publish_email_events() + env.publish_sms_events()
        drained = _drain_events(env, sqs)
        if not published and not drained:
            return
    raise RuntimeError("email events and the events queue kept feeding each other")


def webhook_event(line: ScenarioLine, secret: str) -> dict[str, Any]:
    """The HTTP API (payload 2.0) event for one scenario line, signed as the store would sign it."""
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADERS[line.source].lower(): sign_base64(secret.encode(), line.body),
        TOPIC_HEADERS[line.source].lower(): line.topic,
        STORE_HEADERS[line.source].lower(): line.store,
        DELIVERY_ID_HEADERS[line.source].lower(): line.delivery_id,
    }
    if not line.topic:
        del headers[TOPIC_HEADERS[line.source].lower()]
    path = f"/webhooks/{line.source}"
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{source}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "pathParameters": {"source": line.source},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": "localhost",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "nurture-local",
            },
            "requestId": f"line-{line.number}",
            "routeKey": "POST /webhooks/{source}",
            "stage": "$default",
            "timeEpoch": int(line.at.timestamp() * 1000),
        },
        "body": base64.b64encode(line.body).decode(),
        "isBase64Encoded": True,
    }


def _deliver(env: LocalEnvironment, line: ScenarioLine) -> tuple[int, dict[str, Any]]:
    """Call the ingest handler with the line's signed HTTP API event."""
    event = webhook_event(line, env.config.webhook_secrets[line.source])
    response = env.invoke(INGEST_FUNCTION, event)
    try:
        answer = json.loads(response.get("body") or "{}")
    except json.JSONDecodeError:
        answer = {"body": response.get("body")}
    return int(response["statusCode"]), answer if isinstance(answer, dict) else {"body": answer}


def _deliver_action(env: LocalEnvironment, line: ScenarioLine) -> tuple[int, dict[str, Any]]:
    """Queue SES's event for an engagement line; an address nothing was sent to is refused (422)."""
    try:
        env.engagement_event(line.action, line.to, line.link, line.step)
    except NoMessageFor as exc:
        return 422, {"message": f"{line.action}: {exc}"}
    return 202, {"status": line.action}


def _deliver_sms(env: LocalEnvironment, line: ScenarioLine) -> tuple[int, dict[str, Any]]:
    """Queue a contact's reply, or a FAILURE status record for the latest SMS to a number (422 when
    no SMS was sent to it)."""
    if line.action == "sms_reply":
        env.sms_reply(line.to, line.text)
        return 202, {"status": line.action}
    try:
        env.sms_failure(line.to, line.text)
    except NoMessageFor as exc:
        return 422, {"message": f"{line.action}: {exc}"}
    return 202, {"status": line.action}


def _import_codes(line: ScenarioLine, table: str) -> tuple[int, dict[str, Any]]:
    """Import a code line's codes into the run's table, through the adapter `nurture codes import`
    uses."""
    import boto3

    from nurture.adapters.dynamodb_codes import DynamoDbCodePools

    pools = DynamoDbCodePools(table, boto3.client("dynamodb", region_name=REGION))
    result = pools.import_codes(line.pool, line.codes, line.at)
    return 200, {"status": line.action, "imported": result.imported, "already_present": result.already_present}


def _deliver_consent(env: LocalEnvironment, line: ScenarioLine) -> tuple[int, dict[str, Any]]:
    """Call ConsentFunction as a person (or their mail client) would for a consent line."""
    from urllib.parse import urlsplit

    if line.action == "subscribe":
        form = {"email": line.to, "store": line.store, "first_name": line.first_name}
        body = json.dumps({k: v for k, v in form.items() if v is not None}).encode()
        event = http_api_event("POST", "/subscribe", "", body, line, content_type="application/json")
    else:
        try:
            url = urlsplit(env.consent_link(line.to, line.action, line.step))
        except NoMessageFor as exc:
            return 422, {"message": f"{line.action}: {exc}"}
        body = ONE_CLICK if line.action == "unsubscribe" and line.method == "POST" else b""
        content_type = "application/x-www-form-urlencoded" if line.method == "POST" else None
        event = http_api_event(line.method, url.path, url.query, body, line, content_type=content_type)
    response = env.invoke(CONSENT_FUNCTION, event)
    status = int(response["statusCode"])
    outcome = line.action if line.method == "POST" else f"{line.action}_page"
    if "json" in str(response.get("headers", {}).get("content-type", "")):
        answer = json.loads(response.get("body") or "{}")
        return status, {"status": outcome, **answer} if status < 400 else answer
    return status, {"status": outcome} if status < 400 else {"message": f"{line.action}: page {status}"}


def http_api_event(
    method: str, path: str, query: str, body: bytes, line: ScenarioLine, *, content_type: str | None = None
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) request to a consent route, from a browser on localhost."""
    headers = {"user-agent": "nurture-local", "accept-language": "en"}
    if content_type:
        headers["content-type"] = content_type
    route = f"{method} {path}"
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "nurture-local",
            },
            "requestId": f"line-{line.number}",
            "routeKey": route,
            "stage": "$default",
            "timeEpoch": int(line.at.timestamp() * 1000),
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _error_text(answer: dict[str, Any]) -> str:
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    return str(answer.get("message", answer))


def _drain_events(env: LocalEnvironment, sqs: Any) -> int:
    """Deliver what the events queue holds to the process handler, as Lambda's SQS poller would;
    how many messages were received."""
    queue_url = env.resources[EVENTS_QUEUE]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rsplit('/', 1)[-1]}"
    received_count = 0
    for _ in range(MAX_DRAIN_ROUNDS):
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,  # a failed message is retried in the next round, not after a real wait
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return received_count
        received_count += len(received)
        event = {"Records": [sqs_record(message, queue_arn) for message in received]}
        response = env.invoke(PROCESS_FUNCTION, event) or {}
        failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
    raise RuntimeError("the events queue did not drain: a message keeps failing and has no dead-letter queue")


def sqs_record(message: Any, queue_arn: str) -> dict[str, Any]:
    """One record of Lambda's SQS event, in the shape AWS publishes, from a ReceiveMessage message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def contact_insights(env: LocalEnvironment, now: datetime) -> list[dict[str, Any]]:
    """Each contact's ``email``, ``scores`` (value and explanation at ``now``), ``tier``, ``rfm``,
    ``clv``, ``predicted_order_30d`` and ``segments``, and the ``journeys`` and ``offers`` the
    service desk's view shows (`nurture.privacy.contact_view`), ordered by acquisition score,
    highest first. Reads the profile, enrolment and offer items (a Scan of the local table: the
    report's view of the whole base, never what the stack does)."""
    import boto3

    from nurture.adapters.dynamodb_privacy import plain_item
    from nurture.adapters.dynamodb_profile_items import PROFILE_SK, profile_from_item
    from nurture.journeys.views import insights_view
    from nurture.privacy.contact_view import ENROLMENT_PREFIX, OFFER_PREFIX, journeys_of, offers_of
    from nurture.privacy.requests import HeldItem
    from nurture.scoring.engine import Scores

    client = boto3.client("dynamodb", region_name=REGION)
    pages = client.get_paginator("scan").paginate(
        TableName=env.resources[TABLE],
        FilterExpression="begins_with(pk, :contact) AND (sk = :profile OR begins_with(sk, :enrolment) "
        "OR begins_with(sk, :offer))",
        ExpressionAttributeValues={
            ":contact": {"S": "CONTACT#"},
            ":profile": {"S": PROFILE_SK},
            ":enrolment": {"S": ENROLMENT_PREFIX},
            ":offer": {"S": OFFER_PREFIX},
        },
    )
    profiles: list[dict[str, Any]] = []
    held: dict[str, list[HeldItem]] = {}
    for item in (item for page in pages for item in page["Items"]):
        if item["sk"]["S"] == PROFILE_SK:
            profiles.append(item)
        else:
            held.setdefault(item["pk"]["S"], []).append(HeldItem(item["sk"]["S"], plain_item(item)))
    contacts: list[tuple[float, str, dict[str, Any]]] = []
    for item in profiles:
        profile, _version = profile_from_item(item)
        items = held.get(item["pk"]["S"], [])
        insights = profile.insights
        scores = insights.scores if insights is not None else Scores()
        value = insights.value if insights is not None else None
        acquisition = scores.value("acquisition", now)
        # The view journeys read (tier, rfm, predicted_order_30d, segments), with each score's
        # explanation beside its value and the CLV with its currency.
        entry: dict[str, Any] = {
            "contact_id": profile.contact_id,
            "email": profile.email,
            "email_consent": profile.consent_state("email"),
            **insights_view(insights, now),
            "scores": {
                name: {"value": scores.value(name, now), "explanation": scores.explanation(name, now)}
                for name in scores.states
            },
            "clv": None if value is None else {"amount": str(value.clv), "currency": value.currency},
            "journeys": journeys_of(items),
            "offers": offers_of(items),
        }
        # By email, else by phone: a contact id is drawn at random, its order would change run to run.
        contacts.append((-acquisition, profile.email or profile.phone or profile.contact_id, entry))
    return [entry for *_, entry in sorted(contacts, key=lambda c: (c[0], c[1]))]


def journey_activity(env: LocalEnvironment, messages: Sequence[SentMessage]) -> dict[str, dict[str, Any]]:
    """Per journey of the catalogue (every one, idle ones too): ``enrolled``, enrolments by
    ``status``, exits by ``reason``, ``messages`` sent by step and channel, ``skipped`` sends by
    step and reason (the delivery rules, or no recommendation to show), and ``offers`` by outcome
    (``claimed``, ``pool_empty``, ``not_eligible``, ``just_bought``: docs/offers.md). Reads the
    enrolment, decision and personalisation items (a Scan of the local table: the report's view)."""
    import json

    import boto3

    from nurture.journeys.catalogue import default_catalogue

    def empty() -> dict[str, Any]:
        return {"enrolled": 0, "status": {}, "exits": {}, "messages": {}, "skipped": {}, "offers": {}}

    activity: dict[str, dict[str, Any]] = {journey: empty() for journey in default_catalogue()}

    def count(journey: str, part: str, label: str) -> None:
        entry = activity.setdefault(journey, empty())
        entry[part][label] = entry[part].get(label, 0) + 1

    client = boto3.client("dynamodb", region_name=REGION)
    pages = client.get_paginator("scan").paginate(
        TableName=env.resources[TABLE],
        FilterExpression="begins_with(sk, :enrolment) OR begins_with(sk, :personal) OR begins_with(sk, :decision)",
        ExpressionAttributeValues={
            ":enrolment": {"S": "ENROLMENT#"},
            ":personal": {"S": "PERSONAL#"},
            ":decision": {"S": "DECISION#"},
        },
    )
    for item in (item for page in pages for item in page["Items"]):
        journey = item["journey"]["S"]
        if item["sk"]["S"].startswith("DECISION#"):
            if item["outcome"]["S"] == "skipped":
                count(journey, "skipped", f"{item['step']['S']}: {item.get('reason', {}).get('S', 'unknown')}")
        elif item["sk"]["S"].startswith("ENROLMENT#"):
            activity.setdefault(journey, empty())
            activity[journey]["enrolled"] += 1
            status = item["status"]["S"]
            count(journey, "status", status)
            if status == "exited" and "reason" in item:
                count(journey, "exits", item["reason"]["S"])
        else:
            reason = json.loads(item["decision"]["S"]).get("offer_reason")
            if reason:
                count(journey, "offers", reason)
    for message in messages:
        if message.journey:
            count(message.journey, "messages", message.step if message.channel == "email" else f"{message.step} (sms)")
    return {journey: activity[journey] for journey in sorted(activity)}


def _dead_letters(env: LocalEnvironment) -> int:
    import boto3

    queue_url = env.resources.get("EventsDeadLetterQueue")
    if not queue_url:
        return 0
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def _sent_messages(env: LocalEnvironment) -> list[SentMessage]:
    """Join the send ledger (who, journey, step, when) with what SES received (the MIME message)."""
    import boto3
    from moto.ses.models import ses_backends

    raw_by_id: dict[str, bytes] = {}
    for sent in ses_backends[ACCOUNT][REGION].sent_messages:
        raw = getattr(sent, "raw_data", None)
        if raw is not None:
            raw_by_id[sent.id] = raw.encode() if isinstance(raw, str) else raw

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    paginator = dynamodb.get_paginator("scan")
    messages: list[SentMessage] = []
    claims_by_message: dict[str, dict[str, Any]] = {}
    for page in paginator.paginate(TableName=env.resources[TABLE]):
        for item in page["Items"]:
            if not item["sk"]["S"].startswith("SEND#") or item.get("status", {}).get("S") != "sent":
                continue
            message_id = item.get("message_id", {}).get("S", "")
            if item.get("channel", {}).get("S") == "sms":
                claims_by_message[message_id] = item
                continue
            raw = raw_by_id.get(message_id, b"")
            # Headers only: the report needs To and Subject, and a whole parse of every body costs ten times more.
            parsed = HEADER_PARSER.parsebytes(raw) if raw else None
            messages.append(
                SentMessage(
                    to=str(parsed["To"]) if parsed else "",
                    channel="email",
                    journey=item.get("journey", {}).get("S", ""),
                    step=item.get("step", {}).get("S", ""),
                    subject=str(parsed["Subject"]) if parsed else "",
                    sent_at=datetime.fromisoformat(item["sent_at"]["S"]),
                    message_id=message_id,
                    raw=raw,
                )
            )
    messages.extend(_sms_messages(env, claims_by_message))
    messages.sort(key=lambda m: (m.sent_at, m.to, m.step))
    return messages


def _sms_messages(env: LocalEnvironment, claims: dict[str, dict[str, Any]]) -> list[SentMessage]:
    """Every SMS SNS accepted, named by the claim that sent it when there is one."""
    messages = []
    for sms in env.sent_sms:
        claim = claims.get(sms.message_id, {})
        messages.append(
            SentMessage(
                to=sms.number,
                channel="sms",
                journey=claim.get("journey", {}).get("S", ""),
                step=claim.get("step", {}).get("S", ""),
                subject=sms.body if len(sms.body) <= 60 else sms.body[:59] + "…",
                sent_at=datetime.fromisoformat(claim["sent_at"]["S"]) if "sent_at" in claim else sms.sent_at,
                message_id=sms.message_id,
                raw=sms.body.encode("utf-8"),
            )
        )
    return messages

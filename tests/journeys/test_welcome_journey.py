"""The welcome journey end to end: the compiled definition on the local executor (virtual clock), the real
JourneyStepFunction handler and adapters, on moto (NurtureTable, SES v2 with a verified identity, the
unsubscribe secret in SSM). Sent mail is read back from moto's SES backend, raw MIME included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

import functions.journey_step.app as journey_step_app
from nurture.adapters.dynamodb_profile_items import profile_key
from nurture.messaging.errors import RetryableSendError, SendOutcomeUnknown
from nurture.messaging.sending import JourneySender
from nurture.messaging.unsubscribe import token_from_url, verify_token
from nurture_local.sfn.clock import VirtualClock
from nurture_local.sfn.executor import LambdaContext, LocalStepFunctions
from tests import sending
from tests.sending import enrolment_input, put_enrolment, put_subscriber

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = (ROOT / "statemachines" / "welcome.asl.json").read_text()
REGION, ACCOUNT = "us-east-1", "123456789012"
FUNCTION_NAME = "nurture-JourneyStepFunction"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
SENDER = "Acme Outfitters <hello@acme.example>"
SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"
SECRET = "journey-test-unsubscribe-secret"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Journey:
    sfn: LocalStepFunctions
    arn: str
    table: str
    dynamodb: Any

    def subscribe(self, contact_id: str, email_address: str, first_name: str | None, state: str = "subscribed") -> None:
        put_subscriber(self.dynamodb, self.table, contact_id, email_address, first_name, at=self.sfn.now, state=state)

    def unsubscribe(self, contact_id: str) -> None:
        self.dynamodb.update_item(
            TableName=self.table,
            Key=profile_key(contact_id),
            UpdateExpression="SET email_consent.#state = :unsubscribed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":unsubscribed": {"S": "unsubscribed"}},
        )

    def start(self, contact_id: str, *, record: bool = True) -> Any:
        """As the router starts it: the enrolment recorded (running), then the execution."""
        if record:
            put_enrolment(self.dynamodb, self.table, contact_id)
        return self.sfn.start_execution(self.arn, enrolment_input(contact_id), name=f"welcome-{contact_id}-1")

    def use_provider(self, wrap: Any) -> None:
        steps = journey_step_app.dependencies.get()
        sender = steps.sender
        assert isinstance(sender, JourneySender)
        wrapped = dataclasses.replace(sender, provider=wrap(sender.provider))
        journey_step_app.use_dependencies(dataclasses.replace(steps, sender=wrapped))

    def enrolment(self, contact_id: str) -> dict[str, Any]:
        return self.dynamodb.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "ENROLMENT#welcome#contact#000001"}},
        )["Item"]


def sent_messages() -> list[EmailMessage]:
    return sending.sent_messages(ACCOUNT, REGION)


def to(address: str) -> list[EmailMessage]:
    return [message for message in sent_messages() if message["To"] == address]


@pytest.fixture
def journey(dynamodb: Any, nurture_table: str) -> Iterator[Journey]:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="acme.example")
    boto3.client("ssm", region_name=REGION).put_parameter(Name=SECRET_PARAMETER, Value=SECRET, Type="SecureString")
    sfn = LocalStepFunctions(clock=VirtualClock(T0), region=REGION, account=ACCOUNT)
    environ = {
        "TABLE_NAME": nurture_table,
        "SENDER_ADDRESS": SENDER,
        "CONFIGURATION_SET": "nurture-events",
        "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
        "UNSUBSCRIBE_SECRET_PARAMETER": SECRET_PARAMETER,
    }
    journey_step_app.use_dependencies(journey_step_app.build(environ, clock=lambda: sfn.now))
    sfn.register_handler(FUNCTION_ARN, journey_step_app.lambda_handler)
    arn = sfn.create_state_machine(
        "nurture-journey-welcome", DEFINITION, substitutions={"JourneyStepFunctionArn": FUNCTION_ARN}
    )
    try:
        yield Journey(sfn, arn, nurture_table, dynamodb)
    finally:
        journey_step_app.use_dependencies(None)


def test_a_subscriber_gets_three_emails_at_0_2_and_16_days(journey: Journey) -> None:
    # Given a contact who just subscribed to email marketing
    journey.subscribe("c-ada", "ada@example.com", "Ada")
    # When the welcome journey runs for 30 days
    execution = journey.start("c-ada")
    journey.sfn.advance(days=30)
    # Then exactly three emails went out, at +0, +2 and +16 days, in order
    messages = to("ada@example.com")
    assert [message["Subject"] for message in messages] == [
        "Welcome to Acme Outfitters, Ada!",
        "Ada, here is how to get the most out of Acme Outfitters",
        "Ada, how are we doing? (one quick question)",
    ]
    sent_at = [parsedate_to_datetime(str(message["Date"])) for message in messages]
    assert [moment - T0 for moment in sent_at] == [timedelta(0), timedelta(days=2), timedelta(days=16)]
    # each with RFC 8058 one-click unsubscribe headers carrying a genuine token for this contact
    for message, moment in zip(messages, sent_at, strict=True):
        assert message["From"] == SENDER
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = str(message["List-Unsubscribe"])
        assert url.startswith("<https://acme.example/unsubscribe?token=v1.") and url.endswith(">")
        token = token_from_url(url[1:-1])
        assert token is not None
        claims = verify_token(SECRET, token, now=moment)
        assert (claims.contact_id, claims.channel, claims.list_id) == ("c-ada", "email", "welcome")
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    # and the journey ended as complete (its last send completed the enrolment), every send recorded
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered == [
        "Send welcome email",
        "Wait 2 days",
        "Send content email",
        "Wait 14 days",
        "Send feedback request",
    ]
    steps = execution.output["steps"]
    assert [steps[step]["status"] for step in ("welcome", "content", "feedback")] == ["sent"] * 3
    assert journey.enrolment("c-ada")["status"] == {"S": "completed"}
    for step in ("welcome", "content", "feedback"):
        item = journey.dynamodb.get_item(
            TableName=journey.table, Key={"pk": {"S": "CONTACT#c-ada"}, "sk": {"S": f"SEND#welcome-c-ada-1#{step}"}}
        )["Item"]
        assert item["status"] == {"S": "sent"}
        assert item["message_id"]["S"] == steps[step]["message_id"]
        assert item["execution"] == {"S": execution.arn}
        assert item["attempt"] == {"N": "0"}  # $$.State.RetryCount, passed by the state machine
    # and each message carries its claim id, the key SES's events will settle the claim by
    claim_ids = [message["X-Nurture-Claim"] for message in messages]
    assert len(set(claim_ids)) == 3 and all(len(claim_id) == 32 for claim_id in claim_ids)


def test_a_contact_without_consent_gets_nothing(journey: Journey) -> None:
    journey.subscribe("c-bob", "bob@example.com", "Bob", state="not_subscribed")
    execution = journey.start("c-bob")
    journey.sfn.advance(days=30)
    assert to("bob@example.com") == []
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered == ["Send welcome email", "Journey ended early"]
    assert execution.output["ended"]["Error"] == "EnrolmentEnded"
    assert journey.enrolment("c-bob")["status"] == {"S": "exited"}
    assert journey.enrolment("c-bob")["reason"] == {"S": "no_consent"}


def test_unsubscribing_after_the_first_email_stops_the_rest(journey: Journey) -> None:
    journey.subscribe("c-cleo", "cleo@example.com", None)
    execution = journey.start("c-cleo")
    journey.sfn.advance(days=1)
    assert [message["Subject"] for message in to("cleo@example.com")] == ["Welcome to Acme Outfitters!"]
    # When she unsubscribes on day 1
    journey.unsubscribe("c-cleo")
    journey.sfn.advance(days=29)
    # Then nothing more is sent and the journey ends at the next step
    assert len(to("cleo@example.com")) == 1
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered[-1] == "Journey ended early"
    assert "Wait 14 days" not in execution.states_entered
    assert journey.enrolment("c-cleo")["reason"] == {"S": "no_consent"}


def test_a_contact_that_does_not_exist_ends_the_journey(journey: Journey) -> None:
    execution = journey.start("c-ghost")
    journey.sfn.advance(days=30)
    assert sent_messages() == []
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered[-1] == "Journey ended early"
    assert journey.enrolment("c-ghost")["reason"] == {"S": "no_contact"}


def test_a_retried_send_task_sends_once(journey: Journey) -> None:
    # Given the welcome step already ran for this contact
    journey.subscribe("c-dan", "dan@example.com", "Dan")
    put_enrolment(journey.dynamodb, journey.table, "c-dan")
    event = {
        "action": "send",
        "journey": "welcome",
        "step": "welcome",
        "contact_id": "c-dan",
        "enrolment": enrolment_input("c-dan")["enrolment"],
        "execution": "arn:aws:states:us-east-1:123456789012:execution:nurture-journey-welcome:welcome-c-dan-1",
    }
    context = LambdaContext(FUNCTION_NAME, FUNCTION_ARN, "req-1")
    first = journey_step_app.lambda_handler(event, context)
    # When the same task is invoked again (a Step Functions retry, a redelivered invoke)
    second = journey_step_app.lambda_handler(event, LambdaContext(FUNCTION_NAME, FUNCTION_ARN, "req-2"))
    # Then it is skipped and SES was called once
    assert first["status"] == "sent"
    assert (second["status"], second["reason"], second["message_id"]) == (
        "skipped",
        "already_sent",
        first["message_id"],
    )
    assert len(to("dan@example.com")) == 1


class ThrottledOnce:
    """SES answers TooManyRequests to the first call, then behaves."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.calls = 0

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str:
        self.calls += 1
        if self.calls == 1:
            raise RetryableSendError(
                "SES refused the message: TooManyRequestsException", code="TooManyRequestsException"
            )
        return str(self.provider.send(raw_mime, sender=sender, recipient=recipient, tags=tags))


class LostAnswerOnce:
    """The first call reaches SES (the message goes out) but its answer is lost."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.calls = 0

    def send(self, raw_mime: bytes, *, sender: str, recipient: str, tags: Mapping[str, str]) -> str:
        self.calls += 1
        message_id = str(self.provider.send(raw_mime, sender=sender, recipient=recipient, tags=tags))
        if self.calls == 1:
            raise SendOutcomeUnknown("no answer from SES: ReadTimeoutError", code="ReadTimeoutError")
        return message_id


def test_a_throttled_send_is_retried_by_the_state_machine_and_sent_once(journey: Journey) -> None:
    journey.subscribe("c-eve", "eve@example.com", "Eve")
    journey.use_provider(ThrottledOnce)
    execution = journey.start("c-eve")
    journey.sfn.advance(days=30)
    assert len(to("eve@example.com")) == 3
    assert execution.status == "SUCCEEDED"
    assert execution.states_entered.count("Send welcome email") == 1  # one state, two attempts
    failures = [details for kind, _, details in execution.history if kind == "TaskFailed"]
    assert [failure["error"] for failure in failures] == ["RetryableSendError"]


def test_a_lost_ses_answer_never_sends_twice_and_the_journey_goes_on(journey: Journey) -> None:
    journey.subscribe("c-fay", "fay@example.com", "Fay")
    journey.use_provider(LostAnswerOnce)
    execution = journey.start("c-fay")
    journey.sfn.advance(days=30)
    # The welcome email went out once (the outcome was recorded as unknown), then content and feedback
    subjects = [message["Subject"] for message in to("fay@example.com")]
    assert subjects == [
        "Welcome to Acme Outfitters, Fay!",
        "Fay, here is how to get the most out of Acme Outfitters",
        "Fay, how are we doing? (one quick question)",
    ]
    assert execution.output["steps"]["welcome"]["status"] == "unknown"
    assert execution.output["steps"]["welcome"]["reason"] == "outcome_unknown"
    # no retry: nothing more can be learnt by asking again; SES's events will settle the claim
    assert [kind for kind, _, _ in execution.history if kind == "TaskFailed"] == []
    assert execution.status == "SUCCEEDED"
    item = journey.dynamodb.get_item(
        TableName=journey.table, Key={"pk": {"S": "CONTACT#c-fay"}, "sk": {"S": "SEND#welcome-c-fay-1#welcome"}}
    )["Item"]
    assert item["status"] == {"S": "unknown"}
    assert item["claim_id"]["S"] == to("fay@example.com")[0]["X-Nurture-Claim"]


def test_a_second_trigger_for_the_same_contact_starts_nothing(journey: Journey) -> None:
    from nurture_local.sfn.executor import SfnApiError

    journey.subscribe("c-gil", "gil@example.com", "Gil")
    journey.start("c-gil")
    journey.sfn.advance(days=3)
    with pytest.raises(SfnApiError, match="ExecutionAlreadyExists"):
        journey.sfn.start_execution(journey.arn, {**enrolment_input("c-gil"), "again": True}, name="welcome-c-gil-1")
    journey.sfn.advance(days=27)
    assert len(to("gil@example.com")) == 3

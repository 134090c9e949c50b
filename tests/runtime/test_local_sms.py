"""SMS on the local runtime: an SMS published through SNS lands in the outbox (.txt) and the report,
and its SUCCESS status record reaches SmsEventsFunction through a CloudWatch Logs subscription event
(settling its claim); a scenario's sms_reply STOP withdraws the contact's SMS consent through the
inbound topic; sms_failure suppresses a dead number, and is refused for a number nothing was sent to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import run_scenario, settle
from nurture_local.runtime.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "+12065550142"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def write(tmp_path: Path, *lines: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def sign_up_with_sms(at: str) -> dict[str, Any]:
    body = {
        "type": "consent.changed",
        "occurred_at": at,
        "contact": {"email": "grace@example.com", "phone": NUMBER, "first_name": "Grace"},
        "consent": {"sms": {"state": "subscribed", "opt_in_level": "single_opt_in"}},
    }
    return {"at": at, "source": "generic", "topic": "consent.changed", "body": body, "delivery_id": "sms-1"}


def test_an_sms_is_kept_and_settled_a_stop_reply_honoured_and_a_dead_number_suppressed(tmp_path: Path) -> None:
    scenario = write(
        tmp_path,
        sign_up_with_sms("2026-03-02T09:00:00Z"),
        {
            "at": "2026-03-02T09:30:00Z",
            "action": "sms_failure",
            "to": "+12065550199",
            "response": "Invalid phone number",
        },
        {"at": "2026-03-02T10:00:00Z", "action": "sms_reply", "from": NUMBER, "text": "Stop please"},
    )
    seen: dict[str, Any] = {}

    def publish_an_sms(env: LocalEnvironment) -> None:
        import boto3

        from nurture.adapters.dynamodb_sends import SendLedger
        from nurture.delivery.suppression import suppression_hash, suppression_key
        from nurture.messaging.claims import SendKey

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = env.resources["NurtureTable"]
        profile = next(
            item
            for item in dynamodb.scan(TableName=table)["Items"]
            if item["sk"]["S"] == "PROFILE" and item.get("phone", {}).get("S") == NUMBER
        )
        seen["sms_consent"] = profile["sms_consent"]["M"]["state"]["S"]
        contact_id = profile["contact_id"]["S"]
        # A journey's SMS as the sender sends it: claimed, marked sending, published to the number;
        # its outcome unknown to the sender (no pointer), so the status record finds it by number.
        key = SendKey(contact_id, "welcome", "welcome_sms", f"welcome-{contact_id}-1")
        ledger = SendLedger(table, dynamodb)
        now = datetime.now(UTC)
        assert ledger.claim(key, claim_id="claim-1", execution=key.enrolment, attempt=0, at=now)
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": f"SEND#{key.enrolment}#{key.step}"}},
            UpdateExpression="SET channel = :sms",
            ExpressionAttributeValues={":sms": {"S": "sms"}},
        )
        ledger.start_sending(key, claim_id="claim-1", at=now)
        sns = boto3.client("sns", region_name="us-east-1")
        message_id = sns.publish(
            PhoneNumber=NUMBER,
            Message="Grace, welcome! Reply STOP to opt out.",
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"}},
        )["MessageId"]
        sqs = boto3.client("sqs", region_name="us-east-1")
        settle(env, sqs)
        record = ledger.get(key)
        assert record is not None
        seen["claim"] = (record.status, record.message_id == message_id)
        # Then the carrier reports the number dead
        env.sms_failure(NUMBER, "Invalid phone number")
        settle(env, sqs)
        # Keyed from the secret the local runtime wrote to SSM, as SmsEventsFunction's key is
        hashed = suppression_hash(NUMBER, suppression_key(env.config.unsubscribe_secret))
        suppression = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": f"SUPPRESSION#{hashed}"}, "sk": {"S": "SUPPRESSION"}}
        ).get("Item")
        seen["suppression"] = suppression and suppression["reason"]["S"]
        events = dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :event)",
            ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":event": {"S": "EVENT#"}},
        )["Items"]
        seen["events"] = sorted(item["event_type"]["S"] for item in events)

    outbox = tmp_path / "outbox"
    report = run_scenario(load_scenario(scenario), root=ROOT, outbox=outbox, at_end=publish_an_sms)

    # The STOP reply (line 3) withdrew the contact's SMS consent through SmsInboundTopic
    assert seen["sms_consent"] == "unsubscribed"
    assert [answer["outcome"] for answer in report.answers] == ["accepted", "rejected", "sms_reply"]
    # An sms_failure for a number no SMS went to is refused, naming the number's line
    (refused,) = report.rejected
    assert (refused["line"], refused["status"]) == (2, 422)
    # The SUCCESS status record settled the claim (found by number) with SNS's message id
    assert seen["claim"] == ("sent", True)
    # The FAILURE record suppressed the number, and ProcessFunction applied both sms.* events
    assert seen["suppression"] == "dead_number"
    assert {"sms.delivered", "sms.failed", "consent.changed"} <= set(seen["events"])
    # And the SMS is in the report and the outbox, beside the emails
    assert (report.sms, report.emails) == (1, 0)
    (sms,) = [message for message in report.messages if message.channel == "sms"]
    assert (sms.to, sms.journey, sms.step) == (NUMBER, "welcome", "welcome_sms")
    (text_file,) = outbox.glob("*.txt")
    assert text_file.read_text(encoding="utf-8") == "Grace, welcome! Reply STOP to opt out."
    assert report.as_json()["sms"] == 1


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"action": "sms_reply", "text": "STOP"}, "from"),
        ({"action": "sms_reply", "from": "206 555 0142", "text": "STOP"}, "from"),
        ({"action": "sms_reply", "from": NUMBER, "text": "  "}, "text"),
        ({"action": "sms_reply", "from": NUMBER, "text": "STOP", "to": NUMBER}, "to"),
        ({"action": "sms_failure", "to": NUMBER}, "response"),
        ({"action": "sms_failure", "to": "grace@example.com", "response": "Invalid phone number"}, "to"),
        ({"action": "sms_failure", "to": NUMBER, "response": "x", "text": "STOP"}, "text"),
    ],
)
def test_a_malformed_sms_line_is_refused_naming_the_line_and_field(
    tmp_path: Path, line: dict[str, Any], field: str
) -> None:
    path = write(tmp_path, sign_up_with_sms("2026-03-02T09:00:00Z"), {"at": "2026-03-02T10:00:00Z", **line})
    with pytest.raises(ScenarioError, match=rf"scenario.jsonl:2: field '{field}'"):
        load_scenario(path)


def test_sms_lines_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"at": "2026-03-02T09:00:00Z", "action": "sms_reply", "from": NUMBER, "text": "STOP"},
        {"at": "2026-03-02T09:05:00Z", "action": "sms_failure", "to": NUMBER, "response": "Invalid phone number"},
    )
    reply, failure = load_scenario(path)
    assert (reply.action, reply.to, reply.text, reply.sms) == ("sms_reply", NUMBER, "STOP", True)
    assert (failure.action, failure.to, failure.text) == ("sms_failure", NUMBER, "Invalid phone number")
    assert reply.at + timedelta(minutes=5) == failure.at

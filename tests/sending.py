"""Helpers of the send-path tests on moto: a subscriber's profile item, the mail SES received, and
the secret the suppression key is derived from."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.journeys.enrolments import Enrolment, EnrolmentStatus
from nurture.profiles.model import ConsentRecord, Profile

STORE = "acme-outfitters.myshopify.com"
# The delivery rules' timing switched off (no quiet hours, no frequency caps), for the runtime
# scenarios that test journey mechanics (exits, keys, clicks) at the hours they were written for.
# The rules themselves: tests/unit/delivery, tests/integration/test_delivery_rules_moto.py and
# tests/runtime/test_delivery_rules_runtime.py.
NO_DELIVERY_LIMITS = {
    "DELIVERY_QUIET_START": "00:00",
    "DELIVERY_QUIET_END": "00:00",
    "DELIVERY_MIN_GAP": "0",
    "DELIVERY_MAX_IN_WINDOW": "1000",
}

TEST_SECRET_PARAMETER = "/nurture/test/unsubscribe-secret"


def secret_in_ssm(value: str = "a-test-unsubscribe-secret", name: str = TEST_SECRET_PARAMETER) -> dict[str, str]:
    """The unsubscribe secret written to moto's SSM, and the setting naming it: what EngagementFunction,
    SmsEventsFunction and PrivacyFunction derive their suppression key from at cold start."""
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=name, Value=value, Type="SecureString")
    return {"UNSUBSCRIBE_SECRET_PARAMETER": name}


def put_subscriber(
    dynamodb: Any,
    table: str,
    contact_id: str,
    email_address: str,
    first_name: str | None,
    *,
    at: datetime,
    state: str = "subscribed",
) -> None:
    """A Shopify contact's profile item, with email consent in ``state``."""
    consent = ConsentRecord(state, at, "shopify", STORE, f"e-{contact_id}")  # type: ignore[arg-type]
    profile = Profile(
        contact_id=contact_id,
        created_at=at,
        updated_at=at,
        source="shopify",
        store=STORE,
        email=email_address,
        first_name=first_name,
        email_consent=consent,
    )
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    dynamodb.put_item(TableName=table, Item={**profile_key(contact_id), **attributes})


def sent_messages(account: str, region: str) -> list[EmailMessage]:
    """Every message moto's SES accepted, parsed (raw MIME is kept whole)."""
    from moto.ses.models import ses_backends

    messages = []
    for raw in ses_backends[account][region].sent_messages:
        parsed = email.message_from_string(raw.raw_data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def ses_notification(
    samples: list[str], tags: dict[str, str] | None = None, mail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The SNS → Lambda event (SAM's published sample) carrying SES's published event samples, one
    record each, as SES publishes them for a message sent with ``tags`` (added to ``mail.tags``);
    ``mail`` replaces fields of the sample's ``mail`` (its ``messageId``, ``timestamp``)."""
    import copy
    import json

    from tests.third_party import fixture_json

    envelope = fixture_json("aws_events/sam_sns_notification_event.json")
    (template,) = envelope["Records"]
    records = []
    for index, sample in enumerate(samples):
        payload = fixture_json(f"ses/{sample}")
        payload["mail"]["tags"].update({name: [value] for name, value in (tags or {}).items()})
        payload["mail"].update(mail or {})
        record = copy.deepcopy(template)
        record["Sns"]["MessageId"] = f"{record['Sns']['MessageId'][:-2]}{index:02d}"
        record["Sns"]["Message"] = json.dumps(payload)
        records.append(record)
    return {"Records": records}


def enrolment_input(contact_id: str, journey: str = "welcome", occurrence: int = 1) -> dict[str, Any]:
    """The execution input the router starts a contact-keyed journey with (docs/journeys.md)."""
    return {
        "journey": journey,
        "contact_id": contact_id,
        "enrolment": {"id": f"{journey}-{contact_id}-{occurrence}", "key": None, "occurrence": occurrence},
        "steps": {},
    }


def put_enrolment(
    dynamodb: Any,
    table: str,
    contact_id: str,
    *,
    journey: str = "welcome",
    key: str | None = None,
    occurrence: int = 1,
    status: EnrolmentStatus = "running",
    data: dict[str, Any] | None = None,
) -> str:
    """The enrolment record the router writes before StartExecution (its own adapter, so the same
    item: ``data`` as JSON text); returns the enrolment id."""
    enrolment = Enrolment(
        journey=journey,
        contact_id=contact_id,
        occurrence=occurrence,
        key=key,
        trigger_event_id=f"event-{journey}-{contact_id}-{occurrence}",
        started_at=datetime(2026, 3, 1, tzinfo=UTC),
        status=status,
        reason=None if status == "running" else "ordered",
        data=data or {},
    )
    assert EnrolmentRepository(table, dynamodb).create(enrolment)
    return enrolment.enrolment_id

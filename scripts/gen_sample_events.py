"""Write the sample events in events/ (for `sam local invoke -e events/<file>` and the tests).

The webhook event is signed with the local runtime's development Shopify secret
(`LocalConfig.webhook_secrets["shopify"]`), so it verifies wherever that secret is configured.

    python scripts/gen_sample_events.py [--check]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from nurture.capture import load_normalizer
from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.runner import sqs_record, webhook_event
from nurture_local.runtime.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
SAMPLE_CONTACT = "5fd9746836664c3086d0fb88fb7f38e5"
SAMPLE_CLAIM = "0d6b4d4c3f2a4e0c9a51c1f0b7e2a9d3"
THIRD_PARTY = ROOT / "tests" / "fixtures" / "third_party"


def ses_send_notification() -> Any:
    """SAM's SNS sample around SES's published Send sample, tagged as Nurture tags the welcome email."""
    envelope = json.loads((THIRD_PARTY / "aws_events" / "sam_sns_notification_event.json").read_text())
    ses = json.loads((THIRD_PARTY / "ses" / "ses_event_send.json").read_text())
    tags = {
        "contact_id": SAMPLE_CONTACT,
        "journey": "welcome",
        "step": "welcome",
        "enrolment": f"welcome-{SAMPLE_CONTACT}-1",
        "claim_id": SAMPLE_CLAIM,
    }
    ses["mail"]["tags"].update({name: [value] for name, value in tags.items()})
    envelope["Records"][0]["Sns"]["Message"] = json.dumps(ses)
    return envelope


def welcome_send_task() -> dict[str, object]:
    """The Payload the welcome journey's first Task gives JourneyStepFunction (docs/journeys.md, "Tasks"),
    resolved for the sample contact's first enrolment: the execution is named after the enrolment."""
    enrolment = f"welcome-{SAMPLE_CONTACT}-1"
    return {
        "action": "send",
        "journey": "welcome",
        "step": "welcome",
        "contact_id": SAMPLE_CONTACT,
        "enrolment": {"id": enrolment, "key": None, "occurrence": 1},
        "execution": f"arn:aws:states:us-east-1:123456789012:execution:nurture-journey-welcome:{enrolment}",
        "attempt": 0,
        "next_wait": {"seconds": 172800},
    }


def events() -> dict[str, object]:
    first = next(line for line in load_scenario(DEMO) if line.source == "shopify")  # Ada's sign-up
    canonical = load_normalizer(first.source)(first.topic, json.loads(first.body), store=first.store)
    messages = [
        {
            "MessageId": f"059f36b4-87a3-44ab-83d2-66197542470{i}",
            "ReceiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}",
            "Body": event.model_dump_json(),
            "Attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1772438400000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1772438400001",
            },
            "MessageAttributes": {"type": {"DataType": "String", "StringValue": event.type}},
            "MD5OfBody": hashlib.md5(event.model_dump_json().encode(), usedforsecurity=False).hexdigest(),
        }
        for i, event in enumerate(canonical)
    ]
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:nurture-events"
    return {
        "ingest-shopify-customers-create.json": webhook_event(first, LocalConfig().webhook_secrets["shopify"]),
        "process-sqs-batch.json": {"Records": [sqs_record(message, queue_arn) for message in messages]},
        "journey-step-welcome-send.json": welcome_send_task(),
        "engagement-ses-send.json": ses_send_notification(),
        "reconcile-sends-schedule.json": json.loads(
            (THIRD_PARTY / "aws_events" / "sam_eventbridge_scheduled_event.json").read_text()
        ),
    }


def render(document: object) -> str:
    return json.dumps(document, indent=2) + "\n"


def main() -> int:
    stale = []
    for name, document in events().items():
        path = EVENTS / name
        if "--check" in sys.argv:
            if not path.exists() or path.read_text(encoding="utf-8") != render(document):
                stale.append(name)
        else:
            EVENTS.mkdir(exist_ok=True)
            path.write_text(render(document), encoding="utf-8")
            print(f"wrote events/{name}")
    if stale:
        print(f"stale sample events (run scripts/gen_sample_events.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the sample events in events/ (for `sam local invoke -e events/<file>` and the tests).

The webhook event is signed with the local runtime's development Shopify secret
(`LocalConfig.webhook_secrets["shopify"]`), so it verifies wherever that secret is configured.

    python scripts/gen_sample_events.py [--check]
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from nurture.capture import load_normalizer
from nurture.capture.signatures import sign_base64
from nurture_local.runtime.environment import LocalConfig
from nurture_local.runtime.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
SAMPLE_CONTACT = "5fd9746836664c3086d0fb88fb7f38e5"


def webhook_event(body: bytes, topic: str, store: str, delivery_id: str) -> dict[str, object]:
    secret = LocalConfig().webhook_secrets["shopify"].encode()
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{source}",
        "rawPath": "/webhooks/shopify",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "x-shopify-topic": topic,
            "x-shopify-hmac-sha256": sign_base64(secret, body),
            "x-shopify-shop-domain": store,
            "x-shopify-api-version": "2026-04",
            "x-shopify-webhook-id": delivery_id,
        },
        "pathParameters": {"source": "shopify"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api-id.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": "POST",
                "path": "/webhooks/shopify",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "Shopify-Captain-Hook",
            },
            "requestId": "sample-request",
            "routeKey": "POST /webhooks/{source}",
            "stage": "$default",
            "timeEpoch": 1772438400000,
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def events() -> dict[str, object]:
    first = load_scenario(DEMO)[0]
    canonical = load_normalizer(first.source)(first.topic, json.loads(first.body), store=first.store)
    records = [
        {
            "messageId": f"059f36b4-87a3-44ab-83d2-66197542470{i}",
            "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}",
            "body": event.model_dump_json(),
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1772438400000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1772438400001",
            },
            "messageAttributes": {
                "type": {
                    "stringValue": event.type,
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": "String",
                }
            },
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:nurture-events",
            "awsRegion": "us-east-1",
        }
        for i, event in enumerate(canonical)
    ]
    return {
        "ingest-shopify-customers-create.json": webhook_event(first.body, first.topic, first.store, first.delivery_id),
        "process-sqs-batch.json": {"Records": records},
        "send-email-welcome.json": {
            "contact_id": SAMPLE_CONTACT,
            "journey": "welcome",
            "step": "welcome",
            "execution": f"arn:aws:states:us-east-1:123456789012:execution:WelcomeJourney:welcome-{SAMPLE_CONTACT}",
        },
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

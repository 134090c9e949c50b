"""IngestFunction on moto: every published store payload is accepted, every bad input is refused with
the right status and writes nothing, and a retried delivery is not processed twice."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import boto3
import pytest

from functions.ingest import app
from nurture.capture.signatures import sign_base64
from tests.third_party import fixture_bytes as fixture

SECRETS = {"shopify": "shpss_test_secret", "woocommerce": "wc_test_secret", "generic": "generic_test_secret"}
SECRETS_PARAMETER = "/nurture/webhook-secrets"


@pytest.fixture
def ingest(aws: None, nurture_table: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The function wired as template.yaml wires it: env vars, SSM secret, queue, table."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="nurture-events")["QueueUrl"]
    boto3.client("ssm").put_parameter(
        Name=SECRETS_PARAMETER, Value=json.dumps(SECRETS), Type="SecureString", Overwrite=True
    )
    monkeypatch.setenv("EVENTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("TABLE_NAME", nurture_table)
    monkeypatch.setenv("WEBHOOK_SECRETS_PARAMETER", SECRETS_PARAMETER)
    app.use_dependencies(None)
    yield {"sqs": sqs, "queue_url": queue_url, "table": nurture_table}
    app.use_dependencies(None)


def http_event(source: str, body: bytes, headers: dict[str, str], *, base64_body: bool = True) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event shaped like the published sample, for POST /webhooks/{source}."""
    event: dict[str, Any] = json.loads(fixture("aws_events/sam_apigw_http_api_v2_proxy_event.json"))
    event["routeKey"] = "POST /webhooks/{source}"
    event["rawPath"] = f"/webhooks/{source}"
    event["requestContext"]["http"]["method"] = "POST"
    event["requestContext"]["http"]["path"] = f"/webhooks/{source}"
    event["pathParameters"] = {"source": source}
    event["headers"] = {name.lower(): value for name, value in headers.items()}
    event["isBase64Encoded"] = base64_body
    event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    return event


def shopify_headers(
    body: bytes, topic: str, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_base64(SECRETS["shopify"].encode(), body),
        "X-Shopify-Shop-Domain": "example.myshopify.com",
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": webhook_id,
    }


def woo_headers(body: bytes, topic: str, delivery_id: str = "1001") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sign_base64(SECRETS["woocommerce"].encode(), body),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def call(event: dict[str, Any], lambda_context: Any) -> tuple[int, dict[str, Any]]:
    response = app.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def queued(ingest: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        batch = ingest["sqs"].receive_message(QueueUrl=ingest["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        messages.extend(json.loads(message["Body"]) for message in batch)


def table_items(ingest: dict[str, Any]) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=ingest["table"])["Items"]


@pytest.mark.parametrize(
    ("fixture_file", "topic", "first_type"),
    [
        ("shopify/customers_create.json", "customers/create", "contact.upserted"),
        ("shopify/customers_create.json", "customers/update", "contact.upserted"),
        ("shopify/orders_create.json", "orders/create", "contact.upserted"),
        ("shopify/orders_create.json", "orders/paid", "contact.upserted"),
        ("shopify/orders_create.json", "orders/cancelled", "contact.upserted"),
        ("shopify/checkouts_create.json", "checkouts/create", "contact.upserted"),
        ("shopify/checkouts_create.json", "checkouts/update", "contact.upserted"),
        ("shopify/carts_create.json", "carts/create", "cart.updated"),
        ("shopify/carts_create.json", "carts/update", "cart.updated"),
    ],
)
def test_given_a_published_shopify_payload_when_signed_then_it_is_accepted_and_queued(
    ingest, lambda_context, fixture_file, topic, first_type
):
    body = fixture(fixture_file)

    status, answer = call(http_event("shopify", body, shopify_headers(body, topic)), lambda_context)

    assert status == 202, answer
    assert answer["status"] == "accepted"
    messages = queued(ingest)
    assert len(messages) == answer["events"] >= 1
    assert messages[0]["type"] == first_type
    assert all(message["source"] == "shopify" for message in messages)
    assert all(message["store"] == "example.myshopify.com" for message in messages)


@pytest.mark.parametrize(
    ("fixture_file", "topic"),
    [
        ("woocommerce/customer_created_wc_v3_rest_response_example.json", "customer.created"),
        ("woocommerce/customer_created_wc_v3_rest_response_example.json", "customer.updated"),
        ("woocommerce/order_created_wc_v3_rest_response_example.json", "order.created"),
    ],
)
def test_given_a_published_woocommerce_payload_when_signed_then_it_is_accepted_and_queued(
    ingest, lambda_context, fixture_file, topic
):
    body = fixture(fixture_file)

    status, answer = call(http_event("woocommerce", body, woo_headers(body, topic)), lambda_context)

    assert status == 202, answer
    messages = queued(ingest)
    assert len(messages) == answer["events"] >= 1
    assert {message["source"] for message in messages} == {"woocommerce"}


def test_given_a_shopify_delivery_already_received_when_retried_then_it_is_acknowledged_but_not_queued_again(
    ingest, lambda_context
):
    body = fixture("shopify/customers_create.json")
    event = http_event("shopify", body, shopify_headers(body, "customers/create", webhook_id="retry-1"))
    first_status, _ = call(event, lambda_context)
    first = queued(ingest)

    status, answer = call(event, lambda_context)

    assert (first_status, status) == (202, 202)
    assert answer["status"] == "duplicate"
    assert len(first) >= 1
    assert queued(ingest) == []


def test_given_a_tampered_body_when_received_then_401_and_nothing_is_written(ingest, lambda_context):
    body = fixture("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create")
    tampered = body.replace(b"bob@biller.com", b"eve@attacker.example")

    status, answer = call(http_event("shopify", tampered, headers), lambda_context)

    assert status == 401
    assert "X-Shopify-Hmac-Sha256" in answer["message"]
    assert queued(ingest) == []
    assert table_items(ingest) == []


def test_given_a_signature_made_with_another_secret_when_received_then_401(ingest, lambda_context):
    body = fixture("woocommerce/order_created_wc_v3_rest_response_example.json")
    headers = woo_headers(body, "order.created")
    headers["X-WC-Webhook-Signature"] = sign_base64(b"not-the-secret", body)

    status, _ = call(http_event("woocommerce", body, headers), lambda_context)

    assert status == 401
    assert queued(ingest) == []


def test_given_no_signature_header_when_received_then_401(ingest, lambda_context):
    body = fixture("shopify/orders_create.json")
    headers = shopify_headers(body, "orders/create")
    del headers["X-Shopify-Hmac-Sha256"]

    status, _ = call(http_event("shopify", body, headers), lambda_context)

    assert status == 401
    assert queued(ingest) == []


def test_given_a_shopify_delivery_without_webhook_id_when_received_then_400_names_the_header(ingest, lambda_context):
    body = fixture("shopify/customers_create.json")
    headers = shopify_headers(body, "customers/create")
    del headers["X-Shopify-Webhook-Id"]

    status, answer = call(http_event("shopify", body, headers), lambda_context)

    assert status == 400
    assert answer["errors"] == [{"field": "headers.X-Shopify-Webhook-Id", "message": "required header is missing"}]
    assert queued(ingest) == []
    assert table_items(ingest) == []


def test_given_a_body_that_is_not_json_when_signed_then_400_names_the_body(ingest, lambda_context):
    body = b"{not json"

    status, answer = call(http_event("shopify", body, shopify_headers(body, "customers/create")), lambda_context)

    assert status == 400
    assert answer["errors"][0]["field"] == "body"
    assert queued(ingest) == []


def test_given_an_invalid_field_when_signed_then_400_names_the_field_and_why(ingest, lambda_context):
    payload = json.loads(fixture("shopify/orders_create.json"))
    broken = copy.deepcopy(payload)
    broken["line_items"][0]["quantity"] = "three"
    body = json.dumps(broken).encode()

    status, answer = call(http_event("shopify", body, shopify_headers(body, "orders/create")), lambda_context)

    assert status == 400
    fields = [error["field"] for error in answer["errors"]]
    assert "line_items.0.quantity" in fields
    assert all(error["message"] for error in answer["errors"])
    assert queued(ingest) == []
    assert table_items(ingest) == []


def test_given_a_body_over_256_kb_when_received_then_413(ingest, lambda_context):
    body = b'{"padding": "' + b"x" * (256 * 1024) + b'"}'

    status, _ = call(http_event("generic", body, {"X-Nurture-Signature": "irrelevant"}), lambda_context)

    assert status == 413
    assert queued(ingest) == []


def test_given_an_unknown_source_when_posted_then_404(ingest, lambda_context):
    status, answer = call(http_event("magento", b"{}", {}), lambda_context)

    assert status == 404
    assert answer["sources"] == ["shopify", "woocommerce", "generic"]


def test_given_a_topic_we_do_not_use_when_signed_then_202_ignored_and_nothing_queued(ingest, lambda_context):
    body = fixture("shopify/orders_create.json")

    status, answer = call(
        http_event("shopify", body, shopify_headers(body, "orders/partially_fulfilled")), lambda_context
    )

    assert status == 202
    assert answer["status"] == "ignored"
    assert queued(ingest) == []


def test_given_the_woocommerce_activation_ping_when_received_then_200_and_ignored(ingest, lambda_context):
    body = b"webhook_id=17"
    event = http_event("woocommerce", body, {"Content-Type": "application/x-www-form-urlencoded"})

    status, answer = call(event, lambda_context)

    assert status == 200
    assert answer["status"] == "ignored"
    assert queued(ingest) == []


def test_given_a_signed_generic_event_when_received_then_it_is_queued(ingest, lambda_context):
    body = json.dumps(
        {
            "type": "consent.changed",
            "occurred_at": "2026-03-01T09:00:00+01:00",
            "contact": {"email": "Ada@Example.com", "first_name": "Ada"},
            "consent": {"email": {"state": "subscribed"}},
        }
    ).encode()
    headers = {"X-Nurture-Signature": sign_base64(SECRETS["generic"].encode(), body), "X-Nurture-Store": "my-shop"}

    status, answer = call(http_event("generic", body, headers, base64_body=False), lambda_context)

    assert status == 202, answer
    messages = queued(ingest)
    assert [message["type"] for message in messages][-1] == "consent.changed"
    assert messages[-1]["contact"]["email"] == "ada@example.com"

"""Intake fuzz test (issue 13): whatever arrives, IngestFunction never answers 5xx, and a rejected
request writes nothing: the queue and the table are checked on moto after every rejected request.

Cases are generated from a fixed seed (reproducible; the failing case's label is in the assertion)
by mutating signed, valid deliveries of the three sources: bad encodings, sizes, header lengths,
timestamps, addresses, numbers, types and nesting.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from nurture.capture.signatures import sign_base64
from tests.integration import test_ingest_webhooks as webhooks
from tests.integration.test_ingest_webhooks import SECRETS, http_event, shopify_headers, woo_headers
from tests.third_party import fixture_json

ingest = webhooks.ingest  # the function wired as template.yaml wires it (a fixture)

SEED = 13
CASES_PER_SOURCE = 120

BAD_TIMESTAMPS: list[Any] = [
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
    "0001-01-01T00:00:00+14:00",
    "2099-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-13-45T99:99:99Z",
    "",
    "now",
    0,
    -1,
    1e308,
    None,
    [],
    {},
]
BAD_ADDRESSES: list[Any] = [
    "a\x00b@c.co",
    "\u202eadmin@evil.co",
    "a,b@c.co",
    "\uff41@\uff42.co",
    "a@b",
    "@",
    "x" * 300 + "@example.com",
    "ada@example.com\ud800",
    "ada@[127.0.0.1]",
    '"quoted"@example.com',
    "ada@shop.local",
    12,
    ["ada@example.com"],
]
BAD_NUMBERS: list[Any] = [
    "1E+400",
    "1E-400",
    "-1",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1" * 5000,
    1e308,
    -0.0001,
    10**40,
    True,
    "",
    None,
]
BAD_TEXT: list[Any] = ["\ud800", "\x00", "x" * 100_000, "\u202e", 10**30, {"a": 1}, [None]]
HEADER_VALUES: list[str] = ["d" * 2048, "s" * 300, "\x00", "\ud800", "a\nb", "tab\there", "ünïcode", ""]


@dataclass(frozen=True)
class Case:
    label: str
    event: dict[str, Any]


SIGNATURE_HEADERS = {
    "shopify": "X-Shopify-Hmac-Sha256",
    "woocommerce": "X-WC-Webhook-Signature",
    "generic": "X-Nurture-Signature",
}
DELIVERY_ID_HEADERS = {
    "shopify": "X-Shopify-Webhook-Id",
    "woocommerce": "X-WC-Webhook-Delivery-ID",
    "generic": "X-Nurture-Delivery-Id",
}


def signed(source: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    signature = sign_base64(SECRETS[source].encode(), body)
    return http_event(source, body, headers | {SIGNATURE_HEADERS[source]: signature})


def generic_base() -> dict[str, Any]:
    return {
        "type": "order.placed",
        "occurred_at": "2026-06-01T09:30:00+02:00",
        "contact": {"email": "ada@example.com", "phone": "+14155550123", "first_name": "Ada"},
        "consent": {"email": {"state": "subscribed", "changed_at": "2026-06-01T09:00:00Z"}},
        "order": {
            "order_id": "1001",
            "currency": "EUR",
            "total": "19.99",
            "line_items": [{"title": "Tea", "quantity": 1, "unit_price": "19.99"}],
        },
    }


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value`` (objects and lists), so a mutation can land anywhere."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))


def set_path(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def value_for(path: tuple[Any, ...], rng: random.Random) -> Any:
    name = str(path[-1]) if path else ""
    if "email" in name:
        return rng.choice(BAD_ADDRESSES)
    if name.endswith(("_at", "_gmt")):
        return rng.choice(BAD_TIMESTAMPS)
    if any(word in name for word in ("total", "price", "subtotal", "quantity", "amount")):
        return rng.choice(BAD_NUMBERS)
    return rng.choice([*BAD_TEXT, *BAD_NUMBERS[:4], nested(rng.choice([40, 200]))])


def body_mutations(source: str, base: Any, base_headers: dict[str, str], rng: random.Random) -> Iterator[Case]:
    paths = [path for path in leaves(base) if path]
    for number in range(CASES_PER_SOURCE):
        kind = rng.choice(["field", "field", "field", "encoding", "size", "header", "shape", "nesting", "signature"])
        document = copy.deepcopy(base)
        label = f"{source}#{number}:{kind}"
        # A fresh delivery id per case: a repeated one would be acknowledged before the body is read.
        headers = base_headers | {DELIVERY_ID_HEADERS[source]: f"fuzz-{number}"}
        if kind == "field":
            path = rng.choice(paths)
            document = set_path(document, path, value_for(path, rng))
            label += f":{'.'.join(map(str, path))}"
            yield Case(label, signed(source, json.dumps(document).encode("utf-8", "surrogatepass"), headers))
        elif kind == "encoding":
            body = json.dumps(document).encode()
            choice = rng.randrange(5)
            event = signed(source, body, headers)
            if choice == 0:
                event["body"] = "!!" + event["body"][2:]  # not base64
            elif choice == 1:
                event["isBase64Encoded"] = False
                event["body"] = json.dumps(document)[:-1] + '"\ud800"}'  # a lone surrogate
            elif choice == 2:
                event = signed(source, b"\xff\xfe" + body, headers)  # not UTF-8
            elif choice == 3:
                event = signed(source, b"\xef\xbb\xbf" + body, headers)  # a byte-order mark
            else:
                event = signed(source, body[: rng.randrange(1, len(body))], headers)  # truncated
            yield Case(f"{label}:{choice}", event)
        elif kind == "size":
            path = rng.choice(paths)
            size = rng.choice([200 * 1024, 256 * 1024, 300 * 1024])
            document = set_path(document, path, "x" * size)
            yield Case(f"{label}:{size}", signed(source, json.dumps(document).encode(), headers))
        elif kind == "header":
            name = rng.choice([name for name in headers if "signature" not in name.lower() and "hmac" not in name])
            value = rng.choice(HEADER_VALUES)
            body = json.dumps(document).encode()
            yield Case(f"{label}:{name}={value[:8]!r}", signed(source, body, headers | {name: value}))
        elif kind == "shape":
            body = rng.choice([b"null", b"[]", b"42", b'"text"', b"{}", b"[{}]", b"", b"{" * 10, b"1" * 5000])
            yield Case(f"{label}:{body[:10]!r}", signed(source, body, headers))
        elif kind == "nesting":
            depth = rng.choice([33, 1000, 100_000])
            body = b"[" * depth + b"]" * depth
            yield Case(f"{label}:{depth}", signed(source, body, headers))
        else:
            event = signed(source, json.dumps(document).encode(), headers)
            value = rng.choice(["", "not base64!", "\ud800", base64_of(b"x" * 32), "A" * 5000])
            event["headers"][SIGNATURE_HEADERS[source].lower()] = value
            yield Case(f"{label}:{value[:8]!r}", event)


def base64_of(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def cases() -> Iterator[Case]:
    rng = random.Random(SEED)
    generic_headers = {"X-Nurture-Store": "fuzz-shop", "X-Nurture-Delivery-Id": "fuzz"}
    yield from body_mutations("generic", generic_base(), generic_headers, rng)
    shopify = fixture_json("shopify/orders_create.json")
    yield from body_mutations("shopify", shopify, _unsigned(shopify_headers(b"", "orders/create")), rng)
    woo = fixture_json("woocommerce/order_created_wc_v3_rest_response_example.json")
    yield from body_mutations("woocommerce", woo, _unsigned(woo_headers(b"", "order.created")), rng)


def _unsigned(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if "Signature" not in name and "Hmac" not in name}


def _writes(ingest: dict[str, Any]) -> tuple[int, int]:
    attributes = ingest["sqs"].get_queue_attributes(
        QueueUrl=ingest["queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    messages = int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    items = boto3.client("dynamodb").scan(TableName=ingest["table"], Select="COUNT")["Count"]
    return messages, items


def run(ingest: dict[str, Any], lambda_context: Any, call: Callable[[dict[str, Any], Any], Any]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for case in cases():
        before = _writes(ingest)
        response = call(case.event, lambda_context)
        status = response["statusCode"]
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, f"{case.label}: {status} {response['body']}"
        if status >= 400:
            assert _writes(ingest) == before, f"{case.label}: {status} but something was written"
            answer = json.loads(response["body"])
            assert all(bad not in response["body"] for bad in BAD_ADDRESSES if isinstance(bad, str)), case.label
            assert answer.get("errors") or answer.get("message"), case.label
    return statuses


def test_given_mutated_deliveries_of_every_source_when_received_then_never_a_5xx_and_no_write_when_rejected(
    ingest, lambda_context
):
    from functions.ingest import app

    statuses = run(ingest, lambda_context, app.lambda_handler)

    # The generator reaches every kind of answer, not only the first check that fails.
    assert {202, 400, 401, 413} <= set(statuses), statuses
    assert sum(statuses.values()) == 3 * CASES_PER_SOURCE

"""ConsentFunction on moto (SQS, SSM, DynamoDB): each route as template.yaml wires it. Bad input is a
4xx naming the field and never a 5xx; a GET changes nothing; a one-click POST answers 200 and puts one
canonical event on the queue, and a repeated POST the same event id; the preferences page shows the
profile's current choices (as the profile store writes them) and the defaults when there is none."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.consent import app
from nurture.adapters.dynamodb_profile_items import profile_attributes, profile_key
from nurture.consent.pages import day_text
from nurture.events import ConsentChanged, parse_event
from nurture.messaging.unsubscribe import make_token
from nurture.profiles.model import ConsentRecord, Profile, ProfileLocation
from tests.conftest import create_nurture_table
from tests.third_party import fixture_bytes as fixture

SECRET = "consent-test-secret-0123456789abcdef"
SECRET_PARAMETER = "/nurture/unsubscribe-secret"
CONTACT = "c0ffee00c0ffee00c0ffee00c0ffee00"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def consent(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="nurture-events")["QueueUrl"]
    boto3.client("ssm").put_parameter(Name=SECRET_PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    dynamodb = boto3.client("dynamodb")
    table = create_nurture_table(dynamodb)
    monkeypatch.setenv("EVENTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("UNSUBSCRIBE_SECRET_PARAMETER", SECRET_PARAMETER)
    monkeypatch.setenv("TABLE_NAME", table)
    app.use_dependencies(None)
    yield {"sqs": sqs, "queue_url": queue_url, "dynamodb": dynamodb, "table": table}
    app.use_dependencies(None)


def queued(consent: dict[str, Any]) -> list[ConsentChanged]:
    events: list[ConsentChanged] = []
    while True:
        answer = consent["sqs"].receive_message(QueueUrl=consent["queue_url"], MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return events
        for message in messages:
            event = parse_event(message["Body"])
            assert isinstance(event, ConsentChanged)
            events.append(event)
            consent["sqs"].delete_message(QueueUrl=consent["queue_url"], ReceiptHandle=message["ReceiptHandle"])


def token(purpose: str = "unsubscribe", issued_at: datetime | None = None) -> str:
    return make_token(
        SECRET,
        contact_id=CONTACT,
        channel="email",
        list_id="welcome" if purpose == "unsubscribe" else "double_opt_in",
        issued_at=issued_at or datetime.now(UTC),
        purpose=purpose,
    )


def request(
    method: str, path: str, query: str = "", body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(fixture("aws_events/sam_apigw_http_api_v2_proxy_event.json"))
    event["routeKey"] = f"{method} {path}"
    event["rawPath"] = path
    event["rawQueryString"] = query
    event["queryStringParameters"] = None
    event["pathParameters"] = None
    event["requestContext"]["http"].update(method=method, path=path, sourceIp="192.0.2.7", userAgent="Mail/1.0")
    event["headers"] = {name.lower(): value for name, value in (headers or {}).items()}
    event["isBase64Encoded"] = True
    event["body"] = base64.b64encode(body).decode()
    return event


def call(event: dict[str, Any], lambda_context: Any) -> tuple[int, str, dict[str, str]]:
    response = app.lambda_handler(event, lambda_context)
    return response["statusCode"], response["body"], response["headers"]


# ---------------------------------------------------------------- unsubscribe


def test_one_click_post_answers_200_and_queues_one_unsubscribe_with_proof(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    status, _, _ = call(
        request("POST", "/unsubscribe", f"token={token()}", b"List-Unsubscribe=One-Click", {"content-type": FORM}),
        lambda_context,
    )

    assert status == 200
    (event,) = queued(consent)
    assert (event.source, event.contact_id, event.contact) == ("nurture", CONTACT, None)
    assert event.email is not None and event.email.state == "unsubscribed"
    assert event.proof is not None
    assert (event.proof.method, event.proof.ip, event.proof.user_agent) == ("one_click", "192.0.2.7", "Mail/1.0")


def test_a_repeated_one_click_post_is_the_same_event(consent: dict[str, Any], lambda_context: Any) -> None:
    link = f"token={token()}"
    for _ in range(2):
        assert call(request("POST", "/unsubscribe", link, b"List-Unsubscribe=One-Click"), lambda_context)[0] == 200

    assert len({event.event_id for event in queued(consent)}) == 1


def test_the_page_button_posts_an_empty_body_and_unsubscribes(consent: dict[str, Any], lambda_context: Any) -> None:
    assert call(request("POST", "/unsubscribe", f"token={token()}&lang=it"), lambda_context)[0] == 200
    (event,) = queued(consent)
    assert event.proof is not None and event.proof.method == "unsubscribe_page"


def test_get_shows_a_page_with_a_button_and_changes_nothing(consent: dict[str, Any], lambda_context: Any) -> None:
    status, body, headers = call(
        request("GET", "/unsubscribe", f"token={token()}", headers={"accept-language": "es-ES,es;q=0.9"}),
        lambda_context,
    )

    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert '<form method="post"' in body and "Darme de baja" in body and "<script" not in body
    assert queued(consent) == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("token=", 400),
        ("token=v1.abc.def", 400),
        ("token=" + "x" * 600, 400),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bad_token_is_a_400_page_and_nothing_is_queued(
    consent: dict[str, Any], lambda_context: Any, method: str, query: str, status: int
) -> None:
    assert call(request(method, "/unsubscribe", query), lambda_context)[0] == status
    assert queued(consent) == []


def test_a_confirmation_token_is_no_unsubscribe_token(consent: dict[str, Any], lambda_context: Any) -> None:
    assert call(request("POST", "/unsubscribe", f"token={token('confirm')}"), lambda_context)[0] == 400
    assert queued(consent) == []


# ---------------------------------------------------------------- sign-up and confirmation


def test_subscribe_json_queues_a_pending_contact_and_answers_202_without_personal_data(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    body = json.dumps({"email": " Ada@Example.com ", "store": "shop.example", "first_name": "Ada", "locale": "it_IT"})
    status, answer, _ = call(
        request("POST", "/subscribe", body=body.encode(), headers={"content-type": "application/json"}),
        lambda_context,
    )

    assert (status, json.loads(answer)) == (202, {"status": "accepted"})
    (event,) = queued(consent)
    assert event.contact is not None
    assert (event.contact.email, event.contact.first_name, event.contact.locale) == ("ada@example.com", "Ada", "it-IT")
    assert event.email is not None and event.email.state == "pending"
    assert (event.store, event.source) == ("shop.example", "nurture")


def test_subscribe_form_encoded_answers_a_page(consent: dict[str, Any], lambda_context: Any) -> None:
    body = b"email=ada%40example.com&store=shop.example&website="
    status, answer, _ = call(request("POST", "/subscribe", body=body, headers={"content-type": FORM}), lambda_context)

    assert status == 202 and "Check your inbox" in answer
    assert len(queued(consent)) == 1


def test_the_honeypot_is_answered_200_and_dropped(consent: dict[str, Any], lambda_context: Any) -> None:
    body = b"email=bot%40example.com&store=shop.example&website=http%3A%2F%2Fspam.example"
    assert call(request("POST", "/subscribe", body=body, headers={"content-type": FORM}), lambda_context)[0] == 200
    assert queued(consent) == []


@pytest.mark.parametrize(
    ("content_type", "body", "status", "field"),
    [
        ("application/json", b'{"store": "shop.example"}', 400, "email"),
        ("application/json", b'{"email": "not-an-address", "store": "s"}', 400, "email"),
        ("application/json", b'{"email": "ada@example.com"}', 400, "store"),
        ("application/json", b'{"email": 7, "store": "s"}', 400, "email"),
        ("application/json", b'{"email": "ada@example.com", "store": "s", "locale": "!!"}', 400, "locale"),
        ("application/json", b"[1, 2]", 400, "body"),
        ("application/json", b"{", 400, "body"),
        (FORM, b"email=a%40example.com&email=b%40example.com&store=s", 400, "email"),
        (FORM, b"\xff\xfe", 400, "body"),
        ("text/plain", b"email=a", 415, "headers.content-type"),
        ("application/json", b"{" + b" " * 20000 + b"}", 413, "body"),
    ],
)
def test_bad_sign_ups_are_4xx_naming_the_field(
    consent: dict[str, Any], lambda_context: Any, content_type: str, body: bytes, status: int, field: str
) -> None:
    answer_status, answer, _ = call(
        request("POST", "/subscribe", body=body, headers={"content-type": content_type}), lambda_context
    )

    assert answer_status == status
    assert field in [error["field"] for error in json.loads(answer)["errors"]]
    assert queued(consent) == []


def test_confirm_get_shows_a_page_and_changes_nothing(consent: dict[str, Any], lambda_context: Any) -> None:
    status, body, _ = call(request("GET", "/confirm", f"token={token('confirm')}&lang=it"), lambda_context)

    assert status == 200 and "Conferma la mia iscrizione" in body
    assert queued(consent) == []


def test_confirm_post_queues_a_confirmed_opt_in_with_proof(consent: dict[str, Any], lambda_context: Any) -> None:
    assert call(request("POST", "/confirm", f"token={token('confirm')}"), lambda_context)[0] == 200

    (event,) = queued(consent)
    assert event.email is not None
    assert (event.email.state, event.email.opt_in_level) == ("subscribed", "confirmed_opt_in")
    assert event.proof is not None and (event.proof.method, event.proof.ip) == ("confirm_page", "192.0.2.7")


def test_a_confirmation_older_than_7_days_is_a_410_page(consent: dict[str, Any], lambda_context: Any) -> None:
    old = token("confirm", datetime.now(UTC) - timedelta(days=7, minutes=1))
    for method in ("GET", "POST"):
        assert call(request(method, "/confirm", f"token={old}"), lambda_context)[0] == 410
    assert queued(consent) == []


def test_an_unsubscribe_token_is_no_confirmation(consent: dict[str, Any], lambda_context: Any) -> None:
    assert call(request("POST", "/confirm", f"token={token()}"), lambda_context)[0] == 400
    assert queued(consent) == []


# ---------------------------------------------------------------- preferences


def put_profile(consent: dict[str, Any], **fields: Any) -> None:
    """The contact's profile item, as the profile store writes it."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    profile = Profile(
        contact_id=CONTACT, created_at=at, updated_at=at, source="shopify", store="shop.example",
        email="ada@example.com", **fields,
    )  # fmt: skip
    attributes = {name: value for name, value in profile_attributes(profile, 1).items() if value is not None}
    consent["dynamodb"].put_item(TableName=consent["table"], Item={**profile_key(CONTACT), **attributes})


def consent_record(state: str) -> ConsentRecord:
    return ConsentRecord(state, datetime(2026, 3, 2, tzinfo=UTC), "shopify", "shop.example", "e-1")  # type: ignore[arg-type]


def checkbox(body: str, name: str, value: str) -> str | None:
    """The checkbox's tag as the page renders it, or None."""
    start = body.find(f'<input type="checkbox" name="{name}" value="{value}"')
    return None if start < 0 else body[start : body.index(">", start) + 1]


def test_preferences_page_shows_the_topics_opted_out_of_and_the_pause(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    # Given a contact who left "offers" and paused marketing email until 23:30 UTC, on a day that is
    # already the next one in Rome
    paused_until = (datetime.now(UTC) + timedelta(days=20)).replace(hour=23, minute=30, second=0, microsecond=0)
    put_profile(
        consent,
        email_consent=consent_record("subscribed"),
        unsubscribed_topics=frozenset({"offers"}),
        paused_until=paused_until,
        time_zone="Europe/Rome",
    )

    status, body, _ = call(request("GET", "/preferences", f"token={token()}&lang=it"), lambda_context)

    assert status == 200
    assert checkbox(body, "topics", "offers") == '<input type="checkbox" name="topics" value="offers">'
    assert checkbox(body, "topics", "newsletter") == '<input type="checkbox" name="topics" value="newsletter" checked>'
    assert checkbox(body, "topics", "product_news") is not None and "checked" in checkbox(
        body, "topics", "product_news"
    )
    last_day = (paused_until + timedelta(days=1)).date()  # 00:30 the next day in Rome
    assert f"sospese fino a {day_text('it', last_day)}." in body
    assert checkbox(body, "sms", "on") is None  # no phone number: no SMS
    assert queued(consent) == []


@pytest.mark.parametrize("sms", ["subscribed", "unsubscribed", None])
def test_preferences_page_shows_sms_on_or_off_for_a_contact_with_a_phone(
    consent: dict[str, Any], lambda_context: Any, sms: str | None
) -> None:
    put_profile(
        consent,
        phone="+12125550199",
        email_consent=consent_record("subscribed"),
        sms_consent=consent_record(sms) if sms else None,
        location=ProfileLocation(country_code="US"),
    )

    status, body, _ = call(request("GET", "/preferences", f"token={token()}"), lambda_context)

    assert status == 200
    box = checkbox(body, "sms", "on")
    assert box is not None and "disabled" not in box
    assert '<input type="hidden" name="sms_shown" value="1">' in body
    assert ("checked" in box) == (sms == "subscribed")
    assert "+12125550199" not in body and "5550199" not in body


def test_preferences_page_of_a_contact_unsubscribed_from_email_says_so(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    put_profile(consent, email_consent=consent_record("unsubscribed"))

    status, body, _ = call(request("GET", "/preferences", f"token={token()}"), lambda_context)

    assert status == 200 and "You are unsubscribed from all our marketing emails" in body


def test_preferences_page_of_an_unknown_contact_shows_the_defaults(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    # Given no profile (an erased contact whose old email link still verifies)
    status, body, _ = call(request("GET", "/preferences", f"token={token()}"), lambda_context)

    assert status == 200
    for topic in ("newsletter", "offers", "product_news"):
        assert checkbox(body, "topics", topic) == f'<input type="checkbox" name="topics" value="{topic}" checked>'
    assert "paused until" not in body and checkbox(body, "sms", "on") is None
    assert queued(consent) == []
    # And its form still works
    form = f"token={token()}&topics=newsletter".encode()
    assert call(request("POST", "/preferences", body=form, headers={"content-type": FORM}), lambda_context)[0] == 200


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("", 400, "its token is missing or not valid"),
        ("token=", 400, "its token is missing or not valid"),
        ("token=v1.abc.def", 400, "its token is missing or not valid"),
        ("token=" + "x" * 600, 400, "its token is missing or not valid"),
        (f"token={token('confirm')}", 400, "its token is missing or not valid"),  # another purpose
        ("token=" + token(issued_at=datetime.now(UTC) - timedelta(days=800)), 410, "its token has expired"),
    ],
)
def test_preferences_page_with_a_bad_token_is_4xx_naming_it_and_reads_nothing(
    consent: dict[str, Any], lambda_context: Any, query: str, status: int, says: str
) -> None:
    # Given a table that would fail any read: a bad token must be refused before it
    consent["dynamodb"].delete_table(TableName=consent["table"])

    answer_status, body, _ = call(request("GET", "/preferences", query), lambda_context)

    assert (answer_status, says in body) == (status, True)
    assert queued(consent) == []


def test_preferences_post_queues_the_topics_left_out_and_the_pause(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    body = f"token={token()}&topics=newsletter&pause=30d".encode()
    status, _, _ = call(request("POST", "/preferences", body=body, headers={"content-type": FORM}), lambda_context)

    assert status == 200
    (event,) = queued(consent)
    assert event.unsubscribed_topics == ("offers", "product_news")
    assert event.paused_until is not None and event.paused_until - event.occurred_at == timedelta(days=30)
    assert event.email is None  # still subscribed: topics and a pause are not an unsubscribe


@pytest.mark.parametrize(
    ("current", "posted", "reported"),
    [
        ("subscribed", "sms_shown=1", "unsubscribed"),  # unticked: withdrawn
        ("unsubscribed", "sms_shown=1&sms=on", "subscribed"),  # ticked again (after a STOP)
        (None, "sms_shown=1&sms=on", "subscribed"),  # never asked before
        ("subscribed", "sms_shown=1&sms=on", None),  # unchanged: the consent record is left as it was
        ("unsubscribed", "sms_shown=1", None),
        ("subscribed", "", None),  # a form without the SMS box (an old page) changes no SMS consent
    ],
)
def test_preferences_post_changes_sms_consent_only_when_the_choice_differs(
    consent: dict[str, Any], lambda_context: Any, current: str | None, posted: str, reported: str | None
) -> None:
    put_profile(consent, phone="+12125550199", sms_consent=consent_record(current) if current else None)
    body = f"token={token()}&topics=newsletter&topics=offers&topics=product_news&{posted}".encode()

    status, _, _ = call(request("POST", "/preferences", body=body, headers={"content-type": FORM}), lambda_context)

    assert status == 200
    (event,) = queued(consent)
    assert (event.sms.state if event.sms else None) == reported
    if reported == "subscribed":
        assert event.sms is not None and event.sms.opt_in_level == "single_opt_in"
    assert event.proof is not None and event.proof.method == "preferences_page"
    assert event.proof.user_agent  # the request's, kept as proof
    assert event.email is None


def test_preferences_post_without_a_phone_number_changes_no_sms_consent(
    consent: dict[str, Any], lambda_context: Any
) -> None:
    put_profile(consent, sms_consent=consent_record("unsubscribed"))  # consent on record, no number
    body = f"token={token()}&sms_shown=1&sms=on".encode()

    assert call(request("POST", "/preferences", body=body, headers={"content-type": FORM}), lambda_context)[0] == 200
    (event,) = queued(consent)
    assert event.sms is None


@pytest.mark.parametrize(
    ("body", "field"), [(b"topics=gossip", "topics"), (b"pause=forever", "pause"), (b"sms=yes", "sms")]
)
def test_bad_preferences_are_400_naming_the_field(
    consent: dict[str, Any], lambda_context: Any, body: bytes, field: str
) -> None:
    full = f"token={token()}&".encode() + body
    answer_status, answer, _ = call(
        request("POST", "/preferences", body=full, headers={"content-type": FORM}), lambda_context
    )

    assert answer_status == 400
    assert [error["field"] for error in json.loads(answer)["errors"]] == [field]
    assert queued(consent) == []


def test_an_unknown_route_is_404(consent: dict[str, Any], lambda_context: Any) -> None:
    assert call(request("DELETE", "/unsubscribe", f"token={token()}"), lambda_context)[0] == 404


def test_a_missing_secret_is_a_500_that_reveals_nothing(
    consent: dict[str, Any], lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNSUBSCRIBE_SECRET_PARAMETER", "/nurture/missing")
    status, body, _ = call(request("GET", "/unsubscribe", f"token={token()}"), lambda_context)
    assert (status, json.loads(body)) == (500, {"message": "the service is misconfigured"})

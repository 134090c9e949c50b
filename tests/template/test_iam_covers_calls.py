"""The roles in template.yaml allow what the functions really call, and no more table actions: the
demo scenario replayed on the local runtime (its two SMS subscribers take JourneyStepFunction
through SNS Publish and the message pointer), every AWS call the handlers make recorded with the
function making it, checked against that function's role (actions, the partition keys its
dynamodb:LeadingKeys condition allows, and the index a Query names). The local runtime delivers
SES's Send and Delivery events to EngagementFunction and fires the schedules on the virtual clock;
one welcome claim is left unknown before the reconciler's first run after the sign-ups, so its
re-send path is exercised too, one profile's last order is made 90 days old before the lapsed
scan's, so it reads profiles, and before the refresh pass's one profile is made due and two get a
CLV with no threshold stored, so it sends a refresh and writes the VIP threshold. The first
sign-up's welcome email then bounces, transiently and for good, so EngagementFunction writes the
suppression list. At the end PrivacyFunction exports and
erases a contact who was sent the welcome email and whose address is suppressed (its suppression
item still naming it), so every step of an erasure runs; before and after the erasure the contact
opens the preferences page of that email (ConsentFunction reads the profile, then finds none).
Before that, two SMS go to a contact's number (one with the sender's message pointer, one whose
outcome the sender never learnt), the carrier reports the number unreachable, then dead, and the
contact texts START: SmsEventsFunction reads both kinds of claim, writes the suppression list and
looks the number up."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.runtime.runner import run_scenario
from nurture_local.runtime.scenario import ScenarioLine, load_scenario
from nurture_local.template import load_template, package_template, translate

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
CART_RECOVERY = ROOT / "events" / "cart-recovery.jsonl"
# The local runtime sets AWS_LAMBDA_FUNCTION_NAME (the physical name, <stack>-<logical id>-<suffix>)
# around each call, as Lambda does; a journey started by ProcessFunction runs JourneyStepFunction
# inside its call, with the inner name set meanwhile.
FUNCTIONS = (
    "IngestFunction",
    "ConsentFunction",
    "ProcessFunction",
    "JourneyStepFunction",
    "EngagementFunction",
    "ReconcileSendsFunction",
    "LapsedScanFunction",
    "BirthdayScanFunction",
    "RefreshFunction",
    "PrivacyFunction",
    "SmsEventsFunction",
)
# IAM prefixes and actions where they differ from the API's service and operation names.
PREFIX = {"sesv2": "ses"}
ACTION = {"sqs:SendMessageBatch": "sqs:SendMessage", "ses:SendEmail": "ses:SendEmail"}
TRANSACT_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}

Call = tuple[str, frozenset[str]]  # an IAM action, and the partition keys (or the index) it touched


def current_function() -> str | None:
    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    return next((logical for logical in FUNCTIONS if f"-{logical}-" in name), None)


def iam_calls(service: str, operation: str, params: dict[str, Any]) -> list[Call]:
    prefix = PREFIX.get(service, service)
    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{TRANSACT_ACTION[kind]}", frozenset({body.get("Key", body.get("Item", {}))["pk"]["S"]}))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    action = ACTION.get(f"{prefix}:{operation}", f"{prefix}:{operation}")
    keys = frozenset()
    if prefix == "dynamodb":
        key = params.get("Key") or params.get("Item") or {}
        keys = frozenset({key["pk"]["S"]}) if "pk" in key else frozenset()
        # A Query on the table names its partition in the key condition (the router's enrolment reads).
        bound = re.search(r"\bpk = (:\w+)", params.get("KeyConditionExpression", ""))
        if bound is not None:
            keys = frozenset({params["ExpressionAttributeValues"][bound.group(1)]["S"]})
        if operation == "BatchGetItem":
            keys = frozenset(k["pk"]["S"] for request in params["RequestItems"].values() for k in request["Keys"])
        if operation == "BatchWriteItem":
            keys = frozenset(
                (write.get("DeleteRequest", {}).get("Key") or write["PutRequest"]["Item"])["pk"]["S"]
                for writes in params["RequestItems"].values()
                for write in writes
            )
        if "IndexName" in params:
            keys = frozenset({f"index/{params['IndexName']}"})
    return [(action, keys)]


def sample_of_the_demo() -> list[ScenarioLine]:
    """The demo's first sign-up from each source, and its first redelivered webhook (both copies);
    and the cart recovery's Bob, whose checkout puts him in the segment cart_abandoners and whose
    order takes him out (ProcessFunction puts, then deletes, a segment member item and queues
    segment.entered, then segment.exited)."""
    lines = load_scenario(DEMO)
    # The sign-up week's webhooks (the library's stories before it act on mail, or months earlier).
    week = next(line.at for line in lines if line.source == "shopify")
    webhooks = [line for line in lines if not line.action and line.at >= week]
    chosen = {line.source: line for line in reversed(webhooks)}  # the first of each source
    bodies: dict[bytes, ScenarioLine] = {}
    for line in webhooks:
        if line.body in bodies:
            chosen["redelivered"], chosen["delivered"] = line, bodies[line.body]
            break
        bodies[line.body] = line
    assert {"shopify", "woocommerce", "generic", "redelivered"} <= set(chosen)
    bob = [
        replace(line, number=800 + n)
        for n, line in enumerate(line for line in load_scenario(CART_RECOVERY) if b"bob@example.com" in line.body)
    ]
    assert [line.topic for line in bob] == ["checkouts/create", "orders/create"]
    sample = sorted([*chosen.values(), *bob, *library_sample(lines)], key=lambda line: line.at)
    # A day after the last sign-up every welcome email is out (quiet hours deferred some to morning).
    first = json.loads(chosen["shopify"].body)["email"]
    later = sample[-1].at + timedelta(days=1)
    bounces = [
        ScenarioLine(900 + n, later + timedelta(minutes=n), "", action, b"", "", f"iam-{action}", action, first)
        for n, action in enumerate(("soft_bounce", "bounce"))
    ]
    return [*sample, *bounces]


def library_sample(demo: list[ScenarioLine]) -> list[ScenarioLine]:
    """What makes JourneyStepFunction claim a code and read the product data: the welcome pool's
    codes (a lead's welcome carries one), a customer who bought the grinder with the kettle (whose
    page she viewed), and the demo's Tim, who looks at the grinder twice (browse_abandonment
    recommends from co-purchases: a Query of the grinder's, a BatchGetItem of the kettle's page)."""
    week = next(line.at for line in demo if line.source == "shopify")
    [codes] = [line for line in demo if line.action == "import_codes" and line.pool == "welcome"]
    tim = [line for line in demo if line.delivery_id in ("tim-sub", "tim-v1", "tim-v2")]
    assert len(tim) == 3
    buyer = {"email": "iam.buyer@example.net", "first_name": "Ivy"}
    kettle = {"product_id": "kettle", "title": "Gooseneck kettle", "unit_price": "59.00", "categories": ["equipment"]}
    bought = [
        {"product_id": "grinder", "title": "Burr grinder", "quantity": 1, "unit_price": "89.00"},
        {**kettle, "quantity": 1},
    ]
    crafted = [
        (
            "product.viewed",
            {"product": {**kettle, "url": "https://shop.nurture-demo.example/products/kettle", "currency": "CAD"}},
        ),
        ("order.placed", {"order": {"order_id": "IAM-1", "currency": "CAD", "total": "148.00", "line_items": bought}}),
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ivy.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {
                        "at": (week + timedelta(hours=n)).isoformat(),
                        "source": "generic",
                        "topic": kind,
                        "delivery_id": f"iam-ivy-{n}",
                        "body": {
                            "type": kind,
                            "occurred_at": (week + timedelta(hours=n)).isoformat(),
                            "contact": buyer,
                            **body,
                        },
                    }
                )
                + "\n"
                for n, (kind, body) in enumerate(crafted)
            ),
            encoding="utf-8",
        )
        ivy = load_scenario(path)
    return [
        replace(codes, at=week - timedelta(minutes=1), number=700),
        *(replace(line, number=710 + n) for n, line in enumerate(ivy)),
        *(replace(line, number=720 + n) for n, line in enumerate(tim)),
    ]


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[Call]]:
    import botocore.client

    recorded: dict[str, set[Call]] = defaultdict(set)
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = current_function()
        if function is not None:
            service = self.meta.service_model.service_name
            recorded[function].update(iam_calls(service, operation_name, api_params))
        return original(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        patch.setattr(LocalEnvironment, "run_schedule", prepared_schedule_run)
        run_scenario(
            sample_of_the_demo(), root=ROOT, days=1, outbox=tmp_path_factory.mktemp("outbox"), at_end=privacy_requests
        )
    assert ("ses:SendEmail", frozenset()) in recorded["ReconcileSendsFunction"]  # it did re-send
    assert any(action == "dynamodb:BatchGetItem" for action, _ in recorded["LapsedScanFunction"])  # it found one
    assert ("dynamodb:UpdateItem", frozenset({SUPPRESSED[0]})) in recorded["PrivacyFunction"]  # it kept a hash only
    assert ("dynamodb:UpdateItem", frozenset({"CODEPOOL#vip"})) in recorded["PrivacyFunction"]  # code kept
    assert any(action == "dynamodb:Query" for action, _ in recorded["SmsEventsFunction"])  # it matched by number
    assert ("sqs:SendMessage", frozenset()) in recorded["RefreshFunction"]  # it found a contact due
    assert ("sqs:SendMessage", frozenset()) in recorded["BirthdayScanFunction"]  # it found a birthday
    assert any(action == "dynamodb:DeleteItem" for action, _ in recorded["ProcessFunction"])  # Bob left a segment
    assert any(  # the erasure deleted the contact's member item
        action == "dynamodb:BatchWriteItem" and any(key.startswith("SEGMENT#") for key in keys)
        for action, keys in recorded["PrivacyFunction"]
    )
    return dict(recorded)


PREPARED: set[str] = set()


def prepared_schedule_run(env: LocalEnvironment, logical_id: str) -> Any:
    """The first run of each schedule once a welcome email went out finds work to do."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    welcomed = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=env.resources["NurtureTable"])
        for item in page["Items"]
        if item["sk"]["S"].startswith("SEND#welcome-") and item["sk"]["S"].endswith("#welcome")
    ]
    if len(welcomed) >= 2 and logical_id not in PREPARED:
        PREPARED.add(logical_id)
        if logical_id == "ReconcileSendsFunction":
            leave_one_claim_unknown_first(env, welcomed)
        elif logical_id == "LapsedScanFunction":
            last_ordered_90_days_ago(env, welcomed[0]["pk"])
        elif logical_id == "BirthdayScanFunction":
            born_tomorrow(env, welcomed[0]["pk"])
        elif logical_id == "RefreshFunction":
            due_and_valued(env, [item["pk"] for item in welcomed])
    return ORIGINAL_RUN_SCHEDULE(env, logical_id)


def born_tomorrow(env: LocalEnvironment, pk: dict[str, str]) -> None:
    """A profile whose birthday is tomorrow in its zone, as the profile store writes it."""
    import boto3

    from nurture.profiles.birthdays import anniversary_at, last_run_day, month_day, run_instant

    anniversary = anniversary_at(run_instant(last_run_day(datetime.now(UTC))), "UTC", None, None)
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=env.resources["NurtureTable"],
        Key={"pk": pk, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET birthday = :birthday, birthday_md = :md, time_zone = :zone",
        ExpressionAttributeValues={
            ":birthday": {"S": anniversary.replace(year=1992).isoformat()},
            ":md": {"S": month_day(anniversary)},
            ":zone": {"S": "UTC"},
        },
    )


def due_and_valued(env: LocalEnvironment, pks: list[dict[str, str]]) -> None:
    """Profiles as ProcessFunction's assessment leaves them (docs/scoring.md, "Wiring"): one due a
    minute ago, two customers with a CLV; and no threshold yet, so this run computes one."""
    import boto3

    from nurture.adapters.dynamodb_profile_items import shard_of

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = env.resources["NurtureTable"]
    due_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="microseconds")
    for n, pk in enumerate(pks[:2]):
        dynamodb.update_item(
            TableName=table,
            Key={"pk": pk, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET #shard = :shard, clv = :clv" + (", due_at = :due" if n == 0 else ""),
            ExpressionAttributeNames={"#shard": "shard"},
            ExpressionAttributeValues={
                ":shard": {"S": shard_of(pk["S"].removeprefix("CONTACT#"))},
                ":clv": {"N": str(100 * (n + 1))},
                **({":due": {"S": due_at}} if n == 0 else {}),
            },
        )
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "SETTINGS"}, "sk": {"S": "VIP_THRESHOLD"}})


def last_ordered_90_days_ago(env: LocalEnvironment, pk: dict[str, str]) -> None:
    """A profile whose last order is 90 days old, as ProcessFunction records it."""
    import boto3

    at = datetime.now(UTC) - timedelta(days=90)  # time-machine holds the process at the virtual time
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=env.resources["NurtureTable"],
        Key={"pk": pk, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET last_order_at = :at, last_order_day = :day",
        ExpressionAttributeValues={
            ":at": {"S": at.isoformat(timespec="microseconds")},
            ":day": {"S": at.date().isoformat()},
        },
    )


def leave_one_claim_unknown_first(env: LocalEnvironment, items: list[dict[str, Any]]) -> None:
    """Before the reconciler's run: two sent welcome claims turned back into unknown ones, two
    hours ago (as if SES never answered); SES's Send event reaches EngagementFunction for the
    first, which settles it; the second's events are lost, so the reconciler re-sends it."""
    import boto3

    from nurture.adapters.dynamodb_sends import unsettled_shard
    from nurture_local.runtime.environment import _ses_send_event

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = env.resources["NurtureTable"]
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="microseconds")
    for item in items[:2]:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET #status = :unknown, unknown_at = :at,"
            " unsettled_shard = :shard, unsettled_since = :at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":unknown": {"S": "unknown"},
                ":at": {"S": two_hours_ago},
                ":shard": {"S": unsettled_shard(item["pk"]["S"].removeprefix("CONTACT#"))},
            },
        )
    settled = items[0]
    tags = {
        "contact_id": settled["pk"]["S"].removeprefix("CONTACT#"),
        "journey": "welcome",
        "step": "welcome",
        "enrolment": settled["sk"]["S"].split("#")[1],  # SEND#<enrolment id>#<step>
    }
    tags["claim_id"] = settled["claim_id"]["S"]
    send = {"EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()], "Destination": {}}
    env._email_events.append(_ses_send_event(send, settled["message_id"]["S"]))
    assert env.publish_email_events() == 1


ORIGINAL_RUN_SCHEDULE = LocalEnvironment.run_schedule
SUPPRESSED: list[str] = []


def sms_feedback(env: LocalEnvironment) -> None:
    """Two SMS to a mailed contact's number (see the module doc), and what comes back for them."""
    import boto3

    from nurture.adapters.dynamodb_profile_items import identity_item, phone_identity
    from nurture.adapters.dynamodb_sends import SendLedger, sms_message_key
    from nurture.messaging.claims import SendKey
    from nurture_local.runtime.runner import settle

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    table = env.resources["NurtureTable"]
    number = "+12065550142"
    profile = next(
        item for item in dynamodb.scan(TableName=table)["Items"] if item["sk"]["S"] == "PROFILE" and "email" in item
    )
    contact_id = profile["contact_id"]["S"]
    now = datetime.now(UTC)
    dynamodb.put_item(TableName=table, Item=identity_item(phone_identity(number), contact_id, now))
    ledger = SendLedger(table, dynamodb)
    for n, with_pointer in enumerate((True, False)):
        key = SendKey(contact_id, "welcome", f"sms_{n}", f"welcome-{contact_id}-sms{n}")
        assert ledger.claim(key, claim_id=f"claim-{n}", execution=key.enrolment, attempt=0, at=now)
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": f"SEND#{key.enrolment}#{key.step}"}},
            UpdateExpression="SET channel = :sms",
            ExpressionAttributeValues={":sms": {"S": "sms"}},
        )
        ledger.start_sending(key, claim_id=f"claim-{n}", at=now)
        message_id = boto3.client("sns", region_name="us-east-1").publish(PhoneNumber=number, Message="Hi")["MessageId"]
        if with_pointer:
            pointer = {
                name: {"S": value}
                for name, value in (
                    ("contact_id", contact_id),
                    ("journey", key.journey),
                    ("step", key.step),
                    ("enrolment", key.enrolment),
                    ("claim_id", f"claim-{n}"),
                )
            }
            dynamodb.put_item(TableName=table, Item={**sms_message_key(message_id), **pointer})
        settle(env, sqs)
    for response in ("Phone is currently unreachable/unavailable", "Invalid phone number"):
        env.sms_failure(number, response)
        settle(env, sqs)
    env.sms_reply(number, "START")
    settle(env, sqs)


def privacy_requests(env: LocalEnvironment) -> None:
    """Export, then erase, a contact the welcome journey mailed, whose address was suppressed by a
    complaint (the item as a suppression store could have written it, naming the contact)."""
    import boto3

    from nurture.delivery.suppression import suppression_hash, suppression_key

    sms_feedback(env)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = env.resources["NurtureTable"]
    profiles = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
        if item["sk"]["S"] == "PROFILE" and "email" in item
    ]
    profile = profiles[0]
    contact_id = profile["contact_id"]["S"]
    # Under the key the stack's functions derive from the secret the local runtime wrote to SSM
    key = f"SUPPRESSION#{suppression_hash(profile['email']['S'], suppression_key(env.config.unsubscribe_secret))}"
    SUPPRESSED.append(key)
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": key},
            "sk": {"S": "SUPPRESSION"},
            "reason": {"S": "complaint"},
            "contact_id": {"S": contact_id},
        },
    )
    in_a_segment(dynamodb, table, contact_id)
    with_a_discount_code(dynamodb, table, contact_id)
    preferences_page(env, profile["email"]["S"])
    for method, action in (("GET", "export"), ("POST", "erase")):
        route = f"{method} /admin/contacts/{{id}}/{action}"
        answer = env.invoke("PrivacyFunction", {"routeKey": route, "pathParameters": {"id": contact_id}})
        assert answer["statusCode"] == 200, answer
    preferences_page(env, profile["email"]["S"])  # erased: the page still answers, with the defaults


def in_a_segment(dynamodb: Any, table: str, contact_id: str) -> None:
    """The contact in the segment hot_browsers, as ProcessFunction records it (the profile's
    ``segments`` and a member item): its erasure deletes the member item too."""
    from nurture.adapters.dynamodb_profile_items import iso, profile_key, segment_member_item

    since = datetime.now(UTC)
    dynamodb.update_item(
        TableName=table,
        Key=profile_key(contact_id),
        UpdateExpression="SET #segments = :segments",
        ExpressionAttributeNames={"#segments": "segments"},
        ExpressionAttributeValues={":segments": {"M": {"hot_browsers": {"M": {"since": {"S": iso(since)}}}}}},
    )
    dynamodb.put_item(TableName=table, Item=segment_member_item("hot_browsers", contact_id, since))


def with_a_discount_code(dynamodb: Any, table: str, contact_id: str) -> None:
    """A code claimed for the contact: its erasure removes the contact from the pool's claimed item."""
    from nurture.adapters.dynamodb_codes import DynamoDbCodePools
    from nurture.offers.codes import Code, claim_key

    pools = DynamoDbCodePools(table, dynamodb)
    now = datetime.now(UTC)
    pools.import_codes("vip", [Code("IAM-VIP-1")], now)  # a pool of its own: the sample's sends use welcome's
    assert pools.claim("vip", contact_id, claim_key("vip", "iam", "offer"), now).code == "IAM-VIP-1"


def preferences_page(env: LocalEnvironment, to: str) -> None:
    """GET /preferences with the token of the latest email's List-Unsubscribe URL, as its footer links."""
    from urllib.parse import urlsplit

    query = urlsplit(env.consent_link(to, "unsubscribe")).query
    http = {"method": "GET", "path": "/preferences", "sourceIp": "127.0.0.1", "userAgent": "nurture-local"}
    event = {"routeKey": "GET /preferences", "rawPath": "/preferences", "rawQueryString": query, "headers": {}}
    answer = env.invoke("ConsentFunction", {**event, "requestContext": {"http": http}})
    assert answer["statusCode"] == 200, answer["statusCode"]


@pytest.fixture(scope="module")
def roles() -> dict[str, list[dict[str, Any]]]:
    translated = translate(package_template(load_template(ROOT / "template.yaml"), ROOT), "us-east-1")
    return {
        name.removesuffix("Role"): [
            statement
            for policy in resource["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        for name, resource in translated["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }


def allows(statement: dict[str, Any], action: str, keys: frozenset[str]) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action, pattern) for pattern in actions):
        return False
    indexes = {key for key in keys if key.startswith("index/")}
    if indexes:  # a Query on an index: the statement must name that index (an ARN ending /index/<name>)
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        named = [resource.get("Fn::Sub", "") if isinstance(resource, dict) else str(resource) for resource in resources]
        return all(any(arn.endswith(f"/{index}") for arn in named) for index in indexes)
    leading = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    return leading is None or all(any(fnmatch.fnmatchcase(key, pattern) for pattern in leading) for key in keys)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_call_a_function_makes_is_allowed_by_its_role(
    function: str, calls: dict[str, set[Call]], roles: dict[str, list[dict[str, Any]]]
) -> None:
    # Given what the function called while the demo ran
    made = calls[function]
    assert made, function
    # Then each call (with the partition keys it touched) is allowed by a statement of its role
    denied = sorted(
        (action, sorted(keys)) for action, keys in made if not any(allows(s, action, keys) for s in roles[function])
    )
    assert denied == [], function
    # And the role grants no table action the function does not use
    used = {action for action, _ in made if action.startswith("dynamodb:")}
    granted = {
        action
        for statement in roles[function]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        if action.startswith("dynamodb:")
    }
    assert granted == used, function

"""Privacy requests on moto (docs/privacy.md): erasure removes every item of the contact and its
identities, stops its running executions, keeps suppression as a hash only, leaves other contacts
alone, is idempotent and finishes after a crash midway; export returns everything."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from nurture.adapters.dynamodb_codes import DynamoDbCodePools, PoolCounts
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_privacy import DynamoDbPrivacyStore
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.adapters.stepfunctions import JourneyExecutions
from nurture.delivery.suppression import suppression_hash, suppression_key
from nurture.errors import InvalidRequest, NotFound
from nurture.events import Location
from nurture.journeys.enrolments import Enrolment, state_machine_arn
from nurture.offers.codes import Code, claim_key
from nurture.privacy.requests import PrivacyRequests
from tests.unit.profiles.profile_events import EMAIL, PHONE, at, complained, consent, contact, placed, upserted

PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
OTHER_EMAIL = "grace@example.com"
KEY = suppression_key("privacy-test-unsubscribe-secret")


class World:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.sfn = boto3.client("stepfunctions", region_name="us-east-1")
        role = "arn:aws:iam::123456789012:role/journey"
        definition = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}})
        self.sfn.create_state_machine(name="nurture-journey-welcome", definition=definition, roleArn=role)
        self.profiles = ProfileRepository(table, dynamodb)
        self.enrolments = EnrolmentRepository(table, dynamodb)
        self.store = DynamoDbPrivacyStore(table, dynamodb, suppression_key=KEY, sleep=lambda _: None)
        self.executions = JourneyExecutions(self.sfn)
        self.privacy = PrivacyRequests(self.store, self.executions, PREFIX, clock=lambda: at(100))

    def contact_with_history(self, email: str = EMAIL, phone: str | None = PHONE) -> str:
        # With a point (personal data like the address): exported and erased with the profile.
        where = Location(city="Lyon", latitude=45.764, longitude=4.8357)
        who = contact(email=email, phone=phone, customer_id=f"c-{email}", location=where)
        self.profiles.apply(upserted(at(0), who=who))
        self.profiles.apply(consent("subscribed", at(1), who=who))
        self.profiles.apply(placed(occurred_at=at(2), who=who))
        # A later address: the profile holds only the new one, the old identity still points here.
        self.profiles.apply(upserted(at(3), who=who.model_copy(update={"email": "new-" + email})))
        contact_id = self.profiles.find_contact_id(email=email)
        assert contact_id is not None
        enrolment = Enrolment("welcome", contact_id, 1, None, "e-1", at(1), data={"occurred_at": at(1).isoformat()})
        assert self.enrolments.create(enrolment)
        self.sfn.start_execution(
            stateMachineArn=state_machine_arn(PREFIX, "welcome"), name=enrolment.enrolment_id, input="{}"
        )
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"CONTACT#{contact_id}"},
                "sk": {"S": f"SEND#{enrolment.enrolment_id}#welcome"},
                "status": {"S": "sent"},
            },
        )
        return contact_id

    def complained(self, contact_id: str) -> None:
        self.profiles.apply(complained(contact_id))

    def items(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=self.table)["Items"]

    def keys_of(self, contact_id: str) -> list[str]:
        return sorted(
            item["pk"]["S"] + "/" + item["sk"]["S"]
            for item in self.items()
            if item["pk"]["S"] == f"CONTACT#{contact_id}" or item.get("contact_id", {}).get("S") == contact_id
        )

    def execution_status(self, contact_id: str) -> str:
        arn = state_machine_arn(PREFIX, "welcome").replace(":stateMachine:", ":execution:")
        return str(self.sfn.describe_execution(executionArn=f"{arn}:welcome-{contact_id}-1")["status"])


@pytest.fixture
def world(dynamodb: Any, nurture_table: str) -> World:
    return World(dynamodb, nurture_table)


def test_erase_removes_the_contact_its_identities_and_stops_its_executions(world: World) -> None:
    # Given two contacts, each with a profile, events, an order, an enrolment running, a send claim
    ada = world.contact_with_history()
    grace = world.contact_with_history(OTHER_EMAIL, phone=None)
    others_before = world.keys_of(grace)
    assert len(world.keys_of(ada)) >= 10

    # When the dry run, then the erasure of the first one run
    plan = world.privacy.plan(ada)
    assert world.keys_of(ada)  # the dry run changed nothing
    summary = world.privacy.erase(ada)

    # Then nothing names it any more: no item of its partition, no identity (old address included)
    assert world.keys_of(ada) == []
    assert not any(item["pk"]["S"].startswith("ERASURE#") for item in world.items())
    assert world.profiles.find_contact_id(email=EMAIL) is None
    assert world.profiles.find_contact_id(email="new-" + EMAIL) is None
    assert world.profiles.find_contact_id(phone=PHONE) is None
    # And its running execution was stopped; the other contact is untouched
    assert world.execution_status(ada) == "ABORTED"
    assert world.execution_status(grace) == "RUNNING"
    assert world.keys_of(grace) == others_before
    # And the counts say what was done (what the dry run announced)
    assert summary.items == plan.items
    assert summary.items["profile"] == 1 and summary.items["orders"] == 1 and summary.items["sends"] == 1
    assert summary.items["enrolments"] == 1 and summary.items["events"] == 4
    assert (summary.identities, plan.identities) == (4, 4)  # two addresses, a phone, a customer id
    assert (summary.executions, plan.executions) == (1, 1)
    assert summary.suppressions == {}  # neither suppressed nor complained: no suppression item created
    assert not any(item["pk"]["S"].startswith("SUPPRESSION#") for item in world.items())


def test_erase_is_idempotent_and_an_unknown_contact_is_not_found(world: World) -> None:
    ada = world.contact_with_history()
    world.privacy.erase(ada)
    with pytest.raises(NotFound):
        world.privacy.erase(ada)
    with pytest.raises(NotFound):
        world.privacy.export(ada)
    with pytest.raises(InvalidRequest) as refused:
        world.privacy.erase("not-a-contact-id")
    assert refused.value.field == "id"


@pytest.mark.parametrize("crash_at", ["stop", "keep_suppression", "delete_identity", "delete_contact_items"])
def test_an_erasure_that_crashed_midway_is_finished_by_a_retry(world: World, crash_at: str) -> None:
    # Given a contact who complained, and an erasure that crashes after its first call of a step
    ada = world.contact_with_history()
    world.complained(ada)
    grace = world.contact_with_history(OTHER_EMAIL, phone=None)
    others_before = world.keys_of(grace)
    target = world.executions if crash_at == "stop" else world.store
    original = getattr(target, crash_at)
    calls = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        result = original(*args, **kwargs)
        if crash_at == "delete_contact_items":
            raise RuntimeError("the function timed out")
        if len(calls) == 1:
            raise RuntimeError("the function timed out")
        return result

    setattr(target, crash_at, crashing)
    with pytest.raises(RuntimeError):
        world.privacy.erase(ada)
    setattr(target, crash_at, original)
    assert any(item["pk"]["S"] == f"ERASURE#{ada}" for item in world.items())  # the marker stayed

    # When the erasure is run again
    summary = world.privacy.erase(ada)

    # Then it finished: nothing of the contact is left, its marker is gone, the other is untouched
    assert summary.resumed
    assert world.keys_of(ada) == []
    assert not any(item["pk"]["S"].startswith("ERASURE#") for item in world.items())
    assert world.profiles.find_contact_id(email="new-" + EMAIL) is None
    assert world.keys_of(grace) == others_before
    # And the complaint survives as a hash of the address only
    suppressions = [item for item in world.items() if item["pk"]["S"].startswith("SUPPRESSION#")]
    keys = {item["pk"]["S"] for item in suppressions}
    assert (
        f"SUPPRESSION#{suppression_hash(EMAIL, KEY)}" in keys
        and f"SUPPRESSION#{suppression_hash('new-' + EMAIL, KEY)}" in keys
    )
    for item in suppressions:
        assert set(item) == {"pk", "sk", "item_type", "reason", "suppressed_at", "source"}
        assert item["reason"] == {"S": "complaint"}


def test_an_existing_suppression_is_kept_without_what_names_the_contact(world: World) -> None:
    ada = world.contact_with_history()
    key = f"SUPPRESSION#{suppression_hash(PHONE, KEY)}"
    world.dynamodb.put_item(
        TableName=world.table,
        Item={
            "pk": {"S": key},
            "sk": {"S": "SUPPRESSION"},
            "reason": {"S": "sms_failed"},
            "contact_id": {"S": ada},
            "phone": {"S": PHONE},
        },
    )
    summary = world.privacy.erase(ada)
    (item,) = [item for item in world.items() if item["pk"]["S"] == key]
    assert item == {"pk": {"S": key}, "sk": {"S": "SUPPRESSION"}, "reason": {"S": "sms_failed"}}
    assert summary.suppressions == {"scrubbed": 1}


def test_export_returns_everything_held_sorted_and_stable(world: World) -> None:
    ada = world.contact_with_history()
    world.contact_with_history(OTHER_EMAIL, phone=None)

    document = world.privacy.export(ada)

    assert document == world.privacy.export(ada)  # stable
    assert json.dumps(document, sort_keys=True)  # JSON-ready as it is
    assert document["contact_id"] == ada
    assert document["profile"]["email"] == "new-" + EMAIL
    assert document["profile"]["location"] == {"city": "Lyon", "latitude": "45.764", "longitude": "4.8357"}
    assert [event["event_type"] for event in document["events"]] == [
        "contact.upserted",
        "consent.changed",
        "order.placed",
        "contact.upserted",
    ]
    assert document["events"][0]["body"]["contact"]["email"] == EMAIL  # the canonical event, as an object
    assert len(document["orders"]) == 1 and len(document["sends"]) == 1 and len(document["enrolments"]) == 1
    assert document["enrolments"][0]["data"] == {"occurred_at": at(1).isoformat()}
    assert {(i["kind"], i["value"]) for i in document["identities"]} == {
        ("email", EMAIL),
        ("email", "new-" + EMAIL),
        ("phone", PHONE),
        ("customer", f"shopify/acme.myshopify.com/c-{EMAIL}"),
    }
    assert OTHER_EMAIL not in json.dumps(document)
    assert [e["sk"] for e in document["events"]] == sorted(e["sk"] for e in document["events"])


def test_a_contact_is_found_by_its_identifiers(world: World) -> None:
    ada = world.contact_with_history()
    assert world.privacy.find_contact(email="new-" + EMAIL) == ada
    assert world.privacy.find_contact(phone=PHONE) == ada
    assert world.privacy.find_contact(customer=("shopify", "acme.myshopify.com", f"c-{EMAIL}")) == ada
    assert world.privacy.find_contact(email="nobody@example.com") is None


def test_a_long_partition_is_deleted_in_batches(world: World) -> None:
    ada = world.contact_with_history()
    for index in range(60):
        world.dynamodb.put_item(
            TableName=world.table,
            Item={"pk": {"S": f"CONTACT#{ada}"}, "sk": {"S": f"EVENT#{index:04d}"}, "x": {"S": "y" * 400}},
        )
    summary = world.privacy.erase(ada)
    assert summary.items["events"] == 64
    assert world.keys_of(ada) == []


def test_erase_removes_the_contacts_segment_member_items(world: World) -> None:
    from nurture.events import ProductViewed
    from nurture.insights.assess import default_config
    from nurture.insights.service import CachedVipThreshold, ContactInsights

    insights = ContactInsights(
        default_config(), world.profiles, CachedVipThreshold(read=lambda: None, clock=lambda: at(5)), lambda: at(5)
    )
    ada = world.contact_with_history()
    for number in range(3):
        viewed = ProductViewed.model_validate(
            {
                "event_id": f"view-{number}",
                "source": "shopify",
                "store": "acme.myshopify.com",
                "source_topic": "product.viewed",
                "occurred_at": at(4 + number / 10).isoformat(),
                "contact": {"email": "new-" + EMAIL},
                "product": {"product_id": f"p{number}", "title": "Shoe", "unit_price": "150.00", "currency": "USD"},
            }
        )
        world.profiles.apply(viewed, assess=insights.assessor(viewed))
    members = [item for item in world.items() if item["pk"]["S"].startswith("SEGMENT#")]
    assert [item["contact_id"]["S"] for item in members] == [ada]  # premium_browsers

    world.privacy.erase(ada)

    assert not any(item["pk"]["S"].startswith("SEGMENT#") for item in world.items())
    assert world.keys_of(ada) == []


def with_offers(world: World, contact_id: str, enrolment_id: str) -> str:
    """A code claimed for the contact, and the send's personalisation item naming it (as the journey
    step writes it: docs/offers.md). Returns the code."""
    pools = DynamoDbCodePools(world.table, world.dynamodb)
    pools.import_codes("win_back", [Code(f"WB-{enrolment_id}")], at(5))
    claimed = pools.claim("win_back", contact_id, claim_key("win_back", enrolment_id, "incentive"), at(5))
    assert claimed.code is not None
    world.dynamodb.put_item(
        TableName=world.table,
        Item={
            "pk": {"S": f"CONTACT#{contact_id}"},
            "sk": {"S": f"PERSONAL#{enrolment_id}#incentive"},
            "variant": {"N": "0"},
            "template": {"S": "win_back/incentive"},
            "offer": {"M": {"pool": {"S": "win_back"}, "code": {"S": claimed.code}}},
            "offer_reason": {"S": "claimed"},
            "recommendations": {"S": json.dumps([{"product_id": "p1"}])},
        },
    )
    return claimed.code


def claimed_item(world: World, code: str) -> dict[str, Any]:
    key = {"pk": {"S": "CODEPOOL#win_back"}, "sk": {"S": f"CLAIMED#{code}"}}
    item: dict[str, Any] = world.dynamodb.get_item(TableName=world.table, Key=key)["Item"]
    return item


@pytest.mark.parametrize("crash", [False, True])
def test_erase_removes_the_contacts_offers_and_keeps_its_codes_claimed(
    world: World, crash: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two contacts, each with a claimed code and the personalisation of the send that used it
    ada = world.contact_with_history()
    grace = world.contact_with_history(OTHER_EMAIL, phone=None)
    ada_code, grace_code = with_offers(world, ada, "e-ada"), with_offers(world, grace, "e-grace")
    export = world.privacy.export(ada)
    assert [offer["code"] for offer in export["offers"]] == [ada_code]
    assert export["personalisations"][0]["recommendations"] == [{"product_id": "p1"}]  # JSON text as JSON
    if crash:  # an erasure that crashed just after the first claimed item lost its contact id
        original = world.store.anonymise_claimed_code

        def crashing(*args: Any) -> bool:
            original(*args)
            raise RuntimeError("the function timed out")

        monkeypatch.setattr(world.store, "anonymise_claimed_code", crashing)
        with pytest.raises(RuntimeError):
            world.privacy.erase(ada)
        monkeypatch.undo()

    # When the first one is erased
    summary = world.privacy.erase(ada)

    # Then its offer and personalisation items are gone; its code stays claimed, naming nobody
    assert world.keys_of(ada) == []
    assert (summary.items["offers"], summary.items["personalisations"]) == (1, 1)
    kept = claimed_item(world, ada_code)
    assert "contact_id" not in kept and kept["claim"] == {"S": "win_back#e-ada#incentive"}
    pools = DynamoDbCodePools(world.table, world.dynamodb)
    assert pools.status(["win_back"])["win_back"] == PoolCounts(available=0, claimed=2)
    assert pools.claim("win_back", grace, claim_key("win_back", "e-other", "incentive"), at(6)).status == "pool_empty"
    # And the other contact's claim is untouched
    assert claimed_item(world, grace_code)["contact_id"] == {"S": grace}
    assert [claim.code for claim in pools.claims_of(grace)] == [grace_code]

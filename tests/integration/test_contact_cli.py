"""``nurture contact show`` on moto: the service desk's view of a contact (tier, treatment, journeys,
offers), found as privacy export finds it, with no personal data beyond a first name and a masked
email address."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_profile_items import iso
from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.events import Location
from nurture.journeys.enrolments import Enrolment
from nurture_local.cli import main
from tests.unit.profiles.profile_events import EMAIL, PHONE, at, consent, contact, placed, upserted

REGION = ["--region", "us-east-1"]


@pytest.fixture
def contact_id(dynamodb: Any, nurture_table: str) -> str:
    profiles = ProfileRepository(nurture_table, dynamodb)
    where = Location(city="Lyon", postal_code="69002", latitude=45.764, longitude=4.8357)
    who = contact(first_name="Ada", last_name="Lovelace", phone=PHONE, location=where)
    profiles.apply(upserted(at(0), who=who))
    profiles.apply(consent("subscribed", at(1), who=who))
    profiles.apply(placed(occurred_at=at(2), who=who))
    found = profiles.find_contact_id(email=EMAIL)
    assert found is not None
    enrolments = EnrolmentRepository(nurture_table, dynamodb)
    welcome = Enrolment("welcome", found, 1, None, "e-1", at(1), data={})
    vip = Enrolment("vip_thank_you", found, 1, None, "e-2", at(3), data={})
    assert enrolments.create(welcome) and enrolments.create(vip)
    assert enrolments.mark_exited(found, welcome.enrolment_id, reason="ordered", at=at(2))
    # The shapes docs/offers.md gives a claimed code and a stored personalisation decision.
    for sk, attributes in (
        (f"OFFER#vip#{vip.enrolment_id}#thanks", {"code": {"S": "VIP-7K2Q"}, "at": {"S": at(4).isoformat()}}),
        (
            f"PERSONAL#{vip.enrolment_id}#thanks",
            {
                "variant": {"N": "1"},
                "template": {"S": "vip/thanks"},
                "offer": {"M": {"pool": {"S": "vip"}, "code": {"S": "VIP-7K2Q"}, "discount": {"S": "15% off"}}},
                "offer_reason": {"S": "claimed"},
                "recommendations": {"S": "[]"},
                "at": {"S": at(4).isoformat()},
            },
        ),
    ):
        dynamodb.put_item(
            TableName=nurture_table, Item={"pk": {"S": f"CONTACT#{found}"}, "sk": {"S": sk}, **attributes}
        )
    return found


def show(*arguments: str) -> int:
    return main(["contact", "show", *arguments, *REGION])


def test_the_json_document_shows_the_treatment_without_personal_data(
    contact_id: str, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert show("--email", " Ada@Example.com ", "--table", nurture_table, "--json") == 0
    text = capsys.readouterr().out
    document = json.loads(text)

    assert document["contact_id"] == contact_id
    assert (document["first_name"], document["email"]) == ("Ada", "a***@example.com")
    assert (document["email_consent"], document["sms_consent"]) == ("subscribed", None)
    assert (document["lists"], document["tags"]) == ([], [])
    assert [(j["journey"], j["status"], j["reason"]) for j in document["journeys"]] == [
        ("welcome", "exited", "ordered"),
        ("vip_thank_you", "running", None),
    ]
    assert document["journeys"][0]["started_at"] == iso(at(1))
    assert document["journeys"][0]["ended_at"] == iso(at(2))
    vip = Enrolment("vip_thank_you", contact_id, 1, None, "e-2", at(3), data={}).enrolment_id
    assert document["offers"] == [
        {"pool": "vip", "code": "VIP-7K2Q", "at": at(4).isoformat(), "enrolment": vip, "step": "thanks"}
    ]
    [decision] = document["personalisation"]
    assert (decision["template"], decision["variant"], decision["offer_reason"]) == ("vip/thanks", 1, "claimed")
    assert decision["offer"]["code"] == "VIP-7K2Q"
    for personal in (EMAIL, PHONE, "Lovelace", "Lyon", "69002", "45.764", "4.8357"):
        assert personal not in text


def test_the_text_view_and_the_stack_s_table(
    contact_id: str, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"TableName": {"Value": nurture_table}}}
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="nurture", TemplateBody=json.dumps(template)
    )

    assert show("--phone", PHONE, "--stack", "nurture") == 0
    text = capsys.readouterr().out

    assert f"contact {contact_id}  Ada  a***@example.com" in text
    assert "consent: email subscribed, sms -" in text
    assert "welcome  exited (ordered)" in text
    assert "vip  VIP-7K2Q" in text
    assert EMAIL not in text and PHONE not in text


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (["--email", "nobody@example.com"], 1, "no contact has this identifier"),
        (["--contact-id", "0" * 32], 1, "contact"),
        (["--contact-id", "ada"], 2, "--contact-id must be a contact id"),
        (["--email", "x@example.com", "--table", "t", "--stack", "s"], 2, "give --stack or --table"),
    ],
)
def test_an_unknown_contact_or_a_bad_option_is_one_line_on_stderr(
    nurture_table: str, arguments: list[str], status: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = [] if "--table" in arguments else ["--table", nurture_table]
    assert show(*arguments, *table) == status
    err = capsys.readouterr().err
    assert err.startswith("nurture contact: ") and message in err

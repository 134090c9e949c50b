"""``nurture privacy`` on moto: a dry run changes nothing, --yes erases, export prints the document,
the table and prefix read from the stack's outputs (--stack), usage errors name the option."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from nurture.adapters.dynamodb_profiles import ProfileRepository
from nurture.delivery.suppression import suppression_hash, suppression_key
from nurture_local.cli import main
from tests.unit.profiles.profile_events import EMAIL, PHONE, complained, contact, upserted

PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
SECRET_PARAMETER = "/nurture/unsubscribe-secret"
SECRET = "cli-unsubscribe-secret"


@pytest.fixture(autouse=True)
def unsubscribe_secret(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=SECRET_PARAMETER, Value=SECRET, Type="SecureString")


@pytest.fixture
def contact_id(dynamodb: Any, nurture_table: str) -> str:
    profiles = ProfileRepository(nurture_table, dynamodb)
    profiles.apply(upserted(who=contact(phone=PHONE)))
    found = profiles.find_contact_id(email=EMAIL)
    assert found is not None
    return found


def targets(table: str) -> list[str]:
    return [
        "--table",
        table,
        "--state-machine-prefix",
        PREFIX,
        "--secret-parameter",
        SECRET_PARAMETER,
        "--region",
        "us-east-1",
    ]


def test_erase_is_a_dry_run_without_yes(
    contact_id: str, nurture_table: str, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dynamodb.scan(TableName=nurture_table)["Items"]
    assert main(["privacy", "erase", "--email", " Ada@Example.com ", *targets(nurture_table)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["contact_id"] == contact_id and json.loads(out.out)["erased"] is False
    assert "dry run" in out.err
    assert dynamodb.scan(TableName=nurture_table)["Items"] == before

    assert main(["privacy", "erase", "--phone", PHONE, "--yes", *targets(nurture_table)]) == 0
    assert json.loads(capsys.readouterr().out)["erased"] is True
    assert dynamodb.scan(TableName=nurture_table)["Items"] == []
    assert main(["privacy", "erase", "--email", EMAIL, "--yes", *targets(nurture_table)]) == 1


def create_stack(table: str, suppression_parameter: str = "") -> None:
    """A stack with the outputs and the secrets' parameters template.yaml has (their defaults)."""
    template = {
        "Parameters": {
            "UnsubscribeSecretParameterName": {"Type": "String", "Default": SECRET_PARAMETER},
            "SuppressionSecretParameterName": {"Type": "String", "Default": ""},
        },
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "TableName": {"Value": table},
            "JourneyStateMachinePrefix": {"Value": PREFIX},
        },
    }
    parameters = [{"ParameterKey": "SuppressionSecretParameterName", "ParameterValue": suppression_parameter}]
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="nurture", TemplateBody=json.dumps(template), Parameters=parameters
    )


def test_export_reads_the_stack_outputs(
    contact_id: str, nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_stack(nurture_table)
    assert main(["privacy", "export", "--contact-id", contact_id, "--stack", "nurture", "--region", "us-east-1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["profile"]["email"] == EMAIL


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--email", "not an address"], "--email is not a valid email address"),
        (["--phone", "12"], "--phone is not a phone number"),
        (["--customer", "shopify/7001"], "--customer must be SOURCE/STORE/ID"),
        (["--contact-id", "ada"], "--contact-id must be a contact id"),
    ],
)
def test_usage_errors_name_the_option(
    nurture_table: str, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["privacy", "erase", *arguments, *targets(nurture_table)]) == 2
    assert message in capsys.readouterr().err


def test_the_table_or_the_stack_is_required(nurture_table: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["privacy", "export", "--contact-id", "0" * 32, "--table", nurture_table]) == 2
    assert "--stack" in capsys.readouterr().err


@pytest.mark.parametrize(("suppression_parameter", "secret"), [("", SECRET), ("/nurture/old-secret", "the-old-secret")])
def test_an_erased_complainer_is_suppressed_under_the_stacks_key(
    contact_id: str, nurture_table: str, dynamodb: Any, suppression_parameter: str, secret: str
) -> None:
    # Given a complainer, and a stack keying its suppression list from the unsubscribe secret or
    # from its own suppression secret
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/nurture/old-secret", Value="the-old-secret", Type="SecureString"
    )
    ProfileRepository(nurture_table, dynamodb).apply(complained(contact_id))
    create_stack(nurture_table, suppression_parameter)
    # When the command erases it
    assert main(["privacy", "erase", "--email", EMAIL, "--yes", "--stack", "nurture", "--region", "us-east-1"]) == 0
    # Then the item it leaves is the one the stack's functions look up
    (item,) = dynamodb.scan(TableName=nurture_table)["Items"]
    assert item["pk"]["S"] == f"SUPPRESSION#{suppression_hash(EMAIL, suppression_key(secret))}"


def test_with_the_table_the_secret_parameter_is_required(
    nurture_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--contact-id", "0" * 32, "--table", nurture_table, "--state-machine-prefix", PREFIX]
    assert main(["privacy", "erase", *arguments]) == 2
    assert "--secret-parameter" in capsys.readouterr().err

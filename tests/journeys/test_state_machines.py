"""What is committed agrees with what the compiler makes: statemachines/<id>.asl.json, the state machines
template.yaml deploys, docs/journey.schema.json. Each test names the command that fixes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nurture.journeys.catalogue import Catalogue, load_catalogue
from nurture.journeys.compiler import compile_journey, render_definition
from nurture_local.journeys import CATALOGUE, SCHEMA, STATE_MACHINES, schema_text
from nurture_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
FIX = "run `nurture journeys build` and commit statemachines/"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / CATALOGUE)


@pytest.fixture(scope="module")
def state_machines() -> dict[str, dict[str, Any]]:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    }


def test_every_committed_state_machine_is_the_compilers_output(catalogue: Catalogue) -> None:
    for journey in catalogue.values():
        path = ROOT / STATE_MACHINES / f"{journey.id}.asl.json"
        assert path.is_file(), f"{path.name} is missing: {FIX}"
        assert path.read_text(encoding="utf-8") == render_definition(compile_journey(journey)), (
            f"{path.name} differs from the compiler's output: {FIX}"
        )


def test_the_committed_text_is_two_space_json_with_a_trailing_newline() -> None:
    for path in sorted((ROOT / STATE_MACHINES).glob("*.asl.json")):
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path.name


def test_template_catalogue_and_state_machines_agree(
    catalogue: Catalogue, state_machines: dict[str, dict[str, Any]]
) -> None:
    by_file = {
        properties["DefinitionUri"]: (logical_id, properties) for logical_id, properties in state_machines.items()
    }
    assert len(by_file) == len(state_machines), "two state machines deploy the same file"

    for journey in catalogue.values():
        uri = f"statemachines/{journey.id}.asl.json"
        assert uri in by_file, f"template.yaml deploys no state machine for journey {journey.id!r}"
        logical_id, properties = by_file[uri]
        assert logical_id == "".join(part.title() for part in journey.id.split("_")) + "Journey"
        assert properties["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-journey-{journey.id}"}
        assert properties["DefinitionSubstitutions"] == {
            "JourneyStepFunctionArn": {"Fn::GetAtt": ["JourneyStepFunction", "Arn"]}
        }
        assert (ROOT / uri).is_file()

    # And the other way round: every deployed machine and every committed file is a catalogue journey.
    journey_files = {f"statemachines/{journey_id}.asl.json" for journey_id in catalogue}
    assert set(by_file) == journey_files
    committed = {f"statemachines/{path.name}" for path in (ROOT / STATE_MACHINES).glob("*.asl.json")}
    assert committed == journey_files


def test_each_journey_logs_to_its_own_vended_log_group(state_machines: dict[str, dict[str, Any]]) -> None:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    groups = set()
    for properties in state_machines.values():
        (destination,) = properties["Logging"]["Destinations"]
        group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        journey_id = properties["DefinitionUri"].removeprefix("statemachines/").removesuffix(".asl.json")
        assert resources[group_id]["Properties"]["LogGroupName"] == {
            "Fn::Sub": f"/aws/vendedlogs/states/${{AWS::StackName}}-journey-{journey_id}"
        }
        groups.add(group_id)
    assert len(groups) == len(state_machines)


def test_the_committed_schema_is_current() -> None:
    assert (ROOT / SCHEMA).read_text(encoding="utf-8") == schema_text(), (
        "docs/journey.schema.json is stale: run `nurture journeys schema` and commit it"
    )

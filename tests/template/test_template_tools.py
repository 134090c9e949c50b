"""nurture_local.template on small templates: short-form tags, the local package step, offline
translation and the resolution of function environments."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from nurture_local.template import (
    TemplateError,
    code_artifacts,
    function_specs,
    load_template,
    package_template,
    translate,
)

TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Parameters:
  Sender:
    Type: String
  Level:
    Type: String
    Default: INFO
    AllowedValues: [DEBUG, INFO]
Globals:
  Function:
    Runtime: python3.13
    Timeout: 10
    Layers: [!Ref Shared]
    Environment:
      Variables:
        LEVEL: !Ref Level
        WHO: global
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handle
      Timeout: 30
      Environment:
        Variables:
          WHO: worker
          QUEUE: !Ref Queue
          QUEUE_ARN: !GetAtt Queue.Arn
          DOMAIN: !Select [1, !Split ["@", !Ref Sender]]
          URL: !Sub "https://${AWS::Region}.example/${Queue.QueueName}/${!literal}"
          JOINED: !Join ["-", [a, !Ref Level]]
  Queue:
    Type: AWS::SQS::Queue
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: flow.asl.json
      DefinitionSubstitutions:
        WorkerArn: !GetAtt Worker.Arn
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref Worker
"""

DEFINITION = {
    "StartAt": "Work",
    "States": {"Work": {"Type": "Task", "Resource": "${WorkerArn}", "End": True}},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handle(event, context):\n    return event\n")
    (tmp_path / "layer").mkdir()
    (tmp_path / "flow.asl.json").write_text(json.dumps(DEFINITION))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def test_short_form_tags_become_long_form(project: Path) -> None:
    template = load_template(project / "template.yaml")

    assert template["AWSTemplateFormatVersion"] == "2010-09-09"  # a string, not a date
    variables = template["Resources"]["Worker"]["Properties"]["Environment"]["Variables"]
    assert variables["QUEUE"] == {"Ref": "Queue"}
    assert variables["QUEUE_ARN"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert variables["DOMAIN"] == {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "Sender"}]}]}
    assert variables["URL"] == {"Fn::Sub": "https://${AWS::Region}.example/${Queue.QueueName}/${!literal}"}


def test_a_bad_get_att_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("Resources:\n  X:\n    Type: T\n    Properties: {A: !GetAtt Queue}\n")

    with pytest.raises(TemplateError, match=r"Resource\.Attribute"):
        load_template(tmp_path / "bad.yaml")


def test_package_points_code_at_s3_and_inlines_definitions(project: Path) -> None:
    template = load_template(project / "template.yaml")

    packaged = package_template(template, project, bucket="artifacts")

    resources = packaged["Resources"]
    assert resources["Worker"]["Properties"]["CodeUri"] == "s3://artifacts/fn.zip"
    assert resources["Shared"]["Properties"]["ContentUri"] == "s3://artifacts/layer.zip"
    flow = resources["Flow"]["Properties"]
    assert flow["Definition"] == DEFINITION
    assert "DefinitionUri" not in flow
    assert flow["DefinitionSubstitutions"] == {"WorkerArn": {"Fn::GetAtt": ["Worker", "Arn"]}}
    assert code_artifacts(packaged) == [("artifacts", "fn.zip"), ("artifacts", "layer.zip")]
    # the input is left as it was
    assert template["Resources"]["Worker"]["Properties"]["CodeUri"] == "fn/"


def test_package_refuses_a_missing_path(project: Path) -> None:
    (project / "flow.asl.json").unlink()

    with pytest.raises(TemplateError, match=r"Flow\.Properties\.DefinitionUri: 'flow\.asl\.json' does not exist"):
        package_template(load_template(project / "template.yaml"), project)


def test_translation_runs_offline_in_the_given_region(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no region in the environment and no network
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise OSError("the translation tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    packaged = package_template(load_template(project / "template.yaml"), project)

    # When translated for a region of another partition
    translated = translate(packaged, "cn-north-1")

    # Then the SAM resources became CloudFormation ones, with that partition's managed policy ARN
    kinds = {body["Type"] for body in translated["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion", "AWS::StepFunctions::StateMachine"} <= kinds
    role = translated["Resources"]["WorkerRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    # and the environment was left as it was
    assert "AWS_DEFAULT_REGION" not in os.environ


def test_translation_refuses_an_unpackaged_template(project: Path) -> None:
    with pytest.raises(TemplateError, match="package the template first"):
        translate(load_template(project / "template.yaml"), "us-east-1")


def test_translation_refuses_a_managed_policy_it_cannot_resolve_offline(project: Path) -> None:
    packaged = package_template(load_template(project / "template.yaml"), project)
    packaged["Resources"]["Worker"]["Properties"]["Policies"] = ["NoSuchManagedPolicyAnywhere"]

    with pytest.raises(TemplateError, match="write its ARN"):
        translate(packaged, "us-east-1")


def test_translation_errors_name_the_resource(project: Path) -> None:
    packaged = package_template(load_template(project / "template.yaml"), project)
    packaged["Resources"]["Worker"]["Properties"]["Events"] = {"Bad": {"Type": "SQS", "Properties": {}}}

    with pytest.raises(TemplateError, match="Worker"):
        translate(packaged, "us-east-1")


def test_function_specs_resolve_the_environment(project: Path) -> None:
    template = load_template(project / "template.yaml")
    resources = {"Queue": "https://sqs/q", "Queue.Arn": "arn:aws:sqs:eu-west-1:1:q", "Queue.QueueName": "q"}

    specs = function_specs(
        template, project, {"Sender": "me@shop.example", "AWS::Region": "eu-west-1"}, resources=resources
    )

    spec = specs["Worker"]
    assert spec.code_dir == (project / "fn").resolve()
    assert spec.module_path == (project / "fn" / "app.py").resolve()
    assert (spec.module, spec.function, spec.runtime, spec.timeout) == ("app", "handle", "python3.13", 30)
    assert spec.layer_dirs == ((project / "layer").resolve(),)
    assert spec.environment == {
        "LEVEL": "INFO",
        "WHO": "worker",
        "QUEUE": "https://sqs/q",
        "QUEUE_ARN": "arn:aws:sqs:eu-west-1:1:q",
        "DOMAIN": "shop.example",
        "URL": "https://eu-west-1.example/q/${literal}",
        "JOINED": "a-INFO",
    }


def test_function_specs_of_the_translated_template_find_the_local_code(project: Path) -> None:
    packaged = package_template(load_template(project / "template.yaml"), project)
    translated = translate(packaged, "us-east-1")
    resources = {"Queue": "https://sqs/q", "Queue.Arn": "arn:aws:sqs:eu-west-1:1:q", "Queue.QueueName": "q"}
    parameters = {"Sender": "me@shop.example", "AWS::Region": "eu-west-1"}

    from_translation = function_specs(translated, project, parameters, resources)

    assert from_translation == function_specs(load_template(project / "template.yaml"), project, parameters, resources)


def test_package_refuses_code_at_the_project_root(project: Path) -> None:
    template = load_template(project / "template.yaml")
    template["Resources"]["Worker"]["Properties"]["CodeUri"] = "."

    with pytest.raises(TemplateError, match="project root"):
        package_template(template, project)


@pytest.mark.parametrize(
    ("parameters", "resources", "error"),
    [
        ({}, {}, "parameter Sender has no Default"),
        ({"Sender": "a@b.c", "Level": "LOUD"}, {}, "parameter Level: 'LOUD' is not one of"),
        ({"Sender": "a@b.c", "Nope": "x"}, {}, "unknown parameters: Nope"),
        ({"Sender": "a@b.c", "AWS::Region": "eu-west-1"}, {}, "QUEUE: no value for Ref Queue"),
        ({"Sender": "a@b.c"}, {"Queue": "q", "Queue.Arn": "a", "Queue.QueueName": "q"}, "pseudo parameter AWS::Region"),
    ],
)
def test_function_specs_say_what_is_missing(
    project: Path, parameters: dict[str, Any], resources: dict[str, str], error: str
) -> None:
    with pytest.raises(TemplateError, match=re.escape(error)):
        function_specs(load_template(project / "template.yaml"), project, parameters, resources)

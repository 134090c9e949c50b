"""The roles in template.yaml allow what the functions really call, and no more table actions: the
demo scenario replayed on the local runtime, every AWS call the handlers make recorded with the
function making it, checked against that function's role (actions, and the partition keys its
dynamodb:LeadingKeys condition allows)."""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from nurture_local.runtime.runner import run_scenario
from nurture_local.runtime.scenario import ScenarioLine, load_scenario
from nurture_local.template import load_template, package_template, translate

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
# A variable only that function's environment has: the local runtime sets it around each call.
# Innermost first: a journey started by ProcessFunction runs SendEmailFunction inside its call.
FUNCTION_BY_VARIABLE = {
    "SENDER_ADDRESS": "SendEmailFunction",
    "WELCOME_STATE_MACHINE_ARN": "ProcessFunction",
    "WEBHOOK_SECRETS_PARAMETER": "IngestFunction",
}
# IAM prefixes and actions where they differ from the API's service and operation names.
PREFIX = {"sesv2": "ses"}
ACTION = {"sqs:SendMessageBatch": "sqs:SendMessage", "ses:SendEmail": "ses:SendEmail"}
TRANSACT_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}

Call = tuple[str, frozenset[str]]  # an IAM action, and the partition keys it touched (DynamoDB)


def current_function() -> str | None:
    return next((name for variable, name in FUNCTION_BY_VARIABLE.items() if variable in os.environ), None)


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
    return [(action, keys)]


def sample_of_the_demo() -> list[ScenarioLine]:
    """The demo's first sign-up from each source, and its first redelivered webhook (both copies)."""
    lines = load_scenario(DEMO)
    chosen = {line.source: line for line in reversed(lines)}  # the first of each source
    bodies: dict[bytes, ScenarioLine] = {}
    for line in lines:
        if line.body in bodies:
            chosen["redelivered"], chosen["delivered"] = line, bodies[line.body]
            break
        bodies[line.body] = line
    assert {"shopify", "woocommerce", "generic", "redelivered"} <= set(chosen)
    return sorted(chosen.values(), key=lambda line: line.at)


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
        run_scenario(sample_of_the_demo(), root=ROOT, days=1, outbox=tmp_path_factory.mktemp("outbox"))
    return dict(recorded)


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
    leading = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
    return leading is None or all(any(fnmatch.fnmatchcase(key, pattern) for pattern in leading) for key in keys)


@pytest.mark.parametrize("function", sorted(set(FUNCTION_BY_VARIABLE.values())))
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

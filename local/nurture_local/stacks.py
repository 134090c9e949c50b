"""What the operator commands (`nurture privacy`, `nurture codes`) read from a deployed stack: its
outputs (``TableName``, ``JourneyStateMachinePrefix``) and parameters, with boto3's default
credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class StackError(Exception):
    """The stack lacks what a command needs: the message says what (a usage error)."""


@dataclass(frozen=True)
class DeployedStack:
    name: str
    outputs: Mapping[str, str]
    parameters: Mapping[str, str]

    def output(self, *names: str) -> tuple[str, ...]:
        """The outputs named, or `StackError` naming the missing ones."""
        missing = [name for name in names if name not in self.outputs]
        if missing:
            raise StackError(f"stack {self.name} has no output {', '.join(missing)} (deploy this version first)")
        return tuple(self.outputs[name] for name in names)


def describe_stack(session: Any, name: str) -> DeployedStack:
    (stack,) = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    return DeployedStack(
        name=name,
        outputs={output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])},
        parameters={item["ParameterKey"]: item.get("ParameterValue", "") for item in stack.get("Parameters", [])},
    )


def aws_session(region: str | None) -> Any:
    import boto3

    return boto3.Session(region_name=region) if region else boto3.Session()

"""Task `Resource` ARNs: which integration a Task calls and with which pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass

LAMBDA_FUNCTION = "lambda-function"  # arn:aws:lambda:...:function:NAME
LAMBDA_INVOKE = "lambda-invoke"  # arn:aws:states:::lambda:invoke
SDK = "sdk"  # optimized integrations and aws-sdk:*, performed through boto3 clients
START_EXECUTION = "start-execution"  # arn:aws:states:::states:startExecution, run by this executor
MOCKED = "mocked"  # any other resource: accepted only for a state the mock configuration answers

REQUEST_RESPONSE = ""
WAIT_FOR_TASK_TOKEN = "waitForTaskToken"
SYNC = "sync"
SYNC2 = "sync:2"

_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?$"
)
_PATTERN_SUFFIX = re.compile(r"\.(waitForTaskToken|sync(?::2)?)$")
_STATES_ARN = re.compile(
    r"^arn:aws[a-z-]*:states:::(?P<integration>[A-Za-z0-9:-]+?)(?:\.(?P<pattern>waitForTaskToken|sync(?::2)?))?$"
)

# Optimized integrations we perform, by "service:action", with the boto3 client name.
_OPTIMIZED = {
    "dynamodb:getItem": "dynamodb",
    "dynamodb:putItem": "dynamodb",
    "dynamodb:updateItem": "dynamodb",
    "dynamodb:deleteItem": "dynamodb",
    "sns:publish": "sns",
    "sqs:sendMessage": "sqs",
}
# Error-name prefixes AWS uses for the optimized integrations.
_OPTIMIZED_ERROR_PREFIX = {"dynamodb": "DynamoDB", "sns": "SNS", "sqs": "SQS"}
# aws-sdk service names whose boto3 client is named differently.
_SDK_CLIENT_NAMES = {"sfn": "stepfunctions", "states": "stepfunctions"}
# AWS SDK integrations report errors as "<ServiceName in PascalCase>.<Error>Exception".
_SDK_ERROR_PREFIX = {
    "dynamodb": "DynamoDb",
    "sesv2": "SesV2",
    "sfn": "Sfn",
    "sqs": "Sqs",
    "sns": "Sns",
    "acmpca": "AcmPca",
}


@dataclass(frozen=True, slots=True)
class Resource:
    arn: str
    kind: str
    pattern: str = REQUEST_RESPONSE
    function_name: str | None = None  # Lambda
    client_name: str | None = None  # boto3 client for SDK integrations
    action: str | None = None  # API action, e.g. "putItem" / "SendEmail"
    error_prefix: str | None = None  # e.g. "DynamoDB" -> "DynamoDB.ConditionalCheckFailedException"
    unsupported: str | None = None  # MOCKED: why this executor cannot run the resource itself


def parse_resource(arn: str) -> Resource:
    """Classify a Task Resource; raises ValueError naming what is not supported."""
    match = _LAMBDA_ARN.match(arn)
    if match:
        return Resource(arn=arn, kind=LAMBDA_FUNCTION, function_name=match.group(3))
    if ":activity:" in arn:
        raise ValueError("activity tasks are not supported by the local executor")
    match = _STATES_ARN.match(arn)
    if not match:
        raise ValueError(f"'{arn}' is not a Lambda function ARN or an arn:aws:states::: integration")
    integration, pattern = match.group("integration"), match.group("pattern") or REQUEST_RESPONSE
    if integration == "lambda:invoke":
        if pattern not in (REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN):
            raise ValueError(f"lambda:invoke does not support .{pattern}")
        return Resource(arn=arn, kind=LAMBDA_INVOKE, pattern=pattern)
    if integration == "states:startExecution":
        return Resource(arn=arn, kind=START_EXECUTION, pattern=pattern)
    if integration in _OPTIMIZED:
        service, action = integration.split(":")
        if pattern in (SYNC, SYNC2):
            raise ValueError(f"{integration} does not support .{pattern}")
        if pattern == WAIT_FOR_TASK_TOKEN and service not in ("sns", "sqs"):
            raise ValueError(f"{integration} does not support .waitForTaskToken")
        return Resource(
            arn=arn,
            kind=SDK,
            pattern=pattern,
            client_name=_OPTIMIZED[integration],
            action=action,
            error_prefix=_OPTIMIZED_ERROR_PREFIX[service],
        )
    if integration.startswith("aws-sdk:"):
        parts = integration.split(":")
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise ValueError(f"'{arn}' must look like arn:aws:states:::aws-sdk:SERVICE:ACTION")
        if pattern not in (REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN):
            raise ValueError("AWS SDK integrations do not support .sync")
        service, action = parts[1], parts[2]
        return Resource(
            arn=arn,
            kind=SDK,
            pattern=pattern,
            client_name=_SDK_CLIENT_NAMES.get(service, service),
            action=action,
            error_prefix=_SDK_ERROR_PREFIX.get(service, service[:1].upper() + service[1:]),
        )
    raise ValueError(f"the integration '{integration}' is not supported by the local executor")


def mocked_resource(arn: str, unsupported: str) -> Resource:
    """A resource only mocked responses answer, as Step Functions Local allows for any mocked state.

    Its integration pattern still counts: a mocked ``.waitForTaskToken`` task has a ``$$.Task.Token``.
    """
    if not arn.startswith("arn:"):
        raise ValueError(f"'{arn}' is not an ARN")
    match = _PATTERN_SUFFIX.search(arn)
    return Resource(
        arn=arn, kind=MOCKED, pattern=match.group(1) if match else REQUEST_RESPONSE, unsupported=unsupported
    )


def boto3_method_name(action: str) -> str:
    """putItem / SendEmail -> put_item / send_email."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", action)
    return snake.lower()

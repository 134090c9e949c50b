"""template.yaml: cfn-lint finds nothing, the translation deploys on moto, IAM names its resources, every
state machine placeholder is substituted, and the functions get the settings docs/architecture.md lists."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from nurture_local.template import (
    SERVERLESS_STATE_MACHINE,
    code_artifacts,
    function_specs,
    lint_templates,
    load_template,
    package_template,
    translate,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
PARAMETERS = {"SenderAddress": "hello@shop.example", "UnsubscribeBaseUrl": "https://shop.example/unsubscribe"}

# docs/architecture.md, "Functions and their settings".
CONTRACT_ENVIRONMENT = {
    "IngestFunction": {"EVENTS_QUEUE_URL", "TABLE_NAME", "WEBHOOK_SECRETS_PARAMETER"},
    "ConsentFunction": {"EVENTS_QUEUE_URL", "UNSUBSCRIBE_SECRET_PARAMETER", "TABLE_NAME"},
    "ProcessFunction": {
        "TABLE_NAME",
        "JOURNEY_STATE_MACHINE_PREFIX",
        "EVENT_RETENTION_DAYS",
        "EVENTS_QUEUE_URL",
        "SCORE_ALERTS_TOPIC_ARN",
        "DISABLED_JOURNEYS",
    },
    "JourneyStepFunction": {
        "TABLE_NAME",
        "SENDER_ADDRESS",
        "CONFIGURATION_SET",
        "UNSUBSCRIBE_BASE_URL",
        "UNSUBSCRIBE_SECRET_PARAMETER",
        "SUPPRESSION_SECRET_PARAMETER",
        "SMS_ORIGINATION_NUMBER",
        "SMS_SENDER_ID",
        "SMS_MAX_PRICE_USD",
        "EVENTS_QUEUE_URL",  # an update step's consent change (the sunset journey)
    },
    "EngagementFunction": {
        "TABLE_NAME",
        "EVENTS_QUEUE_URL",
        "UNSUBSCRIBE_SECRET_PARAMETER",
        "SUPPRESSION_SECRET_PARAMETER",
    },
    # It re-sends through the sender's own path, with the sender's settings.
    "ReconcileSendsFunction": {
        "TABLE_NAME",
        "SENDER_ADDRESS",
        "CONFIGURATION_SET",
        "UNSUBSCRIBE_BASE_URL",
        "UNSUBSCRIBE_SECRET_PARAMETER",
        "SUPPRESSION_SECRET_PARAMETER",
        "SMS_ORIGINATION_NUMBER",
        "SMS_SENDER_ID",
        "SMS_MAX_PRICE_USD",
    },
    "LapsedScanFunction": {"TABLE_NAME", "EVENTS_QUEUE_URL"},
    "BirthdayScanFunction": {"TABLE_NAME", "EVENTS_QUEUE_URL"},
    "RefreshFunction": {"TABLE_NAME", "EVENTS_QUEUE_URL"},
    "PrivacyFunction": {
        "TABLE_NAME",
        "JOURNEY_STATE_MACHINE_PREFIX",
        "UNSUBSCRIBE_SECRET_PARAMETER",
        "SUPPRESSION_SECRET_PARAMETER",
    },
    "SmsEventsFunction": {
        "TABLE_NAME",
        "EVENTS_QUEUE_URL",
        "UNSUBSCRIBE_SECRET_PARAMETER",
        "SUPPRESSION_SECRET_PARAMETER",
    },
}
EVERY_FUNCTION_ENVIRONMENT = {"POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"}

# The known exceptions to "name the resource" (docs/architecture.md, "IAM: what each role may do"):
# - the CloudWatch Logs log-delivery actions Step Functions needs to log executions: they take no
#   resource ARN, and AWS documents "Resource": "*" for them; only the state machine roles get them;
STEP_FUNCTIONS_LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
# - the one managed policy SAM attaches to every function role it generates (CloudWatch Logs:
#   CreateLogGroup, CreateLogStream, PutLogEvents on "*").
ALLOWED_MANAGED_POLICIES = {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
# What each function does to NurtureTable, and the partition keys it may touch (dynamodb:LeadingKeys):
# one statement per entry.
TABLE_ACCESS = {
    "IngestFunction": [({"dynamodb:GetItem", "dynamodb:PutItem"}, ["WEBHOOK#*"])],
    # Internet-facing: the preferences page reads the contact's profile, nothing else (docs/consent.md).
    "ConsentFunction": [({"dynamodb:GetItem"}, ["CONTACT#*"])],
    "ProcessFunction": [
        (
            {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
            ["CONTACT#*", "IDENTITY#*"],
        ),
        # Segment members, put and deleted in the profile's transaction (docs/scoring.md, "Wiring").
        ({"dynamodb:PutItem", "dynamodb:DeleteItem"}, ["SEGMENT#*"]),
        ({"dynamodb:GetItem"}, ["SETTINGS"]),  # the VIP threshold
        # The recommendations data, ADDed and SET without a read (docs/offers.md).
        ({"dynamodb:UpdateItem"}, ["PRODUCT#*", "CATEGORY#*"]),
    ],
    # The contact's items (profile, enrolment, claims, decisions), the suppression list (read), the
    # decision counters (docs/delivery.md).
    "JourneyStepFunction": [
        ({"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:PutItem"}, ["CONTACT#*"]),
        ({"dynamodb:GetItem"}, ["SUPPRESSION#*"]),
        ({"dynamodb:PutItem"}, ["SMSMESSAGE#*"]),  # an SMS's message pointer (docs/sms.md)
        ({"dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:PutItem"}, ["CODEPOOL#*"]),  # an offer's code
        ({"dynamodb:Query", "dynamodb:BatchGetItem"}, ["PRODUCT#*", "CATEGORY#*"]),  # recommendations
        ({"dynamodb:UpdateItem"}, ["STATS#*"]),
    ],
    # The claims it settles, and the suppression list it writes from bounces and complaints.
    "EngagementFunction": [
        ({"dynamodb:GetItem", "dynamodb:UpdateItem"}, ["CONTACT#*"]),
        ({"dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:Query"}, ["SUPPRESSION#*"]),
    ],
    # The claims it re-sends, and the suppression list it checks first.
    "ReconcileSendsFunction": [
        ({"dynamodb:GetItem", "dynamodb:UpdateItem"}, ["CONTACT#*"]),
        ({"dynamodb:GetItem"}, ["SUPPRESSION#*"]),
    ],
    # An SMS's pointer and a number's identity (read), the claims it settles, the suppression list.
    "SmsEventsFunction": [
        ({"dynamodb:GetItem"}, ["SMSMESSAGE#*", "IDENTITY#phone#*"]),
        ({"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}, ["CONTACT#*"]),
        ({"dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:Query"}, ["SUPPRESSION#*"]),
    ],
    # Its cursor, and the profiles the index lists.
    "LapsedScanFunction": [
        ({"dynamodb:GetItem", "dynamodb:UpdateItem"}, ["SCAN#*"]),
        ({"dynamodb:BatchGetItem"}, ["CONTACT#*"]),
    ],
    # Its cursor only: the index's projection holds the zone, no profile is read.
    "BirthdayScanFunction": [({"dynamodb:GetItem", "dynamodb:UpdateItem"}, ["SCAN#birthday"])],
    # The VIP threshold's settings item; no profile is read (the indexes hold what it needs).
    "RefreshFunction": [({"dynamodb:GetItem", "dynamodb:PutItem"}, ["SETTINGS"])],
    # Erasure and export (docs/privacy.md): the contact's partition and identities, its erasure
    # marker, the suppression items of its addresses, its segment member items, the claimed items of
    # its discount codes.
    "PrivacyFunction": [
        (
            {
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            },
            ["CONTACT#*", "IDENTITY#*", "ERASURE#*", "SUPPRESSION#*", "SEGMENT#*"],
        ),
        ({"dynamodb:UpdateItem"}, ["CODEPOOL#*"]),  # the claimed items of its discount codes
    ],
}
# Who may query which index of NurtureTable (nobody scans; nobody else queries).
INDEX_ACCESS = {
    "ReconcileSendsFunction": ({"dynamodb:Query"}, ("unsettled",)),
    "LapsedScanFunction": ({"dynamodb:Query"}, ("lapsed",)),
    "BirthdayScanFunction": ({"dynamodb:Query"}, ("birthday",)),
    "RefreshFunction": ({"dynamodb:Query"}, ("due", "customer_value")),
}
# The sharded indexes of docs/scoring.md ("Wiring"): hash key shard, range key, all KEYS_ONLY.
SHARDED_INDEXES = {
    "acquisition_score": "acquisition_score",
    "loyalty_score": "loyalty_score",
    "customer_value": "clv",
    "due": "due_at",
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def packaged(sam: dict[str, Any]) -> dict[str, Any]:
    return package_template(sam, ROOT)


@pytest.fixture(scope="module")
def translated(packaged: dict[str, Any]) -> dict[str, Any]:
    return translate(packaged, REGION)


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_finds_nothing_in_the_template_or_in_its_translation() -> None:
    # Given template.yaml / When cfn-lint checks it and the SAM translator's output
    findings = lint_templates(TEMPLATE, REGION)

    # Then there is no error and no warning
    assert [str(finding) for finding in findings] == []


@pytest.fixture
def stack(aws: None, packaged: dict[str, Any], translated: dict[str, Any]) -> dict[str, str]:
    """The translated template deployed on moto CloudFormation; logical id -> physical id."""
    s3 = boto3.client("s3", region_name=REGION)
    stub = io.BytesIO()
    with zipfile.ZipFile(stub, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    for bucket, key in code_artifacts(packaged):
        if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=stub.getvalue())
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="nurture",
        TemplateBody=json.dumps(translated),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    status = cloudformation.describe_stacks(StackName="nurture")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    return {
        resource["LogicalResourceId"]: resource.get("PhysicalResourceId", "")
        for resource in cloudformation.describe_stack_resources(StackName="nurture")["StackResources"]
        if "LogicalResourceId" in resource
    }


# moto's CloudFormation skips the HTTP API and the SES configuration set (it does not emulate them);
# the test checks what it does deploy.
@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")
def test_the_translated_template_deploys_on_moto(stack: dict[str, str]) -> None:
    # Given the translated template deployed on moto (which skips ApiGatewayV2 and SES resources)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    lambda_ = boto3.client("lambda", region_name=REGION)
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)

    # Then the table has the contract's keys (moto ignores TimeToLiveSpecification: see the next test)
    table = dynamodb.describe_table(TableName=stack["NurtureTable"])["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    # And the events queue sends to the dead-letter queue after 5 receives
    attributes = sqs.get_queue_attributes(QueueUrl=stack["EventsQueue"], AttributeNames=["All"])["Attributes"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=stack["EventsDeadLetterQueue"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 5}

    # And the sparse indexes (unsettled send claims, profiles by last order day) are there, keys only
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"unsettled", "lapsed", "birthday", *SHARDED_INDEXES}
    for name, keys in {
        "unsettled": [("unsettled_shard", "HASH"), ("unsettled_since", "RANGE")],
        "lapsed": [("last_order_day", "HASH"), ("pk", "RANGE")],
        **{index: [("shard", "HASH"), (range_key, "RANGE")] for index, range_key in SHARDED_INDEXES.items()},
    }.items():
        assert [(k["AttributeName"], k["KeyType"]) for k in indexes[name]["KeySchema"]] == keys
        assert indexes[name]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    # the birthday index projects what the scan needs to find the contact's zone, nothing more
    assert [(k["AttributeName"], k["KeyType"]) for k in indexes["birthday"]["KeySchema"]] == [
        ("birthday_md", "HASH"),
        ("pk", "RANGE"),
    ]
    assert indexes["birthday"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["contact_id", "time_zone", "location"],
    }

    # And the SES events topic and the reconciler's schedule exist (moto skips the configuration
    # set's event destination, the topic policy and the topic's subscription: the next test checks
    # them on the translated template)
    assert stack["EmailEventsTopic"].startswith("arn:aws:sns:")
    rules = boto3.client("events", region_name=REGION).list_rules()["Rules"]
    assert sorted(rule["ScheduleExpression"] for rule in rules) == [
        "cron(0 12 * * ? *)",
        "rate(1 day)",
        "rate(1 hour)",
        "rate(15 minutes)",
    ]

    # And the functions exist, ProcessFunction reading the queue with partial batch failures
    for name in CONTRACT_ENVIRONMENT:
        configuration = lambda_.get_function_configuration(FunctionName=stack[name])
        assert configuration["Runtime"] == "python3.13"
        assert configuration["Handler"] == "app.lambda_handler"
    (mapping,) = lambda_.list_event_source_mappings(FunctionName=stack["ProcessFunction"])["EventSourceMappings"]
    assert mapping["EventSourceArn"] == attributes["QueueArn"]
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    # And the welcome journey is a state machine, with its log group (moto's CloudFormation ignores a
    # state machine's LoggingConfiguration: test_state_machines_log_errors_without_execution_data
    # checks it on the translated template)
    assert stepfunctions.describe_state_machine(stateMachineArn=stack["WelcomeJourney"])["status"] == "ACTIVE"
    group_name = stack["WelcomeJourneyLogGroup"]
    assert group_name.startswith("/aws/vendedlogs/states/")
    (group,) = boto3.client("logs", region_name=REGION).describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert group["retentionInDays"] == 30


def test_ses_events_reach_the_engagement_function_and_the_reconciler_runs_every_15_minutes(
    translated: dict[str, Any],
) -> None:
    resources = translated["Resources"]
    # Given the configuration set's event destination
    (destination,) = resources_of_type(translated, "AWS::SES::ConfigurationSetEventDestination").values()
    properties = destination["Properties"]
    assert properties["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
    event_destination = properties["EventDestination"]
    # Then it publishes every event that settles a claim or records engagement, to the topic
    assert event_destination["Enabled"] is True
    assert {"send", "reject", "delivery", "bounce", "complaint", "deliveryDelay", "open", "click"} <= set(
        event_destination["MatchingEventTypes"]
    )
    assert event_destination["SnsDestination"] == {"TopicARN": {"Ref": "EmailEventsTopic"}}
    # And only SES, for this account's configuration set, may publish to the topic
    policy = resources_of_type(translated, "AWS::SNS::TopicPolicy")["EmailEventsTopicPolicy"]
    assert policy["Properties"]["Topics"] == [{"Ref": "EmailEventsTopic"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert set(statement["Condition"]["StringEquals"]) == {"AWS:SourceAccount", "AWS:SourceArn"}
    # And EngagementFunction is the topic's subscriber, its failures kept in a dead-letter queue
    (subscription,) = [
        subscription
        for subscription in resources_of_type(translated, "AWS::SNS::Subscription").values()
        if subscription["Properties"]["TopicArn"] == {"Ref": "EmailEventsTopic"}
    ]
    assert subscription["Properties"]["Endpoint"] == {"Fn::GetAtt": ["EngagementFunction", "Arn"]}
    engagement = resources["EngagementFunction"]["Properties"]
    assert engagement["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["EngagementDeadLetterQueue", "Arn"]}}
    # And the reconciler runs on an EventBridge schedule (the lapsed scan daily, the refresh hourly)
    rules = {
        rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]: rule["Properties"]["ScheduleExpression"]
        for rule in resources_of_type(translated, "AWS::Events::Rule").values()
    }
    assert rules == {
        "ReconcileSendsFunction": "rate(15 minutes)",
        "LapsedScanFunction": "rate(1 day)",
        "BirthdayScanFunction": "cron(0 12 * * ? *)",
        "RefreshFunction": "rate(1 hour)",
    }


def test_sms_replies_and_delivery_status_reach_the_sms_events_function(translated: dict[str, Any]) -> None:
    resources = translated["Resources"]
    # Given the inbound topic: only End User Messaging, for this account, may publish to it
    policy = resources["SmsInboundTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "SmsInboundTopic"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert (statement["Principal"], statement["Action"]) == ({"Service": "sms-voice.amazonaws.com"}, "sns:Publish")
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # Then SmsEventsFunction subscribes to it, its failures kept in its own dead-letter queue
    (subscription,) = [
        s
        for s in resources_of_type(translated, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "SmsInboundTopic"}
    ]
    assert subscription["Properties"]["Endpoint"] == {"Fn::GetAtt": ["SmsEventsFunction", "Arn"]}
    function = resources["SmsEventsFunction"]["Properties"]
    assert function["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["SmsEventsDeadLetterQueue", "Arn"]}}
    # And it reads both of SNS's SMS status log groups, created by the stack unless they exist
    direct = "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber"
    filters = resources_of_type(translated, "AWS::Logs::SubscriptionFilter").values()
    assert sorted(str(f["Properties"]["LogGroupName"]) for f in filters) == sorted(
        str({"Fn::If": ["CreateSmsStatusLogGroups", {"Ref": group}, {"Fn::Sub": name}]})
        for group, name in (("SmsDeliveryStatusLogGroup", direct), ("SmsDeliveryFailureLogGroup", f"{direct}/Failure"))
    )
    assert all(f["Properties"]["DestinationArn"] == {"Fn::GetAtt": ["SmsEventsFunction", "Arn"]} for f in filters)
    for group, name in (("SmsDeliveryStatusLogGroup", direct), ("SmsDeliveryFailureLogGroup", f"{direct}/Failure")):
        assert resources[group]["Condition"] == "CreateSmsStatusLogGroups"
        assert resources[group]["Properties"] == {"LogGroupName": {"Fn::Sub": name}, "RetentionInDays": 30}
    assert translated["Parameters"]["SmsStatusLogGroupsExist"]["Default"] == "false"
    # And SNS may assume the status role, for this account, to write those two groups only
    role = resources["SmsDeliveryStatusRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (writes,) = statements(resources["SmsDeliveryStatusRole"])
    assert set(writes["Action"]) == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert [r["Fn::Sub"].rsplit("log-group:", 1)[1] for r in writes["Resource"]] == [
        f"{direct}:*",
        f"{direct}/Failure:*",
    ]
    assert translated["Outputs"]["SmsDeliveryStatusRoleArn"]["Value"] == {
        "Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]
    }


def test_the_table_expires_events_and_can_be_restored(translated: dict[str, Any]) -> None:
    # Given the table as CloudFormation receives it
    table = translated["Resources"]["NurtureTable"]

    # Then the TTL attribute is the contract's, with point-in-time recovery and encryption at rest
    properties = table["Properties"]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # And deleting the stack keeps the customers' data
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_iam_policies_name_their_resources(translated: dict[str, Any]) -> None:
    # Given every IAM role the translation creates
    roles = resources_of_type(translated, "AWS::IAM::Role")
    machines = {f"{name}Role" for name in resources_of_type(translated, "AWS::StepFunctions::StateMachine")}
    assert set(roles) >= {f"{name}Role" for name in CONTRACT_ENVIRONMENT} | {"WelcomeJourneyRole"}

    for role_name, role in roles.items():
        properties = role["Properties"]
        # Then no role carries a managed policy beyond the logging one SAM adds to function roles
        assert set(properties.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, role_name
        for statement in statements(role):
            resources = as_list(statement["Resource"])
            actions = set(as_list(statement["Action"]))
            assert "*" not in actions and not any(action.endswith(":*") for action in actions), role_name
            # And "*" is the resource only for Step Functions' log delivery, in a state machine's role,
            # for resuming a task by its token (IAM has no resource type for SendTaskSuccess), and for
            # publishing an SMS to a phone number (no resource ARN either), by the journey step alone
            if "*" in resources or any(isinstance(r, str) and r.endswith(":*") for r in resources):
                if role_name in ("ProcessFunctionRole", "EngagementFunctionRole"):
                    assert actions == {"states:SendTaskSuccess"}, (role_name, sorted(actions))
                    continue
                if role_name == "JourneyStepFunctionRole":
                    assert actions == {"sns:Publish"}, (role_name, sorted(actions))
                    continue
                assert role_name in machines, (role_name, sorted(actions))
                assert actions <= STEP_FUNCTIONS_LOG_DELIVERY_ACTIONS, (role_name, sorted(actions))
            # And nothing reads SSM parameters it was not given (SAM's template adds DescribeParameters on "*")
            assert "ssm:DescribeParameters" not in actions, role_name
    # And only the journey step sends SMS: the reconciler never re-sends one (docs/sms.md); the
    # process function publishes to the score alerts topic alone
    publishers = {
        name: [st["Resource"] for st in statements(role) if "sns:Publish" in as_list(st["Action"])]
        for name, role in roles.items()
    }
    assert {name: resources for name, resources in publishers.items() if resources} == {
        "JourneyStepFunctionRole": ["*"],
        "ProcessFunctionRole": [{"Ref": "ScoreAlertsTopic"}],
    }


def test_each_function_gets_only_the_table_actions_it_uses_on_its_own_keys(translated: dict[str, Any]) -> None:
    roles = resources_of_type(translated, "AWS::IAM::Role")
    for function, expected in TABLE_ACCESS.items():
        # Given the function's role / When its DynamoDB statements are collected
        table_statements = [
            statement
            for statement in statements(roles[f"{function}Role"])
            if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
        ]
        index_statements = [
            s for s in table_statements if any(isinstance(r, dict) and "Fn::Sub" in r for r in as_list(s["Resource"]))
        ]
        # Then an index is queried only by the function that reads it, on those indexes alone
        if function in INDEX_ACCESS:
            actions, indexes = INDEX_ACCESS[function]
            (index_statement,) = index_statements
            assert set(as_list(index_statement["Action"])) == actions, function
            assert as_list(index_statement["Resource"]) == [
                {"Fn::Sub": f"${{NurtureTable.Arn}}/index/{index}"} for index in indexes
            ], function
        else:
            assert index_statements == [], function
        # And the statements on the table itself have exactly the actions the code uses
        on_table = [s for s in table_statements if s not in index_statements]
        assert len(on_table) == len(expected), function
        for statement, (expected_actions, leading_keys) in zip(on_table, expected, strict=True):
            assert statement["Effect"] == "Allow"
            assert set(as_list(statement["Action"])) == expected_actions, function
            assert statement["Resource"] == {"Fn::GetAtt": ["NurtureTable", "Arn"]}, function
            # And only on the partition keys it owns
            condition = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": leading_keys}}
            assert statement["Condition"] == condition, function


def parameter_arn(parameter: str) -> dict[str, str]:
    return {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + parameter + "}"}


def test_ssm_reads_name_the_parameter(translated: dict[str, Any]) -> None:
    roles = resources_of_type(translated, "AWS::IAM::Role")
    unsubscribe, suppression = "UnsubscribeSecretParameterName", "SuppressionSecretParameterName"
    # The senders read the unsubscribe secret, and the suppression secret too when one is set.
    senders = [
        parameter_arn(unsubscribe),
        {"Fn::If": ["HasSuppressionSecret", parameter_arn(suppression), {"Ref": "AWS::NoValue"}]},
    ]
    # The others read the one the suppression key comes from (docs/delivery.md, "The hash").
    suppression_only = {"Fn::If": ["HasSuppressionSecret", parameter_arn(suppression), parameter_arn(unsubscribe)]}
    expected: dict[str, Any] = {
        "IngestFunction": parameter_arn("WebhookSecretsParameterName"),
        "ConsentFunction": parameter_arn(unsubscribe),
        "JourneyStepFunction": senders,
        "ReconcileSendsFunction": senders,
        "EngagementFunction": suppression_only,
        "SmsEventsFunction": suppression_only,
        "PrivacyFunction": suppression_only,
    }
    for role_name, role in roles.items():
        ssm = [s for s in statements(role) if any(a.startswith("ssm:") for a in as_list(s["Action"]))]
        function = role_name.removesuffix("Role")
        if function not in expected:
            assert ssm == [], role_name
            continue
        (statement,) = ssm
        assert as_list(statement["Action"]) == ["ssm:GetParameter"]
        assert statement["Resource"] == expected[function], function


def test_state_machines_log_errors_without_execution_data(translated: dict[str, Any]) -> None:
    for name, machine in resources_of_type(translated, "AWS::StepFunctions::StateMachine").items():
        # Given a state machine / Then it logs errors (failed executions and tasks), not the state data
        logging = machine["Properties"]["LoggingConfiguration"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False), name
        (destination,) = logging["Destinations"]
        group_arn = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]
        assert group_arn["Fn::GetAtt"][1] == "Arn", name
        # to a log group of its own that does not keep them forever
        group = translated["Resources"][group_arn["Fn::GetAtt"][0]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["RetentionInDays"] <= 90
        assert group["Properties"]["LogGroupName"]["Fn::Sub"].startswith("/aws/vendedlogs/states/")


def test_every_state_machine_placeholder_has_a_substitution(sam: dict[str, Any]) -> None:
    # Given every state machine template.yaml declares
    machines = resources_of_type(sam, SERVERLESS_STATE_MACHINE)
    declared_files = set()
    for name, machine in machines.items():
        properties = machine["Properties"]
        definition_file = ROOT / properties["DefinitionUri"]
        declared_files.add(definition_file.resolve())

        # When its definition's ${...} placeholders are collected
        placeholders = set(re.findall(r"\$\{([^}]+)\}", definition_file.read_text(encoding="utf-8")))

        # Then each has a DefinitionSubstitutions entry, and each entry is used
        substitutions = set(properties.get("DefinitionSubstitutions", {}))
        assert placeholders - substitutions == set(), f"{name}: no substitution for {placeholders - substitutions}"
        assert substitutions - placeholders == set(), f"{name}: unused substitutions {substitutions - placeholders}"

    # And every state machine we ship is deployed by the template
    shipped = {path.resolve() for path in (ROOT / "statemachines").glob("*.asl.json")}
    assert shipped - declared_files == set()


@pytest.mark.parametrize("form", ["template.yaml", "translated"])
def test_functions_get_the_contract_settings(sam: dict[str, Any], translated: dict[str, Any], form: str) -> None:
    # Given the functions as the local runtime sees them (physical values from a deployed stack)
    resources = {
        "EventsQueue": "https://sqs.us-east-1.amazonaws.com/123456789012/nurture-EventsQueue",
        "NurtureTable": "nurture-NurtureTable",
        "WelcomeJourney": "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-WelcomeJourney",
        "EmailConfigurationSet": "nurture-email",
        "ScoreAlertsTopic": "arn:aws:sns:us-east-1:123456789012:nurture-ScoreAlertsTopic",
    }
    pseudo = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": "123456789012",
        "AWS::StackName": "nurture",
    }
    specs = function_specs(sam if form == "template.yaml" else translated, ROOT, PARAMETERS | pseudo, resources)

    # Then each has exactly the environment docs/architecture.md lists, all resolved
    assert set(specs) == set(CONTRACT_ENVIRONMENT)
    for name, spec in specs.items():
        assert set(spec.environment) == CONTRACT_ENVIRONMENT[name] | EVERY_FUNCTION_ENVIRONMENT, name
        assert spec.environment["POWERTOOLS_SERVICE_NAME"] == "nurture"
        assert spec.environment["LOG_LEVEL"] == "INFO"
        if "TABLE_NAME" in CONTRACT_ENVIRONMENT[name]:
            assert spec.environment["TABLE_NAME"] == "nurture-NurtureTable"
        assert (spec.module, spec.function) == ("app", "lambda_handler")
        assert spec.module_path.is_file(), spec.module_path
        assert spec.layer_dirs == ((ROOT / "layers" / "common").resolve(),)
    assert specs["ProcessFunction"].environment["EVENT_RETENTION_DAYS"] == "400"
    assert specs["ProcessFunction"].environment["JOURNEY_STATE_MACHINE_PREFIX"] == (
        "arn:aws:states:us-east-1:123456789012:stateMachine:nurture-journey-"
    )
    assert specs["JourneyStepFunction"].environment["CONFIGURATION_SET"] == "nurture-email"
    # The events ProcessFunction derives go back to the queue it reads; its alerts to the topic
    for name in ("ProcessFunction", "RefreshFunction", "LapsedScanFunction", "BirthdayScanFunction"):
        assert specs[name].environment["EVENTS_QUEUE_URL"] == resources["EventsQueue"], name
    assert specs["ProcessFunction"].environment["SCORE_ALERTS_TOPIC_ARN"] == resources["ScoreAlertsTopic"]
    assert specs["IngestFunction"].environment["WEBHOOK_SECRETS_PARAMETER"] == "/nurture/webhook-secrets"
    assert (
        specs["PrivacyFunction"].environment["JOURNEY_STATE_MACHINE_PREFIX"]
        == (specs["ProcessFunction"].environment["JOURNEY_STATE_MACHINE_PREFIX"])
    )
    # And every function that reads or writes the suppression list keys its hashes from the same secret
    keyed = {
        name: (spec.environment["UNSUBSCRIBE_SECRET_PARAMETER"], spec.environment["SUPPRESSION_SECRET_PARAMETER"])
        for name, spec in specs.items()
        if "SUPPRESSION_SECRET_PARAMETER" in spec.environment
    }
    assert set(keyed) == {
        "JourneyStepFunction",
        "ReconcileSendsFunction",
        "EngagementFunction",
        "SmsEventsFunction",
        "PrivacyFunction",
    }
    assert set(keyed.values()) == {("/nurture/unsubscribe-secret", "")}

    # And the queue hides a message for at least 6x ProcessFunction's timeout (AWS's guidance)
    visibility = translated["Resources"]["EventsQueue"]["Properties"]["VisibilityTimeout"]
    assert specs["ProcessFunction"].timeout is not None
    assert visibility >= 6 * specs["ProcessFunction"].timeout


def test_a_crashed_or_timed_out_function_is_retried_and_the_task_outlives_it(sam: dict[str, Any]) -> None:
    # Given every Lambda task of every state machine, and the functions' timeouts
    timeouts = {
        name: body["Properties"].get("Timeout", sam["Globals"]["Function"]["Timeout"])
        for name, body in resources_of_type(sam, "AWS::Serverless::Function").items()
    }
    for machine in resources_of_type(sam, SERVERLESS_STATE_MACHINE).values():
        properties = machine["Properties"]
        functions = {
            f"${{{key}}}": value["Fn::GetAtt"][0]
            for key, value in properties.get("DefinitionSubstitutions", {}).items()
            if isinstance(value, dict) and "Fn::GetAtt" in value
        }
        definition = json.loads((ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8"))
        tasks = {
            name: state
            for name, state in definition["States"].items()
            if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
        }
        assert tasks
        for name, task in tasks.items():
            # Then a killed function, an unknown Lambda failure and the task's own timeout are retried
            retried = {error for rule in task["Retry"] for error in rule["ErrorEquals"]}
            assert {"Sandbox.Timedout", "Lambda.Unknown", "States.Timeout"} <= retried, name
            # And the task waits longer than the function may run, so a retry never overlaps a live attempt
            function = functions[task["Parameters"]["FunctionName"]]
            assert task["TimeoutSeconds"] > timeouts[function], name
            # And the attempt is passed along, for the claim to record
            assert task["Parameters"]["Payload"]["attempt.$"] == "$$.State.RetryCount", name


def test_only_the_privacy_routes_require_iam_authorisation(translated: dict[str, Any]) -> None:
    # Given the HTTP API's routes as the SAM translator writes them (OpenAPI)
    paths = translated["Resources"]["NurtureApi"]["Properties"]["Body"]["paths"]
    security = {
        f"{method.upper()} {path}": operation.get("security")
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    # Then the admin routes take SigV4-signed requests only; the storefront webhooks and the
    # contacts' own consent pages (their links carry signed tokens) stay open
    assert security == {
        "POST /webhooks/{source}": None,
        "POST /subscribe": None,
        "GET /confirm": None,
        "POST /confirm": None,
        "GET /unsubscribe": None,
        "POST /unsubscribe": None,
        "GET /preferences": None,
        "POST /preferences": None,
        "POST /admin/contacts/{id}/erase": [{"AWS_IAM": []}],
        "GET /admin/contacts/{id}/export": [{"AWS_IAM": []}],
    }
    # And PrivacyFunction may stop the journeys' executions, and nothing else of Step Functions
    (stop,) = [
        s
        for s in statements(translated["Resources"]["PrivacyFunctionRole"])
        if any(a.startswith("states:") for a in as_list(s["Action"]))
    ]
    assert stop["Action"] == "states:StopExecution"
    assert stop["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
        "${AWS::StackName}-journey-*:*"
    }


def test_score_alerts_go_to_an_encrypted_topic_the_process_function_alone_publishes_to(
    translated: dict[str, Any],
) -> None:
    resources = translated["Resources"]
    # Given the score alerts topic: encrypted at rest with SNS's AWS managed key, its ARN an output
    assert resources["ScoreAlertsTopic"]["Properties"] == {"KmsMasterKeyId": "alias/aws/sns"}
    assert translated["Outputs"]["ScoreAlertsTopicArn"]["Value"] == {"Ref": "ScoreAlertsTopic"}
    # Then the process function may publish to it and send its derived events to the events queue
    process = statements(resources["ProcessFunctionRole"])
    (publish,) = [s for s in process if "sns:Publish" in as_list(s["Action"])]
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", {"Ref": "ScoreAlertsTopic"})
    senders = [s for s in process if any(a.startswith("sqs:SendMessage") for a in as_list(s["Action"]))]
    assert [s["Resource"] for s in senders] == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}",
                {"queueName": {"Fn::GetAtt": ["EventsQueue", "QueueName"]}},
            ]
        }
    ]
    # And the refresh pass runs hourly, long enough to send its bound of events
    refresh = resources["RefreshFunction"]["Properties"]
    assert refresh["Timeout"] == 900

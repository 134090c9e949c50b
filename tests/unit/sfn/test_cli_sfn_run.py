"""`nurture sfn run`: one execution to completion on the virtual clock, with and without mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nurture_local.cli import main

ROOT = Path(__file__).resolve().parents[3]
WELCOME = ROOT / "statemachines" / "welcome.asl.json"
WELCOME_MOCKS = ROOT / "tests" / "sfn_mocks" / "welcome.json"
SEND_ARN = "JourneyStepFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:send-email"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["sfn", "run", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def run_welcome_case(capsys: pytest.CaptureFixture[str], case: str) -> tuple[int, dict]:
    """The shipped welcome journey with one test case of tests/sfn_mocks/welcome.json."""
    return run_json(
        capsys,
        str(WELCOME),
        "--input",
        '{"contact_id": "c1", "journey": "welcome", "enrolment": {"id": "welcome-c1-1", "key": null, "occurrence": 1}}',
        "--mock-config",
        str(WELCOME_MOCKS),
        "--state-machine",
        "welcome",
        "--case",
        case,
        "--substitution",
        SEND_ARN,
    )


def test_given_the_welcome_journey_and_the_happy_path_mocks_then_it_sends_three_and_succeeds(capsys):
    code, result = run_welcome_case(capsys, "HappyPath")

    assert code == 0
    assert result["status"] == "SUCCEEDED"
    assert result["error"] is None
    assert [s for s in result["states"] if s.startswith("Send")] == [
        "Send welcome email",
        "Send content email",
        "Send feedback request",
    ]
    assert result["states"][-1] == "Welcome series complete"
    assert result["output"]["feedback_email"]["message_id"] == "m-feedback"


def test_given_a_contact_who_unsubscribed_after_the_welcome_then_the_journey_ends_early(capsys):
    code, result = run_welcome_case(capsys, "UnsubscribedAfterWelcome")

    assert code == 0
    assert "Send feedback request" not in result["states"]
    assert result["states"][-1] == "Unsubscribed — journey ends"


def test_given_a_throttled_send_then_retry_uses_the_next_mocked_responses_and_succeeds(capsys):
    code, result = run_welcome_case(capsys, "ThrottledThenSent")

    assert code == 0
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["welcome_email"]["message_id"] == "m-welcome"


def test_given_a_definition_without_tasks_when_run_without_mocks_then_it_completes(tmp_path, capsys):
    definition = tmp_path / "wait.asl.json"
    definition.write_text(
        json.dumps(
            {
                "StartAt": "Wait a week",
                "States": {
                    "Wait a week": {"Type": "Wait", "Seconds": 604800, "Next": "Greet"},
                    "Greet": {
                        "Type": "Pass",
                        "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"},
                        "End": True,
                    },
                },
            }
        )
    )

    code, result = run_json(capsys, str(definition), "--input", '{"name": "Ada"}')

    assert (code, result["status"], result["output"]) == (0, "SUCCEEDED", {"greeting": "hello Ada"})
    assert result["states"] == ["Wait a week", "Greet"]


def test_given_a_lambda_task_without_a_mock_or_handler_then_it_fails_with_resource_not_found(capsys):
    code, result = run_json(
        capsys,
        str(WELCOME),
        "--input",
        '{"contact_id": "c1", "enrolment": {"id": "welcome-c1-1", "occurrence": 1}}',
        "--substitution",
        SEND_ARN,
    )

    assert code == 1
    assert result["status"] == "FAILED"
    assert result["error"] == "Lambda.ResourceNotFoundException"


def test_given_an_invalid_definition_then_exit_2_and_the_message_names_state_and_field(tmp_path, capsys):
    definition = tmp_path / "bad.asl.json"
    definition.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}))

    code = main(["sfn", "run", str(definition)])

    assert code == 2
    assert "state 'A', field 'Next'" in capsys.readouterr().err


def test_given_a_substitution_that_is_missing_then_exit_2_naming_it(capsys):
    code = main(["sfn", "run", str(WELCOME)])

    assert code == 2
    assert "JourneyStepFunctionArn" in capsys.readouterr().err


# A suite in the shape of AWS's published Step Functions Local sample (aws-samples/aws-stepfunctions-examples,
# sam/app-local-testing-mock-config): Lambda checks (lambda:invoke and a plain function ARN), an AWS SDK
# call, DynamoDB and EventBridge PutEvents, every task mocked; each test case mocks only the states it reaches.
LEAD_INTAKE = ROOT / "tests" / "sfn_corpus" / "mocked_lead_intake.asl.json"  # also in the differential test
LEAD_MOCKS = ROOT / "tests" / "sfn_corpus" / "mocked_lead_intake.mocks.json"
LEAD = {"contact": {"email": "ada@example.com"}, "address": {"city": "Lyon"}, "comments": "Loved the demo"}


def run_lead_case(capsys: pytest.CaptureFixture[str], case: str) -> tuple[int, dict]:
    return run_json(
        capsys,
        str(LEAD_INTAKE),
        "--input",
        json.dumps(LEAD),
        "--mock-config",
        str(LEAD_MOCKS),
        "--state-machine",
        "mocked_lead_intake",
        "--case",
        case,
    )


def test_given_the_follow_up_case_when_run_then_every_mocked_integration_answers_and_it_succeeds(capsys):
    code, result = run_lead_case(capsys, "FollowUp")

    assert (code, result["status"]) == (0, "SUCCEEDED")
    assert result["output"]["checks"] == [
        {"verdict": {"approved": True, "checked": "identity"}},
        {"approved": True, "checked": "address"},  # the plain function ARN gets the mocked Payload
    ]
    assert result["output"]["announcement"] == {"failed": 0}
    assert result["states"][-2:] == ["Queue follow-up", "Announce follow-up"]
    assert set(result) == {"status", "output", "error", "cause", "states"}


@pytest.mark.parametrize(
    ("case", "code", "ends_in", "error"),
    [
        ("UnhappyLead", 0, "Announce unhappy lead", None),
        ("RejectedIdentity", 1, "Lead rejected", "LeadRejected"),
        ("AddressCheckBroken", 1, "Check failed", "CheckFailed"),
        ("SentimentRetried", 0, "Announce follow-up", None),
    ],
)
def test_given_each_lead_case_when_run_then_it_ends_where_its_mocks_lead(capsys, case, code, ends_in, error):
    exit_code, result = run_lead_case(capsys, case)

    assert (exit_code, result["states"][-1], result["error"]) == (code, ends_in, error)


def test_given_the_lead_suite_without_its_mocks_when_run_then_exit_2_naming_an_unsupported_state(capsys):
    code = main(["sfn", "run", str(LEAD_INTAKE), "--input", json.dumps(LEAD)])

    assert code == 2
    assert "state 'Announce follow-up', field 'Resource'" in capsys.readouterr().err

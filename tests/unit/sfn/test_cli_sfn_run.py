"""`nurture sfn run`: one execution to completion on the virtual clock, with and without mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nurture_local.cli import main

ROOT = Path(__file__).resolve().parents[3]
WELCOME = ROOT / "statemachines" / "welcome.asl.json"
WELCOME_MOCKS = ROOT / "tests" / "sfn_mocks" / "welcome.json"
SEND_ARN = "SendEmailFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:send-email"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["sfn", "run", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def run_welcome_case(capsys: pytest.CaptureFixture[str], case: str) -> tuple[int, dict]:
    """The shipped welcome journey with one test case of tests/sfn_mocks/welcome.json."""
    return run_json(
        capsys,
        str(WELCOME),
        "--input",
        '{"contact_id": "c1", "journey": "welcome"}',
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
    code, result = run_json(capsys, str(WELCOME), "--input", '{"contact_id": "c1"}', "--substitution", SEND_ARN)

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
    assert "SendEmailFunctionArn" in capsys.readouterr().err

"""SendEmailFunction's handler: settings, secret and input checks (the journey tests cover sending)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import functions.send_email.app as send_email_app
from nurture.errors import ConfigurationError
from nurture.messaging.journey_email import InvalidSendRequest

ENVIRON = {
    "TABLE_NAME": "nurture-test",
    "SENDER_ADDRESS": "hello@acme.example",
    "CONFIGURATION_SET": "nurture-events",
    "UNSUBSCRIBE_BASE_URL": "https://acme.example/unsubscribe",
    "UNSUBSCRIBE_SECRET_PARAMETER": "/nurture/test/unsubscribe-secret",
}


@pytest.fixture(autouse=True)
def forget_dependencies() -> Iterator[None]:
    send_email_app.use_dependencies(None)
    yield
    send_email_app.use_dependencies(None)


def test_the_sender_is_built_from_the_environment_and_the_ssm_secret(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="an-unsubscribe-secret-from-ssm", Type="SecureString"
    )
    sender = send_email_app.build_sender(ENVIRON)
    assert sender.unsubscribe_secret == "an-unsubscribe-secret-from-ssm"
    assert sender.sender_address == "hello@acme.example"


def test_a_missing_secret_parameter_is_a_configuration_error(aws: None) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        send_email_app.build_sender(ENVIRON)


@pytest.mark.parametrize("secret", ["short", "fifteen-bytes!!", "é" * 7])
def test_a_short_unsubscribe_secret_fails_at_cold_start_not_at_every_send(aws: None, secret: str) -> None:
    # Given an unsubscribe secret under 16 bytes in SSM (it would fail every token)
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value=secret, Type="SecureString"
    )
    # When the sender is built (cold start) / Then it is a configuration error naming the parameter
    with pytest.raises(ConfigurationError, match=r"unsubscribe-secret: .* at least 16 bytes") as raised:
        send_email_app.build_sender(ENVIRON)
    # and never quoting the secret
    assert secret not in str(raised.value)


def test_a_16_byte_unsubscribe_secret_is_enough(aws: None) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=ENVIRON["UNSUBSCRIBE_SECRET_PARAMETER"], Value="x" * 16, Type="SecureString"
    )
    assert send_email_app.build_sender(ENVIRON).unsubscribe_secret == "x" * 16


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"TABLE_NAME": None}, "TABLE_NAME"),
        ({"UNSUBSCRIBE_BASE_URL": "http://acme.example/unsubscribe"}, "UNSUBSCRIBE_BASE_URL"),
        ({"SENDER_ADDRESS": "nobody"}, "SENDER_ADDRESS"),
    ],
)
def test_bad_settings_are_named(aws: None, changes: dict[str, str | None], named: str) -> None:
    environ = {key: value for key, value in {**ENVIRON, **changes}.items() if value is not None}
    with pytest.raises(ConfigurationError, match=named):
        send_email_app.build_sender(environ)


def test_a_malformed_task_input_fails_the_task_without_touching_aws(lambda_context: Any) -> None:
    with pytest.raises(InvalidSendRequest):
        send_email_app.lambda_handler({"contact_id": "c1", "journey": "welcome"}, lambda_context)


def test_the_module_loads_what_a_send_needs_at_import_and_never_the_xray_sdk() -> None:
    # Imports belong to Lambda's init phase (full CPU, captured by SnapStart): docs/architecture.md.
    import subprocess
    import sys

    code = (
        "import sys, functions.send_email.app; "
        "print(sorted(m for m in ('boto3', 'jinja2', 'pydantic', 'aws_xray_sdk') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)  # noqa: S603
    assert result.stdout.strip() == "['boto3', 'jinja2', 'pydantic']"

"""Secrets from SSM Parameter Store (SecureString), and the suppression key derived from one. Callers
cache what they read per cold start."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from nurture.delivery.suppression import suppression_key
from nurture.errors import ConfigurationError, DependencyUnavailable
from nurture.settings import SuppressionKeySettings, unsubscribe_secret

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


def read_secret(ssm_client: SSMClient | Any, parameter_name: str) -> str:
    """The decrypted value of a parameter; a missing one is a ConfigurationError."""
    try:
        answer = ssm_client.get_parameter(Name=parameter_name, WithDecryption=True)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise ConfigurationError(f"SSM parameter {parameter_name} does not exist") from exc
        raise DependencyUnavailable("SSM Parameter Store", str(exc)) from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable("SSM Parameter Store", str(exc)) from exc
    return str(answer["Parameter"]["Value"])


def read_secret_map(ssm_client: SSMClient | Any, parameter_name: str) -> dict[str, str | dict[str, str]]:
    """A parameter holding a JSON object whose values are strings or objects of strings, e.g. one
    webhook secret per source, or per source one secret per store."""
    raw = read_secret(ssm_client, parameter_name)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigurationError(f"SSM parameter {parameter_name} is not a JSON object") from None
    if not isinstance(value, dict) or not all(_is_secret_entry(entry) for entry in value.values()):
        raise ConfigurationError(
            f"SSM parameter {parameter_name} must be a JSON object of strings or of objects of strings"
        )
    return {str(key): entry for key, entry in value.items()}


def _is_secret_entry(entry: object) -> bool:
    return isinstance(entry, str) or (isinstance(entry, dict) and all(isinstance(v, str) for v in entry.values()))


def read_suppression_key(
    ssm_client: SSMClient | Any, settings: SuppressionKeySettings, *, unsubscribe_secret_value: str | None = None
) -> bytes:
    """The key of the suppression hashes (docs/delivery.md, "The hash"), read and checked at cold
    start: from SUPPRESSION_SECRET_PARAMETER when set, else from the unsubscribe secret (a sender that
    has already read it passes ``unsubscribe_secret_value``: one GetParameter, not two)."""
    parameter = settings.suppression_parameter
    if settings.suppression_secret_parameter is None and unsubscribe_secret_value is not None:
        return suppression_key(unsubscribe_secret_value)
    what = "the unsubscribe secret" if settings.suppression_secret_parameter is None else "the suppression secret"
    return suppression_key(unsubscribe_secret(read_secret(ssm_client, parameter), parameter=parameter, what=what))

"""boto3 clients for the adapters, created on first use with each service's configuration; a test or
the local runtime passes ready clients by service name instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG
from nurture.adapters.ses_email import SES_CLIENT_CONFIG
from nurture.adapters.sns_sms import SNS_CLIENT_CONFIG

# Per service: what differs from botocore's defaults (SES and SNS: no SDK retries, a send is not
# idempotent).
_CONFIGS: dict[str, dict[str, Any]] = {
    "dynamodb": DYNAMODB_CLIENT_CONFIG,
    "sesv2": SES_CLIENT_CONFIG,
    "sns": SNS_CLIENT_CONFIG,
}


class AwsClients:
    def __init__(self, given: Mapping[str, Any] | None = None) -> None:
        self._clients: dict[str, Any] = dict(given or {})

    def get(self, service: str) -> Any:
        if service not in self._clients:
            config = _CONFIGS.get(service)
            create: Any = boto3.client  # the service name is a plain str here, not one of the stubs' literals
            self._clients[service] = create(service, config=Config(**config) if config else None)
        return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.get("dynamodb")

    @property
    def sesv2(self) -> Any:
        return self.get("sesv2")

    @property
    def sns(self) -> Any:
        return self.get("sns")

    @property
    def ssm(self) -> Any:
        return self.get("ssm")

    @property
    def sqs(self) -> Any:
        return self.get("sqs")

    @property
    def stepfunctions(self) -> Any:
        return self.get("stepfunctions")

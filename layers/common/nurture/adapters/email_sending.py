"""The send path wired on AWS: the sender (`nurture.messaging.journey_email`) on DynamoDB, SES v2
and the SSM unsubscribe secret, for the functions that send (JourneyStepFunction, and
ReconcileSendsFunction's re-send)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from nurture.adapters.dynamodb_delivery import DynamoDbDecisionLog, DynamoDbDeliveryHistory
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_sends import DYNAMODB_CLIENT_CONFIG, DynamoDbRecipients, SendLedger
from nurture.adapters.secrets import read_secret
from nurture.adapters.ses_email import SES_CLIENT_CONFIG, SesEmailSender
from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.messaging.journey_email import EventLog, JourneyEmailSender
from nurture.settings import JourneyStepSettings, unsubscribe_secret


@dataclass(frozen=True)
class SendPath:
    sender: JourneyEmailSender
    ledger: SendLedger  # the same ledger the sender writes through


def send_path(
    settings: JourneyStepSettings,
    *,
    log: EventLog,
    clock: Callable[[], datetime],
    clients: Mapping[str, Any] | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
) -> SendPath:
    """Clients created here unless given by service name ("dynamodb", "sesv2", "ssm"): SDK retries
    on for DynamoDB, off for SES (`nurture.adapters.ses_email`). The unsubscribe secret is read and
    checked now (cold start), never logged."""
    given = dict(clients or {})
    dynamodb = given.get("dynamodb") or boto3.client("dynamodb", config=Config(**DYNAMODB_CLIENT_CONFIG))
    sesv2 = given.get("sesv2") or boto3.client("sesv2", config=Config(**SES_CLIENT_CONFIG))
    ssm = given.get("ssm") or boto3.client("ssm")
    parameter = settings.unsubscribe_secret_parameter
    ledger = SendLedger(settings.table_name, dynamodb)
    sender = JourneyEmailSender(
        sender_address=settings.sender_address,
        unsubscribe_base_url=settings.unsubscribe_base_url,
        unsubscribe_secret=unsubscribe_secret(read_secret(ssm, parameter), parameter=parameter),
        recipients=DynamoDbRecipients(settings.table_name, dynamodb),
        ledger=ledger,
        provider=SesEmailSender(sesv2, settings.configuration_set),
        log=log,
        clock=clock,
        enrolments=EnrolmentRepository(settings.table_name, dynamodb),
        history=DynamoDbDeliveryHistory(settings.table_name, dynamodb),
        decisions=DynamoDbDecisionLog(settings.table_name, dynamodb),
        policy=policy,
    )
    return SendPath(sender, ledger)

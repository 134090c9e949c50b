"""The send path wired on AWS: the sender (`nurture.messaging.sending`) on DynamoDB, SES v2 (email),
SNS (SMS) and the SSM unsubscribe secret, for the functions that send (JourneyStepFunction, and
ReconcileSendsFunction's re-send of an email)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_delivery import DynamoDbDecisionLog, DynamoDbDeliveryHistory
from nurture.adapters.dynamodb_enrolments import EnrolmentRepository
from nurture.adapters.dynamodb_personal import DynamoDbPersonalisations
from nurture.adapters.dynamodb_sends import DynamoDbRecipients, SendLedger
from nurture.adapters.secrets import read_secret, read_suppression_key
from nurture.adapters.ses_email import SesEmailSender
from nurture.adapters.sns_sms import SnsSmsSender
from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.journeys.catalogue import default_catalogue
from nurture.messaging.sending import EventLog, JourneySender
from nurture.settings import JourneyStepSettings, unsubscribe_secret


@dataclass(frozen=True)
class SendPath:
    sender: JourneySender
    ledger: SendLedger  # the same ledger the sender writes through


def send_path(
    settings: JourneyStepSettings,
    *,
    log: EventLog,
    clock: Callable[[], datetime],
    clients: AwsClients,
    policy: DeliveryPolicy = DEFAULT_POLICY,
) -> SendPath:
    """The clients by service ("dynamodb", "sesv2", "sns", "ssm"), each with its configuration
    (`nurture.adapters.clients`: SDK retries on for DynamoDB, off for SES and SNS). The unsubscribe
    secret (and the suppression key derived from it, or from its own parameter) is read and checked
    now (cold start), never logged."""
    dynamodb = clients.dynamodb
    parameter = settings.unsubscribe_secret_parameter
    secret = unsubscribe_secret(read_secret(clients.ssm, parameter), parameter=parameter)
    ledger = SendLedger(settings.table_name, dynamodb)
    sender = JourneySender(
        sender_address=settings.sender_address,
        journey_senders={journey.id: journey.sender for journey in default_catalogue().values() if journey.sender},
        unsubscribe_base_url=settings.unsubscribe_base_url,
        unsubscribe_secret=secret,
        recipients=DynamoDbRecipients(settings.table_name, dynamodb),
        ledger=ledger,
        provider=SesEmailSender(clients.sesv2, settings.configuration_set),
        sms_provider=SnsSmsSender(
            lambda: clients.sns,
            origination_number=settings.sms_origination_number,
            sender_id=settings.sms_sender_id,
            max_price_usd=settings.sms_max_price_usd,
        ),
        log=log,
        clock=clock,
        enrolments=EnrolmentRepository(settings.table_name, dynamodb),
        history=DynamoDbDeliveryHistory(
            settings.table_name,
            dynamodb,
            suppression_key=read_suppression_key(clients.ssm, settings, unsubscribe_secret_value=secret),
        ),
        decisions=DynamoDbDecisionLog(settings.table_name, dynamodb),
        policy=policy,
        personalisations=DynamoDbPersonalisations(settings.table_name, dynamodb),
    )
    return SendPath(sender, ledger)

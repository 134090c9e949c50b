"""SmsEventsFunction: SMS replies and SNS's SMS delivery status logs (docs/sms.md).

Two triggers, told apart by the event's shape:

- ``Records[].Sns`` (SmsInboundTopic, the origination number's two-way channel): a STOP or START
  keyword becomes a canonical ``consent.changed`` (source ``sms``) on the events queue;
- ``awslogs.data`` (CloudWatch Logs subscriptions on SNS's ``DirectPublishToPhoneNumber`` and
  ``…/Failure`` log groups): each status record settles its send claim, suppresses a dead number
  or counts a transient failure, and becomes ``sms.delivered`` / ``sms.failed``.

Logic: `nurture.messaging.sms_events` (what it does) and `nurture.messaging.sms_feedback` (what each
input means). Output: the counts. A malformed record fails the invocation after the others were
applied (``MalformedSmsEvents``, naming where it was, never what it held); everything else is
idempotent, so the retries of an asynchronous invocation are harmless.

Dependencies: `nurture.wiring` (built on the first invocation from ``SmsEventsSettings``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from nurture.adapters.clients import AwsClients
from nurture.adapters.dynamodb_delivery import DynamoDbSuppressions
from nurture.adapters.dynamodb_sends import SendLedger
from nurture.adapters.dynamodb_sms_messages import DynamoDbSmsMessages
from nurture.adapters.secrets import read_suppression_key
from nurture.adapters.sqs_events import SqsEventQueue
from nurture.delivery.policy import DeliveryPolicy
from nurture.messaging.sms_events import SmsEvents
from nurture.settings import SmsEventsSettings
from nurture.wiring import Lazy, run_handler

logger = Logger()


def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None) -> SmsEvents:
    variables = os.environ if environ is None else environ
    settings = SmsEventsSettings.from_environ(variables)
    aws = AwsClients(clients)
    return SmsEvents(
        ledger=SendLedger(settings.table_name, aws.dynamodb),
        messages=DynamoDbSmsMessages(settings.table_name, aws.dynamodb),
        suppressions=DynamoDbSuppressions(
            settings.table_name,
            aws.dynamodb,
            DeliveryPolicy.from_environ(variables),
            suppression_key=read_suppression_key(aws.ssm, settings),
        ),
        queue=SqsEventQueue(settings.events_queue_url, aws.sqs),
        log=logger,
    )


dependencies: Lazy[SmsEvents] = Lazy(build)
use_dependencies = dependencies.use


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return run_handler(logger, "sms events failed", lambda: dict(dependencies.get().apply(event)))

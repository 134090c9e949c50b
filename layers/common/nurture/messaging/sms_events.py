"""SmsEventsFunction's work: keyword replies become consent changes, delivery status logs settle the
send claims, suppress dead numbers and become canonical ``sms.*`` events (`nurture.messaging.sms_feedback`
says what each input means; this module applies it through ports).

Inbound replies (`SmsEvents.apply_inbound`): a STOP keyword queues ``consent.changed`` (SMS
``unsubscribed``) whoever sent it: ProcessFunction creates an unsubscribed contact for an unknown
number, so the opt-out is remembered. A START keyword from a number no contact has is ignored
(``unknown_number``): restoring consent presumes a contact who gave it once. Other replies are
counted (``ignored``) and never logged.

Status logs (`SmsEvents.apply_status_logs`), per record:

1. the claim: the message pointer (``SMSMESSAGE#<message id>``) names it and its claim id; without
   one (the send's outcome was unknown) the number's contact's claim already settled with this
   message id, else its oldest unsettled SMS claim marked sending within the hour before the log,
   settled under its own claim id with this message id;
2. `settlement_of` decides; the write is the ledger's own ``record_sent`` / ``record_failed``,
   conditioned on the claim id (a claim that moved on is ``superseded``);
3. a FAILURE meaning the number is dead suppresses it for good; a transient one is counted and
   suppresses past the policy's threshold (the suppression list email uses, keyed by the same hash);
4. the canonical ``sms.delivered`` / ``sms.failed`` (when the claim is known) is queued.

The same input twice changes nothing more (conditional writes, deterministic event ids), so SNS's
and Lambda's retries are harmless. Malformed records are raised together at the end
(`MalformedSmsEvents`, naming where each was), after the others were applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from nurture.messaging import sms_feedback
from nurture.messaging.claims import ClaimSuperseded, SendKey, SendRecord
from nurture.messaging.engagement import ClaimLedger, EventQueue, MalformedEvents, Suppressions


class MalformedSmsEvents(MalformedEvents):
    """Some records of the invocation could not be read; ``problems`` says where and why (never
    what they held)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, what="SMS event")


class SmsMessages(Protocol):
    """`nurture.adapters.dynamodb_sms_messages.DynamoDbSmsMessages`."""

    def key_of_sms_message(self, message_id: str) -> tuple[SendKey, str] | None: ...

    def contact_of_number(self, number: str) -> str | None: ...

    def sms_claim_by_number(self, number: str, *, message_id: str, sent_by: datetime) -> SendRecord | None: ...


class Log(Protocol):
    def info(self, msg: object, *args: object, **kwargs: Any) -> None: ...

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None: ...


@dataclass(frozen=True)
class SmsEvents:
    ledger: ClaimLedger
    messages: SmsMessages
    suppressions: Suppressions
    queue: EventQueue
    log: Log

    def apply(self, event: Mapping[str, Any]) -> Counter[str]:
        """One invocation: SNS records (inbound replies) or a CloudWatch Logs subscription event."""
        if "awslogs" in event:
            return self.apply_status_logs(event)
        if isinstance(event.get("Records"), list):
            return self.apply_inbound(event["Records"])
        raise MalformedSmsEvents(["the event is neither SNS records nor a CloudWatch Logs subscription event"])

    # ------------------------------------------------------------ inbound replies

    def apply_inbound(self, records: Iterable[Any]) -> Counter[str]:
        counts: Counter[str] = Counter()
        problems: list[str] = []
        changes = []
        for index, record in enumerate(records):
            try:
                inbound = sms_feedback.inbound_of(record if isinstance(record, Mapping) else {})
            except ValueError as exc:
                problems.append(f"record {index}: {exc}")
                counts["malformed"] += 1
                continue
            state = sms_feedback.keyword_consent(inbound.body)
            if state is None:
                counts["ignored"] += 1
                continue
            if state == "subscribed" and self.messages.contact_of_number(inbound.number) is None:
                counts["unknown_number"] += 1
                continue
            changes.append(sms_feedback.consent_event(inbound, state))
            counts[state] += 1
        if changes:
            self.queue.send(changes)
            counts["events_queued"] += len(changes)
        self.log.info("sms replies applied", **dict(counts))
        if problems:
            raise MalformedSmsEvents(problems)
        return counts

    # ------------------------------------------------------------ delivery status logs

    def apply_status_logs(self, event: Mapping[str, Any]) -> Counter[str]:
        statuses, problems = sms_feedback.status_logs_of(event)
        counts: Counter[str] = Counter(malformed=len(problems)) if problems else Counter()
        events = []
        for status in statuses:
            key = self._settle(status, counts)
            self._feedback(status, counts)
            if key is not None:
                events.append(sms_feedback.delivery_event(status, key))
        if events:
            self.queue.send(events)
            counts["events_queued"] += len(events)
        self.log.info("sms status logs applied", **dict(counts))
        if problems:
            raise MalformedSmsEvents(problems)
        return counts

    def _settle(self, status: sms_feedback.SmsStatus, counts: Counter[str]) -> SendKey | None:
        """The claim the status is about, settled when it says so; its key (None: no claim found)."""
        pointed = self.messages.key_of_sms_message(status.message_id)
        if pointed is not None:
            key, claim_id = pointed
            record = self.ledger.get(key)
        else:
            record = self.messages.sms_claim_by_number(
                status.destination, message_id=status.message_id, sent_by=status.at
            )
            if record is None or record.claim_id is None:
                counts["unknown_claim"] += 1
                self.log.info("sms status without a claim", message_id=status.message_id, status=status.status)
                return None
            key, claim_id = record.key, record.claim_id
            counts["matched_by_number"] += 1
        if record is None:
            counts["unknown_claim"] += 1
            return key
        outcome = self._write(record, key, claim_id, status)
        counts[outcome] += 1
        return key

    def _write(self, record: SendRecord, key: SendKey, claim_id: str, status: sms_feedback.SmsStatus) -> str:
        settlement = sms_feedback.settlement_of(record, status)
        if settlement is None:
            return "unchanged"
        try:
            if settlement == "sent":
                self.ledger.record_sent(key, claim_id=claim_id, message_id=status.message_id, at=status.at)
                return "settled_sent"
            error = f"SNS {status.provider_response or 'FAILURE'}"[:200]
            self.ledger.record_failed(key, claim_id=claim_id, error=error, at=status.at)
            return "settled_failed"
        except ClaimSuperseded:
            return "superseded"

    def _feedback(self, status: sms_feedback.SmsStatus, counts: Counter[str]) -> None:
        feedback = sms_feedback.feedback_of(status)
        if feedback.suppress_reason is not None:
            self.suppressions.suppress(status.destination, reason=feedback.suppress_reason, at=status.at)
            counts["suppressed"] += 1
            self.log.info("number suppressed", reason=feedback.suppress_reason, message_id=status.message_id)
        elif feedback.transient:
            counts["transient_failures"] += 1
            if self.suppressions.transient_bounce(status.destination, event_id=status.message_id, at=status.at):
                counts["suppressed"] += 1
                self.log.info("number suppressed", reason="transient_bounces", message_id=status.message_id)

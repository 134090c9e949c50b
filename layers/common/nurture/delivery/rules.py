"""`decide`: may this message go to this recipient now, later, or not at all, and by which
channel (pure).

The rules, in order (docs/delivery.md):

0. the channel: ``email``, ``sms``, or ``email_or_sms`` (email when the contact consented to
   email, else SMS when to SMS, else skipped ``no_consent``: `resolve_channel`);
1. a contact; marketing consent for the channel (``subscribed``) and the step's topic (a topic in
   the profile's ``unsubscribed_topics`` says no; a profile without topic data follows its
   consent); no pause; no suppression of the address or number; a syntactically valid address or
   E.164 number. A ``transactional`` message needs only the address or number and no suppression:
   it skips every rule below;
2. quiet hours in the recipient's zone (`nurture.delivery.zones`: the profile's zone, else the
   phone number's country, else the address's): deferred to the first allowed minute, never dropped;
3. the step's send hour (``send_at``, from then until ``send_window`` later) and ``weekdays``:
   deferred to the next allowed local slot. A step with a send hour chose its hour: quiet hours do
   not move it;
4. frequency caps across every journey, counted from the contact's marketing sends on the same
   channel (``history``; email and SMS have their own caps): capped → skipped or deferred until the
   cap frees, as the step says (``on_cap``), or sent anyway (``on_cap: send``: cart recovery, whose
   reminder is worth its hour).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from nurture.delivery.policy import DeliveryPolicy
from nurture.delivery.zones import recipient_zone
from nurture.messaging import delivery as reasons
from nurture.messaging.delivery import Recipient

Channel = Literal["email", "sms"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# One @, something before it, a dotted domain after; no spaces. SES refuses the rest anyway.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_MAX_ADDRESS = 254
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # ASCII digits only (\d takes any script)


@dataclass(frozen=True, slots=True)
class Message:
    """What the rules need to know about the message (a journey's send step)."""

    # "email_or_sms": email when the contact consented to email, else SMS when to SMS only (docs/sms.md).
    channel: Literal["email", "sms", "email_or_sms"] = "email"
    transactional: bool = False
    topic: str | None = None
    send_at: time | None = None
    weekdays: tuple[Weekday, ...] = ()
    on_cap: Literal["skip", "defer", "send"] = "defer"


@dataclass(frozen=True, slots=True)
class History:
    """What the table knows of the recipient: when marketing messages went out (within the caps'
    window at least) and whether the address is suppressed."""

    marketing_sent_at: tuple[datetime, ...] = ()  # marketing emails
    suppressed: bool = False  # the email address
    marketing_sms_sent_at: tuple[datetime, ...] = ()
    sms_suppressed: bool = False  # the phone number


@dataclass(frozen=True, slots=True)
class Send:
    channel: Channel = "email"  # the channel the message goes by


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime  # UTC
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


Decision = Send | Defer | Skip


def valid_address(address: str) -> bool:
    return len(address) <= _MAX_ADDRESS and _ADDRESS.fullmatch(address) is not None


def valid_phone_number(number: str) -> bool:
    """E.164: a plus, a country code not starting with 0, at most 15 digits in all."""
    return _E164.fullmatch(number) is not None


def decide(
    message: Message, recipient: Recipient | None, history: History, now: datetime, policy: DeliveryPolicy
) -> Decision:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if recipient is None:
        return Skip(reasons.NO_CONTACT)
    channel = resolve_channel(message, recipient, history)
    if channel is None:
        return Skip(reasons.NO_CONSENT)
    sms = channel == "sms"
    if not message.transactional:
        if (recipient.sms_consent if sms else recipient.email_consent) != "subscribed":
            return Skip(reasons.NO_CONSENT)
        if message.topic is not None and message.topic in recipient.unsubscribed_topics:
            return Skip(reasons.TOPIC_UNSUBSCRIBED)
        if recipient.paused_until is not None and now < recipient.paused_until:
            # A pause postpones marketing; the journey resumes when it ends, nothing is lost.
            return Defer(recipient.paused_until.astimezone(UTC), reasons.PAUSED)
    unreachable = _unreachable(channel, recipient, history)
    if unreachable is not None:
        return Skip(unreachable)
    if message.transactional:
        return Send(channel)

    zone = recipient_zone(recipient.time_zone, recipient.country_code, policy.default_time_zone, recipient.phone)
    slot, why = next_allowed(now, zone, policy, send_at=message.send_at, weekdays=message.weekdays)
    # "send": a message whose value is its timing (a cart reminder an hour after the cart) goes over
    # the caps; it still counts against them for the messages after it. Each channel has its caps.
    sent_at = history.marketing_sms_sent_at if sms else history.marketing_sent_at
    frees = None if message.on_cap == "send" else cap_frees_at(sent_at, now, policy, channel=channel)
    if frees is not None and frees > slot:
        if message.on_cap == "skip":
            return Skip(reasons.FREQUENCY_CAP)
        until, _ = next_allowed(frees, zone, policy, send_at=message.send_at, weekdays=message.weekdays)
        return Defer(until, reasons.FREQUENCY_CAP)
    if slot > now:
        assert why is not None
        return Defer(slot, why)
    return Send(channel)


def resolve_channel(message: Message, recipient: Recipient, history: History) -> Channel | None:
    """The channel a message goes by; None when an ``email_or_sms`` message has no consent on either.

    ``email_or_sms`` is "SMS when the contact consented to SMS only": email when the email consent
    is ``subscribed``, else SMS when the SMS consent is. A transactional one needs no consent: it
    goes by email when the address can receive it, else by SMS when the number can, else by email
    (whose skip reason then says why).
    """
    if message.channel != "email_or_sms":
        return message.channel
    if message.transactional:
        if _unreachable("email", recipient, history) is None:
            return "email"
        return "sms" if _unreachable("sms", recipient, history) is None else "email"
    if recipient.email_consent == "subscribed":
        return "email"
    return "sms" if recipient.sms_consent == "subscribed" else None


def _unreachable(channel: Channel, recipient: Recipient, history: History) -> str | None:
    """Why the channel's address cannot receive the message (suppressed, missing, malformed)."""
    if channel == "sms":
        if history.sms_suppressed:
            return reasons.SUPPRESSED
        if not recipient.phone:
            return reasons.NO_PHONE_NUMBER
        return None if valid_phone_number(recipient.phone) else reasons.INVALID_PHONE_NUMBER
    if history.suppressed:
        return reasons.SUPPRESSED
    if not recipient.email:
        return reasons.NO_EMAIL_ADDRESS
    return None if valid_address(recipient.email) else reasons.INVALID_EMAIL_ADDRESS


def cap_frees_at(
    sent_at: Sequence[datetime], now: datetime, policy: DeliveryPolicy, *, channel: Channel = "email"
) -> datetime | None:
    """When the next marketing message on the channel is allowed by its caps, None when now.
    ``sent_at``: that channel's marketing sends (each channel is capped on its own)."""
    min_gap, max_in_window = (
        (policy.sms_min_gap, policy.sms_max_in_window) if channel == "sms" else (policy.min_gap, policy.max_in_window)
    )
    recent = sorted(moment.astimezone(UTC) for moment in sent_at if moment > now - policy.window)
    frees = now
    if recent and recent[-1] + min_gap > frees:
        frees = recent[-1] + min_gap
    if len(recent) >= max_in_window:
        # The window holds max_in_window sends: the oldest of the last max_in_window must leave it.
        frees = max(frees, recent[-max_in_window] + policy.window)
    return frees if frees > now else None


def next_allowed(
    moment: datetime,
    zone: ZoneInfo,
    policy: DeliveryPolicy,
    *,
    send_at: time | None = None,
    weekdays: Sequence[str] = (),
) -> tuple[datetime, str | None]:
    """The first instant at or after ``moment`` that quiet hours, the send hour and the weekdays
    allow, and the reason it moved (None when ``moment`` is allowed)."""
    allowed_days = {WEEKDAYS.index(day) for day in weekdays} if weekdays else None
    candidate, reason = moment.astimezone(UTC), None
    for _ in range(16):  # each rule moves forward; a week of days settles it
        moved = candidate
        local = candidate.astimezone(zone)
        if allowed_days is not None and local.weekday() not in allowed_days:
            moved = _local(_next_day(local.date(), allowed_days), send_at or time(0, 0), zone)
            reason = reasons.SEND_HOUR
        elif send_at is not None:
            slot = _local(local.date(), send_at, zone)
            if candidate < slot:
                moved, reason = slot, reasons.SEND_HOUR
            elif candidate >= slot + policy.send_window:
                moved, reason = _local(local.date() + timedelta(days=1), send_at, zone), reasons.SEND_HOUR
        elif policy.has_quiet_hours and _is_quiet(local.time(), policy):
            day = local.date()
            if policy.quiet_start > policy.quiet_end and local.time() >= policy.quiet_start:
                day += timedelta(days=1)  # the evening part: quiet until tomorrow's end
            moved = _local(day, policy.quiet_end, zone)
            reason = reason or reasons.QUIET_HOURS
        if moved <= candidate:
            return candidate, reason
        candidate = moved
    return candidate, reason


def _is_quiet(local: time, policy: DeliveryPolicy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    if start > end:  # across midnight: 21:00 → 08:00
        return local >= start or local < end
    return start <= local < end


def _next_day(after: date, allowed: set[int]) -> date:
    day = after + timedelta(days=1)
    while day.weekday() not in allowed:
        day += timedelta(days=1)
    return day


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a time in a spring-forward gap is taken past the change; in a fall-back overlap, the first.
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)

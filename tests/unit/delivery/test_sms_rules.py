"""The delivery rules for SMS and for `email_or_sms`, one table of cases per rule (docs/sms.md)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import (
    Defer,
    History,
    Message,
    Send,
    Skip,
    cap_frees_at,
    decide,
    resolve_channel,
    valid_phone_number,
)
from nurture.delivery.zones import phone_region, recipient_zone
from nurture.messaging.delivery import Recipient

PARIS = "Europe/Paris"
PARIS_MOBILE = "+33612345678"
NEW_YORK_NUMBER = "+12125550123"
# Wednesday 2026-06-10, 12:00 in Paris (10:00 UTC): inside every allowed window.
NOON_PARIS = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
SMS = Message(channel="sms")
EITHER = Message(channel="email_or_sms")


def texter(**changes: object) -> Recipient:
    """A contact who consented to SMS and not to email, with a French mobile number and no zone."""
    values: dict[str, object] = {
        "contact_id": "c1",
        "email": "ada@example.com",
        "email_consent": "unsubscribed",
        "phone": PARIS_MOBILE,
        "sms_consent": "subscribed",
    }
    values.update(changes)
    return Recipient(**values)  # type: ignore[arg-type]


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(PARIS)).astimezone(UTC)


def sms_hours_ago(*hours: float, email: tuple[float, ...] = ()) -> History:
    return History(
        marketing_sms_sent_at=tuple(NOON_PARIS - timedelta(hours=h) for h in hours),
        marketing_sent_at=tuple(NOON_PARIS - timedelta(hours=h) for h in email),
    )


# ---------------------------------------------------------------- 1. consent, topic, pause, suppression, number


@pytest.mark.parametrize(
    ("message", "who", "history", "expected"),
    [
        (SMS, texter(), History(), Send("sms")),
        (SMS, None, History(), Skip("no_contact")),
        (SMS, texter(sms_consent="pending"), History(), Skip("no_consent")),
        (SMS, texter(sms_consent="unsubscribed"), History(), Skip("no_consent")),
        (SMS, texter(sms_consent="not_subscribed"), History(), Skip("no_consent")),
        (SMS, texter(sms_consent=None), History(), Skip("no_consent")),
        # the email consent does not count for SMS, either way
        (SMS, texter(email_consent="subscribed", sms_consent=None), History(), Skip("no_consent")),
        (SMS, texter(email_consent=None, email=None), History(), Send("sms")),
        # topics and the pause apply as for email
        (
            Message(channel="sms", topic="offers"),
            texter(unsubscribed_topics=frozenset({"offers"})),
            History(),
            Skip("topic_unsubscribed"),
        ),
        (
            Message(channel="sms", topic="news"),
            texter(unsubscribed_topics=frozenset({"offers"})),
            History(),
            Send("sms"),
        ),
        (
            SMS,
            texter(paused_until=NOON_PARIS + timedelta(days=3)),
            History(),
            Defer(NOON_PARIS + timedelta(days=3), "paused"),
        ),
        # the number's suppression, not the address's
        (SMS, texter(), History(sms_suppressed=True), Skip("suppressed")),
        (SMS, texter(), History(suppressed=True), Send("sms")),
        (SMS, texter(phone=None), History(), Skip("no_phone_number")),
        (SMS, texter(phone=""), History(), Skip("no_phone_number")),
        (SMS, texter(phone="0612345678"), History(), Skip("invalid_phone_number")),
        (SMS, texter(phone="+33 6 12 34 56 78"), History(), Skip("invalid_phone_number")),
        # suppression is checked before the number, as for email
        (SMS, texter(phone=None), History(sms_suppressed=True), Skip("suppressed")),
        # transactional: no consent, topic or pause; a valid number and no suppression
        (Message(channel="sms", transactional=True), texter(sms_consent="pending"), History(), Send("sms")),
        (Message(channel="sms", transactional=True), texter(sms_consent=None), History(), Send("sms")),
        (
            Message(channel="sms", transactional=True),
            texter(paused_until=NOON_PARIS + timedelta(days=3)),
            History(),
            Send("sms"),
        ),
        (Message(channel="sms", transactional=True), texter(), History(sms_suppressed=True), Skip("suppressed")),
        (Message(channel="sms", transactional=True), texter(phone=None), History(), Skip("no_phone_number")),
        (
            Message(channel="sms", transactional=True),
            texter(phone="+0612345678"),
            History(),
            Skip("invalid_phone_number"),
        ),
    ],
)
def test_sms_consent_suppression_and_number(
    message: Message, who: Recipient | None, history: History, expected: object
) -> None:
    assert decide(message, who, history, NOON_PARIS, DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+33612345678", True),
        ("+1212555012", True),
        ("+1234567", True),  # 7 digits: the shortest E.164 accepted
        ("+123456789012345", True),  # 15 digits: the longest
        ("+123456", False),
        ("+1234567890123456", False),
        ("+0612345678", False),  # a country code never starts with 0
        ("33612345678", False),
        ("+33 612345678", False),
        ("+33-612345678", False),
        ("+٣٣٦١٢٣٤٥٦٧٨", False),  # Arabic-Indic digits: normalised at capture, never here
        ("+33612345678\n", False),
    ],
)
def test_valid_phone_number_is_e164(number: str, valid: bool) -> None:
    assert valid_phone_number(number) is valid


# ---------------------------------------------------------------- email_or_sms


@pytest.mark.parametrize(
    ("who", "history", "expected"),
    [
        # email when the email consent is subscribed, whatever the SMS consent
        (texter(email_consent="subscribed"), History(), Send("email")),
        (texter(email_consent="subscribed", sms_consent=None, phone=None), History(), Send("email")),
        # else SMS when the SMS consent is subscribed: "SMS when the contact consented to SMS only"
        (texter(email_consent="unsubscribed"), History(), Send("sms")),
        (texter(email_consent="pending"), History(), Send("sms")),
        (texter(email_consent=None, email=None), History(), Send("sms")),
        # neither
        (texter(sms_consent="unsubscribed"), History(), Skip("no_consent")),
        (texter(email_consent=None, sms_consent=None), History(), Skip("no_consent")),
        (None, History(), Skip("no_contact")),
        # the channel is chosen by consent; that channel's rules then apply (no fallback)
        (texter(email_consent="subscribed"), History(suppressed=True), Skip("suppressed")),
        (texter(email_consent="subscribed", email=None), History(), Skip("no_email_address")),
        (texter(), History(sms_suppressed=True), Skip("suppressed")),
        (texter(phone=None), History(), Skip("no_phone_number")),
        # each channel's caps: email just went, the SMS may go (and the other way round)
        (texter(email_consent="subscribed"), sms_hours_ago(1), Send("email")),
        (texter(), sms_hours_ago(email=(1,)), Send("sms")),
    ],
)
def test_email_or_sms_resolution(who: Recipient | None, history: History, expected: object) -> None:
    assert decide(EITHER, who, history, NOON_PARIS, DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("who", "history", "channel"),
    [
        (texter(email_consent="pending"), History(), "email"),
        (texter(email=None), History(), "sms"),
        (texter(email="not-an-address"), History(), "sms"),
        (texter(), History(suppressed=True), "sms"),
        # neither reachable: email, whose skip reason says why
        (texter(email=None, phone=None), History(), "email"),
        (texter(email=None), History(sms_suppressed=True), "email"),
    ],
)
def test_transactional_email_or_sms_goes_where_it_can_be_received(
    who: Recipient, history: History, channel: str
) -> None:
    message = Message(channel="email_or_sms", transactional=True)
    assert resolve_channel(message, who, history) == channel


def test_transactional_email_or_sms_without_any_address() -> None:
    message = Message(channel="email_or_sms", transactional=True)
    assert decide(message, texter(email=None, phone=None), History(), NOON_PARIS, DEFAULT_POLICY) == Skip(
        "no_email_address"
    )
    assert decide(message, texter(email=None), History(), NOON_PARIS, DEFAULT_POLICY) == Send("sms")


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_fixed_channel_is_never_changed(channel: str) -> None:
    message = Message(channel=channel)  # type: ignore[arg-type]
    assert resolve_channel(message, texter(email_consent=None, sms_consent=None), History()) == channel


# ---------------------------------------------------------------- 2. quiet hours, in the number's country


@pytest.mark.parametrize(
    ("time_zone", "country", "default", "phone", "zone"),
    [
        (None, None, None, PARIS_MOBILE, PARIS),
        (None, None, None, NEW_YORK_NUMBER, "America/New_York"),
        (None, None, None, "+14165550123", "America/Toronto"),  # +1 is shared: the number says Canada
        (None, None, None, "+442079460000", "Europe/London"),
        (None, None, None, "+61291234567", "Australia/Sydney"),
        # the profile's zone first, then the number, then the address, then the store
        ("Asia/Tokyo", "US", None, PARIS_MOBILE, "Asia/Tokyo"),
        (None, "US", None, PARIS_MOBILE, PARIS),
        ("Not/AZone", "US", None, PARIS_MOBILE, PARIS),
        # a region COUNTRY_ZONES does not know, or no region at all: the address, then the store
        (None, "FR", None, "+3545512345", PARIS),  # Iceland
        (None, None, "Europe/Rome", "+18095550123", "Europe/Rome"),  # +1 809: the Dominican Republic, not the US
        (None, "GB", None, "+80012345678", "Europe/London"),  # a non-geographic (freephone) code
        (None, "GB", None, "+999123", "Europe/London"),
        (None, "GB", None, "0612345678", "Europe/London"),  # not E.164: never guessed
        (None, None, None, "+33", "UTC"),
        (None, None, None, None, "UTC"),
    ],
)
def test_the_zone_by_the_phone_number(
    time_zone: str | None, country: str | None, default: str | None, phone: str | None, zone: str
) -> None:
    assert recipient_zone(time_zone, country, default, phone=phone).key == zone


@pytest.mark.parametrize(
    ("phone", "region"),
    [(PARIS_MOBILE, "FR"), (NEW_YORK_NUMBER, "US"), ("+14165550123", "CA"), ("+80012345678", None), ("", None)],
)
def test_phone_region(phone: str, region: str | None) -> None:
    assert phone_region(phone) == region


@pytest.mark.parametrize(
    ("who", "now", "expected"),
    [
        # 04:00 in Paris: the French number is quiet until 08:00 Paris
        (texter(), datetime(2026, 6, 10, 2, 0, tzinfo=UTC), Defer(paris(2026, 6, 10, 8, 0), "quiet_hours")),
        # 22:00 in New York: the American number is quiet until 08:00 New York (12:00 UTC)
        (
            texter(phone=NEW_YORK_NUMBER),
            datetime(2026, 6, 10, 2, 0, tzinfo=UTC),
            Defer(datetime(2026, 6, 10, 12, 0, tzinfo=UTC), "quiet_hours"),
        ),
        # the number's country before the address's: an American address, a French mobile
        (
            texter(country_code="US"),
            datetime(2026, 6, 10, 2, 0, tzinfo=UTC),
            Defer(paris(2026, 6, 10, 8), "quiet_hours"),
        ),
        # the profile's zone wins: 11:00 in Tokyo
        (texter(time_zone="Asia/Tokyo"), datetime(2026, 6, 10, 2, 0, tzinfo=UTC), Send("sms")),
        (texter(), paris(2026, 6, 10, 8, 0), Send("sms")),
        (texter(), paris(2026, 6, 10, 20, 59), Send("sms")),
        (texter(), paris(2026, 6, 10, 21, 0), Defer(paris(2026, 6, 11, 8, 0), "quiet_hours")),
        # DST: the night New York springs forward (8 March 2026, 02:00 EST → 03:00 EDT). 01:30 EST
        # is 06:30 UTC; 08:00 that morning is EDT, 12:00 UTC (not 13:00, as EST would say).
        (
            texter(phone=NEW_YORK_NUMBER),
            datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
            Defer(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "quiet_hours"),
        ),
        # and the night it falls back (1 November 2026): 01:30 EDT, then 08:00 EST is 13:00 UTC
        (
            texter(phone=NEW_YORK_NUMBER),
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            Defer(datetime(2026, 11, 1, 13, 0, tzinfo=UTC), "quiet_hours"),
        ),
        # the same for email when the profile has a number and no zone
        (
            texter(email_consent="subscribed", phone=NEW_YORK_NUMBER, country_code="FR"),
            datetime(2026, 6, 10, 2, 0, tzinfo=UTC),
            Defer(datetime(2026, 6, 10, 12, 0, tzinfo=UTC), "quiet_hours"),
        ),
    ],
)
def test_sms_quiet_hours_in_the_numbers_country(who: Recipient, now: datetime, expected: object) -> None:
    message = Message(channel="email" if who.email_consent == "subscribed" else "sms")
    assert decide(message, who, History(), now, DEFAULT_POLICY) == expected


def test_transactional_sms_ignores_quiet_hours_send_hour_and_caps() -> None:
    night = paris(2026, 6, 10, 2, 0)
    capped = History(marketing_sms_sent_at=(night - timedelta(hours=1),) * 3)
    message = Message(channel="sms", transactional=True, send_at=time(10, 0), weekdays=("sat",))
    assert decide(message, texter(sms_consent=None), capped, night, DEFAULT_POLICY) == Send("sms")


# ---------------------------------------------------------------- 3. send hour and weekdays


@pytest.mark.parametrize(
    ("now", "send_at", "weekdays", "expected"),
    [
        (paris(2026, 6, 10, 9, 0), time(10, 0), (), Defer(paris(2026, 6, 10, 10, 0), "send_hour")),
        (paris(2026, 6, 10, 10, 30), time(10, 0), (), Send("sms")),
        (paris(2026, 6, 10, 11, 0), time(10, 0), (), Defer(paris(2026, 6, 11, 10, 0), "send_hour")),
        (paris(2026, 6, 10, 12, 0), None, ("sat",), Defer(paris(2026, 6, 13, 8, 0), "send_hour")),
        (paris(2026, 6, 10, 12, 0), None, ("wed",), Send("sms")),
    ],
)
def test_sms_send_hour_and_weekdays(
    now: datetime, send_at: time | None, weekdays: tuple[str, ...], expected: object
) -> None:
    message = Message(channel="sms", send_at=send_at, weekdays=weekdays)  # type: ignore[arg-type]
    assert decide(message, texter(), History(), now, DEFAULT_POLICY) == expected


# ---------------------------------------------------------------- 4. SMS caps, apart from email's


@pytest.mark.parametrize(
    ("history", "on_cap", "expected"),
    [
        (sms_hours_ago(), "defer", Send("sms")),
        (sms_hours_ago(24), "defer", Send("sms")),
        # 1 SMS per 24 hours (email's 16 hours do not apply)
        (sms_hours_ago(17), "defer", Defer(NOON_PARIS + timedelta(hours=7), "frequency_cap")),
        (sms_hours_ago(2), "skip", Skip("frequency_cap")),
        (sms_hours_ago(2), "send", Send("sms")),
        # 3 within 7 days: free when the oldest of them is 7 days old
        (sms_hours_ago(30, 60, 100), "defer", Defer(NOON_PARIS + timedelta(hours=68), "frequency_cap")),
        (sms_hours_ago(30, 60, 100), "skip", Skip("frequency_cap")),
        (sms_hours_ago(30, 60, 100), "send", Send("sms")),
        (sms_hours_ago(30, 60, 168), "defer", Send("sms")),
        # marketing emails do not count towards the SMS caps
        (sms_hours_ago(email=(1, 20, 40)), "defer", Send("sms")),
        (sms_hours_ago(email=(1, 20, 40)), "skip", Send("sms")),
        (sms_hours_ago(30, email=(1,)), "defer", Send("sms")),
        (History(marketing_sms_sent_at=(paris(2026, 6, 9, 2, 0),)), "defer", Send("sms")),
        # capped until 02:00 local: quiet hours push it to 08:00
        (
            History(marketing_sms_sent_at=(paris(2026, 6, 10, 2, 0),)),
            "defer",
            Defer(paris(2026, 6, 11, 8, 0), "frequency_cap"),
        ),
    ],
)
def test_sms_caps(history: History, on_cap: str, expected: object) -> None:
    message = Message(channel="sms", on_cap=on_cap)  # type: ignore[arg-type]
    assert decide(message, texter(), history, NOON_PARIS, DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("sms", "email", "expected"),
    [
        ((1, 2, 3), (), Send()),  # SMS sent: the email may still go
        ((), (10,), Defer(NOON_PARIS + timedelta(hours=6), "frequency_cap")),  # email's 16 hours
    ],
)
def test_email_caps_count_email_only(sms: tuple[float, ...], email: tuple[float, ...], expected: object) -> None:
    who = texter(email_consent="subscribed", time_zone=PARIS)
    assert decide(Message(), who, sms_hours_ago(*sms, email=email), NOON_PARIS, DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("policy", "sent_hours_ago", "channel", "frees_in_hours"),
    [
        (DEFAULT_POLICY, (5,), "sms", 19),
        (DEFAULT_POLICY, (5,), "email", 11),
        (DeliveryPolicy(sms_min_gap=timedelta(0)), (1, 2), "sms", None),
        (DeliveryPolicy(sms_min_gap=timedelta(0)), (1, 2, 3), "sms", 165),
        (DeliveryPolicy(sms_min_gap=timedelta(0), sms_max_in_window=5), (1, 2, 3), "sms", None),
        (DeliveryPolicy(sms_max_in_window=1, window=timedelta(days=1)), (30,), "sms", None),
    ],
)
def test_cap_frees_at_per_channel(
    policy: DeliveryPolicy, sent_hours_ago: tuple[int, ...], channel: str, frees_in_hours: int | None
) -> None:
    sent = [NOON_PARIS - timedelta(hours=h) for h in sent_hours_ago]
    expected = None if frees_in_hours is None else NOON_PARIS + timedelta(hours=frees_in_hours)
    assert cap_frees_at(sent, NOON_PARIS, policy, channel=channel) == expected  # type: ignore[arg-type]


def test_sms_caps_from_environ() -> None:
    policy = DeliveryPolicy.from_environ({"DELIVERY_SMS_MIN_GAP": "3600", "DELIVERY_SMS_MAX_IN_WINDOW": "5"})
    assert policy.sms_min_gap == timedelta(hours=1) and policy.sms_max_in_window == 5
    assert policy.min_gap == DEFAULT_POLICY.min_gap

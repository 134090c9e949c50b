"""The delivery rules, one table of cases per rule (nurture.delivery.rules.decide)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurture.delivery.policy import DEFAULT_POLICY, DeliveryPolicy
from nurture.delivery.rules import Defer, History, Message, Send, Skip, cap_frees_at, decide, next_allowed
from nurture.delivery.suppression import suppression_hash, suppression_key, transient_bounces_suppress
from nurture.delivery.zones import recipient_zone
from nurture.messaging.delivery import Recipient

PARIS = "Europe/Paris"
# Wednesday 2026-06-10, 12:00 in Paris (10:00 UTC): inside every allowed window.
NOON_PARIS = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def recipient(**changes: object) -> Recipient:
    values: dict[str, object] = {
        "contact_id": "c1",
        "email": "ada@example.com",
        "email_consent": "subscribed",
        "time_zone": PARIS,
    }
    values.update(changes)
    return Recipient(**values)  # type: ignore[arg-type]


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(PARIS)).astimezone(UTC)


# ---------------------------------------------------------------- 1. consent, suppression, address


@pytest.mark.parametrize(
    ("message", "who", "history", "expected"),
    [
        (Message(), recipient(), History(), Send()),
        (Message(), None, History(), Skip("no_contact")),
        (Message(), recipient(email_consent="pending"), History(), Skip("no_consent")),
        (Message(), recipient(email_consent="unsubscribed"), History(), Skip("no_consent")),
        (Message(), recipient(email_consent="not_subscribed"), History(), Skip("no_consent")),
        (Message(), recipient(email_consent=None), History(), Skip("no_consent")),
        (
            Message(topic="offers"),
            recipient(unsubscribed_topics=frozenset({"offers"})),
            History(),
            Skip("topic_unsubscribed"),
        ),
        (Message(topic="newsletter"), recipient(unsubscribed_topics=frozenset({"offers"})), History(), Send()),
        (Message(topic="offers"), recipient(), History(), Send()),  # no topic data: email consent decides
        (Message(topic="offers"), recipient(email_consent="unsubscribed"), History(), Skip("no_consent")),
        (Message(), recipient(), History(suppressed=True), Skip("suppressed")),
        (Message(), recipient(email=None), History(), Skip("no_email_address")),
        (Message(), recipient(email="not-an-address"), History(), Skip("invalid_email_address")),
        (Message(), recipient(email="a@b"), History(), Skip("invalid_email_address")),
        (Message(), recipient(email="a b@example.com"), History(), Skip("invalid_email_address")),
        # transactional: no consent needed, but an address and no suppression
        (Message(transactional=True), recipient(email_consent="pending"), History(), Send()),
        (Message(transactional=True), recipient(email_consent=None), History(), Send()),
        (Message(transactional=True), recipient(), History(suppressed=True), Skip("suppressed")),
        (Message(transactional=True), recipient(email=None), History(), Skip("no_email_address")),
        (Message(transactional=True), None, History(), Skip("no_contact")),
    ],
)
def test_consent_suppression_and_address(
    message: Message, who: Recipient | None, history: History, expected: object
) -> None:
    assert decide(message, who, history, NOON_PARIS, DEFAULT_POLICY) == expected


# ---------------------------------------------------------------- 2. quiet hours


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 6, 10, 1, 28), Defer(paris(2026, 6, 10, 8, 0), "quiet_hours")),
        (paris(2026, 6, 10, 3, 45), Defer(paris(2026, 6, 10, 8, 0), "quiet_hours")),
        (paris(2026, 6, 10, 7, 59), Defer(paris(2026, 6, 10, 8, 0), "quiet_hours")),
        (paris(2026, 6, 10, 8, 0), Send()),
        (paris(2026, 6, 10, 20, 59), Send()),
        (paris(2026, 6, 10, 21, 0), Defer(paris(2026, 6, 11, 8, 0), "quiet_hours")),
        (paris(2026, 6, 10, 23, 30), Defer(paris(2026, 6, 11, 8, 0), "quiet_hours")),
        (paris(2026, 12, 31, 22, 0), Defer(paris(2027, 1, 1, 8, 0), "quiet_hours")),
        # DST: the night the clocks spring forward (Paris, 29 March 2026) and fall back (25 October)
        (paris(2026, 3, 29, 1, 30), Defer(datetime(2026, 3, 29, 6, 0, tzinfo=UTC), "quiet_hours")),
        (paris(2026, 3, 28, 22, 0), Defer(datetime(2026, 3, 29, 6, 0, tzinfo=UTC), "quiet_hours")),
        (paris(2026, 10, 24, 22, 0), Defer(datetime(2026, 10, 25, 7, 0, tzinfo=UTC), "quiet_hours")),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), Defer(datetime(2026, 10, 25, 7, 0, tzinfo=UTC), "quiet_hours")),
    ],
)
def test_quiet_hours_defer_to_the_next_allowed_minute(now: datetime, expected: object) -> None:
    assert decide(Message(), recipient(), History(), now, DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("time_zone", "country", "default", "zone"),
    [
        ("America/Chicago", "FR", "Europe/Rome", "America/Chicago"),
        (None, "FR", "Europe/Rome", "Europe/Paris"),
        (None, "us", None, "America/New_York"),
        ("Not/AZone", "GB", None, "Europe/London"),
        (None, "XX", "Europe/Rome", "Europe/Rome"),
        (None, None, None, "UTC"),
        (None, None, "nonsense", "UTC"),
    ],
)
def test_the_recipients_zone(time_zone: str | None, country: str | None, default: str | None, zone: str) -> None:
    assert recipient_zone(time_zone, country, default).key == zone


def test_quiet_hours_follow_the_country_then_the_store_default() -> None:
    at_0200_utc = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 22:00 in New York, 04:00 in Paris
    us = recipient(time_zone=None, country_code="US")
    assert decide(Message(), us, History(), at_0200_utc, DEFAULT_POLICY) == Defer(
        datetime(2026, 6, 10, 12, 0, tzinfo=UTC), "quiet_hours"
    )
    nowhere = recipient(time_zone=None)
    store = DeliveryPolicy(default_time_zone="Asia/Tokyo")  # 11:00 in Tokyo
    assert decide(Message(), nowhere, History(), at_0200_utc, store) == Send()
    assert decide(Message(), nowhere, History(), at_0200_utc, DEFAULT_POLICY) == Defer(
        datetime(2026, 6, 10, 8, 0, tzinfo=UTC), "quiet_hours"
    )


def test_transactional_ignores_quiet_hours_and_caps() -> None:
    night = paris(2026, 6, 10, 2, 0)
    capped = History(marketing_sent_at=(night - timedelta(hours=1),))
    assert decide(Message(transactional=True), recipient(), capped, night, DEFAULT_POLICY) == Send()


def test_quiet_hours_within_one_day_and_none() -> None:
    siesta = DeliveryPolicy(quiet_start=time(13, 0), quiet_end=time(16, 0))
    zone = ZoneInfo(PARIS)
    assert next_allowed(paris(2026, 6, 10, 14), zone, siesta) == (paris(2026, 6, 10, 16), "quiet_hours")
    assert next_allowed(paris(2026, 6, 10, 2), zone, siesta) == (paris(2026, 6, 10, 2), None)
    never = DeliveryPolicy(quiet_start=time(0, 0), quiet_end=time(0, 0))
    assert next_allowed(paris(2026, 6, 10, 2), zone, never) == (paris(2026, 6, 10, 2), None)


# ---------------------------------------------------------------- 3. send hour and weekdays


@pytest.mark.parametrize(
    ("now", "send_at", "weekdays", "expected"),
    [
        (paris(2026, 6, 10, 9, 0), time(10, 0), (), Defer(paris(2026, 6, 10, 10, 0), "send_hour")),
        (paris(2026, 6, 10, 10, 0), time(10, 0), (), Send()),
        (paris(2026, 6, 10, 10, 59), time(10, 0), (), Send()),  # within the send window (1 hour)
        (paris(2026, 6, 10, 11, 0), time(10, 0), (), Defer(paris(2026, 6, 11, 10, 0), "send_hour")),
        (paris(2026, 6, 10, 2, 0), time(10, 0), (), Defer(paris(2026, 6, 10, 10, 0), "send_hour")),
        # 2026-06-10 is a Wednesday
        (paris(2026, 6, 10, 12, 0), None, ("mon", "tue"), Defer(paris(2026, 6, 15, 8, 0), "send_hour")),
        (paris(2026, 6, 10, 12, 0), None, ("wed",), Send()),
        (paris(2026, 6, 10, 9, 0), time(10, 0), ("sat", "sun"), Defer(paris(2026, 6, 13, 10, 0), "send_hour")),
        (paris(2026, 6, 13, 10, 30), time(10, 0), ("sat", "sun"), Send()),
        (paris(2026, 6, 14, 11, 0), time(10, 0), ("sat", "sun"), Defer(paris(2026, 6, 20, 10, 0), "send_hour")),
        # the send hour on the day the clocks spring forward: 02:30 does not exist, 03:30 is taken
        (paris(2026, 3, 29, 1, 0), time(2, 30), (), Defer(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "send_hour")),
        # the evening the clocks fall back: 10:00 is still 10:00 local
        (paris(2026, 10, 24, 12, 0), time(10, 0), (), Defer(datetime(2026, 10, 25, 9, 0, tzinfo=UTC), "send_hour")),
    ],
)
def test_send_hour_and_weekdays(
    now: datetime, send_at: time | None, weekdays: tuple[str, ...], expected: object
) -> None:
    message = Message(send_at=send_at, weekdays=weekdays)  # type: ignore[arg-type]
    assert decide(message, recipient(), History(), now, DEFAULT_POLICY) == expected


# ---------------------------------------------------------------- 4. frequency caps


def hours_ago(*hours: float) -> History:
    return History(marketing_sent_at=tuple(NOON_PARIS - timedelta(hours=h) for h in hours))


@pytest.mark.parametrize(
    ("history", "on_cap", "expected"),
    [
        (hours_ago(), "defer", Send()),
        (hours_ago(17), "defer", Send()),
        (hours_ago(16), "defer", Send()),
        (hours_ago(8), "defer", Defer(NOON_PARIS + timedelta(hours=8), "frequency_cap")),
        (hours_ago(2), "skip", Skip("frequency_cap")),
        (hours_ago(2), "send", Send()),  # over the caps anyway (cart recovery)
        (hours_ago(20, 48, 100), "send", Send()),
        # three within 7 days: free when the oldest of them is 7 days old
        (hours_ago(20, 48, 100), "defer", Defer(NOON_PARIS + timedelta(hours=68), "frequency_cap")),
        (hours_ago(20, 48, 100), "skip", Skip("frequency_cap")),
        (hours_ago(20, 48, 168), "defer", Send()),  # the oldest just left the window
        (hours_ago(20, 48, 200, 300), "defer", Send()),
        # capped until 02:00 local: quiet hours push it to 08:00
        (
            History(marketing_sent_at=(paris(2026, 6, 10, 10, 0),)),
            "defer",
            Defer(paris(2026, 6, 11, 8, 0), "frequency_cap"),
        ),
    ],
)
def test_frequency_caps(history: History, on_cap: str, expected: object) -> None:
    message = Message(on_cap=on_cap)  # type: ignore[arg-type]
    assert decide(message, recipient(), history, NOON_PARIS, DEFAULT_POLICY) == expected


def test_on_cap_send_still_keeps_quiet_hours() -> None:
    night = paris(2026, 6, 10, 23, 0)
    history = History(marketing_sent_at=(paris(2026, 6, 10, 22, 0),))
    assert decide(Message(on_cap="send"), recipient(), history, night, DEFAULT_POLICY) == Defer(
        paris(2026, 6, 11, 8, 0), "quiet_hours"
    )


@pytest.mark.parametrize(
    ("paused_until", "message", "expected"),
    [
        # a pause defers marketing email to its end, nothing is lost
        (NOON_PARIS + timedelta(days=30), Message(), Defer(NOON_PARIS + timedelta(days=30), "paused")),
        (NOON_PARIS - timedelta(seconds=1), Message(), Send()),  # over
        (NOON_PARIS, Message(), Send()),
        # a transactional email (double opt-in) is not marketing: a pause does not hold it
        (NOON_PARIS + timedelta(days=30), Message(transactional=True), Send()),
    ],
)
def test_a_pause_defers_marketing_until_it_ends(paused_until: datetime, message: Message, expected: object) -> None:
    assert decide(message, recipient(paused_until=paused_until), History(), NOON_PARIS, DEFAULT_POLICY) == expected


def test_cap_over_quiet_hours_defers_once_to_when_both_allow() -> None:
    night = paris(2026, 6, 10, 23, 0)
    history = History(marketing_sent_at=(paris(2026, 6, 10, 19, 0),))  # frees at 11:00 tomorrow
    assert decide(Message(), recipient(), history, night, DEFAULT_POLICY) == Defer(
        paris(2026, 6, 11, 11, 0), "frequency_cap"
    )
    # frees before the night ends: quiet hours are the reason
    early = History(marketing_sent_at=(paris(2026, 6, 10, 9, 0),))  # frees at 01:00
    assert decide(Message(on_cap="skip"), recipient(), early, night, DEFAULT_POLICY) == Defer(
        paris(2026, 6, 11, 8, 0), "quiet_hours"
    )


@pytest.mark.parametrize(
    ("policy", "sent_hours_ago", "frees_in_hours"),
    [
        (DeliveryPolicy(min_gap=timedelta(0)), (1, 2), None),
        (DeliveryPolicy(min_gap=timedelta(0)), (1, 2, 3), 165),
        (DeliveryPolicy(max_in_window=1, window=timedelta(days=1)), (5,), 19),
        (DEFAULT_POLICY, (), None),
    ],
)
def test_cap_frees_at(policy: DeliveryPolicy, sent_hours_ago: tuple[int, ...], frees_in_hours: int | None) -> None:
    sent = [NOON_PARIS - timedelta(hours=h) for h in sent_hours_ago]
    expected = None if frees_in_hours is None else NOON_PARIS + timedelta(hours=frees_in_hours)
    assert cap_frees_at(sent, NOON_PARIS, policy) == expected


# ---------------------------------------------------------------- suppression


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Ada@Example.com", "ada@example.com", True),
        ("  ada@example.com ", "ada@example.com", True),
        ("ada@example.com", "ada@example.org", False),
    ],
)
def test_suppression_hash_normalises(first: str, second: str, same: bool) -> None:
    key = suppression_key("a-deployment-secret")
    assert (suppression_hash(first, key) == suppression_hash(second, key)) is same
    assert "@" not in suppression_hash(first, key)


# Computed with openssl, not with this module: `printf 'nurture/suppression-key/v1' | openssl dgst
# -sha256 -hmac 'local-unsubscribe-signing-secret'`, then the address with `-mac HMAC -macopt hexkey:…`.
KNOWN_SECRET = "local-unsubscribe-signing-secret"
KNOWN_KEY = "f90964321a682d61ba1490d26b39f10b34d62b4be7a9cd3e5f3a7a3f0d97f955"
KNOWN_HASH = "91f7647a6fdca05146d087dca4a111ffeffbe3a236fcdb5121df5ba768496bc6"


def test_suppression_key_is_the_labelled_hmac_of_the_secret() -> None:
    assert suppression_key(KNOWN_SECRET).hex() == KNOWN_KEY
    assert suppression_key(KNOWN_SECRET) == suppression_key(KNOWN_SECRET)  # stable across calls
    assert suppression_hash(" Ada@Example.com", suppression_key(KNOWN_SECRET)) == KNOWN_HASH


def test_suppression_key_is_not_the_secret_and_differs_per_secret() -> None:
    key = suppression_key(KNOWN_SECRET)
    assert key != KNOWN_SECRET.encode()
    # Label-separated: not the HMAC of the empty message, nor of another label, under the secret.
    assert key != hmac.new(KNOWN_SECRET.encode(), b"", hashlib.sha256).digest()
    assert key != hmac.new(KNOWN_SECRET.encode(), b"nurture/unsubscribe", hashlib.sha256).digest()
    assert suppression_key(KNOWN_SECRET + "x") != key
    address = "ada@example.com"
    assert suppression_hash(address, suppression_key("secret-one")) != suppression_hash(
        address, suppression_key("secret-two")
    )
    # Keyed: not the plain SHA-256 of the address anyone could compute.
    assert suppression_hash(address, key) != hashlib.sha256(address.encode()).hexdigest()


@pytest.mark.parametrize("call", [lambda: suppression_key(""), lambda: suppression_hash("ada@example.com", b"")])
def test_there_is_no_unkeyed_suppression_hash(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="suppression"):
        call()


@pytest.mark.parametrize(
    ("days_ago", "suppress"),
    [((), False), ((1, 2), False), ((1, 2, 3), True), ((1, 2, 31), False), ((0, 29, 29.9), True)],
)
def test_transient_bounces_suppress_after_the_threshold(days_ago: tuple[float, ...], suppress: bool) -> None:
    times = [NOON_PARIS - timedelta(days=d) for d in days_ago]
    assert transient_bounces_suppress(times, NOON_PARIS, DEFAULT_POLICY) is suppress


def test_policy_from_environ() -> None:
    policy = DeliveryPolicy.from_environ({"DELIVERY_QUIET_START": "22:00", "DELIVERY_MAX_IN_WINDOW": "5", "OTHER": "x"})
    assert policy.quiet_start == time(22, 0) and policy.max_in_window == 5 and policy.quiet_end == time(8, 0)
    from nurture.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="DELIVERY_MAX_IN_WINDOW"):
        DeliveryPolicy.from_environ({"DELIVERY_MAX_IN_WINDOW": "0"})

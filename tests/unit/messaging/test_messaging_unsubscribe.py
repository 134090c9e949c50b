"""Unsubscribe tokens: genuine ones verify; altered, foreign, expired or malformed ones never do."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from nurture.messaging.unsubscribe import (
    BadSignature,
    Claims,
    ExpiredToken,
    InvalidToken,
    MalformedToken,
    check_base_url,
    make_token,
    token_from_url,
    unsubscribe_url,
    verify_token,
)

SECRET = "a-test-unsubscribe-secret-of-decent-length"
OTHER_SECRET = "another-secret-that-is-long-enough"
ISSUED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def token(**overrides: object) -> str:
    values: dict[str, object] = {
        "contact_id": "8c1f0e2a9b7d4c3e",
        "channel": "email",
        "list_id": "welcome",
        "issued_at": ISSUED,
    }
    values.update(overrides)
    return make_token(SECRET, **values)  # type: ignore[arg-type]


def test_round_trip() -> None:
    claims = verify_token(SECRET, token(), now=ISSUED + timedelta(days=3))
    assert claims == Claims(contact_id="8c1f0e2a9b7d4c3e", channel="email", list_id="welcome", issued_at=ISSUED)


def test_the_token_is_url_safe_versioned_and_compact() -> None:
    value = token()
    assert value.startswith("v1.")
    assert len(value.split(".")) == 3
    assert all(c.isalnum() or c in "-_." for c in value)
    assert len(value) < 200


def test_a_tampered_payload_is_refused() -> None:
    # Given a genuine token whose payload is rewritten to name another contact
    version, payload, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["c"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    # Then it does not verify
    with pytest.raises(BadSignature):
        verify_token(SECRET, f"{version}.{forged}.{signature}", now=ISSUED)


def test_a_flipped_signature_character_is_refused() -> None:
    value = token()
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(InvalidToken):
        verify_token(SECRET, flipped, now=ISSUED)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    foreign = make_token(OTHER_SECRET, contact_id="c", channel="email", list_id="welcome", issued_at=ISSUED)
    with pytest.raises(BadSignature):
        verify_token(SECRET, foreign, now=ISSUED)


def test_a_previous_secret_still_verifies_during_rotation() -> None:
    old = make_token(OTHER_SECRET, contact_id="c", channel="email", list_id="welcome", issued_at=ISSUED)
    assert verify_token(SECRET, old, now=ISSUED, previous_secrets=[OTHER_SECRET]).contact_id == "c"


def test_expiry() -> None:
    value = token()
    assert verify_token(SECRET, value, now=ISSUED + timedelta(days=365)).list_id == "welcome"
    with pytest.raises(ExpiredToken, match="older than 365 days"):
        verify_token(SECRET, value, now=ISSUED + timedelta(days=366))
    with pytest.raises(ExpiredToken):
        verify_token(SECRET, value, now=ISSUED + timedelta(hours=2), max_age=timedelta(hours=1))


def test_a_token_from_the_future_is_refused() -> None:
    with pytest.raises(ExpiredToken, match="future"):
        verify_token(SECRET, token(), now=ISSUED - timedelta(hours=1))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "v1",
        "v1.abc",
        "v2.abc.def",
        "v1.abc.def.ghi",
        "v1.!!!.abc",
        "v1.abc." + "A" * 42 + "B",  # non-canonical base64url (stray low bits)
        "v1.abc." + "A" * 10,
        "v1.é.abc",
        "v1." + "A" * 600 + ".abc",
    ],
)
def test_malformed_tokens_are_refused_with_a_clear_error(value: str) -> None:
    with pytest.raises(MalformedToken):
        verify_token(SECRET, value, now=ISSUED)


def test_every_refusal_is_an_invalid_token_and_a_value_error() -> None:
    assert issubclass(BadSignature, InvalidToken)
    assert issubclass(ExpiredToken, InvalidToken)
    assert issubclass(MalformedToken, InvalidToken)
    assert issubclass(InvalidToken, ValueError)


def test_secrets_and_claims_are_checked_when_signing() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        make_token("short", contact_id="c", channel="email", list_id="l", issued_at=ISSUED)
    with pytest.raises(ValueError, match="channel"):
        token(channel="pigeon")
    with pytest.raises(ValueError, match="contact_id"):
        token(contact_id="")
    with pytest.raises(ValueError, match="timezone-aware"):
        token(issued_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_unsubscribe_url_adds_the_token_to_the_query() -> None:
    value = token()
    url = unsubscribe_url("https://example.com/unsubscribe", value)
    assert url == f"https://example.com/unsubscribe?token={value}"
    assert token_from_url(url) == value
    kept = unsubscribe_url("https://example.com/u?lang=fr&token=stale", value)
    assert kept == f"https://example.com/u?lang=fr&token={value}"


def test_the_base_url_must_be_https_except_on_localhost() -> None:
    assert check_base_url("https://example.com/unsubscribe")
    assert check_base_url("http://localhost:8787/unsubscribe")
    for bad in ("http://example.com/u", "ftp://example.com/u", "example.com/u", "https://example.com/u#x"):
        with pytest.raises(ValueError, match="unsubscribe URL"):
            check_base_url(bad)

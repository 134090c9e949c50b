"""Webhook signature checks: base64(HMAC-SHA256(raw body, secret)), compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys

import pytest

from nurture.capture.signatures import SIGNATURE_HEADERS, sign_base64, verify_hmac_base64
from tests.third_party import fixture_bytes

SECRET = b"test-shop-secret"
BODY = fixture_bytes("shopify/orders_create.json")


def _reference_signature(secret: bytes, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def test_given_a_body_signed_with_the_shop_secret_when_verified_then_it_is_accepted() -> None:
    header = _reference_signature(SECRET, BODY)

    assert verify_hmac_base64(SECRET, BODY, header) is True


def test_given_sign_base64_when_compared_with_the_reference_computation_then_they_match() -> None:
    assert sign_base64(SECRET, BODY) == _reference_signature(SECRET, BODY)
    assert len(base64.b64decode(sign_base64(SECRET, BODY))) == 32


def test_given_surrounding_whitespace_in_the_header_when_verified_then_it_is_accepted() -> None:
    assert verify_hmac_base64(SECRET, BODY, f"  {sign_base64(SECRET, BODY)}\n") is True


def test_given_a_signature_made_with_another_secret_when_verified_then_it_is_rejected() -> None:
    header = sign_base64(b"some-other-secret", BODY)

    assert verify_hmac_base64(SECRET, BODY, header) is False


def test_given_a_body_changed_after_signing_when_verified_then_it_is_rejected() -> None:
    header = sign_base64(SECRET, BODY)
    tampered = BODY.replace(b'"total_price": "404.95"', b'"total_price": "0.01"')
    assert tampered != BODY

    assert verify_hmac_base64(SECRET, tampered, header) is False


@pytest.mark.parametrize("header", [None, ""], ids=["absent", "empty"])
def test_given_no_signature_header_when_verified_then_it_is_rejected(header: str | None) -> None:
    assert verify_hmac_base64(SECRET, BODY, header) is False


@pytest.mark.parametrize(
    "header",
    [
        "not base64 at all!",
        "%%%%",
        "YWJj",  # valid base64 of b"abc": a digest of the wrong length
        "ÿÿÿÿ",  # non-ASCII
        "sha256=" + "0" * 64,  # a hex digest in another provider's format
    ],
    ids=["garbage", "symbols", "wrong-length", "non-ascii", "hex-format"],
)
def test_given_a_malformed_header_when_verified_then_it_is_rejected_without_raising(header: str) -> None:
    assert verify_hmac_base64(SECRET, BODY, header) is False


def test_given_an_empty_secret_when_verified_then_even_a_matching_signature_is_rejected() -> None:
    header = sign_base64(b"", BODY)

    assert verify_hmac_base64(b"", BODY, header) is False


def test_given_the_source_names_then_each_has_its_signature_header() -> None:
    assert SIGNATURE_HEADERS == {
        "shopify": "X-Shopify-Hmac-Sha256",
        "woocommerce": "X-WC-Webhook-Signature",
        "generic": "X-Nurture-Signature",
    }


def test_given_a_fresh_interpreter_when_signatures_is_imported_then_pydantic_is_not_loaded() -> None:
    probe = "import sys, nurture.capture.signatures; print('pydantic' in sys.modules)"

    # A fresh interpreter: this one has long imported pydantic. Fixed argv, no shell.
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603

    assert result.stdout.strip() == "False"

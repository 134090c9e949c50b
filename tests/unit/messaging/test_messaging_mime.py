"""The raw MIME message: headers of RFC 5322 and RFC 8058, both parts in UTF-8, parseable back."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from nurture.messaging.mime import ONE_CLICK, address_domain, build_message

URL = "https://example.com/unsubscribe?token=v1." + "A" * 120 + "." + "B" * 43
DATE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def build(**overrides: object) -> bytes:
    values: dict[str, object] = {
        "sender": "Acmé Outfitters <hello@acme.example>",
        "recipient": "zoe@example.org",
        "subject": "Welcome to Acmé, Zoë! Here is a subject long enough to need care in the header",
        "text": "Hi Zoë,\n\n" + "A long line of plain text. " * 20 + "\n",
        "html": "<p>Hi Zoë,</p>\n<p>" + "A long line of HTML. " * 20 + "</p>\n",
        "unsubscribe_url": URL,
        "date": DATE,
    }
    values.update(overrides)
    return build_message(**values)  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_headers() -> None:
    message = parse(build())
    assert message["From"] == "Acmé Outfitters <hello@acme.example>"
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == "Welcome to Acmé, Zoë! Here is a subject long enough to need care in the header"
    assert message["Date"] == "Sun, 01 Mar 2026 09:30:00 +0000"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@acme.example>")
    assert message["MIME-Version"] == "1.0"


def test_one_click_unsubscribe_headers_per_rfc_8058() -> None:
    raw = build()
    message = parse(raw)
    assert message["List-Unsubscribe"] == f"<{URL}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" == ONE_CLICK
    # The URI is written as is on one header line (never RFC 2047-encoded or folded inside).
    assert f"\r\nList-Unsubscribe: <{URL}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_multipart_alternative_text_then_html_in_utf8() -> None:
    message = parse(build())
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts[0].get_content().startswith("Hi Zoë,")
    assert "<p>Hi Zoë,</p>" in parts[1].get_content()


def test_the_message_is_7bit_with_crlf_and_no_line_over_998() -> None:
    raw = build()
    raw.decode("ascii")  # nothing 8-bit: safe through any relay
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 998
    body_start = lines.index(b"")
    assert max(len(line) for line in lines[body_start:]) <= 78


def test_a_given_message_id_is_used() -> None:
    assert parse(build(message_id="<fixed@acme.example>"))["Message-ID"] == "<fixed@acme.example>"


def test_extra_headers_may_not_override_ours() -> None:
    assert parse(build(headers={"X-Campaign": "welcome"}))["X-Campaign"] == "welcome"
    with pytest.raises(ValueError, match="set by build_message"):
        build(headers={"list-unsubscribe": "<https://evil.example>"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Hello\r\nBcc: victim@example.com"),
        ("recipient", "zoe@example.org\r\nBcc: victim@example.com"),
        ("recipient", "not an address"),
        ("unsubscribe_url", "http://example.com/u?token=x"),
        ("unsubscribe_url", "https://example.com/u?token=" + "x" * 1000),
        ("unsubscribe_url", "https://example.com/u?a=b, <mailto:x@y>"),
        ("date", datetime(2026, 3, 1)),  # noqa: DTZ001 - the point of the test
    ],
)
def test_header_injection_and_bad_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any of the stdlib's ValueErrors will do
        build(**{field: value})


def test_address_domain() -> None:
    assert address_domain("Acme <hello@acme.example>") == "acme.example"
    assert address_domain("hello@acme.example") == "acme.example"
    with pytest.raises(ValueError, match="not an email address"):
        address_domain("nobody")


def test_non_ascii_header_text_is_rfc_2047_encoded_words_of_at_most_75_characters() -> None:
    raw = build(headers={"X-Campaign": "Été " * 30})
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")

    words = [word for word in head.replace("\r\n ", " ").split() if word.startswith("=?")]
    assert words, "the subject and the extra header should be encoded words"
    assert max(len(word) for word in words) <= 75
    assert parse(raw)["X-Campaign"].strip() == ("Été " * 30).strip()


def test_mime_version_is_said_once_on_the_message() -> None:
    assert build().count(b"MIME-Version:") == 1


@pytest.mark.parametrize("recipient", ["a\x00b@c.co", "\u202eadmin@evil.co", "a,b@c.co", "\uff41@\uff42.co"])
def test_given_an_unusable_recipient_when_built_then_the_error_does_not_quote_the_address(recipient: str) -> None:
    # The message becomes a Step Functions task failure's cause: it must carry no personal data.
    with pytest.raises(ValueError, match="the recipient is not a usable email address") as raised:
        build(recipient=recipient)

    assert recipient not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__

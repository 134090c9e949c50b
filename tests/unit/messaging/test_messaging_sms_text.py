"""SMS text: encoding, septets / code units and segments at every boundary (nurture.messaging.sms_text)."""

from __future__ import annotations

import pytest

from nurture.messaging.sms_text import GSM_BASIC, GSM_EXTENSION, SmsText, has_opt_out, measure

EURO = "€"  # GSM-7 extension table: two septets
SMILE = "\U0001f600"  # beyond the BMP: a surrogate pair, two UTF-16 code units
E_ACUTE_UCS2 = "ê"  # not in the GSM alphabet (é is, ê is not): forces UCS-2


@pytest.mark.parametrize(
    ("body", "encoding", "characters", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a", "GSM-7", 1, 1),
        # GSM-7: 160 in one, then 153 per segment
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("a" * 459, "GSM-7", 459, 3),
        ("a" * 460, "GSM-7", 460, 4),
        # extension characters count two septets
        (EURO * 80, "GSM-7", 160, 1),
        ("a" + EURO * 80, "GSM-7", 161, 2),
        ("a" * 158 + "{}", "GSM-7", 162, 2),
        ("a" * 158 + "^", "GSM-7", 160, 1),
        # an extension character is never split: at septet 153 it starts the next segment
        ("a" * 152 + EURO + "a" * 151, "GSM-7", 305, 2),  # the euro opens segment 2, which it fills to 153
        ("a" * 152 + EURO + "a" * 152, "GSM-7", 306, 3),  # ceil(306 / 153) = 2, but the euro moved
        ("a" * 153 + EURO + "a" * 151, "GSM-7", 306, 2),  # the euro opens segment 2 cleanly
        ("a" * 305 + "|", "GSM-7", 307, 3),
        # the basic set's non-ASCII characters are one septet each
        ("Ça coûte 5£ à Åsa", "UCS-2", 17, 1),  # û is not GSM
        ("Ça va? 5£ à Åsa, ΔΦΓΛΩΠΨΣΘΞ ¡¿ §¤ ß", "GSM-7", 35, 1),
        ("line\nbreak\r\n", "GSM-7", 12, 1),
        ("form\ffeed", "GSM-7", 10, 1),
        # UCS-2: 70 in one, then 67 per segment
        (E_ACUTE_UCS2 * 70, "UCS-2", 70, 1),
        (E_ACUTE_UCS2 * 71, "UCS-2", 71, 2),
        (E_ACUTE_UCS2 * 134, "UCS-2", 134, 2),
        (E_ACUTE_UCS2 * 135, "UCS-2", 135, 3),
        ("Привет" * 20, "UCS-2", 120, 2),
        ("你好" * 35, "UCS-2", 70, 1),
        # one character outside the alphabet makes the whole text UCS-2
        ("a" * 69 + E_ACUTE_UCS2, "UCS-2", 70, 1),
        ("a" * 70 + E_ACUTE_UCS2, "UCS-2", 71, 2),
        ("a" * 159 + "ç", "UCS-2", 160, 3),  # the small c-cedilla is not counted as GSM
        # emoji: two code units each, never split across segments
        (SMILE * 35, "UCS-2", 70, 1),
        (SMILE * 35 + "a", "UCS-2", 71, 2),
        ("a" * 66 + SMILE + "a" * 65, "UCS-2", 133, 2),  # 66 | 2 + 65
        ("a" * 66 + SMILE + "a" * 66, "UCS-2", 134, 3),  # ceil(134 / 67) = 2, but the emoji moved
        ("a" * 65 + SMILE + "a" * 67, "UCS-2", 134, 2),  # 67 | 67
        ("Hi Ada " + SMILE + " 20% off with code {SPRING} " + EURO, "UCS-2", 38, 1),
    ],
)
def test_encoding_characters_and_segments(body: str, encoding: str, characters: int, segments: int) -> None:
    assert measure(body) == SmsText(body, encoding, segments, characters)  # type: ignore[arg-type]


def test_the_gsm_tables_have_their_published_sizes() -> None:
    # 128 codes in the basic set, one of them the escape to the extension table; 10 in the extension
    assert len(GSM_BASIC) == 127
    assert len(GSM_EXTENSION) == 10
    assert not GSM_BASIC & GSM_EXTENSION
    assert "\x1b" not in GSM_BASIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme: 20% off today.\n\nReply STOP to opt out.", True),
        ("Text STOP to unsubscribe", True),
        ("STOP", True),
        ("Acme: 20% off today.", False),
        ("Don't stop believing", False),  # the keyword is written in capitals
        ("NONSTOP deals", False),
        ("STOPALL", False),
    ],
)
def test_has_opt_out(text: str, expected: bool) -> None:
    assert has_opt_out(text) is expected
    assert has_opt_out(measure(text)) is expected

"""An SMS body's encoding and segment count (pure).

A text made only of the GSM 03.38 default alphabet (3GPP TS 23.038: the basic character set plus
the extension table, whose characters take an escape septet and so count two) goes as GSM-7: one
segment of up to 160 septets, else segments of 153 (7 septets carry the concatenation header).
Anything else goes as UCS-2: one segment of up to 70 UTF-16 code units, else segments of 67. A
segment never ends inside an extension character's two septets nor inside a surrogate pair (an
emoji): such a character starts the next segment, which can make one more segment than
``ceil(n / 153)`` or ``ceil(n / 67)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The basic character set, in code order 0x00-0x7F (0x1B, the escape to the extension table, is not
# a character). 0x09 is the capital C-cedilla of the ETSI table; Unicode's mapping reads it as the
# small one: "ç" is counted as UCS-2, which may over-count, never under-count.
GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: escape septet + code, two septets each (form feed, ^ { } \ [ ~ ] | €).
GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

GSM_SINGLE: Final = 160
GSM_CONCATENATED: Final = 153
UCS2_SINGLE: Final = 70
UCS2_CONCATENATED: Final = 67

# The keyword in capitals, as a word: "Reply STOP to opt out.", "Text STOP to unsubscribe".
_OPT_OUT = re.compile(r"\bSTOP\b")


@dataclass(frozen=True, slots=True)
class SmsText:
    body: str
    encoding: Encoding
    segments: int
    characters: int  # septets for GSM-7 (an extension character counts 2), UTF-16 code units for UCS-2


def _gsm_width(character: str) -> int | None:
    if character in GSM_BASIC:
        return 1
    if character in GSM_EXTENSION:
        return 2
    return None


def _ucs2_width(character: str) -> int:
    return 2 if ord(character) > 0xFFFF else 1  # a surrogate pair beyond the BMP


def _segments(widths: list[int], single: int, concatenated: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for width in widths:
        if used + width > concatenated:  # a two-unit character never straddles two segments
            segments, used = segments + 1, 0
        used += width
    return segments


def measure(body: str) -> SmsText:
    """The encoding the body needs, its length in that encoding, and how many segments it takes."""
    gsm = [_gsm_width(character) for character in body]
    if all(width is not None for width in gsm):
        septets = [width for width in gsm if width is not None]
        return SmsText(body, "GSM-7", _segments(septets, GSM_SINGLE, GSM_CONCATENATED), sum(septets))
    units = [_ucs2_width(character) for character in body]
    return SmsText(body, "UCS-2", _segments(units, UCS2_SINGLE, UCS2_CONCATENATED), sum(units))


def has_opt_out(text: str | SmsText) -> bool:
    """Whether the text tells the recipient how to opt out (the keyword STOP, in capitals, as a
    word): a marketing SMS without it must not go."""
    body = text.body if isinstance(text, SmsText) else text
    return _OPT_OUT.search(body) is not None

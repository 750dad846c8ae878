"""Masking of personal data (身份证号、手机号、姓名) for display and for public pages.

Masks keep the length of the input and replace hidden characters with ``*``; they never reveal
more than the documented kept characters. Standard library only.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ID_NUMBER_PATTERN",
    "LANDLINE_PATTERN",
    "MOBILE_PATTERN",
    "MASK_CHAR",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "scrub_personal_data",
]

MASK_CHAR: Final = "*"

# An 18-character 居民身份证号 as it may appear in free text: 6-digit region, birth date
# 18xx/19xx/20xx-MM-DD (structurally plausible, not calendar-checked), 3-digit sequence, check
# digit or X/x. Not glued to other ASCII letters/digits, so longer numbers, 定点医药机构编码 and
# typical 统一社会信用代码 are not taken for ID numbers. The check digit is deliberately NOT verified:
# a mistyped ID number is still personal data.
ID_NUMBER_PATTERN: Final = re.compile(
    r"(?<![0-9A-Za-z])"
    r"[1-9][0-9]{5}"
    r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"[0-9]{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)

# A mainland mobile number 1[3-9]x xxxx xxxx, optionally written with ``-`` or a space after the
# 3rd and 7th digits and optionally prefixed by +86 / 0086 / 86. Not glued to other ASCII
# letters/digits (so the 11 digits inside H14068100012 are not a phone number). The number itself
# is group ``number``.
MOBILE_PATTERN: Final = re.compile(
    r"(?<![0-9A-Za-z+])"
    r"(?:(?:\+|00)?86[- ]?)?"
    r"(?P<number>1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4})"
    r"(?![0-9A-Za-z])"
)

# A fixed-line number: area code 0xx / 0xxx (optionally in brackets) then a 7-8 digit subscriber
# number, written with ``-``, a space, brackets or nothing between them, optionally followed by an
# extension (``-123`` / ``转123``). Not glued to other ASCII letters/digits. Groups ``area`` and
# ``subscriber``.
LANDLINE_PATTERN: Final = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:\(|（)?(?P<area>0[1-9][0-9]{1,2})(?:\)|）)?[- ]?"
    r"(?P<subscriber>[2-9][0-9]{6,7})"
    r"(?:(?:-|转)[0-9]{1,5})?"
    r"(?![0-9A-Za-z])"
)


def _keep(text: str, head: int, tail: int) -> str:
    hidden = len(text) - head - tail
    return text[:head] + MASK_CHAR * hidden + (text[len(text) - tail :] if tail else "")


def mask_id_number(value: str) -> str:
    """Keep the first 6 and last 4 characters: ``11010519491231002X`` → ``110105********002X``.

    Surrounding whitespace is stripped and a trailing ``x`` upper-cased. Values of 10 characters or fewer are
    masked entirely; no validation is done (invalid input is masked, never echoed).
    """
    text = value.strip()
    if text.endswith("x"):
        text = text[:-1] + "X"
    if len(text) <= 10:
        return MASK_CHAR * len(text)
    return _keep(text, 6, 4)


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 characters of numbers of 11+ characters: ``13912345678`` →
    ``139****5678``; 8-10 characters keep only the last 4; shorter values are masked entirely."""
    text = value.strip()
    if len(text) >= 11:
        return _keep(text, 3, 4)
    if len(text) >= 8:
        return _keep(text, 0, 4)
    return MASK_CHAR * len(text)


def mask_name(value: str) -> str:
    """Keep the first character (the surname): ``张三丰`` → ``张**``; a 1-character name → ``*``."""
    text = value.strip()
    if len(text) <= 1:
        return MASK_CHAR * len(text)
    return _keep(text, 1, 0)


def _mask_mobile_match(match: re.Match[str]) -> str:
    """Hide the 4th-7th digits of the matched number, keeping prefix and separators."""
    out: list[str] = []
    seen = 0
    for ch in match.group("number"):
        if ch.isdigit():
            seen += 1
            out.append(MASK_CHAR if 4 <= seen <= 7 else ch)
        else:
            out.append(ch)
    return match.group(0)[: match.start("number") - match.start(0)] + "".join(out)


def _mask_landline_match(match: re.Match[str]) -> str:
    """Keep the area code and the last 2 digits of the subscriber number: ``0356-42****34``."""
    sub = match.group("subscriber")
    return match.group(0)[: match.start("subscriber") - match.start(0)] + _keep(sub, 2, 2)


def scrub_personal_data(text: str) -> str:
    """Mask every ID-number-looking token (:data:`ID_NUMBER_PATTERN`), mobile number
    (:data:`MOBILE_PATTERN`) and fixed-line number (:data:`LANDLINE_PATTERN`) in free text, e.g.
    before it is shown on a public page (an extension is dropped with the number it belongs to).

    Afterwards none of the patterns matches the result.
    """
    scrubbed = ID_NUMBER_PATTERN.sub(lambda m: mask_id_number(m.group(0)), text)
    scrubbed = MOBILE_PATTERN.sub(_mask_mobile_match, scrubbed)
    return LANDLINE_PATTERN.sub(_mask_landline_match, scrubbed)

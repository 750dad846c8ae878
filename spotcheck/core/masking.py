"""Masking of personal data (身份证号、手机号、姓名) for display and for public pages.

Masks keep the length of the input and replace hidden characters with ``*``; they never reveal
more than the documented kept characters. Standard library only.

Numbers typed with a Chinese input method in full-width mode (``１３８１２３４５６７８``, ``１４０５…Ｘ``,
``０３５１－１２３４５６７``) are found too: :func:`fold_fullwidth` maps full-width digits, letters, hyphen and the
ideographic space to ASCII one character for one, the patterns below run on the folded text, and the masks are put
back at the same positions of the original (see :func:`scrub_personal_data`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = [
    "FULLWIDTH_TO_ASCII",
    "ID_NUMBER_PATTERN",
    "LANDLINE_PATTERN",
    "MOBILE_PATTERN",
    "MASK_CHAR",
    "fold_fullwidth",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "scrub_id_numbers",
    "scrub_personal_data",
]

MASK_CHAR: Final = "*"

#: ``str.translate`` table: full-width digits ０-９ (U+FF10-FF19), letters Ａ-Ｚ/ａ-ｚ (U+FF21-FF3A, U+FF41-FF5A) and
#: hyphen ``－`` (U+FF0D) → their ASCII forms, the ideographic space (U+3000) → a space. One character for one, so
#: positions in the folded text are positions in the original.
FULLWIDTH_TO_ASCII: Final[dict[int, int]] = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
    0xFF0D: ord("-"),
    0xFF0E: ord("."),
    0xFF0B: ord("+"),
    0x3000: ord(" "),
}


def fold_fullwidth(text: str) -> str:
    """``text`` with :data:`FULLWIDTH_TO_ASCII` applied (same length): ``１３８－１２３４`` → ``138-1234``."""
    return text.translate(FULLWIDTH_TO_ASCII)


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

# Separators between the groups of a phone number (in folded text, so ``－`` and U+3000 are ``-`` and a space):
# a hyphen, a space, or an em dash ``—`` (U+2014; ``——`` as Chinese input methods type it).
_SEP = r"(?:[- ]|\u2014{1,2})"

# A mainland mobile number 1[3-9]x xxxx xxxx, optionally written with a separator (``-``, a space,
# ``—``) after the 3rd and 7th digits, or with ``.`` in both places (138.1234.5678; not inside a longer
# dotted run such as 1.138.1234.5678), and optionally prefixed by +86 / 0086 / 86. Not glued to other
# ASCII letters/digits (so the 11 digits inside H14068100012 are not a phone number). The number
# itself is group ``number``. Meant for folded text (:func:`fold_fullwidth`).
MOBILE_PATTERN: Final = re.compile(
    r"(?<![0-9A-Za-z+])"
    rf"(?:(?:\+|00)?86{_SEP}?)?"
    r"(?P<number>"
    rf"1[3-9][0-9]{_SEP}?[0-9]{{4}}{_SEP}?[0-9]{{4}}"
    r"|(?<![0-9]\.)1[3-9][0-9]\.[0-9]{4}\.[0-9]{4}(?!\.[0-9])"
    r")"
    r"(?![0-9A-Za-z])"
)

# A fixed-line number: area code 0xx / 0xxx (optionally in brackets) then a 7-8 digit subscriber
# number, written with ``-``, a space, ``—``, ``.``, brackets or nothing between them, optionally
# followed by an extension (``-123`` / ``—123`` / ``转123``). The subscriber number starts with 2-9, or
# with 1 when a separator or bracket sets it off (``0351-1234567``). Not glued to other ASCII
# letters/digits. Groups ``area`` and ``subscriber``. Meant for folded text (:func:`fold_fullwidth`).
LANDLINE_PATTERN: Final = re.compile(
    r"(?<![0-9A-Za-z])"
    rf"(?:\(|（)?(?P<area>0[1-9][0-9]{{1,2}})(?:\)|）)?(?:{_SEP}|\.)?"
    r"(?P<subscriber>(?:(?<=[-. \u2014)）])[1-9]|[2-9])[0-9]{6,7})"
    r"(?:(?:-|\u2014|转)[0-9]{1,5})?"
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


def _sub(
    pattern: re.Pattern[str], mask: Callable[[re.Match[str]], str], original: str, folded: str
) -> tuple[str, str]:
    """Replace every match of ``pattern`` in ``folded`` by ``mask(match)``, and do the same in ``original``
    (whose :func:`fold_fullwidth` is ``folded``). Every mask is aligned with the start of its match (same
    length, or shorter when a trailing extension is dropped), so in ``original`` the characters the mask
    changed are taken from the mask and the others keep their original spelling."""
    if original == folded:
        masked = pattern.sub(mask, folded)
        return masked, masked
    out_original: list[str] = []
    out_folded: list[str] = []
    last = 0
    for match in pattern.finditer(folded):
        start, end = match.span()
        new = mask(match)
        out_original.append(original[last:start])
        out_folded.append(folded[last:start])
        kept = start + len(new)
        out_original.extend(
            n if n != f else o for o, f, n in zip(original[start:kept], folded[start:kept], new, strict=True)
        )
        out_folded.append(new)
        last = end
    out_original.append(original[last:])
    out_folded.append(folded[last:])
    return "".join(out_original), "".join(out_folded)


def _mask_id_match(match: re.Match[str]) -> str:
    return mask_id_number(match.group(0))


def scrub_id_numbers(text: str) -> str:
    """Mask only the ID-number-looking tokens (:data:`ID_NUMBER_PATTERN`) of ``text``, full-width ones
    included, as :func:`scrub_personal_data` does (for text whose other digit runs are known codes)."""
    return _sub(ID_NUMBER_PATTERN, _mask_id_match, text, fold_fullwidth(text))[0]


def scrub_personal_data(text: str) -> str:
    """Mask every ID-number-looking token (:data:`ID_NUMBER_PATTERN`), mobile number
    (:data:`MOBILE_PATTERN`) and fixed-line number (:data:`LANDLINE_PATTERN`) in free text, e.g.
    before it is shown on a public page (an extension is dropped with the number it belongs to).

    Full-width spellings are found as well: the patterns run on :func:`fold_fullwidth` of ``text``,
    and the result is the ORIGINAL text with ``*`` (ASCII) at the hidden positions. Characters that
    stay visible keep their original (full-width) spelling, so ``电话１３８１２３４５６７８`` →
    ``电话１３８****５６７８``; the only other changes are an ID number's check digit ``x``/``ｘ`` → ``X``
    and a dropped extension.

    Afterwards none of the patterns matches the folded result, and scrubbing again changes nothing.
    """
    original, folded = text, fold_fullwidth(text)
    original, folded = _sub(ID_NUMBER_PATTERN, _mask_id_match, original, folded)
    original, folded = _sub(MOBILE_PATTERN, _mask_mobile_match, original, folded)
    return _sub(LANDLINE_PATTERN, _mask_landline_match, original, folded)[0]

"""Check ratios as exact fractions: "3%", "不低于 3%", "3.5" → ``(num, den)`` with no floats.

A ratio is stored as numerator/denominator over ``100 × 10^d`` where ``d`` is the number of decimal
places written, so "3%" is 3/100 and "3.5%" is 35/1000 (the text the bureau wrote stays readable).
"不低于" (at least) marks the ratio as a minimum; the number itself is the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Words that mark a ratio as a floor ("不低于 3%").
_MINIMUM_WORDS = ("不低于", "不少于", "至少", "≥", ">=")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


@dataclass(frozen=True)
class Ratio:
    num: int
    den: int
    minimum: bool = False


class RatioError(ValueError):
    """The text is not a ratio; ``str(exc)`` is a Chinese message for the user."""


def parse_percent(text: str) -> tuple[int, int]:
    """A percentage number ("5", "3.5", "5%") → exact ``(num, den)``; 0 < value ≤ 100."""
    value = str(text or "").translate(_FULLWIDTH).strip().removesuffix("%").strip()
    if not _NUMBER.match(value):
        raise RatioError(f"比例“{text}”不是有效的百分数，应填写如 5 或 3.5")
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regular expression already rules this out
        raise RatioError(f"比例“{text}”不是有效的百分数")
    number = number.normalize()  # "3.50" → 3.5, "100" → 1E+2
    places = max(0, -int(number.as_tuple().exponent))
    den = 100 * 10**places
    num = int(number * 10**places)
    if num <= 0 or num > den:
        raise RatioError(f"比例“{text}”应大于 0 且不超过 100%")
    return num, den


def parse_ratio(text: str) -> Ratio:
    """An item list's 检查比例 ("3%", "不低于 3%", "不低于3%") → :class:`Ratio`.

    The percent sign is required so that a stray number in a spreadsheet is not read as a ratio.
    """
    raw = str(text or "").translate(_FULLWIDTH).strip()
    body = raw.replace(" ", "").replace("\u3000", "")
    minimum = False
    for word in _MINIMUM_WORDS:
        if body.startswith(word):
            minimum, body = True, body[len(word):]
            break
    if not body.endswith("%"):
        raise RatioError(f"检查比例“{text}”无法识别，应写成如“3%”或“不低于3%”")
    try:
        num, den = parse_percent(body)
    except RatioError:
        raise RatioError(f"检查比例“{text}”无法识别，应写成如“3%”或“不低于3%”")
    return Ratio(num, den, minimum)


def is_minimum(text: str) -> bool:
    """True when the ratio text says the ratio is a floor ("不低于 3%")."""
    body = str(text or "").replace(" ", "").replace("\u3000", "")
    return body.startswith(_MINIMUM_WORDS)


def format_percent(num: int | None, den: int | None) -> str:
    """``(35, 1000)`` → "3.5"; ``(3, 100)`` → "3"; empty when there is no ratio."""
    if num is None or not den:
        return ""
    return format((Decimal(num) * 100 / Decimal(den)).normalize(), "f")

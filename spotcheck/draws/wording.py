"""How strata, ratios and rounding rules read for people (pages, the draw record, error texts).

The SC-DRAW-1 input keeps its technical forms — stratum ids such as ``"140522|H|中等"``, ratios
``[p, q]``, rounding ``"ceil"`` — and they stay byte-for-byte in the package and the commitment.
Everything a person reads goes through this module (and its template filters in ``draws_tags``):

- :func:`stratum_label` ``"140522|H|中等"`` → ``"阳城县 · 医疗机构 · 中等"``;
- :func:`ratio_percent` ``[1, 20]`` → ``"5%"``, ``[1, 3]`` → ``"约 33.3%"`` (one decimal at most;
  ``约`` when the value is not exact at one decimal);
- :func:`rounding_label` ``"ceil"`` → ``"向上取整"``;
- :func:`draw_error_text` an SC-DRAW-1 error in words, without ``events[0]`` paths and stratum ids.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from spotcheck.core import draw as core
from spotcheck.core.codes import FIXMEDINS_KINDS
from spotcheck.core.regions import builtin_region_name
from spotcheck.directory.models import Institution, InstitutionCategory, InstitutionLevel, Region

#: SC-DRAW-1 rounding rules (``core.draw.ROUNDINGS``) in words.
ROUNDING_LABELS = {"ceil": "向上取整", "floor": "向下取整", "half_up": "四舍五入"}
#: Joins the dimensions of a stratum in its label.
SEPARATOR = " · "
#: The one stratum of a draw without strata dimensions (``pool.SINGLE_STRATUM``).
SINGLE_STRATUM_LABEL = "全部机构"

_CATEGORIES = dict(InstitutionCategory.choices)
_LEVELS = dict(InstitutionLevel.choices)
_REGION_CODE = re.compile(r"\d{6}")
_EVENT_PATH = re.compile(r"events\[\d+\][：:.]?\s*")
_TENTH = Decimal("0.1")

# Region names of the Region table, loaded once per request on the first code the built-in table
# does not know (one query however many strata), per thread; cleared when a request starts and when
# a region is saved or deleted (connected in ``DrawsConfig.ready``).
_local = threading.local()


def clear_region_cache(**_kwargs: Any) -> None:
    _local.names = None


def region_name(code: str) -> str:
    """The name of a region code: the built-in table, else the Region table, else the code itself."""
    name = builtin_region_name(code)
    if name:
        return name
    names = getattr(_local, "names", None)
    if names is None:
        names = _local.names = dict(Region.objects.values_list("code", "name"))
    return names.get(code, code)


def _part(value: str) -> str:
    if _REGION_CODE.fullmatch(value):
        return region_name(value)
    if value in FIXMEDINS_KINDS:
        return FIXMEDINS_KINDS[value]
    if value in _CATEGORIES:
        return _CATEGORIES[value]
    if value in _LEVELS:
        return _LEVELS[value]
    return value  # credit grades and 未评级 are words already


def stratum_label(key: str) -> str:
    """``"140522|H|中等"`` → ``"阳城县 · 医疗机构 · 中等"``.

    Each dimension is recognised by its value (``draw.strata_dimensions``: region code, kind H/P,
    category, level, credit grade), so older draws with other dimensions read as well.
    """
    text = str(key)
    if text in ("", "全部"):
        return SINGLE_STRATUM_LABEL
    return SEPARATOR.join(_part(value) for value in text.split("|"))


def ratio_percent(ratio: Sequence[int] | Fraction) -> str:
    """``[1, 20]`` → ``"5%"``, ``[3, 200]`` → ``"1.5%"``, ``[1, 3]`` → ``"约 33.3%"``.

    One decimal at most; ``约`` marks a rounded value, ``不足 0.1%`` a positive one that rounds to 0.
    """
    value = ratio if isinstance(ratio, Fraction) else Fraction(int(ratio[0]), int(ratio[1]))
    hundred = value * 100
    exact = Decimal(hundred.numerator) / Decimal(hundred.denominator)
    shown = exact.quantize(_TENTH, rounding=ROUND_HALF_UP)
    text = format(shown.normalize(), "f") if shown else "0"
    if Fraction(shown) == hundred:
        return f"{text}%"
    if not shown:
        return "不足 0.1%"
    return f"约 {text}%"


def rounding_label(value: str) -> str:
    """``"ceil"`` → ``"向上取整"`` (an unknown value is returned as it is)."""
    return ROUNDING_LABELS.get(value, value)


def draw_error_text(exc: core.DrawError) -> str:
    """An SC-DRAW-1 error for people: the stratum named in words, no ``events[i]`` input paths."""
    if exc.code == "reserve_exhausted" and "stratum" in exc.details:
        unit = str(exc.details.get("unit", ""))
        name = Institution.objects.filter(fixmedins_code=unit).values_list("name", flat=True).first()
        unit = f"{name}（{unit}）" if name else unit
        return (f"“{stratum_label(exc.details['stratum'])}”这一层的候补名单已经用完，"
                f"无法替换检查对象 {unit}")
    return _EVENT_PATH.sub("", exc.message)

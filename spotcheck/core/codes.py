"""Validation and generation of the identifier codes SpotCheck handles.

* 统一社会信用代码 (USCC, GB 32100-2015) - institutions and other legal persons;
* 居民身份证号 (GB 11643-1999) - individuals;
* 定点医药机构编码 - ``H``/``P`` + 6-digit 行政区划 + 5-digit sequence;
* 行政区划代码 (GB/T 2260) - 6 digits, province ``xx0000`` / city ``xxxx00`` / county;
* 联系电话 - mainland mobile numbers and fixed-line numbers with their area code (:func:`validate_phone`).

Every ``validate_*`` function returns the normalised code (surrounding whitespace stripped,
upper-cased) or raises :class:`CodeError` whose ``message`` explains the problem in Simplified
Chinese, fit to be shown to end users. Messages about 身份证号 never echo the number itself.

Pure Python, standard library only (no Django), so it can be used from models, forms, importers,
the API and the demo-data generator alike.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, Literal

from .masking import fold_fullwidth

__all__ = [
    "FIXMEDINS_KINDS",
    "ID_CHECK_CHARS",
    "ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "CodeError",
    "RegionLevel",
    "fixmedins_kind",
    "fixmedins_kind_label",
    "fixmedins_region",
    "id_birth_date",
    "id_check_char",
    "id_gender",
    "id_region",
    "make_fixmedins_code",
    "make_id_number",
    "make_uscc",
    "normalise_fixmedins_kind",
    "org_code_check_char",
    "region_contains",
    "region_level",
    "region_parent",
    "region_prefix",
    "uscc_check_char",
    "uscc_region",
    "validate_fixmedins_code",
    "validate_id_number",
    "validate_phone",
    "validate_region_code",
    "validate_uscc",
]


class CodeError(ValueError):
    """A code failed validation; ``message`` is a Simplified-Chinese explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: str = message


# --------------------------------------------------------------------------------------------
# helpers

_DIGITS: Final = "0123456789"


def _normalise(code: str, label: str) -> str:
    """Strip surrounding whitespace and upper-case; reject non-strings and empty input."""
    if not isinstance(code, str):
        raise CodeError(f"{label}必须是文本，实为 {type(code).__name__}")
    text = code.strip().upper()
    if not text:
        raise CodeError(f"{label}为空")
    return text


def _show(ch: str) -> str:
    """Render a single character for a message (make whitespace/control characters visible)."""
    return ch if ch.isprintable() and not ch.isspace() else repr(ch)


# --------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE: Final = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_LABEL: Final = "统一社会信用代码"
_USCC_BAD_CHAR: Final = "只能使用数字和除 I、O、S、V、Z 以外的大写英文字母"


def _check_uscc_chars(text: str) -> None:
    for pos, ch in enumerate(text, start=1):
        if ch not in _USCC_VALUE:
            raise CodeError(f"{_USCC_LABEL}第 {pos} 位字符“{_show(ch)}”不合法：{_USCC_BAD_CHAR}")


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) for the first 17 characters of a USCC.

    Case-insensitive; raises :class:`CodeError` unless given exactly 17 alphabet characters.
    """
    text = _normalise(first17, f"{_USCC_LABEL}前 17 位")
    if len(text) != 17:
        raise CodeError(f"计算{_USCC_LABEL}校验位需要前 17 位，实为 {len(text)} 位")
    _check_uscc_chars(text)
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(text, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Validate a USCC and return it normalised (stripped, upper-case).

    Raises :class:`CodeError` for a wrong length, an illegal character (1-based position named)
    or a wrong check character.
    """
    text = _normalise(code, _USCC_LABEL)
    if len(text) != 18:
        raise CodeError(f"{_USCC_LABEL} {text} 应为 18 位，实为 {len(text)} 位")
    _check_uscc_chars(text)
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise CodeError(f"{_USCC_LABEL}校验位错误：应为 {expected}，实为 {text[17]}")
    return text


def uscc_region(code: str) -> str:
    """Registration-authority region of a valid USCC: positions 3-8 (6 characters)."""
    return validate_uscc(code)[2:8]


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation-code check character for 8 digits/upper-case letters.

    Weights 3,7,9,10,5,8,4,2 on values 0-9 / A=10..Z=35; ``11 - Σ mod 11`` with 10 → ``X``, 11 → ``0``.
    """
    text = _normalise(first8, "组织机构代码前 8 位")
    if len(text) != 8:
        raise CodeError(f"计算组织机构代码校验位需要前 8 位，实为 {len(text)} 位")
    total = 0
    for pos, (ch, weight) in enumerate(zip(text, (3, 7, 9, 10, 5, 8, 4, 2), strict=True), start=1):
        if not ("0" <= ch <= "9" or "A" <= ch <= "Z"):
            raise CodeError(f"组织机构代码第 {pos} 位字符“{_show(ch)}”不合法：只能使用数字和大写英文字母")
        total += int(ch, 36) * weight
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


# --------------------------------------------------------------------------------------------
# 居民身份证号 (GB 11643-1999)

ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS: Final = "10X98765432"
_ID_LABEL: Final = "身份证号"
_ID_MIN_YEAR: Final = 1800


def _check_id_digits(text: str) -> None:
    for pos, ch in enumerate(text[:17], start=1):
        if ch not in _DIGITS:
            raise CodeError(f"{_ID_LABEL}第 {pos} 位字符“{_show(ch)}”不合法：前 17 位必须是数字")


def id_check_char(first17: str) -> str:
    """Check character (``0``-``9`` or ``X``) for the first 17 digits of an ID number."""
    text = _normalise(first17, f"{_ID_LABEL}前 17 位")
    if len(text) != 17:
        raise CodeError(f"计算{_ID_LABEL}校验位需要前 17 位，实为 {len(text)} 位")
    _check_id_digits(text)
    total = sum(int(ch) * w for ch, w in zip(text, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def validate_id_number(code: str, today: date | None = None) -> str:
    """Validate an 18-character ID number and return it normalised (stripped, ``x`` → ``X``).

    Checks, in order: length, characters (17 digits + digit/``X``), the birth date at digits 7-14
    (a real date, year ≥ 1800, not after ``today`` which defaults to ``date.today()``) and the
    check character. An unknown region (digits 1-6) is not an error.
    """
    text = _normalise(code, _ID_LABEL)
    if len(text) != 18:
        raise CodeError(f"{_ID_LABEL}应为 18 位，实为 {len(text)} 位")
    _check_id_digits(text)
    if text[17] not in ID_CHECK_CHARS:
        raise CodeError(f"{_ID_LABEL}第 18 位（校验位）字符“{_show(text[17])}”不合法：只能是数字或 X")
    raw_birth = text[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise CodeError(f"{_ID_LABEL}出生日期 {raw_birth} 不是有效日期")
    if birth.year < _ID_MIN_YEAR:
        raise CodeError(f"{_ID_LABEL}出生日期 {raw_birth} 早于 {_ID_MIN_YEAR} 年，不是有效日期")
    reference = today if today is not None else date.today()
    if birth > reference:
        raise CodeError(f"{_ID_LABEL}出生日期 {raw_birth} 晚于当前日期 {reference:%Y%m%d}")
    expected = id_check_char(text[:17])
    if text[17] != expected:
        raise CodeError(f"{_ID_LABEL}校验位错误：应为 {expected}，实为 {text[17]}")
    return text


def id_gender(code: str) -> str:
    """``"男"`` if the 17th digit of a valid ID number is odd, else ``"女"``."""
    return "男" if int(validate_id_number(code)[16]) % 2 == 1 else "女"


def id_birth_date(code: str) -> date:
    """Birth date (digits 7-14) of a valid ID number."""
    text = validate_id_number(code)
    return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


def id_region(code: str) -> str:
    """The 6-digit region (digits 1-6) of a valid ID number; it may be unknown or obsolete."""
    return validate_id_number(code)[:6]


# --------------------------------------------------------------------------------------------
# 行政区划代码 (GB/T 2260)

RegionLevel = Literal["province", "city", "county"]
_REGION_LABEL: Final = "行政区划代码"


def validate_region_code(code: str) -> str:
    """Validate a 6-digit region code (not ``000000``, province part not ``00``); return it stripped."""
    text = _normalise(code, _REGION_LABEL)
    if len(text) != 6 or any(ch not in _DIGITS for ch in text):
        raise CodeError(f"{_REGION_LABEL} {text} 应为 6 位数字")
    if text == "000000":
        raise CodeError(f"{_REGION_LABEL}不能为 000000")
    if text[:2] == "00":
        raise CodeError(f"{_REGION_LABEL} {text} 的省级部分（前 2 位）不能为 00")
    return text


def region_level(code: str) -> RegionLevel:
    """``"province"`` for ``xx0000``, ``"city"`` for ``xxxx00``, otherwise ``"county"``."""
    text = validate_region_code(code)
    if text[2:] == "0000":
        return "province"
    if text[4:] == "00":
        return "city"
    return "county"


def region_parent(code: str) -> str | None:
    """Structural parent: county → ``xxxx00`` (but 省直辖县级 ``xx90xx`` → province), city → province,
    province → ``None``. Purely derived from the digits; the parent need not exist in any table."""
    text = validate_region_code(code)
    level = region_level(text)
    if level == "province":
        return None
    if level == "city" or text[2:4] in ("00", "90"):
        return text[:2] + "0000"
    return text[:4] + "00"


def region_prefix(code: str) -> str:
    """Prefix shared by every code inside the area: ``"14"`` (province), ``"1406"`` (city),
    ``"140681"`` (county)."""
    text = validate_region_code(code)
    level = region_level(text)
    return text[:2] if level == "province" else text[:4] if level == "city" else text


def region_contains(outer: str, inner: str) -> bool:
    """Whether area ``inner`` lies within (or equals) area ``outer``."""
    return validate_region_code(inner).startswith(region_prefix(outer))


# --------------------------------------------------------------------------------------------
# 定点医药机构编码

FIXMEDINS_KINDS: Final = {"H": "医疗机构", "P": "零售药店"}
_FIXMEDINS_LABEL: Final = "定点医药机构编码"
_FIXMEDINS_SHAPE: Final = "H 或 P + 6 位行政区划 + 5 位顺序号"


def normalise_fixmedins_kind(kind: str) -> Literal["H", "P"]:
    """Map ``"H"``/``"P"`` (any case) or ``"医疗机构"``/``"零售药店"`` to ``"H"``/``"P"``."""
    text = kind.strip().upper() if isinstance(kind, str) else ""
    if text in ("H", "医疗机构"):
        return "H"
    if text in ("P", "零售药店"):
        return "P"
    raise CodeError(f"机构类型“{kind}”不合法：应为 H（医疗机构）或 P（零售药店）")


def validate_fixmedins_code(code: str, region_code: str | None = None, kind: str | None = None) -> str:
    """Validate a 定点医药机构编码 (``^[HP]\\d{11}$``) and return it normalised.

    The embedded 6 digits must be a valid region code; when ``region_code`` is given they must
    equal it, and when ``kind`` (``H``/``P``/``医疗机构``/``零售药店``) is given the prefix must match.
    """
    text = _normalise(code, _FIXMEDINS_LABEL)
    if len(text) != 12:
        raise CodeError(f"{_FIXMEDINS_LABEL} {text} 应为 12 位：{_FIXMEDINS_SHAPE}")
    if text[0] not in FIXMEDINS_KINDS:
        raise CodeError(
            f"{_FIXMEDINS_LABEL} {text} 第 1 位应为 H（医疗机构）或 P（零售药店），实为“{_show(text[0])}”"
        )
    for pos, ch in enumerate(text[1:], start=2):
        if ch not in _DIGITS:
            raise CodeError(
                f"{_FIXMEDINS_LABEL} {text} 第 {pos} 位字符“{_show(ch)}”不合法：第 2–12 位必须是数字"
            )
    embedded = text[1:7]
    try:
        validate_region_code(embedded)
    except CodeError as exc:
        raise CodeError(f"{_FIXMEDINS_LABEL} {text} 中的行政区划无效：{exc.message}")
    if region_code is not None:
        expected_region = validate_region_code(region_code)
        if embedded != expected_region:
            raise CodeError(
                f"{_FIXMEDINS_LABEL} {text} 中的行政区划 {embedded} 与所属行政区划 {expected_region} 不一致"
            )
    if kind is not None:
        expected_kind = normalise_fixmedins_kind(kind)
        if text[0] != expected_kind:
            raise CodeError(
                f"{_FIXMEDINS_LABEL} {text} 以 {text[0]} 开头，表示{FIXMEDINS_KINDS[text[0]]}，"
                f"与机构类型“{FIXMEDINS_KINDS[expected_kind]}”不一致"
            )
    return text


def fixmedins_region(code: str) -> str:
    """The 6-digit region embedded in a valid 定点医药机构编码 (characters 2-7)."""
    return validate_fixmedins_code(code)[1:7]


def fixmedins_kind(code: str) -> Literal["H", "P"]:
    """``"H"`` (医疗机构) or ``"P"`` (零售药店) for a valid 定点医药机构编码."""
    return normalise_fixmedins_kind(validate_fixmedins_code(code)[0])


def fixmedins_kind_label(code: str) -> str:
    """``"医疗机构"`` or ``"零售药店"`` for a valid 定点医药机构编码."""
    return FIXMEDINS_KINDS[fixmedins_kind(code)]


# --------------------------------------------------------------------------------------------
# deterministic generators (demo data and tests)


def _check_range(name: str, value: int, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < upper:
        raise CodeError(f"{name} 应为 0–{upper - 1} 的整数，实为 {value!r}")


def make_uscc(region_code: str, serial: int, org_type: str = "12") -> str:
    """A valid USCC: ``org_type`` (登记管理部门 + 机构类别, e.g. ``"12"`` 事业单位, ``"52"`` 民办非企业单位,
    ``"91"`` 企业) + region + 8-digit ``serial`` (0 ≤ serial < 10⁸) + its GB 11714 check char + USCC check char.
    """
    region = validate_region_code(region_code)
    _check_range("serial", serial, 10**8)
    kind = _normalise(org_type, "登记管理部门和机构类别代码")
    if len(kind) != 2:
        raise CodeError(f"登记管理部门和机构类别代码应为 2 位，实为 {len(kind)} 位")
    _check_uscc_chars(kind)
    body = f"{serial:08d}"
    first17 = kind + region + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def make_id_number(region_code: str, birth: date, serial: int, male: bool) -> str:
    """A valid ID number: region + ``birth`` + 3-digit sequence ``2·serial + male`` (0 ≤ serial < 500,
    so the 17th digit is odd exactly for men) + check character. The birth date is not compared to
    today; ``validate_id_number`` rejects future dates unless given a later ``today``."""
    region = validate_region_code(region_code)
    _check_range("serial", serial, 500)
    if not isinstance(birth, date) or birth.year < _ID_MIN_YEAR:
        raise CodeError(f"出生日期 {birth!r} 不合法：应为 {_ID_MIN_YEAR} 年及以后的日期")
    first17 = f"{region}{birth:%Y%m%d}{2 * serial + (1 if male else 0):03d}"
    return first17 + id_check_char(first17)


def make_fixmedins_code(kind: str, region_code: str, seq: int) -> str:
    """A valid 定点医药机构编码: kind (``H``/``P`` or the Chinese label) + region + 5-digit ``seq``
    (0 ≤ seq < 100000)."""
    prefix = normalise_fixmedins_kind(kind)
    region = validate_region_code(region_code)
    _check_range("seq", seq, 100_000)
    return f"{prefix}{region}{seq:05d}"


# --------------------------------------------------------------------------------------------
# 联系电话

_PHONE_LABEL: Final = "联系电话"
#: Between numbers of one cell: 0356-4222000、13912345678.
_PHONE_LIST_SEP: Final = re.compile(r"\s*[、,，;；/]\s*")
#: Separators inside a number (after folding full-width forms): spaces, hyphens, dashes, dots, brackets.
_PHONE_INNER_SEP: Final = re.compile(r"[\s\-\u2010-\u2015\u2212.()（）]+")
_PHONE_CHARS: Final = re.compile(r"[0-9\s\-\u2010-\u2015\u2212.()（）+#转]+")
#: 1[3-9] and 9 more digits, optionally after +86 / 0086 / 86.
_MOBILE: Final = re.compile(r"(?:(?:\+|00)?86)?1[3-9][0-9]{9}")
_AREA_CODE: Final = re.compile(r"0[1-9][0-9]{1,2}")
#: A fixed-line number written without separators: area code, then 7-8 digits not starting with 0 or 1.
_LANDLINE_SOLID: Final = re.compile(r"0[1-9][0-9]{1,2}[2-9][0-9]{6,7}")
_SUBSCRIBER: Final = re.compile(r"[1-9][0-9]{6,7}")
_EXTENSION: Final = re.compile(r"[0-9]{1,5}")
#: 400 / 800 service numbers: 400-xxx-xxxx.
_SERVICE: Final = re.compile(r"[48]00[0-9]{7}")
_PHONE_SHAPES: Final = "手机号为 1 开头的 11 位数字（如 13912345678），固定电话须带区号（如 0356-4222000）"


def _is_landline(dashed: str) -> bool:
    """A fixed-line number with its area code; ``dashed`` has every separator turned into one ``-``.

    After the area code the groups are joined until the number has 7 digits (``010-8765-4321``); one group
    of 1-5 digits may follow as the extension (``0356-4222000-123``), or it follows ``转`` / ``#``."""
    main, marked, extension = re.sub(r"-?([转#])-?", "转", dashed).partition("转")
    if marked and not _EXTENSION.fullmatch(extension):
        return False
    groups = main.split("-")
    if len(groups) == 1:
        return bool(_LANDLINE_SOLID.fullmatch(main))
    if not _AREA_CODE.fullmatch(groups[0]):
        return False
    number, rest = "", groups[1:]
    while rest and len(number) < 7:
        number += rest.pop(0)
    if not _SUBSCRIBER.fullmatch(number):
        return False
    return not rest or (not extension and len(rest) == 1 and bool(_EXTENSION.fullmatch(rest[0])))


def _check_one_phone(text: str, label: str) -> None:
    if not _PHONE_CHARS.fullmatch(text):
        raise CodeError(f"{label}只能包含数字、空格、“-”和括号，不能有文字或字母；多个号码用“、”分隔")
    dashed = _PHONE_INNER_SEP.sub("-", text).strip("-")
    digits = re.sub(r"[^0-9]", "", text)
    if "+" in dashed and not dashed.startswith("+86"):
        raise CodeError(f"{label}格式不正确：仅支持中国大陆号码（+86）")
    if _MOBILE.fullmatch(re.sub(r"[^0-9+]", "", text)):
        return
    if _is_landline(dashed) or _SERVICE.fullmatch(digits):
        return
    if digits.startswith("1") and len(digits) != 11 and "-" not in dashed and not digits.startswith("10"):
        raise CodeError(f"{label}格式不正确：手机号应为 11 位数字，实为 {len(digits)} 位")
    if len(digits) in (7, 8) and digits[0] in "23456789":
        raise CodeError(f"{label}格式不正确：固定电话须带区号，如 0356-4222000")
    raise CodeError(f"{label}格式不正确：{_PHONE_SHAPES}")


def validate_phone(value: str, label: str = _PHONE_LABEL) -> str:
    """Validate a phone cell and return it normalised (full-width forms folded, surrounding spaces stripped;
    the separators as typed are kept). Empty stays empty.

    Accepted: a mainland mobile number ``1[3-9]`` + 9 digits (also with +86, and spaces, ``-``, ``—`` or dots
    between the groups), a fixed-line number with its area code (``0356-4222000``, ``(0356)4222000``,
    ``035 1 …`` written without separators, an extension after ``-``, ``转`` or ``#``), a 400/800 service number,
    and several of these separated by ``、`` ``，`` ``；`` or ``/``. The message never echoes the number.
    """
    if not isinstance(value, str):
        raise CodeError(f"{label}必须是文本，实为 {type(value).__name__}")
    text = fold_fullwidth(value).strip()
    if not text:
        return ""
    parts = [p for p in _PHONE_LIST_SEP.split(text) if p]
    if not parts:
        raise CodeError(f"{label}格式不正确：{_PHONE_SHAPES}")
    for n, part in enumerate(parts, start=1):
        try:
            _check_one_phone(part, label)
        except CodeError as exc:
            if len(parts) > 1:
                raise CodeError(exc.message.replace(label, f"{label}中的第 {n} 个号码", 1)) from None
            raise
    return text

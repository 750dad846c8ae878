"""``codes.validate_phone``: mainland mobile numbers and fixed-line numbers with their area code, with or without
separators, typed full-width or not; Chinese messages that never echo the number (pure Python)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.codes import CodeError, validate_phone
from spotcheck.core.masking import MOBILE_PATTERN, fold_fullwidth

GOOD = [
    "13912345678", "139 1234 5678", "139-1234-5678", "139—1234—5678", "138.1234.5678", "+86 139 1234 5678",
    "+8613912345678", "008613912345678", "8613912345678", "0356-4222000", "0356 4222000", "03564222000",
    "(0356)4222000", "（0356）4222000", "0356-4222000-123", "0356-4222000转123", "0356-4222000 转 12", "0356-4222000#9",
    "010-12345678", "010 8765 4321", "020-8888 8888", "0351-1234567", "0356-422-2000", "400-123-4567",
    "0356-4222000、13912345678", "0356-4222000，0356-4222001", "0356-4222000/13912345678",
]
BAD = {
    "abc": "联系电话只能包含数字、空格、“-”和括号，不能有文字或字母；多个号码用“、”分隔",
    "电话13912345678": "联系电话只能包含数字、空格、“-”和括号，不能有文字或字母；多个号码用“、”分隔",
    "123": "联系电话格式不正确：手机号应为 11 位数字，实为 3 位",
    "1391234567": "联系电话格式不正确：手机号应为 11 位数字，实为 10 位",
    "139123456789": "联系电话格式不正确：手机号应为 11 位数字，实为 12 位",
    "4222000": "联系电话格式不正确：固定电话须带区号，如 0356-4222000",
    "42220001": "联系电话格式不正确：固定电话须带区号，如 0356-4222000",
    "+1 415 555 1234": "联系电话格式不正确：仅支持中国大陆号码（+86）",
    "0356-4222000、abc": "联系电话中的第 2 个号码只能包含数字、空格、“-”和括号，不能有文字或字母；多个号码用“、”分隔",
}
SHAPES = "联系电话格式不正确：手机号为 1 开头的 11 位数字（如 13912345678），固定电话须带区号（如 0356-4222000）"
BAD_SHAPES = ["12345678901", "0356-123", "0356-0222000", "1-2-3", "0356-4222000-123456", "0356-4222000-12-3",
              "0356-4222000转", "0356-4222000#", "0356-4222000转1转2", "00000000000", "、", "0-0"]


@pytest.mark.parametrize("value", GOOD)
def test_accepted(value):
    assert validate_phone(value) == value


@pytest.mark.parametrize(("value", "message"), BAD.items())
def test_refused_with_a_reason(value, message):
    with pytest.raises(CodeError) as exc:
        validate_phone(value)
    assert exc.value.message == message


@pytest.mark.parametrize("value", BAD_SHAPES)
def test_refused_shapes(value):
    with pytest.raises(CodeError) as exc:
        validate_phone(value)
    assert exc.value.message == SHAPES


def test_full_width_is_folded_and_blank_is_empty():
    assert validate_phone("１３９１２３４５６７８") == "13912345678"
    assert validate_phone("　０３５６－４２２２０００ ") == "0356-4222000"
    assert validate_phone("") == "" and validate_phone("   ") == ""
    assert validate_phone("13912345678", label="手机") == "13912345678"
    with pytest.raises(CodeError, match="^手机格式不正确"):
        validate_phone("0356-123", label="手机")
    with pytest.raises(CodeError, match="必须是文本"):
        validate_phone(13912345678)  # type: ignore[arg-type]


def test_messages_never_echo_the_number():
    for value in ("13912345", "0356-4222000-123456", "＋１ ４１５"):
        with pytest.raises(CodeError) as exc:
            validate_phone(value)
        assert fold_fullwidth(value).strip() not in exc.value.message


@given(st.integers(3, 9), st.integers(0, 999_999_999), st.sampled_from(["", " ", "-", "—"]))
def test_every_mobile_number_with_separators(second, rest, sep):
    digits = f"1{second}{rest:09d}"
    text = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    assert validate_phone(text) == text
    assert MOBILE_PATTERN.search(text)  # the same numbers the masking finds in free text

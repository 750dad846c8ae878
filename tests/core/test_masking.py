"""Tests for spotcheck.core.masking (pure Python; no Django needed)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.core.masking import (
    FULLWIDTH_TO_ASCII,
    ID_NUMBER_PATTERN,
    LANDLINE_PATTERN,
    MOBILE_PATTERN,
    fold_fullwidth,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_id_numbers,
    scrub_personal_data,
)

region_codes = st.tuples(st.integers(11, 82), st.integers(0, 99), st.integers(0, 99)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]:02d}"
)
valid_ids = st.builds(
    make_id_number,
    region_codes,
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 1, 1)),
    st.integers(0, 499),
    st.booleans(),
)
mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.integers(3, 9), st.integers(0, 10**9 - 1))
chinese = st.text(
    alphabet=st.sampled_from("张三丰的身份证号码是电话联系人医院药店，。：；、（）“”\n 检查结果公示"),
    max_size=20,
)
# free text that is likely to contain digit runs, X, separators and Chinese
noisy = st.text(alphabet=st.sampled_from("0123456789Xx+-  张号：,HP"), max_size=60)


def visible(masked: str) -> int:
    return sum(1 for ch in masked if ch != "*")


# --------------------------------------------------------------------------------------------
# mask_id_number / mask_phone / mask_name


def test_examples() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number(" 11010519491231002x ") == "110105********002X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


@given(valid_ids)
def test_mask_id_number_keeps_only_first_6_and_last_4(code: str) -> None:
    masked = mask_id_number(code)
    assert len(masked) == 18
    assert masked[:6] == code[:6]
    assert masked[-4:] == code[-4:]
    assert masked[6:14] == "*" * 8


@given(st.text(max_size=30))
def test_mask_id_number_never_leaks_more_than_10_chars(value: str) -> None:
    masked = mask_id_number(value)
    stripped = value.strip()
    assert len(masked) == len(stripped)
    if len(stripped) <= 10:
        assert set(masked) <= {"*"}
    else:
        assert set(masked[6:-4]) == {"*"}
        assert masked[:6] + masked[-4:-1] == stripped[:6] + stripped[-4:-1]
        assert masked[-1] == stripped[-1].replace("x", "X")


@given(mobiles)
def test_mask_phone_hides_middle_4(number: str) -> None:
    masked = mask_phone(number)
    assert masked == number[:3] + "****" + number[7:]


@given(st.text(max_size=20))
def test_mask_phone_never_leaks_more_than_7_chars(value: str) -> None:
    masked = mask_phone(value)
    stripped = value.strip()
    assert len(masked) == len(stripped)
    assert visible(masked) <= 7
    if stripped:
        assert visible(masked) < len(stripped)


@given(st.text(max_size=10))
def test_mask_name_keeps_only_first_char(value: str) -> None:
    masked = mask_name(value)
    stripped = value.strip()
    assert len(masked) == len(stripped)
    assert set(masked[1:]) <= {"*"}
    if len(stripped) > 1:
        assert masked[0] == stripped[0]
    else:
        assert set(masked) <= {"*"}


# --------------------------------------------------------------------------------------------
# patterns and scrub_personal_data


def test_scrub_example() -> None:
    text = "张三丰（身份证号11010519491231002X，电话13912345678）在H14068100012就诊"
    assert (
        scrub_personal_data(text) == "张三丰（身份证号110105********002X，电话139****5678）在H14068100012就诊"
    )


def test_scrub_mobile_variants() -> None:
    assert scrub_personal_data("+8613912345678") == "+86139****5678"
    assert scrub_personal_data("电话：139-1234-5678。") == "电话：139-****-5678。"
    assert scrub_personal_data("电话 139 1234 5678") == "电话 139 **** 5678"


def test_patterns_ignore_codes_that_are_not_personal() -> None:
    """Institution codes shown on public pages must not be taken for personal data."""
    for code in [
        "H14068100012",
        "P14052200001",
        "91350100M000100Y43",
        make_uscc("140681", 1),
        make_uscc("140522", 12345678),
        "123456789012345678901",  # too long to be an ID number
        "20250630123000",
        "1391234567",  # 10 digits
        "139123456789",  # 12 digits
    ]:
        assert ID_NUMBER_PATTERN.search(code) is None, code
        assert MOBILE_PATTERN.search(code) is None, code
        assert scrub_personal_data(code) == code


@given(chinese, valid_ids, chinese, st.booleans())
def test_scrub_finds_ids_embedded_in_chinese(before: str, code: str, after: str, lower: bool) -> None:
    token = code.lower() if lower else code
    text = before + token + after
    assert ID_NUMBER_PATTERN.search(text) is not None
    scrubbed = scrub_personal_data(text)
    assert token not in scrubbed
    assert before + mask_id_number(code) + after == scrubbed
    assert ID_NUMBER_PATTERN.search(scrubbed) is None


@given(chinese, mobiles, chinese)
def test_scrub_finds_mobiles_embedded_in_chinese(before: str, number: str, after: str) -> None:
    text = before + number + after
    scrubbed = scrub_personal_data(text)
    assert scrubbed == before + mask_phone(number) + after
    assert MOBILE_PATTERN.search(scrubbed) is None


@given(st.lists(st.one_of(chinese, valid_ids, mobiles), max_size=6))
def test_scrub_mixed_text(parts: list[str]) -> None:
    text = "，".join(parts)
    scrubbed = scrub_personal_data(text)
    assert len(scrubbed) == len(text)
    assert ID_NUMBER_PATTERN.search(scrubbed) is None
    assert MOBILE_PATTERN.search(scrubbed) is None
    for part in parts:
        if part[:1].isdigit():
            assert part not in scrubbed


@given(noisy)
def test_scrub_result_never_matches_either_pattern(text: str) -> None:
    scrubbed = scrub_personal_data(text)
    assert ID_NUMBER_PATTERN.search(scrubbed) is None
    assert MOBILE_PATTERN.search(scrubbed) is None
    assert scrub_personal_data(scrubbed) == scrubbed


def test_fixmedins_codes_survive_scrubbing() -> None:
    text = "、".join(make_fixmedins_code("H", "140681", n) for n in range(50))
    assert scrub_personal_data(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话 0356-4221234", "电话 0356-42***34"),
        ("（0356）4221234", "（0356）42***34"),
        ("010 62345678", "010 62****78"),
        ("编码 H14068100012 不是电话", "编码 H14068100012 不是电话"),
        ("金额 12600.00 元", "金额 12600.00 元"),
    ],
)
def test_scrub_masks_fixed_line_numbers(text: str, expected: str) -> None:
    assert scrub_personal_data(text) == expected
    assert not LANDLINE_PATTERN.search(scrub_personal_data(text))


# --------------------------------------------------------------------------------------------
# length boundaries of mask_phone (survivors of mutation testing, docs/mutation-testing.md)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("1234567", "*******"),  # 7: all hidden
        ("12345678", "****5678"),  # 8: a landline without area code keeps its last 4
        ("0356-1234", "*****1234"),  # 9
        ("0356123456", "******3456"),  # 10
        ("03561234567", "035****4567"),  # 11: first 3 and last 4
    ],
)
def test_mask_phone_length_boundaries(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


# --------------------------------------------------------------------------------------------
# spellings of Chinese input methods: full-width characters and other separators

#: ASCII → full-width, the inverse of FULLWIDTH_TO_ASCII
WIDE = {ascii_: wide for wide, ascii_ in FULLWIDTH_TO_ASCII.items()}


def wide(text: str) -> str:
    return text.translate(WIDE)


def test_fold_fullwidth_maps_one_character_for_one() -> None:
    assert fold_fullwidth("电话１３８－１２３４\u3000５６７８，Ｈ１４ａｂ") == "电话138-1234 5678，H14ab"
    assert len(FULLWIDTH_TO_ASCII) == 10 + 26 + 26 + 4
    assert all(len(chr(k)) == len(chr(v)) == 1 for k, v in FULLWIDTH_TO_ASCII.items())
    assert fold_fullwidth(wide("0123456789ABCXYZabcxyz- ")) == "0123456789ABCXYZabcxyz- "
    assert fold_fullwidth("．（）＋。—") == ".（）+。—"  # only the table's characters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话１３８１２３４５６７８", "电话１３８****５６７８"),
        ("138—1234—5678", "138—****—5678"),
        ("138——1234——5678", "138——****——5678"),
        ("138－1234－5678", "138－****－5678"),
        ("138.1234.5678", "138.****.5678"),
        ("电话：138.1234.5678。", "电话：138.****.5678。"),
        ("138\u30001234\u30005678", "138\u3000****\u30005678"),
        ("１３８－１２３４－５６７８", "１３８－****－５６７８"),
        ("＋８６　１３８　１２３４　５６７８", "＋８６　１３８　****　５６７８"),
        ("+86—138—1234—5678", "+86—138—****—5678"),
        ("１４０５２２１９８００１０１００１Ｘ", "１４０５２２********００１Ｘ"),
        ("身份证号１４０５２２１９８００１０１００１ｘ。", "身份证号１４０５２２********００１X。"),
        ("０３５１－１２３４５６７", "０３５１－１２***６７"),
        ("０３５６－４２２１２３４", "０３５６－４２***３４"),
        ("（０３５６）４２２１２３４", "（０３５６）４２***３４"),
        ("０３５６\u3000４２２１２３４", "０３５６\u3000４２***３４"),
        ("0356—4221234", "0356—42***34"),
        ("0356.4221234", "0356.42***34"),
        ("座机０３５６－４２２１２３４－１２号", "座机０３５６－４２***３４号"),  # the extension goes with it
        ("座机０３５６－４２２１２３４转１２号", "座机０３５６－４２***３４号"),
    ],
)
def test_scrub_masks_input_method_spellings(text: str, expected: str) -> None:
    assert scrub_personal_data(text) == expected
    assert scrub_personal_data(expected) == expected
    folded = fold_fullwidth(expected)
    for pattern in (ID_NUMBER_PATTERN, MOBILE_PATTERN, LANDLINE_PATTERN):
        assert pattern.search(folded) is None, pattern


@pytest.mark.parametrize(
    "text",
    [
        "2023.10.01",
        "检查日期2023.10.01，整改期限2023-10-31",
        "２０２３－１０－０１",
        "金额1,380,123.45元",
        "金额１，３８０，１２３．４５元",
        "1381234.5678",  # a quantity with 4 decimals
        "东经131.12345678",  # a coordinate
        "1.138.1234.5678",  # a dotted run longer than a phone number
        "138.1234.5678.9",
        "v1.2.3",
        "版本 v13.8.1234",
        "H14052200001",
        "Ｈ１４０５２２００００１",
        "定点医药机构编码 P14052200001，",
        "91350100M000100Y43",
        wide("91350100M000100Y43"),
        make_uscc("140681", 1),
        wide(make_uscc("140522", 12345678)),
        "１２３４５６７８９０１２３４５６７８９０１",  # too long to be an ID number
        "１３９１２３４５６７",  # 10 digits
        "１３９１２３４５６７８９",  # 12 digits
        "0351-1234",  # too short for a landline
    ],
)
def test_scrub_leaves_ordinary_text_alone(text: str) -> None:
    assert scrub_personal_data(text) == text


def test_scrub_id_numbers_masks_only_id_numbers() -> None:
    text = "晋１４０５２２００００１，１４０５２２１９８００１０１００１Ｘ，13812345678"
    assert scrub_id_numbers(text) == "晋１４０５２２００００１，１４０５２２********００１Ｘ，13812345678"
    assert scrub_id_numbers("14052219800101001x") == "140522********001X"


separators = st.sampled_from(["", "-", " ", "—", "——", "－", "\u3000"])


@given(
    chinese,
    mobiles,
    separators,
    separators,
    st.booleans(),
    st.lists(st.booleans(), min_size=11, max_size=11),
    chinese,
)
def test_scrub_finds_input_method_mobiles(
    before: str, number: str, sep1: str, sep2: str, dots: bool, widths: list[bool], after: str
) -> None:
    digits = [wide(d) if w else d for d, w in zip(number, widths, strict=True)]
    if dots:
        sep1 = sep2 = "."
    written = "".join(digits[:3]) + sep1 + "".join(digits[3:7]) + sep2 + "".join(digits[7:])
    expected = "".join(digits[:3]) + sep1 + "****" + sep2 + "".join(digits[7:])
    assert scrub_personal_data(before + written + after) == before + expected + after


@given(chinese, valid_ids, st.lists(st.booleans(), min_size=18, max_size=18), st.booleans(), chinese)
def test_scrub_finds_full_width_ids(
    before: str, code: str, widths: list[bool], lower: bool, after: str
) -> None:
    token = "".join(wide(c) if w else c for c, w in zip(code.lower() if lower else code, widths, strict=True))
    scrubbed = scrub_personal_data(before + token + after)
    check = "X" if token[-1] in "xｘ" else token[-1]  # a lower-case x becomes X, all else keeps its spelling
    assert scrubbed == before + token[:6] + "*" * 8 + token[14:17] + check + after


noisy_wide = st.text(
    alphabet=st.sampled_from("0123456789Xx+-  张号：,.HP０１２３４５６７８９Ｘｘ－\u3000—（）转"), max_size=60
)


@given(noisy_wide)
def test_scrub_of_mixed_spellings_leaves_no_match_when_folded(text: str) -> None:
    scrubbed = scrub_personal_data(text)
    folded = fold_fullwidth(scrubbed)
    assert ID_NUMBER_PATTERN.search(folded) is None
    assert MOBILE_PATTERN.search(folded) is None
    assert LANDLINE_PATTERN.search(folded) is None
    assert scrub_personal_data(scrubbed) == scrubbed
    assert len(scrubbed) <= len(text)
    # visible characters keep their original spelling: folding the original gives the ASCII scrub
    assert fold_fullwidth(scrubbed) == scrub_personal_data(fold_fullwidth(text))


def test_full_width_dot_and_plus_are_folded_too():
    from spotcheck.core.masking import scrub_personal_data

    assert scrub_personal_data("１３８．１２３４．５６７８") == "１３８．****．５６７８"
    assert scrub_personal_data("＋８６ １３８ １２３４ ５６７８") == "＋８６ １３８ **** ５６７８"
    assert scrub_personal_data("2023．10．01") == "2023．10．01"

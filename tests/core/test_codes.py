"""Tests for spotcheck.core.codes (pure Python; no Django needed)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.codes import (
    ID_CHECK_CHARS,
    USCC_ALPHABET,
    CodeError,
    fixmedins_kind,
    fixmedins_kind_label,
    fixmedins_region,
    id_birth_date,
    id_check_char,
    id_gender,
    id_region,
    make_fixmedins_code,
    make_id_number,
    make_uscc,
    normalise_fixmedins_kind,
    org_code_check_char,
    region_contains,
    region_level,
    region_parent,
    region_prefix,
    uscc_check_char,
    uscc_region,
    validate_fixmedins_code,
    validate_id_number,
    validate_region_code,
    validate_uscc,
)

USCC_EXAMPLE = "91350100M000100Y43"
ID_EXAMPLE = "11010519491231002X"
TODAY = date(2025, 6, 30)

# --------------------------------------------------------------------------------------------
# strategies

region_codes = st.tuples(st.integers(1, 99), st.integers(0, 99), st.integers(0, 99)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]:02d}"
)
birth_dates = st.dates(min_value=date(1800, 1, 1), max_value=TODAY)
valid_usccs = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17).map(lambda s: s + uscc_check_char(s))
generated_usccs = st.builds(
    make_uscc,
    region_codes,
    st.integers(0, 10**8 - 1),
    st.sampled_from(["11", "12", "13", "19", "51", "52", "53", "91", "92", "93", "Y1"]),
)
valid_ids = st.builds(make_id_number, region_codes, birth_dates, st.integers(0, 499), st.booleans())
fixmedins_codes = st.builds(
    make_fixmedins_code, st.sampled_from(["H", "P"]), region_codes, st.integers(0, 99_999)
)
whitespace = st.text(alphabet=" \t\n\u3000", max_size=3)


def message_of(func: object, *args: object, **kwargs: object) -> str:
    assert callable(func)
    with pytest.raises(CodeError) as info:
        func(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == info.value.message
    return info.value.message


# --------------------------------------------------------------------------------------------
# 统一社会信用代码


def test_uscc_example_validates() -> None:
    assert validate_uscc(USCC_EXAMPLE) == USCC_EXAMPLE
    assert uscc_check_char(USCC_EXAMPLE[:17]) == "3"
    assert uscc_region(USCC_EXAMPLE) == "350100"


def test_uscc_example_organisation_code_has_gb11714_check() -> None:
    assert org_code_check_char("M000100Y") == "4"


def test_uscc_normalises_case_and_whitespace() -> None:
    assert validate_uscc("  91350100m000100y43\n") == USCC_EXAMPLE


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "统一社会信用代码校验位错误：应为 3，实为 4"),
        ("91350100M000100Y4", "应为 18 位，实为 17 位"),
        ("91350100M000100Y433", "应为 18 位，实为 19 位"),
        ("91350100I000100Y43", "第 9 位字符“I”不合法"),
        ("91350100M00O100Y43", "第 12 位字符“O”不合法"),
        ("9135 100M000100Y43", "第 5 位字符"),
        ("", "统一社会信用代码为空"),
        ("   ", "统一社会信用代码为空"),
    ],
)
def test_uscc_bad_examples(code: str, fragment: str) -> None:
    assert fragment in message_of(validate_uscc, code)


def test_uscc_check_char_needs_17_alphabet_chars() -> None:
    assert "17" in message_of(uscc_check_char, "123")
    assert "不合法" in message_of(uscc_check_char, "9135010ZM000100Y4")


@given(valid_usccs | generated_usccs)
def test_uscc_valid_codes_validate_and_are_idempotent(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(validate_uscc(code)) == code


@given(valid_usccs, whitespace, whitespace)
def test_uscc_lower_case_and_whitespace_accepted(code: str, before: str, after: str) -> None:
    assert validate_uscc(before + code.lower() + after) == code


@given(valid_usccs, st.data())
def test_uscc_any_single_substitution_is_detected(code: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[pos]]), label="char")
    mutated = code[:pos] + replacement + code[pos + 1 :]
    message = message_of(validate_uscc, mutated)
    assert message.startswith("统一社会信用代码校验位错误")


@given(region_codes, st.integers(0, 10**8 - 1))
def test_make_uscc_embeds_region_and_org_code_check(region: str, serial: int) -> None:
    code = make_uscc(region, serial)
    assert code[:2] == "12"
    assert uscc_region(code) == region
    assert code[16] == org_code_check_char(code[8:16])


def test_make_uscc_is_deterministic_and_rejects_bad_arguments() -> None:
    assert make_uscc("140681", 1) == make_uscc("140681", 1)
    assert make_uscc("140681", 1) != make_uscc("140681", 2)
    assert make_uscc("140681", 1, "91")[:2] == "91"
    for args in [("1406", 1), ("140681", -1), ("140681", 10**8), ("140681", 1, "1"), ("140681", 1, "1I")]:
        with pytest.raises(CodeError):
            make_uscc(*args)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# 居民身份证号


def test_id_example_validates() -> None:
    assert validate_id_number(ID_EXAMPLE) == ID_EXAMPLE
    assert id_check_char(ID_EXAMPLE[:17]) == "X"
    assert id_birth_date(ID_EXAMPLE) == date(1949, 12, 31)
    assert id_gender(ID_EXAMPLE) == "女"
    assert id_region(ID_EXAMPLE) == "110105"


def test_id_lower_case_x_and_whitespace() -> None:
    assert validate_id_number(" 11010519491231002x ") == ID_EXAMPLE


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("11010519491331002X", "身份证号出生日期 19491331 不是有效日期"),
        ("11010519490230002X", "身份证号出生日期 19490230 不是有效日期"),
        ("11010517991231002X", "早于 1800 年"),
        ("110105194912310021", "身份证号校验位错误：应为 X，实为 1"),
        ("11010519491231002", "身份证号应为 18 位，实为 17 位"),
        ("1101051949123100X2", "第 17 位字符“X”不合法"),
        ("11010519491231002Y", "第 18 位（校验位）字符“Y”不合法"),
        ("", "身份证号为空"),
    ],
)
def test_id_bad_examples(code: str, fragment: str) -> None:
    assert fragment in message_of(validate_id_number, code, today=TODAY)


def test_id_messages_do_not_echo_the_number() -> None:
    for bad in ["110105194912310021", "11010519491231002", "11010519491331002X"]:
        assert bad[:17] not in message_of(validate_id_number, bad, today=TODAY)


def test_id_future_birth_date_rejected_relative_to_today() -> None:
    code = make_id_number("140681", date(2030, 1, 2), 7, True)
    assert "晚于当前日期 20250630" in message_of(validate_id_number, code, today=TODAY)
    assert validate_id_number(code, today=date(2030, 1, 2)) == code


def test_unknown_region_is_not_an_error() -> None:
    code = make_id_number("999999", date(1990, 1, 1), 1, False)
    assert validate_id_number(code) == code
    assert id_region(code) == "999999"


@given(valid_ids)
def test_generated_ids_validate_and_are_idempotent(code: str) -> None:
    assert validate_id_number(code, today=TODAY) == code
    assert validate_id_number(validate_id_number(code, today=TODAY), today=TODAY) == code


@given(valid_ids, whitespace, whitespace)
def test_id_lower_case_and_whitespace_accepted(code: str, before: str, after: str) -> None:
    assert validate_id_number(before + code.lower() + after, today=TODAY) == code


@given(region_codes, birth_dates, st.integers(0, 499), st.booleans())
def test_make_id_number_round_trip(region: str, birth: date, serial: int, male: bool) -> None:
    code = make_id_number(region, birth, serial, male)
    assert id_birth_date(code) == birth
    assert id_gender(code) == ("男" if male else "女")
    assert id_region(code) == region
    assert code[14:17] == f"{2 * serial + male:03d}"


@given(valid_ids, st.data())
def test_id_any_single_substitution_is_detected(code: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(st.sampled_from([c for c in ID_CHECK_CHARS if c != code[pos]]), label="char")
    mutated = code[:pos] + replacement + code[pos + 1 :]
    with pytest.raises(CodeError):
        validate_id_number(mutated, today=TODAY)


def test_make_id_number_rejects_bad_arguments() -> None:
    with pytest.raises(CodeError):
        make_id_number("140681", date(1990, 1, 1), 500, True)
    with pytest.raises(CodeError):
        make_id_number("000000", date(1990, 1, 1), 1, True)
    with pytest.raises(CodeError):
        make_id_number("140681", date(1700, 1, 1), 1, True)


# --------------------------------------------------------------------------------------------
# 定点医药机构编码


def test_fixmedins_example() -> None:
    assert validate_fixmedins_code("H14068100012") == "H14068100012"
    assert validate_fixmedins_code(" h14068100012 ", region_code="140681", kind="医疗机构") == "H14068100012"
    assert fixmedins_region("H14068100012") == "140681"
    assert fixmedins_kind("H14068100012") == "H"
    assert fixmedins_kind_label("P14052200001") == "零售药店"


@pytest.mark.parametrize(
    ("code", "kwargs", "fragment"),
    [
        ("H1406810001", {}, "定点医药机构编码 H1406810001 应为 12 位：H 或 P + 6 位行政区划 + 5 位顺序号"),
        ("X14068100012", {}, "第 1 位应为 H（医疗机构）或 P（零售药店），实为“X”"),
        ("H1406810001A", {}, "第 12 位字符“A”不合法"),
        ("H00000000012", {}, "行政区划无效"),
        ("H14068100012", {"region_code": "140602"}, "行政区划 140681 与所属行政区划 140602 不一致"),
        ("H14068100012", {"kind": "P"}, "与机构类型“零售药店”不一致"),
        ("P14068100012", {"kind": "医疗机构"}, "与机构类型“医疗机构”不一致"),
        ("H14068100012", {"kind": "诊所"}, "机构类型“诊所”不合法"),
    ],
)
def test_fixmedins_bad_examples(code: str, kwargs: dict[str, str], fragment: str) -> None:
    assert fragment in message_of(validate_fixmedins_code, code, **kwargs)


@given(st.sampled_from(["H", "P", "医疗机构", "零售药店", "h", "p"]), region_codes, st.integers(0, 99_999))
def test_make_fixmedins_code_round_trip(kind: str, region: str, seq: int) -> None:
    code = make_fixmedins_code(kind, region, seq)
    expected_kind = normalise_fixmedins_kind(kind)
    assert validate_fixmedins_code(code, region_code=region, kind=kind) == code
    assert validate_fixmedins_code(code.lower()) == code
    assert fixmedins_region(code) == region
    assert fixmedins_kind(code) == expected_kind
    assert code == f"{expected_kind}{region}{seq:05d}"


def test_make_fixmedins_code_rejects_bad_arguments() -> None:
    for args in [("X", "140681", 1), ("H", "14068", 1), ("H", "140681", 100_000), ("H", "140681", -1)]:
        with pytest.raises(CodeError):
            make_fixmedins_code(*args)


# --------------------------------------------------------------------------------------------
# 行政区划代码


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("000000", "不能为 000000"),
        ("001234", "省级部分"),
        ("14060", "应为 6 位数字"),
        ("14060a", "应为 6 位数字"),
        ("1406811", "应为 6 位数字"),
        ("", "为空"),
    ],
)
def test_region_bad_examples(code: str, fragment: str) -> None:
    assert fragment in message_of(validate_region_code, code)


@pytest.mark.parametrize(
    ("code", "level", "parent", "prefix"),
    [
        ("140000", "province", None, "14"),
        ("140600", "city", "140000", "1406"),
        ("140681", "county", "140600", "140681"),
        ("140522", "county", "140500", "140522"),
        ("110101", "county", "110100", "110101"),
        ("429004", "county", "420000", "429004"),
        ("429000", "city", "420000", "4290"),
    ],
)
def test_region_hierarchy(code: str, level: str, parent: str | None, prefix: str) -> None:
    assert validate_region_code(f" {code} ") == code
    assert region_level(code) == level
    assert region_parent(code) == parent
    assert region_prefix(code) == prefix


def test_region_contains() -> None:
    assert region_contains("140000", "140681")
    assert region_contains("140600", "140681")
    assert region_contains("140681", "140681")
    assert region_contains("420000", "429004")
    assert not region_contains("140500", "140681")
    assert not region_contains("140681", "140600")
    assert not region_contains("140000", "150100")


@given(region_codes)
def test_region_parent_chain_contains_the_code(code: str) -> None:
    parent = region_parent(code)
    depth = 0
    current = code
    while parent is not None:
        assert region_contains(parent, current)
        assert region_contains(parent, code)
        assert not region_contains(current, parent) or current == parent
        current, parent = parent, region_parent(parent)
        depth += 1
    assert depth <= 2
    assert region_level(current) == "province"
    assert code.startswith(region_prefix(code))


# --------------------------------------------------------------------------------------------
# check characters and messages (survivors of mutation testing, docs/mutation-testing.md)

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("first8", "check"),
    [
        ("D2143569", "X"),  # the GB 11714 example D2143569-X (remainder 1 → 10 → X)
        ("12345678", "8"),
        ("00000000", "0"),  # remainder 0 → 11 → 0
        ("ZZZZZZZZ", "3"),
    ],
)
def test_org_code_check_char_vectors(first8: str, check: str) -> None:
    assert org_code_check_char(first8) == check


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8))
def test_org_code_check_char_is_gb11714(first8: str) -> None:
    value = 11 - sum(int(ch, 36) * w for ch, w in zip(first8, _GB11714_WEIGHTS, strict=True)) % 11
    assert org_code_check_char(first8) == {10: "X", 11: "0"}.get(value, str(value))


def test_org_code_check_char_messages() -> None:
    with pytest.raises(CodeError, match="^计算组织机构代码校验位需要前 8 位，实为 7 位$"):
        org_code_check_char("1234567")
    with pytest.raises(CodeError, match="^组织机构代码第 3 位字符“-”不合法：只能使用数字和大写英文字母$"):
        org_code_check_char("12-45678")
    with pytest.raises(CodeError, match="^组织机构代码前 8 位为空$"):
        org_code_check_char(" ")
    for first8 in ("A2345678", "Z2345678", "9ABCDEFG"):
        assert len(org_code_check_char(first8)) == 1  # the letter range is A..Z inclusive


def test_generator_ranges_and_messages() -> None:
    with pytest.raises(CodeError, match="^serial 应为 0–99999999 的整数，实为 100000000$"):
        make_uscc("140522", 10**8)
    assert make_uscc("140522", 10**8 - 1)[8:16] == "99999999"
    with pytest.raises(CodeError, match="^serial 应为 0–499 的整数，实为 True$"):
        make_id_number("140522", date(1990, 1, 1), True, male=True)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^serial 应为 0–499 的整数，实为 500$"):
        make_id_number("140522", date(1990, 1, 1), 500, male=True)
    with pytest.raises(CodeError, match="^seq 应为 0–99999 的整数，实为 -1$"):
        make_fixmedins_code("H", "140522", -1)
    with pytest.raises(CodeError, match="^登记管理部门和机构类别代码应为 2 位，实为 3 位$"):
        make_uscc("140522", 1, "912")
    with pytest.raises(CodeError, match="^登记管理部门和机构类别代码为空$"):
        make_uscc("140522", 1, " ")
    with pytest.raises(CodeError, match="^出生日期 datetime.date\\(1799, 12, 31\\) 不合法：应为 1800 年及以后的日期$"):
        make_id_number("140522", date(1799, 12, 31), 1, male=True)


def test_input_type_messages() -> None:
    with pytest.raises(CodeError, match="^统一社会信用代码前 17 位必须是文本，实为 int$"):
        uscc_check_char(1)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^身份证号前 17 位必须是文本，实为 NoneType$"):
        id_check_char(None)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^计算身份证号校验位需要前 17 位，实为 3 位$"):
        id_check_char("123")
    with pytest.raises(CodeError, match="^行政区划代码必须是文本"):
        validate_region_code(140522)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^定点医药机构编码必须是文本"):
        validate_fixmedins_code(None)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^机构类型“None”不合法"):
        normalise_fixmedins_kind(None)  # type: ignore[arg-type]
    with pytest.raises(CodeError, match="^机构类型“”不合法"):
        normalise_fixmedins_kind("")


def test_whitespace_is_shown_escaped_in_messages() -> None:
    with pytest.raises(CodeError, match="第 2 位字符“'\\\\t'”不合法"):
        org_code_check_char("1\t345678")
    with pytest.raises(CodeError, match="第 2 位字符“'\\\\u200b'”不合法"):
        org_code_check_char("1\u200b345678")  # invisible, though not a space
    for bad in ("1:345678", "1_345678"):  # between "9" and "A", and after "Z"
        with pytest.raises(CodeError, match="第 2 位字符"):
            org_code_check_char(bad)


def test_fixmedins_kind_mismatch_message() -> None:
    with pytest.raises(CodeError) as info:
        validate_fixmedins_code("H14052200001", kind="P")
    assert info.value.message == "定点医药机构编码 H14052200001 以 H 开头，表示医疗机构，与机构类型“零售药店”不一致"


def test_county_directly_under_the_province_part_00() -> None:
    assert region_parent("140001") == "140000"

"""Tests for spotcheck.core.regions (pure Python; no Django needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.codes import CodeError, region_contains, region_level, region_parent, validate_region_code
from spotcheck.core.regions import BUILTIN_REGIONS, builtin_region_name, parse_region_csv

REQUIRED = {
    "140000": "山西省",
    "140600": "朔州市",
    "140602": "朔城区",
    "140603": "平鲁区",
    "140621": "山阴县",
    "140622": "应县",
    "140623": "右玉县",
    "140681": "怀仁市",
    "140500": "晋城市",
    "140522": "阳城县",
}


# --------------------------------------------------------------------------------------------
# built-in table


def test_builtin_contains_required_regions() -> None:
    table = {code: name for code, name, _ in BUILTIN_REGIONS}
    for code, name in REQUIRED.items():
        assert table[code] == name
    assert builtin_region_name("140681") == "怀仁市"
    assert builtin_region_name(" 140522 ") == "阳城县"
    assert builtin_region_name("110000") is None


def test_builtin_table_is_consistent() -> None:
    codes = [code for code, _, _ in BUILTIN_REGIONS]
    assert len(codes) == len(set(codes))
    for code, name, parent in BUILTIN_REGIONS:
        assert validate_region_code(code) == code
        assert name
        assert parent == region_parent(code)
        if region_level(code) == "province":
            assert parent is None
        else:
            assert parent in codes
            assert region_contains(parent, code)


def test_builtin_table_round_trips_through_csv() -> None:
    lines = ["code,name,parent"] + [f"{c},{n},{p or ''}" for c, n, p in BUILTIN_REGIONS]
    assert parse_region_csv(lines) == list(BUILTIN_REGIONS)
    assert parse_region_csv(f"{c},{n}\n" for c, n, _ in BUILTIN_REGIONS) == list(BUILTIN_REGIONS)


# --------------------------------------------------------------------------------------------
# parse_region_csv


def test_header_is_optional_and_blank_lines_and_bom_are_skipped() -> None:
    with_header = ["\ufeffcode,name", "", "140000,山西省", "  ", "140600 , 朔州市 "]
    without_header = ["\ufeff140000,山西省", "140600,朔州市"]
    expected = [("140000", "山西省", None), ("140600", "朔州市", "140000")]
    assert parse_region_csv(with_header) == expected
    assert parse_region_csv(without_header) == expected


def test_chinese_header_and_reordered_columns() -> None:
    lines = ["名称,代码", "山西省,140000", "怀仁市,140681"]
    assert parse_region_csv(lines) == [("140000", "山西省", None), ("140681", "怀仁市", "140000")]


def test_parent_derived_from_code() -> None:
    lines = [
        "code,name",
        "420000,湖北省",
        "420100,武汉市",
        "420102,江岸区",
        "429004,仙桃市",  # 省直辖县级行政区划
        "110000,北京市",
        "110101,东城区",  # municipality without a 110100 row
        "140681,怀仁市",  # nothing above it in the file
    ]
    parents = {code: parent for code, _, parent in parse_region_csv(lines)}
    assert parents == {
        "420000": None,
        "420100": "420000",
        "420102": "420100",
        "429004": "420000",
        "110000": None,
        "110101": "110000",
        "140681": "140600",
    }


def test_derived_parent_does_not_depend_on_row_order() -> None:
    lines = ["110101,东城区", "110100,市辖区", "110000,北京市"]
    assert parse_region_csv(lines) == [
        ("110101", "东城区", "110100"),
        ("110100", "市辖区", "110000"),
        ("110000", "北京市", None),
    ]


def test_explicit_parent_column() -> None:
    lines = ["code,name,parent", "500000,重庆市,", "500101,万州区,500000"]
    assert parse_region_csv(lines) == [("500000", "重庆市", None), ("500101", "万州区", "500000")]


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        (
            ["code,name", "140000,山西省", "14060,朔州市"],
            "第 3 行 code 字段：行政区划代码 14060 应为 6 位数字",
        ),
        (["140000,山西省", "000000,全国"], "第 2 行 code 字段：行政区划代码不能为 000000"),
        (
            ["140000,山西省", "", "140000,山西"],
            "第 3 行 code 字段：行政区划代码 140000 重复（首次出现在第 1 行）",
        ),
        (["code,name", "140000, "], "第 2 行 name 字段：名称为空"),
        (["code,name", "140000"], "第 2 行：至少需要 code（代码）和 name（名称）两列"),
        (
            ["code,name,parent", "140600,朔州市,14x000"],
            "第 2 行 parent 字段：行政区划代码 14X000 应为 6 位数字",
        ),
        (["code,name,parent", "140681,怀仁市,140500"], "第 2 行 parent 字段：上级区划 140500 不包含 140681"),
        (["code,name,parent", "140681,怀仁市,140681"], "第 2 行 parent 字段：上级区划 140681 不包含 140681"),
        (["code,parent", "140000,"], "第 1 行：表头缺少 name（名称）列"),
    ],
)
def test_bad_rows_name_line_and_field(lines: list[str], fragment: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_region_csv(lines)
    assert fragment in info.value.message


def test_empty_input() -> None:
    assert parse_region_csv([]) == []
    assert parse_region_csv(["code,name"]) == []


region_codes = st.tuples(st.integers(11, 82), st.integers(0, 99), st.integers(0, 99)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]:02d}"
)


@given(st.sets(region_codes, max_size=30))
def test_parsed_parents_always_contain_their_children(codes: set[str]) -> None:
    rows = parse_region_csv(f"{code},区划{code}" for code in sorted(codes))
    assert [code for code, _, _ in rows] == sorted(codes)
    for code, name, parent in rows:
        assert name == f"区划{code}"
        if parent is None:
            assert region_level(code) == "province"
        else:
            assert parent != code
            assert region_contains(parent, code)
            assert parent in codes or parent == region_parent(code)


def test_positional_parent_column_wins_over_the_derived_parent() -> None:
    # survivor of mutation testing (docs/mutation-testing.md): without a header the third column is the parent
    lines = ["140000,山西省", "140600,朔州市", "140681,怀仁市,140000", "140621,山阴县,"]
    assert parse_region_csv(lines) == [
        ("140000", "山西省", None),
        ("140600", "朔州市", "140000"),
        ("140681", "怀仁市", "140000"),  # as given, not the derived 140600
        ("140621", "山阴县", "140600"),  # empty: derived
    ]

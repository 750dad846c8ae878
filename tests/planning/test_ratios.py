from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.planning.ratios import (
    Ratio,
    RatioError,
    format_percent,
    is_minimum,
    parse_percent,
    parse_ratio,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3%", Ratio(3, 100, False)),
        ("5%", Ratio(5, 100, False)),
        ("不低于 3%", Ratio(3, 100, True)),
        ("不低于3%", Ratio(3, 100, True)),
        (" 不低于　3 % ", Ratio(3, 100, True)),
        ("３％", Ratio(3, 100, False)),
        ("3.5%", Ratio(35, 1000, False)),
        ("100%", Ratio(100, 100, False)),
    ],
)
def test_parse_ratio(text, expected):
    assert parse_ratio(text) == expected


@pytest.mark.parametrize("text", ["", "3", "abc", "0%", "101%", "-3%", "不低于", "3%%", "3,5%"])
def test_parse_ratio_rejects(text):
    with pytest.raises(RatioError, match="检查比例"):
        parse_ratio(text)


def test_minimum_flag():
    assert is_minimum("不低于 3%") and not is_minimum("3%")


@pytest.mark.parametrize(
    ("text", "expected"), [("5", (5, 100)), ("3.5", (35, 1000)), ("3.50", (35, 1000)), ("5%", (5, 100)),
                           ("100", (100, 100)), ("0.25", (25, 10000))]
)
def test_parse_percent_is_exact(text, expected):
    assert parse_percent(text) == expected


@pytest.mark.parametrize("text", ["0", "0.0", "101", "abc", "", "1e2", "-5"])
def test_parse_percent_rejects(text):
    with pytest.raises(RatioError):
        parse_percent(text)


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3))
def test_percent_round_trip(value):
    num, den = parse_percent(str(value))
    assert Fraction(num, den) == Fraction(value) / 100
    assert parse_percent(format_percent(num, den)) == (num, den)

"""Tests for spotcheck.core.workdays (pure Python; no Django needed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.workdays import Calendar

# The package (chinesecalendar 1.11.0) knows 2004–2026; 2031 is unknown.
KNOWN_DATES = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))
ANY_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))


# --------------------------------------------------------------------------------------------
# the 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04)


def test_national_day_2026_with_make_up_days() -> None:
    cal = Calendar()
    assert not cal.is_workday(date(2026, 9, 25))  # 中秋节 (Friday)
    assert all(not cal.is_workday(date(2026, 10, d)) for d in range(1, 8))  # 国庆节 10-01..10-07
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, 调休 working day
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休 working day
    assert not cal.is_workday(date(2026, 10, 11))  # plain Sunday
    assert cal.warnings == []


def test_twenty_workdays_after_mid_autumn_2026() -> None:
    # 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (Saturday make-up day), 10-12 … 10-29 is the 20th.
    cal = Calendar()
    assert cal.add_workdays(date(2026, 9, 25), 20) == date(2026, 10, 29)
    assert cal.workdays_between(date(2026, 9, 25), date(2026, 10, 29)) == 20
    # 2026-10-30 is what one gets if the make-up Saturday 10-10 is (wrongly) treated as a rest day.
    without_make_up = Calendar({date(2026, 10, 10): False})
    assert without_make_up.add_workdays(date(2026, 9, 25), 20) == date(2026, 10, 30)


def test_add_zero_returns_start_even_on_a_holiday() -> None:
    cal = Calendar()
    assert cal.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert cal.add_workdays(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match="不能为负数"):
        Calendar().add_workdays(date(2026, 1, 5), -1)


def test_datetimes_are_reduced_to_dates() -> None:
    cal = Calendar({date(2026, 10, 12): False})
    assert not cal.is_workday(datetime(2026, 10, 12, 9, 30))
    assert cal.add_workdays(datetime(2026, 10, 9, 18, 0), 1) == date(2026, 10, 10)


def test_agrees_with_the_package_on_every_known_day() -> None:
    cal = Calendar()
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert cal.is_workday(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # the range our fallback takes over from


# --------------------------------------------------------------------------------------------
# overrides and unknown years


def test_overrides_win_over_the_package() -> None:
    cal = Calendar({date(2026, 10, 10): False, date(2026, 10, 11): True})
    assert not cal.is_workday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 11))


def test_unknown_year_falls_back_to_weekdays_and_warns_once() -> None:
    cal = Calendar()
    assert not cal.known(2031)
    assert cal.is_workday(date(2031, 10, 1))  # a Wednesday: Mon–Fri fallback, no holiday known
    assert not cal.is_workday(date(2031, 10, 4))  # Saturday
    cal.add_workdays(date(2031, 9, 1), 40)
    assert cal.warnings == ["2031 年的法定节假日安排未知，按周一至周五计算工作日，请管理员录入该年节假日"]


def test_package_lower_bound_is_also_unknown() -> None:
    cal = Calendar()
    assert not cal.known(2003)
    assert cal.is_workday(date(2003, 12, 31))
    assert len(cal.warnings) == 1 and cal.warnings[0].startswith("2003 年")


def test_known_years() -> None:
    cal = Calendar({date(2031, 10, 1): False})
    assert cal.known(2004) and cal.known(2026)
    assert cal.known(2031)  # entered by an admin
    assert not cal.known(2032)
    # An override year: rows win, other days follow Mon–Fri, and no warning is given.
    assert not cal.is_workday(date(2031, 10, 1))
    assert cal.is_workday(date(2031, 10, 2))
    assert cal.warnings == []


def test_a_year_spanning_computation_warns_for_the_unknown_year_only() -> None:
    cal = Calendar()
    assert cal.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 4)  # 12-31 (Thu), 01-01 (Fri), 01-04
    assert cal.warnings == ["2027 年的法定节假日安排未知，按周一至周五计算工作日，请管理员录入该年节假日"]
    entered = Calendar({date(2027, 1, 1): False})
    assert entered.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert entered.warnings == []


# --------------------------------------------------------------------------------------------
# properties


@given(ANY_DATES, st.integers(min_value=0, max_value=60))
def test_between_inverts_add(start: date, n: int) -> None:
    cal = Calendar()
    end = cal.add_workdays(start, n)
    assert cal.workdays_between(start, end) == n
    assert end >= start
    if n:
        assert cal.is_workday(end)
        assert cal.add_workdays(start, n - 1) < end


@given(ANY_DATES, ANY_DATES, ANY_DATES)
def test_between_is_additive_and_antisymmetric(a: date, b: date, c: date) -> None:
    cal = Calendar()
    assert cal.workdays_between(a, b) == -cal.workdays_between(b, a)
    assert cal.workdays_between(a, b) + cal.workdays_between(b, c) == cal.workdays_between(a, c)


@given(ANY_DATES, st.integers(min_value=0, max_value=10))
def test_between_counts_the_half_open_interval(start: date, days: int) -> None:
    cal = Calendar()
    end = start + timedelta(days=days)
    expected = sum(cal.is_workday(start + timedelta(days=i)) for i in range(1, days + 1))
    assert cal.workdays_between(start, end) == expected


@given(KNOWN_DATES)
def test_known_years_need_no_warning(day: date) -> None:
    cal = Calendar()
    cal.is_workday(day)
    assert cal.warnings == []


@given(st.dates(min_value=date(2027, 1, 1), max_value=date(2099, 12, 31)))
def test_unknown_years_are_weekdays(day: date) -> None:
    cal = Calendar()
    assert cal.is_workday(day) == (day.weekday() < 5)
    assert cal.warnings == [
        f"{day.year} 年的法定节假日安排未知，按周一至周五计算工作日，请管理员录入该年节假日"
    ]


@given(st.dictionaries(ANY_DATES, st.booleans(), max_size=20), ANY_DATES)
def test_overrides_always_win(overrides: dict[date, bool], day: date) -> None:
    cal = Calendar(overrides)
    for d, is_workday in overrides.items():
        assert cal.is_workday(d) is is_workday
    if day not in overrides:  # other days are untouched (unknown years: Mon–Fri either way)
        assert cal.is_workday(day) == Calendar().is_workday(day)

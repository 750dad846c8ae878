"""Tests for spotcheck.core.workdays (pure Python; no Django needed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.workdays import Calendar, Deadline, statutory_holidays, unknown_year_warning

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


def test_unknown_year_falls_back_to_statutory_holidays_and_warns_once() -> None:
    cal = Calendar()
    assert not cal.known(2031)
    assert not cal.is_workday(date(2031, 10, 1))  # a Wednesday: 国庆节 (statutory, estimated)
    assert cal.is_workday(date(2031, 10, 6))  # Monday: no 调休 or extra days are guessed
    assert not cal.is_workday(date(2031, 10, 4))  # Saturday
    cal.add_workdays(date(2031, 9, 1), 40)
    assert cal.warnings == [unknown_year_warning(2031)]
    assert cal.warnings[0].startswith("2031 年的法定节假日安排未知") and "预估" in cal.warnings[0]


def test_package_lower_bound_is_also_unknown() -> None:
    cal = Calendar()
    assert not cal.known(2003)
    assert cal.is_workday(date(2003, 12, 31))
    assert cal.is_workday(date(2003, 10, 1))  # before the 2024 revision's force: Monday to Friday only
    assert statutory_holidays(2003) == {}
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
    assert cal.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)  # 12-31 (Thu), 元旦 01-01 off, 01-04, 01-05
    assert cal.warnings == [unknown_year_warning(2027)]
    # An entered year counts per the table (one row makes it known: other days Mon–Fri, no estimate).
    entered = Calendar({date(2027, 1, 4): False})
    assert entered.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)  # 12-31, 01-01 (Mon–Fri), 01-05
    assert entered.warnings == []
    assert entered.deadline(date(2026, 12, 30), 3) == Deadline(date(2027, 1, 5), False, ())


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
def test_unknown_years_are_weekdays_less_the_statutory_holidays(day: date) -> None:
    cal = Calendar()
    assert cal.is_workday(day) == (day.weekday() < 5 and day not in statutory_holidays(day.year))
    assert cal.warnings == [unknown_year_warning(day.year)]


@given(st.integers(min_value=2025, max_value=2099))
def test_statutory_holidays_are_the_thirteen_days_of_the_2024_revision(year: int) -> None:
    days = statutory_holidays(year)
    names = sorted(days.values())
    # 13 days: 元旦 1, 春节 4, 清明 1, 劳动 2, 端午 1, 中秋 1, 国庆 3, less a 中秋 that falls on 10-01..03.
    assert len(days) in (12, 13)
    assert names.count("春节") == 4 and names.count("劳动节") == 2 and names.count("清明节") == 1
    assert names.count("中秋节") == 1 and names.count("国庆节") == len(days) - 10  # 中秋 may fall on 10-01..03
    assert all(d.year == year for d in days)
    spring = sorted(d for d, n in days.items() if n == "春节")
    assert spring[-1] - spring[0] == timedelta(days=3) and date(year, 1, 20) <= spring[0] <= date(year, 2, 19)
    assert days[date(year, 1, 1)] == "元旦" and days[date(year, 5, 1)] == days[date(year, 5, 2)] == "劳动节"
    assert all(date(year, 10, d) in days for d in (1, 2, 3))
    qingming = next(d for d, n in days.items() if n == "清明节")
    assert qingming.month == 4 and 4 <= qingming.day <= 6


def test_statutory_holidays_of_2027_from_the_lunar_calendar() -> None:
    # 2027: 正月初一 is 02-06 (除夕 02-05), 清明 04-05, 端午 (五月初五) 06-09, 中秋 (八月十五) 09-15.
    assert statutory_holidays(2027) == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
    }
    # The package's own 2026 schedule agrees with the library on the lunar dates of 2026.
    assert {d for d, n in statutory_holidays(2026).items() if n in ("端午节", "中秋节")} == {
        date(2026, 6, 19), date(2026, 9, 25)}
    assert all(not chinese_calendar.is_workday(d) for d in statutory_holidays(2026))


def test_deadlines_counting_an_unknown_year_are_estimates() -> None:
    cal = Calendar()
    # The case: 2026-12-08 + 20 working days. 12-09 … 12-31 are 17; 元旦 (Fri) is off;
    # 01-04, 01-05, 01-06 → the 20th is 2027-01-06 (not 2027-01-05, which counted 元旦).
    assert cal.deadline(date(2026, 12, 8), 20) == Deadline(date(2027, 1, 6), True, (2027,))
    # Within 2026 (known to the package): not an estimate, with its 调休 (10-10 Saturday worked).
    assert cal.deadline(date(2026, 9, 25), 20) == Deadline(date(2026, 10, 29), False, ())
    assert cal.deadline(date(2026, 10, 9), 1) == Deadline(date(2026, 10, 10), False, ())
    assert cal.is_estimated(date(2026, 12, 8), date(2027, 1, 6))
    assert not cal.is_estimated(date(2026, 12, 8), date(2026, 12, 31))
    assert cal.is_estimated(None, date(2027, 1, 6)) and not cal.is_estimated(None, date(2026, 1, 6))
    assert cal.deadline(date(2027, 3, 1), 0) == Deadline(date(2027, 3, 1), False, ())


def test_2027_estimate_skips_every_statutory_holiday() -> None:
    cal = Calendar()
    assert cal.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 9)  # 除夕 02-05 (Fri) … 初三 02-08 (Mon) off
    assert cal.add_workdays(date(2027, 4, 2), 1) == date(2027, 4, 6)  # 清明 04-05 (Mon)
    assert cal.add_workdays(date(2027, 4, 30), 1) == date(2027, 5, 3)  # 劳动节 05-01/02 is a weekend: no 补假
    assert cal.add_workdays(date(2027, 6, 8), 1) == date(2027, 6, 10)  # 端午 06-09 (Wed)
    assert cal.add_workdays(date(2027, 9, 14), 1) == date(2027, 9, 16)  # 中秋 09-15 (Wed)
    assert cal.add_workdays(date(2027, 9, 30), 1) == date(2027, 10, 4)  # 国庆 10-01 (Fri) … 10-03 (Sun)
    assert cal.workdays_between(date(2027, 1, 31), date(2027, 2, 28)) == 20 - 2  # Feb: 20 weekdays less 02-05, 02-08


@given(st.dictionaries(ANY_DATES, st.booleans(), max_size=20), ANY_DATES)
def test_overrides_always_win(overrides: dict[date, bool], day: date) -> None:
    cal = Calendar(overrides)
    for d, is_workday in overrides.items():
        assert cal.is_workday(d) is is_workday
    if day not in overrides:
        if day.year in {d.year for d in overrides} and not 2004 <= day.year <= 2026:
            # a year entered in the table is known: its other days are Mon–Fri (no statutory estimate)
            assert cal.is_workday(day) == (day.weekday() < 5)
        else:  # other days are untouched
            assert cal.is_workday(day) == Calendar().is_workday(day)

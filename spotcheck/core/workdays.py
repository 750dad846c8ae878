"""Working days under the State Council holiday schedule, make-up working days (调休) included.

The schedule comes from the ``chinesecalendar`` package (import name ``chinese_calendar``), which
knows the years up to its release, plus an override table supplied by the caller: the product
keeps holiday rows in its database so that an admin can enter next year's schedule (published
each November) or correct a day. Overrides win over the package for every date they name.

For a year that neither the package nor the overrides cover (its official schedule is not loaded),
the days off are estimated from the statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision, in
force since 2025-01-01; :func:`statutory_holidays`): 元旦 1 day, 春节 4 days from 除夕, 清明节 (the solar
term), 劳动节 1–2 May, 端午节, 中秋节, 国庆节 1–3 October, lunar dates and 清明 from ``lunar-python``. No
调休 is guessed; weekends stay days off. Every deadline that counts a day of such a year is an *estimate*
(:meth:`Calendar.deadline` returns :class:`Deadline` with ``estimated``), and :attr:`Calendar.warnings`
gets one Chinese message per such year, so deadlines are still computed (never a crash) and the admin
is told to enter the schedule.

Pure Python, no Django. Dates are plain :class:`datetime.date`; a ``datetime`` is reduced to its date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar  # type: ignore[import-untyped]
from lunar_python import Lunar, Solar  # type: ignore[import-untyped]

__all__ = ["STATUTORY_FROM", "Calendar", "Deadline", "statutory_holidays", "unknown_year_warning"]

_ONE_DAY = timedelta(days=1)


def _as_date(value: date) -> date:
    """``value`` as a plain date (a ``datetime`` would never match a ``date`` key in a mapping)."""
    return value.date() if isinstance(value, datetime) else value


# The package's tables of holidays and make-up working days, read once
# (its own ``is_workday`` rescans them on every call).
_PACKAGE_HOLIDAYS: frozenset[date] = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS: frozenset[date] = frozenset(chinese_calendar.workdays)
_PACKAGE_YEARS = range(min(_PACKAGE_HOLIDAYS).year, max(_PACKAGE_HOLIDAYS).year + 1)


def _package_knows(year: int) -> bool:
    """Whether the package has the schedule of ``year`` (its ``is_workday`` raises otherwise)."""
    return year in _PACKAGE_YEARS


def _package_is_workday(day: date) -> bool:
    """The package's rule: a make-up working day, or Mon–Fri and not a holiday."""
    return day in _PACKAGE_WORKDAYS or (day.weekday() < 5 and day not in _PACKAGE_HOLIDAYS)


#: First year of the statutory holidays used for an estimate (the 2024 revision, in force 2025-01-01).
#: An unknown year before it (before the package's range) is estimated Monday to Friday only.
STATUTORY_FROM = 2025


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of ``year`` under 《全国年节及纪念日放假办法》 (2024 revision), day → name.

    元旦 1 January; 春节 除夕 and 正月初一 to 初三; 清明节 the day of the solar term 清明; 劳动节 1–2 May;
    端午节 五月初五; 中秋节 八月十五; 国庆节 1–3 October. Without the State Council's shifts (调休) or
    substitute days: a holiday falling on a weekend is simply a weekend day. Empty before
    :data:`STATUTORY_FROM`.
    """
    if year < STATUTORY_FROM:
        return {}

    def lunar(month: int, day: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    new_year = lunar(1, 1)  # 正月初一 falls between 21 January and 20 February: 除夕 is in the same year
    for offset in range(-1, 3):
        days[new_year + timedelta(days=offset)] = "春节"
    qingming = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    days[date(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[lunar(5, 5)] = "端午节"
    days[lunar(8, 15)] = "中秋节"
    for d in (1, 2, 3):
        days.setdefault(date(year, 10, d), "国庆节")  # 中秋 may fall on 1–3 October (2028, 2031)
    return days


def unknown_year_warning(year: int) -> str:
    """The Chinese warning for a year whose official schedule is not loaded (one wording everywhere)."""
    if year < STATUTORY_FROM:
        return f"{year} 年的法定节假日安排未知，按周一至周五预估工作日，期限为预估，请管理员录入该年节假日"
    return (f"{year} 年的法定节假日安排未知（国务院放假安排未录入），按《全国年节及纪念日放假办法》的法定节假日"
            f"预估工作日（不含调休），期限为预估，请管理员录入该年节假日")


@dataclass(frozen=True)
class Deadline:
    """A deadline: its day, and whether it is an estimate.

    ``estimated`` is true when a day counted lies in a year whose official schedule is not loaded
    (``estimated_years``): the day may move once the State Council's schedule is entered.
    """

    day: date
    estimated: bool = False
    estimated_years: tuple[int, ...] = ()


class Calendar:
    """Working-day arithmetic over the package's schedule plus ``overrides`` (date → is_workday).

    ``warnings`` lists, in the order met, one Chinese message per unknown year that a computation
    touched (see :meth:`known`); the caller shows them to the user or the admin.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = {_as_date(day): bool(v) for day, v in (overrides or {}).items()}
        self._override_years = frozenset(day.year for day in self._overrides)
        self._warned_years: set[int] = set()
        self.warnings: list[str] = []

    def known(self, year: int) -> bool:
        """True if the package has the schedule for ``year`` or any override falls in ``year``.

        One override row is taken to mean the admin entered that year's schedule.
        """
        return year in self._override_years or _package_knows(year)

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day: the override if any, else the package; in a year with
        override rows but unknown to the package, Mon–Fri; in an unknown year, Mon–Fri less the
        statutory holidays (an estimate, see :func:`statutory_holidays`)."""
        day = _as_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if _package_knows(day.year):
            return _package_is_workday(day)
        if day.year in self._override_years:
            return day.weekday() < 5
        self._warn_unknown(day.year)
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

    def estimated_years(self, start: date, end: date) -> tuple[int, ...]:
        """The years of the days in (start, end] (or (end, start]) whose schedule is not known."""
        a, b = sorted((_as_date(start), _as_date(end)))
        if a == b:
            return ()
        return tuple(y for y in range((a + _ONE_DAY).year, b.year + 1) if not self.known(y))

    def is_estimated(self, start: date | None, end: date | None) -> bool:
        """Whether a deadline ``end`` counted from ``start`` is an estimate (see :class:`Deadline`).

        Without ``start`` only the deadline's own year is looked at.
        """
        if end is None:
            return False
        end = _as_date(end)
        if start is None:
            return not self.known(end.year)
        return bool(self.estimated_years(start, end))

    def deadline(self, start: date, n: int) -> Deadline:
        """:meth:`add_workdays` with the estimate flag: the ``n``-th working day after ``start``."""
        day = self.add_workdays(start, n)
        years = self.estimated_years(start, day)
        return Deadline(day, bool(years), years)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted); ``start`` if n == 0.

        E.g. a deadline "within 20 working days from the day the check ends" is
        ``add_workdays(end_of_check, 20)``. Raises ``ValueError`` if ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"工作日天数不能为负数：{n}")
        day = _as_date(start)
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in the half-open interval (a, b]; negative (−count of (b, a]) when b < a.

        So ``workdays_between(a, add_workdays(a, n)) == n`` and counts add up:
        ``between(a, b) + between(b, c) == between(a, c)``.
        """
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            count += self.is_workday(day)
        return count

    def _warn_unknown(self, year: int) -> None:
        if year not in self._warned_years:
            self._warned_years.add(year)
            self.warnings.append(unknown_year_warning(year))

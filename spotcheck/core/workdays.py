"""Working days under the State Council holiday schedule, make-up working days (调休) included.

The schedule comes from the ``chinesecalendar`` package (import name ``chinese_calendar``), which
knows the years up to its release, plus an override table supplied by the caller: the product
keeps holiday rows in its database so that an admin can enter next year's schedule (published
each November) or correct a day. Overrides win over the package for every date they name.

For a year that neither the package nor the overrides cover, working days fall back to Monday to
Friday and :attr:`Calendar.warnings` gets one Chinese message per such year, so deadlines are still
computed (never a crash) and the admin is told to enter the schedule.

Pure Python, no Django. Dates are plain :class:`datetime.date`; a ``datetime`` is reduced to its date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import chinese_calendar  # type: ignore[import-untyped]

__all__ = ["Calendar"]

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
        """Whether ``day`` is a working day: the override if any, else the package, else Mon–Fri."""
        day = _as_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if _package_knows(day.year):
            return _package_is_workday(day)
        if day.year not in self._override_years:
            self._warn_unknown(day.year)
        return day.weekday() < 5

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
            self.warnings.append(
                f"{year} 年的法定节假日安排未知，按周一至周五计算工作日，请管理员录入该年节假日"
            )

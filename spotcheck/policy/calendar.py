"""The product's working-day calendar: ``chinesecalendar`` plus the editable holiday table.

``calendar()`` builds a :class:`spotcheck.core.workdays.Calendar` with every ``HolidayOverride`` row;
``deadline(start, n)`` is the deadline "n working days after start" as a :class:`Deadline` (its day and
whether it is an estimate: a year whose official schedule is not loaded, estimated from the statutory
holidays), ``due_date(start, n)`` the same as ``(day, warnings)``. ``estimate_notice(years)`` is the one
administrator's notice for the pages that show estimated deadlines.

The holiday table is configuration, not a record: an admin adds, changes and removes override days
(``policy.actions.set_override``, ``remove_override``, ``import_overrides``), each change an audit
event with before/after. :func:`year_status` tells per year whether the schedule is known and from where.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import chinese_calendar  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError

from spotcheck.base import tabular
from spotcheck.core.workdays import STATUTORY_FROM, Calendar, Deadline, unknown_year_warning

__all__ = ["Calendar", "Deadline", "calendar", "deadline", "due_date", "estimate_notice", "workdays_between",
           "year_status"]

#: Years whose schedule the installed ``chinesecalendar`` package knows.
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

#: Words accepted for the kind of an override day (CLI, CSV import).
WORKDAY_WORDS = frozenset({"workday", "work", "上班", "工作日", "调休上班", "1", "true", "是"})
HOLIDAY_WORDS = frozenset({"holiday", "off", "休息", "节假日", "法定节假日", "休息日", "0", "false", "否"})


def calendar() -> Calendar:
    """A fresh calendar over the package schedule and the holiday table (read now)."""
    from .models import HolidayOverride

    return Calendar(dict(HolidayOverride.objects.values_list("day", "is_workday")))


def deadline(start: dt.date, workdays: int, cal: Calendar | None = None) -> Deadline:
    """The ``workdays``-th working day after ``start``, with ``estimated`` when a year it counts is unknown."""
    return (cal or calendar()).deadline(start, workdays)


def due_date(start: dt.date, workdays: int) -> tuple[dt.date, list[str]]:
    """The ``workdays``-th working day after ``start`` and the calendar's warnings (unknown years).

    The deadline is an estimate exactly when the warnings are not empty (see :func:`deadline`).
    """
    cal = calendar()
    return cal.add_workdays(start, workdays), list(cal.warnings)


def estimate_notice(years: Iterable[int]) -> str:
    """The administrator's notice for pages showing estimated deadlines ("" when there are none)."""
    years = sorted(set(years))
    if not years:
        return ""
    named = "、".join(f"{y} 年" for y in years)
    return (f"{named}的国务院节假日安排尚未录入，相关期限按法定节假日预估（标“预估”，不含调休）。"
            f"请在“节假日表”录入该年节假日安排。")


def workdays_between(a: dt.date, b: dt.date) -> tuple[int, list[str]]:
    """Working days in (a, b] (negative when b < a) and the calendar's warnings."""
    cal = calendar()
    return cal.workdays_between(a, b), list(cal.warnings)


@dataclass(frozen=True)
class YearStatus:
    year: int
    in_package: bool
    overrides: int  # rows of the holiday table in this year

    @property
    def known(self) -> bool:
        return self.in_package or self.overrides > 0

    @property
    def source(self) -> str:
        if self.in_package and self.overrides:
            return "chinesecalendar 软件包 + 节假日表"
        if self.in_package:
            return "chinesecalendar 软件包"
        if self.overrides:
            return "节假日表（管理员录入）"
        return "未知：按法定节假日预估（不含调休）" if self.year >= STATUTORY_FROM else "未知：按周一至周五预估"

    @property
    def warning(self) -> str:
        """The Chinese warning for an unknown year ("" when known); the wording of the calendar's warnings."""
        return "" if self.known else unknown_year_warning(self.year)


def year_status(years: Iterable[int]) -> list[YearStatus]:
    """Whether each year's schedule is known (package or table) and how many table rows it has."""
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from .models import HolidayOverride

    counts = dict(
        HolidayOverride.objects.annotate(y=ExtractYear("day")).values("y").annotate(n=Count("id")).values_list("y", "n")
    )
    return [YearStatus(y, y in PACKAGE_YEARS, counts.get(y, 0)) for y in sorted(set(years))]


def parse_kind(text: str) -> bool:
    """``True`` for a working day, ``False`` for a holiday; ``ValueError`` (Chinese) otherwise."""
    word = (text or "").strip().lower()
    if word in WORKDAY_WORDS:
        return True
    if word in HOLIDAY_WORDS:
        return False
    raise ValueError(f"类型“{text}”无法识别：应为 workday/上班 或 holiday/休息")


def parse_day(text: str) -> dt.date:
    """An ISO date (2026-10-01; 2026/10/01 accepted); ``ValueError`` (Chinese) otherwise."""
    value = (text or "").strip().replace("/", "-")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"日期“{text}”格式错误：应为 YYYY-MM-DD，如 2026-10-01") from None


def read_csv(data: bytes | str) -> list[tuple[dt.date, bool, str]]:
    """Rows ``date,kind[,note]`` (UTF-8 or GB18030, optional header, blank lines skipped).

    ``ValidationError`` listing every bad row (Chinese, with its line number); nothing is returned
    half-read.
    """
    try:
        lines = list(tabular.iter_csv(data))
    except tabular.UnreadableFile as exc:
        raise ValidationError([str(exc)]) from None
    rows: list[tuple[dt.date, bool, str]] = []
    errors: list[str] = []
    seen: dict[dt.date, int] = {}
    for number, fields in lines:
        fields = [f.strip() for f in fields]
        if not any(fields):
            continue
        if number == 1 and fields[0].lower() in {"date", "day", "日期"}:
            continue
        if len(fields) < 2:
            errors.append(f"第 {number} 行：应为“日期,类型[,说明]”")
            continue
        try:
            day = parse_day(fields[0])
            is_workday = parse_kind(fields[1])
        except ValueError as exc:
            errors.append(f"第 {number} 行：{exc}")
            continue
        note = ",".join(fields[2:]).strip()
        if len(note) > 100:
            errors.append(f"第 {number} 行：说明不能超过 100 个字")
            continue
        if day in seen:
            errors.append(f"第 {number} 行：日期 {day} 与第 {seen[day]} 行重复")
            continue
        seen[day] = number
        rows.append((day, is_workday, note))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(["文件中没有节假日数据（每行：日期,类型[,说明]）"])
    return rows

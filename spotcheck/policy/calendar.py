"""The product's working-day calendar: ``chinesecalendar`` plus the editable holiday table.

``calendar()`` builds a :class:`spotcheck.core.workdays.Calendar` with every ``HolidayOverride`` row;
``due_date(start, n)`` is the deadline "n working days after start" and the warnings for unknown years.

The holiday table is configuration, not a record: an admin adds, changes and removes override days
(:func:`set_override`, :func:`remove_override`, :func:`import_overrides`), each change an audit event
with before/after. :func:`year_status` tells per year whether the schedule is known and from where.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError

from spotcheck.base.transactions import atomic_action
from spotcheck.core.workdays import Calendar

#: Years whose schedule the installed ``chinesecalendar`` package knows.
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

#: Words accepted for the kind of an override day (CLI, CSV import).
WORKDAY_WORDS = frozenset({"workday", "work", "上班", "工作日", "调休上班", "1", "true", "是"})
HOLIDAY_WORDS = frozenset({"holiday", "off", "休息", "节假日", "法定节假日", "休息日", "0", "false", "否"})


def calendar() -> Calendar:
    """A fresh calendar over the package schedule and the holiday table (read now)."""
    from .models import HolidayOverride

    return Calendar(dict(HolidayOverride.objects.values_list("day", "is_workday")))


def due_date(start: dt.date, workdays: int) -> tuple[dt.date, list[str]]:
    """The ``workdays``-th working day after ``start`` and the calendar's warnings (unknown years)."""
    cal = calendar()
    return cal.add_workdays(start, workdays), list(cal.warnings)


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
        return "未知：按周一至周五计算"


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


def _snapshot(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"day": row.day, "is_workday": row.is_workday, "note": row.note}


def _check_actor(actor: Any) -> None:
    """People need ``admin``; the console (``actor`` a plain string such as "cli") is trusted."""
    if not isinstance(actor, str):
        from spotcheck.accounts.scope import require

        require(actor, "admin")


def _set(actor: Any, day: dt.date, is_workday: bool, note: str) -> tuple[Any, bool]:
    """Create or update one row with its audit event; returns (row, changed). Caller holds a transaction."""
    from spotcheck.audit.actions import record

    from .models import HolidayOverride

    row = HolidayOverride.objects.select_for_update().filter(day=day).first()
    before = _snapshot(row)
    if row is None:
        row = HolidayOverride.objects.create(
            day=day, is_workday=is_workday, note=note, created_by=None if isinstance(actor, str) else actor
        )
    elif (row.is_workday, row.note) == (is_workday, note):
        return row, False
    else:
        row.is_workday, row.note = is_workday, note
        row.save(update_fields=["is_workday", "note"])
    record(actor, "holiday.set", row, before=before, after=_snapshot(row))
    return row, True


def set_override(actor: Any, day: dt.date, is_workday: bool, note: str = "") -> Any:
    """Add or change the override of ``day`` (admins; audited with before/after)."""
    _check_actor(actor)
    note = (note or "").strip()
    if len(note) > 100:
        raise ValidationError({"note": "说明不能超过 100 个字"})
    with atomic_action():
        row, _ = _set(actor, day, is_workday, note)
    return row


def remove_override(actor: Any, day: dt.date) -> bool:
    """Remove the override of ``day`` (admins; audited). False if there was none."""
    from spotcheck.audit.actions import record

    from .models import HolidayOverride

    _check_actor(actor)
    with atomic_action():
        row = HolidayOverride.objects.select_for_update().filter(day=day).first()
        if row is None:
            return False
        record(actor, "holiday.remove", row, before=_snapshot(row), after=None, deleted=True,
               reason=f"删除节假日调整 {row}")
        row.delete()
    return True


def read_csv(data: bytes | str) -> list[tuple[dt.date, bool, str]]:
    """Rows ``date,kind[,note]`` (UTF-8, optional header, blank lines skipped).

    ``ValidationError`` listing every bad row (Chinese, with its line number); nothing is returned
    half-read.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    rows: list[tuple[dt.date, bool, str]] = []
    errors: list[str] = []
    seen: dict[dt.date, int] = {}
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
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


def import_overrides(actor: Any, data: bytes | str) -> tuple[int, int]:
    """Import a CSV of override days in one transaction (all or nothing); returns (changed, unchanged)."""
    _check_actor(actor)
    rows = read_csv(data)
    changed = 0
    with atomic_action():
        for day, is_workday, note in rows:
            changed += _set(actor, day, is_workday, note)[1]
    return changed, len(rows) - changed

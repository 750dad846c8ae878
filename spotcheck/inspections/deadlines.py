"""Deadlines of inspections: 录入与公示 within N working days of the end of the check (附件2).

``due_date`` on an :class:`~spotcheck.inspections.models.Inspection` is the deadline. Before the check
ends it is provisional (N working days after the task's last day); ``record_result`` replaces it with
N working days after ``ended_on``. Working days come from ``spotcheck.policy.calendar`` (the 2026
schedule: ended 2026-09-25 + 20 → 2026-10-29). "临期" is a deadline within policy
``inspection.overdue_warning_workdays`` working days.

A deadline that counts days of a year whose official schedule is not loaded is an estimate (预估,
statutory holidays only, see ``spotcheck.core.workdays``). It is decided when shown, from the stored
deadline and the day it was counted from (:func:`counted_from`), so it stops being 预估 once an
administrator enters that year; :class:`Window` answers it for a page (one calendar per page), with the
remaining time in working days (:meth:`Window.remaining`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from spotcheck import policy
from spotcheck.base.permissions import can
from spotcheck.policy.calendar import Calendar, calendar, estimate_notice
from spotcheck.policy.calendar import due_date as calendar_due_date

from .models import InspectionStatus

#: Statuses whose deadline still runs (the result is not yet published).
OPEN_STATUSES = (
    InspectionStatus.PLANNED, InspectionStatus.NOTIFIED, InspectionStatus.RECORDED, InspectionStatus.REVIEWED,
)

OVERDUE, DUE_SOON, ON_TIME = "overdue", "due_soon", "ok"
LABELS = {OVERDUE: "已逾期", DUE_SOON: "临期", ON_TIME: "正常"}


def disclosure_due(ended_on: dt.date) -> tuple[dt.date, list[str]]:
    """The 录入与公示 deadline of a check that ended on ``ended_on`` (policy in force on that day)."""
    n = int(policy.get("disclosure.deadline_workdays", on=ended_on))
    return calendar_due_date(ended_on, n)


def counted_from(inspection: Any) -> dt.date | None:
    """The day an inspection's deadline is counted from: the check's end, else the task period's end."""
    if inspection.ended_on:
        return inspection.ended_on
    task = getattr(inspection, "task", None)
    return task.period_end if task is not None else None


@dataclass(frozen=True)
class Remaining:
    """Working days left until a deadline (``overdue``: working days past it); ``text`` as the pages show it."""

    days: int
    overdue: bool
    today: bool = False  # the deadline is today

    @property
    def text(self) -> str:
        if self.overdue:
            return f"已逾期 {self.days} 个工作日" if self.days else "已逾期"
        return "今日到期" if self.today else f"剩 {self.days} 个工作日"


@dataclass(frozen=True)
class Window:
    """Today and the last day that counts as 临期 (``today`` + warning working days), with the calendar
    the page counts with (one read of the holiday table per page)."""

    today: dt.date
    warn_until: dt.date
    cal: Calendar | None = field(default=None, compare=False, repr=False)

    @property
    def calendar(self) -> Calendar:
        if self.cal is None:
            object.__setattr__(self, "cal", calendar())
        return self.cal  # type: ignore[return-value]

    def estimated_years(self, inspection: Any) -> tuple[int, ...]:
        """The unknown years behind an inspection's deadline (empty: not an estimate)."""
        due = inspection.due_date
        if due is None:
            return ()
        start = counted_from(inspection)
        if start is None or start >= due:
            return () if self.calendar.known(due.year) else (due.year,)
        return self.calendar.estimated_years(start, due)

    def estimated(self, inspection: Any) -> bool:
        """Whether an inspection's deadline is an estimate (预估)."""
        return bool(self.estimated_years(inspection))

    def remaining(self, due: dt.date | None) -> Remaining | None:
        """Working days from today to ``due``: "剩 N 个工作日", "今日到期" or "已逾期 N 个工作日"."""
        if due is None:
            return None
        if due < self.today:
            return Remaining(-self.calendar.workdays_between(self.today, due), True)
        return Remaining(self.calendar.workdays_between(self.today, due), False, due == self.today)

    def state(self, due: dt.date | None, status: str = InspectionStatus.PLANNED) -> str:
        if due is None or status not in OPEN_STATUSES:
            return ON_TIME
        if due < self.today:
            return OVERDUE
        if due <= self.warn_until:
            return DUE_SOON
        return ON_TIME


def window(today: dt.date | None = None) -> Window:
    today = today or timezone.localdate()
    n = int(policy.get("inspection.overdue_warning_workdays", on=today))
    cal = calendar()
    return Window(today, cal.add_workdays(today, n), cal)


def decorate(rows: Any, win: Window) -> Any:
    """Set ``deadline_estimated`` (and ``deadline_estimated_years``) and ``deadline_remaining`` (a
    :class:`Remaining` while the deadline runs, else ``None``) on each inspection; returns ``rows``."""
    for insp in rows:
        years = win.estimated_years(insp)
        insp.deadline_estimated_years = years
        insp.deadline_estimated = bool(years)
        insp.deadline_remaining = win.remaining(insp.due_date) if insp.status in OPEN_STATUSES else None
    return rows


def estimated_years(rows: Any) -> set[int]:
    """The unknown years behind the estimated deadlines of decorated ``rows``."""
    return {y for insp in rows for y in getattr(insp, "deadline_estimated_years", ())}


def unknown_due_years(qs: Any, win: Window) -> set[int]:
    """The unknown years in which deadlines of the open inspections of ``qs`` fall (one query)."""
    open_qs = qs.filter(status__in=OPEN_STATUSES, due_date__isnull=False)
    return {d.year for d in open_qs.dates("due_date", "year") if not win.calendar.known(d.year)}


def notice_for(user: Any, years: Any) -> str:
    """The notice for administrators (``can(user, "admin")``) to enter the schedule of the unknown
    ``years`` behind estimated deadlines; "" for everyone else or without any."""
    years = set(years)
    return estimate_notice(years) if years and can(user, "admin") else ""


def workdays_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Working days from ``start`` to ``end`` inclusive (at least ``[start]`` when there are none)."""
    cal = calendar()
    days, day = [], start
    while day <= end:
        if cal.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days or [start]

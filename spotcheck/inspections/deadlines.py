"""Deadlines of inspections: 录入与公示 within N working days of the end of the check (附件2).

``due_date`` on an :class:`~spotcheck.inspections.models.Inspection` is the deadline. Before the check
ends it is provisional (N working days after the task's last day); ``record_result`` replaces it with
N working days after ``ended_on``. Working days come from ``spotcheck.policy.calendar`` (the 2026
schedule: ended 2026-09-25 + 20 → 2026-10-29). "临期" is a deadline within policy
``inspection.overdue_warning_workdays`` working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from spotcheck import policy
from spotcheck.policy.calendar import calendar
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


@dataclass(frozen=True)
class Window:
    """Today and the last day that counts as 临期 (``today`` + warning working days)."""

    today: dt.date
    warn_until: dt.date

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
    return Window(today, calendar().add_workdays(today, n))


def workdays_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Working days from ``start`` to ``end`` inclusive (at least ``[start]`` when there are none)."""
    cal = calendar()
    days, day = [], start
    while day <= end:
        if cal.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days or [start]

"""The product's working-day calendar: ``chinesecalendar`` plus the editable holiday table.

``calendar()`` builds a :class:`spotcheck.core.workdays.Calendar` with every ``HolidayOverride`` row;
``due_date(start, n)`` is the deadline "n working days after start" and the warnings for unknown years.
"""

from __future__ import annotations

import datetime as dt

from spotcheck.core.workdays import Calendar


def calendar() -> Calendar:
    """A fresh calendar over the package schedule and the holiday table (read now)."""
    from .models import HolidayOverride

    return Calendar(dict(HolidayOverride.objects.values_list("day", "is_workday")))


def due_date(start: dt.date, workdays: int) -> tuple[dt.date, list[str]]:
    """The ``workdays``-th working day after ``start`` and the calendar's warnings (unknown years)."""
    cal = calendar()
    return cal.add_workdays(start, workdays), list(cal.warnings)

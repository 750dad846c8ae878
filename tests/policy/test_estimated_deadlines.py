"""Deadlines in a year whose official schedule is not loaded (issue 14, part 5), at the calendar service and on
the holiday page: estimated from the statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision), flagged
``estimated``; a year the package knows, or one entered in the holiday table, is not an estimate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.core.workdays import statutory_holidays
from spotcheck.policy import calendar as cal
from spotcheck.policy.models import HolidayOverride

pytestmark = pytest.mark.django_db


def test_2027_is_estimated_from_the_statutory_holidays():
    assert 2027 not in cal.PACKAGE_YEARS
    # The case: 2026-12-08 + 20 working days skips 元旦 (was shown as 2027-01-05).
    due = cal.deadline(dt.date(2026, 12, 8), 20)
    assert (due.day, due.estimated, due.estimated_years) == (dt.date(2027, 1, 6), True, (2027,))
    day, warnings = cal.due_date(dt.date(2026, 12, 8), 20)
    assert day == dt.date(2027, 1, 6) and len(warnings) == 1 and "预估" in warnings[0]

    # Every statutory day off of 2027 is skipped; the lunar dates come from lunar-python.
    holidays = statutory_holidays(2027)
    for name, days in {
        "元旦": [dt.date(2027, 1, 1)],
        "春节": [dt.date(2027, 2, 5), dt.date(2027, 2, 6), dt.date(2027, 2, 7), dt.date(2027, 2, 8)],  # 除夕 … 初三
        "清明节": [dt.date(2027, 4, 5)],
        "劳动节": [dt.date(2027, 5, 1), dt.date(2027, 5, 2)],
        "端午节": [dt.date(2027, 6, 9)],
        "中秋节": [dt.date(2027, 9, 15)],
        "国庆节": [dt.date(2027, 10, 1), dt.date(2027, 10, 2), dt.date(2027, 10, 3)],
    }.items():
        assert sorted(d for d, n in holidays.items() if n == name) == days, name
    calendar = cal.calendar()
    assert not any(calendar.is_workday(d) for d in holidays)
    assert cal.deadline(dt.date(2027, 2, 4), 1).day == dt.date(2027, 2, 9)  # across 春节
    assert cal.deadline(dt.date(2027, 4, 2), 1).day == dt.date(2027, 4, 6)  # across 清明
    assert cal.deadline(dt.date(2027, 6, 8), 1).day == dt.date(2027, 6, 10)  # across 端午
    assert cal.deadline(dt.date(2027, 9, 14), 1).day == dt.date(2027, 9, 16)  # across 中秋
    assert cal.deadline(dt.date(2027, 9, 30), 1).day == dt.date(2027, 10, 4)  # across 国庆 (Fri–Sun)
    assert cal.deadline(dt.date(2027, 10, 8), 1).day == dt.date(2027, 10, 11)  # no 调休 guessed: Saturday 10-09 off


def test_a_package_year_keeps_its_official_schedule_and_is_not_estimated():
    due = cal.deadline(dt.date(2026, 9, 25), 20)
    assert (due.day, due.estimated) == (dt.date(2026, 10, 29), False)
    assert cal.calendar().is_workday(dt.date(2026, 10, 10))  # Saturday, 调休 working day
    assert cal.due_date(dt.date(2026, 9, 25), 20) == (dt.date(2026, 10, 29), [])


def test_a_year_in_the_holiday_table_is_known_per_the_table():
    HolidayOverride.objects.create(day=dt.date(2027, 10, 1), is_workday=False, note="国庆节")
    HolidayOverride.objects.create(day=dt.date(2027, 10, 9), is_workday=True, note="国庆节调休上班")
    status = {s.year: s for s in cal.year_status([2027])}[2027]
    assert status.known and status.source == "节假日表（管理员录入）" and status.warning == ""
    # Known: the table's rows win, every other day is Monday to Friday, nothing is estimated or warned.
    due = cal.deadline(dt.date(2026, 12, 8), 20)
    assert (due.day, due.estimated) == (dt.date(2027, 1, 5), False)  # 元旦 not in the table: a working day
    assert cal.due_date(dt.date(2026, 12, 8), 20)[1] == []
    assert cal.deadline(dt.date(2027, 10, 8), 1).day == dt.date(2027, 10, 9)  # the table's working Saturday


def test_holiday_page_explains_the_estimate(client_for, admin_user, county_user, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: dt.date(2026, 12, 1))
    url = reverse("policy:holiday-list")
    page = client_for(county_user).get(url, {"start": "2026-12-08", "n": "20"})
    text = page.content.decode()
    status = {s.year: s for s in page.context["statuses"]}[2027]
    assert not status.known and status.source == "未知：按法定节假日预估（不含调休）"
    assert "2027 年的法定节假日安排未知" in text and "按《全国年节及纪念日放假办法》的法定节假日预估" in text
    assert "请联系系统管理员录入" in text
    assert page.context["deadline"]["due"] == dt.date(2027, 1, 6) and page.context["deadline"]["estimated"]
    assert "<strong>2027-01-06</strong> <span class=\"badge warn\"" in text
    admin = client_for(admin_user).get(url).content.decode()
    assert "请在下方录入该年节假日安排" in admin
    # a 2026 computation is not an estimate
    page = client_for(county_user).get(url, {"start": "2026-09-25", "n": "20"})
    assert page.context["deadline"]["due"] == dt.date(2026, 10, 29) and not page.context["deadline"]["estimated"]

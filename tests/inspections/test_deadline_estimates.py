"""Deadlines in a year whose official schedule is not loaded (issue 14, part 5): estimated from the statutory
holidays, marked 预估 on the dashboard, the record pages and in the API, remaining time in working days, and a
notice for administrators. Dates are fixed: "today" is pinned to Monday 2027-01-04 (2027 is unknown to
chinesecalendar 1.11.0 and the holiday table starts empty), the task ended on 2026-12-08.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from spotcheck.inspections import deadlines
from spotcheck.inspections.models import Inspection
from spotcheck.planning.models import Task
from spotcheck.policy.calendar import PACKAGE_YEARS
from spotcheck.policy.models import HolidayOverride

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 4)  # Monday
PERIOD_END = dt.date(2026, 12, 8)
# 2026-12-08 + 20 working days: 12-09 … 12-31 are 17, 元旦 2027-01-01 (Friday) is off, 01-04, 01-05, 01-06.
ESTIMATED_DUE = dt.date(2027, 1, 6)
NOTICE = "2027 年的国务院节假日安排尚未录入"


@pytest.fixture
def pinned(monkeypatch):
    """``timezone.localdate()`` answers 2027-01-04 (with an argument it converts as usual)."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr(timezone, "localdate", localdate)
    assert 2027 not in PACKAGE_YEARS and not HolidayOverride.objects.exists()
    return TODAY


@pytest.fixture
def due_2027(pinned, hospital_inspection):
    """The hospital's record: task period 2026-11-16 … 2026-12-08, provisional deadline in 2027 (预估); another
    record of the task with a 2026 deadline that passed (counted in 2026 only: not an estimate)."""
    Task.objects.filter(pk=hospital_inspection.task_id).update(
        period_start=dt.date(2026, 11, 16), period_end=PERIOD_END)
    due, warnings = deadlines.disclosure_due(PERIOD_END)
    assert due == ESTIMATED_DUE and warnings and "预估" in warnings[0]
    Inspection.objects.filter(pk=hospital_inspection.pk).update(due_date=due)
    other = Inspection.objects.exclude(pk=hospital_inspection.pk).order_by("id").first()
    Inspection.objects.filter(pk=other.pk).update(due_date=dt.date(2026, 12, 31))
    hospital_inspection.refresh_from_db()
    other.refresh_from_db()
    return hospital_inspection, other


def test_the_window_tells_estimate_and_working_days_left(due_2027):
    insp, other = due_2027
    win = deadlines.window()
    assert win.today == TODAY
    assert win.estimated(insp) and win.estimated_years(insp) == (2027,)
    assert not win.estimated(other)  # counted from 2026-12-08 to 2026-12-31: all in 2026
    assert win.remaining(insp.due_date).text == "剩 2 个工作日"  # 01-05, 01-06
    # 2026-12-31 → 2027-01-04: 元旦 is off (estimated), so only Monday counts
    assert win.remaining(other.due_date).text == "已逾期 1 个工作日"
    assert win.remaining(TODAY).text == "今日到期"
    # a 2026 deadline uses the official schedule with its 调休 and is not an estimate
    ended = Inspection(due_date=dt.date(2026, 10, 29), ended_on=dt.date(2026, 9, 25))
    assert deadlines.disclosure_due(dt.date(2026, 9, 25)) == (dt.date(2026, 10, 29), [])
    assert not win.estimated(ended)


def test_dashboard_marks_estimates_and_counts_working_days(client_for, county_user, admin_user, due_2027):
    insp, other = due_2027
    r = client_for(county_user).get(reverse("inspections:dashboard"))
    body = r.content.decode()
    rows = {i.pk: i for i in r.context["rows"]}
    assert rows[insp.pk].deadline_estimated and not rows[other.pk].deadline_estimated
    assert "2027-01-06 <span class=\"badge warn\"" in body and ">预估</span>" in body
    assert "剩 2 个工作日" in body and "已逾期 1 个工作日" in body
    assert NOTICE not in body  # not an administrator

    body = client_for(admin_user).get(reverse("inspections:dashboard")).content.decode()
    assert NOTICE in body and reverse("policy:holiday-list") in body


def test_record_pages_mark_the_estimate(client_for, county_user, admin_user, team_user, due_2027):
    insp, _other = due_2027
    for user, name in ((county_user, "inspections:detail"), (team_user, "inspections:record")):
        body = client_for(user).get(reverse(name, args=[insp.pk])).content.decode()
        assert 'data-testid="deadline-estimated">预估</span>' in body, name
        assert "剩 2 个工作日" in body, name
        assert NOTICE not in body
    body = client_for(admin_user).get(reverse("inspections:detail", args=[insp.pk])).content.decode()
    assert NOTICE in body
    body = client_for(county_user).get(reverse("inspections:index")).content.decode()
    assert 'data-testid="deadline-estimated">预估</span>' in body and "剩 2 个工作日" in body


def test_api_carries_the_flag_and_the_working_days_left(county_user, due_2027):
    insp, other = due_2027
    c = APIClient()
    c.force_authenticate(county_user)
    rows = {row["id"]: row for row in c.get("/api/inspections/", {"page_size": 100}).data["results"]}
    assert rows[insp.pk]["due_date"] == "2027-01-06"
    assert rows[insp.pk]["deadline_estimated"] is True and rows[insp.pk]["deadline_workdays_left"] == 2
    assert rows[other.pk]["deadline_estimated"] is False and rows[other.pk]["deadline_workdays_left"] == -1
    detail = c.get(f"/api/inspections/{insp.pk}/").data
    assert detail["deadline_estimated"] is True and detail["deadline_workdays_left"] == 2


def test_entering_the_year_ends_the_estimate(client_for, admin_user, county_user, due_2027):
    insp, _other = due_2027
    # One row of 2027 in the holiday table makes the year known (its other days: Monday to Friday).
    HolidayOverride.objects.create(day=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    body = client_for(admin_user).get(reverse("inspections:detail", args=[insp.pk])).content.decode()
    assert "预估" not in body and NOTICE not in body and "剩 2 个工作日" in body
    c = APIClient()
    c.force_authenticate(county_user)
    assert c.get(f"/api/inspections/{insp.pk}/").data["deadline_estimated"] is False


def test_overdue_command_marks_estimates(due_2027):
    insp, other = due_2027
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("inspections", "overdue", "--all", stdout=out)
    lines = out.getvalue().splitlines()
    assert any("2027-01-06（预估）" in line and insp.institution.fixmedins_code in line for line in lines)
    assert any("\t2026-12-31\t" in line and other.institution.fixmedins_code in line for line in lines)


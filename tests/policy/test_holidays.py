"""The holiday table page (spotcheck/policy/views_holidays.py) and the calendar service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse
from django.utils import timezone

from spotcheck import urls as project
from spotcheck.audit.models import AuditEvent
from spotcheck.policy import actions as policy_actions
from spotcheck.policy import calendar as cal
from spotcheck.policy import urls as policy_urls
from spotcheck.policy import urls_holidays
from spotcheck.policy.models import HolidayOverride
from tests.factories import business_events

# The lead includes urls_holidays under /policy/holidays/; until then this test urlconf does.
_included = any(str(p.pattern) == "holidays/" for p in policy_urls.urlpatterns)
_policy = policy_urls.urlpatterns if _included else [path("holidays/", include(urls_holidays)),
                                                      *policy_urls.urlpatterns]
urlpatterns = [
    *(p for p in project.urlpatterns if str(p.pattern) != "policy/"),
    path("policy/", include((_policy, "policy"))),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def url(name: str, *args) -> str:
    return reverse(f"policy:{name}", args=args)


def test_list_shows_year_status_and_warns_for_unknown_years(client_for, county_user):
    page = client_for(county_user).get(url("holiday-list"))
    assert page.status_code == 200
    text = page.content.decode()
    statuses = {s.year: s for s in page.context["statuses"]}
    this_year = timezone.localdate().year
    assert set(statuses) >= {this_year - 1, this_year, this_year + 1}
    for s in statuses.values():
        assert s.known == (s.year in cal.PACKAGE_YEARS)
        if not s.known:
            assert f"{s.year} 年的法定节假日安排未知" in text
    assert "请联系系统管理员录入" in text or not page.context["unknown"]
    assert "新增或修改一天" not in text  # no admin forms


def test_year_known_from_table(client_for, admin_user):
    HolidayOverride.objects.create(day=dt.date(2041, 1, 1), is_workday=False, note="元旦")
    page = client_for(admin_user).get(url("holiday-list"), {"year": "2041"})
    status = {s.year: s for s in page.context["statuses"]}[2041]
    assert status.known and status.source == "节假日表（管理员录入）"
    assert [r.day for r in page.context["rows"]] == [dt.date(2041, 1, 1)]
    assert "2041 年的法定节假日安排未知" not in page.content.decode()


def test_admin_adds_changes_and_removes_a_day_with_audit(client_for, admin_user):
    c = client_for(admin_user)
    response = c.post(url("holiday-add"), {"day": "2026-10-29", "kind": "holiday", "note": "测试"})
    assert response.status_code == 302
    assert cal.due_date(dt.date(2026, 9, 25), 20)[0] == dt.date(2026, 10, 30)
    event = AuditEvent.objects.get(action="holiday.set")
    assert event.actor_name == admin_user.username and event.before is None
    assert event.after == {"day": "2026-10-29", "is_workday": False, "note": "测试"}

    c.post(url("holiday-add"), {"day": "2026-10-29", "kind": "workday", "note": "测试"})
    assert HolidayOverride.objects.get(day=dt.date(2026, 10, 29)).is_workday is True
    changed = AuditEvent.objects.filter(action="holiday.set").latest("seq")
    assert changed.before["is_workday"] is False and changed.after["is_workday"] is True

    assert c.post(url("holiday-remove", "2026-10-29")).status_code == 302
    assert not HolidayOverride.objects.exists()
    removed = AuditEvent.objects.get(action="holiday.remove")
    assert removed.before["day"] == "2026-10-29" and removed.after is None
    assert cal.due_date(dt.date(2026, 9, 25), 20)[0] == dt.date(2026, 10, 29)


def test_non_admin_cannot_write(client_for, county_user):
    HolidayOverride.objects.create(day=dt.date(2041, 1, 1), is_workday=False)
    c = client_for(county_user)
    assert c.post(url("holiday-add"), {"day": "2041-01-02", "kind": "holiday"}).status_code == 403
    assert c.post(url("holiday-remove", "2041-01-01")).status_code == 403
    assert c.get(url("holiday-add")).status_code == 405
    assert HolidayOverride.objects.count() == 1


def test_add_errors_name_the_field(client_for, admin_user):
    response = client_for(admin_user).post(url("holiday-add"), {"day": "2026-02-30", "kind": "maybe", "note": "x" * 101})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["day"] == ["日期：格式应为 YYYY-MM-DD"]
    assert errors["kind"] == ["类型：请选择休息或上班"]
    assert errors["note"][0].startswith("说明：不能超过 100 个字")
    assert not business_events().exists()


def test_import_csv(client_for, admin_user):
    c = client_for(admin_user)
    good = SimpleUploadedFile("2041.csv", "日期,类型,说明\n2041-01-01,休息,元旦\n2041-01-05,上班,调休\n".encode("utf-8-sig"))
    assert c.post(url("holiday-import"), {"file": good}).status_code == 302
    assert HolidayOverride.objects.count() == 2
    assert AuditEvent.objects.filter(action="holiday.set").count() == 2
    bad = SimpleUploadedFile("bad.csv", "2041-02-01,休息\n2041-02-31,休息\n".encode())
    response = c.post(url("holiday-import"), {"file": bad})
    assert response.status_code == 400
    assert "第 2 行" in " ".join(response.context["import_form"].errors["file"])
    assert HolidayOverride.objects.count() == 2


def test_deadline_calculator(client_for, county_user):
    page = client_for(county_user).get(url("holiday-list"), {"start": "2026-09-25", "n": "20"})
    assert page.context["deadline"]["due"] == dt.date(2026, 10, 29)  # make-up Saturday 10-10 counted
    assert "2026-10-29" in page.content.decode()
    page = client_for(county_user).get(url("holiday-list"), {"start": "2040-12-28", "n": "3"})
    assert page.context["deadline"]["warnings"]
    bad = client_for(county_user).get(url("holiday-list"), {"start": "x", "n": "-1"})
    assert bad.status_code == 200 and not bad.context["deadline"]
    assert "工作日数：不能为负数" in bad.content.decode()


def test_calendar_service_refuses_non_admin(county_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        policy_actions.set_override(county_user, dt.date(2041, 1, 1), False)
    with pytest.raises(PermissionDenied):
        policy_actions.remove_override(county_user, dt.date(2041, 1, 1))

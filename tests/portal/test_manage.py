"""Bureau pages: waiting list with deadlines, publish (one, many), correction form; area scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.inspections.models import Inspection, InspectionStatus
from spotcheck.policy.calendar import calendar
from spotcheck.portal import actions
from spotcheck.portal.models import Publication

pytestmark = pytest.mark.django_db


def test_manage_needs_login_and_publish_permission(client, client_for, inspector_user):
    response = client.get(reverse("portal:manage"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(inspector_user).get(reverse("portal:manage")).status_code == 403


def test_waiting_list_shows_deadlines_in_scope_only(client_for, inspections, county_user, huairen_user):
    page = client_for(county_user).get(reverse("portal:manage")).content.decode()
    for insp in inspections:
        assert insp.institution.name in page
    # remaining time in working days (the fixture's deadline is today + 5 calendar days)
    today = timezone.localdate()
    left = calendar().workdays_between(today, today + dt.timedelta(days=5))
    assert f"剩 {left} 个工作日" in page and "剩 5 天" not in page
    other = client_for(huairen_user).get(reverse("portal:manage")).content.decode()
    assert inspections[0].institution.name not in other


def test_publish_one_and_many_from_the_page(client_for, inspections, county_user):
    c = client_for(county_user)
    response = c.post(reverse("portal:publish"), {"only": inspections[0].pk, "ids": [i.pk for i in inspections]})
    assert response.status_code == 302
    assert list(Publication.objects.values_list("inspection_id", flat=True)) == [inspections[0].pk]
    rest = [i.pk for i in inspections[1:]]
    c.post(reverse("portal:publish"), {"ids": rest})
    assert Publication.objects.count() == len(inspections)
    for insp in inspections:
        insp.refresh_from_db()
        assert insp.status == InspectionStatus.PUBLISHED
    response = c.post(reverse("portal:publish"), {"ids": rest}, follow=True)  # already published
    assert "刷新后重试" in response.content.decode()
    assert c.get(reverse("portal:publish")).status_code == 405


def test_other_area_cannot_publish_through_the_page(client_for, inspections, huairen_user):
    response = client_for(huairen_user).post(reverse("portal:publish"), {"ids": [inspections[0].pk]}, follow=True)
    assert not Publication.objects.exists() and "刷新后重试" in response.content.decode()


def test_correction_form(client_for, inspections, county_user, huairen_user):
    pub = actions.publish(county_user, inspections[0])
    url = reverse("portal:correct", args=[pub.pk])
    assert client_for(huairen_user).get(url).status_code == 404
    c = client_for(county_user)
    form = c.get(url).content.decode()
    assert "更正原因" in form and "发现问题已责令改正" in form
    response = c.post(url, {"result_type": "corrected", "handling": pub.snapshot["handling"], "reason": ""})
    assert "请填写更正原因" in response.content.decode()
    response = c.post(url, {"result_type": "no_problem", "handling": "", "reason": "结果类型录入错误"})
    new = Publication.objects.get(supersedes=pub)
    assert response.status_code == 302 and response["Location"] == reverse("portal:result", args=[new.pk])
    assert new.snapshot["result_type"] == "no_problem" and new.correction_reason == "结果类型录入错误"
    again = c.post(url, {"result_type": "pending", "reason": "再改"}).content.decode()
    assert "已被更正" in again


def test_waiting_list_marks_estimated_deadlines(client_for, inspections, county_user, admin_user, monkeypatch):
    """A deadline in 2027 (no official schedule loaded) reads 预估 with the working days left; "today" pinned."""
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: dt.date(2027, 1, 4))
    first, second = inspections[:2]
    Inspection.objects.filter(pk=first.pk).update(due_date=dt.date(2027, 1, 6), ended_on=dt.date(2026, 12, 8))
    Inspection.objects.filter(pk=second.pk).update(due_date=dt.date(2026, 12, 31), ended_on=dt.date(2026, 12, 2))
    page = client_for(county_user).get(reverse("portal:manage")).content.decode()
    assert page.count('data-testid="deadline-estimated">预估</span>') == 1
    assert "剩 2 个工作日" in page  # 01-05, 01-06
    assert "已逾期 1 个工作日" in page  # 元旦 2027-01-01 is off (estimated), 01-04 counts
    assert "2027 年的国务院节假日安排尚未录入" not in page
    admin = client_for(admin_user).get(reverse("portal:manage")).content.decode()
    assert "2027 年的国务院节假日安排尚未录入" in admin


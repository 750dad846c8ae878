"""Bureau pages: waiting list with deadlines, publish (one, many), correction form; area scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.inspections.models import InspectionStatus
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
    assert "剩 5 天" in page
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

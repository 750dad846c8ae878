"""API: public read-only publications, the staff publish action."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from spotcheck.portal import actions
from spotcheck.portal.models import Publication

pytestmark = pytest.mark.django_db


def test_publications_are_public_and_read_only(inspections, county_user):
    pub = actions.publish(county_user, inspections[0])
    v2 = actions.correct(county_user, pub, "更正", {"result_type": "no_problem"})
    api = APIClient()
    data = api.get("/api/publications/").json()
    assert {r["id"] for r in data["results"]} == {pub.pk, v2.pk}
    current = api.get("/api/publications/?current=true").json()["results"]
    assert [r["id"] for r in current] == [v2.pk]
    one = api.get(f"/api/publications/{pub.pk}/").json()
    assert one["is_corrected"] and one["corrected_by"] == v2.pk and one["snapshot"]["result_type"] == "corrected"
    code = pub.institution.fixmedins_code
    assert len(api.get(f"/api/publications/?institution={code.lower()}").json()["results"]) == 2
    assert api.get("/api/publications/?area=140681").json()["results"] == []
    assert api.get("/api/publications/?year=abc").json()["results"] == []
    assert api.post("/api/publications/", {}).status_code in (401, 403, 405)
    assert api.delete(f"/api/publications/{pub.pk}/").status_code in (401, 403, 405)
    assert api.get(f"/api/publications/{v2.pk + 100}/").status_code == 404


def test_publish_through_the_api(inspections, county_user, huairen_user, inspector_user):
    api = APIClient()
    ids = [i.pk for i in inspections]
    assert api.post("/api/portal-publish/", {"inspections": ids}, format="json").status_code in (401, 403)
    api.force_authenticate(inspector_user)
    assert api.post("/api/portal-publish/", {"inspections": ids}, format="json").status_code == 403
    api.force_authenticate(huairen_user)
    assert api.post("/api/portal-publish/", {"inspections": ids}, format="json").status_code == 404
    api.force_authenticate(county_user)
    response = api.post("/api/portal-publish/", {"inspections": ids}, format="json")
    assert response.status_code == 201 and len(response.json()) == len(ids)
    assert Publication.objects.count() == len(ids)
    again = api.post("/api/portal-publish/", {"inspections": ids[:1]}, format="json")
    assert again.status_code == 400 and "已审核" in again.json()["detail"]

"""Area scope and institution accounts, on the pages and through the API (404 outside)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from spotcheck.accounts.models import Role
from spotcheck.credit import actions
from spotcheck.credit.models import CreditSubject, Objection
from tests import factories as f


@pytest.fixture
def two(db, county_user):
    a = actions.ensure_subject("t", f.institution(f.YANGCHENG, "H"))
    b = actions.ensure_subject("t", f.institution(f.HUAIREN, "H"))
    for s in (a, b):
        actions.add_record("t", s, record_type="other_bad", title=f"{s.name} 不良", occurred_on=dt.date(2023, 1, 1))
        actions.evaluate_subject("t", s)
    user = actions.create_institution_account("t", a.fixmedins_code, "t-inst-a", f.PASSWORD)
    return {"a": a, "b": b, "inst": user}


PAGES = [("credit:subject", "s"), ("credit:record-create", "s")]


def test_county_staff_see_only_their_county(two, client_for, huairen_user):
    client = client_for(huairen_user)
    a, b = two["a"], two["b"]
    assert client.get(reverse("credit:subject", args=[a.pk])).status_code == 404
    assert client.get(reverse("credit:subject", args=[b.pk])).status_code == 200
    page = client.get(reverse("credit:index")).content.decode()
    assert b.name in page and a.name not in page
    assert client.post(reverse("credit:evaluate", args=[a.pk])).status_code == 404
    rec = a.records.get()
    assert client.get(reverse("credit:evidence", args=["record", rec.pk])).status_code == 404


def test_a_superuser_reads_every_credit_file(two, client_for):
    """A superuser (whatever its role field says) is not taken for an institution account: it sees all."""
    root = f.user("t-root", Role.COUNTY_STAFF, f.YANGCHENG)
    root.is_superuser = True
    root.save()
    assert set(CreditSubject.objects.restrict(root)) == {two["a"], two["b"]}
    client = client_for(root)
    assert client.get(reverse("credit:subject", args=[two["b"].pk])).status_code == 200
    page = client.get(reverse("credit:index")).content.decode()
    assert two["a"].name in page and two["b"].name in page


def test_city_sees_its_counties(two, client_for):
    jincheng = f.user("t-jc", Role.CITY_ADMIN, "140500")
    page = client_for(jincheng).get(reverse("credit:index")).content.decode()
    assert two["a"].name in page and two["b"].name not in page


def test_institution_account_sees_only_its_own_file(two, client_for):
    client = client_for(two["inst"])
    a, b = two["a"], two["b"]
    assert client.get(reverse("credit:index")).url == reverse("credit:mine")
    assert client.get(reverse("credit:mine")).url == reverse("credit:subject", args=[a.pk])
    page = client.get(reverse("credit:subject", args=[a.pk])).content.decode()
    assert "提交异议" in page and "录入信用信息" not in page and "立即评价" not in page
    assert client.get(reverse("credit:subject", args=[b.pk])).status_code == 404
    assert client.post(reverse("credit:record-create", args=[a.pk]), {}).status_code == 302
    assert a.records.count() == 1  # nothing written
    # filing an objection on another institution's record: 404-like refusal, nothing written
    response = client.post(reverse("credit:objection-create", args=[b.pk]),
                           {"record": b.records.get().pk, "reason": "x"})
    assert response.status_code == 404 and not Objection.objects.exists()
    # other bureau pages do not leak
    assert client.get(reverse("credit:objections")).status_code == 200
    assert client.get(reverse("directory:institution-list")).status_code in (403, 404, 200)


def test_api_scope(two, huairen_user):
    api = APIClient()
    api.force_authenticate(huairen_user)
    ids = [row["id"] for row in api.get("/api/credit/subjects/").json()["results"]]
    assert ids == [two["b"].pk]
    assert api.get(f"/api/credit/subjects/{two['a'].pk}/").status_code == 404
    rec_a = two["a"].records.get()
    assert api.get(f"/api/credit/records/{rec_a.pk}/").status_code == 404


def test_api_institution_account(two):
    api = APIClient()
    api.force_authenticate(two["inst"])
    a, b = two["a"], two["b"]
    assert [r["id"] for r in api.get("/api/credit/subjects/").json()["results"]] == [a.pk]
    assert api.get(f"/api/credit/subjects/{b.pk}/").status_code == 404
    assert [r["subject"] for r in api.get("/api/credit/evaluations/").json()["results"]] == [a.pk]
    rec_b = b.records.get()
    assert api.post("/api/credit/objections/", {"record": rec_b.pk, "reason": "x"}).status_code == 400
    rec_a = a.records.get()
    response = api.post("/api/credit/objections/", {"record": rec_a.pk, "reason": "非本机构行为"})
    assert response.status_code == 201, response.content
    objection_id = response.json()["id"]
    assert api.post(f"/api/credit/objections/{objection_id}/resolve/",
                    {"outcome": "keep", "reason": "x"}).status_code == 403
    assert api.get("/api/credit/objections/").json()["count"] == 1


def test_api_staff_resolve(two, county_user):
    rec = two["a"].records.get()
    obj = actions.file_objection(two["inst"], rec, "x")
    api = APIClient()
    api.force_authenticate(county_user)
    response = api.post(f"/api/credit/objections/{obj.pk}/resolve/", {"outcome": "keep", "reason": "维持"})
    assert response.status_code == 200 and response.json()["status"] == "kept"
    again = api.post(f"/api/credit/objections/{obj.pk}/resolve/", {"outcome": "keep", "reason": "维持"})
    assert again.status_code == 400


def test_inspectors_and_anonymous_see_nothing(two, client_for, inspector_user, client):
    assert client.get(reverse("credit:index")).status_code == 302  # login
    api = APIClient()
    assert api.get("/api/credit/subjects/").status_code in (401, 403)
    api.force_authenticate(inspector_user)
    assert api.get("/api/credit/subjects/").status_code == 403
    assert client_for(inspector_user).get(reverse("credit:subject", args=[two["a"].pk])).status_code == 403


def test_person_id_numbers_are_masked_outside_the_bureau(db, county_user, client_for, auditor_user):
    from spotcheck.core.codes import make_id_number

    number = make_id_number(f.YANGCHENG, dt.date(1985, 3, 4), 12, True)
    person = actions.create_subject(county_user, kind="person", category="professional", name="张医生",
                                    region_code=f.YANGCHENG, id_number=number)
    api = APIClient()
    api.force_authenticate(county_user)
    body = api.get(f"/api/credit/subjects/{person.pk}/").content.decode()
    assert number not in body and person.identifier in body
    assert number not in client_for(auditor_user).get(reverse("credit:subject", args=[person.pk])).content.decode()
    assert number in client_for(county_user).get(reverse("credit:subject", args=[person.pk])).content.decode()
    assert CreditSubject.objects.filter(kind="person").count() == 1

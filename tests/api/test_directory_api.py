"""Directory REST API: authentication, area scope, role permissions, writes through the actions
(validation, audit), deletes, pagination, filters, ordering, masking, the schema and the docs page."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.test import APIClient

from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import make_fixmedins_code, make_uscc
from spotcheck.directory.actions import snapshot
from spotcheck.directory.api import run
from spotcheck.directory.models import Conflict, Inspector, InspectorAbsence, Institution
from tests import factories as f

pytestmark = pytest.mark.django_db

WRITABLE = ["institution", "inspector", "conflict", "absence"]
READ_ONLY = ["region", "department"]
MODELS = {"institution": Institution, "inspector": Inspector, "conflict": Conflict, "absence": InspectorAbsence}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def list_url(kind: str) -> str:
    return reverse(f"{kind}-list")


def detail_url(kind: str, pk) -> str:
    return reverse(f"{kind}-detail", args=[pk])


def payload(kind: str, world, area: str = "yc") -> dict:
    """A valid create body for ``kind`` whose area (and related rows) are ``area``'s."""
    region = {"yc": f.YANGCHENG, "hr": f.HUAIREN}[area]
    rows = world[area]
    return {
        "institution": {
            "fixmedins_code": make_fixmedins_code("H", region, 900), "name": "接口新增医院",
            "uscc": make_uscc(region, 900), "kind": "H", "category": "hospital", "region": region,
        },
        "inspector": {
            "number": f"API-{area}", "name": "接口新增人员", "region": region,
            "department": f.department(region).pk,
        },
        "conflict": {
            "inspector": rows["inspector"].pk, "institution": rows["institution"].pk,
            "reason": "interest", "valid_from": "2025-06-01",
        },
        "absence": {"inspector": rows["inspector"].pk, "start": "2025-03-01", "end": "2025-03-02", "reason": "休假"},
    }[kind]


def edit_body(kind: str) -> dict:
    """A change every kind accepts (used for PUT merged onto the row's current values)."""
    return {"institution": {"name": "改名"}, "inspector": {"name": "改名"}, "conflict": {"note": "改"},
            "absence": {"reason": "改"}}[kind]


def state(obj) -> dict:
    obj.refresh_from_db()
    return snapshot(obj)


def chinese(messages) -> bool:
    return any(CHINESE.search(str(m)) for m in messages)


# ------------------------------------------------------------------------------------------------
# authentication


def every_route(world):
    """(method, url, body) of every operation, detail routes pointing at 阳城's rows."""
    yc = world["yc"]
    routes = [("get", list_url("region"), None), ("get", detail_url("region", f.YANGCHENG), None),
              ("get", list_url("department"), None),
              ("get", detail_url("department", yc["inspector"].department_id), None)]
    for kind in WRITABLE:
        pk = yc[kind].pk
        routes += [("get", list_url(kind), None), ("post", list_url(kind), payload(kind, world)),
                   ("get", detail_url(kind, pk), None), ("put", detail_url(kind, pk), edit_body(kind)),
                   ("patch", detail_url(kind, pk), edit_body(kind)),
                   ("delete", detail_url(kind, pk) + "?reason=x", None)]
    return routes


def test_anonymous_is_refused_on_every_route(world):
    client = APIClient()
    before = {kind: state(world["yc"][kind]) for kind in WRITABLE}
    for method, url, body in every_route(world):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code in (401, 403), (method, url)
        assert "results" not in response.json()
    assert client.get(reverse("api-schema")).status_code in (401, 403)
    assert {kind: state(world["yc"][kind]) for kind in WRITABLE} == before
    assert not AuditEvent.objects.exists()


def test_token_authentication(api_for, county_user, world):
    assert api_for(county_user).get(list_url("institution")).json()["count"] == 1
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert bad.get(list_url("institution")).status_code in (401, 403)
    token_client = api_for(county_user)
    response = token_client.patch(detail_url("institution", world["yc"]["institution"].pk), {"name": "令牌修改"},
                                  format="json")
    assert response.status_code == 200  # token requests need no CSRF token


def test_session_authentication_reads_and_needs_csrf_to_write(county_user, world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(county_user)
    assert client.get(list_url("institution")).json()["count"] == 1
    url = detail_url("institution", world["yc"]["institution"].pk)
    response = client.patch(url, {"name": "无CSRF"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert Institution.objects.get(pk=world["yc"]["institution"].pk).name == "yc机构"


# ------------------------------------------------------------------------------------------------
# area scope


@pytest.mark.parametrize("kind", WRITABLE)
def test_county_user_lists_only_own_area(api_for, county_user, world, kind):
    body = api_for(county_user).get(list_url(kind)).json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [world["yc"][kind].pk]


def test_county_user_sees_only_own_region_and_departments(api_for, county_user, world):
    client = api_for(county_user)
    regions = client.get(list_url("region")).json()
    assert regions["count"] == 1 and regions["results"][0]["code"] == f.YANGCHENG
    assert regions["results"][0]["full_name"].endswith("阳城县")
    departments = client.get(list_url("department")).json()["results"]
    assert departments and {d["region"] for d in departments} == {f.YANGCHENG}
    assert client.get(detail_url("region", f.HUAIREN)).status_code == 404
    assert client.get(detail_url("department", world["hr"]["inspector"].department_id)).status_code == 404


def test_city_user_sees_the_counties_of_the_city(api_for, city_user, world):
    client = api_for(city_user)
    assert [r["name"] for r in client.get(list_url("institution")).json()["results"]] == ["hr机构"]
    codes = [r["code"] for r in client.get(list_url("region"), {"page_size": 500}).json()["results"]]
    assert f.HUAIREN in codes and f.YANGCHENG not in codes and all(c.startswith("1406") for c in codes)


def test_region_filter_cannot_widen_scope(api_for, county_user, world):
    body = api_for(county_user).get(list_url("institution"), {"region": f.HUAIREN}).json()
    assert body["count"] == 0


@pytest.mark.parametrize("kind", WRITABLE)
def test_other_area_row_is_404_and_unchanged(api_for, county_user, world, kind):
    other = world["hr"][kind]
    before = state(other)
    client = api_for(county_user)
    url = detail_url(kind, other.pk)
    assert client.get(url).status_code == 404
    assert client.patch(url, edit_body(kind), format="json").status_code == 404
    assert client.put(url, payload(kind, world, "hr"), format="json").status_code == 404
    assert client.delete(url + "?reason=猜测").status_code == 404
    assert state(other) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("kind", "field"), [("institution", "region"), ("inspector", "region"),
                                            ("conflict", "institution"), ("absence", "inspector")])
def test_create_in_other_area_is_refused(api_for, county_user, world, kind, field):
    model = MODELS[kind]
    count = model.objects.count()
    response = api_for(county_user).post(list_url(kind), payload(kind, world, "hr"), format="json")
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.json()[field][0]
    assert model.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_inspector_of_own_area_with_other_department_is_refused(api_for, county_user, world):
    body = {**payload("inspector", world), "department": world["hr"]["inspector"].department_id}
    response = api_for(county_user).post(list_url("inspector"), body, format="json")
    assert response.status_code == 400 and "不在您的管辖范围内" in response.json()["department"][0]


def test_row_cannot_be_moved_to_other_area(api_for, county_user, world):
    inst = world["yc"]["institution"]
    before = state(inst)
    response = api_for(county_user).patch(detail_url("institution", inst.pk), {"region": f.HUAIREN}, format="json")
    assert response.status_code == 400 and "region" in response.json()
    assert state(inst) == before


def test_permission_denied_from_an_action_is_403_with_its_message(county_user):
    def refuse(*args, **kwargs):
        raise DjangoPermissionDenied("区域 140681 不在您的管辖范围内")

    with pytest.raises(exceptions.PermissionDenied) as caught:
        run(refuse)
    assert caught.value.status_code == 403 and "140681" in str(caught.value.detail)


# ------------------------------------------------------------------------------------------------
# roles


@pytest.mark.parametrize("fixture", ["inspector_user", "auditor_user"])
def test_viewer_roles_cannot_write(request, api_for, world, fixture):
    client = api_for(request.getfixturevalue(fixture))
    counts = {kind: MODELS[kind].objects.count() for kind in WRITABLE}
    before = {kind: state(world["yc"][kind]) for kind in WRITABLE}
    for kind in WRITABLE:
        url = detail_url(kind, world["yc"][kind].pk)
        assert client.post(list_url(kind), payload(kind, world), format="json").status_code == 403, kind
        assert client.put(url, payload(kind, world), format="json").status_code == 403, kind
        assert client.patch(url, edit_body(kind), format="json").status_code == 403, kind
        assert client.delete(url + "?reason=x").status_code == 403, kind
    assert {kind: MODELS[kind].objects.count() for kind in WRITABLE} == counts
    assert {kind: state(world["yc"][kind]) for kind in WRITABLE} == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("fixture", "expected"), [("inspector_user", 1), ("auditor_user", 2)])
def test_viewer_roles_read_in_scope(request, api_for, world, fixture, expected):
    client = api_for(request.getfixturevalue(fixture))
    for kind in WRITABLE:
        assert client.get(list_url(kind)).json()["count"] == expected, kind
        assert client.get(detail_url(kind, world["yc"][kind].pk)).status_code == 200, kind
        assert client.get(detail_url(kind, world["hr"][kind].pk)).status_code == (200 if expected == 2 else 404)


# ------------------------------------------------------------------------------------------------
# writes: actions, audit, validation


def test_create_goes_through_action_and_is_audited(api_for, county_user, world):
    body = {**payload("institution", world), "change_reason": "新签协议"}
    response = api_for(county_user).post(list_url("institution"), body, format="json")
    assert response.status_code == 201, response.json()
    created = Institution.objects.get(pk=response.json()["id"])
    assert created.name == "接口新增医院" and response.json()["region_name"] == "阳城县"
    event = AuditEvent.objects.get()
    assert (event.action, event.object_id, event.reason) == ("create", str(created.pk), "新签协议")
    assert event.before is None
    assert event.after["uscc"] == created.uscc and event.after["region_id"] == f.YANGCHENG
    assert event.actor == county_user


def test_update_is_audited_with_before_and_after(api_for, county_user, world):
    inst = world["yc"]["institution"]
    client = api_for(county_user)
    response = client.patch(detail_url("institution", inst.pk), {"name": "阳城县人民医院"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "阳城县人民医院"
    event = AuditEvent.objects.get()
    assert event.action == "update" and event.reason == "接口操作"
    assert event.before == {"name": "yc机构"} and event.after == {"name": "阳城县人民医院"}
    client.patch(detail_url("institution", inst.pk), {"name": "阳城县人民医院"}, format="json")
    assert AuditEvent.objects.count() == 1  # no change, no event


def test_put_replaces_the_row(api_for, county_user, world):
    insp = world["yc"]["inspector"]
    body = {**payload("inspector", world), "number": insp.number, "name": "全量更新", "status": "on_leave"}
    response = api_for(county_user).put(detail_url("inspector", insp.pk), body, format="json")
    assert response.status_code == 200, response.json()
    insp.refresh_from_db()
    assert (insp.name, insp.status) == ("全量更新", "on_leave")


def test_conflict_create_records_the_user(api_for, county_user, world):
    response = api_for(county_user).post(list_url("conflict"), payload("conflict", world), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["recorded_by"] == county_user.username
    assert Conflict.objects.get(pk=response.json()["id"]).recorded_by == county_user


def test_invalid_uscc_is_400_in_chinese_under_uscc(api_for, county_user, world):
    client = api_for(county_user)
    body = {**payload("institution", world), "uscc": "91140522MA0XXXXXX1"}
    response = client.post(list_url("institution"), body, format="json")
    assert response.status_code == 400
    assert chinese(response.json()["uscc"])
    assert not Institution.objects.filter(fixmedins_code=body["fixmedins_code"]).exists()
    inst = world["yc"]["institution"]
    before = state(inst)
    response = client.patch(detail_url("institution", inst.pk), {"uscc": "123"}, format="json")
    assert response.status_code == 400 and chinese(response.json()["uscc"])
    assert state(inst) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("kind", "change", "field"), [
    ("inspector", {"id_number": "140522198001010000"}, "id_number"),
    ("inspector", {"cert_valid_from": "2031-01-01"}, "cert_valid_to"),
    ("conflict", {"valid_to": "2019-01-01"}, "valid_to"),
    ("absence", {"end": "2024-12-31"}, "end"),
    ("institution", {"kind": "P"}, "fixmedins_code"),
])
def test_model_validation_errors_are_400_by_field(api_for, county_user, world, kind, change, field):
    row = world["yc"][kind]
    before = state(row)
    response = api_for(county_user).patch(detail_url(kind, row.pk), change, format="json")
    assert response.status_code == 400
    assert chinese(response.json()[field])
    assert state(row) == before


def test_duplicate_code_is_400(api_for, county_user, world):
    body = {**payload("institution", world), "fixmedins_code": world["yc"]["institution"].fixmedins_code}
    response = api_for(county_user).post(list_url("institution"), body, format="json")
    assert response.status_code == 400 and chinese(response.json()["fixmedins_code"])


# ------------------------------------------------------------------------------------------------
# deletes


@pytest.mark.parametrize("kind", ["conflict", "absence"])
def test_delete_needs_a_reason(api_for, county_user, world, kind):
    row = world["yc"][kind]
    response = api_for(county_user).delete(detail_url(kind, row.pk))
    assert response.status_code == 400 and chinese(response.json()["reason"])
    assert MODELS[kind].objects.filter(pk=row.pk).exists()


def test_delete_with_reason_in_query_or_body_is_audited(api_for, county_user, world):
    client = api_for(county_user)
    conflict, absence = world["yc"]["conflict"], world["yc"]["absence"]
    assert client.delete(detail_url("conflict", conflict.pk) + "?reason=登记错误").status_code == 204
    assert client.delete(detail_url("absence", absence.pk), {"reason": "重复登记"}, format="json").status_code == 204
    assert not Conflict.objects.filter(pk=conflict.pk).exists()
    assert not InspectorAbsence.objects.filter(pk=absence.pk).exists()
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "object_id", "reason"))
    assert events == [("delete", str(conflict.pk), "登记错误"), ("delete", str(absence.pk), "重复登记")]


@pytest.mark.parametrize("kind", ["institution", "inspector"])
def test_delete_of_referenced_row_is_409(api_for, county_user, world, kind):
    row = world["yc"][kind]
    response = api_for(county_user).delete(detail_url(kind, row.pk) + "?reason=撤销")
    assert response.status_code == 409
    assert "回避登记" in response.json()["detail"]
    assert MODELS[kind].objects.filter(pk=row.pk).exists()
    assert not AuditEvent.objects.exists()


# ------------------------------------------------------------------------------------------------
# pagination, filters, ordering


def test_pagination_count_and_page_size(api_for, county_user, world):
    Institution.objects.bulk_create(
        Institution(fixmedins_code=make_fixmedins_code("P", f.YANGCHENG, n), name=f"药店{n}",
                    uscc=make_uscc(f.YANGCHENG, 5000 + n), kind="P", category="pharmacy", region_id=f.YANGCHENG)
        for n in range(1, 502)
    )
    client = api_for(county_user)
    first = client.get(list_url("institution")).json()
    assert first["count"] == 502 and len(first["results"]) == 50 and "page=2" in first["next"]
    small = client.get(list_url("institution"), {"page_size": 7, "page": 3}).json()
    assert small["count"] == 502 and len(small["results"]) == 7
    capped = client.get(list_url("institution"), {"page_size": 1000}).json()
    assert len(capped["results"]) == 500
    last = client.get(list_url("institution"), {"page_size": 500, "page": 2}).json()
    assert len(last["results"]) == 2 and last["next"] is None
    seen = {r["id"] for r in capped["results"]} | {r["id"] for r in last["results"]}
    assert len(seen) == 502  # pages neither overlap nor skip
    assert client.get(list_url("institution"), {"page": 99}).status_code == 404


def _names(client, resource, **params):
    return [r["name"] for r in client.get(list_url(resource), params).json()["results"]]


def test_institution_filters_search_and_ordering(api_for, county_user, world):
    a = f.institution(name="2号人民医院", level="3", credit_grade="优秀")
    f.institution(kind="P", name="1号大药房", risk_flag=True)
    client = api_for(county_user)
    assert _names(client, "institution", kind="P") == ["1号大药房"]
    assert _names(client, "institution", q="人民") == ["2号人民医院"]
    assert _names(client, "institution", q=a.uscc) == ["2号人民医院"]
    assert _names(client, "institution", code=a.fixmedins_code.lower()) == ["2号人民医院"]
    assert _names(client, "institution", credit_grade="none", ordering="name") == ["1号大药房", "yc机构"]
    assert _names(client, "institution", risk_flag="true") == ["1号大药房"]
    assert _names(client, "institution", ordering="-name") == ["yc机构", "2号人民医院", "1号大药房"]
    assert _names(client, "institution", ordering="-level")[0] == "2号人民医院"
    assert client.get(list_url("institution"), {"kind": "X"}).status_code == 400


def test_inspector_conflict_absence_filters(api_for, county_user, world):
    expired = f.inspector(name="过期人员", cert_valid_to="2020-12-31", status="on_leave")
    client = api_for(county_user)
    assert _names(client, "inspector", cert="expired") == ["过期人员"]
    assert _names(client, "inspector", status="on_duty") == ["yc人员"]
    assert _names(client, "inspector", q="过期") == ["过期人员"]
    assert _names(client, "inspector", ordering="-number") == ["过期人员", "yc人员"]
    f.conflict(expired, world["yc"]["institution"], reason="former_employee", valid_to="2021-01-01")
    conflicts = client.get(list_url("conflict"), {"active": "false"}).json()["results"]
    assert [c["inspector_name"] for c in conflicts] == ["过期人员"] and conflicts[0]["active"] is False
    assert client.get(list_url("conflict"), {"reason": "relative"}).json()["count"] == 1
    assert client.get(list_url("absence"), {"inspector": expired.pk}).json()["count"] == 0
    assert client.get(list_url("absence"), {"inspector": world["yc"]["inspector"].pk}).json()["count"] == 1


@pytest.mark.parametrize(("resource", "param"), [("absence", "inspector"), ("inspector", "department")])
@pytest.mark.parametrize("value", ["99999999999999999999", "6.4816961309048275e+25"])
def test_id_filters_refuse_numbers_beyond_the_key_range(api_for, county_user, world, resource, param, value):
    assert api_for(county_user).get(list_url(resource), {param: value}).status_code == 400


def test_region_and_department_filters(api_for, city_user, world):
    client = api_for(city_user)
    counties = client.get(list_url("region"), {"level": "county", "page_size": 500}).json()["results"]
    assert counties and {r["level"] for r in counties} == {"county"}
    assert {r["parent"] for r in counties} == {f.SHUOZHOU}
    f.department(f.HUAIREN, "sjj")
    kinds = {d["kind"] for d in client.get(list_url("department"), {"kind": "sjj"}).json()["results"]}
    assert kinds == {"sjj"}


# ------------------------------------------------------------------------------------------------
# masking


@pytest.mark.parametrize("fixture", ["inspector_user", "auditor_user"])
def test_personal_data_is_masked_for_viewers(request, api_for, world, fixture):
    client = api_for(request.getfixturevalue(fixture))
    insp = world["yc"]["inspector"]
    for row in (client.get(detail_url("inspector", insp.pk)).json(),
                client.get(list_url("inspector"), {"q": insp.number}).json()["results"][0]):
        assert row["id_number"] == insp.id_number[:6] + "********" + insp.id_number[-4:]
        assert row["phone"] == "138****5678"
    assert client.get(detail_url("institution", world["yc"]["institution"].pk)).json()["contact_phone"] == (
        "139****5678"
    )


def test_personal_data_is_full_for_county_staff(api_for, county_user, world):
    client = api_for(county_user)
    insp = world["yc"]["inspector"]
    row = client.get(detail_url("inspector", insp.pk)).json()
    assert (row["id_number"], row["phone"]) == (insp.id_number, "13812345678")
    assert client.get(list_url("institution")).json()["results"][0]["contact_phone"] == "13912345678"


# ------------------------------------------------------------------------------------------------
# schema and docs


def test_schema_documents_every_directory_operation(api_for, county_user):
    response = api_for(county_user).get(reverse("api-schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for name in ("institutions", "inspectors", "conflicts", "absences"):
        assert set(paths[f"/api/{name}/"]) == {"get", "post"}
        assert set(paths[f"/api/{name}/{{id}}/"]) == {"get", "put", "patch", "delete"}
        delete = paths[f"/api/{name}/{{id}}/"]["delete"]
        reason = [p for p in delete["parameters"] if p["name"] == "reason"]
        assert reason and reason[0]["required"] is True and "409" in delete["responses"]
        listing = paths[f"/api/{name}/"]["get"]["parameters"]
        assert {"page", "page_size"} <= {p["name"] for p in listing}
    assert set(paths["/api/regions/"]) == set(paths["/api/departments/{id}/"]) == {"get"}
    kinds = schema["components"]["schemas"]["InstitutionKindEnum"]["enum"]
    assert kinds == ["H", "P"]


def test_docs_page_loads_without_external_urls(client, county_user):
    client.force_login(county_user)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), "external URL in docs page"
    # the start-up script comes from the page's own ?script URL (Content-Security-Policy: no inline script)
    assert "<style" not in html and not re.search(r"<script>", html)
    script = client.get(re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', html).group(1))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()  # Swagger UI would otherwise call validator.swagger.io
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(assets) >= 3
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()


def test_the_api_is_throttled_per_account(county_user, monkeypatch):
    """Throttling is active (issue 13 §4): past the rate the API answers 429, per account (anonymous
    clients reach only the public publications API, which has the portal's own per-address limit)."""
    from django.core.cache import cache
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})
    cache.clear()
    try:
        api = APIClient()
        api.force_authenticate(county_user)
        assert [api.get("/api/institutions/").status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        cache.clear()

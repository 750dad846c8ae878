"""Directory create/edit pages: writes go through actions with an audit event; bad input writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.directory.models import Conflict, Inspector, InspectorAbsence, Institution
from tests import factories as f

pytestmark = pytest.mark.django_db


def institution_data(**extra):
    data = {
        "fixmedins_code": make_fixmedins_code("H", f.YANGCHENG, 901),
        "name": "阳城县第二人民医院",
        "uscc": make_uscc(f.YANGCHENG, 901),
        "kind": "H",
        "category": "hospital",
        "level": "2",
        "region": f.YANGCHENG,
        "contract_status": "active",
        "credit_grade": "",
        "contract_date": "2024-03-01",
        "change_reason": "",
    }
    data.update(extra)
    return data


def _events(object_type):
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("seq"))


# ------------------------------------------------------------------------------------------------
# institutions


def test_create_institution_writes_row_and_audit_event(client_for, county_user):
    response = client_for(county_user).post(reverse("directory:institution-create"),
                                            institution_data(change_reason="新签协议"))
    inst = Institution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:institution-detail", args=[inst.pk])
    assert inst.region_id == f.YANGCHENG and inst.contract_date == dt.date(2024, 3, 1)
    [event] = _events("directory.institution")
    assert event.action == "create" and event.actor == county_user and event.reason == "新签协议"
    assert event.after["uscc"] == inst.uscc and event.after["region_id"] == f.YANGCHENG
    assert event.object_id == str(inst.pk)


def test_invalid_uscc_shows_chinese_error_and_writes_nothing(client_for, county_user):
    uscc = make_uscc(f.YANGCHENG, 901)
    bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    response = client_for(county_user).post(reverse("directory:institution-create"), institution_data(uscc=bad))
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误" in response.context["form"].errors["uscc"][0]
    body = response.content.decode()
    error = body.index("统一社会信用代码校验位错误")
    assert body.rindex('name="uscc"', 0, error) > body.rindex('name="name"', 0, error)  # next to its field
    assert not Institution.objects.exists()
    assert not f.business_events().exists()


def test_duplicate_code_is_a_field_error(client_for, county_user):
    existing = f.institution()
    response = client_for(county_user).post(reverse("directory:institution-create"),
                                            institution_data(fixmedins_code=existing.fixmedins_code))
    assert "fixmedins_code" in response.context["form"].errors
    assert Institution.objects.count() == 1


def test_county_user_posting_other_area_region_gets_form_error(client_for, county_user):
    data = institution_data(region=f.HUAIREN, fixmedins_code=make_fixmedins_code("H", f.HUAIREN, 901),
                            uscc=make_uscc(f.HUAIREN, 901))
    response = client_for(county_user).post(reverse("directory:institution-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["region"] == ["所选区域不存在或不在您的管辖范围内"]
    assert not Institution.objects.exists()


def test_region_select_offers_only_regions_in_scope(client_for, county_user, city_user):
    response = client_for(county_user).get(reverse("directory:institution-create"))
    assert [r.code for r in response.context["form"].fields["region"].queryset] == [f.YANGCHENG]
    assert '<option value="" selected>未评级</option>' in response.content.decode()
    form = client_for(city_user).get(reverse("directory:institution-create")).context["form"]
    assert {r.code[:4] for r in form.fields["region"].queryset} == {"1406"}


def test_edit_institution_records_before_after_and_requires_reason(client_for, county_user):
    inst = f.institution(name="旧名称")
    client = client_for(county_user)
    url = reverse("directory:institution-edit", args=[inst.pk])
    assert client.get(url).context["form"].initial["name"] == "旧名称"
    data = institution_data(fixmedins_code=inst.fixmedins_code, uscc=inst.uscc, name="新名称", level="0",
                            contract_date="")
    response = client.post(url, data)
    assert "change_reason" in response.context["form"].errors
    inst.refresh_from_db()
    assert inst.name == "旧名称" and not f.business_events().exists()

    response = client.post(url, {**data, "change_reason": "更名"})
    assert response.status_code == 302
    inst.refresh_from_db()
    assert inst.name == "新名称"
    [event] = _events("directory.institution")
    assert event.action == "update" and event.reason == "更名"
    assert event.before == {"name": "旧名称"}
    assert event.after == {"name": "新名称"}


def test_edit_without_changes_records_nothing(client_for, county_user):
    inst = f.institution()
    data = institution_data(fixmedins_code=inst.fixmedins_code, uscc=inst.uscc, name=inst.name, level="0",
                            contract_date="", change_reason="核对")
    response = client_for(county_user).post(reverse("directory:institution-edit", args=[inst.pk]), data)
    assert response.status_code == 302
    assert not f.business_events().exists()


# ------------------------------------------------------------------------------------------------
# inspectors


def inspector_data(dept, **extra):
    data = {
        "number": "YC-0001", "name": "赵六", "region": f.YANGCHENG, "department": dept.pk,
        "id_number": make_id_number(f.YANGCHENG, dt.date(1985, 5, 5), 12, True), "phone": "13900001111",
        "role": "enforcement", "cert_number": "晋执0001", "cert_valid_from": "2024-01-01",
        "cert_valid_to": "2028-12-31", "status": "on_duty", "change_reason": "",
    }
    data.update(extra)
    return data


def test_create_and_edit_inspector(client_for, county_user):
    dept = f.department()
    client = client_for(county_user)
    response = client.post(reverse("directory:inspector-create"), inspector_data(dept))
    insp = Inspector.objects.get()
    assert response["Location"] == reverse("directory:inspector-detail", args=[insp.pk])
    response = client.post(reverse("directory:inspector-edit", args=[insp.pk]),
                           inspector_data(dept, status="on_leave", change_reason="休产假"))
    assert response.status_code == 302
    [create, update] = _events("directory.inspector")
    assert create.action == "create" and create.after["number"] == "YC-0001"
    assert update.before == {"status": "on_duty"} and update.after == {"status": "on_leave"}


def test_inspector_form_rejects_bad_id_and_other_area_department(client_for, county_user):
    dept = f.department()
    other = f.department(f.HUAIREN)
    client = client_for(county_user)
    form = client.get(reverse("directory:inspector-create")).context["form"]
    assert list(form.fields["department"].queryset) == [dept]
    response = client.post(reverse("directory:inspector-create"), inspector_data(other))
    assert response.context["form"].errors["department"] == ["所选部门不存在或不在您的管辖范围内"]
    response = client.post(reverse("directory:inspector-create"), inspector_data(dept, id_number="140522198505050000"))
    assert "身份证号" in response.context["form"].errors["id_number"][0]
    response = client.post(reverse("directory:inspector-create"),
                           inspector_data(dept, cert_valid_from="2029-01-01"))
    assert response.context["form"].errors["cert_valid_to"] == ["执法证有效期止不能早于有效期起"]
    assert not Inspector.objects.exists() and not f.business_events().exists()


# ------------------------------------------------------------------------------------------------
# conflicts


def test_create_conflict_by_codes(client_for, county_user):
    insp = f.inspector()
    inst = f.institution()
    client = client_for(county_user)
    prefilled = client.get(reverse("directory:conflict-create"), {"institution_code": inst.fixmedins_code})
    assert prefilled.context["form"].initial["institution_code"] == inst.fixmedins_code
    data = {"inspector_code": insp.number, "institution_code": inst.fixmedins_code.lower(),
            "reason": "former_employee", "valid_from": "2024-01-01", "valid_to": "", "note": "2019 年在该院任职"}
    response = client.post(reverse("directory:conflict-create"), data)
    conflict = Conflict.objects.get()
    assert response["Location"] == reverse("directory:conflict-detail", args=[conflict.pk])
    assert (conflict.inspector, conflict.institution, conflict.recorded_by) == (insp, inst, county_user)
    assert conflict.valid_to is None
    [event] = _events("directory.conflict")
    assert event.after["recorded_by_id"] == county_user.pk

    again = client.post(reverse("directory:conflict-create"), data)
    assert again.context["form"].non_field_errors()
    assert Conflict.objects.count() == 1


def test_conflict_codes_must_exist_in_scope(client_for, county_user):
    insp = f.inspector(f.HUAIREN)
    inst = f.institution()
    data = {"inspector_code": insp.number, "institution_code": "H14052299999", "reason": "relative",
            "valid_from": "2024-01-01"}
    response = client_for(county_user).post(reverse("directory:conflict-create"), data)
    errors = response.context["form"].errors
    assert errors["inspector_code"] == [f"人员编号 {insp.number} 不存在或不在您的管辖范围内"]
    assert errors["institution_code"] == ["定点医药机构编码 H14052299999 不存在或不在您的管辖范围内"]
    data.update(inspector_code=f.inspector().number, institution_code=inst.fixmedins_code,
                valid_from="2024-05-01", valid_to="2024-04-01")
    response = client_for(county_user).post(reverse("directory:conflict-create"), data)
    assert response.context["form"].errors["valid_to"] == ["有效期止不能早于有效期起"]
    assert not Conflict.objects.exists()


def test_edit_conflict(client_for, county_user):
    conflict = f.conflict(f.inspector(), f.institution())
    client = client_for(county_user)
    url = reverse("directory:conflict-edit", args=[conflict.pk])
    form = client.get(url).context["form"]
    assert form.initial["inspector_code"] == conflict.inspector.number
    data = {"inspector_code": conflict.inspector.number, "institution_code": conflict.institution.fixmedins_code,
            "reason": "relative", "valid_from": "2020-01-01", "valid_to": "2025-12-31", "note": "",
            "change_reason": "亲属已离职"}
    assert client.post(url, data).status_code == 302
    conflict.refresh_from_db()
    assert conflict.valid_to == dt.date(2025, 12, 31)
    [event] = _events("directory.conflict")
    assert event.before == {"valid_to": None} and event.after == {"valid_to": "2025-12-31"}


# ------------------------------------------------------------------------------------------------
# absences


def test_add_and_delete_absence(client_for, county_user):
    insp = f.inspector()
    client = client_for(county_user)
    url = reverse("directory:absence-create", args=[insp.pk])
    response = client.post(url, {"start": "2025-07-01", "end": "2025-07-10", "reason": "年休假"})
    assert response["Location"] == reverse("directory:inspector-detail", args=[insp.pk])
    absence = InspectorAbsence.objects.get()
    assert (absence.inspector, absence.start, absence.reason) == (insp, dt.date(2025, 7, 1), "年休假")
    [event] = _events("directory.inspectorabsence")
    assert event.action == "create" and event.after["end"] == "2025-07-10"

    delete = reverse("directory:absence-delete", args=[insp.pk, absence.pk])
    client.post(delete, {"reason": ""})
    assert InspectorAbsence.objects.exists()
    client.post(delete, {"reason": "登记错误"})
    assert not InspectorAbsence.objects.exists()
    assert [e.action for e in _events("directory.inspectorabsence")] == ["create", "delete"]


def test_absence_errors_show_on_inspector_page(client_for, county_user):
    insp = f.inspector()
    response = client_for(county_user).post(reverse("directory:absence-create", args=[insp.pk]),
                                            {"start": "2025-07-10", "end": "2025-07-01", "reason": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "结束日期不能早于开始日期" in body and "该字段是必填项" in body
    assert not InspectorAbsence.objects.exists()

"""Draw-relevant institution fields have one owner (issue 11 §3).

信用等级 is written only by the credit evaluation, 重点监控 only by the screening decision or
``set_risk_flag`` with a reason; imports, forms and the API refuse any other value with a Chinese
message naming the row and column (field); the other draw-relevant fields need a 变更原因.
"""

from __future__ import annotations

import io as stdio

import openpyxl
import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from spotcheck.audit.models import AuditEvent
from spotcheck.audit.state import capture
from spotcheck.credit import actions as credit_actions
from spotcheck.directory import actions, io
from spotcheck.directory.models import Institution
from tests import factories as f

from .test_io import inst_file, inst_row, rows_to_xlsx, sheet_rows

pytestmark = pytest.mark.django_db

GRADE_REFUSAL = "信用等级由信用评价产生，不能在导入中修改（系统中为“较差”，文件中为“优秀”）"


def inst_events(inst=None):
    qs = AuditEvent.objects.filter(object_type="directory.institution")
    return qs.filter(object_id=str(inst.pk)) if inst is not None else qs


def exported(actor, **params):
    """The institutions export as rows (header first), filtered like the list."""
    return sheet_rows(io.export_for(actor, "institutions", params, "xlsx"))


def set_cell(rows, code, header, value):
    col = rows[0].index(header)
    next(r for r in rows if r[0] == code)[col] = value
    return rows


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(user)}")
    return client


@pytest.fixture
def poor(db):
    """The issue's institution: graded 较差 by its credit file."""
    return f.institution(name="阳城县某医院", credit_grade="较差", level="2")


# --------------------------------------------------------------------------------------------
# import


def test_issue_reproduction_import_cannot_move_a_grade(poor, admin_user):
    """The county clerk's Excel with 信用等级 优秀 for a 较差 institution: refused, row and column named."""
    rows = set_cell(exported(admin_user), poor.fixmedins_code, "信用等级", "优秀")
    number = next(i for i, r in enumerate(rows, start=1) if r[0] == poor.fixmedins_code)
    before = AuditEvent.objects.count()
    result = io.import_file("institutions", rows_to_xlsx(rows), "县里的名录.xlsx", actor=admin_user)
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column, error.message) == (number, "信用等级", GRADE_REFUSAL)
    assert str(error) == f"第 {number} 行「信用等级」：{GRADE_REFUSAL}"
    poor.refresh_from_db()
    assert poor.credit_grade == "较差"
    assert AuditEvent.objects.count() == before  # nothing written


def test_unchanged_grade_and_flag_reimport(poor, admin_user):
    f.institution(risk_flag=True)
    before = AuditEvent.objects.count()
    result = io.import_file("institutions", io.export_for(admin_user, "institutions", {}, "xlsx"), "x.xlsx",
                            actor=admin_user)
    assert result.ok and result.unchanged == 2 and AuditEvent.objects.count() == before + 1  # the export event


def test_cleared_grade_is_a_change_and_refused(poor, admin_user):
    rows = set_cell(exported(admin_user), poor.fixmedins_code, "信用等级", None)
    result = io.import_file("institutions", rows_to_xlsx(rows), "x.xlsx", actor=admin_user)
    assert [e.message for e in result.errors] == [
        "信用等级由信用评价产生，不能在导入中修改（系统中为“较差”，文件中为“未评级”）"]


def test_deleted_grade_and_flag_columns_keep_the_stored_values(poor, admin_user):
    rows = set_cell(exported(admin_user), poor.fixmedins_code, "机构名称", "阳城县某医院（新址）")
    keep = [i for i, h in enumerate(rows[0]) if h not in ("信用等级", "重点监控")]
    result = io.import_file("institutions", rows_to_xlsx([[r[i] for i in keep] for r in rows]), "x.xlsx",
                            actor=admin_user)
    assert result.ok and result.updated == 1
    poor.refresh_from_db()
    assert (poor.name, poor.credit_grade) == ("阳城县某医院（新址）", "较差")


def test_new_row_gets_no_grade_from_an_import(county_user):
    result = io.import_file("institutions", inst_file([inst_row(1, 信用等级="优秀"), inst_row(2, 重点监控="是")]),
                            "new.xlsx", actor=county_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "信用等级"), (3, "重点监控")]
    assert result.errors[0].message == "信用等级由信用评价产生，不能在导入中填写（新增机构为“未评级”，文件中为“优秀”）"
    assert "重点监控只能由系统数据检查" in result.errors[1].message
    assert not Institution.objects.exists()
    result = io.import_file("institutions", inst_file([inst_row(1)]), "new.xlsx", actor=county_user)
    assert result.ok and Institution.objects.get().credit_grade == ""  # 未评级


def test_import_cannot_change_risk_flag(admin_user):
    inst = f.institution(risk_flag=True)
    rows = set_cell(exported(admin_user), inst.fixmedins_code, "重点监控", "否")
    result = io.import_file("institutions", rows_to_xlsx(rows), "x.xlsx", actor=admin_user)
    assert [(e.column, e.message) for e in result.errors] == [(
        "重点监控", "重点监控只能由系统数据检查（筛查）的决定或“设置重点监控”操作（须填写理由）修改，"
                "不能在导入中修改（系统中为“是”，文件中为“否”）")]
    assert Institution.objects.get(pk=inst.pk).risk_flag


def test_import_changing_draw_fields_needs_one_reason(poor, admin_user, tmp_path):
    other = f.institution()
    rows = set_cell(exported(admin_user), poor.fixmedins_code, "协议状态", "暂停")
    rows = set_cell(rows, other.fixmedins_code, "机构类别", "基层医疗卫生机构")
    data = rows_to_xlsx(rows)
    result = io.import_file("institutions", data, "x.xlsx", actor=admin_user)
    [error] = result.errors
    assert error.row == 0 and "请填写变更原因" in error.message
    assert "“协议状态”" in error.message and "“机构类别”" in error.message
    assert Institution.objects.get(pk=poor.pk).contract_status == "active"
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_data", "institutions", str(path), stderr=stdio.StringIO())
    call_command("import_data", "institutions", str(path), "--reason", "医保协议暂停（晋医保〔2026〕3号）",
                 stdout=stdio.StringIO())
    poor.refresh_from_db()
    assert poor.contract_status == "suspended"
    event = inst_events(poor).get(action="update")
    assert event.before == {"contract_status": "active"} and event.after == {"contract_status": "suspended"}
    assert event.reason == "批量导入 x.xlsx：医保协议暂停（晋医保〔2026〕3号）"
    assert event.state == capture(poor)  # the full state the import left


def test_import_of_other_fields_needs_no_reason(poor, admin_user):
    rows = set_cell(exported(admin_user), poor.fixmedins_code, "地址", "新地址")
    assert io.import_file("institutions", rows_to_xlsx(rows), "x.xlsx", actor=admin_user).ok


def test_template_explains_the_read_only_columns():
    wb = openpyxl.load_workbook(stdio.BytesIO(io.template_file("institutions")))
    help_ = {r[0]: r[2] for r in wb["填写说明"].iter_rows(values_only=True) if r and len(r) > 2}
    assert help_["信用等级"].startswith("只读：由信用评价产生") and help_["重点监控"].startswith("只读")


# --------------------------------------------------------------------------------------------
# form


def form_data(inst, **extra):
    data = {
        "fixmedins_code": inst.fixmedins_code, "name": inst.name, "uscc": inst.uscc, "kind": inst.kind,
        "category": inst.category, "level": inst.level, "region": inst.region_id,
        "contract_status": inst.contract_status, "contract_date": "", "change_reason": "核对",
    }
    data.update(extra)
    return data


def test_form_shows_grade_read_only_with_its_source(poor, client_for, county_user):
    response = client_for(county_user).get(reverse("directory:institution-edit", args=[poor.pk]))
    form = response.context["form"]
    assert form.fields["credit_grade"].disabled and form.fields["risk_flag"].disabled
    body = response.content.decode()
    assert f'信用等级来自<a href="{reverse("credit:index")}">信用评价</a>' in body


def test_form_refuses_a_grade_and_keeps_it_when_not_sent(poor, client_for, county_user):
    client = client_for(county_user)
    url = reverse("directory:institution-edit", args=[poor.pk])
    response = client.post(url, form_data(poor, credit_grade="优秀", name="改名"))
    assert response.status_code == 200
    assert response.context["form"].errors["credit_grade"] == [
        "信用等级由信用评价产生，不能在表单中修改（系统中为“较差”，提交的值为“优秀”）"]
    poor.refresh_from_db()
    assert (poor.name, poor.credit_grade) == ("阳城县某医院", "较差") and not inst_events(poor).exists()
    response = client.post(url, form_data(poor, credit_grade="较差", name="改名"))  # the same value passes
    assert response.status_code == 302
    poor.refresh_from_db()
    assert (poor.name, poor.credit_grade) == ("改名", "较差")


def test_form_refuses_risk_flag_and_new_grade(client_for, county_user):
    inst = f.institution()
    response = client_for(county_user).post(reverse("directory:institution-edit", args=[inst.pk]),
                                            form_data(inst, risk_flag="on"))
    assert "重点监控只能由" in response.context["form"].errors["risk_flag"][0]
    assert not Institution.objects.get(pk=inst.pk).risk_flag


def test_form_draw_field_change_needs_reason(client_for, county_user):
    inst = f.institution()
    response = client_for(county_user).post(reverse("directory:institution-edit", args=[inst.pk]),
                                            form_data(inst, contract_status="suspended", change_reason=""))
    assert "change_reason" in response.context["form"].errors
    assert Institution.objects.get(pk=inst.pk).contract_status == "active"


def test_institution_check_refuses_a_change_without_reason(county_user):
    """The action-level guard the form and the API pass to ``actions.update``."""
    from spotcheck.directory.ownership import institution_check

    inst = f.institution()
    with pytest.raises(ValidationError) as caught:
        actions.update(county_user, inst, {"kind": "P", "category": "pharmacy",
                                   "fixmedins_code": "P" + inst.fixmedins_code[1:]},
                       check=institution_check("", where="表单"))
    assert caught.value.message_dict == {
        "change_reason": ["修改了影响随机抽取的字段（机构类型、机构类别），须填写变更原因"]}


# --------------------------------------------------------------------------------------------
# API


def test_api_grade_is_read_only_and_a_different_value_is_400(poor, county_user):
    client = api(county_user)
    url = reverse("institution-detail", args=[poor.pk])
    response = client.patch(url, {"credit_grade": "优秀"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"credit_grade": [
        "信用等级由信用评价产生，不能在接口中修改（系统中为“较差”，请求中为“优秀”）"]}
    response = client.patch(url, {"risk_flag": True}, format="json")
    assert response.status_code == 400 and "重点监控只能由" in response.json()["risk_flag"][0]
    poor.refresh_from_db()
    assert (poor.credit_grade, poor.risk_flag) == ("较差", False) and not inst_events(poor).exists()
    response = client.patch(url, {"credit_grade": "较差", "risk_flag": False, "name": "改名"}, format="json")
    assert response.status_code == 200 and response.json()["credit_grade"] == "较差"
    body = {"fixmedins_code": "H14052299001", "name": "新医院", "uscc": poor.uscc[:-1] + "X", "kind": "H",
            "category": "hospital", "region": f.YANGCHENG, "credit_grade": "优秀"}
    response = client.post(reverse("institution-list"), body, format="json")
    assert response.status_code == 400 and "新增机构为“未评级”" in response.json()["credit_grade"][0]


def test_api_schema_documents_read_only_fields_and_risk_flag_route(county_user):
    schema = yaml.safe_load(api(county_user).get(reverse("api-schema")).content)
    props = schema["components"]["schemas"]["Institution"]["properties"]
    assert props["credit_grade"]["readOnly"] is True and props["risk_flag"]["readOnly"] is True
    assert "post" in schema["paths"]["/api/institutions/{id}/risk-flag/"]


def test_api_draw_field_change_needs_change_reason(county_user):
    inst = f.institution()
    client = api(county_user)
    url = reverse("institution-detail", args=[inst.pk])
    response = client.patch(url, {"contract_status": "suspended"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"change_reason": ["修改了影响随机抽取的字段（协议状态），须填写变更原因"]}
    assert Institution.objects.get(pk=inst.pk).contract_status == "active"
    response = client.patch(url, {"contract_status": "suspended", "change_reason": "协议暂停"}, format="json")
    assert response.status_code == 200
    assert inst_events(inst).get(action="update").reason == "协议暂停"


def test_api_risk_flag_route_needs_a_reason(county_user, huairen_user):
    inst = f.institution()
    client = api(county_user)
    url = reverse("institution-risk-flag", args=[inst.pk])
    response = client.post(url, {"flag": True}, format="json")
    assert response.status_code == 400 and response.json()["reason"] == ["设置或取消重点监控须填写理由"]
    response = client.post(url, {"flag": True, "reason": "  "}, format="json")
    assert response.status_code == 400
    assert not Institution.objects.get(pk=inst.pk).risk_flag
    response = client.post(url, {"flag": True, "reason": "举报线索"}, format="json")
    assert response.status_code == 200 and response.json()["risk_flag"] is True
    event = inst_events(inst).get(action="directory.institution.risk_flag")
    assert (event.before, event.after, event.reason) == ({"risk_flag": False}, {"risk_flag": True}, "举报线索")
    assert api(huairen_user).post(url, {"flag": False, "reason": "x"}, format="json").status_code == 404


# --------------------------------------------------------------------------------------------
# the owners


def test_set_risk_flag_requires_reason_and_records_state(county_user):
    inst = f.institution()
    with pytest.raises(ValidationError):
        actions.set_risk_flag(county_user, inst, True, "")
    assert actions.set_risk_flag(county_user, inst, True, "飞行检查发现问题")
    assert not actions.set_risk_flag(county_user, inst, True, "再次")  # unchanged: no event
    assert actions.set_risk_flag(county_user, inst, False, "整改完成")
    events = list(inst_events(inst).order_by("seq"))
    assert [(e.after, e.reason) for e in events] == [({"risk_flag": True}, "飞行检查发现问题"),
                                                     ({"risk_flag": False}, "整改完成")]
    inst.refresh_from_db()
    assert events[-1].state == capture(inst)


def test_risk_flag_form_on_the_institution_page(client_for, county_user, inspector_user):
    inst = f.institution()
    url = reverse("directory:institution-risk-flag", args=[inst.pk])
    page = client_for(county_user).get(reverse("directory:institution-detail", args=[inst.pk])).content.decode()
    assert "设置重点监控" in page and f'action="{url}"' in page
    client = client_for(county_user)
    response = client.post(url, {"flag": "1", "reason": ""})
    assert response.status_code == 400 and "设置或取消重点监控须填写理由" in response.content.decode()
    response = client.post(url, {"flag": "1", "reason": "投诉举报"})
    assert response.status_code == 302 and Institution.objects.get(pk=inst.pk).risk_flag
    assert client_for(inspector_user).post(url, {"flag": "0", "reason": "x"}).status_code == 403
    assert Institution.objects.get(pk=inst.pk).risk_flag


def test_the_credit_evaluation_still_sets_the_grade(county_user):
    inst = f.institution(credit_grade="较差")
    credit_actions.ensure_subject("t", inst)
    credit_actions.evaluate_cycle(county_user, 2023)  # no records: 100 points, 优秀
    inst.refresh_from_db()
    assert inst.credit_grade == "优秀"
    event = inst_events(inst).get(action="directory.institution.credit_grade")
    assert event.before == {"credit_grade": "较差"} and event.after == {"credit_grade": "优秀"}
    assert event.reason.startswith("信用评价（2023 年度周期，评价日 2023-12-31")
    assert event.state == capture(inst)

"""Inspection documents (检查告知书, 现场检查笔录, 检查结果告知书): content in PDF and DOCX, access, audit.

Inspections are built directly with the ORM from a revealed draw (as in ``tests/factories.py``),
so these tests do not depend on ``inspections.actions``. The URL patterns are mounted by this module
(``@pytest.mark.urls``) the way the lead includes ``inspections/urls_documents.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import include, path
from django.utils import timezone

from spotcheck import urls as project_urls
from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.inspections import documents, urls_documents
from spotcheck.inspections.models import (
    CatalogueKind,
    ChecklistEntry,
    ChecklistOutcome,
    Finding,
    Inspection,
    InspectionStatus,
    Rectification,
    ResultType,
    Treatment,
    ViolationType,
)
from spotcheck.planning.models import CheckItem, Task, TaskStatus
from tests import factories as f
from tests.documents.helpers import docx_text, open_docx, pdf_info, pdf_text, save_first_page_png, squeeze
from tests.factories import full_run, make_task

urlpatterns = [
    path("inspections/", include((urls_documents.urlpatterns, "inspection-documents"))),
    *project_urls.urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)

BASIS_H = "《医疗保障基金使用监督管理条例》第十五条、第三十八条"


def url(inspection: Inspection, kind: str, fmt: str = "pdf") -> str:
    return f"/inspections/{inspection.pk}/documents/{kind}/?format={fmt}"


@pytest.fixture
def bare(world, staffed, county_user, approver):  # noqa: F811
    """A recorded inspection with its checklist, without findings."""
    CheckItem.objects.filter(pk=world.general_h.pk).update(
        name="定点医疗机构医保基金使用情况检查", methods="现场检查", basis=BASIS_H)
    draw = full_run(make_task(world, name="2026年度全县定点医药机构检查"), county_user, approver)
    assignment = draw.assignments.filter(active=True, institution__kind="H").order_by("position").first()
    inst = assignment.institution
    inst.address, inst.legal_representative = "阳城县凤城镇新阳路18号", "王建国"
    inst.save()
    start = world.start
    obj = Inspection.objects.update_or_create(  # approve_reveal already made the record
            assignment=assignment, defaults=dict(task=draw.task, institution=inst, region_id=f.YANGCHENG,
        status=InspectionStatus.RECORDED, planned_date=start, notice_number="阳医保检告〔2026〕7号",
        notified_at=timezone.now(), started_on=start, ended_on=start + dt.timedelta(days=1),
        result_type=ResultType.CORRECTED, result_summary="住院费用存在重复收费，已责令改正。",
        handling="责令退回违规费用，约谈医院负责人。", result_notice_number="阳医保检结〔2026〕3号",
        confirmed_by_name="王建国", confirmed_at=timezone.now(), recorded_by=county_user,
        recorded_at=timezone.now(),),
        )[0]
    vt = ViolationType.objects.get(kind=CatalogueKind.HOSPITAL, seq=7)  # seeded catalogue: 分解/重复收费
    obj.checklist.all().delete()  # replace the generated checklist with known lines
    ChecklistEntry.objects.create(inspection=obj, seq=1, check_item=world.general_h, text="住院患者在床情况（人证相符）",
                                  outcome=ChecklistOutcome.COMPLIANT)
    ChecklistEntry.objects.create(inspection=obj, seq=2, violation_type=vt, text="是否存在重复收费、分解收费",
                                  outcome=ChecklistOutcome.NONCOMPLIANT, note="抽查病历30份，3份重复收取床位费")
    ChecklistEntry.objects.create(inspection=obj, seq=3, text="药品进销存数据是否一致")
    return obj


@pytest.fixture
def inspection(bare, county_user):
    """``bare`` with a finding (decided) and a rectification."""
    obj = bare
    vt = ViolationType.objects.get(kind=CatalogueKind.HOSPITAL, seq=7)
    finding = Finding.objects.create(
        inspection=obj, violation_type=vt, act_code=vt.act_code, article=38,
        description="2026年1—6月住院病历中重复收取床位费", amount=Decimal("12345.60"),
        recommended_treatment=Treatment.STATUTORY, decided_treatment=Treatment.STATUTORY,
        refund_amount=Decimal("12345.60"), created_by=county_user,
    )
    Rectification.objects.create(inspection=obj, finding=finding, requirement="清退重复收取的床位费并完善收费审核制度",
                                 due_date=dt.date(2027, 1, 15), created_by=county_user)
    return obj


def team(inspection: Inspection):
    return [m.inspector for m in inspection.active_members()]


def test_notice_pdf(inspection, county_user, client_for):
    response = client_for(county_user).get(url(inspection, "notice"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    name = f"检查告知书-{inspection.institution.fixmedins_code}.pdf"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    data = response.content
    save_first_page_png(data, "inspection-notice")
    text = squeeze(pdf_text(data))
    members = team(inspection)
    assert len(members) >= 2
    for expected in (
        "阳城县医疗保障局", "检查告知书", "阳医保检告〔2026〕7号", inspection.institution.name + "：",
        "《医疗保障基金使用监督管理条例》第二十七条", BASIS_H, "定点医疗机构医保基金使用情况检查",
        "第二十九条", "申请回避", "检查开始前", "如实提供", "配合检查", "（印章）", "被检查单位签收人",
        *(m.name for m in members), *(m.cert_number for m in members), *(m.department.name for m in members),
    ):
        assert squeeze(expected) in text, expected
    assert "事项3" not in text  # the task's pharmacy item does not apply to a hospital
    pages = int(pdf_info(data)["Pages"])
    assert f"第1页共{pages}页" in text
    assert pdf_info(data)["Page size"].startswith("595.28 x 841.89")
    event = AuditEvent.objects.get(action="inspection.document_download", object_id=str(inspection.pk))
    assert event.actor_name == county_user.username and event.after == {"document": "检查告知书", "file": name}


def test_record_sheet_pdf_and_docx(inspection, county_user, client_for):
    client = client_for(county_user)
    data = client.get(url(inspection, "record-sheet")).content
    save_first_page_png(data, "inspection-record-sheet")
    text = squeeze(pdf_text(data))
    members = team(inspection)
    for expected in (
        "现场检查笔录", "阳医保检告〔2026〕7号", inspection.institution.fixmedins_code, inspection.institution.uscc,
        "阳城县凤城镇新阳路18号", "王建国", "住院患者在床情况（人证相符）", "■符合", "■不符合",
        "抽查病历30份，3份重复收取床位费", "□符合", "12,345.60", "第三十八条", "■发现问题已责令改正",
        "负责人（签字）", "（单位盖章）", *(m.cert_number for m in members),
    ):
        assert squeeze(expected) in text, expected
    pages = int(pdf_info(data)["Pages"])
    assert f"第{pages}页共{pages}页" in text

    response = client.get(url(inspection, "record-sheet", "docx"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    text = docx_text(response.content)
    for expected in ("现场检查笔录", "■不符合", "12,345.60", "负责人（签字）", *(m.cert_number for m in members)):
        assert expected in text, expected
    signatures = next(t for t in open_docx(response.content).tables if [c.text for c in t.rows[0].cells][2:3] == ["签名"])
    assert [r.cells[0].text for r in signatures.rows[1:]] == [m.name for m in members]
    assert AuditEvent.objects.filter(action="inspection.document_download").count() == 2


def test_result_notice(inspection, county_user, client_for):
    client = client_for(county_user)
    data = client.get(url(inspection, "result-notice")).content
    save_first_page_png(data, "inspection-result-notice")
    text = squeeze(pdf_text(data))
    for expected in (
        "检查结果告知书", "阳医保检结〔2026〕3号", "检查结果类型：发现问题已责令改正", "12,345.60",
        "清退重复收取的床位费", "2027年1月15日前", "陈述、申辩", "听证", "第六十三条",
        "六十日内向阳城县人民政府申请行政复议", "六个月内", "20个工作日内", "（印章）",
    ):
        assert squeeze(expected) in text, expected
    docx = docx_text(client.get(url(inspection, "result-notice", "docx")).content)
    for expected in ("阳医保检结〔2026〕3号", "发现问题已责令改正", "依法处罚；责令退回 12,345.60 元", "第 1 页 共 "):
        assert expected in docx, expected


def test_drafts_show_the_policy_number_format(inspection):
    Inspection.objects.filter(pk=inspection.pk).update(
        notice_number="", result_notice_number="", result_type="", status=InspectionStatus.PLANNED)
    inspection.refresh_from_db()
    notice = docx_text(documents.render("notice", inspection, "docx"))
    year = inspection.started_on.year
    assert f"阳医保检告〔{year}〕\u3000\u3000号" in notice and "草稿" in notice
    result = docx_text(documents.render("result-notice", inspection, "docx"))
    assert "医保检结〔" in result and "（尚未认定）" in result


def test_no_problem_result_has_no_rectification(bare):
    inspection = bare
    Inspection.objects.filter(pk=inspection.pk).update(result_type=ResultType.NO_PROBLEM)
    inspection.refresh_from_db()
    text = docx_text(documents.render("result-notice", inspection, "docx"))
    assert "未发现问题，无需整改" in text and "行政复议" not in text and "听证" not in text


def test_scope_and_team_access(inspection, huairen_user, client_for, client):
    kinds = ("notice", "record-sheet", "result-notice")
    for kind in kinds:
        anonymous = client.get(url(inspection, kind))
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for kind in kinds:
        assert client_for(huairen_user).get(url(inspection, kind)).status_code == 404
    members = team(inspection)
    outsider = f.user("t-insp-out", Role.INSPECTOR, f.YANGCHENG, inspector_number="T-99999")
    assert client_for(outsider).get(url(inspection, "notice")).status_code == 404
    member = f.user("t-insp-in", Role.INSPECTOR, f.YANGCHENG, inspector_number=members[0].number)
    assert client_for(member).get(url(inspection, "notice")).status_code == 404  # period not started
    Task.objects.filter(pk=inspection.task_id).update(status=TaskStatus.INSPECTING)
    assert client_for(member).get(url(inspection, "notice", "docx")).status_code == 200
    institution = f.user("t-inst", Role.INSTITUTION, f.YANGCHENG,
                         institution_code=inspection.institution.fixmedins_code)
    assert client_for(institution).get(url(inspection, "notice")).status_code in (403, 404)
    events = AuditEvent.objects.filter(action="inspection.document_download")
    assert [e.actor_name for e in events] == ["t-insp-in"]


def test_unknown_format_is_404(inspection, county_user, client_for):
    assert client_for(county_user).get(url(inspection, "notice", "txt")).status_code == 404

"""Pages of inspections: scope (another county: 404), inspectors see only their teams', the phone
page and its autosave, the desk list, review, dashboard, evidence download and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.inspections import actions
from spotcheck.inspections.models import Evidence, Inspection, InspectionStatus
from tests import factories as f
from tests.factories import JPEG, fill_checklist, recorded, upload, violation

pytestmark = pytest.mark.django_db

PAGES = ["inspections:detail", "inspections:record", "inspections:review"]


def test_other_county_gets_404_everywhere(client_for, hospital_inspection, huairen_user):
    c = client_for(huairen_user)
    for name in PAGES:
        assert c.get(reverse(name, args=[hospital_inspection.pk])).status_code == 404
    assert c.post(reverse("inspections:notify", args=[hospital_inspection.pk])).status_code == 404
    assert c.post(reverse("inspections:draft", args=[hospital_inspection.pk]), "{}",
                  content_type="application/json").status_code == 404
    body = c.get(reverse("inspections:index")).content.decode()
    assert hospital_inspection.institution.name not in body


def test_city_staff_sees_its_counties(client_for, city_user, hospital_inspection):
    jincheng = f.user("t-jincheng", Role.CITY_ADMIN, "140500")  # 阳城 is in 晋城
    assert Inspection.objects.restrict(jincheng).count() == Inspection.objects.count()
    assert client_for(jincheng).get(reverse("inspections:detail", args=[hospital_inspection.pk])).status_code == 200
    assert not Inspection.objects.restrict(city_user).exists()  # 朔州
    assert client_for(city_user).get(reverse("inspections:detail", args=[hospital_inspection.pk])).status_code == 404
    assert client_for(city_user).get(reverse("inspections:dashboard")).status_code == 200


def test_institution_account_sees_nothing(client_for, hospital_inspection):
    inst = f.user("t-inst", Role.INSTITUTION, f.YANGCHENG, institution_code=hospital_inspection.institution.fixmedins_code)
    c = client_for(inst)
    assert c.get(reverse("inspections:index")).status_code == 403
    assert c.get(reverse("inspections:detail", args=[hospital_inspection.pk])).status_code == 403
    assert c.get(reverse("inspections:mine")).status_code == 403


def test_inspector_sees_only_own_team(client_for, insp_world, team_user, other_inspector_user, hospital_inspection):
    mine = set(Inspection.objects.restrict(team_user).values_list("pk", flat=True))
    expected = set(Inspection.objects.filter(assignment__members__active=True,
                                             assignment__members__inspector__number=team_user.inspector_number)
                   .values_list("pk", flat=True))
    assert hospital_inspection.pk in mine and mine == expected and len(mine) < Inspection.objects.count()
    c = client_for(team_user)
    page = c.get(reverse("inspections:mine")).content.decode()
    assert hospital_inspection.institution.name in page
    for other in Inspection.objects.exclude(pk__in=mine):
        assert other.institution.name not in page
        assert c.get(reverse("inspections:detail", args=[other.pk])).status_code == 404
    c2 = client_for(other_inspector_user)
    assert c2.get(reverse("inspections:record", args=[hospital_inspection.pk])).status_code == 404


def test_inspector_sees_nothing_before_the_period_starts(client_for, insp_world, team_user, hospital_inspection):
    task = insp_world["task"]
    task.period_start = timezone.localdate() + dt.timedelta(days=3)
    task.status = "drawn"
    task.save()
    assert not Inspection.objects.restrict(team_user).exists()
    assert client_for(team_user).get(reverse("inspections:detail", args=[hospital_inspection.pk])).status_code == 404


def test_phone_flow_through_the_pages(client_for, team_user, hospital_inspection):
    c = client_for(team_user)
    pk = hospital_inspection.pk
    page = c.get(reverse("inspections:record", args=[pk])).content.decode()
    assert "发放检查告知书" in page and 'name="viewport"' in page
    r = c.post(reverse("inspections:notify", args=[pk]), {"on_date": timezone.localdate().isoformat()})
    assert r.status_code == 302
    page = c.get(reverse("inspections:record", args=[pk])).content.decode()
    assert 'accept="image/*,video/*"' in page and "capture" in page and "record.js" in page
    vt = violation("H")
    r = c.post(reverse("inspections:finding-add", args=[pk]), {
        "violation_type": vt.pk, "description": "重复收取床位费", "amount": "800", "corrected_on_site": "on"})
    assert r.status_code == 302
    hospital_inspection.refresh_from_db()
    finding = hospital_inspection.findings.get()
    page = c.get(reverse("inspections:record", args=[pk])).content.decode()
    assert "系统建议" in page and (finding.recommended_treatment or "（无建议）") in page
    rows = {f"outcome-{e.pk}": "compliant" for e in hospital_inspection.checklist.filter(outcome="")}
    assert c.post(reverse("inspections:checklist", args=[pk]), rows).status_code == 302
    r = c.post(reverse("inspections:evidence-add", args=[pk]), {"kind": "photo", "file": upload(),
                                                               "captured_at": "2026-01-01 10:00:00"})
    assert r.status_code == 302 and Evidence.objects.filter(kind="photo").count() == 1
    r = c.post(reverse("inspections:result", args=[pk]), {
        "result_type": "corrected", "summary": "重复收费已当场退回", "handling": "责令改正",
        "ended_on": timezone.localdate().isoformat(), "confirmed_by_name": "张院长",
        "signature": upload(name="sign.jpg")})
    assert r.status_code == 302
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.status == InspectionStatus.RECORDED
    assert Evidence.objects.filter(kind="signature").count() == 1


def test_refused_step_shows_the_reason(client_for, team_user, hospital_inspection):
    c = client_for(team_user)
    actions.notify(team_user, hospital_inspection)
    r = c.post(reverse("inspections:result", args=[hospital_inspection.pk]), {
        "result_type": "no_problem", "ended_on": timezone.localdate().isoformat(), "confirmed_by_name": "张"},
        follow=True)
    assert "尚未填写检查情况" in r.content.decode()
    r = c.post(reverse("inspections:evidence-add", args=[hospital_inspection.pk]), {
        "kind": "photo", "file": upload(b"not an image at all", "a.jpg")}, follow=True)
    assert "不允许上传" in r.content.decode()


def test_draft_endpoint(client_for, team_user, hospital_inspection):
    c = client_for(team_user)
    url = reverse("inspections:draft", args=[hospital_inspection.pk])
    r = c.post(url, json.dumps({"f-result:summary": "草稿内容"}), content_type="application/json")
    assert r.status_code == 200 and "saved_at" in r.json()
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.draft == {"f-result:summary": "草稿内容"}
    assert c.post(url, "not json", content_type="application/json").status_code == 400
    assert c.post(url, "[1]", content_type="application/json").status_code == 409
    assert c.get(url).status_code == 405


def test_review_page_and_reviewer_rule(client_for, insp_world, hospital_inspection, reviewer):
    staff = insp_world["proposer"]
    recorded(staff, hospital_inspection)
    c = client_for(staff)
    page = c.get(reverse("inspections:review", args=[hospital_inspection.pk])).content.decode()
    assert "须由另一名人员审核" in page
    r = c.post(reverse("inspections:review", args=[hospital_inspection.pk]), {"decision": "approve"}, follow=True)
    assert "录入人" in r.content.decode()
    c = client_for(reviewer)
    finding = hospital_inspection.findings.get()
    treatment = finding.recommended_treatment or "不予处罚"
    reason = "" if finding.recommended_treatment else "人工判断"
    r = c.post(reverse("inspections:finding-decide", args=[hospital_inspection.pk, finding.pk]),
               {f"f{finding.pk}-treatment": treatment, f"f{finding.pk}-deviation_reason": reason, "next": "review"})
    assert r.status_code == 302
    r = c.post(reverse("inspections:finding-decide", args=[hospital_inspection.pk, finding.pk]),
               {f"f{finding.pk}-treatment": "依法处罚", "next": "review"}, follow=True)
    if finding.recommended_treatment:
        assert "请填写理由" in r.content.decode()
    r = c.post(reverse("inspections:review", args=[hospital_inspection.pk]), {"decision": "approve", "note": "同意"})
    assert r.status_code == 302
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.status == InspectionStatus.REVIEWED


def test_list_filters_banner_and_generate(client_for, insp_world, county_user, hospital_inspection):
    c = client_for(county_user)
    total = Inspection.objects.count()
    body = c.get(reverse("inspections:index")).content.decode()
    assert all(i.institution.name in body for i in Inspection.objects.all()) and total
    assert "待生成检查记录的抽取" not in body  # already generated
    Inspection.objects.filter(pk=hospital_inspection.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    body = c.get(reverse("inspections:index")).content.decode()
    assert "1 条检查已超过录入与公示时限" in body
    body = c.get(reverse("inspections:index"), {"deadline": "overdue"}).content.decode()
    assert hospital_inspection.institution.name in body
    others = Inspection.objects.exclude(pk=hospital_inspection.pk)
    assert all(o.institution.name not in body for o in others)
    body = c.get(reverse("inspections:index"), {"status": "recorded"}).content.decode()
    assert "没有检查记录" in body
    assert c.get(reverse("inspections:index"), {"task": "abc"}).status_code == 200
    r = c.post(reverse("inspections:generate", args=[insp_world["draw"].draw_id]), follow=True)
    assert "生成 0 条检查记录" in r.content.decode()


def test_generate_needs_draw_permission(client_for, insp_world, team_user):
    r = client_for(team_user).post(reverse("inspections:generate", args=[insp_world["draw"].draw_id]))
    assert r.status_code in (403, 404)


def test_dashboard_counts_and_people(client_for, county_user, team_user, hospital_inspection):
    today = timezone.localdate()
    Inspection.objects.filter(pk=hospital_inspection.pk).update(due_date=today - dt.timedelta(days=2))
    other = Inspection.objects.exclude(pk=hospital_inspection.pk).first()
    Inspection.objects.filter(pk=other.pk).update(due_date=today + dt.timedelta(days=1))
    r = client_for(county_user).get(reverse("inspections:dashboard"))
    assert r.context["counts"]["overdue"] == 1
    assert r.context["counts"]["due_soon"] >= 1
    body = r.content.decode()
    assert hospital_inspection.institution.name in body and "按区域" in body
    member = hospital_inspection.active_members().first().inspector
    assert member.name in body
    r = client_for(team_user).get(reverse("inspections:dashboard"))
    assert r.context["mine"] >= 1 and r.context["counts"]["overdue"] == 1


def test_evidence_download_is_scoped(client_for, team_user, huairen_user, hospital_inspection):
    ev = actions.add_evidence(team_user, hospital_inspection, upload(), "photo")
    r = client_for(team_user).get(reverse("inspections:evidence-file", args=[ev.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == JPEG
    assert r["Content-Type"] == "image/jpeg"
    assert client_for(huairen_user).get(reverse("inspections:evidence-file", args=[ev.pk])).status_code == 404


def test_referrals_and_rectifications_pages(client_for, insp_world, team_user, reviewer, hospital_inspection):
    recorded(team_user, hospital_inspection)
    c = client_for(reviewer)
    pk = hospital_inspection.pk
    r = c.post(reverse("inspections:refer", args=[pk]), {"agency": "police", "reason": "涉嫌欺诈骗保"})
    assert r.status_code == 302
    r = c.post(reverse("inspections:rectification-order", args=[pk]), {"requirement": "退回费用"})
    assert r.status_code == 302
    assert "公安机关" in c.get(reverse("inspections:referrals")).content.decode()
    assert "退回费用" in c.get(reverse("inspections:rectifications")).content.decode()
    rect = hospital_inspection.rectifications.get()
    r = client_for(team_user).post(reverse("inspections:rectification-submit", args=[rect.pk]),
                                   {"completion_note": "已退回"})
    assert r.status_code == 302
    c = client_for(reviewer)
    r = c.post(reverse("inspections:rectification-close", args=[rect.pk]), {"decision": "approve"})
    rect.refresh_from_db()
    assert rect.status == "closed"
    detail = c.get(reverse("inspections:detail", args=[pk])).content.decode()
    assert "已销号" in detail and "移交公安机关" in detail


def test_overdue_command(insp_world, hospital_inspection):
    out = StringIO()
    call_command("inspections", "overdue", stdout=out)
    assert "共 0 条已逾期" in out.getvalue()
    Inspection.objects.filter(pk=hospital_inspection.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("inspections", "overdue", "--region", f.YANGCHENG, stdout=out)
    assert exc.value.code == 1
    assert hospital_inspection.institution.fixmedins_code in out.getvalue() and "共 1 条已逾期" in out.getvalue()


def test_ensure_command_is_idempotent(insp_world):
    out = StringIO()
    call_command("inspections", "ensure", "--draw", insp_world["draw"].draw_id, stdout=out)
    assert "已生成 0 条检查记录" in out.getvalue()


def test_checklist_tap_targets(client_for, team_user, hospital_inspection):
    actions.notify(team_user, hospital_inspection)
    fill_checklist(team_user, hospital_inspection, "na")
    body = client_for(team_user).get(reverse("inspections:record", args=[hospital_inspection.pk])).content.decode()
    assert body.count('class="seg"') == hospital_inspection.checklist.count()
    assert 'value="na" checked' in body

"""Voiding (作废) a finding before review (issue 11 §4): the recorder or the reviewer, with a reason; the row
and its evidence stay, it is shown struck through, audited, and counts nowhere; refused after review."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from spotcheck.audit.models import AuditEvent
from spotcheck.audit.verify import verify_data
from spotcheck.credit.models import CreditRecord
from spotcheck.inspections import actions, documents, lenience
from spotcheck.inspections.models import Evidence, Finding, InspectionStatus
from spotcheck.portal import actions as portal_actions
from tests.factories import fill_checklist, upload, violation

pytestmark = pytest.mark.django_db

VOID_REFUSED = "检查结果已审核，问题不能再作废"


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def entered_twice(user, insp) -> tuple[Finding, Finding]:
    """The issue's case: the same 800 元 duplicate charge entered twice, the second with a photo."""
    actions.notify(user, insp)
    vt = violation(insp.institution.kind)
    first = actions.add_finding(user, insp, vt, "重复收取床位费", Decimal("800"), True)
    second = actions.add_finding(user, insp, vt, "重复收取床位费", Decimal("800"), True)
    actions.add_evidence(user, insp, upload(name="bill.jpg"), "photo", finding=second)
    return first, second


def record(user, insp) -> None:
    fill_checklist(user, insp)
    actions.add_evidence(user, insp, upload(name="sign.jpg"), "signature")
    actions.record_result(user, insp, "corrected", "发现重复收费，已当场退回", "责令改正", timezone.localdate(), "张院长")


def decide(reviewer, finding: Finding) -> None:
    actions.decide_finding(reviewer, finding, finding.recommended_treatment or "不予处罚", "按清单处理")


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_double_entered_finding_voided_by_the_inspector_before_review(
        client_for, team_user, reviewer, hospital_inspection):
    insp = hospital_inspection
    first, second = entered_twice(team_user, insp)

    voided = actions.void_finding(team_user, second, "  重复登记  ")
    assert voided.voided_at is not None and voided.voided_by == team_user and voided.void_reason == "重复登记"
    # kept, with its evidence
    assert Finding.objects.filter(inspection=insp).count() == 2
    assert Evidence.objects.filter(finding=second).count() == 1
    assert list(insp.findings.counted()) == [first]
    # audited after the write: the event carries the row's state
    event = AuditEvent.objects.get(action="finding.void", object_id=str(second.pk))
    assert event.reason == "重复登记" and event.actor == team_user
    assert event.state["voided_at"] is not None and event.state["void_reason"] == "重复登记"
    with pytest.raises(actions.ActionRefused, match="已于"):
        actions.void_finding(team_user, second, "再次作废")

    # the record page and the detail page show it struck through with the reason
    for name in ("inspections:record", "inspections:detail"):
        page = client_for(team_user).get(reverse(name, args=[insp.pk]))
        html = page.content.decode()
        block = html[html.index(f'id="finding-{second.pk}"'):]
        block = block[:block.index("</del>")]
        assert "<del>" in block and "重复登记" in block and "已作废" in block
        assert "发现的问题（1，另有 1 个已作废）" in plain(page)
        assert f'id="finding-{first.pk}"' in html

    record(team_user, insp)
    assert AuditEvent.objects.get(action="inspection.record").after["findings"] == 1

    # the reviewer sees it struck, with no decision form; the one left decides the review
    page = client_for(reviewer).get(reverse("inspections:review", args=[insp.pk]))
    html = page.content.decode()
    assert reverse("inspections:finding-decide", args=[insp.pk, first.pk]) in html
    assert reverse("inspections:finding-decide", args=[insp.pk, second.pk]) not in html
    assert "<del>" in html and "重复登记" in html
    with pytest.raises(actions.ActionRefused, match="已作废"):
        actions.decide_finding(reviewer, second, "不予处罚", "x")
    decide(reviewer, first)
    actions.review(reviewer, insp, True)

    # not counted: documents, credit records, the lenience history, the publication
    doc = documents.result_document(insp)
    texts = " ".join(getattr(b, "text", "") for b in doc.blocks)
    assert "检查发现问题 1 项" in texts and "800.00" in texts and "1,600.00" not in texts
    assert CreditRecord.objects.filter(finding=first).exists()
    assert not CreditRecord.objects.filter(finding=second).exists()
    later = timezone.localdate() + dt.timedelta(days=1)
    assert lenience.earlier_same_act_count(insp.institution_id, first.act_code, later) == 1
    pub = portal_actions.publish(reviewer, insp)
    assert pub.snapshot["findings_count"] == 1 and pub.snapshot["findings_amount"] == "800.00"
    report = verify_data(labels=["inspections.finding", "inspections.evidence"])
    assert report.ok, [d.describe() for d in report.differences]


def test_void_is_refused_after_review(team_user, reviewer, hospital_inspection):
    insp = hospital_inspection
    first, second = entered_twice(team_user, insp)
    record(team_user, insp)
    decide(reviewer, first)
    decide(reviewer, second)
    actions.review(reviewer, insp, True)
    with pytest.raises(actions.ActionRefused, match=VOID_REFUSED):
        actions.void_finding(reviewer, second, "重复登记")
    r = api(team_user).post(f"/api/findings/{second.pk}/void/", {"reason": "重复登记"}, format="json")
    assert r.status_code == 400 and VOID_REFUSED in r.data["detail"]
    second.refresh_from_db()
    assert second.voided_at is None and not AuditEvent.objects.filter(action="finding.void").exists()


def test_reviewer_voids_a_recorded_finding_and_the_result_must_still_hold(
        team_user, reviewer, hospital_inspection):
    insp = hospital_inspection
    actions.notify(team_user, insp)
    only = actions.add_finding(team_user, insp, violation(insp.institution.kind), "误录", Decimal("300"), True)
    record(team_user, insp)
    actions.void_finding(reviewer, only, "核实后不构成违规")
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.RECORDED
    with pytest.raises(actions.ActionRefused, match="均已作废"):
        actions.review(reviewer, insp, True)
    actions.review(reviewer, insp, False, "问题已作废，请改为未发现问题")
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.NOTIFIED


def test_void_needs_a_reason_and_the_right_person(
        team_user, other_inspector_user, reviewer, hospital_inspection):
    insp = hospital_inspection
    _first, second = entered_twice(team_user, insp)
    with pytest.raises(actions.ActionRefused, match="作废理由"):
        actions.void_finding(team_user, second, "  ")
    with pytest.raises(PermissionDenied):
        actions.void_finding(other_inspector_user, second, "重复登记")
    second.refresh_from_db()
    assert second.voided_at is None
    actions.void_finding(reviewer, second, "重复登记")  # the reviewer side may too
    with pytest.raises(actions.ActionRefused, match="已作废"):
        actions.add_evidence(team_user, insp, upload(), "photo", finding=second)


def test_void_from_the_finding_card(client_for, team_user, huairen_user, hospital_inspection):
    insp = hospital_inspection
    _first, second = entered_twice(team_user, insp)
    url = reverse("inspections:finding-void", args=[insp.pk, second.pk])
    c = client_for(team_user)
    assert url in c.get(reverse("inspections:record", args=[insp.pk])).content.decode()
    c.post(url, {"reason": "", "next": "record"})
    second.refresh_from_db()
    assert second.voided_at is None
    response = c.post(url, {"reason": "重复登记", "next": "record"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("inspections:record", args=[insp.pk]))
    second.refresh_from_db()
    assert second.void_reason == "重复登记"
    assert url not in c.get(reverse("inspections:record", args=[insp.pk])).content.decode()
    # another county (client_for logs the same client in as someone else)
    assert client_for(huairen_user).post(url, {"reason": "重复登记"}).status_code == 404


def test_void_over_the_api_and_in_the_schema(team_user, hospital_inspection):
    insp = hospital_inspection
    _first, second = entered_twice(team_user, insp)
    c = api(team_user)
    assert c.post(f"/api/findings/{second.pk}/void/", {}, format="json").status_code == 400
    r = c.post(f"/api/findings/{second.pk}/void/", {"reason": "重复登记"}, format="json")
    assert r.status_code == 200 and r.data["voided"] and r.data["void_reason"] == "重复登记"
    detail = c.get(f"/api/inspections/{insp.pk}/").data
    assert [f["voided"] for f in detail["findings"]] == [False, True]
    schema = c.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/findings/{id}/void/"]["post"]
    assert "作废" in operation["summary"] and operation["requestBody"]

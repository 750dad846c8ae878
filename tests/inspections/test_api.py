"""REST API of inspections: scope, permissions, the workflow steps, multipart evidence upload."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from spotcheck.inspections.models import Inspection, InspectionStatus
from tests.factories import JPEG, PDF, upload, violation

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_list_is_scoped(insp_world, county_user, huairen_user, team_user, hospital_inspection):
    r = api(county_user).get("/api/inspections/")
    assert r.status_code == 200 and r.data["count"] == Inspection.objects.count()
    assert api(huairen_user).get("/api/inspections/").data["count"] == 0
    assert api(huairen_user).get(f"/api/inspections/{hospital_inspection.pk}/").status_code == 404
    own = api(team_user).get("/api/inspections/").data
    assert 0 < own["count"] < Inspection.objects.count()
    assert hospital_inspection.pk in [row["id"] for row in own["results"]]
    detail = api(team_user).get(f"/api/inspections/{hospital_inspection.pk}/").data
    assert detail["checklist"] and detail["team"]


def test_workflow_over_the_api(insp_world, team_user, reviewer, hospital_inspection):
    c, pk = api(team_user), hospital_inspection.pk
    r = c.post(f"/api/inspections/{pk}/notify/", {}, format="json")
    assert r.status_code == 200 and r.data["status"] == "notified" and r.data["notice_number"]
    r = c.post(f"/api/inspections/{pk}/draft/", {"draft": {"x": "1"}}, format="json")
    assert r.status_code == 200 and "saved_at" in r.data
    vt = violation("H")
    r = c.post("/api/findings/", {"inspection": pk, "violation_type": vt.pk, "description": "重复收费",
                                  "amount": "800.00", "corrected_on_site": True}, format="json")
    assert r.status_code == 201, r.data
    finding_id = r.data["id"]
    rows = [{"id": e.pk, "outcome": "compliant"} for e in hospital_inspection.checklist.filter(outcome="")]
    r = c.post(f"/api/inspections/{pk}/checklist/", {"rows": rows}, format="json")
    assert r.status_code == 200
    r = c.post("/api/evidence/", {"inspection": pk, "kind": "signature", "file": upload(PDF, "sign.pdf",
                                                                                        "application/pdf")},
               format="multipart")
    assert r.status_code == 201 and r.data["content_type"] == "application/pdf"
    sig = r.data["id"]
    r = c.post(f"/api/inspections/{pk}/record/", {
        "result_type": "corrected", "summary": "已退回", "handling": "责令改正",
        "ended_on": timezone.localdate().isoformat(), "confirmed_by_name": "张院长", "signature": sig},
        format="json")
    assert r.status_code == 200, r.data
    assert r.data["status"] == "recorded"
    # the recorder may not review; an inspector may not at all
    assert c.post(f"/api/inspections/{pk}/review/", {"approve": True}, format="json").status_code == 403
    rc = api(reviewer)
    r = rc.post(f"/api/inspections/{pk}/review/", {"approve": True}, format="json")
    assert r.status_code == 400 and "处理决定" in r.data["detail"]
    recommended = Inspection.objects.get(pk=pk).findings.get().recommended_treatment
    r = rc.post(f"/api/findings/{finding_id}/decide/", {"treatment": "依法处罚"}, format="json")
    if recommended and recommended != "依法处罚":
        assert r.status_code == 400 and "理由" in r.data["detail"]
    r = rc.post(f"/api/findings/{finding_id}/decide/",
                {"treatment": recommended or "不予处罚", "deviation_reason": "" if recommended else "人工"},
                format="json")
    assert r.status_code == 200, r.data
    r = rc.post(f"/api/inspections/{pk}/review/", {"approve": True, "note": "同意"}, format="json")
    assert r.status_code == 200 and r.data["status"] == InspectionStatus.REVIEWED
    # referral and rectification
    r = rc.post("/api/referrals/", {"inspection": pk, "agency": "health", "reason": "涉及诊疗规范"}, format="json")
    assert r.status_code == 201
    r = rc.post(f"/api/referrals/{r.data['id']}/receipt/", {"note": "已收到"}, format="json")
    assert r.status_code == 200 and r.data["receipt_at"]
    r = rc.post("/api/rectifications/", {"inspection": pk, "requirement": "退回费用", "finding": finding_id},
                format="json")
    assert r.status_code == 201
    rect = r.data["id"]
    assert c.post(f"/api/rectifications/{rect}/submit/", {"completion_note": "已退回"}, format="json").status_code == 200
    assert c.post(f"/api/rectifications/{rect}/close/", {"approve": True}, format="json").status_code == 403
    r = rc.post(f"/api/rectifications/{rect}/close/", {"approve": True}, format="json")
    assert r.status_code == 200 and r.data["status"] == "closed"


def test_evidence_upload_sniffs_and_hashes(team_user, huairen_user, hospital_inspection):
    c = api(team_user)
    r = c.post("/api/evidence/", {"inspection": hospital_inspection.pk, "kind": "photo",
                                  "file": upload(JPEG, "x.txt", "text/plain")}, format="multipart")
    assert r.status_code == 201 and r.data["sha256"] == hashlib.sha256(JPEG).hexdigest()
    r = c.post("/api/evidence/", {"inspection": hospital_inspection.pk, "kind": "photo",
                                  "file": upload(b"<html>hi</html>", "x.jpg")}, format="multipart")
    assert r.status_code == 400 and "不允许上传" in r.data["detail"]
    r = api(huairen_user).post("/api/evidence/", {"inspection": hospital_inspection.pk, "kind": "photo",
                                                  "file": upload()}, format="multipart")
    assert r.status_code == 404
    assert api(huairen_user).get("/api/evidence/").data["count"] == 0
    assert c.get("/api/evidence/").data["count"] == 1


def test_permissions(hospital_inspection, auditor_user, team_user):
    # auditors read everything, write nothing
    assert api(auditor_user).get(f"/api/inspections/{hospital_inspection.pk}/").status_code == 200
    assert api(auditor_user).post(f"/api/inspections/{hospital_inspection.pk}/notify/", {},
                                  format="json").status_code == 403
    # an inspector may not order rectifications or refer
    assert api(team_user).post("/api/referrals/", {"inspection": hospital_inspection.pk, "agency": "police",
                                                   "reason": "x"}, format="json").status_code == 403
    assert APIClient().get("/api/inspections/").status_code in (401, 403)

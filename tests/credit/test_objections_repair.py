"""Objections (第十条) with their working-day deadline, and 信用修复 after a clean period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spotcheck.audit.models import AuditEvent
from spotcheck.credit import actions
from spotcheck.credit.models import ObjectionStatus, RecordStatus, RepairStatus
from spotcheck.policy.calendar import due_date
from spotcheck.policy.models import HolidayOverride, PolicySetting
from tests import factories as f


@pytest.fixture
def subject(db):
    return actions.ensure_subject("t", f.institution(f.YANGCHENG, "H"))


def old_record(subject, user, record_type="penalty", severity="moderate", months=8):
    day = timezone.localdate() - dt.timedelta(days=31 * months)
    return actions.add_record(user, subject, record_type=record_type, severity=severity, title="处罚",
                              occurred_on=day, recorded_on=day)


def test_objection_deadline_follows_policy_and_holiday_table(subject, county_user):
    PolicySetting.objects.create(key="credit.objection_deadline_workdays", value=3,
                                 effective_from=dt.date(2000, 1, 1), note="test")
    today = timezone.localdate()
    HolidayOverride.objects.create(day=today + dt.timedelta(days=1), is_workday=False, note="test")
    rec = old_record(subject, county_user)
    obj = actions.file_objection(county_user, rec, "金额有误")
    assert obj.due_date == due_date(today, 3)[0]
    assert obj.due_date > today + dt.timedelta(days=3) or today.weekday() >= 5
    with pytest.raises(actions.ActionRefused, match="待处理"):
        actions.file_objection(county_user, rec, "再次异议")
    assert AuditEvent.objects.filter(action="credit.objection.file", object_id=str(obj.pk)).exists()


def test_kept_objection_leaves_the_record(subject, county_user):
    rec = old_record(subject, county_user)
    obj = actions.resolve_objection(county_user, actions.file_objection(county_user, rec, "不服"),
                                    corrected=False, reason="证据充分，维持")
    rec.refresh_from_db()
    assert obj.status == ObjectionStatus.KEPT and rec.status == RecordStatus.ACTIVE and obj.decided_in_time
    with pytest.raises(actions.ActionRefused, match="已处理"):
        actions.resolve_objection(county_user, obj, corrected=True, reason="x")


def test_withdrawn_record_stops_counting(subject, county_user):
    rec = old_record(subject, county_user)
    assert actions.evaluate_subject(county_user, subject).score == 80
    obj = actions.file_objection(county_user, rec, "非本机构行为")
    actions.resolve_objection(county_user, obj, corrected=True, withdraw=True, reason="主体认定错误")
    rec.refresh_from_db()
    assert rec.status == RecordStatus.CLOSED and rec.withdrawn_on == timezone.localdate()
    ev = actions.evaluate_subject(county_user, subject)
    assert ev.score == 100 and "已更正或已结案" in ev.explanation[1]["label"]


def test_other_county_cannot_resolve(subject, county_user, huairen_user):
    obj = actions.file_objection(county_user, old_record(subject, county_user), "x")
    with pytest.raises(PermissionDenied):
        actions.resolve_objection(huairen_user, obj, corrected=False, reason="x")


def test_repair_needs_a_clean_period_and_takes_effect_on_the_next_evaluation(subject, county_user):
    fresh = old_record(subject, county_user, months=1)
    with pytest.raises(actions.ActionRefused, match="满 6 个月"):
        actions.apply_repair(county_user, fresh, "已整改")
    unexecuted = old_record(subject, county_user, record_type="unexecuted_penalty", severity="", months=9)
    with pytest.raises(actions.ActionRefused, match="须先履行"):
        actions.apply_repair(county_user, unexecuted, "已整改")
    old = old_record(subject, county_user, months=8)
    with pytest.raises(actions.ActionRefused, match="新的不良信息"):
        actions.apply_repair(county_user, old, "已整改")
    actions.close_record(county_user, fresh, "录入错误")
    actions.close_record(county_user, unexecuted, "录入错误")
    app = actions.apply_repair(county_user, old, "已退回违规费用并完成整改")
    assert app.due_date == due_date(timezone.localdate(), 15)[0]
    assert actions.evaluate_subject(county_user, subject).score == 80
    app = actions.decide_repair(county_user, app, approve=True, reason="整改到位")
    assert app.status == RepairStatus.APPROVED
    old.refresh_from_db()
    assert old.repaired_on == timezone.localdate()
    assert actions.evaluate_subject(county_user, subject).score == 100
    assert AuditEvent.objects.filter(action="credit.record.repair", object_id=str(old.pk)).exists()
    assert AuditEvent.objects.filter(action="credit.repair.decide", object_id=str(app.pk)).exists()


def test_rejected_repair(subject, county_user):
    old = old_record(subject, county_user, months=8)
    app = actions.decide_repair(county_user, actions.apply_repair(county_user, old, "整改"), approve=False,
                                reason="整改材料不全")
    old.refresh_from_db()
    assert app.status == RepairStatus.REJECTED and old.repaired_on is None


def test_attachments_pass_the_shared_upload_check(subject, county_user, settings):
    """Issue 13 §5: an .html file or an oversized one is refused as a credit attachment; an accepted one is
    stored under its digest with the extension of its real type, never under the client's name."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    rec = old_record(subject, county_user)
    page = SimpleUploadedFile("证明.html", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(actions.ActionRefused) as refused:
        actions.file_objection(county_user, rec, "金额有误", evidence=page)
    assert refused.value.field == "evidence" and "不允许上传" in refused.value.message
    settings.SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB = 1
    big = SimpleUploadedFile("大文件.pdf", f.PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(actions.ActionRefused, match="文件过大：大文件.pdf 为 1,048,[0-9]+ 字节，上传文件上限为 1 MB"):
        actions.file_objection(county_user, rec, "金额有误", evidence=big)
    assert not rec.objections.exists()
    obj = actions.file_objection(county_user, rec, "金额有误", evidence=f.upload(f.PDF, "../../证明.html"))
    assert obj.evidence_name == "证明.html"  # shown as the client named it, never used as a path or a type
    assert obj.evidence.name.endswith(".pdf") and "证明" not in obj.evidence.name and ".." not in obj.evidence.name


def test_an_attachment_is_served_with_its_real_type(subject, county_user, client_for):
    from django.urls import reverse

    rec = old_record(subject, county_user)
    obj = actions.file_objection(county_user, rec, "金额有误", evidence=f.upload(f.PDF, "证明.html"))
    response = client_for(county_user).get(reverse("credit:evidence", args=["objection", obj.pk]))
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert ".pdf" in response["Content-Disposition"] and ".html" not in response["Content-Disposition"]

"""The inspection state machine (inspections.actions): creation from a draw, on-site steps, result,
review by another person, findings' decisions, referrals and rectification."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.base.models import AppendOnlyError
from spotcheck.draws import actions as draw_actions
from spotcheck.draws.models import EventReason, EventType
from spotcheck.inspections import actions, signals
from spotcheck.inspections.models import (
    Evidence,
    Inspection,
    InspectionStatus,
    RectificationStatus,
    ViolationType,
)
from spotcheck.policy.models import PolicySetting
from tests import factories as f
from tests.factories import JPEG, fill_checklist, real_lenience, recorded, upload, violation

pytestmark = pytest.mark.django_db


# --- creation -------------------------------------------------------------------------------------


def test_one_inspection_per_active_assignment_idempotent(insp_world):
    draw = insp_world["draw"]
    active = draw.assignments.filter(active=True)
    assert Inspection.objects.count() == active.count() == len(insp_world["created"])
    assert actions.ensure_for_draw(insp_world["proposer"], draw) == []
    task = insp_world["task"]
    for insp in Inspection.objects.all():
        assert insp.task == task and insp.region_id == task.region_id == f.YANGCHENG
        assert insp.institution == insp.assignment.institution
        assert task.period_start <= insp.planned_date <= task.period_end
        assert insp.status == InspectionStatus.PLANNED
        assert insp.due_date is not None and insp.due_date > task.period_end
    assert AuditEvent.objects.filter(action="inspection.create").count() == active.count()


def test_checklist_from_task_items_and_catalogue(hospital_inspection):
    rows = list(hospital_inspection.checklist.all())
    items = [r for r in rows if r.check_item_id]
    catalogue = [r for r in rows if r.violation_type_id]
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert items and all(r.check_item.target_kind in ("H", "HP") for r in items)  # the pharmacy item is left out
    expected = ViolationType.objects.filter(kind="H", active=True).count()
    assert len(catalogue) == expected
    assert all(r.violation_type.kind == "H" for r in catalogue)


def test_replaced_institution_keeps_its_record_and_the_new_one_gets_one(insp_world, approver2):
    draw, proposer = insp_world["draw"], insp_world["proposer"]
    first = Inspection.objects.order_by("assignment__position").first()
    event = draw_actions.request_event(proposer, draw, type=EventType.REPLACE_UNIT, institution=first.institution,
                                       reason_kind=EventReason.CLOSED)
    before = Inspection.objects.count()
    draw_actions.approve_event(insp_world["approver"], event)  # makes the newcomer's record
    assert Inspection.objects.count() == before + 1
    assert actions.ensure_for_draw(proposer, draw) == []
    first.refresh_from_db()
    assert not first.assignment.active
    assert actions.display_status(first) == "已替换"
    with pytest.raises(actions.ActionRefused, match="已被替换"):
        actions.notify(proposer, first)


def test_ensure_refuses_an_unrevealed_draw(world, staffed, approver):
    from tests.factories import make_task

    task = make_task(world)
    proposer = f.user("t-p2", Role.COUNTY_STAFF, f.YANGCHENG)
    draw = draw_actions.freeze(proposer, task)
    with pytest.raises(actions.ActionRefused, match="尚未揭示"):
        actions.ensure_for_draw(proposer, draw)


# --- on site --------------------------------------------------------------------------------------


def test_notify_numbers_per_region_and_year(insp_world, team_user, hospital_inspection):
    staff = insp_world["proposer"]
    insp = actions.notify(team_user, hospital_inspection)
    year = timezone.localdate().year
    assert insp.status == InspectionStatus.NOTIFIED
    assert insp.notice_number == f"阳医保检告〔{year}〕1号"
    assert insp.started_on == timezone.localdate()
    insp.task.refresh_from_db()
    assert insp.task.status == "inspecting"
    other = Inspection.objects.exclude(pk=insp.pk).first()
    assert actions.notify(staff, other).notice_number == f"阳医保检告〔{year}〕2号"
    with pytest.raises(actions.ActionRefused, match="当前状态"):
        actions.notify(staff, insp)


def test_notice_number_format_is_policy(insp_world, hospital_inspection):
    PolicySetting.objects.create(key="inspection.notice_number_format", value="{short}检{year}-{seq}",
                                 effective_from=dt.date(2000, 1, 1), note="t")
    insp = actions.notify(insp_world["proposer"], hospital_inspection)
    assert insp.notice_number == f"阳检{timezone.localdate().year}-1"


def test_inspector_off_the_team_cannot_act(hospital_inspection, other_inspector_user):
    with pytest.raises(PermissionDenied):
        actions.notify(other_inspector_user, hospital_inspection)
    with pytest.raises(PermissionDenied):
        actions.save_draft(other_inspector_user, hospital_inspection, {"a": 1})


def test_other_county_cannot_act(hospital_inspection, huairen_user):
    with pytest.raises(PermissionDenied):
        actions.notify(huairen_user, hospital_inspection)


def test_draft_last_write_wins_and_stops_after_record(hospital_inspection, team_user):
    t1 = actions.save_draft(team_user, hospital_inspection, {"f:a": "1"})
    t2 = actions.save_draft(team_user, hospital_inspection, {"f:a": "2"})
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.draft == {"f:a": "2"} and hospital_inspection.draft_saved_at == t2 >= t1
    with pytest.raises(actions.ActionRefused, match="过大"):
        actions.save_draft(team_user, hospital_inspection, {"x": "字" * 30000})
    recorded(team_user, hospital_inspection)
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.draft == {}
    with pytest.raises(actions.ActionRefused):
        actions.save_draft(team_user, hospital_inspection, {"f:a": "3"})


def test_checklist_needs_notified_and_valid_outcomes(hospital_inspection, team_user):
    entry = hospital_inspection.checklist.first()
    with pytest.raises(actions.ActionRefused, match="当前状态"):
        actions.set_checklist(team_user, hospital_inspection, {entry.pk: ("compliant", "")})
    actions.notify(team_user, hospital_inspection)
    with pytest.raises(actions.ActionRefused, match="无效"):
        actions.set_checklist(team_user, hospital_inspection, {entry.pk: ("maybe", "")})
    assert actions.set_checklist(team_user, hospital_inspection, {entry.pk: ("compliant", "查看了制度文件")}) == 1
    entry.refresh_from_db()
    assert (entry.outcome, entry.note) == ("compliant", "查看了制度文件")
    other = Inspection.objects.exclude(pk=hospital_inspection.pk).first().checklist.first()
    with pytest.raises(actions.ActionRefused, match="不属于"):
        actions.set_checklist(team_user, hospital_inspection, {other.pk: ("compliant", "")})


def test_finding_marks_the_catalogue_line_and_keeps_the_recommendation(hospital_inspection, team_user):
    actions.notify(team_user, hospital_inspection)
    vt = violation("H")
    finding = actions.add_finding(team_user, hospital_inspection, vt, "重复收取床位费", Decimal("800"), True)
    assert finding.act_code == vt.act_code and finding.article == vt.article == 38
    assert finding.amount == Decimal("800") and finding.corrected_on_site
    line = hospital_inspection.checklist.filter(violation_type=vt).first()
    if line is not None:
        assert line.outcome == "noncompliant"
    event = AuditEvent.objects.filter(action="finding.add").get()
    assert event.after["recommended_treatment"] == finding.recommended_treatment


@real_lenience
def test_800_yuan_duplicate_charge_corrected_on_site_is_not_penalised(hospital_inspection, team_user):
    """The contract of inspections.lenience: 单项违规费用小于 1000 元 → 不予处罚."""
    actions.notify(team_user, hospital_inspection)
    finding = actions.add_finding(team_user, hospital_inspection, violation("H"), "重复收费", Decimal("800"), True)
    assert finding.recommended_treatment == "不予处罚"
    assert finding.recommended_entry
    assert finding.statutory_range


def test_finding_validation(hospital_inspection, team_user):
    actions.notify(team_user, hospital_inspection)
    with pytest.raises(actions.ActionRefused, match="不适用"):
        actions.add_finding(team_user, hospital_inspection, violation("P"), "x", Decimal("1"))
    with pytest.raises(actions.ActionRefused, match="问题描述"):
        actions.add_finding(team_user, hospital_inspection, violation("H"), " ", Decimal("1"))
    with pytest.raises(actions.ActionRefused, match="金额"):
        actions.add_finding(team_user, hospital_inspection, violation("H"), "x", Decimal("-1"))
    with pytest.raises(actions.ActionRefused, match="金额"):
        actions.add_finding(team_user, hospital_inspection, violation("H"), "x", "abc")
    with pytest.raises(actions.ActionRefused, match="裁量情形"):
        actions.add_finding(team_user, hospital_inspection, violation("H"), "x", Decimal("1"), circumstances=["nope"])
    assert hospital_inspection.findings.count() == 0


# --- result and review ----------------------------------------------------------------------------


def test_record_rules(hospital_inspection, team_user):
    insp, today = hospital_inspection, timezone.localdate()
    actions.notify(team_user, insp)
    actions.add_finding(team_user, insp, violation("H"), "重复收费", Decimal("800"), True)
    with pytest.raises(actions.ActionRefused, match="不能是“未发现问题”"):
        actions.record_result(team_user, insp, "no_problem", "", "", today, "张院长")
    with pytest.raises(actions.ActionRefused, match="尚未填写检查情况"):
        actions.record_result(team_user, insp, "corrected", "已退回", "责令改正", today, "张院长")
    fill_checklist(team_user, insp)
    with pytest.raises(actions.ActionRefused, match="确认人"):
        actions.record_result(team_user, insp, "corrected", "已退回", "责令改正", today, "")
    with pytest.raises(actions.ActionRefused, match="签字盖章"):
        actions.record_result(team_user, insp, "corrected", "已退回", "责令改正", today, "张院长")
    with pytest.raises(actions.ActionRefused, match="晚于今天"):
        actions.record_result(team_user, insp, "corrected", "已退回", "", today + dt.timedelta(days=1), "张院长")
    with pytest.raises(actions.ActionRefused, match="早于开始日期"):
        actions.record_result(team_user, insp, "corrected", "已退回", "", today - dt.timedelta(days=1), "张院长")
    sig = actions.add_evidence(team_user, insp, upload(name="sign.jpg"), "signature")
    insp = actions.record_result(team_user, insp, "corrected", "已退回", "责令改正", today, "张院长", sig)
    assert insp.status == InspectionStatus.RECORDED and insp.recorded_by == team_user
    assert insp.result_notice_number.startswith("阳医保检结〔")
    from spotcheck.policy.calendar import due_date

    assert insp.due_date == due_date(today, 20)[0]
    event = AuditEvent.objects.filter(action="inspection.record").get()
    assert event.after["signature_sha256"] == [hashlib.sha256(JPEG).hexdigest()]


def test_result_without_findings_cannot_claim_problems(hospital_inspection, team_user):
    actions.notify(team_user, hospital_inspection)
    with pytest.raises(actions.ActionRefused, match="至少登记一个问题"):
        actions.record_result(team_user, hospital_inspection, "pending", "x", "", timezone.localdate(), "张")


def test_uncooperative_needs_no_signature(hospital_inspection, team_user):
    actions.notify(team_user, hospital_inspection)
    insp = actions.record_result(team_user, hospital_inspection, "uncooperative", "拒绝提供账册", "移交处理",
                                 timezone.localdate(), "")
    assert insp.result_type == "uncooperative" and insp.confirmed_at is None


def test_due_date_counts_working_days_with_the_2026_calendar():
    """Ended 2026-09-25 (中秋) + 20 working days → 2026-10-29 (国庆, make-up day 10-10 counted)."""
    from spotcheck.inspections import deadlines

    assert deadlines.disclosure_due(dt.date(2026, 9, 25))[0] == dt.date(2026, 10, 29)
    PolicySetting.objects.create(key="disclosure.deadline_workdays", value=5, effective_from=dt.date(2000, 1, 1),
                                 note="t")
    assert deadlines.disclosure_due(dt.date(2026, 9, 25))[0] == dt.date(2026, 10, 9)


def test_reviewer_must_differ_from_recorder(insp_world, hospital_inspection, reviewer):
    staff = insp_world["proposer"]
    recorded(staff, hospital_inspection)
    with pytest.raises(actions.ActionRefused, match="录入人"):
        actions.review(staff, hospital_inspection, True)
    finding = hospital_inspection.findings.get()
    with pytest.raises(actions.ActionRefused, match="尚未作出处理决定"):
        actions.review(reviewer, hospital_inspection, True)
    actions.decide_finding(reviewer, finding, finding.recommended_treatment or "不予处罚", "与建议一致" if not
                           finding.recommended_treatment else "")
    seen = []
    signals.inspection_reviewed.connect(lambda sender, inspection, user, **kw: seen.append((inspection.pk, user.pk)),
                                        weak=False, dispatch_uid="t-reviewed")
    try:
        insp = actions.review(reviewer, hospital_inspection, True, "同意")
    finally:
        signals.inspection_reviewed.disconnect(dispatch_uid="t-reviewed")
    assert insp.status == InspectionStatus.REVIEWED and insp.reviewed_by == reviewer
    assert seen == [(insp.pk, reviewer.pk)]


def test_inspector_cannot_review(hospital_inspection, team_user):
    recorded(team_user, hospital_inspection)
    with pytest.raises(PermissionDenied):
        actions.review(team_user, hospital_inspection, True)


def test_reject_sends_back_with_a_note(hospital_inspection, team_user, reviewer):
    recorded(team_user, hospital_inspection)
    with pytest.raises(actions.ActionRefused, match="审核意见"):
        actions.review(reviewer, hospital_inspection, False, "")
    insp = actions.review(reviewer, hospital_inspection, False, "请补充现场照片")
    assert insp.status == InspectionStatus.NOTIFIED and insp.review_note == "请补充现场照片"
    actions.add_evidence(team_user, insp, upload(), "photo")
    again = actions.record_result(team_user, insp, "corrected", "补充", "责令改正", timezone.localdate(), "张院长")
    assert again.status == InspectionStatus.RECORDED


def test_deviation_from_the_recommendation_needs_a_reason(hospital_inspection, team_user, reviewer):
    recorded(team_user, hospital_inspection)
    finding = hospital_inspection.findings.get()
    finding.recommended_treatment = "不予处罚"  # whatever the lists say, the rule is about the stored one
    finding.save(update_fields=["recommended_treatment"])
    with pytest.raises(actions.ActionRefused, match="请填写理由"):
        actions.decide_finding(reviewer, finding, "依法处罚", "", penalty_amount=Decimal("1600"))
    seen = []
    signals.finding_decided.connect(lambda sender, finding, user, **kw: seen.append(finding.pk), weak=False,
                                    dispatch_uid="t-decided")
    try:
        decided = actions.decide_finding(reviewer, finding, "依法处罚", "多次重复收费", penalty_amount=Decimal("1600"))
    finally:
        signals.finding_decided.disconnect(dispatch_uid="t-decided")
    assert decided.deviation_reason == "多次重复收费" and decided.penalty_amount == Decimal("1600")
    assert seen == [finding.pk]
    same = actions.decide_finding(reviewer, finding, "不予处罚", "")
    assert same.deviation_reason == "" and same.decided_by == reviewer
    with pytest.raises(actions.ActionRefused, match="不能填写罚款"):
        actions.decide_finding(reviewer, finding, "不予处罚", "", penalty_amount=Decimal("10"))
    with pytest.raises(PermissionDenied):
        actions.decide_finding(team_user, finding, "不予处罚", "")


# --- evidence ------------------------------------------------------------------------------------


def test_evidence_is_sniffed_hashed_audited_and_append_only(hospital_inspection, team_user):
    ev = actions.add_evidence(team_user, hospital_inspection, upload(JPEG, "x.png", "image/png"), "photo",
                              timezone.now())
    assert ev.content_type == "image/jpeg"  # the bytes, not the client's header or the name
    assert ev.sha256 == hashlib.sha256(JPEG).hexdigest() and ev.size == len(JPEG)
    assert ev.file.read() == JPEG
    event = AuditEvent.objects.filter(action="evidence.add").get()
    assert event.after["sha256"] == ev.sha256 and event.object_id == str(ev.pk)
    with pytest.raises(AppendOnlyError):
        ev.delete()
    assert Evidence.objects.count() == 1


def test_evidence_refuses_disguised_and_oversized_files(hospital_inspection, team_user):
    with pytest.raises(actions.ActionRefused, match="不允许上传"):
        actions.add_evidence(team_user, hospital_inspection,
                             upload(b"MZ\x90\x00 not a picture", "photo.jpg", "image/jpeg"), "photo")
    with pytest.raises(actions.ActionRefused, match="不能作为"):
        actions.add_evidence(team_user, hospital_inspection, upload(JPEG, "v.mp4", "video/mp4"), "video")
    PolicySetting.objects.create(key="inspection.photo_max_mb", value=0.0001, effective_from=dt.date(2000, 1, 1),
                                 note="t")
    with pytest.raises(actions.ActionRefused, match="文件过大：.*上传文件上限为"):
        actions.add_evidence(team_user, hospital_inspection, upload(JPEG + b"\x00" * 200), "photo")
    PolicySetting.objects.create(key="inspection.evidence_types", value=["video/mp4"],
                                 effective_from=dt.date(2000, 1, 2), note="t")
    with pytest.raises(actions.ActionRefused, match="不允许上传"):
        actions.add_evidence(team_user, hospital_inspection, upload(JPEG), "photo")
    assert Evidence.objects.count() == 0
    assert not AuditEvent.objects.filter(action="evidence.add").exists()


# --- referrals and rectification -----------------------------------------------------------------


def test_referral_and_receipt(hospital_inspection, team_user, reviewer):
    recorded(team_user, hospital_inspection)
    with pytest.raises(PermissionDenied):
        actions.refer(team_user, hospital_inspection, "police", "涉嫌诈骗")
    with pytest.raises(actions.ActionRefused, match="移交理由"):
        actions.refer(reviewer, hospital_inspection, "police", " ")
    ref = actions.refer(reviewer, hospital_inspection, "police", "涉嫌诈骗", agency_name="阳城县公安局",
                        document_number="阳医保移〔2026〕1号")
    receipt = actions.add_evidence(reviewer, hospital_inspection, upload(), "receipt")
    ref = actions.record_referral_receipt(reviewer, ref, None, "已受理", receipt)
    assert ref.receipt_at is not None and ref.receipt == receipt
    with pytest.raises(actions.ActionRefused, match="已登记回执"):
        actions.record_referral_receipt(reviewer, ref, None, "again")


def test_rectification_closed_by_someone_other_than_the_submitter(hospital_inspection, team_user, reviewer,
                                                                   insp_world):
    recorded(team_user, hospital_inspection)
    rect = actions.order_rectification(reviewer, hospital_inspection, "退回重复收取的费用")
    assert rect.due_date == timezone.localdate() + dt.timedelta(days=30)
    with pytest.raises(actions.ActionRefused, match="只有已提交"):
        actions.close_rectification(reviewer, rect)
    doc = actions.add_evidence(reviewer, hospital_inspection, upload(), "document")
    rect = actions.submit_rectification(reviewer, rect, "已退回 800 元", [doc])
    assert rect.status == RectificationStatus.SUBMITTED and list(rect.evidence.all()) == [doc]
    with pytest.raises(actions.ActionRefused, match="提交人以外"):
        actions.close_rectification(reviewer, rect)
    with pytest.raises(PermissionDenied):
        actions.close_rectification(team_user, rect)
    rect = actions.close_rectification(insp_world["proposer"], rect, False, "缺少退款凭证")
    assert rect.status == RectificationStatus.OPEN
    rect = actions.submit_rectification(team_user, rect, "补充退款凭证")
    rect = actions.close_rectification(reviewer, rect, True, "同意销号")
    assert rect.status == RectificationStatus.CLOSED and rect.closed_by == reviewer
    with pytest.raises(actions.ActionRefused, match="不能早于今天"):
        actions.order_rectification(reviewer, hospital_inspection, "x", timezone.localdate() - dt.timedelta(days=1))


def test_decision_is_locked_after_review_except_recording_the_penalty_execution(
    insp_world, hospital_inspection, reviewer
):
    staff = insp_world["proposer"]
    recorded(staff, hospital_inspection)
    finding = hospital_inspection.findings.get()
    actions.decide_finding(reviewer, finding, "依法处罚", "多次重复收费", refund_amount=Decimal("800"),
                           penalty_amount=Decimal("800"))
    actions.review(reviewer, hospital_inspection, True, "同意")
    finding.refresh_from_db()
    with pytest.raises(actions.ActionRefused, match="不能再修改"):
        actions.decide_finding(reviewer, finding, "不予处罚", "改判")
    with pytest.raises(actions.ActionRefused, match="不能再修改"):
        actions.decide_finding(reviewer, finding, "依法处罚", "加重", refund_amount=Decimal("800"),
                               penalty_amount=Decimal("1600"))
    done = actions.decide_finding(reviewer, finding, "依法处罚", "", refund_amount=Decimal("800"),
                                  penalty_amount=Decimal("800"), penalty_executed=True)
    assert done.penalty_executed and done.decided_treatment == "依法处罚"


def _evidence_files() -> set[str]:
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.MEDIA_ROOT) / "evidence"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_referral_receipt_with_its_file_is_one_action(hospital_inspection, team_user, reviewer, monkeypatch):
    """A refusal after the scan was stored leaves neither the evidence row nor the file (issue 11 § 5)."""
    from spotcheck.inspections.models import Referral

    recorded(team_user, hospital_inspection)
    ref = actions.refer(reviewer, hospital_inspection, "police", "涉嫌诈骗", agency_name="阳城县公安局")
    files, rows = _evidence_files(), Evidence.objects.count()

    def refuse(*args, **kwargs):
        raise actions.ActionRefused("回执登记失败")

    with monkeypatch.context() as m:
        m.setattr(Referral, "save", refuse)
        with pytest.raises(actions.ActionRefused, match="回执登记失败"):
            actions.record_referral_receipt(reviewer, ref, None, "已受理", file=upload())
    assert _evidence_files() == files and Evidence.objects.count() == rows
    ref = actions.record_referral_receipt(reviewer, ref, None, "已受理", file=upload())
    assert ref.receipt is not None and ref.receipt.kind == "receipt" and len(_evidence_files()) == len(files) + 1
    with pytest.raises(actions.ActionRefused, match="已登记回执"):
        actions.record_referral_receipt(reviewer, ref, None, "again", file=upload())
    assert len(_evidence_files()) == len(files) + 1

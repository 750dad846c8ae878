"""不良信息 made from inspections through the signals (idempotent, append-only)."""

from __future__ import annotations

from spotcheck.audit.models import AuditEvent
from spotcheck.credit.models import CreditRecord, RecordStatus
from tests.factories import finding, penalise, reviewed, send_decided, send_reviewed


def test_findings_of_an_unreviewed_inspection_make_no_records(hospital_inspection, reviewer):
    fnd = finding(hospital_inspection, reviewer)
    send_decided(fnd, reviewer)
    assert not CreditRecord.objects.exists()


def test_review_creates_one_record_per_finding_and_is_idempotent(hospital_inspection, reviewer):
    insp = reviewed(hospital_inspection, reviewer)
    fnd = finding(insp, reviewer)
    finding(insp, reviewer, amount="25000")
    send_reviewed(insp, reviewer)
    send_reviewed(insp, reviewer)
    send_decided(fnd, reviewer)
    rows = list(CreditRecord.objects.order_by("id"))
    assert [(r.record_type, r.severity, r.kind) for r in rows] == [("finding", "minor", "bad"), ("finding", "major", "bad")]
    assert rows[0].finding == fnd and rows[0].inspection == insp and rows[0].link_key == f"finding:{fnd.pk}"
    assert rows[0].subject.institution == insp.institution
    assert AuditEvent.objects.filter(action="credit.record.create").count() == 2


def test_penalty_unexecuted_then_executed(hospital_inspection, reviewer):
    insp = reviewed(hospital_inspection, reviewer)
    fnd = finding(insp, reviewer)
    send_reviewed(insp, reviewer)
    send_decided(penalise(fnd, reviewer), reviewer)
    send_decided(fnd, reviewer)  # same state again: nothing new
    unexecuted = CreditRecord.objects.get(link_key=f"penalty:{fnd.pk}")
    assert unexecuted.record_type == "unexecuted_penalty" and unexecuted.status == RecordStatus.ACTIVE
    send_decided(penalise(fnd, reviewer, executed=True), reviewer)
    unexecuted.refresh_from_db()
    assert unexecuted.status == RecordStatus.SUPERSEDED and unexecuted.withdrawn_on is not None
    assert unexecuted.status_reason == "处罚已执行"
    executed = CreditRecord.objects.get(link_key=f"penalty:{fnd.pk}", status=RecordStatus.ACTIVE)
    assert (executed.record_type, executed.severity, executed.supersedes) == ("penalty", "moderate", unexecuted)
    assert CreditRecord.objects.count() == 3  # finding, unexecuted (superseded), penalty
    assert AuditEvent.objects.filter(action="credit.record.superseded", object_id=str(unexecuted.pk)).exists()
    # a treatment changed to 不予处罚 closes the penalty record
    fnd.decided_treatment, fnd.penalty_amount = "不予处罚", None
    fnd.save()
    send_decided(fnd, reviewer)
    executed.refresh_from_db()
    assert executed.status == RecordStatus.CLOSED


def test_a_correction_survives_the_same_signal_again(hospital_inspection, reviewer):
    from spotcheck.credit import actions

    insp = reviewed(hospital_inspection, reviewer)
    fnd = finding(insp, reviewer)
    send_reviewed(insp, reviewer)
    send_decided(penalise(fnd, reviewer), reviewer)
    rec = CreditRecord.objects.get(link_key=f"penalty:{fnd.pk}")
    obj = actions.file_objection(reviewer, rec, "已缴清")
    actions.resolve_objection(reviewer, obj, corrected=True, reason="已缴清", record_type="penalty",
                              severity="moderate")
    send_decided(fnd, reviewer)
    active = CreditRecord.objects.get(link_key=f"penalty:{fnd.pk}", status=RecordStatus.ACTIVE)
    assert active.source == "correction" and active.record_type == "penalty"
    send_decided(penalise(fnd, reviewer, executed=True), reviewer)  # the source changed: it wins
    active = CreditRecord.objects.get(link_key=f"penalty:{fnd.pk}", status=RecordStatus.ACTIVE)
    assert active.source == "inspection" and active.state["executed"] is True

"""Every write of an on-site inspection. Views, the API and the CLI call these, never ``save()``.

Life of an :class:`Inspection`::

    ensure_for_draw ─▶ planned ─(notify: 检查告知书)─▶ notified ─(record_result)─▶ recorded
        ─(review approve, another person)─▶ reviewed ─(portal)─▶ published
                          └─(review reject, with a note)─▶ notified

While ``notified`` the team fills the checklist (``set_checklist``), adds findings (``add_finding``,
with the lenience recommendation of ``inspections.lenience``) and uploads evidence (``add_evidence``);
until the review the recorder or the reviewer may void a finding entered by mistake (``void_finding``);
after publication only a published correction changes findings (``correct_findings``, called by
``portal.actions.correct``);
the phone saves a ``draft`` every few seconds (``save_draft``, no audit event: it is not a record).
Bureau staff decide each finding (``decide_finding``), refer cases (``refer``,
``record_referral_receipt``) and order and close rectifications.

Who: writes need ``inspect`` (or ``review`` for the bureau's decisions) with the task's area in scope;
an inspector-role user acts only on inspections whose current team includes them. Each function
writes in one transaction and appends an audit event; refusals raise :class:`ActionRefused` (Chinese
message) or ``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spotcheck import policy
from spotcheck.audit.actions import Pending, record, record_many, record_rows
from spotcheck.audit.guard import check_rows
from spotcheck.base.actions import ActionRefused, action, atomic_action, user_of
from spotcheck.base.permissions import can
from spotcheck.base.roles import Role
from spotcheck.base.scope import require
from spotcheck.base.transactions import require_action
from spotcheck.core import lenience as core_lenience
from spotcheck.directory.actions import snapshot  # every concrete field, timestamps aside
from spotcheck.draws.access import inspections_started
from spotcheck.draws.models import Draw
from spotcheck.planning.actions import set_task_status
from spotcheck.planning.models import TaskStatus

from . import checklist, deadlines, signals
from . import evidence as evidence_files
from .models import (
    Agency,
    ChecklistEntry,
    ChecklistOutcome,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCorrection,
    Inspection,
    InspectionStatus,
    LenienceCircumstance,
    NumberSequence,
    Rectification,
    RectificationStatus,
    Referral,
    ResultType,
    Treatment,
    ViolationType,
)

#: Largest draft the phone may store (bytes of JSON).
MAX_DRAFT_BYTES = 64 * 1024


# --------------------------------------------------------------------------------------------
# Who sees and who may act


def on_team(user: Any, inspection: Inspection) -> bool:
    number = getattr(user, "inspector_number", "")
    return bool(number) and inspection.assignment.members.filter(active=True, inspector__number=number).exists()


def is_bureau(user: Any) -> bool:
    """Bureau staff (not an inspector-role or institution account) holding ``inspect``."""
    return can(user, "inspect") and getattr(user, "role", None) != Role.INSPECTOR


def may_work(actor: Any, inspection: Inspection) -> None:
    """``inspect`` in the area, and for an inspector-role user a place on the current team."""
    require(actor, "inspect", inspection.region_id)
    if getattr(actor, "role", None) == Role.INSPECTOR and not actor.is_superuser:
        if not on_team(actor, inspection) or not inspections_started(inspection.task):
            raise PermissionDenied("您不在该机构的检查组中")


def may_decide(actor: Any, inspection: Inspection) -> None:
    """``review`` in the inspection's area (deciding findings, referrals, rectifications)."""
    require(actor, "review", inspection.region_id)


def _locked(inspection: Inspection) -> Inspection:
    return (Inspection.objects.select_for_update()
            .select_related("task", "institution", "region", "assignment").get(pk=inspection.pk))


def _expect(inspection: Inspection, *statuses: str) -> None:
    if inspection.status not in statuses:
        wanted = "、".join(str(InspectionStatus(s).label) for s in statuses)
        raise ActionRefused(f"该检查当前状态为“{inspection.get_status_display()}”，此操作只能在“{wanted}”时进行")


def display_status(inspection: Inspection) -> str:
    """The status as shown: a planned record whose assignment was replaced reads 已替换."""
    if inspection.status == InspectionStatus.PLANNED and not inspection.assignment.active:
        return "已替换"
    return str(inspection.get_status_display())


# --------------------------------------------------------------------------------------------
# Creation


@action
def ensure_for_draw(actor: Any, draw: Draw) -> list[Inspection]:
    """Create the missing inspections of a revealed draw: one per active assignment (idempotent).

    Planned dates are spread over the task period's working days in inspection order; the
    provisional deadline is N working days after the period's end. Records of replaced
    assignments are kept (shown as 已替换). Returns the inspections created now.
    """
    if getattr(actor, "pk", None):
        require(actor, "view", draw.task.region_id)
    if not draw.is_revealed:
        raise ActionRefused(f"抽取 {draw.draw_id} 尚未揭示，不能生成检查记录")
    task = draw.task
    with atomic_action():
        active = list(draw.assignments.filter(active=True).select_related("institution").order_by("position"))
        existing = set(Inspection.objects.filter(assignment__in=active).values_list("assignment_id", flat=True))
        missing = [a for a in active if a.pk not in existing]
        if not missing:
            return []
        days = deadlines.workdays_in(task.period_start, task.period_end)
        due, _warnings = deadlines.disclosure_due(task.period_end)
        Inspection.objects.bulk_create(
            (Inspection(assignment=a, task=task, institution=a.institution, region_id=task.region_id,
                        planned_date=days[min(len(days) - 1, a.position * len(days) // max(1, len(active)))],
                        due_date=due)
             for a in missing),
            batch_size=1000,
        )
        wanted = {a.pk for a in missing}
        created = [i for i in Inspection.objects.filter(assignment__draw=draw)
                   .select_related("institution", "task").order_by("assignment__position")
                   if i.assignment_id in wanted]
        sources = checklist.Sources()
        ChecklistEntry.objects.bulk_create(
            (row for insp in created for row in checklist.build(insp, sources)), batch_size=2000,
        )
        record_many(actor, [
            Pending.of(i, "inspection.create", region_code=i.region_id,
                       after={"draw": draw.draw_id, "assignment": i.assignment_id,
                              "institution": i.institution.fixmedins_code, "planned_date": i.planned_date,
                              "due_date": i.due_date})
            for i in created
        ])
        record_rows(actor, "inspection.checklist_create",
                    ChecklistEntry.objects.filter(inspection__in=created), region_code=task.region_id)
    return created


@action
def ensure_for_revealed(actor: Any, region_prefix: str | None = None) -> int:
    """``ensure_for_draw`` for every revealed draw (optionally in an area). Returns the count created."""
    qs = Draw.objects.filter(status="revealed").select_related("task")
    if region_prefix:
        qs = qs.filter(task__region__code__startswith=region_prefix)
    return sum(len(ensure_for_draw(actor, d)) for d in qs)


# --------------------------------------------------------------------------------------------
# On site


def next_number(region: Any, year: int, kind: str, fmt_key: str) -> str:
    """The next document number of ``kind`` in ``region`` and ``year`` (a step of an action)."""
    require_action("next_number")
    seq, _ = NumberSequence.objects.select_for_update().get_or_create(region_code=region.code, year=year, kind=kind)
    seq.last += 1
    seq.save(update_fields=["last"])
    fmt = str(policy.get(fmt_key))
    short = (region.name or region.code)[:1]
    try:
        return fmt.format(short=short, year=year, seq=seq.last, region=region.name)
    except (KeyError, IndexError, ValueError):
        return f"{short}〔{year}〕{seq.last}号"


def _set_task_inspecting(actor: Any, inspection: Inspection) -> None:
    if inspection.task.status == TaskStatus.DRAWN:
        set_task_status(actor, inspection.task, TaskStatus.INSPECTING)


@action
def notify(actor: Any, inspection: Inspection, on_date: dt.date | None = None) -> Inspection:
    """Issue the 检查告知书 (notice number from policy ``inspection.notice_number_format``)."""
    may_work(actor, inspection)
    on_date = on_date or timezone.localdate()
    if on_date > timezone.localdate():
        raise ActionRefused("告知日期不能晚于今天")
    with atomic_action():
        inspection = _locked(inspection)
        _expect(inspection, InspectionStatus.PLANNED)
        if not inspection.assignment.active:
            raise ActionRefused("该机构已被替换，不能再开展检查")
        if on_date < inspection.task.period_start:
            raise ActionRefused(f"告知日期早于任务检查期间（{inspection.task.period_start} 起）")
        inspection.notice_number = next_number(inspection.region, on_date.year, "notice",
                                               "inspection.notice_number_format")
        inspection.notified_at = timezone.now()
        inspection.started_on = on_date
        inspection.status = InspectionStatus.NOTIFIED
        inspection.save()
        _set_task_inspecting(actor, inspection)
        record(actor, "inspection.notify", inspection, after={
            "notice_number": inspection.notice_number, "started_on": on_date,
            "team": [m.inspector.number for m in inspection.active_members()],
        })
    return inspection


@action
def save_draft(actor: Any, inspection: Inspection, data: Any) -> dt.datetime:
    """Store the phone's draft (last write wins). One UPDATE; no audit event (a draft is not a record)."""
    may_work(actor, inspection)
    if not isinstance(data, dict):
        raise ActionRefused("草稿格式不正确")
    if len(json.dumps(data, ensure_ascii=False).encode("utf-8")) > MAX_DRAFT_BYTES:
        raise ActionRefused("草稿过大，请先提交已填写的内容")
    now = timezone.now()
    n = Inspection.objects.filter(
        pk=inspection.pk, status__in=[InspectionStatus.PLANNED, InspectionStatus.NOTIFIED],
    ).update(draft=data, draft_saved_at=now)
    if not n:
        raise ActionRefused("该检查已录入结果，不能再保存草稿")
    return now


@action
def set_checklist(actor: Any, inspection: Inspection, rows: dict[int, tuple[str, str]]) -> int:
    """Set outcome and note of checklist lines (``{entry id: (outcome, note)}``). Returns the count changed."""
    may_work(actor, inspection)
    with atomic_action():
        inspection = _locked(inspection)
        _expect(inspection, InspectionStatus.NOTIFIED)
        entries = {e.pk: e for e in inspection.checklist.all()}
        changed = []
        for pk, (outcome, note) in rows.items():
            entry = entries.get(int(pk))
            if entry is None:
                raise ActionRefused(f"检查表第 {pk} 行不属于该检查")
            if outcome not in ChecklistOutcome.values:
                raise ActionRefused(f"检查表第 {entry.seq} 项的检查情况“{outcome}”无效")
            note = (note or "").strip()
            if (entry.outcome, entry.note) != (outcome, note):
                changed.append({"seq": entry.seq, "before": entry.outcome, "after": outcome, "note": note})
                entry.outcome, entry.note = outcome, note
                entry.save(update_fields=["outcome", "note"])
                record(actor, "inspection.checklist_entry", entry, region_code=inspection.region_id,
                       after={"outcome": outcome, "note": note})
        if changed:
            record(actor, "inspection.checklist", inspection, after={"rows": changed})
    return len(changed)


def _money(value: Any, what: str, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ActionRefused(f"请填写{what}")
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ActionRefused(f"{what}“{value}”不是有效的金额")
    if not amount.is_finite() or amount < 0:
        raise ActionRefused(f"{what}必须是非负金额")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ActionRefused(f"{what}最多保留两位小数")
    if amount >= Decimal("1e12"):
        raise ActionRefused(f"{what}过大")
    return amount


@action
def add_finding(
    actor: Any, inspection: Inspection, violation_type: ViolationType, description: str, amount: Any,
    corrected_on_site: bool = False, circumstances: list[str] | None = None,
) -> Finding:
    """Add a problem found; the lenience recommendation (``inspections.lenience``) is made and kept."""
    may_work(actor, inspection)
    description = (description or "").strip()
    if not description:
        raise ActionRefused("请填写问题描述")
    money = _money(amount, "涉及金额")
    circumstances = [c for c in (circumstances or []) if c]
    with atomic_action():
        inspection = _locked(inspection)
        _expect(inspection, InspectionStatus.NOTIFIED)
        if violation_type.kind != inspection.institution.kind or not violation_type.active:
            raise ActionRefused(f"违规行为“{violation_type.name}”不适用于该机构")
        known = set(LenienceCircumstance.objects.filter(active=True, code__in=circumstances)
                    .values_list("code", flat=True))
        unknown = [c for c in circumstances if c not in known]
        if unknown:
            raise ActionRefused(f"裁量情形 {'、'.join(unknown)} 不存在或已停用")
        finding = Finding(
            inspection=inspection, violation_type=violation_type, act_code=violation_type.act_code,
            article=violation_type.article, description=description, amount=money,
            corrected_on_site=bool(corrected_on_site), circumstances=circumstances, created_by=user_of(actor),
        )
        from .lenience import apply_recommendation  # H5's module; imported here so this one always imports

        apply_recommendation(finding)
        finding.save()
        marked = list(inspection.checklist.filter(violation_type=violation_type).exclude(
            outcome=ChecklistOutcome.NONCOMPLIANT).values_list("pk", flat=True))
        if marked:
            check_rows(ChecklistEntry, marked)
            ChecklistEntry.objects.filter(pk__in=marked).update(outcome=ChecklistOutcome.NONCOMPLIANT)
            record_rows(actor, "inspection.checklist_entry", ChecklistEntry.objects.filter(pk__in=marked),
                        region_code=inspection.region_id, after={"outcome": ChecklistOutcome.NONCOMPLIANT})
        record(actor, "finding.add", finding, after={
            "inspection": inspection.pk, "act_code": finding.act_code, "amount": finding.amount,
            "corrected_on_site": finding.corrected_on_site, "circumstances": circumstances,
            "earlier_same_act_count": finding.earlier_same_act_count,
            "recommended_treatment": finding.recommended_treatment, "recommended_entry": finding.recommended_entry,
        })
    return finding


@action
def decide_finding(
    actor: Any, finding: Finding, treatment: str, deviation_reason: str = "", *,
    refund_amount: Any = None, penalty_amount: Any = None, penalty_executed: bool = False,
    penalty_decision_number: str = "",
) -> Finding:
    """The bureau's decision on a finding. A treatment other than the recommendation needs a reason."""
    inspection = finding.inspection
    may_decide(actor, inspection)
    if treatment not in Treatment.values:
        raise ActionRefused(f"处理方式“{treatment}”无效")
    deviation_reason = (deviation_reason or "").strip()
    if not deviation_reason and treatment == finding.decided_treatment:
        deviation_reason = finding.deviation_reason  # the same decision keeps its recorded reason
    recommended = finding.recommended_treatment
    if recommended and core_lenience.deviation_requires_reason(recommended, treatment) and not deviation_reason:
        raise ActionRefused(f"决定处理（{treatment}）与系统建议（{recommended}）不一致，请填写理由")
    refund = _money(refund_amount, "责令退回金额", required=False)
    penalty = _money(penalty_amount, "罚款金额", required=False)
    if penalty and treatment in (Treatment.NO_PENALTY, Treatment.FIRST_OFFENCE):
        raise ActionRefused(f"处理方式为“{treatment}”时不能填写罚款金额")
    if penalty_executed and not penalty:
        raise ActionRefused("未填写罚款金额，不能标记处罚已执行")
    with atomic_action():
        inspection = _locked(inspection)
        finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if inspection.status == InspectionStatus.PLANNED:
            raise ActionRefused("检查尚未开始")
        _not_voided(finding)
        if inspection.status in (InspectionStatus.REVIEWED, InspectionStatus.PUBLISHED):
            # The decision was approved (and maybe published and printed): only the later execution of
            # the penalty may be recorded; anything else is a correction through the portal.
            unchanged = (treatment == finding.decided_treatment and refund == finding.refund_amount
                         and penalty == finding.penalty_amount)
            if not (unchanged and penalty_executed and not finding.penalty_executed):
                raise ActionRefused("检查结果已审核，处理决定不能再修改（只能登记罚款已执行）；如需更正，请由公示人员发布更正")
        before = {"decided_treatment": finding.decided_treatment, "penalty_amount": finding.penalty_amount,
                  "penalty_executed": finding.penalty_executed}
        finding.decided_treatment = treatment
        finding.deviation_reason = deviation_reason if treatment != recommended else ""
        finding.refund_amount, finding.penalty_amount = refund, penalty
        finding.penalty_executed = bool(penalty_executed)
        finding.penalty_decision_number = (penalty_decision_number or "").strip()[:60]
        finding.decided_by, finding.decided_at = user_of(actor), timezone.now()
        finding.save()
        record(actor, "finding.decide", finding, before=before, after={
            "recommended_treatment": recommended, "decided_treatment": treatment,
            "refund_amount": refund, "penalty_amount": penalty, "penalty_executed": finding.penalty_executed,
            "penalty_decision_number": finding.penalty_decision_number,
        }, reason=finding.deviation_reason)
        signals.finding_decided.send(sender=Finding, finding=finding, user=actor)
    return finding


def _not_voided(finding: Finding | None) -> None:
    """Refuse work on a voided finding (read from the database: the caller's copy may be older)."""
    if finding is None:
        return
    if Finding.objects.filter(pk=finding.pk, voided_at__isnull=False).exists():
        raise ActionRefused(f"问题“{finding.violation_type.name}（{finding.amount} 元）”已作废，不能再办理")


def _may_void(actor: Any, inspection: Inspection) -> None:
    """The recorder side (``may_work``) or the reviewer side (``review`` in the area)."""
    try:
        may_work(actor, inspection)
    except PermissionDenied:
        may_decide(actor, inspection)


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@action
def void_finding(actor: Any, finding: Finding, reason: str) -> Finding:
    """Void (作废) a finding entered by mistake (e.g. twice), before the review, with a reason.

    Who: the recorder side (``inspect``, an inspector-role user only on the current team) or the
    reviewer (``review`` in the area); while the inspection is 已告知/检查中 or 已录入待审核. The row,
    its evidence, referrals and rectifications stay; it is shown struck through and counts nowhere any
    more (``Finding.objects.counted()``). Refused after review: then only a correction published
    through the portal changes findings (``correct_findings``). Audited as ``finding.void``; sends
    ``finding_corrected``."""
    _may_void(actor, finding.inspection)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写作废理由")
    inspection = _locked(finding.inspection)
    finding = Finding.objects.select_for_update().select_related("violation_type").get(pk=finding.pk)
    if inspection.status in (InspectionStatus.REVIEWED, InspectionStatus.PUBLISHED):
        raise ActionRefused("检查结果已审核，问题不能再作废；如需更正，请在公示后由公示人员发布更正")
    _expect(inspection, InspectionStatus.NOTIFIED, InspectionStatus.RECORDED)
    if finding.voided_at is not None:
        raise ActionRefused(f"该问题已于 {timezone.localtime(finding.voided_at):%Y-%m-%d %H:%M} 作废")
    finding.voided_at, finding.voided_by, finding.void_reason = timezone.now(), user_of(actor), reason
    finding.save(update_fields=["voided_at", "voided_by", "void_reason"])
    record(actor, "finding.void", finding, before={"voided": False}, after={
        "voided": True, "inspection": inspection.pk, "act_code": finding.act_code, "amount": finding.amount,
        "status": inspection.status,
    }, reason=reason)
    signals.finding_corrected.send(sender=Finding, finding=finding, user=actor, reason=reason)
    return finding


#: Fields of a finding a published correction may change (besides voiding it).
CORRECTABLE_FINDING_FIELDS = ("description", "amount", "refund_amount", "penalty_amount")


@action
def correct_findings(
    actor: Any, inspection: Inspection, changes: dict[int, dict[str, Any]], reason: str, *, version: int,
) -> list[FindingCorrection]:
    """Change findings of a published inspection as part of a published correction (更正).

    ``changes`` maps finding ids to ``{"void": True}`` or to new values of
    :data:`CORRECTABLE_FINDING_FIELDS` (keys left out keep their value; ``None``/"" clears a refund or
    penalty amount). ``version`` is the publication version that publishes the change. Each changed
    finding gets a :class:`FindingCorrection` row with its values before and after (the finding row holds
    the corrected values; earlier publications keep their snapshots) and ``finding_corrected`` is sent,
    so credit supersedes or withdraws the records made from it. Needs ``publish`` in the inspecting
    area; ``portal.actions.correct`` calls it inside its own action. Returns the rows made (none when
    nothing changed)."""
    require(actor, "publish", inspection.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写更正原因")
    inspection = _locked(inspection)
    if inspection.status != InspectionStatus.PUBLISHED:
        raise ActionRefused("只有已公示的检查结果才能通过发布更正修改问题")
    rows = {f.pk: f for f in Finding.objects.select_for_update().filter(inspection=inspection)
            .select_related("violation_type").order_by("id")}
    numbers = {pk: n for n, pk in enumerate((pk for pk, f in rows.items() if f.voided_at is None), start=1)}
    now = timezone.now()
    made = []
    for key in sorted(changes, key=lambda k: int(k)):
        change, pk = changes[key] or {}, int(key)
        finding = rows.get(pk)
        if finding is None:
            raise ActionRefused(f"问题 {pk} 不属于该检查")
        label = f"第 {numbers.get(pk, '?')} 个问题（{finding.violation_type.name}）"
        if finding.voided_at is not None:
            raise ActionRefused(f"{label}已作废，不能再更正")
        unknown = sorted(set(change) - {"void", *CORRECTABLE_FINDING_FIELDS})
        if unknown:
            raise ActionRefused(f"{label}：不能更正的内容 {'、'.join(unknown)}")
        before, after = _apply_finding_change(finding, change, label, reason, actor, now)
        if not after:
            continue
        finding.save()
        record(actor, "finding.correct", finding, before=before, after=after, reason=reason)
        row = FindingCorrection.objects.create(
            finding=finding, version=version, voided=bool(after.get("voided")), before=before, after=after,
            reason=reason, corrected_by=user_of(actor), corrected_at=now,
        )
        record(actor, "finding.correction.create", row, after={
            "finding": finding.pk, "inspection": inspection.pk, "version": version, "before": before,
            "after": after,
        }, reason=reason)
        signals.finding_corrected.send(sender=Finding, finding=finding, user=actor, reason=reason)
        made.append(row)
    return made


def _apply_finding_change(
    finding: Finding, change: dict[str, Any], label: str, reason: str, actor: Any, now: dt.datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the corrected values on ``finding`` (unsaved); return the changed fields before and after."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if change.get("void"):
        finding.voided_at, finding.voided_by, finding.void_reason = now, user_of(actor), reason
        return {"voided": False}, {"voided": True}
    if "description" in change:
        text = str(change["description"] or "").strip()
        if not text:
            raise ActionRefused(f"{label}：请填写问题描述")
        if text != finding.description:
            before["description"], after["description"] = finding.description, text
            finding.description = text
    for name, what, required in (("amount", "涉及金额", True), ("refund_amount", "责令退回金额", False),
                                 ("penalty_amount", "罚款金额", False)):
        if name not in change:
            continue
        value = _money(change[name], f"{label}的{what}", required=required)
        if value != getattr(finding, name):
            before[name], after[name] = _money_text(getattr(finding, name)), _money_text(value)
            setattr(finding, name, value)
    lenient = finding.decided_treatment in (Treatment.NO_PENALTY, Treatment.FIRST_OFFENCE)
    if finding.penalty_amount and lenient:
        raise ActionRefused(f"{label}：处理方式为“{finding.decided_treatment}”时不能填写罚款金额")
    if finding.penalty_executed and not finding.penalty_amount:
        raise ActionRefused(f"{label}：罚款已执行，不能删除罚款金额")
    return before, after


@action
def add_evidence(
    actor: Any, inspection: Inspection, uploaded_file: Any, kind: str, captured_at: dt.datetime | None = None,
    finding: Finding | None = None, note: str = "",
) -> Evidence:
    """Store an uploaded file (type by content, size by policy, SHA-256 in the audit event)."""
    may_work(actor, inspection)
    if finding is not None and finding.inspection_id != inspection.pk:
        raise ActionRefused("所选问题不属于该检查")
    _not_voided(finding)
    try:
        checked = evidence_files.check(uploaded_file, kind)
    except evidence_files.EvidenceRejected as exc:
        raise ActionRefused(str(exc))
    if captured_at is not None and captured_at > timezone.now() + dt.timedelta(minutes=10):
        raise ActionRefused("拍摄时间不能晚于现在")
    original = (getattr(uploaded_file, "name", "") or "upload")[-200:]
    with atomic_action():
        inspection = _locked(inspection)
        ev = Evidence(
            inspection=inspection, finding=finding, kind=kind, original_name=original,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
            captured_at=captured_at, note=(note or "").strip()[:200], uploaded_by=actor,
        )
        ev.file.save(f"{checked.sha256[:32]}{checked.extension}", uploaded_file, save=False)
        ev.save()
        record(actor, "evidence.add", ev, after={
            "inspection": inspection.pk, "finding": finding.pk if finding else None, "kind": kind,
            "original_name": original, "content_type": checked.content_type, "size": checked.size,
            "sha256": checked.sha256, "captured_at": captured_at,
        })
    return ev


@action
def record_result(
    actor: Any, inspection: Inspection, result_type: str, summary: str, handling: str, ended_on: dt.date,
    confirmed_by_name: str, signature: Evidence | None = None,
) -> Inspection:
    """Enter the result (附件2's four types) with the institution's confirmation; sets the deadline."""
    may_work(actor, inspection)
    if result_type not in ResultType.values:
        raise ActionRefused("请选择检查结果类型")
    summary, handling = (summary or "").strip(), (handling or "").strip()
    confirmed_by_name = (confirmed_by_name or "").strip()[:50]
    uncooperative = result_type == ResultType.UNCOOPERATIVE
    if ended_on is None:
        raise ActionRefused("请填写检查结束日期")
    if ended_on > timezone.localdate():
        raise ActionRefused("检查结束日期不能晚于今天")
    with atomic_action():
        inspection = _locked(inspection)
        _expect(inspection, InspectionStatus.NOTIFIED)
        if inspection.started_on and ended_on < inspection.started_on:
            raise ActionRefused(f"检查结束日期早于开始日期（{inspection.started_on}）")
        findings = inspection.findings.counted().count()
        if findings and result_type == ResultType.NO_PROBLEM:
            raise ActionRefused(f"已登记 {findings} 个问题，检查结果不能是“未发现问题”")
        if not findings and result_type in (ResultType.CORRECTED, ResultType.PENDING):
            raise ActionRefused(f"检查结果为“{ResultType(result_type).label}”时须至少登记一个问题")
        if result_type != ResultType.NO_PROBLEM and not (summary or handling):
            raise ActionRefused("请填写结果说明或处理情况")
        if not uncooperative:
            open_rows = [str(e.seq) for e in inspection.checklist.filter(outcome="")]
            if open_rows:
                raise ActionRefused(f"检查表第 {'、'.join(open_rows)} 项尚未填写检查情况")
            if not confirmed_by_name:
                raise ActionRefused("请填写被检查单位确认人")
            if signature is not None and (signature.inspection_id != inspection.pk
                                          or signature.kind != EvidenceKind.SIGNATURE):
                raise ActionRefused("签名文件不属于该检查")
            if not inspection.evidence.filter(kind=EvidenceKind.SIGNATURE).exists():
                raise ActionRefused("请上传被检查单位签字盖章的检查表照片")
        due, warnings = deadlines.disclosure_due(ended_on)
        inspection.result_type, inspection.result_summary, inspection.handling = result_type, summary, handling
        inspection.ended_on, inspection.due_date = ended_on, due
        inspection.confirmed_by_name = confirmed_by_name
        inspection.confirmed_at = timezone.now() if confirmed_by_name else None
        if not inspection.result_notice_number:
            inspection.result_notice_number = next_number(inspection.region, ended_on.year, "result",
                                                          "inspection.result_number_format")
        inspection.recorded_by, inspection.recorded_at = user_of(actor), timezone.now()
        inspection.status = InspectionStatus.RECORDED
        inspection.draft, inspection.draft_saved_at = {}, None
        inspection.save()
        record(actor, "inspection.record", inspection, after={
            "result_type": result_type, "ended_on": ended_on, "due_date": due, "findings": findings,
            "confirmed_by_name": confirmed_by_name, "result_notice_number": inspection.result_notice_number,
            "signature_sha256": list(inspection.evidence.filter(kind=EvidenceKind.SIGNATURE)
                                     .values_list("sha256", flat=True)),
            "calendar_warnings": warnings,
        })
    return inspection


@action
def review(actor: Any, inspection: Inspection, approve: bool, note: str = "") -> Inspection:
    """Approve (→ reviewed, signal ``inspection_reviewed``) or send back (→ notified, note required).

    The reviewer may not be the person who recorded the result."""
    require(actor, "review", inspection.region_id)
    note = (note or "").strip()
    with atomic_action():
        inspection = _locked(inspection)
        _expect(inspection, InspectionStatus.RECORDED)
        if inspection.recorded_by_id is not None and inspection.recorded_by_id == getattr(actor, "pk", None):
            raise ActionRefused("审核人不能是该检查结果的录入人，请由另一名人员审核")
        if approve:
            counted = list(inspection.findings.counted().order_by("id"))
            undecided = [str(i) for i, f in enumerate(counted, start=1) if not f.decided_treatment]
            if undecided:
                raise ActionRefused(f"第 {'、'.join(undecided)} 个问题尚未作出处理决定，不能审核通过")
            if not counted and inspection.result_type in (ResultType.CORRECTED, ResultType.PENDING):
                raise ActionRefused(f"登记的问题均已作废，检查结果不能是“{inspection.get_result_type_display()}”，"
                                    "请退回检查组修改检查结果")
            inspection.status = InspectionStatus.REVIEWED
            inspection.reviewed_by, inspection.reviewed_at = user_of(actor), timezone.now()
            inspection.review_note = note
            inspection.save()
            record(actor, "inspection.review_approve", inspection, after={"note": note})
            signals.inspection_reviewed.send(sender=Inspection, inspection=inspection, user=actor)
        else:
            if not note:
                raise ActionRefused("退回时请填写审核意见")
            inspection.status = InspectionStatus.NOTIFIED
            inspection.review_note = note
            inspection.save()
            record(actor, "inspection.review_reject", inspection, reason=note)
    return inspection


# --------------------------------------------------------------------------------------------
# Referrals and rectification


@action
def refer(
    actor: Any, inspection: Inspection, agency: str, reason: str, *, agency_name: str = "",
    document_number: str = "", finding: Finding | None = None, referred_at: dt.datetime | None = None,
) -> Referral:
    """移交 a finding (or the whole case) to another authority."""
    may_decide(actor, inspection)
    if agency not in Agency.values:
        raise ActionRefused("请选择移交机关")
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写移交理由")
    if finding is not None and finding.inspection_id != inspection.pk:
        raise ActionRefused("所选问题不属于该检查")
    _not_voided(finding)
    with atomic_action():
        inspection = _locked(inspection)
        if inspection.status == InspectionStatus.PLANNED:
            raise ActionRefused("检查尚未开始，不能移交")
        ref = Referral.objects.create(
            inspection=inspection, finding=finding, agency=agency, agency_name=(agency_name or "").strip()[:100],
            reason=reason, document_number=(document_number or "").strip()[:60], referred_by=actor,
            referred_at=referred_at or timezone.now(),
        )
        record(actor, "referral.create", ref, after={
            "inspection": inspection.pk, "finding": finding.pk if finding else None, "agency": agency,
            "agency_name": ref.agency_name, "document_number": ref.document_number,
        }, reason=reason)
    return ref


@action
def record_referral_receipt(
    actor: Any, referral: Referral, receipt_at: dt.datetime | None, note: str = "", receipt: Evidence | None = None,
    *, file: Any = None,
) -> Referral:
    """The receiving authority's receipt (回执), optionally with its scanned ``file``.

    One action: the uploaded file becomes a receipt evidence row in the same transaction, so a refusal
    (already receipted, no permission) leaves neither the row nor the file.
    """
    may_decide(actor, referral.inspection)
    if receipt is not None and receipt.inspection_id != referral.inspection_id:
        raise ActionRefused("回执文件不属于该检查")
    with atomic_action():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.receipt_at is not None:
            raise ActionRefused("该移交已登记回执")
        if file is not None:
            receipt = add_evidence(actor, referral.inspection, file, EvidenceKind.RECEIPT, None, note="移交回执")
        referral.receipt_at = receipt_at or timezone.now()
        referral.receipt_note = (note or "").strip()
        referral.receipt = receipt
        referral.save()
        record(actor, "referral.receipt", referral, after={
            "receipt_at": referral.receipt_at, "note": referral.receipt_note,
            "receipt_sha256": receipt.sha256 if receipt else None,
        })
    return referral


@action
def order_rectification(
    actor: Any, inspection: Inspection, requirement: str, due_date: dt.date | None = None,
    finding: Finding | None = None,
) -> Rectification:
    """责令整改 by a date (default: today + policy ``inspection.rectification_days`` calendar days)."""
    may_decide(actor, inspection)
    requirement = (requirement or "").strip()
    if not requirement:
        raise ActionRefused("请填写整改要求")
    today = timezone.localdate()
    due_date = due_date or today + dt.timedelta(days=int(policy.get("inspection.rectification_days")))
    if due_date < today:
        raise ActionRefused("整改期限不能早于今天")
    if finding is not None and finding.inspection_id != inspection.pk:
        raise ActionRefused("所选问题不属于该检查")
    _not_voided(finding)
    with atomic_action():
        inspection = _locked(inspection)
        if inspection.status == InspectionStatus.PLANNED:
            raise ActionRefused("检查尚未开始，不能下达整改")
        rect = Rectification.objects.create(
            inspection=inspection, finding=finding, requirement=requirement, due_date=due_date, created_by=actor,
        )
        record(actor, "rectification.order", rect, after={
            "inspection": inspection.pk, "finding": finding.pk if finding else None, "due_date": due_date,
            "requirement": requirement,
        })
    return rect


@action
def submit_rectification(
    actor: Any, rect: Rectification, completion_note: str, evidence: list[Evidence] | None = None,
) -> Rectification:
    """Record the institution's completion (整改情况 and its evidence) for a reviewer to close."""
    may_work(actor, rect.inspection)
    completion_note = (completion_note or "").strip()
    if not completion_note:
        raise ActionRefused("请填写整改情况")
    evidence = list(evidence or [])
    if any(e.inspection_id != rect.inspection_id for e in evidence):
        raise ActionRefused("整改证据不属于该检查")
    with atomic_action():
        rect = Rectification.objects.select_for_update().get(pk=rect.pk)
        if rect.status != RectificationStatus.OPEN:
            raise ActionRefused(f"该整改当前为“{rect.get_status_display()}”，不能提交")
        rect.completion_note = completion_note
        rect.status = RectificationStatus.SUBMITTED
        rect.submitted_by, rect.submitted_at = user_of(actor), timezone.now()
        rect.save()
        if evidence:
            rect.evidence.add(*evidence)
        record(actor, "rectification.submit", rect, after={
            "completion_note": completion_note, "evidence_sha256": [e.sha256 for e in evidence],
        })
    return rect


@action
def close_rectification(actor: Any, rect: Rectification, approve: bool = True, note: str = "") -> Rectification:
    """A reviewer other than the submitter closes (销号) the rectification or sends it back."""
    may_decide(actor, rect.inspection)
    note = (note or "").strip()
    with atomic_action():
        rect = Rectification.objects.select_for_update().get(pk=rect.pk)
        if rect.status != RectificationStatus.SUBMITTED:
            raise ActionRefused(f"该整改当前为“{rect.get_status_display()}”，只有已提交整改材料的才能审核")
        if rect.submitted_by_id is not None and rect.submitted_by_id == getattr(actor, "pk", None):
            raise ActionRefused("整改销号须由提交人以外的审核人员办理")
        rect.review_note = note
        if approve:
            rect.status = RectificationStatus.CLOSED
            rect.closed_by, rect.closed_at = user_of(actor), timezone.now()
            rect.save()
            record(actor, "rectification.close", rect, after={"note": note})
        else:
            if not note:
                raise ActionRefused("退回时请填写审核意见")
            rect.status = RectificationStatus.OPEN
            rect.save()
            record(actor, "rectification.reopen", rect, reason=note)
    return rect


# --------------------------------------------------------------------------------------------
# The editable catalogues (violation types, 包容审慎清单)

#: Audit actions per catalogue table.
CATALOGUE_AUDIT_ACTIONS: dict[str, str] = {
    "LenienceEntry": "lenience.entry",
    "LenienceCircumstance": "lenience.circumstance",
    "ViolationType": "catalogue.violation_type",
}


@action
def save_catalogue_row(actor: Any, obj: Any) -> Any:
    """Save an edited or new catalogue row (admins only) with an audit event holding before/after.

    ``obj`` is the instance a validated form built; the stored row is locked and read again for
    "before" so that the event shows what was replaced. Nothing is written when nothing changed.
    """
    require(actor, "admin")
    name = type(obj).__name__
    before = None
    if obj.pk is not None:
        before = snapshot(type(obj).objects.select_for_update().get(pk=obj.pk))
    after = snapshot(obj)
    if before == after:
        return obj
    obj.save()
    record(actor, f"{CATALOGUE_AUDIT_ACTIONS[name]}.{'change' if before else 'add'}", obj, before=before, after=after)
    return obj

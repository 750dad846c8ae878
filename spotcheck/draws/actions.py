"""Every step of a draw (双随机). Views, the API and the CLI call these, never ``save()``.

Life of a draw::

    freeze ─▶ frozen ─(staffing check / override)─▶ propose_commit ─▶ commit_proposed
          ─(approve_commit: secret + commitment)─▶ committed ─▶ propose_reveal ─▶ reveal_proposed
          ─(approve_reveal: SC-DRAW-1 compute)─▶ revealed ─(request_event / approve_event)…
                                                 └─▶ failed (unstaffable: kept, a new draw may follow)

Before the commitment a draw may be cancelled (``cancel``); a proposal may be rejected by an
approver. Each function checks the actor's permission in the task's area (``draw`` to freeze and
propose, ``approve`` to approve, override or reject), enforces the two-person rule (policy
``draw.two_person_rule``), writes in one transaction and appends an audit event. Refusals raise
:class:`ActionRefused` (a Chinese message) or ``PermissionDenied``; nothing is half-written.
The secret never enters an audit event before the reveal.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from spotcheck import policy
from spotcheck.audit.actions import record, record_rows
from spotcheck.audit.guard import TamperedRow, check_rows
from spotcheck.base.actions import ActionRefused, action, atomic_action, user_of
from spotcheck.base.scope import require
from spotcheck.core import draw as core
from spotcheck.core.codes import region_prefix
from spotcheck.directory.models import Inspector, Institution
from spotcheck.planning.actions import set_task_status
from spotcheck.planning.models import Task, TaskStatus

from . import pool, wording
from .models import (
    CLOSED_STATUSES,
    EVENT_REASONS,
    Assignment,
    AssignmentMember,
    Draw,
    DrawEvent,
    DrawExclusion,
    DrawSecret,
    DrawStatus,
    EventReason,
    EventStatus,
    EventType,
)
from .signals import assignments_changed
from .staffing import staffing_report


def _locked(draw: Draw) -> Draw:
    """Re-read ``draw`` under a row lock (call inside ``transaction.atomic``)."""
    return Draw.objects.select_for_update().select_related("task").get(pk=draw.pk)


def _expect(draw: Draw, *statuses: str) -> None:
    if draw.status not in statuses:
        wanted = "、".join(str(DrawStatus(s).label) for s in statuses)
        raise ActionRefused(f"抽取 {draw.draw_id} 当前状态为“{draw.get_status_display()}”，此操作只能在“{wanted}”时进行")


def _two_person(actor: Any, proposer_id: int | None, what: str) -> None:
    if policy.get("draw.two_person_rule") and proposer_id is not None and actor.pk == proposer_id:
        raise ActionRefused(f"{what}须由发起人以外的另一名有审批权限的人员审批（双人复核）")


def commit_input(draw: Draw) -> dict[str, Any]:
    """The commit-time fields of the SC-DRAW-1 input (no secret)."""
    return {
        "draw_id": draw.draw_id,
        "units": draw.units,
        "strata": draw.strata,
        "commit": draw.commit,
        "randomness_sources": draw.randomness_sources,
        "teams": draw.teams,
    }


def applied_events(draw: Draw) -> list[dict[str, Any]]:
    """The approved events in package order."""
    return [e.spec for e in draw.events.filter(status=EventStatus.APPROVED).order_by("seq")]


def full_input(draw: Draw, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The complete SC-DRAW-1 input, secret included: only for computing after the reveal."""
    return {
        **commit_input(draw),
        "secret": DrawSecret.objects.get(draw=draw).secret,
        "public_randomness": draw.public_randomness,
        "events": applied_events(draw) if events is None else events,
    }


def preview_sizes(draw: Draw) -> dict[str, dict[str, int]]:
    """Population N and sample size n per stratum (fixed at freeze, before any commitment)."""
    counts: dict[str, int] = dict.fromkeys(draw.strata, 0)
    for _label, h in draw.units:
        counts[h] += 1
    return {
        h: {"population": counts[h], "sample_size": core.sample_size(
            counts[h], s["ratio"][0], s["ratio"][1], s["rounding"], s["min"], s["max"])}
        for h, s in draw.strata.items()
    }


def next_draw_id(task: Task) -> tuple[int, int, str]:
    """``(year, seq, "2023-140522-001")``: plan year, area code, sequence within both."""
    year = task.plan.year
    prefix = f"{year}-{task.region_id}-"
    seq = Draw.objects.filter(draw_id__startswith=prefix).count() + 1
    while Draw.objects.filter(draw_id=f"{prefix}{seq:03d}").exists():
        seq += 1
    return year, seq, f"{prefix}{seq:03d}"


# --------------------------------------------------------------------------------------------
# Freeze


@action
def freeze(actor: Any, task: Task) -> Draw:
    """Freeze the pool, strata and team parameters of ``task`` into a new draw."""
    require(actor, "draw", task.region_id)
    with atomic_action():
        task = Task.objects.select_for_update().select_related("plan").get(pk=task.pk)
        open_draw = task.draws.exclude(status__in=CLOSED_STATUSES).first()
        if open_draw is not None:
            raise ActionRefused(f"任务已有抽取 {open_draw.draw_id}（{open_draw.get_status_display()}），"
                                "只有在该抽取失败或作废后才能重新抽取")
        if task.status != TaskStatus.DRAFT:
            raise ActionRefused(f"任务状态为“{task.get_status_display()}”，不能冻结抽取范围")
        # The freeze fixes every institution's chance of being drawn: none of them may carry a value that
        # was changed behind the application (it would reach the draw without showing in the change list).
        area = Institution.objects.filter(region__code__startswith=region_prefix(task.region_id))
        try:
            check_rows(Institution, list(area.values_list("pk", flat=True)))
        except TamperedRow as exc:
            raise ActionRefused(f"不能冻结抽取范围：{exc.message}")
        try:
            frozen = pool.freeze_input(task)
        except ValidationError as exc:
            raise ActionRefused("；".join(exc.messages))
        if not frozen.units:
            raise ActionRefused("抽取范围内没有可抽取的机构，请检查任务范围和抽查事项")
        year, seq, draw_id = next_draw_id(task)
        try:  # validate the frozen input exactly as the commitment will
            core.commitment({"draw_id": draw_id, "units": frozen.units, "strata": frozen.strata,
                             "commit": "0" * 64, "randomness_sources": ["-"], "teams": frozen.teams})
        except core.DrawError as exc:
            raise ActionRefused(f"冻结的抽取输入不合法：{exc.message}")
        draw = Draw.objects.create(
            draw_id=draw_id, task=task, year=year, seq=seq, units=frozen.units, strata=frozen.strata,
            teams=frozen.teams, pair_reasons=frozen.pair_reasons, inspector_exclusions=frozen.inspector_exclusions,
            frozen_by=user_of(actor), frozen_at=timezone.now(),
        )
        DrawExclusion.objects.bulk_create(
            (DrawExclusion(draw=draw, institution_id=inst.pk, reason=reason, detail=detail)
             for inst, reason, detail in frozen.excluded), batch_size=2000,
        )
        record_rows(actor, "draw.exclusion", draw.exclusions.all(), region_code=task.region_id)
        set_task_status(actor, task, TaskStatus.DRAWING)
        record(actor, "draw.freeze", draw, after={
            "draw_id": draw_id, "task": task.pk, "units": len(frozen.units), "strata": frozen.strata,
            "excluded": [[i.fixmedins_code, r] for i, r, _ in frozen.excluded],
            "inspectors": len(frozen.teams["inspectors"]) if frozen.teams else 0,
            "exclusion_pairs": len(frozen.teams["exclusions"]) if frozen.teams else 0,
        })
    return draw


@action
def cancel(actor: Any, draw: Draw, reason: str) -> Draw:
    """Cancel a draw before its commitment (nothing random has happened yet); the task returns to 草稿."""
    require(actor, "draw", draw.task.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写作废理由")
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.FROZEN, DrawStatus.COMMIT_PROPOSED)
        draw.status, draw.error_code, draw.error_message = DrawStatus.CANCELLED, "cancelled", reason
        draw.closed_by, draw.closed_at = user_of(actor), timezone.now()
        draw.save()
        set_task_status(actor, draw.task, TaskStatus.DRAFT)
        record(actor, "draw.cancel", draw, after={"status": draw.status}, reason=reason)
    return draw


# --------------------------------------------------------------------------------------------
# Staffing


@action
def check_staffing(actor: Any, draw: Draw) -> dict[str, Any]:
    """Run the capacity check and the reveal simulation; store and return the report."""
    require(actor, "draw", draw.task.region_id)
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.FROZEN)
        report = staffing_report(draw, runs=policy.get("draw.staffing_simulation_runs"))
        draw.staffing, draw.staffing_checked_at = report, timezone.now()
        draw.save(update_fields=["staffing", "staffing_checked_at"])
        record(actor, "draw.staffing_check", draw, after={k: report[k] for k in ("ok", "runs", "failures", "short")})
    return report


def staffing_ok(draw: Draw) -> bool:
    return draw.teams is None or bool(draw.staffing and draw.staffing["ok"])


@action
def override_staffing(actor: Any, draw: Draw, reason: str) -> Draw:
    """Allow the commitment although staffing can fail (approve permission, reason recorded)."""
    require(actor, "approve", draw.task.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("放行人员配置不足须填写理由")
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.FROZEN)
        if draw.staffing is None:
            raise ActionRefused("请先进行人员配置检查")
        if staffing_ok(draw):
            raise ActionRefused("人员配置检查已通过，无需放行")
        draw.override_by, draw.override_at, draw.override_reason = user_of(actor), timezone.now(), reason
        draw.save(update_fields=["override_by", "override_at", "override_reason"])
        record(actor, "draw.staffing_override", draw, after={"short": draw.staffing["short"]}, reason=reason)
    return draw


# --------------------------------------------------------------------------------------------
# Commitment


def clean_sources(sources: list[str]) -> list[str]:
    cleaned = [s.strip() for s in sources if s and s.strip()]
    if not cleaned:
        raise ActionRefused("请至少填写一个公开随机源（如“中国福利彩票双色球第2023115期开奖号码”）")
    if len(set(cleaned)) != len(cleaned):
        raise ActionRefused("公开随机源有重复")
    return cleaned


@action
def propose_commit(actor: Any, draw: Draw, sources: list[str]) -> Draw:
    """Name the public randomness source(s) and ask for the commitment."""
    require(actor, "draw", draw.task.region_id)
    sources = clean_sources(sources)
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.FROZEN)
        if draw.teams is not None and draw.staffing is None:
            raise ActionRefused("请先进行人员配置检查")
        if not staffing_ok(draw) and draw.override_at is None:
            short = "、".join(draw.staffing["short"]) or "部分部门"
            raise ActionRefused(f"人员配置可能不足（{short}缺少人员），不能提交；请补充人员后重新抽取，"
                                "或由有审批权限的人员填写理由后放行")
        draw.randomness_sources = sources
        draw.commit_proposed_by, draw.commit_proposed_at = user_of(actor), timezone.now()
        draw.status = DrawStatus.COMMIT_PROPOSED
        draw.save()
        record(actor, "draw.commit_propose", draw, after={"randomness_sources": sources})
    return draw


@action
def approve_commit(actor: Any, draw: Draw) -> Draw:
    """Second person: create the secret, publish H(secret) and the digests."""
    require(actor, "approve", draw.task.region_id)
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.COMMIT_PROPOSED)
        _two_person(actor, draw.commit_proposed_by_id, "提交承诺")
        secret = secrets.token_bytes(32)
        draw.commit = hashlib.sha256(secret).hexdigest()
        try:
            commitment = core.commitment(commit_input(draw))
        except core.DrawError as exc:
            raise ActionRefused(f"抽取输入不合法：{exc.message}")
        secret_row = DrawSecret.objects.create(draw=draw, secret=secret.hex())
        record(actor, "draw.secret", secret_row, region_code=draw.task.region_id)  # the secret as a digest only
        draw.snapshot_digest = commitment["snapshot_digest"]
        draw.params_digest = commitment["params_digest"]
        draw.commitment = commitment
        draw.committed_by, draw.committed_at = user_of(actor), timezone.now()
        draw.status = DrawStatus.COMMITTED
        draw.save()
        record(actor, "draw.commit_approve", draw, after=commitment)
    return draw


@action
def reject_proposal(actor: Any, draw: Draw, reason: str) -> Draw:
    """Send a pending commit or reveal proposal back (approve permission, reason recorded)."""
    require(actor, "approve", draw.task.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写驳回理由")
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.COMMIT_PROPOSED, DrawStatus.REVEAL_PROPOSED)
        if draw.status == DrawStatus.COMMIT_PROPOSED:
            before = {"randomness_sources": draw.randomness_sources}
            draw.randomness_sources, draw.commit_proposed_by, draw.commit_proposed_at = [], None, None
            draw.status, action = DrawStatus.FROZEN, "draw.commit_reject"
        else:
            before = {"public_randomness": draw.public_randomness}
            draw.public_randomness, draw.reveal_proposed_by, draw.reveal_proposed_at = "", None, None
            draw.status, action = DrawStatus.COMMITTED, "draw.reveal_reject"
        draw.save()
        record(actor, action, draw, before=before, reason=reason)
    return draw


# --------------------------------------------------------------------------------------------
# Reveal


@action
def propose_reveal(actor: Any, draw: Draw, public_randomness: str) -> Draw:
    """Enter the published random value (e.g. the lottery numbers) and ask for the reveal."""
    require(actor, "draw", draw.task.region_id)
    text = public_randomness or ""
    try:
        core.normalise_text(text)
    except core.DrawError:
        raise ActionRefused("请填写公开随机数（如彩票开奖号码）")
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.COMMITTED)
        draw.public_randomness = text
        draw.reveal_proposed_by, draw.reveal_proposed_at = user_of(actor), timezone.now()
        draw.status = DrawStatus.REVEAL_PROPOSED
        draw.save()
        record(actor, "draw.reveal_propose", draw, after={"public_randomness": text})
    return draw


@action
def approve_reveal(actor: Any, draw: Draw) -> Draw:
    """Second person: compute SC-DRAW-1 and store the package and assignments, or end as failed."""
    require(actor, "approve", draw.task.region_id)
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.REVEAL_PROPOSED)
        _two_person(actor, draw.reveal_proposed_by_id, "揭示结果")
        now = timezone.now()
        try:
            package = core.compute(full_input(draw, events=[]))
        except core.DrawError as exc:
            draw.status = DrawStatus.FAILED
            draw.error_code, draw.error_message = exc.code, wording.draw_error_text(exc)
            draw.error_unit = str(exc.details.get("unit", ""))
            draw.error_department = str(exc.details.get("department", ""))
            draw.revealed_by, draw.revealed_at, draw.closed_at = user_of(actor), now, now
            draw.save()
            set_task_status(actor, draw.task, TaskStatus.DRAFT)
            record(actor, "draw.fail", draw, after={
                "code": exc.code, "message": exc.message, "details": exc.details,
                "public_randomness": draw.public_randomness,
            })
            return draw
        draw.package = package
        draw.revealed_by, draw.revealed_at = user_of(actor), now
        draw.status = DrawStatus.REVEALED
        draw.save()
        stored = _sync_assignments(actor, draw, package, None)
        set_task_status(actor, draw.task, TaskStatus.DRAWN)
        assignments_changed.send(Draw, draw=draw, actor=actor)  # inspections: one record per institution
        record(actor, "draw.reveal_approve", draw, after={
            "seed": package["seed"], "snapshot_digest": package["snapshot_digest"],
            "params_digest": package["params_digest"], "order": package["result"]["order"],
            "assignments": stored["assignments_added"], "team_places": stored["members_added"],
        })
    return draw


def _chunks(values: list[Any], size: int = 2000) -> Any:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _sync_assignments(
    actor: Any, draw: Draw, package: dict[str, Any], event: DrawEvent | None
) -> dict[str, int]:
    """Make the active Assignment/AssignmentMember rows equal the package's final order and teams.

    Rows that left are deactivated and point at ``event``; nothing is deleted. Written in bulk
    (a reveal stores thousands of rows): returns the counts {"assignments_added",
    "assignments_replaced", "members_added", "members_replaced"} for the step's audit event.
    """
    result = package["result"]
    order: list[str] = result["order"]
    teams: dict[str, list[str]] = result["teams"] or {}
    in_order = set(order)
    # Current active rows: (pk, code, position) and their active members (pk, position, number).
    active: dict[str, tuple[int, int]] = {
        code: (pk, position) for pk, code, position in
        draw.assignments.filter(active=True).values_list("pk", "institution__fixmedins_code", "position")
    }
    leaving = [pk for code, (pk, _position) in active.items() if code not in in_order]
    check_rows(Assignment, [pk for pk, _position in active.values()])  # carried into the chain below
    if leaving:
        check_rows(AssignmentMember, list(AssignmentMember.objects.filter(
            assignment_id__in=leaving, active=True).values_list("pk", flat=True)))
        Assignment.objects.filter(pk__in=leaving).update(active=False, replaced_by_event=event)
        AssignmentMember.objects.filter(assignment_id__in=leaving, active=True).update(
            active=False, replaced_by_event=event)
    moved = [Assignment(pk=active[code][0], position=position) for position, code in enumerate(order)
             if code in active and active[code][1] != position]
    if moved:
        Assignment.objects.bulk_update(moved, ["position"], batch_size=1000)

    new_codes = [code for code in order if code not in active]
    if new_codes:
        wanted = set(new_codes)
        stratum = {label: h for label, h in draw.units if label in wanted}  # labels are stored normalised
        if len(stratum) < len(wanted):
            stratum = {core.normalise_label(label): h for label, h in draw.units}
        institution_ids: dict[str, int] = {}
        for chunk in _chunks(new_codes):
            institution_ids.update(Institution.objects.filter(fixmedins_code__in=chunk).values_list("fixmedins_code", "pk"))
        position_of = {code: position for position, code in enumerate(order)}
        Assignment.objects.bulk_create(
            [Assignment(draw=draw, institution_id=institution_ids[code], stratum=stratum[code],
                        position=position_of[code], added_by_event=event) for code in new_codes],
            batch_size=1000,
        )
    assignment_ids = dict(
        draw.assignments.filter(active=True).values_list("institution__fixmedins_code", "pk"))

    # Members: compare each active assignment's team with the package; replace what differs.
    current: dict[int, dict[int, tuple[int, str]]] = {}
    kept = [assignment_ids[code] for code in order if code in active]
    if kept:
        rows = AssignmentMember.objects.filter(assignment__draw=draw, assignment__active=True, active=True)
        for pk, assignment_id, position, number in rows.values_list(
                "pk", "assignment_id", "position", "inspector__number"):
            current.setdefault(assignment_id, {})[position] = (pk, core.normalise_label(number))
    numbers = [number for number, _dept in (draw.teams or {}).get("inspectors", [])]
    inspector_ids: dict[str, int] = {}
    for chunk in _chunks(numbers):
        for number, pk in Inspector.objects.filter(number__in=chunk).values_list("number", "pk"):
            inspector_ids[core.normalise_label(number)] = pk
    stale: list[int] = []
    fresh: list[AssignmentMember] = []
    for code in order:
        assignment_id = assignment_ids[code]
        team_now = current.get(assignment_id, {})
        for k, ident in enumerate(teams.get(code, [])):
            member = team_now.get(k)
            if member is not None and member[1] == ident:
                continue
            if member is not None:
                stale.append(member[0])
            fresh.append(AssignmentMember(assignment_id=assignment_id, inspector_id=inspector_ids[ident],
                                          position=k, added_by_event=event))
    check_rows(AssignmentMember, stale)
    for chunk in _chunks(stale):
        AssignmentMember.objects.filter(pk__in=chunk).update(active=False, replaced_by_event=event)
    AssignmentMember.objects.bulk_create(fresh, batch_size=2000)
    # one state event per row written above (bulk writes skip save)
    region = draw.task.region_id
    added = set(new_codes)
    touched = set(leaving) | {a.pk for a in moved} | {pk for code, pk in assignment_ids.items() if code in added}
    for chunk in _chunks(sorted(touched)):
        record_rows(actor, "draw.assignment", Assignment.objects.filter(pk__in=chunk), region_code=region)
    members = set(stale) | {m.pk for m in fresh}
    if leaving:
        members |= set(AssignmentMember.objects.filter(assignment_id__in=leaving, replaced_by_event=event)
                       .values_list("pk", flat=True))
    for chunk in _chunks(sorted(members)):
        record_rows(actor, "draw.assignment_member", AssignmentMember.objects.filter(pk__in=chunk), region_code=region)
    return {"assignments_added": len(new_codes), "assignments_replaced": len(leaving),
            "members_added": len(fresh), "members_replaced": len(stale)}


# --------------------------------------------------------------------------------------------
# Events


@action
def request_event(
    actor: Any, draw: Draw, *, type: str, institution: Institution, reason_kind: str, reason: str = "",
    inspector: Inspector | None = None,
) -> DrawEvent:
    """Ask to replace a drawn institution or one inspector of its team (needs a second person)."""
    require(actor, "draw", draw.task.region_id)
    if type not in EVENT_REASONS:
        raise ActionRefused("未知的变更类型")
    if reason_kind not in EVENT_REASONS[type]:
        raise ActionRefused("变更原因与变更类型不符")
    reason = (reason or "").strip()
    if reason_kind == EventReason.OTHER and not reason:
        raise ActionRefused("原因为“其他”时须填写说明")
    with atomic_action():
        draw = _locked(draw)
        _expect(draw, DrawStatus.REVEALED)
        assignment = draw.assignments.filter(active=True, institution=institution).first()
        if assignment is None:
            raise ActionRefused(f"{institution.fixmedins_code} 当前不在检查名单中")
        if type == EventType.REPLACE_INSPECTOR:
            if inspector is None or not assignment.members.filter(active=True, inspector=inspector).exists():
                raise ActionRefused(f"所选检查人员不在 {institution.fixmedins_code} 的检查组中")
        else:
            inspector = None
        if draw.events.filter(status=EventStatus.REQUESTED, institution=institution).exists():
            raise ActionRefused(f"{institution.fixmedins_code} 已有待审批的变更申请")
        event = DrawEvent.objects.create(
            draw=draw, type=type, institution=institution, inspector=inspector, reason_kind=reason_kind,
            reason=reason, requested_by=actor, requested_at=timezone.now(),
        )
        record(actor, "draw.event_request", event, after={
            "draw": draw.draw_id, "type": type, "unit": institution.fixmedins_code,
            "inspector": inspector.number if inspector else None, "reason_kind": reason_kind,
        }, reason=reason)
    return event


def _event_spec(event: DrawEvent, at: str) -> dict[str, Any]:
    label = EventReason(event.reason_kind).label
    text = f"{label}：{event.reason}" if event.reason else str(label)
    spec: dict[str, Any] = {"type": event.type, "unit": event.institution.fixmedins_code}
    if event.type == EventType.REPLACE_INSPECTOR:
        spec["inspector"] = event.inspector.number  # type: ignore[union-attr]
    spec.update({"reason": text, "at": at})
    return spec


@action
def approve_event(actor: Any, event: DrawEvent) -> DrawEvent:
    """Second person: append the event, recompute SC-DRAW-1, update the assignments.

    A computation error (reserve exhausted, unstaffable, invalid) changes nothing and is raised as
    :class:`ActionRefused` with the reason in Chinese.
    """
    require(actor, "approve", event.draw.task.region_id)
    with atomic_action():
        draw = _locked(event.draw)
        event = DrawEvent.objects.select_for_update().get(pk=event.pk)
        _expect(draw, DrawStatus.REVEALED)
        if event.status != EventStatus.REQUESTED:
            raise ActionRefused("该变更申请已处理")
        _two_person(actor, event.requested_by_id, "变更申请")
        now = timezone.now()
        spec = _event_spec(event, timezone.localtime(now).isoformat(timespec="seconds"))
        events = [*applied_events(draw), spec]
        try:
            package = core.compute(full_input(draw, events=events))
        except core.DrawError as exc:
            raise ActionRefused(f"无法按规则完成替换（{ERROR_LABELS.get(exc.code, exc.code)}）："
                                f"{wording.draw_error_text(exc)}")
        event.status, event.seq, event.spec = EventStatus.APPROVED, len(events), spec
        event.decided_by, event.decided_at = user_of(actor), now
        event.save()
        draw.package = package
        draw.save(update_fields=["package"])
        record(actor, "draw.package", draw, after={"event_seq": event.seq})
        stored = _sync_assignments(actor, draw, package, event)
        assignments_changed.send(Draw, draw=draw, actor=actor)  # a record for who the event brought in
        record(actor, "draw.event_approve", event, after={"seq": event.seq, "event": spec,
                                                          "order": package["result"]["order"], **stored})
    return event


@action
def reject_event(actor: Any, event: DrawEvent, note: str) -> DrawEvent:
    """Turn a change request down (approve permission, reason recorded)."""
    require(actor, "approve", event.draw.task.region_id)
    note = (note or "").strip()
    if not note:
        raise ActionRefused("请填写驳回理由")
    with atomic_action():
        event = DrawEvent.objects.select_for_update().get(pk=event.pk)
        if event.status != EventStatus.REQUESTED:
            raise ActionRefused("该变更申请已处理")
        event.status, event.decided_by, event.decided_at, event.decision_note = (
            EventStatus.REJECTED, user_of(actor), timezone.now(), note)
        event.save()
        record(actor, "draw.event_reject", event, reason=note)
    return event


#: Chinese names of the SC-DRAW-1 error codes.
ERROR_LABELS = {
    "invalid_input": "输入不合法",
    "commit_mismatch": "密钥与承诺值不符",
    "unstaffable": "无法配齐检查人员",
    "reserve_exhausted": "候补名单已用完",
}


@action
def record_download(actor: Any, draw: Draw, what: str) -> None:
    """Audit who took a confidential file of a draw (the package or the input of a failed draw)."""
    record(actor, "draw.download", draw, after={"file": what})

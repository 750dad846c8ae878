"""Every write of the portal (一公开): publish, publish in bulk, publish a correction.

Each function checks the actor's ``publish`` permission in the inspecting area (谁检查、谁公示:
``Inspection.region``), writes in one transaction, appends an audit event and sends
``spotcheck.inspections.signals.inspection_published``. Refusals raise :class:`ActionRefused` (a
Chinese message) or ``PermissionDenied``; nothing is half-written. Publications are never updated or
deleted (``portal.models``); a correction is a new version.

Task-level information needs no publish step: a task's commitment is public once committed and its
drawn list and teams once its inspections start (``portal.public``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from spotcheck.audit.actions import record
from spotcheck.audit.checkpoints import checkpoint_on_commit
from spotcheck.base.actions import ActionRefused, action, atomic_action
from spotcheck.base.scope import require
from spotcheck.inspections import actions as inspection_actions
from spotcheck.inspections.models import Inspection, InspectionStatus, ResultType
from spotcheck.inspections.signals import inspection_published

from . import pagecache, public, snapshot
from .models import Publication

#: Snapshot keys a correction may change (anything else is rebuilt from the inspection record).
CORRECTABLE = ("result_type", "handling", "result_notice_number")


def _locked(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update()
        .select_related("institution__region", "task__plan", "region", "assignment")
        .get(pk=inspection.pk)
    )


def _publish_one(actor: Any, inspection: Inspection, now: Any) -> Publication:
    require(actor, "publish", inspection.region_id)
    insp = _locked(inspection)
    if insp.status != InspectionStatus.REVIEWED:
        raise ActionRefused(
            f"“{insp}”当前状态为“{insp.get_status_display()}”，只有“已审核”的检查结果才能公示"
        )
    if not insp.result_type:
        raise ActionRefused(f"“{insp}”尚未填写检查结果类型，不能公示")
    if Publication.objects.filter(inspection=insp).exists():
        raise ActionRefused(f"“{insp}”已公示过，如需修改请发布更正")
    today = timezone.localdate(now)
    data = snapshot.build(insp, published_on=today)
    pub = Publication.objects.create(
        inspection=insp, version=1, snapshot=data, task_id=insp.task_id, institution_id=insp.institution_id,
        institution_region_id=insp.institution.region_id, region_id=insp.region_id, year=insp.task.plan.year, result_type=insp.result_type,
        published_by=actor, published_at=now, deadline=insp.due_date,
        met_deadline=insp.due_date is None or today <= insp.due_date,
    )
    before = {"status": insp.status, "published_at": None}
    insp.status = InspectionStatus.PUBLISHED
    insp.published_at = now
    insp.save(update_fields=["status", "published_at", "updated_at"])
    record(actor, "inspection.published", insp, before=before, after={"status": insp.status, "published_at": now})
    record(actor, "portal.publish", pub, before=before,
           after={"inspection": insp.pk, "version": 1, "met_deadline": pub.met_deadline, "snapshot": data})
    inspection_published.send(sender=Inspection, inspection=insp, publication=pub, user=actor)
    _close_task_when_all_published(actor, insp)
    checkpoint_on_commit()  # a signed audit checkpoint once committed (bulk: one)
    transaction.on_commit(pagecache.bump)
    return pub


def _correct_findings(actor: Any, insp: Inspection, findings: dict[int, dict[str, Any]] | None, reason: str,
                      version: int) -> list[Any]:
    """The finding changes of a correction, made by the inspections app (its refusals pass through)."""
    if not findings:
        return []
    return list(inspection_actions.correct_findings(actor, insp, findings, reason, version=version))


def _close_task_when_all_published(actor: Any, insp: Inspection) -> None:
    """A task whose every current inspection (replaced institutions aside) is published is 已完成."""
    from spotcheck.planning.actions import set_task_status
    from spotcheck.planning.models import TaskStatus

    task = insp.task
    if task.status == TaskStatus.DONE:
        return
    pending = Inspection.objects.filter(task=task, assignment__active=True).exclude(status=InspectionStatus.PUBLISHED)
    if not pending.exists():
        set_task_status(actor, task, TaskStatus.DONE, reason="全部检查结果已公示")


@action
def publish(actor: Any, inspection: Inspection) -> Publication:
    """Publish a reviewed inspection's result (version 1); the inspection becomes 已公示."""
    with atomic_action():
        return _publish_one(actor, inspection, timezone.now())


@action
def publish_many(actor: Any, inspections: Iterable[Inspection]) -> list[Publication]:
    """Publish several results at once: all or none (the first refusal names the inspection)."""
    items = list(inspections)
    if not items:
        raise ActionRefused("请至少选择一条检查结果")
    now = timezone.now()
    with atomic_action():
        return [_publish_one(actor, insp, now) for insp in items]


@action
def correct(actor: Any, publication: Publication, reason: str, changes: dict[str, Any] | None = None,
            findings: dict[int, dict[str, Any]] | None = None) -> Publication:
    """Publish a correction of ``publication`` (a new version that supersedes it).

    ``changes`` maps keys of :data:`CORRECTABLE` to new values applied to the previous snapshot;
    ``None`` rebuilds the snapshot from the inspection record as it stands now. ``reason`` is required
    and shown publicly next to both versions.

    ``findings`` maps finding ids of the inspection to ``{"void": True}`` or to new ``amount``,
    ``refund_amount``, ``penalty_amount`` or ``description`` values. They are applied to the inspection
    through ``inspections.actions.correct_findings`` (each change kept with its values before; credit
    records follow through ``finding_corrected``) and the new snapshot's findings, count and amount are
    rebuilt from the corrected findings. Every correction's snapshot lists what it changed (``changes``,
    :func:`snapshot.changes`). The version corrected is never touched: it keeps its snapshot as published.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写更正原因")
    unknown = sorted(set(changes or {}) - set(CORRECTABLE))
    if unknown:
        raise ActionRefused(f"不能更正的内容：{'、'.join(unknown)}")
    require(actor, "publish", publication.region_id)
    now = timezone.now()
    with atomic_action():
        insp = _locked(publication.inspection)
        old = Publication.objects.select_related("inspection").get(pk=publication.pk)
        if old.is_corrected:
            raise ActionRefused(f"第 {old.version} 版已被更正，请更正最新的版本")
        counted_ids = insp.findings.counted().order_by("id").values_list("pk", flat=True)
        numbers = {pk: n for n, pk in enumerate(counted_ids, start=1)}
        made = _correct_findings(actor, insp, findings, reason, old.version + 1)
        if changes is None:
            data = snapshot.build(insp, published_on=timezone.localdate(now))
        else:
            data = copy.deepcopy(old.snapshot)
            data.pop("changes", None)
            if made:
                counted = snapshot.findings_summary(insp)
                data["findings"] = counted
                data["findings_count"] = sum(f["count"] for f in counted)
                data["findings_amount"] = f"{sum((Decimal(f['amount']) for f in counted), Decimal('0')):.2f}"
            for key, value in changes.items():
                if key == "result_type":
                    if value not in ResultType.values:
                        raise ActionRefused(f"检查结果类型无效：{value}")
                    data["result_type"] = value
                    data["result_label"] = str(ResultType(value).label)
                elif key == "handling":  # masked as the public serialiser masks it
                    data["handling"] = public.clean(str(value or ""), public.People.of(insp.institution, insp))
                else:
                    data.setdefault("inspection", {})[key] = public.clean(
                        str(value or ""), public.People.of(insp.institution, insp))
        previous = {k: v for k, v in old.snapshot.items() if k != "changes"}
        if data == previous and not made:
            raise ActionRefused("更正内容与当前公示内容相同")
        problem_result = data["result_type"] in (ResultType.CORRECTED, ResultType.PENDING)
        if made and not data.get("findings_count") and problem_result:
            raise ActionRefused(f"更正后已没有问题，检查结果不能仍为“{data['result_label']}”，请同时更正检查结果")
        data["changes"] = snapshot.changes(previous, data, snapshot.finding_change_rows(made, numbers))
        pub = Publication.objects.create(
            inspection=insp, version=old.version + 1, snapshot=data, task_id=old.task_id,
            institution_id=old.institution_id, institution_region_id=old.institution_region_id, region_id=old.region_id,
            year=old.year,
            result_type=data["result_type"], published_by=actor, published_at=now, deadline=old.deadline,
            met_deadline=old.met_deadline, supersedes=old, correction_reason=reason,
        )
        record(actor, "portal.correct", pub, before={"version": old.version, "snapshot": old.snapshot},
               after={"version": pub.version, "snapshot": data}, reason=reason)
        inspection_published.send(sender=Inspection, inspection=insp, publication=pub, user=actor)
        checkpoint_on_commit()
        transaction.on_commit(pagecache.bump)
    return pub

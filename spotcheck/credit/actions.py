"""Every write of the credit app. Views, the API, the CLI, the signal receivers and the demo call these.

Each function checks the actor (``credit`` in the subject's area, or an institution account on its own
file), writes in one transaction and appends audit events. Refusals raise :class:`ActionRefused` (a
Chinese message) or ``PermissionDenied``; nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spotcheck import policy
from spotcheck.accounts.models import User
from spotcheck.audit.actions import Pending, record, record_many
from spotcheck.audit.guard import check_rows
from spotcheck.base import uploads
from spotcheck.base.actions import ActionRefused, action, actor_name, atomic_action, user_of
from spotcheck.base.roles import Role
from spotcheck.base.scope import require
from spotcheck.core import codes
from spotcheck.core import credit as core
from spotcheck.directory.models import Institution, InstitutionKind
from spotcheck.policy.calendar import due_date

from .access import is_institution
from .models import (
    GOOD_TYPES,
    ORG_CATEGORIES,
    SEVERITY_TYPES,
    AppliedMeasure,
    CreditRecord,
    CreditSubject,
    Evaluation,
    Measure,
    Objection,
    ObjectionStatus,
    RecordKind,
    RecordSource,
    RecordStatus,
    RecordType,
    RepairApplication,
    RepairStatus,
    ScoringModelVersion,
    Severity,
    SubjectCategory,
    SubjectKind,
)


def _today() -> dt.date:
    return timezone.localdate()


def _require_staff(actor: Any, subject: CreditSubject) -> None:
    """Bureau staff with ``credit`` in the subject's area (the CLI and receivers pass strings/None)."""
    if user_of(actor) is None:
        return
    require(actor, "credit", subject.region_id)


def _require_owner_or_staff(actor: Any, subject: CreditSubject) -> None:
    if is_institution(actor):
        if subject.fixmedins_code != (actor.institution_code or "").strip().upper():
            raise PermissionDenied("机构账号只能处理本机构的信用档案")
        return
    _require_staff(actor, subject)


def _store_file(upload: Any) -> tuple[Any, str, str, str]:
    """(file, original name, sha256, name to store it under) of an uploaded attachment (``None`` → empty).

    The shared upload check (``base.uploads``): images or PDF by content, at most
    ``SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB``; otherwise ``ActionRefused`` on the ``evidence`` field."""
    if not upload:
        return None, "", "", ""
    try:
        limit = settings.SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB * 1024 * 1024
        checked = uploads.check(upload, uploads.DOCUMENT_TYPES, limit)
    except uploads.UploadRejected as exc:
        raise ActionRefused(str(exc), field="evidence") from None
    return upload, str(getattr(upload, "name", ""))[:200], checked.sha256, checked.stored_name


def _record_dict(r: CreditRecord) -> dict[str, Any]:
    return {
        "subject": r.subject_id, "kind": r.kind, "record_type": r.record_type, "severity": r.severity,
        "title": r.title, "source": r.source, "recorded_on": r.recorded_on, "valid_until": r.valid_until,
        "status": r.status, "withdrawn_on": r.withdrawn_on, "repaired_on": r.repaired_on,
        "link_key": r.link_key, "evidence_sha256": r.evidence_sha256, "supersedes": r.supersedes_id,
    }


# --------------------------------------------------------------------------------------------
# subjects


def category_of(inst: Institution) -> str:
    return SubjectCategory.PHARMACY if inst.kind == InstitutionKind.PHARMACY else SubjectCategory.MEDICAL


def _subject_for(inst: Institution) -> CreditSubject:
    return CreditSubject(
        kind=SubjectKind.ORG, category=category_of(inst), name=inst.name, uscc=inst.uscc,
        legal_representative=inst.legal_representative, nature=inst.get_category_display(),
        institution=inst, region_id=inst.region_id, grade=inst.credit_grade,
    )


@action
def ensure_subject(actor: Any, inst: Institution) -> CreditSubject:
    """The credit subject of a designated institution, created (and audited) on first use."""
    existing = CreditSubject.objects.filter(institution=inst).first()
    if existing is not None:
        return existing
    with atomic_action():
        by_uscc = CreditSubject.objects.select_for_update().filter(uscc=inst.uscc, institution__isnull=True).first()
        if by_uscc is not None:  # a file opened before the institution was designated: link it
            by_uscc.institution = inst
            by_uscc.save(update_fields=["institution"])
            record(actor, "credit.subject.link", by_uscc, after={"institution": inst.fixmedins_code})
            return by_uscc
        subject = _subject_for(inst)
        subject.created_by = user_of(actor)
        if CreditSubject.objects.filter(uscc=inst.uscc).exists():
            subject.uscc = ""  # a second fixmedins code of the same legal entity keeps its own file
        subject.save()
        record(actor, "credit.subject.create", subject,
               after={"institution": inst.fixmedins_code, "category": subject.category})
    return subject


@action
def ensure_subjects(actor: Any, institutions: Iterable[Institution] | None = None) -> int:
    """Open a file for every institution without one (bulk; one audit event per file). Returns the count."""
    qs = Institution.objects.filter(credit_subject__isnull=True) if institutions is None else institutions
    taken = set(CreditSubject.objects.exclude(uscc="").values_list("uscc", flat=True))
    rows = []
    for inst in qs:
        if getattr(inst, "credit_subject", None) is not None and institutions is not None:
            continue
        s = _subject_for(inst)
        s.created_by = user_of(actor)
        if s.uscc in taken:
            s.uscc = ""
        taken.add(s.uscc)
        rows.append(s)
    if not rows:
        return 0
    with atomic_action():
        CreditSubject.objects.bulk_create(rows, batch_size=1000)
        created = CreditSubject.objects.filter(institution_id__in=[r.institution_id for r in rows])
        record_many(actor, [
            Pending.of(s, "credit.subject.create", region_code=s.region_id, object_repr=s.name,
                       after={"institution": s.institution_id, "category": s.category})
            for s in created
        ])
    return len(rows)


@action
def create_subject(actor: Any, *, kind: str, category: str, name: str, region_code: str, uscc: str = "",
                   id_number: str = "", other_id: str = "", registration: str = "", nature: str = "",
                   legal_representative: str = "") -> CreditSubject:
    """Open a file for a subject that is not a designated institution (参保单位, persons …)."""
    if user_of(actor) is not None:
        require(actor, "credit", region_code)
    name = name.strip()
    if not name:
        raise ActionRefused("请填写名称/姓名", "name")
    if kind == SubjectKind.ORG:
        if category not in ORG_CATEGORIES:
            raise ActionRefused("机构类信用主体的主体类型不正确", "category")
        try:
            uscc = codes.validate_uscc(uscc)
        except codes.CodeError as exc:
            raise ActionRefused(f"统一社会信用代码：{exc.message}", "uscc")
        if CreditSubject.objects.filter(uscc=uscc).exists():
            raise ActionRefused(f"统一社会信用代码 {uscc} 已有信用档案", "uscc")
        id_number = ""
    else:
        if category in ORG_CATEGORIES:
            raise ActionRefused("个人类信用主体的主体类型不正确", "category")
        try:
            id_number = codes.validate_id_number(id_number)
        except codes.CodeError as exc:
            raise ActionRefused(f"身份证号：{exc.message}", "id_number")
        if CreditSubject.objects.filter(id_number__matches=id_number).exists():  # digest (encrypted column)
            raise ActionRefused("该身份证号已有信用档案", "id_number")
        uscc = ""
    with atomic_action():
        subject = CreditSubject.objects.create(
            kind=kind, category=category, name=name, region_id=region_code, uscc=uscc, id_number=id_number,
            other_id=other_id, registration=registration, nature=nature,
            legal_representative=legal_representative, created_by=user_of(actor),
        )
        record(actor, "credit.subject.create", subject,
               after={"kind": kind, "category": category, "identifier": subject.identifier})
    return subject


# --------------------------------------------------------------------------------------------
# records


def kind_of(record_type: str) -> str:
    return RecordKind.GOOD if record_type in GOOD_TYPES else RecordKind.BAD


@action
def add_record(actor: Any, subject: CreditSubject, *, record_type: str, title: str, occurred_on: dt.date,
               severity: str = "", description: str = "", source: str = RecordSource.MANUAL, provider: str = "",
               document_number: str = "", valid_until: dt.date | None = None, evidence: Any = None,
               recorded_on: dt.date | None = None, supersedes: CreditRecord | None = None,
               inspection: Any = None, finding: Any = None, link_key: str = "",
               state: dict[str, Any] | None = None, check: bool = True) -> CreditRecord:
    """Append one record (manual entry, shared by another department, or made by the product).

    ``check=False`` for records the product makes itself (the actor is only recorded)."""
    if check:
        _require_staff(actor, subject)
    if record_type not in RecordType.values:
        raise ActionRefused("信息类型不正确", "record_type")
    if record_type in SEVERITY_TYPES and severity not in ("minor", "moderate", "major"):
        raise ActionRefused(f"“{RecordType(record_type).label}”须选择严重程度", "severity")
    if record_type not in SEVERITY_TYPES:
        severity = ""
    if severity not in Severity.values:
        raise ActionRefused("严重程度不正确", "severity")
    if not title.strip():
        raise ActionRefused("请填写事项", "title")
    recorded_on = recorded_on or _today()
    if occurred_on > recorded_on:
        raise ActionRefused("认定/发生日期不能晚于记入日期", "occurred_on")
    if valid_until is not None and valid_until < recorded_on:
        raise ActionRefused("有效期至不能早于记入日期", "valid_until")
    if source == RecordSource.SHARED and not provider.strip():
        raise ActionRefused("其他部门共享的信息须填写信息提供单位", "provider")
    file, file_name, sha, stored = _store_file(evidence)
    with atomic_action():
        rec = CreditRecord(
            subject=subject, kind=kind_of(record_type), record_type=record_type, severity=severity,
            title=title.strip()[:200], description=description, source=source, provider=provider.strip(),
            document_number=document_number.strip(), occurred_on=occurred_on, recorded_on=recorded_on,
            valid_until=valid_until, evidence_name=file_name, evidence_sha256=sha, supersedes=supersedes,
            inspection=inspection, finding=finding, link_key=link_key, state=state or {},
            entered_by=user_of(actor), entered_by_name=actor_name(actor),
        )
        if file is not None:
            rec.evidence.save(stored, file, save=False)
        rec.save()
        record(actor, "credit.record.create", rec, after=_record_dict(rec))
    return rec


def _withdraw(actor: Any, rec: CreditRecord, status: str, reason: str, on: dt.date | None = None) -> None:
    """Mark a record superseded/closed from ``on`` (it stops counting that day). Audited."""
    locked = CreditRecord.objects.select_for_update().get(pk=rec.pk)
    if locked.status != RecordStatus.ACTIVE:
        raise ActionRefused(f"信用信息 {rec.ref} 已是“{locked.get_status_display()}”状态")
    before = _record_dict(locked)
    locked.status, locked.status_reason = status, reason[:300]
    locked.withdrawn_on = max(on or _today(), locked.recorded_on)
    locked.save(update_fields=["status", "status_reason", "withdrawn_on"])
    rec.status, rec.withdrawn_on, rec.status_reason = locked.status, locked.withdrawn_on, locked.status_reason
    record(actor, f"credit.record.{status}", locked, before=before, after=_record_dict(locked), reason=reason)


@action
def close_record(actor: Any, rec: CreditRecord, reason: str) -> None:
    """撤销/结案 a record (it stops counting today)."""
    _require_staff(actor, rec.subject)
    if not reason.strip():
        raise ActionRefused("请填写撤销理由", "reason")
    with atomic_action():
        _withdraw(actor, rec, RecordStatus.CLOSED, reason.strip())


# --------------------------------------------------------------------------------------------
# records made from inspections (receivers.py)

PENALTY_TREATMENTS = frozenset({"减轻处罚", "从轻处罚", "依法处罚"})


def severity_for(amount: Any, on: dt.date | None = None) -> str:
    """minor / moderate / major by the amount bands of policy ``credit.severity_amounts``."""
    bands = policy.get("credit.severity_amounts", on=on)
    try:
        value = Decimal(str(amount or 0))
        major, moderate = Decimal(str(bands["major"])), Decimal(str(bands["moderate"]))
    except (InvalidOperation, KeyError, TypeError):
        return "minor"
    if value >= major:
        return "major"
    if value >= moderate:
        return "moderate"
    return "minor"


def _penalised(finding: Any) -> bool:
    return finding.decided_treatment in PENALTY_TREATMENTS or bool(finding.penalty_amount)


def _wanted(finding: Any) -> dict[str, dict[str, Any]]:
    """The records a finding should have now, by link key (none for a voided finding)."""
    if getattr(finding, "voided_at", None) is not None:
        return {}
    name = finding.violation_type.name
    amount = f"{finding.amount:.2f}" if finding.amount is not None else "0"
    wanted: dict[str, dict[str, Any]] = {
        f"finding:{finding.pk}": {
            "record_type": RecordType.FINDING, "severity": severity_for(finding.amount),
            "title": f"检查发现：{name}（涉及金额 {amount} 元）"[:200],
            "description": finding.description,
            "state": {"amount": amount},
        }
    }
    if _penalised(finding):
        fine = f"{finding.penalty_amount:.2f}" if finding.penalty_amount is not None else ""
        what = f"罚款 {fine} 元" if fine else finding.decided_treatment
        refund = f"，责令退回 {finding.refund_amount:.2f} 元" if finding.refund_amount else ""
        executed = bool(finding.penalty_executed)
        wanted[f"penalty:{finding.pk}"] = {
            "record_type": RecordType.PENALTY if executed else RecordType.UNEXECUTED_PENALTY,
            "severity": severity_for(finding.penalty_amount) if executed else "",
            "title": (f"行政处罚（{what}{refund}）" + ("，已执行" if executed else "，尚未履行"))[:200],
            "description": f"{name}；处罚决定书 {finding.penalty_decision_number or '（未填写文号）'}",
            "state": {"treatment": finding.decided_treatment, "penalty": fine, "executed": executed,
                      "decision": finding.penalty_decision_number},
            "document_number": finding.penalty_decision_number,
        }
    return wanted


@action
def sync_finding(actor: Any, finding: Any, correction: str = "") -> list[CreditRecord]:
    """Bring a finding's 不良信息 up to date; returns the records created (none when nothing changed).

    ``correction``: the reason of a correction of the finding itself (voided, or amounts corrected by a
    published correction). The records it replaces were wrong from the start, so they stop counting
    from their own 记入日期 (superseded by the corrected record, or closed when the finding was voided)
    and the corrected record takes their dates: evaluations redone for any day count the corrected
    version only. Stored evaluations keep their explanation.

    Only findings of reviewed (or published) inspections count. Records are dated (认定/记入) on the
    day of the decision (else the end of the inspection), so a cycle counts what was decided in it
    even when the record is made later (a replayed or late-entered inspection). One active record per finding
    (``finding:<id>``) and per penalty (``penalty:<id>``); a changed state supersedes the active row
    with a new one (an executed penalty replaces the 拒不履行 record by a 处罚 record); a penalty that
    was withdrawn closes its record.
    """
    inspection = finding.inspection
    if inspection.status not in ("reviewed", "published"):
        return []
    subject = ensure_subject(actor, inspection.institution)
    on = (timezone.localdate(finding.decided_at) if finding.decided_at else None) or inspection.ended_on or _today()
    on = min(on, _today())
    created = []
    with atomic_action():
        wanted = _wanted(finding)
        keys = set(wanted) | {f"finding:{finding.pk}", f"penalty:{finding.pk}"}
        active = {r.link_key: r for r in CreditRecord.objects.select_for_update().filter(
            link_key__in=keys, status=RecordStatus.ACTIVE)}
        for key in sorted(keys):
            want, current = wanted.get(key), active.get(key)
            since = current.recorded_on if (correction and current is not None) else None
            if want is None:
                if current is not None:
                    why = "处理决定已变更，不再构成处罚"
                    if correction:
                        why = f"{'检查问题已作废' if finding.voided_at else '检查结果已更正'}：{correction}"
                    _withdraw(actor, current, RecordStatus.CLOSED, why, on=since)
                continue
            if current is not None and (current.record_type, current.severity, current.state) == (
                    want["record_type"], want["severity"], want["state"]):
                continue
            if current is not None and current.source == RecordSource.CORRECTION and current.state == want["state"]:
                continue  # corrected after an objection; the source has not changed since
            occurred, recorded = on, on
            if current is not None:
                reason = "处罚已执行" if want["state"].get("executed") else "检查处理结果已变更"
                if correction:  # the corrected record replaces the wrong one from the start
                    reason = f"检查结果已更正：{correction}"
                    occurred, recorded = current.occurred_on, current.recorded_on
                _withdraw(actor, current, RecordStatus.SUPERSEDED, reason, on=since)
            created.append(add_record(
                actor, subject, check=False, record_type=want["record_type"], severity=want["severity"],
                title=want["title"],
                description=want["description"], source=RecordSource.INSPECTION,
                provider=str(inspection.task.responsible_department or ""),
                document_number=want.get("document_number", "") or inspection.result_notice_number,
                occurred_on=occurred, recorded_on=recorded, inspection=inspection, finding=finding,
                link_key=key,
                state=want["state"],
                supersedes=current,
            ))
    return created


@action
def sync_inspection(actor: Any, inspection: Any) -> list[CreditRecord]:
    created: list[CreditRecord] = []
    for finding in inspection.findings.select_related("violation_type", "inspection").order_by("id"):
        created += sync_finding(actor, finding)
    return created


# --------------------------------------------------------------------------------------------
# evaluation


def model_for(version: str) -> core.ScoringModel:
    row = ScoringModelVersion.objects.filter(version=version).first()
    if row is not None:
        return core.model_from_dict(row.definition)
    if version in core.MODELS:
        return core.MODELS[version]
    raise ActionRefused(f"评分模型版本 {version} 不存在（设置项 credit.model_version）")


def current_model(on: dt.date | None = None) -> core.ScoringModel:
    return model_for(str(policy.get("credit.model_version", on=on)))


@action
def add_model(actor: Any, definition: dict[str, Any], note: str = "") -> ScoringModelVersion:
    """Store a new model version (old evaluations keep theirs); switch with policy credit.model_version."""
    if user_of(actor) is not None:
        require(actor, "admin")
    try:
        model = core.model_from_dict(definition)
    except ValueError as exc:
        raise ActionRefused(str(exc))
    if model.version in core.MODELS or ScoringModelVersion.objects.filter(version=model.version).exists():
        raise ActionRefused(f"评分模型版本 {model.version} 已存在，修改模型须使用新的版本号")
    with atomic_action():
        row = ScoringModelVersion.objects.create(version=model.version, definition=core.model_to_dict(model),
                                                 note=note, created_by_name=actor_name(actor))
        record(actor, "credit.model.create", row, after=row.definition)
    return row


def facts(records: Iterable[CreditRecord]) -> list[core.CreditRecordFacts]:
    return [
        core.CreditRecordFacts(r.ref, r.record_type, r.recorded_on, r.severity or None, r.valid_until,
                               r.repaired_on, r.withdrawn_on)
        for r in records
    ]


def _explain(result: core.Evaluation, records: dict[str, CreditRecord]) -> list[dict[str, Any]]:
    rows = []
    for c in result.explanation:
        rec = records.get(c.record_id or "")
        rows.append({"record": rec.pk if rec else None, "ref": c.record_id, "label": c.label, "points": c.points,
                     "title": rec.title if rec else ""})
    return rows


def cycle_as_of(year: int) -> dt.date:
    """Evaluation day of a natural-year cycle: 31 December, or today while the year is running."""
    cycle = policy.get("credit.cycle")
    if cycle != "natural_year":
        raise ActionRefused(f"不支持的信用评价周期：{cycle}")
    return min(dt.date(year, 12, 31), _today())


def _evaluate(subjects: list[CreditSubject], model: core.ScoringModel, as_of: dt.date
              ) -> list[tuple[CreditSubject, core.Evaluation, dict[str, CreditRecord]]]:
    by_subject: dict[int, list[CreditRecord]] = {s.pk: [] for s in subjects}
    ids = list(by_subject)
    for i in range(0, len(ids), 2000):
        for r in CreditRecord.objects.filter(subject_id__in=ids[i:i + 2000]):
            by_subject[r.subject_id].append(r)
    out = []
    for s in subjects:
        recs = by_subject[s.pk]
        try:
            result = core.evaluate(facts(recs), model, as_of)
        except ValueError as exc:
            raise ActionRefused(f"{s.name}：{exc}")
        out.append((s, result, {r.ref: r for r in recs}))
    return out


def _store(actor: Any, results: list[tuple[CreditSubject, core.Evaluation, dict[str, CreditRecord]]],
           cycle: str, as_of: dt.date, on_demand: bool) -> list[Evaluation]:
    """Evaluations, subjects' grades and institutions' ``credit_grade`` (audited, one pass)."""
    rows = [Evaluation(subject=s, cycle=cycle, as_of=as_of, score=e.score, grade=e.grade, severe=e.severe,
                       model_version=e.model_version, explanation=_explain(e, recs), on_demand=on_demand,
                       evaluated_by_name=actor_name(actor)) for s, e, recs in results]
    Evaluation.objects.bulk_create(rows, batch_size=1000)
    changes: list[tuple[Any, str, dict[str, Any], dict[str, Any], str]] = []
    subjects, institutions = [], []
    for s, e, _ in results:
        if s.grade != e.grade:
            changes.append((s, "credit.subject.grade", {"grade": s.grade},
                            {"grade": e.grade, "score": e.score, "model_version": e.model_version}, ""))
            s.grade = e.grade
            subjects.append(s)
        inst = s.institution if s.institution_id else None
        if inst is not None and inst.credit_grade != e.grade:
            changes.append((inst, "directory.institution.credit_grade", {"credit_grade": inst.credit_grade},
                            {"credit_grade": e.grade},
                            f"信用评价（{'按需评价' if on_demand else f'{cycle} 年度周期'}，评价日 {as_of:%Y-%m-%d}，"
                            f"评分模型 {e.model_version}）"))
            inst.credit_grade = e.grade
            institutions.append(inst)
    check_rows(CreditSubject, [x.pk for x in subjects])  # no unexplained change is carried into the chain
    check_rows(Institution, [x.pk for x in institutions])
    CreditSubject.objects.bulk_update(subjects, ["grade"], batch_size=1000)
    Institution.objects.bulk_update(institutions, ["credit_grade"], batch_size=1000)
    record_many(actor, [Pending.of(r, "credit.evaluation.create", region_code=r.subject.region_id,
                                   object_repr=f"{r.subject.name} {r.cycle}") for r in rows])
    # read back: bulk_update wrote one field; the others are recorded as they are in the database now
    fresh = {CreditSubject: CreditSubject.objects.in_bulk([x.pk for x in subjects]),
             Institution: Institution.objects.in_bulk([x.pk for x in institutions])}
    record_many(actor, [
        Pending.of(fresh[type(obj)][obj.pk], code, before=before, after=after, reason=reason,
                   region_code=obj.region_id)
        for obj, code, before, after, reason in changes
    ])
    return rows


@action
def evaluate_subject(actor: Any, subject: CreditSubject, as_of: dt.date | None = None) -> Evaluation:
    """On-demand evaluation of one subject (today by default)."""
    _require_staff(actor, subject)
    as_of = as_of or _today()
    model = current_model(as_of)
    with atomic_action():
        subject = CreditSubject.objects.select_related("institution").get(pk=subject.pk)
        results = _evaluate([subject], model, as_of)
        [row] = _store(actor, results, "按需", as_of, True)
        record(actor, "credit.evaluate", row, after={"grade": row.grade, "score": row.score,
                                                     "model_version": row.model_version, "as_of": as_of})
    return row


@action
def evaluate_cycle(actor: Any, year: int, region_prefix: str | None = None) -> Counter[str]:
    """Evaluate every subject (of the actor's area) for a natural year; count per grade.

    Institutions whose agreement was signed after the cycle's evaluation day are left out (they stay
    ungraded and are drawn with policy ``draw.ungraded_grade``)."""
    as_of = cycle_as_of(year)
    model = current_model(as_of)
    with atomic_action():
        ensure_subjects(actor)
        qs = CreditSubject.objects.select_related("institution")
        if user_of(actor) is not None:
            qs = qs.restrict(actor, "credit")
            if not qs.exists() and not is_institution(actor):
                require(actor, "credit")
        if region_prefix:
            qs = qs.filter(region__code__startswith=region_prefix)
        qs = qs.exclude(institution__contract_date__gt=as_of)  # not yet designated in that cycle
        counts: Counter[str] = Counter()
        subjects = list(qs.order_by("pk"))
        for i in range(0, len(subjects), 1000):
            rows = _store(actor, _evaluate(subjects[i:i + 1000], model, as_of), str(year), as_of, False)
            counts.update(r.grade for r in rows)
        record(actor, "credit.evaluate_cycle", object_type="credit.evaluation", object_id=str(year),
               region_code=region_prefix or "",
               after={"year": year, "as_of": as_of, "model_version": model.version, "grades": dict(counts)})
    return counts


def latest_evaluation(subject: CreditSubject) -> Evaluation | None:
    return subject.evaluations.order_by("-evaluated_at", "-id").first()


# --------------------------------------------------------------------------------------------
# objections (第十条)


@action
def file_objection(actor: Any, rec: CreditRecord, reason: str, evidence: Any = None) -> Objection:
    subject = rec.subject
    _require_owner_or_staff(actor, subject)
    if not reason.strip():
        raise ActionRefused("请填写异议理由", "reason")
    if rec.status != RecordStatus.ACTIVE:
        raise ActionRefused("该信用信息已更正或撤销，不能再提出异议", "record")
    if rec.objections.filter(status=ObjectionStatus.OPEN).exists():
        raise ActionRefused("该信用信息已有待处理的异议", "record")
    file, file_name, sha, stored = _store_file(evidence)
    due, _warnings = due_date(_today(), int(policy.get("credit.objection_deadline_workdays")))
    with atomic_action():
        obj = Objection(subject=subject, record=rec, reason=reason.strip(), filed_by=actor, due_date=due,
                        evidence_name=file_name, evidence_sha256=sha)
        if file is not None:
            obj.evidence.save(stored, file, save=False)
        obj.save()
        record(actor, "credit.objection.file", obj, after={"record": rec.pk, "due_date": due,
                                                           "evidence_sha256": sha})
    return obj


@action
def resolve_objection(actor: Any, objection: Objection, *, corrected: bool, reason: str,
                      record_type: str | None = None, severity: str | None = None, title: str | None = None,
                      description: str | None = None, withdraw: bool = False) -> Objection:
    """Decide an objection: keep the record, or correct it (a new corrected record supersedes it, or
    with ``withdraw`` the record is closed without replacement)."""
    subject = objection.subject
    if is_institution(actor):
        raise PermissionDenied("机构账号不能处理异议")
    _require_staff(actor, subject)
    if not reason.strip():
        raise ActionRefused("请填写处理意见", "reason")
    with atomic_action():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        if locked.status != ObjectionStatus.OPEN:
            raise ActionRefused("该异议已处理")
        old = locked.record
        new = None
        if corrected:
            if withdraw:
                _withdraw(actor, old, RecordStatus.CLOSED, f"异议成立，撤销：{reason.strip()}")
            else:
                _withdraw(actor, old, RecordStatus.SUPERSEDED, f"异议成立，已更正：{reason.strip()}")
                new = add_record(
                    actor, subject, record_type=record_type or old.record_type,
                    severity=old.severity if severity is None else severity, title=title or old.title,
                    description=old.description if description is None else description,
                    source=RecordSource.CORRECTION, provider=old.provider, document_number=old.document_number,
                    occurred_on=old.occurred_on, recorded_on=old.recorded_on, valid_until=old.valid_until,
                    inspection=old.inspection, finding=old.finding, link_key=old.link_key, state=old.state,
                    supersedes=old,
                )
        locked.status = ObjectionStatus.CORRECTED if corrected else ObjectionStatus.KEPT
        locked.outcome_reason = reason.strip()
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.corrected_record = new
        locked.save(update_fields=["status", "outcome_reason", "decided_by", "decided_at", "corrected_record"])
        record(actor, "credit.objection.resolve", locked, reason=reason.strip(),
               after={"status": locked.status, "corrected_record": new.pk if new else None,
                      "in_time": locked.decided_in_time})
    return locked


# --------------------------------------------------------------------------------------------
# repair (信用修复)


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def repair_blockers(rec: CreditRecord, today: dt.date | None = None) -> list[str]:
    """Why a record cannot be repaired yet (empty = it can)."""
    today = today or _today()
    months = int(policy.get("credit.repair_clean_period_months"))
    problems = []
    if rec.kind != RecordKind.BAD:
        problems.append("只有不良信息可以申请信用修复")
    if rec.status != RecordStatus.ACTIVE or rec.repaired_on:
        problems.append("该信息已更正、撤销或已修复")
    if rec.record_type == RecordType.SEVERE:
        problems.append("严重失信信息不适用本程序的信用修复")
    if rec.record_type == RecordType.UNEXECUTED_PENALTY:
        problems.append("处罚尚未履行，须先履行处罚决定")
    clean_from = _add_months(today, -months)
    if rec.recorded_on > clean_from:
        problems.append(f"记入之日起须满 {months} 个月（{_add_months(rec.recorded_on, months)} 起可申请）")
    newer = rec.subject.records.filter(kind=RecordKind.BAD, recorded_on__gt=clean_from).exclude(pk=rec.pk).exclude(
        supersedes=rec).exclude(status=RecordStatus.CLOSED)
    if newer.exists():
        problems.append(f"近 {months} 个月内有新的不良信息")
    if rec.repairs.filter(status=RepairStatus.PENDING).exists():
        problems.append("已有待审核的修复申请")
    return problems


@action
def apply_repair(actor: Any, rec: CreditRecord, rectification: str, evidence: Any = None) -> RepairApplication:
    subject = rec.subject
    _require_owner_or_staff(actor, subject)
    if not rectification.strip():
        raise ActionRefused("请填写整改情况", "rectification")
    problems = repair_blockers(rec)
    if problems:
        raise ActionRefused("不能申请信用修复：" + "；".join(problems), "record")
    file, file_name, sha, stored = _store_file(evidence)
    due, _ = due_date(_today(), int(policy.get("credit.repair_review_workdays")))
    with atomic_action():
        app = RepairApplication(subject=subject, record=rec, rectification=rectification.strip(), applied_by=actor,
                                due_date=due, evidence_name=file_name, evidence_sha256=sha)
        if file is not None:
            app.evidence.save(stored, file, save=False)
        app.save()
        record(actor, "credit.repair.apply", app, after={"record": rec.pk, "due_date": due, "evidence_sha256": sha})
    return app


@action
def decide_repair(actor: Any, app: RepairApplication, *, approve: bool, reason: str) -> RepairApplication:
    """Approve (the record stops counting from today: effect on the next evaluation) or reject."""
    if is_institution(actor):
        raise PermissionDenied("机构账号不能审核信用修复")
    _require_staff(actor, app.subject)
    if not reason.strip():
        raise ActionRefused("请填写审核意见", "reason")
    with atomic_action():
        locked = RepairApplication.objects.select_for_update().get(pk=app.pk)
        if locked.status != RepairStatus.PENDING:
            raise ActionRefused("该申请已审核")
        if approve:
            rec = CreditRecord.objects.select_for_update().get(pk=locked.record_id)
            if rec.status != RecordStatus.ACTIVE:
                raise ActionRefused("该信息已更正或撤销，无需修复")
            before = _record_dict(rec)
            rec.repaired_on = _today()
            rec.save(update_fields=["repaired_on"])
            record(actor, "credit.record.repair", rec, before=before, after=_record_dict(rec), reason=reason)
        locked.status = RepairStatus.APPROVED if approve else RepairStatus.REJECTED
        locked.decision_reason, locked.decided_by, locked.decided_at = reason.strip(), actor, timezone.now()
        locked.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        record(actor, "credit.repair.decide", locked, reason=reason, after={"status": locked.status})
    return locked


# --------------------------------------------------------------------------------------------
# measures (第十二、十三条)


def measures_for(subject: CreditSubject) -> list[Measure]:
    grade = subject.grade
    return [m for m in Measure.objects.filter(active=True)
            if grade in (m.grades or []) and (not m.subject_kinds or subject.kind in m.subject_kinds)]


@action
def apply_measure(actor: Any, subject: CreditSubject, measure: Measure, note: str,
                  applied_on: dt.date | None = None) -> AppliedMeasure:
    _require_staff(actor, subject)
    if not note.strip():
        raise ActionRefused("请填写实施情况", "note")
    applied_on = applied_on or _today()
    if applied_on > _today():
        raise ActionRefused("实施日期不能晚于今天", "applied_on")
    with atomic_action():
        row = AppliedMeasure.objects.create(subject=subject, measure=measure, evaluation=latest_evaluation(subject),
                                            note=note.strip(), applied_on=applied_on, applied_by=actor)
        record(actor, "credit.measure.apply", row, after={"measure": measure.text, "applied_on": applied_on,
                                                          "grade": subject.grade})
    return row


# --------------------------------------------------------------------------------------------
# institution accounts


@action
def create_institution_account(actor: Any, fixmedins_code: str, username: str, password: str,
                               display_name: str = "") -> User:
    """An ``institution`` login that sees only its own file, objections and published results."""
    if user_of(actor) is not None:
        require(actor, "admin")
    code = fixmedins_code.strip().upper()
    inst = Institution.objects.filter(fixmedins_code=code).first()
    if inst is None:
        raise ActionRefused(f"定点医药机构编码 {code} 不存在", "fixmedins_code")
    username = username.strip()
    if not username:
        raise ActionRefused("请填写用户名", "username")
    if User.objects.filter(username=username).exists():
        raise ActionRefused(f"用户名 {username} 已存在", "username")
    if len(password) < 8:
        raise ActionRefused("密码至少 8 位", "password")
    with atomic_action():
        user = User.objects.create_user(username=username, password=password, role=Role.INSTITUTION,
                                        region_code=inst.region_id, institution_code=code,
                                        display_name=display_name or inst.name[:50])
        ensure_subject(actor, inst)
        record(actor, "accounts.user.create", user, object_type="accounts.user", region_code=inst.region_id,
               after={"username": username, "role": Role.INSTITUTION, "institution_code": code})
    return user

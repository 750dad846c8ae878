"""Freezing a task's draw input: the pool, its strata, eligible inspectors and exclusion pairs.

``freeze_input(task)`` reads the directory *now* and returns the SC-DRAW-1 fields that the
commitment will cover, plus everything the product keeps about why (excluded institutions,
excluded inspectors, reasons of exclusion pairs). It writes nothing; ``actions.freeze`` stores it.

Pool: the task's scope (``planning.scope.institutions_in_scope``: the area for an undirected task,
the uploaded list or ``scope_filters`` for a directed one) narrowed to the kinds its check items
target (H, P or both; 经办机构 items select no institution; a task without items takes both).
Excluded with a reason: contract 暂停 / 解除, and, when ``task.exclude_checked_this_year``, the
annual cap: an institution that is active in a revealed draw of another task of the same plan
year sharing a check item, unless every shared item is exempt (重点 items with the policy
``draw.annual_cap_exempt`` value ``key_item``) or the institution is graded 差 (``grade_bad``).

Strata (policy ``draw.strata_dimensions``, ids joined with ``|`` in that order): ``region`` →
6-digit region code, ``kind`` → H/P, ``grade`` → credit grade (ungraded → policy
``draw.ungraded_grade``), ``category`` and ``level`` → their stored codes. Ratio per stratum:
task ratio × the grade's multiplier (policy ``draw.grade_multipliers``) when ``task.credit_scaled``,
exact fractions reduced to ``[p, q]``, capped at ``[1, 1]``; ``"full"`` is ``[1, 1]``.
A task that is *not* credit-scaled drops the ``grade`` dimension: its flat ratio is applied (and
rounded up) once per area × kind, not once per grade, so "5% of 56" gives 3 targets, not one per
grade present (were ``grade`` the only dimension, the pool is one stratum ``全部``).

The directory is read as plain value rows (:class:`PoolRow`), not model instances: a city-wide
pool has ~100,000 institutions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Q

from spotcheck import policy
from spotcheck.core.draw import DrawError, normalise_label
from spotcheck.directory.models import (
    Conflict,
    ConflictReason,
    ContractStatus,
    CreditGrade,
    Inspector,
    InspectorAbsence,
    InspectorStatus,
    Institution,
)
from spotcheck.planning.models import ItemType, TargetKind, Task, versions_of
from spotcheck.planning.scope import institutions_in_scope

from .models import Assignment, AssignmentMember, Draw, DrawStatus, ExclusionReason

#: Institution kinds selected by each item target kind.
KINDS_OF_TARGET = {TargetKind.MEDICAL: {"H"}, TargetKind.PHARMACY: {"P"}, TargetKind.ALL: {"H", "P"},
                   TargetKind.AGENCY: set()}
DIMENSIONS = ("region", "kind", "grade", "category", "level")
_CONTRACT_REASON = {ContractStatus.SUSPENDED: ExclusionReason.SUSPENDED,
                    ContractStatus.TERMINATED: ExclusionReason.TERMINATED}


class PoolRow(NamedTuple):
    """The fields of an institution that freezing reads (attribute names as on ``Institution``)."""

    pk: int
    fixmedins_code: str
    region_id: str
    kind: str
    credit_grade: str
    category: str
    level: str
    contract_status: str


#: A stratum id when no dimension is left (a not credit-scaled task with ``grade`` as the only dimension).
SINGLE_STRATUM = "全部"


@dataclass
class Frozen:
    """The frozen input of one draw and the product-side explanations."""

    units: list[list[str]]
    strata: dict[str, dict[str, Any]]
    teams: dict[str, Any] | None
    excluded: list[tuple[PoolRow, str, str]] = field(default_factory=list)
    inspector_exclusions: list[list[str]] = field(default_factory=list)
    pair_reasons: list[list[str]] = field(default_factory=list)


def target_kinds(task: Task) -> set[str]:
    """Institution kinds the task's items check (both kinds when the task has no items)."""
    items = list(task.items.all())
    if not items:
        return {"H", "P"}
    kinds: set[str] = set()
    for item in items:
        kinds |= KINDS_OF_TARGET[item.target_kind]
    return kinds


def effective_grade(inst: Institution | PoolRow, ungraded: str) -> str:
    return inst.credit_grade or ungraded


def stratum_id(inst: Institution | PoolRow, dimensions: list[str], ungraded: str) -> str:
    """``"140522|H|良好"`` for the default dimensions region × kind × grade."""
    values = {
        "region": inst.region_id,
        "kind": inst.kind,
        "grade": effective_grade(inst, ungraded),
        "category": inst.category,
        "level": inst.level,
    }
    return "|".join(values[d] for d in dimensions) if dimensions else SINGLE_STRATUM


def strata_dimensions(task: Task) -> list[str]:
    """The policy's dimensions, without ``grade`` for a task that is not credit-scaled."""
    dims = _dimensions()
    if task.credit_scaled:
        if "grade" not in dims:
            raise ValidationError("任务按信用等级调整比例，但分层维度中没有信用等级（grade），无法分层确定比例")
        return dims
    return [d for d in dims if d != "grade"]


def stratum_ratio(base: Fraction, grade: str | None, multipliers: dict[str, Any] | None) -> list[int]:
    """``[p, q]`` of base × the grade's multiplier (``None`` multipliers: unscaled), at most 1."""
    if multipliers is None:
        ratio = base
    else:
        if grade not in multipliers:
            raise ValidationError(f"信用等级“{grade}”没有设置抽查比例系数（设置项 draw.grade_multipliers）")
        factor = multipliers[grade]
        ratio = Fraction(1) if factor == "full" else base * Fraction(int(factor[0]), int(factor[1]))
    ratio = min(ratio, Fraction(1))
    return [ratio.numerator, ratio.denominator]


def _dimensions() -> list[str]:
    dims = list(policy.get("draw.strata_dimensions"))
    unknown = [d for d in dims if d not in DIMENSIONS]
    if not dims or unknown:
        raise ValidationError(f"分层维度设置不正确：{'、'.join(unknown) or '为空'}（设置项 draw.strata_dimensions）")
    return dims


def annual_cap_hits(task: Task, candidates: list[Institution] | list[PoolRow]) -> dict[int, str]:
    """Institution id → why the annual frequency cap excludes it (empty when the cap is off)."""
    if not task.exclude_checked_this_year or not candidates:
        return {}
    exempt = set(policy.get("draw.annual_cap_exempt"))
    items = list(task.items.all())
    capped = [i for i in items if not ("key_item" in exempt and i.item_type == ItemType.KEY)]
    if not capped:
        return {}
    ids = {c.pk for c in candidates if not ("grade_bad" in exempt and c.credit_grade == CreditGrade.BAD)}
    versions = versions_of(capped)  # an earlier task may have checked an older version of the same item
    rows = (
        Assignment.objects.filter(
            active=True, draw__status=DrawStatus.REVEALED, draw__task__plan__year=task.plan.year,
            draw__task__items__in=list(versions),
        )
        .exclude(draw__task=task)
        .values_list("institution_id", "draw__draw_id", "draw__task__name", "draw__task__items")
        .order_by("institution_id", "draw__draw_id", "draw__task__items")
        .distinct()
    )
    names = {pk: i.name for pk, i in versions.items()}
    hits: dict[int, list[str]] = defaultdict(list)
    for inst_id, draw_id, task_name, item_id in rows:  # ids filtered here: huge IN lists are slow
        if item_id in names and inst_id in ids:
            hits[inst_id].append(f"任务“{task_name}”（抽取 {draw_id}）已检查“{names[item_id]}”")
    return {k: "；".join(dict.fromkeys(v)) for k, v in hits.items()}


def _public_id_ok(number: str) -> bool:
    try:
        normalise_label(number)
    except DrawError:
        return False
    return True


def eligible_inspectors(task: Task) -> tuple[list[Inspector], list[list[str]]]:
    """Inspectors of the task's slot departments who can be drawn, and ``[number, reason]`` of the rest.

    Eligible: a number usable as an SC-DRAW-1 id, status 在岗, certificate valid over the whole task
    period, no absence overlapping it.
    """
    start, end = task.period_start, task.period_end
    dept_ids = list(task.slots.values_list("department_id", flat=True))
    candidates = list(
        Inspector.objects.filter(department_id__in=dept_ids).select_related("department")
        .only("number", "name", "status", "region_id", "cert_number", "cert_valid_from", "cert_valid_to",
              "department__name")
        .order_by("number")
    )
    absences: dict[int, list[InspectorAbsence]] = defaultdict(list)
    for a in InspectorAbsence.objects.filter(inspector__department_id__in=dept_ids, start__lte=end, end__gte=start):
        absences[a.inspector_id].append(a)
    eligible: list[Inspector] = []
    rejected: list[list[str]] = []
    for insp in candidates:
        reason = ""
        if not _public_id_ok(insp.number):
            reason = "人员编号不符合公开编号规则（只允许字母、数字和 . _ -）"
        elif insp.status != InspectorStatus.ON_DUTY:
            reason = f"状态为“{insp.get_status_display()}”"
        elif not insp.cert_valid_between(start, end):
            reason = "无执法证或执法证有效期未覆盖检查期间"
        elif absences.get(insp.pk):
            a = absences[insp.pk][0]
            reason = f"不可抽取时段 {a.start:%Y-%m-%d}—{a.end:%Y-%m-%d}（{a.reason}）"
        if reason:
            rejected.append([insp.number, reason])
        else:
            eligible.append(insp)
    return eligible, rejected


def previous_round(task: Task) -> Draw | None:
    """The most recent revealed draw of another task of the same area sharing a check item."""
    return (
        Draw.objects.filter(
            status=DrawStatus.REVEALED, task__region_id=task.region_id,
            task__items__in=list(versions_of(task.items.all())),
        )
        .exclude(task=task)
        .order_by("-revealed_at", "-id")
        .first()
    )


def exclusion_pairs(
    task: Task, pool: list[Institution] | list[PoolRow], inspectors: list[Inspector],
) -> dict[tuple[str, str], list[str]]:
    """``(fixmedins_code, number)`` → reasons, limited to pool institutions and eligible inspectors."""
    start, end = task.period_start, task.period_end
    codes = {i.pk: i.fixmedins_code for i in pool}
    numbers = {i.pk: i.number for i in inspectors}
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    # Filter by id sets in Python: SQL "IN" lists of ~100,000 ids are very slow on SQLite, and the
    # register of active conflicts is small next to the pool.
    reason_label = dict(ConflictReason.choices)
    conflicts = Conflict.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=start), valid_from__lte=end,
    ).order_by("id").values_list("institution_id", "inspector_id", "reason")
    for inst_id, insp_id, reason in conflicts.iterator(chunk_size=5000):
        if inst_id in codes and insp_id in numbers:
            pairs[(codes[inst_id], numbers[insp_id])].append(f"回避登记：{reason_label.get(reason, reason)}")
    if task.cross_area:
        by_region: dict[str, list[Inspector]] = defaultdict(list)
        for insp in inspectors:
            by_region[insp.region_id].append(insp)
        for inst in pool:
            for insp in by_region.get(inst.region_id, []):
                pairs[(inst.fixmedins_code, insp.number)].append("异地交叉检查：本地人员")
    if task.exclude_last_round_pairs:
        last = previous_round(task)
        if last is not None:
            members = AssignmentMember.objects.filter(
                active=True, assignment__active=True, assignment__draw=last,
            ).values_list("assignment__institution_id", "inspector_id")
            for inst_id, insp_id in members:
                if inst_id in codes and insp_id in numbers:
                    pairs[(codes[inst_id], numbers[insp_id])].append(f"上一轮（抽取 {last.draw_id}）同组检查")
    return pairs


def freeze_input(task: Task) -> Frozen:
    """Build the draw input of ``task`` from the directory as it is now (raises ``ValidationError``)."""
    dims = strata_dimensions(task)
    ungraded = policy.get("draw.ungraded_grade")
    multipliers = policy.get("draw.grade_multipliers") if task.credit_scaled else None
    rounding = policy.get("draw.rounding")

    kinds = target_kinds(task)
    scope = institutions_in_scope(task).filter(kind__in=sorted(kinds)).order_by("fixmedins_code")
    candidates = [PoolRow._make(row) for row in scope.values_list(*PoolRow._fields).iterator(chunk_size=5000)]
    excluded: list[tuple[PoolRow, str, str]] = []
    active: list[PoolRow] = []
    for inst in candidates:
        if inst.contract_status in _CONTRACT_REASON:
            excluded.append((inst, _CONTRACT_REASON[inst.contract_status], ""))
        else:
            active.append(inst)
    hits = annual_cap_hits(task, active)
    pool = []
    for inst in active:
        if inst.pk in hits:
            excluded.append((inst, ExclusionReason.ANNUAL_CAP, hits[inst.pk][:300]))
        else:
            pool.append(inst)
    excluded.sort(key=lambda e: e[0].fixmedins_code)

    units: list[list[str]] = []
    strata: dict[str, dict[str, Any]] = {}
    for inst in pool:
        h = stratum_id(inst, dims, ungraded)
        units.append([inst.fixmedins_code, h])
        if h not in strata:
            ratio = stratum_ratio(task.ratio, effective_grade(inst, ungraded), multipliers)
            strata[h] = {"ratio": ratio, "rounding": rounding, "min": 0, "max": None}
    strata = dict(sorted(strata.items()))

    slots = list(task.slots.select_related("department").order_by("order", "id"))
    if not slots:
        return Frozen(units, strata, None, excluded)
    inspectors, rejected = eligible_inspectors(task)
    pairs = exclusion_pairs(task, pool, inspectors)
    teams = {
        "inspectors": [[i.number, i.department.name] for i in inspectors],
        "slots": [{"department": s.department.name, "count": s.count} for s in slots],
        "cap": task.cap,
        "exclusions": [list(p) for p in sorted(pairs)],
    }
    reasons = [[u, i, "；".join(r)] for (u, i), r in sorted(pairs.items())]
    return Frozen(units, strata, teams, excluded, rejected, reasons)

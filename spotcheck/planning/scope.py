"""What a task covers: its population of institutions and the departments that may staff it.

Directed-scope filters (``Task.scope_filters``) are JSON::

    {"region": ["140602", "1406"],          # area prefixes inside the task's area
     "kind": ["H"], "category": ["hospital"], "level": ["3"],
     "credit_grade": ["较差", "差", "none"],  # "none" = 未评级
     "risk_flag": true}                     # only 重点监控 institutions

Absent keys do not filter; values inside one key are alternatives (OR), keys combine with AND.
An uploaded list (``Task.scope_list``) replaces the filters. The draw further keeps only the
institution kinds the task's items check (:func:`target_kinds`) and applies contract status and
the annual frequency cap when it freezes the pool.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from spotcheck.core.codes import CodeError, region_contains, region_level, region_parent, region_prefix
from spotcheck.directory.filters import UNGRADED
from spotcheck.directory.models import (
    CreditGrade,
    Department,
    Institution,
    InstitutionCategory,
    InstitutionKind,
    InstitutionLevel,
)

from .models import TargetKind

#: Multi-valued filter keys and their allowed values (``region`` is checked against the task area).
CHOICE_FILTERS: dict[str, dict[str, str]] = {
    "kind": dict(InstitutionKind.choices),
    "category": dict(InstitutionCategory.choices),
    "level": dict(InstitutionLevel.choices),
    "credit_grade": {**dict(CreditGrade.choices), UNGRADED: "未评级"},
}
FILTER_LABELS = {"region": "区域", "kind": "机构类型", "category": "机构类别", "level": "医院等级",
                 "credit_grade": "信用等级", "risk_flag": "重点监控"}


def _area_prefix(code: str) -> str:
    """A 6-digit region code or an area prefix ("1406") → the area's prefix."""
    text = code.strip()
    if len(text) in (2, 4) and text.isdigit():
        text = text.ljust(6, "0")
    return region_prefix(text)


def clean_scope_filters(filters: Any, region_code: str) -> dict[str, Any]:
    """Validate directed-scope filters for a task in ``region_code``; return them normalised.

    Empty keys are dropped; raises ``ValidationError({"scope_filters": [...]})`` naming the key.
    """
    if not isinstance(filters, dict):
        raise ValidationError({"scope_filters": "定向范围条件应为 JSON 对象"})
    errors: list[str] = []
    clean: dict[str, Any] = {}
    for key, value in filters.items():
        if key not in FILTER_LABELS:
            errors.append(f"未知的定向条件“{key}”")
            continue
        if key == "risk_flag":
            if value in (None, False, ""):
                continue
            if value is not True:
                errors.append("“重点监控”条件只能为 true")
                continue
            clean[key] = True
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"“{FILTER_LABELS[key]}”条件应为字符串列表")
            continue
        if not value:
            continue
        if key == "region":
            prefixes = []
            for code in value:
                try:
                    prefix = _area_prefix(code)
                except CodeError as exc:
                    errors.append(f"区域条件：{exc.message}")
                    continue
                if not prefix.startswith(region_prefix(region_code)):
                    errors.append(f"区域 {code} 不在任务区域 {region_code} 之内")
                    continue
                prefixes.append(prefix)
            clean[key] = sorted(set(prefixes))
        else:
            bad = [v for v in value if v not in CHOICE_FILTERS[key]]
            if bad:
                errors.append(f"“{FILTER_LABELS[key]}”条件的取值不合法：{'、'.join(bad)}")
                continue
            clean[key] = sorted(set(value))
    if errors:
        raise ValidationError({"scope_filters": errors})
    return clean


def apply_scope_filters(qs: QuerySet[Institution], filters: dict[str, Any]) -> QuerySet[Institution]:
    """Narrow an institution queryset by cleaned directed-scope ``filters``."""
    if filters.get("region"):
        area = Q()
        for prefix in filters["region"]:
            area |= Q(region__code__startswith=prefix)
        qs = qs.filter(area)
    for key in ("kind", "category", "level"):
        if filters.get(key):
            qs = qs.filter(**{f"{key}__in": filters[key]})
    if filters.get("credit_grade"):
        grades = ["" if g == UNGRADED else g for g in filters["credit_grade"]]
        qs = qs.filter(credit_grade__in=grades)
    if filters.get("risk_flag"):
        qs = qs.filter(risk_flag=True)
    return qs


#: Institution kinds (``Institution.kind``) each item target covers; 经办机构 items cover none.
KINDS_OF_TARGET: dict[str, frozenset[str]] = {
    TargetKind.MEDICAL: frozenset({"H"}), TargetKind.PHARMACY: frozenset({"P"}),
    TargetKind.ALL: frozenset({"H", "P"}), TargetKind.AGENCY: frozenset(),
}


def target_kinds(task: Any) -> set[str]:
    """Institution kinds the task's items check (both kinds when the task has no items)."""
    items = list(task.items.all()) if task.pk else []
    if not items:
        return {"H", "P"}
    return set().union(*(KINDS_OF_TARGET[item.target_kind] for item in items))


def institutions_in_scope(task: Any) -> QuerySet[Institution]:
    """The task's population: its area, narrowed by the uploaded list or the filters when directed."""
    qs = Institution.objects.filter(region__code__startswith=region_prefix(task.region_id))
    if not task.directed:
        return qs
    if task.pk and task.scope_list.exists():
        return qs.filter(pk__in=task.scope_list.values("pk"))
    return apply_scope_filters(qs, task.scope_filters or {})


def staffing_region_q(region_code: str) -> Q:
    """Departments that may staff or lead a task in ``region_code``: inside the area, or its parent.

    A county task may use the city's departments (e.g. 市医疗保险服务中心); a city task those of
    the province. Other counties' departments are excluded.
    """
    area = Q(region__code__startswith=region_prefix(region_code))
    parent = region_parent(region_code)
    return area | Q(region_id=parent) if parent else area


def department_allowed(department: Department, region_code: str) -> bool:
    """Python twin of :func:`staffing_region_q` for one department."""
    return region_contains(region_code, department.region_id) or department.region_id == region_parent(region_code)


def departments_for(region_code: str) -> QuerySet[Department]:
    """Departments offered on a task form of ``region_code`` (not area-restricted to the user:
    the parent city's departments are legitimately chosen by county staff)."""
    return Department.objects.filter(staffing_region_q(region_code)).select_related("region")


def is_county(region_code: str) -> bool:
    return region_level(region_code) == "county"

"""Public statistics of the portal (issue 5 §5), computed from published data only.

What counts:

- A *result* is a current publication (``Publication.objects.current()``: the latest version of each
  published inspection, corrections replace what they correct). Nothing that is not published counts.
- *Designated* institutions (the denominators) are directory rows with ``contract_status = active``.
- *Coverage* of a group = designated institutions of the group with at least one result in the period
  ÷ designated institutions of the group. Area, kind and credit grade are the institution's own (the
  directory's current values); an item's denominator is the designated institutions of the item's
  target kind (医疗机构 / 零售药店; any other target counts all).
- *Findings* and *amounts* are the findings of published inspections (an inspection becomes 已公示 only
  through ``portal.actions``, after which its record is closed).

Filters: ``year`` (the plan year of the result) and ``area`` (a city or county code, applied to the
institution's area). The trend by year ignores the year filter.

Everything is aggregated in the database (``values().annotate()``); :func:`compute` caches its result
for :data:`CACHE_SECONDS`. The ``*_rows`` functions are pure: they merge the query results into
:class:`Table` rows and are tested with small dictionaries.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum

from spotcheck.core.codes import CodeError, region_prefix
from spotcheck.directory.models import ContractStatus, CreditGrade, Institution, InstitutionKind, Region
from spotcheck.inspections.models import Finding, InspectionStatus, ResultType
from spotcheck.planning.models import CheckItem

from . import public
from .models import Publication

CACHE_SECONDS = 60
LOCK_SECONDS = 30
CACHE_VERSION = 1
NO_GRADE = "未评级"
ZERO = Decimal("0")


@dataclass
class Table:
    """One statistic: a table (shown beside its chart, exported as CSV) and how to chart it.

    ``chart`` is ``"bar"`` (one bar per row: label = column ``label_col``, length = column
    ``value_col``, text beside the bar = column ``text_col``) or ``"line"`` (x = column ``label_col``,
    one line per column index in ``series``)."""

    key: str
    title: str
    desc: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str = "bar"
    label_col: int = 0
    value_col: int = 1
    text_col: int | None = None
    unit: str = ""
    max_value: float | None = None
    series: list[int] = field(default_factory=list)
    note: str = ""


# --------------------------------------------------------------------------------------------
# pure helpers


def percent(part: int, whole: int) -> float:
    """``part / whole`` in percent with one decimal (0 when ``whole`` is 0)."""
    if whole <= 0:
        return 0.0
    return round(100.0 * part / whole, 1)


def fmt_percent(value: float) -> str:
    return f"{value:.1f}%"


def fmt_amount(value: Decimal | int | float | None) -> str:
    """元 with two decimals and thousands separators."""
    return f"{Decimal(value or 0):,.2f}"


def coverage_rows(designated: Mapping[Any, int], inspected: Mapping[Any, int], labels: Mapping[Any, str],
                  order: Iterable[Any] | None = None) -> list[list[Any]]:
    """Rows ``[label, coverage %, inspected, designated]`` for every key of ``designated`` (in ``order``
    when given, else by key); groups with no designated institution are left out."""
    keys = list(order) if order is not None else sorted(designated, key=lambda k: str(k))
    rows = []
    for key in keys:
        whole = int(designated.get(key, 0))
        if whole <= 0:
            continue
        part = min(int(inspected.get(key, 0)), whole)
        rows.append([labels.get(key, str(key)), percent(part, whole), part, whole])
    return rows


def total_coverage_row(designated: Mapping[Any, int], inspected: Mapping[Any, int]) -> list[Any]:
    whole = sum(int(v) for v in designated.values())
    part = sum(min(int(inspected.get(k, 0)), int(v)) for k, v in designated.items())
    return ["合计", percent(part, whole), part, whole]


def distribution_rows(counts: Mapping[Any, int], labels: Mapping[Any, str], order: Iterable[Any]) -> list[list[Any]]:
    """Rows ``[label, count, share %]`` in ``order`` (zero rows kept, so every category shows)."""
    total = sum(int(v) for v in counts.values())
    return [[labels.get(k, str(k)), int(counts.get(k, 0)), percent(int(counts.get(k, 0)), total)] for k in order]


def violation_rows(groups: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Rows ``[violation type, findings, amount 元]`` sorted by findings (most first), then name.

    ``groups`` are dicts with ``name``, ``kind`` (H/P), ``n`` and ``amount``; types of both kinds with
    the same name are merged."""
    merged: dict[str, list[Any]] = {}
    for g in groups:
        row = merged.setdefault(str(g["name"]), [str(g["name"]), 0, ZERO])
        row[1] += int(g["n"] or 0)
        row[2] += Decimal(g["amount"] or 0)
    rows = sorted(merged.values(), key=lambda r: (-r[1], r[0]))
    return [[name, n, amount.quantize(Decimal("0.01"))] for name, n, amount in rows]


def trend_rows(by_year: Mapping[int, Mapping[str, Any]]) -> list[list[Any]]:
    """Rows ``[year, results, problem results, problem rate %, findings amount 元]`` by year."""
    rows = []
    for year in sorted(by_year):
        d = by_year[year]
        results, problems = int(d.get("results", 0)), int(d.get("problems", 0))
        rows.append([year, results, problems, percent(problems, results), Decimal(d.get("amount") or 0)
                     .quantize(Decimal("0.01"))])
    return rows


# --------------------------------------------------------------------------------------------
# filters and queries


def clean_filters(params: Mapping[str, Any]) -> dict[str, str]:
    """``{"year": "2026" | "", "area": "140522" | ""}``; invalid values become "" (all)."""
    year = str(params.get("year") or "").strip()
    if not (year.isdigit() and len(year) == 4):
        year = ""
    area = str(params.get("area") or "").strip()
    try:
        region_prefix(area) if area else None
    except CodeError:
        area = ""
    return {"year": year, "area": area}


def _area_q(field_name: str, area: str) -> Q:
    """Rows of ``field_name`` within ``area``; a county is an equality (SQLite's LIKE uses no index)."""
    if not area:
        return Q()
    prefix = region_prefix(area)
    return Q(**{field_name: prefix}) if len(prefix) == 6 else Q(**{f"{field_name}__startswith": prefix})


def published_q(prefix: str = "", year: str = "", area: str = "") -> Q:
    """Current publications (optionally of ``year`` and of institutions in ``area``), as a condition on
    the relation path ``prefix`` (``""`` for Publication itself, ``"inspection__publications__"`` from a
    finding). Used in one ``filter()`` call so that every part applies to the same joined row."""
    q = Q(**{f"{prefix}correction__isnull": True}) & _area_q(f"{prefix}institution__region__code", area)
    if year:
        q &= Q(**{f"{prefix}year": int(year)})
    return q


def current_publications(year: str = "", area: str = "") -> QuerySet[Publication]:
    return Publication.objects.filter(published_q("", year, area))


def designated(area: str = "") -> QuerySet[Institution]:
    return Institution.objects.filter(contract_status=ContractStatus.ACTIVE).filter(_area_q("region__code", area))


def _count_by(qs: QuerySet[Any], key: str, *, distinct_field: str | None = None) -> dict[Any, int]:
    agg = Count(distinct_field, distinct=True) if distinct_field else Count("pk")
    return {row[key]: row["n"] for row in qs.order_by().values(key).annotate(n=agg)}


def _region_labels(codes: Iterable[str]) -> dict[str, str]:
    """County names with their city (晋城市阳城县): short enough for a chart label, unambiguous."""
    return {r.code: (r.parent.name if r.parent and r.parent.level == "city" else "") + r.name
            for r in Region.objects.filter(code__in=list(codes)).select_related("parent")}


def filter_choices() -> dict[str, Any]:
    """Areas (cities and counties with institutions, as ``(code, full name)``, names masked by the public
    serialiser) and years with results, for the filter form; cached like the statistics."""
    key = f"portal:stats:choices:{CACHE_VERSION}"
    data = cache.get(key)
    if data is None:
        codes = set(Institution.objects.order_by().values_list("region_id", flat=True).distinct())
        areas: dict[str, str] = {}
        for r in Region.objects.filter(code__in=codes).select_related("parent__parent"):
            if r.parent is not None and r.parent.level == "city":
                areas[r.parent.code] = r.parent.full_name
            areas[r.code] = r.full_name
        years = sorted(set(Publication.objects.order_by().values_list("year", flat=True).distinct()), reverse=True)
        data = {"areas": [(code, public.clean(name)) for code, name in sorted(areas.items())], "years": years}
        cache.set(key, data, CACHE_SECONDS)
    return data


def compute(params: Mapping[str, Any]) -> dict[str, Any]:
    """All statistics for the filters in ``params``, derived from the cached :func:`cube`. The tables' cells pass
    through the public serialiser (``public.clean``): labels are catalogue and directory text (areas, violation
    types, check items), masked like every public string."""
    f = clean_filters(params)
    data = from_cube(cube(), f["year"], f["area"])
    for table in data["tables"].values():
        table.rows = public.clean(table.rows)
    return data


def cube() -> dict[str, Any]:
    """The grouped counts every filter combination is derived from, cached for :data:`CACHE_SECONDS`.

    One computation (a handful of ``GROUP BY`` queries) serves every year and area: the rows are
    grouped by the institution's county, so any city or county is a sum of rows, and distinct
    institution counts are exact because every institution lies in exactly one group. A second cached
    copy kept for ten minutes is served while one request recomputes; with no copy at all, the other
    requests wait up to :data:`LOCK_SECONDS` for that one computation (no stampede of workers)."""
    key = f"portal:stats:cube:{CACHE_VERSION}"
    data = cache.get(key)
    if data is not None:
        return data
    if not cache.add(key + ":lock", 1, LOCK_SECONDS):  # another request is recomputing
        stale = cache.get(key + ":stale")
        if stale is not None:
            return stale
        deadline = time.monotonic() + LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            data = cache.get(key)
            if data is not None:
                return data
    try:
        data = build_cube()
        cache.set(key, data, CACHE_SECONDS)
        cache.set(key + ":stale", data, 600)
    finally:
        cache.delete(key + ":lock")
    return data


def _compute(year: str, area: str) -> dict[str, Any]:
    """Uncached: the statistics for ``year`` and ``area`` straight from the database."""
    return from_cube(build_cube(), year, area)


def build_cube() -> dict[str, Any]:
    inst = "institution_id"
    grp = ("institution__region_id", "institution__kind", "institution__credit_grade")
    pubs = current_publications()
    insp = pubs.filter(institution__contract_status=ContractStatus.ACTIVE)

    def rows(qs: QuerySet[Any], fields: tuple[str, ...], **aggs: Any) -> list[tuple[Any, ...]]:
        return [tuple(r[f] for f in (*fields, *aggs)) for r in qs.order_by().values(*fields).annotate(**aggs)]

    des = rows(designated(), ("region_id", "kind", "credit_grade"), n=Count("pk"))
    insp_year = rows(insp, ("year", *grp), n=Count(inst, distinct=True))
    insp_all = rows(insp, grp, n=Count(inst, distinct=True))
    item_year = rows(insp, ("year", "task__items", "institution__region_id", "institution__kind"),
                     n=Count(inst, distinct=True))
    item_all = rows(insp, ("task__items", "institution__region_id", "institution__kind"), n=Count(inst, distinct=True))
    results = rows(pubs, ("year", "institution__region_id", "result_type"), n=Count("pk"))
    findings = Finding.objects.counted().filter(  # voided findings never count
        published_q("inspection__publications__"), inspection__status=InspectionStatus.PUBLISHED)
    viol = rows(findings, ("inspection__publications__year", "inspection__institution__region_id", "violation_type__name"),
                n=Count("pk"), amount=Sum("amount"))
    item_ids = {r[1] for r in item_year} - {None}
    items = {i.pk: (f"{i.name}（{i.item_list.region.name} {i.item_list.year}）", i.target_kind, i.item_list_id, i.seq,
                    i.item_list.region_id)
             for i in CheckItem.objects.filter(pk__in=item_ids).select_related("item_list__region")}
    regions = {r[0] for r in des} | {r[1] for r in results}
    return {"des": des, "insp_year": insp_year, "insp_all": insp_all, "item_year": item_year, "item_all": item_all,
            "results": results, "viol": viol, "items": items, "labels": _region_labels(regions)}


def _in_area(region: str, area: str) -> bool:
    return not area or str(region).startswith(region_prefix(area))


def _sum(rows: Iterable[tuple[Any, ...]], key: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        out[k] = out.get(k, 0) + int(row[-1])
    return out


def from_cube(c: Mapping[str, Any], year: str, area: str) -> dict[str, Any]:  # noqa: C901 — one table after another
    """The statistics for ``year`` ("" = all) and ``area`` ("" = all) from :func:`build_cube` rows (pure)."""
    y = int(year) if year else None
    des = [r for r in c["des"] if _in_area(r[0], area)]
    insp = ([r[1:] for r in c["insp_year"] if r[0] == y] if y else list(c["insp_all"]))
    insp = [r for r in insp if _in_area(r[0], area)]

    tables: list[Table] = []
    cov_note = "覆盖率 = 期间内有公示检查结果的在协议机构数 ÷ 在协议（定点）机构数。"
    cov_cols = ["覆盖率（%）", "已检查机构数", "在协议机构数"]

    # -- coverage by area (county of the institution), kind, credit grade
    des_area, insp_area = _sum(des, lambda r: r[0]), _sum(insp, lambda r: r[0])
    tables.append(Table("coverage-area", "按区域的检查覆盖率", "各县（市、区）在协议机构中已公示检查结果的比例",
                        ["区域", *cov_cols], coverage_rows(des_area, insp_area, c["labels"]), unit="%",
                        max_value=100.0, note=cov_note))
    totals = total_coverage_row(des_area, insp_area)
    des_kind, insp_kind = _sum(des, lambda r: r[1]), _sum(insp, lambda r: r[1])
    tables.append(Table("coverage-kind", "按机构类型的检查覆盖率", "医疗机构与零售药店的检查覆盖率",
                        ["机构类型", *cov_cols],
                        coverage_rows(des_kind, insp_kind, dict(InstitutionKind.choices), order=InstitutionKind.values),
                        unit="%", max_value=100.0, note=cov_note))
    grade_labels = {**dict(CreditGrade.choices), "": NO_GRADE}
    tables.append(Table("coverage-grade", "按信用等级的检查覆盖率", "各信用等级在协议机构的检查覆盖率",
                        ["信用等级", *cov_cols],
                        coverage_rows(_sum(des, lambda r: r[2]), _sum(insp, lambda r: r[2]), grade_labels,
                                      order=[*CreditGrade.values, ""]),
                        unit="%", max_value=100.0, note=cov_note))

    # -- coverage by item: institutions of the item's target kind (a task's items may target both
    # kinds) ÷ designated institutions of that kind
    items = c["items"]
    item_rows = [r[1:] for r in c["item_year"] if r[0] == y] if y else list(c["item_all"])
    insp_item: dict[int, int] = {}
    for pk, region, kind, n in item_rows:
        meta = items.get(pk)
        if meta is not None and _in_area(region, area) and (meta[1] not in InstitutionKind.values or meta[1] == kind):
            insp_item[pk] = insp_item.get(pk, 0) + int(n)
    present = [pk for pk in items if pk in insp_item]

    def item_denominator(meta: Any) -> int:
        """Designated institutions of the item's kind in the area of its list (within the filter area)."""
        kinds = {meta[1]} if meta[1] in InstitutionKind.values else set(InstitutionKind.values)
        return sum(int(r[-1]) for r in des if r[1] in kinds and _in_area(r[0], meta[4]))

    des_item = {pk: item_denominator(items[pk]) for pk in present}
    tables.append(Table("coverage-item", "按抽查事项的检查覆盖率", "各抽查事项已公示检查结果的机构占其检查对象的比例",
                        ["抽查事项", "覆盖率（%）", "已检查机构数", "检查对象机构数"],
                        coverage_rows(des_item, insp_item, {pk: items[pk][0] for pk in present},
                                      order=sorted(present, key=lambda pk: (items[pk][2], items[pk][3]))),
                        unit="%", max_value=100.0,
                        note="检查对象机构数 = 发布该事项清单的区域内、事项适用类型（医疗机构或零售药店）的在协议机构数。"))

    # -- result types
    res = [r for r in c["results"] if _in_area(r[1], area)]
    by_result = _sum((r for r in res if not y or r[0] == y), lambda r: r[2])
    tables.append(Table("results", "检查结果类型分布", "已公示检查结果按四类结果类型的数量", ["检查结果", "数量", "占比（%）"],
                        distribution_rows(by_result, dict(ResultType.choices), ResultType.values), unit="条"))

    # -- findings by violation type, with amounts
    viol = [r for r in c["viol"] if _in_area(r[1], area)]
    vrows = violation_rows({"name": r[2], "kind": "", "n": r[3], "amount": r[4]} for r in viol if not y or r[0] == y)
    tables.append(Table("violations", "发现问题按违规行为类型", "已公示检查结果中发现的问题数量，按违规行为类型",
                        ["违规行为类型", "问题数", "涉及金额（元）"], vrows, unit="个"))
    tables.append(Table("amounts", "涉及金额按违规行为类型", "已公示检查结果中发现问题的涉及金额（元），按违规行为类型",
                        ["违规行为类型", "涉及金额（元）", "问题数"],
                        [[r[0], r[2], r[1]] for r in sorted(vrows, key=lambda r: (-r[2], r[0])) if r[2] > 0], unit="元"))

    # -- trend by year (all years, area filter only)
    by_year: dict[int, dict[str, Any]] = {}
    for yr, _region, result_type, n in res:
        d = by_year.setdefault(yr, {"results": 0, "problems": 0, "amount": ZERO})
        d["results"] += int(n)
        if result_type != ResultType.NO_PROBLEM:
            d["problems"] += int(n)
    for yr, _region, _name, _n, amount in viol:
        d = by_year.setdefault(yr, {"results": 0, "problems": 0, "amount": ZERO})
        d["amount"] += Decimal(amount or 0)
    tables.append(Table("trend", "历年检查结果趋势", "各年度公示的检查结果数与发现问题的结果数",
                        ["年度", "检查结果数", "发现问题数", "问题发现率（%）", "涉及金额（元）"], trend_rows(by_year),
                        chart="line", series=[1, 2], unit="条", note="不受年度筛选影响。"))

    total_results = sum(by_result.values())
    summary = {
        "results": total_results, "institutions": totals[2], "designated": totals[3], "coverage": totals[1],
        "problems": total_results - int(by_result.get(ResultType.NO_PROBLEM, 0)),
        "findings": sum(r[1] for r in vrows), "amount": sum((r[2] for r in vrows), ZERO),
    }
    return {"year": year, "area": area, "tables": {t.key: t for t in tables}, "order": [t.key for t in tables],
            "summary": summary}

"""What the public may see, in one place. Every public page, export, feed and API reads through here.

Rules (一公开):

- Results: only :class:`Publication` rows (published versions; a corrected version stays visible,
  labelled 已更正). An inspection that is not published does not exist for the public.
- Tasks: a task is public once one of its draws has a commitment (提交承诺). Before the task's
  inspections start (``draws.access.inspections_started``) only the commitment is shown: draw id,
  digests, commit hash, randomness sources and the population and sample size per stratum. Once
  inspections start, a revealed draw's drawn institutions, teams and the full SC-DRAW-1 package are
  public — no separate publish step.
- Institutions: designated institutions (agreement in force or suspended) and any institution with a
  publication; name, code, area, type and the published credit grade — no contact person, phone or
  legal representative.
- Teams: department, and name / 执法证号 as policies ``portal.show_inspector_names`` and
  ``portal.show_certificate_numbers`` say; never 身份证号 or phone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from spotcheck import policy
from spotcheck.core.codes import CodeError, region_prefix
from spotcheck.directory.models import ContractStatus, Institution, Region
from spotcheck.draws.access import inspections_started
from spotcheck.draws.models import AssignmentMember, Draw, DrawStatus
from spotcheck.inspections.models import ResultType
from spotcheck.planning.models import CheckItem, ItemList, Task
from spotcheck.portal.pagecache import memo

from .models import Publication

#: Draw statuses whose commitment is public.
COMMITTED_STATUSES = (DrawStatus.COMMITTED, DrawStatus.REVEAL_PROPOSED, DrawStatus.REVEALED, DrawStatus.FAILED)


def publications() -> QuerySet[Publication]:
    return Publication.objects.select_related("institution", "task", "region", "correction")


def public_draws() -> QuerySet[Draw]:
    return Draw.objects.filter(status__in=COMMITTED_STATUSES, commitment__isnull=False).select_related("task")


def tasks() -> QuerySet[Task]:
    committed = public_draws().filter(task=OuterRef("pk"))
    return Task.objects.filter(Exists(committed)).select_related("plan", "region")


def institutions() -> QuerySet[Institution]:
    published = Publication.objects.filter(institution=OuterRef("pk"))
    return Institution.objects.filter(
        Q(contract_status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED]) | Exists(published)
    ).select_related("region")


def item_lists() -> QuerySet[ItemList]:
    return ItemList.objects.select_related("region").prefetch_related("items")


def draw_is_open(draw: Draw, today: dt.date | None = None) -> bool:
    """True when the drawn list, teams and package of ``draw`` are public."""
    return draw.is_revealed and inspections_started(draw.task, today)


def area_filter(qs: QuerySet[Any], field: str, code: str) -> QuerySet[Any]:
    """Rows whose 6-digit region ``field`` lies within area ``code`` (invalid codes match nothing)."""
    if not code:
        return qs
    try:
        prefix = region_prefix(code)
    except CodeError:
        return qs.none()
    if len(prefix) == 6:  # a county: equality can use the indexes (LIKE cannot on SQLite)
        return qs.filter(**{field: prefix})
    return qs.filter(**{f"{field}__startswith": prefix})


def filter_publications(qs: QuerySet[Publication], params: Any) -> QuerySet[Publication]:
    """Search (institution name or code) and filters: area (of the institution), year, item, result type; ``all`` keeps
    corrected versions."""
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(institution__name__icontains=q) | Q(institution__fixmedins_code__iexact=q.upper()))
    qs = area_filter(qs, "institution__region__code", (params.get("area") or "").strip())
    year = (params.get("year") or "").strip()
    if year:
        qs = qs.filter(year=int(year)) if year.isdigit() and len(year) == 4 else qs.none()
    item = (params.get("item") or "").strip()
    if item:
        qs = qs.filter(task__items__id=int(item)).distinct() if item.isdigit() and len(item) < 10 else qs.none()
    result = (params.get("result") or "").strip()
    if result:
        qs = qs.filter(result_type=result) if result in ResultType.values else qs.none()
    if params.get("all") != "1":
        qs = qs.current()
    return qs


def filter_tasks(qs: QuerySet[Task], params: Any) -> QuerySet[Task]:
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(plan__name__icontains=q))
    qs = area_filter(qs, "region__code", (params.get("area") or "").strip())
    year = (params.get("year") or "").strip()
    if year:
        qs = qs.filter(plan__year=int(year)) if year.isdigit() and len(year) == 4 else qs.none()
    item = (params.get("item") or "").strip()
    if item:
        qs = qs.filter(items__id=int(item)).distinct() if item.isdigit() and len(item) < 10 else qs.none()
    return qs


def filter_institutions(qs: QuerySet[Institution], params: Any) -> QuerySet[Institution]:
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(fixmedins_code__iexact=q.upper()))
    return area_filter(qs, "region__code", (params.get("area") or "").strip())


def area_choices() -> list[tuple[str, str]]:
    """Cities and counties that have designated institutions, as (code, full name)."""
    return memo("areas", _area_choices)


def _area_choices() -> list[tuple[str, str]]:
    codes = set(Institution.objects.order_by().values_list("region_id", flat=True).distinct())
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).select_related("parent__parent")}
    out: dict[str, str] = {}
    for r in regions.values():
        if r.parent is not None and r.parent.level == "city":
            out[r.parent.code] = r.parent.full_name
        out[r.code] = r.full_name
    return sorted(out.items())


def year_choices() -> list[int]:
    return memo("years", _year_choices)


def _year_choices() -> list[int]:
    years = set(Publication.objects.order_by().values_list("year", flat=True).distinct())
    years |= set(tasks().order_by().values_list("plan__year", flat=True).distinct())
    return sorted(years, reverse=True)


def item_choices() -> list[CheckItem]:
    return memo("items", lambda: list(
        CheckItem.objects.filter(task__in=tasks()).distinct().order_by("item_list_id", "seq")
    ))


def team_rows(draw: Draw, on: dt.date | None = None) -> dict[int, list[dict[str, str]]]:
    """Active team members of a revealed draw, per assignment id, as the privacy policies allow."""
    show_names = bool(policy.get("portal.show_inspector_names", on=on))
    show_certs = bool(policy.get("portal.show_certificate_numbers", on=on))
    teams: dict[int, list[dict[str, str]]] = {}
    members = (
        AssignmentMember.objects.filter(assignment__draw=draw, assignment__active=True, active=True)
        .select_related("inspector__department").order_by("assignment_id", "position")
    )
    for m in members:
        row = {"department": m.inspector.department.name}
        if show_names:
            row["name"] = m.inspector.name
        if show_certs:
            row["cert_number"] = m.inspector.cert_number
        teams.setdefault(m.assignment_id, []).append(row)
    return teams


def today() -> dt.date:
    return timezone.localdate()

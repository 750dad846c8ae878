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

import bisect
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from spotcheck import policy
from spotcheck.core.codes import CodeError, region_prefix
from spotcheck.directory.models import ContractStatus, Institution, Region
from spotcheck.draws.access import inspections_started
from spotcheck.draws.models import AssignmentMember, Draw, DrawStatus
from spotcheck.inspections.models import ResultType
from spotcheck.planning.models import CheckItem, ItemList, Task
from spotcheck.portal.lookups import InIdList, InLongIdList
from spotcheck.portal.pagecache import memo, seconds

from .models import Publication

#: Agreement states of the institutions the portal lists even without a published result.
LISTED_CONTRACT_STATUSES = (ContractStatus.ACTIVE, ContractStatus.SUSPENDED)

#: Draw statuses whose commitment is public.
COMMITTED_STATUSES = (DrawStatus.COMMITTED, DrawStatus.REVEAL_PROPOSED, DrawStatus.REVEALED, DrawStatus.FAILED)


def publications() -> QuerySet[Publication]:
    """Published versions, without joins: pages show the snapshot; ``correction_pk`` is annotated so
    ``is_corrected`` needs no extra query."""
    return Publication.objects.with_correction_pk()


def public_draws() -> QuerySet[Draw]:
    return Draw.objects.filter(status__in=COMMITTED_STATUSES, commitment__isnull=False).select_related("task")


def tasks() -> QuerySet[Task]:
    committed = public_draws().filter(task=OuterRef("pk"))
    return Task.objects.filter(Exists(committed)).select_related("plan", "region")


def institutions() -> QuerySet[Institution]:
    published = Publication.objects.filter(institution=OuterRef("pk"))
    return Institution.objects.filter(
        Q(contract_status__in=LISTED_CONTRACT_STATUSES) | Exists(published)
    ).select_related("region")


def institution_page(code: str) -> tuple[Institution, list[Publication]] | None:
    """The public institution ``code`` with all its published versions (newest year first), each with
    ``correction_pk`` set; None when the institution is not public (same rule as :func:`institutions`).
    Two plain queries: this page is the one the public opens most."""
    inst = Institution.objects.filter(fixmedins_code=code.upper()).first()
    if inst is None:
        return None
    pubs = list(Publication.objects.filter(institution=inst).order_by("-year", "-published_at", "-version"))
    if not pubs and inst.contract_status not in LISTED_CONTRACT_STATUSES:
        return None
    correcting = {p.supersedes_id: p.pk for p in pubs if p.supersedes_id}
    for p in pubs:
        p.correction_pk = correcting.get(p.pk)
    return inst, pubs


def region_name(code: str) -> str:
    """Full name of an area that has institutions (cached with the filter choices)."""
    name = dict(area_choices()).get(code)
    return name if name is not None else Region.objects.get(code=code).full_name


def item_lists() -> QuerySet[ItemList]:
    """The lists with their current items (a task or a result shows the item versions it used)."""
    return ItemList.objects.select_related("region").prefetch_related(
        Prefetch("items", queryset=CheckItem.objects.current())
    )


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
    # a city or province: the codes of the (small) region table under it, so ``field`` is matched by index
    return qs.filter(**{f"{field}__in": Region.objects.filter(code__startswith=prefix).values("code")})


def filter_publications(qs: QuerySet[Publication], params: Any) -> QuerySet[Publication]:
    """Search (institution name or code) and filters: area (of the institution), year, item, result type; ``all`` keeps
    corrected versions."""
    qs = filter_versions(qs, params)
    return qs if params.get("all") == "1" else qs.current()


def filter_versions(qs: QuerySet[Publication], params: Any, *, newest_first: bool = False) -> QuerySet[Publication]:
    """:func:`filter_publications` without the rule that hides corrected versions. Every filter is a condition on
    the publication's own columns (institution ids as one list parameter), which the search indexes cover.
    ``newest_first``: the caller reads a page ordered by ``-published_at`` (a planner hint, same rows)."""
    q = (params.get("q") or "").strip()
    area = (params.get("area") or "").strip()
    if q:
        ids = matching_institutions(q)
        # ``newest_first`` (a page of the newest rows) and a broad term (≥ 1 % of the institutions): the page is
        # found sooner by scanning the date index than by gathering and sorting every matching row
        broad = newest_first and len(ids) * 100 >= institution_count()
        qs = qs.filter((InLongIdList if broad else InIdList)(F("institution"), ids))
    qs = area_filter(qs, "institution_region", area)
    year = (params.get("year") or "").strip()
    if year:
        qs = qs.filter(year=int(year)) if year.isdigit() and len(year) == 4 else qs.none()
    item = (params.get("item") or "").strip()
    if item:
        qs = (qs.filter(task_id__in=Task.objects.filter(items__id=int(item)).values("pk"))
              if item.isdigit() and len(item) < 10 else qs.none())
    result = (params.get("result") or "").strip()
    if result:
        qs = qs.filter(result_type=result) if result in ResultType.values else qs.none()
    return qs


def count_publications(versions: QuerySet[Publication], params: Any) -> int:
    """How many rows ``filter_publications`` gives, from ``versions = filter_versions(...)``. Without a name search
    and without ``all``: all matching versions minus the matching ones that a correction supersedes, two
    index-only counts (the anti-join would probe the corrections once for each of up to all rows)."""
    if params.get("all") == "1":
        return versions.count()
    if (params.get("q") or "").strip():  # a name search matches few enough rows to probe each one
        return versions.current().count()
    total = versions.count()
    superseded = Publication.objects.filter(supersedes__isnull=False).values("supersedes_id")
    return total - versions.filter(pk__in=superseded).count() if total else 0


def memo_count(params: Any, compute: Callable[[], int]) -> int:
    """``compute()`` — a count of search results — cached for the current generation under the search's
    parameters without ``page``, so every page of one search counts once."""
    key = "&".join(f"{k}={v}" for k, v in sorted((k, v) for k, v in params.items() if k != "page"))
    return int(memo("count:" + hashlib.sha256(key.encode()).hexdigest(), compute))


class _NameIndex:
    """The directory's names (case-folded) in one string, with each name's start offset and institution id."""

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        self.ids = [pk for pk, _, _ in rows]
        names = [name.casefold().replace("\n", " ") for _, name, _ in rows]
        self.starts, offset = [], 0
        for name in names:
            self.starts.append(offset)
            offset += len(name) + 1
        self.text = "\n".join(names)
        self.codes = {code: pk for pk, _, code in rows}
        self.loaded = time.monotonic()
        self.last: tuple[str, list[int]] = ("", [])

    def find(self, q: str) -> list[int]:
        if q != self.last[0]:  # one request asks twice (count and page)
            self.last = (q, self._find(q))
        return self.last[1]

    def _find(self, q: str) -> list[int]:
        needle, found = q.casefold(), []
        if needle and "\n" not in needle:
            # every occurrence, found in C; a name holding the needle twice gives one id
            rows = {bisect.bisect_right(self.starts, m.start()) - 1 for m in re.finditer(re.escape(needle), self.text)}
            found = [self.ids[i] for i in sorted(rows)]
        code = self.codes.get(q.upper())
        if code is not None and code not in found:
            found.append(code)
        return found


_name_index: _NameIndex | None = None


def institution_count() -> int:
    """How many institutions the name index of :func:`matching_institutions` holds."""
    return len(_name_index.ids) if _name_index is not None else Institution.objects.count()


def matching_institutions(q: str) -> list[int]:
    """Ids of the institutions whose name contains ``q`` (ignoring case) or whose code is ``q``.

    Names are matched in memory, in a per-process copy of the directory's names reloaded when older than the
    page cache's lifetime (``SPOTCHECK_PORTAL_CACHE_SECONDS``; at 0 on every call): a regular-expression scan of
    the joined names runs in C, a few times faster than SQLite's ``LIKE '%…%'`` (which no index can serve) over
    the same names, and needs no per-row round trip. A new or renamed institution is found at most that many
    seconds later. Callers must not modify the returned list."""
    global _name_index
    ttl = seconds()
    if _name_index is None or not ttl or time.monotonic() - _name_index.loaded > ttl:
        _name_index = _NameIndex(list(Institution.objects.order_by("pk").values_list("pk", "name", "fixmedins_code")
                                      .iterator(4000)))
    return _name_index.find(q)


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

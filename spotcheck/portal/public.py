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

The public serialiser (end of this module). Pages, ``exports`` (CSV/JSON), ``feeds`` (Atom), ``api``
(``/api/publications/``), the statistics tables and the public credit list render only the plain values of
:func:`institution_data`, :func:`publication_data`, :func:`task_data`, :func:`item_list_data`, :func:`draw_data`,
:func:`team_data` and :func:`credit_row` — never a model's attributes. Each builds a dict and passes it through
:func:`clean`, which walks the structure and masks *every* string (``core.masking.scrub_personal_data``: 18-digit
ID numbers, mobile numbers in any spelling ``13812345678`` / ``138-1234-5678`` / ``+86 138 1234 5678`` /
``138.1234.5678`` / ``138—1234—5678``, fixed-line numbers, each also typed full-width ``１３８１２３４５６７８``),
so a field added later is masked without anyone listing it. Exempt are only the keys of
:data:`VERBATIM_KEYS` (validated codes, SC-DRAW-1 digests, ISO dates, amounts, links) and :data:`ID_ONLY_KEYS`
(执法证号, published by policy, which look like mobile numbers: only ID numbers are masked there).
Publication snapshots are stored already cleaned (``snapshot.build``) and are cleaned again when read, so
versions published before this serialiser are masked too.

Person names cannot be recognised by pattern in Chinese free text. What is done: the names *known to belong
with the object* — the institution's 法定代表人 and 联系人 (current directory values) and the inspection's
被检查单位确认人, or a credit subject's 法定代表人 — are replaced by ``mask_name`` (``王建国`` → ``王**``) wherever
they occur in its free text (address, 处理情况, 更正原因, changes …), except inside the institution's own name
(``王建国诊所`` is a legal name) and in the ``name`` fields themselves (:data:`OWN_NAME_KEYS`). Any other person
name typed into free text (a patient, an earlier contact person, an inspector whose name the policy hides) is
NOT detected; the workflow must keep such names out of publishable text. Lists that show no free text (the
results list, home page) mask patterns only, which keeps their query counts. The SC-DRAW-1 downloads
(``commitment.json``, ``package.json``) are hashed documents served verbatim, not through this serialiser.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from spotcheck import policy
from spotcheck.core.codes import CodeError, region_prefix
from spotcheck.core.masking import mask_name, scrub_id_numbers, scrub_personal_data
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
    ``correction_pk`` set and its inspection loaded (for the names masked in its text); None when the institution
    is not public (same rule as :func:`institutions`). Two plain queries: this page is the one the public opens most."""
    inst = Institution.objects.filter(fixmedins_code=code.upper()).first()
    if inst is None:
        return None
    pubs = list(Publication.objects.filter(institution=inst).select_related("inspection")
                .order_by("-year", "-published_at", "-version"))
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
    """Cities and counties that have designated institutions, as (code, full name); names masked like every public
    string (:func:`clean`)."""
    return memo("areas", _area_choices)


def _area_choices() -> list[tuple[str, str]]:
    codes = set(Institution.objects.order_by().values_list("region_id", flat=True).distinct())
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).select_related("parent__parent")}
    out: dict[str, str] = {}
    for r in regions.values():
        if r.parent is not None and r.parent.level == "city":
            out[r.parent.code] = r.parent.full_name
        out[r.code] = r.full_name
    return [(code, str(clean(name))) for code, name in sorted(out.items())]


def year_choices() -> list[int]:
    return memo("years", _year_choices)


def _year_choices() -> list[int]:
    years = set(Publication.objects.order_by().values_list("year", flat=True).distinct())
    years |= set(tasks().order_by().values_list("plan__year", flat=True).distinct())
    return sorted(years, reverse=True)


def item_choices() -> list[tuple[int, str]]:
    """The check items of public tasks, as (id, name) for the filter; names masked (:func:`clean`)."""
    return memo("items", lambda: [
        (pk, str(clean(name))) for pk, name in
        CheckItem.objects.filter(task__in=tasks()).distinct().order_by("item_list_id", "seq").values_list("pk", "name")
    ])


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


# ---------------------------------------------------------------------------------------------------------------
# The public serialiser: every public page, export, feed and API reads these plain values, never a model's fields.

#: Keys whose string values are known-safe codes, digests, dates, amounts or links: shown verbatim. Everything else
#: that is a string is scrubbed, whatever its key — a new field is masked without anyone adding it anywhere.
VERBATIM_KEYS = frozenset({
    "fixmedins_code", "uscc", "code", "region_code", "area_code",  # validated codes (定点编码, 统一社会信用代码, 区划)
    "draw_id", "commit", "snapshot_digest", "params_digest", "algorithm", "seed",  # SC-DRAW-1 identifiers and hashes
    "published_at", "deadline", "period_start", "period_end", "started_on", "ended_on", "as_of",  # ISO dates
    "amount", "findings_amount",  # decimal amounts ("13812345678.00" is money, not a phone number)
    "result_type", "url",
})
#: Keys whose values are identifiers published by policy that look like phone numbers (执法证号 such as
#: ``晋14052200001``): only ID numbers are masked in them.
ID_ONLY_KEYS = frozenset({"cert_number"})
#: Keys holding the object's own name (an institution, a task, a team member shown by policy): patterns are
#: scrubbed but known person names are not replaced (``王建国诊所`` is the clinic's legal name).
OWN_NAME_KEYS = frozenset({"name"})


@functools.lru_cache(maxsize=512)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(n) for n in names))


def mask_names(text: str, names: Iterable[str], keep: Iterable[str] = ()) -> str:
    """``text`` with every occurrence of one of ``names`` (person names of two characters or more) replaced by
    ``mask_name`` of it (``张三丰`` → ``张**``); occurrences inside one of ``keep`` (the institution's own name)
    are left alone."""
    wanted = tuple(sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=lambda n: (-len(n), n)))
    if not wanted or not text:
        return text
    pattern = _names_pattern(wanted)
    kept = tuple(sorted({k for k in keep if k and len(k) >= 2}, key=len, reverse=True))
    if not kept:
        return pattern.sub(lambda m: mask_name(m.group(0)), text)
    parts = re.split("(" + "|".join(re.escape(k) for k in kept) + ")", text)
    return "".join(part if i % 2 else pattern.sub(lambda m: mask_name(m.group(0)), part)
                   for i, part in enumerate(parts))


@dataclass(frozen=True)
class People:
    """The person names known to belong with an object (masked when they occur in its free text) and the names
    that must be kept whole (the institution's own name, which may contain its owner's)."""

    names: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    @classmethod
    def of(cls, institution: Any = None, inspection: Any = None, extra: Iterable[str] = ()) -> People:
        names = list(extra)
        keep: list[str] = []
        if institution is not None:
            names += [institution.legal_representative, institution.contact_person]
            keep.append(institution.name)
        if inspection is not None:
            names.append(inspection.confirmed_by_name)
        return cls(tuple(n for n in names if n), tuple(k for k in keep if k))


NOBODY = People()


def clean(value: Any, people: People = NOBODY, key: str | None = None) -> Any:
    """``value`` walked recursively with every string masked (``core.masking.scrub_personal_data``: ID numbers,
    mobile and fixed-line numbers; then :func:`mask_names` with ``people``). Mappings keep their keys (a key is a
    field name or an identifier, never free text) and give their values that key; list items inherit the key of
    their list. Strings under :data:`VERBATIM_KEYS` stay as they are, under :data:`ID_ONLY_KEYS` only ID numbers
    are masked, under :data:`OWN_NAME_KEYS` person names are not replaced. Non-string scalars (numbers, dates,
    datetimes, booleans, None) pass unchanged; other objects become their scrubbed ``str`` (a model instance
    never reaches a page whole)."""
    if isinstance(value, str):
        if key in VERBATIM_KEYS:
            return value
        if key in ID_ONLY_KEYS:
            return scrub_id_numbers(value)
        text = scrub_personal_data(value)
        return text if key in OWN_NAME_KEYS else mask_names(text, people.names, people.keep)
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.datetime, dt.time)):
        return value
    if isinstance(value, Mapping):
        return {k: clean(v, people, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, people, key) for v in value]
    return clean(str(value), people, key)


def _cleaned(data: dict[str, Any], people: People = NOBODY) -> dict[str, Any]:
    return cast(dict[str, Any], clean(data, people))


def region_data(region: Region | None, *, full_name: str | None = None) -> dict[str, Any]:
    if region is None:
        return {"code": "", "name": "", "full_name": ""}
    return {"code": region.code, "name": region.name, "full_name": full_name if full_name is not None else region.name}


def institution_data(inst: Institution, *, region_full_name: str | None = None) -> dict[str, Any]:
    """An institution as the public sees it: name, code, area, type and the published credit grade, the address —
    never contact person, phone or legal representative (whose names are masked where they occur)."""
    region = inst.region if "region" in inst._state.fields_cache else None  # no query for an unloaded region
    data = {
        "pk": inst.pk, "fixmedins_code": inst.fixmedins_code, "name": inst.name,
        "kind": inst.kind, "kind_label": inst.get_kind_display(),
        "category": inst.category, "category_label": inst.get_category_display(),
        "level": inst.level, "level_label": inst.get_level_display(),
        "region": region_data(region, full_name=region_full_name) if region is not None
        else {"code": inst.region_id, "name": region_full_name or "", "full_name": region_full_name or ""},
        "address": inst.address, "credit_grade": inst.credit_grade,
    }
    return _cleaned(data, People.of(inst))


def publication_data(pub: Publication, *, people: People = NOBODY, with_correction: bool = False) -> dict[str, Any]:
    """One published version: its snapshot (every string scrubbed) and its columns. ``people``: the names to mask
    in the free text (:meth:`People.of` the institution and inspection when the caller has them loaded).
    ``with_correction``: include ``correction`` (the correcting version's number, date and reason; needs
    ``pub.correction`` loaded)."""
    snapshot = pub.snapshot if isinstance(pub.snapshot, dict) else {}
    data: dict[str, Any] = {
        "pk": pub.pk, "id": pub.pk, "version": pub.version, "year": pub.year, "result_type": pub.result_type,
        "result_label": snapshot.get("result_label") or str(pub.result_label),
        "published_at": pub.published_at, "deadline": pub.deadline, "met_deadline": pub.met_deadline,
        "supersedes_id": pub.supersedes_id, "correction_reason": pub.correction_reason,
        "is_corrected": pub.is_corrected, "snapshot": snapshot,
    }
    if with_correction:
        data["corrected_by"] = pub.corrected_by_pk
        fix = pub.correction if data["is_corrected"] else None
        data["correction"] = None if fix is None else {
            "pk": fix.pk, "version": fix.version, "published_at": fix.published_at,
            "correction_reason": fix.correction_reason}
    return _cleaned(data, people)


def people_of_publication(pub: Publication) -> People:
    """The names of ``pub``'s institution and inspection, when the query loaded them (``select_related``)."""
    cache = pub._state.fields_cache
    return People.of(cache.get("institution"), cache.get("inspection"))


def task_data(task: Task, *, items: Iterable[CheckItem] | None = None, full_region_name: bool = False) -> dict[str, Any]:
    """A public task (``task.plan`` and ``task.region`` loaded). ``items``: its check items (as
    :func:`item_data`), when the page shows them."""
    data = {
        "pk": task.pk, "name": task.name, "method": task.method, "joint": task.joint, "status": task.status,
        "plan": {"pk": task.plan_id, "year": task.plan.year, "name": task.plan.name, "doc_number": task.plan.doc_number},
        "region": region_data(task.region, full_name=task.region.full_name if full_region_name else None),
        "period_start": task.period_start, "period_end": task.period_end, "percent_text": task.percent_text,
        "credit_scaled": task.credit_scaled, "item_summary": task.item_summary,
        "items": [item_data(i) for i in items] if items is not None else [],
    }
    return _cleaned(data)


def item_data(item: CheckItem) -> dict[str, Any]:
    return _cleaned({
        "pk": item.pk, "seq": item.seq, "category": item.category, "name": item.name, "target": item.target,
        "item_type": item.item_type, "item_type_label": item.get_item_type_display(), "ratio_text": item.ratio_text,
        "methods": item.methods, "basis": item.basis,
    })


def item_list_data(item_list: ItemList) -> dict[str, Any]:
    """A published check-item list with its current items (as :func:`item_lists` prefetches them)."""
    return _cleaned({
        "pk": item_list.pk, "year": item_list.year, "name": item_list.name, "issuer": item_list.issuer,
        "doc_number": item_list.doc_number, "region": region_data(item_list.region, full_name=item_list.region.full_name),
        "items": [item_data(i) for i in item_list.items.all()],
    })


def draw_data(draw: Draw) -> dict[str, Any]:
    """What the pages show of a committed draw: status, times, the commitment's fields and the public
    randomness. The downloads ``commitment.json`` and ``package.json`` are the hashed SC-DRAW-1 documents and are
    served verbatim (a changed byte would fail verification); see ``docs/architecture.md`` (Public serialiser)."""
    return _cleaned({
        "draw_id": draw.draw_id, "status": draw.status, "commit": draw.commit, "snapshot_digest": draw.snapshot_digest,
        "params_digest": draw.params_digest, "committed_at": draw.committed_at,
        "revealed_at": draw.revealed_at, "public_randomness": draw.public_randomness,
        "commitment": dict(draw.commitment or {}),
    })


def team_data(team: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], clean(list(team)))


def credit_row(subject: Any, evaluation: Any) -> dict[str, Any]:
    """One row of the public 守信主体 list (an organisation subject): name, codes, area, grade, evaluation date."""
    inst = subject.institution if subject.institution_id else None
    return _cleaned({
        "s": {"institution_id": subject.institution_id, "name": subject.name, "uscc": subject.uscc,
              "institution": {"fixmedins_code": inst.fixmedins_code} if inst is not None else None,
              "region": region_data(subject.region), "grade": subject.grade},
        "e": {"as_of": evaluation.as_of} if evaluation is not None else None,
    }, People(names=(subject.legal_representative,), keep=(subject.name,)))

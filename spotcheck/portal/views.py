"""Public pages of the portal (一公开): no login, GET only, rate-limited per IP (``ratelimit``).

Everything is read through ``portal.public``; anything not published is a 404 or simply absent. Templates get
only the plain values of the public serialiser (``public.*_data``), never model instances, so every string they
print has been masked.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from spotcheck.draws.views import json_download
from spotcheck.inspections.models import ResultType
from spotcheck.portal.paging import IdFirstPaginator

from . import public
from .models import Publication
from .ratelimit import public_view

PAGE_SIZE = 20


def _page(request: HttpRequest, qs: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _filters(request: HttpRequest) -> dict[str, Any]:
    g = request.GET
    return {
        "q": g.get("q", "").strip(), "area": g.get("area", ""), "year": g.get("year", ""),
        "item": g.get("item", ""), "result": g.get("result", ""), "all": g.get("all", ""),
    }


def _choices() -> dict[str, Any]:
    return {
        "areas": public.area_choices(), "years": public.year_choices(), "items": public.item_choices(),
        "results": ResultType.choices,
    }


def _stage(task: Any, today: Any) -> dict[str, Any]:
    """The public state of a task: its draws with commitment, and whether their results are open (the models,
    for the views; :func:`_stage_data` is what a template gets)."""
    draws = list(public.public_draws().filter(task=task).order_by("frozen_at", "id"))
    current = next((d for d in reversed(draws) if d.is_revealed), draws[-1] if draws else None)
    open_ = bool(current and public.draw_is_open(current, today))
    return {"task": task, "draws": draws, "draw": current, "open": open_}


def _stage_data(stage: dict[str, Any], **task: Any) -> dict[str, Any]:
    return {"task": public.task_data(stage["task"], **task), "draws": [public.draw_data(d) for d in stage["draws"]],
            "draw": public.draw_data(stage["draw"]) if stage["draw"] else None, "open": stage["open"]}


@public_view
def home(request: HttpRequest) -> HttpResponse:
    recent = [public.publication_data(p) for p in public.publications().current()[:10]]
    return render(request, "portal/home.html", {"recent": recent, **_choices()})


@public_view
def item_lists(request: HttpRequest) -> HttpResponse:
    qs = public.item_lists()
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(year=int(year))
    qs = public.area_filter(qs, "region__code", request.GET.get("area", ""))
    page = _page(request, qs, 5)
    return render(request, "portal/item_lists.html", {"page": page, "rows": [public.item_list_data(x) for x in page],
                                                       "f": _filters(request), **_choices()})


@public_view
def task_list(request: HttpRequest) -> HttpResponse:
    qs = public.filter_tasks(public.tasks(), request.GET).order_by("-plan__year", "-period_start", "id")
    page = _page(request, qs)
    today = public.today()
    rows = [_stage_data(_stage(t, today)) for t in page]
    return render(request, "portal/task_list.html", {"page": page, "rows": rows, "f": _filters(request),
                                                      **_choices()})


@public_view
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(public.tasks(), pk=pk)
    today = public.today()
    stage = _stage(task, today)
    items = list(task.items.order_by("item_list_id", "seq"))
    ctx: dict[str, Any] = {**_stage_data(stage, items=items, full_region_name=True)}
    ctx["items"] = ctx["task"]["items"]
    if stage["open"]:
        ctx.update(_drawn(stage["draw"], today))
    return render(request, "portal/task_detail.html", ctx)


def _drawn(draw: Any, today: Any) -> dict[str, Any]:
    """Drawn institutions with team and published result (only for an open draw)."""
    teams = public.team_rows(draw, on=today)
    pubs = {p.inspection.assignment_id: public.publication_data(p) for p in
            public.publications().current().filter(task=draw.task).select_related("inspection")}
    rows = [
        {"assignment": {"position": a.position}, "institution": public.institution_data(a.institution),
         "team": public.team_data(teams.get(a.pk, [])), "publication": pubs.get(a.pk)}
        for a in draw.assignments.filter(active=True).select_related("institution__region").order_by("position")
    ]
    return {"drawn": rows}


def _public_draw(draw_id: str) -> Any:
    return get_object_or_404(public.public_draws().select_related("task__plan", "task__region"), draw_id=draw_id)


@public_view
def draw_detail(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _public_draw(draw_id)
    today = public.today()
    open_ = public.draw_is_open(draw, today)
    ctx: dict[str, Any] = {"draw": public.draw_data(draw), "task": public.task_data(draw.task), "open": open_}
    if open_:
        ctx.update(_drawn(draw, today))
    return render(request, "portal/draw_detail.html", ctx)


@public_view
def draw_commitment(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _public_draw(draw_id)
    return json_download(draw.commitment, f"{draw.draw_id}-commitment.json")


@public_view
def draw_package(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _public_draw(draw_id)
    if not public.draw_is_open(draw) or not draw.package:
        raise Http404
    return json_download(draw.package, f"{draw.draw_id}-package.json")


@public_view
def result_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    newest = public.filter_versions(Publication.objects.all(), params, newest_first=True)

    def count() -> int:
        versions = public.filter_versions(Publication.objects.all(), params)
        return public.memo_count(params, lambda: public.count_publications(versions, params))

    paginator = IdFirstPaginator(newest if params.get("all") == "1" else newest.current(), PAGE_SIZE,
                                 load=lambda ids: public.publications().filter(pk__in=ids), count_rows=count)
    page = paginator.get_page(params.get("page"))
    return render(request, "portal/result_list.html", {"page": page, "rows": result_rows(page), "f": _filters(request),
                                                        **_choices()})


def result_rows(publications: Any) -> list[dict[str, Any]]:
    """What a result list shows per publication, as plain strings: the template then only prints them (a
    third of the cold search page's time went into resolving these lookups and filters row by row). Built from
    ``public.publication_data`` (masked); no free text is shown here, so no names are looked up."""
    def part(snapshot: dict[str, Any], key: str) -> dict[str, Any]:  # tolerant of older snapshot schemas
        value = snapshot.get(key)
        return value if isinstance(value, dict) else {}

    rows = []
    for pub in publications:
        p = public.publication_data(pub)
        s = p["snapshot"]
        inst = part(s, "institution")
        rows.append({
            "url": reverse("portal:result", args=[p["pk"]]), "name": inst.get("name", ""),
            "code": inst.get("fixmedins_code", ""), "result": p["result_type"],
            "result_label": p["result_label"], "corrected": p["is_corrected"],
            "correction": bool(p["supersedes_id"]), "task": part(s, "task").get("name", ""),
            "area": part(s, "area").get("name", ""),
            "published": timezone.localtime(p["published_at"]).strftime("%Y-%m-%d"),
        })
    return rows


@public_view
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pub = get_object_or_404(Publication.objects.select_related("correction", "institution", "inspection"), pk=pk)
    people = public.people_of_publication(pub)
    versions = [public.publication_data(v, people=people)
                for v in public.publications().filter(inspection_id=pub.inspection_id).order_by("-version")]
    data = public.publication_data(pub, people=people, with_correction=True)
    return render(request, "portal/result_detail.html", {"pub": data, "s": data["snapshot"], "versions": versions})


@public_view
def institution_list(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    qs = public.filter_institutions(public.institutions(), request.GET) if (f["q"] or f["area"]) else None
    page = _page(request, qs.order_by("fixmedins_code")) if qs is not None else None
    rows = [public.institution_data(i) for i in page] if page is not None else []
    return render(request, "portal/institution_list.html", {"page": page, "rows": rows, "f": f, **_choices()})


@public_view
def institution_detail(request: HttpRequest, code: str) -> HttpResponse:
    found = public.institution_page(code)
    if found is None:
        raise Http404
    inst, pubs = found
    region_name = public.region_name(inst.region_id)
    years: dict[int, list[dict[str, Any]]] = {}
    for p in pubs:
        years.setdefault(p.year, []).append(public.publication_data(p, people=public.People.of(inst, p.inspection)))
    return render(request, "portal/institution_detail.html", {
        "inst": public.institution_data(inst, region_full_name=region_name), "region_name": region_name,
        "years": sorted(years.items(), reverse=True)})


@public_view
def verify_guide(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/verify.html")


@public_view
def data_index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/data.html", _choices())

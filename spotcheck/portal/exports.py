"""Open data: CSV and JSON of published results and public tasks (same filters as the pages).

CSV is UTF-8 with a byte-order mark (opens correctly in Excel). Nothing here reads anything but
``portal.public``, and every row is built from the public serialiser's values (``public.publication_data``,
``public.task_data``, ``public.draw_data``: every string masked); no personal data beyond the team as the privacy
policies allow. Counts and amounts
are those of each version's snapshot (a correction's rows carry its corrected values and, in 更正内容,
what it changed); voided findings are never in a snapshot.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from spotcheck.base import tabular

from . import public
from .ratelimit import public_view

RESULT_FIELDS = [
    ("id", "公示编号"), ("version", "版本"), ("status", "状态"), ("fixmedins_code", "定点医药机构编码"),
    ("institution", "机构名称"), ("institution_area", "机构所在区域"), ("inspecting_area", "检查区域"),
    ("year", "年度"), ("task", "抽查任务"), ("items", "抽查事项"), ("result_type", "检查结果代码"),
    ("result", "检查结果"), ("handling", "处理情况"), ("findings_count", "问题数"),
    ("findings_amount", "涉及金额（元）"), ("team", "检查组"), ("published_at", "公示时间"),
    ("deadline", "公示截止日"), ("met_deadline", "按期公示"), ("supersedes", "更正的公示编号"),
    ("correction_reason", "更正原因"), ("correction_changes", "更正内容"), ("url", "网址"),
]
TASK_FIELDS = [
    ("id", "任务编号"), ("year", "年度"), ("plan", "所属计划"), ("task", "任务名称"), ("area_code", "区划代码"),
    ("area", "任务区域"), ("period_start", "检查开始日期"), ("period_end", "检查结束日期"), ("ratio", "抽查比例"),
    ("items", "抽查事项"), ("method", "抽查方式"), ("draw_id", "抽取编号"), ("commit", "承诺值"),
    ("snapshot_digest", "名录快照摘要"), ("params_digest", "参数摘要"), ("stage", "公开阶段"),
    ("drawn", "抽中机构数"), ("url", "网址"),
]


def _team_text(team: list[dict[str, str]]) -> str:
    return "；".join(" ".join(x for x in (m.get("department", ""), m.get("name", ""), m.get("cert_number", "")) if x)
                    for m in team)


def result_row(pub: Any, base: str = "") -> dict[str, Any]:
    """One row of results.csv / results.json, from ``public.publication_data`` (names of the institution and
    inspection masked when the query loaded them)."""
    p = public.publication_data(pub, people=public.people_of_publication(pub))
    s = p["snapshot"]
    return {
        "id": p["pk"], "version": p["version"], "status": "已更正" if p["is_corrected"] else "有效",
        "fixmedins_code": s["institution"]["fixmedins_code"], "institution": s["institution"]["name"],
        "institution_area": s["institution"]["region_name"], "inspecting_area": s["area"]["name"],
        "year": p["year"], "task": s["task"]["name"], "items": "、".join(i["name"] for i in s["items"]),
        "result_type": s["result_type"], "result": s["result_label"], "handling": s["handling"],
        "findings_count": s["findings_count"], "findings_amount": s["findings_amount"], "team": _team_text(s["team"]),
        "published_at": timezone.localtime(p["published_at"]).isoformat(),
        "deadline": p["deadline"].isoformat() if p["deadline"] else "",
        "met_deadline": p["met_deadline"], "supersedes": p["supersedes_id"] or "",
        "correction_reason": p["correction_reason"], "correction_changes": changes_text(s),
        "url": base + reverse("portal:result", args=[p["pk"]]),
    }


def changes_text(snapshot: dict[str, Any]) -> str:
    """A correction's ``changes`` in one cell: ``问题数：2 → 1；涉及金额：1,600.00 元 → 800.00 元；…``."""
    return "；".join(f"{c.get('item', '')}：{c.get('before', '')} → {c.get('after', '')}"
                    for c in snapshot.get("changes") or [])


def task_row(task: Any, today: Any, base: str = "") -> dict[str, Any]:
    draws = list(public.public_draws().filter(task=task).order_by("frozen_at", "id"))
    draw = next((d for d in reversed(draws) if d.is_revealed), draws[-1] if draws else None)
    open_ = bool(draw and public.draw_is_open(draw, today))
    t = public.task_data(task, items=task.items.order_by("item_list_id", "seq"))
    d = public.draw_data(draw) if draw else {}
    return {
        "id": t["pk"], "year": t["plan"]["year"], "plan": t["plan"]["name"], "task": t["name"],
        "area_code": t["region"]["code"], "area": t["region"]["name"], "period_start": t["period_start"].isoformat(),
        "period_end": t["period_end"].isoformat(), "ratio": t["percent_text"],
        "items": "、".join(i["name"] for i in t["items"]), "method": t["method"],
        "draw_id": d.get("draw_id", ""), "commit": d.get("commit", ""),
        "snapshot_digest": d.get("snapshot_digest", ""), "params_digest": d.get("params_digest", ""),
        "stage": "已公布抽取结果" if open_ else "仅公布承诺",
        "drawn": draw.assignments.filter(active=True).count() if open_ else "",
        "url": base + reverse("portal:task", args=[t["pk"]]),
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(rows: Iterator[dict[str, Any]], fields: list[tuple[str, str]], filename: str) -> StreamingHttpResponse:
    writer = tabular.SafeCsvWriter(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([label for _key, label in fields])
        for row in rows:
            yield writer.writerow(["是" if row[k] is True else "否" if row[k] is False else row[k] for k, _ in fields])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json(rows: list[dict[str, Any]], filename: str, fields: list[tuple[str, str]]) -> HttpResponse:
    buf = io.StringIO()
    json.dump({"fields": dict(fields), "count": len(rows), "rows": rows}, buf, ensure_ascii=False, indent=1)
    response = HttpResponse(buf.getvalue(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _results(request: HttpRequest) -> Iterator[dict[str, Any]]:
    base = request.build_absolute_uri("/")[:-1]
    qs = (public.filter_publications(public.publications(), request.GET).order_by("-published_at", "-id")
          .select_related("institution", "inspection"))  # the names masked in the free text
    for pub in qs.iterator(chunk_size=500):
        yield result_row(pub, base)


def _tasks(request: HttpRequest) -> Iterator[dict[str, Any]]:
    base = request.build_absolute_uri("/")[:-1]
    today = public.today()
    qs = public.filter_tasks(public.tasks(), request.GET).order_by("-plan__year", "-period_start", "id")
    for task in qs:
        yield task_row(task, today, base)


@public_view
def results_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _csv(_results(request), RESULT_FIELDS, "results.csv")


@public_view
def results_json(request: HttpRequest) -> HttpResponse:
    return _json(list(_results(request)), "results.json", RESULT_FIELDS)


@public_view
def tasks_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _csv(_tasks(request), TASK_FIELDS, "tasks.csv")


@public_view
def tasks_json(request: HttpRequest) -> HttpResponse:
    return _json(list(_tasks(request)), "tasks.json", TASK_FIELDS)

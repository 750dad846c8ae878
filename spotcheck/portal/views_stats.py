"""Public statistics pages (issue 5 §5): one page of charts with their tables, each chart downloadable
as CSV (its table) and as SVG. No login, GET only, rate-limited like every public page.

Filters ``year`` and ``area`` (see ``portal.stats.clean_filters``); the figures come from
``portal.stats.compute`` (published data only, cached for a minute); each rendered response is cached
for a minute per URL too (``cache_page``, which also sends ``Cache-Control: max-age=60``), after the
per-IP rate limit has counted the request.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_page

from spotcheck.base import tabular

from . import charts, stats
from .ratelimit import public_view


def _cell(value: Any) -> str:
    """Money with 2 decimals, anything else as text (the writer neutralises formulas)."""
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def _suffix(data: dict[str, Any]) -> str:
    parts = [p for p in (data["year"], data["area"]) if p]
    return ("-" + "-".join(parts)) if parts else ""


def _table(request: HttpRequest, key: str) -> tuple[dict[str, Any], stats.Table]:
    data = stats.compute(request.GET)
    table = data["tables"].get(key)
    if table is None:
        raise Http404
    return data, table


@public_view
@cache_page(stats.CACHE_SECONDS)
def stats_page(request: HttpRequest) -> HttpResponse:
    data = stats.compute(request.GET)
    choices = stats.filter_choices()
    query = "&".join(f"{k}={v}" for k, v in (("year", data["year"]), ("area", data["area"])) if v)
    sections = []
    for key in data["order"]:
        table = data["tables"][key]
        sections.append({
            "t": table,
            "svg": mark_safe(charts.render_table_chart(table)),  # noqa: S308 — every label is escaped in charts
            "rows": [[(table.columns[i], _display(table, i, v)) for i, v in enumerate(row)] for row in table.rows],
        })
    ctx = {
        "sections": sections, "summary": data["summary"], "f": {"year": data["year"], "area": data["area"]},
        "query": query, **choices, "area_name": dict(choices["areas"]).get(data["area"], data["area"]),
    }
    return render(request, "portal/stats.html", ctx)


def _display(table: stats.Table, col: int, value: Any) -> str:
    head = table.columns[col]
    if "%" in head:
        return stats.fmt_percent(float(value))
    if "元" in head:
        return stats.fmt_amount(value)
    if isinstance(value, int) and not (table.chart == "line" and col == table.label_col):
        return f"{value:,}"
    return str(value)


@public_view
@cache_page(stats.CACHE_SECONDS)
def stats_csv(request: HttpRequest, key: str) -> HttpResponse:
    data, table = _table(request, key)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = tabular.SafeCsvWriter(buf)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stats-{key}{_suffix(data)}.csv"'
    return response


@public_view
@cache_page(stats.CACHE_SECONDS)
def stats_svg(request: HttpRequest, key: str) -> HttpResponse:
    data, table = _table(request, key)
    response = HttpResponse(charts.standalone(charts.render_table_chart(table)), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stats-{key}{_suffix(data)}.svg"'
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response

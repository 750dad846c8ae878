"""Server-side SVG charts of the portal statistics: no JavaScript, no external resources.

Each chart is a self-contained ``<svg role="img">`` with ``<title>`` and ``<desc>`` (referenced by
``aria-labelledby``), the number written beside every bar / point, and an ``aria-label`` on every bar
and point so that a screen reader can read the values. Every text that comes from data is escaped
(:func:`esc`). :func:`standalone` turns a chart into a downloadable ``.svg`` file.

Text widths are estimated (CJK characters one em, others about 0.6 em) because nothing is measured on
the server; the fonts listed in :data:`FONT` are the usual Chinese fonts of Windows, macOS and Linux.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape
from typing import Any

FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC','WenQuanYi Micro Hei',sans-serif"
FONT_SIZE = 13
BAR_COLOR = "#1f5fa8"
SERIES_COLORS = ("#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad")
MAX_LABEL_CHARS = 24
_ID_RE = re.compile(r"[^a-zA-Z0-9_-]")


def esc(value: Any) -> str:
    """Text safe inside SVG/XML element content and attribute values."""
    return escape(str(value), quote=True)


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """Estimated rendered width of ``text`` in px (CJK and full-width characters count one em)."""
    width = 0.0
    for ch in text:
        width += size if ord(ch) >= 0x2E80 else size * 0.6
    return width


def shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(text: str, max_px: float, size: int = FONT_SIZE) -> str:
    """``text`` cut (with …) so that it fits in ``max_px``."""
    text = str(text)
    if text_width(text, size) <= max_px:
        return text
    while text and text_width(text + "…", size) > max_px:
        text = text[:-1]
    return text + "…"


def _num(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return v if math.isfinite(v) else 0.0


def fmt_value(value: Any, unit: str = "") -> str:
    """Numbers with thousands separators (two decimals for 元, one for %); the unit after them."""
    v = _num(value)
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "元":
        return f"{v:,.2f} 元"
    text = f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"
    return f"{text} {unit}".rstrip() if unit else text


def nice_max(value: float) -> float:
    """The smallest 1/2/2.5/5 × 10^n not below ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = m * 10**exp
        if top >= value:
            return float(top)
    return float(10 ** (exp + 1))


def _open(chart_id: str, width: float, height: float, title: str, desc: str) -> list[str]:
    cid = _ID_RE.sub("-", chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="p-chart" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'font-family="{FONT}" font-size="{FONT_SIZE}">',
        f'<title id="{cid}-title">{esc(title)}</title>',
        f'<desc id="{cid}-desc">{esc(desc)}</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]


def bar_chart(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, Any, str]], *,
              max_value: float | None = None, width: int = 640) -> str:
    """Horizontal bars: ``rows`` are ``(label, value, text beside the bar)``. Empty data says so."""
    bar_h, gap, top, bottom = 22, 8, 10, 10
    label_w = min(max([text_width(shorten(r[0])) for r in rows] + [40.0]) + 12, width * 0.45)
    labels = [fit(shorten(r[0]), label_w - 12) for r in rows]
    texts = [str(r[2]) for r in rows]
    text_w = max([text_width(t) for t in texts] + [30.0]) + 10
    plot_w = max(width - label_w - text_w - 10, 80)
    height = top + bottom + max(len(rows), 1) * (bar_h + gap)
    top_value = max_value if max_value is not None else nice_max(max([_num(r[1]) for r in rows] + [0.0]))
    out = _open(chart_id, width, height, title, desc)
    if not rows:
        out.append(f'<text x="{width / 2:.0f}" y="{top + bar_h / 2 + 5:.0f}" text-anchor="middle" '
                   'fill="#555555">暂无数据</text>')
    out.append('<g role="list">')
    for i, (row, label, text) in enumerate(zip(rows, labels, texts, strict=True)):
        y = top + i * (bar_h + gap)
        value = max(_num(row[1]), 0.0)
        w = 0.0 if top_value <= 0 else min(value / top_value, 1.0) * plot_w
        out.append(f'<g role="listitem" aria-label="{esc(row[0])}：{esc(text)}">')
        out.append(f'<text x="{label_w - 8:.1f}" y="{y + bar_h / 2 + 4.5:.1f}" text-anchor="end" fill="#222222">'
                   f'{esc(label)}</text>')
        out.append(f'<rect x="{label_w:.1f}" y="{y}" width="{plot_w:.1f}" height="{bar_h}" fill="#eef2f7"/>')
        if w > 0:
            out.append(f'<rect x="{label_w:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BAR_COLOR}"/>')
        out.append(f'<text x="{label_w + plot_w + 6:.1f}" y="{y + bar_h / 2 + 4.5:.1f}" fill="#222222">'
                   f'{esc(text)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "\n".join(out)


def line_chart(chart_id: str, title: str, desc: str, x_labels: Sequence[Any],
               series: Sequence[tuple[str, Sequence[Any]]], *, unit: str = "", width: int = 640,
               height: int = 300) -> str:
    """One line per series over ``x_labels`` with each value written above its point and a legend."""
    left, right, top, bottom = 64, 40, 56, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [_num(v) for _, vs in series for v in vs]
    top_value = nice_max(max(values + [0.0]) * 1.05)
    n = len(x_labels)
    out = _open(chart_id, width, height, title, desc)

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if n <= 1 else i * plot_w / (n - 1))

    def y_at(v: float) -> float:
        return top + plot_h - (v / top_value) * plot_h

    # axes and grid
    out.append('<g aria-hidden="true" fill="#555555" stroke="none">')
    for k in range(5):
        v = top_value * k / 4
        y = y_at(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dddddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(fmt_value(v, "" if unit != "%" else "%"))}</text>')
    for i, label in enumerate(x_labels):
        out.append(f'<text x="{x_at(i):.1f}" y="{top + plot_h + 20}" text-anchor="middle">{esc(label)}</text>')
    out.append("</g>")
    if not n:
        out.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" fill="#555555">暂无数据</text>')
    # legend
    lx = left
    for s, (name, _) in enumerate(series):
        color = SERIES_COLORS[s % len(SERIES_COLORS)]
        out.append(f'<g aria-hidden="true"><rect x="{lx}" y="10" width="14" height="4" fill="{color}"/>'
                   f'<text x="{lx + 20}" y="16" fill="#222222">{esc(name)}</text></g>')
        lx += int(text_width(str(name))) + 44
    # lines and points
    for s, (name, vs) in enumerate(series):
        color = SERIES_COLORS[s % len(SERIES_COLORS)]
        pts = [(x_at(i), y_at(max(_num(v), 0.0))) for i, v in enumerate(vs[:n])]
        out.append(f'<g role="list" aria-label="{esc(name)}">')
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, ((x, y), v) in enumerate(zip(pts, vs, strict=False)):
            text = fmt_value(v, unit)
            out.append(f'<g role="listitem" aria-label="{esc(name)} {esc(x_labels[i])}：{esc(text)}">'
                       f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
                       f'<text x="{x + (4 if i == 0 and n > 1 else 0):.1f}" y="{y - 8 - 14 * s:.1f}" '
                       f'text-anchor="{"start" if i == 0 and n > 1 else "middle"}" fill="{color}">'
                       f'{esc(text)}</text></g>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def standalone(svg: str) -> str:
    """A chart as a complete ``.svg`` file (XML declaration, UTF-8)."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


def render_table_chart(table: Any) -> str:
    """The chart of a :class:`spotcheck.portal.stats.Table`."""
    if table.chart == "line":
        x = [r[table.label_col] for r in table.rows]
        series = [(table.columns[c], [r[c] for r in table.rows]) for c in table.series]
        return line_chart(table.key, table.title, table.desc, x, series, unit=table.unit)
    rows = []
    for r in table.rows:
        value = r[table.value_col]
        text = fmt_value(value, table.unit)
        if table.unit == "%" and len(r) >= 4:  # coverage: "12.5%（3/24）"
            text = f"{fmt_value(value, '%')}（{int(r[2]):,}/{int(r[3]):,}）"
        elif table.text_col is not None:
            text = str(r[table.text_col])
        rows.append((str(r[table.label_col]), value, text))
    return bar_chart(table.key, table.title, table.desc, rows, max_value=table.max_value)

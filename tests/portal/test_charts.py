"""SVG charts: well-formed, accessible, every label escaped, numbers beside the bars, no scripts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from spotcheck.portal import charts
from spotcheck.portal.stats import Table

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_chart_is_accessible_and_shows_the_numbers():
    svg = charts.bar_chart("cov", "按区域的检查覆盖率", "说明", [("阳城县", 12.5, "12.5%（3/24）"), ("怀仁市", 50, "50.0%（1/2）")],
                           max_value=100)
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "cov-title cov-desc"
    assert root.find(f"{SVG}title").text == "按区域的检查覆盖率" and root.find(f"{SVG}title").get("id") == "cov-title"
    assert root.find(f"{SVG}desc").text == "说明"
    items = [g for g in root.iter(f"{SVG}g") if g.get("role") == "listitem"]
    assert [g.get("aria-label") for g in items] == ["阳城县：12.5%（3/24）", "怀仁市：50.0%（1/2）"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "12.5%（3/24）" in texts and "阳城县" in texts
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.BAR_COLOR]
    widths = [float(r.get("width")) for r in bars]
    assert widths[1] == round(4 * widths[0], 1) or abs(widths[1] - 4 * widths[0]) < 0.5  # 50 vs 12.5 of 100


def test_labels_are_escaped_everywhere():
    evil = '<script>alert("x")</script>&"\''
    svg = charts.bar_chart('id"><script>', evil, evil, [(evil, 1, evil)])
    line = charts.line_chart("l", evil, evil, [evil], [(evil, [1])])
    for out in (svg, line):
        assert "<script" not in out
        parse(out)  # still well-formed XML
        assert evil not in out
    assert parse(svg).find(f"{SVG}title").text == evil  # shown as text, not markup


def test_empty_data_says_so():
    assert "暂无数据" in charts.bar_chart("e", "t", "d", [])
    assert "暂无数据" in charts.line_chart("e", "t", "d", [], [("a", [])])
    parse(charts.bar_chart("e", "t", "d", []))


def test_line_chart_points_and_legend():
    svg = charts.line_chart("trend", "历年趋势", "d", [2024, 2025, 2026], [("检查结果数", [10, 0, 25]), ("发现问题数", [2, 0, 5])],
                            unit="条")
    root = parse(svg)
    points = [g for g in root.iter(f"{SVG}g") if g.get("role") == "listitem"]
    assert len(points) == 6
    assert points[2].get("aria-label") == "检查结果数 2026：25 条"
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")][:3]
    assert ys[2] < ys[0] < ys[1]  # higher values are drawn higher


def test_helpers():
    assert charts.nice_max(0) == 1.0 and charts.nice_max(7) == 8 and charts.nice_max(180) == 200
    assert charts.nice_max(2400) == 2500
    assert charts.text_width("阳城") == 2 * charts.FONT_SIZE
    assert charts.text_width("ab") < charts.text_width("阳城")
    assert charts.shorten("一" * 30).endswith("…") and len(charts.shorten("一" * 30)) == charts.MAX_LABEL_CHARS
    assert charts.fmt_value(Decimal("1234.5"), "元") == "1,234.50 元"
    assert charts.fmt_value(12, "%") == "12.0%"
    assert charts.fmt_value(12000, "条") == "12,000 条"
    assert charts.fmt_value(float("nan")) == "0"


def test_standalone_file_and_table_rendering():
    table = Table("results", "检查结果类型分布", "d", ["检查结果", "数量", "占比（%）"], [["未发现问题", 3, 75.0]], unit="条")
    svg = charts.standalone(charts.render_table_chart(table))
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(svg.split("\n", 1)[1])
    assert root.get("xmlns") is None and root.tag == f"{SVG}svg"
    assert "3 条" in svg
    cov = Table("coverage-kind", "t", "d", ["类型", "覆盖率（%）", "已检查", "在协议"], [["医疗机构", 25.0, 1, 4]], unit="%",
                max_value=100.0)
    assert "25.0%（1/4）" in charts.render_table_chart(cov)
    trend = Table("trend", "t", "d", ["年度", "结果", "问题"], [[2025, 1, 0], [2026, 2, 1]], chart="line", series=[1, 2])
    assert len(list(parse(charts.render_table_chart(trend)).iter(f"{SVG}polyline"))) == 2


def test_long_labels_fit_inside_the_chart():
    long = "超量配药、更改处方配药、违反医疗保险用药范围、用药品种规定配药行为"
    root = parse(charts.bar_chart("v", "t", "d", [(long, 3, "3 个")]))
    label = next(t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end")
    assert label.text.endswith("…") and charts.text_width(label.text) <= float(label.get("x")) + 8
    item = next(g for g in root.iter(f"{SVG}g") if g.get("role") == "listitem")
    assert item.get("aria-label") == f"{long}：3 个"  # the full label stays readable

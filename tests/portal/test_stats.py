"""Statistics (issue 5 §5): pure aggregation functions, the queries on a small published dataset, the
page, the CSV/SVG downloads and the filters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.draws.models import Assignment, Draw, DrawStatus
from spotcheck.inspections.models import Finding, Inspection, InspectionStatus, ViolationType
from spotcheck.planning.models import CheckItem, ItemList, ItemType, Plan, Task
from spotcheck.portal import stats
from spotcheck.portal.models import Publication
from tests import factories as f

_n = itertools.count(1)


# ------------------------------------------------------------------------------------------------
# pure functions


def test_percent_and_formats():
    assert stats.percent(1, 3) == 33.3
    assert stats.percent(5, 0) == 0.0
    assert stats.fmt_percent(12.0) == "12.0%"
    assert stats.fmt_amount(Decimal("1234567.5")) == "1,234,567.50"


def test_coverage_rows_orders_caps_and_skips_empty_groups():
    rows = stats.coverage_rows({"a": 4, "b": 0, "c": 2}, {"a": 1, "c": 5, "x": 9}, {"a": "甲", "c": "丙"},
                               order=["c", "a", "b"])
    assert rows == [["丙", 100.0, 2, 2], ["甲", 25.0, 1, 4]]
    assert stats.total_coverage_row({"a": 4, "c": 2}, {"a": 1, "c": 5}) == ["合计", 50.0, 3, 6]


def test_distribution_rows_keep_every_category():
    rows = stats.distribution_rows({"x": 3, "y": 1}, {"x": "X", "y": "Y", "z": "Z"}, ["x", "y", "z"])
    assert rows == [["X", 3, 75.0], ["Y", 1, 25.0], ["Z", 0, 0.0]]


def test_violation_rows_merge_kinds_and_sort():
    rows = stats.violation_rows([
        {"name": "重复收费", "kind": "H", "n": 2, "amount": Decimal("10")},
        {"name": "串换药品", "kind": "P", "n": 3, "amount": None},
        {"name": "重复收费", "kind": "P", "n": 1, "amount": Decimal("5.5")},
    ])
    assert rows == [["串换药品", 3, Decimal("0.00")], ["重复收费", 3, Decimal("15.50")]]


def test_trend_rows_by_year():
    rows = stats.trend_rows({2026: {"results": 4, "problems": 1, "amount": Decimal("3")},
                             2025: {"results": 0, "problems": 0}})
    assert rows == [[2025, 0, 0, 0.0, Decimal("0.00")], [2026, 4, 1, 25.0, Decimal("3.00")]]


def test_clean_filters_drop_invalid_values():
    assert stats.clean_filters({"year": "2026", "area": "140522"}) == {"year": "2026", "area": "140522"}
    assert stats.clean_filters({"year": "20x6", "area": "12<script>"}) == {"year": "", "area": ""}
    assert stats.clean_filters({}) == {"year": "", "area": ""}


# ------------------------------------------------------------------------------------------------
# a small published dataset


def _plan(region: str, year: int) -> tuple[Task, CheckItem, CheckItem]:
    il = ItemList.objects.create(region_id=region, year=year, name=f"{year}清单")
    h = CheckItem.objects.create(item_list=il, seq=1, category="医保基金使用", name="医疗机构事项", target="定点医疗机构",
                                 target_kind="H", item_type=ItemType.GENERAL)
    p = CheckItem.objects.create(item_list=il, seq=2, category="医保基金使用", name="药店事项", target="定点零售药店",
                                 target_kind="P", item_type=ItemType.GENERAL)
    plan = Plan.objects.create(region_id=region, year=year, name=f"{year}年度计划", item_list=il)
    task = Task.objects.create(plan=plan, region_id=region, name=f"{year}任务{next(_n)}", period_start=dt.date(year, 3, 1),
                               period_end=dt.date(year, 6, 30), ratio_num=5, ratio_den=100,
                               responsible_department=f.department(region))
    task.items.set([h, p])
    return task, h, p


def _vt(seq: int, name: str, kind: str = "H") -> ViolationType:
    return ViolationType.objects.get_or_create(kind=kind, seq=seq, defaults={
        "name": name, "act_code": f"38-t{seq}", "article": 38})[0]


def result(task, inst, result_type="no_problem", *, findings=(), published=True, publisher=None):
    """An inspection of ``inst`` in ``task`` and (when ``published``) its version-1 publication."""
    draw = Draw.objects.create(draw_id=f"T-{next(_n)}", task=task, year=task.plan.year, seq=next(_n),
                               status=DrawStatus.REVEALED, frozen_at=timezone.now())
    a = Assignment.objects.create(draw=draw, institution=inst, stratum="s", position=0)
    insp = Inspection.objects.create(
        assignment=a, task=task, institution=inst, region_id=task.region_id, result_type=result_type,
        status=InspectionStatus.PUBLISHED if published else InspectionStatus.REVIEWED,
    )
    for vt, amount in findings:
        Finding.objects.create(inspection=insp, violation_type=vt, act_code=vt.act_code, article=vt.article,
                               description="问题", amount=Decimal(amount))
    if not published:
        return insp, None
    pub = Publication.objects.create(
        inspection=insp, version=1, snapshot={"institution": {"name": inst.name}}, task=task, institution=inst,
        region_id=task.region_id, year=task.plan.year, result_type=result_type, published_by=publisher,
        published_at=timezone.now(),
    )
    return insp, pub


@pytest.fixture
def dataset(db):
    cache.clear()
    publisher = f.user("t-pub", Role.COUNTY_STAFF, f.YANGCHENG)
    t25, h25, _ = _plan(f.YANGCHENG, 2025)
    t26, h26, p26 = _plan(f.YANGCHENG, 2026)
    hr26, _, _ = _plan(f.HUAIREN, 2026)
    yc = [f.institution(f.YANGCHENG, "H", credit_grade=g) for g in ("优秀", "良好", "", "较差")]
    ycp = [f.institution(f.YANGCHENG, "P", credit_grade="良好") for _ in range(2)]
    gone = f.institution(f.YANGCHENG, "H", contract_status="terminated")
    hr = [f.institution(f.HUAIREN, "H", credit_grade="中等") for _ in range(2)]
    dup, split = _vt(91, "重复收费"), _vt(92, "分解收费")
    pdup = _vt(91, "重复收费", "P")
    result(t25, yc[0], "corrected", findings=[(dup, "100")], publisher=publisher)
    result(t26, yc[0], "no_problem", publisher=publisher)
    result(t26, yc[1], "corrected", findings=[(dup, "200.50"), (split, "50")], publisher=publisher)
    result(t26, ycp[0], "pending", findings=[(pdup, "30")], publisher=publisher)
    result(t26, gone, "uncooperative", publisher=publisher)  # counted as a result, not in coverage
    result(t26, yc[2], "corrected", findings=[(dup, "999")], published=False)  # reviewed only: invisible
    result(hr26, hr[0], "no_problem", publisher=publisher)
    # a corrected publication: version 1 (no_problem) superseded by version 2 (corrected)
    insp, v1 = result(t26, yc[3], "no_problem", findings=[(split, "70")], publisher=publisher)
    Publication.objects.create(
        inspection=insp, version=2, snapshot={}, task=t26, institution=yc[3], region_id=f.YANGCHENG, year=2026,
        result_type="corrected", published_by=publisher, published_at=timezone.now(), supersedes=v1,
        correction_reason="更正",
    )
    return {"h26": h26, "p26": p26}


def _rows(data, key):
    return {r[0]: r[1:] for r in data["tables"][key].rows}


def test_statistics_of_published_results(dataset):
    data = stats._compute("2026", "")
    results = _rows(data, "results")
    assert results["未发现问题"][0] == 2  # 阳城 yc[0] + 怀仁; the superseded v1 does not count
    assert results["发现问题已责令改正"][0] == 2  # yc[1] + corrected v2; the unpublished one does not count
    assert results["发现问题待后续处理"][0] == 1
    assert results["不配合检查情节严重"][0] == 1
    assert data["summary"]["results"] == 6

    area = _rows(data, "coverage-area")
    yc_name = next(k for k in area if "阳城" in k)
    # 阳城 designated: 4 hospitals + 2 pharmacies (the terminated one is not designated)
    assert area[yc_name] == [pytest.approx(66.7), 4, 6]
    assert next(v for k, v in area.items() if "怀仁" in k) == [50.0, 1, 2]

    kind = _rows(data, "coverage-kind")
    assert kind["医疗机构"] == [pytest.approx(66.7), 4, 6] and kind["零售药店"] == [50.0, 1, 2]
    grade = _rows(data, "coverage-grade")
    assert grade["优秀"] == [100.0, 1, 1] and grade["未评级"] == [0.0, 0, 1] and grade["良好"] == [pytest.approx(66.7), 2, 3]
    items = _rows(data, "coverage-item")
    # denominators: designated institutions of the item's kind in the area of the item's list
    assert items["医疗机构事项（阳城县 2026）"] == [75.0, 3, 4]  # yc[0], yc[1], yc[3] of 阳城's 4 hospitals
    assert items["药店事项（阳城县 2026）"] == [50.0, 1, 2]
    assert items["医疗机构事项（怀仁市 2026）"] == [50.0, 1, 2]
    assert not any("2025" in k for k in items)

    viol = _rows(data, "violations")
    assert viol["重复收费"] == [2, Decimal("230.50")]  # 200.50 (H) + 30 (P); 2025 and unpublished excluded
    assert viol["分解收费"] == [2, Decimal("120.00")]
    assert data["summary"]["amount"] == Decimal("350.50")

    trend = {r[0]: r[1:] for r in data["tables"]["trend"].rows}
    assert trend[2025] == [1, 1, 100.0, Decimal("100.00")]
    assert trend[2026][:2] == [6, 4] and trend[2026][3] == Decimal("350.50")


def test_area_and_year_filters(dataset):
    data = stats._compute("", "140681")
    assert data["summary"]["results"] == 1
    assert [r[0] for r in data["tables"]["coverage-area"].rows] == [next(iter(_rows(data, "coverage-area")))]
    data = stats._compute("2025", f.YANGCHENG)
    assert data["summary"]["results"] == 1 and data["summary"]["institutions"] == 1
    # the trend ignores the year filter
    assert [r[0] for r in data["tables"]["trend"].rows] == [2025, 2026]
    # a city code covers its counties
    city = stats._compute("2026", "140600")
    assert city["summary"]["results"] == 1


def test_statistics_are_cached_for_a_minute(dataset, django_assert_num_queries):
    stats.compute({"year": "2026"})
    with django_assert_num_queries(0):
        stats.compute({"year": "2026"})


def test_queries_do_not_grow_with_rows(dataset, django_assert_max_num_queries):
    cache.clear()
    with django_assert_max_num_queries(16):
        stats._compute("", "")


# ------------------------------------------------------------------------------------------------
# pages


def test_page_is_public_with_charts_and_tables(dataset, client):
    response = client.get(reverse("portal:stats"), {"year": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == len(stats._compute("2026", "")["order"])
    assert "<title id=\"coverage-area-title\">按区域的检查覆盖率</title>" in html
    assert "aria-labelledby=\"coverage-area-title coverage-area-desc\"" in html
    assert "<caption>检查结果类型分布（数据表）</caption>" in html
    assert reverse("portal:stats-csv", args=["results"]) + "?year=2026" in html
    assert reverse("portal:stats-svg", args=["trend"]) + "?year=2026" in html
    assert "<script" not in html


def test_csv_export_of_a_chart(dataset, client):
    response = client.get(reverse("portal:stats-csv", args=["violations"]), {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "stats-violations-2026.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["违规行为类型", "问题数", "涉及金额（元）"]
    assert ["重复收费", "2", "230.50"] in rows


def test_svg_download(dataset, client):
    response = client.get(reverse("portal:stats-svg", args=["coverage-kind"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    body = response.content.decode()
    assert body.startswith("<?xml") and "<title id=\"coverage-kind-title\">" in body and "医疗机构" in body


def test_unknown_chart_is_404_and_post_is_refused(dataset, client):
    assert client.get(reverse("portal:stats-csv", args=["nope"])).status_code == 404
    assert client.post(reverse("portal:stats")).status_code == 405
    assert client.post(reverse("portal:stats-csv", args=["results"])).status_code == 405


def test_labels_are_escaped(dataset, client):
    CheckItem.objects.filter(pk=dataset["h26"].pk).update(name="<script>alert(1)</script>&")
    cache.clear()
    html = client.get(reverse("portal:stats")).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html


def test_csv_cells_cannot_start_a_formula(dataset, client):
    CheckItem.objects.filter(pk=dataset["h26"].pk).update(name="=HYPERLINK(\"x\")")
    cache.clear()
    text = client.get(reverse("portal:stats-csv", args=["coverage-item"])).content.decode()
    assert "'=HYPERLINK" in text


def test_cube_is_computed_once_while_others_wait_or_read_the_stale_copy(db, monkeypatch):
    import threading

    cache.clear()
    key = f"portal:stats:cube:{stats.CACHE_VERSION}"
    monkeypatch.setattr(stats, "build_cube", lambda: pytest.fail("computed twice"))
    assert cache.add(key + ":lock", 1, 30)  # another worker is computing
    cache.set(key + ":stale", {"old": True}, 600)
    assert stats.cube() == {"old": True}
    cache.delete(key + ":stale")
    timer = threading.Timer(0.2, lambda: cache.set(key, {"fresh": True}, 60))
    timer.start()
    assert stats.cube() == {"fresh": True}  # waited for the other computation
    timer.join()
    cache.clear()
    monkeypatch.setattr(stats, "build_cube", lambda: {"built": True})
    assert stats.cube() == {"built": True} and cache.add(key + ":lock", 1, 30)  # the lock was released

"""Strata, ratios and rounding rules in plain Chinese (``draws.wording``): the helpers, and every page and
document a person reads — the staff draw page and reserve list, the portal draw page, the draw record and
the refusal of an event — while the SC-DRAW-1 files keep their technical forms byte for byte."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from django.template import Context, Template
from django.test import Client

from spotcheck.core import draw as core
from spotcheck.directory.models import Region
from spotcheck.draws import actions, wording
from spotcheck.draws.documents import draw_record_docx
from tests import factories as f
from tests.documents.helpers import docx_text
from tests.factories import full_run, make_task

#: A stratum id ("140522|H|中等"), a ratio list ("[1, 20]") or a rounding code, as they must not be read.
STRATUM_KEY = re.compile(r"\d{6}\|[HP]")
RATIO_LIST = re.compile(r"\[\s*\d+\s*,\s*\d+\s*\]")
ROUNDING_CODE = re.compile(r"\b(ceil|floor|half_up)\b")
HOSPITALS = "阳城县 · 医疗机构 · 中等"
PHARMACIES = "阳城县 · 零售药店 · 良好"


def assert_plain(text: str, where: str) -> None:
    for pattern in (STRATUM_KEY, RATIO_LIST, ROUNDING_CODE, re.compile(r"events\[")):
        found = pattern.search(text)
        assert found is None, f"{where}: {found.group(0)!r} in {text[max(0, found.start() - 80):found.end() + 80]!r}"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --------------------------------------------------------------------------------------------
# the helpers


def test_stratum_label_names_each_dimension(db):
    assert wording.stratum_label("140522|H|中等") == HOSPITALS
    assert wording.stratum_label("140522|P|良好") == PHARMACIES
    assert wording.stratum_label("140522|H") == "阳城县 · 医疗机构"  # not credit-scaled: no grade
    assert wording.stratum_label("140621|H|hospital|3|差") == "山阴县 · 医疗机构 · 医院 · 三级 · 差"
    assert wording.stratum_label("140522|P|pharmacy|未评级") == "阳城县 · 零售药店 · 零售药店 · 未评级"
    assert wording.stratum_label("全部") == "全部机构"  # no strata dimensions


def test_stratum_label_reads_the_region_table_for_other_areas(db):
    Region.objects.create(code="610102", name="新城区", level="county")
    assert wording.stratum_label("610102|H|良好") == "新城区 · 医疗机构 · 良好"
    assert wording.stratum_label("999999|P|差") == "999999 · 零售药店 · 差"  # unknown code: kept


@pytest.mark.parametrize(("ratio", "text"), [
    ([1, 20], "5%"), ([5, 100], "5%"), ([3, 200], "1.5%"), ([9, 1000], "0.9%"), ([1, 1], "100%"), ([0, 7], "0%"),
    ([1, 3], "约 33.3%"), ([7, 400], "约 1.8%"), ([1, 2000], "约 0.1%"), ([1, 100000], "不足 0.1%"),
    (Fraction(3, 40), "7.5%"),
])
def test_ratio_percent_has_one_decimal_at_most(ratio, text):
    assert wording.ratio_percent(ratio) == text


def test_every_rounding_rule_has_chinese_words():
    assert {r: wording.rounding_label(r) for r in core.ROUNDINGS} == {
        "ceil": "向上取整", "floor": "向下取整", "half_up": "四舍五入"}
    assert wording.rounding_label("其他") == "其他"


def test_draw_error_text_names_the_stratum_in_words(db):
    exc = core.DrawError("reserve_exhausted", "events[0]：层 '140522|H|差' 的候补名单已经用完，无法替换检查对象 H140522000001",
                         {"unit": "H140522000001", "stratum": "140522|H|差", "event": 0})
    assert wording.draw_error_text(exc) == "“阳城县 · 医疗机构 · 差”这一层的候补名单已经用完，无法替换检查对象 H140522000001"
    exc = core.DrawError("invalid_input", "events[2]：检查对象 H1 当前不在检查名单中，不能替换", {"event": 2})
    assert wording.draw_error_text(exc) == "检查对象 H1 当前不在检查名单中，不能替换"


def test_template_filters():
    html = Template("{% load draws_tags %}{{ h|stratum_label }}；{{ r|ratio_percent }}；{{ w|rounding_label }}").render(
        Context({"h": "140522|P|良好", "r": [3, 200], "w": "floor"}))
    assert html == f"{PHARMACIES}；1.5%；向下取整"


# --------------------------------------------------------------------------------------------
# where people read them


@pytest.fixture
def fresh():
    """An empty page cache (the portal's pages are cached)."""
    yield from f.fresh_cache()


def test_draw_pages_and_record_read_in_chinese(world, staffed, county_user, approver, fresh):
    # a revealed 阳城 draw (10 hospitals 中等, 4 pharmacies 良好) whose inspections have started
    draw = f.make_started(world, county_user, approver)
    package = json.dumps(draw.package, ensure_ascii=False)
    assert '"140522|H|中等"' in package and '"ceil"' in package  # the SC-DRAW-1 files keep their forms
    percents = {wording.ratio_percent(s["ratio"]) for s in draw.strata.values()}

    staff = login(county_user)
    page = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    for text in (HOSPITALS, PHARMACIES, "向上取整", *percents):
        assert text in page, text
    assert_plain(page, "staff draw page")

    reserve = staff.get(f"/draws/{draw.draw_id}/lists/reserve/").content.decode()
    assert HOSPITALS in reserve
    assert_plain(re.sub(r'value="[^"]*"', "", reserve), "reserve list")  # the filter's option values are ids

    public = Client().get(f"/portal/draws/{draw.draw_id}/").content.decode()
    assert HOSPITALS in public and PHARMACIES in public
    assert_plain(public, "portal draw page")

    record = docx_text(draw_record_docx(draw))
    for text in (HOSPITALS, PHARMACIES, "向上取整", "5%", *percents):
        assert text in record, text
    assert_plain(record, "draw record")

    committed = Client().get(f"/portal/draws/{draw.draw_id}/commitment.json").content
    assert b"140522|H|" in committed  # unchanged technical file


def test_exhausted_reserve_refusal_names_the_stratum(world, county_user, approver):
    for _ in range(3):
        f.institution(f.YANGCHENG, "H", credit_grade="差")  # full coverage: no reserve
    for _ in range(6):
        f.inspector(f.YANGCHENG, department=world.yb)
    draw = full_run(make_task(world, items=[world.general_h], slots=[(world.yb, 2)]), county_user, approver)
    unit = draw.assignments.filter(active=True).first().institution
    event = actions.request_event(county_user, draw, type="replace_unit", institution=unit, reason_kind="closed")
    with pytest.raises(actions.ActionRefused) as refused:
        actions.approve_event(approver, event)
    message = refused.value.message
    assert "“阳城县 · 医疗机构 · 差”这一层的候补名单已经用完" in message and unit.name in message, message
    assert_plain(message, "refusal")

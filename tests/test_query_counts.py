"""Query counts of the hot pages, pinned: each page is rendered with N rows and with 3N rows and must need
the same number of queries (nothing is looked up row by row), and no more than the number pinned here.

Pages: the staff draw page (``draws:detail``), the inspection record page on site (``inspections:record``),
the institution list (``directory:institution-list``), the public results (``portal:results``) and a credit
subject (``credit:subject``). Each page is requested once first, so the per-process caches (policy values,
content types) are warm and only the page's own queries are counted.

A pinned number may go down (then lower it here); when it has to go up, say why in the commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spotcheck.credit import actions as credit_actions
from spotcheck.inspections import actions as inspection_actions
from spotcheck.portal import actions as portal_actions
from tests import factories as f

pytestmark = pytest.mark.django_db

# The pinned maxima (queries of one GET, session and user included).
DRAW_PAGE = 24
RECORD_PAGE = 17  # the phone page (was 25 with N findings, 41 with 3N before the N+1 was fixed)
DETAIL_PAGE = 14  # the office page of the same record
INSTITUTION_LIST = 5
PORTAL_RESULTS = 9
CREDIT_SUBJECT = 15

N = 4


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _shape(sql: str) -> str:
    """A query with its literals blanked, so the same query for different rows counts as one."""
    return re.sub(r"\b\d+\b", "?", re.sub(r"'[^']*'", "?", sql))


def _repeated(queries: list[dict]) -> str:
    top = Counter(_shape(q["sql"]) for q in queries).most_common(2)
    return "; ".join(f"repeated {times}×: {shape}" for shape, times in top if times > 1) or "no query repeated"


def _render(client: Client, url: str) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return ctx


def assert_flat(client: Client, small_url: str, large_url: str, grow: Callable[[], None], limit: int,
                assert_max: Callable) -> None:
    """``small_url`` (N rows) and, after ``grow()``, ``large_url`` (3N rows) need the same number of queries,
    at most ``limit``."""
    client.get(small_url)  # warm the per-process caches
    small = _render(client, small_url)
    grow()
    client.get(large_url)
    large = _render(client, large_url)
    assert len(large) == len(small), (
        f"{len(small)} queries with {N} rows, {len(large)} with {3 * N}: {_repeated(large.captured_queries)}")
    with assert_max(limit):
        assert client.get(large_url).status_code == 200


# --- Data ---------------------------------------------------------------------------------------------


@pytest.fixture
def crowd(world):
    """Twenty hospitals (中等) and fourteen 医保局 / seven 市监局 inspectors in 阳城: enough for 3N teams."""
    hospitals = [f.institution(f.YANGCHENG, "H", credit_grade="中等") for _ in range(20)]
    yb = [f.inspector(f.YANGCHENG, department=world.yb) for _ in range(14)]
    sj = [f.inspector(f.YANGCHENG, department=world.sj) for _ in range(7)]
    return {"hospitals": hospitals, "yb": yb, "sj": sj}


def revealed_draw(world, units: int, percent: int, proposer, approver, name: str):
    """A revealed draw of ``units`` hospitals, ``percent`` of the pool (credit scaling off)."""
    task = f.make_task(world, items=[world.general_h], ratio_num=percent, ratio_den=100, credit_scaled=False,
                       name=name)
    draw = f.full_run(task, proposer, approver)
    assert draw.assignments.filter(active=True).count() == units
    return draw


# --- Pages --------------------------------------------------------------------------------------------


def test_draw_page(world, crowd, county_user, approver, django_assert_max_num_queries):
    small = revealed_draw(world, N, 20, county_user, approver, "小规模抽查")  # 20% of 20
    # the small draw's four are out of this pool (本年度已检查同一事项, listed as exclusions): 75% of 16
    large = revealed_draw(world, 3 * N, 75, county_user, approver, "大规模抽查")
    assert small.exclusions.count() == 0 and large.exclusions.count() == N
    assert_flat(login(county_user), reverse("draws:detail", args=[small.draw_id]),
                reverse("draws:detail", args=[large.draw_id]), lambda: None, DRAW_PAGE,
                django_assert_max_num_queries)


def test_inspection_record_page(hospital_inspection, team_user, django_assert_max_num_queries):
    insp = hospital_inspection
    inspection_actions.notify(team_user, insp)

    def findings(n: int) -> None:
        """``n`` findings, each with a photo, and one more photo of the whole inspection."""
        for i in range(n):
            fnd = inspection_actions.add_finding(team_user, insp, f.violation(insp.institution.kind),
                                                 f"重复收取床位费（第 {i + 1} 处）", Decimal("100"), True)
            inspection_actions.add_evidence(team_user, insp, f.upload(name=f"f{i}.jpg"), "photo", finding=fnd)
            inspection_actions.add_evidence(team_user, insp, f.upload(name=f"g{i}.jpg"), "photo")

    findings(N)
    url = reverse("inspections:record", args=[insp.pk])
    assert_flat(login(team_user), url, url, lambda: findings(2 * N), RECORD_PAGE, django_assert_max_num_queries)
    assert insp.findings.count() == 3 * N
    detail = reverse("inspections:detail", args=[insp.pk])
    client = login(team_user)
    assert_flat(client, detail, detail, lambda: findings(2 * N), DETAIL_PAGE, django_assert_max_num_queries)


def test_institution_list(county_user, django_assert_max_num_queries):
    def institutions(n: int) -> None:
        for i in range(n):
            inst = f.institution(f.YANGCHENG, "H" if i % 2 else "P", credit_grade="良好")
            f.conflict(f.inspector(f.YANGCHENG), inst)

    institutions(N)
    url = reverse("directory:institution-list")
    assert_flat(login(county_user), url, url, lambda: institutions(2 * N), INSTITUTION_LIST,
                django_assert_max_num_queries)


def test_portal_results(world, crowd, county_user, approver, django_assert_max_num_queries):
    draw = revealed_draw(world, 3 * N, 60, county_user, approver, "公示规模检查")  # 60% of 20
    f.start_inspections(draw.task)
    inspections = f.make_inspections(draw)
    for insp in inspections[:N]:
        portal_actions.publish(county_user, insp)

    def publish_rest() -> None:
        for insp in inspections[N:]:
            portal_actions.publish(county_user, insp)

    url = reverse("portal:results")
    assert_flat(Client(), url, url, publish_rest, PORTAL_RESULTS, django_assert_max_num_queries)
    assert f"共 {3 * N} 条" in Client().get(url).content.decode()


def test_credit_subject(county_user, django_assert_max_num_queries):
    subject = credit_actions.ensure_subject(county_user, f.institution(f.YANGCHENG, "H"))
    today = timezone.localdate()

    def records(n: int) -> None:
        """``n`` bad records (each with an objection) and ``n`` good ones."""
        for i in range(n):
            day = today - dt.timedelta(days=30 + i)
            bad = credit_actions.add_record(county_user, subject, record_type="penalty", severity="moderate",
                                            title=f"处罚{i}", occurred_on=day, recorded_on=day)
            credit_actions.file_objection(county_user, bad, "金额有误")
            credit_actions.add_record(county_user, subject, record_type="award", title=f"表彰{i}",
                                      occurred_on=day, recorded_on=day)
        credit_actions.evaluate_subject(county_user, subject)

    records(N)
    url = reverse("credit:subject", args=[subject.pk])
    assert_flat(login(county_user), url, url, lambda: records(2 * N), CREDIT_SUBJECT,
                django_assert_max_num_queries)

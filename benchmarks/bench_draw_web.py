"""Benchmark of the web draw workflow over 100,000 institutions; prints figures, asserts nothing.

Works on a throw-away copy of the cached demo database (``_setup.filled_template``: ``demo-data
--seed 1 --institutions 100000 --no-accounts``). Set-up (not timed): two users with ``draw`` and
``approve`` over the task area, an undirected task of that area (default 140000 山西省: every demo
area, i.e. all 100,000 institutions; ratio 3%, not credit-scaled, about 3,000 targets) through
``planning.actions``, teams from the 朔州市 departments (医保局 ×2, 市监局 ×1, 卫健委 ×1, at most
``cap`` = 3 institutions each). The demo staffs the city for one area's task, so extra certified
inspectors are added with ``bulk_create`` until every slot department can staff all targets.

Timed: the steps exactly as the views call them (``spotcheck.draws.actions``), the first user
proposing and the second approving: freeze → staffing check → propose/approve commit →
propose/approve reveal (SC-DRAW-1 compute, package and assignments stored). The staffing
simulation and the SC-DRAW-1 computation inside those steps are timed separately by wrapping
them. Then, outside the total: the revealed draw page and the package download through Django's
test ``Client`` (whole middleware stack, no network), after one warm-up request (the first request
of a process imports the URLconf and every view module, which a running server has long done).
Each step prints wall-clock seconds and the CPU seconds of this process (on a loaded machine the
wall clock also counts other processes; the CPU figure does not).

Run: .venv/bin/python benchmarks/bench_draw_web.py
Environment: BENCH_SIZE (default 100000), BENCH_SEED (default 1), BENCH_REGION (default 140000),
BENCH_RATIO (percent, default 3), BENCH_TODAY (YYYY-MM-DD, default today: the task runs 61 days from
30 days later, moved to 1 January when that would cross the year end), BENCH_DATABASE_URL (see _setup).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import _setup

SIZE = int(os.environ.get("BENCH_SIZE", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
REGION = os.environ.get("BENCH_REGION", "140000")
RATIO = os.environ.get("BENCH_RATIO", "3")
#: Team composition: (department name, people per team).
SLOTS = (("朔州市医疗保障局", 2), ("朔州市市场监督管理局", 1), ("朔州市卫生健康委员会", 1))
CAP = 3
#: Eligible inspectors per slot department: this share above the capacity minimum, plus a few.
STAFF_MARGIN = 0.10
SOURCE = "中国福利彩票双色球第2026135期开奖号码"
NUMBERS = "双色球 2026135: 03 07 12 19 25 31 + 09"
#: The day the task period is counted from (``BENCH_TODAY=YYYY-MM-DD`` pins it; default: today).
TODAY = dt.date.fromisoformat(os.environ["BENCH_TODAY"]) if os.environ.get("BENCH_TODAY") else dt.date.today()


@contextmanager
def wrapped(module: Any, name: str, spent: list[float]) -> Iterator[None]:
    """Time every call of ``module.name`` into ``spent`` while the block runs."""
    original: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def task_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The task's 61 days, from 30 days after ``today``, inside one calendar year (the plan's year).

    A window that would cross 31 December starts on 1 January of the next year instead (a task's
    start must lie in its plan's year, and the plan of a period spanning two years is ambiguous)."""
    start = today + dt.timedelta(days=30)
    if (start + dt.timedelta(days=60)).year != start.year:
        start = dt.date(start.year + 1, 1, 1)
    return start, start + dt.timedelta(days=60)


def make_task(staff: Any) -> Any:
    """The benchmark's plan and task, created through ``planning.actions`` as ``staff``."""
    from spotcheck.directory.models import Department
    from spotcheck.planning import actions as planning
    from spotcheck.planning.ratios import parse_percent

    start, end = task_period(TODAY)
    departments = Department.objects.in_bulk([name for name, _ in SLOTS], field_name="name")
    plan = planning.create_plan(staff, {"region_id": REGION, "year": start.year, "name": "基准测试计划"})
    num, den = parse_percent(RATIO)
    return planning.create_task(staff, plan, {
        "name": "基准测试：全域定点医药机构", "period_start": start,
        "period_end": end, "ratio_num": num, "ratio_den": den, "credit_scaled": False,
        "responsible_department": departments[SLOTS[0][0]], "cap": CAP,
    }, [planning.Slot(departments[name], count) for name, count in SLOTS])


def add_inspectors(task: Any) -> tuple[int, Counter[str]]:
    """Top up the slot departments with certified inspectors; returns (targets, added per department)."""
    from spotcheck.directory.models import Inspector, InspectorStatus
    from spotcheck.draws import actions, pool
    from spotcheck.draws.models import Draw

    frozen = pool.freeze_input(task)
    targets = sum(s["sample_size"] for s in actions.preview_sizes(Draw(units=frozen.units, strata=frozen.strata)).values())
    eligible = Counter(dept for _number, dept in frozen.teams["inspectors"])
    added: Counter[str] = Counter()
    rows = []
    for slot in task.slots.select_related("department"):
        dept = slot.department
        wanted = math.ceil(slot.count * targets / task.cap * (1 + STAFF_MARGIN)) + 2
        for i in range(1, wanted - eligible[dept.name] + 1):
            rows.append(Inspector(
                number=f"BX-{dept.pk}-{i:05d}", name=f"基准检查员{dept.pk}-{i}", department=dept,
                region_id=dept.region_id, cert_number=f"晋BENCH{dept.pk}{i:05d}",
                cert_valid_from=task.period_start - dt.timedelta(days=365),
                cert_valid_to=task.period_end + dt.timedelta(days=365), status=InspectorStatus.ON_DUTY,
            ))
            added[dept.name] += 1
    Inspector.objects.bulk_create(rows, batch_size=2_000)
    return targets, added


def run() -> None:
    from django.test import Client
    from django.urls import reverse

    from spotcheck import policy
    from spotcheck.accounts.models import Role, User
    from spotcheck.core import draw as core
    from spotcheck.core import staffing as core_staffing
    from spotcheck.directory.models import Institution
    from spotcheck.draws import actions
    from spotcheck.draws.models import AssignmentMember

    staff = User.objects.create_user(username="bench-draw-staff", role=Role.CITY_ADMIN, region_code=REGION)
    lead = User.objects.create_user(username="bench-draw-lead", role=Role.CITY_ADMIN, region_code=REGION)
    t0 = time.perf_counter()
    task = make_task(staff)
    targets, added = add_inspectors(task)
    print(f"set-up (not timed below): task {task.region_id} {task.percent_text}, "
          f"{Institution.objects.count():,} institutions in the database; added inspectors "
          + ", ".join(f"{d} {n:,}" for d, n in added.items()) + f" ({time.perf_counter() - t0:.1f} s)")

    steps: list[tuple[str, float]] = []
    simulation: list[float] = []
    compute: list[float] = []

    def step(label: str, call: Callable[[], Any]) -> Any:
        t, cpu = time.perf_counter(), time.process_time()
        result = call()
        steps.append((label, time.perf_counter() - t))
        print(f"  {label:<34}{steps[-1][1]:8.2f} s   (CPU {time.process_time() - cpu:.2f} s)", flush=True)
        return result

    runs = policy.get("draw.staffing_simulation_runs")
    with wrapped(core_staffing, "simulate", simulation), wrapped(core, "compute", compute):
        draw = step("freeze", lambda: actions.freeze(staff, task))
        n = sum(s["sample_size"] for s in actions.preview_sizes(draw).values())
        inspectors = Counter(dept for _number, dept in draw.teams["inspectors"])
        print(f"    N = {len(draw.units):,} units in {len(draw.strata)} strata, n = {n:,} targets "
              f"(set-up estimate {targets:,}), {draw.exclusions.count():,} excluded, "
              f"{len(draw.teams['exclusions']):,} exclusion pairs")
        print("    eligible inspectors: " + ", ".join(f"{d} {k:,}" for d, k in inspectors.items()))
        report = step("staffing check", lambda: actions.check_staffing(staff, draw))
        print(f"    of which simulation ({runs} runs): {sum(simulation):.2f} s; ok = {report['ok']}, "
              f"failures = {report['failures']}")
        if not report["ok"]:
            raise SystemExit(f"staffing check failed: {report['message']}")
        step("propose commit", lambda: actions.propose_commit(staff, draw, [SOURCE]))
        draw = step("approve commit (commitment)", lambda: actions.approve_commit(lead, draw))
        step("propose reveal", lambda: actions.propose_reveal(staff, draw, NUMBERS))
        draw = step("approve reveal (compute + store)", lambda: actions.approve_reveal(lead, draw))
    if draw.status != "revealed":
        raise SystemExit(f"draw {draw.status}: {draw.error_message}")
    places = AssignmentMember.objects.filter(assignment__draw=draw).count()
    print(f"    of which SC-DRAW-1 compute: {sum(compute):.2f} s; stored {draw.assignments.count():,} assignments "
          f"and {places:,} team places")
    total = sum(seconds for _label, seconds in steps)
    print(f"  {'total':<34}{total:8.2f} s   (target ≤ 10 s)")

    client = Client()
    client.force_login(staff)
    t = time.perf_counter()
    client.get(reverse("draws:index"))  # a running server has imported its URLconf and views already
    print(f"  {'(warm-up: first request, index)':<34}{time.perf_counter() - t:8.2f} s")
    for label, url in (("draw page (revealed), GET", reverse("draws:detail", args=[draw.draw_id])),
                       ("package download, GET", reverse("draws:package", args=[draw.draw_id]))):
        t, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        seconds = time.perf_counter() - t
        print(f"  {label:<34}{seconds:8.2f} s   (CPU {time.process_time() - cpu:.2f} s) HTTP {response.status_code}, "
              f"{len(response.content) / 1e6:.2f} MB")
    print(f"peak RSS {_setup.peak_rss_mb():.0f} MB")


def main() -> None:
    template = _setup.filled_template(SIZE, SEED)
    with _setup.working_copy(template) as url:
        _setup.start_django(url)
        print(_setup.machine())
        try:
            run()
        finally:
            from django.db import connections

            connections.close_all()


if __name__ == "__main__":
    main()

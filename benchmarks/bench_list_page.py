"""Benchmark of the directory list pages at 100,000 institutions; prints figures, asserts nothing.

Works on a throw-away copy of the cached demo database (``_setup.filled_template``: ``demo-data
--seed 1 --institutions 100000 --no-accounts``) and requests the pages in-process through Django's
test ``Client`` (the whole middleware stack, templates rendered; no network, no WSGI server), logged
in with ``force_login`` as a county user (阳城县), a city user (朔州市) and a system administrator.

For every case: a few warm-up requests, then ``BENCH_N`` (default 30) timed requests; the table shows
the rows the filter matches, p50 / p95 / max latency, and — from one more, untimed request under
``CaptureQueriesContext`` — the queries per request and the slowest of them. Then the Excel (and
CSV) export of a filtered list of about 3,000 rows is timed once each.

Run: .venv/bin/python benchmarks/bench_list_page.py [--sql]   (``--sql`` prints each case's slowest query)
Environment: BENCH_N, BENCH_SIZE (default 100000), BENCH_SEED (default 1), BENCH_DATABASE_URL (see _setup).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import _setup

SIZE = int(os.environ.get("BENCH_SIZE", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
N = int(os.environ.get("BENCH_N", "30"))
WARMUP = 3
#: A name fragment of the demo generator's chains (山西…医药连锁有限公司…店): a few thousand matches.
SEARCH = "连锁"
GRADE = "较差"
#: (username, role, region, the region filter used in its "area" case)
USERS = (
    ("bench-county", "county_staff", "140522", "140522"),
    ("bench-city", "city_admin", "140600", "140681"),
    ("bench-admin", "admin", "", "140600"),
)
#: The export case: 阳城县's 医疗机构 graded 良好 (about 3,000 rows at 100,000 institutions).
EXPORT_USER = "bench-county"
EXPORT_FILTER = {"kind": "H", "credit_grade": "良好"}


@dataclass
class Case:
    user: Any
    label: str
    page: str  # "institutions" | "inspectors"
    params: dict[str, str]


def cases(users: dict[str, Any]) -> list[Case]:
    out = []
    for username, _role, _region, area in USERS:
        user = users[username]
        who = username.removeprefix("bench-")
        out += [
            Case(user, f"{who} unfiltered", "institutions", {}),
            Case(user, f"{who} search q={SEARCH}", "institutions", {"q": SEARCH}),
            Case(user, f"{who} grade={GRADE}", "institutions", {"credit_grade": GRADE}),
            Case(user, f"{who} area={area}", "institutions", {"region": area}),
            Case(user, f"{who} sort by name", "institutions", {"ordering": "name"}),
            Case(user, f"{who} page=500", "institutions", {"page": "500"}),
            Case(user, f"{who} inspectors", "inspectors", {}),
        ]
    return out


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[max(0, math.ceil(p * len(sorted_ms)) - 1)]


def run(show_sql: bool) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from spotcheck.accounts.models import User
    from spotcheck.directory.filters import InspectorFilter, InstitutionFilter
    from spotcheck.directory.models import Inspector, Institution

    models: dict[str, tuple[Any, Any]] = {"institutions": (Institution, InstitutionFilter), "inspectors": (Inspector, InspectorFilter)}
    users = {
        username: User.objects.create_user(username=username, role=role, region_code=region)
        for username, role, region, _ in USERS
    }
    clients = {}
    for username, user in users.items():
        clients[username] = Client()
        clients[username].force_login(user)
    print(f"{Institution.objects.count():,} institutions, {Inspector.objects.count():,} inspectors; "
          f"{WARMUP} warm-up + {N} timed requests per case")
    header = f"{'case':<30}{'page':<13}{'rows':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}{'slowest q ms':>14}"
    print(header)
    print("-" * len(header))
    slow_sql = []
    for case in cases(users):
        model, filterset = models[case.page]
        matched = filterset(case.params, queryset=model.objects.restrict(case.user, "view")).qs.count()
        client = clients[case.user.username]
        url = reverse(f"directory:{case.page.removesuffix('s')}-list")
        for _ in range(WARMUP):
            client.get(url, case.params)
        times = []
        for _ in range(N):
            t0 = time.perf_counter()
            response = client.get(url, case.params)
            times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{case.label}: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, case.params)
        slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        times.sort()
        print(f"{case.label:<30}{case.page:<13}{matched:>8,}{percentile(times, .5):>9.1f}{percentile(times, .95):>9.1f}"
              f"{times[-1]:>9.1f}{len(ctx.captured_queries):>9}{float(slowest['time']) * 1000:>14.1f}", flush=True)
        slow_sql.append((case.label, slowest["sql"]))
    if show_sql:
        print("\nslowest query of each case:")
        for label, sql in slow_sql:
            print(f"  [{label}] {sql}")
    export(clients[EXPORT_USER], users[EXPORT_USER])


def export(client: Any, user: Any) -> None:
    """Time one export of the filtered list through the export view (xlsx, then csv)."""
    from django.urls import reverse

    from spotcheck.directory.filters import InstitutionFilter
    from spotcheck.directory.models import Institution

    rows = InstitutionFilter(EXPORT_FILTER, queryset=Institution.objects.restrict(user, "export")).qs.count()
    url = reverse("directory:export", args=["institutions"])
    print(f"\nexport of a filtered list ({user.username}, {EXPORT_FILTER}): {rows:,} rows")
    for fmt in ("xlsx", "csv"):
        t0 = time.perf_counter()
        response = client.get(url, {**EXPORT_FILTER, "format": fmt})
        seconds = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"export {fmt}: HTTP {response.status_code}")
        print(f"  {fmt:<5} {seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s  {len(response.content) / 1e6:6.2f} MB")


def main() -> None:
    template = _setup.filled_template(SIZE, SEED)
    with _setup.working_copy(template) as url:
        _setup.start_django(url)
        print(_setup.machine())
        try:
            run(show_sql="--sql" in sys.argv[1:])
        finally:
            from django.db import connections

            connections.close_all()


if __name__ == "__main__":
    main()

"""Load benchmark of the public portal (issue 5 §6): gunicorn + production settings, 50 concurrent
connections, throughput and p50/p99 latency; prints figures, asserts nothing.

Database (cached like the other benchmarks, see ``_setup``): a migrated database plus, bulk-inserted,
``BENCH_PORTAL_RESULTS`` (default 100,000) published results: ``RESULTS / 2`` institutions over the
seven demo areas (朔州市 six counties and 阳城县), each inspected and published in two years (2025,
2026) through one task and one revealed draw per area and year; about 35 % of the results have one or
two findings; 1 % of the publications are corrected (a version 2 supersedes version 1). Rows are
written with ``bulk_create`` (no audit events: this measures reading). The policy
``portal.rate_limit_per_minute`` is set to 0 (off) because every request comes from 127.0.0.1; a real
deployment keeps the per-IP limit. SQLite file ``var/bench/portal_n<N>_<state>.sqlite3`` by default,
PostgreSQL with ``BENCH_DATABASE_URL`` (as in ``_setup``). The measured server works on a throw-away
copy.

Server: ``gunicorn spotcheck.wsgi:application --workers W --preload --bind 127.0.0.1:<port>`` with
``DJANGO_SETTINGS_MODULE=spotcheck.settings.prod`` as in docs/deploy.md (random 60-character secret
key, ``SPOTCHECK_ALLOWED_HOSTS=127.0.0.1``, a fresh cache directory); W = 2 × cores + 1 (gunicorn's rule)
unless ``BENCH_PORTAL_WORKERS``. Requests carry ``X-Forwarded-Proto: https`` as the HTTPS gateway in front
of it would, so the SSL redirect stays on and is not triggered.

Load: wrk (``scripts/ensure-bench-deps.sh`` installs it; without it ``BENCH_PORTAL_CONCURRENCY`` Python
threads with ``http.client``), ``BENCH_PORTAL_CONCURRENCY`` (default 50) connections, closed loop without
think time. After a 3 s warm-up on pages outside the scenarios, each scenario runs twice for
``BENCH_PORTAL_SECONDS`` (default 30): *cold* (none of its pages in the page cache, as right after a
publication) and *steady* (the cache as the cold run left it); ``BENCH_PORTAL_PAGE_CACHE=0`` instead runs
once with the page cache off:

- ``search``: the result search page ``/portal/results/`` with a name search, area, year and result
  filters and pages 1-5, in a fixed random mix;
- ``institution``: institution pages ``/portal/institutions/<code>/`` of random institutions;
- ``stats``: the statistics page ``/portal/stats/`` with random year/area filters (cached a minute).

Run: .venv/bin/python benchmarks/bench_portal_load.py
Quick run (smaller database, shorter phases):
BENCH_PORTAL_RESULTS=20000 BENCH_PORTAL_SECONDS=10 .venv/bin/python benchmarks/bench_portal_load.py
Environment: BENCH_PORTAL_RESULTS, BENCH_PORTAL_SECONDS, BENCH_PORTAL_CONCURRENCY, BENCH_PORTAL_WORKERS,
BENCH_PORTAL_SCENARIOS (comma separated, default search,institution,stats), BENCH_PORTAL_PAGE_CACHE,
BENCH_DATABASE_URL.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import _setup

RESULTS = int(os.environ.get("BENCH_PORTAL_RESULTS", "100000"))
SECONDS = float(os.environ.get("BENCH_PORTAL_SECONDS", "30"))
CONCURRENCY = int(os.environ.get("BENCH_PORTAL_CONCURRENCY", "50"))
WORKERS = int(os.environ.get("BENCH_PORTAL_WORKERS", "0")) or 2 * (os.cpu_count() or 1) + 1
SCENARIOS = [s for s in os.environ.get("BENCH_PORTAL_SCENARIOS", "search,institution,stats").split(",") if s]
YEARS = (2025, 2026)
TARGET_P99_MS = 300.0
WARMUP_SECONDS = 3.0
#: Pages the warm-up requests: none of them is in a scenario.
WARMUP_URLS = ["/portal/", "/portal/verify/", "/portal/tasks/", "/portal/data/", "/portal/items/"]
PAGE_CACHE = os.environ.get("BENCH_PORTAL_PAGE_CACHE", "1") != "0"
SEARCH_TERMS = ("人民医院", "卫生院", "大药房", "中医", "诊所", "社区卫生服务中心", "第12", "连锁")


# --------------------------------------------------------------------------------------------
# building the database (runs in a subprocess with DATABASE_URL pointing at a migrated copy)


def build(total: int) -> None:  # noqa: C901 — one linear script
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from spotcheck.accounts.models import Role, User
    from spotcheck.core.codes import make_fixmedins_code, make_uscc
    from spotcheck.demo import generator as demo
    from spotcheck.directory.models import Department, DepartmentKind, Institution, Region
    from spotcheck.draws.models import Assignment, Draw, DrawStatus
    from spotcheck.inspections.models import Finding, Inspection, InspectionStatus, ResultType, ViolationType
    from spotcheck.planning.models import CheckItem, ItemList, ItemType, Plan, Task
    from spotcheck.policy.models import PolicySetting
    from spotcheck.portal.models import Publication

    rng = random.Random(20261123)
    per_year = total // len(YEARS)
    areas = list(demo.AREAS)
    regions = {r.code: r for r in Region.objects.filter(code__in=[a.code for a in areas]).select_related("parent")}
    labels = dict(ResultType.choices)
    grades = ["优秀", "良好", "良好", "中等", "中等", "较差", "差", ""]
    kinds = {"H": ("hospital", ["人民医院", "中医医院", "卫生院", "社区卫生服务中心", "诊所", "门诊部", "口腔诊所"]),
             "P": ("pharmacy", ["大药房", "连锁药店", "药店", "医药超市"])}
    violations = {k: list(ViolationType.objects.filter(kind=k)) for k in ("H", "P")}
    for k in ("H", "P"):
        if not violations[k]:
            violations[k] = [ViolationType.objects.create(kind=k, seq=1, name="重复收费", act_code="38-duplicate-charge",
                                                          article=38)]
    now = timezone.now()
    with transaction.atomic():
        publisher = User.objects.create_user("bench-publisher", password=secrets.token_urlsafe(16),
                                             role=Role.CITY_ADMIN, region_code=demo.CITY_CODE)
        PolicySetting.objects.create(key="portal.rate_limit_per_minute", value=0, effective_from=dt.date(2000, 1, 1),
                                     note="负载基准：所有请求来自 127.0.0.1，关闭每 IP 限流")
        # institutions, spread evenly over the areas
        counts = [per_year // len(areas) + (1 if i < per_year % len(areas) else 0) for i in range(len(areas))]
        by_area: dict[str, list[Institution]] = {}
        for area, count in zip(areas, counts, strict=True):
            rows = []
            for n in range(1, count + 1):
                kind = "H" if n % 5 < 3 else "P"
                category, suffixes = kinds[kind]
                name = f"{area.short}{rng.choice(area.towns)[:2]}{n}号{rng.choice(suffixes)}"
                rows.append(Institution(
                    fixmedins_code=make_fixmedins_code(kind, area.code, n), name=name[:100],
                    uscc=make_uscc(area.code, n), kind=kind, category=category, region_id=area.code,
                    address=f"{area.name}{rng.choice(area.streets)}{n}号",
                    contract_status="active" if n % 33 else "terminated", credit_grade=rng.choice(grades),
                ))
            by_area[area.code] = Institution.objects.bulk_create(rows, batch_size=2000)
        pubs_written = 0
        for year in YEARS:
            for area in areas:
                region = regions[area.code]
                dept, _ = Department.objects.get_or_create(
                    name=f"{area.name}医疗保障局（基准）",
                    defaults={"region": region, "kind": DepartmentKind.HEALTHCARE_SECURITY})
                il = ItemList.objects.create(region=region, year=year, name=f"{year}年度随机抽查事项清单")
                items = [CheckItem.objects.create(item_list=il, seq=s, category="医保基金使用", name=name,
                                                  target="定点医药机构", target_kind=tk, item_type=ItemType.GENERAL)
                         for s, (name, tk) in enumerate((("定点医疗机构医保基金使用情况", "H"),
                                                         ("定点零售药店医保基金使用情况", "P")), start=1)]
                plan = Plan.objects.create(region=region, year=year, name=f"{area.name}{year}年度抽查计划", item_list=il)
                task = Task.objects.create(
                    plan=plan, region=region, name=f"{area.name}{year}年度医保基金监管随机抽查", period_start=dt.date(year, 4, 1),
                    period_end=dt.date(year, 9, 30), ratio_num=5, ratio_den=100, responsible_department=dept,
                )
                task.items.set(items)
                draw = Draw.objects.create(
                    draw_id=f"{year}-{area.code}-B01", task=task, year=year, seq=1, status=DrawStatus.REVEALED,
                    frozen_at=now, commitment={"draw_id": f"{year}-{area.code}-B01"}, revealed_at=now,
                )
                insts = by_area[area.code]
                snapshot_task = {"id": task.pk, "name": task.name, "plan": plan.name, "year": year,
                                 "period_start": task.period_start.isoformat(),
                                 "period_end": task.period_end.isoformat(), "method": task.method}
                snapshot_items = [{"id": i.pk, "category": i.category, "name": i.name} for i in items]
                for start in range(0, len(insts), 2000):
                    chunk = insts[start:start + 2000]
                    assigns = Assignment.objects.bulk_create(
                        [Assignment(draw=draw, institution=inst, stratum=f"{area.code}|{inst.kind}|{inst.credit_grade}",
                                    position=start + i) for i, inst in enumerate(chunk)])
                    results = [rng.choices(ResultType.values, weights=(65, 25, 2, 8))[0] for _ in chunk]
                    ended = [dt.date(year, 4, 1) + dt.timedelta(days=rng.randrange(150)) for _ in chunk]
                    inspections = Inspection.objects.bulk_create([
                        Inspection(assignment=a, task=task, institution=inst, region=region,
                                   status=InspectionStatus.PUBLISHED, started_on=e, ended_on=e, due_date=e + dt.timedelta(days=20),
                                   result_type=r, handling="" if r == "no_problem" else "责令改正，退回违规费用",
                                   result_notice_number=f"医保检结〔{year}〕{start + i + 1}号", published_at=now)
                        for i, (a, inst, r, e) in enumerate(zip(assigns, chunk, results, ended, strict=True))])
                    findings, summaries = [], []
                    for insp, inst, r in zip(inspections, chunk, results, strict=True):
                        summary: list[dict[str, Any]] = []
                        if r != "no_problem":
                            for _ in range(rng.choice((1, 1, 2))):
                                vt = rng.choice(violations[inst.kind])
                                amount = Decimal(rng.randrange(100, 500000)) / 100
                                findings.append(Finding(inspection=insp, violation_type=vt, act_code=vt.act_code,
                                                        article=vt.article, description="基准数据", amount=amount,
                                                        decided_treatment="依法处罚"))
                                summary.append({"violation_type": vt.name, "article": vt.article, "count": 1,
                                                "amount": f"{amount:.2f}"})
                        summaries.append(summary)
                    Finding.objects.bulk_create(findings, batch_size=2000)
                    pubs = []
                    for insp, inst, r, summary in zip(inspections, chunk, results, summaries, strict=True):
                        total_amount = sum((Decimal(s["amount"]) for s in summary), Decimal("0"))
                        snap = {
                            "schema": 1,
                            "institution": {"fixmedins_code": inst.fixmedins_code, "name": inst.name,
                                            "kind": inst.get_kind_display(), "category": inst.get_category_display(),
                                            "region_code": area.code, "region_name": area.name},
                            "area": {"code": area.code, "name": f"{area.city}{area.name}"},
                            "task": snapshot_task, "items": snapshot_items,
                            "inspection": {"started_on": insp.started_on.isoformat(), "ended_on": insp.ended_on.isoformat(),
                                           "result_notice_number": insp.result_notice_number},
                            "result_type": r, "result_label": str(labels[r]), "handling": insp.handling,
                            "findings": summary, "findings_count": len(summary), "findings_amount": f"{total_amount:.2f}",
                            "team": [{"department": dept.name}],
                        }
                        published = timezone.make_aware(dt.datetime.combine(insp.ended_on + dt.timedelta(days=rng.randrange(25)),
                                                                            dt.time(10)))
                        pubs.append(Publication(
                            inspection=insp, version=1, snapshot=snap, task=task, institution=inst,
                            institution_region_id=inst.region_id, region=region,
                            year=year, result_type=r, published_by=publisher, published_at=published,
                            deadline=insp.due_date, met_deadline=published.date() <= insp.due_date))
                    pubs = Publication.objects.bulk_create(pubs)
                    corrections = []
                    for p in pubs:
                        if rng.random() < 0.01:
                            snap = {**p.snapshot, "handling": "更正：" + (p.snapshot["handling"] or "无")}
                            corrections.append(Publication(
                                inspection_id=p.inspection_id, version=2, snapshot=snap, task=task, institution_id=p.institution_id,
                                institution_region_id=p.institution_region_id,
                                region=region, year=year, result_type=p.result_type, published_by=publisher,
                                published_at=p.published_at + dt.timedelta(days=3), deadline=p.deadline,
                                met_deadline=p.met_deadline, supersedes=p, correction_reason="更正处理情况表述"))
                    Publication.objects.bulk_create(corrections)
                    pubs_written += len(pubs) + len(corrections)
        print(f"[build] {Institution.objects.count():,} institutions, {Inspection.objects.count():,} inspections, "
              f"{Finding.objects.count():,} findings, {pubs_written:,} publications", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics for the bulk-written tables (autovacuum lags)
        cursor.execute("ANALYZE")


def template() -> str:
    """The cached database with ``RESULTS`` published results (built on a copy of the migrated one)."""
    st = _setup.store()
    name = f"portal_n{RESULTS}_{_setup.state_hash()}"
    for old in st.names():  # this benchmark's templates of an older state
        if old.startswith("portal_n") and not old.endswith(_setup.state_hash()):
            st.drop(old)

    def run(url: str) -> None:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": _setup.SETTINGS}
        subprocess.run([sys.executable, __file__, "--build", str(RESULTS)], env=env, cwd=_setup.ROOT, check=True)

    return _setup._ensure(name, run, base=_setup.empty_template())


def sample_urls(url: str) -> dict[str, list[str]]:
    """The request mix of each scenario (read from the database in a subprocess)."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": _setup.SETTINGS}
    out = subprocess.run([sys.executable, __file__, "--sample"], env=env, cwd=_setup.ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def sample() -> dict[str, list[str]]:
    from spotcheck.demo import generator as demo
    from spotcheck.portal.models import Publication

    rng = random.Random(7)
    codes = list(Publication.objects.order_by().values_list("institution__fixmedins_code", flat=True).distinct())
    areas = ["", demo.CITY_CODE, *(a.code for a in demo.AREAS)]
    search = []
    for _ in range(400):
        params = []
        if rng.random() < 0.6:
            params.append("q=" + quote(rng.choice(SEARCH_TERMS)))
        if rng.random() < 0.5:
            params.append("area=" + rng.choice(areas[1:]))
        if rng.random() < 0.4:
            params.append(f"year={rng.choice(YEARS)}")
        if rng.random() < 0.2:
            params.append("result=" + rng.choice(["corrected", "pending", "no_problem"]))
        if rng.random() < 0.3:
            params.append(f"page={rng.randint(2, 5)}")
        search.append("/portal/results/" + ("?" + "&".join(params) if params else ""))
    institution = [f"/portal/institutions/{c}/" for c in rng.sample(codes, min(2000, len(codes)))]
    stats = []
    for _ in range(100):
        params = [p for p in (f"year={rng.choice(YEARS)}" if rng.random() < 0.6 else "",
                              f"area={rng.choice(areas[1:])}" if rng.random() < 0.5 else "") if p]
        stats.append("/portal/stats/" + ("?" + "&".join(params) if params else ""))
    return {"search": search, "institution": institution, "stats": stats}


# --------------------------------------------------------------------------------------------
# server and load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept": "text/html", "User-Agent": "bench-portal-load"}


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, int]:
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        body = response.read()
        if response.will_close:
            conn.close()
        return response.status, len(body)
    except (OSError, http.client.HTTPException):
        conn.close()
        return 0, 0


def start_server(url: str, port: int, log: Path, cache_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "spotcheck.settings.prod",
        "SPOTCHECK_SECRET_KEY": secrets.token_urlsafe(60), "SPOTCHECK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SPOTCHECK_CACHE_DIR": cache_dir,
    }
    if not PAGE_CACHE:
        env["SPOTCHECK_PORTAL_CACHE_SECONDS"] = "0"
    cmd = [sys.executable, "-m", "gunicorn", "spotcheck.wsgi:application", "--workers", str(WORKERS),
           "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--preload"]
    print("[server] " + " ".join(["gunicorn", *cmd[3:]]) + "  (DJANGO_SETTINGS_MODULE=spotcheck.settings.prod)", flush=True)
    proc = subprocess.Popen(cmd, env=env, cwd=_setup.ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, _ = get(conn, "/portal/")
        conn.close()
        if status == 200:
            return proc
        if status:
            raise RuntimeError(f"/portal/ answered {status}:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer within 90 s")


WRK_SCRIPT = r"""
-- requests a random path of the file named by WRK_PATHS (one per line); prints the figures as JSON
local paths = {}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
  math.randomseed(seed or 1)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)], HEADERS)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK-JSON {"requests": %d, "us": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d, ' ..
    '"mean": %.1f, "bytes": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def drive_wrk(wrk: str, port: int, urls: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    """Closed-loop load with wrk (C, event loop: it needs a few % of one core, so the server gets the
    machine): ``concurrency`` connections on 2 threads requesting random ``urls`` for ``seconds``."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "paths.txt"
        paths.write_text("\n".join(urls) + "\n", encoding="utf-8")
        lua = Path(tmp) / "portal.lua"
        headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in HEADERS.items()) + "}"
        lua.write_text(f"HEADERS = {headers}\n" + WRK_SCRIPT, encoding="utf-8")
        cmd = [wrk, "-t", "2", "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(lua), f"http://127.0.0.1:{port}"]
        out = subprocess.run(cmd, env={**os.environ, "WRK_PATHS": str(paths)}, capture_output=True, text=True,
                             check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    d = json.loads(line[len("WRK-JSON "):])
    elapsed = d["us"] / 1e6
    errors = {k: d[k] for k in ("connect", "read", "write", "timeout") if d[k]}
    statuses = {200: d["requests"] - d["non2xx"] - sum(errors.values())}
    if d["non2xx"]:
        statuses[-1] = d["non2xx"]  # wrk counts non-2xx/3xx responses without telling which
    statuses.update({0: sum(errors.values())} if errors else {})
    return {"requests": d["requests"], "seconds": elapsed, "rps": d["requests"] / elapsed if elapsed else 0.0,
            "p50": d["p50"] / 1000, "p90": d["p90"] / 1000, "p99": d["p99"] / 1000, "max": d["max"] / 1000,
            "mean": d["mean"] / 1000, "statuses": statuses, "kb": d["bytes"] / max(d["requests"], 1) / 1024}


def drive_threads(port: int, urls: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    """Fallback without wrk: closed-loop load from ``concurrency`` Python threads (``http.client``), which
    themselves need most of a core: the server then has less of the machine than with wrk."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[dict[int, int]] = [{} for _ in range(concurrency)]
    bytes_read = [0] * concurrency
    start_at = time.perf_counter() + 0.2
    stop_at = start_at + seconds
    barrier = threading.Barrier(concurrency)

    def worker(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        while time.perf_counter() < start_at:
            time.sleep(0.001)
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            status, size = get(conn, rng.choice(urls))
            latencies[i].append(time.perf_counter() - t0)
            statuses[i][status] = statuses[i].get(status, 0) + 1
            bytes_read[i] += size
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start_at
    lat = sorted(x for xs in latencies for x in xs)
    status_total: dict[int, int] = {}
    for d in statuses:
        for k, v in d.items():
            status_total[k] = status_total.get(k, 0) + v

    def pct(p: float) -> float:
        return 1000 * lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] if lat else float("nan")

    return {"requests": len(lat), "seconds": elapsed, "rps": len(lat) / elapsed if elapsed else 0.0,
            "p50": pct(50), "p90": pct(90), "p99": pct(99), "max": 1000 * lat[-1] if lat else float("nan"),
            "mean": 1000 * statistics.fmean(lat) if lat else float("nan"), "statuses": status_total,
            "kb": sum(bytes_read) / max(len(lat), 1) / 1024}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] in ("--build", "--sample"):
        _setup.start_django(os.environ["DATABASE_URL"])
        if sys.argv[1] == "--build":
            build(int(sys.argv[2]))
        else:
            print(json.dumps(sample()))
        return 0

    print(f"[machine] {_setup.machine()}", flush=True)
    print(f"[config] results={RESULTS:,} seconds={SECONDS:g} concurrency={CONCURRENCY} workers={WORKERS} "
          f"scenarios={','.join(SCENARIOS)}", flush=True)
    name = template()
    wrk = shutil.which("wrk")
    if wrk:
        print(f"[load] wrk ({wrk}), 2 threads, {CONCURRENCY} connections", flush=True)
    else:
        print("[load] wrk not found (scripts/ensure-bench-deps.sh installs it): Python threads instead, which take "
              "CPU from the server — figures are lower than with wrk", flush=True)

    def drive(port: int, urls: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
        if wrk:
            return drive_wrk(wrk, port, urls, seconds, concurrency)
        return drive_threads(port, urls, seconds, concurrency)

    rows = []
    with _setup.working_copy(name) as url, tempfile.TemporaryDirectory(prefix="portal-cache-") as cache_dir:
        urls = sample_urls(url)
        port = free_port()
        log = Path(_setup.CACHE_DIR) / f"gunicorn-portal-{os.getpid()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        server = start_server(url, port, log, cache_dir)
        try:
            # Warm the processes (imports, connections, templates) on pages outside the scenarios, so each
            # scenario starts with none of its pages in the page cache.
            drive(port, WARMUP_URLS, WARMUP_SECONDS, min(CONCURRENCY, WORKERS * 2))
            for scenario in SCENARIOS:
                phases = ("cold", "steady") if PAGE_CACHE else ("no page cache",)
                for phase in phases:
                    r = drive(port, urls[scenario], SECONDS, CONCURRENCY)
                    ok = r["statuses"].get(200, 0)
                    verdict = "met" if r["p99"] < TARGET_P99_MS else "MISSED"
                    print(f"[{scenario}, {phase}] {r['requests']:,} requests in {r['seconds']:.1f} s = {r['rps']:.1f} "
                          f"req/s; latency ms p50 {r['p50']:.0f} p90 {r['p90']:.0f} p99 {r['p99']:.0f} max {r['max']:.0f} "
                          f"mean {r['mean']:.0f}; statuses {r['statuses']}; {r['kb']:.1f} KB/response; "
                          f"p99 target {TARGET_P99_MS:.0f} ms {verdict}", flush=True)
                    rows.append((scenario, phase, r, ok, verdict))
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
            errors = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line or "Traceback" in line]
            if errors:
                print("[server] errors in the gunicorn log:\n  " + "\n  ".join(errors[:20]), flush=True)
            log.unlink(missing_ok=True)
    print("\n| scenario | page cache | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-200 | p99 < 300 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for scenario, phase, r, ok, verdict in rows:
        print(f"| {scenario} | {phase} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p90']:.0f} | "
              f"{r['p99']:.0f} | {r['max']:.0f} | {r['requests'] - ok} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of ``spotcheck audit verify`` (chain + data) at 100,000 institutions and 500,000 events.

Database: the cached demo template (``_setup.filled_template``: ``demo-data --institutions N --no-accounts``,
one audit event with the row's state per generated row) topped up to ``EVENTS_PER_INSTITUTION`` × N audit
events in total by realistic writes: rounds over every institution, each a real change of 备注 (``notes``)
written with ``bulk_update`` in chunks of 5,000 rows, followed in the same action by one ``update`` event
per row through ``record_many`` (``Pending.of`` captures the fresh state), so the data stays equal to
the chain. The topped-up database is cached as a derived template (``demo_s<seed>_n<N>_e<events>…``,
same state hash and clean-up as ``_setup``'s templates); building it is printed by ``[setup]`` lines.

Measured, each in its own subprocess on a throw-away copy:

1. ``spotcheck.audit.verify.verify_all()`` at N and at a smaller size (``BENCH_SMALL``, default N/4):
   wall time of the whole and of its two passes (the chain pass ``verify_chain`` and the data pass
   ``verify_data``, timed by wrapping them), events/s and rows/s, and memory. Memory is given twice:
   ``peak RSS`` (``getrusage``; it includes the SQLite file pages mapped by ``PRAGMA mmap_size`` = 256 MB,
   which are page cache, not the process's own memory) and ``peak anon`` (the highest ``RssAnon`` of
   ``/proc/self/status`` sampled every 20 ms: the Python heap and SQLite's private cache). Both are
   given as growth over the baseline after Django's set-up. Bounded memory means the growth is about the
   same at both sizes.
2. Detection: one raw SQL ``UPDATE`` of one institution's name (behind the application), then the
   ``audit verify`` command (``call_command``): it must exit with an error naming the row; the first
   difference line and the time are printed (a sanity check, not an assertion on time).

Target (issue 11): ≤ 60 s for 100,000 institutions and 500,000 events on the 2-core machine.

Run: .venv/bin/python benchmarks/bench_audit_verify.py
Environment: BENCH_SIZE (default 100000), BENCH_SMALL (default BENCH_SIZE // 4, 0 skips the small run),
BENCH_SEED (default 1), BENCH_DATABASE_URL (see _setup), BENCH_PROFILE=1 (cProfile of the big run's
verify, top functions printed; the profiler slows it down, so the figures of that run are not the timing).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import _setup

SIZE = int(os.environ.get("BENCH_SIZE", "100000"))
SMALL = int(os.environ.get("BENCH_SMALL", str(SIZE // 4)))
SEED = int(os.environ.get("BENCH_SEED", "1"))
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
#: Audit events in the database per institution (100,000 institutions → 500,000 events).
EVENTS_PER_INSTITUTION = 5
CHUNK = 5_000
TARGET_S = 60.0
ACTOR = "bench-audit-verify"
#: Bump when the top-up changes, so cached derived templates are rebuilt.
TOPUP_VERSION = 1


# --------------------------------------------------------------------------------------------
# memory


def rss_anon_mb() -> float:
    """``RssAnon`` of this process now, in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class AnonPeak:
    """Samples ``RssAnon`` every ``interval`` seconds in a daemon thread; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval, self.peak = interval, rss_anon_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_anon_mb())

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon_mb())


@contextmanager
def wrapped(module: Any, name: str, spent: dict[str, float], key: Callable[..., str] | None = None) -> Iterator[None]:
    """Add the time of every call of ``module.name`` to ``spent[key(*args)]`` (default: ``name``)."""
    original: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            k = key(*args) if key else name
            spent[k] = spent.get(k, 0.0) + time.perf_counter() - t0

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


# --------------------------------------------------------------------------------------------
# the steps (each in its own process)


def step_topup(db: str, target: str) -> dict[str, Any]:
    """Append ``update`` events (a real 备注 change each) until the chain holds ``target`` events."""
    _setup.start_django(db)
    from spotcheck.audit.actions import Pending, record_many
    from spotcheck.audit.models import AuditEvent
    from spotcheck.base.transactions import action
    from spotcheck.directory.models import Institution

    @action
    def review_notes(chunk: list[Institution], round_no: int) -> int:
        before = [inst.notes for inst in chunk]
        for inst in chunk:
            inst.notes = f"{round_no} 轮年度核查：资料齐全（{inst.fixmedins_code}）"
        Institution.objects.bulk_update(chunk, ["notes"], batch_size=1000)
        return record_many(ACTOR, [
            Pending.of(inst, "update", before={"notes": old}, after={"notes": inst.notes},
                       reason="年度核查备注（基准测试）", region_code=inst.region_id, object_repr=str(inst))
            for inst, old in zip(chunk, before, strict=True)
        ])

    t0 = time.perf_counter()
    need = int(target) - AuditEvent.objects.count()
    written, round_no = 0, 0
    while written < need:
        round_no += 1
        last = 0
        while written < need:
            chunk = list(Institution.objects.filter(pk__gt=last).order_by("pk")[:min(CHUNK, need - written)])
            if not chunk:
                break
            last = chunk[-1].pk
            written += review_notes(chunk, round_no)
    return {"written": written, "rounds": round_no, "seconds": time.perf_counter() - t0,
            "events": AuditEvent.objects.count()}


def step_verify(db: str) -> dict[str, Any]:
    """Time ``verify_all()`` and its two passes; peak RSS and peak anonymous RSS over the baseline."""
    _setup.start_django(db)
    import gc

    from django.db import connection

    from spotcheck.audit import verify
    from spotcheck.audit.models import AuditEvent
    from spotcheck.directory.models import Institution

    institutions, events = Institution.objects.count(), AuditEvent.objects.count()
    connection.close()  # the measured run opens its own connection, as the command does
    gc.collect()
    base_rss, base_anon = _setup.peak_rss_mb(), rss_anon_mb()
    spent: dict[str, float] = {}
    tables: dict[str, float] = {}
    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
    with AnonPeak() as anon, wrapped(verify, "verify_chain", spent), wrapped(verify, "verify_data", spent), \
            wrapped(verify, "_check_table", tables, key=lambda spec, *_: spec.label):
        t0, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        report = verify.verify_all()
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
    result = {
        "institutions": institutions, "events": events, "ok": report.ok, "seconds": seconds, "cpu": cpu,
        "chain_s": spent.get("verify_chain", 0.0), "data_s": spent.get("verify_data", 0.0),
        "checked": report.chain.checked, "rows": report.data.rows if report.data else 0,
        "tables": report.data.tables if report.data else 0,
        "first": report.data.differences[0].describe() if report.data and report.data.differences else
        ("" if report.chain.ok else report.chain.problem),
        "slowest_tables": sorted(tables.items(), key=lambda kv: -kv[1])[:4],
        "rss_base": base_rss, "rss_peak": _setup.peak_rss_mb(), "anon_base": base_anon, "anon_peak": anon.peak,
    }
    if profiler:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        result["profile"] = out.getvalue()
    return result


def step_detect(db: str) -> dict[str, Any]:
    """Change one institution's name by raw SQL, then run the ``audit verify`` command."""
    _setup.start_django(db)
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.db import connection

    from spotcheck.directory.models import Institution

    ids = Institution.objects.order_by("pk").values_list("pk", flat=True)
    pk = ids[ids.count() // 2]
    code, name = Institution.objects.filter(pk=pk).values_list("fixmedins_code", "name").get()
    table = connection.ops.quote_name(Institution._meta.db_table)
    with connection.cursor() as cur:
        column = connection.ops.quote_name(Institution._meta.pk.column)
        cur.execute(f"UPDATE {table} SET name = %s WHERE {column} = %s", [name + "（已篡改）", pk])
    out, err = StringIO(), StringIO()
    t0 = time.perf_counter()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        error = ""
    except CommandError as exc:
        error = str(exc)
    seconds = time.perf_counter() - t0
    lines = [line.strip() for line in err.getvalue().splitlines() if line.strip()]
    return {"code": code, "seconds": seconds, "detected": bool(error) and any(code in line for line in lines),
            "first": lines[0] if lines else "", "error": error, "stdout": out.getvalue().strip()}


def run_step(*args: str) -> dict[str, Any]:
    return _setup.run_step(__file__, *args)


# --------------------------------------------------------------------------------------------
# the orchestration (no Django in this process)


def audit_template(size: int) -> str:
    """The demo template of ``size`` institutions topped up to ``EVENTS_PER_INSTITUTION × size`` events."""
    events = EVENTS_PER_INSTITUTION * size
    base = _setup.filled_template(size, SEED)

    def build(url: str) -> None:
        r = run_step("topup", url, str(events))
        print(f"[setup] top-up: {r['written']:,} update events in {r['rounds']} rounds over the institutions,"
              f" {r['seconds']:.1f} s; {r['events']:,} events in all", flush=True)

    name = f"demo_s{SEED}_n{size}_e{events}v{TOPUP_VERSION}_{_setup.state_hash()}"
    return _setup._ensure(name, build, base=base)


def orchestrate() -> None:
    sizes = sorted({s for s in (SMALL, SIZE) if s > 0})
    templates = {size: audit_template(size) for size in sizes}
    print(_setup.machine())
    results: dict[int, dict[str, Any]] = {}
    detection: dict[str, Any] = {}
    for size in sizes:
        with _setup.working_copy(templates[size]) as db:
            results[size] = r = run_step("verify", db)
            if not r["ok"]:
                print(f"NOTE: verify found a problem on the untouched copy at {size:,}: {r['first']}")
            if size == SIZE:
                detection = run_step("detect", db)

    print("\nspotcheck.audit.verify.verify_all() (chain pass + data pass; memory = growth over the RSS after"
          " Django's set-up, MB):")
    header = (f"{'institutions':>12}{'events':>10}{'rows':>10}{'chain s':>9}{'data s':>9}{'total s':>9}"
              f"{'CPU s':>8}{'events/s':>10}{'rows/s':>9}{'RSS+':>7}{'anon+':>7}  {'target ≤ 60 s':<14}")
    print(header)
    print("-" * len(header))
    for size in sizes:
        r = results[size]
        verdict = ("met" if r["seconds"] <= TARGET_S else "MISSED") if size == SIZE else "(smaller run)"
        if PROFILE and size == SIZE:
            verdict += " (profiled)"
        print(f"{r['institutions']:>12,}{r['checked']:>10,}{r['rows']:>10,}{r['chain_s']:>9.1f}{r['data_s']:>9.1f}"
              f"{r['seconds']:>9.1f}{r['cpu']:>8.1f}{r['checked'] / r['chain_s']:>10,.0f}"
              f"{r['rows'] / max(r['data_s'], 1e-9):>9,.0f}{r['rss_peak'] - r['rss_base']:>7.0f}"
              f"{r['anon_peak'] - r['anon_base']:>7.0f}  {verdict:<14}", flush=True)
    big = results[SIZE]
    print(f"  result: {'OK' if big['ok'] else 'differences: ' + big['first']}; {big['tables']} tables;"
          f" slowest tables of the data pass: "
          + ", ".join(f"{label} {s:.1f} s" for label, s in big["slowest_tables"]))
    if len(sizes) == 2:
        small = results[sizes[0]]
        print(f"  memory bound: growth of peak anon {small['anon_peak'] - small['anon_base']:.0f} MB at"
              f" {sizes[0]:,} vs {big['anon_peak'] - big['anon_base']:.0f} MB at {SIZE:,} institutions;"
              f" peak RSS (with mmap'd SQLite pages) {small['rss_peak'] - small['rss_base']:.0f} vs"
              f" {big['rss_peak'] - big['rss_base']:.0f} MB; time ×{big['seconds'] / small['seconds']:.1f}"
              f" for ×{SIZE / sizes[0]:.0f} the data")
    d = detection
    print(f"\ndetection: raw SQL UPDATE of the name of institution {d['code']}, then `audit verify`:"
          f" {'detected' if d['detected'] else 'NOT DETECTED'} in {d['seconds']:.1f} s")
    print(f"  first difference: {d['first'] or '(none)'}")
    if d["error"]:
        print(f"  command error: {d['error']}")
    if big.get("profile"):
        print("\ncProfile of verify_all() at the full size:\n" + big["profile"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", nargs="+", metavar="ARG", help="internal: run one step in this process")
    args = parser.parse_args()
    if not args.step:
        orchestrate()
        return
    name, *rest = args.step
    step = {"topup": step_topup, "verify": step_verify, "detect": step_detect}[name]
    print(json.dumps(step(*rest), ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Benchmark of the institution export and import at 100,000 rows; prints figures, asserts nothing.

1. export: 100,000 institutions of the cached demo database (``_setup.filled_template``) written by
   ``spotcheck.directory.io.export_file`` as CSV and as .xlsx (reading the rows from the database
   included);
2. import with ``io.import_file("institutions", data, filename, actor=<a superuser>)`` into an EMPTY
   migrated database (100,000 creates), then the same file again (unchanged: nothing written), then
   a file with 1,000 changed names (1,000 updates) — for CSV and for .xlsx (a fresh empty database).

Every step runs in its own subprocess, so its peak RSS (``resource.getrusage``) is its own; the
baseline is the RSS after Django's set-up and reading the file. ``write s`` is the part of the import
after validation (bulk inserts/updates and the audit events, one transaction).

.xlsx runs at ``BENCH_XLSX_ROWS`` rows, default 20,000 (CSV always at BENCH_SIZE): openpyxl writes and
reads about 2,000-2,500 rows/s of this sheet on a 2-core machine, so the .xlsx steps at 100,000 rows
take about 8 minutes; ``BENCH_XLSX_ROWS=100000`` runs them anyway. The output says which size ran.

Run: .venv/bin/python benchmarks/bench_import.py
Environment: BENCH_SIZE (default 100000), BENCH_SEED (default 1), BENCH_XLSX_ROWS, BENCH_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _setup

SIZE = int(os.environ.get("BENCH_SIZE", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
XLSX_ROWS = min(SIZE, int(os.environ.get("BENCH_XLSX_ROWS", "20000")))
CHANGED = 1_000
KIND = "institutions"
RENAMED = "（更名）"


# --------------------------------------------------------------------------------------------
# the steps (each in its own process)


def _start(db: str) -> float:
    _setup.start_django(db)
    return _setup.peak_rss_mb()


def step_export(db: str, out: Path) -> dict[str, Any]:
    """Write ``out/all.{csv,xlsx}`` (SIZE and XLSX_ROWS rows; timed) and, untimed, the same files with
    every ``SIZE // CHANGED``-th name changed, ``out/changed.{csv,xlsx}``."""
    base = _start(db)
    from spotcheck.directory.io import export_file, export_queryset
    from spotcheck.directory.models import Institution

    def rows(limit: int, rename_every: int = 0) -> Iterator[Institution]:
        qs = export_queryset(KIND, Institution.objects.order_by("fixmedins_code"))[:limit]
        for i, obj in enumerate(qs.iterator(chunk_size=2000)):
            if rename_every and i % rename_every == 0:
                obj.name += RENAMED  # in memory only: the database keeps the old name
            # the files are imported into an empty database: an import gives a new institution no
            # 信用等级 / 重点监控 (directory.ownership), so they are written as 未评级 / 否
            obj.credit_grade, obj.risk_flag = "", False
            yield obj

    result: dict[str, Any] = {"rss_base": base}
    for fmt, limit in (("csv", SIZE), ("xlsx", XLSX_ROWS)):
        t0 = time.perf_counter()
        data = export_file(KIND, rows(limit), fmt)
        result[fmt] = {"rows": limit, "seconds": time.perf_counter() - t0, "mb": len(data) / 1e6}
        (out / f"all.{fmt}").write_bytes(data)
        result["rss_peak"] = _setup.peak_rss_mb()
        (out / f"changed.{fmt}").write_bytes(export_file(KIND, rows(limit, max(1, limit // CHANGED)), fmt))
    return result


def step_import(db: str, path: Path) -> dict[str, Any]:
    """Import ``path`` as the superuser ``bench-admin`` (created if missing)."""
    base = _start(db)
    from spotcheck.accounts.models import User
    from spotcheck.directory.io import import_file

    actor = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", role="admin")
    data = path.read_bytes()
    base = max(base, _setup.peak_rss_mb())
    marks: dict[str, float] = {}

    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("校验通过"):  # import_file's last call, before the write
            marks["write"] = time.perf_counter()

    t0 = time.perf_counter()
    result = import_file(KIND, data, path.name, actor=actor, progress=progress)
    end = time.perf_counter()
    if result.errors:
        raise SystemExit(f"{path.name}: {len(result.errors)} errors, first: {result.errors[0]}")
    return {
        "rows": result.rows, "seconds": end - t0, "write": end - marks.get("write", end),
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "rss_base": base, "rss_peak": _setup.peak_rss_mb(),
    }


def run_step(*args: str) -> dict[str, Any]:
    return _setup.run_step(__file__, *args)


# --------------------------------------------------------------------------------------------
# the orchestration (no Django in this process)


def print_import(label: str, fmt: str, r: dict[str, Any]) -> None:
    writes = f"{r['created']:,}/{r['updated']:,}/{r['unchanged']:,}"
    print(f"{label:<26}{fmt:<6}{r['rows']:>9,}{r['seconds']:>9.1f}{r['rows'] / r['seconds']:>9,.0f}"
          f"{r['write']:>9.1f}{writes:>26}{r['rss_peak']:>9.0f}{r['rss_peak'] - r['rss_base']:>9.0f}", flush=True)


def orchestrate() -> None:
    filled, empty = _setup.filled_template(SIZE, SEED), _setup.empty_template()
    print(_setup.machine())
    _setup.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="import-", dir=_setup.CACHE_DIR) as tmp:
        files = Path(tmp)
        with _setup.working_copy(filled) as db:
            r = run_step("export", db, str(files))
        print(f"\nexport (export_file, rows read from the database), peak RSS {r['rss_peak']:.0f} MB:")
        for fmt in ("csv", "xlsx"):
            e = r[fmt]
            print(f"  {fmt:<5}{e['rows']:>9,} rows {e['seconds']:7.1f} s {e['rows'] / e['seconds']:>9,.0f} rows/s"
                  f" {e['mb']:7.1f} MB")
        if XLSX_ROWS < SIZE:
            print(f"  NOTE: .xlsx runs at {XLSX_ROWS:,} rows (BENCH_XLSX_ROWS; 100,000 would take minutes),"
                  f" CSV at {SIZE:,}")

        print("\nimport (io.import_file as a superuser; writes = created/updated/unchanged;"
              " RSS in MB, growth = peak - RSS before the import):")
        header = (f"{'step':<26}{'fmt':<6}{'rows':>9}{'s':>9}{'rows/s':>9}{'write s':>9}{'writes':>26}"
                  f"{'peak RSS':>9}{'growth':>9}")
        print(header)
        print("-" * len(header))
        for fmt in ("csv", "xlsx"):
            with _setup.working_copy(empty) as db:
                for label, name in (("into an empty database", "all"), ("same file again", "all"),
                                    (f"{CHANGED:,} names changed", "changed")):
                    print_import(label, fmt, run_step("import", db, str(files / f"{name}.{fmt}")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", nargs="+", metavar="ARG", help="internal: run one step in this process")
    args = parser.parse_args()
    if not args.step:
        orchestrate()
        return
    name, *rest = args.step
    step = {"export": step_export, "import": step_import}[name]
    print(json.dumps(step(rest[0], Path(rest[1]))))


if __name__ == "__main__":
    main()

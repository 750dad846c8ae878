"""Benchmark of SC-DRAW-1 (spotcheck/core/draw.py); prints figures, asserts nothing.

Generates deterministic inputs in a temporary directory:
  A. 1,000,000 units in 100 strata, no teams (units in shuffled order, and again label-sorted);
  B. 100,000 units, 3,000 selected targets, 1,000 inspectors in 4 departments, 2,000 exclusions,
     and a few events;
then times ``python spotcheck/core/draw.py compute`` end to end in a subprocess (JSON parsing and
writing the package included) and the in-process phases (loads, compute, dumps, verify).

Wall-clock figures depend on what else runs on the machine; the CPU figures are printed too.
Run: .venv/bin/python benchmarks/bench_draw_core.py
"""

from __future__ import annotations

import gc
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRAW = ROOT / "spotcheck" / "core" / "draw.py"
sys.path.insert(0, str(ROOT))

from spotcheck.core import draw  # noqa: E402

SECRET = hashlib.sha256(b"bench-secret").hexdigest()
COMMIT = hashlib.sha256(bytes.fromhex(SECRET)).hexdigest()


def _base(draw_id: str) -> dict[str, Any]:
    return {
        "draw_id": draw_id,
        "units": [],
        "strata": {},
        "commit": COMMIT,
        "randomness_sources": ["中国福利彩票双色球第2026135期开奖号码"],
        "teams": None,
        "secret": SECRET,
        "public_randomness": "双色球 2026135: 03 07 12 19 25 31 + 09",
        "events": [],
    }


def input_large(sort_units: bool) -> dict[str, Any]:
    """1,000,000 units in 100 strata (10,000 each), credit-grade style ratios."""
    rng = random.Random(20260101)
    data = _base("BENCH-1M")
    ratios = [[9, 1000], [3, 200], [3, 100], [18, 500], [1, 20]]
    for s in range(100):
        data["strata"][f"14{s:04d}|{'HP'[s % 2]}|等级{s % 5}"] = {
            "ratio": ratios[s % 5], "rounding": "ceil", "min": 1, "max": None,
        }
    names = list(data["strata"])
    units = [[f"{'HP'[i % 2]}{14000000000 + i:011d}", names[i % 100]] for i in range(1_000_000)]
    if not sort_units:
        rng.shuffle(units)
    data["units"] = units
    return data


def input_teams() -> dict[str, Any]:
    """100,000 units, 3,000 targets, 1,000 inspectors in 4 departments, exclusions and events."""
    rng = random.Random(20260202)
    data = _base("BENCH-TEAMS")
    for s in range(20):
        data["strata"][f"S{s:02d}"] = {"ratio": [3, 100], "rounding": "ceil", "min": 0, "max": None}
    names = list(data["strata"])
    units = [[f"H{14000000000 + i:011d}", names[i % 20]] for i in range(100_000)]
    rng.shuffle(units)
    data["units"] = units
    departments = {"县医疗保障局": 400, "县市场监督管理局": 300, "县卫生健康和体育局": 200, "县公安局": 100}
    inspectors = []
    for k, (dept, count) in enumerate(departments.items()):
        inspectors += [[f"D{k}-{i:04d}", dept] for i in range(count)]
    rng.shuffle(inspectors)
    data["teams"] = {
        "inspectors": inspectors,
        "slots": [
            {"department": "县医疗保障局", "count": 2},
            {"department": "县市场监督管理局", "count": 1},
            {"department": "县卫生健康和体育局", "count": 1},
            {"department": "县公安局", "count": 1},
        ],
        "cap": 40,
        "exclusions": [[rng.choice(units)[0], rng.choice(inspectors)[0]] for _ in range(2000)],
    }
    first = draw.compute(data)["result"]
    order, teams = first["order"], first["teams"]
    events: list[dict[str, Any]] = []
    for t in order[:3]:
        events.append({"type": "replace_unit", "unit": t, "reason": "机构已注销"})
    for t in order[10:15]:
        events.append({"type": "replace_inspector", "unit": t, "inspector": teams[t][0], "reason": "回避"})
    data["events"] = events
    return data


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def bench(name: str, make_input: Callable[[], dict[str, Any]], tmp: Path) -> None:
    path = tmp / f"{name}.json"
    out = tmp / f"{name}.package.json"
    data = make_input()
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    units = len(data["units"])
    del data
    gc.collect()  # the in-process figures below should not carry the generator's objects
    print(f"\n[{name}] {units:,} units, input {path.stat().st_size / 1e6:.1f} MB")

    cpu0 = _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(out, "wb") as handle:
        proc = subprocess.run([sys.executable, str(DRAW), "compute", str(path)], stdout=handle,
                              stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0
    print(f"  subprocess compute: {wall:.2f} s wall ({units / wall:,.0f} units/s), {cpu:.2f} s CPU "
          f"(all processes), exit {proc.returncode}, package {out.stat().st_size / 1e6:.1f} MB, "
          f"peak RSS (largest child so far) {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    if proc.returncode:
        print("  stderr:", proc.stderr.decode("utf-8", "replace")[:300])

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(DRAW), "verify", str(out)], capture_output=True, check=False)
    print(f"  subprocess verify:  {time.perf_counter() - t0:.2f} s, output {proc.stdout.decode()[:40]!r}")

    raw = path.read_bytes()
    for workers in (1, 2):
        c0, t0 = time.process_time(), time.perf_counter()
        parsed = draw.loads(raw)
        t1 = time.perf_counter()
        package = draw.compute(parsed, workers=workers)
        t2 = time.perf_counter()
        with open(out, "wb") as handle:
            draw.write_json(package, handle)
        t3 = time.perf_counter()
        print(f"  in-process, workers={workers}: loads {t1 - t0:.2f} s, compute {t2 - t1:.2f} s "
              f"({units / (t2 - t1):,.0f} units/s), write_json {t3 - t2:.2f} s, total {t3 - t0:.2f} s wall, "
              f"{time.process_time() - c0:.2f} s CPU in this process")
        del parsed, package
    commit_time = {k: v for k, v in draw.loads(raw).items() if k in draw.COMMIT_KEYS}
    t0 = time.perf_counter()
    commit = draw.commitment(commit_time)
    print(f"  in-process commitment: {time.perf_counter() - t0:.2f} s, "
          f"sample {sum(s['sample_size'] for s in commit['strata'].values()):,} units")
    print(f"  peak RSS of this process so far: {_rss_mb(resource.RUSAGE_SELF):.0f} MB")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as tmp_name:
        tmp = Path(tmp_name)
        bench("1M-shuffled", lambda: input_large(sort_units=False), tmp)
        bench("1M-sorted", lambda: input_large(sort_units=True), tmp)
        bench("100k-teams", input_teams, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every ``benchmarks/bench_*.py`` in turn and print their figures (no assertions on time).

``make bench`` calls this. Each script is standalone (``.venv/bin/python benchmarks/bench_x.py``) and
prints its own figures; ``BENCH_ONLY=draw_core`` runs only the scripts whose name contains that text.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = os.environ.get("BENCH_ONLY", "")
    scripts = sorted(p for p in HERE.glob("bench_*.py") if only in p.stem)
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"--- {script.stem}: exit {rc}, {time.perf_counter() - t0:.1f} s wall", flush=True)
        if rc:
            failed.append(script.stem)
    if failed:
        print("失败的基准：" + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

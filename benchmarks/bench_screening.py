"""Benchmark of 系统数据检查: import and screening of a synthetic batch; prints figures, asserts nothing.

1. generate CSV files of ``BENCH_SCREENING_FEES`` fee lines (default 1,000,000; 5 per visit, one
   settlement per visit) over ``BENCH_SCREENING_INSTITUTIONS`` hospitals (default 200), with a few
   planted violations of every rule (untimed);
2. ``screening.actions.import_batch`` (parse + check every row, bulk insert, one transaction);
3. ``screening.actions.run_screening`` (all rules, hits stored).

It runs on a throw-away, freshly migrated database (a temporary SQLite file, or ``BENCH_DATABASE_URL``
for PostgreSQL — the database named there is dropped and recreated, so give it a name of its own) with
the project's settings plus the screening app, so it does not depend on the app being wired yet.

Run: .venv/bin/python benchmarks/bench_screening.py
Environment: BENCH_SCREENING_FEES (scale, e.g. 100000 for a quick run), BENCH_SCREENING_INSTITUTIONS,
BENCH_DATABASE_URL, BENCH_SEED.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import os
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FEES = int(os.environ.get("BENCH_SCREENING_FEES", "1000000"))
INSTITUTIONS = int(os.environ.get("BENCH_SCREENING_INSTITUTIONS", "200"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
PER_VISIT = 5
REGIONS = ["140522", "140681", "140602", "140603", "140621"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_django(tmp: Path) -> None:
    import django
    from django.conf import settings

    base = importlib.import_module("spotcheck.settings.dev")
    conf = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    if "spotcheck.screening" not in conf["INSTALLED_APPS"]:
        conf["INSTALLED_APPS"] = [*conf["INSTALLED_APPS"], "spotcheck.screening"]
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        import dj_database_url

        conf["DATABASES"] = {"default": dj_database_url.parse(url)}
    else:
        conf["DATABASES"] = {"default": {**conf["DATABASES"]["default"], "NAME": str(tmp / "bench.sqlite3")}}
    conf["DEBUG"] = False
    settings.configure(**conf)
    django.setup()
    if url:
        import psycopg

        name = conf["DATABASES"]["default"]["NAME"]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_institutions() -> list[str]:
    from spotcheck.core.codes import make_fixmedins_code, make_uscc
    from spotcheck.directory.models import Institution

    rows = []
    for n in range(1, INSTITUTIONS + 1):
        region = REGIONS[n % len(REGIONS)]
        rows.append(Institution(fixmedins_code=make_fixmedins_code("H", region, 90000 + n), name=f"基准医院{n}",
                                uscc=make_uscc(region, 90000 + n), kind="H", category="综合医院"[:4],
                                region_id=region))
    Institution.objects.bulk_create(rows, ignore_conflicts=True)
    return [r.fixmedins_code for r in rows]


def write_files(out: Path, codes: list[str]) -> None:
    """Synthetic tables; the planted cases repeat every 10,000 visits."""
    rng = random.Random(SEED)
    visits = FEES // PER_VISIT
    first = dt.date(2023, 10, 1)
    items = [("250101015000000X", "尿常规", "10.00", "12.00"), ("XA02BCA0001", "奥美拉唑肠溶胶囊", "1.20", ""),
             ("XJ01DCA0002", "头孢呋辛酯片", "2.50", ""), ("120100001000000", "注射费", "4.00", "4.50"),
             ("310100016000000", "心电监护", "5.00", "5.00")]
    planted = [("250101015000000X", "尿常规", "15.00", "12.00", "", "1"),          # 超标准收费
               ("001102000010001", "挂号费", "1.00", "", "", "1"),                  # 重复收费 (with the next)
               ("001102000010000", "一般诊疗费", "10.00", "", "", "3"),             # … and 单日限定频次
               ("311201000000000", "阴道镜检查", "80.00", "", "", "1"),             # 限性别 (men)
               ("XR05CBX0001", "小儿氨酚黄那敏颗粒", "3.00", "", "", "1"),          # 限儿童 (adults)
               ("XJ01DCA0002", "头孢呋辛酯片", "2.50", "", "10", "20")]             # 超量开药
    with open(out / "mdtrt_d.csv", "w", newline="", encoding="utf-8") as fv, \
         open(out / "setl_d.csv", "w", newline="", encoding="utf-8") as fs, \
         open(out / "fee_list_d.csv", "w", newline="", encoding="utf-8") as ff:
        wv, ws, wf = csv.writer(fv), csv.writer(fs), csv.writer(ff)
        wv.writerow(["mdtrt_id", "psn_no", "gend", "brdy", "fixmedins_code", "begntime", "endtime", "med_type",
                     "dscg_maindiag_code", "vali_flag"])
        ws.writerow(["setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_time", "medfee_sumamt", "inscp_amt",
                     "fund_pay_sumamt", "vali_flag"])
        wf.writerow(["feedetl_sn", "mdtrt_id", "setl_id", "fixmedins_code", "fee_ocur_time", "hilist_code",
                     "hilist_name", "cnt", "pric", "det_item_fee_sumamt", "pric_uplmt_amt", "inscp_amt", "prd_days",
                     "vali_flag"])
        sn = 0
        for v in range(visits):
            code = codes[rng.randrange(len(codes))]
            psn = f"14{rng.randrange(10**12):012d}"
            day = first + dt.timedelta(days=rng.randrange(28))
            plant = v % 10000 == 0
            inpatient = v % 10000 in (1, 2)
            if inpatient:  # 分解住院: the same person twice at the same hospital
                psn, code = "14PLANTED0001", codes[0]
                day = first + dt.timedelta(days=1 if v % 10000 == 1 else 12)
            med_type = "21" if inpatient else ("13" if plant else "11")
            end = day + dt.timedelta(days=5 if inpatient else 0)
            mid = f"M{v:09d}"
            wv.writerow([mid, psn, "1", f"{1950 + rng.randrange(50)}-03-01", code, f"{day} 08:00:00",
                         f"{end} 10:00:00", med_type, "", "1"])
            total = Decimal(0)
            lines = planted if plant else [items[rng.randrange(len(items))] + ("", str(rng.randint(1, 2)))
                                           for _ in range(PER_VISIT)]
            for code_i, name, price, limit, days, cnt in lines:
                sn += 1
                amount = Decimal(price) * int(cnt)
                total += amount
                wf.writerow([f"F{sn:010d}", mid, f"S{mid}", code, f"{day} 09:{sn % 60:02d}:00", code_i, name, cnt,
                             price, amount, limit, amount, days if plant else rng.choice(["", "3", "5"]), "1"])
            ws.writerow([f"S{mid}", mid, psn, code, f"{day} 17:00:00", total, total, (total * Decimal("0.7")).quantize(Decimal("0.01")), "1"])
            if plant:  # 同日多机构: the same person at another hospital that day
                v2 = f"X{v:09d}"
                other = codes[(codes.index(code) + 1) % len(codes)]
                wv.writerow([v2, psn, "1", "1980-03-01", other, f"{day} 14:00:00", f"{day} 15:00:00", "11", "", "1"])
                ws.writerow([f"S{v2}", v2, psn, other, f"{day} 15:00:00", "50.00", "50.00", "35.00", "1"])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-screening-") as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        start_django(tmp)
        codes = make_institutions()
        print(f"set-up (migrate, {len(codes)} institutions): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        write_files(tmp, codes)
        size = sum((tmp / n).stat().st_size for n in ("mdtrt_d.csv", "setl_d.csv", "fee_list_d.csv")) / 2**20
        print(f"generate {FEES:,} fee lines ({FEES // PER_VISIT:,} visits), {size:.0f} MiB CSV: "
              f"{time.perf_counter() - t0:.1f} s")

        from spotcheck.screening import actions, io
        from spotcheck.screening.rules import RULE_NAMES

        t0 = time.perf_counter()
        batch = actions.import_batch("bench", io.sources_from_paths([tmp]), "2023-10")
        t_import = time.perf_counter() - t0
        print(f"import: {t_import:.1f} s ({batch.fee_count / t_import:,.0f} fee lines/s; visits {batch.visit_count:,}, "
              f"settlements {batch.settlement_count:,}, fee lines {batch.fee_count:,}); peak RSS {rss_mb():.0f} MiB")
        t0 = time.perf_counter()
        run = actions.run_screening("bench", batch)
        t_run = time.perf_counter() - t0
        print(f"screening run: {t_run:.1f} s ({batch.fee_count / t_run:,.0f} fee lines/s), {run.hit_count:,} hits, "
              f"{run.amount_total} 元; peak RSS {rss_mb():.0f} MiB")
        for rule, name in RULE_NAMES.items():
            print(f"  {name}: {run.counts.get(rule, 0):,}")
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()

"""A deterministic synthetic claims batch for the demo institutions, with planted violations of every
rule. Rows are produced as the text of the national tables and go through the normal import."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .io import Source
from .params import all_settings

#: Ordinary items (code, name, price, price limit or "").
ITEMS = [
    ("250101015000000X", "尿常规", Decimal("10.00"), Decimal("12.00")),
    ("XA02BCA0001", "奥美拉唑肠溶胶囊", Decimal("1.20"), ""),
    ("XJ01DCA0002", "头孢呋辛酯片", Decimal("2.50"), ""),
    ("310100016000000", "心电监护", Decimal("5.00"), Decimal("5.00")),
    ("120100001000000", "注射费", Decimal("4.00"), Decimal("4.50")),
]


def _ts(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}:00"


class _Gen:
    def __init__(self, period: str, codes: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        year, month = map(int, period.split("-"))
        self.first = dt.date(year, month, 1)
        self.codes = codes
        self.visits: list[dict[str, str]] = []
        self.setls: list[dict[str, str]] = []
        self.fees: list[dict[str, str]] = []
        self.n_visit = self.n_fee = 0
        self.totals: dict[str, Decimal] = {}
        self.params: dict[str, Any] = {}

    def person(self, n: int, gend: str | None = None, age: int | None = None) -> tuple[str, str, str]:
        gend = gend or self.rng.choice("12")
        age = age if age is not None else self.rng.randint(20, 80)
        brdy = dt.date(self.first.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
        return f"1400000000{n:010d}", gend, brdy.isoformat()

    def visit(self, person: tuple[str, str, str], code: str, day: dt.date, med_type: str = "11",
              days: int = 0) -> str:
        self.n_visit += 1
        mdtrt_id = f"MD{self.first:%Y%m}{self.n_visit:08d}"
        end = day + dt.timedelta(days=days)
        self.visits.append({
            "mdtrt_id": mdtrt_id, "psn_no": person[0], "gend": person[1], "brdy": person[2], "fixmedins_code": code,
            "begntime": _ts(day, 8), "endtime": _ts(end, 11 if days else 9), "med_type": med_type,
            "dscg_maindiag_code": "J06.900" if not days else "K35.800", "vali_flag": "1",
        })
        return mdtrt_id

    def fee(self, mdtrt_id: str, code: str, day: dt.date, item: tuple[Any, ...], cnt: int = 1,
            prd_days: int | str = "", pric: Decimal | None = None) -> None:
        self.n_fee += 1
        price = pric if pric is not None else item[2]
        self.totals[mdtrt_id] = self.totals.get(mdtrt_id, Decimal("0.00")) + price * cnt
        self.fees.append({
            "feedetl_sn": f"FD{self.first:%Y%m}{self.n_fee:09d}", "mdtrt_id": mdtrt_id, "setl_id": f"S{mdtrt_id}",
            "fixmedins_code": code, "fee_ocur_time": _ts(day, 9, self.n_fee % 60), "hilist_code": item[0],
            "hilist_name": item[1], "cnt": str(cnt), "pric": str(price), "det_item_fee_sumamt": str(price * cnt),
            "pric_uplmt_amt": str(item[3]), "inscp_amt": str(price * cnt), "prd_days": str(prd_days),
            "vali_flag": "1",
        })

    def settle(self, mdtrt_id: str, psn: str, code: str, day: dt.date) -> None:
        total = self.totals.get(mdtrt_id, Decimal("0.00"))
        self.setls.append({
            "setl_id": f"S{mdtrt_id}", "mdtrt_id": mdtrt_id, "psn_no": psn, "fixmedins_code": code,
            "setl_time": _ts(day, 17), "medfee_sumamt": str(total), "inscp_amt": str(total),
            "fund_pay_sumamt": str((total * Decimal("0.7")).quantize(Decimal("0.01"))), "vali_flag": "1",
        })


def generate(codes: list[str], period: str = "2023-10", seed: int = 2023, normal_visits: int = 300,
             fees_per_visit: int = 4, pairs: list[tuple[str, str]] | None = None) -> list[Source]:
    """Three tables: ``normal_visits`` clean outpatient visits over ``codes`` plus one planted case per
    rule for each pair of institutions in ``pairs`` (default: the first two codes)."""
    if len(codes) < 2:
        raise ValueError("演示数据至少需要两家机构")
    pairs = pairs or [(codes[0], codes[1])]
    g = _Gen(period, codes, seed)
    g.params = all_settings()  # plant cases that the parameters in force will find
    rng = g.rng
    people = 0
    for _ in range(normal_visits):
        people += 1
        person = g.person(people)
        code = rng.choice(codes)
        day = g.first + dt.timedelta(days=rng.randint(0, 26))
        mid = g.visit(person, code, day)
        for _ in range(fees_per_visit):
            g.fee(mid, code, day, rng.choice(ITEMS), cnt=rng.randint(1, 3), prd_days=rng.choice(["", 3, 5, 7]))
        g.settle(mid, person[0], code, day)
    day = g.first + dt.timedelta(days=9)
    for a, b in pairs:
        people = _plant(g, a, b, day, people)
    return _sources(g)


def _plant(g: _Gen, a: str, b: str, day: dt.date, people: int) -> int:
    """One violation of every rule at institutions ``a`` and ``b`` (同日多机构 involves both)."""

    def one(code: str, person: tuple[str, str, str], med_type: str = "11") -> str:
        mid = g.visit(person, code, day, med_type)
        return mid

    # 超标准收费
    people += 1
    p = g.person(people)
    mid = one(a, p)
    g.fee(mid, a, day, ITEMS[0], cnt=2, pric=Decimal("15.00"))
    g.settle(mid, p[0], a, day)
    # 重复收费: the first configured pair
    pair = g.params["screening.duplicate_pairs"][0]
    people += 1
    p = g.person(people)
    mid = one(a, p)
    g.fee(mid, a, day, (pair[0], "一般诊疗费", Decimal("10.00"), ""))
    g.fee(mid, a, day, (pair[1], "挂号费", Decimal("1.00"), ""))
    g.settle(mid, p[0], a, day)
    # 限性别: a female-only item for a man
    female_code = next(k for k, v in g.params["screening.gender_items"].items() if v == "2")
    people += 1
    p = g.person(people, gend="1")
    mid = one(b, p)
    g.fee(mid, b, day, (female_code + "000000", "阴道镜检查", Decimal("80.00"), ""))
    g.settle(mid, p[0], b, day)
    # 限儿童: a child-only drug for a 40-year-old
    people += 1
    p = g.person(people, age=40)
    mid = one(b, p)
    g.fee(mid, b, day, (g.params["screening.child_items"][0], "小儿氨酚黄那敏颗粒", Decimal("3.00"), ""), cnt=2)
    g.settle(mid, p[0], b, day)
    # 单日限定频次
    code_limited, limit = next(iter(g.params["screening.daily_limits"].items()))
    people += 1
    p = g.person(people)
    mid = one(a, p)
    g.fee(mid, a, day, (code_limited, "一般诊疗费", Decimal("10.00"), ""), cnt=int(limit) + 2)
    g.settle(mid, p[0], a, day)
    # 超量开药: emergency prescription for 10 days
    people += 1
    p = g.person(people)
    mid = one(b, p, med_type="13")
    g.fee(mid, b, day, ITEMS[2], cnt=20, prd_days=10)
    g.settle(mid, p[0], b, day)
    # 分解住院: discharged, readmitted 5 days later at the same hospital
    people += 1
    p = g.person(people)
    first = g.first + dt.timedelta(days=1)
    mid = g.visit(p, a, first, "21", days=6)
    g.fee(mid, a, first, ITEMS[4], cnt=6)
    g.settle(mid, p[0], a, first + dt.timedelta(days=6))
    second = first + dt.timedelta(days=11)
    mid = g.visit(p, a, second, "21", days=5)
    g.fee(mid, a, second, ITEMS[4], cnt=5)
    g.settle(mid, p[0], a, second + dt.timedelta(days=5))
    # 同日多机构
    people += 1
    p = g.person(people)
    for code in (a, b):
        mid = one(code, p)
        g.fee(mid, code, day, ITEMS[1], cnt=2)
        g.settle(mid, p[0], code, day)

    return people


def _sources(g: _Gen) -> list[Source]:
    def rows(data: list[dict[str, str]]) -> Iterator[tuple[int, dict[str, str]]]:
        return ((n, row) for n, row in enumerate(data, start=2))

    return [Source("mdtrt_d", "mdtrt_d.csv", rows(g.visits)), Source("setl_d", "setl_d.csv", rows(g.setls)),
            Source("fee_list_d", "fee_list_d.csv", rows(g.fees))]

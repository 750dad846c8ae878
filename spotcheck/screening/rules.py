"""The screening rules (系统数据检查): pure functions over plain rows, no Django.

Each rule takes the rows it needs and its parameters and yields :class:`Finding` objects. The
caller (``screening.runner``) has already dropped rows whose ``vali_flag`` is not 1. Money is
``Decimal``; days are local calendar dates.

Amount at risk: for fee-level rules the charged amount of the offending fee lines (超标准收费: the
part above the price limit; 单日限定频次: the excess quantity at the average price; 超量开药: the
share of the fee for the days above the limit); for visit-level rules (分解住院, 同日多机构) the
total medical fee of the settlement concerned.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


class Rule:
    """Rule codes (stored on hits) and their Chinese names."""

    OVER_PRICE = "over_price"
    DUPLICATE = "duplicate"
    GENDER = "gender"
    CHILD = "child"
    DAILY_LIMIT = "daily_limit"
    OVERDOSE = "overdose"
    SPLIT_ADMISSION = "split_admission"
    MULTI_INSTITUTION = "multi_institution"


RULE_NAMES: dict[str, str] = {
    Rule.OVER_PRICE: "超标准收费",
    Rule.DUPLICATE: "重复收费",
    Rule.GENDER: "限性别",
    Rule.CHILD: "限儿童",
    Rule.DAILY_LIMIT: "单日限定频次",
    Rule.OVERDOSE: "超量开药",
    Rule.SPLIT_ADMISSION: "分解住院",
    Rule.MULTI_INSTITUTION: "同日多机构",
}
GENDER_NAMES = {"1": "男", "2": "女"}


@dataclass(frozen=True, slots=True)
class VisitRow:
    mdtrt_id: str
    psn_no: str
    gend: str
    brdy: dt.date | None
    fixmedins_code: str
    begntime: dt.datetime
    endtime: dt.datetime | None
    med_type: str


@dataclass(frozen=True, slots=True)
class FeeRow:
    feedetl_sn: str
    mdtrt_id: str
    fixmedins_code: str
    fee_day: dt.date
    hilist_code: str
    hilist_name: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: Decimal
    pric_uplmt_amt: Decimal | None = None
    prd_days: int | None = None


@dataclass(frozen=True, slots=True)
class SettlementRow:
    setl_id: str
    mdtrt_id: str
    psn_no: str
    fixmedins_code: str
    setl_day: dt.date
    medfee_sumamt: Decimal


@dataclass(frozen=True)
class Finding:
    rule: str
    fixmedins_code: str
    psn_no: str
    amount: Decimal
    explanation: str
    mdtrt_id: str = ""
    day: dt.date | None = None
    fee_ids: tuple[str, ...] = field(default_factory=tuple)
    setl_ids: tuple[str, ...] = field(default_factory=tuple)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> str:
    """A quantity without trailing zeros: 2, 1.5."""
    text = format(value.normalize(), "f")
    return text


def _price(value: Decimal) -> str:
    """A price with 2 decimals unless it has more: 15.00, 0.1235."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(cents) if cents == value else _num(value)


def age_on(birthday: dt.date, day: dt.date) -> int:
    """Full years (周岁) on ``day``."""
    years = day.year - birthday.year
    if (day.month, day.day) < (birthday.month, birthday.day):
        years -= 1
    return years


def _match(code: str, keys: Iterable[str]) -> str | None:
    """The longest key that ``code`` equals or starts with."""
    best = None
    for key in keys:
        if code.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return best


# ── fee-level rules ─────────────────────────────────────────────────────────


def over_price(fees: Iterable[FeeRow]) -> Iterator[Finding]:
    """超标准收费: unit price above the price limit (when a limit is set)."""
    for f in fees:
        limit = f.pric_uplmt_amt
        if limit is None or limit <= 0 or f.pric <= limit:
            continue
        amount = money((f.pric - limit) * f.cnt)
        yield Finding(
            Rule.OVER_PRICE, f.fixmedins_code, "", amount,
            f"{f.hilist_name}（{f.hilist_code}）单价 {_price(f.pric)} 元，超过最高限价 {_price(limit)} 元，"
            f"数量 {_num(f.cnt)}，超收 {amount} 元",
            mdtrt_id=f.mdtrt_id, day=f.fee_day, fee_ids=(f.feedetl_sn,),
        )


def duplicate(fees: Iterable[FeeRow], pairs: Sequence[Sequence[str]]) -> Iterator[Finding]:
    """重复收费: item A includes item B; both charged in the same visit on the same day."""
    wanted = {str(p[0]) for p in pairs} | {str(p[1]) for p in pairs}
    groups: dict[tuple[str, dt.date], dict[str, list[FeeRow]]] = defaultdict(lambda: defaultdict(list))
    for f in fees:
        if f.hilist_code in wanted:
            groups[(f.mdtrt_id, f.fee_day)][f.hilist_code].append(f)
    for (mdtrt_id, day), by_code in groups.items():
        for pair in pairs:
            a, b = str(pair[0]), str(pair[1])
            name = str(pair[2]) if len(pair) > 2 else ""
            if a in by_code and b in by_code and a != b:
                a_rows, b_rows = by_code[a], by_code[b]
                amount = money(sum((r.det_item_fee_sumamt for r in b_rows), ZERO))
                yield Finding(
                    Rule.DUPLICATE, b_rows[0].fixmedins_code, "", amount,
                    f"{day:%Y-%m-%d} 同一次就诊既收取“{a_rows[0].hilist_name}”（{a}）又收取"
                    f"“{b_rows[0].hilist_name}”（{b}）；{name or '前者已包含后者'}，重复收费 {amount} 元",
                    mdtrt_id=mdtrt_id, day=day, fee_ids=tuple(r.feedetl_sn for r in a_rows + b_rows),
                )


def gender(fees: Iterable[FeeRow], visits: Mapping[str, VisitRow], items: Mapping[str, str]) -> Iterator[Finding]:
    """限性别: an item restricted to one gender charged for a person of the other."""
    for f in fees:
        key = _match(f.hilist_code, items)
        if key is None:
            continue
        v = visits.get(f.mdtrt_id)
        if v is None or not v.gend or v.gend == str(items[key]) or v.gend not in GENDER_NAMES:
            continue
        amount = money(f.det_item_fee_sumamt)
        allowed = GENDER_NAMES.get(str(items[key]), str(items[key]))
        yield Finding(
            Rule.GENDER, f.fixmedins_code, v.psn_no, amount,
            f"{f.hilist_name}（{f.hilist_code}）限{allowed}性使用，参保人性别为{GENDER_NAMES[v.gend]}，"
            f"涉及金额 {amount} 元",
            mdtrt_id=f.mdtrt_id, day=f.fee_day, fee_ids=(f.feedetl_sn,),
        )


def child(fees: Iterable[FeeRow], visits: Mapping[str, VisitRow], items: Sequence[str], max_age: int) -> Iterator[Finding]:
    """限儿童: a child-only item charged for a person older than ``max_age`` full years."""
    for f in fees:
        if _match(f.hilist_code, items) is None:
            continue
        v = visits.get(f.mdtrt_id)
        if v is None or v.brdy is None:
            continue
        age = age_on(v.brdy, f.fee_day)
        if age <= max_age:
            continue
        amount = money(f.det_item_fee_sumamt)
        yield Finding(
            Rule.CHILD, f.fixmedins_code, v.psn_no, amount,
            f"{f.hilist_name}（{f.hilist_code}）限儿童使用（不超过 {max_age} 周岁），"
            f"费用发生时参保人 {age} 周岁，涉及金额 {amount} 元",
            mdtrt_id=f.mdtrt_id, day=f.fee_day, fee_ids=(f.feedetl_sn,),
        )


def daily_limit(fees: Iterable[FeeRow], visits: Mapping[str, VisitRow], limits: Mapping[str, int | float]) -> Iterator[Finding]:
    """单日限定频次: one person's quantity of an item on one day above the limit (all institutions)."""
    groups: dict[tuple[str, str, dt.date], list[FeeRow]] = defaultdict(list)
    for f in fees:
        if f.hilist_code in limits:
            v = visits.get(f.mdtrt_id)
            if v is not None:
                groups[(v.psn_no, f.hilist_code, f.fee_day)].append(f)
    for (psn_no, code, day), rows in groups.items():
        limit = Decimal(str(limits[code]))
        total = sum((r.cnt for r in rows), ZERO)
        if total <= limit:
            continue
        fee = sum((r.det_item_fee_sumamt for r in rows), ZERO)
        amount = money(fee / total * (total - limit)) if total else ZERO
        yield Finding(
            Rule.DAILY_LIMIT, rows[-1].fixmedins_code, psn_no, amount,
            f"{day:%Y-%m-%d} {rows[0].hilist_name}（{code}）每日限 {_num(limit)} 次，实收 {_num(total)} 次，"
            f"超出部分 {amount} 元",
            mdtrt_id=rows[-1].mdtrt_id, day=day, fee_ids=tuple(r.feedetl_sn for r in rows),
        )


def overdose(fees: Iterable[FeeRow], visits: Mapping[str, VisitRow], limits: Sequence[Mapping]) -> Iterator[Finding]:
    """超量开药: prescription days above the limit of the visit's 医疗类别 (门诊 7 / 急诊 3)."""
    by_type: dict[str, tuple[str, int]] = {}
    for lim in limits:
        for mt in lim.get("med_types", []):
            by_type[str(mt)] = (str(lim.get("label", "")), int(lim["max_days"]))
    for f in fees:
        if f.prd_days is None:
            continue
        v = visits.get(f.mdtrt_id)
        if v is None or v.med_type not in by_type:
            continue
        label, max_days = by_type[v.med_type]
        if f.prd_days <= max_days:
            continue
        amount = money(f.det_item_fee_sumamt * (f.prd_days - max_days) / f.prd_days)
        yield Finding(
            Rule.OVERDOSE, f.fixmedins_code, v.psn_no, amount,
            f"{label}处方 {f.hilist_name}（{f.hilist_code}）开药 {f.prd_days} 天，超过 {max_days} 天上限，"
            f"超量部分约 {amount} 元",
            mdtrt_id=f.mdtrt_id, day=f.fee_day, fee_ids=(f.feedetl_sn,),
        )


# ── visit-level rules ───────────────────────────────────────────────────────


def split_admission(
    visits: Iterable[VisitRow], med_types: Sequence[str], days: int, visit_amounts: Mapping[str, Decimal]
) -> Iterator[Finding]:
    """分解住院: the same person admitted again at the same institution within ``days`` of discharge."""
    wanted = {str(m) for m in med_types}
    stays: dict[tuple[str, str], list[VisitRow]] = defaultdict(list)
    for v in visits:
        if v.med_type in wanted:
            stays[(v.psn_no, v.fixmedins_code)].append(v)
    for (psn_no, code), rows in stays.items():
        if len(rows) < 2:
            continue
        rows.sort(key=lambda r: (r.begntime, r.mdtrt_id))
        for prev, nxt in zip(rows, rows[1:], strict=False):
            out = prev.endtime or prev.begntime
            gap = (nxt.begntime.date() - out.date()).days
            if 0 <= gap <= days:
                amount = money(visit_amounts.get(nxt.mdtrt_id, ZERO))
                yield Finding(
                    Rule.SPLIT_ADMISSION, code, psn_no, amount,
                    f"参保人于 {out:%Y-%m-%d} 出院（就诊 {prev.mdtrt_id}），{gap} 天后 {nxt.begntime:%Y-%m-%d} "
                    f"在同一机构再次住院（就诊 {nxt.mdtrt_id}），间隔不超过 {days} 天，疑似分解住院，"
                    f"再次住院费用 {amount} 元",
                    mdtrt_id=nxt.mdtrt_id, day=nxt.begntime.date(),
                )


def multi_institution(settlements: Iterable[SettlementRow]) -> Iterator[Finding]:
    """同日多机构: one person settled at two or more institutions on the same day (one hit each)."""
    groups: dict[tuple[str, dt.date], list[SettlementRow]] = defaultdict(list)
    for s in settlements:
        groups[(s.psn_no, s.setl_day)].append(s)
    for (psn_no, day), rows in groups.items():
        codes = sorted({r.fixmedins_code for r in rows})
        if len(codes) < 2:
            continue
        for code in codes:
            mine = [r for r in rows if r.fixmedins_code == code]
            others = "、".join(c for c in codes if c != code)
            amount = money(sum((r.medfee_sumamt for r in mine), ZERO))
            yield Finding(
                Rule.MULTI_INSTITUTION, code, psn_no, amount,
                f"参保人 {day:%Y-%m-%d} 在本机构及 {others} 共 {len(codes)} 家机构结算，本机构结算费用 {amount} 元",
                mdtrt_id=mine[0].mdtrt_id, day=day, setl_ids=tuple(r.setl_id for r in mine),
            )

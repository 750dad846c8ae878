"""Each screening rule on plain rows (no database): a positive and a negative case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from spotcheck.screening import rules
from spotcheck.screening.rules import FeeRow, Rule, SettlementRow, VisitRow

DAY = dt.date(2023, 10, 10)
T = dt.datetime(2023, 10, 10, 9, 0)


def visit(mid="M1", psn="P1", gend="1", brdy=dt.date(1980, 5, 1), code="H1", begn=T, end=None, med_type="11"):
    return VisitRow(mid, psn, gend, brdy, code, begn, end, med_type)


def fee(sn="F1", mid="M1", code="X", cnt="1", pric="10", total=None, limit=None, days=None, day=DAY, inst="H1"):
    total = D(total) if total is not None else D(pric) * D(cnt)
    return FeeRow(sn, mid, inst, day, code, "项目" + code, D(cnt), D(pric), total,
                  D(limit) if limit is not None else None, days)


def test_over_price_positive_and_negative():
    hits = list(rules.over_price([fee(pric="15", cnt="2", limit="12"), fee("F2", pric="12", limit="12"),
                                  fee("F3", pric="99", limit=None), fee("F4", pric="99", limit="0")]))
    assert [h.fee_ids for h in hits] == [("F1",)]
    assert hits[0].amount == D("6.00") and hits[0].rule == Rule.OVER_PRICE
    assert "单价 15.00 元，超过最高限价 12.00 元" in hits[0].explanation


PAIRS = [["A", "B", "A 已包含 B"]]


def test_duplicate_same_visit_same_day():
    hits = list(rules.duplicate([fee("F1", code="A"), fee("F2", code="B", pric="3")], PAIRS))
    assert len(hits) == 1 and hits[0].amount == D("3.00") and set(hits[0].fee_ids) == {"F1", "F2"}
    assert "A 已包含 B" in hits[0].explanation


def test_duplicate_negative_other_day_or_visit_or_only_one():
    other_day = [fee("F1", code="A"), fee("F2", code="B", day=DAY + dt.timedelta(days=1))]
    other_visit = [fee("F1", code="A"), fee("F2", mid="M2", code="B")]
    only_b = [fee("F2", code="B"), fee("F3", code="B")]
    for rows in (other_day, other_visit, only_b):
        assert list(rules.duplicate(rows, PAIRS)) == []


def test_gender_longest_prefix():
    items = {"3112": "2", "31129": "1"}
    visits = {"M1": visit(gend="1"), "M2": visit("M2", gend="2")}
    hits = list(rules.gender([fee("F1", code="311201"), fee("F2", mid="M2", code="311201"),
                              fee("F3", code="311290"), fee("F4", code="999")], visits, items))
    assert [h.fee_ids for h in hits] == [("F1",)]
    assert "限女性使用，参保人性别为男" in hits[0].explanation and hits[0].psn_no == "P1"


def test_child_age_at_fee_time():
    visits = {"M1": visit(brdy=dt.date(2005, 10, 11)), "M2": visit("M2", brdy=dt.date(2005, 10, 10)),
              "M3": visit("M3", brdy=None)}
    rows = [fee("F1", code="KID1"), fee("F2", mid="M2", code="KID1"), fee("F3", mid="M3", code="KID1"),
            fee("F4", mid="M2", code="ADULT")]
    hits = list(rules.child(rows, visits, ["KID"], 17))
    assert [h.fee_ids for h in hits] == [("F2",)]  # 18 on the fee day; M1 is still 17
    assert "18 周岁" in hits[0].explanation


def test_age_on():
    assert rules.age_on(dt.date(2000, 2, 29), dt.date(2018, 2, 28)) == 17
    assert rules.age_on(dt.date(2000, 2, 29), dt.date(2018, 3, 1)) == 18


def test_daily_limit_per_person_per_day_across_visits():
    visits = {"M1": visit(), "M2": visit("M2"), "M3": visit("M3", psn="P2")}
    rows = [fee("F1", code="G", cnt="1"), fee("F2", mid="M2", code="G", cnt="1"),  # P1: 2 a day
            fee("F3", mid="M3", code="G", cnt="1")]
    hits = list(rules.daily_limit(rows, visits, {"G": 1}))
    assert len(hits) == 1 and hits[0].psn_no == "P1" and hits[0].amount == D("10.00")
    assert list(rules.daily_limit(rows, visits, {"G": 2})) == []


LIMITS = [{"label": "门诊", "med_types": ["11"], "max_days": 7}, {"label": "急诊", "med_types": ["13"], "max_days": 3}]


def test_overdose_outpatient_and_emergency():
    visits = {"M1": visit(med_type="11"), "M2": visit("M2", med_type="13"), "M3": visit("M3", med_type="21")}
    rows = [fee("F1", days=7, total="70"), fee("F2", days=8, total="80"), fee("F3", mid="M2", days=3),
            fee("F4", mid="M2", days=4, total="40"), fee("F5", mid="M3", days=30), fee("F6", days=None)]
    hits = list(rules.overdose(rows, visits, LIMITS))
    assert [h.fee_ids for h in hits] == [("F2",), ("F4",)]
    assert [h.amount for h in hits] == [D("10.00"), D("10.00")]
    assert "急诊处方" in hits[1].explanation


def stay(mid, begin, end, psn="P1", code="H1", med_type="21"):
    return visit(mid, psn=psn, code=code, begn=dt.datetime.combine(begin, dt.time(8)),
                 end=dt.datetime.combine(end, dt.time(10)), med_type=med_type)


def test_split_admission_within_window():
    d = dt.date(2023, 10, 1)
    visits = [stay("M1", d, d + dt.timedelta(days=5)), stay("M2", d + dt.timedelta(days=20), d + dt.timedelta(days=22))]
    hits = list(rules.split_admission(visits, ["21"], 15, {"M2": D("1234.5")}))
    assert len(hits) == 1 and hits[0].mdtrt_id == "M2" and hits[0].amount == D("1234.50")
    assert "15 天" in hits[0].explanation
    assert list(rules.split_admission(visits, ["21"], 14, {})) == []


def test_split_admission_negative_other_institution_person_or_type():
    d = dt.date(2023, 10, 1)
    later = d + dt.timedelta(days=8)
    cases = [
        [stay("M1", d, d + dt.timedelta(days=2)), stay("M2", later, later, code="H2")],
        [stay("M1", d, d + dt.timedelta(days=2)), stay("M2", later, later, psn="P2")],
        [stay("M1", d, d + dt.timedelta(days=2)), stay("M2", later, later, med_type="11")],
    ]
    for visits in cases:
        assert list(rules.split_admission(visits, ["21"], 15, {})) == []


def setl(sid, code, psn="P1", day=DAY, amount="100"):
    return SettlementRow(sid, "M" + sid, psn, code, day, D(amount))


def test_multi_institution_same_day():
    rows = [setl("1", "H1"), setl("2", "H2", amount="50"), setl("3", "H1", psn="P2"),
            setl("4", "H3", psn="P2", day=DAY + dt.timedelta(days=1))]
    hits = sorted(rules.multi_institution(rows), key=lambda h: h.fixmedins_code)
    assert [(h.fixmedins_code, h.amount) for h in hits] == [("H1", D("100.00")), ("H2", D("50.00"))]
    assert "共 2 家机构" in hits[0].explanation
    assert list(rules.multi_institution([setl("1", "H1"), setl("2", "H1")])) == []

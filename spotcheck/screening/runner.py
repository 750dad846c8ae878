"""Feeds the pure rules of ``screening.rules`` from the database (valid rows only: ``vali_flag = 1``).

Visits and settlements of the batch are loaded once (light tuples); for fee lines each rule reads
only the lines it can concern, filtered in SQL (price above its limit, listed item codes or code
prefixes — the ``(batch, hilist_code, fee_day)`` index —, prescription days above the smallest
limit), so a run never materialises the whole fee table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q

from . import rules
from .models import ClaimBatch, FeeItem, Settlement, Visit
from .rules import FeeRow, Finding, SettlementRow, VisitRow

TZ = ZoneInfo("Asia/Shanghai")
FEE_FIELDS = ("feedetl_sn", "mdtrt_id", "institution__fixmedins_code", "fee_day", "hilist_code", "hilist_name",
              "cnt", "pric", "det_item_fee_sumamt", "pric_uplmt_amt", "prd_days")


def screen(batch: ClaimBatch, params: dict[str, Any], progress: Callable[[str], None] | None = None) -> list[Finding]:
    codes = dict(Visit.objects.filter(batch=batch).values_list("institution_id", "institution__fixmedins_code")
                 .distinct())
    visits: dict[str, VisitRow] = {}
    for mdtrt_id, psn, gend, brdy, inst, begn, end, med_type in (
        Visit.objects.filter(batch=batch, vali_flag="1")
        .values_list("mdtrt_id", "psn_no", "gend", "brdy", "institution_id", "begntime", "endtime", "med_type")
        .iterator(chunk_size=20000)
    ):
        visits[mdtrt_id] = VisitRow(mdtrt_id, psn, gend, brdy, codes[inst], begn.astimezone(TZ),
                                    end.astimezone(TZ) if end else None, med_type)
    settlements: list[SettlementRow] = []
    visit_amounts: dict[str, Decimal] = defaultdict(Decimal)
    for setl_id, mdtrt_id, psn, inst, when, amount in (
        Settlement.objects.filter(batch=batch, vali_flag="1")
        .values_list("setl_id", "mdtrt_id", "psn_no", "institution_id", "setl_time", "medfee_sumamt")
        .iterator(chunk_size=20000)
    ):
        settlements.append(SettlementRow(setl_id, mdtrt_id, psn, codes[inst], when.astimezone(TZ).date(), amount))
        visit_amounts[mdtrt_id] += amount
    if progress:
        progress(f"已读取就诊 {len(visits)} 条、结算 {len(settlements)} 条")

    fees = FeeItem.objects.filter(batch=batch, vali_flag="1")

    def rows(qs: Any) -> list[FeeRow]:
        return [FeeRow(*values) for values in qs.values_list(*FEE_FIELDS).iterator(chunk_size=20000)]

    def prefixed(keys: Any) -> list[FeeRow]:
        keys = [str(k) for k in keys if str(k)]
        if not keys:
            return []
        q = Q()
        for key in keys:
            q |= Q(hilist_code__startswith=key)
        return rows(fees.filter(q))

    # each rule reads only the fee lines it can concern; the filters are in SQL
    pairs = params["screening.duplicate_pairs"]
    daily = {str(k): v for k, v in params["screening.daily_limits"].items()}
    limits = params["screening.prescription_limits"]
    over_price = rows(fees.filter(pric_uplmt_amt__gt=0, pric__gt=F("pric_uplmt_amt")))
    dup = rows(fees.filter(hilist_code__in={str(c) for p in pairs for c in p[:2]}))
    gend = prefixed(params["screening.gender_items"])
    child = prefixed(params["screening.child_items"])
    freq = rows(fees.filter(hilist_code__in=list(daily)))
    min_days = min((int(lim["max_days"]) for lim in limits), default=None)
    days = rows(fees.filter(prd_days__gt=min_days)) if min_days is not None else []
    if progress:
        progress("已读取费用明细")

    found: list[Finding] = []
    found += rules.over_price(over_price)
    found += rules.duplicate(dup, params["screening.duplicate_pairs"])
    found += rules.gender(gend, visits, params["screening.gender_items"])
    found += rules.child(child, visits, params["screening.child_items"], int(params["screening.child_max_age"]))
    found += rules.daily_limit(freq, visits, daily)
    found += rules.overdose(days, visits, params["screening.prescription_limits"])
    found += rules.split_admission(visits.values(), params["screening.inpatient_med_types"],
                                   int(params["screening.readmission_days"]), visit_amounts)
    found += rules.multi_institution(settlements)
    # fee-level rules that do not need the person: fill it from the visit
    out = []
    for h in found:
        if not h.psn_no and h.mdtrt_id in visits:
            h = rules.Finding(**{**h.__dict__, "psn_no": visits[h.mdtrt_id].psn_no})
        out.append(h)
    return out

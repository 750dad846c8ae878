from __future__ import annotations

import csv
import io

import pytest

from tests import factories as f

VISIT_FIELDS = ["mdtrt_id", "psn_no", "gend", "brdy", "fixmedins_code", "begntime", "endtime", "med_type",
                "dscg_maindiag_code", "vali_flag"]
SETL_FIELDS = ["setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_time", "medfee_sumamt", "inscp_amt",
               "fund_pay_sumamt", "vali_flag"]
FEE_FIELDS = ["feedetl_sn", "mdtrt_id", "setl_id", "fixmedins_code", "fee_ocur_time", "hilist_code", "hilist_name",
              "cnt", "pric", "det_item_fee_sumamt", "pric_uplmt_amt", "inscp_amt", "prd_days", "vali_flag"]


def csv_bytes(fields: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8-sig")


@pytest.fixture
def insts(db):
    """Two hospitals in 阳城县 and one in 怀仁市."""
    return {"y1": f.institution(f.YANGCHENG), "y2": f.institution(f.YANGCHENG), "h1": f.institution(f.HUAIREN)}


def claim_rows(insts: dict, over_price_code: str = "y1") -> dict[str, list[dict]]:
    """One visit per institution with one fee line; the fee at ``over_price_code`` is above its limit."""
    visits, setls, fees = [], [], []
    for n, (key, inst) in enumerate(insts.items(), start=1):
        mid = f"M{n}"
        visits.append({"mdtrt_id": mid, "psn_no": f"14000000000000000{n:03d}", "gend": "1", "brdy": "1980-01-01",
                       "fixmedins_code": inst.fixmedins_code, "begntime": "2023-10-05 08:00:00",
                       "endtime": "2023-10-05 09:00:00", "med_type": "11", "dscg_maindiag_code": "", "vali_flag": "1"})
        setls.append({"setl_id": f"S{n}", "mdtrt_id": mid, "psn_no": f"14000000000000000{n:03d}",
                      "fixmedins_code": inst.fixmedins_code, "setl_time": "2023-10-05 10:00:00",
                      "medfee_sumamt": "30.00", "inscp_amt": "30.00", "fund_pay_sumamt": "20.00", "vali_flag": "1"})
        price = "15.00" if key == over_price_code else "10.00"
        fees.append({"feedetl_sn": f"F{n}", "mdtrt_id": mid, "setl_id": f"S{n}", "fixmedins_code": inst.fixmedins_code,
                     "fee_ocur_time": "2023-10-05 08:30:00", "hilist_code": "250101015000000X", "hilist_name": "尿常规",
                     "cnt": "2", "pric": price, "det_item_fee_sumamt": str(2 * float(price)),
                     "pric_uplmt_amt": "12.00", "inscp_amt": "20.00", "prd_days": "", "vali_flag": "1"})
    return {"mdtrt_d": visits, "setl_d": setls, "fee_list_d": fees}


def files_of(rows: dict[str, list[dict]]) -> dict[str, bytes]:
    return {"mdtrt_d.csv": csv_bytes(VISIT_FIELDS, rows["mdtrt_d"]), "setl_d.csv": csv_bytes(SETL_FIELDS, rows["setl_d"]),
            "fee_list_d.csv": csv_bytes(FEE_FIELDS, rows["fee_list_d"])}

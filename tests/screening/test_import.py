"""Import of a batch: CSV and xlsx, all or nothing, errors naming file, row and field."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from spotcheck.audit.models import AuditEvent
from spotcheck.screening import actions
from spotcheck.screening.io import ImportFailed, Source, source_from_bytes
from spotcheck.screening.models import ClaimBatch, FeeItem, Settlement, Visit
from tests.factories import FEE_FIELDS, claim_rows, files_of

pytestmark = pytest.mark.django_db


def sources(files: dict[str, bytes]) -> list[Source]:
    return [source_from_bytes(name, data) for name, data in files.items()]


def test_csv_import_writes_everything(insts, admin_user):
    batch = actions.import_batch(admin_user, sources(files_of(claim_rows(insts))), "2023-10")
    assert (batch.visit_count, batch.settlement_count, batch.fee_count) == (3, 3, 3)
    assert Visit.objects.filter(batch=batch).count() == 3
    fee = FeeItem.objects.get(batch=batch, feedetl_sn="F1")
    assert fee.pric == Decimal("15.0000") and fee.fee_day.isoformat() == "2023-10-05"
    assert fee.fee_ocur_time.hour == 0  # 08:30 Beijing time is 00:30 UTC
    assert sorted(batch.regions) == ["140522", "140681"]
    assert AuditEvent.objects.filter(action="screening.import", object_id=str(batch.pk)).exists()


def test_xlsx_import(insts, admin_user):
    rows = claim_rows(insts)
    files = files_of(rows)
    wb = Workbook()
    ws = wb.active
    ws.append(FEE_FIELDS)
    for r in rows["fee_list_d"]:
        ws.append([r[k] for k in FEE_FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    del files["fee_list_d.csv"]
    files["fee_list_d_2023-10.xlsx"] = buf.getvalue()
    batch = actions.import_batch(admin_user, sources(files), "2023-10")
    assert FeeItem.objects.filter(batch=batch).count() == 3


@pytest.mark.parametrize(("table", "row", "field", "value", "expected"), [
    ("fee_list_d", 1, "pric", "十元", "fee_list_d.csv 第 3 行 pric（单价）：“十元”不是有效的数字"),
    ("fee_list_d", 0, "fee_ocur_time", "2023-13-45", "fee_list_d.csv 第 2 行 fee_ocur_time（费用发生时间）"),
    ("mdtrt_d", 2, "fixmedins_code", "H14052200999", "mdtrt_d.csv 第 4 行 fixmedins_code（定点医药机构编码）：“H14052200999”未在检查对象名录库"),
    ("setl_d", 0, "mdtrt_id", "NOPE", "setl_d.csv 第 2 行 mdtrt_id（就诊ID）：“NOPE”在就诊信息表 mdtrt_d 中不存在"),
    ("mdtrt_d", 0, "psn_no", "", "mdtrt_d.csv 第 2 行 psn_no（人员编号）：不能为空"),
    ("setl_d", 1, "medfee_sumamt", "1.234", "setl_d.csv 第 3 行 medfee_sumamt（医疗费总额）：“1.234”最多保留 2 位小数"),
])
def test_errors_name_file_row_field_and_write_nothing(insts, admin_user, table, row, field, value, expected):
    rows = claim_rows(insts)
    rows[table][row][field] = value
    events = AuditEvent.objects.count()
    with pytest.raises(ImportFailed) as exc:
        actions.import_batch(admin_user, sources(files_of(rows)), "2023-10")
    assert any(expected in e for e in exc.value.errors), exc.value.errors
    assert ClaimBatch.objects.count() == 0 and Visit.objects.count() == 0
    assert Settlement.objects.count() == 0 and FeeItem.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_missing_table_and_bad_period(insts, admin_user):
    files = files_of(claim_rows(insts))
    del files["setl_d.csv"]
    with pytest.raises(ImportFailed) as exc:
        actions.import_batch(admin_user, sources(files), "2023-10")
    assert "缺少结算信息表 setl_d" in exc.value.errors[0]
    with pytest.raises(ImportFailed) as exc:
        actions.import_batch(admin_user, sources(files_of(claim_rows(insts))), "2023-13")
    assert "数据期间" in exc.value.errors[0]


def test_county_cannot_import_other_county_data(insts, county_user):
    with pytest.raises(ImportFailed) as exc:
        actions.import_batch(county_user, sources(files_of(claim_rows(insts))), "2023-10")
    assert any(insts["h1"].fixmedins_code in e and "不在您的管辖范围内" in e for e in exc.value.errors)
    assert ClaimBatch.objects.count() == 0


def test_invalid_rows_kept_but_not_screened(insts, admin_user):
    rows = claim_rows(insts)
    rows["fee_list_d"][0]["vali_flag"] = "0"  # the over-price line is cancelled
    batch = actions.import_batch(admin_user, sources(files_of(rows)), "2023-10")
    run = actions.run_screening(admin_user, batch)
    assert run.counts["over_price"] == 0
    assert FeeItem.objects.filter(batch=batch, vali_flag="0").count() == 1


def test_import_page_shows_errors(insts, admin_user, client_for):
    """The page stores the files and imports them as a background job; the job page lists every error
    (file, row, field) with nothing written, or links the new batch."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from spotcheck.jobs.models import Job

    client = client_for(admin_user)
    rows = claim_rows(insts)
    rows["fee_list_d"][2]["cnt"] = "abc"
    files = [SimpleUploadedFile(n, d) for n, d in files_of(rows).items()]
    resp = client.post("/screening/import/", {"period": "2023-10", "files": files})
    job = Job.objects.get(kind="screening:import")
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.FAILED and ClaimBatch.objects.count() == 0
    page = client.get(resp["Location"]).content.decode()
    assert "导入结算数据" in page and "fee_list_d.csv 第 4 行 cnt（数量）" in page
    assert not Path(job.file_path).exists()  # the uploaded files are removed
    files = [SimpleUploadedFile(n, d) for n, d in files_of(claim_rows(insts)).items()]
    resp = client.post("/screening/import/", {"period": "2023-10", "files": files})
    assert resp.status_code == 302 and ClaimBatch.objects.count() == 1
    batch = ClaimBatch.objects.get()
    page = client.get(resp["Location"]).content.decode()
    assert f"已导入批次 {batch.pk}" in page and f"/screening/batches/{batch.pk}/" in page
    bad = [SimpleUploadedFile("claims.csv", b"a,b\n1,2\n")]
    resp = client.post("/screening/import/", {"period": "2023-10", "files": bad})
    assert resp.status_code == 400 and "无法识别的文件名" in resp.content.decode()


def test_error_after_rows_were_written_rolls_everything_back(insts, admin_user, monkeypatch):
    """Checked rows are written in chunks while reading; a later error undoes them all."""
    from spotcheck.screening import io as screening_io

    monkeypatch.setattr(screening_io, "CHUNK", 1)
    rows = claim_rows(insts)
    rows["fee_list_d"][2]["det_item_fee_sumamt"] = "x"
    with pytest.raises(ImportFailed) as exc:
        actions.import_batch(admin_user, sources(files_of(rows)), "2023-10")
    assert exc.value.errors == ["fee_list_d.csv 第 4 行 det_item_fee_sumamt（明细项目费用总额）：“x”不是有效的数字"]
    assert ClaimBatch.objects.count() == 0 and Visit.objects.count() == 0 and FeeItem.objects.count() == 0
    monkeypatch.setattr(screening_io, "CHUNK", 1)
    batch = actions.import_batch(admin_user, sources(files_of(claim_rows(insts))), "2023-10")
    assert FeeItem.objects.filter(batch=batch).count() == 3 and batch.region_counts == {
        "140522": [2, 2, 2], "140681": [1, 1, 1]}


def test_gbk_csv_from_a_directory(insts, admin_user, tmp_path):
    from spotcheck.screening.io import sources_from_paths

    for name, data in files_of(claim_rows(insts)).items():
        (tmp_path / name).write_bytes(data.decode("utf-8-sig").encode("gbk"))
    batch = actions.import_batch(admin_user, sources_from_paths([tmp_path]), "2023-10")
    assert FeeItem.objects.get(batch=batch, feedetl_sn="F1").hilist_name == "尿常规"

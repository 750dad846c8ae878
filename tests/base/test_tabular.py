"""The one table reader (``spotcheck.base.tabular``): encodings, streams, workbooks, refusals."""

from __future__ import annotations

import io

import openpyxl
import pytest

from spotcheck.base import tabular

ROWS = [["机构编码", "名称"], ["H14052200001", "阳城县人民医院"]]


def csv_bytes(encoding: str, prefix: str = "") -> bytes:
    return (prefix + "\r\n".join(",".join(r) for r in ROWS) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_every_encoding_excel_writes(encoding):
    assert list(tabular.iter_csv(csv_bytes(encoding))) == [(1, ROWS[0]), (2, ROWS[1])]


def test_a_file_that_is_ascii_for_its_first_megabyte_and_gbk_later():
    filler = "".join(f"H{n:011d},x\r\n" for n in range(tabular.SNIFF_BYTES // 14 + 10))
    data = csv_bytes("gbk", prefix=filler)
    rows = list(tabular.iter_csv(data))  # bytes are decoded whole
    assert rows[-1] == (len(rows), ROWS[1])
    stream = list(tabular.iter_csv(io.BytesIO(csv_bytes("gb18030"))))  # a stream: sniffed
    assert stream == [(1, ROWS[0]), (2, ROWS[1])]


def test_blank_rows_are_skipped_and_numbers_are_excels():
    data = b"a,b\r\n,\r\n\r\n1,2\r\n"
    assert list(tabular.iter_csv(data)) == [(1, ["a", "b"]), (4, ["1", "2"])]


def test_undecodable_and_unknown_files_are_refused_in_chinese():
    with pytest.raises(tabular.UnreadableFile, match="编码"):
        tabular.decode_text(b"\xff\xfe\x00\x81\x30")
    with pytest.raises(tabular.UnreadableFile, match=r"\.xlsx 和 \.csv"):
        tabular.iter_rows(b"", "名录.xls")
    with pytest.raises(tabular.UnreadableFile, match="Excel"):
        list(tabular.iter_rows(b"not a workbook", "名录.xlsx"))


def test_workbook_sheets():
    wb = openpyxl.Workbook()
    wb.active.title = "填写说明"
    wb.active.append(["说明"])
    data = wb.create_sheet("名录")
    for r in ROWS:
        data.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    rows = list(tabular.iter_rows(buf.getvalue(), "名录.xlsx", skip_sheets=["填写说明"]))
    assert rows == [(1, ROWS[0]), (2, ROWS[1])]


def test_written_cells_never_run_as_formulas():
    buf = io.StringIO()
    tabular.SafeCsvWriter(buf, lineterminator="\n").writerow(["=1+1", "+cmd", "-12.50", "@SUM(A1)", "正常", 5, "\tx"])
    assert next(iter(__import__("csv").reader(io.StringIO(buf.getvalue())))) == [
        "'=1+1", "'+cmd", "-12.50", "'@SUM(A1)", "正常", "5", "'\tx"]
    for write_only in (False, True):
        wb = openpyxl.Workbook(write_only=write_only)
        ws = wb.create_sheet("x") if write_only else wb.active
        ws.append(tabular.xlsx_cells(ws, ["=HYPERLINK(\"http://x\")", 3, "a\x01b", None]))
        out = io.BytesIO()
        wb.save(out)
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        first = sheet["A1"]
        assert first.data_type == "s" and first.value == "=HYPERLINK(\"http://x\")"
        assert sheet["B1"].value == 3 and sheet["C1"].value == "ab"

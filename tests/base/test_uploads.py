"""Type recognition of uploaded files by their first bytes (base.uploads.sniff)."""

from __future__ import annotations

import pytest

from spotcheck.base import uploads as evidence
from tests.factories import JPEG, MP4, PDF, PNG


@pytest.mark.parametrize(("head", "expected"), [
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    (MP4, "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
    (PDF, "application/pdf"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"MZ\x90\x00\x03", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
    (b"\x00\x00\x00\x18ftypzzzz", None),
    (b"", None),
])
def test_sniff(head, expected):
    assert evidence.sniff(head) == expected


@pytest.mark.django_db
def test_kind_families_and_limits():
    from spotcheck.inspections import evidence as inspection_evidence

    assert inspection_evidence.max_bytes("video/mp4") == 300 * 1024 * 1024
    assert inspection_evidence.max_bytes("image/jpeg") == inspection_evidence.max_bytes("application/pdf") \
        == 20 * 1024 * 1024
    assert evidence.family("application/pdf") == "pdf" and evidence.family("video/quicktime") == "video"


# --------------------------------------------------------------------------------------------
# Imports: tables by content (check_import / check_path), caps per kind, safe names.

import io as _io  # noqa: E402
import time  # noqa: E402

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from spotcheck.base import tabular  # noqa: E402
from tests.factories import EXECUTABLE, HTML_PAGE, refused_uploads, xlsx_bomb, zip_bytes  # noqa: E402


def _xlsx(rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = _io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_tables_are_recognised_by_content():
    checked = evidence.check_import(SimpleUploadedFile("名录.xlsx", _xlsx([["a", "b"], [1, 2]])), "directory")
    assert (checked.content_type, checked.extension, checked.name) == (evidence.XLSX, ".xlsx", "名录.xlsx")
    for text in ("名称,代码\r\n甲,1\r\n".encode("utf-8-sig"), "名称,代码\n甲,1\n".encode("gbk"), b"a,b\n"):
        assert evidence.check_import(SimpleUploadedFile("a.csv", text), "directory").content_type == evidence.CSV
    # GB18030 only after 64 KB of ASCII: the whole file decides, not its head
    late = b"a,b\n" * 20_000 + "甲,乙\n".encode("gb18030")
    assert evidence.check_import(SimpleUploadedFile("late.csv", late), "holidays").content_type == evidence.CSV


@pytest.mark.parametrize(("ext", "case", "fragment"), [
    (".csv", "html", "网页或 XML 文本"),
    (".xlsx", "html", "网页或 XML 文本"),
    (".csv", "exe", "可执行程序"),
    (".xlsx", "exe", "可执行程序"),
    (".csv", "nul", "含有 NUL 字节"),
    (".csv", "zip", "ZIP 压缩包"),
    (".xlsx", "zip", "ZIP 压缩包"),
    (".xlsx", "traversal", "evil.xlsx"),
])
def test_disguised_files_are_refused_with_the_name(ext, case, fragment):
    name, data = refused_uploads(ext)[case]
    with pytest.raises(evidence.UploadRejected) as refused:
        evidence.check_import(SimpleUploadedFile(name, data), "directory")
    message = str(refused.value)
    assert fragment in message and evidence.display_name(name) in message and "../" not in message


def test_binary_that_is_neither_utf8_nor_gb18030_is_refused():
    with pytest.raises(evidence.UploadRejected, match="编码无法识别：x.csv"):
        evidence.check_import(SimpleUploadedFile("x.csv", b"a,b\n\xff\xfe\xff\xfe\x80\x80\n"), "directory")


def test_the_extension_must_agree_with_the_content():
    with pytest.raises(evidence.UploadRejected, match="扩展名与内容不符：t.csv 的内容是Excel 工作簿"):
        evidence.check_import(SimpleUploadedFile("t.csv", _xlsx([["a"]])), "directory")
    with pytest.raises(evidence.UploadRejected, match="只支持 .csv 文件$"):
        evidence.check_import(SimpleUploadedFile("t.txt", b"a,b\n"), "holidays")
    with pytest.raises(evidence.UploadRejected, match=r"只支持 .xlsx 和 .csv 文件（.xls 请在 Excel/WPS 中另存为 .xlsx）"):
        evidence.check_import(SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), "planning")
    with pytest.raises(evidence.UploadRejected, match="类型不允许：只支持 .csv 文件"):  # regions, holidays: CSV only
        evidence.check_import(SimpleUploadedFile("r.xlsx", _xlsx([["a"]])), "regions")


def test_each_kind_has_its_cap(settings):
    settings.SPOTCHECK_IMPORT_MAX_BYTES = 80 * 1024 * 1024
    settings.SPOTCHECK_CLAIMS_MAX_BYTES = 10
    data = b"mdtrt_id,psn_no\n1,2\n"
    with pytest.raises(evidence.UploadRejected) as refused:
        evidence.check_import(SimpleUploadedFile("mdtrt_d.csv", data), "claims")
    assert str(refused.value) == f"文件过大：mdtrt_d.csv 为 {len(data)} 字节，结算数据文件上限为 10 字节"
    assert evidence.check_import(SimpleUploadedFile("mdtrt_d.csv", data), "directory").size == len(data)

    class Big(SimpleUploadedFile):  # a declared size is refused before any byte is read
        def read(self, *args):
            raise AssertionError("read")

    big = Big("xxx.xlsx", b"")
    big.size = 80 * 1024 * 1024 + 100 * 1024
    settings.SPOTCHECK_IMPORT_MAX_BYTES = 50 * 1024 * 1024
    with pytest.raises(evidence.UploadRejected) as refused:
        evidence.check_import(big, "directory")
    assert str(refused.value) == "文件过大：xxx.xlsx 为 80.1 MB，导入文件上限为 50 MB"
    assert evidence.size_text(80 * 1024 * 1024) == "80 MB" and evidence.size_text(1536) == "1.5 KB"


def test_a_zip_bomb_is_refused_by_its_unpacked_size_and_read_no_further_than_the_row_cap(settings):
    bomb = xlsx_bomb(300_000)
    assert len(bomb) < 2 * 1024 * 1024
    settings.SPOTCHECK_XLSX_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(evidence.UploadRejected, match=r"文件过大：bomb.xlsx 解压后为 .* MB，Excel 工作簿解压后的上限为 5 MB"):
        evidence.check_import(SimpleUploadedFile("bomb.xlsx", bomb), "directory")
    assert time.monotonic() - started < 1  # the sizes come from the ZIP directory: nothing is unpacked
    # under the unpacked cap, the reader still stops at the row cap without reading the rest
    started = time.monotonic()
    with pytest.raises(tabular.UnreadableFile, match="超过 1000 行"):
        list(tabular.iter_xlsx(bomb, max_rows=1000))
    assert time.monotonic() - started < 2


def test_a_zip_with_too_many_parts_or_a_forged_size_is_no_workbook():
    parts = {"[Content_Types].xml": b"<Types>application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
                                    b"</Types>", **{f"x/{i}": b"" for i in range(10_001)}}
    with pytest.raises(evidence.UploadRejected, match="部件过多"):
        evidence.check_import(SimpleUploadedFile("many.xlsx", zip_bytes(parts)), "directory")
    with pytest.raises(evidence.UploadRejected, match="ZIP 压缩包"):
        evidence.check_import(SimpleUploadedFile("cut.xlsx", _xlsx([["a"]])[:200]), "directory")


def test_display_name_never_keeps_a_path():
    assert evidence.display_name("../../x.csv") == "x.csv"
    assert evidence.display_name("C:\\fakepath\\..\\名录.xlsx") == "名录.xlsx"
    assert evidence.display_name("a\x00b\r\n.csv") == "ab.csv"
    assert evidence.display_name("..") == ".."  # shown only; never a path


def test_check_path_for_commands(tmp_path):
    good = tmp_path / "regions.csv"
    good.write_text("code,name\n140000,山西省\n", encoding="utf-8")
    assert evidence.check_path(good, "regions").content_type == evidence.CSV
    bad = tmp_path / "regions-2.csv"
    bad.write_bytes(EXECUTABLE)
    with pytest.raises(evidence.UploadRejected, match="regions-2.csv"):
        evidence.check_path(bad, "regions")
    with pytest.raises(evidence.UploadRejected, match="无法读取文件"):
        evidence.check_path(tmp_path / "missing.csv", "regions")


def test_documents_still_refuse_markup_and_archives():
    for name, data in (("x.pdf", HTML_PAGE), ("x.jpg", zip_bytes({"a": b"b"}))):
        with pytest.raises(evidence.UploadRejected, match="不允许上传"):
            evidence.check(SimpleUploadedFile(name, data), evidence.DOCUMENT_TYPES, 1024 * 1024)

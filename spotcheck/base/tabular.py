"""The one reader of uploaded tables (.csv and .xlsx) every import uses.

CSV is read as UTF-8 (BOM optional) unless its first megabyte does not decode, then as GB18030
(what Excel and WPS write on a Chinese Windows, a superset of GBK). Rows come as ``(number, cells)``
with the number Excel/WPS shows (the header is row 1) and blank rows skipped; the file is read as a
stream, so memory does not grow with it. A file that cannot be read at all raises
:class:`UnreadableFile` with a Chinese message; what the rows mean is the caller's business.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

#: Bytes looked at to choose the CSV encoding.
SNIFF_BYTES = 1 << 20

Row = tuple[int, list[Any]]


class UnreadableFile(Exception):
    """The file cannot be read as a table (type, encoding, a broken workbook); ``str`` is Chinese."""


def _too_long(max_rows: int) -> UnreadableFile:
    return UnreadableFile(f"文件超过 {max_rows} 行（空行也计算在内）的上限，请删除多余的空行或拆分后分批导入")


def csv_encoding(head: bytes) -> str:
    """``utf-8-sig`` when ``head`` (the start of the file) is UTF-8, else ``gb18030``."""
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def decode_text(data: bytes) -> str:
    """A whole text file in memory (UTF-8 with or without BOM, else GB18030) as ``str``."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("无法识别文件的编码，请另存为 UTF-8 或 GB18030（GBK）编码")


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _stream(data: bytes | IO[bytes]) -> IO[bytes]:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray) else data


def iter_csv(data: bytes | str | IO[bytes], max_rows: int | None = None) -> Iterator[Row]:
    """Non-blank rows of a CSV file (cells are ``str``). Bytes are decoded whole (UTF-8 is tried on all of
    them, then GB18030); an open file is streamed, its encoding chosen from its first megabyte."""
    if isinstance(data, bytes | bytearray):
        data = decode_text(bytes(data))
    if isinstance(data, str):
        text: IO[str] = io.StringIO(data.lstrip("\ufeff"), newline="")
        stream = None
    else:
        stream = _stream(data)
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=csv_encoding(head), newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(text), start=1):
            if max_rows is not None and number > max_rows:
                raise _too_long(max_rows)
            if not _blank(cells):
                yield number, cells
    except UnicodeDecodeError:
        raise UnreadableFile(f"第 {number + 1} 行附近：文件编码无法识别（请另存为 UTF-8 或 GB18030（GBK）编码的 CSV）")
    except csv.Error as exc:
        raise UnreadableFile(f"第 {number + 1} 行附近：CSV 格式错误（{exc}）")
    finally:
        if stream is not None and isinstance(text, io.TextIOWrapper):
            text.detach()


def iter_xlsx(data: bytes | IO[bytes], sheet: str | None = None, skip_sheets: Iterable[str] = (),
              progress: Callable[[int], None] | None = None, max_rows: int | None = None) -> Iterator[Row]:
    """Non-blank rows of sheet ``sheet`` (else the first sheet not in ``skip_sheets``) of a workbook.

    ``progress(row_number)`` is called every 50,000 rows read; past ``max_rows`` rows (blank ones
    included) reading stops with :class:`UnreadableFile`."""
    from openpyxl import load_workbook

    _bound_dimension_scan()
    try:
        wb = load_workbook(_stream(data), read_only=True, data_only=True)
    except Exception as exc:  # any failure to open is a problem of the uploaded file
        raise UnreadableFile(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{type(exc).__name__}）")
    try:
        names = [n for n in wb.sheetnames if n not in set(skip_sheets)] or wb.sheetnames
        ws = wb[sheet if sheet in wb.sheetnames else names[0]]
        ws.reset_dimensions()  # rows as stored: a forged <dimension> (A1:XFD1048576) must not pad every row
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            if max_rows is not None and number > max_rows:
                raise _too_long(max_rows)
            if progress is not None and number % 50_000 == 0:
                progress(number)
            if not _blank(cells):
                yield number, list(cells)
    finally:
        wb.close()


def _bound_dimension_scan() -> None:
    """Make openpyxl's read-only sheets stop looking for ``<dimension>`` where the rows begin.

    openpyxl 3.1 looks for it with "end" events, and ``<sheetData>`` ends only after its last row: a sheet
    without ``<dimension>`` was parsed whole when the workbook was opened, before any row cap could apply
    (a small .xlsx that unpacks to gigabytes of rows kept a worker busy for minutes). The replacement reads
    "start" events and stops at ``<sheetData>``; everything else about the sheet is unchanged."""
    from openpyxl.reader import excel
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    if getattr(excel.ReadOnlyWorksheet, "_spotcheck_bounded", False):
        return

    class BoundedReadOnlyWorksheet(ReadOnlyWorksheet):
        _spotcheck_bounded = True

        def _get_size(self) -> None:
            src = self._get_source()
            try:
                for _event, element in iterparse(src, events=("start",)):
                    if element.tag == DIMENSION_TAG:
                        ref = element.get("ref")
                        if ref:
                            dims = SheetDimension(ref=ref).boundaries
                            self._min_column, self._min_row, self._max_column, self._max_row = dims
                        return
                    if element.tag == DATA_TAG:
                        return
            except Exception:  # a broken sheet fails when its rows are read
                return
            finally:
                src.close()

    excel.ReadOnlyWorksheet = BoundedReadOnlyWorksheet


def iter_rows(data: bytes | IO[bytes], filename: str, max_rows: int | None = None, **xlsx: Any) -> Iterator[Row]:
    """Rows of an uploaded ``.csv`` or ``.xlsx`` (by the file name); other types are refused."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return iter_csv(data, max_rows=max_rows)
    if suffix == ".xlsx":
        return iter_xlsx(data, max_rows=max_rows, **xlsx)
    raise UnreadableFile("只支持 .xlsx 和 .csv 文件（.xls 请在 Excel/WPS 中另存为 .xlsx）")


# --------------------------------------------------------------------------------------------
# Writing: every CSV and Excel file the product produces goes through these, so that a cell that
# someone typed as "=HYPERLINK(…)" is shown as text and never run as a formula.

#: What makes a spreadsheet treat a cell as a formula (or a DDE call) when it opens a CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_text(value: Any) -> Any:
    """``value`` for a CSV cell: text beginning with ``= + - @`` (or a tab or CR) gets a leading
    apostrophe, which spreadsheets show as text and the product's imports strip; numbers (also a
    negative amount written as text) and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows pass through :func:`safe_text`; ``writerow`` returns what it wrote."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_text(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def xlsx_cells(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``ws.append``: text is stored as text (never a formula, characters Excel refuses
    removed); numbers, dates and empty cells keep their type. Works for normal and write-only sheets."""
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    make = WriteOnlyCell if isinstance(ws, WriteOnlyWorksheet) else Cell
    row: list[Any] = []
    for value in values:
        if not isinstance(value, str):
            row.append(value)
            continue
        cell = make(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        row.append(cell)
    return row

"""Uploaded tables for planning, on top of the directory's reader (``directory.io.read_table``).

Row numbers are the ones Excel/WPS shows (header included; 0 = the file as a whole) and errors
are ``directory.io.RowError`` so both apps report alike. Two additions for planning's tables:
cells become text keyed by column name, and a two-row header is read as one — the official item
list (附件4) merges "抽查项目" over "抽查类别 | 抽查事项", so the key column is then in row 2 and a
blank cell there takes the text above it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from spotcheck.base import tabular as base_tabular
from spotcheck.base import uploads
from spotcheck.directory.io import ImportFileError, RowError, read_table

__all__ = ["ImportRejected", "RowError", "Table", "missing_columns", "read_rows", "write_xlsx"]


class ImportRejected(Exception):
    """The file was refused as a whole; ``errors`` lists every problem found (nothing was written)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"文件有 {len(errors)} 处错误，未写入任何数据")
        self.errors = list(errors)


@dataclass
class Table:
    header_row: int
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value).strip()


def _name(text: str, aliases: Mapping[str, str]) -> str:
    name = "".join(text.split())
    return aliases.get(name, name)


def read_rows(upload: Any, key_column: str, aliases: Mapping[str, str] | None = None) -> Table:
    """The first sheet (or the CSV) of an uploaded file as ``(row number, {column: text})``.

    ``aliases`` maps other header texts (whitespace removed) to column names. Raises
    :class:`ImportRejected` when the file fails the upload check (``base.uploads``, kind ``planning``),
    cannot be read or its header lacks ``key_column``.
    """
    aliases = aliases or {}
    try:  # the upload check of every import (type by content, size cap) before any of it is read
        checked = uploads.check_import(upload, "planning")
    except uploads.UploadRejected as exc:
        raise ImportRejected([RowError(0, "", str(exc))]) from None
    try:
        raw = read_table(upload.read(), checked.name)
    except ImportFileError as exc:
        raise ImportRejected([RowError(0, "", str(exc))])
    header_row, headers, body = 1, [_text(h) for h in raw.headers], raw.rows
    if key_column not in {_name(h, aliases) for h in headers} and body and body[0][0] == 2:
        second = [_text(c) for c in body[0][1]]
        if key_column in {_name(h, aliases) for h in second}:
            header_row, body = 2, body[1:]
            headers = [second[j] if j < len(second) and second[j] else h for j, h in enumerate(headers)]
            headers += second[len(headers):]
    columns = [_name(h, aliases) for h in headers]
    if key_column not in columns:
        raise ImportRejected([RowError(0, key_column, f"表头中没有“{key_column}”列")])
    table = Table(header_row, columns)
    for number, cells in body:
        values = [_text(c) for c in cells]
        table.rows.append((number, {c: values[j] if j < len(values) else "" for j, c in enumerate(columns) if c}))
    return table


def missing_columns(table: Table, required: Iterable[str]) -> list[RowError]:
    """Errors for each required column absent from the header."""
    return [RowError(table.header_row, col, "缺少此列") for col in required if col not in table.columns]


def write_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: bold frozen header, then ``rows`` (the export is the import template)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [max(8, len(h) * 2 + 2) for h in headers]
    for row in rows:
        values = list(row)
        sheet.append(base_tabular.xlsx_cells(sheet, values))
        for j, value in enumerate(values):
            widths[j] = min(60, max(widths[j], len(str(value or "")) * 2))
    for j, width in enumerate(widths):
        sheet.column_dimensions[sheet.cell(row=1, column=j + 1).column_letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

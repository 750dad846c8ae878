"""A printable document as a list of blocks, independent of the output format.

Build a :class:`Document` once and render it with ``render_pdf`` or ``render_docx``; both renderers
understand every block type here, so a new kind of document (检查告知书, 现场检查笔录 …) only
describes its content::

    doc = Document("抽取记录", number=document_number("抽取记录", 2023, "140522-001"))
    doc.heading("抽查任务")                        # → "一、抽查任务"
    doc.fields([("任务名称", "2023 年定点医疗机构检查"), Field("参数摘要", digest, mono=True)])
    doc.table([Column("层", 3), Column("机构数", 1, align="right")], [["140522|H|中等", "10"]])
    doc.signatures("经办人", "审批人", "日期")
    pdf_bytes, docx_bytes = render_pdf(doc), render_docx(doc)

Text is plain text: ``\\n`` starts a new line inside a paragraph, field value or cell.
``mono`` text (digests, codes) uses a fixed-width face and may wrap at any character.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (1 ≤ n ≤ 99)."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_number supports 1–99, got {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def document_number(prefix: str, year: int | str, serial: str) -> str:
    """文号: ``document_number("抽取记录", 2023, "140522-001")`` → ``"抽取记录〔2023〕140522-001号"``."""
    return f"{prefix}〔{year}〕{serial}号"


@dataclass(frozen=True)
class Heading:
    """A section heading (黑体), already numbered by :meth:`Document.heading`."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Body text. ``indent``: first line indented by two characters (公文 style); ``keep_with_next``:
    start a new page rather than leave this paragraph alone at the foot of one (a table's lead-in)."""

    text: str
    indent: bool = True
    align: Align = "left"
    mono: bool = False
    small: bool = False
    keep_with_next: bool = False


@dataclass(frozen=True)
class Field:
    """One label/value line of a :class:`Fields` block."""

    label: str
    value: str
    mono: bool = False
    height: float = 0  # minimum row height in mm (room to write by hand), 0 = fit the text


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, printed as a bordered two-column table with shaded labels."""

    rows: tuple[Field, ...]


@dataclass(frozen=True)
class Column:
    """A table column: heading, relative width, alignment, fixed-width text."""

    title: str
    width: float = 1.0
    align: Align = "left"
    mono: bool = False


@dataclass(frozen=True)
class Table:
    """A bordered table whose heading row repeats on every page."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    row_height: float = 0  # minimum height of the body rows in mm (e.g. room for a signature)


@dataclass(frozen=True)
class Signatures:
    """A line of blanks to sign by hand: ``经办人：____  审批人：____  日期：____``."""

    labels: tuple[str, ...]


@dataclass(frozen=True)
class Closing:
    """The issuing authority and date at the foot of a letter, right-aligned, with room above for
    the seal: ``阳城县医疗保障局（印章）`` / ``2023年10月15日``."""

    issuer: str
    date: str
    seal: str = "（印章）"


Block = Heading | Paragraph | Fields | Table | Signatures | Closing


@dataclass
class Document:
    """Title, 文号 and blocks of one document (A4 portrait).

    With ``issuer`` (执法文书 style) the authority's name is printed above the title and the 文号
    right-aligned below it, without the rule; otherwise the 文号 is centred above a rule."""

    title: str
    number: str = ""
    subtitle: str = ""
    subject: str = ""
    author: str = "SpotCheck"
    issuer: str = ""
    blocks: list[Block] = field(default_factory=list)
    _headings: int = field(default=0, init=False, repr=False)

    def heading(self, text: str) -> Document:
        """Append a section heading numbered 一、二、三 …"""
        self._headings += 1
        self.blocks.append(Heading(f"{chinese_number(self._headings)}、{text}"))
        return self

    def paragraph(self, text: str, *, indent: bool = True, align: Align = "left", mono: bool = False,
                  small: bool = False, keep_with_next: bool = False) -> Document:
        self.blocks.append(Paragraph(text, indent=indent, align=align, mono=mono, small=small,
                                     keep_with_next=keep_with_next))
        return self

    def fields(self, rows: Iterable[Field | tuple[str, str]]) -> Document:
        """Append label/value rows; ``(label, value)`` tuples become plain (non-mono) fields."""
        items = tuple(r if isinstance(r, Field) else Field(*r) for r in rows)
        if items:
            self.blocks.append(Fields(items))
        return self

    def table(self, columns: Iterable[Column], rows: Iterable[Iterable[str]], *,
              row_height: float = 0) -> Document:
        """Append a table; every row must have one cell per column. ``row_height``: minimum height
        (mm) of the body rows, e.g. to sign in."""
        cols = tuple(columns)
        body = tuple(tuple(str(c) for c in row) for row in rows)
        for i, row in enumerate(body, start=1):
            if len(row) != len(cols):
                raise ValueError(f"table row {i} has {len(row)} cells, expected {len(cols)}")
        self.blocks.append(Table(cols, body, row_height=row_height))
        return self

    def signatures(self, *labels: str) -> Document:
        self.blocks.append(Signatures(labels or ("经办人", "审批人", "日期")))
        return self

    def closing(self, issuer: str, date: str, seal: str = "（印章）") -> Document:
        """Append the issuer, the place of the seal and the date (right-aligned)."""
        self.blocks.append(Closing(issuer, date, seal))
        return self

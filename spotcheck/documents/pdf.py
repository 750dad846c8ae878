"""PDF rendering of a :class:`~spotcheck.documents.model.Document` with fpdf2 and embedded CJK fonts.

A4 portrait, margins 25 mm (top, left) / 20 mm (right, bottom), title and section headings in a
bold 黑体-like face, body in a serif CJK face, bordered tables whose heading row repeats on
every page, "第 X 页 共 Y 页" in the footer. Fonts are subset, so a document stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableHeadingsDisplay, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from .fonts import FontFile, FontSet, find_fonts
from .layout import (
    BODY_PT,
    FOOTER_PT,
    HEADING_PT,
    ISSUER_PT,
    MONO_PT,
    NUMBER_PT,
    PAGE_MARGINS_MM,
    SMALL_PT,
    SPACED_TITLE_CHARS,
    TABLE_PT,
    TITLE_PT,
)
from .linebreak import wrap
from .model import Closing, Document, Fields, Heading, Paragraph, Signatures, Table

LINE_SPACING = 1.6  # body line height as a multiple of the font size
TABLE_LINE_SPACING = 1.45
CELL_PADDING = (1.2, 1.8)  # top/bottom, left/right (mm)
WRAP_SLACK = 0.3  # mm kept free so that fpdf2 never re-breaks a pre-broken line
KEEP_WITH_NEXT_MM = 25  # room the next block needs below a keep-with-next paragraph
PT_MM = 25.4 / 72
LABEL_FILL = (242, 242, 242)
HEADING_FILL = (230, 230, 230)
_ALIGN = {"left": "L", "center": "C", "right": "R"}


@dataclass(frozen=True)
class _Faces:
    """fpdf2 family names of the logical faces, and whether bold must be imitated."""

    body: str
    hei: str
    mono: str
    fake_bold: bool


def _line_mm(size_pt: float, spacing: float = LINE_SPACING) -> float:
    return size_pt * spacing * PT_MM


class _Pdf(FPDF):
    def __init__(self, faces_of: FontSet) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(PAGE_MARGINS_MM["left"], PAGE_MARGINS_MM["top"], PAGE_MARGINS_MM["right"])
        self.set_auto_page_break(True, margin=PAGE_MARGINS_MM["bottom"] + 4)
        self.faces = self._register(faces_of)

    def _register(self, fonts: FontSet) -> _Faces:
        names: dict[FontFile, str] = {}

        def family(face: FontFile) -> str:
            if face not in names:
                names[face] = f"cjk{len(names)}"
                self.add_font(names[face], "", face.path, collection_font_number=face.index)
            return names[face]

        return _Faces(
            body=family(fonts.regular), hei=family(fonts.heading or fonts.regular),
            mono=family(fonts.mono or fonts.regular), fake_bold=fonts.heading is None,
        )

    def footer(self) -> None:
        self.set_y(-PAGE_MARGINS_MM["bottom"] + 4)
        self.set_font(self.faces.body, size=FOOTER_PT)
        self.cell(0, 6, f"第 {self.page_no()} 页 共 {self.str_alias_nb_pages} 页", align="C")

    def broken(self, text: str, family: str, size: float, width: float) -> str:
        """``text`` broken into lines (Chinese rules, see ``linebreak``) for ``width`` mm in this face."""
        self.set_font(family, size=size)
        return "\n".join(wrap(text, width - WRAP_SLACK, self.get_string_width))

    def text_block(self, text: str, family: str, size: float, line: float, align: str = "L") -> None:
        """A paragraph across the text width, broken by :meth:`broken`."""
        text = self.broken(text, family, size, self.epw - 2 * self.c_margin)
        self.multi_cell(0, line, text, align=align, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)

    def bold_text(self, size: float, text: str, align: str, line: float) -> None:
        """A text block in the heading face, imitating bold by stroking when there is none."""
        fake = self.faces.fake_bold
        if fake:
            self.text_mode, self.line_width = TextMode.FILL_STROKE, 0.25
        self.text_block(text, self.faces.hei, size, line, align)
        if fake:
            self.text_mode, self.line_width = TextMode.FILL, 0.2

    def space_left(self) -> float:
        return self.page_break_trigger - self.get_y()


def render_pdf(doc: Document, fonts: FontSet | None = None) -> bytes:
    """The document as PDF bytes. Raises ``FontNotFoundError`` when no CJK font is installed."""
    pdf = _Pdf(fonts or find_fonts())
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subject or doc.number)
    pdf.set_author(doc.author)
    pdf.set_creator("SpotCheck")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    _title(pdf, doc)
    for block in doc.blocks:
        _RENDER[type(block)](pdf, block)
    return bytes(pdf.output())


def _title(pdf: _Pdf, doc: Document) -> None:
    if doc.issuer:
        _official_title(pdf, doc)
        return
    f = pdf.faces
    short = len(doc.title) <= SPACED_TITLE_CHARS
    if short:  # 公文 style: a short title is letter-spaced
        pdf.set_char_spacing(TITLE_PT * 0.25)
    pdf.bold_text(TITLE_PT, doc.title, "C", _line_mm(TITLE_PT, 1.5))
    if short:
        pdf.set_char_spacing(0)
    if doc.number:
        pdf.ln(1)
        pdf.set_font(f.body, size=NUMBER_PT)
        pdf.cell(0, _line_mm(NUMBER_PT, 1.4), doc.number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    y = pdf.get_y()
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_line_width(0.2)
    pdf.ln(2.5)
    if doc.subtitle:
        pdf.text_block(doc.subtitle, f.body, SMALL_PT, _line_mm(SMALL_PT), "R")


def _official_title(pdf: _Pdf, doc: Document) -> None:
    """执法文书 style: the authority, the letter-spaced title, the 文号 right-aligned, no rule."""
    f = pdf.faces
    pdf.bold_text(ISSUER_PT, doc.issuer, "C", _line_mm(ISSUER_PT, 1.5))
    pdf.ln(1)
    short = len(doc.title) <= SPACED_TITLE_CHARS
    if short:
        pdf.set_char_spacing(TITLE_PT * 0.25)
    pdf.bold_text(TITLE_PT, doc.title, "C", _line_mm(TITLE_PT, 1.5))
    if short:
        pdf.set_char_spacing(0)
    pdf.ln(2)
    if doc.number:
        pdf.set_font(f.body, size=NUMBER_PT)
        pdf.cell(0, _line_mm(NUMBER_PT, 1.4), doc.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.subtitle:
        pdf.text_block(doc.subtitle, f.body, SMALL_PT, _line_mm(SMALL_PT), "R")
    pdf.ln(3)


def _heading(pdf: _Pdf, block: Heading) -> None:
    if pdf.space_left() < 35:  # keep a heading with the first lines of its section
        pdf.add_page()
    pdf.ln(3)
    pdf.bold_text(HEADING_PT, block.text, "L", _line_mm(HEADING_PT, 1.5))
    pdf.ln(1)


def _paragraph(pdf: _Pdf, block: Paragraph) -> None:
    size = MONO_PT if block.mono else SMALL_PT if block.small else BODY_PT
    family = pdf.faces.mono if block.mono else pdf.faces.body
    text = ("\u3000\u3000" + block.text) if block.indent else block.text
    line = _line_mm(SMALL_PT if block.small else BODY_PT)
    if block.keep_with_next:
        height = line * (pdf.broken(text, family, size, pdf.epw - 2 * pdf.c_margin).count("\n") + 1)
        if pdf.space_left() < height + KEEP_WITH_NEXT_MM:
            pdf.add_page()
    pdf.text_block(text, family, size, line, _ALIGN[block.align])


def _cells(pdf: _Pdf, widths: list[float], aligns: list[str], heading: FontFace | None = None) -> Any:
    """A bordered table over the text width with columns of ``widths`` mm; with ``heading`` its first
    row is a heading row repeated on every page. The caller fills it."""
    pdf.set_font(pdf.faces.body, size=TABLE_PT)
    pdf.ln(1)
    return pdf.table(
        align="LEFT", col_widths=tuple(widths), text_align=tuple(a.upper() for a in aligns),
        wrapmode=WrapMode.CHAR, line_height=_line_mm(TABLE_PT, TABLE_LINE_SPACING), padding=CELL_PADDING,
        v_align="M", width=pdf.epw,
        first_row_as_headings=heading is not None, headings_style=heading or FontFace(),
        repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE,
    )


def _cell(pdf: _Pdf, row: Any, text: str, width: float, face: FontFace) -> None:
    """One cell, its text broken for the column width less the padding."""
    family, size = face.family or pdf.faces.body, face.size_pt or TABLE_PT
    row.cell(pdf.broken(text, family, size, width - 2 * CELL_PADDING[1]), style=face)


def _faces(pdf: _Pdf) -> dict[str, FontFace]:
    f = pdf.faces
    return {
        "body": FontFace(family=f.body, emphasis="", size_pt=TABLE_PT),
        "mono": FontFace(family=f.mono, emphasis="", size_pt=MONO_PT),
        "label": FontFace(family=f.hei, emphasis="", size_pt=TABLE_PT, fill_color=LABEL_FILL),
        "head": FontFace(family=f.hei, emphasis="", size_pt=TABLE_PT, fill_color=HEADING_FILL),
    }


def _fields(pdf: _Pdf, block: Fields) -> None:
    faces = _faces(pdf)
    pdf.set_font(pdf.faces.hei, size=TABLE_PT)
    label_w = max(pdf.get_string_width(r.label) for r in block.rows) + 2 * CELL_PADDING[1] + 1.5
    label_w = min(max(label_w, pdf.epw * 0.18), pdf.epw * 0.32)
    widths = [label_w, pdf.epw - label_w]
    with _cells(pdf, widths, ["center", "left"]) as table:
        for r in block.rows:
            row = table.row(min_height=r.height or None)
            _cell(pdf, row, r.label, widths[0], faces["label"])
            _cell(pdf, row, r.value or "—", widths[1], faces["mono" if r.mono else "body"])
    pdf.ln(2)


def _table(pdf: _Pdf, block: Table) -> None:
    faces = _faces(pdf)
    total = sum(c.width for c in block.columns)
    widths = [pdf.epw * c.width / total for c in block.columns]
    with _cells(pdf, widths, [c.align for c in block.columns], heading=faces["head"]) as table:
        head = table.row()
        for c, width in zip(block.columns, widths, strict=True):
            head.cell(pdf.broken(c.title, pdf.faces.hei, TABLE_PT, width - 2 * CELL_PADDING[1]),
                      style=faces["head"], align="CENTER")
        for cells in block.rows:
            row = table.row(min_height=block.row_height or None)
            for c, width, text in zip(block.columns, widths, cells, strict=True):
                _cell(pdf, row, text, width, faces["mono" if c.mono else "body"])
    pdf.ln(2)


def _signatures(pdf: _Pdf, block: Signatures) -> None:
    line = _line_mm(BODY_PT, 2.0)
    if pdf.space_left() < line + 12:
        pdf.add_page()
    pdf.ln(10)
    pdf.set_font(pdf.faces.body, size=BODY_PT)
    width = pdf.epw / len(block.labels)
    y = pdf.get_y()
    for i, label in enumerate(block.labels):
        x = pdf.l_margin + i * width
        pdf.set_xy(x, y)
        text = f"{label}："
        pdf.cell(pdf.get_string_width(text), line, text)
        baseline = y + line * 0.72
        pdf.line(pdf.get_x() + 1, baseline, x + width - 6, baseline)
    pdf.set_xy(pdf.l_margin, y + line)


def _closing(pdf: _Pdf, block: Closing) -> None:
    """Issuer and date right-aligned, centred on each other, with room above for the seal."""
    line = _line_mm(BODY_PT, 1.8)
    if pdf.space_left() < 3 * line + 14:
        pdf.add_page()
    pdf.ln(14)
    pdf.set_font(pdf.faces.body, size=BODY_PT)
    issuer = f"{block.issuer}{block.seal}"
    width = max(pdf.get_string_width(issuer), pdf.get_string_width(block.date)) + 2 * pdf.c_margin
    x = pdf.w - pdf.r_margin - width - pdf.get_string_width("\u3000") * 2
    for text in (issuer, block.date):
        pdf.set_x(x)
        pdf.cell(width, line, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


_RENDER = {Heading: _heading, Paragraph: _paragraph, Fields: _fields, Table: _table, Signatures: _signatures,
           Closing: _closing}


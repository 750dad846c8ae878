"""DOCX rendering of a :class:`~spotcheck.documents.model.Document` with python-docx, for WPS and Word.

Same layout as the PDF: A4, margins 25/20 mm, title in bold 宋体, headings in 黑体, body in 宋体
(Latin text in Times New Roman), digests in Courier New, "Table Grid" tables whose heading row
repeats on every page, "第 X 页 共 Y 页" from PAGE/NUMPAGES fields in the footer. Fonts are named,
not embedded: every East-Asian run carries ``w:eastAsia`` so WPS and Word pick the Chinese face.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

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
from .model import Align, Closing, Document, Fields, Heading, Paragraph, Signatures, Table

LATIN, SONG, HEI, MONO = "Times New Roman", "宋体", "黑体", "Courier New"
LABEL_FILL, HEADING_FILL = "F2F2F2", "E6E6E6"
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
}

# Children that must follow a given element inside its parent (WordprocessingML schema order).
_AFTER_RPR_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
                      "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
                      "w:eastAsianLayout", "w:specVanish", "w:oMath")
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
               "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
               "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
               "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_AFTER_TC_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def set_fonts(rpr: Any, east_asia: str, latin: str = LATIN) -> None:
    """Name the Latin and East-Asian faces on a ``w:rPr`` (theme fonts removed so they cannot win)."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        fonts.set(qn(attr), value)


def _run(paragraph: DocxParagraph, text: str, *, east_asia: str = SONG, size: float = BODY_PT,
         bold: bool = False, mono: bool = False, underline: bool = False) -> None:
    """Append ``text`` as runs, one line break per ``\\n``."""
    for i, line in enumerate(text.split("\n")):
        run = paragraph.add_run()
        if i:
            run.add_break()
        run.add_text(line)
        run.font.size = Pt(size)
        run.font.bold = bold or None
        run.font.underline = underline or None
        set_fonts(run._element.get_or_add_rPr(), east_asia, MONO if mono else LATIN)


def _spacing(paragraph: DocxParagraph, *, before: float = 0, after: float = 0,
             line: float | None = None) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line is not None:
        fmt.line_spacing = line


def _letter_spacing(paragraph: DocxParagraph, points: float) -> None:
    for run in paragraph.runs:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(round(points * 20)))
        run._element.get_or_add_rPr().insert_element_before(spacing, *_AFTER_RPR_SPACING)


def _bottom_rule(paragraph: DocxParagraph) -> None:
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "000000")):
        bottom.set(qn(attr), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(border, *_AFTER_PBDR)


def _setup(document: Any, doc: Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(PAGE_MARGINS_MM["left"]), Mm(PAGE_MARGINS_MM["right"])
    section.top_margin, section.bottom_margin = Mm(PAGE_MARGINS_MM["top"]), Mm(PAGE_MARGINS_MM["bottom"] + 5)
    section.footer_distance = Mm(10)
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, SONG)
    lang = defaults.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    set_fonts(normal.element.get_or_add_rPr(), SONG)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.5
    props = document.core_properties
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    props.title = doc.title
    props.subject = doc.subject or doc.number
    props.author = props.last_modified_by = doc.author
    props.comments = "SpotCheck"
    props.language = "zh-CN"
    props.created = props.modified = now
    props.revision = 1
    _footer(section.footer.paragraphs[0])


def _field(paragraph: DocxParagraph, instruction: str) -> None:
    """A complex field (``PAGE``, ``NUMPAGES``) that Word and WPS update when they lay out pages."""
    for kind in ("begin", "instr", "separate", "1", "end"):
        run = paragraph.add_run()
        run.font.size = Pt(FOOTER_PT)
        set_fonts(run._element.get_or_add_rPr(), SONG)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._element.append(instr)
        elif kind == "1":
            run.text = "1"
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)


def _footer(paragraph: DocxParagraph) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "第 ", size=FOOTER_PT)
    _field(paragraph, "PAGE")
    _run(paragraph, " 页 共 ", size=FOOTER_PT)
    _field(paragraph, "NUMPAGES")
    _run(paragraph, " 页", size=FOOTER_PT)


def render_docx(doc: Document) -> bytes:
    """The document as DOCX bytes (no font needed on the server)."""
    document = docx.Document()
    _setup(document, doc)
    body = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    _title(document, body, doc)
    for block in doc.blocks:
        _RENDER[type(block)](document, block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _title(document: Any, first: DocxParagraph, doc: Document) -> None:
    if doc.issuer:
        _official_title(document, first, doc)
        return
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(first, doc.title, size=TITLE_PT, bold=True)
    _spacing(first, after=4, line=1.2)
    if len(doc.title) <= SPACED_TITLE_CHARS:
        _letter_spacing(first, TITLE_PT * 0.25)
    rule = first
    if doc.number:
        rule = document.add_paragraph()
        rule.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(rule, doc.number, size=NUMBER_PT)
        _spacing(rule, after=6, line=1.2)
    _bottom_rule(rule)
    if doc.subtitle:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(p, doc.subtitle, size=SMALL_PT)
        _spacing(p, before=6)


def _official_title(document: Any, first: DocxParagraph, doc: Document) -> None:
    """执法文书 style: the authority, the letter-spaced title, the 文号 right-aligned, no rule."""
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(first, doc.issuer, size=ISSUER_PT, bold=True)
    _spacing(first, after=2, line=1.2)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, doc.title, size=TITLE_PT, bold=True)
    _spacing(title, after=6, line=1.2)
    if len(doc.title) <= SPACED_TITLE_CHARS:
        _letter_spacing(title, TITLE_PT * 0.25)
    for text, size in ((doc.number, NUMBER_PT), (doc.subtitle, SMALL_PT)):
        if text:
            p = document.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(p, text, size=size)
            _spacing(p, line=1.2)
    document.paragraphs[-1].paragraph_format.space_after = Pt(8)


def _min_height(row: Any, mm: float) -> None:
    if mm:
        row.height = Mm(mm)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def _heading(document: Any, block: Heading) -> None:
    p = document.add_paragraph()
    _run(p, block.text, east_asia=HEI, size=HEADING_PT)
    _spacing(p, before=10, after=4)
    p.paragraph_format.keep_with_next = True


def _paragraph(document: Any, block: Paragraph) -> None:
    p = document.add_paragraph()
    size = SMALL_PT if block.small else BODY_PT
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if block.align == "left" else _ALIGN[block.align]
    if block.indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.keep_with_next = block.keep_with_next or None
    _run(p, block.text, size=MONO_PT if block.mono else size, mono=block.mono)


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    for attr, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shd.set(qn(attr), value)
    cell._tc.get_or_add_tcPr().insert_element_before(shd, *_AFTER_TC_SHD)


def _cell(cell: _Cell, text: str, *, width: Any, align: Align = "left", east_asia: str = SONG,
          mono: bool = False, fill: str = "") -> None:
    cell.width = width
    if fill:
        _shade(cell, fill)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.alignment = _ALIGN[align]
    _spacing(p, before=1.5, after=1.5, line=1.2)
    _run(p, text, east_asia=east_asia, size=MONO_PT if mono else TABLE_PT, mono=mono)


def _row_flag(row: Any, tag: str) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def _new_table(document: Any, rows: int, widths: list[int]) -> Any:
    """A bordered fixed-layout table with the given column widths (EMU)."""
    table = document.add_table(rows=rows, cols=len(widths))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    return table


def _text_width(document: Any) -> int:
    section = document.sections[0]
    return section.page_width - section.left_margin - section.right_margin


def _fields(document: Any, block: Fields) -> None:
    total = _text_width(document)
    longest = max(len(r.label) for r in block.rows)
    label_w = int(min(max(Pt(TABLE_PT * (longest + 2)), total * 0.18), total * 0.32))
    table = _new_table(document, len(block.rows), [label_w, total - label_w])
    for row, field in zip(table.rows, block.rows, strict=True):
        _min_height(row, field.height)
        _row_flag(row, "w:cantSplit")
        _cell(row.cells[0], field.label, width=label_w, align="center", east_asia=HEI, fill=LABEL_FILL)
        _cell(row.cells[1], field.value or "—", width=total - label_w, mono=field.mono)
    _gap(document)


def _table(document: Any, block: Table) -> None:
    total = _text_width(document)
    weight = sum(c.width for c in block.columns)
    widths = [int(total * c.width / weight) for c in block.columns]
    table = _new_table(document, len(block.rows) + 1, widths)
    head = table.rows[0]
    _row_flag(head, "w:tblHeader")
    _row_flag(head, "w:cantSplit")
    for cell, column, width in zip(head.cells, block.columns, widths, strict=True):
        _cell(cell, column.title, width=width, align="center", east_asia=HEI, fill=HEADING_FILL)
    for row, cells in zip(table.rows[1:], block.rows, strict=True):
        _min_height(row, block.row_height)
        _row_flag(row, "w:cantSplit")
        for cell, column, width, text in zip(row.cells, block.columns, widths, cells, strict=True):
            _cell(cell, text, width=width, align=column.align, mono=column.mono)
    _gap(document)


def _gap(document: Any) -> None:
    """An empty small paragraph after a table (Word merges adjacent tables otherwise)."""
    p = document.add_paragraph()
    _spacing(p, line=1.0)
    p.paragraph_format.line_spacing = Pt(6)


def _signatures(document: Any, block: Signatures) -> None:
    """A borderless one-row table: each label followed by a blank with a bottom border to sign on
    (underlined spaces are unreliable: Word does not underline spaces at the end of a line)."""
    spacer = document.add_paragraph()
    spacer.paragraph_format.space_before = Pt(18)
    spacer.paragraph_format.keep_with_next = True
    total = _text_width(document)
    share = total // len(block.labels)
    widths: list[int] = []
    for label in block.labels:
        label_w = int(Pt(BODY_PT * (len(label) + 1.5)))
        widths += [label_w, share - label_w - int(Mm(4)), int(Mm(4))]
    table = document.add_table(rows=1, cols=len(widths))
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    cells = table.rows[0].cells
    for i, label in enumerate(block.labels):
        label_cell, blank, gap = cells[3 * i: 3 * i + 3]
        label_cell.width, blank.width, gap.width = widths[3 * i: 3 * i + 3]
        _run(label_cell.paragraphs[0], f"{label}：")
        label_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        borders = OxmlElement("w:tcBorders")
        bottom = OxmlElement("w:bottom")
        for attr, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
            bottom.set(qn(attr), value)
        borders.append(bottom)
        blank._tc.get_or_add_tcPr().insert_element_before(borders, "w:shd", *_AFTER_TC_SHD)


def _closing(document: Any, block: Closing) -> None:
    """Issuer (with the place of the seal) and date right-aligned, centred on each other, room above."""
    issuer = f"{block.issuer}{block.seal}"
    pad = max(len(issuer), len(block.date))
    for i, text in enumerate((issuer, block.date)):
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(BODY_PT * (2 + (pad - len(text)) / 2))
        p.paragraph_format.keep_with_next = i == 0 or None
        if i == 0:
            p.paragraph_format.space_before = Pt(36)
        _run(p, text)


_RENDER = {Heading: _heading, Paragraph: _paragraph, Fields: _fields, Table: _table, Signatures: _signatures,
           Closing: _closing}

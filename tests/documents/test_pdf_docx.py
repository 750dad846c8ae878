"""The document layer: fonts, the block model, PDF (read back with poppler) and DOCX (python-docx)."""

from __future__ import annotations

import re

import pytest
from docx.oxml.ns import qn

from spotcheck.documents import (
    Column,
    Document,
    Field,
    chinese_number,
    document_number,
    render_docx,
    render_pdf,
)
from spotcheck.documents import fonts as fonts_mod
from spotcheck.documents.fonts import FontFile, FontNotFoundError, find_fonts, parse_spec

from .helpers import docx_text, open_docx, pdf_info, pdf_text, save_first_page_png, squeeze

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
NOTO_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def sample() -> Document:
    doc = Document("现场检查笔录", number=document_number("阳医保检", 2023, "12"), subtitle="打印时间：2023-05-01")
    doc.heading("基本情况")
    doc.fields([("被检查单位", "阳城县人民医院"), Field("参数摘要", DIGEST, mono=True),
                ("检查事项", "1. 重复收费\n2. 超标准收费")])
    doc.paragraph("经检查，该院存在串换药品、耗材、诊疗项目和服务设施的问题。" * 3)
    doc.heading("检查人员")
    doc.table([Column("序号", 0.6, "center"), Column("姓名", 1), Column("执法证号", 1.5, mono=True),
               Column("单位", 3)],
              [[str(i), f"检查员{i}", f"1405{i:08d}", "阳城县医疗保障局基金监管股（行政执法）"] for i in range(1, 61)])
    doc.signatures("检查人员", "被检查单位负责人", "日期")
    return doc


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_pdf(sample())


def test_numbers():
    numbers = [chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99)]
    assert numbers == ["一", "九", "十", "十一", "二十", "二十三", "九十九"]
    with pytest.raises(ValueError):
        chinese_number(0)
    assert document_number("抽取记录", 2023, "140522-001") == "抽取记录〔2023〕140522-001号"


def test_headings_are_numbered_and_rows_checked():
    doc = Document("告知书")
    doc.heading("甲").heading("乙")
    assert [b.text for b in doc.blocks] == ["一、甲", "二、乙"]
    with pytest.raises(ValueError, match="row 2 has 1 cells, expected 2"):
        doc.table([Column("a"), Column("b")], [["1", "2"], ["3"]])


def test_font_lookup_picks_the_simplified_chinese_face(monkeypatch):
    monkeypatch.delenv(fonts_mod.ENV_VAR, raising=False)
    found = find_fonts()
    assert found.regular == FontFile(NOTO_SERIF, 2)  # JP, KR, SC, TC, HK
    assert found.heading is not None and found.heading.index == 2
    assert found.mono is not None and found.mono.index == 7  # Noto Sans Mono CJK SC


def test_font_setting_and_missing_font(monkeypatch, tmp_path):
    assert parse_spec(f"{NOTO_SERIF}:3") == FontFile(NOTO_SERIF, 3)
    assert parse_spec(NOTO_SERIF) == FontFile(NOTO_SERIF, 2)
    monkeypatch.setenv(fonts_mod.ENV_VAR, f"{NOTO_SERIF}:2")
    assert find_fonts().regular == FontFile(NOTO_SERIF, 2) and find_fonts().heading is None
    monkeypatch.setenv(fonts_mod.ENV_VAR, str(tmp_path / "none.ttc"))
    with pytest.raises(FontNotFoundError, match="SPOTCHECK_CJK_FONT 指定的字体文件不存在"):
        find_fonts()
    monkeypatch.delenv(fonts_mod.ENV_VAR)
    monkeypatch.setattr(fonts_mod, "CANDIDATES", (fonts_mod._Candidate(str(tmp_path / "x.ttc")),))
    with pytest.raises(FontNotFoundError, match="未找到中文字体：请安装 fonts-noto-cjk"):
        find_fonts()


def test_pdf_has_the_chinese_text_embedded_fonts_and_metadata(pdf_bytes):
    text = pdf_text(pdf_bytes)
    flat = squeeze(text)
    for expected in ("现场检查笔录", "阳医保检〔2023〕12号", "一、基本情况", "二、检查人员", "被检查单位",
                     "阳城县人民医院", "串换药品、耗材", "检查员60", "140500000060", "被检查单位负责人：", DIGEST):
        assert squeeze(expected) in flat, expected
    info = pdf_info(pdf_bytes)
    pages = int(info["Pages"])
    assert pages >= 2
    assert info["Title"] == "现场检查笔录" and info["Creator"] == "SpotCheck"
    assert info["Page size"].startswith("595.28 x 841.89")  # A4
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    assert b"/FontFile3" in pdf_bytes or b"/FontFile2" in pdf_bytes
    assert len(pdf_bytes) < 400_000  # fonts are subset
    save_first_page_png(pdf_bytes, "builder-sample")


def test_pdf_repeats_the_table_heading_on_each_page(pdf_bytes):
    pages = int(pdf_info(pdf_bytes)["Pages"])
    for page in range(2, pages + 1):
        text = pdf_text(pdf_bytes, page)
        if "检查员" in text:
            assert "执法证号" in text, page


def test_pdf_wraps_long_text_in_narrow_cells():
    doc = Document("测试")
    doc.table([Column("摘要", 1, mono=True), Column("说明", 1)], [[DIGEST * 2, "很长的中文说明" * 20]])
    text = pdf_text(render_pdf(doc))
    assert squeeze(DIGEST * 2) in squeeze(text) and squeeze("很长的中文说明" * 20) in squeeze(text)
    longest = max(len(line) for line in text.splitlines())
    assert longest < 64  # the digest did not run off the page


def test_docx_contains_the_texts_fonts_and_layout():
    data = render_docx(sample())
    text = docx_text(data)
    for expected in ("现场检查笔录", "阳医保检〔2023〕12号", "一、基本情况", "阳城县人民医院", DIGEST,
                     "检查员60", "被检查单位负责人：", "第 1 页 共 1 页"):
        assert expected in text, expected
    document = open_docx(data)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (25, 20)
    assert document.core_properties.title == "现场检查笔录" and document.core_properties.author == "SpotCheck"

    def east_asia(paragraph) -> set[str]:
        return {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in paragraph.runs}

    by_text = {p.text: p for p in document.paragraphs}
    assert east_asia(by_text["一、基本情况"]) == {"黑体"}
    assert east_asia(by_text["现场检查笔录"]) == {"宋体"} and by_text["现场检查笔录"].runs[0].bold
    body = next(p for p in document.paragraphs if p.text.startswith("经检查"))
    assert east_asia(body) == {"宋体"}
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "宋体"

    fields, people, signatures = document.tables
    blank = signatures.cell(0, 1)._tc.tcPr
    assert signatures.cell(0, 0).text == "检查人员：" and signatures.style.name != "Table Grid"
    assert blank.find(f"{qn('w:tcBorders')}/{qn('w:bottom')}").get(qn("w:val")) == "single"
    assert fields.style.name == "Table Grid" and people.style.name == "Table Grid"
    assert fields.cell(1, 1).paragraphs[0].runs[0]._element.rPr.rFonts.get(qn("w:ascii")) == "Courier New"
    header = people.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None
    assert people.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    footer_xml = document.sections[0].footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer_xml)
    assert re.search(r"<w:instrText[^>]*> NUMPAGES </w:instrText>", footer_xml)


def official() -> Document:
    doc = Document("检查告知书", number="阳医保检告〔2023〕7号", issuer="阳城县医疗保障局")
    doc.paragraph("阳城县人民医院：", indent=False)
    doc.fields([Field("被检查单位意见", "以上笔录已阅。", height=30)])
    doc.table([Column("姓名"), Column("签名", 2)], [["张三", ""], ["李四", ""]], row_height=12)
    doc.closing("阳城县医疗保障局", "2023年10月15日")
    return doc


def test_official_header_closing_and_row_heights():
    text = squeeze(pdf_text(render_pdf(official())))
    for expected in ("阳城县医疗保障局", "检查告知书", "阳医保检告〔2023〕7号", "阳城县人民医院：", "阳城县医疗保障局（印章）",
                     "2023年10月15日", "被检查单位意见"):
        assert squeeze(expected) in text, expected
    assert text.index("阳城县医疗保障局") < text.index("检查告知书") < text.index("阳医保检告")
    data = render_docx(official())
    document = open_docx(data)
    paragraphs = [p for p in document.paragraphs if p.text]
    assert [p.text for p in paragraphs[:3]] == ["阳城县医疗保障局", "检查告知书", "阳医保检告〔2023〕7号"]
    assert paragraphs[2].alignment == 2  # right
    closing = [p for p in paragraphs if p.text in ("阳城县医疗保障局（印章）", "2023年10月15日")]
    assert len(closing) == 2 and all(p.alignment == 2 for p in closing)
    fields, people = document.tables
    assert round(fields.rows[0].height.mm) == 30 and round(people.rows[1].height.mm) == 12
    assert people.rows[0].height is None

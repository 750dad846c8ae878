"""Reading rendered documents back: PDF text and metadata through poppler, DOCX through python-docx.

Sample pages are written as PNG (80 dpi) to ``test-artifacts/documents/`` for a person to look at.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import docx

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def _poppler(tool: str, data: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        done = subprocess.run([tool, *args, str(path), *([] if tool == "pdfinfo" else ["-"])],
                              capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def pdf_text(data: bytes, page: int | None = None) -> str:
    """The text of the whole PDF, or of one page (1-based)."""
    pages = ("-f", str(page), "-l", str(page)) if page else ()
    return _poppler("pdftotext", data, "-enc", "UTF-8", *pages)


def pdf_info(data: bytes) -> dict[str, str]:
    """``pdfinfo`` fields (Title, Creator, Pages, Page size …)."""
    lines = _poppler("pdfinfo", data, "-enc", "UTF-8").splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


def squeeze(text: str) -> str:
    """Text without whitespace, to find strings that a layout wrapped across lines."""
    return "".join(text.split())


def save_first_page_png(data: bytes, name: str) -> Path:
    """Render page 1 at 80 dpi to ``test-artifacts/documents/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                        str(ARTIFACTS / name)], check=True)
    return ARTIFACTS / f"{name}.png"


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def docx_text(data: bytes) -> str:
    """Body paragraphs, every table cell and the footers, one per line."""
    document = open_docx(data)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)

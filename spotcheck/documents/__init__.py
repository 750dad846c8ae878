"""Printable documents (PDF with an embedded CJK font, DOCX for WPS/Word) in a Chinese official style.

Describe a document once with :class:`Document` and render it in both formats::

    from spotcheck.documents import Column, Document, Field, document_number, render_docx, render_pdf

Modules: ``model`` (blocks and the builder), ``pdf`` (fpdf2), ``docx`` (python-docx), ``fonts``
(finding the CJK font file; ``SPOTCHECK_CJK_FONT`` overrides), ``layout`` (shared sizes).
"""

from .docx import render_docx
from .fonts import FontNotFoundError, find_fonts
from .model import Column, Document, Field, chinese_number, document_number
from .pdf import render_pdf

__all__ = [
    "Column", "Document", "Field", "FontNotFoundError", "chinese_number", "document_number", "find_fonts",
    "render_docx", "render_pdf",
]

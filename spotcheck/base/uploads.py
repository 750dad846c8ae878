"""The one check every uploaded file passes (evidence, credit attachments, every import): type by content,
size cap, SHA-256, and a safe name to store it under.

The type is decided from the file's content, never from the name or the client's ``Content-Type``:
magic numbers for images, videos and PDF; for tables, an .xlsx is a ZIP whose ``[Content_Types].xml``
declares a SpreadsheetML workbook (and whose parts unpack to at most ``SPOTCHECK_XLSX_MAX_UNPACKED_BYTES``),
a .csv is text without NUL bytes that decodes as UTF-8 or GB18030 and does not start as markup (an
HTML page renamed ``.csv`` is refused). The SHA-256 is computed while reading the upload chunk by chunk
(large videos are never held in memory). The stored name is the digest (or a random name) plus the
extension of the recognised type, so a client's file name (``x.html``, ``../../a``) never reaches the
disk or the ``Content-Type`` of a download; it is shown to users only as :func:`display_name`.

Imports use :func:`check_import` (or :func:`check_path` for a file given to a command) with one of
:data:`IMPORT_KINDS`; each kind has its size cap in a setting (docs/deploy.md, 上传与导入的限制). The
name's extension must agree with the content (the readers of ``base.tabular`` choose by extension).
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
ZIP = "application/zip"
HTML = "text/html"
EXECUTABLE = "application/x-executable"

#: Extension stored for each recognised type.
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
    "image/gif": ".gif", "video/mp4": ".mp4", "video/quicktime": ".mov", "application/pdf": ".pdf",
    XLSX: ".xlsx", CSV: ".csv",
}
#: How a type is named in a refusal.
LABELS = {
    XLSX: "Excel 工作簿（.xlsx）", CSV: "CSV 文本（.csv）", ZIP: "ZIP 压缩包（不是 Excel 工作簿）",
    HTML: "网页或 XML 文本", EXECUTABLE: "可执行程序", "application/pdf": "PDF 文件",
}
#: Images and PDF: what documents (credit attachments, receipts, signatures) may be.
DOCUMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/gif", "application/pdf")
#: What an import may be.
TABLE_TYPES = (XLSX, CSV)


@dataclass(frozen=True)
class ImportKind:
    types: tuple[str, ...]
    setting: str  # the setting holding the size cap in bytes
    label: str  # what the file is, in messages


#: The kinds of import, their types and the setting of their size cap.
IMPORT_KINDS = {
    # directory institutions / inspectors / conflicts (web, `spotcheck import`)
    "directory": ImportKind(TABLE_TYPES, "SPOTCHECK_IMPORT_MAX_BYTES", "导入文件"),
    # planning: a check-item list, a task's directed list
    "planning": ImportKind(TABLE_TYPES, "SPOTCHECK_IMPORT_MAX_BYTES", "导入文件"),
    # GB/T 2260 regions (`spotcheck import regions`)
    "regions": ImportKind((CSV,), "SPOTCHECK_REGIONS_MAX_BYTES", "行政区划文件"),
    # the holiday table (web, `spotcheck workdays holidays import`)
    "holidays": ImportKind((CSV,), "SPOTCHECK_HOLIDAYS_MAX_BYTES", "节假日文件"),
    # screening claims files (mdtrt_d / setl_d / fee_list_d; web, `spotcheck screening import`), per file
    "claims": ImportKind(TABLE_TYPES, "SPOTCHECK_CLAIMS_MAX_BYTES", "结算数据文件"),
}

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_QT_BRANDS = {b"qt  "}
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
               b"dash", b"3gp4", b"3gp5", b"3g2a", b"mmp4", b"MSNV"}
_MARKUP = re.compile(rb"\s*<\s*[!?a-zA-Z]")
_SPREADSHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
#: At most this many parts in a workbook (a real one has a few dozen).
_MAX_ZIP_ENTRIES = 10_000
_MB = 1024 * 1024


class UploadRejected(ValueError):
    """The file cannot be accepted; the message (Chinese) names the file and the reason."""


def sniff(head: bytes) -> str | None:
    """The MIME type recognised from the first bytes of a file, or None (tables: see :func:`check`)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _QT_BRANDS:
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video/quicktime"
    return None


def family(content_type: str) -> str:
    """``image``, ``video`` or ``pdf``."""
    if content_type == "application/pdf":
        return "pdf"
    return content_type.split("/", 1)[0]


def display_name(name: Any) -> str:
    """The client's file name as shown in messages and stored as the original name: the last part of a
    path (``/`` or ``\\``), control characters removed, at most 120 characters. Never used as a path."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable()).strip()
    return text[-120:] if len(text) > 120 else text


def size_text(size: int) -> str:
    """``80.0 MB``, ``50 MB``, ``1.5 KB``: a size for a message."""
    if size >= _MB:
        return f"{size // _MB} MB" if size % _MB == 0 else f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB" if size % 1024 == 0 else f"{size / 1024:.1f} KB"
    return f"{size} 字节"


@dataclass(frozen=True)
class Checked:
    content_type: str
    size: int
    sha256: str
    extension: str
    name: str = ""  # display_name of the client's name

    @property
    def stored_name(self) -> str:
        """The name to store the file under: its digest and the extension of its type."""
        return f"{self.sha256[:32]}{self.extension}"


def _too_big(name: str, size: int, limit: int, what: str) -> UploadRejected:
    shown = size_text(size)
    if shown == size_text(limit) or shown == f"{limit / _MB:.1f} MB":  # just over: 1.0 MB against 1 MB
        shown = f"{size:,} 字节"
    return UploadRejected(f"文件过大：{name} 为 {shown}，{what}上限为 {size_text(limit)}")


def _zip_type(uploaded: Any, name: str, unpacked_limit: int | None) -> str:
    """``XLSX`` when the ZIP ``uploaded`` is a SpreadsheetML workbook, else ``ZIP``; a workbook that would
    unpack to more than ``unpacked_limit`` bytes is refused (Python's zipfile stops at the declared
    size of each part, so the declared sizes bound what a reader gets)."""
    try:
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                raise UploadRejected(f"文件“{name}”包含的部件过多（{len(infos)} 个），不是正常的 Excel 工作簿")
            try:
                types = archive.getinfo("[Content_Types].xml")
            except KeyError:
                return ZIP
            if types.file_size > _MB:
                return ZIP
            if _SPREADSHEET_MAIN not in archive.read(types):
                return ZIP
            unpacked = sum(i.file_size for i in infos)
            if unpacked_limit is not None and unpacked > unpacked_limit:
                raise UploadRejected(f"文件过大：{name} 解压后为 {size_text(unpacked)}，"
                                     f"Excel 工作簿解压后的上限为 {size_text(unpacked_limit)}，请删除多余内容或拆分后分批导入")
            return XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        if isinstance(exc, UploadRejected):
            raise
        return ZIP
    finally:
        uploaded.seek(0)


def _type_of(uploaded: Any, head: bytes, allowed: list[str], name: str, unpacked_limit: int | None) -> str | None:
    content_type = sniff(head)
    if content_type is not None:
        return content_type
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(uploaded, name, unpacked_limit) if XLSX in allowed else ZIP
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")):
        return EXECUTABLE
    text = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if _MARKUP.match(text):
        return HTML
    if CSV in allowed:
        return CSV  # confirmed (or refused: NUL bytes, encoding) while the whole file is read, see _TextCheck
    return None


class _TextCheck:
    """Fed a file chunk by chunk: refuses NUL bytes and remembers whether it is still valid ``encoding``."""

    def __init__(self, name: str, encoding: str = "utf-8-sig") -> None:
        self.name, self.encoding = name, encoding
        self.decoder: Any = codecs.getincrementaldecoder(encoding)()
        self.ok = True

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if b"\x00" in chunk:
            raise UploadRejected(f"文件类型不允许：{self.name} 含有 NUL 字节，不是 CSV 文本文件（也不是 Excel 工作簿）")
        if self.ok:
            try:
                self.decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                self.ok = False


def _check_gb18030(uploaded: Any, name: str) -> None:
    """A second pass over a text that is not UTF-8: it must decode whole as GB18030."""
    uploaded.seek(0)
    text = _TextCheck(name, "gb18030")
    for chunk in uploaded.chunks():
        text.feed(chunk)
    text.feed(b"", final=True)
    if not text.ok:
        raise UploadRejected(f"文件编码无法识别：{name} 不是 UTF-8 或 GB18030（GBK）编码的文本，"
                             "请另存为 UTF-8 编码的 CSV")


def check(uploaded: Any, allowed: Iterable[str], max_bytes: int | Callable[[str], int], *,
          what: str = "上传文件", match_extension: bool = False, unpacked_limit: int | None = None) -> Checked:
    """Sniff, size-check and hash ``uploaded`` (a Django ``UploadedFile`` or ``File``); rewinds it afterwards.

    ``allowed``: the MIME types accepted; ``max_bytes``: a cap, or a function of the type giving it;
    ``what`` names the file in the size message; ``match_extension``: the name's extension must be the
    recognised type's; ``unpacked_limit``: the largest total an .xlsx may unpack to."""
    name = display_name(getattr(uploaded, "name", ""))
    allowed = list(allowed)
    declared = getattr(uploaded, "size", None)
    fixed_limit = None if callable(max_bytes) else max_bytes
    if fixed_limit is not None and declared is not None and declared > fixed_limit:
        raise _too_big(name, declared, fixed_limit, what)  # before reading any of it
    if match_extension:
        wanted = list(dict.fromkeys(EXTENSIONS[t] for t in allowed if t in EXTENSIONS))
        if Path(name).suffix.lower() not in wanted:
            hint = "（.xls 请在 Excel/WPS 中另存为 .xlsx）" if XLSX in allowed else ""
            raise UploadRejected(f"文件“{name}”的类型不允许：只支持 {' 和 '.join(wanted)} 文件{hint}")
    uploaded.seek(0)
    head = uploaded.read(64)
    uploaded.seek(0)
    if not head:
        raise UploadRejected(f"上传的文件“{name}”是空的")
    content_type = _type_of(uploaded, head, allowed, name, unpacked_limit)
    if content_type is None or content_type not in allowed:
        shown = LABELS.get(content_type or "", content_type or "无法识别")
        kinds = "、".join(dict.fromkeys(LABELS.get(t) or EXTENSIONS.get(t, t).lstrip(".").upper() for t in allowed))
        raise UploadRejected(f"文件“{name}”的类型（{shown}）不允许上传；允许：{kinds}")
    extension = EXTENSIONS.get(content_type, "")
    limit = max_bytes(content_type) if callable(max_bytes) else max_bytes
    if declared is not None and declared > limit:
        raise _too_big(name, declared, limit, what)
    text = _TextCheck(name) if content_type == CSV else None
    digest, size = hashlib.sha256(), 0
    for chunk in uploaded.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_big(name, size, limit, what)
        digest.update(chunk)
        if text is not None:
            text.feed(chunk)
    if text is not None:
        text.feed(b"", final=True)
        if not text.ok:  # not UTF-8: then GB18030, what Excel/WPS write on a Chinese Windows
            _check_gb18030(uploaded, name)
    uploaded.seek(0)
    if match_extension and Path(name).suffix.lower() != extension:
        raise UploadRejected(f"文件扩展名与内容不符：{name} 的内容是{LABELS.get(content_type, content_type)}，"
                             f"请将扩展名改为 {extension} 后重新上传")
    return Checked(content_type, size, digest.hexdigest(), extension, name)


def import_limit(kind: str) -> int:
    """The size cap in bytes of an import of ``kind`` (its setting)."""
    from django.conf import settings

    return int(getattr(settings, IMPORT_KINDS[kind].setting))


def check_import(uploaded: Any, kind: str) -> Checked:
    """The check of an import of ``kind`` (:data:`IMPORT_KINDS`): a table by content whose extension
    agrees, at most the kind's size cap (an .xlsx also unpacks to at most ``SPOTCHECK_XLSX_MAX_UNPACKED_BYTES``).
    Call it before the file is read, stored or queued; ``UploadRejected`` names the file and the limit."""
    from django.conf import settings

    spec = IMPORT_KINDS[kind]
    return check(uploaded, spec.types, import_limit(kind), what=spec.label, match_extension=True,
                 unpacked_limit=settings.SPOTCHECK_XLSX_MAX_UNPACKED_BYTES)


def check_path(path: str | Path, kind: str) -> Checked:
    """:func:`check_import` of a file on disk (a command's argument); ``UploadRejected`` also when it
    cannot be read."""
    from django.core.files import File

    path = Path(path)
    try:
        with path.open("rb") as handle:
            return check_import(File(handle, name=path.name), kind)
    except OSError as exc:
        raise UploadRejected(f"无法读取文件 {path}：{exc.strerror or exc}") from None

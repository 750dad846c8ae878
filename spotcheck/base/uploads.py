"""The one check every uploaded file passes (evidence, credit attachments): type by content, size cap,
SHA-256, and a safe name to store it under.

The type is decided from the file's first bytes (magic numbers), never from the name or the client's
``Content-Type``. The SHA-256 is computed while reading the upload chunk by chunk (large videos are
never held in memory). The stored name is the digest plus the extension of the recognised type, so a
client's file name (``x.html``, ``../../a``) never reaches the disk or the ``Content-Type`` of a
download. Imports (CSV, Excel) are read by ``base.tabular`` with their own caps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: Extension stored for each recognised type.
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
    "image/gif": ".gif", "video/mp4": ".mp4", "video/quicktime": ".mov", "application/pdf": ".pdf",
}
#: Images and PDF: what documents (credit attachments, receipts, signatures) may be.
DOCUMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/gif", "application/pdf")
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_QT_BRANDS = {b"qt  "}
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
               b"dash", b"3gp4", b"3gp5", b"3g2a", b"mmp4", b"MSNV"}


class UploadRejected(ValueError):
    """The file cannot be accepted; the message (Chinese) names the file and the reason."""


def sniff(head: bytes) -> str | None:
    """The MIME type recognised from the first bytes of a file, or None."""
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


@dataclass(frozen=True)
class Checked:
    content_type: str
    size: int
    sha256: str
    extension: str

    @property
    def stored_name(self) -> str:
        """The name to store the file under: its digest and the extension of its type."""
        return f"{self.sha256[:32]}{self.extension}"


def check(uploaded: Any, allowed: Iterable[str], max_bytes: int | Callable[[str], int]) -> Checked:
    """Sniff, size-check and hash ``uploaded`` (a Django ``UploadedFile``); rewinds it afterwards.

    ``allowed``: the MIME types accepted; ``max_bytes``: a cap, or a function of the type giving it."""
    name = str(getattr(uploaded, "name", "") or "")
    uploaded.seek(0)
    head = uploaded.read(64)
    uploaded.seek(0)
    if not head:
        raise UploadRejected(f"上传的文件“{name}”是空的")
    content_type = sniff(head)
    allowed = list(allowed)
    if content_type is None or content_type not in allowed:
        shown = content_type or "无法识别"
        kinds = "、".join(sorted({EXTENSIONS.get(t, t).lstrip(".").upper() for t in allowed}))
        raise UploadRejected(f"文件“{name}”的类型（{shown}）不允许上传；允许：{kinds}")
    limit = max_bytes(content_type) if callable(max_bytes) else max_bytes
    too_big = f"文件“{name}”超过大小上限 {limit // (1024 * 1024)} MB"
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise UploadRejected(too_big)
    digest, size = hashlib.sha256(), 0
    for chunk in uploaded.chunks():
        size += len(chunk)
        if size > limit:
            raise UploadRejected(too_big)
        digest.update(chunk)
    uploaded.seek(0)
    return Checked(content_type, size, digest.hexdigest(), EXTENSIONS.get(content_type, ""))

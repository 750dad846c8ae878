"""Checking and storing evidence files (全过程执法记录).

The type is decided from the file's first bytes (magic numbers), never from the name or the
client's ``Content-Type``; it must be one of policy ``inspection.evidence_types``. Images and PDFs
may be at most ``inspection.photo_max_mb`` MB, videos ``inspection.video_max_mb`` MB. The SHA-256 is
computed while reading the upload chunk by chunk (large videos are never held in memory).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from spotcheck import policy

from .models import EvidenceKind

#: Extension stored for each recognised type (the stored name is the hash, not the client's name).
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
    "image/gif": ".gif", "video/mp4": ".mp4", "video/quicktime": ".mov", "application/pdf": ".pdf",
}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_QT_BRANDS = {b"qt  "}
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
               b"dash", b"3gp4", b"3gp5", b"3g2a", b"mmp4", b"MSNV"}

#: Evidence kinds and the type families they accept.
KIND_FAMILIES = {
    EvidenceKind.PHOTO: ("image",),
    EvidenceKind.VIDEO: ("video",),
    EvidenceKind.SIGNATURE: ("image", "pdf"),
    EvidenceKind.DOCUMENT: ("image", "pdf", "video"),
    EvidenceKind.RECEIPT: ("image", "pdf"),
}


class EvidenceRejected(ValueError):
    """The file cannot be accepted; the message (Chinese) names the reason."""


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
    if content_type == "application/pdf":
        return "pdf"
    return content_type.split("/", 1)[0]


def max_bytes(content_type: str) -> int:
    key = "inspection.video_max_mb" if family(content_type) == "video" else "inspection.photo_max_mb"
    return int(float(policy.get(key)) * 1024 * 1024)


@dataclass(frozen=True)
class Checked:
    content_type: str
    size: int
    sha256: str
    extension: str


def check(uploaded: Any, kind: str) -> Checked:
    """Sniff, size-check and hash ``uploaded`` (a Django ``UploadedFile``); rewinds it afterwards."""
    if kind not in EvidenceKind.values:
        raise EvidenceRejected(f"证据类型“{kind}”无效")
    uploaded.seek(0)
    head = uploaded.read(64)
    uploaded.seek(0)
    if not head:
        raise EvidenceRejected("上传的文件是空的")
    content_type = sniff(head)
    allowed = list(policy.get("inspection.evidence_types"))
    if content_type is None or content_type not in allowed:
        shown = content_type or "无法识别"
        raise EvidenceRejected(f"文件“{uploaded.name}”的类型（{shown}）不允许上传；允许：{'、'.join(allowed)}")
    if family(content_type) not in KIND_FAMILIES[kind]:
        raise EvidenceRejected(
            f"文件“{uploaded.name}”是 {content_type}，不能作为“{EvidenceKind(kind).label}”上传")
    limit = max_bytes(content_type)
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise EvidenceRejected(f"文件“{uploaded.name}”超过大小上限 {limit // (1024 * 1024)} MB")
    digest, size = hashlib.sha256(), 0
    for chunk in uploaded.chunks():
        size += len(chunk)
        if size > limit:
            raise EvidenceRejected(f"文件“{uploaded.name}”超过大小上限 {limit // (1024 * 1024)} MB")
        digest.update(chunk)
    uploaded.seek(0)
    return Checked(content_type, size, digest.hexdigest(), EXTENSIONS.get(content_type, ""))

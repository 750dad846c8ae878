"""Checking evidence files (全过程执法记录) with the shared upload check (``base.uploads``).

The type (by content) must be one of policy ``inspection.evidence_types`` and fit the evidence kind.
Images and PDFs may be at most ``inspection.photo_max_mb`` MB, videos ``inspection.video_max_mb`` MB.
"""

from __future__ import annotations

from typing import Any

from spotcheck import policy
from spotcheck.base import uploads
from spotcheck.base.uploads import Checked, family
from spotcheck.base.uploads import UploadRejected as EvidenceRejected

from .models import EvidenceKind

#: Evidence kinds and the type families they accept.
KIND_FAMILIES = {
    EvidenceKind.PHOTO: ("image",),
    EvidenceKind.VIDEO: ("video",),
    EvidenceKind.SIGNATURE: ("image", "pdf"),
    EvidenceKind.DOCUMENT: ("image", "pdf", "video"),
    EvidenceKind.RECEIPT: ("image", "pdf"),
}


def max_bytes(content_type: str) -> int:
    key = "inspection.video_max_mb" if family(content_type) == "video" else "inspection.photo_max_mb"
    return int(float(policy.get(key)) * 1024 * 1024)


def check(uploaded: Any, kind: str) -> Checked:
    """Sniff, size-check and hash ``uploaded`` as evidence of ``kind`` (``base.uploads.check``)."""
    if kind not in EvidenceKind.values:
        raise EvidenceRejected(f"证据类型“{kind}”无效")
    checked = uploads.check(uploaded, policy.get("inspection.evidence_types"), max_bytes)
    if family(checked.content_type) not in KIND_FAMILIES[kind]:
        raise EvidenceRejected(
            f"文件“{uploaded.name}”是 {checked.content_type}，不能作为“{EvidenceKind(kind).label}”上传")
    return checked

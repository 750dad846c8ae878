"""Type recognition of uploaded files by their first bytes (base.uploads.sniff)."""

from __future__ import annotations

import pytest

from spotcheck.base import uploads as evidence
from tests.factories import JPEG, MP4, PDF, PNG


@pytest.mark.parametrize(("head", "expected"), [
    (JPEG, "image/jpeg"),
    (PNG, "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    (MP4, "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
    (PDF, "application/pdf"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"MZ\x90\x00\x03", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
    (b"\x00\x00\x00\x18ftypzzzz", None),
    (b"", None),
])
def test_sniff(head, expected):
    assert evidence.sniff(head) == expected


@pytest.mark.django_db
def test_kind_families_and_limits():
    from spotcheck.inspections import evidence as inspection_evidence

    assert inspection_evidence.max_bytes("video/mp4") == 300 * 1024 * 1024
    assert inspection_evidence.max_bytes("image/jpeg") == inspection_evidence.max_bytes("application/pdf") \
        == 20 * 1024 * 1024
    assert evidence.family("application/pdf") == "pdf" and evidence.family("video/quicktime") == "video"

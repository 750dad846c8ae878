"""Type recognition of evidence files by their first bytes (inspections.evidence.sniff)."""

from __future__ import annotations

import pytest

from spotcheck.inspections import evidence
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
    assert evidence.max_bytes("video/mp4") == 300 * 1024 * 1024
    assert evidence.max_bytes("image/jpeg") == evidence.max_bytes("application/pdf") == 20 * 1024 * 1024
    assert evidence.family("application/pdf") == "pdf" and evidence.family("video/quicktime") == "video"

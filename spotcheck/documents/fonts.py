"""Finding the CJK font files that PDF documents embed.

``SPOTCHECK_CJK_FONT`` (``/path/to/font.ttc`` or ``/path/to/font.ttc:2`` for a face of a collection)
overrides the search; it supplies the regular face only. Otherwise the first installed candidate of
:data:`CANDIDATES` wins, with its bold heading face (黑体-like, for titles and headings) and its
monospace companion when present. Every extra face costs about 1.5 s of parsing and subsetting per
PDF, so a document uses at most three.
In a TrueType/OpenType collection without an explicit index the Simplified Chinese face is chosen by
its family name (Noto CJK collections order their faces JP, KR, SC, TC, HK).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection

ENV_VAR = "SPOTCHECK_CJK_FONT"
MISSING_MESSAGE = "未找到中文字体：请安装 fonts-noto-cjk 或在 SPOTCHECK_CJK_FONT 中指定字体文件"

_NOTO = "/usr/share/fonts/opentype/noto"
_WIN = "C:/Windows/Fonts"


class FontNotFoundError(RuntimeError):
    """No usable CJK font file; ``str(exc)`` is a Chinese message for the operator."""


@dataclass(frozen=True)
class FontFile:
    """One face: a font file and, for a collection (.ttc/.otc), the face index."""

    path: str
    index: int = 0


@dataclass(frozen=True)
class FontSet:
    """The faces a document uses: body text, bold titles/headings, fixed-width digests. Missing
    companions fall back to ``regular`` (the renderer then imitates bold)."""

    regular: FontFile
    heading: FontFile | None = None
    mono: FontFile | None = None


@dataclass(frozen=True)
class _Candidate:
    regular: str
    heading: tuple[str, ...] = ()
    mono: tuple[str, ...] = ()


#: Search order: serif (宋体-like) faces first, then sans, then Windows system fonts.
CANDIDATES: tuple[_Candidate, ...] = (
    _Candidate(f"{_NOTO}/NotoSerifCJK-Regular.ttc",
               heading=(f"{_NOTO}/NotoSansCJK-Bold.ttc", f"{_NOTO}/NotoSerifCJK-Bold.ttc"),
               mono=(f"{_NOTO}/NotoSansCJK-Regular.ttc",)),
    _Candidate(f"{_NOTO}/NotoSansCJK-Regular.ttc", heading=(f"{_NOTO}/NotoSansCJK-Bold.ttc",),
               mono=(f"{_NOTO}/NotoSansCJK-Regular.ttc",)),
    _Candidate("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    _Candidate("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    _Candidate(f"{_WIN}/simsun.ttc", heading=(f"{_WIN}/simhei.ttf",)),
    _Candidate(f"{_WIN}/msyh.ttc", heading=(f"{_WIN}/msyhbd.ttc",)),
)


def parse_spec(spec: str) -> FontFile:
    """``"/a/b.ttc:2"`` → face 2 of ``/a/b.ttc``; a bare path → its Simplified Chinese face.

    A Windows drive letter (``C:/…``) is not mistaken for an index. Raises :class:`FontNotFoundError`
    when the file does not exist.
    """
    path, index = spec, None
    head, sep, tail = spec.rpartition(":")
    if sep and head and tail.isdigit() and not os.path.isfile(spec):
        path, index = head, int(tail)
    if not os.path.isfile(path):
        raise FontNotFoundError(f"{ENV_VAR} 指定的字体文件不存在：{path}")
    return FontFile(path, index) if index is not None else _face(path)


def _face(path: str) -> FontFile:
    """The Simplified Chinese (non-monospace) face of ``path``; index 0 when no face is named SC."""
    return FontFile(path, _sc_index(path, os.path.getmtime(path), mono=False) or 0)


@lru_cache(maxsize=32)
def _sc_index(path: str, _mtime: float, mono: bool) -> int | None:
    """Index of the face whose family name ends in " SC" (and is or is not "Mono"), else None."""
    if Path(path).suffix.lower() not in (".ttc", ".otc"):
        return None
    for i, font in enumerate(TTCollection(path, lazy=True).fonts):
        family = font["name"].getBestFamilyName() or ""
        if family.endswith(" SC") and ("Mono" in family) == mono:
            return i
    return None


def _first(paths: tuple[str, ...]) -> FontFile | None:
    return next((_face(p) for p in paths if os.path.isfile(p)), None)


def _mono(paths: tuple[str, ...]) -> FontFile | None:
    for path in paths:
        if os.path.isfile(path):
            index = _sc_index(path, os.path.getmtime(path), mono=True)
            if index is not None:
                return FontFile(path, index)
    return None


def find_fonts() -> FontSet:
    """The fonts to embed. Raises :class:`FontNotFoundError` with a Chinese message when none exists."""
    spec = os.environ.get(ENV_VAR, "").strip()
    if spec:
        return FontSet(regular=parse_spec(spec))
    for candidate in CANDIDATES:
        if os.path.isfile(candidate.regular):
            return FontSet(
                regular=_face(candidate.regular),
                heading=_first(candidate.heading),
                mono=_mono(candidate.mono),
            )
    raise FontNotFoundError(MISSING_MESSAGE)

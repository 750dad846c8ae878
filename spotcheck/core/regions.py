"""The built-in 行政区划 table (GB/T 2260) and an importer for a full national table.

Rows are ``(code, name, parent_code)`` with ``parent_code`` ``None`` for provinces.
Standard library only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Final

from spotcheck.core.codes import CodeError, region_contains, region_parent, validate_region_code

__all__ = ["BUILTIN_REGIONS", "RegionRow", "builtin_region_name", "parse_region_csv"]

RegionRow = tuple[str, str, str | None]

#: Regions shipped with the product (山西省: 朔州市 and 晋城市 with all their county-level areas).
BUILTIN_REGIONS: Final[tuple[RegionRow, ...]] = (
    ("140000", "山西省", None),
    ("140500", "晋城市", "140000"),
    ("140502", "城区", "140500"),
    ("140521", "沁水县", "140500"),
    ("140522", "阳城县", "140500"),
    ("140524", "陵川县", "140500"),
    ("140525", "泽州县", "140500"),
    ("140581", "高平市", "140500"),
    ("140600", "朔州市", "140000"),
    ("140602", "朔城区", "140600"),
    ("140603", "平鲁区", "140600"),
    ("140621", "山阴县", "140600"),
    ("140622", "应县", "140600"),
    ("140623", "右玉县", "140600"),
    ("140681", "怀仁市", "140600"),
)

_BUILTIN_NAMES: Final = {code: name for code, name, _ in BUILTIN_REGIONS}

_HEADER_ALIASES: Final = {
    "code": ("code", "代码", "区划代码", "行政区划代码"),
    "name": ("name", "名称", "区划名称", "行政区划名称"),
    "parent": ("parent", "parent_code", "上级", "上级代码", "上级区划代码"),
}


def builtin_region_name(code: str) -> str | None:
    """Name of a built-in region, or ``None`` if the code is not in :data:`BUILTIN_REGIONS`."""
    return _BUILTIN_NAMES.get(code.strip())


def _header_columns(cells: list[str], line: int) -> dict[str, int] | None:
    """Column indexes if ``cells`` is a header row, else ``None``."""
    lowered = [cell.strip().lower() for cell in cells]
    if not any(cell in _HEADER_ALIASES["code"] for cell in lowered):
        return None
    columns: dict[str, int] = {}
    for field, aliases in _HEADER_ALIASES.items():
        for index, cell in enumerate(lowered):
            if cell in aliases:
                columns[field] = index
                break
    if "name" not in columns:
        raise CodeError(f"第 {line} 行：表头缺少 name（名称）列")
    return columns


def parse_region_csv(lines: Iterable[str]) -> list[RegionRow]:
    """Parse a region table from CSV text lines with columns ``code,name`` and an optional ``parent``.

    A header row (``code,name[,parent]``, or the Chinese 代码/名称/上级) is optional; without one
    the columns are positional. Blank lines are skipped, a UTF-8 BOM is tolerated. When ``parent``
    is absent or empty it is derived: the nearest ancestor present in the file (county → its city
    ``xxxx00`` → its province ``xx0000``; so a district of a municipality whose ``xxxx00`` row is
    missing hangs directly under the province, as do 省直辖县级 ``xx90xx`` areas), or, if no ancestor
    is in the file, the structural parent from :func:`~spotcheck.core.codes.region_parent`.
    An explicit parent must be a valid code whose area contains the row's area.

    Raises :class:`CodeError` naming the line number and the field for the first bad row
    (invalid or duplicate code, empty name, invalid parent, missing columns).
    """
    raw: list[tuple[str, str, str | None]] = []
    first_line: dict[str, int] = {}
    columns: dict[str, int] | None = None
    seen_first_row = False
    reader = csv.reader(lines)
    for cells in reader:
        line = reader.line_num
        if not seen_first_row and cells:
            cells[0] = cells[0].lstrip("\ufeff")
        if not any(cell.strip() for cell in cells):
            continue
        if not seen_first_row:
            seen_first_row = True
            columns = _header_columns(cells, line)
            if columns is not None:
                continue
        layout = columns if columns is not None else {"code": 0, "name": 1, "parent": 2}
        if len(cells) <= max(layout["code"], layout["name"]):
            raise CodeError(f"第 {line} 行：至少需要 code（代码）和 name（名称）两列")
        try:
            code = validate_region_code(cells[layout["code"]])
        except CodeError as exc:
            raise CodeError(f"第 {line} 行 code 字段：{exc.message}")
        if code in first_line:
            raise CodeError(
                f"第 {line} 行 code 字段：行政区划代码 {code} 重复（首次出现在第 {first_line[code]} 行）"
            )
        name = cells[layout["name"]].strip()
        if not name:
            raise CodeError(f"第 {line} 行 name 字段：名称为空")
        parent: str | None = None
        parent_index = layout.get("parent")
        if parent_index is not None and parent_index < len(cells) and cells[parent_index].strip():
            try:
                parent = validate_region_code(cells[parent_index])
            except CodeError as exc:
                raise CodeError(f"第 {line} 行 parent 字段：{exc.message}")
            if parent == code or not region_contains(parent, code):
                raise CodeError(f"第 {line} 行 parent 字段：上级区划 {parent} 不包含 {code}")
        first_line[code] = line
        raw.append((code, name, parent))

    return [
        (code, name, parent if parent is not None else _derived_parent(code, first_line))
        for code, name, parent in raw
    ]


def _derived_parent(code: str, present: dict[str, int]) -> str | None:
    """Nearest structural ancestor of ``code`` present in the table, else the structural parent."""
    direct = region_parent(code)
    ancestor = direct
    while ancestor is not None:
        if ancestor in present:
            return ancestor
        ancestor = region_parent(ancestor)
    return direct

"""Loading regions into the database (built-in 山西 table, or a national CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spotcheck.core.codes import CodeError, region_level
from spotcheck.core.regions import BUILTIN_REGIONS


def upsert_regions(region_model: Any, rows: Iterable[tuple[str, str, str | None]]) -> int:
    """Insert or rename regions, parents before children; returns the number of rows written.

    ``region_model`` is passed in so data migrations can use their historical model.
    """
    depth = {"province": 0, "city": 1, "county": 2}
    ordered = sorted(rows, key=lambda r: (depth[region_level(r[0])], r[0]))
    known = set(region_model.objects.values_list("code", flat=True)) | {r[0] for r in ordered}
    missing = sorted({p for _, _, p in ordered if p is not None and p not in known})
    if missing:
        raise CodeError(f"上级区划 {'、'.join(missing[:5])} 既不在文件中也不在系统中，请先导入上级区划")
    written = 0
    for code, name, parent in ordered:
        obj, created = region_model.objects.get_or_create(
            code=code, defaults={"name": name, "parent_id": parent, "level": region_level(code)}
        )
        if not created and (obj.name != name or obj.parent_id != parent):
            obj.name, obj.parent_id = name, parent
            obj.save(update_fields=["name", "parent"])
        written += 1
    return written


def load_builtin(region_model: Any) -> int:
    return upsert_regions(region_model, BUILTIN_REGIONS)

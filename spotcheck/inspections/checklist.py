"""The 检查表 of an inspection: the task's check items for the institution's kind, then the violation
catalogue (阳城 方案: nine items for hospitals, nine for pharmacies) for the same kind."""

from __future__ import annotations

from typing import Any

from .models import ChecklistEntry, Inspection, ViolationType


class Sources:
    """The task's items and the active catalogue per institution kind, read once for many inspections."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], list[Any]] = {}
        self._violations: dict[str, list[ViolationType]] = {}

    def items(self, task: Any, kind: str) -> list[Any]:
        key = (task.pk, kind)
        if key not in self._items:
            self._items[key] = list(task.items.filter(target_kind__in=[kind, "HP"]).order_by("seq", "id"))
        return self._items[key]

    def violations(self, kind: str) -> list[ViolationType]:
        if kind not in self._violations:
            self._violations[kind] = list(ViolationType.objects.filter(kind=kind, active=True).order_by("seq"))
        return self._violations[kind]


def build(inspection: Inspection, sources: Sources | None = None) -> list[ChecklistEntry]:
    """Unsaved checklist lines for ``inspection`` (numbered from 1)."""
    sources = sources or Sources()
    kind = inspection.institution.kind
    rows: list[ChecklistEntry] = []
    for item in sources.items(inspection.task, kind):
        rows.append(ChecklistEntry(inspection=inspection, seq=len(rows) + 1, check_item=item,
                                   text=f"{item.category}：{item.name}"[:300]))
    for vt in sources.violations(kind):
        rows.append(ChecklistEntry(inspection=inspection, seq=len(rows) + 1, violation_type=vt,
                                   text=f"未发现：{vt.name}"[:300]))  # 符合 = not found
    return rows

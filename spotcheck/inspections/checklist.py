"""The 检查表 of an inspection: the task's check items for the institution's kind, then the violation
catalogue (阳城 方案: nine items for hospitals, nine for pharmacies) for the same kind."""

from __future__ import annotations

from .models import ChecklistEntry, Inspection, ViolationType


def build(inspection: Inspection) -> list[ChecklistEntry]:
    """Unsaved checklist lines for ``inspection`` (numbered from 1)."""
    kind = inspection.institution.kind
    rows: list[ChecklistEntry] = []
    items = inspection.task.items.filter(target_kind__in=[kind, "HP"]).order_by("seq", "id")
    for item in items:
        rows.append(ChecklistEntry(inspection=inspection, seq=len(rows) + 1, check_item=item,
                                   text=f"{item.category}：{item.name}"[:300]))
    for vt in ViolationType.objects.filter(kind=kind, active=True).order_by("seq"):
        rows.append(ChecklistEntry(inspection=inspection, seq=len(rows) + 1, violation_type=vt,
                                   text=f"是否存在：{vt.name}"[:300]))
    return rows


def create(inspection: Inspection) -> int:
    """Create the checklist of a new inspection (no-op when it already has one). Returns the row count."""
    if inspection.checklist.exists():
        return 0
    rows = build(inspection)
    ChecklistEntry.objects.bulk_create(rows)
    return len(rows)

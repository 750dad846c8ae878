from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from spotcheck.audit.actions import record
from spotcheck.base.scope import require
from spotcheck.base.transactions import action, atomic_action

from .calendar import read_csv
from .models import HolidayOverride, PolicySetting
from .registry import SPECS


@action
def set_policy(actor: Any, key: str, value: Any, effective_from: dt.date, note: str) -> PolicySetting:
    """Add a new value for ``key`` from ``effective_from`` (admins only; audited)."""
    require(actor, "admin")
    if key not in SPECS:
        raise ValidationError({"key": f"未知的政策参数：{key}"})
    if not note.strip():
        raise ValidationError({"note": "请填写修改原因"})
    default = SPECS[key].default
    if type(value) is not type(default) and not (isinstance(default, dict) and isinstance(value, dict)):
        raise ValidationError({"value": f"取值类型应与默认值一致（{type(default).__name__}）"})
    with atomic_action():
        row = PolicySetting.objects.create(
            key=key, value=value, effective_from=effective_from, note=note, created_by=actor
        )
        record(actor, "policy.set", row, after={"key": key, "value": value, "effective_from": effective_from})
    return row


# --------------------------------------------------------------------------------------------
# The holiday table (spotcheck.policy.calendar reads it)


def _snapshot(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"day": row.day, "is_workday": row.is_workday, "note": row.note}


def _check_actor(actor: Any) -> None:
    """People need ``admin``; the console (``actor`` a plain string such as "cli") is trusted."""
    if not isinstance(actor, str):
        require(actor, "admin")


def _set(actor: Any, day: dt.date, is_workday: bool, note: str) -> tuple[Any, bool]:
    """Create or update one row with its audit event; returns (row, changed). Caller holds a transaction."""
    row = HolidayOverride.objects.select_for_update().filter(day=day).first()
    before = _snapshot(row)
    if row is None:
        row = HolidayOverride.objects.create(
            day=day, is_workday=is_workday, note=note, created_by=None if isinstance(actor, str) else actor
        )
    elif (row.is_workday, row.note) == (is_workday, note):
        return row, False
    else:
        row.is_workday, row.note = is_workday, note
        row.save(update_fields=["is_workday", "note"])
    record(actor, "holiday.set", row, before=before, after=_snapshot(row))
    return row, True


@action
def set_override(actor: Any, day: dt.date, is_workday: bool, note: str = "") -> Any:
    """Add or change the override of ``day`` (admins; audited with before/after)."""
    _check_actor(actor)
    note = (note or "").strip()
    if len(note) > 100:
        raise ValidationError({"note": "说明不能超过 100 个字"})
    row, _ = _set(actor, day, is_workday, note)
    return row


@action
def remove_override(actor: Any, day: dt.date) -> bool:
    """Remove the override of ``day`` (admins; audited). False if there was none."""
    _check_actor(actor)
    row = HolidayOverride.objects.select_for_update().filter(day=day).first()
    if row is None:
        return False
    record(actor, "holiday.remove", row, before=_snapshot(row), after=None, deleted=True,
           reason=f"删除节假日调整 {row}")
    row.delete()
    return True


@action
def import_overrides(actor: Any, data: bytes | str) -> tuple[int, int]:
    """Import a CSV of override days in one transaction (all or nothing); returns (changed, unchanged)."""
    _check_actor(actor)
    rows = read_csv(data)
    changed = 0
    for day, is_workday, note in rows:
        changed += _set(actor, day, is_workday, note)[1]
    return changed, len(rows) - changed

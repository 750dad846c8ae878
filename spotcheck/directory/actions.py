"""Every write to the directories. Views, the API, imports and the CLI call these, never ``save()``.

Each function validates (``full_clean``), checks the actor's permission and area, writes, and
appends an audit event with before/after snapshots, all in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from spotcheck.accounts.scope import require
from spotcheck.audit.actions import record

#: Fields never shown in audit snapshots (timestamps change on every save).
_SKIP = {"created_at", "updated_at", "recorded_at"}


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as their raw ids)."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in _SKIP}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def _region_of(obj: models.Model) -> str | None:
    return getattr(obj, "audit_region_code", None)


def create(actor: Any, model: type[models.Model], data: dict[str, Any], *, reason: str = "") -> models.Model:
    """Create a ``model`` row from ``data``; raises ``ValidationError`` / ``PermissionDenied``."""
    obj = model(**data)
    obj.full_clean()
    require(actor, "change", _region_of(obj))
    with transaction.atomic():
        obj.save()
        record(actor, "create", obj, after=snapshot(obj), reason=reason)
    return obj


def update(actor: Any, obj: models.Model, data: dict[str, Any], *, reason: str = "") -> bool:
    """Apply ``data`` to ``obj``; returns False (and records nothing) when nothing changed.

    The actor must be allowed to change the row both where it is and where it would move to.
    """
    require(actor, "change", _region_of(obj))
    before = snapshot(obj)
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean()
    require(actor, "change", _region_of(obj))
    after = snapshot(obj)
    diff = changed_fields(before, after)
    if not diff:
        return False
    with transaction.atomic():
        obj.save()
        record(actor, "update", obj, before={k: before[k] for k in diff}, after=diff, reason=reason)
    return True


def delete(actor: Any, obj: models.Model, *, reason: str) -> None:
    """Delete ``obj`` (only rows nothing else references; history stays in the audit chain)."""
    require(actor, "change", _region_of(obj))
    with transaction.atomic():
        record(actor, "delete", obj, before=snapshot(obj), reason=reason)
        obj.delete()

"""Every write to the directories. Views, the API, imports and the CLI call these, never ``save()``.

Each function validates (``full_clean``), checks the actor's permission and area, writes, and
appends an audit event with before/after snapshots, all in one transaction. Other apps reuse
:func:`create`, :func:`update` and :func:`delete` with their own permission ``action`` (planning:
``plan``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.db import models

from spotcheck.audit.actions import record, record_cascade
from spotcheck.base.fields import for_snapshot, is_digest
from spotcheck.base.scope import require
from spotcheck.base.transactions import action, atomic_action

from .models import Institution

#: Fields never shown in audit snapshots (timestamps change on every save).
_SKIP = {"created_at", "updated_at", "recorded_at"}


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as their raw ids). Encrypted personal data (身份证号,
    phone numbers) appears masked — compared by its plaintext, written to the audit log as the mask — and
    their digest columns not at all."""
    return {f.attname: for_snapshot(f, getattr(obj, f.attname)) for f in obj._meta.concrete_fields
            if f.attname not in _SKIP and not is_digest(f)}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def _region_of(obj: models.Model) -> str | None:
    return getattr(obj, "audit_region_code", None)


#: ``check(obj)``: extra validation run after ``full_clean`` (raises ``ValidationError``).
Check = Callable[[Any], None]


@action
def create(
    actor: Any, model: type[models.Model], data: dict[str, Any], *, reason: str = "", action: str = "change",
    exclude: Collection[str] | None = None, check: Check | None = None,
) -> models.Model:
    """Create a ``model`` row from ``data``; raises ``ValidationError`` / ``PermissionDenied``.

    ``action`` is the permission checked in the row's area (``change`` for the directories, ``plan``
    for item lists and plans); ``exclude`` is passed to ``full_clean`` and ``check`` runs after it.
    """
    obj = model(**data)
    obj.full_clean(exclude=exclude)
    if check:
        check(obj)
    require(actor, action, _region_of(obj))
    with atomic_action():
        obj.save()
        record(actor, "create", obj, after=snapshot(obj), reason=reason)
    return obj


@action
def update(
    actor: Any, obj: models.Model, data: dict[str, Any], *, reason: str = "", action: str = "change",
    exclude: Collection[str] | None = None, check: Check | None = None,
) -> bool:
    """Apply ``data`` to ``obj``; returns False (and records nothing) when nothing changed.

    The actor must be allowed ``action`` on the row both where it is and where it would move to;
    ``exclude`` and ``check`` as for :func:`create`.
    """
    require(actor, action, _region_of(obj))
    before = snapshot(obj)
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean(exclude=exclude)
    if check:
        check(obj)
    require(actor, action, _region_of(obj))
    after = snapshot(obj)
    diff = changed_fields(before, after)
    if not diff:
        return False
    with atomic_action():
        obj.save()
        record(actor, "update", obj, before={k: before[k] for k in diff}, after=diff, reason=reason)
    return True


@action
def delete(actor: Any, obj: models.Model, *, reason: str, action: str = "change", check: Check | None = None) -> None:
    """Delete ``obj`` (only rows nothing else references; history stays in the audit chain).

    ``check(obj)`` runs after the permission check and may refuse with ``ValidationError``.
    """
    require(actor, action, _region_of(obj))
    if check:
        check(obj)
    with atomic_action():
        record_cascade(actor, obj, reason=reason)  # e.g. an inspector's unavailable periods
        record(actor, "delete", obj, before=snapshot(obj), reason=reason)
        obj.delete()


@action
def set_risk_flag(actor: Any, institution: Institution, flag: bool, reason: str) -> bool:
    """Set or clear 重点监控 (``risk_flag``) with a required reason; False (and no event) when unchanged.

    With the screening decision (``screening.actions.flag_institutions``) the only writer of
    ``risk_flag`` (see ``directory.ownership``). Needs ``change`` in the institution's area; raises
    ``ValidationError({"reason": …})`` without a reason."""
    from django.core.exceptions import ValidationError

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "设置或取消重点监控须填写理由"})
    require(actor, "change", institution.region_id)
    inst = Institution.objects.select_for_update().get(pk=institution.pk)
    flag = bool(flag)
    if inst.risk_flag == flag:
        return False
    inst.risk_flag = flag
    inst.save(update_fields=["risk_flag", "updated_at"])
    record(actor, "directory.institution.risk_flag", inst, before={"risk_flag": not flag},
           after={"risk_flag": flag}, reason=reason)
    institution.risk_flag = flag
    return True

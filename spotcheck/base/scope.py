"""The one place area scope is applied (NetBox's ``restrict`` pattern).

Every scoped model uses ``ScopedQuerySet`` and names ``scope_field`` — the lookup path to a 6-digit
region code (e.g. ``"region__code"`` or ``"inspection__region__code"``). Views, the API, exports and
actions fetch rows only through ``Model.objects.restrict(user, action)``; a row outside the user's
area is therefore a 404, never a 403 that would confirm it exists. For one object already in hand,
:func:`allowed` / :func:`require` answer the same question by its region code.

A model may refine what ``restrict`` does for reading (``action="view"``), declaratively:

- ``read_permissions`` — permissions any one of which allows reading (default: ``view``); e.g.
  credit files are read by staff with ``credit`` and by auditors, not by every ``view`` holder.
- ``scope_inherits = True`` — a reader also sees the rows of the areas above their own (a county
  reads the city's and the province's item lists).
- ``self_scope_field`` — lookup path to an institution's ``fixmedins_code``: an institution account
  (role 定点医药机构, permission ``self``) reads only the rows of its own institution.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from spotcheck.core.codes import region_parent

from .permissions import can
from .roles import Role


def ancestor_codes(region_code: str) -> list[str]:
    """Codes of the areas enclosing ``region_code`` (parent city, province), nearest first."""
    codes: list[str] = []
    parent = region_parent(region_code)
    while parent is not None:
        codes.append(parent)
        parent = region_parent(parent)
    return codes


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """Rows ``user`` may ``action``: none without the permission, else those in their area."""
        model: Any = self.model
        if action == "view":
            self_field = getattr(model, "self_scope_field", None)
            if self_field and getattr(user, "role", None) == Role.INSTITUTION and can(user, "self") \
                    and not user.is_superuser:
                code = (getattr(user, "institution_code", "") or "").strip().upper()
                return self.filter(**{self_field: code}) if code else self.none()
            if not any(can(user, p) for p in getattr(model, "read_permissions", ("view",))):
                return self.none()
        elif not can(user, action):
            return self.none()
        prefix = user.scope_prefix
        if prefix is None:
            return self
        if prefix == "-":
            return self.none()
        field = model.scope_field
        if len(prefix) == 6:  # a county: equality can use the region indexes (LIKE cannot on SQLite)
            mine = models.Q(**{field: prefix})
        else:
            mine = models.Q(**{f"{field}__startswith": prefix})
        if action == "view" and getattr(model, "scope_inherits", False):
            mine |= models.Q(**{f"{field}__in": ancestor_codes(user.region_code)})
        return self.filter(mine)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def allowed(user: Any, action: str, region_code: str | None = None) -> bool:
    """Whether ``user`` may ``action`` (on an object of area ``region_code`` when given)."""
    if not can(user, action):
        return False
    return region_code is None or user.in_scope(region_code)


def require(user: Any, action: str, region_code: str | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may ``action`` (in ``region_code`` when given)."""
    if not can(user, action):
        raise PermissionDenied("您没有执行此操作的权限")
    if region_code is not None and not user.in_scope(region_code):
        raise PermissionDenied(f"区域 {region_code} 不在您的管辖范围内")

"""The one place area scope is applied (NetBox's ``restrict`` pattern).

Every scoped model uses ``ScopedQuerySet`` and names ``scope_field`` — the lookup path to a 6-digit
region code (e.g. ``"region_id"`` or ``"institution__region_id"``). Views, the API and exports
fetch rows only through ``Model.objects.restrict(user, action)``; a row outside the user's area is
therefore a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from .permissions import can


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """Rows ``user`` may ``action``: none without the permission, else those in their area."""
        if not can(user, action):
            return self.none()
        prefix = user.scope_prefix
        if prefix is None:
            return self
        field = self.model.scope_field  # type: ignore[attr-defined]
        if len(prefix) == 6:  # a county: equality can use the region indexes (LIKE cannot on SQLite)
            return self.filter(**{field: prefix})
        return self.filter(**{f"{field}__startswith": prefix})


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def require(user: Any, action: str, region_code: str | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may ``action`` (in ``region_code`` when given)."""
    if not can(user, action):
        raise PermissionDenied("您没有执行此操作的权限")
    if region_code is not None and not user.in_scope(region_code):
        raise PermissionDenied(f"区域 {region_code} 不在您的管辖范围内")

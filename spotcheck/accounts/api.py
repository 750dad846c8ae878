"""DRF permission: the role table decides; safe methods need ``view``, writes ``change``.

A view may set ``required_action`` (e.g. ``"draw"``) or ``required_actions`` per HTTP method.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from spotcheck.base.permissions import can


class RolePermission(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        per_method = getattr(view, "required_actions", {})
        action = per_method.get(request.method) or (
            "view" if request.method in SAFE_METHODS else getattr(view, "required_action", "change")
        )
        return can(request.user, action)

from typing import Any

from .permissions import PERMISSIONS


def user_scope(request: Any) -> dict[str, Any]:
    """Template context: the permission set of the current user as ``perms_sc``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"perms_sc": frozenset()}
    if user.is_superuser:
        return {"perms_sc": frozenset().union(*PERMISSIONS.values())}
    return {"perms_sc": PERMISSIONS.get(user.role, frozenset())}

from typing import Any

from spotcheck.base.permissions import PERMISSIONS
from spotcheck.core.regions import builtin_region_name


def user_scope(request: Any) -> dict[str, Any]:
    """Template context: ``perms_sc`` (the user's permission set) and ``user_area`` (area name, no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"perms_sc": frozenset(), "user_area": ""}
    area = builtin_region_name(user.region_code) or user.region_code if user.region_code else ""
    if user.is_superuser:
        return {"perms_sc": frozenset().union(*PERMISSIONS.values()), "user_area": area}
    return {"perms_sc": PERMISSIONS.get(user.role, frozenset()), "user_area": area}

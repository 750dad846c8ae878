from typing import Any

from spotcheck.base.permissions import PERMISSIONS
from spotcheck.core.regions import builtin_region_name

from .middleware import POLICY_OK


def user_scope(request: Any) -> dict[str, Any]:
    """Template context: ``perms_sc`` (the user's permission set), ``user_area`` (area name, no query) and
    ``signing_in`` (the session has a sign-in step left, such as the second factor: no navigation yet)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"perms_sc": frozenset(), "user_area": "", "signing_in": False}
    area = builtin_region_name(user.region_code) or user.region_code if user.region_code else ""
    session = getattr(request, "session", None)
    if session is not None and not session.get(POLICY_OK):
        return {"perms_sc": frozenset(), "user_area": area, "signing_in": True}
    if user.is_superuser:
        return {"perms_sc": frozenset().union(*PERMISSIONS.values()), "user_area": area, "signing_in": False}
    return {"perms_sc": PERMISSIONS.get(user.role, frozenset()), "user_area": area, "signing_in": False}

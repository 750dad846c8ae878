"""Who may do what. One table, used by views, the API, the CLI and the scope layer.

Actions: ``view``, ``export``, ``change`` (create/update/import directory data), ``plan`` (item
lists, plans, tasks), ``draw`` (freeze, commit, reveal, events), ``approve`` (second person on a
draw step, staffing override), ``audit`` (read the audit log), ``admin`` (settings), ``users`` (user
accounts and API tokens of others), ``security`` (unlocks, sessions, security events, checkpoints),
``inspect`` (record on-site checks, upload evidence), ``review`` (approve an inspection record; never
one's own), ``publish`` (publish reviewed results and corrections), ``credit`` (credit files, records,
evaluations, objections, repair), ``self`` (an institution account: its own file and results only).
"""

from __future__ import annotations

from typing import Any

from .roles import Role

PERMISSIONS: dict[str, frozenset[str]] = {
    # 三权分立: the administrator roles do no business work and none both grants rights and reads the trail.
    Role.ADMIN: frozenset({"view", "admin", "users"}),
    Role.SECURITY_ADMIN: frozenset({"security"}),
    Role.AUDIT_ADMIN: frozenset({"view", "audit"}),
    Role.CITY_ADMIN: frozenset(
        {"view", "export", "change", "plan", "draw", "approve", "inspect", "review", "publish", "credit"}
    ),
    Role.COUNTY_STAFF: frozenset({"view", "export", "change", "plan", "draw", "inspect", "review", "publish", "credit"}),
    Role.INSPECTOR: frozenset({"view", "inspect"}),
    Role.AUDITOR: frozenset({"view", "export", "audit"}),
    Role.INSTITUTION: frozenset({"self"}),
}


def can(user: Any, action: str) -> bool:
    """True when an authenticated, active ``user`` holds ``action`` through their role."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return action in PERMISSIONS.get(user.role, frozenset())

"""Who sees which credit rows.

- Bureau staff with ``credit``: the subjects of their area (``restrict(user, "credit")``).
- 审计/纪检 (``view`` + ``audit``): everything, read-only.
- An institution account (role ``institution``, permission ``self``): only the subject linked to
  the institution whose fixmedins code is ``user.institution_code``.

The models declare this (``read_permissions``, ``self_scope_field``) and ``restrict(user)`` applies
it, as for every other table. Anything else sees nothing; a row outside these sets is a 404.
"""

from __future__ import annotations

from typing import Any

from spotcheck.base.permissions import can
from spotcheck.base.roles import Role

from .models import READ_PERMISSIONS


def is_institution(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.INSTITUTION and can(user, "self")


def is_bureau(user: Any) -> bool:
    """May read credit files of an area (staff with ``credit``, auditors): the models' ``READ_PERMISSIONS``."""
    return any(can(user, p) for p in READ_PERMISSIONS)


def may_read(user: Any) -> bool:
    return is_bureau(user) or is_institution(user)

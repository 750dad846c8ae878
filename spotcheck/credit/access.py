"""Who sees which credit rows.

- Bureau staff with ``credit``: the subjects of their area (``restrict(user, "credit")``).
- 审计/纪检 (``view`` + ``audit``): everything, read-only.
- An institution account (role ``institution``, permission ``self``): only the subject linked to
  the institution whose fixmedins code is ``user.institution_code``.

Anything else sees nothing; a row outside these sets is a 404 (``get_object_or_404`` on the sets).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from spotcheck.accounts.models import Role
from spotcheck.accounts.permissions import can


def is_institution(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.INSTITUTION and can(user, "self")


def is_bureau(user: Any) -> bool:
    """May read credit files of an area (staff with ``credit``, auditors)."""
    return can(user, "credit") or (can(user, "audit") and can(user, "view"))


def may_read(user: Any) -> bool:
    return is_bureau(user) or is_institution(user)


def scoped(model: type[Model], user: Any, subject_path: str = "subject") -> QuerySet:
    """Rows of ``model`` that ``user`` may read. ``subject_path`` leads from ``model`` to the subject."""
    qs: Any = model.objects  # type: ignore[attr-defined]
    if is_institution(user):
        code = (user.institution_code or "").strip().upper()
        if not code:
            return qs.none()
        prefix = f"{subject_path}__" if subject_path else ""
        return qs.filter(**{f"{prefix}institution__fixmedins_code": code})
    if can(user, "credit"):
        return qs.restrict(user, "credit")
    if can(user, "audit"):
        return qs.restrict(user, "view")
    return qs.none()


def writable(model: type[Model], user: Any) -> QuerySet:
    """Rows of ``model`` bureau staff may change (``credit`` in their area)."""
    return model.objects.restrict(user, "credit")  # type: ignore[attr-defined]

"""The roles a user can hold (an enum only: the ``User`` model lives in ``accounts``).

Three separated administrator roles (三权分立, 等保 2.0 第三级 访问控制): 系统管理员 keeps accounts and
settings, 安全管理员 security (unlocks, sessions, key rotation, checkpoints), 审计管理员 reads the audit
trail. None of them does business work (plans, draws, inspections), and no role can both grant rights
and read the audit trail.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"
    CITY_ADMIN = "city_admin", "市局管理员"
    COUNTY_STAFF = "county_staff", "县局业务人员"
    INSPECTOR = "inspector", "检查人员"
    AUDITOR = "auditor", "审计/纪检"
    INSTITUTION = "institution", "定点医药机构"


#: Roles whose scope is the whole installation regardless of their region.
UNSCOPED_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.AUDITOR})

#: The three administrator roles: granted by a 系统管理员 to someone else, never to himself.
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

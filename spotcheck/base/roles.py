"""The roles a user can hold (an enum only: the ``User`` model lives in ``accounts``)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    CITY_ADMIN = "city_admin", "市局管理员"
    COUNTY_STAFF = "county_staff", "县局业务人员"
    INSPECTOR = "inspector", "检查人员"
    AUDITOR = "auditor", "审计/纪检"
    INSTITUTION = "institution", "定点医药机构"


#: Roles whose scope is the whole installation regardless of their region.
UNSCOPED_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})

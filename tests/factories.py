"""Small builders for test data. Codes are generated valid (spotcheck.core.codes)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from spotcheck.accounts.models import Role, User
from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.directory.models import (
    Conflict,
    Department,
    DepartmentKind,
    Inspector,
    Institution,
    InstitutionCategory,
    Region,
)

_seq = itertools.count(1)

YANGCHENG = "140522"
HUAIREN = "140681"
SHUOZHOU = "140600"
PASSWORD = "test-password-123"


def user(username: str, role: str = Role.COUNTY_STAFF, region_code: str = YANGCHENG, **extra: Any) -> User:
    u = User.objects.create_user(username=username, password=PASSWORD, role=role, region_code=region_code, **extra)
    return u


def department(region_code: str = YANGCHENG, kind: str = DepartmentKind.HEALTHCARE_SECURITY, name: str = "") -> Department:
    region = Region.objects.get(code=region_code)
    name = name or f"{region.name}{DepartmentKind(kind).label}"
    return Department.objects.get_or_create(name=name, defaults={"region": region, "kind": kind})[0]


def institution(region_code: str = YANGCHENG, kind: str = "H", **extra: Any) -> Institution:
    n = next(_seq)
    data: dict[str, Any] = {
        "fixmedins_code": make_fixmedins_code(kind, region_code, n),
        "name": f"测试{'医院' if kind == 'H' else '药店'}{n}",
        "uscc": make_uscc(region_code, n),
        "kind": kind,
        "category": InstitutionCategory.HOSPITAL if kind == "H" else InstitutionCategory.PHARMACY,
        "region_id": region_code,
    }
    data.update(extra)
    return Institution.objects.create(**data)


def inspector(region_code: str = YANGCHENG, kind: str = DepartmentKind.HEALTHCARE_SECURITY, **extra: Any) -> Inspector:
    n = next(_seq)
    dept = extra.pop("department", None) or department(region_code, kind)
    data: dict[str, Any] = {
        "number": f"T-{n:05d}",
        "name": f"检查员{n}",
        "department": dept,
        "region_id": region_code,
        "id_number": make_id_number(region_code, dt.date(1980, 1, 1), n % 500, True),
        "cert_number": f"晋{region_code}{n:05d}",
        "cert_valid_from": dt.date(2020, 1, 1),
        "cert_valid_to": dt.date(2030, 12, 31),
    }
    data.update(extra)
    return Inspector.objects.create(**data)


def conflict(insp: Inspector, inst: Institution, **extra: Any) -> Conflict:
    data: dict[str, Any] = {"reason": "relative", "valid_from": dt.date(2020, 1, 1)}
    data.update(extra)
    return Conflict.objects.create(inspector=insp, institution=inst, **data)


def audit_baseline() -> int:
    """A baseline event for every row without one (as the upgrade migration records), so that the full
    ``audit verify`` passes on rows a test wrote with these builders instead of actions."""
    from django.apps import apps

    from spotcheck.audit.baseline import record_baseline

    return record_baseline(apps)

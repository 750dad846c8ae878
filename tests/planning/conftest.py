from __future__ import annotations

import pytest

from spotcheck.directory.models import DepartmentKind
from tests import factories as f

#: The departments the examples need (the names ``spotcheck demo-data`` creates).
EXAMPLE_DEPARTMENTS = [
    (f.YANGCHENG, DepartmentKind.HEALTHCARE_SECURITY, "阳城县医疗保障局"),
    (f.YANGCHENG, DepartmentKind.MARKET_REGULATION, "阳城县市场监督管理局"),
    (f.YANGCHENG, DepartmentKind.HEALTH_COMMISSION, "阳城县卫生健康和体育局"),
    (f.SHUOZHOU, DepartmentKind.HEALTHCARE_SECURITY, "朔州市医疗保障局"),
    (f.SHUOZHOU, DepartmentKind.INSURANCE_CENTER, "朔州市医疗保险服务中心"),
]


@pytest.fixture
def departments(db):
    """Example departments by name."""
    return {name: f.department(region, kind, name) for region, kind, name in EXAMPLE_DEPARTMENTS}


@pytest.fixture
def examples(departments):
    """The 2023 examples loaded by the system actor."""
    from spotcheck.directory.io import SYSTEM_ACTOR
    from spotcheck.planning.examples import load_examples

    return load_examples(SYSTEM_ACTOR, 2023)

"""Checks of the link from a user account to a directory record (registered with ``accounts``)."""

from __future__ import annotations

from spotcheck.base.actions import ActionRefused
from spotcheck.core.codes import region_contains

from .models import Inspector, Institution, Region


def check_inspector(number: str, region_code: str) -> str:
    """The inspector numbered ``number`` exists; returns his name."""
    found = Inspector.objects.filter(number=number).only("name").first()
    if found is None:
        raise ActionRefused(f"检查人员编号：名录库中没有编号为“{number}”的检查人员", field="inspector_number")
    return found.name


def check_institution(code: str, region_code: str) -> str:
    """The institution coded ``code`` exists in the account's area; returns its name."""
    found = Institution.objects.filter(fixmedins_code=code).only("name", "region_id").first()
    if found is None:
        raise ActionRefused(f"机构编码：名录库中没有编码为“{code}”的定点医药机构", field="institution_code")
    if region_code and not region_contains(region_code, found.region_id):
        raise ActionRefused(f"机构编码：“{found.name}”不在所属区域内", field="institution_code")
    return found.name


def check_region(code: str, _region_code: str) -> str:
    """The area ``code`` is in the region table; returns its name."""
    found = Region.objects.filter(code=code).only("name").first()
    if found is None:
        raise ActionRefused(f"所属区域：没有代码为“{code}”的行政区划", field="region_code")
    return found.name

"""Item lists, items and plans are written through ``directory.actions`` with ``action="plan"``: a
role holding ``change`` but not ``plan`` may edit the directories but not plans, and vice versa."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.base import permissions
from spotcheck.directory import actions as directory
from spotcheck.directory.models import Institution
from spotcheck.planning import actions
from spotcheck.planning.models import CheckItem, ItemList, Plan
from tests import factories as f

pytestmark = pytest.mark.django_db


def _without(monkeypatch, role: str, action: str) -> None:
    monkeypatch.setitem(permissions.PERMISSIONS, role, permissions.PERMISSIONS[role] - {action})


def _list_data() -> dict:
    return {"region_id": f.YANGCHENG, "year": 2024, "name": "阳城县2024年度随机抽查事项清单"}


def _item_data() -> dict:
    return {"category": "定点医药机构", "name": "医保基金使用检查", "target": "定点医药机构", "target_kind": "HP",
            "item_type": "general", "methods": "现场检查", "subjects": "阳城县医疗保障局", "basis": "《条例》"}


def test_plan_writes_need_the_plan_permission(monkeypatch, county_user):
    item_list = actions.create_item_list(county_user, _list_data(), reason="新建")
    item = actions.create_item(county_user, item_list, _item_data())
    plan = actions.create_plan(county_user, {"region_id": f.YANGCHENG, "year": 2024, "name": "计划",
                                             "item_list": item_list})
    assert item.seq == 1 and plan.created_by == county_user
    events = AuditEvent.objects.count()
    _without(monkeypatch, Role.COUNTY_STAFF, "plan")
    with pytest.raises(PermissionDenied):
        actions.create_item_list(county_user, {**_list_data(), "name": "另一清单"})
    with pytest.raises(PermissionDenied):
        actions.update_item(county_user, item, {"name": "改名"})
    with pytest.raises(PermissionDenied):
        actions.delete_item(county_user, item, reason="删除")
    with pytest.raises(PermissionDenied):
        actions.update_plan(county_user, plan, {"name": "改名"})
    with pytest.raises(PermissionDenied):
        actions.delete_plan(county_user, plan, reason="删除")
    assert AuditEvent.objects.count() == events
    assert ItemList.objects.count() == 1 and CheckItem.objects.get().name == "医保基金使用检查"
    assert Plan.objects.get().name == "计划"
    inst = f.institution(f.YANGCHENG)
    assert directory.update(county_user, inst, {"name": "改名后的医院"}, reason="更名")  # "change" still held


def test_directory_writes_need_the_change_permission(monkeypatch, county_user):
    inst = f.institution(f.YANGCHENG)
    _without(monkeypatch, Role.COUNTY_STAFF, "change")
    with pytest.raises(PermissionDenied):
        directory.update(county_user, inst, {"name": "越权修改"})
    assert Institution.objects.get(pk=inst.pk).name != "越权修改"
    item_list = actions.create_item_list(county_user, _list_data())  # "plan" still held
    actions.delete_item_list(county_user, item_list, reason="删除")
    assert not ItemList.objects.exists()

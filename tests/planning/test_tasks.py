"""Task rules in actions (shared by the pages and the API)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from spotcheck import policy
from spotcheck.audit.models import AuditEvent
from spotcheck.directory.models import DepartmentKind
from spotcheck.planning import actions
from spotcheck.planning.models import Plan, Task, TaskStatus
from spotcheck.planning.scope import institutions_in_scope
from tests import factories as f


@pytest.fixture
def plan(examples):
    return Plan.objects.get(region_id=f.YANGCHENG)


def base(departments, **extra):
    data = {"name": "补充任务", "period_start": dt.date(2023, 11, 1), "period_end": dt.date(2023, 12, 1),
            "ratio_num": 5, "ratio_den": 100, "method": "实地检查",
            "responsible_department": departments["阳城县医疗保障局"]}
    data.update(extra)
    return data


def two(departments):
    return [actions.Slot(departments["阳城县医疗保障局"], 1), actions.Slot(departments["阳城县市场监督管理局"], 1)]


def errors_of(exc):
    return exc.value.message_dict


def test_valid_task(county_user, plan, departments):
    task = actions.create_task(county_user, plan, base(departments), two(departments))
    assert task.seq == 2 and task.region_id == f.YANGCHENG and task.status == TaskStatus.DRAFT
    event = AuditEvent.objects.filter(action="create", object_type="planning.task").order_by("seq").last()
    assert event.after["slots"] == [[departments["阳城县医疗保障局"].pk, 1], [departments["阳城县市场监督管理局"].pk, 1]]


def test_team_smaller_than_policy_minimum(county_user, plan, departments, admin_user):
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments), [actions.Slot(departments["阳城县医疗保障局"], 1)])
    assert "少于规定的最少人数 2 人" in errors_of(exc)["slots"][0]
    # the minimum is a policy number in force on the task's start date
    policy_day = dt.date.today() + dt.timedelta(days=1)
    from spotcheck.policy.actions import set_policy

    set_policy(admin_user, "draw.min_team_size", 3, policy_day, "测试")
    later = base(departments, period_start=dt.date(policy_day.year + 1, 1, 5), period_end=dt.date(policy_day.year + 1, 2, 5))
    later_plan = actions.create_plan(admin_user, {"region_id": f.YANGCHENG, "year": policy_day.year + 1, "name": "次年"})
    with pytest.raises(ValidationError, match="少于规定的最少人数 3 人"):
        actions.create_task(county_user, later_plan, later, two(departments))
    assert policy.get("draw.min_team_size", on=dt.date(2023, 11, 1)) == 2
    actions.create_task(county_user, plan, base(departments), two(departments))  # 2023 still needs 2


def test_team_needs_a_healthcare_department(county_user, plan, departments):
    slots = [actions.Slot(departments["阳城县市场监督管理局"], 1), actions.Slot(departments["阳城县卫生健康和体育局"], 1)]
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments), slots)
    assert errors_of(exc)["slots"] == ["检查组中至少应有一个医保部门（医疗保障局或医疗保险服务中心）"]


def test_period_reversed_and_outside_plan_year(county_user, plan, departments):
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments, period_start=dt.date(2023, 12, 2)), two(departments))
    assert errors_of(exc)["period_end"] == ["检查结束日期不能早于开始日期"]
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments, period_start=dt.date(2024, 1, 2),
                                                    period_end=dt.date(2024, 2, 1)), two(departments))
    assert "计划年度" in errors_of(exc)["period_start"][0]


def test_departments_outside_the_area(county_user, plan, departments):
    huairen = f.department(f.HUAIREN, DepartmentKind.HEALTHCARE_SECURITY)
    city_center = f.department("140500", DepartmentKind.INSURANCE_CENTER)  # 晋城市: 阳城's parent city
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments), [*two(departments), actions.Slot(huairen, 1)])
    assert errors_of(exc)["slots"] == [f"部门“{huairen}”不在任务区域 140522 或其上级区域"]
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments, responsible_department=huairen), two(departments))
    assert "责任部门" in errors_of(exc)["responsible_department"][0]
    # the parent city's departments may join
    task = actions.create_task(county_user, plan, base(departments), [*two(departments), actions.Slot(city_center, 1)])
    assert task.slots.count() == 3


def test_duplicate_department_and_ratio(county_user, plan, departments):
    ybj = departments["阳城县医疗保障局"]
    with pytest.raises(ValidationError) as exc:
        actions.create_task(county_user, plan, base(departments, ratio_num=0),
                            [actions.Slot(ybj, 1), actions.Slot(ybj, 1)])
    errors = errors_of(exc)
    assert errors["slots"] == [f"部门“{ybj}”重复，请合并为一行"]
    assert errors["ratio_num"] == ["抽查比例应大于 0"]


def test_joint_flag_must_match_departments(county_user, plan, departments):
    with pytest.raises(ValidationError, match="请选择联合部门"):
        actions.create_task(county_user, plan, base(departments, joint=True), two(departments))
    with pytest.raises(ValidationError, match="不能填写联合部门"):
        actions.create_task(county_user, plan, base(departments, joint_departments=[departments["阳城县市场监督管理局"]]),
                            two(departments))


def test_directed_scope_filters(county_user, plan, departments):
    with pytest.raises(ValidationError, match="至少设置一项筛选条件"):
        actions.create_task(county_user, plan, base(departments, directed=True), two(departments))
    with pytest.raises(ValidationError, match="不在任务区域"):
        actions.create_task(county_user, plan, base(departments, directed=True, scope_filters={"region": [f.HUAIREN]}),
                            two(departments))
    with pytest.raises(ValidationError, match="取值不合法"):
        actions.create_task(county_user, plan, base(departments, directed=True, scope_filters={"kind": ["X"]}),
                            two(departments))
    pharmacy, hospital = f.institution(f.YANGCHENG, "P"), f.institution(f.YANGCHENG, "H", risk_flag=True)
    f.institution(f.HUAIREN, "P")
    task = actions.create_task(county_user, plan, base(departments, directed=True, scope_filters={
        "kind": ["P", "H"], "risk_flag": True, "level": []}), two(departments))
    assert task.scope_filters == {"kind": ["H", "P"], "risk_flag": True}
    assert list(institutions_in_scope(task)) == [hospital]
    actions.update_task(county_user, task, {"scope_filters": {"kind": ["P"]}})
    assert list(institutions_in_scope(task)) == [pharmacy]
    actions.update_task(county_user, task, {"directed": False})
    task.refresh_from_db()
    assert task.scope_filters == {} and set(institutions_in_scope(task)) == {pharmacy, hospital}


def test_other_area_is_refused(huairen_user, plan, departments):
    with pytest.raises(PermissionDenied):
        actions.create_task(huairen_user, plan, base(departments), two(departments))


def test_drawn_task_keeps_its_draw_fields(county_user, plan, departments):
    task = plan.tasks.get()
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)  # as the draws app would
    task.refresh_from_db()
    with pytest.raises(ValidationError, match="不能再修改：抽查比例分子"):
        actions.update_task(county_user, task, {"ratio_num": 10})
    task = Task.objects.get(pk=task.pk)
    with pytest.raises(ValidationError, match="检查组构成"):
        actions.update_task(county_user, task, {}, [actions.Slot(departments["阳城县医疗保障局"], 4)])
    task = Task.objects.get(pk=task.pk)
    assert actions.update_task(county_user, task, {"notes": "已抽取后补充说明"}) is True
    with pytest.raises(ValidationError):
        actions.delete_task(county_user, task, reason="x")
    with pytest.raises(ValidationError, match="状态"):
        actions.update_task(county_user, task, {"status": TaskStatus.DRAFT})
    assert Task.objects.get(pk=task.pk).ratio_num == 5


def test_update_records_before_and_after(county_user, plan, departments):
    task = plan.tasks.get()
    assert actions.update_task(county_user, task, {"ratio_num": 8}) is True
    assert actions.update_task(county_user, task, {"ratio_num": 8}) is False
    event = AuditEvent.objects.filter(action="update", object_type="planning.task").get()
    assert (event.before, event.after) == ({"ratio_num": 5}, {"ratio_num": 8})


def test_plan_rules(county_user, admin_user, plan, examples):
    from spotcheck.planning.models import ItemList

    sz = ItemList.objects.get(region_id=f.SHUOZHOU)
    with pytest.raises(ValidationError) as exc:  # 朔州's list does not apply to 阳城 (晋城市)
        actions.create_plan(admin_user, {"region_id": f.YANGCHENG, "year": 2023, "name": "x", "item_list": sz})
    assert "item_list" in exc.value.message_dict
    with pytest.raises(ValidationError, match="同名计划"):
        actions.create_plan(county_user, {"region_id": f.YANGCHENG, "year": 2023, "name": plan.name})
    with pytest.raises(ValidationError, match="还有任务"):
        actions.delete_plan(county_user, plan, reason="x")


def test_target_kinds_follow_the_items(examples):
    from spotcheck.planning.scope import target_kinds

    yc, sz = Task.objects.get(region_id=f.YANGCHENG), Task.objects.get(region_id=f.SHUOZHOU)
    assert target_kinds(yc) == {"H", "P"} and target_kinds(sz) == {"H"}
    yc.items.set(yc.plan.item_list.items.filter(seq=1))  # the 经办机构 item selects no institution
    assert target_kinds(yc) == set()
    yc.items.clear()
    assert target_kinds(yc) == {"H", "P"}


def test_item_list_delete_keeps_items_in_the_audit(admin_user):
    lst = actions.create_item_list(admin_user, {"region_id": f.SHUOZHOU, "year": 2025, "name": "待删清单"})
    actions.create_item(admin_user, lst, {"category": "c", "name": "n", "target": "全市定点医疗机构",
                                          "target_kind": "H", "item_type": "general", "ratio_text": "3%"})
    actions.delete_item_list(admin_user, lst, reason="录入错误")
    event = AuditEvent.objects.get(action="delete", object_type="planning.itemlist")
    assert event.reason == "录入错误" and event.before["items"][0]["ratio_num"] == 3

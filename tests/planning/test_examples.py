"""The seed documents' lists and plans load exactly and idempotently."""

import datetime as dt
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.urls import reverse

from spotcheck.audit.models import AuditEvent
from spotcheck.directory.io import SYSTEM_ACTOR
from spotcheck.planning.examples import load_examples
from spotcheck.planning.models import CheckItem, ItemList, Plan, Task
from tests import factories as f

H_BASIS_MGMT = "《医疗保障基金使用监督管理条例》第十四条、第三十九条。"
H_BASIS_USE = "《医疗保障基金使用监督管理条例》第十五条、第三十八条。"
SUBJECTS = "朔州市医疗保障局，朔州市医疗保险服务中心"

#: 附件4 of 朔医保发〔2023〕37号, row by row:
#: (序号, 抽查类别, 抽查事项, 检查对象, 事项类别, 检查比例, 检查频次, 检查方式, 检查主体, 检查依据)
SHUOZHOU_ROWS = [
    (1, "定点医疗机构医疗保障基金使用监督管理", "定点医疗机构医疗保障基金使用内部管理制度检查", "全市定点医疗机构",
     "一般检查事项", "3%", "每年一次", "现场检查、网络检查、书面检查", SUBJECTS, H_BASIS_MGMT),
    (2, "定点医疗机构医疗保障基金使用监督管理", "定点医疗机构医疗保障基金规范使用的检查", "全市定点医疗机构",
     "重点检查事项", "不低于 3%", "每年至少一次", "现场检查、网络检查", SUBJECTS, H_BASIS_USE),
    (3, "定点零售药店医疗保障基金使用监督管理", "定点零售药店医疗保障基金使用内部管理制度检查", "全市定点零售药店",
     "一般检查事项", "3%", "每年一次", "现场检查、网络检查、书面检查", SUBJECTS, H_BASIS_MGMT),
    (4, "定点零售药店医疗保障基金使用监督管理", "定点零售药店医疗保障基金规范使用的检查", "全市定点零售药店",
     "重点检查事项", "不低于 3%", "每年至少一次", "现场检查、网络检查", SUBJECTS, H_BASIS_USE),
]


def rows(item_list):
    return [(i.seq, i.category, i.name, i.target, i.get_item_type_display(), i.ratio_text, i.frequency, i.methods,
             i.subjects, i.basis) for i in item_list.items.order_by("seq")]


def test_shuozhou_list_is_the_seed(examples):
    sz = ItemList.objects.get(region_id=f.SHUOZHOU, year=2023)
    assert (sz.issuer, sz.doc_number) == ("朔州市医疗保障局", "朔医保发〔2023〕37号 附件4")
    assert rows(sz) == SHUOZHOU_ROWS
    assert [(i.target_kind, i.ratio_num, i.ratio_den, i.ratio_is_minimum) for i in sz.items.order_by("seq")] == [
        ("H", 3, 100, False), ("H", 3, 100, True), ("P", 3, 100, False), ("P", 3, 100, True)]


def test_yangcheng_list_is_the_seed(examples):
    yc = ItemList.objects.get(region_id=f.YANGCHENG, year=2023)
    assert yc.issuer == "阳城县医疗保障局"
    items = list(yc.items.order_by("seq"))
    assert [(i.seq, i.category, i.target, i.target_kind, i.get_item_type_display(), i.methods, i.subjects,
             i.ratio_num) for i in items] == [
        (1, "医疗保障经办机构", "医疗保障经办机构", "agency", "一般检查事项", "现场检查", "阳城县医疗保障局", None),
        (2, "定点医药机构", "全县范围内定点医药机构", "HP", "一般检查事项", "现场检查", "阳城县医疗保障局", None),
    ]
    assert items[0].name.startswith("对全县所有统筹区执行全省统一的医疗保障经办政务服务事项清单")
    assert "晋医险函〔2022〕91号" in items[0].basis and "晋市医险函〔2022〕35号" in items[0].basis
    assert items[1].name == "对全县医保定点医药机构纳入医疗保障基金支付范围的医疗服务行为和医疗费用的检查"
    assert "《医疗保障基金使用监督管理条例》" in items[1].basis and "定点零售药店服务协议" in items[1].basis


def test_yangcheng_plan_task_is_the_work_plan(examples):
    plan = Plan.objects.get(region_id=f.YANGCHENG, year=2023)
    assert plan.item_list.region_id == f.YANGCHENG
    task = plan.tasks.get()
    assert (task.seq, task.name, task.period_start, task.period_end, task.scope_text) == (
        1, "全县定点医药机构的检查", dt.date(2023, 10, 1), dt.date(2023, 12, 31), "全县定点医药机构")
    assert (task.ratio, task.percent_text, task.item_summary, task.directed, task.method, task.joint) == (
        Fraction(5, 100), "5%", "医保基金使用情况", False, "实地检查", True)
    assert (task.ratio_num, task.ratio_den, task.credit_scaled, task.region_id) == (5, 100, False, f.YANGCHENG)
    assert task.responsible_department.name == "阳城县医疗保障局"
    assert sorted(d.name for d in task.joint_departments.all()) == ["阳城县卫生健康和体育局", "阳城县市场监督管理局"]
    assert [(s.department.name, s.count) for s in task.slots.all()] == [
        ("阳城县医疗保障局", 2), ("阳城县市场监督管理局", 1), ("阳城县卫生健康和体育局", 1)]
    assert [i.seq for i in task.items.all()] == [2] and task.status == "draft"


def test_shuozhou_plan_task(examples):
    task = Task.objects.get(region_id=f.SHUOZHOU)
    assert (task.name, task.period_start, task.period_end, task.ratio_num, task.ratio_den, task.credit_scaled) == (
        "定点医疗机构医疗保障基金规范使用的检查", dt.date(2023, 9, 15), dt.date(2023, 12, 15), 3, 100, True)
    assert [(i.item_list.region_id, i.seq) for i in task.items.all()] == [(f.SHUOZHOU, 2)]
    assert [(s.department.name, s.count) for s in task.slots.all()] == [("朔州市医疗保障局", 1), ("朔州市医疗保险服务中心", 1)]
    assert task.responsible_department.name == "朔州市医疗保障局"
    assert (task.directed, task.scope_filters, task.scope_text, task.joint) == (False, {}, "全市定点医疗机构", False)


def test_loading_twice_changes_nothing(examples):
    counts = (ItemList.objects.count(), CheckItem.objects.count(), Plan.objects.count(), Task.objects.count())
    events = AuditEvent.objects.count()
    again = load_examples(SYSTEM_ACTOR, 2023)
    assert not again.created and len(again.existing) == 4
    assert (ItemList.objects.count(), CheckItem.objects.count(), Plan.objects.count(), Task.objects.count()) == counts
    assert counts == (2, 6, 2, 2) and AuditEvent.objects.count() == events


def test_missing_departments_load_lists_only_then_plans_later(db, capsys):
    call_command("planning", "load-examples")
    out = capsys.readouterr().out
    assert "缺少部门" in out and "阳城县卫生健康和体育局" in out and "朔州市医疗保险服务中心" in out
    assert (ItemList.objects.count(), CheckItem.objects.count(), Plan.objects.count()) == (2, 6, 0)
    assert AuditEvent.objects.filter(actor_name="cli", action="create").count() == 8
    from tests.factories import EXAMPLE_DEPARTMENTS

    for region, kind, name in EXAMPLE_DEPARTMENTS:
        f.department(region, kind, name)
    call_command("planning", "load-examples", "--year", "2023")
    out = capsys.readouterr().out
    assert "已存在，未改动" in out and "缺少部门" not in out
    assert (Plan.objects.count(), Task.objects.count()) == (2, 2)


def test_unknown_year_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有 2019 年度的示例"):
        call_command("planning", "load-examples", "--year", "2019")


def test_button_loads_only_the_users_area(client_for, city_user, county_user, departments):
    response = client_for(city_user).post(reverse("planning:examples-load"), {"year": "2023"})
    assert response.status_code == 302
    assert set(ItemList.objects.values_list("region_id", flat=True)) == {f.SHUOZHOU}
    assert set(Plan.objects.values_list("region_id", flat=True)) == {f.SHUOZHOU}
    assert client_for(county_user).post(reverse("planning:examples-load")).status_code == 403

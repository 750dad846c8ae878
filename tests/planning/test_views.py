"""Pages: scope (another county's rows are 404; the parent city's list is read-only), forms, smoke."""

import datetime as dt

import pytest
from django.urls import reverse

from spotcheck.directory.models import DepartmentKind
from spotcheck.planning import actions
from spotcheck.planning.models import CheckItem, ItemList, Plan, Task, TaskStatus
from tests import factories as f


@pytest.fixture
def lists(examples):
    return {
        "sz": ItemList.objects.get(region_id=f.SHUOZHOU),
        "yc": ItemList.objects.get(region_id=f.YANGCHENG),
    }


@pytest.fixture
def huairen_plan(admin_user, lists):
    """A plan of 怀仁 (a county of 朔州, not 阳城) with one task."""
    ybj = f.department(f.HUAIREN, DepartmentKind.HEALTHCARE_SECURITY)
    plan = actions.create_plan(admin_user, {"region_id": f.HUAIREN, "year": 2023, "name": "怀仁计划",
                                            "item_list": lists["sz"]})
    actions.create_task(admin_user, plan, {
        "name": "怀仁任务", "period_start": dt.date(2023, 10, 1), "period_end": dt.date(2023, 12, 1),
        "ratio_num": 3, "ratio_den": 100, "method": "实地检查", "responsible_department": ybj,
    }, [actions.Slot(ybj, 2)])
    return plan


def test_county_user_cannot_see_another_countys_plan(client_for, county_user, huairen_plan):
    client = client_for(county_user)
    task = huairen_plan.tasks.get()
    for url in (reverse("planning:plan-detail", args=[huairen_plan.pk]),
                reverse("planning:plan-edit", args=[huairen_plan.pk]),
                reverse("planning:task-detail", args=[task.pk]),
                reverse("planning:task-edit", args=[task.pk]),
                reverse("planning:task-create", args=[huairen_plan.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("planning:task-delete", args=[task.pk])).status_code == 404
    assert Task.objects.filter(pk=task.pk).exists()
    page = client.get(reverse("planning:index")).content.decode()
    assert "怀仁计划" not in page and "阳城县医疗保障局2023年度" in page


def test_county_user_reads_parent_city_list_but_cannot_edit(client_for, county_user, huairen_user, lists):
    sz = lists["sz"]
    item = sz.items.get(seq=2)
    client = client_for(huairen_user)  # 怀仁 is a county of 朔州
    page = client.get(reverse("planning:itemlist-detail", args=[sz.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "只读" in html and "定点医疗机构医疗保障基金规范使用的检查" in html
    assert reverse("planning:itemlist-edit", args=[sz.pk]) not in html
    assert client.get(reverse("planning:itemlist-export", args=[sz.pk])).status_code == 200
    for url in (reverse("planning:itemlist-edit", args=[sz.pk]), reverse("planning:itemlist-import", args=[sz.pk]),
                reverse("planning:item-create", args=[sz.pk]), reverse("planning:item-edit", args=[item.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("planning:itemlist-edit", args=[sz.pk]), {
        "region": f.SHUOZHOU, "year": 2023, "name": "改名"}).status_code == 404
    assert client.post(reverse("planning:item-delete", args=[item.pk])).status_code == 404
    assert ItemList.objects.get(pk=sz.pk).name == sz.name and CheckItem.objects.filter(pk=item.pk).exists()
    assert "朔州市医疗保障局2023年度" in client.get(reverse("planning:index")).content.decode()
    # 阳城 belongs to 晋城市: 朔州's list is not its parent's and stays invisible
    client = client_for(county_user)
    assert client.get(reverse("planning:itemlist-detail", args=[sz.pk])).status_code == 404
    assert client.get(reverse("planning:itemlist-detail", args=[lists["yc"].pk])).status_code == 200


def test_reading_adds_only_ancestor_lists(county_user, city_user, lists):
    assert set(ItemList.objects.restrict(county_user)) == {lists["yc"]}  # 阳城 is in 晋城市, not 朔州
    jc = actions.create_item_list(f.user("t-jc-city", "city_admin", "140500"),
                                  {"region_id": "140500", "year": 2023, "name": "晋城市清单"})
    assert set(ItemList.objects.restrict(county_user)) == {lists["yc"], jc}
    assert set(ItemList.objects.restrict(county_user, "plan")) == {lists["yc"]}
    assert set(ItemList.objects.restrict(city_user)) == {lists["sz"]}
    assert set(CheckItem.objects.restrict(county_user).values_list("item_list", flat=True)) == {lists["yc"].pk}


def test_view_only_roles_cannot_open_forms(client_for, inspector_user, auditor_user, lists):
    for user in (inspector_user, auditor_user):
        client = client_for(user)
        assert client.get(reverse("planning:index")).status_code == 200
        assert client.get(reverse("planning:plan-create")).status_code == 403
        assert client.get(reverse("planning:itemlist-create")).status_code == 403
        assert client.post(reverse("planning:examples-load")).status_code == 403


def test_pages_render(client_for, admin_user, lists):
    client = client_for(admin_user)
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    task = plan.tasks.get()
    item = lists["sz"].items.first()
    for url in (
        reverse("planning:index"), reverse("planning:index") + "?year=2023",
        reverse("planning:itemlist-create"), reverse("planning:itemlist-detail", args=[lists["sz"].pk]),
        reverse("planning:itemlist-edit", args=[lists["sz"].pk]), reverse("planning:itemlist-import", args=[lists["sz"].pk]),
        reverse("planning:item-create", args=[lists["sz"].pk]), reverse("planning:item-edit", args=[item.pk]),
        reverse("planning:plan-create"), reverse("planning:plan-detail", args=[plan.pk]),
        reverse("planning:plan-edit", args=[plan.pk]), reverse("planning:task-list"),
        reverse("planning:task-list") + "?status=draft&year=2023",
        reverse("planning:task-create", args=[plan.pk]), reverse("planning:task-detail", args=[task.pk]),
        reverse("planning:task-edit", args=[task.pk]),
    ):
        assert client.get(url).status_code == 200, url
    template = client.get(reverse("planning:scope-template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    html = client.get(reverse("planning:plan-detail", args=[plan.pk])).content.decode()
    for text in ("全县定点医药机构的检查", "2023.10.1–2023.12.31", "5%", "医保基金使用情况", "不定向", "实地检查",
                 "阳城县市场监督管理局、阳城县卫生健康和体育局"):
        assert text in html, text


def _task_post(dept_rows, **overrides):
    data = {
        "name": "药店专项检查", "region": f.YANGCHENG, "period_start": "2023-11-01", "period_end": "2023-12-20",
        "scope_text": "全县定点零售药店", "ratio_percent": "3.5", "credit_scaled": "on", "item_summary": "",
        "directed": "1", "f_kind": ["P"], "method": "实地检查", "responsible_department": "",
        "cap": "3", "exclude_checked_this_year": "on", "notes": "",
        "slots-TOTAL_FORMS": str(len(dept_rows) + 1), "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0", "slots-MAX_NUM_FORMS": "20",
    }
    for i, (dept, count) in enumerate(dept_rows):
        data[f"slots-{i}-department"] = str(dept.pk)
        data[f"slots-{i}-count"] = str(count)
    data.update(overrides)
    return data


def test_task_form_creates_task_with_slots(client_for, county_user, departments, lists):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    ybj, sjj = departments["阳城县医疗保障局"], departments["阳城县市场监督管理局"]
    client = client_for(county_user)
    url = reverse("planning:task-create", args=[plan.pk])
    item = lists["yc"].items.get(seq=2)
    response = client.post(url, _task_post([(ybj, 1), (sjj, 1)], responsible_department=str(ybj.pk),
                                            items=[str(item.pk)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    task = Task.objects.get(name="药店专项检查")
    assert (task.ratio_num, task.ratio_den, task.directed, task.scope_filters) == (35, 1000, True, {"kind": ["P"]})
    assert [(s.department.name, s.count) for s in task.slots.all()] == [("阳城县医疗保障局", 1), ("阳城县市场监督管理局", 1)]
    assert list(task.items.all()) == [item] and task.seq == 2 and task.created_by == county_user


def test_task_form_shows_team_errors_and_writes_nothing(client_for, county_user, departments, lists):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    sjj = departments["阳城县市场监督管理局"]
    response = client_for(county_user).post(
        reverse("planning:task-create", args=[plan.pk]),
        _task_post([(sjj, 1)], responsible_department=str(departments["阳城县医疗保障局"].pk),
                   period_end="2023-10-01", ratio_percent="abc"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "少于规定的最少人数 2 人" in html or "不是有效的百分数" in html
    assert not Task.objects.filter(name="药店专项检查").exists()
    # with a valid ratio the action's errors show up next to their fields and the formset
    response = client_for(county_user).post(
        reverse("planning:task-create", args=[plan.pk]),
        _task_post([(sjj, 1)], responsible_department=str(departments["阳城县医疗保障局"].pk), period_end="2023-10-01"),
    )
    html = response.content.decode()
    for text in ("检查结束日期不能早于开始日期", "少于规定的最少人数 2 人", "至少应有一个医保部门"):
        assert text in html, text
    assert not Task.objects.filter(name="药店专项检查").exists()


def test_drawn_task_form_is_locked(client_for, county_user, examples):
    task = Task.objects.get(region_id=f.YANGCHENG)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)  # as the draws app would
    client = client_for(county_user)
    html = client.get(reverse("planning:task-edit", args=[task.pk])).content.decode()
    assert "已锁定" in html and 'name="ratio_percent"' in html and "disabled" in html
    # a tampered POST cannot change the locked fields; the free ones still save
    data = {"name": "全县定点医药机构的检查（更名）", "ratio_percent": "50", "period_start": "2023-10-01",
            "period_end": "2023-12-31", "region": f.YANGCHENG, "directed": "0", "method": "实地检查", "joint": "on",
            "responsible_department": str(task.responsible_department_id), "cap": "9",
            "joint_departments": [str(d.pk) for d in task.joint_departments.all()]}
    response = client.post(reverse("planning:task-edit", args=[task.pk]), data)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.name.endswith("（更名）") and (task.ratio_num, task.ratio_den, task.cap) == (5, 100, 3)


def test_item_form_parses_the_ratio(client_for, city_user, lists):
    sz = lists["sz"]
    url = reverse("planning:item-create", args=[sz.pk])
    data = {"seq": "5", "category": "类别", "name": "新事项", "target": "全市定点医疗机构", "target_kind": "H",
            "item_type": "key", "ratio_text": "至少三成", "frequency": "", "methods": "", "subjects": "", "basis": ""}
    response = client_for(city_user).post(url, data)
    assert response.status_code == 200 and "无法识别" in response.content.decode()
    assert not sz.items.filter(seq=5).exists()
    response = client_for(city_user).post(url, {**data, "ratio_text": "不低于 2.5%"})
    assert response.status_code == 302
    item = sz.items.get(seq=5)
    assert (item.ratio_num, item.ratio_den, item.ratio_is_minimum) == (25, 1000, True)
    response = client_for(city_user).post(url, {**data, "ratio_text": "3%"})  # 序号 5 is taken now
    assert response.status_code == 200 and sz.items.filter(seq=5).count() == 1

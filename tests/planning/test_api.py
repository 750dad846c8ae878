"""REST API: scope, permissions, tasks with nested slots written through actions."""

from rest_framework.test import APIClient

from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import make_fixmedins_code
from spotcheck.planning.models import ItemList, Plan, Task, TaskStatus
from tests import factories as f

TASKS, PLANS, LISTS, ITEMS = "/api/planning/tasks/", "/api/planning/plans/", "/api/planning/item-lists/", "/api/planning/items/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def task_body(plan, departments, **extra):
    body = {
        "plan": plan.pk, "name": "接口任务", "period_start": "2023-11-01", "period_end": "2023-12-01",
        "ratio_num": 7, "ratio_den": 100, "method": "实地检查",
        "responsible_department": departments["阳城县医疗保障局"].pk,
        "slots": [{"department": departments["阳城县医疗保障局"].pk, "count": 2},
                  {"department": departments["阳城县市场监督管理局"].pk, "count": 1}],
    }
    body.update(extra)
    return body


def test_lists_are_scoped(examples, county_user, city_user, huairen_user, admin_user):
    assert [t["name"] for t in api(county_user).get(TASKS).json()["results"]] == ["全县定点医药机构的检查"]
    assert [t["region"] for t in api(city_user).get(TASKS).json()["results"]] == [f.SHUOZHOU]
    assert api(huairen_user).get(TASKS).json()["count"] == 0
    assert api(admin_user).get(TASKS + "?year=2023").json()["count"] == 2
    yc_task = Task.objects.get(region_id=f.YANGCHENG)
    assert api(huairen_user).get(f"{TASKS}{yc_task.pk}/").status_code == 404
    detail = api(county_user).get(f"{TASKS}{yc_task.pk}/").json()
    assert detail["percent"] == "5%" and detail["status"] == "draft" and len(detail["slots"]) == 3
    assert {"department": f.department(f.YANGCHENG).pk, "count": 2} in detail["slots"]


def test_item_lists_nest_items_and_parent_lists_are_read_only(examples, huairen_user):
    sz = ItemList.objects.get(region_id=f.SHUOZHOU)
    client = api(huairen_user)
    data = client.get(LISTS).json()["results"]
    assert [d["id"] for d in data] == [sz.pk] and len(data[0]["items"]) == 4
    assert data[0]["items"][1]["ratio_text"] == "不低于 3%" and data[0]["items"][1]["ratio_num"] == 3
    assert client.patch(f"{LISTS}{sz.pk}/", {"name": "改名"}, format="json").status_code == 404
    item = sz.items.get(seq=1)
    assert client.get(f"{ITEMS}{item.pk}/").status_code == 200
    assert client.patch(f"{ITEMS}{item.pk}/", {"ratio_text": "9%"}, format="json").status_code == 404
    assert client.post(ITEMS, {"item_list": sz.pk, "category": "c", "name": "n", "target": "全市定点医疗机构",
                               "target_kind": "H", "item_type": "general"}, format="json").status_code == 400
    assert ItemList.objects.get(pk=sz.pk).name == sz.name


def test_item_ratio_is_parsed(examples, city_user):
    sz = ItemList.objects.get(region_id=f.SHUOZHOU)
    response = api(city_user).post(ITEMS, {"item_list": sz.pk, "category": "c", "name": "新增事项",
                                           "target": "全市定点医疗机构", "target_kind": "H", "item_type": "key",
                                           "ratio_text": "不低于 4.5%"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["seq"], response.json()["ratio_num"], response.json()["ratio_den"]) == (5, 45, 1000)
    bad = api(city_user).patch(f"{ITEMS}{response.json()['id']}/", {"ratio_text": "很多"}, format="json")
    assert bad.status_code == 400 and "ratio_text" in bad.json()


def test_create_task_with_slots(examples, county_user, departments):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    response = api(county_user).post(TASKS, task_body(plan, departments), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["seq"] == 2 and body["region"] == f.YANGCHENG and body["status"] == "draft"
    task = Task.objects.get(pk=body["id"])
    assert [(s.department.name, s.count) for s in task.slots.all()] == [("阳城县医疗保障局", 2), ("阳城县市场监督管理局", 1)]
    assert AuditEvent.objects.filter(object_type="planning.task", object_id=str(task.pk), action="create").exists()


def test_create_task_validation_errors(examples, county_user, departments):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    body = task_body(plan, departments, period_end="2023-10-01",
                     slots=[{"department": departments["阳城县市场监督管理局"].pk, "count": 1}])
    response = api(county_user).post(TASKS, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["period_end"] == ["检查结束日期不能早于开始日期"]
    assert any("医保部门" in e for e in errors["slots"]) and any("最少人数" in e for e in errors["slots"])
    assert Task.objects.count() == 2


def test_cannot_create_in_another_area(examples, huairen_user, inspector_user, departments):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    response = api(huairen_user).post(TASKS, task_body(plan, departments), format="json")
    assert response.status_code == 400 and "plan" in response.json()
    assert api(inspector_user).post(TASKS, task_body(plan, departments), format="json").status_code == 403
    assert api(inspector_user).get(TASKS).status_code == 200
    assert Task.objects.count() == 2


def test_scope_codes(examples, county_user, departments):
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    inst = f.institution(f.YANGCHENG)
    unknown = make_fixmedins_code("H", f.YANGCHENG, 77777)
    response = api(county_user).post(TASKS, task_body(plan, departments, scope_codes=[inst.fixmedins_code, unknown]),
                                     format="json")
    assert response.status_code == 400 and unknown in response.json()["scope_codes"][0]
    assert Task.objects.count() == 2  # the task was not created either
    response = api(county_user).post(TASKS, task_body(plan, departments, scope_codes=[inst.fixmedins_code]),
                                     format="json")
    assert response.status_code == 201
    assert (response.json()["directed"], response.json()["scope_list"]) == (True, [inst.fixmedins_code])


def test_drawn_task_is_locked(examples, county_user, departments):
    task = Task.objects.get(region_id=f.YANGCHENG)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)
    client = api(county_user)
    response = client.patch(f"{TASKS}{task.pk}/", {"ratio_num": 9}, format="json")
    assert response.status_code == 400 and "不能再修改" in str(response.json())
    assert client.patch(f"{TASKS}{task.pk}/", {"status": "draft"}, format="json").json()["status"] == "drawn"
    response = client.patch(f"{TASKS}{task.pk}/", {"notes": "补充"}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "补充"
    assert client.delete(f"{TASKS}{task.pk}/").status_code == 400
    assert Task.objects.get(pk=task.pk).ratio_num == 5


def test_update_slots_and_delete_draft(examples, county_user, departments):
    task = Task.objects.get(region_id=f.YANGCHENG)
    client = api(county_user)
    response = client.patch(f"{TASKS}{task.pk}/", {"slots": [
        {"department": departments["阳城县医疗保障局"].pk, "count": 3}]}, format="json")
    assert response.status_code == 200 and response.json()["slots"] == [
        {"department": departments["阳城县医疗保障局"].pk, "count": 3}]
    assert client.delete(f"{TASKS}{task.pk}/").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()


def test_plans_api(examples, county_user):
    client = api(county_user)
    assert [p["region"] for p in client.get(PLANS).json()["results"]] == [f.YANGCHENG]
    yc = ItemList.objects.get(region_id=f.YANGCHENG)
    response = client.post(PLANS, {"region": f.YANGCHENG, "year": 2024, "name": "2024 计划", "item_list": yc.pk},
                           format="json")
    assert response.status_code == 201, response.json()
    response = client.post(PLANS, {"region": f.HUAIREN, "year": 2024, "name": "越权"}, format="json")
    assert response.status_code == 403

"""Items that were used are never changed in place (issue 11 § 4): an edit makes a new version with a
reason, and the tasks, checklists and publications that used the old version keep it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from spotcheck.audit.models import AuditEvent
from spotcheck.audit.verify import verify_data
from spotcheck.directory.models import Institution
from spotcheck.draws import actions as draws
from spotcheck.draws.pool import annual_cap_hits, previous_round
from spotcheck.planning import actions
from spotcheck.planning.io import export_items, parse_items
from spotcheck.planning.models import CheckItem, ItemList, Task, versions_of
from spotcheck.planning.tabular import ImportRejected
from spotcheck.portal import actions as portal
from tests import factories as f
from tests.factories import JINCHENG, make_task

pytestmark = pytest.mark.django_db
ITEMS = "/api/planning/items/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached portal pages and rate-limit counters cleared per test, as in tests/portal."""
    yield from f.fresh_cache()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


@pytest.fixture
def published(inspections, county_user):  # noqa: F811
    """Every inspection of the revealed 阳城 draw published (the task uses world.general_h and general_p)."""
    return [portal.publish(county_user, i) for i in inspections]


def _public_texts(client, task: Task) -> dict[str, str]:
    cache.clear()
    return {
        "task page": body(client.get(reverse("portal:task", args=[task.pk]))),
        "tasks.json": body(client.get(reverse("portal:tasks-json"))),
        "tasks.csv": body(client.get(reverse("portal:tasks-csv"))),
        "results.json": body(client.get(reverse("portal:results-json"))),
        "results.csv": body(client.get(reverse("portal:results-csv"))),
        "result page": body(client.get(reverse("portal:result", args=[Task.objects.get(pk=task.pk)
                                                                       .publications.first().pk]))),
    }


def test_patch_of_a_published_item_makes_a_version_and_leaves_the_portal_alone(
    client, world, published, started, approver,  # noqa: F811
):
    """The issue's reproduction: PATCH /api/planning/items/<id>/ on an item of a revealed, published task."""
    item = world.general_h
    before = _public_texts(client, started.task)
    for where, text in before.items():
        assert "事项1" in text, where
    url = f"{ITEMS}{item.pk}/"

    refused = api(approver).patch(url, {"name": "改过的事项名称"}, format="json")
    assert refused.status_code == 400
    assert "修改原因" in refused.json()["change_reason"][0] and "版本 2" in refused.json()["change_reason"][0]
    assert CheckItem.objects.count() == 4

    response = api(approver).patch(url, {"name": "改过的事项名称", "change_reason": "依据新文件调整表述"},
                                   format="json")
    assert response.status_code == 201, response.json()
    new = response.json()
    assert new["id"] != item.pk and response["Location"].endswith(f"{ITEMS}{new['id']}/")
    assert (new["name"], new["version"], new["supersedes"], new["is_current"], new["used"], new["change_reason"]) == (
        "改过的事项名称", 2, item.pk, True, False, "依据新文件调整表述")

    after = _public_texts(client, started.task)
    for where, text in after.items():
        assert "事项1" in text and "改过的事项名称" not in text, where
    # the published item list shows the list as it is now: the new version, not the old one twice
    items_page = body(client.get(reverse("portal:items")))
    assert "改过的事项名称" in items_page and ">事项1<" not in items_page
    old = CheckItem.objects.get(pk=item.pk)
    assert old.name == "事项1" and old.version == 1 and not old.is_current and old.is_used()
    assert list(started.task.items.order_by("seq").values_list("pk", flat=True)) == [item.pk, world.general_p.pk]

    events = {e.action: e for e in AuditEvent.objects.filter(object_type="planning.checkitem")}
    assert events["item.version"].object_id == str(new["id"]) and events["item.version"].reason == "依据新文件调整表述"
    assert events["item.version"].before == {"name": "事项1"} and events["item.version"].after["name"] == "改过的事项名称"
    assert events["item.retire"].object_id == str(item.pk) and events["item.retire"].state["name"] == "事项1"
    report = verify_data(limit=100, labels=["planning.checkitem"])
    assert not [d for d in report.differences if d.object_id in (str(item.pk), str(new["id"]))]


def test_api_exposes_the_version_fields_and_refuses_the_old_version(world, started, approver):  # noqa: F811
    data = api(approver).get(f"{ITEMS}{world.general_h.pk}/").json()
    assert (data["version"], data["supersedes"], data["is_current"], data["used"]) == (1, None, True, True)
    assert api(approver).get(f"{ITEMS}{world.agency.pk}/").json()["used"] is False
    new = api(approver).patch(f"{ITEMS}{world.general_h.pk}/", {"ratio_text": "5%", "change_reason": "比例调整"},
                              format="json").json()
    assert (new["ratio_num"], new["ratio_den"]) == (5, 100)
    again = api(approver).patch(f"{ITEMS}{world.general_h.pk}/", {"ratio_text": "6%", "change_reason": "再调"},
                                format="json")
    assert again.status_code == 400 and "历史版本不能修改" in json.dumps(again.json(), ensure_ascii=False)
    current = api(approver).get(f"{ITEMS}?current=true&item_list={world.plan.item_list_id}").json()["results"]
    assert sorted(i["id"] for i in current) == sorted([new["id"], world.key_h.pk, world.general_p.pk,
                                                       world.agency.pk])
    nested = api(approver).get(f"/api/planning/item-lists/{world.plan.item_list_id}/").json()["items"]
    assert [i["id"] for i in nested if i["seq"] == 1] == [new["id"]]
    # an unused item is still changed in place: 200, same id, no version
    same = api(approver).patch(f"{ITEMS}{world.agency.pk}/", {"name": "经办机构检查"}, format="json")
    assert same.status_code == 200 and same.json()["id"] == world.agency.pk and same.json()["version"] == 1


def test_form_edit_of_an_unused_item_edits_in_place(client_for, city_user):
    item_list = actions.create_item_list(city_user, {"region_id": f.SHUOZHOU, "year": 2024, "name": "清单"})
    item = actions.create_item(city_user, item_list, {
        "category": "定点医药机构", "name": "医保基金使用检查", "target": "全市定点医疗机构", "target_kind": "H",
        "item_type": "general", "ratio_text": "3%"})
    assert (item.version, item.created_by, item.created_at is not None) == (1, city_user, True)
    client = client_for(city_user)
    page = client.get(reverse("planning:item-edit", args=[item.pk])).content.decode()
    assert "修改说明" in page and "已使用" not in page
    response = client.post(reverse("planning:item-edit", args=[item.pk]), {
        "seq": 1, "category": "定点医药机构", "name": "医保基金使用情况检查", "target": "全市定点医疗机构",
        "target_kind": "H", "item_type": "general", "ratio_text": "4%"})
    assert response.status_code == 302 and response["Location"] == reverse("planning:itemlist-detail",
                                                                           args=[item_list.pk])
    item.refresh_from_db()
    assert (item.name, item.ratio_num, item.version, CheckItem.objects.filter(item_list=item_list).count()) == (
        "医保基金使用情况检查", 4, 1, 1)
    assert AuditEvent.objects.filter(object_type="planning.checkitem", object_id=str(item.pk),
                                     action="update").exists()


def test_form_edit_of_a_used_item_asks_for_a_reason_and_makes_a_version(
    client_for, world, started, approver,  # noqa: F811
):
    item = world.general_h
    client = client_for(approver)
    listing = client.get(reverse("planning:itemlist-detail", args=[item.item_list_id])).content.decode()
    assert "已使用（只读）" in listing and "修订（生成新版本）" in listing
    page = client.get(reverse("planning:item-edit", args=[item.pk])).content.decode()
    assert "将生成新版本" in page and "修改原因" in page and "版本 2" in page
    data = {"seq": 1, "category": "医保基金使用", "name": "事项1（修订）", "target": "定点机构", "target_kind": "H",
            "item_type": "general", "ratio_text": "3%"}
    refused = client.post(reverse("planning:item-edit", args=[item.pk]), data)
    assert refused.status_code == 200 and "请填写修改原因" in refused.content.decode()
    assert CheckItem.objects.filter(item_list_id=item.item_list_id).count() == 4

    response = client.post(reverse("planning:item-edit", args=[item.pk]), {**data, "change_reason": "表述更准确"})
    new = CheckItem.objects.get(supersedes=item)
    assert response.status_code == 302 and response["Location"] == reverse("planning:item-detail", args=[new.pk])
    assert (new.name, new.version, new.change_reason, new.created_by) == ("事项1（修订）", 2, "表述更准确", approver)
    item.refresh_from_db()
    assert item.name == "事项1" and item.retired_at is not None
    history = client.get(reverse("planning:item-detail", args=[new.pk])).content.decode()
    assert "版本记录" in history and "版本 2" in history and "表述更准确" in history and str(approver) in history
    assert started.task.name in history  # the task that used version 1
    old_page = client.get(reverse("planning:item-detail", args=[item.pk])).content.decode()
    assert "历史版本（版本 1）" in old_page and "已使用（只读）" in old_page
    assert client.get(reverse("planning:item-edit", args=[item.pk])).status_code == 302  # history is not editable


def test_delete_of_a_used_item_is_refused(world, started, approver):  # noqa: F811
    item = world.general_h
    with pytest.raises(actions.ActionRefused, match="已被任务“.*”使用，不能删除"):
        actions.delete_item(approver, item, reason="清理")
    response = api(approver).delete(f"{ITEMS}{item.pk}/")
    assert response.status_code == 400 and "不能删除" in json.dumps(response.json(), ensure_ascii=False)
    assert CheckItem.objects.filter(pk=item.pk).exists()
    actions.delete_item(approver, world.agency, reason="不再检查")  # unused, in no task
    assert not CheckItem.objects.filter(pk=world.agency.pk).exists()


def test_draft_tasks_move_to_the_new_version_drawn_tasks_keep_theirs(
    world, started, approver, county_user,  # noqa: F811
):
    draft = make_task(world, name="草稿任务")
    new = actions.update_item(approver, world.general_h, {"name": "事项1（新）", "change_reason": "统一表述"})
    assert new.pk != world.general_h.pk
    assert set(started.task.items.values_list("pk", flat=True)) == {world.general_h.pk, world.general_p.pk}
    assert set(draft.items.values_list("pk", flat=True)) == {new.pk, world.general_p.pk}
    event = AuditEvent.objects.filter(object_type="planning.task", object_id=str(draft.pk)).last()
    assert event.after == {"items": sorted([new.pk, world.general_p.pk])} and "统一表述" in event.reason
    # a superseded version cannot be chosen for a task again
    with pytest.raises(actions.ValidationError, match="已被新版本取代"):
        actions.update_task(county_user, draft, {"items": [world.general_h, world.general_p]})


def test_a_frozen_draw_makes_items_used_a_cancelled_one_does_not(world, staffed, county_user):  # noqa: F811
    task = make_task(world, items=[world.key_h])
    assert not world.key_h.is_used()
    draw = draws.freeze(county_user, task)
    assert world.key_h.is_used() and world.key_h.item_list.is_used()
    draws.cancel(county_user, draw, "范围有误")
    assert not CheckItem.objects.filter(pk=world.key_h.pk).used().exists()


def test_the_annual_cap_and_the_previous_round_see_older_versions(world, started, approver):  # noqa: F811
    new = actions.update_item(approver, world.general_h, {"name": "事项1（新）", "change_reason": "统一表述"})
    assert set(versions_of([new])) == {world.general_h.pk, new.pk}
    later = make_task(world, name="同年第二次检查", items=[new])
    assert previous_round(later) == started
    drawn = list(Institution.objects.filter(pk__in=started.assignments.filter(active=True)
                                            .values("institution_id")))
    hits = annual_cap_hits(later, drawn)
    hospitals = [i for i in drawn if i.kind == "H"]
    assert hospitals and all("事项1（新）" in hits[i.pk] for i in hospitals)


def test_import_changing_a_used_item(world, started, approver):  # noqa: F811
    item_list = world.plan.item_list
    data = export_items(item_list)
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == 1)
    row[2].value = "导入修改的名称"
    out = io.BytesIO()
    book.save(out)

    def rows():
        return parse_items(SimpleUploadedFile("x.xlsx", out.getvalue()))

    with pytest.raises(ImportRejected) as exc:
        actions.import_items(approver, item_list, rows())
    assert [(e.row, e.column) for e in exc.value.errors] == [(row[0].row, "抽查事项")]
    assert "请填写修改原因" in exc.value.errors[0].message
    assert CheckItem.objects.get(pk=world.general_h.pk).name == "事项1"

    counts = actions.import_items(approver, item_list, rows(), change_reason="按2026年文件更新")
    assert counts == {"created": 0, "updated": 0, "versioned": 1, "deleted": 0, "unchanged": 3}
    new = CheckItem.objects.get(supersedes=world.general_h)
    assert (new.name, new.change_reason, new.version) == ("导入修改的名称", "按2026年文件更新", 2)
    assert CheckItem.objects.get(pk=world.general_h.pk).name == "事项1"
    assert export_items(item_list) and [i.pk for i in item_list.items.current().filter(seq=1)] == [new.pk]
    again = actions.import_items(approver, item_list, rows())  # the same file again changes nothing
    assert again["unchanged"] == 4 and CheckItem.objects.filter(item_list=item_list).count() == 5


def test_import_page_asks_for_the_reason(client_for, world, started, approver):  # noqa: F811
    item_list = world.plan.item_list
    book = load_workbook(io.BytesIO(export_items(item_list)))
    next(r for r in book.active.iter_rows(min_row=2) if r[0].value == 1)[2].value = "页面导入的名称"
    out = io.BytesIO()
    book.save(out)
    client = client_for(approver)
    url = reverse("planning:itemlist-import", args=[item_list.pk])
    refused = client.post(url, {"file": SimpleUploadedFile("x.xlsx", out.getvalue())}).content.decode()
    assert "抽查事项" in refused and "请填写修改原因" in refused and "修改原因" in refused
    response = client.post(url, {"file": SimpleUploadedFile("x.xlsx", out.getvalue()), "change_reason": "年度修订"},
                           follow=True)
    assert "生成新版本 1 项" in response.content.decode()
    assert CheckItem.objects.get(supersedes=world.general_h).change_reason == "年度修订"


def test_a_used_list_keeps_its_name_and_number(client_for, world, started, approver):  # noqa: F811
    item_list = ItemList.objects.get(pk=world.plan.item_list_id)
    with pytest.raises(actions.ActionRefused, match="不能再修改清单名称.*新建清单"):
        actions.update_item_list(approver, item_list, {"name": "改名后的清单"})
    assert actions.update_item_list(approver, item_list, {"notes": "2026 年起执行"})
    item_list.refresh_from_db()
    assert (item_list.name, item_list.notes) == ("事项清单", "2026 年起执行")
    client = client_for(approver)
    client.post(reverse("planning:itemlist-edit", args=[item_list.pk]), {
        "region": JINCHENG, "year": item_list.year, "name": "改名后的清单", "notes": "备注"})
    item_list.refresh_from_db()
    assert (item_list.name, item_list.notes) == ("事项清单", "备注")  # the name field is disabled

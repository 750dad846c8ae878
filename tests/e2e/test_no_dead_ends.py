"""Browser tests of two “no dead ends” helpers (issue 14 §4), with the Content-Security-Policy on: the 回避登记
search boxes (typing part of a name lists the rows of the user's area; picking one fills the code) and the task
form's “添加一行” (appends a team row in the page, saved with the task)."""

from __future__ import annotations

import pytest

from spotcheck.accounts.models import Role
from spotcheck.directory.io import SYSTEM_ACTOR
from spotcheck.directory.models import Conflict
from spotcheck.planning.examples import load_examples
from spotcheck.planning.models import Plan, Task
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions come from a migration


def test_conflict_picks_people_and_institutions_by_name(page, live_server, login, shot):
    f.user("e2e-yangcheng", Role.COUNTY_STAFF, f.YANGCHENG)
    insp = f.inspector(name="欧阳建国")
    f.inspector(f.HUAIREN, name="欧阳建华")  # another county: never suggested
    inst = f.institution(name="阳城县妇幼保健院")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login("e2e-yangcheng", f.PASSWORD)
    page.goto(f"{live_server.url}/directory/conflicts/new/")

    box = page.get_by_role("combobox", name="检查人员")
    box.press_sequentially("欧阳")
    options = page.get_by_role("listbox").get_by_role("option")
    options.first.wait_for()
    assert options.all_inner_texts() == [f"欧阳建国{insp.number} · 阳城县医疗保障局 · 在岗"]
    options.first.click()
    assert box.input_value() == insp.number
    assert "已选择：欧阳建国" in page.locator(".lookup-chosen").first.inner_text()

    place = page.get_by_role("combobox", name="机构")
    place.press_sequentially("妇幼")
    page.get_by_role("listbox").get_by_role("option").first.wait_for()
    place.press("ArrowDown")
    place.press("Enter")
    assert place.input_value() == inst.fixmedins_code
    shot("picked")

    page.get_by_label("回避原因").select_option(label="亲属任职")
    page.get_by_label("有效期起").fill("2024-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    conflict = Conflict.objects.get()
    assert (conflict.inspector_id, conflict.institution_id) == (insp.pk, inst.pk)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_task_form_adds_team_rows_in_the_page(page, live_server, login, shot):
    departments = f.make_departments()
    load_examples(SYSTEM_ACTOR, 2023)
    plan = Plan.objects.get(region_id=f.YANGCHENG)
    f.user("e2e-yangcheng", Role.COUNTY_STAFF, f.YANGCHENG)
    login("e2e-yangcheng", f.PASSWORD)
    page.goto(f"{live_server.url}/planning/plans/{plan.pk}/tasks/new/")
    rows = page.locator("#slots-rows tr")
    assert rows.count() == 2
    page.get_by_role("button", name="添加一行").click()
    assert rows.count() == 3 and page.locator("#id_slots-TOTAL_FORMS").input_value() == "3"
    assert page.locator("#id_slots-2-department").evaluate("el => el === document.activeElement")
    shot("three-rows")

    names = ["阳城县医疗保障局", "阳城县市场监督管理局", "阳城县卫生健康和体育局"]
    for n, name in enumerate(names):
        page.locator(f"#id_slots-{n}-department").select_option(label=name)
    item = plan.item_list.items.get(seq=2)  # a 零售药店 item: the task is directed to 零售药店
    page.get_by_label("任务名称").fill("三部门联合检查")
    page.get_by_label("检查开始日期").fill("2023-11-01")
    page.get_by_label("检查结束日期").fill("2023-12-20")
    page.get_by_label("抽查比例（%）").fill("5")
    page.get_by_label("责任部门").select_option(label=names[0])
    page.locator(f"input[name=items][value='{item.pk}']").check()
    page.locator("input[name=directed][value='1']").check()
    page.locator("input[name=f_kind][value='P']").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    task = Task.objects.get(name="三部门联合检查")
    assert [s.department.name for s in task.slots.all()] == names
    assert departments[names[2]] == task.slots.all()[2].department

"""The task form's 检查组构成 takes as many team rows as needed (issue 14 §4): “添加一行” (a static script in the
browser; without JavaScript a submit button that brings the page back with one more row, keeping what was
typed and saving nothing), up to 20 rows; a task of three departments is made in one go."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from spotcheck.directory.models import DepartmentKind
from spotcheck.planning.forms import ADD_SLOT, MAX_SLOTS
from spotcheck.planning.models import ItemList, Plan, Task
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(examples):
    return Plan.objects.get(region_id=f.YANGCHENG)


def _post(dept_rows, total, **overrides):
    data = {
        "name": "三部门联合检查", "region": f.YANGCHENG, "period_start": "2023-11-01", "period_end": "2023-12-20",
        "scope_text": "全县定点零售药店", "ratio_percent": "5", "item_summary": "", "directed": "1", "f_kind": ["P"],
        "method": "实地检查", "responsible_department": "", "cap": "3", "notes": "",
        "slots-TOTAL_FORMS": str(total), "slots-INITIAL_FORMS": "0", "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": str(MAX_SLOTS),
    }
    for i, (dept, count) in enumerate(dept_rows):
        data[f"slots-{i}-department"] = str(dept.pk)
        data[f"slots-{i}-count"] = str(count)
    data.update(overrides)
    return data


def _rows(html: str) -> list[str]:
    """The indexes of the team rows on the page (not the empty row of the <template>)."""
    return re.findall(r'name="slots-(\d+)-department"', html)


def test_new_task_form_has_two_rows_an_add_button_and_the_empty_row(client_for, county_user, plan):
    html = client_for(county_user).get(reverse("planning:task-create", args=[plan.pk])).content.decode()
    assert _rows(html) == ["0", "1"]
    assert f'name="{ADD_SLOT}"' in html and 'id="slots-add"' in html and "task_form.js" in html
    assert '<template id="slots-empty">' in html and 'name="slots-__prefix__-department"' in html
    # Enter in a text box saves (the first submit button of the form is 保存, not 添加一行)
    form = html[html.index('<form method="post" novalidate>'):]
    first_button = re.search(r"<button[^>]*>([^<]*)</button>", form)
    assert first_button and first_button.group(1) == "保存"


def test_add_row_without_javascript_keeps_the_input_and_saves_nothing(client_for, county_user, departments, plan):
    ybj, sjj = departments["阳城县医疗保障局"], departments["阳城县市场监督管理局"]
    client = client_for(county_user)
    url = reverse("planning:task-create", args=[plan.pk])
    response = client.post(url, _post([(ybj, 2), (sjj, 1)], 2, **{ADD_SLOT: "1"}))
    assert response.status_code == 200 and not Task.objects.filter(name="三部门联合检查").exists()
    html = response.content.decode()
    assert _rows(html) == ["0", "1", "2"]
    assert 'name="slots-TOTAL_FORMS" value="3"' in html
    assert 'value="三部门联合检查"' in html  # what was typed stays
    assert f'<option value="{sjj.pk}" selected>' in html
    assert "errorlist" not in html  # only a row was asked for: no validation errors yet


def test_three_departments_in_one_go(client_for, county_user, departments, plan):
    ybj, sjj = departments["阳城县医疗保障局"], departments["阳城县市场监督管理局"]
    wjw = next(d for name, d in departments.items() if d.region_id == f.YANGCHENG and d not in (ybj, sjj))
    client = client_for(county_user)
    url = reverse("planning:task-create", args=[plan.pk])
    # the third row as the script (or the no-JavaScript round trip) adds it: TOTAL_FORMS 3
    item = ItemList.objects.get(region_id=f.YANGCHENG).items.get(seq=2)
    response = client.post(url, _post([(ybj, 1), (sjj, 1), (wjw, 1)], 3, items=[str(item.pk)],
                                      responsible_department=str(ybj.pk)))
    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.{0,300})", response.content.decode())
    task = Task.objects.get(name="三部门联合检查")
    assert [s.department for s in task.slots.all()] == [ybj, sjj, wjw]
    # editing it shows the three rows and one empty row
    html = client.get(reverse("planning:task-edit", args=[task.pk])).content.decode()
    assert _rows(html) == ["0", "1", "2", "3"]


def test_rows_stop_at_the_maximum(client_for, county_user, departments, plan):
    client = client_for(county_user)
    url = reverse("planning:task-create", args=[plan.pk])
    response = client.post(url, _post([], MAX_SLOTS, **{ADD_SLOT: "1"}), follow=True)
    html = response.content.decode()
    assert len(_rows(html)) == MAX_SLOTS and f"检查组最多 {MAX_SLOTS} 个部门" in html
    assert re.search(r'id="slots-add"[^>]* disabled', html)
    response = client.post(url, _post([], "abc", **{ADD_SLOT: "1"}))  # a tampered count is not a server error
    assert response.status_code == 200
    too_many = client.post(url, _post([], MAX_SLOTS + 1))
    assert too_many.status_code == 200 and not Task.objects.filter(name="三部门联合检查").exists()


def test_frozen_task_has_no_add_button(client_for, county_user, examples):
    from spotcheck.planning.models import TaskStatus

    task = Task.objects.get(region_id=f.YANGCHENG)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWN)
    html = client_for(county_user).get(reverse("planning:task-edit", args=[task.pk])).content.decode()
    assert 'id="slots-add"' not in html


def test_department_kinds_cover_the_example(departments):
    """The example has a third 阳城 department (the set-up of the tests above)."""
    kinds = {d.kind for d in departments.values() if d.region_id == f.YANGCHENG}
    assert DepartmentKind.HEALTHCARE_SECURITY in kinds and len(kinds) >= 3

"""Directed scope from an uploaded list of 定点医药机构编码: all or nothing, area-checked."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from spotcheck.core.codes import make_fixmedins_code
from spotcheck.planning import actions
from spotcheck.planning.io import parse_scope_codes
from spotcheck.planning.models import Task, TaskStatus
from spotcheck.planning.scope import institutions_in_scope
from spotcheck.planning.tabular import ImportRejected
from tests import factories as f


def csv_upload(*codes, header="定点医药机构编码,机构名称"):
    text = "\n".join([header, *(f"{c},某机构" for c in codes)]) + "\n"
    return SimpleUploadedFile("名单.csv", text.encode("utf-8-sig"))


@pytest.fixture
def task(examples):
    return Task.objects.get(region_id=f.YANGCHENG)


def test_bad_codes_are_reported_and_nothing_is_written(county_user, task):
    good = f.institution(f.YANGCHENG)
    other = f.institution(f.HUAIREN)
    unknown = make_fixmedins_code("H", f.YANGCHENG, 99999)
    upload = csv_upload(good.fixmedins_code, unknown, other.fixmedins_code, "H1405", good.fixmedins_code)
    with pytest.raises(ImportRejected) as exc:
        actions.set_scope_list(county_user, task, parse_scope_codes(upload))
    assert [(e.row, e.column) for e in exc.value.errors] == [(5, "定点医药机构编码"), (6, "定点医药机构编码")]
    assert "与第 2 行重复" in exc.value.errors[1].message
    with pytest.raises(ImportRejected) as exc:
        actions.set_scope_list(county_user, task, parse_scope_codes(csv_upload(good.fixmedins_code, unknown,
                                                                               other.fixmedins_code)))
    messages = {e.row: e.message for e in exc.value.errors}
    assert messages == {3: f"名录库中没有编码为 {unknown} 的机构", 4: f"{other.fixmedins_code} 不在任务区域 140522 之内"}
    assert other.name not in messages[4]  # another area's institution is not disclosed
    task.refresh_from_db()
    assert not task.directed and task.scope_list.count() == 0


def test_good_list_makes_the_task_directed(county_user, task):
    chosen = [f.institution(f.YANGCHENG, "P"), f.institution(f.YANGCHENG)]
    f.institution(f.YANGCHENG)
    assert actions.set_scope_list(county_user, task, parse_scope_codes(
        csv_upload(*(i.fixmedins_code.lower() for i in chosen)))) == 2
    task.refresh_from_db()
    assert task.directed and task.scope_filters == {}
    assert set(institutions_in_scope(task)) == set(chosen)
    # directed filters later replace the list
    actions.update_task(county_user, task, {"scope_filters": {"kind": ["P"]}})
    assert task.scope_list.count() == 0 and list(institutions_in_scope(task)) == [chosen[0]]


def test_no_list_after_a_draw(county_user, task):
    inst = f.institution(f.YANGCHENG)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DRAWING)
    task.refresh_from_db()
    with pytest.raises(ValidationError, match="抽取"):
        actions.set_scope_list(county_user, task, [(2, inst.fixmedins_code)])


def test_upload_page(client_for, county_user, task):
    from django.urls import reverse

    unknown = make_fixmedins_code("P", f.YANGCHENG, 88888)
    url = reverse("planning:task-scope-upload", args=[task.pk])
    response = client_for(county_user).post(url, {"file": csv_upload(unknown)})
    html = response.content.decode()
    assert response.status_code == 200 and "未写入任何数据" in html and unknown in html
    inst = f.institution(f.YANGCHENG)
    response = client_for(county_user).post(url, {"file": csv_upload(inst.fixmedins_code)})
    assert response.status_code == 302 and list(Task.objects.get(pk=task.pk).scope_list.all()) == [inst]

"""The planning imports (item list, a task's directed list) go through base.uploads before the file is read: a
disguised, broken or oversized file is refused with a Chinese message naming it, and nothing is written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from spotcheck.planning.io import export_items
from spotcheck.planning.models import CheckItem, ItemList, Task
from tests import factories as f


def post(client, url, name, data):
    body, content_type = f.multipart({"change_reason": ""}, [("file", name, data)])
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize(("case", "ext", "says"), f.REFUSAL_CASES)
def test_the_item_list_import_refuses(client_for, county_user, examples, settings, case, ext, says):
    target = ItemList.objects.get(region_id=f.YANGCHENG)
    name, data = f.refusal_upload(case, ext, settings, "SPOTCHECK_IMPORT_MAX_BYTES", good=("清单.xlsx", export_items(target)))
    before, files = list(CheckItem.objects.values_list("pk", "name", "version")), f.media_files()
    response = post(client_for(county_user), reverse("planning:itemlist-import", args=[target.pk]), name, data)
    html = response.content.decode()
    assert response.status_code == 200 and says in html and "未写入任何数据" in html
    assert name.rsplit("/", 1)[-1] in html and "../" not in html.split("<form")[0][-2000:]
    assert list(CheckItem.objects.values_list("pk", "name", "version")) == before and f.media_files() == files


@pytest.mark.parametrize(("case", "ext", "says"), f.REFUSAL_CASES)
def test_the_directed_list_upload_refuses(client_for, county_user, examples, settings, case, ext, says):
    task = Task.objects.get(region_id=f.YANGCHENG)
    codes = "定点医药机构编码\n" + "\n".join(f.institution(f.YANGCHENG).fixmedins_code for _ in range(8))
    name, data = f.refusal_upload(case, ext, settings, "SPOTCHECK_IMPORT_MAX_BYTES",
                                  good=("名单.csv", codes.encode()))
    files = f.media_files()
    response = post(client_for(county_user), reverse("planning:task-scope-upload", args=[task.pk]), name, data)
    html = response.content.decode()
    assert response.status_code == 200 and says in html and name.rsplit("/", 1)[-1] in html
    assert task.scope_list.count() == 0 and f.media_files() == files


def test_a_good_file_still_imports(client_for, county_user, examples):
    target = ItemList.objects.get(region_id=f.YANGCHENG)
    good = SimpleUploadedFile("x.xlsx", export_items(target))
    response = client_for(county_user).post(reverse("planning:itemlist-import", args=[target.pk]), {"file": good})
    assert response.status_code == 302

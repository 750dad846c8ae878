"""The 回避登记 form picks inspector and institution by typing part of a name or code (issue 14 §4): a JSON
search endpoint limited to the user's area (``restrict``) and permission, a static script that shows the
suggestions, and — without JavaScript — codes or a whole unique name typed into the same boxes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.directory import lookups
from spotcheck.directory.models import Conflict
from tests import factories as f

pytestmark = pytest.mark.django_db


def search(client, kind, q):
    response = client.get(reverse("directory:lookup", args=[kind]), {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.json()


def test_search_by_part_of_name_or_code_in_scope_only(client_for, county_user):
    mine = f.inspector(name="王建国")
    f.inspector(f.HUAIREN, name="王建华")  # 怀仁: another county
    hospital = f.institution(name="阳城县人民医院")
    f.institution(f.HUAIREN, name="怀仁市人民医院")
    client = client_for(county_user)
    assert search(client, "inspectors", "建") == {
        "results": [{"code": mine.number, "name": "王建国", "detail": "阳城县医疗保障局 · 在岗"}], "more": False}
    assert [r["code"] for r in search(client, "inspectors", mine.number[-3:])["results"]] == [mine.number]
    found = search(client, "institutions", "人民医院")["results"]
    assert [r["code"] for r in found] == [hospital.fixmedins_code] and found[0]["detail"] == "阳城县 · 医疗机构"
    # a code typed in lower case or with a Chinese input method's full-width letters and digits
    wide = hospital.fixmedins_code.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789h"})
    assert [r["code"] for r in search(client, "institutions", wide)["results"]] == [hospital.fixmedins_code]
    assert search(client, "institutions", "怀仁")["results"] == []
    assert search(client, "institutions", "  ")["results"] == []


def test_exact_code_first_and_the_list_is_limited(client_for, county_user, monkeypatch):
    monkeypatch.setattr(lookups, "LIMIT", 3)
    rows = [f.institution(name=f"甲乙医院{n}") for n in range(5)]
    client = client_for(county_user)
    answer = search(client, "institutions", "甲乙")
    assert len(answer["results"]) == 3 and answer["more"] is True
    exact = search(client, "institutions", rows[4].fixmedins_code)
    assert exact["results"][0]["code"] == rows[4].fixmedins_code


def test_the_endpoint_needs_a_login_and_the_change_permission(client, client_for, inspector_user, county_user):
    url = reverse("directory:lookup", args=["inspectors"])
    assert client.get(url, {"q": "检查"}).status_code == 302  # to the login page
    assert client_for(inspector_user).get(url, {"q": "检查"}).status_code == 403
    assert client_for(county_user).get(reverse("directory:lookup", args=["users"]), {"q": "a"}).status_code == 404
    assert client_for(county_user).post(url, {"q": "检查"}).status_code == 405


def test_the_form_has_search_boxes_with_a_script_and_no_inline_code(client_for, county_user):
    html = client_for(county_user).get(reverse("directory:conflict-create")).content.decode()
    assert f'data-lookup="{reverse("directory:lookup", args=["inspectors"])}"' in html
    assert f'data-lookup="{reverse("directory:lookup", args=["institutions"])}"' in html
    assert "directory/lookup.js" in html and "directory/lookup.css" in html
    assert 'autocomplete="off"' in html and "<script>" not in html and "style=" not in html


def test_conflict_by_whole_name_without_javascript(client_for, county_user):
    insp = f.inspector(name="李明")
    inst = f.institution(name="阳城县中医院")
    client = client_for(county_user)
    data = {"inspector_code": " 李明 ", "institution_code": "阳城县中医院", "reason": "relative",
            "valid_from": "2024-01-01"}
    response = client.post(reverse("directory:conflict-create"), data)
    assert response.status_code == 302
    conflict = Conflict.objects.get()
    assert (conflict.inspector, conflict.institution) == (insp, inst)


def test_an_ambiguous_or_foreign_name_is_a_field_error(client_for, county_user):
    f.inspector(name="张伟")
    f.inspector(name="张伟")
    f.institution(f.HUAIREN, name="怀仁市中医院")
    data = {"inspector_code": "张伟", "institution_code": "怀仁市中医院", "reason": "relative", "valid_from": "2024-01-01"}
    errors = client_for(county_user).post(reverse("directory:conflict-create"), data).context["form"].errors
    assert errors["inspector_code"] == ["名称为“张伟”的人员不止一个，请填写人员编号"]
    assert errors["institution_code"] == ["名称为“怀仁市中医院”的机构不存在或不在您的管辖范围内"]
    assert not Conflict.objects.exists()

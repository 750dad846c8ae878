"""Directory pages: access, area scope, search, filters, sorting, paging, query counts, detail pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.directory.models import Inspector, InspectorAbsence, InspectorStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

SHUOCHENG = "140602"  # 朔城区, a second county of 朔州 (city_user's area)


@pytest.fixture
def world(db):
    """One institution, inspector and conflict in 阳城 and the same in 怀仁."""
    rows = {}
    for key, code in (("yc", f.YANGCHENG), ("hr", f.HUAIREN)):
        inst = f.institution(code, name=f"{key}机构")
        insp = f.inspector(code, name=f"{key}人员")
        rows[key] = {"inst": inst, "insp": insp, "conflict": f.conflict(insp, inst)}
    return rows


def urls_for(world):
    """(name, url) of every directory page route, detail/edit routes pointing at 阳城's rows."""
    yc = world["yc"]
    absence = InspectorAbsence.objects.create(
        inspector=yc["insp"], start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 5), reason="培训"
    )
    return [
        ("institution-list", reverse("directory:institution-list")),
        ("institution-create", reverse("directory:institution-create")),
        ("institution-detail", reverse("directory:institution-detail", args=[yc["inst"].pk])),
        ("institution-edit", reverse("directory:institution-edit", args=[yc["inst"].pk])),
        ("inspector-list", reverse("directory:inspector-list")),
        ("inspector-create", reverse("directory:inspector-create")),
        ("inspector-detail", reverse("directory:inspector-detail", args=[yc["insp"].pk])),
        ("inspector-edit", reverse("directory:inspector-edit", args=[yc["insp"].pk])),
        ("absence-create", reverse("directory:absence-create", args=[yc["insp"].pk])),
        ("absence-delete", reverse("directory:absence-delete", args=[yc["insp"].pk, absence.pk])),
        ("conflict-list", reverse("directory:conflict-list")),
        ("conflict-create", reverse("directory:conflict-create")),
        ("conflict-detail", reverse("directory:conflict-detail", args=[yc["conflict"].pk])),
        ("conflict-edit", reverse("directory:conflict-edit", args=[yc["conflict"].pk])),
        ("region-list", reverse("directory:region-list")),
        ("department-list", reverse("directory:department-list")),
    ]


POST_ONLY = {"absence-create", "absence-delete"}
CHANGE_ONLY = {"institution-create", "institution-edit", "inspector-create", "inspector-edit",
               "conflict-create", "conflict-edit", "absence-create", "absence-delete"}


# ------------------------------------------------------------------------------------------------
# access


def test_anonymous_is_sent_to_login_on_every_route(client, world):
    for name, url in urls_for(world):
        response = client.post(url) if name in POST_ONLY else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("fixture", ["inspector_user", "auditor_user"])
def test_viewers_cannot_open_create_or_edit(request, client_for, world, fixture):
    client = client_for(request.getfixturevalue(fixture))
    for name, url in urls_for(world):
        if name in CHANGE_ONLY:
            assert client.post(url, {"name": "x", "reason": "x"}).status_code == 403, name
            if name not in POST_ONLY:
                assert client.get(url).status_code == 403, name
        else:
            assert client.get(url).status_code == 200, name
    world["yc"]["inst"].refresh_from_db()
    assert world["yc"]["inst"].name == "yc机构"
    assert InspectorAbsence.objects.count() == 1


def test_county_user_opens_every_route_of_own_area(client_for, county_user, world):
    client = client_for(county_user)
    for name, url in urls_for(world):
        if name not in POST_ONLY:
            assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("kind", ["institution", "inspector", "conflict"])
def test_other_area_row_is_404_on_detail_and_edit(client_for, county_user, world, kind):
    key = {"institution": "inst", "inspector": "insp", "conflict": "conflict"}[kind]
    other = world["hr"][key]
    client = client_for(county_user)
    assert client.get(reverse(f"directory:{kind}-detail", args=[other.pk])).status_code == 404
    edit = reverse(f"directory:{kind}-edit", args=[other.pk])
    assert client.get(edit).status_code == 404
    before = {k: v for k, v in vars(other).items() if not k.startswith("_")}
    assert client.post(edit, {"name": "改名", "note": "改", "change_reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert {k: v for k, v in vars(other).items() if not k.startswith("_")} == before


def test_other_area_absence_routes_are_404(client_for, county_user, world):
    other = world["hr"]["insp"]
    absence = InspectorAbsence.objects.create(inspector=other, start=dt.date(2025, 1, 1),
                                              end=dt.date(2025, 1, 2), reason="休假")
    client = client_for(county_user)
    data = {"start": "2025-02-01", "end": "2025-02-02", "reason": "培训"}
    assert client.post(reverse("directory:absence-create", args=[other.pk]), data).status_code == 404
    url = reverse("directory:absence-delete", args=[other.pk, absence.pk])
    assert client.post(url, {"reason": "错登"}).status_code == 404
    assert list(InspectorAbsence.objects.values_list("inspector_id", flat=True)) == [other.pk]


# ------------------------------------------------------------------------------------------------
# lists: scope


def _names(response):
    return [o.name for o in response.context["page"]]


def test_county_user_lists_only_own_area(client_for, county_user, world):
    client = client_for(county_user)
    assert _names(client.get(reverse("directory:institution-list"))) == ["yc机构"]
    assert _names(client.get(reverse("directory:inspector-list"))) == ["yc人员"]
    page = client.get(reverse("directory:conflict-list")).context["page"]
    assert [c.institution.name for c in page] == ["yc机构"]
    body = client.get(reverse("directory:institution-list")).content.decode()
    assert "yc机构" in body and "hr机构" not in body


def test_county_user_cannot_widen_scope_with_region_filter(client_for, county_user, world):
    response = client_for(county_user).get(reverse("directory:institution-list"), {"region": f.HUAIREN})
    assert _names(response) == []


def test_inspector_role_sees_own_area_and_auditor_sees_all(client_for, inspector_user, auditor_user, world):
    url = reverse("directory:institution-list")
    assert _names(client_for(inspector_user).get(url)) == ["yc机构"]
    assert sorted(_names(client_for(auditor_user).get(url))) == ["hr机构", "yc机构"]
    assert sorted(_names(client_for(auditor_user).get(reverse("directory:inspector-list")))) == ["hr人员", "yc人员"]


def test_area_select_offers_only_regions_in_scope(client_for, county_user, city_user, world):
    form = client_for(county_user).get(reverse("directory:institution-list")).context["filter"].form
    assert [v for v, _ in form.fields["region"].widget.choices] == ["", f.YANGCHENG]
    form = client_for(city_user).get(reverse("directory:institution-list")).context["filter"].form
    codes = [v for v, _ in form.fields["region"].widget.choices if v]
    assert codes and all(c.startswith("1406") for c in codes) and f.HUAIREN in codes


# ------------------------------------------------------------------------------------------------
# lists: search, filters, sorting, paging


def _inst_names(client, **params):
    return sorted(_names(client.get(reverse("directory:institution-list"), params)))


def test_institution_search_by_name_code_and_uscc(client_for, county_user):
    a = f.institution(name="阳城县人民医院")
    b = f.institution(name="阳城县中医医院")
    client = client_for(county_user)
    assert _inst_names(client, q="人民") == ["阳城县人民医院"]
    assert _inst_names(client, q=b.fixmedins_code) == ["阳城县中医医院"]
    assert _inst_names(client, q=a.uscc.lower()) == ["阳城县人民医院"]
    assert _inst_names(client, q="不存在") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "P"}, ["药店"]),
        ({"category": "clinic"}, ["诊所"]),
        ({"level": "3"}, ["三级"]),
        ({"credit_grade": "差"}, ["三级"]),
        ({"credit_grade": "none"}, ["药店", "诊所"]),
        ({"contract_status": "suspended"}, ["诊所"]),
        ({"risk_flag": "true"}, ["药店"]),
        ({"risk_flag": "false"}, ["三级", "诊所"]),
        ({"kind": "H", "credit_grade": "none"}, ["诊所"]),
    ],
)
def test_institution_filters_narrow_the_list(client_for, county_user, params, expected):
    f.institution(name="三级", level="3", credit_grade="差")
    f.institution(name="诊所", category="clinic", contract_status="suspended")
    f.institution(kind="P", name="药店", risk_flag=True)
    assert _inst_names(client_for(county_user), **params) == sorted(expected)


def test_region_filter_narrows_to_a_county_or_a_whole_city(client_for, city_user):
    f.institution(f.HUAIREN, name="怀仁")
    f.institution(SHUOCHENG, name="朔城")
    client = client_for(city_user)
    assert _inst_names(client, region=f.HUAIREN) == ["怀仁"]
    assert _inst_names(client, region=f.SHUOZHOU) == ["怀仁", "朔城"]


def _insp_names(client, **params):
    return sorted(_names(client.get(reverse("directory:inspector-list"), params)))


def test_inspector_search_by_name_number_and_certificate(client_for, county_user):
    a = f.inspector(name="张三")
    b = f.inspector(name="李四")
    client = client_for(county_user)
    assert _insp_names(client, q="张") == ["张三"]
    assert _insp_names(client, q=b.number) == ["李四"]
    assert _insp_names(client, q=a.cert_number) == ["张三"]


def test_inspector_filters_narrow_the_list(client_for, city_user):
    today = timezone.localdate()
    market = f.department(f.HUAIREN, "sjj")
    f.inspector(f.HUAIREN, name="有效")
    f.inspector(f.HUAIREN, name="过期", cert_valid_to=today - dt.timedelta(days=1), role="audit")
    f.inspector(f.HUAIREN, name="无证", cert_number="", status=InspectorStatus.ON_LEAVE, department=market)
    f.inspector(SHUOCHENG, name="朔城")
    client = client_for(city_user)
    assert _insp_names(client, cert="valid") == ["有效", "朔城"]
    assert _insp_names(client, cert="expired") == ["过期"]
    assert _insp_names(client, cert="none") == ["无证"]
    assert _insp_names(client, status="on_leave") == ["无证"]
    assert _insp_names(client, role="audit") == ["过期"]
    assert _insp_names(client, department=market.pk) == ["无证"]
    assert _insp_names(client, department_kind="sjj") == ["无证"]
    assert _insp_names(client, department_kind="ybj", region=f.HUAIREN) == ["有效", "过期"]
    assert _insp_names(client, region=SHUOCHENG) == ["朔城"]


def test_inspector_list_badges(client_for, county_user):
    f.inspector(name="过期", cert_valid_to=timezone.localdate() - dt.timedelta(days=1))
    f.inspector(name="无证", cert_number="")
    f.inspector(name="有效")
    body = client_for(county_user).get(reverse("directory:inspector-list"), {"ordering": "name"}).content.decode()
    assert re.search(r"已过期</span>.*?有效</span>|有效</span>.*?已过期</span>", body, re.S)
    assert '<span class="badge ">无</span>' in body


def test_conflict_list_search_filters_and_region(client_for, city_user):
    insp = f.inspector(f.HUAIREN, name="王五")
    old = f.conflict(insp, f.institution(f.HUAIREN, name="旧机构"), valid_to=dt.date(2021, 1, 1))
    f.conflict(insp, f.institution(SHUOCHENG, name="朔城机构"), reason="former_employee")
    client = client_for(city_user)

    def names(**params):
        page = client.get(reverse("directory:conflict-list"), params).context["page"]
        return sorted(c.institution.name for c in page)

    assert names(q="王五") == ["旧机构", "朔城机构"]
    assert names(q=old.institution.fixmedins_code) == ["旧机构"]
    assert names(reason="former_employee") == ["朔城机构"]
    assert names(active="true") == ["朔城机构"]
    assert names(active="false") == ["旧机构"]
    assert names(region=SHUOCHENG) == ["朔城机构"]


def test_sorting_by_column_headers(client_for, county_user):
    for name in ("乙", "甲", "丙"):
        f.institution(name=name, credit_grade="良好" if name == "甲" else "")
    client = client_for(county_user)
    url = reverse("directory:institution-list")
    ascending = _names(client.get(url, {"ordering": "name"}))
    assert ascending == sorted(ascending) and len(ascending) == 3
    assert _names(client.get(url, {"ordering": "-name"})) == list(reversed(ascending))
    assert _names(client.get(url, {"ordering": "-grade"}))[0] == "甲"
    response = client.get(url, {"ordering": "name", "kind": "H"})
    header = next(h for h in response.context["headers"] if h["label"] == "机构名称")
    assert header["sort"] == "ascending" and "ordering=-name" in header["url"] and "kind=H" in header["url"]
    assert 'aria-sort="ascending"' in response.content.decode()
    numbers = [o.number for o in client.get(reverse("directory:inspector-list"), {"ordering": "-number"})
               .context["page"]]
    assert numbers == sorted(numbers, reverse=True)


def test_pagination_and_total_count(client_for, county_user):
    for _ in range(55):
        f.institution()
    client = client_for(county_user)
    url = reverse("directory:institution-list")
    first = client.get(url, {"ordering": "name"})
    assert len(first.context["page"]) == 50
    assert "共 55 条" in first.content.decode()
    second = client.get(url, {"ordering": "name", "page": 2})
    assert len(second.context["page"]) == 5
    seen = {o.pk for o in first.context["page"]} | {o.pk for o in second.context["page"]}
    assert len(seen) == 55
    assert "ordering=name&amp;page=2" in first.content.decode()


def test_toolbar_links_follow_permissions_and_carry_filters(client_for, county_user, inspector_user, auditor_user):
    url = reverse("directory:institution-list")
    body = client_for(county_user).get(url, {"kind": "H", "page": "1"}).content.decode()
    export = reverse("directory:export", args=["institutions"])
    assert f'href="{export}?kind=H&amp;format=xlsx"' in body
    assert reverse("directory:import", args=["institutions"]) in body
    assert reverse("directory:institution-create") in body
    body = client_for(auditor_user).get(url).content.decode()
    assert export in body and reverse("directory:institution-create") not in body
    body = client_for(inspector_user).get(reverse("directory:inspector-list")).content.decode()
    assert reverse("directory:export", args=["inspectors"]) not in body
    assert reverse("directory:import", args=["inspectors"]) not in body


# ------------------------------------------------------------------------------------------------
# query counts do not grow with rows


def _make_rows(n):
    for i in range(n):
        insp = f.inspector()
        f.conflict(insp, f.institution(), note=str(i))


#: Queries of one list page: session, user, filter options (regions; departments), COUNT, the page.
LIST_QUERIES = {"institution-list": 5, "inspector-list": 6, "conflict-list": 5}


@pytest.mark.parametrize("rows", [5, 60])
@pytest.mark.parametrize("name", sorted(LIST_QUERIES))
def test_list_query_count_is_constant(client_for, county_user, django_assert_num_queries, rows, name):
    _make_rows(rows)
    client = client_for(county_user)
    with django_assert_num_queries(LIST_QUERIES[name]):
        response = client.get(reverse(f"directory:{name}"), {"ordering": "name"} if "conflict" not in name else {})
    assert len(response.context["page"]) == min(rows, 50)


@pytest.mark.parametrize("rows", [5, 60])
def test_detail_and_tree_query_counts_are_constant(client_for, county_user, django_assert_max_num_queries, rows):
    _make_rows(rows)
    inst = f.institution()
    insp = f.inspector()
    for other in Inspector.objects.exclude(pk=insp.pk)[:rows]:
        f.conflict(other, inst)
        InspectorAbsence.objects.create(inspector=insp, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2),
                                        reason=other.name)
    client = client_for(county_user)
    with django_assert_max_num_queries(4):
        client.get(reverse("directory:institution-detail", args=[inst.pk]))
    with django_assert_max_num_queries(5):
        client.get(reverse("directory:inspector-detail", args=[insp.pk]))
    with django_assert_max_num_queries(3):
        client.get(reverse("directory:region-list"))
    with django_assert_max_num_queries(3):
        client.get(reverse("directory:department-list"))


# ------------------------------------------------------------------------------------------------
# detail pages


def test_institution_detail_shows_labels_conflicts_and_audit_link(client_for, county_user, auditor_user, world):
    inst = world["yc"]["inst"]
    url = reverse("directory:institution-detail", args=[inst.pk])
    body = client_for(county_user).get(url).content.decode()
    for label in ("定点医药机构编码", "统一社会信用代码", "信用等级", "协议状态", "重点监控"):
        assert f"<dt>{label}</dt>" in body
    assert "未评级" in body and "山西省晋城市阳城县（140522）" in body
    assert "yc人员" in body and "亲属任职" in body
    audit = f"/audit/?object_type=directory.institution&amp;object_id={inst.pk}"
    assert audit not in body
    assert audit in client_for(auditor_user).get(url).content.decode()


def test_inspector_detail_shows_department_badge_absences_and_conflicts(client_for, county_user, world):
    insp = world["yc"]["insp"]
    InspectorAbsence.objects.create(inspector=insp, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 9),
                                    reason="外出培训")
    body = client_for(county_user).get(reverse("directory:inspector-detail", args=[insp.pk])).content.decode()
    assert insp.department.name in body
    assert '<span class="badge ok">有效</span>' in body
    assert "外出培训" in body and "2025-03-09" in body
    assert "yc机构" in body
    assert reverse("directory:absence-create", args=[insp.pk]) in body


@pytest.mark.parametrize(("extra", "badge"), [
    ({"cert_valid_to": dt.date(2020, 6, 30)}, '<span class="badge bad">已过期</span>'),
    ({"cert_number": ""}, '<span class="badge ">无</span>'),
])
def test_inspector_detail_certificate_badge(client_for, county_user, extra, badge):
    insp = f.inspector(**extra)
    body = client_for(county_user).get(reverse("directory:inspector-detail", args=[insp.pk])).content.decode()
    assert badge in body


def test_id_number_and_phone_masked_without_change_permission(client_for, county_user, inspector_user):
    insp = f.inspector(phone="13912345678")
    url = reverse("directory:inspector-detail", args=[insp.pk])
    full = client_for(county_user).get(url).content.decode()
    assert insp.id_number in full and "13912345678" in full
    masked = client_for(inspector_user).get(url).content.decode()
    assert insp.id_number not in masked and "13912345678" not in masked
    assert f"{insp.id_number[:6]}********{insp.id_number[-4:]}" in masked
    assert "139****5678" in masked
    assert reverse("directory:absence-create", args=[insp.pk]) not in masked


def test_conflict_detail(client_for, county_user, world):
    c = world["yc"]["conflict"]
    body = client_for(county_user).get(reverse("directory:conflict-detail", args=[c.pk])).content.decode()
    assert "<dt>回避原因</dt><dd>亲属任职</dd>" in body
    assert "<dt>有效期止</dt><dd>长期有效</dd>" in body
    assert "当前有效" in body


# ------------------------------------------------------------------------------------------------
# regions and departments


def test_region_tree_counts_roll_up(client_for, city_user, county_user):
    f.institution(f.HUAIREN)
    f.institution(f.HUAIREN)
    f.institution(SHUOCHENG)
    f.inspector(f.HUAIREN)
    f.institution(f.YANGCHENG)
    response = client_for(city_user).get(reverse("directory:region-list"))
    regions = {r.code: r for r in response.context["regions"]}
    assert all(code.startswith("1406") for code in regions)
    assert (regions[f.HUAIREN].institutions, regions[f.HUAIREN].inspectors) == (2, 1)
    assert (regions[f.SHUOZHOU].institutions, regions[f.SHUOZHOU].inspectors) == (3, 1)
    assert regions[f.HUAIREN].indent == "\u3000"
    assert f"?region={f.HUAIREN}" in response.content.decode()
    response = client_for(county_user).get(reverse("directory:region-list"))
    assert [(r.code, r.institutions) for r in response.context["regions"]] == [(f.YANGCHENG, 1)]


def test_departments_grouped_by_region_in_scope(client_for, city_user):
    f.department(f.HUAIREN, "sjj")
    f.inspector(f.HUAIREN)
    f.department(SHUOCHENG)
    f.department(f.YANGCHENG)
    response = client_for(city_user).get(reverse("directory:department-list"))
    body = response.content.decode()
    assert "怀仁市医疗保障局" in body and "怀仁市市场监督管理局" in body and "朔城区医疗保障局" in body
    assert "阳城县" not in body
    assert body.index("朔城区（140602）") < body.index("怀仁市（140681）")
    counts = {d.name: d.inspectors for d in response.context["departments"]}
    assert counts == {"怀仁市医疗保障局": 1, "怀仁市市场监督管理局": 0, "朔城区医疗保障局": 0}

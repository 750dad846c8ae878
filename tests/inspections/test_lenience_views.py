"""Pages of the 包容审慎清单, 裁量情形 and violation catalogue (views_lenience)."""

from __future__ import annotations

import pytest
from django.urls import include, path, reverse

from spotcheck import urls as project
from spotcheck.audit.models import AuditEvent
from spotcheck.inspections import urls as inspection_urls
from spotcheck.inspections import urls_lenience
from spotcheck.inspections.models import LenienceCircumstance, LenienceEntry, ViolationType
from tests.factories import business_events

# The lead includes urls_lenience under /inspections/lenience/; until then this test urlconf does.
_included = any(str(p.pattern) == "lenience/" for p in inspection_urls.urlpatterns)
_inspections = inspection_urls.urlpatterns if _included else [
    path("lenience/", include(urls_lenience)), *inspection_urls.urlpatterns
]
urlpatterns = [
    *(p for p in project.urlpatterns if str(p.pattern) != "inspections/"),
    path("inspections/", include((_inspections, "inspections"))),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def url(name: str, *args) -> str:
    return reverse(f"inspections:{name}", args=args)


def entry(kind: str = "不予处罚", act_code: str = "38-duplicate-charge") -> LenienceEntry:
    return LenienceEntry.objects.get(kind=kind, act_code=act_code)


def entry_post(row: LenienceEntry, **changes) -> dict:
    data = {
        "kind": row.kind, "number": row.number, "act_code": row.act_code, "act_text": row.act_text,
        "setting_basis": row.setting_basis, "basis": row.basis, "active": "on" if row.active else "",
        "cond_amount": "on", "cond_articles": ["第六条"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None)}


def test_index_lists_four_lists_circumstances_and_catalogue(client_for, county_user):
    page = client_for(county_user).get(url("lenience-index"))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("减轻处罚事项清单", "不予处罚事项清单", "从轻处罚事项清单", "首违不罚事项清单"):
        assert label in text
    assert "单项违规费用小于 1,000.00 元或者符合《山西省医疗保障行政处罚裁量基准规则》第六条规定的情形之一" in text
    assert "待录入" in text and "分解收费、超标准收费" in text and "定点零售药店" in text
    assert url("lenience-entry-edit", entry().pk) not in text  # no edit links without admin


def test_index_requires_login_and_view(client, client_for, db):
    assert client.get(url("lenience-index")).status_code == 302
    from tests import factories as f

    institution_user = f.user("t-inst", "institution", f.YANGCHENG)
    assert client_for(institution_user).get(url("lenience-index")).status_code == 403


def test_only_admin_edits(client_for, county_user, city_user):
    row = entry()
    for user in (county_user, city_user):
        c = client_for(user)
        assert c.get(url("lenience-entry-edit", row.pk)).status_code == 403
        assert c.post(url("lenience-entry-edit", row.pk), entry_post(row, basis="x")).status_code == 403
    assert entry().basis == row.basis


def test_admin_edits_entry_conditions_with_audit(client_for, admin_user):
    c = client_for(admin_user)
    row = entry()
    page = c.get(url("lenience-entry-edit", row.pk))
    assert page.status_code == 200
    assert 'name="cond_amount"' in page.content.decode() and "checked" in page.content.decode()
    response = c.post(url("lenience-entry-edit", row.pk), entry_post(row, cond_amount="", basis="新的依据"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.conditions == [{"kind": "circumstance", "article": "第六条"}]
    assert row.basis == "新的依据"
    event = AuditEvent.objects.filter(action="lenience.entry.change").latest("seq")
    assert event.actor_name == admin_user.username
    assert event.before["conditions"][0]["kind"] == "amount_below_threshold"
    assert event.after["conditions"] == [{"kind": "circumstance", "article": "第六条"}]
    assert event.after["basis"] == "新的依据"
    # unchanged save: no new event
    c.post(url("lenience-entry-edit", row.pk), entry_post(row, cond_amount=""))
    assert AuditEvent.objects.filter(action="lenience.entry.change").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"act_code": "duplicate charge"}, "act_code", "违法行为代码“duplicate charge”格式应为"),
        ({"act_code": "41-lend-card"}, "act_code", "违法行为代码：《条例》第41条没有配置处罚幅度"),
        ({"act_code": "38-substitution"}, "act_code", "已有 38-substitution 的条目"),
        ({"number": "3"}, "number", "序号：《不予处罚事项清单》已有第 3 项"),
        ({"cond_amount": "", "cond_articles": []}, "cond_amount", "适用情形：至少选择一项"),
        ({"basis": "   "}, "basis", "不能为空"),
    ],
)
def test_entry_form_errors_are_chinese_and_name_the_field(client_for, admin_user, changes, field, message):
    row = entry()
    response = client_for(admin_user).post(url("lenience-entry-edit", row.pk), entry_post(row, **changes))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="lenience.").exists()


def test_admin_adds_entry(client_for, admin_user):
    c = client_for(admin_user)
    page = c.get(url("lenience-entry-add") + "?kind=首违不罚")
    assert page.context["form"].initial["number"] == 7
    data = {
        "kind": "首违不罚", "number": "7", "act_code": "39-refuse-inspection", "act_text": "拒绝检查",
        "setting_basis": "《条例》", "basis": "《行政处罚法》第三十三条", "active": "on", "cond_first": "on",
    }
    assert c.post(url("lenience-entry-add"), data).status_code == 302
    row = LenienceEntry.objects.get(kind="首违不罚", number=7)
    assert row.conditions == [{"kind": "first_time", "article": ""}]
    event = AuditEvent.objects.get(action="lenience.entry.add")
    assert event.before is None and event.after["act_code"] == "39-refuse-inspection"


def test_admin_edits_circumstance_text(client_for, admin_user):
    c = client_for(admin_user)
    row = LenienceCircumstance.objects.get(code="art6")
    data = {"code": "changed", "article": "第六条", "text": "违法行为轻微并及时改正，没有造成危害后果的", "active": "on"}
    assert c.post(url("circumstance-edit", row.pk), data).status_code == 302
    row.refresh_from_db()
    assert row.code == "art6"  # the code is fixed once created
    assert row.text.startswith("违法行为轻微")
    event = AuditEvent.objects.get(action="lenience.circumstance.change")
    assert event.before["text"].startswith("（待录入）") and event.after["text"].startswith("违法行为轻微")

    bad = c.post(url("circumstance-add"), {"code": "Art 6", "article": "6", "text": ""})
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert "代码：" in errors["code"][0] and "条款：" in errors["article"][0]
    assert c.post(url("circumstance-add"), {"code": "art6-2", "article": "第六条", "text": "当事人有证据足以证明没有主观过错的",
                                             "active": "on"}).status_code == 302
    assert LenienceCircumstance.objects.filter(code="art6-2").exists()


def test_admin_edits_violation_type_article_follows_code(client_for, admin_user):
    c = client_for(admin_user)
    row = ViolationType.objects.get(kind="P", seq=8)
    data = {"kind": "P", "seq": "8", "name": row.name, "act_code": "39-no-internal-system", "active": "on"}
    assert c.post(url("violation-edit", row.pk), data).status_code == 302
    row.refresh_from_db()
    assert (row.act_code, row.article) == ("39-no-internal-system", 39)
    event = AuditEvent.objects.get(action="catalogue.violation_type.change")
    assert event.before["article"] == 38 and event.after["article"] == 39

    dup = c.post(url("violation-edit", row.pk), {**data, "seq": "7"})
    assert dup.status_code == 400 and "序号：定点零售药店已有第 7 项" in dup.context["form"].errors["seq"][0]
    bad = c.post(url("violation-add"), {"kind": "H", "seq": "10", "name": "x", "act_code": "38_x"})
    assert bad.status_code == 400 and "违法行为代码" in bad.context["form"].errors["act_code"][0]


def test_get_is_not_a_write(client_for, admin_user):
    client_for(admin_user).get(url("violation-add"))
    assert not business_events().exists()


def test_admin_index_has_edit_links_and_articles_in_order(client_for, admin_user):
    page = client_for(admin_user).get(url("lenience-index"))
    text = page.content.decode()
    assert url("lenience-entry-edit", entry().pk) in text
    assert [c["row"].article for c in page.context["circumstances"]] == ["第六条", "第七条", "第八条"]
    form = client_for(admin_user).get(url("lenience-entry-edit", entry().pk)).context["form"]
    assert [value for value, _ in form.fields["cond_articles"].choices] == ["第六条", "第七条", "第八条"]


@pytest.mark.parametrize(
    ("article", "number"),
    [("第六条", 6), ("第十条", 10), ("第十二条", 12), ("第二十一条", 21), ("第一百条", 100), ("第8条", 8), ("其他", 0)],
)
def test_article_number(article, number):
    from spotcheck.inspections.forms_lenience import article_number

    assert article_number(article) == number

"""Public pages: anonymous access, nothing unpublished, commitment only before the start, rate limit,
search, filters and pagination."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from spotcheck.core import draw as core
from spotcheck.directory.models import ContractStatus
from spotcheck.draws import actions as draw_actions
from spotcheck.policy.models import PolicySetting
from spotcheck.portal import actions
from tests import factories as f
from tests.factories import commit, full_run, make_inspections, make_task

pytestmark = pytest.mark.django_db


def text(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


@pytest.fixture
def published(inspections, county_user):
    return actions.publish(county_user, inspections[0])


def test_every_public_page_answers_anonymously(client, published, started):
    inst = published.institution
    urls = [
        reverse("portal:home"), reverse("portal:items"), reverse("portal:tasks"),
        reverse("portal:task", args=[started.task_id]), reverse("portal:draw", args=[started.draw_id]),
        reverse("portal:results"), reverse("portal:result", args=[published.pk]), reverse("portal:institutions"),
        reverse("portal:institutions") + "?q=测试", reverse("portal:institution", args=[inst.fixmedins_code]),
        reverse("portal:verify"), reverse("portal:data"), reverse("portal:feed"),
        reverse("portal:results-csv"), reverse("portal:results-json"), reverse("portal:tasks-csv"),
        reverse("portal:tasks-json"), reverse("portal:draw-package", args=[started.draw_id]),
        reverse("portal:draw-commitment", args=[started.draw_id]), reverse("draws:verifier"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="zh-CN">' in page and "portal/portal.css" in page and "<script" not in page


def test_public_pages_are_read_only(client, published):
    for url in (reverse("portal:home"), reverse("portal:result", args=[published.pk]), reverse("portal:results-csv")):
        assert client.post(url).status_code == 405
        assert client.put(url).status_code == 405


def test_home_links_the_verifier_and_login_links_the_portal(client):
    assert reverse("draws:verifier") in client.get(reverse("portal:home")).content.decode()
    login = client.get(reverse("login")).content.decode()
    assert reverse("portal:home") in login and "公示门户" in login


def test_unpublished_results_are_invisible(client, inspections, county_user):
    shown, hidden = inspections[0], inspections[1]
    pub = actions.publish(county_user, shown)
    hidden_inst = hidden.institution
    page = client.get(reverse("portal:institution", args=[hidden_inst.fixmedins_code])).content.decode()
    assert hidden_inst.name in page and "暂无公示的检查结果" in page and hidden.task.name not in page
    results = client.get(reverse("portal:results")).content.decode()
    assert shown.institution.name in results and hidden_inst.name not in results
    data = client.get(reverse("portal:results-json")).json()
    assert [r["id"] for r in data["rows"]] == [pub.pk]
    assert client.get(reverse("portal:result", args=[pub.pk + 1000])).status_code == 404
    api = client.get("/api/publications/").json()
    assert [r["id"] for r in api["results"]] == [pub.pk]


def test_task_before_its_start_shows_only_the_commitment(client, world, staffed, county_user, approver):
    task = make_task(world, name="未开始的任务")
    draw = full_run(task, county_user, approver)  # revealed, but the period starts in 30 days
    drawn = list(draw.assignments.filter(active=True).select_related("institution"))
    for url in (reverse("portal:task", args=[task.pk]), reverse("portal:draw", args=[draw.draw_id])):
        page = client.get(url).content.decode()
        assert draw.commitment["commit"] in page and draw.commitment["snapshot_digest"] in page
        assert draw.commitment["params_digest"] in page and "双色球" in page
        for a in drawn:
            assert a.institution.name not in page and a.institution.fixmedins_code not in page
        assert draw.public_randomness not in page and "package.json" not in page
    assert client.get(reverse("portal:draw-package", args=[draw.draw_id])).status_code == 404
    commitment = client.get(reverse("portal:draw-commitment", args=[draw.draw_id]))
    assert json.loads(commitment.content) == draw.commitment
    assert "secret" not in commitment.content.decode()
    for fmt in ("csv", "json"):
        body = text(client.get(reverse(f"portal:tasks-{fmt}")))
        assert draw.commit in body and not any(a.institution.fixmedins_code in body for a in drawn)


def test_guessing_draw_ids_reveals_nothing_more(client, world, staffed, county_user, approver):
    frozen = draw_actions.freeze(county_user, make_task(world, name="仅冻结"))
    assert client.get(reverse("portal:draw", args=[frozen.draw_id])).status_code == 404
    assert client.get(reverse("portal:draw-commitment", args=[frozen.draw_id])).status_code == 404
    committed = commit(draw_actions.freeze(county_user, make_task(world, name="已提交")), county_user, approver)
    page = client.get(reverse("portal:draw", args=[committed.draw_id]))
    assert page.status_code == 200 and committed.commit in page.content.decode()
    assert client.get(reverse("portal:draw-package", args=[committed.draw_id])).status_code == 404
    assert client.get(reverse("portal:draw", args=["D-2026-99999"])).status_code == 404
    assert client.get(reverse("portal:task", args=[frozen.task_id])).status_code == 404


def test_started_task_shows_drawn_list_teams_and_a_verifiable_package(client, started, county_user):
    pubs = [actions.publish(county_user, i) for i in make_inspections(started)[:1]]
    page = client.get(reverse("portal:task", args=[started.task_id])).content.decode()
    for a in started.assignments.filter(active=True).select_related("institution"):
        assert a.institution.name in page
        for m in a.members.filter(active=True).select_related("inspector"):
            assert m.inspector.name in page and m.inspector.cert_number in page
            assert m.inspector.id_number not in page
    assert reverse("portal:result", args=[pubs[0].pk]) in page and "尚未公示" in page
    package = client.get(reverse("portal:draw-package", args=[started.draw_id]))
    assert core.verify(json.loads(package.content)) == []


def test_team_names_follow_the_policy(client, started):
    PolicySetting.objects.create(key="portal.show_inspector_names", value=False, effective_from=dt.date(2000, 1, 1),
                                 note="测试")
    PolicySetting.objects.create(key="portal.show_certificate_numbers", value=False,
                                 effective_from=dt.date(2000, 1, 1), note="测试")
    page = client.get(reverse("portal:task", args=[started.task_id])).content.decode()
    member = started.assignments.filter(active=True).first().members.filter(active=True).first().inspector
    assert member.name not in page and member.cert_number not in page and member.department.name in page


def test_institution_page_shows_grade_and_no_personal_data(client, published):
    inst = published.institution
    inst.contact_phone, inst.legal_representative, inst.contact_person = "13912345678", "王法人", "李联系"
    inst.save()
    page = client.get(reverse("portal:institution", args=[inst.fixmedins_code.lower()])).content.decode()
    assert "公示的信用等级" in page and inst.credit_grade in page
    assert published.snapshot["task"]["name"] in page
    for secret in ("13912345678", "王法人", "李联系", inst.uscc):
        assert secret not in page


def test_terminated_institution_without_results_is_not_listed(client, db):
    inst = f.institution(f.YANGCHENG, "H", contract_status=ContractStatus.TERMINATED)
    assert client.get(reverse("portal:institution", args=[inst.fixmedins_code])).status_code == 404
    page = client.get(reverse("portal:institutions") + f"?q={inst.name}").content.decode()
    assert "没有找到符合条件的机构" in page and inst.fixmedins_code not in page


def test_correction_shows_both_versions(client, published, county_user):
    v2 = actions.correct(county_user, published, "结果类型录入错误", {"result_type": "no_problem"})
    old = client.get(reverse("portal:result", args=[published.pk])).content.decode()
    assert "已更正" in old and "结果类型录入错误" in old and reverse("portal:result", args=[v2.pk]) in old
    new = client.get(reverse("portal:result", args=[v2.pk])).content.decode()
    assert "未发现问题" in new and "更正原因" in new
    inst = client.get(reverse("portal:institution", args=[published.institution.fixmedins_code])).content.decode()
    assert "已更正" in inst and "未发现问题" in inst
    listed = client.get(reverse("portal:results")).content.decode()
    assert reverse("portal:result", args=[v2.pk]) in listed
    assert reverse("portal:result", args=[published.pk]) + '"' not in listed
    listed_all = client.get(reverse("portal:results") + "?all=1").content.decode()
    assert reverse("portal:result", args=[published.pk]) + '"' in listed_all


def test_rate_limit_answers_429_in_chinese(client, db):
    PolicySetting.objects.create(key="portal.rate_limit_per_minute", value=3, effective_from=dt.date(2000, 1, 1),
                                 note="测试")
    codes = [client.get(reverse("portal:home")).status_code for _ in range(3)]
    blocked = client.get(reverse("portal:verify"))
    assert codes == [200, 200, 200] and blocked.status_code == 429
    assert "访问过于频繁" in blocked.content.decode() and int(blocked["Retry-After"]) > 0
    other_ip = client.get(reverse("portal:home"), REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 200
    assert client.get("/api/publications/").status_code == 429


def test_search_filters_and_pagination(client, inspections, county_user):
    pubs = [actions.publish(county_user, i) for i in inspections]
    first = pubs[0]
    code = first.institution.fixmedins_code

    def ids(query: str) -> set[int]:
        return {r["id"] for r in client.get(reverse("portal:results-json") + query).json()["rows"]}

    assert ids(f"?q={code}") == {first.pk}
    assert ids(f"?q={first.institution.name}") == {first.pk}
    assert ids("?area=140522") == {p.pk for p in pubs} == ids("?area=140500")
    assert ids(f"?area={f.HUAIREN}") == set() and ids("?area=abc") == set()
    assert ids(f"?year={first.year}") == {p.pk for p in pubs} and ids("?year=1999") == set()
    assert ids("?result=corrected") == {p.pk for p in pubs} and ids("?result=no_problem") == set()
    item = first.task.items.first()
    assert ids(f"?item={item.pk}") == {p.pk for p in pubs} and ids("?item=999999") == set()
    page = client.get(reverse("portal:results") + f"?q={code}").content.decode()
    assert first.institution.name in page and "共 1 条" in page
    for n in range(25):
        f.institution(f.YANGCHENG, "H", name=f"分页测试卫生院{n:02d}")
    first_page = client.get(reverse("portal:institutions") + "?q=分页测试").content.decode()
    assert "分页测试卫生院00" in first_page and "分页测试卫生院24" not in first_page and "下一页" in first_page
    second = client.get(reverse("portal:institutions") + "?q=分页测试&page=2").content.decode()
    assert "分页测试卫生院24" in second and "上一页" in second
    by_area = client.get(reverse("portal:institutions") + f"?area={f.HUAIREN}").content.decode()
    assert "分页测试卫生院" not in by_area


def test_rate_limit_sees_the_visitor_behind_a_trusted_proxy(rf, settings):
    from spotcheck.base.http import client_ip

    request = rf.get("/portal/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.5")
    assert client_ip(request) == "127.0.0.1"  # no trusted proxy configured: the header is ignored
    settings.SPOTCHECK_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.5"]
    assert client_ip(request) == "203.0.113.9"
    spoofed = rf.get("/portal/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoofed) == "198.51.100.7"  # a visitor cannot choose their address

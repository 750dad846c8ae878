"""The approver sees every change of a draw-relevant field since the area's previous draw (issue 11 §3).

On the draw page (commit proposal) and in the draw record: who, when (Beijing time), institution,
field, before → after, reason, from the audit log; plus institutions added and removed.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spotcheck.core.codes import make_fixmedins_code, make_uscc
from spotcheck.credit import actions as credit_actions
from spotcheck.directory import actions as directory_actions
from spotcheck.directory.models import Institution
from spotcheck.directory.ownership import institution_check
from spotcheck.documents import FontNotFoundError
from spotcheck.draws import actions, changes, views
from spotcheck.draws.documents import draw_record_docx, draw_record_pdf
from tests import factories as f
from tests.documents.helpers import docx_text, pdf_text, squeeze
from tests.factories import commit, full_run, make_task

SOURCES = ["中国福利彩票双色球第2026135期开奖号码"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit(user, inst, reason, **data):
    """A directory edit as the form and the API make it (draw-relevant fields need ``reason``)."""
    return directory_actions.update(user, inst, data, reason=reason, check=institution_check(reason, where="表单"))


def form_data(inst, **extra):
    data = {
        "fixmedins_code": inst.fixmedins_code, "name": inst.name, "uscc": inst.uscc, "kind": inst.kind,
        "category": inst.category, "level": inst.level, "region": inst.region_id,
        "contract_status": inst.contract_status, "contract_date": "", "change_reason": "",
    }
    data.update(extra)
    return data


def proposed(world, county_user, task=None):
    """A frozen, staffing-checked draw whose commitment ``county_user`` proposed."""
    draw = actions.freeze(county_user, task or make_task(world))
    actions.check_staffing(county_user, draw)
    return actions.propose_commit(county_user, draw, SOURCES)


def section(body: str) -> str:
    return body.split('id="changes"')[1].split("</section>")[0]


def test_approval_page_and_record_list_the_changes(world, staffed, county_user, approver, client_for):
    suspended, leveled, graded, flagged = staffed["hospitals"][:4]
    # 协议状态 through the form (a change without a reason is refused first)
    client = client_for(county_user)
    url = reverse("directory:institution-edit", args=[suspended.pk])
    response = client.post(url, form_data(suspended, contract_status="suspended"))
    assert "change_reason" in response.context["form"].errors
    assert Institution.objects.get(pk=suspended.pk).contract_status == "active"
    assert client.post(url, form_data(suspended, contract_status="suspended",
                                      change_reason="协议暂停（阳医保〔2026〕7号）")).status_code == 302
    edit(county_user, leveled, "等级评审结果", level="3")
    directory_actions.set_risk_flag(county_user, flagged, True, "投诉举报线索")
    credit_actions.ensure_subject("t", graded)
    credit_actions.evaluate_subject(county_user, credit_actions.ensure_subject("t", graded))  # 中等 → 优秀
    edit(county_user, staffed["hospitals"][5], "", name="只改名称")  # not draw-relevant: not listed
    draw = proposed(world, county_user)

    report = changes.report(draw)
    rows = [(c.institution, c.field, c.before, c.after, c.reason) for c in report.changes]
    assert rows == [
        (str(suspended), "协议状态", "在协议", "暂停", "协议暂停（阳医保〔2026〕7号）"),
        (str(leveled), "医院等级", "未定级", "三级", "等级评审结果"),
        (str(flagged), "重点监控", "否", "是", "投诉举报线索"),
        (str(graded), "信用等级", "中等", "优秀", rows[3][4]),
    ]
    assert rows[3][4].startswith("信用评价（按需评价")
    assert report.total == 4 and (report.added, report.removed) == (0, 0)
    assert report.window.since.startswith(f"{min(draw.year, timezone.localdate().year)} 年 1 月 1 日以来")
    assert all(c.actor == county_user.username for c in report.changes)

    body = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "待审批：提交承诺" in body and "审批并生成承诺" in body
    assert "审批前请核对" in body and "字段变更 4 条" in body
    table = section(body)
    assert "上次抽取以来影响抽取概率的变更" in table
    for c in report.changes:
        assert f"<td>{c.when}</td><td>{c.actor}</td>" in table
        assert f"<td>{c.field}</td><td>{c.before} → {c.after}</td><td>{c.reason}</td>" in table
    assert report.changes[0].when == timezone.localtime(report.changes[0].at).strftime("%Y-%m-%d %H:%M")
    assert "只改名称" not in table and str(staffed["hospitals"][5]) not in table

    text = docx_text(draw_record_docx(draw))
    assert "上次抽取以来影响抽取概率的变更" in text and "影响抽取概率的字段变更 4 条" in text
    for expected in ("协议暂停（阳医保〔2026〕7号）", "在协议 → 暂停", "未定级 → 三级", "否 → 是", "中等 → 优秀",
                     str(suspended)):
        assert expected in text, expected
    try:
        pdf = squeeze(pdf_text(draw_record_pdf(draw)))
    except FontNotFoundError:  # no CJK font on this machine: the DOCX above is the same document
        pdf = None
    if pdf is not None:
        assert squeeze("上次抽取以来影响抽取概率的变更") in pdf and squeeze("等级评审结果") in pdf
    # the public part of the record does not list them
    assert "上次抽取以来" not in docx_text(draw_record_docx(draw, full=False))


def test_window_starts_at_the_previous_draw_of_the_area(world, staffed, county_user, approver):
    first_h, second_h = staffed["hospitals"][:2]
    edit(county_user, first_h, "早于上次抽取", level="2")
    previous = full_run(make_task(world), county_user, approver)
    # a draw that was cancelled before its commitment does not start a window
    cancelled = actions.freeze(county_user, make_task(world, items=[world.key_h]))
    actions.cancel(county_user, cancelled, "参数有误")
    edit(county_user, second_h, "晚于上次抽取", contract_status="suspended")
    draw = proposed(world, county_user, make_task(world, items=[world.key_h]))
    report = changes.report(draw)
    assert report.window.previous_draw_id == previous.draw_id
    assert report.window.since == f"上次抽取（{previous.draw_id}）冻结以来"
    assert [(c.institution, c.reason) for c in report.changes] == [(str(second_h), "晚于上次抽取")]
    # the previous draw's own window still shows the earlier change
    assert [c.reason for c in changes.report(previous).changes] == ["早于上次抽取"]
    # changes after this draw was frozen do not belong to it
    edit(county_user, first_h, "冻结之后", level="3")
    assert [c.reason for c in changes.report(draw).changes] == ["晚于上次抽取"]


def test_other_areas_are_left_out_and_a_move_out_is_listed(world, staffed, county_user, approver, admin_user):
    other = f.institution(f.HUAIREN)
    edit(admin_user, other, "怀仁的变更", contract_status="suspended")
    draw = proposed(world, county_user)
    assert changes.report(draw).total == 0
    body = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "没有影响抽取概率的字段变更" in section(body) and "怀仁的变更" not in body
    actions.cancel(county_user, draw, "重新冻结")

    leaving = staffed["hospitals"][0]
    edit(admin_user, leaving, "机构迁址至怀仁", region_id=f.HUAIREN,
         fixmedins_code=make_fixmedins_code("H", f.HUAIREN, 99002))
    draw = proposed(world, county_user, make_task(world, items=[world.key_h]))
    [change] = changes.report(draw).changes
    assert (change.field, change.before, change.after, change.reason) == (
        "所属区域", "阳城县（140522）", "怀仁市（140681）", "机构迁址至怀仁")


def test_added_and_removed_are_counted(world, staffed, county_user, approver):
    directory_actions.create(county_user, Institution, {
        "fixmedins_code": make_fixmedins_code("H", f.YANGCHENG, 99001), "name": "新签协议医院",
        "uscc": make_uscc(f.YANGCHENG, 99001), "kind": "H", "category": "hospital", "region_id": f.YANGCHENG,
    }, reason="新签协议", check=institution_check("新签协议", where="表单"))
    directory_actions.delete(county_user, f.institution(), reason="协议解除后注销")
    draw = proposed(world, county_user)
    report = changes.report(draw)
    assert (report.total, report.added, report.removed) == (0, 1, 1)
    assert "新增机构 1 家，删除机构 1 家" in report.summary
    assert "新增机构 1 家，删除机构 1 家" in section(login(approver).get(f"/draws/{draw.draw_id}/").content.decode())


def test_long_lists_are_capped_with_a_count_and_paginated(world, staffed, county_user, approver, monkeypatch):
    for n, inst in enumerate(staffed["hospitals"][:5]):
        edit(county_user, inst, f"原因{n}", level="2")
    draw = proposed(world, county_user)
    monkeypatch.setattr(views, "PREVIEW_ROWS", 2)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = login(approver)
    table = section(client.get(f"/draws/{draw.draw_id}/").content.decode())
    assert "原因0" in table and "原因1" in table and "原因2" not in table
    assert "只列出前 2 条" in table and "查看全部 5 条" in table
    page = client.get(f"/draws/{draw.draw_id}/lists/changes/?page=2").content.decode()
    assert "共 5 条" in page and "原因2" in page and "原因3" in page and "原因1" not in page
    assert "医院等级" in page and "未定级 → 二级" not in page  # before and after are separate columns
    assert "<td>未定级</td><td>二级</td>" in page


def test_changes_are_hidden_from_users_who_do_not_see_the_pool(world, staffed, county_user, approver,
                                                                inspector_user):
    edit(county_user, staffed["hospitals"][0], "保密的变更", level="3")
    draw = proposed(world, county_user)
    body = login(inspector_user).get(f"/draws/{draw.draw_id}/").content.decode()
    assert 'id="changes"' not in body and "保密的变更" not in body
    assert login(inspector_user).get(f"/draws/{draw.draw_id}/lists/changes/").status_code == 404


def test_commit_after_approval_keeps_the_list(world, staffed, county_user, approver):
    edit(county_user, staffed["hospitals"][0], "协议暂停", contract_status="suspended")
    draw = actions.freeze(county_user, make_task(world))
    commit(draw, county_user, approver)
    body = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "协议暂停" in section(body)


def test_a_change_behind_the_application_blocks_the_freeze_and_the_form(world, staffed, county_user, settings,
                                                                       client_for):
    """The draw's approver sees every change to a draw-relevant field: one made directly in the database
    cannot reach a freeze unseen, and a later form edit cannot launder it (409 with the reason)."""
    from django.db import connection

    settings.SPOTCHECK_AUDIT_GUARD = True
    victim = staffed["hospitals"][0]
    edit(county_user, victim, "联系人变更", contact_person="王五")  # the row now has a recorded state
    with connection.cursor() as cur:
        cur.execute("UPDATE directory_institution SET contract_status = 'suspended' WHERE id = %s", [victim.pk])
    with pytest.raises(actions.ActionRefused, match="不能冻结抽取范围.*协议状态"):
        actions.freeze(county_user, make_task(world))
    response = client_for(county_user).post(reverse("directory:institution-edit", args=[victim.pk]),
                                            form_data(victim, contract_status="suspended", notes="补记",
                                                      change_reason="补记"))
    page = response.content.decode()
    assert response.status_code == 409 and "审计记录不一致" in page and victim.fixmedins_code in page
    assert "没有保存" in page

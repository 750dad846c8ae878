"""The draw page at scale: paginated results, collapsed lists, replaced rows, forms and approval buttons."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from spotcheck.draws import actions, views
from spotcheck.draws.models import Assignment, AssignmentMember, DrawStatus
from tests import factories as f
from tests.factories import commit, full_run, make_task


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def crowd(world):
    """Forty hospitals and twenty-one 医保局 / 市监局 inspectors: 5% of 40 per grade stratum."""
    hospitals = [f.institution(f.YANGCHENG, "H", credit_grade=g) for g in ["中等"] * 30 + ["较差"] * 10]
    yb = [f.inspector(f.YANGCHENG, department=world.yb) for _ in range(14)]
    sj = [f.inspector(f.YANGCHENG, department=world.sj) for _ in range(7)]
    return {"hospitals": hospitals, "yb": yb, "sj": sj}


def test_results_are_paginated_and_forms_offer_the_page(world, crowd, county_user, approver, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    task = make_task(world, items=[world.general_h], ratio_num=20, ratio_den=100, credit_scaled=False)
    draw = full_run(task, county_user, approver)
    order = draw.package["result"]["order"]
    assert len(order) == 8
    staff = login(county_user)
    first = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    assert "第 1 / 4 页" in first and "下一页" in first
    codes_on = lambda body: [c for c in order if c in body.split('id="results"')[1].split("</table>")[0]]  # noqa: E731
    assert codes_on(first) == order[:2]
    third = staff.get(f"/draws/{draw.draw_id}/?page=3").content.decode()
    assert codes_on(third) == order[4:6]
    # the change forms list the rows of the page only
    unit_select = re.search(r'<select name="assignment"[^>]*>(.*?)</select>', third, re.S).group(1)
    assert [a.institution.fixmedins_code for a in Assignment.objects.filter(
        pk__in=re.findall(r'value="(\d+)"', unit_select))] == order[4:6]
    member_select = re.search(r'<select name="member"[^>]*>(.*?)</select>', third, re.S).group(1)
    assert len(re.findall(r'value="(\d+)"', member_select)) == 2 * 3  # two teams of three
    # … but a request for a row of another page is accepted
    last = Assignment.objects.get(draw=draw, active=True, position=7)
    staff.post(f"/draws/{draw.draw_id}/events/request/",
               {"assignment": last.pk, "reason_kind": "closed", "reason": "注销"})
    assert draw.events.get().institution_id == last.institution_id


def test_page_ids_labels_and_ratio(world, staffed, county_user, approver):
    draw = full_run(make_task(world), county_user, approver)
    body = login(county_user).get(f"/draws/{draw.draw_id}/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'id="unit-reason"' in body and 'id="member-reason"' in body and "id_reason" not in body
    assert "提交申请（替换检查对象）" in body and "提交申请（替换检查人员）" in body
    assert re.search(r"<label[^>]*>[^<]*[:：]</label>", body) is None  # label_suffix=""
    assert "<dt>抽查比例</dt><dd>5%，按信用等级调整</dd>" in body and "5/100" not in body


def test_proposer_sees_a_note_instead_of_the_approve_button(world, staffed, approver, approver2):
    draw = actions.freeze(approver, make_task(world))
    actions.check_staffing(approver, draw)
    actions.propose_commit(approver, draw, ["双色球第2026135期"])
    own = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "审批并生成承诺" not in own and "需由另一人审批" in own
    other = login(approver2).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "审批并生成承诺" in other and "需由另一人审批" not in other
    draw = actions.approve_commit(approver2, draw)
    actions.propose_reveal(approver, draw, "01 02 03")
    own = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "审批并揭示" not in own and "需由另一人审批" in own
    draw = actions.approve_reveal(approver2, draw)
    a = draw.assignments.get(active=True, position=0)
    actions.request_event(approver, draw, type="replace_unit", institution=a.institution, reason_kind="closed")
    own = login(approver).get(f"/draws/{draw.draw_id}/").content.decode()
    events = own.split('id="events"')[1]
    assert ">批准</button>" not in events and "需由另一人审批" in events
    assert ">批准</button>" in login(approver2).get(f"/draws/{draw.draw_id}/").content.decode()


def test_replaced_rows_are_struck_through_with_their_event(world, staffed, county_user, approver):
    draw = full_run(make_task(world), county_user, approver)
    first = draw.assignments.get(active=True, position=0)
    member = first.members.get(active=True, position=0)
    e1 = actions.request_event(county_user, draw, type="replace_inspector", institution=first.institution,
                               inspector=member.inspector, reason_kind="sickness")
    actions.approve_event(approver, e1)
    second = draw.assignments.get(active=True, position=1)
    e2 = actions.request_event(county_user, draw, type="replace_unit", institution=second.institution,
                               reason_kind="closed", reason="已注销")
    actions.approve_event(approver, e2)
    e1.refresh_from_db()
    e2.refresh_from_db()
    body = login(county_user).get(f"/draws/{draw.draw_id}/").content.decode()
    results = body.split('id="results"')[1].split("</table>")[0]
    assert (f"<s>{member.inspector.name}（{member.inspector.number}）</s>"
            f'<span class="muted">〔已由变更 #{e1.seq} 替换〕</span>') in results
    assert f"<s>{second.institution}</s>" in results and f"已由变更 #{e2.seq} 替换：机构已关闭/注销：已注销" in results
    newcomer = draw.assignments.get(added_by_event=e2)
    assert f"{newcomer.institution}" in results and f"由变更 #{e2.seq} 递补" in results
    # an inspector's view (no full access) never shows replaced rows
    assert not AssignmentMember.objects.filter(assignment=second, active=True).exists()


def test_long_lists_are_collapsed_and_paginated(world, crowd, county_user, approver, inspector_user, monkeypatch):
    monkeypatch.setattr(views, "PREVIEW_ROWS", 2)
    monkeypatch.setattr(views, "NAMED_INSPECTORS", 5)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    for h in crowd["hospitals"][:3]:
        h.contract_status = "suspended"
        h.save()
    task = make_task(world, items=[world.general_h], cross_area=False)
    draw = full_run(task, county_user, approver)
    assert draw.status == DrawStatus.REVEALED
    staff = login(county_user)
    body = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    assert "未纳入 3 家" in body and "查看全部 3 家" in body
    assert f"{world.yb.name}</strong> 14 人" in body and "查看名单" in body
    assert crowd["yb"][0].number not in body.split('id="results"')[0]  # names are not listed inline
    reserve = draw.package["result"]["strata"]
    h = next(iter(reserve))
    assert f"候补 {len(reserve[h]['reserve'])} 家" in body
    page = staff.get(f"/draws/{draw.draw_id}/lists/reserve/", {"stratum": h})
    assert page.status_code == 200
    text = page.content.decode()
    assert reserve[h]["reserve"][0] in text and reserve[h]["reserve"][5] not in text and "第 1 / " in text
    page2 = staff.get(f"/draws/{draw.draw_id}/lists/reserve/", {"stratum": h, "page": 2}).content.decode()
    assert reserve[h]["reserve"][5] in page2
    for kind in ("exclusions", "inspectors", "excluded-inspectors", "pairs"):
        assert staff.get(f"/draws/{draw.draw_id}/lists/{kind}/").status_code == 200, kind
    inspectors = staff.get(f"/draws/{draw.draw_id}/lists/inspectors/").content.decode()
    assert "共 21 条" in inspectors
    assert staff.get(f"/draws/{draw.draw_id}/lists/secret/").status_code == 404
    assert login(inspector_user).get(f"/draws/{draw.draw_id}/lists/reserve/").status_code == 404


def test_planning_task_page_links_its_draws(world, staffed, county_user, approver):
    task = make_task(world)
    staff = login(county_user)
    body = staff.get(f"/planning/tasks/{task.pk}/").content.decode()
    assert "随机抽取" in body and "该任务尚未进行抽取" in body and f"/draws/tasks/{task.pk}/" in body
    draw = actions.freeze(county_user, task)
    commit(draw, county_user, approver)
    body = staff.get(f"/planning/tasks/{task.pk}/").content.decode()
    assert f'href="/draws/{draw.draw_id}/"' in body and "已提交承诺" in body
    page = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    assert f'href="/planning/tasks/{task.pk}/"' in page


def test_reveal_stores_rows_in_bulk_with_their_row_states(world, crowd, county_user, approver):
    from spotcheck.audit.models import AuditEvent

    task = make_task(world, items=[world.general_h], ratio_num=20, ratio_den=100, credit_scaled=False)
    before = AuditEvent.objects.count()
    draw = full_run(task, county_user, approver)
    order = draw.package["result"]["order"]
    rows = list(draw.assignments.order_by("position").values_list("institution__fixmedins_code", "stratum", "active"))
    assert rows == [(code, "140522|H", True) for code in order]
    teams = draw.package["result"]["teams"]
    for a in draw.assignments.prefetch_related("members__inspector"):
        numbers = [m.inspector.number for m in sorted(a.members.all(), key=lambda m: m.position)]
        assert numbers == teams[a.institution.fixmedins_code]
    reveal = AuditEvent.objects.get(action="draw.reveal_approve", object_id=str(draw.pk))
    assert reveal.after["assignments"] == len(order) == 8 and reveal.after["team_places"] == 8 * 3
    # one step event; the rows written in bulk each get a state event (audit verify holds them to it)
    per_row = ("inspection.create", "inspection.checklist_create", "draw.assignment", "draw.assignment_member")
    actions_logged = [a for a in AuditEvent.objects.order_by("seq")[before:].values_list("action", flat=True)
                      if a not in per_row]
    assert actions_logged.count("draw.reveal_approve") == 1 and len(actions_logged) < 12, actions_logged
    assert AuditEvent.objects.filter(action="draw.assignment", seq__gt=before).count() == 8
    assert AuditEvent.objects.filter(action="draw.assignment_member", seq__gt=before).count() == 8 * 3
    from spotcheck.audit.verify import verify_data

    assert verify_data(labels=["draws.assignment", "draws.assignmentmember", "inspections.inspection"]).ok
    # an event replaces only what changed, and says so in its audit event
    first = draw.assignments.get(active=True, position=0)
    event = actions.request_event(county_user, draw, type="replace_unit", institution=first.institution,
                                  reason_kind="closed")
    actions.approve_event(approver, event)
    logged = AuditEvent.objects.get(action="draw.event_approve", object_id=str(event.pk)).after
    assert (logged["assignments_added"], logged["assignments_replaced"]) == (1, 1)
    assert (logged["members_added"], logged["members_replaced"]) == (3, 0)
    assert draw.assignments.filter(active=True).count() == 8 and draw.assignments.count() == 9
    assert verify_data(labels=["draws.assignment", "draws.assignmentmember"]).ok  # the replaced rows too

"""The whole workflow through the pages and through the API (POST steps, messages, permissions)."""

from __future__ import annotations

from django.test import Client

from spotcheck.draws import actions
from spotcheck.draws.models import Draw, DrawEvent, DrawStatus, EventStatus
from spotcheck.planning.models import TaskStatus
from tests.factories import make_task


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_pages_walk_the_workflow(world, staffed, county_user, approver):
    task = make_task(world)
    staff, boss = login(county_user), login(approver)

    index = staff.get("/draws/")
    assert index.status_code == 200 and task.name in index.content.decode()
    page = staff.get(f"/draws/tasks/{task.pk}/").content.decode()
    assert "冻结抽取范围" in page

    r = staff.post(f"/draws/tasks/{task.pk}/freeze/", follow=True)
    draw = Draw.objects.get(task=task)
    assert r.redirect_chain[-1][0] == f"/draws/{draw.draw_id}/"
    body = r.content.decode()
    for text in ("分层与样本量", "阳城县 · 医疗机构 · 中等", "检查组人员需求", "可抽取的检查人员", "回避组合", world.sj.name):
        assert text in body, text
    # refused step: no staffing check yet
    r = staff.post(f"/draws/{draw.draw_id}/propose-commit/", {"sources": "双色球第2026135期"}, follow=True)
    assert "人员配置检查" in messages_of(r)
    staff.post(f"/draws/{draw.draw_id}/staffing-check/")
    staff.post(f"/draws/{draw.draw_id}/propose-commit/", {"sources": "双色球第2026135期\n大乐透第26135期"})
    draw.refresh_from_db()
    assert draw.status == DrawStatus.COMMIT_PROPOSED and draw.randomness_sources == ["双色球第2026135期", "大乐透第26135期"]
    # same person cannot approve (and has no approve permission): 403
    assert staff.post(f"/draws/{draw.draw_id}/approve-commit/").status_code == 403
    boss.post(f"/draws/{draw.draw_id}/approve-commit/")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.COMMITTED
    page = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    assert draw.commit in page and draw.params_digest in page and "公开承诺" in page
    assert staff.get(f"/draws/{draw.draw_id}/commitment.json").json() == draw.commitment

    staff.post(f"/draws/{draw.draw_id}/propose-reveal/", {"public_randomness": "双色球 2026135: 01 02 03 04 05 06 + 07"})
    r = boss.post(f"/draws/{draw.draw_id}/approve-reveal/", follow=True)
    assert "已揭示" in messages_of(r)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.REVEALED
    body = staff.get(f"/draws/{draw.draw_id}/").content.decode()
    assert all(code in body for code in draw.package["result"]["order"])
    assert "候补名单" in body and "如何校验" in body and "下载结果包" in body

    # an event through the forms
    first = draw.assignments.get(active=True, position=0)
    staff.post(f"/draws/{draw.draw_id}/events/request/",
               {"assignment": first.pk, "reason_kind": "not_designated", "reason": "协议已解除"})
    event = DrawEvent.objects.get(draw=draw)
    r = boss.post(f"/draws/{draw.draw_id}/events/{event.pk}/approve/", follow=True)
    assert "变更已生效" in messages_of(r)
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED
    member = draw.assignments.get(active=True, position=0).members.get(active=True, position=0)
    staff.post(f"/draws/{draw.draw_id}/events/request/", {"member": member.pk, "reason_kind": "sickness"})
    event2 = DrawEvent.objects.get(draw=draw, status=EventStatus.REQUESTED)
    boss.post(f"/draws/{draw.draw_id}/events/{event2.pk}/reject/", {"reason": "病假已结束"})
    event2.refresh_from_db()
    assert event2.status == EventStatus.REJECTED and event2.decision_note == "病假已结束"
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAWN


def test_get_cannot_change_anything(world, staffed, county_user):
    task = make_task(world)
    staff = login(county_user)
    assert staff.get(f"/draws/tasks/{task.pk}/freeze/").status_code == 405
    assert not Draw.objects.exists()


def test_api_walks_the_workflow(world, staffed, county_user, approver):
    task = make_task(world)
    staff, boss = login(county_user), login(approver)
    r = staff.post("/api/draws/freeze/", {"task": task.pk}, content_type="application/json")
    assert r.status_code == 200, r.content
    draw_id = r.json()["draw_id"]
    assert r.json()["preview"]["strata"][0]["stratum"] == "140522|H|中等"
    r = staff.post(f"/api/draws/{draw_id}/propose-commit/", {"randomness_sources": ["双色球第2026135期"]},
                   content_type="application/json")
    assert r.status_code == 400 and "人员配置检查" in r.json()["detail"]
    assert staff.post(f"/api/draws/{draw_id}/staffing-check/").json()["preview"]["staffing"]["ok"] is True
    assert staff.post(f"/api/draws/{draw_id}/propose-commit/", {"randomness_sources": ["双色球第2026135期"]},
                      content_type="application/json").status_code == 200
    assert staff.post(f"/api/draws/{draw_id}/approve-commit/").status_code == 403  # no approve permission
    r = boss.post(f"/api/draws/{draw_id}/approve-commit/")
    assert r.status_code == 200 and r.json()["commitment"]["draw_id"] == draw_id
    staff.post(f"/api/draws/{draw_id}/propose-reveal/", {"public_randomness": "01 02 03 04 05 06 + 07"},
               content_type="application/json")
    r = boss.post(f"/api/draws/{draw_id}/approve-reveal/")
    assert r.status_code == 200 and r.json()["status"] == "revealed"
    order = [a["fixmedins_code"] for a in r.json()["assignments"]]
    assert order == Draw.objects.get(draw_id=draw_id).package["result"]["order"]

    r = staff.post(f"/api/draws/{draw_id}/request-event/",
                   {"type": "replace_unit", "unit": order[0], "reason_kind": "closed", "reason": "注销"},
                   content_type="application/json")
    assert r.status_code == 200, r.content
    event = DrawEvent.objects.get(draw__draw_id=draw_id)
    r = boss.post(f"/api/draws/{draw_id}/approve-event/", {"event": event.pk}, content_type="application/json")
    assert r.status_code == 200
    new_order = [a["fixmedins_code"] for a in r.json()["assignments"]]
    assert order[0] not in new_order and len(new_order) == len(order)
    bad = staff.post(f"/api/draws/{draw_id}/request-event/",
                     {"type": "replace_unit", "unit": "H99999999999", "reason_kind": "closed"},
                     content_type="application/json")
    assert bad.status_code == 400
    assert staff.post(f"/api/draws/{draw_id}/approve-event/", {"event": "x"},
                      content_type="application/json").status_code == 403


def test_task_page_history_and_index_filter(world, staffed, county_user, auditor_user):
    task = make_task(world)
    first = actions.freeze(county_user, task)
    actions.cancel(county_user, first, "范围有误")
    second = actions.freeze(county_user, task)
    body = login(county_user).get(f"/draws/tasks/{task.pk}/").content.decode()
    assert "本任务的抽取记录" in body and first.draw_id in body and "范围有误" in body
    assert f"抽取 <code>{second.draw_id}</code>" in body  # the open draw is the one shown
    index = login(auditor_user).get("/draws/?status=cancelled").content.decode()
    assert first.draw_id in index and second.draw_id not in index

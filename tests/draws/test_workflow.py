"""Staffing check, two-person commit and reveal, failure, events, append-only records."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import get_resolver

from spotcheck.audit.models import AuditEvent
from spotcheck.base.models import AppendOnlyError
from spotcheck.core import draw as core
from spotcheck.draws import actions
from spotcheck.draws.models import (
    Assignment,
    AssignmentMember,
    Draw,
    DrawEvent,
    DrawSecret,
    DrawStatus,
    EventStatus,
)
from spotcheck.planning.models import TaskStatus
from spotcheck.policy.models import PolicySetting
from tests import factories as f
from tests.factories import commit, full_run, make_task, reveal


def package_input(draw: Draw) -> dict:
    """The SC-DRAW-1 input rebuilt independently from the stored rows."""
    return {
        "draw_id": draw.draw_id, "units": draw.units, "strata": draw.strata, "commit": draw.commit,
        "randomness_sources": draw.randomness_sources, "teams": draw.teams,
        "secret": DrawSecret.objects.get(draw=draw).secret, "public_randomness": draw.public_randomness,
        "events": [e.spec for e in draw.events.filter(status=EventStatus.APPROVED).order_by("seq")],
    }


def active_rows(draw: Draw) -> tuple[list[str], dict[str, list[str]]]:
    order = [a.institution.fixmedins_code for a in draw.assignments.filter(active=True).order_by("position")]
    teams = {
        a.institution.fixmedins_code: [m.inspector.number for m in a.members.filter(active=True).order_by("position")]
        for a in draw.assignments.filter(active=True)
    }
    return order, teams


# --------------------------------------------------------------------------------------------
# Staffing


def short_world(world):
    """Twenty hospitals at full coverage (差) but only one 市监局 inspector with cap 3."""
    for _ in range(20):
        f.institution(f.YANGCHENG, "H", credit_grade="差")
    for _ in range(14):
        f.inspector(f.YANGCHENG, department=world.yb)
    f.inspector(f.YANGCHENG, department=world.sj)
    return make_task(world, items=[world.general_h])


def test_staffing_refusal_names_the_department_and_override(world, county_user, approver):
    draw = actions.freeze(county_user, short_world(world))
    with pytest.raises(actions.ActionRefused, match="人员配置检查"):
        actions.propose_commit(county_user, draw, ["双色球第2026135期"])
    report = actions.check_staffing(county_user, draw)
    assert report["ok"] is False
    assert world.sj.name in report["short"] and world.yb.name not in report["short"]
    with pytest.raises(actions.ActionRefused, match=world.sj.name):
        actions.propose_commit(county_user, draw, ["双色球第2026135期"])

    with pytest.raises(PermissionDenied):
        actions.override_staffing(county_user, draw, "县局自行放行")
    with pytest.raises(actions.ActionRefused, match="理由"):
        actions.override_staffing(approver, draw, "  ")
    actions.override_staffing(approver, draw, "市监局临时增派人员")
    draw.refresh_from_db()
    assert draw.override_by == approver and draw.override_reason == "市监局临时增派人员"
    event = AuditEvent.objects.get(action="draw.staffing_override", object_id=str(draw.pk))
    assert event.reason == "市监局临时增派人员" and event.actor_name == approver.username
    actions.propose_commit(county_user, draw, ["双色球第2026135期"])
    assert Draw.objects.get(pk=draw.pk).status == DrawStatus.COMMIT_PROPOSED


def test_staffing_ok_when_people_suffice(world, staffed, county_user):
    draw = actions.freeze(county_user, make_task(world))
    report = actions.check_staffing(county_user, draw)
    assert report["ok"] is True and report["failures"] == 0 and report["short"] == []
    assert report["runs"] == 200


# --------------------------------------------------------------------------------------------
# Commitment and reveal


def test_two_person_rule(world, staffed, approver, approver2):
    draw = actions.freeze(approver, make_task(world))
    actions.check_staffing(approver, draw)
    actions.propose_commit(approver, draw, ["双色球第2026135期开奖号码"])
    with pytest.raises(actions.ActionRefused, match="双人复核"):
        actions.approve_commit(approver, draw)
    assert not DrawSecret.objects.filter(draw=draw).exists()
    actions.approve_commit(approver2, draw)
    actions.propose_reveal(approver2, draw, "01 02 03 04 05 06 + 07")
    with pytest.raises(actions.ActionRefused, match="双人复核"):
        actions.approve_reveal(approver2, draw)
    assert actions.approve_reveal(approver, draw).status == DrawStatus.REVEALED


def test_two_person_rule_can_be_switched_off(world, staffed, approver):
    PolicySetting.objects.create(key="draw.two_person_rule", value=False, effective_from=dt.date(2000, 1, 1))
    draw = actions.freeze(approver, make_task(world))
    commit(draw, approver, approver)
    assert reveal(draw, approver, approver).status == DrawStatus.REVEALED


def test_county_staff_cannot_approve(world, staffed, county_user):
    draw = actions.freeze(county_user, make_task(world))
    actions.check_staffing(county_user, draw)
    actions.propose_commit(county_user, draw, ["双色球"])
    with pytest.raises(PermissionDenied):
        actions.approve_commit(county_user, draw)


def test_commitment(world, staffed, county_user, approver):
    draw = actions.freeze(county_user, make_task(world))
    draw = commit(draw, county_user, approver, ["中国福利彩票双色球第2026135期开奖号码", "大乐透第26135期"])
    secret = DrawSecret.objects.get(draw=draw).secret
    assert len(secret) == 64 and draw.commit == hashlib.sha256(bytes.fromhex(secret)).hexdigest()
    expected = core.commitment({"draw_id": draw.draw_id, "units": draw.units, "strata": draw.strata,
                                "commit": draw.commit, "randomness_sources": draw.randomness_sources,
                                "teams": draw.teams})
    assert draw.commitment == expected
    assert draw.commitment["strata"]["140522|H|中等"] == {"population": 10, "sample_size": 1}
    assert draw.snapshot_digest == expected["snapshot_digest"] and draw.params_digest == expected["params_digest"]
    assert draw.committed_by == approver and draw.commit_proposed_by == county_user
    assert draw.status == DrawStatus.COMMITTED
    # nothing in the audit chain carries the secret
    assert all(secret not in str(e.after) for e in AuditEvent.objects.all())


def test_reveal_stores_the_exact_package_and_assignments(world, staffed, county_user, approver):
    task = make_task(world)
    draw = full_run(task, county_user, approver)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.REVEALED
    assert draw.package == core.compute(package_input(draw))
    assert core.verify(draw.package) == []
    order, teams = active_rows(draw)
    assert order == draw.package["result"]["order"]
    assert teams == draw.package["result"]["teams"]
    assert all(len(team) == 3 for team in teams.values())
    strata = {a.institution.fixmedins_code: a.stratum for a in draw.assignments.all()}
    assert set(strata.values()) == {"140522|H|中等", "140522|P|良好"}
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAWN


def test_rejected_proposals_go_back(world, staffed, county_user, approver):
    draw = actions.freeze(county_user, make_task(world))
    actions.check_staffing(county_user, draw)
    actions.propose_commit(county_user, draw, ["来源写错了"])
    actions.reject_proposal(approver, draw, "随机源写错")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.FROZEN and draw.randomness_sources == []
    commit(draw, county_user, approver)
    actions.propose_reveal(county_user, draw, "抄错的号码")
    actions.reject_proposal(approver, draw, "号码与公告不符")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.COMMITTED and draw.public_randomness == ""


def test_cancel_only_before_commitment(world, staffed, county_user, approver):
    task = make_task(world)
    draw = actions.freeze(county_user, task)
    actions.cancel(county_user, draw, "任务范围需要调整")
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT
    second = actions.freeze(county_user, task)
    commit(second, county_user, approver)
    with pytest.raises(actions.ActionRefused):
        actions.cancel(county_user, second, "看结果前反悔")


def unstaffable_task(world):
    """Two hospitals at full coverage, a team of two 医保局 people, two people, one target each."""
    for _ in range(2):
        f.institution(f.YANGCHENG, "H", credit_grade="差")
    for _ in range(2):
        f.inspector(f.YANGCHENG, department=world.yb)
    return make_task(world, items=[world.general_h], slots=[(world.yb, 2)], cap=1)


def test_unstaffable_reveal_fails_and_is_kept(world, county_user, approver, auditor_user, client_for):
    task = unstaffable_task(world)
    draw = actions.freeze(county_user, task)
    assert actions.check_staffing(county_user, draw)["ok"] is False
    actions.override_staffing(approver, draw, "坚持抽取")
    actions.propose_commit(county_user, draw, ["双色球"])
    actions.approve_commit(approver, draw)
    draw = reveal(draw, county_user, approver)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.FAILED
    assert draw.error_code == "unstaffable" and draw.error_department == world.yb.name
    assert draw.error_unit in {u[0] for u in draw.units}
    assert draw.package is None and not draw.assignments.exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT
    assert AuditEvent.objects.filter(action="draw.fail", object_id=str(draw.pk)).exists()

    page = client_for(auditor_user).get(f"/draws/{draw.draw_id}/")
    body = page.content.decode()
    assert page.status_code == 200 and "抽取失败" in body and world.yb.name in body and draw.error_unit in body
    # the failed draw's input can be re-run by an auditor and fails the same way
    data = client_for(auditor_user).get(f"/draws/{draw.draw_id}/package.json").json()
    with pytest.raises(core.DrawError) as exc:
        core.compute(data)
    assert exc.value.code == "unstaffable"

    new = actions.freeze(county_user, task)  # a new draw is allowed after a failure
    assert new.draw_id.endswith("-002") and Draw.objects.filter(task=task).count() == 2


# --------------------------------------------------------------------------------------------
# Events


def test_replace_unit_and_inspector(world, staffed, county_user, approver):
    draw = full_run(make_task(world), county_user, approver)
    order, teams = active_rows(draw)
    first = draw.assignments.get(active=True, position=0)
    old_unit = first.institution

    own = actions.request_event(approver, draw, type="replace_unit", institution=old_unit, reason_kind="closed")
    with pytest.raises(actions.ActionRefused, match="双人复核"):
        actions.approve_event(approver, own)
    actions.reject_event(approver, own, "由县局申请")  # a rejection needs no second person

    event = actions.request_event(county_user, draw, type="replace_unit", institution=old_unit,
                                  reason_kind="closed", reason="已注销")
    with pytest.raises(PermissionDenied):  # county staff hold no approve permission at all
        actions.approve_event(county_user, event)
    actions.approve_event(approver, event)
    draw.refresh_from_db()
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED and event.seq == 1
    assert event.spec["type"] == "replace_unit" and event.spec["unit"] == old_unit.fixmedins_code
    assert draw.package["events"] == [event.spec]
    assert draw.package == core.compute(package_input(draw))
    first.refresh_from_db()
    assert first.active is False and first.replaced_by_event == event
    assert not first.members.filter(active=True).exists()
    assert first.members.filter(replaced_by_event=event).count() == 3
    new_order, new_teams = active_rows(draw)
    assert new_order == draw.package["result"]["order"] and new_teams == draw.package["result"]["teams"]
    newcomer = draw.assignments.get(active=True, position=len(new_order) - 1)
    assert newcomer.added_by_event == event and newcomer.institution != old_unit
    assert newcomer.stratum == first.stratum

    target = draw.assignments.get(active=True, position=0)
    member = target.members.get(active=True, position=1)
    event2 = actions.request_event(county_user, draw, type="replace_inspector", institution=target.institution,
                                   inspector=member.inspector, reason_kind="self_recusal", reason="亲属在该院任职")
    actions.approve_event(approver, event2)
    draw.refresh_from_db()
    member.refresh_from_db()
    assert member.active is False and member.replaced_by_event == event2
    replacement = target.members.get(active=True, position=1)
    assert replacement.inspector != member.inspector and replacement.added_by_event == event2
    assert draw.package == core.compute(package_input(draw))
    assert [e["type"] for e in draw.package["events"]] == ["replace_unit", "replace_inspector"]
    assert active_rows(draw)[1] == draw.package["result"]["teams"]
    assert Assignment.objects.filter(draw=draw).count() == len(new_order) + 1  # nothing deleted


def test_event_errors_change_nothing(world, county_user, approver):
    for _ in range(3):
        f.institution(f.YANGCHENG, "H", credit_grade="差")  # full coverage: no reserve
    for _ in range(6):
        f.inspector(f.YANGCHENG, department=world.yb)
    draw = full_run(make_task(world, items=[world.general_h], slots=[(world.yb, 2)]), county_user, approver)
    before = Draw.objects.get(pk=draw.pk).package
    unit = draw.assignments.filter(active=True).first().institution
    event = actions.request_event(county_user, draw, type="replace_unit", institution=unit, reason_kind="closed")
    with pytest.raises(actions.ActionRefused, match="候补名单已用完"):
        actions.approve_event(approver, event)
    event.refresh_from_db()
    assert event.status == EventStatus.REQUESTED
    assert Draw.objects.get(pk=draw.pk).package == before
    assert draw.assignments.filter(active=False).count() == 0
    actions.reject_event(approver, event, "候补不足，改为延期检查")
    event.refresh_from_db()
    assert event.status == EventStatus.REJECTED


def test_event_requests_are_validated(world, staffed, county_user, approver):
    draw = full_run(make_task(world), county_user, approver)
    outsider = next(i for i in staffed["hospitals"] if not draw.assignments.filter(institution=i).exists())
    with pytest.raises(actions.ActionRefused, match="不在检查名单"):
        actions.request_event(county_user, draw, type="replace_unit", institution=outsider, reason_kind="closed")
    a = draw.assignments.filter(active=True).first()
    not_member = next(i for i in staffed["yb"] if not a.members.filter(inspector=i).exists())
    with pytest.raises(actions.ActionRefused, match="不在"):
        actions.request_event(county_user, draw, type="replace_inspector", institution=a.institution,
                              inspector=not_member, reason_kind="sickness")
    with pytest.raises(actions.ActionRefused, match="不符"):
        actions.request_event(county_user, draw, type="replace_unit", institution=a.institution,
                              reason_kind="sickness")
    with pytest.raises(actions.ActionRefused, match="其他"):
        actions.request_event(county_user, draw, type="replace_unit", institution=a.institution, reason_kind="other")


# --------------------------------------------------------------------------------------------
# Append-only


def test_nothing_is_deletable(world, staffed, county_user, approver, client_for):
    draw = full_run(make_task(world), county_user, approver)
    for obj in (draw, DrawSecret.objects.get(draw=draw), draw.assignments.first(),
                AssignmentMember.objects.filter(assignment__draw=draw).first()):
        with pytest.raises(AppendOnlyError):
            obj.delete()
    for model in (Draw, Assignment, AssignmentMember, DrawEvent, DrawSecret):
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()
    assert Draw.objects.filter(pk=draw.pk).exists()
    names = [p.name for p in get_resolver("spotcheck.draws.urls").url_patterns]
    assert not any("delete" in (n or "") for n in names)
    api = client_for(approver)
    assert api.delete(f"/api/draws/{draw.draw_id}/").status_code == 405

"""``draw_record_context``: the facts the written draw record renders."""

from __future__ import annotations

from spotcheck.draws import actions
from spotcheck.draws.models import DrawSecret
from spotcheck.draws.record import draw_record_context
from tests.factories import commit, make_task


def test_record_context_before_and_after_the_reveal(world, staffed, county_user, approver):
    draw = actions.freeze(county_user, make_task(world))
    commit(draw, county_user, approver)
    draw.refresh_from_db()
    secret = DrawSecret.objects.get(draw=draw).secret
    ctx = draw_record_context(draw)
    assert secret not in repr(ctx)
    assert ctx["secret"] is None and ctx["selection"] == []
    assert ctx["commitment"]["params_digest"] == draw.params_digest
    assert ctx["steps"]["frozen"]["username"] == county_user.username
    assert ctx["steps"]["committed"]["username"] == approver.username
    assert ctx["steps"]["revealed"] is None
    assert [s["stratum"] for s in ctx["strata"]] == ["140522|H|中等", "140522|P|良好"]
    assert ctx["teams"]["needs"][0]["needed"] == 4

    actions.propose_reveal(county_user, draw, "01 02 03 04 05 06 + 07")
    actions.approve_reveal(approver, draw)
    draw.refresh_from_db()
    first = draw.assignments.get(active=True, position=0)
    event = actions.request_event(county_user, draw, type="replace_unit", institution=first.institution,
                                  reason_kind="closed", reason="已注销")
    actions.approve_event(approver, event)
    draw.refresh_from_db()
    ctx = draw_record_context(draw)
    assert ctx["secret"] == secret and ctx["seed"] == draw.package["seed"]
    assert [r["fixmedins_code"] for r in ctx["selection"]] == draw.package["result"]["order"]
    assert all(len(r["team"]) == 3 for r in ctx["selection"])
    assert [r["fixmedins_code"] for r in ctx["replaced"]] == [first.institution.fixmedins_code]
    assert ctx["events"][0]["reason"] == "机构已关闭/注销：已注销"
    assert ctx["events"][0]["approved"]["username"] == approver.username

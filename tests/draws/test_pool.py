"""Freezing the pool: exclusions with reasons, strata and exact ratios, eligible inspectors, pairs."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.utils import timezone

from spotcheck.directory.models import Department, DepartmentKind, InspectorAbsence
from spotcheck.draws import actions
from spotcheck.draws.models import (
    Assignment,
    AssignmentMember,
    Draw,
    DrawExclusion,
    DrawStatus,
    ExclusionReason,
)
from spotcheck.draws.pool import freeze_input, stratum_ratio
from spotcheck.planning.models import Plan, TaskStatus
from spotcheck.policy.models import PolicySetting
from tests import factories as f
from tests.factories import make_task

MULTIPLIERS = {"优秀": [3, 10], "良好": [1, 2], "中等": [1, 1], "较差": [6, 5], "差": "full"}


def revealed_draw(task, selected: dict, seq: int = 1) -> Draw:
    """A revealed draw of ``task`` whose active assignments are ``{institution: [inspectors]}`` (test setup)."""
    now = timezone.now()
    draw = Draw.objects.create(
        draw_id=f"T-{task.pk}-{seq}", task=task, year=task.plan.year, seq=seq, status=DrawStatus.REVEALED,
        frozen_at=now, revealed_at=now,
    )
    for position, (inst, team) in enumerate(selected.items()):
        a = Assignment.objects.create(draw=draw, institution=inst, stratum="x", position=position)
        for k, insp in enumerate(team):
            AssignmentMember.objects.create(assignment=a, inspector=insp, position=k)
    return draw


@pytest.mark.parametrize(
    ("base", "grade", "expected"),
    [
        (Fraction(3, 100), "优秀", [9, 1000]),
        (Fraction(5, 100), "较差", [3, 50]),
        (Fraction(5, 100), "良好", [1, 40]),
        (Fraction(3, 100), "中等", [3, 100]),
        (Fraction(5, 100), "差", [1, 1]),
        (Fraction(90, 100), "较差", [1, 1]),  # 108% is capped at full coverage
    ],
)
def test_stratum_ratio_is_exact_and_reduced(base, grade, expected):
    assert stratum_ratio(base, grade, MULTIPLIERS) == expected


def test_unscaled_ratio_ignores_grade():
    assert stratum_ratio(Fraction(5, 100), "差", None) == [1, 20]


def test_freeze_strata_ids_and_ratios(world, county_user):
    excellent = f.institution(f.YANGCHENG, "H", credit_grade="优秀")
    bad = f.institution(f.YANGCHENG, "H", credit_grade="差")
    ungraded = f.institution(f.YANGCHENG, "H", credit_grade="")
    pharmacy = f.institution(f.YANGCHENG, "P", credit_grade="较差")
    f.institution(f.HUAIREN, "H")  # another area: never in the pool
    task = make_task(world, ratio_num=3, ratio_den=100)
    draw = actions.freeze(county_user, task)

    assert draw.units == sorted([
        [excellent.fixmedins_code, "140522|H|优秀"], [bad.fixmedins_code, "140522|H|差"],
        [ungraded.fixmedins_code, "140522|H|中等"], [pharmacy.fixmedins_code, "140522|P|较差"],
    ])
    assert draw.strata == {
        "140522|H|优秀": {"ratio": [9, 1000], "rounding": "ceil", "min": 0, "max": None},
        "140522|H|差": {"ratio": [1, 1], "rounding": "ceil", "min": 0, "max": None},
        "140522|H|中等": {"ratio": [3, 100], "rounding": "ceil", "min": 0, "max": None},
        "140522|P|较差": {"ratio": [9, 250], "rounding": "ceil", "min": 0, "max": None},
    }
    assert list(draw.strata) == sorted(draw.strata)
    assert draw.draw_id == f"{world.plan.year}-140522-001"
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAWING


def test_freeze_follows_policy_dimensions_and_rounding(world, county_user):
    PolicySetting.objects.create(key="draw.strata_dimensions", value=["kind", "level"], effective_from=dt.date(2000, 1, 1))
    PolicySetting.objects.create(key="draw.rounding", value="half_up", effective_from=dt.date(2000, 1, 1))
    f.institution(f.YANGCHENG, "H", level="3")
    task = make_task(world, credit_scaled=False)
    draw = actions.freeze(county_user, task)
    assert draw.strata == {"H|3": {"ratio": [1, 20], "rounding": "half_up", "min": 0, "max": None}}


def test_unscaled_task_ignores_the_grade_dimension(world, county_user):
    """Not credit-scaled: strata are area × kind, so 5% of 56 hospitals of mixed grades gives 3 targets
    (per grade it would be ceil(5% of each grade): one per grade present, 5 here)."""
    grades = ["优秀"] * 12 + ["良好"] * 15 + ["中等"] * 14 + ["较差"] * 10 + ["差"] * 3 + [""] * 2
    hospitals = [f.institution(f.YANGCHENG, "H", credit_grade=g) for g in grades]
    task = make_task(world, items=[world.general_h], credit_scaled=False)
    draw = actions.freeze(county_user, task)
    assert draw.strata == {"140522|H": {"ratio": [1, 20], "rounding": "ceil", "min": 0, "max": None}}
    assert sorted(draw.units) == sorted([h.fixmedins_code, "140522|H"] for h in hospitals)
    assert actions.preview_sizes(draw) == {"140522|H": {"population": 56, "sample_size": 3}}
    # The same pool credit-scaled keeps one stratum per grade (and a larger total).
    scaled = freeze_input(make_task(world, items=[world.general_h], credit_scaled=True))
    assert {h.rsplit("|", 1)[1] for h in scaled.strata} == {"优秀", "良好", "中等", "较差", "差"}


def test_unscaled_task_with_grade_as_only_dimension_is_one_stratum(world):
    PolicySetting.objects.create(key="draw.strata_dimensions", value=["grade"], effective_from=dt.date(2000, 1, 1))
    f.institution(f.YANGCHENG, "H", credit_grade="优秀")
    f.institution(f.YANGCHENG, "P", credit_grade="差")
    frozen = freeze_input(make_task(world, credit_scaled=False))
    assert list(frozen.strata) == ["全部"] and {h for _code, h in frozen.units} == {"全部"}


def test_credit_scaling_needs_the_grade_dimension(world, county_user):
    PolicySetting.objects.create(key="draw.strata_dimensions", value=["kind"], effective_from=dt.date(2000, 1, 1))
    f.institution(f.YANGCHENG, "H")
    with pytest.raises(actions.ActionRefused, match="信用等级"):
        actions.freeze(county_user, make_task(world))
    assert not Draw.objects.exists()


def test_item_kinds_select_institution_kinds(world):
    h = f.institution(f.YANGCHENG, "H")
    p = f.institution(f.YANGCHENG, "P")
    codes = lambda task: [u[0] for u in freeze_input(task).units]  # noqa: E731
    assert codes(make_task(world, items=[world.general_h])) == [h.fixmedins_code]
    assert codes(make_task(world, items=[world.general_p])) == [p.fixmedins_code]
    assert codes(make_task(world, items=[world.agency])) == []
    assert codes(make_task(world, items=[])) == sorted([h.fixmedins_code, p.fixmedins_code])


def test_directed_scope_filters(world):
    risky = f.institution(f.YANGCHENG, "H", credit_grade="较差", risk_flag=True)
    f.institution(f.YANGCHENG, "H", credit_grade="较差")
    ungraded = f.institution(f.YANGCHENG, "H", credit_grade="")
    task = make_task(world, directed=True, scope_filters={"credit_grade": ["较差"], "risk_flag": True})
    assert [u[0] for u in freeze_input(task).units] == [risky.fixmedins_code]
    task2 = make_task(world, directed=True, scope_filters={"credit_grade": [""]})
    assert [u[0] for u in freeze_input(task2).units] == [ungraded.fixmedins_code]
    task3 = make_task(world, directed=True)
    task3.scope_list.set([ungraded])
    assert [u[0] for u in freeze_input(task3).units] == [ungraded.fixmedins_code]


def test_pool_exclusions_with_reasons(world, county_user):
    ok = f.institution(f.YANGCHENG, "H", credit_grade="良好")
    suspended = f.institution(f.YANGCHENG, "H", contract_status="suspended")
    terminated = f.institution(f.YANGCHENG, "H", contract_status="terminated")
    checked = f.institution(f.YANGCHENG, "H", credit_grade="良好")
    checked_bad = f.institution(f.YANGCHENG, "H", credit_grade="差")
    earlier = make_task(world, items=[world.general_h, world.key_h], name="上半年")
    revealed_draw(earlier, {checked: [], checked_bad: []})

    task = make_task(world, items=[world.general_h], name="下半年")
    draw = actions.freeze(county_user, task)
    codes = {u[0] for u in draw.units}
    assert codes == {ok.fixmedins_code, checked_bad.fixmedins_code}  # 差 is exempt from the cap
    reasons = {e.institution_id: e for e in DrawExclusion.objects.filter(draw=draw)}
    assert reasons[suspended.pk].reason == ExclusionReason.SUSPENDED
    assert reasons[suspended.pk].get_reason_display() == "协议暂停"
    assert reasons[terminated.pk].reason == ExclusionReason.TERMINATED
    assert reasons[checked.pk].reason == ExclusionReason.ANNUAL_CAP
    assert "上半年" in reasons[checked.pk].detail and "事项1" in reasons[checked.pk].detail
    assert set(reasons) == {suspended.pk, terminated.pk, checked.pk}


def test_annual_cap_exemptions_and_limits(world):
    inst = f.institution(f.YANGCHENG, "H", credit_grade="良好")
    earlier = make_task(world, items=[world.general_h, world.key_h], name="上半年")
    revealed_draw(earlier, {inst: []})
    in_pool = lambda task: inst.fixmedins_code in {u[0] for u in freeze_input(task).units}  # noqa: E731

    assert not in_pool(make_task(world, items=[world.general_h]))
    assert in_pool(make_task(world, items=[world.key_h]))  # 重点 items are exempt
    assert in_pool(make_task(world, items=[world.general_h], exclude_checked_this_year=False))
    other_year = Plan.objects.create(region_id=f.YANGCHENG, year=world.plan.year + 1, name="次年计划")
    assert in_pool(make_task(world, items=[world.general_h], plan=other_year))
    # without the key-item exemption the 重点 item counts as well
    PolicySetting.objects.create(key="draw.annual_cap_exempt", value=["grade_bad"], effective_from=dt.date(2000, 1, 1))
    assert not in_pool(make_task(world, items=[world.key_h]))


def test_annual_cap_ignores_failed_draws_and_replaced_assignments(world):
    inst = f.institution(f.YANGCHENG, "H")
    earlier = make_task(world, items=[world.general_h])
    draw = revealed_draw(earlier, {inst: []})
    in_pool = lambda: inst.fixmedins_code in {u[0] for u in freeze_input(make_task(world, items=[world.general_h])).units}  # noqa: E731
    assert not in_pool()
    Assignment.objects.filter(draw=draw).update(active=False)
    assert in_pool()
    Assignment.objects.filter(draw=draw).update(active=True)
    Draw.objects.filter(pk=draw.pk).update(status=DrawStatus.FAILED)
    assert in_pool()


def test_eligible_inspectors(world):
    f.institution(f.YANGCHENG, "H")
    good = f.inspector(f.YANGCHENG, department=world.yb)
    expired = f.inspector(f.YANGCHENG, department=world.yb, cert_valid_to=world.start + dt.timedelta(days=10))
    no_cert = f.inspector(f.YANGCHENG, department=world.yb, cert_number="")
    on_leave = f.inspector(f.YANGCHENG, department=world.yb, status="on_leave")
    transferred = f.inspector(f.YANGCHENG, department=world.sj, status="transferred")
    absent = f.inspector(f.YANGCHENG, department=world.sj)
    InspectorAbsence.objects.create(inspector=absent, start=world.end - dt.timedelta(days=3),
                                    end=world.end + dt.timedelta(days=3), reason="培训")
    absent_before = f.inspector(f.YANGCHENG, department=world.sj)
    InspectorAbsence.objects.create(inspector=absent_before, start=world.start - dt.timedelta(days=20),
                                    end=world.start - dt.timedelta(days=1), reason="休假")
    wj = f.department(f.YANGCHENG, DepartmentKind.HEALTH_COMMISSION)
    f.inspector(f.YANGCHENG, department=wj)  # department not in the team slots

    frozen = freeze_input(make_task(world))
    assert frozen.teams["inspectors"] == [
        [good.number, world.yb.name], [absent_before.number, world.sj.name],
    ]
    rejected = dict(frozen.inspector_exclusions)
    assert set(rejected) == {expired.number, no_cert.number, on_leave.number, transferred.number, absent.number}
    assert "执法证" in rejected[expired.number] and "执法证" in rejected[no_cert.number]
    assert "休假" in rejected[on_leave.number]
    assert "调离" in rejected[transferred.number]
    assert "培训" in rejected[absent.number]
    assert frozen.teams["slots"] == [{"department": world.yb.name, "count": 2}, {"department": world.sj.name, "count": 1}]
    assert frozen.teams["cap"] == 3


def test_exclusion_pairs(world):
    a = f.institution(f.YANGCHENG, "H")
    b = f.institution(f.YANGCHENG, "H")
    gone = f.institution(f.YANGCHENG, "H", contract_status="terminated")
    x = f.inspector(f.YANGCHENG, department=world.yb)
    y = f.inspector(f.YANGCHENG, department=world.yb)
    city_dept = Department.objects.create(region_id="140500", kind=DepartmentKind.HEALTHCARE_SECURITY, name="晋城市医疗保障局")
    z = f.inspector("140500", department=city_dept)
    f.conflict(x, a)  # long-term
    f.conflict(y, a, valid_from=dt.date(2020, 1, 1), valid_to=world.start - dt.timedelta(days=1))  # expired
    f.conflict(y, b, reason="self_request", valid_from=world.end)  # starts on the last day: active
    f.conflict(x, gone)  # institution outside the pool: dropped

    task = make_task(world, slots=[(world.yb, 1), (city_dept, 1)])
    frozen = freeze_input(task)
    assert frozen.teams["exclusions"] == sorted([[a.fixmedins_code, x.number], [b.fixmedins_code, y.number]])
    assert dict(((u, i), r) for u, i, r in frozen.pair_reasons)[(b.fixmedins_code, y.number)] == "回避登记：本人申请"

    cross = make_task(world, slots=[(world.yb, 1), (city_dept, 1)], cross_area=True)
    pairs = {tuple(p) for p in freeze_input(cross).teams["exclusions"]}
    assert {(inst.fixmedins_code, insp.number) for inst in (a, b) for insp in (x, y)} <= pairs
    assert not any(i == z.number for _, i in pairs)

    # last round: the teams of the latest revealed draw of a task in the area sharing an item
    earlier = make_task(world, items=[world.general_h], name="上一轮")
    revealed_draw(earlier, {b: [x, z]})
    again = make_task(world, slots=[(world.yb, 1), (city_dept, 1)], exclude_checked_this_year=False)
    pairs = {tuple(p) for p in freeze_input(again).teams["exclusions"]}
    assert (b.fixmedins_code, x.number) in pairs and (b.fixmedins_code, z.number) in pairs
    no_last = make_task(world, slots=[(world.yb, 1), (city_dept, 1)], exclude_checked_this_year=False,
                        exclude_last_round_pairs=False)
    pairs = {tuple(p) for p in freeze_input(no_last).teams["exclusions"]}
    assert (b.fixmedins_code, z.number) not in pairs


def test_freeze_permissions_and_single_open_draw(world, county_user, huairen_user, inspector_user):
    f.institution(f.YANGCHENG, "H")
    task = make_task(world)
    from django.core.exceptions import PermissionDenied

    for user in (huairen_user, inspector_user):
        with pytest.raises(PermissionDenied):
            actions.freeze(user, task)
    actions.freeze(county_user, task)
    with pytest.raises(actions.ActionRefused, match="已有抽取"):
        actions.freeze(county_user, task)


def test_empty_pool_is_refused(world, county_user):
    with pytest.raises(actions.ActionRefused, match="没有可抽取的机构"):
        actions.freeze(county_user, make_task(world))
    assert not Draw.objects.exists()

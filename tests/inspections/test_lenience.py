"""The lenience engine over the database (spotcheck.inspections.lenience)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from spotcheck.core.lenience import Treatment
from spotcheck.draws.models import Assignment, Draw
from spotcheck.inspections import lenience
from spotcheck.inspections.models import Finding, Inspection, LenienceEntry, ViolationType
from spotcheck.policy.models import PolicySetting
from tests import factories as f
from tests.factories import make_task

_n = itertools.count(1)

END = dt.date(2026, 6, 30)


@pytest.fixture
def task(world):  # noqa: F811
    return make_task(world)


def inspection(task, institution, ended_on: dt.date | None = END) -> Inspection:
    n = next(_n)
    draw = Draw.objects.create(draw_id=f"T-{n}", task=task, year=2026, seq=n, frozen_at=timezone.now())
    assignment = Assignment.objects.create(draw=draw, institution=institution, stratum="s", position=0)
    return Inspection.objects.create(
        assignment=assignment, task=task, institution=institution, region_id=f.YANGCHENG, ended_on=ended_on
    )


def saved(insp: Inspection, act_code: str, amount: str = "0") -> Finding:
    item = finding(insp, act_code, amount)
    item.act_code, item.article = act_code, int(act_code.split("-")[0])
    item.save()
    return item


def vtype(kind: str, act_code: str) -> ViolationType:
    return ViolationType.objects.filter(kind=kind, act_code=act_code).order_by("seq").first()


def finding(insp: Inspection, act_code: str, amount: str, corrected: bool = True, **extra) -> Finding:
    """An unsaved finding; ``act_code``/``article`` left blank (taken from the violation type)."""
    return Finding(
        inspection=insp,
        violation_type=vtype(insp.institution.kind, act_code),
        description="测试问题",
        amount=Decimal(amount),
        corrected_on_site=corrected,
        **extra,
    )


def test_800_yuan_duplicate_charge_corrected_is_no_penalty(task):
    insp = inspection(task, f.institution(kind="H"))
    item = finding(insp, "38-duplicate-charge", "800")
    result = lenience.apply_recommendation(item)
    assert item.pk is None  # not saved
    assert item.act_code == "38-duplicate-charge" and item.article == 38
    assert result.treatment is Treatment.NO_PENALTY
    assert item.recommended_treatment == "不予处罚"
    assert item.recommended_entry["list"] == "不予处罚"
    assert item.recommended_entry["number"] == 2
    assert "重复收费" in item.recommended_entry["act_text"]
    assert "裁量权办法" in item.recommended_entry["basis"]
    assert "1,000.00 元" in item.recommended_entry["conditions"]
    assert "不予处罚" in item.recommendation and "800.00 元" in item.recommendation
    assert "责令退回 800.00 元" in item.statutory_range
    item.save()  # the filled fields are valid for the model
    assert Finding.objects.get(pk=item.pk).recommended_treatment == "不予处罚"


def test_1200_yuan_is_statutory_with_refund_and_one_to_two_times(task):
    insp = inspection(task, f.institution(kind="H"))
    item = finding(insp, "38-duplicate-charge", "1200")
    result = lenience.apply_recommendation(item)
    assert result.treatment is Treatment.STATUTORY
    assert item.recommended_treatment == "依法处罚"
    assert item.recommended_entry is None
    assert "责令退回 1,200.00 元" in item.statutory_range
    assert "1～2 倍" in item.statutory_range
    assert "1,200.00 元～2,400.00 元" in item.statutory_range


def test_39_act_found_twice_in_window_is_not_first_offence(task):
    inst = f.institution(kind="P")
    earlier = inspection(task, inst, ended_on=END - dt.timedelta(days=200))
    saved(earlier, "39-no-internal-system", "0")
    now = inspection(task, inst)
    item = finding(now, "39-no-internal-system", "0")
    result = lenience.apply_recommendation(item)
    assert item.earlier_same_act_count == 1
    assert result.treatment is Treatment.STATUTORY
    assert "首违不罚" in item.recommendation  # names the list it did not meet


def test_39_act_first_time_is_first_offence_and_old_findings_fall_out_of_window(task):
    inst = f.institution(kind="P")
    old = inspection(task, inst, ended_on=END - dt.timedelta(days=365 * 2 + 10))  # > 24 months
    saved(old, "39-no-internal-system", "0")
    other_act = inspection(task, inst, ended_on=END - dt.timedelta(days=30))
    saved(other_act, "38-substitution", "10")
    other_inst = inspection(task, f.institution(kind="P"), ended_on=END - dt.timedelta(days=30))
    saved(other_inst, "39-no-internal-system", "0")
    now = inspection(task, inst)
    saved(now, "39-no-internal-system", "0")  # same inspection: found at the same time
    item = finding(now, "39-no-internal-system", "0")
    result = lenience.apply_recommendation(item)
    assert item.earlier_same_act_count == 0
    assert result.treatment is Treatment.FIRST_OFFENCE
    assert item.recommended_entry["list"] == "首违不罚"


def test_lookback_uses_policy_and_creation_date_when_no_end(task):
    inst = f.institution(kind="P")
    earlier = inspection(task, inst, ended_on=None)  # created today
    saved(earlier, "39-no-internal-system", "0")
    before = timezone.localdate() + dt.timedelta(days=40)
    assert lenience.earlier_same_act_count(inst, "39-no-internal-system", before) == 1
    PolicySetting.objects.create(
        key="lenience.first_offence_lookback_months", value=1, effective_from=dt.date(2000, 1, 1), note="测试"
    )
    assert lenience.earlier_same_act_count(inst, "39-no-internal-system", before) == 0


def test_threshold_change_via_policy_changes_result(task):
    insp = inspection(task, f.institution(kind="H"))
    item = finding(insp, "38-duplicate-charge", "800")
    assert lenience.apply_recommendation(item).treatment is Treatment.NO_PENALTY
    PolicySetting.objects.create(
        key="lenience.amount_threshold", value="500", effective_from=END - dt.timedelta(days=1), note="测试"
    )
    assert lenience.params_on(END).amount_threshold == Decimal("500")
    assert lenience.apply_recommendation(item).treatment is Treatment.STATUTORY
    # the value in force on the day the finding counts as found applies
    assert lenience.apply_recommendation(item, on=END - dt.timedelta(days=2)).treatment is Treatment.NO_PENALTY


def test_editing_entry_conditions_changes_result(task):
    insp = inspection(task, f.institution(kind="H"))
    item = finding(insp, "38-duplicate-charge", "800")
    assert lenience.apply_recommendation(item).treatment is Treatment.NO_PENALTY
    row = LenienceEntry.objects.get(kind="不予处罚", act_code="38-duplicate-charge")
    row.conditions = [{"kind": "circumstance", "article": "第六条"}]
    row.save()
    assert lenience.apply_recommendation(item).treatment is Treatment.STATUTORY
    item.circumstances = ["art6"]
    result = lenience.apply_recommendation(item)
    assert result.treatment is Treatment.NO_PENALTY
    assert "第六条" in item.recommendation


def test_inactive_entry_is_ignored(task):
    insp = inspection(task, f.institution(kind="H"))
    LenienceEntry.objects.filter(act_code="38-duplicate-charge").update(active=False)
    item = finding(insp, "38-duplicate-charge", "800")
    assert lenience.apply_recommendation(item).treatment is Treatment.STATUTORY
    assert "不在包容审慎清单内" in item.recommendation


def test_malformed_stored_conditions_name_the_row(db):
    LenienceEntry.objects.filter(kind="不予处罚", number=2).update(conditions=[{"article": "x"}])
    with pytest.raises(ValueError, match="不予处罚事项清单》第 2 项"):
        lenience.entries_from_db()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 15), 24, dt.date(2024, 1, 15)),
        (dt.date(2024, 2, 29), 12, dt.date(2023, 2, 28)),
        (dt.date(2026, 1, 31), 13, dt.date(2024, 12, 31)),
    ],
)
def test_months_before(day, months, expected):
    assert lenience.months_before(day, months) == expected

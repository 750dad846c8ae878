"""A small 阳城 directory, a plan with items and tasks, and helpers to walk a draw through its steps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.directory.models import Department, DepartmentKind
from spotcheck.draws import actions
from spotcheck.draws.models import Draw
from spotcheck.planning.models import CheckItem, ItemList, ItemType, Plan, Task, TeamSlot
from tests import factories as f

JINCHENG = "140500"


@dataclass
class World:
    plan: Plan
    general_h: CheckItem
    key_h: CheckItem
    general_p: CheckItem
    agency: CheckItem
    yb: Department
    sj: Department
    start: dt.date
    end: dt.date


def make_task(world: World, *, items: list[CheckItem] | None = None, slots: list[tuple[Department, int]] | None = None,
              plan: Plan | None = None, **extra: Any) -> Task:
    """A 阳城 task (5%, credit scaled) with the given items and team slots (default 医保局×2 + 市监局×1)."""
    plan = plan or world.plan
    data: dict[str, Any] = {
        "plan": plan, "region_id": f.YANGCHENG, "name": extra.pop("name", f"任务{Task.objects.count() + 1}"),
        "period_start": world.start, "period_end": world.end, "ratio_num": 5, "ratio_den": 100,
        "responsible_department": world.yb, "cap": 3,
    }
    data.update(extra)
    task = Task.objects.create(**data)
    task.items.set(items if items is not None else [world.general_h, world.general_p])
    for order, (dept, count) in enumerate(slots if slots is not None else [(world.yb, 2), (world.sj, 1)]):
        TeamSlot.objects.create(task=task, department=dept, count=count, order=order)
    return task


@pytest.fixture
def world(db) -> World:
    today = timezone.localdate()
    start, end = today + dt.timedelta(days=30), today + dt.timedelta(days=90)
    item_list = ItemList.objects.create(region_id=JINCHENG, year=start.year, name="事项清单")

    def item(seq: int, kind: str, item_type: str) -> CheckItem:
        return CheckItem.objects.create(
            item_list=item_list, seq=seq, category="医保基金使用", name=f"事项{seq}", target="定点机构",
            target_kind=kind, item_type=item_type, ratio_text="3%", ratio_num=3, ratio_den=100,
        )

    plan = Plan.objects.create(region_id=f.YANGCHENG, year=start.year, name="年度计划", item_list=item_list)
    return World(
        plan=plan,
        general_h=item(1, "H", ItemType.GENERAL), key_h=item(2, "H", ItemType.KEY),
        general_p=item(3, "P", ItemType.GENERAL), agency=item(4, "agency", ItemType.GENERAL),
        yb=f.department(f.YANGCHENG, DepartmentKind.HEALTHCARE_SECURITY),
        sj=f.department(f.YANGCHENG, DepartmentKind.MARKET_REGULATION),
        start=start, end=end,
    )


@pytest.fixture
def staffed(world):
    """Ten hospitals (中等) and four pharmacies in 阳城, six 医保局 and three 市监局 inspectors."""
    hospitals = [f.institution(f.YANGCHENG, "H", credit_grade="中等") for _ in range(10)]
    pharmacies = [f.institution(f.YANGCHENG, "P", credit_grade="良好") for _ in range(4)]
    yb = [f.inspector(f.YANGCHENG, department=world.yb) for _ in range(6)]
    sj = [f.inspector(f.YANGCHENG, department=world.sj) for _ in range(3)]
    return {"hospitals": hospitals, "pharmacies": pharmacies, "yb": yb, "sj": sj}


@pytest.fixture
def approver(db):
    """晋城市局管理员: holds ``approve`` over 阳城."""
    return f.user("t-jc-approver", Role.CITY_ADMIN, JINCHENG)


@pytest.fixture
def approver2(db):
    return f.user("t-jc-approver2", Role.CITY_ADMIN, JINCHENG)


def commit(draw: Draw, proposer: Any, approver: Any, sources: list[str] | None = None) -> Draw:
    """Staffing check, propose and approve the commitment."""
    actions.check_staffing(proposer, draw)
    actions.propose_commit(proposer, draw, sources or ["中国福利彩票双色球第2026135期开奖号码"])
    return actions.approve_commit(approver, draw)


def reveal(draw: Draw, proposer: Any, approver: Any, text: str = "双色球 2026135: 03 07 12 19 25 31 + 09") -> Draw:
    actions.propose_reveal(proposer, draw, text)
    return actions.approve_reveal(approver, draw)


def full_run(task: Task, proposer: Any, approver: Any) -> Draw:
    draw = actions.freeze(proposer, task)
    commit(draw, proposer, approver)
    return reveal(draw, proposer, approver)

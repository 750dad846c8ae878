"""Loadable examples from the source documents: two 2023 item lists and two annual plans.

- 朔州市医疗保障局 2023 年度随机抽查事项清单 (朔医保发〔2023〕37号 附件4): four items.
- 阳城县医疗保障局本部门随机抽查事项清单 (阳医保发〔2023〕10号): two items. The published table
  runs the 检查依据 cell of its two rows together; the 经办 documents are the basis of item 1 and the
  laws and 定点服务协议 that of item 2 (定点医药机构), which is how they are split here.
- 阳城 2023 工作计划: one task, exactly as the work plan states it.
- 朔州 2023: a plan with one task for item 2 (a worked example; the notice does not contain a plan).

``load_examples`` is idempotent: a list or plan already present (same area, year and name) is
left untouched. Plans need their departments (created by ``spotcheck demo-data``); when any is
missing the plan is skipped and the report names the missing departments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from spotcheck.base.permissions import can
from spotcheck.base.transactions import atomic_action
from spotcheck.directory.models import Department

from . import actions
from .models import ItemList, ItemType, Plan, TargetKind
from .ratios import parse_percent

SHUOZHOU, YANGCHENG = "140600", "140522"


@dataclass(frozen=True)
class ItemExample:
    seq: int
    category: str
    name: str
    target: str
    target_kind: str
    item_type: str
    methods: str
    subjects: str
    basis: str
    ratio_text: str = ""
    frequency: str = ""


@dataclass(frozen=True)
class ItemListExample:
    region: str
    year: int
    name: str
    issuer: str
    doc_number: str
    items: tuple[ItemExample, ...]


@dataclass(frozen=True)
class TaskExample:
    name: str
    period: tuple[dt.date, dt.date]
    scope_text: str
    percent: str
    item_seqs: tuple[int, ...]
    item_summary: str
    method: str
    responsible: str
    slots: tuple[tuple[str, int], ...]
    credit_scaled: bool
    joint_departments: tuple[str, ...] = ()
    scope_filters: dict[str, Any] = field(default_factory=dict)
    notes: str = ""


@dataclass(frozen=True)
class PlanExample:
    region: str
    year: int
    name: str
    doc_number: str
    item_list: str  # name of the ItemListExample the plan is based on
    tasks: tuple[TaskExample, ...]
    notes: str = ""


_SZ_CAT_H = "定点医疗机构医疗保障基金使用监督管理"
_SZ_CAT_P = "定点零售药店医疗保障基金使用监督管理"
_SZ_SUBJECTS = "朔州市医疗保障局，朔州市医疗保险服务中心"
_SZ_BASIS_MGMT = "《医疗保障基金使用监督管理条例》第十四条、第三十九条。"
_SZ_BASIS_USE = "《医疗保障基金使用监督管理条例》第十五条、第三十八条。"
_SZ_METHODS_ALL = "现场检查、网络检查、书面检查"
_SZ_METHODS_USE = "现场检查、网络检查"


def _sz_item(seq: int, kind: str, key: bool) -> ItemExample:
    """One row of 附件4: kind H/P × internal-management (一般) or fund-use (重点) check."""
    what = "定点医疗机构" if kind == TargetKind.MEDICAL else "定点零售药店"
    return ItemExample(
        seq=seq,
        category=_SZ_CAT_H if kind == TargetKind.MEDICAL else _SZ_CAT_P,
        name=f"{what}医疗保障基金规范使用的检查" if key else f"{what}医疗保障基金使用内部管理制度检查",
        target=f"全市{what}",
        target_kind=kind,
        item_type=ItemType.KEY if key else ItemType.GENERAL,
        ratio_text="不低于 3%" if key else "3%",
        frequency="每年至少一次" if key else "每年一次",
        methods=_SZ_METHODS_USE if key else _SZ_METHODS_ALL,
        subjects=_SZ_SUBJECTS,
        basis=_SZ_BASIS_USE if key else _SZ_BASIS_MGMT,
    )


SHUOZHOU_2023 = ItemListExample(
    region=SHUOZHOU,
    year=2023,
    name="朔州市医疗保障局2023年度“双随机、一公开”随机抽查事项清单",
    issuer="朔州市医疗保障局",
    doc_number="朔医保发〔2023〕37号 附件4",
    items=(
        _sz_item(1, TargetKind.MEDICAL, key=False),
        _sz_item(2, TargetKind.MEDICAL, key=True),
        _sz_item(3, TargetKind.PHARMACY, key=False),
        _sz_item(4, TargetKind.PHARMACY, key=True),
    ),
)

YANGCHENG_2023 = ItemListExample(
    region=YANGCHENG,
    year=2023,
    name="阳城县医疗保障局本部门随机抽查事项清单",
    issuer="阳城县医疗保障局",
    doc_number="阳医保发〔2023〕10号",
    items=(
        ItemExample(
            seq=1,
            category="医疗保障经办机构",
            name="对全县所有统筹区执行全省统一的医疗保障经办政务服务事项清单和办事指南，并根据实际情况调整和更新检查",
            target="医疗保障经办机构",
            target_kind=TargetKind.AGENCY,
            item_type=ItemType.GENERAL,
            methods="现场检查",
            subjects="阳城县医疗保障局",
            basis=(
                "山西省医疗保障管理服务中心关于印发《山西省医疗保障经办政务服务事项清单（2022版）》的通知"
                "（晋医险函〔2022〕91号）、晋城市医疗保障服务中心关于转发山西省医疗保障管理服务中心《关于印发"
                "〈山西省医疗保障经办政务服务事项清单（2022版）〉的通知》（晋市医险函〔2022〕35号）"
            ),
        ),
        ItemExample(
            seq=2,
            category="定点医药机构",
            name="对全县医保定点医药机构纳入医疗保障基金支付范围的医疗服务行为和医疗费用的检查",
            target="全县范围内定点医药机构",
            target_kind=TargetKind.ALL,
            item_type=ItemType.GENERAL,
            methods="现场检查",
            subjects="阳城县医疗保障局",
            basis=(
                "《社会保险法》、《基本医疗卫生与健康促进法》、《医疗保障基金使用监督管理条例》、"
                "《阳城县医疗保障定点医疗机构医疗服务协议》、《阳城县医疗保险定点零售药店服务协议》"
            ),
        ),
    ),
)

ITEM_LISTS = (SHUOZHOU_2023, YANGCHENG_2023)

YANGCHENG_PLAN_2023 = PlanExample(
    region=YANGCHENG,
    year=2023,
    name="阳城县医疗保障局2023年度“双随机、一公开”监管抽查检查工作计划",
    doc_number="阳医保发〔2023〕10号",
    item_list=YANGCHENG_2023.name,
    tasks=(
        TaskExample(
            name="全县定点医药机构的检查",
            period=(dt.date(2023, 10, 1), dt.date(2023, 12, 31)),
            scope_text="全县定点医药机构",
            percent="5",
            item_seqs=(2,),
            item_summary="医保基金使用情况",
            method="实地检查",
            responsible="阳城县医疗保障局",
            joint_departments=("阳城县市场监督管理局", "阳城县卫生健康和体育局"),
            slots=(("阳城县医疗保障局", 2), ("阳城县市场监督管理局", 1), ("阳城县卫生健康和体育局", 1)),
            credit_scaled=False,  # the work plan states a flat 5% of all designated institutions
        ),
    ),
)

SHUOZHOU_PLAN_2023 = PlanExample(
    region=SHUOZHOU,
    year=2023,
    name="朔州市医疗保障局2023年度“双随机、一公开”抽查计划（示例）",
    doc_number="",
    item_list=SHUOZHOU_2023.name,
    notes="示例计划：依据朔医保发〔2023〕37号附件4第2项，按信用等级调整抽查比例（附件3第十一条）。",
    tasks=(
        TaskExample(
            name="定点医疗机构医疗保障基金规范使用的检查",
            period=(dt.date(2023, 9, 15), dt.date(2023, 12, 15)),
            scope_text="全市定点医疗机构",
            percent="3",
            item_seqs=(2,),
            item_summary="定点医疗机构医疗保障基金规范使用的检查",
            method="现场检查",
            responsible="朔州市医疗保障局",
            slots=(("朔州市医疗保障局", 1), ("朔州市医疗保险服务中心", 1)),
            credit_scaled=True,  # undirected: item 2 targets 定点医疗机构, which limits the draw to them
        ),
    ),
)

PLANS = (YANGCHENG_PLAN_2023, SHUOZHOU_PLAN_2023)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    missing_departments: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"已创建：{name}" for name in self.created]
        out += [f"已存在，未改动：{name}" for name in self.existing]
        out += [f"不在您的管辖范围，未载入：{name}" for name in self.out_of_scope]
        out += [
            f"缺少部门 {'、'.join(depts)}，未创建计划：{plan}（请先运行 spotcheck demo-data 或在名录库中添加这些部门）"
            for plan, depts in self.missing_departments.items()
        ]
        return out


def _may_write(actor: Any, region_code: str) -> bool:
    return can(actor, "plan") and actor.in_scope(region_code)


def _load_list(actor: Any, ex: ItemListExample, report: LoadReport) -> None:
    if ItemList.objects.filter(region_id=ex.region, year=ex.year, name=ex.name).exists():
        report.existing.append(ex.name)
        return
    item_list = actions.create_item_list(
        actor,
        {"region_id": ex.region, "year": ex.year, "name": ex.name, "issuer": ex.issuer, "doc_number": ex.doc_number},
        reason="载入示例",
    )
    for item in ex.items:
        actions.create_item(actor, item_list, asdict(item), reason="载入示例")
    report.created.append(ex.name)


def _load_plan(actor: Any, ex: PlanExample, report: LoadReport) -> None:
    if Plan.objects.filter(region_id=ex.region, year=ex.year, name=ex.name).exists():
        report.existing.append(ex.name)
        return
    names = {n for t in ex.tasks for n in (t.responsible, *t.joint_departments, *(d for d, _ in t.slots))}
    departments = Department.objects.in_bulk(names, field_name="name")
    missing = sorted(names - departments.keys())
    if missing:
        report.missing_departments[ex.name] = missing
        return
    item_list = ItemList.objects.get(region_id=ex.region, year=ex.year, name=ex.item_list)
    plan = actions.create_plan(
        actor,
        {"region_id": ex.region, "year": ex.year, "name": ex.name, "doc_number": ex.doc_number,
         "item_list": item_list, "notes": ex.notes},
        reason="载入示例",
    )
    for seq, task in enumerate(ex.tasks, start=1):
        num, den = parse_percent(task.percent)
        actions.create_task(
            actor,
            plan,
            {
                "seq": seq, "name": task.name, "period_start": task.period[0], "period_end": task.period[1],
                "scope_text": task.scope_text, "ratio_num": num, "ratio_den": den,
                "credit_scaled": task.credit_scaled, "items": list(item_list.items.filter(seq__in=task.item_seqs)),
                "item_summary": task.item_summary, "directed": bool(task.scope_filters),
                "scope_filters": dict(task.scope_filters), "method": task.method,
                "joint": bool(task.joint_departments), "responsible_department": departments[task.responsible],
                "joint_departments": [departments[n] for n in task.joint_departments], "notes": task.notes,
            },
            [actions.Slot(departments[name], count) for name, count in task.slots],
            reason="载入示例",
        )
    report.created.append(ex.name)


def load_examples(actor: Any, year: int = 2023) -> LoadReport:
    """Load the examples of ``year`` in ``actor``'s area (all for the CLI's system actor), atomically."""
    lists = [ex for ex in ITEM_LISTS if ex.year == year]
    if not lists:
        years = "、".join(str(y) for y in sorted({ex.year for ex in ITEM_LISTS}))
        raise ValidationError(f"没有 {year} 年度的示例（现有：{years}）")
    report = LoadReport()
    with atomic_action():
        for ex in lists:
            if _may_write(actor, ex.region):
                _load_list(actor, ex, report)
            else:
                report.out_of_scope.append(ex.name)
        for plan_ex in (p for p in PLANS if p.year == year):
            if _may_write(actor, plan_ex.region):
                _load_plan(actor, plan_ex, report)
            else:
                report.out_of_scope.append(plan_ex.name)
    return report

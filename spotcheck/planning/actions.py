"""Every write to item lists, plans and tasks. Views, the API and the CLI call these, never ``save()``.

Each function validates, checks ``require(actor, "plan", region)`` (where the row is and where it
would move to), writes, and appends an audit event with before/after, in one transaction. Item
lists, items and plans go through ``directory.actions`` (``create``/``update``/``delete`` with
``action="plan"``); tasks, whose state spans several tables, are written here.
Command-line callers pass ``directory.io.SYSTEM_ACTOR`` (every permission, audited as ``cli``).
Task status is not written here: the draws app owns it. Once a task has a draw its draw fields
(``models.DRAW_FIELDS``) and team slots are fixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max
from django.utils import timezone

from spotcheck import policy
from spotcheck.audit.actions import record, record_deletions, record_rows
from spotcheck.base.actions import ActionRefused, action, atomic_action, user_of
from spotcheck.base.scope import require
from spotcheck.core.codes import fixmedins_region, region_contains, region_prefix
from spotcheck.directory.actions import changed_fields, create, delete, snapshot, update
from spotcheck.directory.models import Department, Institution

from .io import ITEM_COLUMNS, SCOPE_CODE_COLUMN, ItemRow, check_codes
from .models import DRAW_FIELDS, CheckItem, ItemList, Plan, Task, TaskStatus, TeamSlot, using_tasks
from .ratios import RatioError, parse_ratio
from .scope import clean_scope_filters, department_allowed, is_county
from .tabular import ImportRejected, RowError


@dataclass(frozen=True)
class Slot:
    """One line of a team composition: ``count`` inspectors from ``department``."""

    department: Department
    count: int


def _require(actor: Any, region_code: str | None) -> None:
    require(actor, "plan", region_code)


#: ``created_by`` is empty for the CLI's system actor; it is set by the action, never by the caller.
_NOT_CLEANED = ["created_by"]
#: How item lists, items and plans are written: ``directory.actions`` with the ``plan`` permission.
_WRITE: dict[str, Any] = {"action": "plan", "exclude": _NOT_CLEANED}


# --------------------------------------------------------------------------------------------
# 抽查事项清单 and its items


@action
def create_item_list(actor: Any, data: dict[str, Any], *, reason: str = "") -> ItemList:
    return create(actor, ItemList, data, reason=reason, **_WRITE)


#: Item-list fields fixed once one of its items was used (备注 stays editable).
LIST_FIXED_FIELDS = {"region_id": "发布区域", "year": "年度", "name": "清单名称", "issuer": "发布单位",
                     "doc_number": "文号"}


@action
def update_item_list(actor: Any, item_list: ItemList, data: dict[str, Any], *, reason: str = "") -> bool:
    """Change a list; False when nothing changed.

    Once one of its items was used (``ItemList.is_used``) only 备注 may change: the name, year, area,
    issuer and 文号 are what drawn tasks and the portal cite. A list is not versioned; a revised list
    is a new list (e.g. next year's), so the refusal says so.
    """
    _require(actor, item_list.region_id)
    probe = copy(item_list)
    for key, value in data.items():
        setattr(probe, key, value)
    fixed = [label for key, label in LIST_FIXED_FIELDS.items() if getattr(probe, key) != getattr(item_list, key)]
    if fixed and item_list.is_used():
        raise ActionRefused(
            f"清单“{item_list}”中的事项已被使用（已抽取的任务、检查记录或公示引用），不能再修改{'、'.join(fixed)}；"
            "如需修订，请新建清单（例如下一年度的清单）。备注仍可修改。"
        )
    return update(actor, item_list, data, reason=reason, **_WRITE)


@action
def delete_item_list(actor: Any, item_list: ItemList, *, reason: str) -> None:
    """Delete a list no plan and no task uses (its items go with it)."""
    _require(actor, item_list.region_id)
    if Plan.objects.filter(item_list=item_list).exists():
        raise ValidationError("该清单已被年度计划引用，不能删除")
    if Task.objects.filter(items__item_list=item_list).exists():
        raise ValidationError("清单中的事项已被抽查任务引用，不能删除")
    before = {**snapshot(item_list), "items": [snapshot(i) for i in item_list.items.all()]}
    with atomic_action():
        record_deletions(actor, "item.delete", item_list.items.all(), reason=reason)
        record(actor, "delete", item_list, before=before, reason=reason)
        item_list.delete()


def _apply_ratio(item: CheckItem) -> None:
    """Derive ratio_num/ratio_den from ratio_text (both empty when the text is empty)."""
    text = item.ratio_text.strip()
    item.ratio_text = text
    if not text:
        item.ratio_num = item.ratio_den = None
        return
    try:
        ratio = parse_ratio(text)
    except RatioError as exc:
        raise ValidationError({"ratio_text": str(exc)})
    item.ratio_num, item.ratio_den = ratio.num, ratio.den


def _check_item(item: CheckItem, replacing: CheckItem | None = None) -> None:
    """Parse the ratio; 序号 must be free among the list's current items (``replacing`` aside)."""
    _apply_ratio(item)
    clash = CheckItem.objects.current().filter(item_list_id=item.item_list_id, seq=item.seq).exclude(pk=item.pk)
    if replacing is not None:
        clash = clash.exclude(pk=replacing.pk)
    if item.seq is not None and clash.exists():
        raise ValidationError({"seq": f"清单中已有序号为 {item.seq} 的事项"})


def next_item_seq(item_list: ItemList) -> int:
    return (item_list.items.current().aggregate(m=Max("seq"))["m"] or 0) + 1


@action
def create_item(actor: Any, item_list: ItemList, data: dict[str, Any], *, reason: str = "") -> CheckItem:
    """Add an item (序号 defaults to the next free one); the ratio is parsed from ``ratio_text``."""
    data = {k: v for k, v in data.items() if k in _ITEM_INPUT}
    data.update(item_list=item_list, created_by=user_of(actor), created_at=timezone.now())
    if not data.get("seq"):
        data["seq"] = next_item_seq(item_list)
    return create(actor, CheckItem, data, reason=reason, check=_check_item, **_WRITE)


#: What a caller may set on an item (the ratio numbers follow 检查比例; the version fields are the action's).
_ITEM_INPUT = tuple(f for f in CheckItem.VALUE_FIELDS if f not in ("ratio_num", "ratio_den"))


def item_usage(item: CheckItem) -> str:
    """Why ``item`` is read-only, e.g. "已被任务“2023年医保基金检查”使用" ("" when it is not used)."""
    task = Task.objects.filter(items=item, pk__in=using_tasks()).order_by("pk").first()
    if task is not None:
        return f"已被任务“{task}”使用"
    return "已用于检查记录" if CheckItem.objects.filter(pk=item.pk).used().exists() else ""


def _value_diff(old: CheckItem, new: CheckItem) -> dict[str, Any]:
    return {f: getattr(new, f) for f in CheckItem.VALUE_FIELDS if getattr(new, f) != getattr(old, f)}


def _candidate(item: CheckItem, data: dict[str, Any]) -> CheckItem:
    """An unsaved copy of ``item``'s values with ``data`` applied (the next version, if saved)."""
    new = CheckItem(item_list=item.item_list, **{f: getattr(item, f) for f in CheckItem.VALUE_FIELDS})
    for key, value in data.items():
        setattr(new, key, value)
    return new


def _write_version(actor: Any, old: CheckItem, new: CheckItem, reason: str) -> CheckItem:
    """Save ``new`` as the next version of ``old`` and retire ``old``; move draft tasks to ``new``.

    ``old``'s values stay as they are; only its ``retired_at`` is set (recorded as ``item.retire``).
    Tasks that use ``old`` (``models.using_tasks``) keep it; the others (drafts) move to ``new``.
    """
    now = timezone.now()
    old.retired_at = now
    old.save(update_fields=["retired_at"])
    record(actor, "item.retire", old, before={"retired_at": None}, after={"retired_at": now}, reason=reason)
    diff = _value_diff(old, new)
    new.version, new.supersedes, new.change_reason = old.version + 1, old, reason[:200]
    new.created_by, new.created_at = user_of(actor), now
    new.save()
    record(actor, "item.version", new, before={k: getattr(old, k) for k in diff},
           after={**diff, "version": new.version, "supersedes": old.pk}, reason=reason)
    for task in Task.objects.filter(items=old).exclude(pk__in=using_tasks()).order_by("pk"):
        before = sorted(task.items.values_list("pk", flat=True))
        task.items.remove(old)
        task.items.add(new)
        record(actor, "update", task, before={"items": before},
               after={"items": sorted(task.items.values_list("pk", flat=True))},
               reason=f"抽查事项“{old}”更新为版本 {new.version}：{reason}")
    return new


@action
def update_item(actor: Any, item: CheckItem, data: dict[str, Any], *, reason: str = "") -> CheckItem:
    """Change an item; returns the row that holds the values afterwards. ``ratio_num``/``ratio_den``
    follow ``ratio_text``; ``data["change_reason"]`` is the 修改原因.

    An unused item is changed in place (``item`` is returned; the reason, if any, goes to the audit
    event). A used item (``CheckItem.is_used``) is never changed: when ``data`` changes a value a new
    version is created and returned (see :func:`_write_version`), which needs a 修改原因
    (``ActionRefused({"change_reason": …})`` without one). A superseded version cannot be changed.
    """
    _require(actor, item.item_list.region_id)
    data = dict(data)
    change_reason = str(data.pop("change_reason", "") or "").strip()
    data = {k: v for k, v in data.items() if k in _ITEM_INPUT}
    locked = CheckItem.objects.select_for_update().select_related("item_list").get(pk=item.pk)
    if locked.retired_at is not None:
        raise ActionRefused(f"抽查事项“{locked}”的版本 {locked.version} 已被新版本取代，历史版本不能修改，请修改最新版本")
    usage = item_usage(locked)
    if not usage:
        update(actor, item, data, reason=change_reason or reason, check=_check_item, **_WRITE)
        return item
    new = _candidate(locked, data)
    errors: dict[str, list[str]] = {}
    try:
        new.full_clean(exclude=["created_by"], validate_constraints=False)
        _check_item(new, replacing=locked)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if not errors and not _value_diff(locked, new):
        return locked
    if not change_reason:
        errors.setdefault("change_reason", []).append(
            f"抽查事项“{locked}”{usage}，不能直接修改：保存后将生成新版本（版本 {locked.version + 1}），"
            "原版本保持不变。请填写修改原因"
        )
    if errors:
        raise ActionRefused(errors)
    return _write_version(actor, locked, new, change_reason)


def _check_item_unused(item: CheckItem) -> None:
    if item.retired_at is not None:
        raise ActionRefused(f"抽查事项“{item}”的版本 {item.version} 是历史版本，不能删除")
    usage = item_usage(item)
    if usage:
        raise ActionRefused(f"抽查事项“{item}”{usage}，不能删除")
    task = Task.objects.filter(items=item).first()
    if task is not None:
        raise ValidationError(f"抽查事项“{item}”已被任务“{task}”引用，不能删除")


@action
def delete_item(actor: Any, item: CheckItem, *, reason: str) -> None:
    delete(actor, item, reason=reason, action="plan", check=_check_item_unused)


_COLUMN_OF = {attr: column for column, attr in ITEM_COLUMNS.items()} | {"ratio_num": "检查比例", "ratio_den": "检查比例"}


@action
def import_items(
    actor: Any, item_list: ItemList, rows: Sequence[ItemRow], *, reason: str = "Excel 导入", change_reason: str = "",
) -> dict[str, int]:
    """Make the list's current items equal to ``rows`` (matched by 序号), all or nothing.

    Items missing from the file are deleted unless a task uses them (then the file is refused). A row
    that changes a used item (``CheckItem.is_used``) makes a new version of it (as ``update_item``)
    with ``change_reason``; without one the file is refused, naming the row and the changed columns.
    Returns counts ``created``/``updated``/``versioned``/``deleted``/``unchanged``; raises
    :class:`ImportRejected`.
    """
    _require(actor, item_list.region_id)
    change_reason = change_reason.strip()
    current = item_list.items.current()
    existing = {item.seq: item for item in current}
    used = set(current.used().values_list("pk", flat=True))
    in_file = {row.data["seq"] for row in rows}
    errors: list[RowError] = []
    removed = [item for seq, item in sorted(existing.items()) if seq not in in_file]
    for item in removed:
        task = Task.objects.filter(items=item).first()
        if task is not None:
            errors.append(RowError(0, "序号", f"第 {item.seq} 项“{item.name}”已被任务“{task}”引用，文件中不能删去"))
    writes: list[tuple[CheckItem | None, CheckItem]] = []  # (existing item or None, new values)
    for row in rows:
        old = existing.get(row.data["seq"])
        item = _candidate(old, row.data) if old else CheckItem(item_list=item_list, **row.data)
        try:
            item.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for attr, messages in exc.message_dict.items():
                errors.extend(RowError(row.row, _COLUMN_OF.get(attr, attr), m) for m in messages)
            continue
        if old is not None and old.pk in used and _value_diff(old, item) and not change_reason:
            columns = dict.fromkeys(_COLUMN_OF.get(attr, attr) for attr in _value_diff(old, item))
            errors.extend(
                RowError(row.row, column, f"第 {old.seq} 项“{old.name}”{item_usage(old)}，修改会生成新版本，"
                                          "请填写修改原因后重新导入")
                for column in columns
            )
        writes.append((old, item))
    if errors:
        raise ImportRejected(errors)
    counts = {"created": 0, "updated": 0, "versioned": 0, "deleted": len(removed), "unchanged": 0}
    with atomic_action():
        for item in removed:
            record(actor, "delete", item, before=snapshot(item), reason=reason, deleted=True)
            item.delete()
        for old, item in writes:
            if old is None:
                item.created_by, item.created_at = user_of(actor), timezone.now()
                item.save()
                record(actor, "create", item, after=snapshot(item), reason=reason)
                counts["created"] += 1
                continue
            diff = _value_diff(old, item)
            if not diff:
                counts["unchanged"] += 1
            elif old.pk in used:
                _write_version(actor, old, item, change_reason)
                counts["versioned"] += 1
            else:
                before = {k: getattr(old, k) for k in diff}
                for key, value in diff.items():
                    setattr(old, key, value)
                old.save()
                record(actor, "update", old, before=before, after=diff, reason=change_reason or reason)
                counts["updated"] += 1
    return counts


# --------------------------------------------------------------------------------------------
# 年度抽查计划


def _check_plan(actor: Any, plan: Plan) -> None:
    errors: dict[str, str] = {}
    if plan.item_list_id:
        item_list = plan.item_list
        if not region_contains(item_list.region_id, plan.region_id):
            errors["item_list"] = "事项清单应由计划所在区域或其上级区域发布"
        elif not ItemList.objects.restrict(actor).filter(pk=item_list.pk).exists():
            errors["item_list"] = "您无权使用该事项清单"
        elif plan.pk and Task.objects.filter(plan=plan).exclude(items=None).exclude(
            items__item_list=item_list
        ).exists():
            errors["item_list"] = "计划下的任务已选用原清单中的事项，不能更换事项清单"
    if plan.pk and plan.tasks.exclude(region__code__startswith=region_prefix(plan.region_id)).exists():
        errors["region"] = "计划下有任务不在新的计划区域内"
    duplicate = Plan.objects.filter(region_id=plan.region_id, year=plan.year, name=plan.name).exclude(pk=plan.pk)
    if duplicate.exists():
        errors["name"] = "同一区域同一年度已有同名计划"
    if errors:
        raise ValidationError(errors)


@action
def create_plan(actor: Any, data: dict[str, Any], *, reason: str = "") -> Plan:
    data = {**data, "created_by": user_of(actor)}
    return create(actor, Plan, data, reason=reason, check=lambda p: _check_plan(actor, p), **_WRITE)


@action
def update_plan(actor: Any, plan: Plan, data: dict[str, Any], *, reason: str = "") -> bool:
    return update(actor, plan, data, reason=reason, check=lambda p: _check_plan(actor, p), **_WRITE)


def _check_plan_empty(plan: Plan) -> None:
    if plan.tasks.exists():
        raise ValidationError("计划下还有任务，不能删除")


@action
def delete_plan(actor: Any, plan: Plan, *, reason: str) -> None:
    delete(actor, plan, reason=reason, action="plan", check=_check_plan_empty)


# --------------------------------------------------------------------------------------------
# 抽查任务


def _ids(objs: Iterable[models.Model]) -> list[Any]:
    return sorted(o.pk for o in objs)


def _task_state(
    task: Task, items: Iterable[CheckItem], joint: Iterable[Department], slots: Iterable[Slot], codes: Iterable[str]
) -> dict[str, Any]:
    return {
        **snapshot(task),
        "items": _ids(items),
        "joint_departments": _ids(joint),
        "scope_list": sorted(codes),
        "slots": [[s.department.pk, s.count] for s in slots],
    }


def current_slots(task: Task) -> list[Slot]:
    return [Slot(s.department, s.count) for s in task.slots.select_related("department", "department__region")]


def task_state(task: Task) -> dict[str, Any]:
    """Audit snapshot of a saved task, including items, departments, the uploaded list and slots."""
    codes = task.scope_list.values_list("fixmedins_code", flat=True) if task.pk else []
    return _task_state(task, task.items.all(), task.joint_departments.all(), current_slots(task), codes)


def _slot_errors(task: Task, slots: Sequence[Slot]) -> list[str]:
    if not slots:
        return ["请设置检查组构成（部门与人数）"]
    errors: list[str] = []
    seen: set[Any] = set()
    for slot in slots:
        dept = slot.department
        if dept.pk in seen:
            errors.append(f"部门“{dept}”重复，请合并为一行")
        seen.add(dept.pk)
        if slot.count < 1:
            errors.append(f"部门“{dept}”的人数应至少为 1")
        if task.region_id and not department_allowed(dept, task.region_id):
            errors.append(f"部门“{dept}”不在任务区域 {task.region_id} 或其上级区域")
    minimum = policy.get("draw.min_team_size", on=task.period_start)
    total = sum(s.count for s in slots)
    if total < minimum:
        errors.append(f"检查组合计 {total} 人，少于规定的最少人数 {minimum} 人")
    if not any(s.department.is_healthcare for s in slots):
        errors.append("检查组中至少应有一个医保部门（医疗保障局或医疗保险服务中心）")
    if task.cross_area and task.region_id and is_county(task.region_id) and all(
        s.department.region_id == task.region_id for s in slots
    ):
        errors.append("异地交叉检查：检查组全部来自本县部门，无法派出外地人员，请加入上级部门或取消该选项")
    return errors


def _validate_task(
    task: Task, items: Sequence[CheckItem], joint: Sequence[Department], slots: Sequence[Slot]
) -> bool:
    """Check a task before writing; returns whether its uploaded list must be cleared.

    Normalises ``scope_filters`` (cleared for an undirected task). Raises ``ValidationError``
    with field keys, and ``slots`` for the team composition.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        task.full_clean(exclude=_NOT_CLEANED)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors[key].extend(messages)
    if not task.ratio_num and "ratio_num" not in errors:
        errors["ratio_num"].append("抽查比例应大于 0")
    if task.cap is not None and task.cap < 1:
        errors["cap"].append("每名检查人员最多检查机构数应至少为 1")
    plan = task.plan
    if task.period_start and task.period_start.year != plan.year:
        errors["period_start"].append(f"检查开始日期应在计划年度（{plan.year} 年）内")
    kept = set(task.items.values_list("pk", flat=True)) if task.pk else set()
    retired = set(CheckItem.objects.filter(pk__in=[i.pk for i in items], retired_at__isnull=False)
                  .values_list("pk", flat=True))
    for item in items:
        if item.item_list_id != plan.item_list_id:
            errors["items"].append(f"抽查事项“{item}”不属于本计划依据的事项清单")
        elif item.pk in retired and item.pk not in kept:
            errors["items"].append(f"抽查事项“{item}”的版本 {item.version} 已被新版本取代，请选用最新版本")
    region_ok = task.region_id and "region" not in errors
    if region_ok and task.responsible_department_id and not department_allowed(
        task.responsible_department, task.region_id
    ):
        errors["responsible_department"].append(f"责任部门不在任务区域 {task.region_id} 或其上级区域")
    for dept in joint:
        if region_ok and not department_allowed(dept, task.region_id):
            errors["joint_departments"].append(f"联合部门“{dept}”不在任务区域 {task.region_id} 或其上级区域")
    if task.joint and not joint:
        errors["joint_departments"].append("部门联合的任务请选择联合部门")
    if not task.joint and joint:
        errors["joint_departments"].append("未选择“部门联合”时不能填写联合部门")
    if region_ok:
        errors["slots"].extend(_slot_errors(task, slots))
    clear_list = not task.directed
    if not task.directed:
        task.scope_filters = {}
    elif region_ok:
        try:
            task.scope_filters = clean_scope_filters(task.scope_filters or {}, task.region_id)
        except ValidationError as exc:
            errors["scope_filters"].extend(exc.message_dict["scope_filters"])
        listed = task.scope_list.all() if task.pk else Institution.objects.none()
        if task.scope_filters:
            clear_list = True
        elif not listed.exists():
            errors["scope_filters"].append("定向抽查请至少设置一项筛选条件，或上传定向名单")
        elif listed.exclude(region__code__startswith=region_prefix(task.region_id)).exists():
            errors["region"].append("定向名单中有机构不在新的任务区域内，请重新上传名单")
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    return clear_list


def next_task_seq(plan: Plan) -> int:
    return (plan.tasks.aggregate(m=Max("seq"))["m"] or 0) + 1


def _write_slots(actor: Any, task: Task, slots: Sequence[Slot]) -> None:
    record_deletions(actor, "task.slots.delete", task.slots.all())
    task.slots.all().delete()
    created = TeamSlot.objects.bulk_create(
        TeamSlot(task=task, department=s.department, count=s.count, order=i) for i, s in enumerate(slots)
    )
    record_rows(actor, "task.slots.create", list(created), region_code=task.region_id)


@action
def create_task(
    actor: Any, plan: Plan, data: dict[str, Any], slots: Sequence[Slot], *, reason: str = ""
) -> Task:
    """Create a draft task in ``plan``. ``data`` holds Task fields plus ``items`` and
    ``joint_departments`` (lists); the area defaults to the plan's, 序号 to the next free one."""
    _require(actor, plan.region_id)
    data = dict(data)
    if "status" in data:
        raise ValidationError({"status": "任务状态由抽取流程维护，不能在此设置"})
    items = list(data.pop("items", []))
    joint = list(data.pop("joint_departments", []))
    if "region" not in data and "region_id" not in data:
        data["region_id"] = plan.region_id
    task = Task(plan=plan, created_by=user_of(actor), **data)
    if "seq" not in data:
        task.seq = next_task_seq(plan)
    slots = list(slots)
    _validate_task(task, items, joint, slots)
    _require(actor, task.region_id)
    with atomic_action():
        task.save()
        task.items.set(items)
        task.joint_departments.set(joint)
        _write_slots(actor, task, slots)
        record(actor, "create", task, after=_task_state(task, items, joint, slots, []), reason=reason)
    return task


FIELD_LABELS = {
    "region_id": "任务区域", "items": "抽查事项", "scope_list": "定向名单", "slots": "检查组构成",
    **{f.attname: str(f.verbose_name) for f in Task._meta.concrete_fields},
}


@action
def update_task(
    actor: Any, task: Task, data: dict[str, Any], slots: Sequence[Slot] | None = None, *, reason: str = ""
) -> bool:
    """Change a task (``slots=None`` keeps the team composition); False when nothing changed.

    After a draw (``task.has_draw``) only fields outside ``DRAW_FIELDS`` and the slots may change.
    """
    _require(actor, task.region_id)
    data = dict(data)
    if "status" in data:
        raise ValidationError({"status": "任务状态由抽取流程维护，不能在此修改"})
    before = task_state(task)
    items = list(data.pop("items")) if "items" in data else list(task.items.all())
    joint = list(data.pop("joint_departments")) if "joint_departments" in data else list(task.joint_departments.all())
    new_slots = current_slots(task) if slots is None else list(slots)
    for key, value in data.items():
        setattr(task, key, value)
    clear_list = _validate_task(task, items, joint, new_slots)
    _require(actor, task.region_id)
    codes = [] if clear_list else before["scope_list"]
    diff = changed_fields(before, _task_state(task, items, joint, new_slots, codes))
    if not diff:
        return False
    frozen = [k for k in diff if k in DRAW_FIELDS or k == "slots"]
    if task.has_draw and frozen:
        names = "、".join(FIELD_LABELS.get(k, k) for k in frozen)
        raise ValidationError(f"任务已进行抽取（{task.get_status_display()}），不能再修改：{names}")
    with atomic_action():
        task.save()
        task.items.set(items)
        task.joint_departments.set(joint)
        if "slots" in diff:
            _write_slots(actor, task, new_slots)
        if clear_list:
            task.scope_list.clear()
        record(actor, "update", task, before={k: before[k] for k in diff}, after=diff, reason=reason)
    return True


@action
def set_scope_list(actor: Any, task: Task, codes: Sequence[tuple[int, str]], *, reason: str = "上传定向名单") -> int:
    """Make the task directed at exactly the institutions ``codes`` (``(row, fixmedins_code)``).

    Malformed, repeated or unknown codes and codes outside the task area are per-row errors and
    nothing is written. Replaces any directed filters. Returns the number of institutions listed.
    """
    _require(actor, task.region_id)
    if task.has_draw:
        raise ValidationError(f"任务已进行抽取（{task.get_status_display()}），不能再修改定向名单")
    codes = check_codes(codes)
    prefix = region_prefix(task.region_id)
    inside = [(row, code) for row, code in codes if fixmedins_region(code).startswith(prefix)]
    found = Institution.objects.in_bulk([code for _, code in inside], field_name="fixmedins_code")
    errors: list[RowError] = []
    for row, code in codes:
        if not fixmedins_region(code).startswith(prefix):
            errors.append(RowError(row, SCOPE_CODE_COLUMN, f"{code} 不在任务区域 {task.region_id} 之内"))
        elif code not in found:
            errors.append(RowError(row, SCOPE_CODE_COLUMN, f"名录库中没有编码为 {code} 的机构"))
    if errors:
        raise ImportRejected(errors)
    before = task_state(task)
    institutions = list(found.values())
    with atomic_action():
        task.directed, task.scope_filters = True, {}
        task.save(update_fields=["directed", "scope_filters"])
        task.scope_list.set(institutions)
        after = task_state(task)
        diff = changed_fields(before, after)
        record(actor, "update", task, before={k: before[k] for k in diff}, after=diff, reason=reason)
    return len(institutions)


#: The status moves a task may make: the draw (freeze, cancel or fail, reveal), the first inspection
#: and the last publication move it on; planning owns the field, the other apps ask for the move.
TASK_MOVES: dict[str, frozenset[str]] = {
    TaskStatus.DRAWING: frozenset({TaskStatus.DRAFT}),
    TaskStatus.DRAFT: frozenset({TaskStatus.DRAWING}),
    TaskStatus.DRAWN: frozenset({TaskStatus.DRAWING}),
    TaskStatus.INSPECTING: frozenset({TaskStatus.DRAWN}),
    TaskStatus.DONE: frozenset({TaskStatus.DRAWN, TaskStatus.INSPECTING}),
}


@action
def set_task_status(actor: Any, task: Task, status: str, *, reason: str = "") -> bool:
    """Move ``task`` to ``status`` and record it; ``False`` when it is there already.

    Only the moves in :data:`TASK_MOVES` are allowed (others raise :class:`ActionRefused`); the caller
    (a draw, inspection or publication action) has checked its own permission and area."""
    if task.status == status:
        return False
    if task.status not in TASK_MOVES.get(status, frozenset()):
        raise ActionRefused(f"任务“{task}”当前为“{task.get_status_display()}”，"
                            f"不能改为“{TaskStatus(status).label}”")
    before = task.status
    task.status = status
    task.save(update_fields=["status"])
    record(actor, "task.status", task, before={"status": before}, after={"status": status}, reason=reason)
    return True


@action
def delete_task(actor: Any, task: Task, *, reason: str) -> None:
    """Delete a draft task (a task with a draw is part of the record and stays)."""
    _require(actor, task.region_id)
    if task.has_draw:
        raise ValidationError(f"任务已进行抽取（{task.get_status_display()}），不能删除")
    with atomic_action():
        record_deletions(actor, "task.slots.delete", task.slots.all(), reason=reason)
        record(actor, "delete", task, before=task_state(task), reason=reason)
        task.delete()

"""The audit log as people read it: Chinese action names, object types, actors, changed fields and values.

The audit app sits low in the layers, so nothing here imports the apps whose events it shows: object types
and field names come from Django's model metadata at run time (``apps.get_model(label)._meta``), and the
action names are the table :data:`ACTION_NAMES` (``tests/audit/test_presentation.py`` fails when a code
recorded anywhere in ``spotcheck/`` is missing from it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from spotcheck.base.fields import is_digest

from .state import DIGEST_PREFIX

#: Every action code recorded by the product → its Chinese name. Add a line with every new code.
ACTION_NAMES: dict[str, str] = {
    # generic steps on a row (the object type says of what)
    "create": "新建", "update": "修改", "delete": "删除", "delete.cascade": "随上级删除", "import": "导入",
    "export": "导出",
    # accounts
    "accounts.signin": "登录", "accounts.signout": "退出登录", "accounts.signin.failed": "登录失败",
    "accounts.lockout": "登录锁定", "accounts.unlock": "解除登录锁定", "accounts.session.end": "结束会话",
    "accounts.user.create": "新建账号", "accounts.user.update": "修改账号", "accounts.user.activate": "启用账号",
    "accounts.user.deactivate": "停用账号", "accounts.user.reset_password": "重置密码",
    "accounts.user.password": "修改密码", "accounts.user.rehash": "密码哈希升级",
    "accounts.user.password_clock": "补记密码修改时间",
    "accounts.2fa.enable": "启用两步验证", "accounts.2fa.disable": "关闭两步验证",
    "accounts.2fa.reset": "重置两步验证", "accounts.2fa.recovery_codes": "重新生成恢复码",
    "accounts.2fa.recovery_used": "使用恢复码登录", "accounts.2fa.verified": "两步验证通过",
    "accounts.2fa.failed": "两步验证失败",
    "api_token.create": "创建接口令牌", "api_token.revoke": "吊销接口令牌",
    # audit chain and keys
    "audit.baseline": "审计基线", "audit.accept": "接受数据现值（审计核对）",
    "keys.encrypt": "加密个人信息", "keys.decrypt": "解密个人信息（回退）", "keys.reencrypt": "轮换密钥重新加密",
    # policy
    "policy.set": "设置政策参数", "holiday.set": "设置节假日调整", "holiday.remove": "删除节假日调整",
    # directory
    "directory.institution.risk_flag": "设置重点监控标记", "institution.risk_flag": "标记重点监控",
    "directory.institution.credit_grade": "更新信用等级",
    # planning
    "item.delete": "删除抽查事项", "item.retire": "停用抽查事项旧版本", "item.version": "抽查事项新版本",
    "task.status": "任务状态变更", "task.slots.create": "设置检查组名额", "task.slots.delete": "删除检查组名额",
    # draws
    "draw.freeze": "冻结抽取名单", "draw.exclusion": "记录排除机构", "draw.cancel": "作废抽取",
    "draw.staffing_check": "检查人员配备核验", "draw.staffing_override": "人员不足仍继续（批准）",
    "draw.commit_propose": "提交承诺（待批准）", "draw.commit_approve": "批准承诺",
    "draw.commit_reject": "驳回承诺", "draw.secret": "生成抽取密钥",
    "draw.reveal_propose": "提交揭示（待批准）", "draw.reveal_approve": "批准揭示",
    "draw.reveal_reject": "驳回揭示", "draw.fail": "抽取失败", "draw.assignment": "生成检查分配",
    "draw.assignment_member": "生成检查组成员", "draw.event_request": "申请抽取变更",
    "draw.event_approve": "批准抽取变更", "draw.event_reject": "驳回抽取变更", "draw.package": "更新抽取结果包",
    "draw.download": "下载抽取文件", "draw.record_download": "下载抽取记录",
    # inspections
    "inspection.create": "建立检查记录", "inspection.checklist_create": "生成检查表",
    "inspection.checklist_entry": "填写检查表条目", "inspection.checklist": "填写检查表",
    "inspection.notify": "送达检查告知书", "inspection.record": "录入检查结果",
    "inspection.review_approve": "审核通过", "inspection.review_reject": "退回修改",
    "inspection.published": "检查结果公开", "inspection.document_download": "下载检查文书",
    "finding.add": "登记问题", "finding.decide": "确定处理方式", "finding.void": "作废问题",
    "finding.correct": "更正问题", "finding.correction.create": "记录问题更正",
    "evidence.add": "上传证据", "referral.create": "移交线索", "referral.receipt": "登记移交回执",
    "rectification.order": "责令整改", "rectification.submit": "提交整改材料", "rectification.close": "整改验收通过",
    "rectification.reopen": "整改退回",
    "lenience.entry.add": "新增包容审慎清单条目", "lenience.entry.change": "修改包容审慎清单条目",
    "lenience.circumstance.add": "新增裁量情形", "lenience.circumstance.change": "修改裁量情形",
    "catalogue.violation_type.add": "新增违规类型", "catalogue.violation_type.change": "修改违规类型",
    # portal
    "portal.publish": "公开发布", "portal.correct": "更正公开信息",
    # credit
    "credit.subject.create": "建立信用主体", "credit.subject.link": "信用主体关联机构",
    "credit.subject.grade": "更新信用主体等级", "credit.record.create": "登记信用信息",
    "credit.record.superseded": "信用信息被更正替代", "credit.record.closed": "信用信息结案/撤销",
    "credit.record.repair": "信用修复（修改信用信息）", "credit.model.create": "新增评分模型版本",
    "credit.evaluation.create": "生成信用评价", "credit.evaluate": "信用评价", "credit.evaluate_cycle": "年度信用评价",
    "credit.objection.file": "提出异议", "credit.objection.resolve": "处理异议",
    "credit.repair.apply": "申请信用修复", "credit.repair.decide": "决定信用修复",
    "credit.measure.apply": "实施信用措施",
    # screening
    "screening.import": "导入结算数据", "screening.run": "运行智能筛查",
    # the demo data
    "demo_data.create": "生成演示数据", "demo_data.account": "生成演示账号", "demo_data.generate": "生成演示数据（汇总）",
    "demo_data.reset": "清除演示数据",
}

UNKNOWN_ACTION = "其他操作"

#: Object types that are not models of the product (or whose model has no Chinese name).
OBJECT_TYPE_NAMES: dict[str, str] = {
    "knox.authtoken": "接口令牌",
    "directory.demo_data": "演示数据",
}

UNKNOWN_TYPE = "其他对象"

#: Keys of before/after that are not fields of the event's model.
EXTRA_KEYS: dict[str, str] = {
    "after": "变更后", "before": "变更前", "assignments": "检查分配", "batch": "批次", "calendar_warnings": "日历提示",
    "counts": "数量", "created": "新建", "deleted": "删除", "details": "明细", "document": "文书", "draw": "抽取",
    "event": "变更内容", "event_seq": "变更序号", "evidence_sha256": "证据摘要", "excluded": "排除",
    "exclusion_pairs": "回避组合", "fees": "费用明细", "file": "文件", "filters": "筛选条件", "finding": "问题",
    "findings": "问题", "format": "格式", "full": "完整版", "grade": "信用等级", "grades": "信用等级",
    "hits": "命中", "identifier": "标识", "in_time": "按时", "inspection": "检查记录", "inspector": "检查人员",
    "inspectors": "检查人员", "institution": "定点医药机构", "institution_code": "机构编码",
    "institutions_by_region": "各地区机构数", "items": "抽查事项", "key": "参数", "key_id": "密钥标识",
    "masked": "已脱敏", "measure": "措施", "message": "说明", "model_version": "评分模型版本", "note": "说明",
    "order": "顺序", "outcome": "结果", "parameters": "参数", "params_digest": "参数摘要", "public_randomness": "公开随机数",
    "published_at": "公开时间", "randomness_sources": "随机数来源", "record": "信用信息", "regions": "地区",
    "retired_at": "停用时间", "rows": "条目", "score": "得分", "seed": "随机种子", "seq": "序号",
    "settlements": "结算记录", "sha256": "文件摘要", "short": "人员缺口", "size": "大小", "snapshot": "快照",
    "snapshot_digest": "快照摘要", "source": "来源", "status": "状态", "strata": "分层", "task": "任务",
    "team": "检查组", "team_places": "检查组名额", "type": "类型", "units": "抽取单位", "updated": "修改",
    "username": "账号", "value": "值", "version": "版本", "visits": "就诊记录", "year": "年度",
    "effective_from": "生效日期", "due_date": "截止日期", "applied_on": "实施日期", "as_of": "评价日",
    "id": "编号", "ok": "通过", "runs": "核验次数", "failures": "失败", "risk_flag": "重点监控", "credit_grade": "信用等级",
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
_MAX = 200


def action_name(code: str) -> str | None:
    """The Chinese name of an action code, or ``None`` when the table does not know it."""
    return ACTION_NAMES.get(code)


def model_of(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def type_name(label: str) -> str | None:
    """The Chinese name of an object type (``directory.institution`` → 定点医药机构), or ``None``."""
    if not label:
        return ""
    if label in OBJECT_TYPE_NAMES:
        return OBJECT_TYPE_NAMES[label]
    model = model_of(label)
    name = str(model._meta.verbose_name) if model is not None else ""
    return name if _chinese(name) else None


#: actor_name of events not made by a signed-in person → how the log names them
ACTOR_NAMES: dict[str, str] = {
    "": "系统", "system": "系统", "worker": "系统（后台任务）", "cli": "命令行", "anonymous": "匿名（登录失败）",
    "createsuperuser": "命令行（创建管理员账号）", "changepassword": "命令行（修改密码）",
    "spotcheck keys rotate": "命令行（密钥轮换）", "spotcheck demo-data": "命令行（生成演示数据）",
}


def actor_text(event: Any) -> str:
    """系统, 命令行, 匿名（登录失败）, or the person's name and user name."""
    name = event.actor_name
    if name in ACTOR_NAMES and not event.actor_id:
        return ACTOR_NAMES[name]
    user = event.actor if event.actor_id else None
    display = getattr(user, "display_name", "") if user is not None else ""
    who = f"{display}（{name}）" if display and display != name else name
    if (event.request_id or "").startswith("cli-"):
        return f"命令行（用户 {who}）"
    return who


def local_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _field_map(model: type[models.Model] | None) -> dict[str, Any]:
    if model is None:
        return {}
    out: dict[str, Any] = {}
    for f in model._meta.get_fields():
        if getattr(f, "concrete", False) or f.many_to_many:
            out[f.name] = f
            attname = getattr(f, "attname", None)
            if attname:
                out[attname] = f
    return out


_ALL_FIELDS: dict[str, str] = {}


def _any_field_label(key: str) -> str | None:
    """The Chinese name of a field called ``key`` in any model of the product (for keys of nested values)."""
    if not _ALL_FIELDS:
        for model in apps.get_models():
            if not model.__module__.startswith("spotcheck."):
                continue
            for name, f in _field_map(model).items():
                label = str(getattr(f, "verbose_name", "") or "")
                if _chinese(label):
                    _ALL_FIELDS.setdefault(name, label)
    return _ALL_FIELDS.get(key)


def key_label(key: str, fields: dict[str, Any]) -> str:
    f = fields.get(key)
    if f is not None and getattr(f, "verbose_name", None) and _chinese(str(f.verbose_name)):
        return str(f.verbose_name)
    return EXTRA_KEYS.get(key) or _any_field_label(key) or key


def value_text(value: Any, f: Any = None, fields: dict[str, Any] | None = None) -> str:
    """A recorded value as a person reads it: 空, 是/否, choice labels, times in Asia/Shanghai, lists and
    mappings spelled out, digests named as such. Masked values are shown as recorded (still masked)."""
    if value is None or value == "" or value == [] or value == {}:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if f is not None and is_digest(f):
        return "（仅记录摘要）"
    if f is not None and getattr(f, "choices", None) and not isinstance(value, (list, dict)):
        label = dict(f.flatchoices).get(value)
        if label is not None:
            return str(label)
    if isinstance(value, list):
        return _cut("、".join(value_text(v) for v in value))
    if isinstance(value, dict):
        fields = fields or {}
        return _cut("；".join(f"{key_label(str(k), fields)}：{value_text(v, fields.get(str(k)))}"
                              for k, v in value.items()))
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, str):
        if value.startswith(DIGEST_PREFIX):
            return "（仅记录摘要）"
        if _ISO_DATETIME.match(value):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return _cut(value)
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, dt.UTC)
            return local_time(parsed)
    return _cut(str(value))


def _cut(text: str) -> str:
    return text[:_MAX] + ("…" if len(text) > _MAX else "")


@dataclass
class Change:
    field: str
    before: str
    after: str


def change_rows(event: Any) -> list[Change]:
    """before/after as rows (Chinese field name, value before, value after), one per key that was recorded."""
    before, after = event.before, event.after
    if before is None and after is None:
        return []
    fields = _field_map(model_of(event.object_type))
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        return [Change("内容", value_text(before, fields=fields), value_text(after, fields=fields))]
    before = before or {}
    after = after or {}
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for k in keys:
        f = fields.get(k)
        rows.append(Change(
            key_label(k, fields),
            value_text(before[k], f, fields) if k in before else "—",
            value_text(after[k], f, fields) if k in after else "—",
        ))
    return rows


def state_rows(event: Any) -> list[tuple[str, str]]:
    """The recorded full state as (Chinese field name, value as a person reads it)."""
    if not isinstance(event.state, dict):
        return []
    fields = _field_map(model_of(event.object_type))
    return [(key_label(k, fields), value_text(v, fields.get(k), fields)) for k, v in event.state.items()]


@dataclass
class Shown:
    """One event as the list and the detail page show it."""

    event: Any
    action: str
    action_known: bool
    type: str
    type_known: bool
    actor: str
    at: str


def shown(event: Any) -> Shown:
    name = action_name(event.action)
    tname = type_name(event.object_type)
    return Shown(
        event=event, action=name or UNKNOWN_ACTION, action_known=name is not None,
        type=tname if tname is not None else UNKNOWN_TYPE, type_known=tname is not None,
        actor=actor_text(event), at=local_time(event.at),
    )


# --- search by business key -------------------------------------------------------------------------

#: The business keys the log is searched by: GET parameter → (label, table, key field, take related rows).
#: "Related rows" are the rows of tracked tables with a foreign key to the matched rows (an institution's
#: inspections, draw exclusions and credit subject; a draw's assignments and events; a task's draws).
BUSINESS_KEYS: dict[str, tuple[str, str, str, bool]] = {
    "institution": ("机构编码", "directory.institution", "fixmedins_code", True),
    "inspector": ("人员编号", "directory.inspector", "number", True),
    "task": ("任务编号", "planning.task", "pk", True),
    "draw": ("抽取编号", "draws.draw", "draw_id", True),
    "account": ("账号", "accounts.user", "username", False),
}


def _pk_strings(qs: models.QuerySet) -> models.QuerySet:
    from django.db.models import CharField
    from django.db.models.functions import Cast

    return qs.annotate(_pk_text=Cast("pk", output_field=CharField())).values("_pk_text")


def business_key_filter(param: str, value: str) -> models.Q | None:
    """A filter on events about the rows whose business key equals or starts with ``value`` (and, where
    declared, the rows of tracked tables that point at them). One subquery per table, no query now."""
    from django.db.models import Q

    from .state import TRACKED

    label, table, key, related = BUSINESS_KEYS[param]
    model = model_of(table)
    value = value.strip()
    if model is None or not value:
        return None
    if key == "pk":
        if not value.isdigit():
            return Q(pk__in=[])
        rows = model._base_manager.filter(pk=int(value))
    else:
        rows = model._base_manager.filter(**{f"{key}__startswith": value})
    q = Q(object_type=table, object_id__in=_pk_strings(rows))
    if param == "account":
        q |= Q(actor_name__startswith=value)
    if related:
        for other in TRACKED:
            other_model = model_of(other)
            if other_model is None or other == table:
                continue
            for f in other_model._meta.concrete_fields:
                if f.is_relation and f.related_model is model:
                    q |= Q(object_type=other,
                           object_id__in=_pk_strings(other_model._base_manager.filter(**{f"{f.name}__in": rows.values("pk")})))
    return q


def actions_matching(text: str) -> list[str]:
    """Action codes whose Chinese name contains ``text`` (the 动作 filter)."""
    return [code for code, name in ACTION_NAMES.items() if text in name]

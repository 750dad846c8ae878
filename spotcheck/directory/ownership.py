"""Who may write the fields of an institution that decide whether, and how likely, it is drawn.

``DRAW_RELEVANT_FIELDS`` are the fields the draw reads (``draws.pool.freeze_input`` and
``planning.scope``): the area (``region_id``, pool and strata), ``kind`` (pool by item target,
strata), ``category`` and ``level`` (directed-scope filters; strata when policy
``draw.strata_dimensions`` names them), ``contract_status`` (暂停/解除 are left out of the pool),
``credit_grade`` (stratum and its ratio multiplier; directed filter) and ``risk_flag`` (directed
filter 仅重点监控).

- ``credit_grade`` (信用等级) is the output of the credit evaluation (``credit.actions``), its only
  writer. Imports, forms and the API may repeat the stored value (so an export re-imports) and are
  refused any other; a new institution starts 未评级.
- ``risk_flag`` (重点监控) changes only through the screening decision
  (``screening.actions.flag_institutions``) or ``directory.actions.set_risk_flag``, both with a reason.
- The other draw-relevant fields stay editable, but a change needs a reason (变更原因); the draw
  page and the draw record list every such change since the area's previous draw
  (``draws.changes``).

The functions here only decide; the callers (``directory.io``, the form and API through
:func:`institution_check`) raise or report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from .models import (
    ContractStatus,
    CreditGrade,
    Institution,
    InstitutionCategory,
    InstitutionKind,
    InstitutionLevel,
)

#: Institution fields (attribute names) that change who may be drawn and with what probability.
DRAW_RELEVANT_FIELDS = ("region_id", "kind", "category", "level", "contract_status", "credit_grade", "risk_flag")
#: Draw-relevant fields with one owner: never written by an import, a form or the API.
OWNED_FIELDS = ("credit_grade", "risk_flag")
#: Draw-relevant fields that stay editable, with a reason.
EDITABLE_DRAW_FIELDS = tuple(f for f in DRAW_RELEVANT_FIELDS if f not in OWNED_FIELDS)

LABELS = {
    "region_id": "所属区域", "kind": "机构类型", "category": "机构类别", "level": "医院等级",
    "contract_status": "协议状态", "credit_grade": "信用等级", "risk_flag": "重点监控",
}
_CHOICES: dict[str, dict[str, str]] = {
    "kind": dict(InstitutionKind.choices), "category": dict(InstitutionCategory.choices),
    "level": dict(InstitutionLevel.choices), "contract_status": dict(ContractStatus.choices),
    "credit_grade": dict(CreditGrade.choices),
}
#: Values of a new institution (what an import, form or API create may "repeat").
NEW_VALUES = {"credit_grade": "", "risk_flag": False}

REASON_HELP = "修改机构类型、机构类别、医院等级、所属区域或协议状态时必填：这些字段影响随机抽取的概率，变更及原因将在下次抽取审批时列出"


def field_label(name: str) -> str:
    return LABELS.get(name, name)


def value_label(name: str, value: Any, regions: Mapping[str, str] | None = None) -> str:
    """A stored value in Chinese: choice labels, 是/否, 未评级; a region as ``名称（代码）`` when known."""
    if name == "risk_flag":
        return "是" if value else "否"
    if value in (None, ""):
        return "未评级" if name == "credit_grade" else "—"
    if name == "region_id":
        name_ = (regions or {}).get(str(value))
        return f"{name_}（{value}）" if name_ else str(value)
    return _CHOICES.get(name, {}).get(str(value), str(value))


def refusal(name: str, stored: Any, given: Any, *, where: str, source: str, new: bool = False) -> str:
    """Why ``where`` (导入/表单/接口) may not set owned field ``name`` from ``stored`` to ``given``."""
    if name == "credit_grade":
        head = f"信用等级由信用评价产生，不能在{where}中{'填写' if new else '修改'}"
    else:
        head = (f"重点监控只能由系统数据检查（筛查）的决定或“设置重点监控”操作（须填写理由）修改，"
                f"不能在{where}中{'填写' if new else '修改'}")
    was = "新增机构为" if new else "系统中为"
    return f"{head}（{was}“{value_label(name, stored)}”，{source}为“{value_label(name, given)}”）"


def owned_problems(stored: Mapping[str, Any] | None, values: Mapping[str, Any], *, where: str,
                   source: str) -> dict[str, str]:
    """``{field: message}`` for each owned field in ``values`` that differs from ``stored``.

    ``stored`` is ``None`` for a new institution (compared with :data:`NEW_VALUES`)."""
    new = stored is None
    base = NEW_VALUES if stored is None else stored
    problems = {}
    for name in OWNED_FIELDS:
        if name in values and (values[name] or NEW_VALUES[name]) != (base.get(name) or NEW_VALUES[name]):
            problems[name] = refusal(name, base.get(name), values[name], where=where, source=source, new=new)
    return problems


def changed_draw_fields(stored: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[str]:
    """Editable draw-relevant fields whose value in ``values`` differs from ``stored`` (none when new)."""
    if stored is None:
        return []
    return [n for n in EDITABLE_DRAW_FIELDS if n in values and values[n] != stored.get(n)]


def reason_required(fields: list[str]) -> str:
    labels = "、".join(field_label(n) for n in fields)
    return f"修改了影响随机抽取的字段（{labels}），须填写变更原因"


Check = Callable[[Any], None]


def institution_check(reason: str, *, where: str, source: str = "提交的值") -> Check:
    """A ``check`` for ``directory.actions.create/update`` of an institution.

    Compares the row as it is about to be written with the stored row: a changed owned field is a
    ``ValidationError`` on that field; a changed editable draw-relevant field without ``reason`` one
    on ``change_reason``."""

    def check(obj: Institution) -> None:
        stored = None
        if obj.pk is not None:
            stored = Institution.objects.filter(pk=obj.pk).values(*DRAW_RELEVANT_FIELDS).first()
        values = {n: getattr(obj, n) for n in DRAW_RELEVANT_FIELDS}
        problems = owned_problems(stored, values, where=where, source=source)
        changed = changed_draw_fields(stored, values)
        if changed and not (reason or "").strip():
            problems["change_reason"] = reason_required(changed)
        if problems:
            raise ValidationError(problems)

    return check

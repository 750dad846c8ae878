"""What the public sees of one inspection: the ``Publication.snapshot`` JSON.

Only public facts go in: the institution's name, code and area (never its phone, contact person or
legal representative), the task and its items, the result type, the handling and a summary of the
findings by violation type and amount, and the team as policies ``portal.show_inspector_names`` and
``portal.show_certificate_numbers`` allow (never 身份证号 or phone). The whole snapshot passes through the public
serialiser (``portal.public.clean`` with the names of the institution's 法定代表人 / 联系人 and the inspection's
确认人), so every string in it is masked when stored — and again when read. Voided findings (作废) are not in it.

A correction's snapshot also has ``changes``: what the correction changed against the version it
corrects, as plain Chinese rows ``{"item", "before", "after"}`` (问题数, 涉及金额, each finding voided or
adjusted, result type …), shown next to the correction reason (:func:`changes`).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from spotcheck import policy
from spotcheck.core.masking import scrub_personal_data
from spotcheck.inspections.models import Inspection, ResultType

from .public import People, clean

SCHEMA_VERSION = 1


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def team(inspection: Inspection, on: dt.date | None = None) -> list[dict[str, str]]:
    """The active team as the privacy policies allow: department, and name / 执法证号 when enabled."""
    show_names = bool(policy.get("portal.show_inspector_names", on=on))
    show_certs = bool(policy.get("portal.show_certificate_numbers", on=on))
    rows = []
    for member in inspection.active_members():
        person = member.inspector
        row = {"department": person.department.name}
        if show_names:
            row["name"] = person.name
        if show_certs:
            row["cert_number"] = person.cert_number
        rows.append(row)
    return rows


def findings_summary(inspection: Inspection) -> list[dict[str, Any]]:
    """Findings grouped by violation type: count and total amount (元, as a string with 2 decimals)."""
    groups: OrderedDict[int, dict[str, Any]] = OrderedDict()
    for finding in (inspection.findings.counted().select_related("violation_type")
                    .order_by("violation_type__seq", "id")):
        g = groups.setdefault(finding.violation_type_id, {
            "violation_type": finding.violation_type.name, "article": finding.article, "count": 0,
            "amount": Decimal("0"),
        })
        g["count"] += 1
        g["amount"] += finding.amount or Decimal("0")
    return [{**g, "amount": f"{g['amount']:.2f}"} for g in groups.values()]


def build(inspection: Inspection, *, published_on: dt.date) -> dict[str, Any]:
    """The public snapshot of ``inspection`` as of ``published_on`` (policies in force that day)."""
    inst = inspection.institution
    task = inspection.task
    findings = findings_summary(inspection)
    total = sum((Decimal(f["amount"]) for f in findings), Decimal("0"))
    return clean({
        "schema": SCHEMA_VERSION,
        "institution": {
            "fixmedins_code": inst.fixmedins_code, "name": inst.name, "kind": inst.get_kind_display(),
            "category": inst.get_category_display(), "region_code": inst.region_id, "region_name": inst.region.name,
        },
        "area": {"code": inspection.region_id, "name": inspection.region.full_name},
        "task": {
            "id": task.pk, "name": task.name, "plan": task.plan.name, "year": task.plan.year,
            "period_start": _date(task.period_start), "period_end": _date(task.period_end), "method": task.method,
        },
        "items": [{"id": i.pk, "category": i.category, "name": i.name} for i in task.items.order_by("item_list_id", "seq")],
        "inspection": {"started_on": _date(inspection.started_on), "ended_on": _date(inspection.ended_on),
                       "result_notice_number": inspection.result_notice_number},
        "result_type": inspection.result_type,
        "result_label": str(ResultType(inspection.result_type).label),
        "handling": scrub_personal_data(inspection.handling),
        "findings": findings,
        "findings_count": sum(f["count"] for f in findings),
        "findings_amount": f"{total:.2f}",
        "team": team(inspection, on=published_on),
    }, People.of(inst, inspection))


def yuan(value: Any) -> str:
    """``"1600.00"`` → ``"1,600.00 元"`` (as the public pages show amounts)."""
    try:
        return f"{Decimal(str(value)):,.2f} 元"
    except (ArithmeticError, ValueError):
        return str(value)


def changes(old: dict[str, Any], new: dict[str, Any], findings: list[dict[str, Any]] | None = None
            ) -> list[dict[str, str]]:
    """What ``new`` (a correction's snapshot) changes against ``old``, as rows ``{"item", "before", "after"}``
    in plain Chinese. ``findings``: the finding changes of the correction (``finding_change_rows``)."""
    rows: list[dict[str, str]] = []

    def add(item: str, before: Any, after: Any) -> None:
        if before != after:
            rows.append({"item": item, "before": str(before if before not in (None, "") else "（空）"),
                         "after": str(after if after not in (None, "") else "（空）")})

    add("检查结果", old.get("result_label", ""), new.get("result_label", ""))
    add("处理情况", old.get("handling", ""), new.get("handling", ""))
    add("检查结果告知书文号", (old.get("inspection") or {}).get("result_notice_number", ""),
        (new.get("inspection") or {}).get("result_notice_number", ""))
    add("问题数", old.get("findings_count", 0), new.get("findings_count", 0))
    if old.get("findings_amount") != new.get("findings_amount"):
        add("涉及金额", yuan(old.get("findings_amount", "0")), yuan(new.get("findings_amount", "0")))
    rows.extend(findings or [])
    return rows


def finding_change_rows(corrections: list[Any], numbers: dict[int, int]) -> list[dict[str, str]]:
    """Public rows of finding corrections (``inspections.FindingCorrection``): which finding (its number in
    the corrected version, violation type and article), 已作废 or the amount adjusted. Descriptions and the
    bureau's refund and penalty amounts are not in the public snapshot, so only that they changed is shown."""
    rows = []
    for c in corrections:
        f = c.finding
        item = f"第 {numbers.get(f.pk, '?')} 个问题：{f.violation_type.name}（《条例》第{f.article}条）"
        if c.voided:
            amount = c.before.get("amount") or f"{f.amount:.2f}"
            rows.append({"item": item, "before": f"涉及金额 {yuan(amount)}", "after": "已作废"})
            continue
        if "amount" in c.after:
            rows.append({"item": item, "before": f"涉及金额 {yuan(c.before['amount'])}",
                         "after": f"涉及金额 {yuan(c.after['amount'])}（金额调整）"})
        other = [label for key, label in (("description", "问题描述"), ("refund_amount", "责令退回金额"),
                                          ("penalty_amount", "罚款金额")) if key in c.after]
        if other:
            rows.append({"item": item, "before": "—", "after": f"{'、'.join(other)}已更正"})
    return rows

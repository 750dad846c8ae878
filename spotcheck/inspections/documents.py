"""The documents of an on-site inspection as PDF and DOCX (执法文书 style, A4):

- 检查告知书 (``notice_document``): handed over on site with the certificates shown (附件2, 条例第二十九条);
  items and their 检查依据, team with 执法证号, the institution's duties and rights (回避), contact.
- 现场检查笔录 (``record_document``): the institution, time and place, team, the checklist lines with
  their outcome, the findings with amounts, the result, signatures of the inspectors (with 执法证号)
  and the institution's confirmation (负责人签字、盖章、日期).
- 检查结果告知书 (``result_document``): 文号 (policy ``inspection.result_number_format``), one of the four
  result types, findings and handling, rectification requirements with due dates, rights
  (陈述、申辩; 听证 where a penalty is considered; 行政复议 60 days, 行政诉讼 6 months).

A document whose number is not yet assigned (告知书 before ``notify``, 结果告知书 before
``record_result``) is a draft: the 文号 shows the policy format with a blank serial.
Voided findings (作废) are left out of every document; a corrected finding shows its corrected values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from spotcheck import policy
from spotcheck.directory.models import DepartmentKind
from spotcheck.documents import Column, Document, Field, chinese_number, render_docx, render_pdf
from spotcheck.planning.models import TargetKind

from .models import (
    ChecklistOutcome,
    Finding,
    Inspection,
    Rectification,
    ResultType,
    Treatment,
)

REGULATION = "《医疗保障基金使用监督管理条例》"
NOTICE, RECORD, RESULT = "检查告知书", "现场检查笔录", "检查结果告知书"
BLANK_DATE = "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
SIGN_DATE = "\u3000\u3000年\u3000\u3000月\u3000\u3000日"
CHECKED, UNCHECKED = "■", "□"
BLANK_REASON = "\u3000" * 8
#: Treatments that mean a penalty is being considered (the 听证 right may apply).
PENALTY_TREATMENTS = {Treatment.STATUTORY, Treatment.MITIGATED, Treatment.LIGHTER}


# --------------------------------------------------------------------------------------------
# Small helpers


def cn_date(day: dt.date | dt.datetime | None) -> str:
    """``2023-10-05`` → ``2023年10月5日``; ``None`` → a blank to fill in by hand."""
    if day is None:
        return BLANK_DATE
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def article(n: int) -> str:
    """38 → 第三十八条 (1–99)."""
    return f"第{chinese_number(n)}条"


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def bureau_name(inspection: Inspection) -> str:
    """The issuing authority: the task's responsible 医疗保障局, else ``<区域>医疗保障局``."""
    dept = inspection.task.responsible_department
    if dept is not None and dept.kind == DepartmentKind.HEALTHCARE_SECURITY:
        return dept.name
    return f"{inspection.region.name}医疗保障局"


def draft_number(inspection: Inspection, fmt_key: str, year: int) -> str:
    """The 文号 format of ``fmt_key`` with a blank serial (a draft not yet numbered)."""
    region = inspection.region
    short = (region.name or region.code)[:1]
    try:
        return str(policy.get(fmt_key)).format(short=short, year=year, seq="\u3000\u3000", region=region.name)
    except (KeyError, IndexError, ValueError):
        return f"{short}〔{year}〕\u3000\u3000号"


def notice_number(inspection: Inspection) -> str:
    year = (inspection.started_on or inspection.planned_date or timezone.localdate()).year
    return inspection.notice_number or draft_number(inspection, "inspection.notice_number_format", year)


def result_number(inspection: Inspection) -> str:
    year = (inspection.ended_on or timezone.localdate()).year
    return inspection.result_notice_number or draft_number(inspection, "inspection.result_number_format", year)


def document_filename(kind: str, inspection: Inspection, fmt: str) -> str:
    return f"{kind}-{inspection.institution.fixmedins_code}.{fmt}"


def _team(inspection: Inspection) -> list[Any]:
    return [m.inspector for m in inspection.active_members().order_by("position")]


def _team_rows(team: list[Any]) -> list[list[str]]:
    rows = []
    for i, p in enumerate(team, start=1):
        valid = f"{p.cert_valid_to:%Y.%m.%d}" if p.cert_valid_to else "—"
        rows.append([str(i), p.name, p.department.name, p.cert_number or "（未登记）", valid])
    return rows


SEQ = 0.8  # relative width of a 序号 column (fits the heading on one line)
_TEAM_COLUMNS = [Column("序号", SEQ, "center"), Column("姓名", 1.1, "center"), Column("工作单位", 2.6),
                 Column("执法证号", 1.9, "center"), Column("证件有效期至", 1.4, "center")]


def _items(inspection: Inspection) -> list[Any]:
    """The task's items that apply to this institution (a hospital is not checked on pharmacy items)."""
    kind = inspection.institution.kind
    return [i for i in inspection.task.items.order_by("seq") if i.target_kind in (kind, TargetKind.ALL)]


def _period(inspection: Inspection) -> str:
    task = inspection.task
    return f"{cn_date(task.period_start)}至{cn_date(task.period_end)}"


def _check_dates(inspection: Inspection) -> str:
    start, end = inspection.started_on or inspection.planned_date, inspection.ended_on
    if start and end and end != start:
        return f"{cn_date(start)}至{cn_date(end)}"
    if start:
        return cn_date(start)
    return f"{BLANK_DATE}至{BLANK_DATE}"


def _institution_fields(inspection: Inspection) -> list[Field | tuple[str, str]]:
    inst = inspection.institution
    kind = f"{inst.get_kind_display()}／{inst.get_category_display()}"
    if inst.level:
        kind += f"／{inst.get_level_display()}"
    contact = "，".join(x for x in (inst.contact_person, inst.contact_phone) if x)
    return [
        ("被检查单位", inst.name),
        Field("定点医药机构编码", inst.fixmedins_code, mono=True),
        Field("统一社会信用代码", inst.uscc, mono=True),
        ("机构类型", kind),
        ("地址", inst.address),
        ("法定代表人（负责人）", inst.legal_representative),
        ("联系人及电话", contact),
    ]


def _finding_rows(findings: list[Finding], *, handling: bool) -> list[list[str]]:
    rows = []
    for i, f in enumerate(findings, start=1):
        row = [str(i), f.violation_type.name, f.description, article(f.article), money(f.amount)]
        if handling:
            row.append(_treatment(f))
        else:
            row.append("是" if f.corrected_on_site else "否")
        rows.append(row)
    total = sum((f.amount for f in findings), Decimal("0"))
    rows.append(["", "合计", f"共 {len(findings)} 项", "", money(total), ""])
    return rows


def _treatment(f: Finding) -> str:
    parts = []
    if f.decided_treatment:
        parts.append(f.decided_treatment)
    elif f.recommended_treatment:
        parts.append(f"拟{f.recommended_treatment}（待决定）")
    if f.corrected_on_site:
        parts.append("已当场改正")
    if f.refund_amount:
        parts.append(f"责令退回 {money(f.refund_amount)} 元")
    if f.penalty_amount:
        parts.append(f"罚款 {money(f.penalty_amount)} 元")
    if f.penalty_decision_number:
        parts.append(f"处罚决定书 {f.penalty_decision_number}")
    return "；".join(parts) or "待处理"


def _finding_columns(last: str) -> list[Column]:
    handling = last == "处理"
    return [Column("序号", SEQ, "center"), Column("违规行为", 2.0 if handling else 2.3),
            Column("问题描述", 2.4 if handling else 2.8), Column("违反条款", 1.5, "center"),
            Column("涉及金额（元）", 1.5, "right"), Column(last, 2.3 if handling else 1.1, "left" if handling else "center")]


def _result_choices(inspection: Inspection, per_line: int = 4) -> str:
    """The four result types as tick boxes (■ the one found), ``per_line`` to a line."""
    boxes = [f"{CHECKED if inspection.result_type == value else UNCHECKED}{label}"
             for value, label in ResultType.choices]
    return "\n".join("\u3000\u3000".join(boxes[i:i + per_line]) for i in range(0, len(boxes), per_line))


# --------------------------------------------------------------------------------------------
# 检查告知书


def notice_document(inspection: Inspection) -> Document:
    inst, task = inspection.institution, inspection.task
    bureau = bureau_name(inspection)
    team = _team(inspection)
    items = _items(inspection)
    doc = Document(NOTICE, number=notice_number(inspection), issuer=bureau,
                   subject=f"{task.name} {inst.name} {NOTICE}", author=bureau)
    if not inspection.notice_number:
        doc.subtitle = "（草稿：未编号，告知时由系统编号）"
    doc.paragraph(f"{inst.name}：", indent=False)
    start = inspection.started_on or inspection.planned_date
    when = f"自{cn_date(start)}起" if start else "近日"
    doc.paragraph(
        f"根据{REGULATION}第二十七条、第二十八条和第二十九条的规定，按照本局“双随机、一公开”监管工作安排"
        f"（{task.name}），经随机抽取，本局决定{when}对你单位医疗保障基金使用情况进行现场检查。"
        "现将有关事项告知如下："
    )
    doc.heading("检查事项及依据")
    basis_rows = [[str(i), item.name, item.methods or task.method, _basis(item.basis)]
                  for i, item in enumerate(items, start=1)]
    if not basis_rows:
        basis_rows = [["1", task.item_summary or "医疗保障基金使用情况", task.method, REGULATION]]
    doc.table([Column("序号", SEQ, "center"), Column("检查事项", 2.6), Column("检查方式", 1.2, "center"),
               Column("检查依据", 3.2)], basis_rows)
    doc.heading("检查时间")
    doc.paragraph(f"检查时间为{_check_dates(inspection)}；本次抽查任务的检查期间为{_period(inspection)}。"
                  "检查所需时间视现场情况确定，检查组将尽量减少对你单位正常诊疗（经营）秩序的影响。")
    doc.heading("检查人员")
    doc.paragraph(
        f"本局指派下列 {len(team)} 名执法检查人员组成检查组。依照{REGULATION}第二十九条，"
        "现场检查人员不少于2人，并应当主动出示行政执法证件；请你单位核对证件。", keep_with_next=True,
    )
    doc.table(_TEAM_COLUMNS, _team_rows(team))
    doc.heading("你单位的义务")
    doc.paragraph(
        f"依照{REGULATION}第二十八条，你单位应当积极配合检查，按检查组要求如实提供与检查事项有关的"
        "医疗（医药）服务记录、费用结算单据、药品耗材进销存数据、财务账目、信息系统数据以及其他资料，"
        "如实说明情况，并指定专人负责联络；不得拒绝、阻碍检查，不得谎报、瞒报、伪造或者隐匿、毁损有关资料。"
        f"拒绝监督检查或者提供虚假情况的，依照{REGULATION}第三十九条处理，检查结果认定为“不配合检查情节严重”。"
    )
    doc.heading("你单位的权利")
    doc.paragraph(
        "（一）检查人员少于2人或者未出示行政执法证件的，你单位有权拒绝接受检查。", indent=True)
    doc.paragraph(
        "（二）申请回避。你单位认为检查人员与你单位有直接利害关系或者有其他关系可能影响公正执法的，"
        "有权依照《中华人民共和国行政处罚法》第四十三条申请回避。回避申请应当在检查开始前，向检查组当场口头提出"
        "（由检查组记入现场检查笔录）或者向本局书面提出，并说明理由；检查中方知悉回避事由的，应当在知悉后立即提出。"
        "本局负责人依法审查决定；决定作出之前，不停止检查。"
    )
    doc.paragraph(
        "（三）对检查中认定的事实，你单位有权进行陈述和申辩，并可在现场检查笔录上签署意见；"
        "检查人员对检查中知悉的个人信息、商业秘密依法负有保密义务。"
    )
    doc.heading("联系方式")
    leader = team[0] if team else None
    contact = policy.get("inspection.contact")
    rows: list[Field | tuple[str, str]] = [
        ("检查组联系人", f"{leader.name}（{leader.department.name}）" if leader else ""),
        ("本局联系电话", contact or "\u3000"),
        ("本局地址", policy.get("inspection.bureau_address") or "\u3000"),
    ]
    doc.fields(rows)
    doc.closing(bureau, cn_date(inspection.notified_at or inspection.started_on))
    doc.paragraph("本告知书一式两份，一份送达被检查单位，一份由本局存档。", small=True, indent=False)
    doc.signatures("被检查单位签收人", "签收时间")
    return doc


def _basis(text: str) -> str:
    text = " ".join((text or "").split())
    return text if REGULATION in text else (f"{REGULATION}；{text}" if text else REGULATION)


# --------------------------------------------------------------------------------------------
# 现场检查笔录 / 检查表


def record_document(inspection: Inspection) -> Document:
    inst, task = inspection.institution, inspection.task
    bureau = bureau_name(inspection)
    team = _team(inspection)
    doc = Document(RECORD, issuer=bureau, subject=f"{task.name} {inst.name} {RECORD}", author=bureau,
                   number=f"（检查告知书：{notice_number(inspection)}）")
    doc.heading("基本情况")
    doc.fields([
        *_institution_fields(inspection),
        ("抽查任务", task.name),
        ("检查时间", _check_dates(inspection)),
        ("检查地点", inst.address or "\u3000"),
    ])
    doc.heading("检查人员")
    doc.paragraph(
        f"检查人员 {len(team)} 名（不少于2人），已向被检查单位出示行政执法证件，送达《检查告知书》"
        f"（{notice_number(inspection)}），告知了配合检查的义务和申请回避的权利。"
        f"被检查单位{UNCHECKED}未申请回避\u3000{UNCHECKED}申请回避（理由：{BLANK_REASON}）。",
        keep_with_next=True,
    )
    doc.table(_TEAM_COLUMNS[:4], [r[:4] for r in _team_rows(team)])
    doc.heading("检查情况")
    entries = list(inspection.checklist.select_related("check_item", "violation_type").order_by("seq"))
    if entries:
        doc.paragraph("按检查表逐项检查，情况如下（■ 表示检查结论）：", keep_with_next=True)
        doc.table(
            [Column("序号", SEQ, "center"), Column("检查内容", 3.4), Column("检查结论", 1.7, "center"),
             Column("说明", 2.4)],
            [[str(e.seq), e.text, _outcome(e.outcome), e.note or ""] for e in entries],
        )
    else:
        doc.paragraph("本次检查未生成检查表条目。")
    doc.heading("发现的问题")
    findings = list(inspection.findings.counted().select_related("violation_type").order_by("id"))
    if findings:
        doc.paragraph(f"检查发现问题 {len(findings)} 项，涉及金额合计 "
                      f"{money(sum((f.amount for f in findings), Decimal('0')))} 元：", keep_with_next=True)
        doc.table(_finding_columns("当场改正"), _finding_rows(findings, handling=False))
    else:
        doc.paragraph("经现场检查，未发现违法违规问题。")
    doc.heading("检查结论")
    doc.fields([("检查结果", _result_choices(inspection, 2))])
    if inspection.result_summary:
        doc.paragraph(inspection.result_summary)
    doc.heading("签名确认")
    doc.paragraph("本笔录每页均须由检查人员和被检查单位负责人签字（或盖章）确认；被检查单位拒绝签字的，"
                  "由检查人员注明情况并签名。", small=True)
    doc.paragraph("检查人员（签名）：", indent=False, keep_with_next=True)
    doc.table(
        [Column("姓名", 1.1, "center"), Column("执法证号", 1.8, "center"), Column("签名", 2.4),
         Column("日期", 1.9, "center")],
        [[p.name, p.cert_number or "（未登记）", "", SIGN_DATE] for p in team], row_height=11,
    )
    confirmed = ""
    if inspection.confirmed_by_name:
        confirmed = f"（系统记录：{inspection.confirmed_by_name} 于 {cn_date(inspection.confirmed_at)}确认）\n"
    doc.fields([
        Field("被检查单位意见", (
            f"{confirmed}以上笔录及检查表已阅，与检查情况相符。\n\n"
            "负责人（签字）：\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000（单位盖章）\n\n"
            f"\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000{BLANK_DATE}"
        ), height=34),
    ])
    return doc


def _outcome(value: str) -> str:
    if not value:
        return f"{UNCHECKED}符合\u3000{UNCHECKED}不符合\n{UNCHECKED}不适用"
    return f"{CHECKED}{ChecklistOutcome(value).label}"


# --------------------------------------------------------------------------------------------
# 检查结果告知书


def result_document(inspection: Inspection) -> Document:
    inst, task = inspection.institution, inspection.task
    bureau = bureau_name(inspection)
    doc = Document(RESULT, number=result_number(inspection), issuer=bureau,
                   subject=f"{task.name} {inst.name} {RESULT}", author=bureau)
    if not inspection.result_notice_number:
        doc.subtitle = "（草稿：未编号，录入检查结果时由系统编号）"
    doc.paragraph(f"{inst.name}：", indent=False)
    doc.paragraph(
        f"本局于{_check_dates(inspection)}依据{REGULATION}，对你单位医疗保障基金使用情况进行了现场检查"
        f"（{task.name}，检查告知书{notice_number(inspection)}）。现将检查结果告知如下："
    )
    doc.heading("检查结果")
    label = inspection.get_result_type_display() if inspection.result_type else "（尚未认定）"
    doc.paragraph(f"检查结果类型：{label}。", indent=True)
    if inspection.result_summary:
        doc.paragraph(inspection.result_summary)

    findings = list(inspection.findings.counted().select_related("violation_type").order_by("id"))
    doc.heading("发现的问题及处理")
    if findings:
        doc.paragraph(f"检查发现问题 {len(findings)} 项，涉及医疗保障基金 "
                      f"{money(sum((f.amount for f in findings), Decimal('0')))} 元：", keep_with_next=True)
        doc.table(_finding_columns("处理"), _finding_rows(findings, handling=True))
    else:
        doc.paragraph("本次检查未发现违法违规问题。")
    if inspection.handling:
        doc.paragraph(f"处理情况：{inspection.handling}")
    referrals = list(inspection.referrals.order_by("referred_at", "id"))
    for ref in referrals:
        name = ref.agency_name or ref.get_agency_display()
        number = f"（{ref.document_number}）" if ref.document_number else ""
        doc.paragraph(f"移交：{cn_date(ref.referred_at)}移交{name}{number}，理由：{ref.reason}")

    doc.heading("整改要求")
    rects = list(inspection.rectifications.order_by("due_date", "id"))
    _rectification_section(doc, inspection, rects, findings)

    doc.heading("权利告知")
    _rights_section(doc, inspection, findings)
    doc.heading("结果公开")
    days = policy.get("disclosure.deadline_workdays")
    doc.paragraph(
        f"按照“双随机、一公开”和“谁检查、谁录入、谁公示”的要求，本次检查结果将自检查结束之日起{days}个工作日内"
        "录入监管工作平台并向社会公示，同时纳入你单位医疗保障信用记录。"
    )
    doc.closing(bureau, cn_date(inspection.recorded_at or inspection.ended_on))
    doc.paragraph("本告知书一式两份，一份送达被检查单位，一份由本局存档。", small=True, indent=False)
    doc.signatures("被检查单位签收人", "签收时间")
    return doc


def _rectification_section(doc: Document, inspection: Inspection, rects: list[Rectification],
                           findings: list[Finding]) -> None:
    if rects:
        problem = {f.pk: i for i, f in enumerate(findings, start=1)}
        doc.paragraph("你单位应当按下列要求完成整改，并在期限届满前将整改报告及佐证材料报送本局：",
                      keep_with_next=True)
        doc.table(
            [Column("序号", SEQ, "center"), Column("对应问题", 1.2, "center"), Column("整改要求", 4.0),
             Column("整改期限", 1.8, "center"), Column("状态", 1.0, "center")],
            [[str(i), f"第{problem[r.finding_id]}项" if r.finding_id in problem else "整体",
              r.requirement, f"{cn_date(r.due_date)}前", r.get_status_display()]
             for i, r in enumerate(rects, start=1)],
        )
    elif findings and all(f.corrected_on_site for f in findings):
        doc.paragraph("上述问题已在检查现场改正。你单位应当举一反三，健全内部管理制度，防止同类问题再次发生；"
                      "本局将在后续检查中予以复查。")
        return
    elif inspection.result_type in (ResultType.CORRECTED, ResultType.PENDING) or findings:
        days = policy.get("inspection.rectification_days")
        doc.paragraph(f"你单位应当对上述问题立即整改，自收到本告知书之日起{days}日内完成整改，"
                      "并将整改报告及佐证材料报送本局。")
    else:
        doc.paragraph("本次检查未发现问题，无需整改。请你单位继续加强医疗保障基金使用内部管理。")
        return
    doc.paragraph(f"逾期未整改或者整改不到位的，本局将依照{REGULATION}第三十八条、第三十九条等规定依法处理，"
                  "并记入你单位医疗保障信用记录。")


def _rights_section(doc: Document, inspection: Inspection, findings: list[Finding]) -> None:
    days = policy.get("inspection.statement_workdays")
    doc.paragraph(
        f"（一）陈述、申辩。你单位对本检查结果认定的事实有异议的，可以自收到本告知书之日起{days}个工作日内"
        "向本局提出书面陈述、申辩意见，并提交相关证据材料；逾期未提出的，视为放弃陈述、申辩的权利。"
    )
    penalty = any((f.decided_treatment or f.recommended_treatment) in PENALTY_TREATMENTS for f in findings)
    if penalty or inspection.result_type in (ResultType.PENDING, ResultType.UNCOOPERATIVE):
        doc.paragraph(
            "（二）听证。本局拟对你单位作出行政处罚的，将另行送达《行政处罚事先告知书》，告知拟作出的处罚内容及"
            "事实、理由、依据；拟作出较大数额罚款、暂停相关责任部门涉及医疗保障基金使用的医药服务等符合"
            "《中华人民共和国行政处罚法》第六十三条规定情形的，你单位有权在收到事先告知书之日起五日内要求听证。"
        )
        n = "三"
    else:
        n = "二"
    if inspection.result_type != ResultType.NO_PROBLEM or findings:
        government = f"{inspection.region.name}人民政府"
        doc.paragraph(
            f"（{n}）行政复议和行政诉讼。你单位对本局作出的责令改正等行政行为不服的，可以自知道该行为之日起"
            f"六十日内向{government}申请行政复议，或者自知道该行为之日起六个月内依法向人民法院提起行政诉讼。"
        )


# --------------------------------------------------------------------------------------------
# Rendering

BUILDERS = {"notice": (NOTICE, notice_document), "record-sheet": (RECORD, record_document),
            "result-notice": (RESULT, result_document)}


def render(kind: str, inspection: Inspection, fmt: str) -> bytes:
    """``kind`` in :data:`BUILDERS`, ``fmt`` "pdf" or "docx"."""
    doc = BUILDERS[kind][1](inspection)
    return render_pdf(doc) if fmt == "pdf" else render_docx(doc)



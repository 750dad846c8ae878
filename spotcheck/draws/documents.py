"""The draw record (抽取记录) as PDF and DOCX, built from ``record.draw_record_context``.

``full=True`` is the complete record for the task's staff and auditors (callers check
``access.sees_everything``): inputs, the changes to draw-relevant institution data since the area's
previous draw (``draws.changes``), commitment, who did each step and when, and after the reveal
the seed, the results with their teams, the reserve and the events. ``full=False`` is the part
anybody in the area may see: the task, the public commitment, the steps, a failure, and the public
randomness, without the pool, the results or the package.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from django.utils import timezone

from spotcheck.documents import Column, Document, Field, document_number, render_docx, render_pdf
from spotcheck.planning.ratios import format_percent

from . import changes, wording
from .models import Draw, DrawStatus
from .record import draw_record_context

TITLE = "抽取记录"
ALGORITHM = "SC-DRAW-1（可公开验证的随机抽取算法）"
#: Changes listed in the record (the count is always complete; the rest are on the draw's change list page).
RECORD_CHANGE_ROWS = 500
CONFIDENTIAL_NOTE = (
    "抽取结果在检查开始前保密（不提前告知）。本记录只包含可以公开的部分；完整记录（抽取范围、"
    "抽取结果、检查组和变更事件）只有本任务的工作人员和审计/纪检人员可以打印。"
)
_STEPS = (
    ("frozen", "冻结抽取范围"),
    ("staffing_checked", "人员配置检查"),
    ("staffing_override", "人员不足放行"),
    ("commit_proposed", "发起提交承诺"),
    ("committed", "审批并生成承诺"),
    ("reveal_proposed", "发起揭示"),
    ("revealed", "审批并揭示结果"),
)


def draw_record_pdf(draw: Draw, *, full: bool = True) -> bytes:
    """The draw record as PDF bytes (raises ``FontNotFoundError`` without a CJK font)."""
    return render_pdf(draw_record_document(draw, full=full))


def draw_record_docx(draw: Draw, *, full: bool = True) -> bytes:
    return render_docx(draw_record_document(draw, full=full))


def record_number(draw_id: str) -> str:
    """``"2023-140522-001"`` → ``"抽取记录〔2023〕140522-001号"`` (an id of another shape is kept whole)."""
    m = re.fullmatch(r"(\d{4})-(.+)", draw_id)
    return document_number(TITLE, m.group(1), m.group(2)) if m else f"{TITLE}（{draw_id}）"


def record_filename(draw_id: str, fmt: str) -> str:
    return f"{TITLE}-{draw_id}.{fmt}"


def _time(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _who(step: dict[str, Any] | None) -> str:
    if not step:
        return ""
    user, username = step["user"], step["username"]
    return f"{user}（{username}）" if username and username != user else user


def draw_record_document(draw: Draw, *, full: bool = True) -> Document:
    """The format-neutral document; see the module docstring for ``full``."""
    ctx = draw_record_context(draw)
    revealed = ctx["status"] == DrawStatus.REVEALED
    task = ctx["task"]
    doc = Document(
        TITLE, number=record_number(ctx["draw_id"]), subject=f"{task['name']} 抽取记录",
        subtitle=f"状态：{ctx['status_display']}　　打印时间：{_time(timezone.now())}",
    )
    _task_section(doc, ctx)
    if full:
        _pool_section(doc, ctx)
        _changes_section(doc, draw)
    if ctx["commitment"]:
        _commitment_section(doc, ctx, full)
    _steps_section(doc, ctx)
    if ctx["error"]:
        _failure_section(doc, ctx)
    if revealed:
        _reveal_section(doc, ctx, full)
    if revealed and full:
        _results_section(doc, ctx)
        _events_section(doc, ctx)
    if not full:
        doc.paragraph(CONFIDENTIAL_NOTE, small=True)
    _verification_section(doc, ctx, full)
    doc.signatures("经办人", "审批人", "日期")
    return doc


def _task_section(doc: Document, ctx: dict[str, Any]) -> None:
    task = ctx["task"]
    ratio = f"{format_percent(*task['ratio'])}%" + ("，按信用等级调整" if task["credit_scaled"] else "")
    kind = ("定向" if task["directed"] else "不定向") + ("，异地交叉检查" if task["cross_area"] else "")
    doc.heading("抽查任务").fields([
        ("抽取编号", ctx["draw_id"]),
        ("任务名称", task["name"]),
        ("抽查地区", f"{task['region_name']}（{task['region_code']}）"),
        ("检查期间", f"{task['period_start']:%Y-%m-%d} 至 {task['period_end']:%Y-%m-%d}"),
        ("抽查比例", ratio),
        ("抽查类型", kind),
        ("检查事项", "\n".join(task["items"]) or "—"),
        ("抽取算法", ALGORITHM),
        ("当前状态", ctx["status_display"]),
    ])


def _pool_section(doc: Document, ctx: dict[str, Any]) -> None:
    strata, excluded = ctx["strata"], ctx["excluded_institutions"]
    doc.heading("抽取范围与分层")
    doc.paragraph(
        f"冻结时纳入抽取的机构共 {ctx['unit_count']} 家，分为 {len(strata)} 层；"
        f"因协议状态或年度检查次数未纳入抽取的机构 {len(excluded)} 家。", keep_with_next=True,
    )
    doc.table(
        [Column("层", 3.2), Column("机构数 N", 1.1, "right"), Column("抽取比例", 1.2, "right"),
         Column("取整方式", 1.2, "center"), Column("抽取数 n", 1.1, "right")],
        [[wording.stratum_label(s["stratum"]), str(s["population"]), wording.ratio_percent(s["ratio"]),
          wording.rounding_label(s["rounding"]), str(s["sample_size"])] for s in strata]
        + [["合计", str(sum(s["population"] for s in strata)), "", "",
            str(sum(s["sample_size"] for s in strata))]],
    )
    if excluded:
        reasons = Counter(e["reason"] for e in excluded)
        doc.table([Column("未纳入原因", 3), Column("机构数", 1, "right")],
                  [[reason, str(count)] for reason, count in sorted(reasons.items())])
    teams = ctx["teams"]
    if teams:
        doc.paragraph(
            f"检查组：每名检查人员最多参加 {teams['cap']} 个检查组；可抽取的检查人员 {teams['inspector_count']} 名，"
            f"回避组合（机构与人员不得同组）{teams['exclusion_pair_count']} 对。", keep_with_next=True,
        )
        doc.table(
            [Column("部门", 3), Column("每组人数", 1, "right"), Column("需要人次", 1, "right"),
             Column("可抽取人数", 1.1, "right"), Column("可承担人次", 1.1, "right")],
            [[n["department"], str(n["count"]), str(n["needed"]), str(n["eligible"]), str(n["capacity"])]
             for n in teams["needs"]],
        )
    if ctx["excluded_inspectors"]:
        reasons = Counter(p["reason"] for p in ctx["excluded_inspectors"])
        doc.paragraph("未纳入抽取的检查人员 {} 名：{}。".format(
            len(ctx["excluded_inspectors"]), "；".join(f"{r} {c} 名" for r, c in sorted(reasons.items()))))
    staffing = ctx["staffing"]
    if staffing:
        verdict = (f"通过，模拟 {staffing['runs']} 次揭示均能配齐检查组" if staffing["ok"]
                   else f"可能无法配齐（{staffing.get('message', '')}）")
        doc.paragraph(f"人员配置检查：{verdict}。")
    if ctx["override_reason"]:
        doc.paragraph(f"人员不足放行理由：{ctx['override_reason']}")


def _changes_section(doc: Document, draw: Draw) -> None:
    report = changes.report(draw, limit=RECORD_CHANGE_ROWS)
    doc.heading("上次抽取以来影响抽取概率的变更")
    doc.paragraph(report.summary, keep_with_next=bool(report.changes))
    if report.changes:
        doc.table(
            [Column("时间", 1.25, "center"), Column("操作人", 1.1), Column("机构", 1.8), Column("字段", 0.8),
             Column("变更前 → 变更后", 1.3), Column("原因", 1.5)],
            [[c.when, c.actor, c.institution, c.field, f"{c.before} → {c.after}", c.reason] for c in report.changes],
        )
    if report.truncated:
        doc.paragraph(f"仅列出前 {len(report.changes)} 条，共 {report.total} 条；完整清单见系统中本次抽取的"
                      "“上次抽取以来影响抽取概率的变更”页面或审计日志。", small=True)
    doc.paragraph("信用等级只能由信用评价修改，重点监控只能由系统数据检查的决定或“设置重点监控”修改，"
                  "机构类型、类别、等级、区域和协议状态的修改须填写变更原因。", small=True)


def _commitment_section(doc: Document, ctx: dict[str, Any], full: bool) -> None:
    c = ctx["commitment"]
    doc.heading("公开承诺")
    doc.fields([
        ("承诺生成时间", _time(ctx["steps"]["committed"]["at"]) if ctx["steps"]["committed"] else ""),
        Field("名录快照摘要", c["snapshot_digest"], mono=True),
        Field("参数摘要", c["params_digest"], mono=True),
        Field("承诺值 H(密钥)", c["commit"], mono=True),
        ("公开随机源", "\n".join(c["randomness_sources"])),
    ])
    if not full:  # the strata sizes are part of the public commitment
        doc.table([Column("层", 3), Column("机构数 N", 1, "right"), Column("抽取数 n", 1, "right")],
                  [[wording.stratum_label(h), str(s["population"]), str(s["sample_size"])]
                   for h, s in c["strata"].items()])
    doc.paragraph(
        "承诺在公开随机数产生之前生成并公布：名录快照、抽取参数和密钥从此固定，任何人（包括本单位）"
        "都无法在看到公开随机数之后改变抽取结果。", small=True,
    )


def _steps_section(doc: Document, ctx: dict[str, Any]) -> None:
    steps = ctx["steps"]
    notes = {"staffing_override": ctx["override_reason"], "reveal_proposed": ctx["public_randomness"]}
    rows = [[label, _who(steps[key]), _time(steps[key]["at"]), notes.get(key, "")]
            for key, label in _STEPS if steps[key]]
    if steps["closed"]:
        label = "作废" if ctx["status"] == DrawStatus.CANCELLED else "抽取失败"
        rows.append([label, _who(steps["closed"]), _time(steps["closed"]["at"]),
                     ctx["error"]["message"] if ctx["error"] else ""])
    doc.heading("办理过程")
    doc.table([Column("环节", 1.5), Column("办理人", 1.5), Column("时间", 1.9, "center"), Column("说明", 2.6)], rows)


def _failure_section(doc: Document, ctx: dict[str, Any]) -> None:
    e = ctx["error"]
    cancelled = ctx["status"] == DrawStatus.CANCELLED
    doc.heading("作废情况" if cancelled else "抽取失败")
    rows: list[Field | tuple[str, str]] = [] if cancelled else [Field("错误代码", f"{e['code']}（{e['label']}）")]
    rows.append(("作废理由" if cancelled else "说明", e["message"]))
    if e["unit"]:
        rows.append(("无法配置的机构", e["unit"]))
    if e["department"]:
        rows.append(("缺少人员的部门", e["department"]))
    doc.fields(rows)
    if not cancelled:
        doc.paragraph("失败的抽取永久保留，供审计/纪检核查；补充人员或调整任务后重新抽取。", small=True)


def _reveal_section(doc: Document, ctx: dict[str, Any], full: bool) -> None:
    doc.heading("揭示")
    rows: list[Field | tuple[str, str]] = [
        ("揭示时间", _time(ctx["steps"]["revealed"]["at"]) if ctx["steps"]["revealed"] else ""),
        ("公开随机数", ctx["public_randomness"]),
    ]
    if full:
        rows += [Field("密钥（揭示后公开）", ctx["secret"], mono=True), Field("种子", ctx["seed"], mono=True)]
    doc.fields(rows)


def _team(members: list[dict[str, Any]]) -> str:
    return "、".join(f"{m['name']}（{m['number']}，{m['department']}）" for m in members) or "—"


def _results_section(doc: Document, ctx: dict[str, Any]) -> None:
    selection = ctx["selection"]
    doc.heading("抽取结果")
    doc.paragraph(f"抽中机构 {len(selection)} 家，按检查顺序排列：", keep_with_next=True)
    doc.table(
        [Column("顺序", 0.55, "center"), Column("机构编码", 1.4, mono=True), Column("机构名称", 1.8),
         Column("层", 1.45), Column("检查组", 2.8)],
        [[str(r["position"]), r["fixmedins_code"], r["name"], wording.stratum_label(r["stratum"]), _team(r["team"])]
         for r in selection],
    )
    reserve = ctx["reserve"]
    if reserve:
        total = sum(len(r["units"]) for r in reserve)
        used = sum(1 for r in reserve for _code, _name, taken in r["units"] if taken)
        per = "；".join(f"{wording.stratum_label(r['stratum'])} {len(r['units'])} 家" for r in reserve)
        doc.paragraph(f"候补名单共 {total} 家（{per}），其中已替补启用 {used} 家；名单见结果包。")
    else:
        doc.paragraph("本次抽取没有候补名单（各层机构已全部抽中）。")
    if ctx["replaced"]:
        doc.paragraph(f"因变更事件被替换的机构 {len(ctx['replaced'])} 家：", keep_with_next=True)
        doc.table([Column("原顺序", 0.7, "center"), Column("机构编码", 1.5, mono=True), Column("机构名称", 2.6),
                   Column("层", 1.5)],
                  [[str(r["position"]), r["fixmedins_code"], r["name"], wording.stratum_label(r["stratum"])]
                   for r in ctx["replaced"]])


def _events_section(doc: Document, ctx: dict[str, Any]) -> None:
    doc.heading("变更事件")
    events = ctx["events"]
    if not events:
        doc.paragraph("揭示后没有生效的变更事件。")
        return
    doc.table(
        [Column("序号", 0.6, "center"), Column("类型", 1.1), Column("机构编码", 1.4, mono=True),
         Column("人员", 0.9), Column("原因", 1.5), Column("申请", 1.5), Column("审批", 1.5)],
        [[str(e["seq"]), e["type"], e["fixmedins_code"], e["inspector"] or "—", e["reason"],
          f"{_who(e['requested'])}\n{_time(e['requested']['at'])}",
          f"{_who(e['approved'])}\n{_time(e['approved']['at'])}" if e["approved"] else ""]
         for e in events],
    )


def _verification_section(doc: Document, ctx: dict[str, Any], full: bool) -> None:
    doc.heading("验证方法")
    if ctx["status"] == DrawStatus.REVEALED:
        doc.paragraph(
            "任何人都可以独立复核本次抽取：下载本次抽取的结果包 package.json（结果公开后可获取）和校验程序 "
            "draw.py（只依赖 Python 3.8 及以上版本的标准库），在命令行运行 “python draw.py verify package.json”。"
            "输出 OK 表示名录快照、抽取参数、承诺值、公开随机数与抽取结果、检查组和变更事件完全一致；"
            "否则逐条列出不一致之处。结果包中的摘要和承诺值应与本记录第“公开承诺”部分一致。"
        )
    elif ctx["status"] == DrawStatus.FAILED and full:
        doc.paragraph(
            "下载失败抽取的输入 input.json 和校验程序 draw.py，运行 “python draw.py compute input.json”，"
            "可以复现本次失败及其原因。"
        )
    else:
        doc.paragraph(
            "承诺公布后、公开随机数产生前，任何人都可以保存承诺文件（commitment.json）。揭示后下载结果包和"
            "校验程序 draw.py，运行 “python draw.py verify package.json”，即可核对结果包与承诺一致、"
            "抽取结果由承诺和公开随机数唯一确定。"
        )

"""Past demo tasks run through the real workflow: the 2023 阳城 and 朔州 example tasks are drawn,
inspected with a mix of results, reviewed and published, so a fresh demo's portal has content.

Nothing here writes rows directly: every step is the product's own action (``draws.actions``,
``inspections.actions``, ``portal.actions``) performed by the demo accounts, with audit events.
The actions read the clock through ``django.utils.timezone.now``; :class:`ReplayClock` sets that
clock to the dates of 2023 while the history is replayed, so notices, records, reviews and
publications carry plausible dates and deadlines (one publication is deliberately late, to show how
the portal marks it). The clock is restored afterwards.

Deterministic: the same directory and the same accounts give the same history.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from spotcheck.accounts.models import User
from spotcheck.base.transactions import atomic_action
from spotcheck.planning.models import Task

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TaskHistory:
    """How one example task is replayed: who acts, when the draw happens, the public randomness."""

    region_code: str
    task_name: str
    proposer: str  # username: freezes, proposes commit and reveal, records results
    approver: str  # username: approves commit and reveal, reviews, decides findings, publishes
    draw_day: dt.date
    reveal_day: dt.date
    source: str
    randomness: str


HISTORIES: tuple[TaskHistory, ...] = (
    TaskHistory(
        "140522", "全县定点医药机构的检查", "demo-county", "demo-county-lead",
        dt.date(2023, 9, 20), dt.date(2023, 9, 26),
        "中国体育彩票超级大乐透第23112期开奖号码（2023-09-25，演示）", "03 10 19 24 33 + 02 07",
    ),
    TaskHistory(
        "140600", "定点医疗机构医疗保障基金规范使用的检查", "demo-city", "demo-admin",
        dt.date(2023, 9, 5), dt.date(2023, 9, 12),
        "中国福利彩票双色球第2023106期开奖号码（2023-09-12，演示）", "05 11 17 22 28 31 + 09",
    ),
)


class ReplayClock:
    """A settable ``timezone.now`` for replaying past dates."""

    def __init__(self) -> None:
        self.at = dt.datetime.now(tz=TZ)

    def set(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        self.at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.UTC)


@contextmanager
def replay_clock() -> Iterator[ReplayClock]:
    clock = ReplayClock()
    with mock.patch("django.utils.timezone.now", clock.now):
        yield clock


def signature_png(seed: int) -> bytes:
    """A small PNG that looks like a signed and stamped sheet (a red seal and a scribble)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (320, 200), "white")
    pen = ImageDraw.Draw(img)
    for y in range(30, 120, 18):  # printed lines of the sheet
        pen.line([(20, y), (300, y)], fill=(190, 190, 190), width=1)
    points = [(40 + i * 12, 150 + rng.randint(-14, 14)) for i in range(14)]
    pen.line(points, fill=(20, 20, 90), width=3)
    pen.ellipse([200, 110, 290, 196], outline=(200, 0, 0), width=4)
    pen.regular_polygon((245, 153, 14), 5, fill=(200, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


@dataclass
class Outcome:
    """What happens at one inspection of the demo (chosen by its place in the inspection order)."""

    result_type: str
    findings: list[tuple[str, str, Decimal, bool]] = field(default_factory=list)  # (act code, text, 元, corrected)
    penalty: Decimal | None = None
    penalty_executed: bool = True


def outcome_for(position: int, kind: str) -> Outcome:
    """A realistic mix: most checks find nothing; some find small problems corrected on the spot
    (800 元 重复收费 → 不予处罚), some need follow-up with a penalty, one refuses to cooperate."""
    from spotcheck.inspections.models import ResultType

    slot = position % 10
    if kind == "H":
        act, small, big = ("38-duplicate-charge", "抽查住院病历发现重复收取同一诊疗项目费用，已当场退还参保人",
                           "多份病历存在超标准收费，涉及多名参保人，需进一步核查")
    else:
        act, small, big = ("38-substitution", "抽查销售记录发现将保健品串换为药品结算，已当场退还并改正",
                           "多笔销售存在串换药品结算，涉及多名参保人，需进一步核查")
    if slot in (1, 6):
        return Outcome(ResultType.CORRECTED, [(act, small, Decimal("800.00"), True)])
    if slot == 4:
        return Outcome(ResultType.PENDING, [(act, big, Decimal("12600.00"), False)],
                       penalty=Decimal("12600.00"), penalty_executed=position % 20 != 4)
    if slot == 8 and position >= 10:
        return Outcome(ResultType.UNCOOPERATIVE)
    return Outcome(ResultType.NO_PROBLEM)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def replay(say: Callable[[str], None] = print) -> dict[str, int]:
    """Replay every history whose task exists and has no draw yet. Returns counts per step."""
    counts = {"draws": 0, "inspections": 0, "findings": 0, "publications": 0}
    for history in HISTORIES:
        task = Task.objects.filter(region_id=history.region_code, name=history.task_name, plan__year=2023).first()
        if task is None:
            say(f"  跳过：没有示例任务“{history.task_name}”（先运行 planning load-examples --year 2023）")
            continue
        if task.draws.exists():
            say(f"  跳过：任务“{task.name}”已有抽取记录")
            continue
        with atomic_action(), replay_clock() as clock:
            done = _replay_task(history, task, clock)
        for key, value in done.items():
            counts[key] += value
        say(f"  {task.region.name}“{task.name}”：抽中 {done['inspections']} 家，公示 {done['publications']} 条")
    return counts


def _replay_task(history: TaskHistory, task: Task, clock: ReplayClock) -> dict[str, int]:
    from spotcheck.draws import actions as draws
    from spotcheck.inspections import actions as insp
    from spotcheck.inspections.models import EvidenceKind, ResultType, Treatment, ViolationType
    from spotcheck.policy.calendar import calendar
    from spotcheck.portal import actions as portal

    proposer, approver = _user(history.proposer), _user(history.approver)
    cal = calendar()

    clock.set(history.draw_day, 9)
    draw = draws.freeze(proposer, task)
    clock.set(history.draw_day, 9, 20)
    report = draws.check_staffing(proposer, draw)
    draw.refresh_from_db()
    if not draws.staffing_ok(draw):
        draws.override_staffing(approver, draw, f"演示数据：{report}")
    clock.set(history.draw_day, 10)
    draws.propose_commit(proposer, draw, [history.source])
    clock.set(history.draw_day, 10, 30)
    draws.approve_commit(approver, draw)
    clock.set(history.reveal_day, 9)
    draws.propose_reveal(proposer, draw, history.randomness)
    clock.set(history.reveal_day, 9, 30)
    draw = draws.approve_reveal(approver, draw)
    clock.set(history.reveal_day, 10)
    insp.ensure_for_draw(proposer, draw)

    inspections = list(
        draw.assignments.filter(active=True).order_by("position").select_related("inspection__institution")
    )
    counts = {"draws": 1, "inspections": len(inspections), "findings": 0, "publications": 0}
    for assignment in inspections:
        inspection = assignment.inspection
        start = inspection.planned_date or task.period_start
        outcome = outcome_for(assignment.position, inspection.institution.kind)
        clock.set(start, 9)
        insp.notify(proposer, inspection, start)
        inspection.refresh_from_db()
        clock.set(start, 11)
        if outcome.result_type != ResultType.UNCOOPERATIVE:
            insp.set_checklist(proposer, inspection, {e.pk: ("compliant", "") for e in inspection.checklist.all()})
        findings = []
        for act_code, text, amount, corrected in outcome.findings:
            vt = ViolationType.objects.filter(kind=inspection.institution.kind, act_code=act_code).order_by("seq").first()
            if vt is None:
                raise RuntimeError(f"违规行为目录中没有 {act_code}")
            findings.append(insp.add_finding(proposer, inspection, vt, text, amount, corrected))
        counts["findings"] += len(findings)
        if outcome.result_type != ResultType.UNCOOPERATIVE:
            png = SimpleUploadedFile("检查表签字页.png", signature_png(assignment.position), "image/png")
            clock.set(start, 16)
            insp.add_evidence(proposer, inspection, png, EvidenceKind.SIGNATURE, captured_at=clock.now())
        end = cal.add_workdays(start, 1) if findings else start
        clock.set(end, 17)
        summaries = {
            ResultType.NO_PROBLEM: ("", ""),
            ResultType.CORRECTED: ("发现违规收费问题，已责令当场改正并退还参保人费用。", "责令改正"),
            ResultType.PENDING: ("发现违规收费问题，涉及金额较大，需进一步核查处理。", "责令退回违规费用，依法立案处理"),
            ResultType.UNCOOPERATIVE: ("被检查单位拒绝提供病历和收费明细，经劝导仍不配合。", "约谈主要负责人，移交市场监督管理部门"),
        }
        summary, handling = summaries[ResultType(outcome.result_type)]
        confirmed = "" if outcome.result_type == ResultType.UNCOOPERATIVE else "院长（演示）"
        inspection = insp.record_result(proposer, inspection, outcome.result_type, summary, handling, end, confirmed)
        review_day = cal.add_workdays(end, 2)
        clock.set(review_day, 10)
        for finding in findings:
            recommended = finding.recommended_treatment or Treatment.STATUTORY
            if outcome.penalty is not None:
                insp.decide_finding(
                    approver, finding, Treatment.STATUTORY,
                    "" if recommended == Treatment.STATUTORY else "涉及金额较大，依法处罚",
                    refund_amount=finding.amount, penalty_amount=outcome.penalty,
                    penalty_executed=outcome.penalty_executed,
                    penalty_decision_number=f"{inspection.region.name[:1]}医保罚〔{end.year}〕{assignment.position + 1}号",
                )
            else:
                insp.decide_finding(approver, finding, recommended)
        clock.set(review_day, 11)
        insp.review(approver, inspection, True, "同意")
        late = assignment.position == 3  # one result published after its deadline, as happens
        publish_day = cal.add_workdays(inspection.due_date or review_day, 3) if late else cal.add_workdays(review_day, 3)
        clock.set(publish_day, 15)
        portal.publish(approver, inspection)
        counts["publications"] += 1
    return counts

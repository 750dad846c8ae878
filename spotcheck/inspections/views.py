"""Pages of on-site inspections. Every change is a POST that calls ``inspections.actions``.

Rows come from ``Inspection.objects.restrict(user)`` (area scope; an inspector-role user only their teams'): a
record outside it is a 404. The phone page (``record``) is for the team on site; the desk pages
(list, detail, review, referrals, rectifications, dashboard) are for bureau staff.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from spotcheck import policy
from spotcheck.base import uploads
from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.base.views import run_action
from spotcheck.draws.models import AssignmentMember, Draw, DrawStatus

from . import actions, deadlines
from .forms import (
    DecideForm,
    EvidenceForm,
    FilterForm,
    FindingForm,
    NotifyForm,
    ReceiptForm,
    RectificationCloseForm,
    RectificationForm,
    RectificationSubmitForm,
    ReferralForm,
    ResultForm,
    ReviewForm,
    VoidForm,
    errors_text,
)
from .models import (
    ChecklistOutcome,
    Evidence,
    EvidenceKind,
    Finding,
    Inspection,
    InspectionStatus,
    Rectification,
    RectificationStatus,
    Referral,
)


def _base(user: Any):  # noqa: ANN202 - a queryset
    return Inspection.objects.restrict(user).select_related("task", "institution", "region", "assignment")


def _get(request: HttpRequest, pk: int) -> Inspection:
    require(request.user, "view")
    return get_object_or_404(_base(request.user), pk=pk)


def _team_prefetch() -> Prefetch:
    members = AssignmentMember.objects.filter(active=True).select_related("inspector", "inspector__department")
    return Prefetch("assignment__members", queryset=members.order_by("position"), to_attr="team")


def _decorate(rows: list[Inspection], win: deadlines.Window) -> list[Inspection]:
    for i in rows:
        i.deadline_state = win.state(i.due_date, i.status)  # type: ignore[attr-defined]
        i.deadline_label = deadlines.LABELS[i.deadline_state]  # type: ignore[attr-defined]
        i.shown_status = actions.display_status(i)  # type: ignore[attr-defined]
    return deadlines.decorate(rows, win)


def _deadline_counts(qs: Any, win: deadlines.Window) -> dict[str, int]:
    open_qs = qs.filter(status__in=deadlines.OPEN_STATUSES, assignment__active=True)
    return {
        "overdue": open_qs.filter(due_date__lt=win.today).count(),
        "due_soon": open_qs.filter(due_date__gte=win.today, due_date__lte=win.warn_until).count(),
    }


def _pending_draws(user: Any) -> list[Draw]:
    """Revealed draws in the user's area with an active assignment that has no inspection yet."""
    if not can(user, "draw"):
        return []
    return list(
        Draw.objects.restrict(user, "draw").filter(status=DrawStatus.REVEALED)
        .filter(assignments__active=True, assignments__inspection__isnull=True)
        .select_related("task").distinct().order_by("-revealed_at")[:50]
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """All inspections in scope with filters, the overdue banner and the generate button."""
    user: Any = request.user
    require(user, "view")
    form = FilterForm(request.GET or None)
    qs = _base(user)
    win = deadlines.window()
    counts = _deadline_counts(qs, win)
    if form.is_valid():
        d = form.cleaned_data
        if d["task"]:
            qs = qs.filter(task_id=d["task"])
        if d["status"] == "replaced":
            qs = qs.filter(status=InspectionStatus.PLANNED, assignment__active=False)
        elif d["status"]:
            qs = qs.filter(status=d["status"])
        if d["result_type"]:
            qs = qs.filter(result_type=d["result_type"])
        if d["deadline"]:
            qs = qs.filter(status__in=deadlines.OPEN_STATUSES, assignment__active=True)
            qs = qs.filter(due_date__lt=win.today) if d["deadline"] == "overdue" else qs.filter(
                due_date__gte=win.today, due_date__lte=win.warn_until)
        if d["q"]:
            qs = qs.filter(Q(institution__name__icontains=d["q"]) | Q(institution__fixmedins_code__icontains=d["q"]))
    qs = qs.prefetch_related(_team_prefetch()).order_by("due_date", "task_id", "assignment__position", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    shown = _decorate(list(page.object_list), win)
    estimate_notice = deadlines.notice_for(
        user, deadlines.estimated_years(shown) | deadlines.unknown_due_years(_base(user), win))
    tasks = (Inspection.objects.filter(pk__in=Inspection.objects.restrict(user).values("pk"))
             .values_list("task_id", "task__name").distinct().order_by("-task_id")[:200])
    return render(request, "inspections/index.html", {
        "page": page, "form": form, "counts": counts, "pending_draws": _pending_draws(user), "tasks": tasks,
        "estimate_notice": estimate_notice,
    })


@login_required
@require_POST
def generate(request: HttpRequest, draw_id: str) -> HttpResponse:
    """生成检查记录 for a revealed draw (idempotent)."""
    draw = get_object_or_404(Draw.objects.restrict(request.user, "view").select_related("task"), draw_id=draw_id)
    require(request.user, "draw", draw.task.region_id)
    try:
        created = actions.ensure_for_draw(request.user, draw)
    except actions.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为抽取 {draw.draw_id} 生成 {len(created)} 条检查记录")
    return redirect("inspections:index")


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The logged-in inspector's checks: today's, upcoming, in progress, recently done."""
    user: Any = request.user
    require(user, "inspect")
    number = user.inspector_number
    qs = _base(user).filter(assignment__active=True)
    if number:
        qs = qs.filter(assignment__members__active=True, assignment__members__inspector__number=number).distinct()
    else:
        qs = qs.none()
    qs = qs.prefetch_related(_team_prefetch()).order_by("planned_date", "id")
    today = timezone.localdate()
    win = deadlines.window(today)
    rows = _decorate(list(qs[:300]), win)
    groups = {
        "in_progress": [i for i in rows if i.status == InspectionStatus.NOTIFIED],
        "today": [i for i in rows if i.status == InspectionStatus.PLANNED and (i.planned_date or today) <= today],
        "upcoming": [i for i in rows if i.status == InspectionStatus.PLANNED and i.planned_date and i.planned_date > today],
        "done": [i for i in rows if i.status not in (InspectionStatus.PLANNED, InspectionStatus.NOTIFIED)][:20],
    }
    return render(request, "inspections/mine.html", {"groups": groups, "today": today, "has_number": bool(number)})


def _detail_context(user: Any, insp: Inspection, here: str = "detail") -> dict[str, Any]:
    """What the record, detail and review pages share; ``here`` names the page (the void form returns to it)."""
    win = deadlines.window()
    _decorate([insp], win)
    findings = list(insp.findings.select_related("violation_type", "decided_by", "created_by", "voided_by")
                    .prefetch_related("evidence", "corrections"))
    can_work = _can(actions.may_work, user, insp)
    can_decide = can(user, "review") and user.in_scope(insp.region_id)
    return {
        "insp": insp,
        "here": here,
        "team": list(insp.active_members()),
        "checklist": list(insp.checklist.select_related("check_item", "violation_type")),
        "findings": findings,
        "counted_findings": sum(1 for f in findings if f.voided_at is None),
        "voided_findings": sum(1 for f in findings if f.voided_at is not None),
        "can_void": (can_work or can_decide)
        and insp.status in (InspectionStatus.NOTIFIED, InspectionStatus.RECORDED),
        "evidence": list(insp.evidence.select_related("uploaded_by", "finding__violation_type")),
        "referrals": list(insp.referrals.select_related("finding", "referred_by", "receipt")),
        "rectifications": list(insp.rectifications.select_related("finding", "created_by", "closed_by",
                                                                  "submitted_by")),
        "outcomes": [c for c in ChecklistOutcome.choices if c[0]],
        "can_work": can_work,
        "can_decide": can_decide,
        "can_review": (insp.status == InspectionStatus.RECORDED and can(user, "review")
                       and user.in_scope(insp.region_id) and insp.recorded_by_id != user.pk),
        "estimate_notice": deadlines.notice_for(user, insp.deadline_estimated_years),  # type: ignore[attr-defined]
    }


def _can(check: Callable[[Any, Inspection], None], user: Any, insp: Inspection) -> bool:
    try:
        check(user, insp)
    except PermissionDenied:
        return False
    return True


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    ctx = _detail_context(request.user, insp)
    ctx.update({
        "referral_form": ReferralForm(inspection=insp), "rect_form": RectificationForm(inspection=insp),
        "receipt_form": ReceiptForm(), "submit_form": RectificationSubmitForm(),
        "close_form": RectificationCloseForm(),
    })
    return render(request, "inspections/detail.html", ctx)


def _result_initial(insp: Inspection) -> dict[str, Any]:
    """What the team entered before: a record sent back (退回修改) keeps its result, 说明, 处理情况, end date
    and 确认人, so the team corrects them instead of typing everything again."""
    initial: dict[str, Any] = {"confirmed_by_name": insp.confirmed_by_name}
    if insp.result_type:
        initial["result_type"] = insp.result_type
    if insp.result_summary:
        initial["summary"] = insp.result_summary
    if insp.handling:
        initial["handling"] = insp.handling
    if insp.ended_on:
        initial["ended_on"] = insp.ended_on
    return initial


@login_required
@require_GET
def record_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone page of the team on site (375 px wide and up)."""
    insp = _get(request, pk)
    ctx = _detail_context(request.user, insp, "record")
    if not ctx["can_work"]:
        raise PermissionDenied("您不在该机构的检查组中")
    ctx.update({
        "notify_form": NotifyForm(initial={"on_date": timezone.localdate()}),
        "finding_form": FindingForm(inspection=insp), "evidence_form": EvidenceForm(inspection=insp),
        "result_form": ResultForm(initial=_result_initial(insp)),
        "draft": {"data": insp.draft or {}, "saved_at": insp.draft_saved_at.isoformat() if insp.draft_saved_at else ""},
        "has_signature": any(e.kind == EvidenceKind.SIGNATURE for e in ctx["evidence"]),
    })
    return render(request, "inspections/record.html", ctx)


# --------------------------------------------------------------------------------------------
# Steps (POST)


def _run(request: HttpRequest, run: Callable[[], Any], done: str, back: str) -> HttpResponse:
    """Run the step (see :func:`run_action`) and go back to the page it came from."""
    run_action(request, run, done)
    return redirect(back)


def _back(request: HttpRequest, insp: Inspection, default: str = "inspections:record") -> str:
    target = request.POST.get("next", "")
    if target in ("detail", "review", "record"):
        return reverse(f"inspections:{target}", args=[insp.pk])
    return reverse(default, args=[insp.pk])


@login_required
@require_POST
def notify(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = NotifyForm(request.POST)
    on_date = form.cleaned_data.get("on_date") if form.is_valid() else None
    return _run(request, lambda: actions.notify(request.user, insp, on_date),
                "已发放检查告知书，开始检查", _back(request, insp))


@login_required
@require_POST
def draft(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave of the phone page: a JSON object in the body; answers ``{"saved_at": …}``."""
    insp = _get(request, pk)
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JsonResponse({"error": "草稿格式不正确"}, status=400)
    try:
        saved = actions.save_draft(request.user, insp, data)
    except actions.ActionRefused as exc:
        return JsonResponse({"error": exc.message}, status=409)
    return JsonResponse({"saved_at": saved.isoformat()})


@login_required
@require_POST
def checklist(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    rows: dict[int, tuple[str, str]] = {}
    for entry in insp.checklist.all():
        key = f"outcome-{entry.pk}"
        if key in request.POST:
            rows[entry.pk] = (request.POST.get(key, ""), request.POST.get(f"note-{entry.pk}", ""))
    return _run(request, lambda: actions.set_checklist(request.user, insp, rows), "检查表已保存", _back(request, insp))


@login_required
@require_POST
def add_finding(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = FindingForm(request.POST, inspection=insp)
    if not form.is_valid():
        messages.error(request, "问题登记不完整：" + errors_text(form))
        return redirect(_back(request, insp))
    d = form.cleaned_data

    def run() -> Finding:
        finding = actions.add_finding(request.user, insp, d["violation_type"], d["description"], d["amount"],
                                      d["corrected_on_site"], list(d["circumstances"]))
        messages.info(request, f"系统建议：{finding.recommended_treatment or '—'}")
        return finding

    return _run(request, run, "问题已登记", _back(request, insp) + "#findings")


@login_required
@require_POST
def add_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = EvidenceForm(request.POST, request.FILES, inspection=insp)
    if not form.is_valid():
        messages.error(request, "上传失败：" + errors_text(form))
        return redirect(_back(request, insp) + "#evidence")
    d = form.cleaned_data
    return _run(request, lambda: actions.add_evidence(request.user, insp, d["file"], d["kind"], d["captured_at"],
                                                      d["finding"], d["note"]),
                "证据已上传", _back(request, insp) + "#evidence")


@login_required
@require_POST
def record_result(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = ResultForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "检查结果填写不完整：" + errors_text(form))
        return redirect(_back(request, insp) + "#result")
    d = form.cleaned_data

    def run() -> Inspection:
        signature = None
        if d["signature"]:
            signature = actions.add_evidence(request.user, insp, d["signature"], EvidenceKind.SIGNATURE,
                                             timezone.now(), note="被检查单位签字盖章")
        return actions.record_result(request.user, insp, d["result_type"], d["summary"], d["handling"],
                                     d["ended_on"], d["confirmed_by_name"], signature)

    return _run(request, run, "检查结果已录入，等待审核", _back(request, insp) + "#result")


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page: the whole record, a decision per finding, approve or send back."""
    insp = _get(request, pk)
    require(request.user, "review", insp.region_id)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择审核结论：" + errors_text(form))
            return redirect("inspections:review", pk=insp.pk)
        approve = form.cleaned_data["decision"] == "approve"
        try:
            actions.review(request.user, insp, approve, form.cleaned_data["note"])
        except actions.ActionRefused as exc:
            messages.error(request, exc.message)
            return redirect("inspections:review", pk=insp.pk)
        messages.success(request, "审核通过" if approve else "已退回检查组修改")
        return redirect("inspections:detail", pk=insp.pk)
    ctx = _detail_context(request.user, insp, "review")
    ctx["review_form"] = ReviewForm()
    ctx["decide_forms"] = [  # a voided finding is shown without a form: it needs no decision
        (f, None if f.voided_at else DecideForm(prefix=f"f{f.pk}", initial={
            "treatment": f.decided_treatment or f.recommended_treatment or "依法处罚",
            "deviation_reason": f.deviation_reason, "refund_amount": f.refund_amount,
            "penalty_amount": f.penalty_amount, "penalty_executed": f.penalty_executed,
            "penalty_decision_number": f.penalty_decision_number}))
        for f in ctx["findings"]
    ]
    return render(request, "inspections/review.html", ctx)


@login_required
@require_POST
def decide_finding(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    insp = _get(request, pk)
    finding = get_object_or_404(insp.findings.all(), pk=finding_id)
    form = DecideForm(request.POST, prefix=f"f{finding.pk}")
    back = _back(request, insp, "inspections:review")
    if not form.is_valid():
        messages.error(request, "处理决定填写有误：" + errors_text(form))
        return redirect(back)
    d = form.cleaned_data
    return _run(request, lambda: actions.decide_finding(
        request.user, finding, d["treatment"], d["deviation_reason"], refund_amount=d["refund_amount"],
        penalty_amount=d["penalty_amount"], penalty_executed=d["penalty_executed"],
        penalty_decision_number=d["penalty_decision_number"]), "处理决定已保存", back)


@login_required
@require_POST
def void_finding(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    """作废 a finding before review (recorder or reviewer), with a reason."""
    insp = _get(request, pk)
    finding = get_object_or_404(insp.findings.all(), pk=finding_id)
    form = VoidForm(request.POST)
    back = _back(request, insp, "inspections:detail") + f"#finding-{finding.pk}"
    if not form.is_valid():
        messages.error(request, "未能作废问题：" + errors_text(form))
        return redirect(back)
    return _run(request, lambda: actions.void_finding(request.user, finding, form.cleaned_data["reason"]),
                "问题已作废（保留记录，不再计入问题数和金额）", back)


@login_required
@require_POST
def refer(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = ReferralForm(request.POST, inspection=insp)
    back = reverse("inspections:detail", args=[insp.pk]) + "#referrals"
    if not form.is_valid():
        messages.error(request, "移交信息不完整：" + errors_text(form))
        return redirect(back)
    d = form.cleaned_data
    return _run(request, lambda: actions.refer(request.user, insp, d["agency"], d["reason"],
                                               agency_name=d["agency_name"], document_number=d["document_number"],
                                               finding=d["finding"]), "已登记移交", back)


@login_required
@require_POST
def referral_receipt(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.filter(inspection__in=_base(request.user)), pk=referral_id)
    insp = referral.inspection
    form = ReceiptForm(request.POST, request.FILES)
    back = reverse("inspections:detail", args=[insp.pk]) + "#referrals"
    if not form.is_valid():
        messages.error(request, "回执信息有误：" + errors_text(form))
        return redirect(back)
    d = form.cleaned_data

    def run() -> Referral:
        return actions.record_referral_receipt(request.user, referral, d["receipt_at"], d["note"],
                                               file=d["file"] or None)

    return _run(request, run, "已登记回执", back)


@login_required
@require_POST
def order_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    insp = _get(request, pk)
    form = RectificationForm(request.POST, inspection=insp)
    back = reverse("inspections:detail", args=[insp.pk]) + "#rectifications"
    if not form.is_valid():
        messages.error(request, "整改信息不完整：" + errors_text(form))
        return redirect(back)
    d = form.cleaned_data
    return _run(request, lambda: actions.order_rectification(request.user, insp, d["requirement"], d["due_date"],
                                                             d["finding"]), "已下达整改", back)


def _get_rect(request: HttpRequest, rect_id: int) -> Rectification:
    return get_object_or_404(Rectification.objects.filter(inspection__in=_base(request.user))
                             .select_related("inspection"), pk=rect_id)


@login_required
@require_POST
def submit_rectification(request: HttpRequest, rect_id: int) -> HttpResponse:
    rect = _get_rect(request, rect_id)
    form = RectificationSubmitForm(request.POST, request.FILES)
    back = reverse("inspections:detail", args=[rect.inspection_id]) + "#rectifications"
    if not form.is_valid():
        messages.error(request, "整改情况不完整：" + errors_text(form))
        return redirect(back)
    d = form.cleaned_data

    def run() -> Rectification:
        files = [actions.add_evidence(request.user, rect.inspection, d["file"], EvidenceKind.DOCUMENT, None,
                                      note="整改材料")] if d["file"] else []
        return actions.submit_rectification(request.user, rect, d["completion_note"], files)

    return _run(request, run, "整改材料已提交，等待审核销号", back)


@login_required
@require_POST
def close_rectification(request: HttpRequest, rect_id: int) -> HttpResponse:
    rect = _get_rect(request, rect_id)
    form = RectificationCloseForm(request.POST)
    back = reverse("inspections:detail", args=[rect.inspection_id]) + "#rectifications"
    if not form.is_valid():
        messages.error(request, "请选择审核结论：" + errors_text(form))
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    return _run(request, lambda: actions.close_rectification(request.user, rect, approve, form.cleaned_data["note"]),
                "整改已销号" if approve else "整改已退回", back)


# --------------------------------------------------------------------------------------------
# Lists and dashboard


@login_required
@require_GET
def referrals(request: HttpRequest) -> HttpResponse:
    require(request.user, "view")
    qs = (Referral.objects.filter(inspection__in=_base(request.user))
          .select_related("inspection", "inspection__institution", "finding", "referred_by"))
    if request.GET.get("open") == "1":
        qs = qs.filter(receipt_at__isnull=True)
    page = Paginator(qs.order_by("-referred_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "inspections/referrals.html", {"page": page, "open": request.GET.get("open") == "1"})


@login_required
@require_GET
def rectifications(request: HttpRequest) -> HttpResponse:
    require(request.user, "view")
    qs = (Rectification.objects.filter(inspection__in=_base(request.user))
          .select_related("inspection", "inspection__institution", "finding"))
    status = request.GET.get("status", "")
    if status in RectificationStatus.values:
        qs = qs.filter(status=status)
    elif status == "overdue":
        qs = qs.exclude(status=RectificationStatus.CLOSED).filter(due_date__lt=timezone.localdate())
    page = Paginator(qs.order_by("due_date", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "inspections/rectifications.html", {
        "page": page, "status": status, "statuses": RectificationStatus.choices, "today": timezone.localdate(),
    })


def overdue_rows(user: Any, win: deadlines.Window | None = None) -> list[Inspection]:
    """Open inspections in ``user``'s scope whose deadline has passed or is near (临期), soonest first."""
    win = win or deadlines.window()
    qs = (_base(user).filter(status__in=deadlines.OPEN_STATUSES, assignment__active=True,
                             due_date__lte=win.warn_until)
          .prefetch_related(_team_prefetch()).order_by("due_date", "id"))
    return _decorate(list(qs[:500]), win)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Due and overdue work by area and by inspector (team member), with the user's own count."""
    user: Any = request.user
    require(user, "view")
    win = deadlines.window()
    base = _base(user)
    counts = _deadline_counts(base, win)
    counts["to_review"] = base.filter(status=InspectionStatus.RECORDED).count()
    rect_qs = Rectification.objects.filter(inspection__in=base).exclude(status=RectificationStatus.CLOSED)
    counts["rect_overdue"] = rect_qs.filter(due_date__lt=win.today).count()
    counts["rect_submitted"] = rect_qs.filter(status=RectificationStatus.SUBMITTED).count()
    counts["referrals_open"] = Referral.objects.filter(inspection__in=base, receipt_at__isnull=True).count()

    by_area: dict[str, dict[str, Any]] = {}
    open_qs = base.filter(status__in=deadlines.OPEN_STATUSES, assignment__active=True)
    for row in (open_qs.values("region_id", "region__name")
                .annotate(total=Count("id"),
                          overdue=Count("id", filter=Q(due_date__lt=win.today)),
                          due_soon=Count("id", filter=Q(due_date__gte=win.today, due_date__lte=win.warn_until)))
                .order_by("region_id")):
        by_area[row["region_id"]] = row
    rows = overdue_rows(user, win)
    by_person: dict[str, dict[str, Any]] = defaultdict(lambda: {"overdue": 0, "due_soon": 0, "name": "", "dept": ""})
    for insp in rows:
        for m in insp.assignment.team:  # type: ignore[attr-defined]
            p = by_person[m.inspector.number]
            p["name"], p["dept"] = m.inspector.name, m.inspector.department.name
            p["overdue" if insp.deadline_state == deadlines.OVERDUE else "due_soon"] += 1  # type: ignore[attr-defined]
    mine = 0
    if user.inspector_number:
        mine = sum(1 for i in rows if any(m.inspector.number == user.inspector_number
                                          for m in i.assignment.team))  # type: ignore[attr-defined]
    return render(request, "inspections/dashboard.html", {
        "counts": counts, "by_area": list(by_area.values()), "rows": rows[:100], "win": win, "mine": mine,
        "estimate_notice": deadlines.notice_for(
            user, deadlines.estimated_years(rows) | deadlines.unknown_due_years(base, win)),
        "deadline_days": policy.get("disclosure.deadline_workdays"),
        "warn_days": policy.get("inspection.overdue_warning_workdays"),
        "by_person": sorted(by_person.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["due_soon"], kv[0])),
    })


@login_required
@require_GET
def evidence_file(request: HttpRequest, evidence_id: int) -> FileResponse:
    """An evidence file, to those who may see its inspection (never a public media URL)."""
    require(request.user, "view")
    ev = get_object_or_404(Evidence.objects.filter(inspection__in=_base(request.user)), pk=evidence_id)
    try:
        handle = ev.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    # the type checked by content at upload (base.uploads), never the client's; photos and videos open in the
    # browser, anything else (PDF) is an attachment; the name keeps the client's stem with the real extension.
    # X-Content-Type-Options: nosniff comes with every response (SECURE_CONTENT_TYPE_NOSNIFF).
    inline = ev.content_type.startswith(("image/", "video/"))
    stem = Path(uploads.display_name(ev.original_name)).stem or f"evidence-{ev.pk}"
    return FileResponse(handle, content_type=ev.content_type or "application/octet-stream", as_attachment=not inline,
                        filename=stem + (uploads.EXTENSIONS.get(ev.content_type) or Path(ev.file.name).suffix))

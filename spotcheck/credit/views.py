"""Pages of the credit files. Every change is a POST that calls ``credit.actions``.

Rows come from ``access.model.objects.restrict(user)``: bureau staff see their area, an institution account
only its own file; anything else is a 404. ``public_list`` needs no login and shows no personal data.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from spotcheck.base.permissions import can
from spotcheck.base.views import run_action
from spotcheck.directory.models import CreditGrade
from spotcheck.portal import public
from spotcheck.portal.ratelimit import public_view

from . import actions, forms
from .access import is_institution, may_read
from .models import (
    CreditRecord,
    CreditSubject,
    Evaluation,
    Measure,
    Objection,
    ObjectionStatus,
    RecordKind,
    RecordStatus,
    RepairApplication,
    RepairStatus,
    SubjectKind,
)

PAGE = 50


def _need_read(user: Any) -> None:
    if not may_read(user):
        raise PermissionDenied("您没有查看信用档案的权限")


def _staff(user: Any) -> bool:
    return can(user, "credit") and not is_institution(user)


def _subject(request: HttpRequest, pk: int) -> CreditSubject:
    _need_read(request.user)
    return get_object_or_404(CreditSubject.objects.restrict(request.user).select_related("institution", "region"), pk=pk)


def _measure_qs(measures: list[Measure]) -> Any:
    return Measure.objects.filter(pk__in=[m.pk for m in measures])


def _run(request: HttpRequest, fn: Callable[[], Any], done: str) -> Any:
    """The action's result, or ``None`` when it was refused (the reason is shown on the page)."""
    return run_action(request, fn, done, denied_as_message=True)[1]


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errs:
            messages.error(request, f"{label}：{e}" if label else e)


# --------------------------------------------------------------------------------------------
# lists


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Subjects of the user's area with filters; an institution account goes to its own file."""
    user: Any = request.user
    if is_institution(user):
        return redirect("credit:mine")
    _need_read(user)
    qs = CreditSubject.objects.restrict(user).select_related("institution", "region")
    form = forms.SubjectFilterForm(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            q = d["q"].strip()
            qs = qs.filter(Q(name__contains=q) | Q(uscc=q.upper()) | Q(institution__fixmedins_code=q.upper()))
        if d["category"]:
            qs = qs.filter(category=d["category"])
        if d["grade"] == "none":
            qs = qs.filter(grade="")
        elif d["grade"]:
            qs = qs.filter(grade=d["grade"])
        if d["region"]:
            qs = qs.filter(region__code__startswith=d["region"].strip())
    page = Paginator(qs.order_by("region_id", "name", "id"), PAGE).get_page(request.GET.get("page"))
    open_objections = Objection.objects.restrict(user).filter(status=ObjectionStatus.OPEN)
    pending_repairs = RepairApplication.objects.restrict(user).filter(status=RepairStatus.PENDING)
    today = timezone.localdate()
    return render(request, "credit/index.html", {
        "page": page, "form": form, "staff": _staff(user),
        "open_objections": open_objections.count(),
        "overdue_objections": open_objections.filter(due_date__lt=today).count(),
        "pending_repairs": pending_repairs.count(), "cycle_form": forms.CycleForm(initial={"year": today.year - 1}),
    })


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The institution account's own file."""
    user: Any = request.user
    if not is_institution(user):
        return redirect("credit:index")
    subject = CreditSubject.objects.restrict(user).first()
    if subject is None:
        raise Http404("本机构尚未建立信用档案")
    return redirect("credit:subject", pk=subject.pk)


@login_required
@require_GET
def objection_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _need_read(user)
    qs = Objection.objects.restrict(user).select_related("subject", "record", "filed_by", "decided_by")
    status = request.GET.get("status", "")
    if status in ObjectionStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("overdue"):
        qs = qs.filter(status=ObjectionStatus.OPEN, due_date__lt=timezone.localdate())
    page = Paginator(qs.order_by("status", "due_date", "-id"), PAGE).get_page(request.GET.get("page"))
    return render(request, "credit/objections.html", {
        "page": page, "status": status, "statuses": ObjectionStatus.choices, "today": timezone.localdate()})


@login_required
@require_GET
def repair_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _need_read(user)
    qs = RepairApplication.objects.restrict(user).select_related("subject", "record", "applied_by", "decided_by")
    status = request.GET.get("status", "")
    if status in RepairStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("status", "due_date", "-id"), PAGE).get_page(request.GET.get("page"))
    return render(request, "credit/repairs.html", {
        "page": page, "status": status, "statuses": RepairStatus.choices, "today": timezone.localdate()})


# --------------------------------------------------------------------------------------------
# one subject


@login_required
@require_GET
def subject(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    s = _subject(request, pk)
    staff = _staff(user) and user.in_scope(s.region_id)
    own = is_institution(user)
    records = list(s.records.select_related("finding", "inspection", "supersedes").order_by("-recorded_on", "-id"))
    active = s.records.filter(status=RecordStatus.ACTIVE)
    latest = actions.latest_evaluation(s)
    measures = actions.measures_for(s)
    ctx: dict[str, Any] = {
        "s": s, "staff": staff, "own": own, "latest": latest,
        "good": [r for r in records if r.kind == RecordKind.GOOD],
        "bad": [r for r in records if r.kind == RecordKind.BAD],
        "evaluations": s.evaluations.order_by("-evaluated_at", "-id")[:10],
        "objections": s.objections.select_related("record", "filed_by", "decided_by").order_by("-filed_at"),
        "repairs": s.repairs.select_related("record", "applied_by", "decided_by").order_by("-applied_at"),
        "measures": measures, "applied": s.applied_measures.select_related("measure", "applied_by"),
        "show_id": staff,  # 身份证号 in full only for the bureau staff of the area
        "portal_url": f"/portal/institutions/{s.fixmedins_code}/" if s.fixmedins_code else "",
    }
    if staff or own:
        ctx["objection_form"] = forms.ObjectionForm(records=active)
        ctx["repair_form"] = forms.RepairForm(records=active.filter(kind=RecordKind.BAD, repaired_on__isnull=True))
    if staff:
        ctx["record_form"] = forms.RecordForm()
        ctx["close_form"] = forms.CloseForm()
        ctx["measure_form"] = forms.MeasureForm(measures=_measure_qs(measures)) if measures else None
    return render(request, "credit/subject.html", ctx)


@login_required
def subject_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _staff(user):
        raise PermissionDenied("您没有建立信用档案的权限")
    form = forms.SubjectForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        created = _run(request, lambda: actions.create_subject(
            user, kind=d["kind"], category=d["category"], name=d["name"], region_code=d["region"].code,
            uscc=d["uscc"], id_number=d["id_number"], other_id=d["other_id"], registration=d["registration"],
            nature=d["nature"], legal_representative=d["legal_representative"]), "信用档案已建立")
        if created is not None:
            return redirect("credit:subject", pk=created.pk)
    return render(request, "credit/subject_form.html", {"form": form})


@login_required
@require_POST
def record_create(request: HttpRequest, pk: int) -> HttpResponse:
    s = _subject(request, pk)
    form = forms.RecordForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: actions.add_record(
            request.user, s, record_type=d["record_type"], severity=d["severity"], title=d["title"],
            description=d["description"], source=d["source"], provider=d["provider"],
            document_number=d["document_number"], occurred_on=d["occurred_on"], valid_until=d["valid_until"],
            evidence=d["evidence"]), "信用信息已记入")
    else:
        _form_errors(request, form)
    return redirect("credit:subject", pk=s.pk)


@login_required
@require_POST
def record_close(request: HttpRequest, pk: int) -> HttpResponse:
    _need_read(request.user)
    rec = get_object_or_404(CreditRecord.objects.restrict(request.user), pk=pk)
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        _run(request, lambda: actions.close_record(request.user, rec, form.cleaned_data["reason"]), "信用信息已撤销")
    else:
        _form_errors(request, form)
    return redirect("credit:subject", pk=rec.subject_id)


@login_required
@require_POST
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    s = _subject(request, pk)
    result = _run(request, lambda: actions.evaluate_subject(request.user, s), "已完成信用评价")
    if result is not None:
        messages.info(request, f"得分 {result.score}，等级“{result.grade}”（模型 {result.model_version}）")
    return redirect("credit:subject", pk=s.pk)


@login_required
@require_POST
def evaluate_cycle(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _staff(user):
        raise PermissionDenied("您没有信用评价的权限")
    form = forms.CycleForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        counts = _run(request, lambda: actions.evaluate_cycle(user, year), f"{year} 年度信用评价已完成")
        if counts is not None:
            messages.info(request, "，".join(f"{g} {n}" for g, n in sorted(counts.items())) or "没有信用主体")
    else:
        _form_errors(request, form)
    return redirect("credit:index")


@login_required
@require_POST
def measure_apply(request: HttpRequest, pk: int) -> HttpResponse:
    s = _subject(request, pk)
    measures = actions.measures_for(s)
    form = forms.MeasureForm(request.POST, measures=_measure_qs(measures))
    if not measures:
        messages.error(request, "当前等级没有适用的措施")
    elif form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: actions.apply_measure(request.user, s, d["measure"], d["note"], d["applied_on"]),
             "措施实施情况已登记")
    else:
        _form_errors(request, form)
    return redirect("credit:subject", pk=s.pk)


@login_required
@require_safe
def evidence(request: HttpRequest, what: str, pk: int) -> HttpResponse:
    """The evidence file of a record, objection or repair application (scoped)."""
    _need_read(request.user)
    model = {"record": CreditRecord, "objection": Objection, "repair": RepairApplication}.get(what)
    if model is None:
        raise Http404
    row = get_object_or_404(model.objects.restrict(request.user), pk=pk)
    if not row.evidence:
        raise Http404("没有证明材料")
    # the type of the stored file (checked by content when it was uploaded), never one guessed from the
    # name the client gave it; the download keeps that name with the real extension
    content_type = mimetypes.guess_type(row.evidence.name)[0] or "application/octet-stream"
    stem = Path(row.evidence_name or "证明材料").stem
    return FileResponse(row.evidence.open("rb"), as_attachment=True, content_type=content_type,
                        filename=stem + Path(row.evidence.name).suffix)


# --------------------------------------------------------------------------------------------
# objections and repair


@login_required
@require_POST
def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    s = _subject(request, pk)
    form = forms.ObjectionForm(request.POST, request.FILES, records=s.records.filter(status=RecordStatus.ACTIVE))
    if form.is_valid():
        d = form.cleaned_data
        obj = _run(request, lambda: actions.file_objection(request.user, d["record"], d["reason"], d["evidence"]),
                   "异议已提交")
        if obj is not None:
            messages.info(request, f"处理期限：{obj.due_date:%Y-%m-%d}")
            return redirect("credit:objection", pk=obj.pk)
    else:
        _form_errors(request, form)
    return redirect("credit:subject", pk=s.pk)


def _case(request: HttpRequest, model: Any, pk: int, template: str, name: str, form_class: Any) -> HttpResponse:
    """The page of one objection or repair application: readable in scope; staff of its area get the form."""
    _need_read(request.user)
    case = get_object_or_404(model.objects.restrict(request.user).select_related("subject", "record"), pk=pk)
    staff = _staff(request.user) and request.user.in_scope(case.subject.region_id)
    return render(request, template, {
        name: case, "staff": staff, "form": form_class() if staff else None, "today": timezone.localdate()})


@login_required
@require_GET
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    return _case(request, Objection, pk, "credit/objection.html", "o", forms.ResolveForm)


@login_required
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _need_read(request.user)
    obj = get_object_or_404(Objection.objects.restrict(request.user), pk=pk)
    form = forms.ResolveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        outcome = d["outcome"]
        _run(request, lambda: actions.resolve_objection(
            request.user, obj, corrected=outcome != "keep", withdraw=outcome == "withdraw", reason=d["reason"],
            record_type=d["record_type"] or None, severity=d["severity"] if d["record_type"] else None,
            title=d["title"] or None, description=d["description"] or None), "异议已处理")
    else:
        _form_errors(request, form)
    return redirect("credit:objection", pk=obj.pk)


@login_required
@require_POST
def repair_create(request: HttpRequest, pk: int) -> HttpResponse:
    s = _subject(request, pk)
    form = forms.RepairForm(request.POST, request.FILES, records=s.records.filter(
        status=RecordStatus.ACTIVE, kind=RecordKind.BAD))
    if form.is_valid():
        d = form.cleaned_data
        app = _run(request, lambda: actions.apply_repair(request.user, d["record"], d["rectification"],
                                                          d["evidence"]), "信用修复申请已提交")
        if app is not None:
            return redirect("credit:repair", pk=app.pk)
    else:
        _form_errors(request, form)
    return redirect("credit:subject", pk=s.pk)


@login_required
@require_GET
def repair(request: HttpRequest, pk: int) -> HttpResponse:
    return _case(request, RepairApplication, pk, "credit/repair.html", "a", forms.DecisionForm)


@login_required
@require_POST
def repair_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _need_read(request.user)
    app = get_object_or_404(RepairApplication.objects.restrict(request.user), pk=pk)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: actions.decide_repair(request.user, app, approve=d["approve"] == "yes",
                                                     reason=d["reason"]), "信用修复申请已审核")
    else:
        _form_errors(request, form)
    return redirect("credit:repair", pk=app.pk)


# --------------------------------------------------------------------------------------------
# public


PUBLIC_GRADES = (CreditGrade.EXCELLENT, CreditGrade.GOOD)


@public_view
def public_list(request: HttpRequest) -> HttpResponse:
    """守信激励公示: institutions graded 优秀/良好 (no login, no personal data; GET only, rate-limited
    and page-cached like every public portal page). The template gets only ``portal.public.credit_row`` values
    (the public serialiser: every string masked)."""
    grade = request.GET.get("grade", "")
    grades = [grade] if grade in PUBLIC_GRADES else list(PUBLIC_GRADES)
    qs = (CreditSubject.objects.filter(kind=SubjectKind.ORG, grade__in=grades)
          .select_related("institution", "region").order_by("grade", "region_id", "name", "id"))
    region = request.GET.get("region", "").strip()
    if region.isdigit():
        qs = qs.filter(region__code__startswith=region)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    latest = {e.subject_id: e for e in Evaluation.objects.filter(subject__in=[s.pk for s in page])
              .order_by("subject_id", "evaluated_at", "id")}
    rows = [public.credit_row(s, latest.get(s.pk)) for s in page]
    return render(request, "credit/public_list.html", {
        "page": page, "rows": rows, "grade": grade, "grades": PUBLIC_GRADES, "region": region,
        "portal_base": reverse("credit:public-list"),
    })


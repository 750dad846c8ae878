"""Bureau pages of the portal (login): results waiting for publication, publish (one or many), correct.

Rows come through ``restrict(user, "publish")`` (谁检查、谁公示: the inspecting area); out of scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from spotcheck.base.scope import require
from spotcheck.inspections import deadlines
from spotcheck.inspections.models import Inspection, InspectionStatus

from . import actions
from .forms import CorrectionForm, FindingCorrectionForm
from .models import Publication


def _waiting(user: Any) -> Any:
    return (
        Inspection.objects.restrict(user, "publish").filter(status=InspectionStatus.REVIEWED)
        .select_related("institution", "task", "region").order_by("due_date", "id")
    )


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "publish")
    today = timezone.localdate()
    win = deadlines.window(today)
    waiting = deadlines.decorate(list(_waiting(user)[:500]), win)
    # Remaining time in working days (剩 N 个工作日 / 已逾期 N 个工作日); 预估 when the year is unknown.
    rows = [{"inspection": insp, "remaining": insp.deadline_remaining, "estimated": insp.deadline_estimated}
            for insp in waiting]
    recent = Paginator(
        Publication.objects.restrict(user, "publish").select_related("institution", "task", "correction")
        .order_by("-published_at", "-id"), 30,
    ).get_page(request.GET.get("page"))
    return render(request, "portal/manage.html", {
        "rows": rows, "page": recent, "today": today,
        "estimate_notice": deadlines.notice_for(user, deadlines.estimated_years(waiting)),
    })


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "publish")
    only = request.POST.get("only", "")
    raw = [only] if only else request.POST.getlist("ids")
    ids = [int(x) for x in raw if x.isdigit()]
    found = list(_waiting(user).filter(pk__in=ids))
    if not ids:
        messages.error(request, "请至少选择一条检查结果")
        return redirect("portal:manage")
    if len(found) != len(set(ids)):
        messages.error(request, "所选检查结果中有的已公示、不在您的管辖范围内或尚未审核，请刷新后重试")
        return redirect("portal:manage")
    try:
        pubs = actions.publish_many(user, found)
    except actions.ActionRefused as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已公示 {len(pubs)} 条检查结果")
    return redirect("portal:manage")


@login_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "publish")
    pub = get_object_or_404(Publication.objects.restrict(user, "publish").select_related("inspection"), pk=pk)
    s = pub.snapshot
    initial = {"result_type": s["result_type"], "handling": s.get("handling", ""),
               "result_notice_number": s.get("inspection", {}).get("result_notice_number", "")}
    form = CorrectionForm(request.POST or None, initial=initial)
    data = request.POST if request.method == "POST" else None
    finding_forms = [FindingCorrectionForm(data, finding=f) for f in
                     pub.inspection.findings.counted().select_related("violation_type").order_by("id")]
    if request.method == "POST" and form.is_valid() and all(ff.is_valid() for ff in finding_forms):
        d = form.cleaned_data
        changes = {k: d[k] for k in ("result_type", "handling", "result_notice_number") if d[k] != initial[k]}
        findings = {ff.finding.pk: ff.change() for ff in finding_forms if ff.change()}
        try:
            new = actions.correct(user, pub, d["reason"], changes, findings or None)
        except actions.ActionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已发布更正（第 {new.version} 版）")
            return redirect("portal:result", new.pk)
    return render(request, "portal/correct.html",
                  {"pub": pub, "s": s, "form": form, "finding_forms": finding_forms})

"""Pages of 系统数据检查: batches, import, runs, per-institution results, drill-down, export, flag.

Reads: ``view``; import/run/flag: ``change``; export: ``export``. A batch is visible when it holds
claims of an institution in the user's area; on a run page only hits of institutions in the area are
counted and shown. Anything else is a 404.
"""

from __future__ import annotations

import io as stdio
import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from spotcheck.base import tabular, uploads
from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.directory.models import Institution
from spotcheck.jobs.actions import start_job

from . import actions, io, jobs
from .forms import FlagForm, ImportForm
from .models import ClaimBatch, Hit, ScreeningRun, Visit, mask_psn_no
from .rules import RULE_NAMES

SORTS = {"hits": "hits", "-hits": "-hits", "amount": "amount", "-amount": "-amount",
         "code": "institution__fixmedins_code", "-code": "-institution__fixmedins_code"}


def _batch(user: Any, batch_id: int, action: str = "view") -> ClaimBatch:
    return get_object_or_404(ClaimBatch.objects.restrict(user, action), pk=batch_id)


def _run(user: Any, run_id: int, action: str = "view") -> ScreeningRun:
    return get_object_or_404(ScreeningRun.objects.restrict(user, action).select_related("batch"), pk=run_id)


def _hits(user: Any, run: ScreeningRun, action: str = "view"):  # noqa: ANN202 - a queryset
    return Hit.objects.restrict(user, action).filter(run=run)


@login_required
def index(request: HttpRequest, form: ImportForm | None = None, errors: list[str] | None = None) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    batches = ClaimBatch.objects.restrict(user).select_related("imported_by")
    page = Paginator(batches, 30).get_page(request.GET.get("page"))
    for b in page:
        b.mine = b.counts_for(user)
    runs = list(ScreeningRun.objects.restrict(user).select_related("batch")[:20])
    for r in runs:
        r.mine = r.totals_for(user)
    return render(request, "screening/index.html", {
        "page": page, "runs": runs, "form": form or ImportForm(), "errors": errors or [],
        "can_change": can(user, "change"),
    }, status=400 if errors or (form is not None and form.errors) else 200)


@login_required
@require_POST
def import_view(request: HttpRequest) -> HttpResponse:
    """Store the uploaded files and import them in the background (``screening.jobs``); the job page
    shows progress, then the batch or every error."""
    user: Any = request.user
    require(user, "change")
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return index(request, form=form)
    files = form.cleaned_data["files"]
    names = [uploads.display_name(f.name) for f in files]
    unknown = [name for name in names if io.table_of(name) is None]
    if unknown:
        return index(request, form=form, errors=[
            f"{name}：无法识别的文件名，应以 mdtrt_d、setl_d 或 fee_list_d 开头" for name in unknown])
    if len(set(names)) != len(names):
        return index(request, form=form, errors=["同名文件只能上传一个，请检查所选文件"])
    checked, errors = [], []
    for upload in files:  # type by content, size cap per file: before anything is stored or queued
        try:
            checked.append(uploads.check_import(upload, "claims"))
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if errors:
        return index(request, form=form, errors=errors)
    job = _start_import(user, files, checked, names, form.cleaned_data["period"])
    return redirect("jobs:status", job_id=job.pk)


def _start_import(user: Any, files: list[Any], checked: list[uploads.Checked], names: list[str], period: str) -> Any:
    """Store the checked files in a new folder under safe names (``000.csv``, ``001.xlsx`` … by type; the job
    maps them back to ``names``, ``jobs.run_import_job``) and queue the import; the folder is removed when
    the job cannot be created. A job that fails before it starts leaves it to ``jobs.actions.prune_job_files``."""
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        for i, (upload, check) in enumerate(zip(files, checked, strict=True)):
            with (folder / f"{i:03d}{check.extension}").open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        return start_job(user, "screening:import", jobs.run_import_job, file_path=str(folder),
                         file_name="、".join(names), params={"period": period, "names": names})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


@login_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    batch = _batch(user, batch_id)
    visits = Visit.objects.restrict(user, "view").filter(batch=batch)
    by_region = visits.values("region_code").annotate(n=Count("id")).order_by("region_code")
    runs = list(batch.runs.all())
    for r in runs:
        r.mine = r.totals_for(user)
    return render(request, "screening/batch.html", {
        "batch": batch, "mine": batch.counts_for(user), "by_region": by_region, "runs": runs,
        "can_change": can(user, "change"),
    })


@login_required
@require_POST
def run_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Run the rules over the batch in the background (``screening.jobs``); the job page links the run."""
    user: Any = request.user
    require(user, "change")
    batch = _batch(user, batch_id, "change")
    job = start_job(user, "screening:run", jobs.run_screening_job, params={"batch": batch.pk})
    return redirect("jobs:status", job_id=job.pk)


def _totals(user: Any, run: ScreeningRun, sort: str) -> list[dict[str, Any]]:
    rows = (_hits(user, run).values("institution", "institution__fixmedins_code", "institution__name",
                                    "institution__region__name", "institution__risk_flag")
            .annotate(hits=Count("id"), amount=Sum("amount")).order_by(SORTS.get(sort, "-amount"),
                                                                       "institution__fixmedins_code"))
    return list(rows)


def _rule_rows(user: Any, run: ScreeningRun) -> list[dict[str, Any]]:
    got = {r["rule"]: r for r in _hits(user, run).values("rule").annotate(hits=Count("id"), amount=Sum("amount"))}
    return [{"rule": k, "name": v, "hits": got.get(k, {}).get("hits", 0),
             "amount": got.get(k, {}).get("amount") or Decimal("0.00")} for k, v in RULE_NAMES.items()]


@login_required
def run_detail(request: HttpRequest, run_id: int, flag_form: FlagForm | None = None) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    run = _run(user, run_id)
    sort = request.GET.get("sort", "-amount")
    totals = _totals(user, run, sort)
    return render(request, "screening/run.html", {
        "run": run, "totals": totals, "rules": _rule_rows(user, run), "sort": sort,
        "hit_total": sum(t["hits"] for t in totals), "amount_total": sum((t["amount"] for t in totals), Decimal(0)),
        "can_change": can(user, "change"), "can_export": can(user, "export"),
        "flag_form": flag_form or FlagForm(), "rule_names": RULE_NAMES,
    }, status=400 if flag_form is not None else 200)


@login_required
def run_institution(request: HttpRequest, run_id: int, institution_id: int) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    run = _run(user, run_id)
    inst = get_object_or_404(Institution.objects.restrict(user, "view").select_related("region"), pk=institution_id)
    hits = _hits(user, run).filter(institution=inst)
    rule = request.GET.get("rule", "")
    if rule in RULE_NAMES:
        hits = hits.filter(rule=rule)
    page = Paginator(hits.order_by("rule", "id"), 100).get_page(request.GET.get("page"))
    return render(request, "screening/institution.html", {
        "run": run, "inst": inst, "page": page, "rule": rule, "rule_names": RULE_NAMES,
    })


@login_required
@require_POST
def flag_view(request: HttpRequest, run_id: int) -> HttpResponse:
    user: Any = request.user
    require(user, "change")
    run = _run(user, run_id, "change")
    in_scope = {t["institution"]: t["institution__fixmedins_code"] for t in _totals(user, run, "code")}
    form = FlagForm(request.POST, choices=list(in_scope.items()))
    if not form.is_valid():
        return run_detail(request, run_id, flag_form=form)
    insts = list(Institution.objects.restrict(user, "change").filter(pk__in=form.cleaned_data["institutions"]))
    try:
        n = actions.flag_institutions(user, run, insts, form.cleaned_data["reason"])
    except actions.ActionRefused as exc:
        form.add_error(None, exc.message)
        return run_detail(request, run_id, flag_form=form)
    messages.success(request, f"已将 {n} 家机构标记为重点监控，定向抽查可按“仅重点监控机构”筛选")
    return redirect("screening:run", run_id=run.pk)


@login_required
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    from openpyxl import Workbook

    user: Any = request.user
    require(user, "export")
    run = _run(user, run_id, "export")
    wb = Workbook()
    ws = wb.active
    ws.title = "机构汇总"
    ws.append(["定点医药机构编码", "机构名称", "所属区域", "疑点数", "风险金额（元）", "重点监控"])
    for t in _totals(user, run, "-amount"):
        ws.append(tabular.xlsx_cells(ws, [
            t["institution__fixmedins_code"], t["institution__name"], t["institution__region__name"],
            t["hits"], t["amount"], "是" if t["institution__risk_flag"] else ""]))
    ws2 = wb.create_sheet("疑点明细")
    ws2.append(["规则", "定点医药机构编码", "就诊ID", "费用明细流水号", "结算ID", "人员编号", "日期", "风险金额（元）", "说明"])
    for h in _hits(user, run, "export").select_related("institution").order_by("institution__fixmedins_code",
                                                                              "rule", "id").iterator():
        ws2.append(tabular.xlsx_cells(ws2, [
            RULE_NAMES.get(h.rule, h.rule), h.institution.fixmedins_code, h.mdtrt_id, "、".join(h.fee_ids),
            "、".join(h.setl_ids), mask_psn_no(h.psn_no), h.day, h.amount, h.explanation]))
    buf = stdio.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="screening-run-{run.pk}.xlsx"'
    return resp

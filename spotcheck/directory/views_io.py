"""Excel/CSV export of a filtered list, import templates, and imports (and large exports) run as background Jobs.

``<kind>`` is ``institutions`` | ``inspectors`` | ``conflicts``; anything else is a 404. The engine
is ``directory.io``; an upload is stored under ``MEDIA_ROOT/imports/``, ``jobs.actions.start_job``
creates the ``Job`` and queues it for the background worker, and the status page polls the Job (htmx
every second, a ``<meta http-equiv=refresh>`` fallback without JavaScript).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from spotcheck.base import uploads
from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.jobs.actions import start_job
from spotcheck.jobs.models import Job
from spotcheck.jobs.tasks import worker_missing

from . import io

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _spec(kind: str) -> io.Spec:
    try:
        return io.get_spec(kind)
    except KeyError:
        raise Http404


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in io.FORMATS:
        raise Http404
    return fmt


def _attachment(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def export_list(request: HttpRequest, kind: str) -> HttpResponse:
    """The list as the user filtered it (same query parameters as the list page), ``format=xlsx|csv``.

    Up to ``SPOTCHECK_EXPORT_INLINE_ROWS`` rows download at once; a larger export becomes a background
    Job and the user goes to its status page, which offers the file when it is ready."""
    spec, fmt = _spec(kind), _format(request)
    try:
        if io.export_count(request.user, kind, request.GET) > settings.SPOTCHECK_EXPORT_INLINE_ROWS:
            query = [[name, values] for name, values in request.GET.lists() if name != "format"]
            job = start_job(request.user, f"export:{kind}", io.run_export_job,
                            params={"query": query, "format": fmt}, message="排队中（导出）")
            return redirect("directory:export-status", job_id=job.pk)
        data = io.export_for(request.user, kind, request.GET, fmt)
    except ValidationError as exc:
        reason = "；".join(exc.messages)
        return HttpResponseBadRequest(f"筛选条件不正确：{reason}", content_type="text/plain; charset=utf-8")
    return _attachment(data, f"{spec.sheet}-{timezone.localdate():%Y%m%d}.{fmt}")


@login_required
@require_GET
def export_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress of an export Job (the fragment alone for htmx polls); ``?download=file`` gives the file."""
    user: Any = request.user
    require(user, "export")
    job = get_object_or_404(Job.objects.restrict(user), pk=job_id, kind__startswith="export:")
    spec = _spec(job.kind.split(":", 1)[1])
    result = job.result if job.status == Job.Status.SUCCEEDED and isinstance(job.result, dict) else {}
    if request.GET.get("download") == "file":
        path = job.owned_file()
        if result.get("masked") is False and not can(user, "change"):
            raise Http404("该文件含未脱敏的个人信息，您当前的权限不能下载，请重新导出")  # the role changed since
        if not result or path is None or not path.is_file():
            raise Http404(f"文件已不存在（导出文件保留 {settings.SPOTCHECK_JOB_FILES_KEEP_DAYS} 天），请重新导出")
        name = str(result.get("name") or path.name)
        return FileResponse(path.open("rb"), as_attachment=True, filename=name,
                            content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
    context = {"job": job, "spec": spec, "result": result, "keep_days": settings.SPOTCHECK_JOB_FILES_KEEP_DAYS,
               "worker_missing": job.status == Job.Status.QUEUED and worker_missing()}
    if request.headers.get("HX-Request"):
        return render(request, "directory/export_progress.html", context)
    return render(request, "directory/export_status.html", context)


@login_required
@require_GET
def download_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The empty import template (header row + 填写说明 sheet)."""
    spec, fmt = _spec(kind), _format(request)
    require(request.user, "change")
    return _attachment(io.template_file(kind, fmt), f"{spec.sheet}-导入模板.{fmt}")


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    """GET: the upload form. POST: store the file, start an import Job (with the form's 变更原因, needed when
    the file changes draw-relevant institution fields), go to its status page."""
    spec = _spec(kind)
    user: Any = request.user
    require(user, "change")
    context: dict[str, Any] = {"spec": spec, "rules": io.instruction_lines(spec)}
    if request.method == "POST":
        context["reason"] = request.POST.get("reason", "")
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "请选择要导入的文件"
        else:
            try:  # type by content, size cap: before anything is stored or queued
                checked = uploads.check_import(upload, "directory")
            except uploads.UploadRejected as exc:
                context["error"] = str(exc)
            else:
                job = _start_import(user, kind, upload, checked, request.POST.get("reason", "").strip()[:500])
                return redirect("directory:import-status", job_id=job.pk)
        return render(request, "directory/import_upload.html", context, status=400)
    return render(request, "directory/import_upload.html", context)


def _start_import(user: Any, kind: str, upload: Any, checked: uploads.Checked, reason: str) -> Job:
    """Store the checked upload under a random name with the extension of its type and queue its import
    (the 变更原因 travels in the job's params, read by ``io.run_import_job``); the file is removed when
    the job cannot be created."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{checked.extension}"
    try:
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return start_job(user, f"import:{kind}", io.run_import_job, file_path=str(path), file_name=checked.name,
                         params={"reason": reason} if reason else None)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@login_required
@require_GET
def import_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress of an import Job (the fragment alone for htmx polls); ``?download=report`` gives
    the error report as .xlsx."""
    user: Any = request.user
    require(user, "change")
    job = get_object_or_404(Job.objects.restrict(user), pk=job_id, kind__startswith="import:")
    spec = _spec(job.kind.split(":", 1)[1])
    result = job.result or {}
    errors = [io.RowError(*e) for e in result.get("errors", [])]
    if request.GET.get("download") == "report":
        if not errors:
            raise Http404
        unlisted = result.get("error_count", 0) - len(errors)
        return _attachment(io.error_report_xlsx(errors, unlisted), f"导入错误报告-{job.pk}.xlsx")
    context = {"job": job, "spec": spec, "result": result, "errors": errors,
               "hidden_errors": result.get("error_count", 0) - len(errors),
               "worker_missing": job.status == Job.Status.QUEUED and worker_missing()}
    if request.headers.get("HX-Request"):
        return render(request, "directory/import_progress.html", context)
    return render(request, "directory/import_status.html", context)

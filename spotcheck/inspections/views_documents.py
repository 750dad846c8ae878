"""Downloads of the inspection documents (检查告知书, 现场检查笔录, 检查结果告知书) as PDF or DOCX.

``GET /…/<pk>/notice/?format=pdf|docx`` (also ``record-sheet``, ``result-notice``); PDF is shown in the
browser, DOCX saved for editing in WPS/Word. Access: login, ``view`` with the inspection's area in
scope (``Inspection.objects.restrict``; another area's inspection is a 404); an inspector-role user
only for an inspection whose current team includes them, once the task's inspections have started
(404 otherwise, as for the drawn list in ``draws.access``). Every download is audited
as ``inspection.document_download``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from spotcheck.audit.actions import record
from spotcheck.base.scope import require
from spotcheck.documents import FontNotFoundError
from spotcheck.draws.views_documents import content_disposition

from .documents import BUILDERS, document_filename, render
from .models import Inspection

CONTENT_TYPES = {
    "pdf": ("application/pdf", "inline"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment"),
}


def visible_inspection(user: Any, pk: int) -> Inspection:
    """The inspection ``pk`` if ``user`` may see it, else 404."""
    qs = Inspection.objects.restrict(user, "view").select_related(
        "task", "task__responsible_department", "institution", "region", "assignment")
    return get_object_or_404(qs, pk=pk)  # an inspector: their teams' only, once started (restrict)


def _download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    fmt = request.GET.get("format", "pdf")
    if fmt not in CONTENT_TYPES:
        raise Http404
    inspection = visible_inspection(user, pk)
    try:
        data = render(kind, inspection, fmt)
    except FontNotFoundError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    title = BUILDERS[kind][0]
    filename = document_filename(title, inspection, fmt)
    record(user, "inspection.document_download", inspection, after={"document": title, "file": filename})
    content_type, disposition = CONTENT_TYPES[fmt]
    response = HttpResponse(data, content_type=content_type)
    fallback = f"inspection-{inspection.pk}-{kind}.{fmt}"
    response["Content-Disposition"] = content_disposition(disposition, filename, fallback)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """检查告知书."""
    return _download(request, pk, "notice")


@login_required
@require_GET
def record_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """现场检查笔录（检查表）."""
    return _download(request, pk, "record-sheet")


@login_required
@require_GET
def result_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """检查结果告知书."""
    return _download(request, pk, "result-notice")

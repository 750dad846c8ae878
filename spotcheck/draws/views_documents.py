"""Downloads of the draw record (抽取记录) as PDF (shown in the browser) or DOCX (saved).

Access follows the draw page: another area's draw is a 404; the task's staff and auditors
(``access.sees_everything``) get the full record, everybody else in the area only the public part
(see ``draws.documents``). Every download is audited as ``draw.record_download``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from spotcheck.audit.actions import record
from spotcheck.base.scope import require
from spotcheck.documents import FontNotFoundError

from .access import sees_everything
from .documents import draw_record_docx, draw_record_pdf, record_filename
from .models import Draw

FORMATS = {
    "pdf": (draw_record_pdf, "application/pdf", "inline"),
    "docx": (draw_record_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "attachment"),
}


def content_disposition(disposition: str, filename: str, fallback: str) -> str:
    """``attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`` (RFC 6266/5987)."""
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required
@require_GET
def draw_record(request: HttpRequest, draw_id: str, fmt: str) -> HttpResponse:
    """The draw record of ``draw_id`` in ``fmt`` ("pdf" or "docx")."""
    user: Any = request.user
    require(user, "view")
    if fmt not in FORMATS:
        raise Http404
    draw = get_object_or_404(Draw.objects.restrict(user, "view").select_related("task", "task__region"),
                             draw_id=draw_id)
    render, content_type, disposition = FORMATS[fmt]
    full = sees_everything(user, draw)
    try:
        data = render(draw, full=full)
    except FontNotFoundError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    filename = record_filename(draw.draw_id, fmt)
    record(user, "draw.record_download", draw, after={"file": filename, "full": full})
    response = HttpResponse(data, content_type=content_type)
    fallback = f"draw-record-{draw.draw_id}.{fmt}"
    response["Content-Disposition"] = content_disposition(disposition, filename, fallback)
    response["Cache-Control"] = "private, no-store"
    return response

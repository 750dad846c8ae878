from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from spotcheck.base.scope import require

from . import presentation
from .models import AuditEvent
from .state import TRACKED
from .verify import verify_all

#: The plain filters: GET parameter → lookup (exact where an index serves equality, else a prefix).
_FILTERS = {"object_type": "object_type", "object_id": "object_id", "region_code": "region_code__startswith",
            "actor_name": "actor_name__startswith"}


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    """Audit log for 系统管理员 and 审计/纪检: filter by object type, action (Chinese name or code), actor,
    area, object id, and search by 机构编码, 人员编号, 任务编号, 抽取编号 or account."""
    user: Any = request.user
    require(user, "audit")
    qs = AuditEvent.objects.restrict(user, "audit").select_related(None).select_related("actor")
    for param, lookup in _FILTERS.items():
        value = request.GET.get(param, "").strip()
        if value:
            qs = qs.filter(**{lookup: value})
    action = request.GET.get("action", "").strip()
    if action:
        codes = presentation.actions_matching(action)
        qs = qs.filter(Q(action__in=codes) | Q(action__startswith=action)) if codes else qs.filter(
            action__startswith=action)
    for param in presentation.BUSINESS_KEYS:
        value = request.GET.get(param, "").strip()
        if value and (condition := presentation.business_key_filter(param, value)) is not None:
            qs = qs.filter(condition)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {
        "page": page, "rows": [presentation.shown(e) for e in page], "q": request.GET,
        "types": _type_choices(), "keys": [(p, label, request.GET.get(p, "")) for p, (label, *_rest) in presentation.BUSINESS_KEYS.items()],
    })


def _type_choices() -> list[tuple[str, str]]:
    """The object types to filter by: the tracked tables and the other recorded types, by Chinese name."""
    labels = [*TRACKED, *presentation.OBJECT_TYPE_NAMES]
    named = [(label, presentation.type_name(label)) for label in labels]
    return sorted(((label, name) for label, name in named if name), key=lambda x: x[1])


@login_required
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    user: Any = request.user
    require(user, "audit")
    event = get_object_or_404(AuditEvent.objects.restrict(user, "audit").select_related("actor"), seq=seq)
    return render(request, "audit/detail.html", {
        "e": event, "shown": presentation.shown(event), "changes": presentation.change_rows(event),
        "state_rows": presentation.state_rows(event),
    })


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """POST runs the check (it reads every table); GET (a reload, a bookmark) goes back to the log."""
    user: Any = request.user
    require(user, "audit")
    if request.method == "GET":
        return redirect("audit:list")
    return render(request, "audit/verify.html", {"report": verify_all()})

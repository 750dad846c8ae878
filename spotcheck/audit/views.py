from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from spotcheck.accounts.scope import require

from .models import AuditEvent
from .verify import verify_all


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    """Audit log for 系统管理员 and 审计/纪检 (filter by type, action, actor, object id)."""
    user: Any = request.user
    require(user, "audit")
    qs = AuditEvent.objects.restrict(user, "audit").select_related(None)
    for field in ("object_type", "action", "actor_name", "object_id", "region_code"):
        value = request.GET.get(field, "").strip()
        if value:
            lookup = field if field in ("object_id", "object_type") else f"{field}__startswith"
            qs = qs.filter(**{lookup: value})
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page, "q": request.GET})


@login_required
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    user: Any = request.user
    require(user, "audit")
    event = get_object_or_404(AuditEvent.objects.restrict(user, "audit"), seq=seq)
    return render(request, "audit/detail.html", {"e": event})


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "audit")
    return render(request, "audit/verify.html", {"report": verify_all()})

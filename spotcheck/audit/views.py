from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from spotcheck.base.scope import require

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
    return render(request, "audit/detail.html", {"e": event, "state_rows": _state_rows(event)})


def _state_rows(event: AuditEvent) -> list[tuple[str, str]]:
    """The recorded full state as (Chinese field name, value as a person reads it)."""
    from django.apps import apps

    from .verify import _plain

    if not isinstance(event.state, dict):
        return []
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return [(k, _plain(v)) for k, v in event.state.items()]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    rows = []
    for name, value in event.state.items():
        f = fields.get(name)
        if f is None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:  # noqa: BLE001 - a field removed since: show its stored name
                label = name
            rows.append((label, _plain(value)))
            continue
        shown = dict(f.flatchoices).get(value, value) if f.choices else value
        if isinstance(shown, str) and shown.startswith("sha256:"):
            shown = "（仅记录摘要）"
        rows.append((str(f.verbose_name), _plain(shown)))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """POST runs the check (it reads every table); GET (a reload, a bookmark) goes back to the log."""
    user: Any = request.user
    require(user, "audit")
    if request.method == "GET":
        return redirect("audit:list")
    return render(request, "audit/verify.html", {"report": verify_all()})

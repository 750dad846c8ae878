"""Pages of the draw workflow. Every change is a POST that calls ``draws.actions``.

Rows are fetched through ``restrict(user, "view")`` (another area's draw or task is a 404); what a
user sees of the pool and the results is decided by ``draws.access``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from spotcheck import policy
from spotcheck.base.permissions import can
from spotcheck.base.scope import allowed, require
from spotcheck.base.views import run_action
from spotcheck.core import draw as core
from spotcheck.directory.models import Inspector, Institution
from spotcheck.planning.models import Task, TaskStatus

from . import actions, changes, presenters
from .access import is_staff_for, sees_everything, visible_assignments
from .forms import RandomnessForm, ReasonForm, ReplaceInspectorForm, ReplaceUnitForm, SourcesForm
from .models import CLOSED_STATUSES, AssignmentMember, Draw, DrawEvent, DrawStatus
from .templatetags.draws_tags import LIGHT_FIELDS


def _draws(user: Any):  # noqa: ANN202 - a queryset
    return Draw.objects.restrict(user, "view").select_related("task", "task__region")


def _get_draw(request: HttpRequest, draw_id: str) -> Draw:
    return get_object_or_404(_draws(request.user), draw_id=draw_id)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Draws in the user's area with their status, and the tasks waiting for a draw."""
    user: Any = request.user
    require(user, "view")
    qs = _draws(user)
    status = request.GET.get("status", "")
    if status in DrawStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-frozen_at", "-id"), 50).get_page(request.GET.get("page"))
    waiting = []
    if can(user, "draw"):
        waiting = list(
            Task.objects.restrict(user, "draw").filter(status=TaskStatus.DRAFT)
            .select_related("region").order_by("period_start", "id")[:100]
        )
    return render(request, "draws/index.html", {
        "page": page, "waiting": waiting, "statuses": DrawStatus.choices, "status": status,
    })


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task's draw page: its current (or last) draw, earlier draws and the freeze button."""
    user: Any = request.user
    require(user, "view")
    task = get_object_or_404(Task.objects.restrict(user, "view"), pk=task_id)
    draws = _history(task)
    current = next((d for d in draws if d.status not in CLOSED_STATUSES), draws[0] if draws else None)
    if current is not None:
        current = _draws(user).get(pk=current.pk)
    return _render_draw(request, task, current, draws)


def _history(task: Task) -> list[Draw]:
    """The task's draws for the history list and the status checks: light columns only."""
    return list(task.draws.only(*LIGHT_FIELDS).order_by("-frozen_at", "-id"))


@login_required
def detail(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _render_draw(request, draw.task, draw, _history(draw.task))


#: Rows per page of the results table and of the list pages.
PAGE_SIZE = 100
#: Rows of a long list (exclusions, excluded inspectors, pairs) shown on the draw page itself.
PREVIEW_ROWS = 100
#: Eligible inspectors are named on the draw page only up to this many (else counts and a list page).
NAMED_INSPECTORS = 60


def _render_draw(request: HttpRequest, task: Task, draw: Draw | None, draws: list[Draw]) -> HttpResponse:
    user: Any = request.user
    staff = is_staff_for(user, task)
    ctx: dict[str, Any] = {
        "task": task, "draw": draw, "draws": draws, "staff": staff,
        "approver": allowed(user, "approve", task.region_id),
        "two_person": bool(policy.get("draw.two_person_rule")),
        "can_freeze": staff and task.status == TaskStatus.DRAFT and not any(
            d.status not in CLOSED_STATUSES for d in draws),
    }
    if draw is not None:
        ctx.update(_draw_context(request, draw))
    return render(request, "draws/draw.html", ctx)


def _results_page(request: HttpRequest, user: Any, draw: Draw, full: bool) -> Any:
    """One page of the results table; for staff and auditors replaced rows and members stay visible
    (struck through, with the event that replaced them)."""
    if full and draw.is_revealed:
        qs = (draw.assignments.select_related("institution", "replaced_by_event", "added_by_event")
              .order_by("position", "-active", "id"))
    else:
        qs = visible_assignments(user, draw)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    members = (AssignmentMember.objects.filter(assignment__in=[a.pk for a in rows])
               .select_related("inspector", "inspector__department", "replaced_by_event")
               .order_by("assignment_id", "-active", "position", "id"))
    if not full:
        members = members.filter(active=True)
    teams: dict[int, list[AssignmentMember]] = {}
    for m in members:
        teams.setdefault(m.assignment_id, []).append(m)
    for a in rows:
        team = teams.get(a.pk, [])
        # A replaced assignment shows the team it had when it was replaced.
        a.team = [m for m in team if m.active or m.replaced_by_event_id == a.replaced_by_event_id] \
            if not a.active else [m for m in team if m.active]
        a.replaced_team = [m for m in team if not m.active and m.replaced_by_event_id is not None] \
            if a.active else []
    page.object_list = rows
    return page


def _draw_context(request: HttpRequest, draw: Draw) -> dict[str, Any]:
    user: Any = request.user
    full = sees_everything(user, draw)
    page = _results_page(request, user, draw, full)
    ctx: dict[str, Any] = {
        "full": full, "assignments": page.object_list, "page": page, "strata_rows": presenters.strata_rows(draw),
        "sources_form": SourcesForm(), "randomness_form": RandomnessForm(),
    }
    if full:
        exclusions = draw.exclusions.select_related("institution", "institution__region")
        pair_reasons = draw.pair_reasons or []
        eligible_total = len(draw.teams["inspectors"]) if draw.teams else 0
        ctx.update({
            "exclusion_count": exclusions.count(),
            "exclusions": exclusions[:PREVIEW_ROWS],
            "eligible_counts": presenters.eligible_counts(draw),
            "eligible": presenters.eligible_by_department(draw) if eligible_total <= NAMED_INSPECTORS else None,
            "excluded_inspectors": presenters.excluded_inspectors(draw)[:PREVIEW_ROWS],
            "excluded_inspector_count": len(draw.inspector_exclusions),
            "pair_count": len(draw.teams["exclusions"]) if draw.teams else 0,
            "pair_reasons": pair_reasons[:PREVIEW_ROWS],
            "preview_rows": PREVIEW_ROWS,
            "needs": presenters.team_needs(draw),
            "reserve": presenters.reserve_summary(draw),
            "events": draw.events.select_related("institution", "inspector", "requested_by", "decided_by"),
            "error_label": actions.ERROR_LABELS.get(draw.error_code, ""),
            # What changed in the area's directory since its previous draw (shown to the approver).
            "changes": changes.report(draw, limit=PREVIEW_ROWS),
        })
        if draw.is_revealed:
            # The change forms offer the rows of the current page (the whole list can be thousands).
            on_page = [a.pk for a in page.object_list if a.active]
            active = draw.assignments.filter(pk__in=on_page).select_related("institution").order_by("position")
            ctx["unit_form"] = ReplaceUnitForm(assignments=active)
            ctx["inspector_form"] = ReplaceInspectorForm(
                members=_active_members(draw).filter(assignment_id__in=on_page))
    return ctx


def _active_members(draw: Draw):  # noqa: ANN202 - a queryset
    return (
        AssignmentMember.objects.filter(active=True, assignment__active=True, assignment__draw=draw)
        .select_related("assignment__institution", "inspector")
        .order_by("assignment__position", "position")
    )


# --------------------------------------------------------------------------------------------
# Steps (POST)


def _step(request: HttpRequest, draw: Draw, run: Callable[[], Any], done: str) -> HttpResponse:
    run_action(request, run, done)
    return redirect("draws:detail", draw_id=draw.draw_id)


@login_required
@require_POST
def freeze(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.restrict(request.user, "view"), pk=task_id)
    try:
        draw = actions.freeze(request.user, task)
    except actions.ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("draws:task", task_id=task.pk)
    messages.success(request, f"已冻结抽取范围，抽取编号 {draw.draw_id}")
    return redirect("draws:detail", draw_id=draw.draw_id)


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def staffing_check(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _step(request, draw, lambda: actions.check_staffing(request.user, draw), "已完成人员配置检查")


@login_required
@require_POST
def staffing_override(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _step(request, draw, lambda: actions.override_staffing(request.user, draw, _reason(request)),
                 "已放行人员配置检查，理由已记录")


@login_required
@require_POST
def cancel(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _step(request, draw, lambda: actions.cancel(request.user, draw, _reason(request)), "抽取已作废")


@login_required
@require_POST
def propose_commit(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    form = SourcesForm(request.POST)
    sources = form.cleaned_sources() if form.is_valid() else []
    return _step(request, draw, lambda: actions.propose_commit(request.user, draw, sources), "已发起提交，等待审批")


@login_required
@require_POST
def approve_commit(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _step(request, draw, lambda: actions.approve_commit(request.user, draw), "承诺已生成，可以公布")


@login_required
@require_POST
def reject(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    return _step(request, draw, lambda: actions.reject_proposal(request.user, draw, _reason(request)), "已驳回")


@login_required
@require_POST
def propose_reveal(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    form = RandomnessForm(request.POST)
    text = form.cleaned_data["public_randomness"] if form.is_valid() else ""
    return _step(request, draw, lambda: actions.propose_reveal(request.user, draw, text), "已发起揭示，等待审批")


@login_required
@require_POST
def approve_reveal(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    try:
        draw = actions.approve_reveal(request.user, draw)
    except actions.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        if draw.status == DrawStatus.FAILED:
            messages.error(request, f"抽取失败（{actions.ERROR_LABELS.get(draw.error_code)}）：{draw.error_message}")
        else:
            messages.success(request, "已揭示抽取结果")
    return redirect("draws:detail", draw_id=draw.draw_id)


@login_required
@require_POST
def request_event(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    if not sees_everything(request.user, draw):
        raise Http404
    active = draw.assignments.filter(active=True)
    if "member" in request.POST:
        form: Any = ReplaceInspectorForm(request.POST, members=_active_members(draw))
    else:
        form = ReplaceUnitForm(request.POST, assignments=active)
    if not form.is_valid():
        messages.error(request, "变更申请填写不完整：" + "；".join(
            f"{form.fields[k].label}：{'，'.join(v)}" for k, v in form.errors.items() if k in form.fields))
        return redirect("draws:detail", draw_id=draw.draw_id)
    data = form.cleaned_data
    if "member" in data:
        member = data["member"]
        kwargs = {"type": "replace_inspector", "institution": member.assignment.institution,
                  "inspector": member.inspector}
    else:
        kwargs = {"type": "replace_unit", "institution": data["assignment"].institution}
    return _step(request, draw, lambda: actions.request_event(
        request.user, draw, reason_kind=data["reason_kind"], reason=data["reason"], **kwargs),
        "变更申请已提交，等待另一人审批")


def _get_event(request: HttpRequest, draw_id: str, event_id: int) -> DrawEvent:
    draw = _get_draw(request, draw_id)
    return get_object_or_404(draw.events.select_related("draw", "draw__task"), pk=event_id)


@login_required
@require_POST
def approve_event(request: HttpRequest, draw_id: str, event_id: int) -> HttpResponse:
    event = _get_event(request, draw_id, event_id)
    return _step(request, event.draw, lambda: actions.approve_event(request.user, event), "变更已生效")


@login_required
@require_POST
def reject_event(request: HttpRequest, draw_id: str, event_id: int) -> HttpResponse:
    event = _get_event(request, draw_id, event_id)
    return _step(request, event.draw, lambda: actions.reject_event(request.user, event, _reason(request)),
                 "变更申请已驳回")


# --------------------------------------------------------------------------------------------
# Long lists of a draw, one page at a time (staff and auditors only)

#: List pages: title and column headers.
LISTS = {
    "reserve": ("候补名单", ("层", "候补顺序", "机构", "状态")),
    "exclusions": ("未纳入抽取的机构", ("机构", "区域", "原因", "说明")),
    "inspectors": ("可抽取的检查人员", ("部门", "姓名", "人员编号")),
    "excluded-inspectors": ("未纳入的检查人员", ("姓名", "人员编号", "原因")),
    "pairs": ("回避组合", ("机构", "检查人员", "原因")),
    "changes": ("上次抽取以来影响抽取概率的变更", ("时间", "操作人", "机构", "字段", "变更前", "变更后", "原因")),
}


@login_required
@require_GET
def draw_list(request: HttpRequest, draw_id: str, kind: str) -> HttpResponse:
    """A long list of a draw (reserve, exclusions, inspectors, pairs), paginated."""
    draw = _get_draw(request, draw_id)
    if kind not in LISTS or not sees_everything(request.user, draw):
        raise Http404
    title, headers = LISTS[kind]
    stratum = request.GET.get("stratum", "")
    rows: Any
    if kind == "reserve":
        if not draw.package:
            raise Http404
        rows = presenters.reserve_entries(draw, stratum)
    elif kind == "exclusions":
        rows = draw.exclusions.select_related("institution", "institution__region")
    elif kind == "inspectors":
        rows = [(dept, number) for number, dept in (draw.teams or {}).get("inspectors", [])]
    elif kind == "excluded-inspectors":
        rows = draw.inspector_exclusions or []
    elif kind == "changes":
        rows = changes.ChangeList(draw)
    else:
        rows = draw.pair_reasons or []
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    if kind == "reserve":
        codes = [code for _h, _k, code in items]
        names = dict(Institution.objects.filter(fixmedins_code__in=codes).values_list("fixmedins_code", "name"))
        used = set(draw.assignments.filter(institution__fixmedins_code__in=codes)
                   .values_list("institution__fixmedins_code", flat=True))
        table = [(h, k, f"{names.get(code, '')}（{code}）", "已递补" if code in used else "") for h, k, code in items]
    elif kind == "exclusions":
        table = [(str(e.institution), e.institution.region.name, e.get_reason_display(), e.detail) for e in items]
    elif kind == "inspectors":
        people = Inspector.objects.in_bulk([number for _d, number in items], field_name="number")
        table = [(dept, getattr(people.get(number), "name", ""), number) for dept, number in items]
    elif kind == "excluded-inspectors":
        people = Inspector.objects.in_bulk([number for number, _r in items], field_name="number")
        table = [(getattr(people.get(number), "name", ""), number, reason) for number, reason in items]
    elif kind == "changes":
        table = [(c.when, c.actor, c.institution, c.field, c.before, c.after, c.reason) for c in items]
    else:
        table = [tuple(row) for row in items]
    return render(request, "draws/list.html", {
        "draw": draw, "task": draw.task, "kind": kind, "title": title, "headers": headers, "rows": table,
        "page": page, "stratum": stratum,
        "strata": list(draw.package["result"]["strata"]) if kind == "reserve" else [],
    })


# --------------------------------------------------------------------------------------------
# Files


def json_download(data: Any, filename: str) -> HttpResponse:
    response = HttpResponse((core.dumps(data) + "\n").encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def package_file(user: Any, draw: Draw) -> tuple[dict[str, Any], str]:
    """The confidential file of a draw for staff and auditors: the package, or a failed draw's input.

    Raises ``Http404`` when there is none yet or the user may not have it.
    """
    if not sees_everything(user, draw):
        raise Http404
    if draw.is_revealed:
        return draw.package, f"{draw.draw_id}-package.json"  # type: ignore[return-value]
    if draw.status == DrawStatus.FAILED:
        return actions.full_input(draw, events=[]), f"{draw.draw_id}-input.json"
    raise Http404


@login_required
@require_GET
def package(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = _get_draw(request, draw_id)
    data, filename = package_file(request.user, draw)
    actions.record_download(request.user, draw, filename)
    return json_download(data, filename)


@login_required
@require_GET
def commitment(request: HttpRequest, draw_id: str) -> HttpResponse:
    """The public commitment (published before the randomness exists)."""
    draw = _get_draw(request, draw_id)
    if not draw.commitment:
        raise Http404
    return json_download(draw.commitment, f"{draw.draw_id}-commitment.json")


@require_GET
def verifier(request: HttpRequest) -> FileResponse:
    """The standalone SC-DRAW-1 verifier (public code, no login)."""
    path = Path(core.__file__)
    response = FileResponse(path.open("rb"), as_attachment=True, filename="draw.py",
                            content_type="text/x-python; charset=utf-8")
    return response


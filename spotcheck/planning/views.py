"""Planning pages: item lists (read one way upwards, see models), plans and tasks.

Reads go through ``restrict(user)`` (lists and items also show the ancestor areas' lists,
``scope_inherits``); pages that change data fetch their row with ``restrict(user, "plan")`` so a row the user may
only read is a 404 there. Writes go through ``actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import BaseForm
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from spotcheck.base.permissions import can
from spotcheck.base.roles import Role
from spotcheck.base.scope import require
from spotcheck.directory.models import ContractStatus

from . import actions
from .examples import load_examples
from .forms import (
    MAX_SLOTS,
    TASK_ERROR_ALIASES,
    CheckItemForm,
    ItemImportForm,
    ItemListForm,
    PlanForm,
    TaskForm,
    UploadForm,
    adding_slot,
    apply_errors,
    slot_formset,
    slots_from,
)
from .io import SCOPE_CODE_COLUMN, export_items, parse_items, parse_scope_codes
from .models import CheckItem, ItemList, Plan, Task, TaskStatus
from .scope import CHOICE_FILTERS, FILTER_LABELS, institutions_in_scope, target_kinds
from .tabular import ImportRejected, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def may_load_examples(user: Any) -> bool:
    """The example button is for 系统管理员 and 市局管理员."""
    return can(user, "plan") and (user.is_superuser or user.role in (Role.ADMIN, Role.CITY_ADMIN))


def _form_page(
    request: HttpRequest, form: BaseForm, save: Callable[[dict[str, Any]], Any], template: str,
    context: dict[str, Any], success: Callable[[Any], str],
) -> HttpResponse:
    """Shared create/edit flow: on a valid POST call ``save(cleaned_data)`` (an action) and redirect."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect(success(obj))
    return render(request, template, {"form": form, **context})


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip() or "页面操作"


# --------------------------------------------------------------------------------------------
# home


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Item lists the user can read and the plans of their area, optionally for one year."""
    user: Any = request.user
    require(user, "view")
    lists = ItemList.objects.restrict(user).select_related("region").annotate(
        n_items=Count("items", filter=Q(items__retired_at__isnull=True)))
    plans = Plan.objects.restrict(user).select_related("region", "item_list").annotate(n_tasks=Count("tasks"))
    years = sorted(set(lists.values_list("year", flat=True)) | set(plans.values_list("year", flat=True)), reverse=True)
    year = request.GET.get("year", "").strip()
    if year.isdigit():
        lists, plans = lists.filter(year=int(year)), plans.filter(year=int(year))
    editable = set(ItemList.objects.restrict(user, "plan").values_list("pk", flat=True))
    return render(request, "planning/index.html", {
        "lists": lists, "plans": plans, "years": years, "year": year, "editable": editable,
        "can_plan": can(user, "plan"), "can_load_examples": may_load_examples(user),
    })


@login_required
@require_POST
def examples_load(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not may_load_examples(user):
        raise PermissionDenied("只有系统管理员和市局管理员可以载入示例")
    try:
        report = load_examples(user, int(request.POST.get("year") or 2023))
    except (ValidationError, ValueError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        for line in report.lines():
            messages.info(request, line)
    return redirect("planning:index")


# --------------------------------------------------------------------------------------------
# item lists and items


@login_required
def itemlist_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    form = ItemListForm(request.POST or None, user=user, initial={"year": timezone.localdate().year})
    return _form_page(request, form, lambda data: actions.create_item_list(user, data),
                      "planning/form.html", {"title": "新建抽查事项清单", "back": reverse("planning:index")},
                      lambda obj: reverse("planning:itemlist-detail", args=[obj.pk]))


@login_required
@require_GET
def itemlist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    item_list = get_object_or_404(ItemList.objects.restrict(user).select_related("region"), pk=pk)
    items = list(item_list.items.current().with_used())
    return render(request, "planning/itemlist_detail.html", {
        "item_list": item_list, "items": items, "list_used": any(i.in_use for i in items),
        "editable": ItemList.objects.restrict(user, "plan").filter(pk=pk).exists(),
        "plans": Plan.objects.restrict(user).filter(item_list=item_list),
        "can_export": can(user, "export"),
    })


@login_required
def itemlist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    item_list = get_object_or_404(ItemList.objects.restrict(user, "plan"), pk=pk)
    form = ItemListForm(request.POST or None, instance=copy(item_list), user=user, locked=item_list.is_used())
    return _form_page(request, form, lambda data: actions.update_item_list(user, item_list, data),
                      "planning/form.html", {"title": f"编辑事项清单：{item_list.name}",
                                                      "back": reverse("planning:itemlist-detail", args=[pk])},
                      lambda _: reverse("planning:itemlist-detail", args=[pk]))


@login_required
@require_POST
def itemlist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    item_list = get_object_or_404(ItemList.objects.restrict(user, "plan"), pk=pk)
    try:
        actions.delete_item_list(user, item_list, reason=_reason(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("planning:itemlist-detail", pk=pk)
    messages.success(request, f"已删除事项清单“{item_list.name}”")
    return redirect("planning:index")


@login_required
@require_GET
def itemlist_export(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "export")
    item_list = get_object_or_404(ItemList.objects.restrict(user), pk=pk)
    return _xlsx(export_items(item_list), f"{item_list.year}-{item_list.name}.xlsx")


@login_required
def itemlist_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload an .xlsx/.csv that replaces the list's items; any bad cell refuses the whole file."""
    user: Any = request.user
    require(user, "plan")
    item_list = get_object_or_404(ItemList.objects.restrict(user, "plan"), pk=pk)
    form = ItemImportForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        try:
            counts = actions.import_items(user, item_list, parse_items(form.cleaned_data["file"]),
                                          change_reason=form.cleaned_data["change_reason"])
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, "导入完成：新增 {created} 项，更新 {updated} 项，生成新版本 {versioned} 项，"
                                      "删除 {deleted} 项，未变 {unchanged} 项".format(**counts))
            return redirect("planning:itemlist-detail", pk=pk)
    return render(request, "planning/itemlist_import.html", {"item_list": item_list, "form": form, "errors": errors})


@login_required
def item_create(request: HttpRequest, list_pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    item_list = get_object_or_404(ItemList.objects.restrict(user, "plan"), pk=list_pk)
    form = CheckItemForm(request.POST or None, initial={"seq": actions.next_item_seq(item_list)})
    return _form_page(request, form, lambda data: actions.create_item(user, item_list, data),
                      "planning/form.html", {"title": f"新增抽查事项：{item_list.name}",
                                                  "back": reverse("planning:itemlist-detail", args=[list_pk])},
                      lambda _: reverse("planning:itemlist-detail", args=[list_pk]))


@login_required
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One item with its version history and the tasks that use each version."""
    user: Any = request.user
    require(user, "view")
    item = get_object_or_404(CheckItem.objects.restrict(user).select_related("item_list__region"), pk=pk)
    versions = item.history()
    tasks = Task.objects.restrict(user).filter(items__in=versions).order_by("pk").distinct()
    used_by: dict[int, list[Task]] = {v.pk: [] for v in versions}
    for task in tasks.prefetch_related("items"):
        for i in task.items.all():
            if i.pk in used_by:
                used_by[i.pk].append(task)
    return render(request, "planning/item_detail.html", {
        "item": item, "item_list": item.item_list, "used": item.is_used(), "usage": actions.item_usage(item),
        "versions": [(v, used_by[v.pk]) for v in reversed(versions)],
        "editable": item.is_current and ItemList.objects.restrict(user, "plan").filter(pk=item.item_list_id).exists(),
    })


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an item: in place while unused; a used item gets a new version (修改原因 required)."""
    user: Any = request.user
    require(user, "plan")
    item = get_object_or_404(CheckItem.objects.restrict(user, "plan").select_related("item_list"), pk=pk)
    if not item.is_current:
        messages.error(request, f"抽查事项“{item}”的版本 {item.version} 已被新版本取代，历史版本不能修改")
        return redirect("planning:item-detail", pk=pk)
    used = item.is_used()
    form = CheckItemForm(request.POST or None, instance=copy(item), used=used)

    def save(data: dict[str, Any]) -> CheckItem:
        saved = actions.update_item(user, item, data)
        if saved.pk != item.pk:
            messages.info(request, f"该事项已被使用，已生成新版本（版本 {saved.version}），已使用的版本保持不变")
        return saved

    title = f"修订抽查事项（将生成新版本）：{item}" if used else f"编辑抽查事项：{item}"
    return _form_page(request, form, save, "planning/form.html",
                      {"title": title, "back": reverse("planning:itemlist-detail", args=[item.item_list_id]),
                       "notice": f"该事项{actions.item_usage(item)}，已使用（只读）：保存不会改变原版本，而是生成新版本"
                                 f"（版本 {item.version + 1}），请填写修改原因。" if used else ""},
                      lambda saved: reverse("planning:item-detail", args=[saved.pk]) if saved.pk != item.pk
                      else reverse("planning:itemlist-detail", args=[item.item_list_id]))


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    item = get_object_or_404(CheckItem.objects.restrict(user, "plan").select_related("item_list"), pk=pk)
    try:
        actions.delete_item(user, item, reason=_reason(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已删除抽查事项“{item}”")
    return redirect("planning:itemlist-detail", pk=item.item_list_id)


# --------------------------------------------------------------------------------------------
# plans


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    form = PlanForm(request.POST or None, user=user, initial={"year": timezone.localdate().year})
    return _form_page(request, form, lambda data: actions.create_plan(user, data), "planning/form.html",
                      {"title": "新建年度抽查计划", "back": reverse("planning:index")}, lambda obj: reverse("planning:plan-detail", args=[obj.pk]))


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    plan = get_object_or_404(Plan.objects.restrict(user).select_related("region", "item_list"), pk=pk)
    tasks = plan.tasks.select_related("region", "responsible_department").prefetch_related(
        "slots__department", "items", "joint_departments"
    ).order_by("seq", "id")
    return render(request, "planning/plan_detail.html", {
        "plan": plan, "tasks": tasks,
        "editable": Plan.objects.restrict(user, "plan").filter(pk=pk).exists(),
        "item_list_visible": plan.item_list_id
        and ItemList.objects.restrict(user).filter(pk=plan.item_list_id).exists(),
    })


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    plan = get_object_or_404(Plan.objects.restrict(user, "plan"), pk=pk)
    form = PlanForm(request.POST or None, instance=copy(plan), user=user)
    return _form_page(request, form, lambda data: actions.update_plan(user, plan, data), "planning/form.html",
                      {"title": f"编辑计划：{plan.name}", "back": reverse("planning:plan-detail", args=[pk])}, lambda _: reverse("planning:plan-detail", args=[pk]))


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    plan = get_object_or_404(Plan.objects.restrict(user, "plan"), pk=pk)
    try:
        actions.delete_plan(user, plan, reason=_reason(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("planning:plan-detail", pk=pk)
    messages.success(request, f"已删除计划“{plan.name}”")
    return redirect("planning:index")


# --------------------------------------------------------------------------------------------
# tasks


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    tasks = Task.objects.restrict(user).select_related("plan", "region", "responsible_department")
    status, year = request.GET.get("status", ""), request.GET.get("year", "").strip()
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    if year.isdigit():
        tasks = tasks.filter(plan__year=int(year))
    page = Paginator(tasks.order_by("-period_start", "seq", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "planning/task_list.html", {
        "page": page, "status": status, "year": year, "statuses": TaskStatus.choices,
    })


def _unchecked(form: BaseForm, formset: Any) -> None:
    """Show posted forms with what was typed but without validation errors (the user only asked for a row).

    Django validates a bound form when its errors are first read; empty error lists stand for that here."""
    for each in [form, *formset.forms]:
        each._errors, each.cleaned_data = ErrorDict(), {}
    formset._errors, formset._non_form_errors = [], formset.error_class()


def _task_form_page(request: HttpRequest, plan: Plan, task: Task | None) -> HttpResponse:
    user: Any = request.user
    post = request.POST if request.method == "POST" else None
    form = TaskForm(post, user=user, plan=plan, task=task)
    frozen = task is not None and task.has_draw
    formset = slot_formset(plan, task, post)
    slot_errors: list[str] = []
    if adding_slot(post) and not frozen:  # “添加一行” without JavaScript: the same page, one row more, no checks
        _unchecked(form, formset)
        if formset.total_form_count() >= MAX_SLOTS:
            messages.info(request, f"检查组最多 {MAX_SLOTS} 个部门")
        post = None
    valid = post is not None and all([form.is_valid(), frozen or formset.is_valid()])  # both report errors
    if valid:
        slots = None if frozen else slots_from(formset)
        try:
            if task is None:
                task = actions.create_task(user, plan, form.action_data(), slots or [])
            else:
                actions.update_task(user, task, form.action_data(), slots)
        except ValidationError as exc:
            errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            slot_errors = errors.pop("slots", [])
            apply_errors(form, ValidationError(errors), TASK_ERROR_ALIASES)
        else:
            messages.success(request, "已保存")
            return redirect("planning:task-detail", pk=task.pk)
    return render(request, "planning/task_form.html", {
        "form": form, "formset": formset, "plan": plan, "task": task, "frozen": frozen,
        "slot_errors": slot_errors,
    })


@login_required
def task_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    plan = get_object_or_404(Plan.objects.restrict(user, "plan").select_related("item_list"), pk=plan_pk)
    return _task_form_page(request, plan, None)


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    task = get_object_or_404(Task.objects.restrict(user, "plan").select_related("plan__item_list"), pk=pk)
    return _task_form_page(request, task.plan, task)


def _scope_description(task: Task) -> list[tuple[str, str]]:
    """Directed filters as (label, values) for display."""
    filters = task.scope_filters or {}
    rows = []
    for key, label in FILTER_LABELS.items():
        if key not in filters:
            continue
        value = filters[key]
        if key == "risk_flag":
            rows.append((label, "是"))
        elif key == "region":
            rows.append((label, "、".join(value)))
        else:
            rows.append((label, "、".join(CHOICE_FILTERS[key].get(v, v) for v in value)))
    return rows


def _task_detail(request: HttpRequest, task: Task, upload_form: UploadForm, upload_errors: Any = None) -> HttpResponse:
    user: Any = request.user
    population = institutions_in_scope(task).filter(kind__in=target_kinds(task))
    return render(request, "planning/task_detail.html", {
        "task": task, "plan": task.plan,
        "slots": task.slots.select_related("department"),
        "team_size": sum(s.count for s in task.slots.all()),
        "scope_rows": _scope_description(task),
        "listed": task.scope_list.order_by("fixmedins_code")[:50],
        "listed_count": task.scope_list.count(),
        "population": population.count(),
        "population_active": population.filter(contract_status=ContractStatus.ACTIVE).count(),
        "editable": Task.objects.restrict(user, "plan").filter(pk=task.pk).exists(),
        "upload_form": upload_form, "upload_errors": upload_errors,
    })


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "view")
    task = get_object_or_404(Task.objects.restrict(user).select_related(
        "plan", "region", "responsible_department"), pk=pk)
    return _task_detail(request, task, UploadForm())


@login_required
@require_POST
def task_scope_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the directed list (column 定点医药机构编码); any bad row refuses the whole file."""
    user: Any = request.user
    require(user, "plan")
    task = get_object_or_404(Task.objects.restrict(user, "plan").select_related(
        "plan", "region", "responsible_department"), pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            count = actions.set_scope_list(user, task, parse_scope_codes(form.cleaned_data["file"]))
        except ImportRejected as exc:
            return _task_detail(request, task, form, exc.errors)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已设置定向名单：{count} 家机构")
            return redirect("planning:task-detail", pk=pk)
    return _task_detail(request, task, form)


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    require(user, "plan")
    task = get_object_or_404(Task.objects.restrict(user, "plan"), pk=pk)
    try:
        actions.delete_task(user, task, reason=_reason(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("planning:task-detail", pk=pk)
    messages.success(request, f"已删除任务“{task.name}”")
    return redirect("planning:plan-detail", pk=task.plan_id)


@login_required
@require_GET
def scope_template(request: HttpRequest) -> HttpResponse:
    """Blank .xlsx for a directed list (only the code column is read; the name helps the reader)."""
    require(request.user, "view")
    return _xlsx(write_xlsx("定向名单", [SCOPE_CODE_COLUMN, "机构名称（可不填）"], []), "定向抽查名单模板.xlsx")

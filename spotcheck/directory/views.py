"""Directory pages: lists with search, filters, sorting and export; detail pages; create and edit forms;
the region tree and the department list.

Every view needs a login and a permission (``require``); rows come only from
``Model.objects.restrict(user, action)``, so another area's row is a 404. Writes go through
``directory.actions`` (validation, area check, audit event); a form never saves itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.core.masking import mask_id_number, mask_phone

from . import actions, lookups, ownership
from .filters import CERT_EXPIRED, CERT_VALID, ConflictFilter, InspectorFilter, InstitutionFilter, cert_state
from .forms import AbsenceForm, ConflictForm, DirectoryForm, InspectorForm, InstitutionForm, RiskFlagForm
from .models import Conflict, Department, DepartmentKind, Inspector, InspectorAbsence, Institution, Region

PAGE_SIZE = 50
_ALL = ("", "全部")
_LEVEL_DEPTH = {"province": 0, "city": 1, "county": 2}
#: Masks applied on detail pages for users without "change".
_MASKS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "contact_phone": mask_phone,
}
_CERT_BADGES = {CERT_VALID: ("ok", "有效"), CERT_EXPIRED: ("bad", "已过期")}
_NO_CERT_BADGE = ("", "无")

Columns = list[tuple[str, str | None]]

INSTITUTION_COLUMNS: Columns = [
    ("定点医药机构编码", "code"), ("机构名称", "name"), ("机构类型", None), ("机构类别", None),
    ("医院等级", "level"), ("所属区域", "region"), ("信用等级", "grade"), ("协议状态", None),
    ("重点监控", None), ("更新时间", None),  # updated_at has no index: not sortable here
]
INSPECTOR_COLUMNS: Columns = [
    ("人员编号", "number"), ("姓名", "name"), ("所属部门", None), ("所属区域", "region"), ("人员类别", None),
    ("状态", None), ("执法证号", None), ("执法证有效期止", "cert"),
]
CONFLICT_COLUMNS: Columns = [
    ("检查人员", "inspector"), ("机构", "institution"), ("所属区域", None), ("回避原因", None),
    ("有效期起", "from"), ("有效期止", "to"), ("状态", None), ("登记人", None), ("登记时间", "recorded"),
]


# --------------------------------------------------------------------------------------------
# helpers


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Work bench: counts of what the user can see, and links to the parts of the product."""
    user: Any = request.user
    if user.role == "institution" and not user.is_superuser:
        return redirect("credit:mine")  # an institution account only has its own credit file
    if not can(user, "view") and can(user, "security"):
        return redirect("accounts:user-list")  # 安全管理员: no business data, his pages are in 系统管理
    counts = {
        "institutions": Institution.objects.restrict(user).count(),
        "inspectors": Inspector.objects.restrict(user).count(),
        "conflicts": Conflict.objects.restrict(user).count(),
    }
    return render(request, "accounts/home.html", {"counts": counts})



def _user(request: HttpRequest, action: str) -> Any:
    """The request's user, after checking that they hold ``action`` (else 403)."""
    user: Any = request.user
    require(user, action)
    return user


def _region_options(user: Any) -> list[tuple[str, str]]:
    """Regions in ``user``'s scope, indented by level, for a filter select (one query)."""
    rows = Region.objects.restrict(user, "view").only("code", "name", "level")
    return [_ALL, *((r.code, "\u3000" * _LEVEL_DEPTH.get(r.level, 0) + r.name) for r in rows)]


def _shape_filter_form(form: forms.Form, selects: dict[str, list[tuple[Any, str]]]) -> None:
    """Adapt a FilterSet's form for the page: given fields become selects, every select starts
    with “全部”, yes/no filters offer 是/否, and the search box is a search input."""
    for name, field in form.fields.items():
        if name in selects:
            field.widget = forms.Select(choices=selects[name])
        elif isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=[_ALL, ("true", "是"), ("false", "否")])
        elif isinstance(field.widget, forms.Select) and name != "ordering":
            field.widget.choices = [_ALL, *((v, label) for v, label in field.widget.choices if v != "")]
    if "q" in form.fields:
        form.fields["q"].widget = forms.TextInput(attrs={"type": "search"})


def _sort_headers(request: HttpRequest, columns: Columns) -> list[dict[str, str]]:
    """Table headers; sortable ones link to the current query with ``ordering`` set (or reversed)."""
    current = request.GET.get("ordering", "")
    headers = []
    for label, key in columns:
        if key is None:
            headers.append({"label": label})
            continue
        sort = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        params = request.GET.copy()
        params.pop("page", None)
        params["ordering"] = f"-{key}" if sort == "ascending" else key
        headers.append({"label": label, "url": f"?{params.urlencode()}", "sort": sort})
    return headers


def _list_page(
    request: HttpRequest,
    filterset_class: type,
    queryset: QuerySet,
    *,
    template: str,
    kind: str,
    columns: Columns,
    selects: dict[str, list[tuple[Any, str]]],
    decorate: Callable[[Any, dt.date], None] | None = None,
) -> HttpResponse:
    """Filter, sort and paginate ``queryset`` (already restricted); the export link keeps the filters.

    ``decorate(row, today)`` may add display attributes to each row of the page.
    """
    filterset = filterset_class(request.GET, queryset=queryset)
    _shape_filter_form(filterset.form, selects)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if decorate is not None:
        today = timezone.localdate()
        for row in page:
            decorate(row, today)
    export = request.GET.copy()
    export.pop("page", None)
    export["format"] = "xlsx"
    context = {
        "filter": filterset,
        "page": page,
        "headers": _sort_headers(request, columns),
        "kind": kind,
        "export_query": export.urlencode(),
    }
    return render(request, template, context)


def _display(obj: Model, name: str, blank: str) -> Any:
    """Display value of one field: choice labels, 是/否, local time, full region name; ``blank`` if empty."""
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if getattr(field, "choices", None):
        value = getattr(obj, f"get_{name}_display")()
    elif isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, dt.datetime):
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, Region):
        value = f"{value.full_name}（{value.code}）"
    return blank if value is None or value == "" else value


def _field_rows(user: Any, obj: Model, blanks: dict[str, str] | None = None) -> list[tuple[str, Any]]:
    """(Chinese label, display value) for every field of ``obj`` but the id; personal data masked for
    users without "change"; ``blanks`` names the text shown for an empty field (default “—”)."""
    masks = {} if can(user, "change") else _MASKS
    blanks = blanks or {}
    rows = []
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        value = _display(obj, field.name, blanks.get(field.name, "—"))
        if field.name in masks and value != "—":
            value = masks[field.name](str(value))
        rows.append((field.verbose_name, value))
    return rows


def _form_page(
    request: HttpRequest,
    form_class: type[DirectoryForm],
    *,
    model: type[Model],
    detail: str,
    title: str,
    instance: Model | None = None,
    fixed: dict[str, Any] | None = None,
) -> HttpResponse:
    """Create (``instance`` None) or edit a row through ``directory.actions``.

    ``fixed`` adds values that are not form fields (e.g. ``recorded_by``). Model validation errors
    come back onto the form's fields; nothing is written unless the action succeeds.
    """
    user: Any = request.user
    editing = instance is not None
    if request.method == "POST":
        form = form_class(request.POST, instance=instance, user=user, editing=editing)
    else:  # a create link may prefill fields, e.g. ?institution_code=H14052200001
        form = form_class(instance=instance, initial=None if editing else request.GET.dict(), user=user,
                          editing=editing)
    if form.is_valid():
        # An institution's draw-relevant fields have owners and need a reason (directory.ownership).
        check = ownership.institution_check(form.change_reason, where="表单") if model is Institution else None
        try:
            if instance is not None:
                changed = actions.update(user, instance, form.action_data(), reason=form.change_reason, check=check)
                obj = instance
                messages.success(request, "已保存修改" if changed else "没有修改任何内容")
            else:
                obj = actions.create(user, model, {**form.action_data(), **(fixed or {})},
                                     reason=form.change_reason, check=check)
                messages.success(request, "已创建")
        except ValidationError as exc:
            form.attach(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(detail, pk=obj.pk)
    cancel = reverse(detail, kwargs={"pk": instance.pk}) if instance is not None else None
    return render(request, "directory/form.html", {"form": form, "title": title, "cancel_url": cancel})


def _audit_link(user: Any, obj: Model) -> str | None:
    """Link to the audit events of ``obj`` for users who may read the audit log."""
    if not can(user, "audit"):
        return None
    return f"{reverse('audit:list')}?object_type={obj._meta.label_lower}&object_id={obj.pk}"


def _cert_badge(inspector: Inspector, today: dt.date) -> tuple[str, str]:
    """(badge class, 有效/已过期/无) of the inspector's enforcement certificate."""
    return _CERT_BADGES.get(cert_state(inspector, today), _NO_CERT_BADGE)


def _add_active(conflict: Conflict, today: dt.date) -> None:
    conflict.active = conflict.active_on(today)  # type: ignore[attr-defined]


def _conflicts_of(user: Any, **party: Model) -> list[Conflict]:
    """The visible conflicts of one inspector or institution, newest first, each with ``.active``."""
    rows = list(
        Conflict.objects.restrict(user, "view").filter(**party)
        .select_related("inspector", "institution", "recorded_by").order_by("-recorded_at", "-pk")
    )
    today = timezone.localdate()
    for row in rows:
        _add_active(row, today)
    return rows


def _add_cert_badge(inspector: Inspector, today: dt.date) -> None:
    inspector.cert_badge = _cert_badge(inspector, today)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# 检查对象名录库


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:
    user = _user(request, "view")
    return _list_page(
        request, InstitutionFilter, Institution.objects.restrict(user, "view").select_related("region"),
        template="directory/institution_list.html", kind="institutions", columns=INSTITUTION_COLUMNS,
        selects={"region": _region_options(user)},
    )


def _institution_page(request: HttpRequest, obj: Institution, flag_form: RiskFlagForm | None = None,
                      status: int = 200) -> HttpResponse:
    user: Any = request.user
    if flag_form is None and can(user, "change") and user.in_scope(obj.region_id):
        flag_form = RiskFlagForm(initial={"flag": "0" if obj.risk_flag else "1"})
    return render(request, "directory/institution_detail.html", {
        "obj": obj,
        "rows": _field_rows(user, obj, blanks={"credit_grade": "未评级"}),
        "conflicts": _conflicts_of(user, institution=obj),
        "audit_url": _audit_link(user, obj),
        "flag_form": flag_form,
    }, status=status)


@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "view")
    obj = get_object_or_404(
        Institution.objects.restrict(user, "view").select_related("region__parent__parent"), pk=pk
    )
    return _institution_page(request, obj)


@login_required
@require_POST
def institution_risk_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """设置/取消重点监控 with a reason (``actions.set_risk_flag``); errors re-show the institution page."""
    user = _user(request, "change")
    obj = get_object_or_404(
        Institution.objects.restrict(user, "change").select_related("region__parent__parent"), pk=pk
    )
    form = RiskFlagForm(request.POST)
    if form.is_valid():
        flag = form.cleaned_data["flag"]
        try:
            changed = actions.set_risk_flag(user, obj, flag, form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not changed:
                messages.info(request, "重点监控状态没有变化")
            else:
                messages.success(request, "已标记为重点监控" if flag else "已取消重点监控")
            return redirect("directory:institution-detail", pk=obj.pk)
    return _institution_page(request, obj, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def institution_create(request: HttpRequest) -> HttpResponse:
    _user(request, "change")
    return _form_page(request, InstitutionForm, model=Institution, detail="directory:institution-detail",
                      title="新增定点医药机构")


@login_required
@require_http_methods(["GET", "POST"])
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "change")
    obj = get_object_or_404(Institution.objects.restrict(user, "change"), pk=pk)
    return _form_page(request, InstitutionForm, model=Institution, detail="directory:institution-detail",
                      title=f"修改 {obj}", instance=obj)


# --------------------------------------------------------------------------------------------
# 执法检查人员名录库


@login_required
def inspector_list(request: HttpRequest) -> HttpResponse:
    user = _user(request, "view")
    departments = Department.objects.restrict(user, "view").values_list("pk", "name")
    return _list_page(
        request, InspectorFilter,
        Inspector.objects.restrict(user, "view").select_related("region", "department"),
        template="directory/inspector_list.html", kind="inspectors", columns=INSPECTOR_COLUMNS,
        selects={
            "region": _region_options(user),
            "department": [_ALL, *departments],
            "department_kind": [_ALL, *DepartmentKind.choices],
        },
        decorate=_add_cert_badge,
    )


def _inspector_page(request: HttpRequest, obj: Inspector, absence_form: AbsenceForm | None = None) -> HttpResponse:
    user: Any = request.user
    absences = InspectorAbsence.objects.restrict(user, "view").filter(inspector=obj).order_by("-start", "-pk")
    if absence_form is None and can(user, "change"):
        absence_form = AbsenceForm()
    return render(request, "directory/inspector_detail.html", {
        "obj": obj,
        "rows": _field_rows(user, obj),
        "cert_badge": _cert_badge(obj, timezone.localdate()),
        "conflicts": _conflicts_of(user, inspector=obj),
        "absences": absences,
        "absence_form": absence_form,
        "audit_url": _audit_link(user, obj),
    })


def _inspectors(user: Any, action: str) -> QuerySet:
    return Inspector.objects.restrict(user, action).select_related("region__parent__parent", "department")


@login_required
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "view")
    return _inspector_page(request, get_object_or_404(_inspectors(user, "view"), pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def inspector_create(request: HttpRequest) -> HttpResponse:
    _user(request, "change")
    return _form_page(request, InspectorForm, model=Inspector, detail="directory:inspector-detail",
                      title="新增执法检查人员")


@login_required
@require_http_methods(["GET", "POST"])
def inspector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "change")
    obj = get_object_or_404(Inspector.objects.restrict(user, "change"), pk=pk)
    return _form_page(request, InspectorForm, model=Inspector, detail="directory:inspector-detail",
                      title=f"修改 {obj}", instance=obj)


@login_required
@require_POST
def absence_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a 不可抽取时段 to an inspector in the user's area; errors re-show the inspector page."""
    user = _user(request, "change")
    inspector = get_object_or_404(_inspectors(user, "change"), pk=pk)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            actions.create(user, InspectorAbsence, {"inspector": inspector, **form.cleaned_data})
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已添加不可抽取时段")
            return redirect("directory:inspector-detail", pk=inspector.pk)
    return _inspector_page(request, inspector, form)


@login_required
@require_POST
def absence_delete(request: HttpRequest, pk: int, absence_pk: int) -> HttpResponse:
    """Remove a 不可抽取时段 (the reason typed next to the button goes into the audit event)."""
    user = _user(request, "change")
    absence = get_object_or_404(
        InspectorAbsence.objects.restrict(user, "change").filter(inspector_id=pk), pk=absence_pk
    )
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, "删除不可抽取时段需要填写原因")
    else:
        actions.delete(user, absence, reason=reason)
        messages.success(request, "已删除不可抽取时段")
    return redirect("directory:inspector-detail", pk=pk)


# --------------------------------------------------------------------------------------------
# 回避登记


def _conflicts(user: Any, action: str) -> QuerySet:
    return Conflict.objects.restrict(user, action).select_related(
        "inspector", "institution__region", "recorded_by"
    )


@login_required
def conflict_list(request: HttpRequest) -> HttpResponse:
    user = _user(request, "view")
    return _list_page(
        request, ConflictFilter, _conflicts(user, "view").order_by("-recorded_at", "-pk"),
        template="directory/conflict_list.html", kind="conflicts", columns=CONFLICT_COLUMNS,
        selects={"region": _region_options(user)}, decorate=_add_active,
    )


@login_required
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "view")
    obj = get_object_or_404(_conflicts(user, "view"), pk=pk)
    return render(request, "directory/conflict_detail.html", {
        "obj": obj,
        "rows": _field_rows(user, obj, blanks={"valid_to": "长期有效"}),
        "active": obj.active_on(timezone.localdate()),
        "audit_url": _audit_link(user, obj),
    })


@login_required
@require_http_methods(["GET", "POST"])
def conflict_create(request: HttpRequest) -> HttpResponse:
    user = _user(request, "change")
    return _form_page(request, ConflictForm, model=Conflict, detail="directory:conflict-detail",
                      title="新增回避登记", fixed={"recorded_by": user})


@login_required
@require_http_methods(["GET", "POST"])
def conflict_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request, "change")
    obj = get_object_or_404(_conflicts(user, "change"), pk=pk)
    return _form_page(request, ConflictForm, model=Conflict, detail="directory:conflict-detail",
                      title=f"修改回避登记 {obj}", instance=obj)


@login_required
@require_GET
def lookup(request: HttpRequest, kind: str) -> JsonResponse:
    """Suggestions for the 回避登记 form's search boxes: ``?q=`` part of a name or code; the inspectors or
    institutions in the user's ``change`` scope (the rows the form accepts), at most ``lookups.LIMIT``."""
    if kind not in lookups.LOOKUPS:
        raise Http404
    user = _user(request, "change")
    answer = lookups.search(user, kind, request.GET.get("q", ""))
    return JsonResponse(answer, headers={"Cache-Control": "private, no-store"},
                        json_dumps_params={"ensure_ascii": False})


# --------------------------------------------------------------------------------------------
# 行政区划 and 部门 (read-only)


def _count_of(model: type[Model], fk: str) -> Coalesce:
    """Correlated subquery: how many ``model`` rows point at the outer row through ``fk``."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    """The regions in scope as a tree, each with the institutions and inspectors in it and below it
    (one query; totals are rolled up to the parents here)."""
    user = _user(request, "view")
    regions = list(
        Region.objects.restrict(user, "view")
        .annotate(own_institutions=_count_of(Institution, "region"), own_inspectors=_count_of(Inspector, "region"))
        .order_by("code")
    )
    by_code = {r.code: r for r in regions}
    for r in regions:
        r.institutions, r.inspectors = r.own_institutions, r.own_inspectors
    for r in reversed(regions):  # a child's code sorts after its parent's
        parent = by_code.get(r.parent_id or "")
        if parent is not None:
            parent.institutions += r.institutions
            parent.inspectors += r.inspectors
    top = min((_LEVEL_DEPTH.get(r.level, 0) for r in regions), default=0)
    for r in regions:
        r.indent = "\u3000" * (_LEVEL_DEPTH.get(r.level, 0) - top)
    return render(request, "directory/regions.html", {"regions": regions})


@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    """Departments in scope grouped by region, with the number of inspectors of each."""
    user = _user(request, "view")
    departments = (
        Department.objects.restrict(user, "view").select_related("region")
        .annotate(inspectors=_count_of(Inspector, "department")).order_by("region_id", "kind", "name")
    )
    return render(request, "directory/departments.html", {"departments": departments})


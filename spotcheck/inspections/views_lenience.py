"""Pages of the 包容审慎清单 (four lists), the 裁量情形 (provincial 第六/七/八条) and the violation catalogue.

Everyone who may ``view`` reads the index; only ``admin`` adds or edits a row (GET and POST of the
edit pages). Every change is an audit event with before/after (``actions.save_catalogue_row``). Rows are
never deleted (findings keep their act codes and circumstance codes): an admin unticks 启用 instead.

URL names (``urls_lenience``): ``lenience-index``, ``lenience-entry-add``, ``lenience-entry-edit``,
``circumstance-add``, ``circumstance-edit``, ``violation-add``, ``violation-edit``; links are reversed
in the namespace the module is included under (``inspections`` by default).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from spotcheck import policy
from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.core.lenience import describe_conditions

from . import actions, lenience
from .forms_lenience import LIST_ORDER, CircumstanceForm, LenienceEntryForm, ViolationTypeForm, article_number
from .models import CatalogueKind, LenienceCircumstance, LenienceEntry, LenienceList, ViolationType


def _name(request: HttpRequest, name: str) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return f"{namespace}:{name}" if namespace else name


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(_name(request, name), args=args)


def _urls(request: HttpRequest) -> dict[str, str]:
    return {
        "index": _url(request, "lenience-index"),
        "entry_add": _url(request, "lenience-entry-add"),
        "circumstance_add": _url(request, "circumstance-add"),
        "violation_add": _url(request, "violation-add"),
    }


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The four lists in the seed's order, the circumstances and the violation catalogue."""
    require(request.user, "view")
    today = timezone.localdate()
    params = None
    threshold_error = ""
    try:
        params = lenience.params_on(today)
    except ValueError as exc:
        threshold_error = str(exc)
    rows = list(LenienceEntry.objects.order_by("kind", "number", "id"))
    lists = []
    for kind in LIST_ORDER:
        entries = []
        for row in (r for r in rows if r.kind == kind):
            try:
                text = describe_conditions(lenience._entry(row), params) if params else ""
            except ValueError as exc:
                text = f"（数据有误：{exc}）"
            entries.append({"row": row, "conditions": text, "edit": _url(request, "lenience-entry-edit", row.pk)})
        lists.append({"kind": kind, "label": LenienceList(kind).label, "entries": entries})
    circumstances = [
        {"row": c, "edit": _url(request, "circumstance-edit", c.pk)}
        for c in sorted(LenienceCircumstance.objects.all(), key=lambda c: (article_number(c.article), c.code))
    ]
    used_codes = set(ViolationType.objects.values_list("act_code", flat=True))
    listed_codes = {r.act_code for r in rows if r.active}
    catalogue = []
    for kind in CatalogueKind:
        items = [
            {"row": v, "edit": _url(request, "violation-edit", v.pk), "listed": v.act_code in listed_codes}
            for v in ViolationType.objects.filter(kind=kind)
        ]
        catalogue.append({"kind": kind, "label": kind.label, "items": items})
    unmatched = sorted({r.act_code for r in rows if r.active} - used_codes)
    return render(request, "inspections/lenience/index.html", {
        "lists": lists,
        "circumstances": circumstances,
        "catalogue": catalogue,
        "unmatched": unmatched,
        "threshold": params.amount_threshold if params else Decimal(0),
        "threshold_error": threshold_error,
        "lookback": policy.get("lenience.first_offence_lookback_months", on=today),
        "rule_name": params.rule_name if params else "",
        "can_admin": can(request.user, "admin"),
        "urls": _urls(request),
        "today": today,
    })


def _edit(
    request: HttpRequest, form_class: type, instance: Any, *, title: str, intro: str, noun: str
) -> HttpResponse:
    """GET/POST of one catalogue row (admins only)."""
    require(request.user, "admin")
    form = form_class(instance=instance)
    if request.method == "POST":
        form = form_class(request.POST, instance=instance)
        if form.is_valid():
            obj = form.save(commit=False)
            is_new = obj.pk is None
            actions.save_catalogue_row(request.user, obj)
            messages.success(request, f"已{'新增' if is_new else '保存'}{noun}：{obj}")
            return redirect(_url(request, "lenience-index"))
        messages.error(request, "请改正标红的项目后再保存")
    return render(request, "inspections/lenience/form.html", {
        "form": form, "title": title, "intro": intro, "urls": _urls(request), "instance": instance,
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def entry_add(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    instance = LenienceEntry(kind=kind if kind in LenienceList.values else LenienceList.NO_PENALTY)
    if request.method == "GET":
        last = LenienceEntry.objects.filter(kind=instance.kind).order_by("-number").first()
        instance.number = (last.number + 1) if last else 1
    return _edit(request, LenienceEntryForm, instance, title="新增清单条目",
                 intro="条目在所选条件中任一成立时适用；违法行为代码须与违规行为类型的代码一致。", noun="清单条目")


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(LenienceEntry, pk=pk)
    return _edit(request, LenienceEntryForm, row, title=f"修改《{row.kind}事项清单》第 {row.number} 项",
                 intro="修改只影响此后作出的建议；已录入的问题保留当时的建议和依据条目快照。", noun="清单条目")


@login_required
@require_http_methods(["GET", "POST"])
def circumstance_add(request: HttpRequest) -> HttpResponse:
    return _edit(request, CircumstanceForm, LenienceCircumstance(), title="新增裁量情形",
                 intro="录入《山西省医疗保障行政处罚裁量基准规则》某条规定的一种情形；检查人员录入问题时勾选。",
                 noun="裁量情形")


@login_required
@require_http_methods(["GET", "POST"])
def circumstance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(LenienceCircumstance, pk=pk)
    return _edit(request, CircumstanceForm, row, title=f"修改裁量情形 {row.article}（{row.code}）",
                 intro="该规则未能从公开渠道取得，请按正式文本录入条文原文。", noun="裁量情形")


@login_required
@require_http_methods(["GET", "POST"])
def violation_add(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    instance = ViolationType(kind=kind if kind in CatalogueKind.values else CatalogueKind.HOSPITAL)
    if request.method == "GET":
        last = ViolationType.objects.filter(kind=instance.kind).order_by("-seq").first()
        instance.seq = (last.seq + 1) if last else 1
    return _edit(request, ViolationTypeForm, instance, title="新增违规行为类型",
                 intro="违法行为代码决定《条例》条款（处罚幅度）和适用的包容审慎清单条目。", noun="违规行为类型")


@login_required
@require_http_methods(["GET", "POST"])
def violation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(ViolationType, pk=pk)
    return _edit(request, ViolationTypeForm, row, title=f"修改违规行为类型（{row.get_kind_display()}第 {row.seq} 项）",
                 intro="违法行为代码决定《条例》条款（处罚幅度）和适用的包容审慎清单条目；已录入的问题不受影响。",
                 noun="违规行为类型")

"""Policy settings pages: every registry key with its value in force, default and history.

Everyone who may ``view`` reads them (the numbers govern draws they take part in); only ``admin``
adds a value, through ``actions.set_policy``. A value takes effect from a date not before today:
old values stay in force for the days they covered.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from spotcheck.base.permissions import can
from spotcheck.base.scope import require

from . import get
from .actions import set_policy
from .models import PolicySetting
from .registry import SPECS, Spec


def show(value: Any) -> str:
    """A policy value as compact JSON (Chinese kept readable)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Entry:
    spec: Spec
    value: str
    default: str
    in_force: PolicySetting | None  # None: the default applies
    history: list[PolicySetting]

    @property
    def pending(self) -> list[PolicySetting]:
        return [row for row in self.history if row.effective_from > timezone.localdate()]


def _entry(spec: Spec, history: list[PolicySetting], today: dt.date) -> Entry:
    for row in history:
        row.shown = show(row.value)  # type: ignore[attr-defined]
    in_force = next((row for row in history if row.effective_from <= today), None)
    return Entry(spec, show(get(spec.key, on=today)), show(spec.default), in_force, history)


def _history() -> dict[str, list[PolicySetting]]:
    rows: dict[str, list[PolicySetting]] = {}
    for row in PolicySetting.objects.select_related("created_by").order_by("key", "-effective_from", "-id"):
        rows.setdefault(row.key, []).append(row)
    return rows


class PolicyValueForm(forms.Form):
    value = forms.CharField(label="新取值（JSON）", widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="与默认值同类型的 JSON，如 2、\"ceil\"、true、[\"region\", \"kind\"]")
    effective_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text="不能早于今天；此前的日期仍按原取值")
    note = forms.CharField(label="修改原因", max_length=200, help_text="如文件名称和文号")

    def __init__(self, *args: Any, spec: Spec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def clean_value(self) -> Any:
        text = self.cleaned_data["value"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）")
        default = self.spec.default
        if type(value) is not type(default):
            raise ValidationError(f"取值类型应与默认值一致：默认值为 {show(default)}")
        if isinstance(default, dict) and set(value) != set(default):
            raise ValidationError(f"应包含且只包含以下键：{'、'.join(default)}")
        if isinstance(default, list) and default:
            kind = type(default[0])
            if not all(type(v) is kind for v in value):
                raise ValidationError(f"列表中的每一项应与默认值同类型，如 {show(default[0])}")
        return value

    def clean_effective_from(self) -> dt.date:
        day = self.cleaned_data["effective_from"]
        if day < timezone.localdate():
            raise ValidationError("生效日期不能早于今天（已生效的取值不可追改，请新增一个取值）")
        return day


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every policy key: value in force today, default, since when, pending and past values."""
    require(request.user, "view")
    today = timezone.localdate()
    history = _history()
    entries = [_entry(spec, history.get(key, []), today) for key, spec in SPECS.items()]
    return render(request, "policy/index.html", {"entries": entries, "today": today,
                                                 "can_admin": can(request.user, "admin")})


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, key: str) -> HttpResponse:
    """One key's history; 系统管理员 adds a new value (POST) from an effective date."""
    user: Any = request.user
    require(user, "view")
    spec = SPECS.get(key)
    if spec is None:
        raise Http404("未知的政策参数")
    today = timezone.localdate()
    form = PolicyValueForm(initial={"value": show(get(key, on=today)), "effective_from": today}, spec=spec)
    if request.method == "POST":
        require(user, "admin")
        form = PolicyValueForm(request.POST, spec=spec)
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_policy(user, key, data["value"], data["effective_from"], data["note"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"已新增取值：{show(data['value'])}，自 {data['effective_from']:%Y-%m-%d} 起生效")
                return redirect("policy:detail", key=key)
    entry = _entry(spec, list(PolicySetting.objects.filter(key=key).select_related("created_by")
                              .order_by("-effective_from", "-id")), today)
    return render(request, "policy/detail.html", {"entry": entry, "form": form, "today": today,
                                                  "can_admin": can(user, "admin")})

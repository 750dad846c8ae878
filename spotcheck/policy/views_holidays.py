"""The holiday table page: per year whether the schedule is known, the override days, a deadline check.

Everyone who may ``view`` reads it; only ``admin`` adds, changes or removes an override day or imports
a CSV (``actions.set_override`` / ``remove_override`` / ``import_overrides``, each an audit event with
before/after). Overrides are configuration, not records, so removing one is allowed.

URL names (``urls_holidays``): ``holiday-list``, ``holiday-add``, ``holiday-remove``, ``holiday-import``,
reversed in the namespace the module is included under (``policy``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from spotcheck.base import uploads
from spotcheck.base.permissions import can
from spotcheck.base.scope import require

from . import actions as policy_actions
from . import calendar as cal
from .models import HolidayOverride

WEEKDAYS = "一二三四五六日"


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = f"{field.label}：不能为空"
            field.error_messages["invalid"] = f"{field.label}：格式错误"


class HolidayForm(_Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label="类型", choices=[("holiday", "休息（法定节假日/调休休息）"), ("workday", "上班（调休上班日）")],
        widget=forms.RadioSelect, initial="holiday",
    )
    note = forms.CharField(label="说明", max_length=100, required=False, help_text="如 国庆节、国庆节调休上班")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].error_messages["invalid"] = "日期：格式应为 YYYY-MM-DD"
        self.fields["kind"].error_messages["invalid_choice"] = "类型：请选择休息或上班"
        self.fields["note"].error_messages["max_length"] = "说明：不能超过 %(limit_value)d 个字"


class ImportForm(_Form):
    file = forms.FileField(label="CSV 文件", help_text="每行：日期,类型,说明；类型为 休息/holiday 或 上班/workday；UTF-8 编码")

    def clean_file(self) -> Any:
        """The upload check of every import (``base.uploads``, kind ``holidays``: CSV text by content, at most
        ``SPOTCHECK_HOLIDAYS_MAX_BYTES``) before the file is read."""
        upload = self.cleaned_data["file"]
        try:
            uploads.check_import(upload, "holidays")
        except uploads.UploadRejected as exc:
            raise ValidationError(str(exc)) from None
        return upload


class DeadlineForm(_Form):
    start = forms.DateField(label="起算日", widget=forms.DateInput(attrs={"type": "date"}))
    n = forms.IntegerField(label="工作日数", min_value=0, max_value=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["n"].error_messages["min_value"] = "工作日数：不能为负数"
        self.fields["n"].error_messages["max_value"] = "工作日数：不能超过 1000"


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return reverse(f"{namespace}:{name}" if namespace else name, args=args)


def _years(today: dt.date, extra: set[int]) -> list[int]:
    return sorted({today.year - 1, today.year, today.year + 1, *extra})


def _page(
    request: HttpRequest, *, form: HolidayForm | None = None, import_form: ImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    rows = list(HolidayOverride.objects.select_related("created_by").order_by("day"))
    year = request.GET.get("year", "")
    shown = [r for r in rows if str(r.day.year) == year] if year.isdigit() else rows
    for row in shown:
        row.weekday = "周" + WEEKDAYS[row.day.weekday()]  # type: ignore[attr-defined]
        row.remove_url = _url(request, "holiday-remove", row.day.isoformat())  # type: ignore[attr-defined]
    statuses = cal.year_status(_years(today, {r.day.year for r in rows}))
    deadline: dict[str, Any] = {}
    deadline_form = DeadlineForm(request.GET if "start" in request.GET else None,
                                 initial={"start": today, "n": 20})
    if deadline_form.is_bound and deadline_form.is_valid():
        start, n = deadline_form.cleaned_data["start"], deadline_form.cleaned_data["n"]
        calendar = cal.calendar()
        due = calendar.deadline(start, n)
        deadline = {"start": start, "n": n, "due": due.day, "estimated": due.estimated, "warnings": calendar.warnings}
    return render(request, "policy/holidays.html", {
        "rows": shown,
        "all_count": len(rows),
        "year": year,
        "years": sorted({r.day.year for r in rows}),
        "statuses": statuses,
        "unknown": [s for s in statuses if not s.known],
        "package_years": f"{cal.PACKAGE_YEARS.start}–{cal.PACKAGE_YEARS.stop - 1}",
        "statutory_from": cal.STATUTORY_FROM,
        "form": form or HolidayForm(),
        "import_form": import_form or ImportForm(),
        "deadline_form": deadline_form,
        "deadline": deadline,
        "can_admin": can(request.user, "admin"),
        "urls": {
            "list": _url(request, "holiday-list"),
            "add": _url(request, "holiday-add"),
            "import": _url(request, "holiday-import"),
        },
    }, status=status)


@login_required
@require_GET
def holiday_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "view")
    return _page(request)


@login_required
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    """Add an override day, or change the one already entered for that date."""
    require(request.user, "admin")
    form = HolidayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        existed = HolidayOverride.objects.filter(day=data["day"]).exists()
        try:
            row = policy_actions.set_override(request.user, data["day"], data["kind"] == "workday", data["note"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            kind = "上班" if row.is_workday else "休息"
            messages.success(request, f"已{'修改' if existed else '新增'}：{row.day:%Y-%m-%d} {kind}")
            return redirect(_url(request, "holiday-list") + f"?year={row.day.year}")
    messages.error(request, "请改正标红的项目后再保存")
    return _page(request, form=form, status=400)


@login_required
@require_POST
def holiday_remove(request: HttpRequest, day: str) -> HttpResponse:
    require(request.user, "admin")
    try:
        date = cal.parse_day(day)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(_url(request, "holiday-list"))
    if policy_actions.remove_override(request.user, date):
        messages.success(request, f"已删除 {date:%Y-%m-%d} 的调整，该日恢复按软件包或该年的默认规则计算")
    else:
        messages.error(request, f"节假日表中没有 {date:%Y-%m-%d}")
    return redirect(_url(request, "holiday-list") + f"?year={date.year}")


@login_required
@require_POST
def holiday_import(request: HttpRequest) -> HttpResponse:
    """Import a CSV of override days: all rows or none (errors name the line)."""
    require(request.user, "admin")
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            changed, unchanged = policy_actions.import_overrides(request.user, form.cleaned_data["file"].read())
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, f"已导入：{changed} 天新增或修改，{unchanged} 天未变")
            return redirect(_url(request, "holiday-list"))
    messages.error(request, "导入失败，未作任何修改")
    return _page(request, import_form=form, status=400)

"""Web forms. They parse input; every rule is (re)checked in ``actions``, which the API shares.

Model forms are bound to a *copy* of the row (views pass ``instance=copy(obj)``) so that form
validation does not alter the object the action snapshots as "before".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from spotcheck.core.codes import region_prefix
from spotcheck.directory.models import Department, Region

from .actions import Slot
from .models import CheckItem, ItemList, Plan, Task
from .ratios import RatioError, format_percent, parse_percent
from .scope import CHOICE_FILTERS, departments_for

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Attach an action's ``ValidationError`` to ``form`` (unknown fields become non-field errors)."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        name = aliases.get(key, key)
        form.add_error(name if name in form.fields else None, messages)


class ItemListForm(forms.ModelForm):
    """``locked`` (a list whose items were used): only 备注 can change, the other fields are shown disabled."""

    class Meta:
        model = ItemList
        fields = ["region", "year", "name", "issuer", "doc_number", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, "plan")
        if locked:
            for name in self.fields:
                if name != "notes":
                    self.fields[name].disabled = True
            self.fields["name"].help_text = ("清单中的事项已被使用，清单名称、年度、发布区域、发布单位和文号不能再修改；"
                                             "如需修订，请新建清单（例如下一年度的清单）")


class CheckItemForm(forms.ModelForm):
    """An item's columns; on an existing item also 修改原因 (``change_reason``), required when the item
    was used (``used``): saving then creates a new version and leaves the used one unchanged."""

    change_reason = forms.CharField(label="修改原因", max_length=200, required=False)

    class Meta:
        model = CheckItem
        fields = ["seq", "category", "name", "target", "target_kind", "item_type", "ratio_text", "frequency",
                  "methods", "subjects", "basis"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, used: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["change_reason"]
        if self.instance.pk is None:
            del self.fields["change_reason"]
        elif used:
            field.required = True
            field.error_messages["required"] = "该事项已被使用，修改将生成新版本，请填写修改原因"
            field.help_text = (f"该事项已被使用（只读）。保存后将生成新版本（版本 {self.instance.version + 1}），"
                               "已使用的版本保持不变")
        else:
            field.label, field.help_text = "修改说明", "可不填；该事项尚未被使用，将直接修改"


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["region", "year", "name", "doc_number", "item_list", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, "plan")
        self.fields["item_list"].queryset = ItemList.objects.restrict(user).select_related("region")


def _choices(key: str) -> list[tuple[str, str]]:
    return list(CHOICE_FILTERS[key].items())


def _item_label(item: CheckItem) -> str:
    return str(item) if item.is_current else f"{item}（版本 {item.version}，已有新版本）"


#: Form field → model/action key, for mapping action errors back onto the form.
TASK_ERROR_ALIASES = {"ratio_num": "ratio_percent", "ratio_den": "ratio_percent", "region_id": "region",
                      "scope_filters": "f_region", "scope_list": "directed"}


class TaskForm(forms.Form):
    """The 阳城 work-plan columns plus scope, draw options and directed-scope filters."""

    name = forms.CharField(label="任务名称", max_length=120)
    region = forms.ModelChoiceField(label="任务区域", queryset=Region.objects.none())
    period_start = forms.DateField(label="检查开始日期", widget=DATE)
    period_end = forms.DateField(label="检查结束日期", widget=DATE)
    scope_text = forms.CharField(label="抽查对象范围", max_length=200, required=False,
                                 help_text="如“全县定点医药机构”")
    ratio_percent = forms.CharField(label="抽查比例（%）", max_length=12, help_text="填写百分数，如 5 或 3.5")
    credit_scaled = forms.BooleanField(label="按信用等级调整比例", required=False)
    items = forms.ModelMultipleChoiceField(
        label="抽查事项", queryset=CheckItem.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    item_summary = forms.CharField(label="抽查事项（计划表述）", max_length=200, required=False,
                                   help_text="工作计划中的写法，如“医保基金使用情况”")
    directed = forms.TypedChoiceField(
        label="抽查类型", choices=[("0", "不定向"), ("1", "定向")], coerce=lambda v: v == "1",
        widget=forms.RadioSelect, initial="0",
    )
    f_region = forms.MultipleChoiceField(label="定向：区域", required=False, widget=forms.CheckboxSelectMultiple)
    f_kind = forms.MultipleChoiceField(label="定向：机构类型", choices=_choices("kind"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    f_category = forms.MultipleChoiceField(label="定向：机构类别", choices=_choices("category"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    f_level = forms.MultipleChoiceField(label="定向：医院等级", choices=_choices("level"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    f_credit_grade = forms.MultipleChoiceField(label="定向：信用等级", choices=_choices("credit_grade"),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    f_risk_flag = forms.BooleanField(label="定向：仅重点监控机构", required=False)
    method = forms.CharField(label="抽查方式", max_length=30, initial="实地检查")
    joint = forms.BooleanField(label="部门联合", required=False)
    responsible_department = forms.ModelChoiceField(label="责任部门", queryset=Department.objects.none())
    joint_departments = forms.ModelMultipleChoiceField(
        label="联合部门", queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    cap = forms.IntegerField(label="每名检查人员最多检查机构数", min_value=1, initial=3)
    cross_area = forms.BooleanField(label="异地交叉检查（不派本县人员）", required=False)
    exclude_checked_this_year = forms.BooleanField(label="排除本年度已检查同一事项的机构", required=False, initial=True)
    exclude_last_round_pairs = forms.BooleanField(label="排除上一轮的人员—机构组合", required=False, initial=True)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    #: Form fields a draw depends on (see models.DRAW_FIELDS); disabled once the task has a draw.
    DRAW_FORM_FIELDS = ("region", "period_start", "period_end", "ratio_percent", "credit_scaled", "items",
                        "directed", "f_region", "f_kind", "f_category", "f_level", "f_credit_grade",
                        "f_risk_flag", "cap", "cross_area", "exclude_checked_this_year", "exclude_last_round_pairs")

    def __init__(self, *args: Any, user: Any, plan: Plan, task: Task | None = None, **kwargs: Any) -> None:
        if task is not None:
            kwargs.setdefault("initial", self.initial_for(task))
        super().__init__(*args, **kwargs)
        prefix = region_prefix(plan.region_id)
        regions = Region.objects.restrict(user, "plan").filter(code__startswith=prefix)
        self.fields["region"].queryset = regions
        self.fields["f_region"].choices = [(r.code, f"{r.code} {r.name}") for r in regions]
        items = CheckItem.objects.none()
        if plan.item_list_id:  # current versions, and the (possibly superseded) versions the task keeps
            items = CheckItem.objects.filter(item_list_id=plan.item_list_id).filter(
                Q(retired_at__isnull=True) | Q(pk__in=task.items.values("pk") if task else [])
            )
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = _item_label
        departments = departments_for(plan.region_id)
        self.fields["responsible_department"].queryset = departments
        self.fields["joint_departments"].queryset = departments
        if task is None:
            self.fields["region"].initial = plan.region_id
        elif task.has_draw:
            for name in self.DRAW_FORM_FIELDS:
                self.fields[name].disabled = True

    @staticmethod
    def initial_for(task: Task) -> dict[str, Any]:
        filters = task.scope_filters or {}
        return {
            "name": task.name, "region": task.region_id, "period_start": task.period_start,
            "period_end": task.period_end, "scope_text": task.scope_text,
            "ratio_percent": format_percent(task.ratio_num, task.ratio_den), "credit_scaled": task.credit_scaled,
            "items": list(task.items.all()), "item_summary": task.item_summary,
            "directed": "1" if task.directed else "0",
            **{f"f_{key}": filters.get(key, []) for key in ("region", "kind", "category", "level", "credit_grade")},
            "f_risk_flag": bool(filters.get("risk_flag")), "method": task.method, "joint": task.joint,
            "responsible_department": task.responsible_department_id,
            "joint_departments": list(task.joint_departments.all()), "cap": task.cap,
            "cross_area": task.cross_area, "exclude_checked_this_year": task.exclude_checked_this_year,
            "exclude_last_round_pairs": task.exclude_last_round_pairs, "notes": task.notes,
        }

    def clean_ratio_percent(self) -> tuple[int, int]:
        try:
            return parse_percent(self.cleaned_data["ratio_percent"])
        except RatioError as exc:
            raise ValidationError(str(exc))

    def action_data(self) -> dict[str, Any]:
        """Cleaned values as ``actions.create_task/update_task`` data; disabled fields are left out."""
        data: dict[str, Any] = {}
        filters: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if self.fields[name].disabled:
                continue
            if name == "ratio_percent":
                data["ratio_num"], data["ratio_den"] = value
            elif name.startswith("f_"):
                if value:
                    filters[name[2:]] = True if name == "f_risk_flag" else list(value)
            else:
                data[name] = list(value) if name in ("items", "joint_departments") else value
        if not self.fields["directed"].disabled:
            data["scope_filters"] = filters
        return data


class SlotForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.none(), required=False,
                                        widget=forms.Select(attrs={"aria-label": "部门"}))
    count = forms.IntegerField(label="人数", min_value=1, max_value=20, required=False, initial=1,
                               widget=forms.NumberInput(attrs={"aria-label": "人数", "size": 3}))

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


#: Most team rows (departments) of a task.
MAX_SLOTS = 20
#: The submit button that adds a team row without saving: the page's ``planning/task_form.js`` adds the row in
#: the browser; without JavaScript the button posts the form and the page comes back with one more empty row.
ADD_SLOT = "add_slot"
SLOT_PREFIX = "slots"


def _slot_formset_class(extra: int) -> type[forms.BaseFormSet]:
    return forms.formset_factory(SlotForm, extra=extra, max_num=MAX_SLOTS, validate_max=True)


def adding_slot(data: Any) -> bool:
    """True when the form was posted with “添加一行” (no JavaScript): add a row, save nothing."""
    return data is not None and ADD_SLOT in data


def slot_formset(plan: Plan, task: Task | None, data: Any = None) -> forms.BaseFormSet:
    """The team rows: a new task starts with two empty rows, a task with rows gets one empty row more.

    Posted with “添加一行”, the posted rows come back with one more (up to :data:`MAX_SLOTS`)."""
    initial = [{"department": s.department_id, "count": s.count} for s in task.slots.all()] if task else []
    if adding_slot(data):
        data = data.copy()
        key = f"{SLOT_PREFIX}-TOTAL_FORMS"
        try:
            total = int(data.get(key, 0))
        except (TypeError, ValueError):
            total = 0
        data[key] = str(max(0, min(total + 1, MAX_SLOTS)))
    formset_class = _slot_formset_class(1 if initial else 2)
    return formset_class(data, initial=initial, prefix=SLOT_PREFIX,
                         form_kwargs={"departments": departments_for(plan.region_id)})


def slots_from(formset: forms.BaseFormSet) -> list[Slot]:
    """Filled-in slot rows (rows without a department are ignored) in form order."""
    return [
        Slot(f.cleaned_data["department"], f.cleaned_data.get("count") or 1)
        for f in formset.forms
        if f.cleaned_data.get("department")
    ]


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")


class ItemImportForm(UploadForm):
    change_reason = forms.CharField(
        label="修改原因", max_length=200, required=False,
        help_text="文件修改了已使用的事项时必填：这些事项将生成新版本，已使用的版本保持不变",
    )

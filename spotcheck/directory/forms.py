"""Web forms for the directories. They clean fields only; ``directory.actions`` validates the model
(``full_clean``), checks permission and area, writes and audits. The views never call ``form.save()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from . import lookups, ownership
from .models import Conflict, CreditGrade, Department, Inspector, InspectorAbsence, Institution, Region

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_OUT_OF_SCOPE = "所选{label}不存在或不在您的管辖范围内"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.code} {obj.name}"


class DirectoryForm(forms.ModelForm):
    """Base of the create/edit forms.

    ``user`` limits the region and department choices to the user's area (``change`` scope), so a
    code from another area is a field error. ``change_reason`` (修改原因) is required when editing
    and optional when creating; it goes into the audit event, not into the row.
    """

    #: Model-error keys that are shown on a differently named form field.
    error_aliases: dict[str, str] = {}

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["change_reason"] = forms.CharField(
            label="修改原因", required=editing, max_length=500,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="记入审计日志" if editing else "可选，记入审计日志",
        )
        if "region" in self.fields:
            self._limit(
                "region", Region.objects.restrict(user, "change").only("code", "name"), "区域", RegionChoiceField
            )
        if "department" in self.fields:
            self._limit("department", Department.objects.restrict(user, "change"), "部门")

    def _limit(self, name: str, queryset: Any, label: str, field_class: type = forms.ModelChoiceField) -> None:
        old = self.fields[name]
        self.fields[name] = field_class(
            queryset=queryset, label=old.label, required=old.required, help_text=old.help_text,
            empty_label="请选择", error_messages={"invalid_choice": _OUT_OF_SCOPE.format(label=label)},
        )

    def _post_clean(self) -> None:
        """Skip ModelForm's instance validation: the action runs ``full_clean`` once (see ``attach``)."""

    def action_data(self) -> dict[str, Any]:
        """The cleaned model fields, for ``actions.create`` / ``actions.update``."""
        return {k: v for k, v in self.cleaned_data.items() if k in self._meta.fields}

    @property
    def change_reason(self) -> str:
        return self.cleaned_data.get("change_reason", "")

    def attach(self, exc: ValidationError) -> None:
        """Show a model ``ValidationError`` from an action next to the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            name = self.error_aliases.get(key, key)
            self.add_error(name if name in self.fields else None, errors)


class InstitutionForm(DirectoryForm):
    class Meta:
        model = Institution
        fields = [
            "fixmedins_code", "name", "uscc", "kind", "category", "level", "region", "address",
            "legal_representative", "contact_person", "contact_phone", "contract_status", "credit_grade",
            "risk_flag", "contract_date", "notes",
        ]
        widgets = {"contract_date": _DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credit_grade"].choices = [("", "未评级"), *CreditGrade.choices]
        # Shown, never written here (directory.ownership): the grade comes from the credit evaluation,
        # 重点监控 from the screening decision or the institution page's “设置重点监控”.
        grade, flag = self.fields["credit_grade"], self.fields["risk_flag"]
        grade.disabled = flag.disabled = True
        grade.help_text = format_html(
            "信用等级来自<a href=\"{}\">信用评价</a>，只能由信用评价修改；新增机构为未评级", reverse("credit:index"))
        flag.help_text = "只能由系统数据检查的决定或机构页面的“设置重点监控”（须填写理由）修改"
        if self.instance.pk:
            self.fields["change_reason"].help_text = (
                "每次修改都须填写，记入审计日志；修改机构类型、机构类别、医院等级、所属区域或协议状态时，"
                "变更及原因还将在该区域下次抽取审批时逐条列出"
            )

    def clean(self) -> dict[str, Any]:
        """Refuse a submitted 信用等级 / 重点监控 that differs from the stored one (a disabled field's
        posted value is otherwise silently ignored)."""
        data = super().clean()
        given: dict[str, Any] = {}
        if "credit_grade" in self.data:
            given["credit_grade"] = self.data.get("credit_grade") or ""
        if "risk_flag" in self.data:
            given["risk_flag"] = forms.BooleanField(required=False).to_python(self.data.get("risk_flag"))
        stored = ({n: getattr(self.instance, n) for n in ownership.OWNED_FIELDS} if self.instance.pk else None)
        for name, message in ownership.owned_problems(stored, given, where="表单", source="提交的值").items():
            self.add_error(name, message)
        return data

    def action_data(self) -> dict[str, Any]:
        """The editable fields only: 信用等级 and 重点监控 are not written by this form."""
        return {k: v for k, v in super().action_data().items() if k not in ownership.OWNED_FIELDS}


class RiskFlagForm(forms.Form):
    """设置/取消重点监控 on the institution page (``actions.set_risk_flag``); ``flag`` is the new state."""

    flag = forms.TypedChoiceField(choices=[("1", "是"), ("0", "否")], coerce=lambda v: v == "1",
                                  widget=forms.HiddenInput)
    reason = forms.CharField(label="理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="必填，记入审计日志；重点监控影响定向抽查的范围",
                             error_messages={"required": "设置或取消重点监控须填写理由"})


class InspectorForm(DirectoryForm):
    class Meta:
        model = Inspector
        fields = [
            "number", "name", "region", "department", "id_number", "phone", "role", "specialties",
            "cert_number", "cert_valid_from", "cert_valid_to", "status", "notes",
        ]
        widgets = {"cert_valid_from": _DATE, "cert_valid_to": _DATE, "notes": forms.Textarea(attrs={"rows": 3})}


class LookupInput(forms.TextInput):
    """A text box that takes a code (typed by hand: works without JavaScript) and, with ``directory/lookup.js``,
    suggests the rows in scope whose name or code contains what is typed (``directory:lookup``)."""

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.kind = kind

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = {**(attrs or {}), "data-lookup": reverse("directory:lookup", args=[self.kind])}
        return super().get_context(name, value, attrs)


class ConflictForm(DirectoryForm):
    """回避登记: inspector and institution are picked by typing part of a name or code (suggestions from
    ``directory:lookup``), or entered by 人员编号 and 定点医药机构编码 (also without JavaScript), or by a
    whole name that is unique in the user's area."""

    inspector_code = forms.CharField(
        label="检查人员", max_length=lookups.MAX_QUERY, widget=LookupInput("inspectors"),
        help_text="输入姓名或人员编号的一部分，从列表中选择；也可直接填写人员编号")
    institution_code = forms.CharField(
        label="机构", max_length=lookups.MAX_QUERY, widget=LookupInput("institutions"),
        help_text="输入机构名称或定点医药机构编码的一部分，从列表中选择；也可直接填写编码")
    error_aliases = {"inspector": "inspector_code", "institution": "institution_code"}

    class Meta:
        model = Conflict
        fields = ["reason", "valid_from", "valid_to", "note"]
        widgets = {"valid_from": _DATE, "valid_to": _DATE}

    class Media:
        js = ["directory/lookup.js"]
        css = {"all": ["directory/lookup.css"]}

    field_order = ["inspector_code", "institution_code", "reason", "valid_from", "valid_to", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial.setdefault("inspector_code", self.instance.inspector.number)
            self.initial.setdefault("institution_code", self.instance.institution.fixmedins_code)

    def clean_inspector_code(self) -> Inspector:
        return lookups.resolve(self.user, "inspectors", self.cleaned_data["inspector_code"])

    def clean_institution_code(self) -> Institution:
        return lookups.resolve(self.user, "institutions", self.cleaned_data["institution_code"])

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        data["inspector"] = self.cleaned_data["inspector_code"]
        data["institution"] = self.cleaned_data["institution_code"]
        return data


class AbsenceForm(forms.ModelForm):
    """不可抽取时段 of one inspector (added on the inspector's page)."""

    class Meta:
        model = InspectorAbsence
        fields = ["start", "end", "reason"]
        widgets = {"start": _DATE, "end": _DATE}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "结束日期不能早于开始日期")
        return data

    def _post_clean(self) -> None:
        """Skip ModelForm's instance validation: ``actions.create`` runs ``full_clean``."""

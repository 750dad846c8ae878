"""Forms of the inspection pages. They only parse input; ``inspections.actions`` validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .models import (
    Agency,
    EvidenceKind,
    Finding,
    Inspection,
    InspectionStatus,
    LenienceCircumstance,
    ResultType,
    Treatment,
    ViolationType,
)


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def errors_text(form: forms.Form) -> str:
    """All errors of ``form`` in one Chinese line naming the field."""
    parts = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}：{'，'.join(errs)}" if label else "，".join(errs))
    return "；".join(parts)


class FilterForm(_Form):
    task = forms.IntegerField(label="抽查任务", required=False, min_value=1, max_value=2**63 - 1)
    status = forms.ChoiceField(label="状态", required=False,
                               choices=[("", "全部"), *InspectionStatus.choices, ("replaced", "已替换")])
    result_type = forms.ChoiceField(label="检查结果", required=False, choices=[("", "全部"), *ResultType.choices])
    deadline = forms.ChoiceField(label="时限", required=False,
                                 choices=[("", "全部"), ("overdue", "已逾期"), ("due_soon", "临期")])
    q = forms.CharField(label="机构名称或编码", required=False, max_length=100)


class NotifyForm(_Form):
    on_date = forms.DateField(label="告知日期", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


class FindingForm(_Form):
    violation_type = forms.ModelChoiceField(label="违规行为类型", queryset=ViolationType.objects.none())
    description = forms.CharField(label="问题描述", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(label="涉及金额（元）", min_value=0, max_digits=14, decimal_places=2,
                                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    corrected_on_site = forms.BooleanField(label="已当场改正", required=False)
    circumstances = forms.MultipleChoiceField(label="符合的裁量情形", required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, inspection: Inspection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if inspection is not None:
            self.fields["violation_type"].queryset = ViolationType.objects.filter(
                kind=inspection.institution.kind, active=True).order_by("seq")
        self.fields["circumstances"].choices = [
            (c.code, f"{c.article}：{c.text}") for c in LenienceCircumstance.objects.filter(active=True)
        ]


class EvidenceForm(_Form):
    kind = forms.ChoiceField(label="类型", choices=[(k, v) for k, v in EvidenceKind.choices
                                                    if k != EvidenceKind.RECEIPT], initial=EvidenceKind.PHOTO)
    file = forms.FileField(label="文件", widget=forms.ClearableFileInput(
        attrs={"accept": "image/*,video/*,application/pdf", "capture": "environment"}))
    captured_at = forms.DateTimeField(label="拍摄时间", required=False, widget=forms.HiddenInput)
    finding = forms.ModelChoiceField(label="关联问题", required=False, queryset=Finding.objects.none())
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, inspection: Inspection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if inspection is not None:
            self.fields["finding"].queryset = inspection.findings.counted().select_related("violation_type")
        self.fields["finding"].label_from_instance = lambda f: f"{f.violation_type.name}（{f.amount} 元）"


class ResultForm(_Form):
    result_type = forms.ChoiceField(label="检查结果", choices=ResultType.choices, widget=forms.RadioSelect)
    summary = forms.CharField(label="结果说明", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    handling = forms.CharField(label="处理情况", required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    ended_on = forms.DateField(label="检查结束日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    confirmed_by_name = forms.CharField(label="被检查单位确认人", required=False, max_length=50)
    signature = forms.FileField(label="签字盖章的检查表（拍照上传）", required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/*,application/pdf", "capture": "environment"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class DecideForm(_Form):
    treatment = forms.ChoiceField(label="决定处理", choices=Treatment.choices)
    deviation_reason = forms.CharField(label="与建议不一致的理由", required=False, max_length=2000,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    refund_amount = forms.DecimalField(label="责令退回金额（元）", required=False, min_value=0, max_digits=14,
                                       decimal_places=2)
    penalty_amount = forms.DecimalField(label="罚款金额（元）", required=False, min_value=0, max_digits=14,
                                        decimal_places=2)
    penalty_executed = forms.BooleanField(label="处罚已执行", required=False)
    penalty_decision_number = forms.CharField(label="处罚决定书文号", required=False, max_length=60)


class VoidForm(_Form):
    reason = forms.CharField(label="作废理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写作废理由"})


class ReviewForm(_Form):
    decision = forms.ChoiceField(label="审核结论", choices=[("approve", "审核通过"), ("reject", "退回修改")],
                                 widget=forms.RadioSelect)
    note = forms.CharField(label="审核意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralForm(_Form):
    agency = forms.ChoiceField(label="移交机关", choices=Agency.choices)
    agency_name = forms.CharField(label="接收单位名称", required=False, max_length=100)
    reason = forms.CharField(label="移交理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    document_number = forms.CharField(label="移交函文号", required=False, max_length=60)
    finding = forms.ModelChoiceField(label="关联问题", required=False, queryset=Finding.objects.none())

    def __init__(self, *args: Any, inspection: Inspection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if inspection is not None:
            self.fields["finding"].queryset = inspection.findings.counted().select_related("violation_type")
        self.fields["finding"].label_from_instance = lambda f: f"{f.violation_type.name}（{f.amount} 元）"


class ReceiptForm(_Form):
    receipt_at = forms.DateTimeField(label="回执时间", required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label="回执说明", required=False, max_length=2000)
    file = forms.FileField(label="回执文件", required=False)


class RectificationForm(_Form):
    requirement = forms.CharField(label="整改要求", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label="整改期限", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                               help_text="留空则按政策参数的默认天数")
    finding = forms.ModelChoiceField(label="关联问题", required=False, queryset=Finding.objects.none())

    def __init__(self, *args: Any, inspection: Inspection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if inspection is not None:
            self.fields["finding"].queryset = inspection.findings.counted().select_related("violation_type")
        self.fields["finding"].label_from_instance = lambda f: f"{f.violation_type.name}（{f.amount} 元）"


class RectificationSubmitForm(_Form):
    completion_note = forms.CharField(label="整改情况", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(label="整改证据", required=False)


class RectificationCloseForm(_Form):
    decision = forms.ChoiceField(label="审核结论", choices=[("approve", "同意销号"), ("reject", "退回")],
                                 widget=forms.RadioSelect)
    note = forms.CharField(label="审核意见", required=False, max_length=2000)

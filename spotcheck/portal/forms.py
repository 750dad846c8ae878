from __future__ import annotations

from typing import Any

from django import forms

from spotcheck.inspections.models import ResultType


class CorrectionForm(forms.Form):
    result_type = forms.ChoiceField(label="检查结果", choices=ResultType.choices)
    handling = forms.CharField(label="处理情况", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    result_notice_number = forms.CharField(label="检查结果告知书文号", required=False, max_length=60)
    reason = forms.CharField(label="更正原因（公开显示）", widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写更正原因"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


MONEY = {"min_value": 0, "max_digits": 14, "decimal_places": 2}


class FindingCorrectionForm(forms.Form):
    """One finding of a published result in the correction form (prefix ``f<id>``): void it or change it."""

    void = forms.BooleanField(label="作废此问题（如重复登记）", required=False)
    amount = forms.DecimalField(label="涉及金额（元）", **MONEY)
    refund_amount = forms.DecimalField(label="责令退回金额（元）", required=False, **MONEY)
    penalty_amount = forms.DecimalField(label="罚款金额（元）", required=False, **MONEY)
    description = forms.CharField(label="问题描述（不公开）", max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    FIELDS = ("description", "amount", "refund_amount", "penalty_amount")

    def __init__(self, *args: Any, finding: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", f"f{finding.pk}")
        kwargs["initial"] = {"void": False, **{k: getattr(finding, k) for k in self.FIELDS}}
        super().__init__(*args, **kwargs)
        self.finding = finding

    def change(self) -> dict[str, Any]:
        """What this form changes (``{}`` when nothing): ``{"void": True}`` or the changed fields."""
        d = self.cleaned_data
        if d.get("void"):
            return {"void": True}
        out: dict[str, Any] = {}
        for key in self.FIELDS:
            new, old = d.get(key), self.initial[key]
            if key == "description":
                new = (new or "").strip()
            if new != old:
                out[key] = new
        return out

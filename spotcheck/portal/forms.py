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

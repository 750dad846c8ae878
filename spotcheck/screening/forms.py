"""Forms of the screening pages. They only parse input; ``screening.actions`` validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportForm(_Form):
    period = forms.RegexField(
        label="数据期间", regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7,
        error_messages={"invalid": "数据期间格式应为 YYYY-MM，如 2023-10"},
        widget=forms.TextInput(attrs={"placeholder": "2023-10"}),
    )
    files = MultipleFileField(
        label="数据文件", help_text="mdtrt_d（就诊）、setl_d（结算）、fee_list_d（费用明细）三张表，CSV 或 xlsx，文件名以表名开头",
    )


class FlagForm(_Form):
    reason = forms.CharField(label="理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    institutions = forms.TypedMultipleChoiceField(label="机构", coerce=int, choices=[])

    def __init__(self, *args: Any, choices: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institutions"].choices = choices or []
        self.fields["institutions"].error_messages["required"] = "请至少选择一家机构"

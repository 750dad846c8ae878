"""Forms of the credit pages. They parse input; ``credit.actions`` validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from spotcheck.directory.models import CreditGrade, Region

from .models import (
    CreditRecord,
    Measure,
    RecordSource,
    RecordType,
    Severity,
    SubjectCategory,
    SubjectKind,
)

DATE = forms.DateInput(attrs={"type": "date"})


class Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SubjectFilterForm(Form):
    q = forms.CharField(label="名称/代码", required=False)
    category = forms.ChoiceField(label="主体类型", required=False, choices=[("", "全部"), *SubjectCategory.choices])
    grade = forms.ChoiceField(label="信用等级", required=False,
                              choices=[("", "全部"), *CreditGrade.choices, ("none", "未评级")])
    region = forms.CharField(label="区划代码", required=False, max_length=6)


class SubjectForm(Form):
    kind = forms.ChoiceField(label="主体类别", choices=SubjectKind.choices)
    category = forms.ChoiceField(label="主体类型", choices=SubjectCategory.choices)
    name = forms.CharField(label="名称/姓名", max_length=100)
    region = forms.ModelChoiceField(label="所属区域", queryset=Region.objects.none())
    uscc = forms.CharField(label="统一社会信用代码（机构）", max_length=18, required=False)
    id_number = forms.CharField(label="身份证号（个人）", max_length=18, required=False)
    other_id = forms.CharField(label="出入境证件号码", max_length=40, required=False)
    registration = forms.CharField(label="执业注册信息", max_length=100, required=False)
    nature = forms.CharField(label="单位性质", max_length=40, required=False)
    legal_representative = forms.CharField(label="法定代表人", max_length=50, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, "credit")  # type: ignore[attr-defined]


class RecordForm(Form):
    record_type = forms.ChoiceField(label="信息类型", choices=RecordType.choices)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, required=False,
                                 help_text="“检查发现违规问题”“受到处罚”须选择")
    title = forms.CharField(label="事项", max_length=200)
    description = forms.CharField(label="详细内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.ChoiceField(label="来源", choices=[(RecordSource.MANUAL, RecordSource.MANUAL.label),
                                                      (RecordSource.SHARED, RecordSource.SHARED.label)])
    provider = forms.CharField(label="信息提供单位", max_length=100, required=False,
                               help_text="其他部门共享的信息必填（信用信息共享）")
    document_number = forms.CharField(label="文书编号", max_length=60, required=False)
    occurred_on = forms.DateField(label="认定/发生日期", widget=DATE)
    valid_until = forms.DateField(label="有效期至", required=False, widget=DATE, help_text="空 = 长期有效")
    evidence = forms.FileField(label="证明材料", required=False)


class ObjectionForm(Form):
    record = forms.ModelChoiceField(label="异议的信用信息", queryset=CreditRecord.objects.none())
    reason = forms.CharField(label="异议理由", widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label="证明材料", required=False)

    def __init__(self, *args: Any, records: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if records is not None:
            self.fields["record"].queryset = records


class ResolveForm(Form):
    outcome = forms.ChoiceField(label="处理结果", choices=[
        ("keep", "异议不成立，维持原记录"), ("correct", "异议成立，更正记录"), ("withdraw", "异议成立，撤销记录")])
    reason = forms.CharField(label="处理意见", widget=forms.Textarea(attrs={"rows": 3}))
    record_type = forms.ChoiceField(label="更正后的信息类型", choices=[("", "不变"), *RecordType.choices],
                                    required=False)
    severity = forms.ChoiceField(label="更正后的严重程度", choices=[("", "不变/无"), *Severity.choices[1:]],
                                 required=False)
    title = forms.CharField(label="更正后的事项", max_length=200, required=False)
    description = forms.CharField(label="更正后的详细内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RepairForm(Form):
    record = forms.ModelChoiceField(label="申请修复的不良信息", queryset=CreditRecord.objects.none())
    rectification = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label="整改证明材料", required=False)

    def __init__(self, *args: Any, records: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if records is not None:
            self.fields["record"].queryset = records


class DecisionForm(Form):
    approve = forms.ChoiceField(label="审核结果", choices=[("yes", "准予修复"), ("no", "不予修复")])
    reason = forms.CharField(label="审核意见", widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(Form):
    reason = forms.CharField(label="撤销理由", max_length=300)


class MeasureForm(Form):
    measure = forms.ModelChoiceField(label="措施", queryset=Measure.objects.none())
    note = forms.CharField(label="实施情况", widget=forms.Textarea(attrs={"rows": 2}))
    applied_on = forms.DateField(label="实施日期", widget=DATE, initial=timezone.localdate)

    def __init__(self, *args: Any, measures: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if measures is not None:
            self.fields["measure"].queryset = measures


class CycleForm(Form):
    year = forms.IntegerField(label="评价年度", min_value=2000, max_value=2100)

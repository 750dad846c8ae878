"""Forms of the 包容审慎清单 and violation catalogue pages (admins edit; errors in Chinese naming the field)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from spotcheck.core.lenience import DEFAULT_STATUTES, Condition, ConditionKind, act_article

from .models import CatalogueKind, LenienceCircumstance, LenienceEntry, LenienceList, ViolationType

_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇0-9]+条(之[一二三四五六七八九十])?$")
_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_STATUTES = "、".join(f"第{n}条" for n in sorted(DEFAULT_STATUTES))


def check_act_code(value: str, field: str = "违法行为代码") -> str:
    """``value`` stripped, well formed (``38-duplicate-charge``) and of an article with a statute."""
    value = (value or "").strip()
    try:
        article = act_article(value)
    except ValueError as exc:
        raise ValidationError(f"{field}：{exc}") from None
    if article not in DEFAULT_STATUTES:
        raise ValidationError(f"{field}：《条例》第{article}条没有配置处罚幅度，目前只支持{_STATUTES}")
    return value


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}


def article_number(article: str) -> int:
    """The number of "第十二条" (12), for sorting; 0 when it cannot be read."""
    body = article.removeprefix("第").split("条")[0]
    if body.isdigit():
        return int(body)
    total, current = 0, 0
    for char in body:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char in "十百":
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
        else:
            return 0
    return total + current


def circumstance_articles() -> list[str]:
    """Articles offered as conditions: 第六/七/八条 and those of the circumstance table, in article order."""
    found = set(LenienceCircumstance.objects.values_list("article", flat=True)) | {"第六条", "第七条", "第八条"}
    return sorted(found, key=lambda a: (article_number(a), a))


class _ModelForm(forms.ModelForm):
    """Errors name the field: “序号：不能为空”."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = field.label
            field.error_messages["required"] = f"{label}：不能为空"
            if isinstance(field, forms.IntegerField):
                field.error_messages["invalid"] = f"{label}：请输入整数"
                field.error_messages["min_value"] = f"{label}：不能小于 %(limit_value)s"
                field.error_messages["max_value"] = f"{label}：不能大于 %(limit_value)s"
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = f"{label}：%(value)s 不是可选项"
            if isinstance(field, forms.CharField) and field.max_length:
                field.error_messages["max_length"] = f"{label}：不能超过 %(limit_value)d 个字（现有 %(show_value)d 个）"


class LenienceEntryForm(_ModelForm):
    """One list entry; the conditions are edited as three kinds of checkbox and stored as JSON."""

    cond_amount = forms.BooleanField(
        label="单项违规费用小于阈值", required=False,
        help_text="阈值为政策参数 lenience.amount_threshold（默认 1000 元）",
    )
    cond_first = forms.BooleanField(
        label="首次发现该项违规行为", required=False,
        help_text="回溯期为政策参数 lenience.first_offence_lookback_months（默认 24 个月）",
    )
    cond_articles = forms.MultipleChoiceField(
        label="符合裁量基准规定的情形之一", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="勾选的条款中任一情形成立即适用（情形原文在“裁量情形”中录入）",
    )

    class Meta:
        model = LenienceEntry
        fields = ["kind", "number", "act_code", "act_text", "setting_basis", "basis", "active"]
        widgets = {
            "act_text": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "setting_basis": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "basis": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }
        help_texts = {"act_code": "条例条号-英文短名，如 38-duplicate-charge；与违规行为类型的代码一致才会匹配"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        articles = circumstance_articles()
        stored = self.instance.conditions if self.instance.pk else []
        for item in stored or []:
            article = item.get("article") if isinstance(item, dict) else None
            if article and article not in articles:
                articles.append(article)
        self.fields["cond_articles"].choices = [(a, a) for a in articles]
        if self.instance.pk:
            self.fields["kind"].disabled = True  # an entry stays in its list; add a new one instead
            kinds = {item.get("kind") for item in stored if isinstance(item, dict)}
            self.initial.setdefault("cond_amount", ConditionKind.AMOUNT_BELOW_THRESHOLD in kinds)
            self.initial.setdefault("cond_first", ConditionKind.FIRST_TIME in kinds)
            self.initial.setdefault(
                "cond_articles",
                [i.get("article") for i in stored if isinstance(i, dict) and i.get("kind") == ConditionKind.CIRCUMSTANCE],
            )

    def clean_act_code(self) -> str:
        return check_act_code(self.cleaned_data.get("act_code", ""))

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        if number < 1:
            raise ValidationError("序号：应为正整数")
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("act_text", "setting_basis", "basis"):
            if name in data and not (data[name] or "").strip():
                self.add_error(name, f"{self.fields[name].label}：不能为空")
        conditions: list[dict[str, str]] = []
        if data.get("cond_amount"):
            conditions.append({"kind": str(ConditionKind.AMOUNT_BELOW_THRESHOLD), "article": ""})
        if data.get("cond_first"):
            conditions.append({"kind": str(ConditionKind.FIRST_TIME), "article": ""})
        for article in data.get("cond_articles") or []:
            conditions.append({"kind": str(ConditionKind.CIRCUMSTANCE), "article": article})
        if not conditions:
            self.add_error("cond_amount", "适用情形：至少选择一项")
        for item in conditions:
            Condition(item["kind"], item["article"])  # the core's own check (cannot fail for these)
        self.instance.conditions = conditions
        kind, number, act_code = data.get("kind"), data.get("number"), data.get("act_code")
        others = LenienceEntry.objects.exclude(pk=self.instance.pk)
        if kind and number and others.filter(kind=kind, number=number).exists():
            self.add_error("number", f"序号：《{kind}事项清单》已有第 {number} 项")
        if kind and act_code and others.filter(kind=kind, act_code=act_code).exists():
            self.add_error("act_code", f"违法行为代码：《{kind}事项清单》已有 {act_code} 的条目")
        return data

    def validate_unique(self) -> None:
        """Uniqueness is checked in :meth:`clean` with Chinese messages naming the field."""


class CircumstanceForm(_ModelForm):
    class Meta:
        model = LenienceCircumstance
        fields = ["code", "article", "text", "active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "cols": 80})}
        help_texts = {
            "code": "小写英文、数字和连字符，如 art6-1；勾选记录在检查发现的问题中，创建后不能修改",
            "text": "《山西省医疗保障行政处罚裁量基准规则》该条规定的情形原文",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not _CODE.match(code):
            raise ValidationError("代码：只能包含小写英文字母、数字和连字符，如 art6-1")
        if LenienceCircumstance.objects.exclude(pk=self.instance.pk).filter(code=code).exists():
            raise ValidationError(f"代码：{code} 已存在")
        return code

    def clean_article(self) -> str:
        article = (self.cleaned_data.get("article") or "").strip()
        if not _ARTICLE.match(article):
            raise ValidationError("条款：格式应为“第六条”")
        return article

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            raise ValidationError("情形：不能为空")
        return text

    def validate_unique(self) -> None:
        """Checked in :meth:`clean_code`."""


class ViolationTypeForm(_ModelForm):
    """A catalogue entry; the 《条例》 article is taken from the act code."""

    class Meta:
        model = ViolationType
        fields = ["kind", "seq", "name", "act_code", "active"]
        widgets = {"name": forms.Textarea(attrs={"rows": 2, "cols": 80})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].disabled = True

    def clean_act_code(self) -> str:
        return check_act_code(self.cleaned_data.get("act_code", ""))

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("违规行为：不能为空")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, seq = data.get("kind"), data.get("seq")
        if seq is not None and seq < 1:
            self.add_error("seq", "序号：应为正整数")
        elif kind and seq and ViolationType.objects.exclude(pk=self.instance.pk).filter(kind=kind, seq=seq).exists():
            self.add_error("seq", f"序号：{CatalogueKind(kind).label}已有第 {seq} 项")
        if data.get("act_code"):
            self.instance.article = act_article(data["act_code"])
        return data

    def validate_unique(self) -> None:
        """Checked in :meth:`clean`."""


#: The lists in the seed's order (附件5).
LIST_ORDER = (LenienceList.MITIGATED, LenienceList.NO_PENALTY, LenienceList.LIGHTER, LenienceList.FIRST_OFFENCE)

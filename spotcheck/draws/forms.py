"""Forms of the draw page. They only parse input; ``draws.actions`` validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import EVENT_REASONS, Assignment, AssignmentMember, EventReason, EventType


class _Form(forms.Form):
    """Labels without the trailing colon (``label_suffix=""``), as on every form of the product."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReasonForm(_Form):
    reason = forms.CharField(label="理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class SourcesForm(_Form):
    sources = forms.CharField(
        label="公开随机源（每行一个）", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="在提交前指定、提交时尚未产生的公开随机数，如“中国福利彩票双色球第2023115期开奖号码”",
    )

    def cleaned_sources(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["sources"].splitlines() if line.strip()]


class RandomnessForm(_Form):
    public_randomness = forms.CharField(
        label="公开随机数（原文照录）", widget=forms.Textarea(attrs={"rows": 2}), strip=False,
        help_text="如“双色球 2023115: 03 07 12 19 25 31 + 09”，须与公开发布的号码一致",
    )


def _reason_choices(event_type: str) -> list[tuple[str, str]]:
    return [(r, EventReason(r).label) for r in EVENT_REASONS[event_type]]


class ReplaceUnitForm(_Form):
    """Ask to replace a drawn institution. Field names are shared with :class:`ReplaceInspectorForm`
    (the view tells them apart by ``member``), so the element ids get their own ``auto_id``."""

    assignment = forms.ModelChoiceField(label="被替换的机构", queryset=Assignment.objects.none())
    reason_kind = forms.ChoiceField(label="原因", choices=_reason_choices(EventType.REPLACE_UNIT))
    reason = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args: Any, assignments: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "unit-%s")
        super().__init__(*args, **kwargs)
        if assignments is not None:
            self.fields["assignment"].queryset = assignments
        self.fields["assignment"].label_from_instance = lambda a: f"{a.position + 1}. {a.institution}"


class ReplaceInspectorForm(_Form):
    member = forms.ModelChoiceField(label="被替换的检查人员", queryset=AssignmentMember.objects.none())
    reason_kind = forms.ChoiceField(label="原因", choices=_reason_choices(EventType.REPLACE_INSPECTOR))
    reason = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args: Any, members: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "member-%s")
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = (
            lambda m: f"{m.assignment.institution.fixmedins_code} · {m.inspector.name}（{m.inspector.number}）"
        )

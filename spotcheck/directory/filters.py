"""List filters shared by the web lists, the Excel export of a filtered list and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from spotcheck.core.codes import region_prefix

from .models import (
    Conflict,
    ConflictReason,
    ContractStatus,
    CreditGrade,
    Inspector,
    InspectorRole,
    InspectorStatus,
    Institution,
    InstitutionCategory,
    InstitutionKind,
    InstitutionLevel,
)

UNGRADED = "none"

#: Certificate states of an inspector (the ``cert`` filter and the badge on the pages).
CERT_VALID, CERT_EXPIRED, CERT_NONE = "valid", "expired", "none"


def cert_state(inspector: Inspector, today: dt.date | None = None) -> str:
    """``CERT_VALID`` / ``CERT_EXPIRED`` / ``CERT_NONE`` by the same rule as ``InspectorFilter.cert``."""
    today = today or timezone.localdate()
    if not inspector.cert_number or inspector.cert_valid_to is None:
        return CERT_NONE
    return CERT_VALID if inspector.cert_valid_to >= today else CERT_EXPIRED


class IdFilter(df.NumberFilter):
    """A row id: a whole number in the 64-bit key range (a larger number would crash SQLite's driver)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class RegionPrefixFilter(df.CharFilter):
    """``region=1406`` keeps rows whose region code starts with the given digits."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        if not value.isdigit() or len(value) > 6:
            return qs.none()
        prefix = region_prefix(value) if len(value) == 6 else value  # 140600 = the whole city
        if len(prefix) == 6:  # a county: equality can use the region indexes (LIKE cannot on SQLite)
            return qs.filter(**{self.field_name: prefix})
        return qs.filter(**{f"{self.field_name}__startswith": prefix})


class StableOrderingFilter(df.OrderingFilter):
    """``ordering=name`` / ``-name``…, then the primary key, so that pages never overlap or skip rows."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not any(value or ()):
            return qs
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "pk")


class InstitutionFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="搜索（名称、编码、统一社会信用代码）")
    region = RegionPrefixFilter(field_name="region__code", label="区域")
    kind = df.ChoiceFilter(choices=InstitutionKind.choices, label="机构类型")
    category = df.ChoiceFilter(choices=InstitutionCategory.choices, label="机构类别")
    level = df.ChoiceFilter(choices=InstitutionLevel.choices, label="医院等级")
    credit_grade = df.ChoiceFilter(
        choices=[*CreditGrade.choices, (UNGRADED, "未评级")], method="grade", label="信用等级"
    )
    contract_status = df.ChoiceFilter(choices=ContractStatus.choices, label="协议状态")
    risk_flag = df.BooleanFilter(label="重点监控")
    ordering = StableOrderingFilter(
        fields=(("fixmedins_code", "code"), ("name", "name"), ("region_id", "region"), ("credit_grade", "grade"),
                ("level", "level"), ("updated_at", "updated")),
        label="排序",
    )

    class Meta:
        model = Institution
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        upper = value.upper()
        return qs.filter(Q(name__contains=value) | Q(fixmedins_code__startswith=upper) | Q(uscc__startswith=upper))

    def grade(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(credit_grade="" if value == UNGRADED else value)


class InspectorFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="搜索（姓名、编号、执法证号）")
    region = RegionPrefixFilter(field_name="region__code", label="区域")
    department = IdFilter(field_name="department_id", label="部门")
    department_kind = df.CharFilter(field_name="department__kind", label="部门类型")
    status = df.ChoiceFilter(choices=InspectorStatus.choices, label="状态")
    role = df.ChoiceFilter(choices=InspectorRole.choices, label="人员类别")
    cert = df.ChoiceFilter(
        choices=[(CERT_VALID, "执法证有效"), (CERT_EXPIRED, "执法证已过期"), (CERT_NONE, "无执法证")],
        method="cert_validity",
        label="执法证",
    )
    ordering = StableOrderingFilter(
        fields=(("number", "number"), ("name", "name"), ("region_id", "region"), ("cert_valid_to", "cert")),
        label="排序",
    )

    class Meta:
        model = Inspector
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__contains=value) | Q(number__istartswith=value) | Q(cert_number__istartswith=value)
        )

    def cert_validity(self, qs: QuerySet, name: str, value: str, today: dt.date | None = None) -> QuerySet:
        today = today or timezone.localdate()
        if value == CERT_VALID:
            return qs.exclude(cert_number="").filter(cert_valid_to__gte=today)
        if value == CERT_EXPIRED:
            return qs.exclude(cert_number="").filter(cert_valid_to__lt=today)
        if value == CERT_NONE:
            return qs.filter(Q(cert_number="") | Q(cert_valid_to__isnull=True))
        return qs


class ConflictFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="搜索（人员、机构）")
    region = RegionPrefixFilter(field_name="institution__region__code", label="区域")
    reason = df.ChoiceFilter(choices=ConflictReason.choices, label="回避原因")
    active = df.BooleanFilter(method="active_today", label="当前有效")
    ordering = StableOrderingFilter(
        fields=(("recorded_at", "recorded"), ("valid_from", "from"), ("valid_to", "to"),
                ("inspector__number", "inspector"), ("institution__fixmedins_code", "institution")),
        label="排序",
    )

    class Meta:
        model = Conflict
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(inspector__name__contains=value)
            | Q(inspector__number__istartswith=value)
            | Q(institution__name__contains=value)
            | Q(institution__fixmedins_code__istartswith=value)
        )

    def active_today(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return qs
        today = timezone.localdate()
        active = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return qs.filter(active) if value else qs.exclude(active)

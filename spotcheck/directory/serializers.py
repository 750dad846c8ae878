"""Serializers of the directory REST API (``directory/api.py``).

They validate field types and choices only; the viewsets hand ``validated_data`` to
``directory.actions``, which runs ``full_clean``, checks permission and area and writes the audit
event. Related rows are accepted only from the requesting user's ``change`` scope, so an id from
another area reads as "does not exist". Personal data is masked for users without ``change``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from spotcheck.base.permissions import can
from spotcheck.core.masking import mask_id_number, mask_phone

from . import ownership
from .filters import CERT_EXPIRED, CERT_NONE, CERT_VALID, cert_state
from .models import Conflict, CreditGrade, Department, Inspector, InspectorAbsence, Institution, Region


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by primary key, looked up in ``model.objects.restrict(user, "change")``."""

    def __init__(self, model: type[models.Model], label: str, **kwargs: Any) -> None:
        super().__init__(queryset=model.objects.all(), **kwargs)
        self.error_messages["does_not_exist"] = f"{label} {{pk_value}} 不存在或不在您的管辖范围内"

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.queryset.model.objects.restrict(user, "change")  # type: ignore[union-attr]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL refuses NUL in text: not a key of any row
            self.fail("does_not_exist", pk_value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class DirectorySerializer(serializers.ModelSerializer):
    """Base of the writable serializers.

    Accepts ``change_reason`` (write-only; the viewset pops it and passes it to the action) and masks
    ``masked_fields`` (name → mask function) unless the requesting user may ``change``.
    """

    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, help_text="修改原因（可选），记入审计日志"
    )
    masked_fields: dict[str, Callable[[str], str]] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not can(getattr(request, "user", None), "change"):
            for name, mask in self.masked_fields.items():
                if data.get(name):
                    data[name] = mask(data[name])
        return data


class RegionSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True, help_text="含上级区划的全称")

    class Meta:
        model = Region
        fields = ["code", "name", "parent", "level", "full_name"]


class DepartmentSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    is_healthcare = serializers.BooleanField(read_only=True, help_text="医保部门（医疗保障局、医疗保险服务中心）")

    class Meta:
        model = Department
        fields = ["id", "region", "region_name", "kind", "name", "short_name", "is_healthcare"]


class InstitutionSerializer(DirectorySerializer):
    """``credit_grade`` and ``risk_flag`` are read-only (``directory.ownership``): a request that sends
    a value different from the stored one (for a new institution: anything but 未评级 / false) is a
    400 on that field; the same value is accepted and ignored. A change of a draw-relevant field
    needs ``change_reason`` (checked by the viewset's action, after the model validation)."""

    region = ScopedRelatedField(Region, "区域", help_text="所属区域的 6 位区划代码")
    region_name = serializers.CharField(source="region.name", read_only=True)
    credit_grade = serializers.ChoiceField(
        choices=[("", "未评级"), *CreditGrade.choices], read_only=True,
        help_text="信用等级（只读，由信用评价产生；空 = 未评级）。请求中给出与系统中不同的值返回 400",
    )
    risk_flag = serializers.BooleanField(
        read_only=True,
        help_text="重点监控（只读）。只能由系统数据检查的决定或 POST …/institutions/{id}/risk-flag/（须填写理由）修改；"
                  "请求中给出与系统中不同的值返回 400",
    )
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500,
        help_text="修改原因，记入审计日志；修改机构类型、机构类别、医院等级、所属区域或协议状态时必填",
    )
    masked_fields = {"contact_phone": mask_phone}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Refuse a sent 信用等级 / 重点监控 that differs from the stored value."""
        data = self.initial_data if hasattr(self.initial_data, "get") else {}
        given: dict[str, Any] = {}
        if "credit_grade" in data:
            given["credit_grade"] = data.get("credit_grade") or ""
        if "risk_flag" in data:
            try:
                given["risk_flag"] = serializers.BooleanField().to_internal_value(data.get("risk_flag"))
            except serializers.ValidationError:
                raise serializers.ValidationError({"risk_flag": ["重点监控应为 true 或 false"]})
        stored = None
        if self.instance is not None:
            stored = {n: getattr(self.instance, n) for n in ownership.OWNED_FIELDS}
        problems = ownership.owned_problems(stored, given, where="接口", source="请求中")
        if problems:
            raise serializers.ValidationError({k: [v] for k, v in problems.items()})
        return attrs

    class Meta:
        model = Institution
        fields = [
            "id", "fixmedins_code", "name", "uscc", "kind", "category", "level", "region", "region_name",
            "address", "legal_representative", "contact_person", "contact_phone", "contract_status",
            "credit_grade", "risk_flag", "contract_date", "notes", "created_at", "updated_at", "change_reason",
        ]
        read_only_fields = ["created_at", "updated_at"]


class InspectorSerializer(DirectorySerializer):
    region = ScopedRelatedField(Region, "区域", help_text="所属区域的 6 位区划代码")
    region_name = serializers.CharField(source="region.name", read_only=True)
    department = ScopedRelatedField(Department, "部门")
    department_name = serializers.CharField(source="department.name", read_only=True)
    cert_state = serializers.SerializerMethodField(help_text="执法证状态：valid 有效、expired 已过期、none 无")
    masked_fields = {"id_number": mask_id_number, "phone": mask_phone}

    class Meta:
        model = Inspector
        fields = [
            "id", "number", "name", "region", "region_name", "department", "department_name", "id_number",
            "phone", "role", "specialties", "cert_number", "cert_valid_from", "cert_valid_to", "cert_state",
            "status", "notes", "created_at", "updated_at", "change_reason",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "id_number": {"help_text": "无修改权限的用户看到脱敏值"},
            "phone": {"help_text": "无修改权限的用户看到脱敏值"},
        }

    @extend_schema_field(serializers.ChoiceField(choices=[CERT_VALID, CERT_EXPIRED, CERT_NONE]))
    def get_cert_state(self, obj: Inspector) -> str:
        return cert_state(obj)


class ConflictSerializer(DirectorySerializer):
    inspector = ScopedRelatedField(Inspector, "检查人员")
    inspector_number = serializers.CharField(source="inspector.number", read_only=True)
    inspector_name = serializers.CharField(source="inspector.name", read_only=True)
    institution = ScopedRelatedField(Institution, "机构")
    institution_code = serializers.CharField(source="institution.fixmedins_code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.SerializerMethodField(help_text="今天是否在有效期内")

    class Meta:
        model = Conflict
        fields = [
            "id", "inspector", "inspector_number", "inspector_name", "institution", "institution_code",
            "institution_name", "reason", "note", "valid_from", "valid_to", "active", "recorded_by",
            "recorded_at", "change_reason",
        ]
        read_only_fields = ["recorded_at"]
        validators: list[Any] = []  # the unique entry is checked by the action (full_clean)

    def get_active(self, obj: Conflict) -> bool:
        return obj.active_on(timezone.localdate())


class AbsenceSerializer(DirectorySerializer):
    inspector = ScopedRelatedField(Inspector, "检查人员")
    inspector_number = serializers.CharField(source="inspector.number", read_only=True)

    class Meta:
        model = InspectorAbsence
        fields = ["id", "inspector", "inspector_number", "start", "end", "reason", "change_reason"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end": "结束日期不能早于开始日期"})
        return attrs

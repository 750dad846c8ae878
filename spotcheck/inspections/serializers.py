"""Serializers of the inspections API: read shapes and the inputs of each workflow step."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import deadlines
from .models import (
    Agency,
    ChecklistEntry,
    ChecklistOutcome,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCorrection,
    Inspection,
    Rectification,
    Referral,
    ResultType,
    Treatment,
)

#: Largest primary key (64-bit signed): larger ids are a 400, not a database overflow.
MAX_ID = 2**63 - 1
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class ChecklistEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistEntry
        fields = ["id", "seq", "text", "check_item", "violation_type", "outcome", "note"]


class TeamMemberSerializer(serializers.Serializer):
    number = serializers.CharField(source="inspector.number")
    name = serializers.CharField(source="inspector.name")
    department = serializers.CharField(source="inspector.department.name")


class InspectionListSerializer(serializers.ModelSerializer):
    institution_code = serializers.CharField(source="institution.fixmedins_code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    status_display = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="assignment.active", read_only=True)
    deadline_estimated = serializers.SerializerMethodField(
        help_text="截止日为预估：其间某年的国务院节假日安排尚未录入，按法定节假日计算（不含调休）")
    deadline_workdays_left = serializers.SerializerMethodField(
        help_text="距截止日的工作日数（今日到期为 0，已逾期为负数）；已公示或无截止日时为 null")

    class Meta:
        model = Inspection
        fields = ["id", "task", "assignment", "institution", "institution_code", "institution_name", "region",
                  "status", "status_display", "active", "planned_date", "notice_number", "started_on", "ended_on",
                  "due_date", "deadline_estimated", "deadline_workdays_left", "result_type", "recorded_at",
                  "reviewed_at"]

    def get_status_display(self, obj: Inspection) -> str:
        from .actions import display_status

        return display_status(obj)

    def _window(self) -> Any:
        """One deadline window (calendar) per response, shared by the rows of a list."""
        if "_deadline_window" not in self.context:
            self.context["_deadline_window"] = deadlines.window()
        return self.context["_deadline_window"]

    def get_deadline_estimated(self, obj: Inspection) -> bool:
        return self._window().estimated(obj)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_deadline_workdays_left(self, obj: Inspection) -> int | None:
        if obj.status not in deadlines.OPEN_STATUSES:
            return None
        left = self._window().remaining(obj.due_date)
        return None if left is None else (-left.days if left.overdue else left.days)


class FindingCorrectionSerializer(serializers.ModelSerializer):
    lines = serializers.ListField(child=serializers.CharField(), read_only=True,
                                  help_text="更正内容（中文，每项一行，如“涉及金额：800.00 元 → 400.00 元”）")

    class Meta:
        model = FindingCorrection
        fields = ["id", "version", "voided", "before", "after", "lines", "reason", "corrected_by",
                  "corrected_at"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    violation_name = serializers.CharField(source="violation_type.name", read_only=True)
    voided = serializers.BooleanField(source="is_voided", read_only=True, help_text="已作废：不计入问题数和金额")
    corrections = FindingCorrectionSerializer(many=True, read_only=True, help_text="公示后发布的更正（更正前后的值）")

    class Meta:
        model = Finding
        fields = ["id", "inspection", "violation_type", "violation_name", "act_code", "article", "description",
                  "amount", "corrected_on_site", "circumstances", "earlier_same_act_count",
                  "recommended_treatment", "recommended_entry", "recommendation", "statutory_range",
                  "decided_treatment", "deviation_reason", "decided_by", "decided_at", "refund_amount",
                  "penalty_amount", "penalty_executed", "penalty_decision_number", "created_by", "created_at",
                  "voided", "voided_at", "voided_by", "void_reason", "corrections"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "inspection", "finding", "kind", "original_name", "content_type", "size", "sha256",
                  "captured_at", "note", "uploaded_by", "uploaded_at", "url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj: Evidence) -> str:
        from django.urls import reverse

        return reverse("inspections:evidence-file", args=[obj.pk])


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = ["id", "inspection", "finding", "agency", "agency_name", "reason", "document_number",
                  "referred_by", "referred_at", "receipt_at", "receipt_note", "receipt"]
        read_only_fields = fields


class RectificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rectification
        fields = ["id", "inspection", "finding", "requirement", "due_date", "status", "completion_note",
                  "evidence", "submitted_by", "submitted_at", "created_by", "created_at", "closed_by",
                  "closed_at", "review_note"]
        read_only_fields = fields


class InspectionDetailSerializer(InspectionListSerializer):
    team = serializers.SerializerMethodField()
    checklist = ChecklistEntrySerializer(many=True, read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta(InspectionListSerializer.Meta):
        fields = [*InspectionListSerializer.Meta.fields, "notified_at", "result_summary", "handling",
                  "result_notice_number", "confirmed_by_name", "confirmed_at", "draft", "draft_saved_at",
                  "recorded_by", "reviewed_by", "review_note", "published_at", "team", "checklist", "findings",
                  "evidence"]

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_team(self, obj: Inspection) -> list[dict[str, Any]]:
        return list(TeamMemberSerializer(obj.active_members().order_by("position"), many=True).data)


# --- Inputs -------------------------------------------------------------------------------------------


class NotifyInput(serializers.Serializer):
    on_date = serializers.DateField(required=False, allow_null=True)


class DraftInput(serializers.Serializer):
    draft = serializers.DictField(help_text="手机端草稿（任意 JSON 对象，最后一次写入为准）")


class ChecklistRowInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    outcome = serializers.ChoiceField(choices=ChecklistOutcome.choices, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ChecklistInput(serializers.Serializer):
    rows = ChecklistRowInput(many=True)


class RecordInput(serializers.Serializer):
    result_type = serializers.ChoiceField(choices=ResultType.choices)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    handling = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    ended_on = serializers.DateField()
    confirmed_by_name = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    signature = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                         help_text="已上传的签名证据 id（kind=signature）")


class ReviewInput(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FindingInput(serializers.Serializer):
    inspection = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    violation_type = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    description = serializers.CharField(max_length=2000)
    amount = serializers.DecimalField(**MONEY)
    corrected_on_site = serializers.BooleanField(required=False, default=False)
    circumstances = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list,
                                          max_length=50)


class VoidInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="作废理由（必填），如“重复登记”")


class DecideInput(serializers.Serializer):
    treatment = serializers.ChoiceField(choices=Treatment.choices)
    deviation_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    refund_amount = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    penalty_amount = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    penalty_executed = serializers.BooleanField(required=False, default=False)
    penalty_decision_number = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")


class EvidenceInput(serializers.Serializer):
    inspection = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    file = serializers.FileField()
    captured_at = serializers.DateTimeField(required=False, allow_null=True)
    finding = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ReferralInput(serializers.Serializer):
    inspection = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    agency = serializers.ChoiceField(choices=Agency.choices)
    agency_name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    reason = serializers.CharField(max_length=2000)
    document_number = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    finding = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class ReceiptInput(serializers.Serializer):
    receipt_at = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    receipt = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                       help_text="已上传的回执证据 id")


class RectificationInput(serializers.Serializer):
    inspection = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    requirement = serializers.CharField(max_length=2000)
    due_date = serializers.DateField(required=False, allow_null=True)
    finding = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class RectificationSubmitInput(serializers.Serializer):
    completion_note = serializers.CharField(max_length=5000)
    evidence = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                     default=list, max_length=50)


class RectificationCloseInput(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

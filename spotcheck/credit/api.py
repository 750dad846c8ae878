"""REST API of the credit app: subjects, records, evaluations, objections, repairs.

Same rules as the pages: rows come from ``restrict(user)`` (bureau staff: their area; an institution
account: its own file only), so anything else is a 404. Reads need ``credit`` (or 审计 ``view``) or
the institution role; filing an objection or a repair application is open to the owner and staff;
resolving and deciding need ``credit``. Writes go through ``credit.actions`` (a refusal is a 400
with a Chinese ``detail``). Lists are paginated; ``?grade=``, ``?category=``, ``?status=`` filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from spotcheck.base.permissions import can

from . import actions
from .access import is_institution, may_read
from .models import (
    CreditRecord,
    CreditSubject,
    Evaluation,
    Objection,
    ObjectionStatus,
    RecordStatus,
    RecordType,
    RepairApplication,
    RepairStatus,
    Severity,
)

MAX_ID = 2**63 - 1


class CreditPermission(BasePermission):
    """Reads: credit readers and institution accounts; writes: see each view's ``owner_may_write``."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated) or not may_read(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        if is_institution(user):
            return bool(getattr(view, "owner_may_write", False)) and getattr(view, "action", "") == "create"
        return can(user, "credit")


class SubjectSerializer(serializers.ModelSerializer):
    identifier = serializers.CharField(read_only=True, help_text="统一社会信用代码；个人为脱敏的身份证号")
    fixmedins_code = serializers.CharField(read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = CreditSubject
        fields = ["id", "kind", "category", "category_display", "name", "identifier", "fixmedins_code",
                  "region", "grade", "nature", "legal_representative", "created_at"]


class RecordSerializer(serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True)
    record_type_display = serializers.CharField(source="get_record_type_display", read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = CreditRecord
        fields = ["id", "ref", "subject", "kind", "record_type", "record_type_display", "severity", "title",
                  "description", "source", "provider", "document_number", "occurred_on", "recorded_on",
                  "valid_until", "status", "status_reason", "withdrawn_on", "repaired_on", "supersedes",
                  "inspection", "finding", "has_evidence", "evidence_name", "evidence_sha256", "entered_by_name",
                  "entered_at"]

    def get_has_evidence(self, obj: CreditRecord) -> bool:
        return bool(obj.evidence)


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluation
        fields = ["id", "subject", "cycle", "as_of", "score", "grade", "severe", "model_version", "explanation",
                  "on_demand", "evaluated_by_name", "evaluated_at"]


class ObjectionSerializer(serializers.ModelSerializer):
    filed_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = Objection
        fields = ["id", "subject", "record", "reason", "evidence_name", "evidence_sha256", "filed_by", "filed_at",
                  "due_date", "status", "outcome_reason", "decided_by", "decided_at", "corrected_record"]


class RepairSerializer(serializers.ModelSerializer):
    applied_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = RepairApplication
        fields = ["id", "subject", "record", "rectification", "evidence_name", "evidence_sha256", "applied_by",
                  "applied_at", "due_date", "status", "decision_reason", "decided_by", "decided_at"]


class ObjectionInput(serializers.Serializer):
    record = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="信用信息 id")
    reason = serializers.CharField(max_length=2000)


class ResolveInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["keep", "correct", "withdraw"])
    reason = serializers.CharField(max_length=2000)
    record_type = serializers.ChoiceField(choices=RecordType.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class RepairInput(serializers.Serializer):
    record = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="不良信息 id")
    rectification = serializers.CharField(max_length=4000)


class DecisionInput(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


_REFUSED = OpenApiResponse(description="操作被拒绝，detail 为中文说明")


def _run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except actions.ActionRefused as exc:
        raise exceptions.ValidationError({"detail": exc.message})
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None)


def _input(request: Request, cls: type[serializers.Serializer]) -> dict[str, Any]:
    s = cls(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


class _Scoped:
    model: Any = None

    lookup_value_regex = "[0-9]{1,18}"
    request: Any

    def get_queryset(self) -> Any:
        qs = self.model.objects.restrict(self.request.user)
        params = self.request.query_params
        for name in ("grade", "category", "status", "kind", "record_type", "subject"):
            value = params.get(name)
            if value and name in {f.name for f in self.model._meta.fields}:
                if name == "subject" and not (value.isdigit() and len(value) <= 18):
                    return qs.none()
                qs = qs.filter(**{name: value})
        return qs.order_by("-pk")


_FILTERS = [OpenApiParameter(n, str, required=False, description=d) for n, d in (
    ("grade", "信用等级"), ("category", "主体类型"), ("status", "状态"), ("kind", "信息类别 good/bad"),
    ("record_type", "信息类型"), ("subject", "信用主体 id"))]


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class SubjectViewSet(_Scoped, viewsets.ReadOnlyModelViewSet):
    """信用主体 (基础信息). 身份证号 is always masked here."""

    model = CreditSubject
    serializer_class = SubjectSerializer
    permission_classes = [CreditPermission]


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class RecordViewSet(_Scoped, viewsets.ReadOnlyModelViewSet):
    """守信信息与不良信息 (append-only; corrections are new rows)."""

    model = CreditRecord
    serializer_class = RecordSerializer
    permission_classes = [CreditPermission]


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class EvaluationViewSet(_Scoped, viewsets.ReadOnlyModelViewSet):
    """Stored evaluations with their explanation and model version."""

    model = Evaluation
    serializer_class = EvaluationSerializer
    permission_classes = [CreditPermission]


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class ObjectionViewSet(_Scoped, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """异议: the owner or staff file one (POST); staff resolve it (``resolve``)."""

    model = Objection
    serializer_class = ObjectionSerializer
    permission_classes = [CreditPermission]
    owner_may_write = True

    def _record(self, record_id: int) -> CreditRecord:
        rec = CreditRecord.objects.restrict(self.request.user).filter(pk=record_id, status=RecordStatus.ACTIVE).first()
        if rec is None:
            raise exceptions.ValidationError({"record": "信用信息不存在或已更正"})
        return rec

    @extend_schema(request=ObjectionInput, responses={201: ObjectionSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, ObjectionInput)
        rec = self._record(data["record"])
        obj = _run(lambda: actions.file_objection(request.user, rec, data["reason"]))
        return Response(ObjectionSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveInput, responses={200: ObjectionSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        obj = self.get_object()
        data = _input(request, ResolveInput)
        if obj.status != ObjectionStatus.OPEN:
            return Response({"detail": "该异议已处理"}, status=status.HTTP_400_BAD_REQUEST)
        outcome = data["outcome"]
        obj = _run(lambda: actions.resolve_objection(
            request.user, obj, corrected=outcome != "keep", withdraw=outcome == "withdraw", reason=data["reason"],
            record_type=data.get("record_type"), severity=data.get("severity"), title=data.get("title"),
            description=data.get("description")))
        return Response(ObjectionSerializer(obj).data)


@extend_schema_view(list=extend_schema(parameters=_FILTERS))
class RepairViewSet(_Scoped, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """信用修复: the owner or staff apply (POST); staff decide (``decide``)."""

    model = RepairApplication
    serializer_class = RepairSerializer
    permission_classes = [CreditPermission]
    owner_may_write = True

    @extend_schema(request=RepairInput, responses={201: RepairSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, RepairInput)
        rec = CreditRecord.objects.restrict(request.user).filter(pk=data["record"]).first()
        if rec is None:
            raise exceptions.ValidationError({"record": "信用信息不存在"})
        app = _run(lambda: actions.apply_repair(request.user, rec, data["rectification"]))
        return Response(RepairSerializer(app).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInput, responses={200: RepairSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        app = self.get_object()
        data = _input(request, DecisionInput)
        if app.status != RepairStatus.PENDING:
            return Response({"detail": "该申请已审核"}, status=status.HTTP_400_BAD_REQUEST)
        app = _run(lambda: actions.decide_repair(request.user, app, approve=data["approve"], reason=data["reason"]))
        return Response(RepairSerializer(app).data)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the shared router."""
    router.register("credit/subjects", SubjectViewSet, basename="credit-subject")
    router.register("credit/records", RecordViewSet, basename="credit-record")
    router.register("credit/evaluations", EvaluationViewSet, basename="credit-evaluation")
    router.register("credit/objections", ObjectionViewSet, basename="credit-objection")
    router.register("credit/repairs", RepairViewSet, basename="credit-repair")

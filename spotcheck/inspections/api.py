"""REST API of the inspections app.

``register(router)`` adds:

- ``/api/inspections/`` list and detail (scoped like the pages: area, and for inspector-role users
  only their teams'), with ``POST …/{id}/notify/``, ``draft/``, ``checklist/``, ``record/``, ``review/``;
- ``/api/findings/`` list, detail, create (the recommendation is made on create), ``POST …/{id}/decide/``,
  ``POST …/{id}/void/`` (作废 before review, with a reason);
- ``/api/evidence/`` list, detail, multipart create (type by content, SHA-256 returned);
- ``/api/referrals/`` list, detail, create, ``POST …/{id}/receipt/``;
- ``/api/rectifications/`` list, detail, create, ``POST …/{id}/submit/``, ``POST …/{id}/close/``.

Every write goes through ``inspections.actions`` (same permissions as the pages). A refused step
is a 400 with a Chinese ``detail``; a row outside the user's scope is a 404; a missing permission 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from . import actions
from .models import Evidence, Finding, Inspection, Rectification, Referral, ViolationType
from .serializers import (
    ChecklistInput,
    DecideInput,
    DraftInput,
    EvidenceInput,
    EvidenceSerializer,
    FindingInput,
    FindingSerializer,
    InspectionDetailSerializer,
    InspectionListSerializer,
    NotifyInput,
    ReceiptInput,
    RecordInput,
    RectificationCloseInput,
    RectificationInput,
    RectificationSerializer,
    RectificationSubmitInput,
    ReferralInput,
    ReferralSerializer,
    ReviewInput,
    VoidInput,
)

_REFUSED = OpenApiResponse(description="操作被拒绝（状态不符、审核人与录入人相同、缺少理由等），detail 为中文说明")


def _inspections(request: Request) -> QuerySet[Inspection]:
    return Inspection.objects.restrict(request.user)


def _input(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _run(step: Callable[[], Any], render: Callable[[Any], Any], code: int = status.HTTP_200_OK) -> Response:
    try:
        result = step()
    except actions.ActionRefused as exc:
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None)
    return Response(render(result), status=code)


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """现场检查. Reads need ``view``; steps need ``inspect`` (``review`` to review) in the task's area."""

    filterset_fields = ["task", "status", "result_type", "region"]
    ordering_fields = ["id", "due_date", "planned_date", "status"]
    required_action = "inspect"

    def get_queryset(self) -> Any:
        return _inspections(self.request).select_related("task", "institution", "assignment").order_by("id")

    def get_serializer_class(self) -> Any:
        return InspectionListSerializer if self.action == "list" else InspectionDetailSerializer

    def _detail(self, obj: Any) -> Any:
        insp = obj if isinstance(obj, Inspection) else self.get_object()
        insp = self.get_queryset().get(pk=insp.pk)
        return InspectionDetailSerializer(insp, context={"request": self.request}).data

    @extend_schema(request=NotifyInput, responses={200: InspectionDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="inspect")
    def notify(self, request: Request, pk: str) -> Response:
        insp, data = self.get_object(), _input(request, NotifyInput)
        return _run(lambda: actions.notify(request.user, insp, data.get("on_date")), self._detail)

    @extend_schema(request=DraftInput, responses={200: OpenApiResponse(description="{saved_at}"), 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="inspect")
    def draft(self, request: Request, pk: str) -> Response:
        insp, data = self.get_object(), _input(request, DraftInput)
        return _run(lambda: actions.save_draft(request.user, insp, data["draft"]),
                    lambda saved: {"saved_at": saved.isoformat()})

    @extend_schema(request=ChecklistInput, responses={200: InspectionDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="inspect")
    def checklist(self, request: Request, pk: str) -> Response:
        insp, data = self.get_object(), _input(request, ChecklistInput)
        rows = {r["id"]: (r["outcome"], r.get("note", "")) for r in data["rows"]}
        return _run(lambda: actions.set_checklist(request.user, insp, rows), lambda _n: self._detail(insp))

    @extend_schema(request=RecordInput, responses={200: InspectionDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="inspect")
    def record(self, request: Request, pk: str) -> Response:
        insp, data = self.get_object(), _input(request, RecordInput)
        signature = None
        if data.get("signature"):
            signature = insp.evidence.filter(pk=data["signature"]).first()
            if signature is None:
                return Response({"detail": "签名证据不属于该检查"}, status=status.HTTP_400_BAD_REQUEST)
        return _run(lambda: actions.record_result(
            request.user, insp, data["result_type"], data.get("summary", ""), data.get("handling", ""),
            data["ended_on"], data.get("confirmed_by_name", ""), signature), self._detail)

    @extend_schema(request=ReviewInput, responses={200: InspectionDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="review")
    def review(self, request: Request, pk: str) -> Response:
        insp, data = self.get_object(), _input(request, ReviewInput)
        return _run(lambda: actions.review(request.user, insp, data["approve"], data.get("note", "")), self._detail)


class _Scoped(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model: Any = None

    def get_queryset(self) -> Any:
        return self.model.objects.filter(inspection__in=_inspections(self.request)).order_by("id")

    def _inspection(self, pk: int) -> Inspection:
        return get_object_or_404(_inspections(self.request), pk=pk)

    def _finding(self, insp: Inspection, pk: int | None) -> Finding | None:
        if not pk:
            return None
        finding = insp.findings.filter(pk=pk).first()
        if finding is None:
            raise exceptions.ValidationError({"finding": ["所选问题不属于该检查"]})
        return finding


class FindingViewSet(_Scoped, mixins.CreateModelMixin):
    """检查发现的问题. Create needs ``inspect``; ``decide`` needs ``review``."""

    model = Finding
    serializer_class = FindingSerializer
    filterset_fields = ["inspection", "decided_treatment", "recommended_treatment"]
    required_action = "inspect"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("violation_type").prefetch_related("corrections")

    @extend_schema(request=FindingInput, responses={201: FindingSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, FindingInput)
        insp = self._inspection(data["inspection"])
        vt = ViolationType.objects.filter(pk=data["violation_type"]).first()
        if vt is None:
            return Response({"detail": "违规行为类型不存在"}, status=status.HTTP_400_BAD_REQUEST)
        return _run(lambda: actions.add_finding(request.user, insp, vt, data["description"], data["amount"],
                                                data.get("corrected_on_site", False), data.get("circumstances", [])),
                    lambda f: FindingSerializer(f).data, status.HTTP_201_CREATED)

    @extend_schema(request=DecideInput, responses={200: FindingSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="review")
    def decide(self, request: Request, pk: str) -> Response:
        finding, data = self.get_object(), _input(request, DecideInput)
        return _run(lambda: actions.decide_finding(
            request.user, finding, data["treatment"], data.get("deviation_reason", ""),
            refund_amount=data.get("refund_amount"), penalty_amount=data.get("penalty_amount"),
            penalty_executed=data.get("penalty_executed", False),
            penalty_decision_number=data.get("penalty_decision_number", "")), lambda f: FindingSerializer(f).data)

    @extend_schema(
        request=VoidInput, responses={200: FindingSerializer, 400: _REFUSED},
        summary="作废问题（审核前）",
        description="检查组（录入人）或审核人在审核通过前作废误录（如重复登记）的问题，须填写理由。问题记录和证据保留，"
                    "标注为已作废，不再计入问题数、金额、处理建议的历史次数和信用记录。审核通过后不能作废，只能在公示后发布更正。",
    )
    @action(detail=True, methods=["post"], required_action="inspect")
    def void(self, request: Request, pk: str) -> Response:
        finding, data = self.get_object(), _input(request, VoidInput)
        return _run(lambda: actions.void_finding(request.user, finding, data["reason"]),
                    lambda f: FindingSerializer(f).data)


class EvidenceViewSet(_Scoped, mixins.CreateModelMixin):
    """检查证据 (append-only). Upload (multipart) needs ``inspect``."""

    model = Evidence
    serializer_class = EvidenceSerializer
    filterset_fields = ["inspection", "kind", "sha256"]
    parser_classes = [MultiPartParser, FormParser]
    required_action = "inspect"

    @extend_schema(request={"multipart/form-data": EvidenceInput}, responses={201: EvidenceSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, EvidenceInput)
        insp = self._inspection(data["inspection"])
        finding = self._finding(insp, data.get("finding"))
        return _run(lambda: actions.add_evidence(request.user, insp, data["file"], data["kind"],
                                                 data.get("captured_at"), finding, data.get("note", "")),
                    lambda e: EvidenceSerializer(e).data, status.HTTP_201_CREATED)


class ReferralViewSet(_Scoped, mixins.CreateModelMixin):
    """案件移交. Create and receipt need ``review``."""

    model = Referral
    serializer_class = ReferralSerializer
    filterset_fields = ["inspection", "agency"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    required_action = "review"

    @extend_schema(request=ReferralInput, responses={201: ReferralSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, ReferralInput)
        insp = self._inspection(data["inspection"])
        finding = self._finding(insp, data.get("finding"))
        return _run(lambda: actions.refer(request.user, insp, data["agency"], data["reason"],
                                          agency_name=data.get("agency_name", ""),
                                          document_number=data.get("document_number", ""), finding=finding),
                    lambda r: ReferralSerializer(r).data, status.HTTP_201_CREATED)

    @extend_schema(request=ReceiptInput, responses={200: ReferralSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="review")
    def receipt(self, request: Request, pk: str) -> Response:
        referral, data = self.get_object(), _input(request, ReceiptInput)
        receipt = None
        if data.get("receipt"):
            receipt = referral.inspection.evidence.filter(pk=data["receipt"]).first()
            if receipt is None:
                return Response({"detail": "回执文件不属于该检查"}, status=status.HTTP_400_BAD_REQUEST)
        return _run(lambda: actions.record_referral_receipt(request.user, referral, data.get("receipt_at"),
                                                            data.get("note", ""), receipt),
                    lambda r: ReferralSerializer(r).data)


class RectificationViewSet(_Scoped, mixins.CreateModelMixin):
    """整改. Order and close need ``review``; submitting the completion needs ``inspect``."""

    model = Rectification
    serializer_class = RectificationSerializer
    filterset_fields = ["inspection", "status"]
    required_action = "review"

    @extend_schema(request=RectificationInput, responses={201: RectificationSerializer, 400: _REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(request, RectificationInput)
        insp = self._inspection(data["inspection"])
        finding = self._finding(insp, data.get("finding"))
        return _run(lambda: actions.order_rectification(request.user, insp, data["requirement"],
                                                        data.get("due_date"), finding),
                    lambda r: RectificationSerializer(r).data, status.HTTP_201_CREATED)

    @extend_schema(request=RectificationSubmitInput, responses={200: RectificationSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="inspect")
    def submit(self, request: Request, pk: str) -> Response:
        rect, data = self.get_object(), _input(request, RectificationSubmitInput)
        ids = set(data.get("evidence", []))
        files = list(rect.inspection.evidence.filter(pk__in=ids))
        if len(files) != len(ids):
            return Response({"detail": "整改证据不属于该检查"}, status=status.HTTP_400_BAD_REQUEST)
        return _run(lambda: actions.submit_rectification(request.user, rect, data["completion_note"], files),
                    lambda r: RectificationSerializer(r).data)

    @extend_schema(request=RectificationCloseInput, responses={200: RectificationSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="review")
    def close(self, request: Request, pk: str) -> Response:
        rect, data = self.get_object(), _input(request, RectificationCloseInput)
        return _run(lambda: actions.close_rectification(request.user, rect, data["approve"], data.get("note", "")),
                    lambda r: RectificationSerializer(r).data)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the shared router."""
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("findings", FindingViewSet, basename="finding")
    router.register("evidence", EvidenceViewSet, basename="evidence")
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("rectifications", RectificationViewSet, basename="rectification")

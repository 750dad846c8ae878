"""REST API of draws: scoped, confidentiality-filtered reads and one POST per workflow step.

``register(router)`` adds ``/api/draws/`` (list, detail by ``draw_id``), ``POST /api/draws/freeze/``
and ``POST /api/draws/{draw_id}/<step>/`` for staffing-check, staffing-override, cancel,
propose-commit, approve-commit, reject, propose-reveal, approve-reveal, request-event,
approve-event, reject-event; ``GET /api/draws/{draw_id}/package/``. Steps call ``draws.actions``
(same permissions as the pages); a refused step is a 400 with a Chinese ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from spotcheck.directory.models import Inspector, Institution
from spotcheck.planning.models import Task

from . import actions, presenters
from .access import sees_everything, visible_assignments
from .models import EVENT_REASONS, AssignmentMember, Draw, DrawEvent, EventReason, EventType
from .views import package_file


class MemberSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="inspector.number")
    name = serializers.CharField(source="inspector.name")
    department = serializers.CharField(source="inspector.department.name")

    class Meta:
        model = AssignmentMember
        fields = ["position", "number", "name", "department"]


class DrawListSerializer(serializers.ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(read_only=True)
    task_name = serializers.CharField(source="task.name")
    region = serializers.CharField(source="task.region_id")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Draw
        fields = ["draw_id", "task", "task_name", "region", "status", "status_display", "frozen_at",
                  "committed_at", "revealed_at"]


class DrawDetailSerializer(DrawListSerializer):
    """Adds the commitment, the failure and, when the user may see them, the pool and the results."""

    preview = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()

    class Meta(DrawListSerializer.Meta):
        fields = [*DrawListSerializer.Meta.fields, "randomness_sources", "commitment", "public_randomness",
                  "error_code", "error_message", "error_unit", "error_department", "preview", "assignments"]

    def _user(self) -> Any:
        return self.context["request"].user

    def get_preview(self, draw: Draw) -> dict[str, Any] | None:
        """Frozen pool summary (staff and auditors only)."""
        if not sees_everything(self._user(), draw):
            return None
        return {
            "strata": presenters.strata_rows(draw),
            "team_needs": presenters.team_needs(draw),
            "excluded": [{"fixmedins_code": e.institution.fixmedins_code, "reason": e.reason, "detail": e.detail}
                         for e in draw.exclusions.select_related("institution")],
            "inspectors": (draw.teams or {}).get("inspectors", []),
            "excluded_inspectors": draw.inspector_exclusions,
            "exclusion_pairs": len((draw.teams or {}).get("exclusions", [])),
            "staffing": draw.staffing,
            "override": {"by": str(draw.override_by), "at": draw.override_at, "reason": draw.override_reason}
            if draw.override_at else None,
        }

    def get_assignments(self, draw: Draw) -> list[dict[str, Any]]:
        """Active assignments the user may see, in inspection order, with their teams."""
        rows = []
        for a in visible_assignments(self._user(), draw):
            members = a.members.filter(active=True).select_related("inspector", "inspector__department")
            rows.append({
                "position": a.position, "fixmedins_code": a.institution.fixmedins_code, "name": a.institution.name,
                "stratum": a.stratum, "team": MemberSerializer(members.order_by("position"), many=True).data,
            })
        return rows


#: Largest primary key (64-bit signed): larger ids are a 400, not a database overflow.
MAX_ID = 2**63 - 1


class FreezeInput(serializers.Serializer):
    task = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class SourcesInput(serializers.Serializer):
    randomness_sources = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1,
                                               max_length=10)


class RandomnessInput(serializers.Serializer):
    public_randomness = serializers.CharField(max_length=2000, trim_whitespace=False)


class EventRequestInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=EventType.choices)
    unit = serializers.CharField(max_length=20, help_text="被替换（或其检查组被调整）的机构的定点医药机构编码")
    inspector = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                      help_text="replace_inspector 时被替换的检查人员编号")
    reason_kind = serializers.ChoiceField(choices=EventReason.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class EventDecisionInput(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


_REFUSED = OpenApiResponse(description="操作被拒绝（状态不符、双人复核、人员不足等），detail 为中文说明")


class DrawViewSet(viewsets.ReadOnlyModelViewSet):
    """随机抽取 (SC-DRAW-1). Reads need ``view``; steps need ``draw`` or ``approve`` in the task's area."""

    lookup_field = "draw_id"
    lookup_value_regex = "[^/]+"
    required_action = "draw"  # each POST step overrides it (``approve`` for second-person steps)
    ordering_fields = ["draw_id", "status", "frozen_at", "revealed_at"]

    def get_queryset(self) -> Any:
        return Draw.objects.restrict(self.request.user, "view").select_related("task").order_by("-frozen_at", "-id")

    def get_serializer_class(self) -> Any:
        return DrawListSerializer if self.action == "list" else DrawDetailSerializer

    def _run(self, request: Request, step: Callable[[], Any]) -> Response:
        try:
            result = step()
        except actions.ActionRefused as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        draw = result if isinstance(result, Draw) else self.get_object()
        return Response(DrawDetailSerializer(draw, context={"request": request}).data)

    def _input(self, request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        s = serializer_class(data=request.data)
        s.is_valid(raise_exception=True)
        return dict(s.validated_data)

    @extend_schema(request=FreezeInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=False, methods=["post"], required_action="draw")
    def freeze(self, request: Request) -> Response:
        data = self._input(request, FreezeInput)
        task = get_object_or_404(Task.objects.restrict(request.user, "view"), pk=data["task"])
        return self._run(request, lambda: actions.freeze(request.user, task))

    @extend_schema(request=None, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="staffing-check", required_action="draw")
    def staffing_check(self, request: Request, draw_id: str) -> Response:
        draw = self.get_object()
        return self._run(request, lambda: actions.check_staffing(request.user, draw))

    @extend_schema(request=ReasonInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="staffing-override", required_action="approve")
    def staffing_override(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, ReasonInput)
        return self._run(request, lambda: actions.override_staffing(request.user, draw, data["reason"]))

    @extend_schema(request=ReasonInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="draw")
    def cancel(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, ReasonInput)
        return self._run(request, lambda: actions.cancel(request.user, draw, data["reason"]))

    @extend_schema(request=SourcesInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="propose-commit", required_action="draw")
    def propose_commit(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, SourcesInput)
        return self._run(request, lambda: actions.propose_commit(request.user, draw, data["randomness_sources"]))

    @extend_schema(request=None, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="approve-commit", required_action="approve")
    def approve_commit(self, request: Request, draw_id: str) -> Response:
        draw = self.get_object()
        return self._run(request, lambda: actions.approve_commit(request.user, draw))

    @extend_schema(request=ReasonInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], required_action="approve")
    def reject(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, ReasonInput)
        return self._run(request, lambda: actions.reject_proposal(request.user, draw, data["reason"]))

    @extend_schema(request=RandomnessInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="propose-reveal", required_action="draw")
    def propose_reveal(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, RandomnessInput)
        return self._run(request, lambda: actions.propose_reveal(request.user, draw, data["public_randomness"]))

    @extend_schema(request=None, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="approve-reveal", required_action="approve")
    def approve_reveal(self, request: Request, draw_id: str) -> Response:
        draw = self.get_object()
        return self._run(request, lambda: actions.approve_reveal(request.user, draw))

    @extend_schema(request=EventRequestInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="request-event", required_action="draw")
    def request_event(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, EventRequestInput)
        if data["reason_kind"] not in EVENT_REASONS[data["type"]]:
            return Response({"detail": "变更原因与变更类型不符"}, status=status.HTTP_400_BAD_REQUEST)
        institution = Institution.objects.filter(fixmedins_code=data["unit"].strip().upper()).first()
        if institution is None:
            return Response({"detail": f"机构 {data['unit']} 不存在"}, status=status.HTTP_400_BAD_REQUEST)
        inspector = None
        if data["type"] == EventType.REPLACE_INSPECTOR:
            inspector = Inspector.objects.filter(number=(data.get("inspector") or "").strip()).first()
            if inspector is None:
                return Response({"detail": "请填写被替换的检查人员编号"}, status=status.HTTP_400_BAD_REQUEST)
        return self._run(request, lambda: actions.request_event(
            request.user, draw, type=data["type"], institution=institution, inspector=inspector,
            reason_kind=data["reason_kind"], reason=data.get("reason", "")))

    def _event(self, draw: Draw, event_id: int) -> DrawEvent:
        return get_object_or_404(draw.events.all(), pk=event_id)

    @extend_schema(request=EventDecisionInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="approve-event", required_action="approve")
    def approve_event(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, EventDecisionInput)
        event = self._event(draw, data["event"])
        return self._run(request, lambda: actions.approve_event(request.user, event))

    @extend_schema(request=EventDecisionInput, responses={200: DrawDetailSerializer, 400: _REFUSED})
    @action(detail=True, methods=["post"], url_path="reject-event", required_action="approve")
    def reject_event(self, request: Request, draw_id: str) -> Response:
        draw, data = self.get_object(), self._input(request, EventDecisionInput)
        event = self._event(draw, data["event"])
        return self._run(request, lambda: actions.reject_event(request.user, event, data.get("reason", "")))

    @extend_schema(responses={200: OpenApiResponse(description="SC-DRAW-1 结果包（失败的抽取为其输入）"),
                              404: OpenApiResponse(description="尚无结果包或无权查看")})
    @action(detail=True, methods=["get"])
    def package(self, request: Request, draw_id: str) -> Response:
        draw = self.get_object()
        try:
            data, filename = package_file(request.user, draw)
        except Http404:
            return Response({"detail": "尚无结果包或无权查看"}, status=status.HTTP_404_NOT_FOUND)
        actions.record_download(request.user, draw, filename)
        return Response(data)


def register(router: DefaultRouter) -> None:
    router.register("draws", DrawViewSet, basename="draw")

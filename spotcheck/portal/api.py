"""REST API of the portal app.

``/api/publications/`` (list, detail): public (no login), read-only, only published versions, the
same per-IP rate limit as the pages; filters ``institution`` (定点编码), ``year``, ``result_type``,
``area`` (region code), ``current`` (``true`` = no corrected versions).
``POST /api/portal-publish/`` ``{"inspections": [id, …]}``: staff with ``publish`` in the inspecting
area publish reviewed results (all or none); a refusal is a 400 with a Chinese ``detail``.

Every representation of a publication goes through the public serialiser (``public.clean`` with the names of its
institution and inspection): the strings of the snapshot, the correction reason and any field added later are
masked; codes, digests and dates stay as they are.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from spotcheck.inspections.models import Inspection, InspectionStatus, ResultType

from . import actions, public
from .models import Publication
from .ratelimit import PortalRateThrottle


class PublicationSerializer(serializers.ModelSerializer):
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code")
    result_label = serializers.CharField()
    is_corrected = serializers.BooleanField()
    corrected_by = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = ["id", "version", "fixmedins_code", "year", "region", "task", "result_type", "result_label",
                  "published_at", "deadline", "met_deadline", "supersedes", "correction_reason", "is_corrected",
                  "corrected_by", "snapshot"]

    def get_corrected_by(self, pub: Publication) -> int | None:
        return pub.corrected_by_pk

    def to_representation(self, instance: Publication) -> Any:
        return public.clean(super().to_representation(instance), public.people_of_publication(instance))


@extend_schema(parameters=[
    OpenApiParameter("institution", str, description="定点医药机构编码"),
    OpenApiParameter("year", int, description="年度"),
    OpenApiParameter("result_type", str, enum=ResultType.values, description="检查结果类型"),
    OpenApiParameter("area", str, description="区划代码（省、市或县）"),
    OpenApiParameter("current", bool, description="true：只列出未被更正的版本"),
])
class PublicationViewSet(viewsets.ReadOnlyModelViewSet):
    """Published results (公示记录): public, read-only."""

    serializer_class = PublicationSerializer
    permission_classes = [AllowAny]
    throttle_classes = [PortalRateThrottle]
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        qs = public.publications().select_related("institution", "inspection").order_by("-published_at", "-id")
        p = self.request.query_params
        code = (p.get("institution") or "").strip().upper()
        if code:
            qs = qs.filter(institution__fixmedins_code=code)
        year = (p.get("year") or "").strip()
        if year:
            qs = qs.filter(year=int(year)) if year.isdigit() and len(year) <= 4 else qs.none()
        result = (p.get("result_type") or "").strip()
        if result:
            qs = qs.filter(result_type=result) if result in ResultType.values else qs.none()
        qs = public.area_filter(qs, "institution_region", (p.get("area") or "").strip())
        if (p.get("current") or "").lower() == "true":
            qs = qs.current()
        return qs


class PublishRequestSerializer(serializers.Serializer):
    inspections = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
                                        min_length=1, max_length=500)


class PublishViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Publish reviewed inspection results (staff with ``publish``)."""

    serializer_class = PublishRequestSerializer
    required_action = "publish"
    queryset = Publication.objects.none()

    @extend_schema(request=PublishRequestSerializer, responses={201: PublicationSerializer(many=True)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PublishRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(data.validated_data["inspections"]))
        found = list(Inspection.objects.restrict(request.user, "publish").filter(pk__in=ids))
        if len(found) != len(ids):
            missing = sorted(set(ids) - {i.pk for i in found})
            return Response({"detail": f"检查记录不存在或不在您的管辖范围内：{missing}"}, status=status.HTTP_404_NOT_FOUND)
        not_reviewed = [i.pk for i in found if i.status != InspectionStatus.REVIEWED]
        if not_reviewed:
            return Response({"detail": f"只有“已审核”的检查结果才能公示：{not_reviewed}"}, status=status.HTTP_400_BAD_REQUEST)
        try:
            pubs = actions.publish_many(request.user, found)
        except actions.ActionRefused as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(PublicationSerializer(pubs, many=True).data, status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the shared router."""
    router.register("publications", PublicationViewSet, basename="publication")
    router.register("portal-publish", PublishViewSet, basename="portal-publish")

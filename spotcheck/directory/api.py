"""REST API of the directories: regions and departments (read-only), institutions, inspectors,
conflicts (回避登记) and inspector absences (不可抽取时段).

Same rules as the web pages: reads come from ``restrict(user, "view")``, writes need ``change``
(``RolePermission``) and fetch the row from ``restrict(user, "change")``, so another area's row is
a 404. Every write goes through ``directory.actions`` (``full_clean``, area check, audit event);
model validation errors become a 400 keyed by field, ``PermissionDenied`` a 403, and deleting a row
that other rows still reference a 409. Deletes need a ``reason``. An institution's ``credit_grade`` and
``risk_flag`` are read-only (``directory.ownership``; 重点监控 through ``POST institutions/{id}/risk-flag/``
with a reason) and a change of its other draw-relevant fields needs ``change_reason``. Lists are paginated
(``count``, ``page``, ``page_size`` ≤ 500); filters, search (``q``) and ``ordering`` come from
``directory.filters``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters as df
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action as drf_action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from . import actions, ownership
from .filters import ConflictFilter, IdFilter, InspectorFilter, InstitutionFilter, RegionPrefixFilter
from .models import Conflict, Department, DepartmentKind, Inspector, InspectorAbsence, Institution, Region
from .serializers import (
    AbsenceSerializer,
    ConflictSerializer,
    DepartmentSerializer,
    InspectorSerializer,
    InstitutionSerializer,
    RegionSerializer,
)

#: Audit reason of API creates and updates that give no ``change_reason``.
API_REASON = "接口操作"


class PageSizePagination(PageNumberPagination):
    """``PAGE_SIZE`` rows per page unless ``page_size`` asks for another number (at most 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500


class Conflicting(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "该记录仍被其他数据引用，不能删除"
    default_code = "in_use"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """A model ``ValidationError`` as DRF's 400 body: ``{field: [messages]}``."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY if k == "__all__" else k: v for k, v in exc.message_dict.items()}
        )
    return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a ``directory.actions`` function, translating its exceptions into API errors."""
    try:
        return fn(*args, **kwargs)
    except DjangoValidationError as exc:
        raise drf_error(exc)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None)
    except (ProtectedError, RestrictedError) as exc:
        referencing = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        kinds = "、".join(sorted({str(o._meta.verbose_name) for o in referencing}))
        raise Conflicting(f"该记录仍被{kinds}引用，不能删除")


# --------------------------------------------------------------------------------------------
# filters the shared FilterSets do not cover


class RegionFilter(df.FilterSet):
    q = df.CharFilter(field_name="name", lookup_expr="contains", label="搜索（名称）")
    level = df.ChoiceFilter(choices=Region._meta.get_field("level").choices, label="级别")
    parent = df.CharFilter(field_name="parent_id", label="上级区划代码")

    class Meta:
        model = Region
        fields: list[str] = []


class DepartmentFilter(df.FilterSet):
    region = RegionPrefixFilter(field_name="region__code", label="区域")
    kind = df.ChoiceFilter(choices=DepartmentKind.choices, label="类型")

    class Meta:
        model = Department
        fields: list[str] = []


class InstitutionApiFilter(InstitutionFilter):
    code = df.CharFilter(method="exact_code", label="定点医药机构编码（精确匹配）")

    def exact_code(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(fixmedins_code=value.strip().upper())


@extend_schema_field(OpenApiTypes.INT)
class AbsenceFilter(df.FilterSet):
    inspector = IdFilter(field_name="inspector_id", label="检查人员")
    region = RegionPrefixFilter(field_name="inspector__region__code", label="区域")

    class Meta:
        model = InspectorAbsence
        fields: list[str] = []


# --------------------------------------------------------------------------------------------
# viewsets


class ScopedMixin:
    """Rows of ``queryset.model`` in the user's area (``restrict``), related rows joined, in a stable order."""

    related: tuple[str, ...] = ()
    order: tuple[str, ...] = ("pk",)
    filter_backends = [DjangoFilterBackend]  # ordering is the FilterSet's ``ordering`` (stable)
    pagination_class = PageSizePagination

    @property
    def model(self) -> Any:
        return self.queryset.model  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet:
        request = self.request  # type: ignore[attr-defined]
        action = "view" if request.method in SAFE_METHODS else "change"
        qs = self.model.objects.restrict(request.user, action)
        return qs.select_related(*self.related).order_by(*self.order)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """Filters apply to lists only: a detail URL's query (e.g. a delete's ``reason``) is no filter."""
        if self.action != "list":  # type: ignore[attr-defined]
            return queryset
        return super().filter_queryset(queryset)  # type: ignore[misc]


class ScopedReadOnlyViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail only."""


REASON_PARAMETER = OpenApiParameter(
    "reason", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True,
    description="删除原因，记入审计日志（也可在请求体 JSON 的 reason 中提供）",
)
ERRORS = {
    400: OpenApiResponse(description="数据校验未通过：{字段: [中文错误信息]}"),
    403: OpenApiResponse(ErrorSerializer, description="无权限，或区域不在管辖范围内"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在您的管辖范围内"),
}


def documented(cls: type[DirectoryViewSet]) -> type[DirectoryViewSet]:
    """Schema of a writable viewset: error responses of each write, the ``reason`` of a delete."""
    ok = cls.serializer_class
    return extend_schema_view(
        create=extend_schema(responses={201: ok, **ERRORS}),
        update=extend_schema(responses={200: ok, **ERRORS}),
        partial_update=extend_schema(responses={200: ok, **ERRORS}),
        destroy=extend_schema(
            parameters=[REASON_PARAMETER],
            responses={204: None, **ERRORS, 409: OpenApiResponse(ErrorSerializer, description="仍被其他数据引用")},
        ),
    )(cls)


class DirectoryViewSet(ScopedMixin, viewsets.ModelViewSet):
    """Writable directory rows; every write goes through ``directory.actions``."""

    def fixed_values(self) -> dict[str, Any]:
        """Values a create sets that the client does not send (e.g. ``recorded_by``)."""
        return {}

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        reason = data.pop("change_reason", "") or API_REASON
        serializer.instance = run(actions.create, self.request.user, self.model, {**data, **self.fixed_values()},
                                  reason=reason)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        reason = data.pop("change_reason", "") or API_REASON
        run(actions.update, self.request.user, serializer.instance, data, reason=reason)

    def perform_destroy(self, instance: Model) -> None:
        body = self.request.data if isinstance(self.request.data, dict) else {}
        reason = str(self.request.query_params.get("reason") or body.get("reason") or "").strip()
        if not reason:
            raise serializers.ValidationError({"reason": ["删除需要填写原因（reason）"]})
        run(actions.delete, self.request.user, instance, reason=reason)


class RegionViewSet(ScopedReadOnlyViewSet):
    """行政区划 in the user's area (a county user sees only their county). Lookup by 6-digit code."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    related = ("parent__parent",)
    order = ("code",)
    lookup_value_regex = r"[0-9]{6}"


class DepartmentViewSet(ScopedReadOnlyViewSet):
    """部门 of the regions in the user's area."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    related = ("region",)
    order = ("region_id", "kind", "name", "pk")


class RiskFlagInput(serializers.Serializer):
    flag = serializers.BooleanField(help_text="true = 标记为重点监控，false = 取消")
    reason = serializers.CharField(max_length=500, help_text="理由（必填），记入审计日志",
                                   error_messages={"blank": "设置或取消重点监控须填写理由",
                                                   "required": "设置或取消重点监控须填写理由"})


@documented
class InstitutionViewSet(DirectoryViewSet):
    """检查对象名录库 (定点医药机构). ``contact_phone`` is masked for users without the right to change.

    ``credit_grade`` and ``risk_flag`` are read-only (``directory.ownership``); ``risk_flag`` changes
    through ``POST …/{id}/risk-flag/`` with a reason. A change of 机构类型, 机构类别, 医院等级,
    所属区域 or 协议状态 needs ``change_reason``."""

    queryset = Institution.objects.all()
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionApiFilter
    related = ("region",)
    order = ("fixmedins_code",)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        given = data.pop("change_reason", "").strip()
        check = ownership.institution_check(given, where="接口", source="请求中")
        serializer.instance = run(actions.create, self.request.user, Institution, data, reason=given or API_REASON,
                                  check=check)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        given = data.pop("change_reason", "").strip()
        check = ownership.institution_check(given, where="接口", source="请求中")
        run(actions.update, self.request.user, serializer.instance, data, reason=given or API_REASON, check=check)

    @extend_schema(request=RiskFlagInput, responses={200: InstitutionSerializer, **ERRORS},
                   summary="设置或取消重点监控（须填写理由）")
    @drf_action(detail=True, methods=["post"], url_path="risk-flag")
    def risk_flag(self, request: Any, pk: Any = None) -> Response:
        """Set or clear 重点监控 with a reason (``directory.actions.set_risk_flag``)."""
        institution = self.get_object()
        body = RiskFlagInput(data=request.data)
        body.is_valid(raise_exception=True)
        run(actions.set_risk_flag, request.user, institution, body.validated_data["flag"],
            body.validated_data["reason"])
        return Response(InstitutionSerializer(institution, context=self.get_serializer_context()).data)


@documented
class InspectorViewSet(DirectoryViewSet):
    """执法检查人员名录库. ``id_number`` and ``phone`` are masked for users without the right to change."""

    queryset = Inspector.objects.all()
    serializer_class = InspectorSerializer
    filterset_class = InspectorFilter
    related = ("region", "department")
    order = ("number",)


@documented
class ConflictViewSet(DirectoryViewSet):
    """回避登记. The area of a conflict is the institution's; ``recorded_by`` is the creating user."""

    queryset = Conflict.objects.all()
    serializer_class = ConflictSerializer
    filterset_class = ConflictFilter
    related = ("inspector", "institution", "recorded_by")
    order = ("-recorded_at", "-pk")

    def fixed_values(self) -> dict[str, Any]:
        return {"recorded_by": self.request.user}


@documented
class AbsenceViewSet(DirectoryViewSet):
    """不可抽取时段 of inspectors (leave, training, secondment)."""

    queryset = InspectorAbsence.objects.all()
    serializer_class = AbsenceSerializer
    filterset_class = AbsenceFilter
    related = ("inspector",)
    order = ("inspector_id", "start", "pk")


def register(router: DefaultRouter) -> None:
    """Add the directory endpoints to the project's API router."""
    router.register("regions", RegionViewSet, basename="region")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("inspectors", InspectorViewSet, basename="inspector")
    router.register("conflicts", ConflictViewSet, basename="conflict")
    router.register("absences", AbsenceViewSet, basename="absence")

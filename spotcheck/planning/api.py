"""REST API: item lists (items nested, read-only), items, plans and tasks (slots nested, writable).

Same rules as the web pages: reads through ``restrict(user)`` (item lists and items: own area plus
ancestor areas, ``scope_inherits``; plans and tasks: own area); writes need ``plan`` (``RolePermission`` with
``required_action``), fetch the row with ``restrict(user, "plan")`` (so another area's row, or a
parent city's list, is a 404) and go through ``actions``.

Items are versioned (see ``planning.models``): ``GET /items/`` lists every version (``?current=true``
for the current ones), an item list nests its current items. ``PATCH``/``PUT`` of a used item
(``used: true``) with a ``change_reason`` creates a new version and answers **201 Created** with it
(its own ``id``, ``Location`` header); without ``change_reason`` it is a 400 naming that field. An
unused item is changed in place (200). A superseded version (``is_current: false``) cannot change (400).
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Prefetch
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import DefaultRouter

from spotcheck.base.transactions import atomic_action
from spotcheck.directory.filters import IdFilter, RegionPrefixFilter
from spotcheck.directory.models import Department, Region

from . import actions
from .models import CheckItem, ItemList, Plan, Task, TaskStatus
from .tabular import ImportRejected

API_REASON = "接口操作"


def _drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


class ScopedPK(serializers.PrimaryKeyRelatedField):
    """A related id the requesting user may use: ``restrict(user, action)``."""

    def __init__(self, model: type[models.Model], action: str = "plan", **kwargs: Any) -> None:
        self.model, self.action = model, action
        super().__init__(queryset=model.objects.all(), **kwargs)

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        if request is None:  # schema generation
            return super().get_queryset()
        return self.model.objects.restrict(request.user, self.action)  # type: ignore[attr-defined]


class CheckItemSerializer(serializers.ModelSerializer):
    item_list = ScopedPK(ItemList)
    change_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="修改原因：修改已使用的事项（used 为 true）时必填，修改将生成新版本；读取时为本版本的修改原因",
    )
    is_current = serializers.BooleanField(read_only=True, help_text="是否为最新版本")
    used = serializers.BooleanField(source="is_used", read_only=True, help_text="是否已被使用（只读，修改将生成新版本）")

    class Meta:
        model = CheckItem
        fields = ["id", "item_list", "seq", "category", "name", "target", "target_kind", "item_type", "ratio_text",
                  "ratio_num", "ratio_den", "frequency", "methods", "subjects", "basis", "version", "supersedes",
                  "is_current", "used", "change_reason", "retired_at", "created_at"]
        read_only_fields = ["ratio_num", "ratio_den", "version", "supersedes", "retired_at", "created_at"]
        validators: list[Any] = []  # 序号 uniqueness is checked by the action (full_clean)
        extra_kwargs = {"seq": {"required": False}}


def current_items() -> Prefetch:
    """The current version of each item, with ``in_use``, as an item list's ``items``."""
    return Prefetch("items", queryset=CheckItem.objects.current().with_used())


class ItemListSerializer(serializers.ModelSerializer):
    items = CheckItemSerializer(many=True, read_only=True)

    class Meta:
        model = ItemList
        fields = ["id", "region", "year", "name", "issuer", "doc_number", "notes", "created_at", "items"]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class PlanSerializer(serializers.ModelSerializer):
    item_list = ScopedPK(ItemList, "view", allow_null=True, required=False)

    class Meta:
        model = Plan
        fields = ["id", "region", "year", "name", "doc_number", "item_list", "notes", "created_at"]
        read_only_fields = ["created_at"]


class SlotSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    count = serializers.IntegerField(min_value=1, max_value=100)


class TaskSerializer(serializers.ModelSerializer):
    plan = ScopedPK(Plan)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    items = ScopedPK(CheckItem, "view", many=True, required=False)
    slots = SlotSerializer(many=True)
    scope_codes = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, write_only=True,
        help_text="定向名单：定点医药机构编码列表；提供时任务改为定向抽查并取代 scope_filters",
    )
    scope_list = serializers.SlugRelatedField(slug_field="fixmedins_code", many=True, read_only=True)
    percent = serializers.CharField(source="percent_text", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "plan", "region", "seq", "name", "period_start", "period_end", "scope_text", "ratio_num",
                  "ratio_den", "percent", "credit_scaled", "items", "item_summary", "directed", "scope_filters",
                  "scope_codes", "scope_list", "method", "joint", "responsible_department", "joint_departments",
                  "cap", "cross_area", "exclude_checked_this_year", "exclude_last_round_pairs", "status", "notes",
                  "slots", "created_at"]
        read_only_fields = ["status", "created_at"]
        extra_kwargs = {"seq": {"required": False}, "joint_departments": {"required": False}}

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:  # a task stays in its plan
            fields["plan"] = serializers.PrimaryKeyRelatedField(read_only=True)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("scope_codes") and attrs.get("scope_filters"):
            raise serializers.ValidationError({"scope_codes": "定向名单与定向筛选条件只能提供一个"})
        return attrs


class ItemListFilter(df.FilterSet):
    year = df.NumberFilter()
    region = RegionPrefixFilter(field_name="region__code")

    class Meta:
        model = ItemList
        fields: list[str] = []


class CheckItemFilter(df.FilterSet):
    item_list = IdFilter(field_name="item_list_id")
    item_type = df.CharFilter()
    current = df.BooleanFilter(field_name="retired_at", lookup_expr="isnull", label="仅最新版本")

    class Meta:
        model = CheckItem
        fields: list[str] = []


class PlanFilter(ItemListFilter):
    class Meta:
        model = Plan
        fields: list[str] = []


class TaskFilter(df.FilterSet):
    plan = IdFilter(field_name="plan_id")
    year = df.NumberFilter(field_name="plan__year")
    status = df.ChoiceFilter(choices=TaskStatus.choices)
    region = RegionPrefixFilter(field_name="region__code")

    class Meta:
        model = Task
        fields: list[str] = []


class _PlanningViewSet(viewsets.ModelViewSet):
    """Reads in the user's view scope, writes in their ``plan`` scope; subclasses call actions."""

    required_action = "plan"
    ordering = ["id"]

    def read_queryset(self) -> models.QuerySet:
        return self.queryset.model.objects.restrict(self.request.user)  # type: ignore[union-attr]

    def get_queryset(self) -> models.QuerySet:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.read_queryset()
        return self.queryset.model.objects.restrict(self.request.user, "plan")  # type: ignore[union-attr]

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call an action, turning its validation errors into a 400."""
        try:
            return fn(*args, **kwargs)
        except DjangoValidationError as exc:
            raise _drf_error(exc)

    def perform_destroy(self, instance: Any) -> None:
        self.run(self.delete_action, self.request.user, instance, reason=API_REASON)


class ItemListViewSet(_PlanningViewSet):
    """抽查事项清单. Lists issued by the user's parent city or province are readable, not writable."""

    queryset = ItemList.objects.select_related("region").prefetch_related(current_items())
    serializer_class = ItemListSerializer
    filterset_class = ItemListFilter
    delete_action = staticmethod(actions.delete_item_list)

    def read_queryset(self) -> models.QuerySet:
        return ItemList.objects.restrict(self.request.user).prefetch_related(current_items())

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = self.run(actions.create_item_list, self.request.user, serializer.validated_data,
                                       reason=API_REASON)

    def perform_update(self, serializer: Any) -> None:
        self.run(actions.update_item_list, self.request.user, serializer.instance, serializer.validated_data,
                 reason=API_REASON)


class CheckItemViewSet(_PlanningViewSet):
    """抽查事项 (one version of one row of a list). ``ratio_num``/``ratio_den`` are derived from
    ``ratio_text``. Changing a used item creates a new version (201, see the module docstring)."""

    queryset = CheckItem.objects.select_related("item_list").with_used()
    serializer_class = CheckItemSerializer
    filterset_class = CheckItemFilter
    delete_action = staticmethod(actions.delete_item)

    def read_queryset(self) -> models.QuerySet:
        return CheckItem.objects.restrict(self.request.user).with_used()

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        item_list = data.pop("item_list")
        data.pop("change_reason", None)
        serializer.instance = self.run(actions.create_item, self.request.user, item_list, data, reason=API_REASON)

    def perform_update(self, serializer: Any) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k != "item_list"}
        item = self.run(actions.update_item, self.request.user, serializer.instance, data, reason=API_REASON)
        serializer.instance = CheckItem.objects.with_used().select_related("item_list").get(pk=item.pk)

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """200 with the item changed in place, or 201 with the new version of a used item."""
        response = super().update(request, *args, **kwargs)
        new = response.data.get("id")
        if response.status_code == status.HTTP_200_OK and str(new) != str(kwargs.get(self.lookup_field)):
            response.status_code = status.HTTP_201_CREATED
            response["Location"] = reverse("planning-item-detail", args=[new], request=request)
        return response


class PlanViewSet(_PlanningViewSet):
    """年度抽查计划."""

    queryset = Plan.objects.select_related("region", "item_list")
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    delete_action = staticmethod(actions.delete_plan)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = self.run(actions.create_plan, self.request.user, serializer.validated_data,
                                       reason=API_REASON)

    def perform_update(self, serializer: Any) -> None:
        self.run(actions.update_plan, self.request.user, serializer.instance, serializer.validated_data,
                 reason=API_REASON)


def _codes(codes: list[str]) -> list[tuple[int, str]]:
    return list(enumerate(codes, start=1))


class TaskViewSet(_PlanningViewSet):
    """抽查任务 with its team composition (``slots``). ``status`` is set by the draw, never here;
    after a draw the scope, ratio and slots cannot change."""

    queryset = Task.objects.select_related("plan", "region").prefetch_related(
        "items", "joint_departments", "slots", "scope_list"
    )
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    delete_action = staticmethod(actions.delete_task)

    def read_queryset(self) -> models.QuerySet:
        return self.queryset.restrict(self.request.user)  # type: ignore[union-attr]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        slots = [actions.Slot(s["department"], s["count"]) for s in data.pop("slots")]
        codes = data.pop("scope_codes", None)
        if codes:
            data["directed"] = False  # the list makes it directed below
        user = self.request.user
        with atomic_action():
            task = self.run(actions.create_task, user, plan, data, slots, reason=API_REASON)
            if codes:
                self._set_list(task, codes)
        serializer.instance = task

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        slots = data.pop("slots", None)
        codes = data.pop("scope_codes", None)
        task = serializer.instance
        with atomic_action():
            if codes:
                self._set_list(task, codes)
            self.run(actions.update_task, self.request.user, task, data,
                     None if slots is None else [actions.Slot(s["department"], s["count"]) for s in slots],
                     reason=API_REASON)
        serializer.instance = Task.objects.get(pk=task.pk)

    def _set_list(self, task: Task, codes: list[str]) -> None:
        try:
            self.run(actions.set_scope_list, self.request.user, task, _codes(codes), reason=API_REASON)
        except ImportRejected as exc:
            raise serializers.ValidationError({"scope_codes": [str(e) for e in exc.errors]})


def register(router: DefaultRouter) -> None:
    """Add the planning endpoints under ``planning/`` to the project's API router."""
    router.register("planning/item-lists", ItemListViewSet, basename="planning-itemlist")
    router.register("planning/items", CheckItemViewSet, basename="planning-item")
    router.register("planning/plans", PlanViewSet, basename="planning-plan")
    router.register("planning/tasks", TaskViewSet, basename="planning-task")

"""REST API of 系统数据检查 (read-only; imports and runs go through the pages and the CLI).

``register(router)`` adds ``/api/screening/batches/``, ``/api/screening/runs/`` and
``/api/screening/hits/?run=ID&rule=…&institution=…``. Batches and runs are visible when the batch
holds claims of the user's area; hits come from ``Hit.objects.restrict(user, "view")``. 人员编号 is
masked.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter

from spotcheck.directory.filters import IdFilter

from .models import ClaimBatch, Hit, ScreeningRun, mask_psn_no
from .rules import RULE_NAMES


class BatchSerializer(serializers.ModelSerializer):
    """Counts are those of the institutions in the user's area."""

    class Meta:
        model = ClaimBatch
        fields = ["id", "period", "source", "imported_at", "visit_count", "settlement_count", "fee_count"]

    def to_representation(self, batch: ClaimBatch) -> dict[str, Any]:
        data = super().to_representation(batch)
        mine = batch.counts_for(self.context["request"].user)
        data.update(visit_count=mine["visits"], settlement_count=mine["settlements"], fee_count=mine["fees"])
        return data


class RunSerializer(serializers.ModelSerializer):
    """Counts and amounts are those of the hits in the user's area."""

    class Meta:
        model = ScreeningRun
        fields = ["id", "batch", "run_by_name", "run_at", "parameters", "counts", "amounts", "hit_count",
                  "amount_total"]

    def to_representation(self, run: ScreeningRun) -> dict[str, Any]:
        data = super().to_representation(run)
        mine = run.totals_for(self.context["request"].user)
        data.update(counts=mine["counts"], amounts=mine["amounts"], hit_count=mine["hit_count"],
                    amount_total=f"{mine['amount_total']:.2f}")
        return data


class HitSerializer(serializers.ModelSerializer):
    rule_name = serializers.SerializerMethodField()
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code", read_only=True)
    psn_no = serializers.SerializerMethodField()

    class Meta:
        model = Hit
        fields = ["id", "run", "rule", "rule_name", "institution", "fixmedins_code", "region_code", "mdtrt_id",
                  "fee_ids", "setl_ids", "psn_no", "day", "amount", "explanation"]

    def get_rule_name(self, hit: Hit) -> str:
        return RULE_NAMES.get(hit.rule, hit.rule)

    def get_psn_no(self, hit: Hit) -> str:
        return mask_psn_no(hit.psn_no)


class HitFilter(df.FilterSet):
    run = IdFilter(field_name="run_id")
    institution = IdFilter(field_name="institution_id")
    rule = df.ChoiceFilter(choices=list(RULE_NAMES.items()))

    class Meta:
        model = Hit
        fields = ["run", "institution", "rule"]


class BatchViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BatchSerializer
    queryset = ClaimBatch.objects.none()

    def get_queryset(self) -> QuerySet[ClaimBatch]:
        return ClaimBatch.objects.restrict(self.request.user).order_by("-id")


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RunSerializer
    queryset = ScreeningRun.objects.none()

    def get_queryset(self) -> Any:
        return ScreeningRun.objects.restrict(self.request.user).order_by("-id")


class HitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HitSerializer
    queryset = Hit.objects.none()
    filterset_class = HitFilter
    ordering_fields = ["amount", "id"]

    def get_queryset(self) -> Any:
        return Hit.objects.restrict(self.request.user, "view").select_related("institution").order_by("id")


def register(router: DefaultRouter) -> None:
    router.register("screening/batches", BatchViewSet, basename="screening-batch")
    router.register("screening/runs", RunViewSet, basename="screening-run")
    router.register("screening/hits", HitViewSet, basename="screening-hit")

"""Claims data (结算数据) imported per batch, and screening runs with their hits.

Field names follow the national platform tables ``mdtrt_d`` (Visit), ``setl_d`` (Settlement) and
``fee_list_d`` (FeeItem). Every row keeps its institution's ``region_code`` (denormalised) so the
area scope is one indexed equality/prefix filter. ``psn_no`` is stored in full and masked on display
(:func:`mask_psn_no`). Screening runs and hits are append-only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from spotcheck.base.models import AppendOnlyModel, AppendOnlyQuerySet, ScopedModel
from spotcheck.base.permissions import can
from spotcheck.base.scope import ScopedQuerySet
from spotcheck.core.masking import MASK_CHAR

from .rules import RULE_NAMES

MONEY = {"max_digits": 14, "decimal_places": 2}


def mask_psn_no(value: str) -> str:
    """人员编号: keep the first 4 and last 2 characters."""
    if len(value) <= 6:
        return MASK_CHAR * len(value)
    return value[:4] + MASK_CHAR * (len(value) - 6) + value[-2:]


class ClaimBatchQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ClaimBatchQuerySet:
        """Batches holding claims of an institution in ``user``'s area (a batch spans areas, so its
        scope is that of its visits: ``Visit.objects.restrict``)."""
        if not can(user, action):
            return self.none()
        if user.scope_prefix is None:
            return self
        return self.filter(models.Exists(Visit.objects.restrict(user, action).filter(batch=models.OuterRef("pk"))))


class ClaimBatch(models.Model):
    """One import: the three tables of one period (``YYYY-MM``)."""

    period = models.CharField("数据期间", max_length=7, db_index=True)
    source = models.CharField("来源文件", max_length=500, blank=True, default="")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name="导入人",
        related_name="+",
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    visit_count = models.PositiveIntegerField("就诊记录数", default=0)
    settlement_count = models.PositiveIntegerField("结算记录数", default=0)
    fee_count = models.PositiveIntegerField("费用明细数", default=0)
    regions = models.JSONField("涉及区域", default=list)
    region_counts = models.JSONField("各区域记录数", default=dict, help_text="{区域代码: [就诊, 结算, 费用明细]}")

    objects = ClaimBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "结算数据批次"
        verbose_name_plural = "结算数据批次"

    def __str__(self) -> str:
        return f"批次 {self.pk}（{self.period}）"

    @property
    def audit_region_code(self) -> str:
        return self.regions[0] if len(self.regions) == 1 else ""

    def counts_for(self, user: Any) -> dict[str, int]:
        """Visits, settlements and fee lines of the institutions in ``user``'s area."""
        if getattr(user, "scope_prefix", None) is None:
            return {"visits": self.visit_count, "settlements": self.settlement_count, "fees": self.fee_count}
        mine = [v for region, v in self.region_counts.items() if user.in_scope(region)]
        return {"visits": sum(v[0] for v in mine), "settlements": sum(v[1] for v in mine),
                "fees": sum(v[2] for v in mine)}


class _ClaimRow(ScopedModel):
    batch = models.ForeignKey(ClaimBatch, on_delete=models.CASCADE, verbose_name="批次")
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.PROTECT, verbose_name="定点医药机构", related_name="+"
    )
    region_code = models.CharField("区域", max_length=6)
    vali_flag = models.CharField("有效标志", max_length=1, default="1")

    scope_field = "region_code"

    class Meta:
        abstract = True


class Visit(_ClaimRow):
    """就诊信息 (mdtrt_d)."""

    mdtrt_id = models.CharField("就诊ID", max_length=40)
    psn_no = models.CharField("人员编号", max_length=40)
    gend = models.CharField("性别", max_length=1, blank=True, default="")
    brdy = models.DateField("出生日期", null=True, blank=True)
    begntime = models.DateTimeField("开始时间")
    endtime = models.DateTimeField("结束时间", null=True, blank=True)
    med_type = models.CharField("医疗类别", max_length=6)
    dscg_maindiag_code = models.CharField("出院主诊断代码", max_length=30, blank=True, default="")

    class Meta:
        verbose_name = "就诊信息"
        verbose_name_plural = "就诊信息"
        constraints = [models.UniqueConstraint(fields=["batch", "mdtrt_id"], name="scr_visit_unique")]
        indexes = [
            models.Index(fields=["batch", "psn_no", "institution", "begntime"], name="scr_visit_psn"),
            models.Index(fields=["batch", "region_code"], name="scr_visit_region"),
        ]

    def __str__(self) -> str:
        return f"就诊 {self.mdtrt_id}"


class Settlement(_ClaimRow):
    """结算信息 (setl_d)."""

    setl_id = models.CharField("结算ID", max_length=40)
    mdtrt_id = models.CharField("就诊ID", max_length=40)
    psn_no = models.CharField("人员编号", max_length=40)
    setl_time = models.DateTimeField("结算时间")
    medfee_sumamt = models.DecimalField("医疗费总额", **MONEY)
    inscp_amt = models.DecimalField("符合范围金额", **MONEY, default=0)
    fund_pay_sumamt = models.DecimalField("基金支付总额", **MONEY, default=0)

    class Meta:
        verbose_name = "结算信息"
        verbose_name_plural = "结算信息"
        constraints = [models.UniqueConstraint(fields=["batch", "setl_id"], name="scr_setl_unique")]
        indexes = [
            models.Index(fields=["batch", "psn_no", "setl_time"], name="scr_setl_psn"),
            models.Index(fields=["batch", "mdtrt_id"], name="scr_setl_mdtrt"),
        ]

    def __str__(self) -> str:
        return f"结算 {self.setl_id}"


class FeeItem(_ClaimRow):
    """费用明细 (fee_list_d)."""

    feedetl_sn = models.CharField("费用明细流水号", max_length=40)
    mdtrt_id = models.CharField("就诊ID", max_length=40)
    setl_id = models.CharField("结算ID", max_length=40, blank=True, default="")
    fee_ocur_time = models.DateTimeField("费用发生时间")
    fee_day = models.DateField("费用发生日期")
    hilist_code = models.CharField("医保目录编码", max_length=50)
    hilist_name = models.CharField("医保目录名称", max_length=200)
    cnt = models.DecimalField("数量", max_digits=14, decimal_places=4)
    pric = models.DecimalField("单价", max_digits=14, decimal_places=4)
    det_item_fee_sumamt = models.DecimalField("明细项目费用总额", **MONEY)
    pric_uplmt_amt = models.DecimalField("最高限价", max_digits=14, decimal_places=4, null=True, blank=True)
    inscp_amt = models.DecimalField("符合范围金额", **MONEY, default=0)
    prd_days = models.PositiveIntegerField("周期天数", null=True, blank=True)

    class Meta:
        verbose_name = "费用明细"
        verbose_name_plural = "费用明细"
        constraints = [models.UniqueConstraint(fields=["batch", "feedetl_sn"], name="scr_fee_unique")]
        indexes = [
            models.Index(fields=["batch", "hilist_code", "fee_day"], name="scr_fee_code_day"),
            models.Index(fields=["batch", "mdtrt_id", "fee_day"], name="scr_fee_mdtrt_day"),
        ]

    def __str__(self) -> str:
        return f"费用明细 {self.feedetl_sn}"


class _AppendOnly(AppendOnlyModel):
    """Runs and hits: written once, never changed or deleted."""

    append_only_noun = "筛查记录"
    immutable = True

    class Meta:
        abstract = True


class ScreeningRunQuerySet(AppendOnlyQuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """Runs of the batches ``user`` may ``action`` (``ClaimBatch.objects.restrict``)."""
        return self.filter(batch__in=ClaimBatch.objects.restrict(user, action))


class ScreeningRun(_AppendOnly):
    """One run of every rule over a batch: who, when, the parameters in force and the counts.

    A run spans areas as its batch does: it is scoped through the batch, not by a ``scope_field``."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.PROTECT, related_name="runs", verbose_name="批次")
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="执行人",
    )
    run_by_name = models.CharField("执行人", max_length=150, blank=True, default="")
    run_at = models.DateTimeField("执行时间", auto_now_add=True)
    parameters = models.JSONField("所用参数", default=dict)
    counts = models.JSONField("各规则命中数", default=dict)
    amounts = models.JSONField("各规则风险金额", default=dict)
    hit_count = models.PositiveIntegerField("命中总数", default=0)
    amount_total = models.DecimalField("风险金额合计", **MONEY, default=0)

    objects = ScreeningRunQuerySet.as_manager()

    class Meta:
        ordering = ["-run_at", "-id"]
        verbose_name = "筛查运行"
        verbose_name_plural = "筛查运行"

    def __str__(self) -> str:
        return f"筛查 {self.pk}（批次 {self.batch_id}）"

    @property
    def audit_region_code(self) -> str:
        return self.batch.audit_region_code

    def totals_for(self, user: Any) -> dict[str, Any]:
        """Hits and amount at risk per rule, counting only hits in ``user``'s area."""
        from django.db.models import Count, Sum

        if getattr(user, "scope_prefix", None) is None:
            return {"counts": self.counts, "amounts": self.amounts, "hit_count": self.hit_count,
                    "amount_total": self.amount_total}
        rows = {r["rule"]: r for r in Hit.objects.restrict(user, "view").filter(run=self)
                .values("rule").annotate(n=Count("id"), amount=Sum("amount"))}
        counts = {rule: rows[rule]["n"] if rule in rows else 0 for rule in RULE_NAMES}
        amounts = {rule: str(rows[rule]["amount"]) if rule in rows else "0.00" for rule in RULE_NAMES}
        total = sum((r["amount"] for r in rows.values()), Decimal("0.00"))
        return {"counts": counts, "amounts": amounts, "hit_count": sum(counts.values()), "amount_total": total}


class Hit(_AppendOnly):
    """One finding of one rule."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, related_name="hits", verbose_name="筛查运行")
    rule = models.CharField("规则", max_length=30, choices=list(RULE_NAMES.items()))
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.PROTECT, related_name="+", verbose_name="定点医药机构"
    )
    region_code = models.CharField("区域", max_length=6)
    mdtrt_id = models.CharField("就诊ID", max_length=40, blank=True, default="")
    fee_ids = models.JSONField("费用明细流水号", default=list)
    setl_ids = models.JSONField("结算ID", default=list)
    psn_no = models.CharField("人员编号", max_length=40, blank=True, default="")
    day = models.DateField("日期", null=True, blank=True)
    amount = models.DecimalField("风险金额", **MONEY)
    explanation = models.TextField("说明")

    scope_field = "region_code"

    class Meta:
        ordering = ["id"]
        verbose_name = "筛查疑点"
        verbose_name_plural = "筛查疑点"
        indexes = [
            models.Index(fields=["run", "region_code", "institution"], name="scr_hit_run_region"),
            models.Index(fields=["run", "institution", "rule"], name="scr_hit_run_inst"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}（{self.mdtrt_id}）"

    @property
    def psn_masked(self) -> str:
        return mask_psn_no(self.psn_no)

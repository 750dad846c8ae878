"""On-site inspections (seed 附件1/附件2, 阳城 方案): one record per drawn institution.

Flow of an :class:`Inspection`: ``planned`` (created for each active draw assignment) → ``notified``
(检查告知书 issued, team on site) → ``recorded`` (checklist, findings and result type entered, the
institution confirmed) → ``reviewed`` (a reviewer other than the recorder approved) → ``published``
(set by the portal when the result is published). A reviewer may send a record back to ``notified``
with a reason. Area scope follows the task's area (谁检查、谁录入、谁公示).

Evidence files are append-only: each stores its SHA-256, size, type and capture time, and its upload
is an audit event. Findings carry the lenience recommendation made when they were entered and the
person's decision; a decision that differs from the recommendation needs a reason.

The editable 包容审慎清单 (:class:`LenienceEntry`, :class:`LenienceCircumstance`) and the violation
catalogue (:class:`ViolationType`) are data here; ``spotcheck.core.lenience`` holds the pure rules.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from spotcheck.base.models import AppendOnlyModel, ScopedModel
from spotcheck.base.roles import Role
from spotcheck.base.scope import ScopedQuerySet
from spotcheck.directory.models import Inspector, Institution, Region
from spotcheck.draws.models import Assignment
from spotcheck.planning.models import CheckItem, Task, TaskStatus

# --- Catalogues (editable data) --------------------------------------------------------------------


class CatalogueKind(models.TextChoices):
    HOSPITAL = "H", "定点医疗机构"
    PHARMACY = "P", "定点零售药店"


class ViolationType(models.Model):
    """One entry of the violation catalogue (阳城 方案: nine for hospitals, nine for pharmacies).

    ``act_code`` links to the lenience lists and the 条例 article (``"38-duplicate-charge"``)."""

    kind = models.CharField("适用机构", max_length=1, choices=CatalogueKind.choices)
    seq = models.PositiveSmallIntegerField("序号")
    name = models.CharField("违规行为", max_length=200)
    act_code = models.CharField("违法行为代码", max_length=40, help_text="条例条号-英文短名，如 38-duplicate-charge")
    article = models.PositiveSmallIntegerField("《条例》条款", help_text="38、39、40 …")
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["kind", "seq"]
        verbose_name = "违规行为类型"
        verbose_name_plural = "违规行为类型"
        constraints = [models.UniqueConstraint(fields=["kind", "seq"], name="violationtype_unique_seq")]

    def __str__(self) -> str:
        return self.name


class LenienceList(models.TextChoices):
    NO_PENALTY = "不予处罚", "不予处罚事项清单"
    FIRST_OFFENCE = "首违不罚", "首违不罚事项清单"
    MITIGATED = "减轻处罚", "减轻处罚事项清单"
    LIGHTER = "从轻处罚", "从轻处罚事项清单"


class LenienceEntry(models.Model):
    """One row of a 包容审慎清单 (seed 附件5), editable by an admin.

    ``conditions`` is a list of ``{"kind": "amount_below_threshold" | "first_time" | "circumstance",
    "article": "第六条"}`` — the entry applies when any of them holds (``spotcheck.core.lenience``)."""

    kind = models.CharField("清单", max_length=8, choices=LenienceList.choices)
    number = models.PositiveSmallIntegerField("序号")
    act_code = models.CharField("违法行为代码", max_length=40)
    act_text = models.CharField("行政处罚事项", max_length=300)
    setting_basis = models.TextField("设定法律依据")
    basis = models.TextField("从宽处理法律依据")
    conditions = models.JSONField("适用情形", default=list)
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["kind", "number"]
        verbose_name = "包容审慎清单条目"
        verbose_name_plural = "包容审慎清单条目"
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="lenienceentry_unique_number")]

    def __str__(self) -> str:
        return f"{self.kind}第{self.number}项 {self.act_text}"


class LenienceCircumstance(models.Model):
    """A circumstance of the provincial 裁量基准 (第六/七/八条); its text is edited by an admin."""

    code = models.CharField("代码", max_length=30, unique=True)
    article = models.CharField("条款", max_length=20, help_text="如 第六条")
    text = models.TextField("情形")
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["article", "code"]
        verbose_name = "裁量情形"
        verbose_name_plural = "裁量情形"

    def __str__(self) -> str:
        return f"{self.article} {self.code}"


# --- The inspection record -------------------------------------------------------------------------


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", "待检查"
    NOTIFIED = "notified", "已告知/检查中"
    RECORDED = "recorded", "已录入待审核"
    REVIEWED = "reviewed", "已审核"
    PUBLISHED = "published", "已公示"


class ResultType(models.TextChoices):
    """Exactly the seed's four result types (附件2)."""

    NO_PROBLEM = "no_problem", "未发现问题"
    CORRECTED = "corrected", "发现问题已责令改正"
    UNCOOPERATIVE = "uncooperative", "不配合检查情节严重"
    PENDING = "pending", "发现问题待后续处理"


class InspectionQuerySet(ScopedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """Area scope; an inspector-role user only their teams' inspections, and only once the task's
        inspection period has started (不提前告知, as ``draws.access`` does for the drawn list)."""
        qs = super().restrict(user, action)
        if getattr(user, "role", None) != Role.INSPECTOR or user.is_superuser:
            return qs
        if not user.inspector_number:
            return qs.none()
        started = models.Q(task__status=TaskStatus.INSPECTING) | models.Q(task__period_start__lte=timezone.localdate())
        team = Assignment.objects.filter(members__active=True, members__inspector__number=user.inspector_number)
        return qs.filter(started, assignment__in=team)


class Inspection(ScopedModel):
    """The check of one drawn institution by its team (``assignment.members``, active rows)."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="inspection", verbose_name="抽中记录"
    )
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="inspections", verbose_name="抽查任务")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="inspections", verbose_name="检查对象"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="检查区域", help_text="= 任务区域（谁检查、谁录入）"
    )
    status = models.CharField(
        "状态", max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED, db_index=True
    )
    planned_date = models.DateField("计划检查日期", null=True, blank=True)
    notice_number = models.CharField("检查告知书文号", max_length=60, blank=True, default="")
    notified_at = models.DateTimeField("告知时间", null=True, blank=True)
    started_on = models.DateField("检查开始日期", null=True, blank=True)
    ended_on = models.DateField("检查结束日期", null=True, blank=True)
    due_date = models.DateField(
        "录入与公示截止日", null=True, blank=True, db_index=True, help_text="检查结束日起 N 个工作日（政策参数）"
    )

    result_type = models.CharField("检查结果", max_length=14, choices=ResultType.choices, blank=True, default="")
    result_summary = models.TextField("结果说明", blank=True, default="")
    handling = models.TextField("处理情况", blank=True, default="", help_text="责令改正、移交、立案等处理")
    result_notice_number = models.CharField("检查结果告知书文号", max_length=60, blank=True, default="")

    confirmed_by_name = models.CharField("被检查单位确认人", max_length=50, blank=True, default="")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    draft = models.JSONField("现场草稿", default=dict, blank=True, help_text="手机端边录边存的草稿")
    draft_saved_at = models.DateTimeField("草稿保存时间", null=True, blank=True)

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="录入人",
    )
    recorded_at = models.DateTimeField("录入时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True, default="")
    published_at = models.DateTimeField("公示时间", null=True, blank=True)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_field = "region__code"
    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["task_id", "assignment__position", "id"]
        verbose_name = "现场检查"
        verbose_name_plural = "现场检查"
        indexes = [models.Index(fields=["region", "status", "due_date"], name="insp_region_status_due")]

    def __str__(self) -> str:
        return f"{self.task.name} · {self.institution.name}"

    def active_members(self) -> models.QuerySet[Any]:
        """The team as it stands (replaced members excluded), in slot order."""
        return self.assignment.members.filter(active=True).select_related("inspector__department")

    def team_inspectors(self) -> list[Inspector]:
        return [m.inspector for m in self.active_members()]


class ChecklistOutcome(models.TextChoices):
    UNCHECKED = "", "未检查"
    COMPLIANT = "compliant", "符合"
    NONCOMPLIANT = "noncompliant", "不符合"
    NOT_APPLICABLE = "na", "不适用"


class ChecklistEntry(ScopedModel):
    """A line of the 检查表: from a task item (``check_item``) or the violation catalogue."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="checklist")
    seq = models.PositiveSmallIntegerField("序号")
    check_item = models.ForeignKey(
        CheckItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="抽查事项"
    )
    violation_type = models.ForeignKey(
        ViolationType, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="违规行为类型"
    )
    text = models.CharField("检查内容", max_length=300)
    outcome = models.CharField("检查情况", max_length=12, choices=ChecklistOutcome.choices, blank=True, default="")
    note = models.TextField("说明", blank=True, default="")

    scope_field = "inspection__region__code"

    class Meta:
        ordering = ["inspection_id", "seq"]
        verbose_name = "检查表条目"
        verbose_name_plural = "检查表条目"
        constraints = [models.UniqueConstraint(fields=["inspection", "seq"], name="checklist_unique_seq")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.text}"


class Treatment(models.TextChoices):
    """Treatments of a finding; the first four are the lenience lists (``core.lenience.Treatment``)."""

    NO_PENALTY = "不予处罚", "不予处罚"
    FIRST_OFFENCE = "首违不罚", "首违不罚"
    MITIGATED = "减轻处罚", "减轻处罚"
    LIGHTER = "从轻处罚", "从轻处罚"
    STATUTORY = "依法处罚", "依法处罚"


class FindingQuerySet(ScopedQuerySet):
    def counted(self) -> FindingQuerySet:
        """Findings that count: not voided (作废). Counts, amounts, lenience history, review, documents,
        publication snapshots and credit records use only these."""
        return self.filter(voided_at__isnull=True)


FindingManager = models.Manager.from_queryset(FindingQuerySet)


class Finding(ScopedModel):
    """A problem found: violation type with its 条例 article, amount (元), evidence, on-site correction,
    the product's recommendation (kept as made) and the person's decision.

    A finding is never deleted. Before review the recorder or the reviewer may void (作废) it with a
    reason (``voided_at``/``voided_by``/``void_reason``): the row and its evidence stay, shown struck
    through, and it no longer counts anywhere (``Finding.objects.counted()``). After publication only a
    published correction changes a finding; each change is a :class:`FindingCorrection` row that keeps
    the values before it."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    violation_type = models.ForeignKey(
        ViolationType, on_delete=models.PROTECT, related_name="findings", verbose_name="违规行为类型"
    )
    act_code = models.CharField("违法行为代码", max_length=40)
    article = models.PositiveSmallIntegerField("《条例》条款")
    description = models.TextField("问题描述")
    amount = models.DecimalField("涉及金额（元）", max_digits=14, decimal_places=2)
    corrected_on_site = models.BooleanField("当场改正", default=False)
    circumstances = models.JSONField("符合的裁量情形", default=list, blank=True, help_text="LenienceCircumstance.code 列表")
    earlier_same_act_count = models.PositiveIntegerField("回溯期内同一行为此前发现次数", default=0)

    recommended_treatment = models.CharField("建议处理", max_length=8, choices=Treatment.choices, blank=True, default="")
    recommended_entry = models.JSONField("依据清单条目", null=True, blank=True, help_text="建议时的清单条目快照")
    recommendation = models.TextField("建议说明", blank=True, default="")
    statutory_range = models.TextField("法定处罚幅度", blank=True, default="")

    decided_treatment = models.CharField("决定处理", max_length=8, choices=Treatment.choices, blank=True, default="")
    deviation_reason = models.TextField("与建议不一致的理由", blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="决定人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    refund_amount = models.DecimalField("责令退回金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    penalty_amount = models.DecimalField("罚款金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    penalty_executed = models.BooleanField("处罚已执行", default=False)
    penalty_decision_number = models.CharField("处罚决定书文号", max_length=60, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="作废人",
    )
    void_reason = models.TextField("作废理由", blank=True, default="")

    scope_field = "inspection__region__code"
    objects = FindingManager()

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = "检查发现的问题"
        verbose_name_plural = "检查发现的问题"

    def __str__(self) -> str:
        return f"{self.violation_type.name} {self.amount} 元"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class FindingCorrection(AppendOnlyModel):
    """One change of a finding made by a published correction (更正) after publication. Append-only.

    ``before`` and ``after`` hold the changed fields (amounts as strings with 2 decimals, ``voided``)
    as they were before and after; ``version`` is the publication version that published the change.
    The published snapshots themselves are never changed: the earlier version keeps what it showed."""

    append_only_noun = "问题更正记录"
    immutable = True

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="corrections",
                                verbose_name="问题")
    version = models.PositiveSmallIntegerField("公示版本", help_text="发布该更正的公示版本号")
    voided = models.BooleanField("作废", default=False)
    before = models.JSONField("更正前", default=dict)
    after = models.JSONField("更正后", default=dict)
    reason = models.TextField("更正原因")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="更正人",
    )
    corrected_at = models.DateTimeField("更正时间")

    scope_field = "finding__inspection__region__code"

    class Meta:
        ordering = ["finding_id", "corrected_at", "id"]
        verbose_name = "问题更正"
        verbose_name_plural = "问题更正"

    #: Labels of the fields a correction may change, in display order.
    LABELS = {"description": "问题描述", "amount": "涉及金额", "refund_amount": "责令退回金额",
              "penalty_amount": "罚款金额"}

    def __str__(self) -> str:
        return f"{self.finding} 第{self.version}版更正"

    @property
    def lines(self) -> list[str]:
        """The change in plain Chinese, one line per field (``涉及金额：800.00 元 → 400.00 元``)."""
        if self.voided:
            return ["已作废"]

        def shown(key: str, value: Any) -> str:
            if value in (None, ""):
                return "（空）"
            return str(value) if key == "description" else f"{value} 元"

        return [f"{label}：{shown(key, self.before.get(key))} → {shown(key, self.after.get(key))}"
                for key, label in self.LABELS.items() if key in self.after]


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", "照片"
    VIDEO = "video", "视频"
    DOCUMENT = "document", "文件"
    SIGNATURE = "signature", "签名/签章页"
    RECEIPT = "receipt", "回执"


class Evidence(AppendOnlyModel):
    """An uploaded file (全过程执法记录). Append-only: never deleted, never overwritten."""

    append_only_noun = "检查证据"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="evidence")
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="关联问题"
    )
    kind = models.CharField("类型", max_length=10, choices=EvidenceKind.choices)
    file = models.FileField("文件", upload_to="evidence/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    captured_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    scope_field = "inspection__region__code"

    class Meta:
        ordering = ["inspection_id", "uploaded_at", "id"]
        verbose_name = "检查证据"
        verbose_name_plural = "检查证据"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class Agency(models.TextChoices):
    POLICE = "police", "公安机关"
    HEALTH = "health", "卫生健康部门"
    MARKET = "market", "市场监督管理部门"
    DISCIPLINE = "discipline", "纪检监察机关"


class Referral(ScopedModel):
    """移交: a finding (or the whole case) handed to another authority, with its receipt."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="referrals")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField("移交机关", max_length=12, choices=Agency.choices)
    agency_name = models.CharField("接收单位名称", max_length=100, blank=True, default="")
    reason = models.TextField("移交理由")
    document_number = models.CharField("移交函文号", max_length=60, blank=True, default="")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField("移交时间")
    receipt_at = models.DateTimeField("回执时间", null=True, blank=True)
    receipt_note = models.TextField("回执说明", blank=True, default="")
    receipt = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="回执文件"
    )

    scope_field = "inspection__region__code"

    class Meta:
        ordering = ["-referred_at", "id"]
        verbose_name = "案件移交"
        verbose_name_plural = "案件移交"

    def __str__(self) -> str:
        return f"移交{self.get_agency_display()}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", "整改中"
    SUBMITTED = "submitted", "已提交整改材料"
    CLOSED = "closed", "已销号"


class Rectification(ScopedModel):
    """整改: what must be corrected by when, the evidence of completion, closure by a reviewer."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="rectifications")
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="rectifications"
    )
    requirement = models.TextField("整改要求")
    due_date = models.DateField("整改期限")
    status = models.CharField(
        "状态", max_length=10, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    completion_note = models.TextField("整改情况", blank=True, default="")
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="+", verbose_name="整改证据")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="整改材料提交人",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("下达时间", auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True, default="")

    scope_field = "inspection__region__code"

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "整改"
        verbose_name_plural = "整改"

    def __str__(self) -> str:
        return f"整改至 {self.due_date}"


class NumberSequence(models.Model):
    """Per-area, per-year counters of document numbers (检查告知书, 检查结果告知书), locked when used."""

    region_code = models.CharField("区域", max_length=6)
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("文书", max_length=20)
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "文号序号"
        verbose_name_plural = "文号序号"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year", "kind"], name="numbersequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year} {self.kind} {self.last}"

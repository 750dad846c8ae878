"""Credit files of 医疗保障信用主体 (seed 附件3): subjects, records, evaluations, objections, repair, measures.

A :class:`CreditSubject` is an institution (统一社会信用代码) or a person (身份证号, masked outside the
bureau); designated institutions link to ``directory.Institution``. Its file holds the basic
information (第六条) and :class:`CreditRecord` rows: 守信信息 (第七条) and 不良信息 (第八条).

Records are append-only: a change of state (a correction after an objection, a penalty executed, a
finding re-decided) marks the old row ``superseded`` or ``closed`` with the day it stopped counting
(``withdrawn_on``) and, when something replaces it, adds a new row that points to the old one.
Records made from inspections carry ``link_key`` (``finding:<id>`` / ``penalty:<id>``): at most
one *active* row per key, so sending a signal twice changes nothing.

Every row reaches a 6-digit region code through ``scope_field`` (the subject's area).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spotcheck.base.fields import DigestField, EncryptedCharField
from spotcheck.base.models import AppendOnlyModel, ScopedModel
from spotcheck.core.masking import mask_id_number
from spotcheck.directory.models import Institution, Region

#: Credit files are read by staff holding ``credit`` (their area) and by auditors (everything); an
#: institution account reads its own file only (``self_scope_field``; see ``spotcheck.base.scope``).
READ_PERMISSIONS = ("credit", "audit")


class SubjectKind(models.TextChoices):
    ORG = "org", "机构"
    PERSON = "person", "个人"


class SubjectCategory(models.TextChoices):
    """附件3 第三条."""

    MEDICAL = "medical", "定点医疗机构"
    PHARMACY = "pharmacy", "定点零售药店"
    EMPLOYER = "employer", "参保单位"
    AGENCY = "agency", "承办经办业务的第三方机构"
    ENTERPRISE = "enterprise", "医药生产和流通企业"
    OTHER_ORG = "other_org", "其他机构"
    PROFESSIONAL = "professional", "医师、护士、药师等专业技术人员"
    INSURED = "insured", "参保人员"
    OTHER_PERSON = "other_person", "其他个人"


ORG_CATEGORIES = frozenset({"medical", "pharmacy", "employer", "agency", "enterprise", "other_org"})


class CreditSubject(ScopedModel):
    """信用主体 and its basic information (第六条)."""

    kind = models.CharField("主体类别", max_length=6, choices=SubjectKind.choices)
    category = models.CharField("主体类型", max_length=12, choices=SubjectCategory.choices, db_index=True)
    name = models.CharField("名称/姓名", max_length=100, db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, default="", db_index=True)
    # encrypted at rest (SM4-GCM); unique and looked up through its digest: id_number__matches
    id_number = EncryptedCharField("身份证号", max_length=18, blank=True, default="", kind="id_number",
                                   digest_field="id_number_digest")
    id_number_digest = DigestField("身份证号摘要", source="id_number", db_index=False)
    other_id = models.CharField("出入境证件号码", max_length=40, blank=True, default="")
    registration = models.CharField("执业注册信息", max_length=100, blank=True, default="")
    nature = models.CharField("单位性质", max_length=40, blank=True, default="")
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True, default="")
    institution = models.OneToOneField(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_subject",
        verbose_name="定点医药机构",
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="所属区域")
    grade = models.CharField("当前信用等级", max_length=4, blank=True, default="", db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="建档人",
    )
    created_at = models.DateTimeField("建档时间", auto_now_add=True)

    scope_field = "region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "institution__fixmedins_code"

    class Meta:
        ordering = ["region_id", "name", "id"]
        verbose_name = "信用主体"
        verbose_name_plural = "信用主体"
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=~models.Q(uscc=""), name="creditsubject_unique_uscc"
            ),
            models.UniqueConstraint(
                fields=["id_number_digest"], condition=~models.Q(id_number_digest=""),
                name="creditsubject_unique_id_number_digest", violation_error_message="该身份证号已有信用档案",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def identifier(self) -> str:
        """USCC of an institution, the masked 身份证号 of a person (never the full number)."""
        if self.kind == SubjectKind.ORG:
            return self.uscc
        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def fixmedins_code(self) -> str:
        return self.institution.fixmedins_code if self.institution_id else ""


class RecordKind(models.TextChoices):
    GOOD = "good", "守信信息"
    BAD = "bad", "不良信息"


class RecordType(models.TextChoices):
    """Record types of the scoring model (``spotcheck.core.credit``) with their article."""

    AWARD = "award", "表彰、奖励（第七条（一））"
    VERIFIED_REPORT = "verified_report", "举报欺诈骗保经查实（第七条（二））"
    COMMITMENT = "commitment", "主动守信承诺（第七条（三））"
    OTHER_GOOD = "other_good", "其他守信信息（第七条（四））"
    UNEXECUTED_PENALTY = "unexecuted_penalty", "拒不履行行政处罚或行政决定（第八条（一））"
    PENALTY = "penalty", "受到医疗保障部门处罚（第八条（二））"
    PROCUREMENT = "procurement", "扰乱集中采购秩序（第八条（三））"
    OTHER_BAD = "other_bad", "其他失信信息（第八条（四））"
    FINDING = "finding", "检查发现违规问题"
    SEVERE = "severe_dishonesty", "严重失信"


GOOD_TYPES = frozenset({"award", "verified_report", "commitment", "other_good"})
#: Types that need a severity in the default model.
SEVERITY_TYPES = frozenset({"penalty", "finding"})


class Severity(models.TextChoices):
    NONE = "", "—"
    MINOR = "minor", "轻微"
    MODERATE = "moderate", "一般"
    MAJOR = "major", "严重"


class RecordSource(models.TextChoices):
    INSPECTION = "inspection", "现场检查（自动）"
    MANUAL = "manual", "本局录入"
    SHARED = "shared", "其他部门共享"
    CORRECTION = "correction", "异议更正"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    SUPERSEDED = "superseded", "已更正（被新记录替代）"
    CLOSED = "closed", "已结案/已撤销"


class CreditRecord(AppendOnlyModel):
    """One 守信信息 or 不良信息 with source, date, evidence, validity and who entered it."""

    append_only_noun = "信用信息"
    append_only_rule = "只能追加和更正"

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="records", verbose_name="信用主体")
    kind = models.CharField("信息类别", max_length=4, choices=RecordKind.choices, db_index=True)
    record_type = models.CharField("信息类型", max_length=20, choices=RecordType.choices)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices, blank=True, default="")
    title = models.CharField("事项", max_length=200)
    description = models.TextField("详细内容", blank=True, default="")
    source = models.CharField("来源", max_length=12, choices=RecordSource.choices)
    provider = models.CharField("信息提供单位", max_length=100, blank=True, default="")
    document_number = models.CharField("文书编号", max_length=60, blank=True, default="")
    occurred_on = models.DateField("认定/发生日期")
    recorded_on = models.DateField("记入日期", db_index=True)
    valid_until = models.DateField("有效期至", null=True, blank=True, help_text="空 = 长期有效")
    evidence = models.FileField("证明材料", upload_to="credit/%Y/%m/", blank=True)
    evidence_name = models.CharField("证明材料文件名", max_length=200, blank=True, default="")
    evidence_sha256 = models.CharField("证明材料 SHA-256", max_length=64, blank=True, default="")
    inspection = models.ForeignKey(
        "inspections.Inspection", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records",
        verbose_name="来源检查",
    )
    finding = models.ForeignKey(
        "inspections.Finding", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records",
        verbose_name="来源问题",
    )
    link_key = models.CharField("来源键", max_length=40, blank=True, default="", db_index=True)
    state = models.JSONField("来源状态", default=dict, blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by",
        verbose_name="替代的记录",
    )
    status = models.CharField("状态", max_length=10, choices=RecordStatus.choices, default=RecordStatus.ACTIVE,
                              db_index=True)
    withdrawn_on = models.DateField("停止计分日期", null=True, blank=True)
    status_reason = models.CharField("状态说明", max_length=300, blank=True, default="")
    repaired_on = models.DateField("信用修复日期", null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="录入人",
    )
    entered_by_name = models.CharField("录入人", max_length=150, default="system")
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    scope_field = "subject__region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "subject__institution__fixmedins_code"

    class Meta:
        ordering = ["subject_id", "-recorded_on", "-id"]
        verbose_name = "信用信息"
        verbose_name_plural = "信用信息"
        constraints = [
            models.UniqueConstraint(
                fields=["link_key"], condition=models.Q(status="active") & ~models.Q(link_key=""),
                name="creditrecord_one_active_per_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"

    @property
    def ref(self) -> str:
        """The id shown in explanations."""
        return f"R{self.pk}"


class Evaluation(AppendOnlyModel):
    """A stored grade with its explanation (which records moved the score) and model version."""

    append_only_noun = "信用评价结果"

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="evaluations")
    cycle = models.CharField("评价周期", max_length=20, help_text="如 2023（自然年度）或 按需")
    as_of = models.DateField("评价基准日")
    score = models.IntegerField("得分")
    grade = models.CharField("信用等级", max_length=4)
    severe = models.BooleanField("严重失信", default=False)
    model_version = models.CharField("评分模型版本", max_length=40)
    explanation = models.JSONField("评分说明", default=list)
    on_demand = models.BooleanField("按需评价", default=False)
    evaluated_by_name = models.CharField("评价人", max_length=150, default="system")
    evaluated_at = models.DateTimeField("评价时间", auto_now_add=True, db_index=True)

    scope_field = "subject__region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "subject__institution__fixmedins_code"

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        verbose_name = "信用评价"
        verbose_name_plural = "信用评价"

    def __str__(self) -> str:
        return f"{self.subject} {self.cycle} {self.grade}"


class ScoringModelVersion(models.Model):
    """An installation's own scoring model (``core.credit.model_to_dict`` data); never edited in place."""

    version = models.CharField("版本", max_length=40, unique=True)
    definition = models.JSONField("模型定义")
    note = models.TextField("说明", blank=True, default="")
    created_by_name = models.CharField("创建人", max_length=150, default="system")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "信用评分模型"
        verbose_name_plural = "信用评分模型"

    def __str__(self) -> str:
        return self.version


class ObjectionStatus(models.TextChoices):
    OPEN = "open", "待处理"
    CORRECTED = "corrected", "异议成立，已更正"
    KEPT = "kept", "异议不成立，维持原记录"


class Objection(ScopedModel):
    """异议 (第十条) against one record; handled within ``credit.objection_deadline_workdays``."""

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="objections")
    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="objections",
                               verbose_name="异议的信用信息")
    reason = models.TextField("异议理由")
    evidence = models.FileField("证明材料", upload_to="credit/objections/%Y/%m/", blank=True)
    evidence_name = models.CharField("证明材料文件名", max_length=200, blank=True, default="")
    evidence_sha256 = models.CharField("证明材料 SHA-256", max_length=64, blank=True, default="")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="提出人")
    filed_at = models.DateTimeField("提出时间", auto_now_add=True)
    due_date = models.DateField("处理期限", db_index=True)
    status = models.CharField("状态", max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN,
                              db_index=True)
    outcome_reason = models.TextField("处理意见", blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="处理人")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    corrected_record = models.ForeignKey(CreditRecord, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name="更正后的记录")

    scope_field = "subject__region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "subject__institution__fixmedins_code"

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = "信用异议"
        verbose_name_plural = "信用异议"

    def __str__(self) -> str:
        return f"异议 #{self.pk}：{self.record.title}"

    @property
    def decided_in_time(self) -> bool | None:
        if self.decided_at is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.decided_at) <= self.due_date


class RepairStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "准予修复"
    REJECTED = "rejected", "不予修复"


class RepairApplication(ScopedModel):
    """信用修复 of one 不良信息 after rectification and a clean period."""

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="repairs")
    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="repairs",
                               verbose_name="申请修复的不良信息")
    rectification = models.TextField("整改情况")
    evidence = models.FileField("整改证明材料", upload_to="credit/repairs/%Y/%m/", blank=True)
    evidence_name = models.CharField("证明材料文件名", max_length=200, blank=True, default="")
    evidence_sha256 = models.CharField("证明材料 SHA-256", max_length=64, blank=True, default="")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="申请人")
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)
    due_date = models.DateField("审核期限", db_index=True)
    status = models.CharField("状态", max_length=10, choices=RepairStatus.choices, default=RepairStatus.PENDING,
                              db_index=True)
    decision_reason = models.TextField("审核意见", blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="审核人")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)

    scope_field = "subject__region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "subject__institution__fixmedins_code"

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = "信用修复申请"
        verbose_name_plural = "信用修复申请"

    def __str__(self) -> str:
        return f"信用修复 #{self.pk}：{self.record.title}"


class MeasureKind(models.TextChoices):
    INCENTIVE = "incentive", "守信激励（第十二条）"
    PENALTY = "measure", "失信约束（第十三条）"


class Measure(models.Model):
    """One incentive or measure of 第十二、十三条 (editable data) and the grades it applies to."""

    kind = models.CharField("类别", max_length=10, choices=MeasureKind.choices)
    article = models.CharField("条款", max_length=30)
    text = models.CharField("措施", max_length=300)
    grades = models.JSONField("适用等级", default=list)
    subject_kinds = models.JSONField("适用主体", default=list, help_text="org、person；空 = 全部")
    seq = models.PositiveSmallIntegerField("序号", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["kind", "seq", "id"]
        verbose_name = "激励与约束措施"
        verbose_name_plural = "激励与约束措施"

    def __str__(self) -> str:
        return f"{self.article} {self.text}"


class AppliedMeasure(ScopedModel):
    """A measure actually applied to a subject: who, when, what."""

    subject = models.ForeignKey(CreditSubject, on_delete=models.PROTECT, related_name="applied_measures")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+", verbose_name="措施")
    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="依据的评价")
    note = models.TextField("实施情况")
    applied_on = models.DateField("实施日期")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="实施人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    scope_field = "subject__region__code"
    read_permissions = READ_PERMISSIONS
    self_scope_field = "subject__institution__fixmedins_code"

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = "已实施的措施"
        verbose_name_plural = "已实施的措施"

    def __str__(self) -> str:
        return f"{self.subject} {self.measure.text}"


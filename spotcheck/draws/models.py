"""Draw records (SC-DRAW-1): frozen input, commitment, reveal, assignments and later events.

A draw is append-only. Every step is written by ``draws.actions`` with an audit event; rows are
never deleted (``delete()`` raises) and replaced assignments stay as inactive rows. The 32-byte
secret lives in :class:`DrawSecret`, a separate table that no view, API, export or admin shows
before the reveal (after the reveal it is part of the published package).

Frozen input (``Draw.units`` / ``strata`` / ``teams``) is exactly the SC-DRAW-1 input fields:
unit labels are ``fixmedins_code``, inspector ids ``Inspector.number``, departments
``Department.name``. Stratum ids join the values of the policy ``draw.strata_dimensions`` with
``|`` in the listed order, e.g. ``"140522|H|良好"`` (region code | kind H/P | credit grade; an
ungraded institution carries the grade of policy ``draw.ungraded_grade``; ``category`` and
``level`` contribute their stored codes such as ``hospital`` or ``3``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spotcheck.base.models import AppendOnlyModel
from spotcheck.directory.models import Inspector, Institution
from spotcheck.planning.models import Task


class AppendOnly(AppendOnlyModel):
    """Base of every draws table: area-scoped through ``scope_field``, never deletable."""

    append_only_noun = "抽取记录"

    class Meta:
        abstract = True


class DrawStatus(models.TextChoices):
    FROZEN = "frozen", "已冻结"
    COMMIT_PROPOSED = "commit_proposed", "待审批提交"
    COMMITTED = "committed", "已提交承诺"
    REVEAL_PROPOSED = "reveal_proposed", "待审批揭示"
    REVEALED = "revealed", "已揭示"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已作废"


#: Statuses after which a task may get a new draw.
CLOSED_STATUSES = frozenset({DrawStatus.FAILED, DrawStatus.CANCELLED})


class Draw(AppendOnly):
    """One draw of one task, from the frozen pool to the revealed package."""

    draw_id = models.CharField("抽取编号", max_length=40, unique=True)
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="draws", verbose_name="抽查任务")
    year = models.PositiveSmallIntegerField("年度")
    seq = models.PositiveIntegerField("序号")
    status = models.CharField("状态", max_length=16, choices=DrawStatus.choices, default=DrawStatus.FROZEN)

    # Frozen input (SC-DRAW-1 fields) and what the product keeps about it.
    units = models.JSONField("抽取对象（冻结）", default=list)
    strata = models.JSONField("分层参数", default=dict)
    teams = models.JSONField("检查组参数", null=True, blank=True)
    pair_reasons = models.JSONField(
        "回避组合的原因", default=list, blank=True, help_text="[[机构编码, 人员编号, 原因], …]，只在系统内保存"
    )
    inspector_exclusions = models.JSONField(
        "未纳入的检查人员", default=list, blank=True, help_text="[[人员编号, 原因], …]"
    )
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="冻结人"
    )
    frozen_at = models.DateTimeField("冻结时间")

    # Staffing check and its override.
    staffing = models.JSONField("人员配置检查结果", null=True, blank=True)
    staffing_checked_at = models.DateTimeField("人员配置检查时间", null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="人员不足放行人",
    )
    override_at = models.DateTimeField("放行时间", null=True, blank=True)
    override_reason = models.TextField("放行理由", blank=True, default="")

    # Commitment.
    randomness_sources = models.JSONField("公开随机源", default=list, blank=True)
    commit_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="提交发起人",
    )
    commit_proposed_at = models.DateTimeField("提交发起时间", null=True, blank=True)
    commit = models.CharField("承诺值 H(secret)", max_length=64, blank=True, default="")
    snapshot_digest = models.CharField("名录快照摘要", max_length=64, blank=True, default="")
    params_digest = models.CharField("参数摘要", max_length=64, blank=True, default="")
    commitment = models.JSONField("公开承诺", null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="提交审批人",
    )
    committed_at = models.DateTimeField("提交时间", null=True, blank=True)

    # Reveal.
    public_randomness = models.TextField("公开随机数", blank=True, default="")
    reveal_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="揭示发起人",
    )
    reveal_proposed_at = models.DateTimeField("揭示发起时间", null=True, blank=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="揭示审批人",
    )
    revealed_at = models.DateTimeField("揭示时间", null=True, blank=True)
    package = models.JSONField("结果包", null=True, blank=True)

    # Failure (unstaffable reveal) or cancellation before the commitment.
    error_code = models.CharField("错误代码", max_length=30, blank=True, default="")
    error_message = models.TextField("错误说明", blank=True, default="")
    error_unit = models.CharField("无法配置的机构", max_length=64, blank=True, default="")
    error_department = models.CharField("缺人的部门", max_length=60, blank=True, default="")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="作废人",
    )
    closed_at = models.DateTimeField("失败/作废时间", null=True, blank=True)

    scope_field = "task__region__code"

    class Meta:
        ordering = ["-frozen_at", "-id"]
        verbose_name = "随机抽取"
        verbose_name_plural = "随机抽取"

    def __str__(self) -> str:
        return self.draw_id

    @property
    def is_revealed(self) -> bool:
        return self.status == DrawStatus.REVEALED

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class DrawSecret(AppendOnly):
    """The commit secret (64 hex digits). Read only by ``actions.approve_reveal`` / ``approve_event``."""

    draw = models.OneToOneField(Draw, on_delete=models.PROTECT, related_name="secret_row", primary_key=True)
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "draw__task__region__code"

    class Meta:
        verbose_name = "抽取密钥"
        verbose_name_plural = "抽取密钥"

    def __str__(self) -> str:  # never the secret itself
        return f"{self.draw_id} 的密钥"

    def __repr__(self) -> str:
        return f"<DrawSecret draw={self.draw_id}>"


class ExclusionReason(models.TextChoices):
    SUSPENDED = "suspended", "协议暂停"
    TERMINATED = "terminated", "协议解除"
    ANNUAL_CAP = "annual_cap", "本年度已检查同一事项"


class DrawExclusion(AppendOnly):
    """An institution of the task's scope left out of the frozen pool, and why."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="exclusions")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+", verbose_name="机构")
    reason = models.CharField("原因", max_length=12, choices=ExclusionReason.choices)
    detail = models.CharField("说明", max_length=300, blank=True, default="")

    scope_field = "draw__task__region__code"

    class Meta:
        ordering = ["draw_id", "institution__fixmedins_code"]
        verbose_name = "未纳入抽取的机构"
        verbose_name_plural = "未纳入抽取的机构"
        constraints = [models.UniqueConstraint(fields=["draw", "institution"], name="drawexclusion_unique")]

    def __str__(self) -> str:
        return f"{self.institution.fixmedins_code}：{self.get_reason_display()}"


class EventType(models.TextChoices):
    REPLACE_UNIT = "replace_unit", "替换检查对象"
    REPLACE_INSPECTOR = "replace_inspector", "替换检查人员"


class EventReason(models.TextChoices):
    CLOSED = "closed", "机构已关闭/注销"
    NOT_DESIGNATED = "not_designated", "已不再是定点机构"
    SELF_RECUSAL = "self_recusal", "检查人员申请回避"
    INSTITUTION_RECUSAL = "institution_recusal", "被检查对象申请回避"
    SICKNESS = "sickness", "检查人员因病"
    OTHER = "other", "其他"


#: Reasons offered for each event type.
EVENT_REASONS: dict[str, tuple[str, ...]] = {
    EventType.REPLACE_UNIT: (EventReason.CLOSED, EventReason.NOT_DESIGNATED, EventReason.OTHER),
    EventType.REPLACE_INSPECTOR: (
        EventReason.SELF_RECUSAL, EventReason.INSTITUTION_RECUSAL, EventReason.SICKNESS, EventReason.OTHER,
    ),
}


class EventStatus(models.TextChoices):
    REQUESTED = "requested", "待审批"
    APPROVED = "approved", "已生效"
    REJECTED = "rejected", "已驳回"


class DrawEvent(AppendOnly):
    """A requested or applied change after the reveal (SC-DRAW-1 ``events``)."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="events")
    type = models.CharField("类型", max_length=20, choices=EventType.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+", verbose_name="机构")
    inspector = models.ForeignKey(
        Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="检查人员"
    )
    reason_kind = models.CharField("原因类别", max_length=20, choices=EventReason.choices)
    reason = models.CharField("原因说明", max_length=300)
    status = models.CharField("状态", max_length=10, choices=EventStatus.choices, default=EventStatus.REQUESTED)
    seq = models.PositiveIntegerField("生效序号", null=True, blank=True, help_text="在结果包 events 中的位置（从 1 起）")
    spec = models.JSONField("事件（结果包中的写法）", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True, default="")

    scope_field = "draw__task__region__code"

    class Meta:
        ordering = ["draw_id", "requested_at", "id"]
        verbose_name = "抽取变更事件"
        verbose_name_plural = "抽取变更事件"
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "seq"], condition=models.Q(seq__isnull=False), name="drawevent_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.draw_id} {self.get_type_display()} {self.institution.fixmedins_code}"


class Assignment(AppendOnly):
    """A drawn institution of a draw. ``position`` is its place in the current inspection order
    (0-based, active rows only); a replaced row keeps its last position and ``active=False``."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="assignments")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="assignments", verbose_name="机构"
    )
    stratum = models.CharField("层", max_length=200)
    position = models.PositiveIntegerField("检查顺序")
    active = models.BooleanField("有效", default=True)
    added_by_event = models.ForeignKey(
        DrawEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="added_assignments",
        verbose_name="由此事件补入",
    )
    replaced_by_event = models.ForeignKey(
        DrawEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_assignments",
        verbose_name="被此事件替换",
    )

    scope_field = "draw__task__region__code"

    class Meta:
        ordering = ["draw_id", "-active", "position", "id"]
        verbose_name = "抽中机构"
        verbose_name_plural = "抽中机构"
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "institution"], condition=models.Q(active=True), name="assignment_unique_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.draw_id} #{self.position + 1} {self.institution.fixmedins_code}"


class AssignmentMember(AppendOnly):
    """An inspector on a drawn institution's team; ``position`` is the slot position in the team."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="members")
    inspector = models.ForeignKey(
        Inspector, on_delete=models.PROTECT, related_name="assignment_memberships", verbose_name="检查人员"
    )
    position = models.PositiveSmallIntegerField("组内位置")
    active = models.BooleanField("有效", default=True)
    added_by_event = models.ForeignKey(
        DrawEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="added_members",
        verbose_name="由此事件补入",
    )
    replaced_by_event = models.ForeignKey(
        DrawEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_members",
        verbose_name="被此事件替换",
    )

    scope_field = "assignment__draw__task__region__code"

    class Meta:
        ordering = ["assignment_id", "-active", "position", "id"]
        verbose_name = "检查组成员"
        verbose_name_plural = "检查组成员"

    def __str__(self) -> str:
        return f"{self.assignment} {self.inspector.number}"

"""抽查事项清单, 年度抽查计划 and 抽查任务 (with team composition and scope).

A task's area (``region``) is both its scope for area-restricted users and, for an undirected task,
the population: every designated institution whose region code starts with the task's prefix.

Area scope: plans, tasks and slots follow ``restrict(user, action)`` strictly. Item lists and their
items are also *readable* one way upwards: a list issued by a city (or province) applies to its
counties, so item lists and items declare ``scope_inherits`` and ``restrict(user, "view")`` adds the
lists of the user's ancestor areas (``spotcheck.base.scope``). Writes still use ``restrict(user, "plan")``, so a county user reads the
city's list but cannot change it.

Item versions: an item that has been *used* (:meth:`CheckItemQuerySet.used`: referenced by a task
that has a draw, other than a draw cancelled before its commitment, or by an inspection or a
publication, or by an inspection's checklist) is never changed in place. An edit makes a new row
(``version`` n+1, ``supersedes`` the old row, ``change_reason`` required) and stamps ``retired_at`` on
the old row; the rows that used the old version keep pointing at it, with the values they used.
``retired_at IS NULL`` marks the current version; 序号 is unique among the current versions of a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q

from spotcheck.base.models import ScopedModel
from spotcheck.base.scope import ScopedQuerySet
from spotcheck.core.codes import region_contains
from spotcheck.directory.models import Department, Institution, Region

from .ratios import format_percent, is_minimum


class ItemType(models.TextChoices):
    GENERAL = "general", "一般检查事项"
    KEY = "key", "重点检查事项"


class TargetKind(models.TextChoices):
    MEDICAL = "H", "定点医疗机构"
    PHARMACY = "P", "定点零售药店"
    ALL = "HP", "定点医药机构"
    AGENCY = "agency", "医疗保障经办机构"


class ItemList(ScopedModel):
    """One year's 随机抽查事项清单 of one issuing area (e.g. 朔州市医疗保障局 2023)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="发布区域")
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("清单名称", max_length=120)
    issuer = models.CharField("发布单位", max_length=100, blank=True, default="")
    doc_number = models.CharField("文号", max_length=60, blank=True, default="")
    notes = models.TextField("备注", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_inherits = True  # counties read the city's and province's lists (base.scope)
    scope_field = "region__code"

    class Meta:
        ordering = ["-year", "region_id", "name"]
        verbose_name = "抽查事项清单"
        verbose_name_plural = "抽查事项清单"
        constraints = [models.UniqueConstraint(fields=["region", "year", "name"], name="itemlist_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def is_used(self) -> bool:
        """True once one of its items was used: the list's name, year, area, issuer and 文号 are then fixed."""
        return self.items.used().exists()


#: Draw statuses in which a draw no longer uses its task's items. A hook filled by the draws app (which sits
#: above planning) when it starts: a draw cancelled before its commitment.
RELEASING_DRAW_STATUSES: set[str] = set()


def using_tasks() -> models.QuerySet[Task]:
    """Tasks whose items are part of the record: a draw not cancelled before its commitment (the frozen
    input, the public commitment and the draw record name them), an inspection or a publication."""
    draw, inspection, publication = (Task._meta.get_field(name).related_model
                                     for name in ("draws", "inspections", "publications"))
    task = OuterRef("pk")
    return Task.objects.filter(
        Exists(draw.objects.filter(task=task).exclude(status__in=RELEASING_DRAW_STATUSES))
        | Exists(inspection.objects.filter(task=task))
        | Exists(publication.objects.filter(task=task))
    )


class CheckItemQuerySet(ScopedQuerySet):
    def current(self) -> CheckItemQuerySet:
        """The current version of each item (rows not superseded by a newer version)."""
        return self.filter(retired_at__isnull=True)

    def _used_q(self) -> Q:
        through = Task.items.through
        checklist = apps.get_model("inspections", "ChecklistEntry")
        item = OuterRef("pk")
        return Q(Exists(through.objects.filter(checkitem=item, task__in=using_tasks()))) | Q(
            Exists(checklist.objects.filter(check_item=item))
        )

    def used(self) -> CheckItemQuerySet:
        """Items that were used (see the module docstring); they are read-only."""
        return self.filter(self._used_q())

    def with_used(self) -> CheckItemQuerySet:
        """Annotate ``in_use`` (read by :meth:`CheckItem.is_used` without another query)."""
        return self.annotate(in_use=self._used_q())


CheckItemManager = models.Manager.from_queryset(CheckItemQuerySet)


class CheckItem(ScopedModel):
    """One version of one row of the item list, with the seed's columns (附件4).

    ``VALUE_FIELDS`` are what a user edits; the version fields are set by ``planning.actions`` only.
    """

    item_list = models.ForeignKey(ItemList, on_delete=models.CASCADE, related_name="items", verbose_name="清单")
    seq = models.PositiveSmallIntegerField("序号")
    category = models.CharField("抽查类别", max_length=100)
    name = models.CharField("抽查事项", max_length=200)
    target = models.CharField("检查对象", max_length=100)
    target_kind = models.CharField("检查对象类型", max_length=6, choices=TargetKind.choices)
    item_type = models.CharField("事项类别", max_length=8, choices=ItemType.choices)
    ratio_text = models.CharField("检查比例", max_length=30, blank=True, default="", help_text="如“3%”“不低于 3%”")
    ratio_num = models.PositiveIntegerField("比例分子", null=True, blank=True)
    ratio_den = models.PositiveIntegerField("比例分母", null=True, blank=True)
    frequency = models.CharField("检查频次", max_length=30, blank=True, default="")
    methods = models.CharField("检查方式", max_length=100, blank=True, default="")
    subjects = models.CharField("检查主体", max_length=200, blank=True, default="")
    basis = models.TextField("检查依据", blank=True, default="")
    version = models.PositiveSmallIntegerField("版本", default=1, editable=False)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by", editable=False,
        verbose_name="取代的版本",
    )
    change_reason = models.CharField("修改原因", max_length=200, blank=True, default="", editable=False)
    retired_at = models.DateTimeField("被新版本取代的时间", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False,
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", null=True, blank=True, editable=False)

    objects = CheckItemManager()
    scope_field = "item_list__region__code"
    scope_inherits = True

    #: The columns of the list (附件4) plus the ratio derived from 检查比例: what a version holds.
    VALUE_FIELDS = ("seq", "category", "name", "target", "target_kind", "item_type", "ratio_text", "ratio_num",
                    "ratio_den", "frequency", "methods", "subjects", "basis")

    class Meta:
        ordering = ["item_list_id", "seq", "version"]
        verbose_name = "抽查事项"
        verbose_name_plural = "抽查事项"
        constraints = [models.UniqueConstraint(
            fields=["item_list", "seq"], condition=Q(retired_at__isnull=True), name="checkitem_unique_seq",
            violation_error_message="清单中已有该序号的事项",
        )]

    def __str__(self) -> str:
        return f"{self.seq}. {self.name}"

    @property
    def is_current(self) -> bool:
        return self.retired_at is None

    def is_used(self) -> bool:
        """True when the item was used and is therefore read-only (``in_use`` when annotated)."""
        if self.pk is None:
            return False
        annotated = getattr(self, "in_use", None)
        if annotated is not None:
            return bool(annotated)
        return CheckItem.objects.filter(pk=self.pk).used().exists()

    def history(self) -> list[CheckItem]:
        """Every version of this item, oldest first."""
        return list(CheckItem.objects.filter(pk__in=list(versions_of([self])))
                    .select_related("created_by").order_by("version"))

    @property
    def ratio(self) -> Fraction | None:
        if self.ratio_num is None or not self.ratio_den:
            return None
        return Fraction(self.ratio_num, self.ratio_den)

    @property
    def ratio_is_minimum(self) -> bool:
        """True when the list says "不低于" (the ratio is a floor, not an exact share)."""
        return is_minimum(self.ratio_text)


def versions_of(items: Iterable[CheckItem]) -> dict[int, CheckItem]:
    """Every version (older and newer) of each of ``items``: version pk → the given item.

    Rules that mean "the same item" (the annual cap, the previous round) compare through this, so a
    new version of an item is still the item an earlier task checked.
    """
    items = list(items)
    if not items:
        return {}
    older = dict(CheckItem.objects.filter(item_list_id__in={i.item_list_id for i in items})
                 .values_list("pk", "supersedes_id"))
    newer = {old: pk for pk, old in older.items() if old is not None}
    out: dict[int, CheckItem] = {}
    for item in items:
        pk: int | None = item.pk
        while older.get(pk) is not None:
            pk = older[pk]
        while pk is not None:
            out[pk] = item
            pk = newer.get(pk)
    return out


class Plan(ScopedModel):
    """年度抽查计划 of one area."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="区域")
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("计划名称", max_length=120)
    doc_number = models.CharField("文号", max_length=60, blank=True, default="")
    item_list = models.ForeignKey(
        ItemList, null=True, blank=True, on_delete=models.PROTECT, verbose_name="依据的事项清单"
    )
    notes = models.TextField("备注", blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "region__code"

    class Meta:
        ordering = ["-year", "region_id"]
        verbose_name = "年度抽查计划"
        verbose_name_plural = "年度抽查计划"

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class TaskStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    DRAWING = "drawing", "抽取中"
    DRAWN = "drawn", "已抽取"
    INSPECTING = "inspecting", "检查中"
    DONE = "done", "已完成"


class Task(ScopedModel):
    """抽查任务: the 阳城 work-plan columns plus scope, team composition and draw options."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tasks", verbose_name="所属计划")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="任务区域")
    seq = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("任务名称", max_length=120)
    period_start = models.DateField("检查开始日期")
    period_end = models.DateField("检查结束日期")
    scope_text = models.CharField("抽查对象范围", max_length=200, blank=True, default="")
    ratio_num = models.PositiveIntegerField("抽查比例分子")
    ratio_den = models.PositiveIntegerField("抽查比例分母", default=100)
    credit_scaled = models.BooleanField("按信用等级调整比例", default=True)
    items = models.ManyToManyField(CheckItem, blank=True, verbose_name="抽查事项")
    item_summary = models.CharField(
        "抽查事项（计划表述）", max_length=200, blank=True, default="", help_text="工作计划中的写法，如“医保基金使用情况”"
    )
    directed = models.BooleanField("定向抽查", default=False)
    scope_filters = models.JSONField(
        "定向范围条件", default=dict, blank=True,
        help_text='定向抽查的筛选条件，如 {"kind": ["P"], "level": ["3"], "credit_grade": ["较差"], "risk_flag": true}',
    )
    scope_list = models.ManyToManyField(
        Institution, blank=True, related_name="listed_in_tasks", verbose_name="定向名单（上传）"
    )
    method = models.CharField("抽查方式", max_length=30, default="实地检查")
    joint = models.BooleanField("部门联合", default=False)
    responsible_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="responsible_tasks", verbose_name="责任部门"
    )
    joint_departments = models.ManyToManyField(
        Department, blank=True, related_name="joint_tasks", verbose_name="联合部门"
    )
    cap = models.PositiveSmallIntegerField("每名检查人员最多检查机构数", default=3)
    cross_area = models.BooleanField("异地交叉检查（不派本县人员）", default=False)
    exclude_checked_this_year = models.BooleanField("排除本年度已检查同一事项的机构", default=True)
    exclude_last_round_pairs = models.BooleanField("排除上一轮的人员—机构组合", default=True)
    status = models.CharField("状态", max_length=12, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    notes = models.TextField("备注", blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "region__code"

    class Meta:
        ordering = ["-period_start", "seq"]
        verbose_name = "抽查任务"
        verbose_name_plural = "抽查任务"

    def __str__(self) -> str:
        return self.name

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.ratio_num, self.ratio_den)

    @property
    def percent_text(self) -> str:
        """The ratio as the bureau writes it, e.g. "5%" or "3.5%"."""
        return f"{format_percent(self.ratio_num, self.ratio_den)}%"

    @property
    def has_draw(self) -> bool:
        """Past 草稿 a task has a draw: its :data:`DRAW_FIELDS` and team slots are then fixed."""
        return self.status != TaskStatus.DRAFT

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = "检查结束日期不能早于开始日期"
        if self.ratio_den == 0 or (self.ratio_num or 0) > (self.ratio_den or 0):
            errors["ratio_num"] = "抽查比例应在 0 到 100% 之间"
        if self.plan_id and self.region_id:
            if not region_contains(self.plan.region_id, self.region_id):
                errors["region"] = f"任务区域 {self.region_id} 不在计划区域 {self.plan.region_id} 之内"
        if errors:
            raise ValidationError(errors)


#: Task fields a draw depends on; they cannot change once the task has a draw (``has_draw``).
DRAW_FIELDS = (
    "region_id", "period_start", "period_end", "ratio_num", "ratio_den", "credit_scaled", "items",
    "directed", "scope_filters", "scope_list", "cap", "cross_area", "exclude_checked_this_year",
    "exclude_last_round_pairs",
)


class TeamSlot(ScopedModel):
    """Team composition: ``count`` inspectors from ``department`` per inspected institution."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="slots")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, verbose_name="部门")
    count = models.PositiveSmallIntegerField("人数", default=1)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    scope_field = "task__region__code"

    class Meta:
        ordering = ["task_id", "order", "id"]
        verbose_name = "检查组构成"
        verbose_name_plural = "检查组构成"
        constraints = [models.UniqueConstraint(fields=["task", "department"], name="teamslot_unique_dept")]

    def __str__(self) -> str:
        return f"{self.department} × {self.count}"


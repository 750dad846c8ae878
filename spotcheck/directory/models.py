"""The two directories (检查对象名录库, 执法检查人员名录库), regions, departments and the 回避 register.

Every scoped row carries a 6-digit region code reachable through ``scope_field``; reads go through
``objects.restrict(user, action)`` and writes through ``directory.actions``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from spotcheck.base.fields import DigestField, EncryptedCharField
from spotcheck.base.models import ScopedModel
from spotcheck.core import codes


class Region(ScopedModel):
    """GB/T 2260 administrative division. The primary key is the 6-digit code."""

    code = models.CharField("区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级"
    )
    level = models.CharField(
        "级别", max_length=10, choices=[("province", "省级"), ("city", "地级"), ("county", "县级")]
    )

    scope_field = "code"

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class DepartmentKind(models.TextChoices):
    HEALTHCARE_SECURITY = "ybj", "医疗保障局"
    INSURANCE_CENTER = "ybzx", "医疗保险服务中心"
    MARKET_REGULATION = "sjj", "市场监督管理局"
    HEALTH_COMMISSION = "wjw", "卫生健康委员会/卫体局"
    PUBLIC_SECURITY = "gaj", "公安局"


#: Department kinds whose certificate satisfies "至少一名医保部门执法人员" in a team.
HEALTHCARE_KINDS = frozenset({DepartmentKind.HEALTHCARE_SECURITY, DepartmentKind.INSURANCE_CENTER})


class Department(ScopedModel):
    """A department of one area, e.g. 阳城县医疗保障局 or 阳城县市场监督管理局."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="区域")
    kind = models.CharField("类型", max_length=8, choices=DepartmentKind.choices)
    name = models.CharField("名称", max_length=60, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True, default="")

    scope_field = "region__code"

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = "部门"
        verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name

    @property
    def is_healthcare(self) -> bool:
        return self.kind in HEALTHCARE_KINDS


class InstitutionKind(models.TextChoices):
    MEDICAL = "H", "医疗机构"
    PHARMACY = "P", "零售药店"


class InstitutionCategory(models.TextChoices):
    HOSPITAL = "hospital", "医院"
    PRIMARY = "primary", "基层医疗卫生机构"
    CLINIC = "clinic", "门诊部/诊所"
    VILLAGE = "village", "村卫生室"
    PHARMACY = "pharmacy", "零售药店"
    OTHER = "other", "其他"


class InstitutionLevel(models.TextChoices):
    LEVEL3 = "3", "三级"
    LEVEL2 = "2", "二级"
    LEVEL1 = "1", "一级"
    UNRATED = "0", "未定级"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "在协议"
    SUSPENDED = "suspended", "暂停"
    TERMINATED = "terminated", "解除"


class CreditGrade(models.TextChoices):
    EXCELLENT = "优秀", "优秀"
    GOOD = "良好", "良好"
    MEDIUM = "中等", "中等"
    POOR = "较差", "较差"
    BAD = "差", "差"


def _check_phone(obj: models.Model, name: str, errors: dict[str, str]) -> None:
    """Validate the plaintext of an (encrypted) phone field before it is stored; store it normalised (full-width
    digits folded, spaces trimmed) only when that changes it, so an unchanged value keeps its token."""
    value = getattr(obj, name)
    if not value:
        return
    try:
        phone = codes.validate_phone(value)
    except codes.CodeError as exc:
        errors[name] = exc.message
        return
    if phone != value:
        setattr(obj, name, phone)


class Institution(ScopedModel):
    """检查对象: one 定点医药机构, keyed by ``fixmedins_code``."""

    fixmedins_code = models.CharField("定点医药机构编码", max_length=12, unique=True)
    name = models.CharField("机构名称", max_length=100, db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    kind = models.CharField("机构类型", max_length=1, choices=InstitutionKind.choices, db_index=True)
    category = models.CharField("机构类别", max_length=10, choices=InstitutionCategory.choices, db_index=True)
    level = models.CharField(
        "医院等级", max_length=1, choices=InstitutionLevel.choices, default=InstitutionLevel.UNRATED, db_index=True
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="所属区域")
    address = models.CharField("地址", max_length=200, blank=True, default="")
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True, default="")
    contact_person = models.CharField("联系人", max_length=50, blank=True, default="")
    contact_phone = EncryptedCharField("联系电话", max_length=30, blank=True, default="", kind="phone",
                                       digest_field="contact_phone_digest")
    contact_phone_digest = DigestField("联系电话摘要", source="contact_phone")
    contract_status = models.CharField(
        "协议状态", max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE, db_index=True
    )
    credit_grade = models.CharField(
        "信用等级", max_length=4, choices=CreditGrade.choices, blank=True, default="", db_index=True,
        help_text="空 = 未评级（新签协议），抽取时按设置的默认等级处理",
    )
    risk_flag = models.BooleanField("重点监控", default=False, db_index=True)
    contract_date = models.DateField("定点协议签订日期", null=True, blank=True)
    notes = models.TextField("备注", blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_field = "region__code"

    class Meta:
        ordering = ["fixmedins_code"]
        verbose_name = "定点医药机构"
        verbose_name_plural = "检查对象名录库"
        indexes = [
            models.Index(fields=["region", "kind", "credit_grade"], name="inst_region_kind_grade"),
            models.Index(fields=["region", "fixmedins_code"], name="inst_region_code"),
            models.Index(fields=["region", "name"], name="inst_region_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.fixmedins_code}）"

    def clean(self) -> None:
        """Check digits and the consistency of code, kind and area (messages in Chinese)."""
        errors: dict[str, str] = {}
        try:
            self.uscc = codes.validate_uscc(self.uscc)
        except codes.CodeError as exc:
            errors["uscc"] = exc.message
        try:
            self.fixmedins_code = codes.validate_fixmedins_code(
                self.fixmedins_code, region_code=self.region_id or None, kind=self.kind or None
            )
        except codes.CodeError as exc:
            errors["fixmedins_code"] = exc.message
        _check_phone(self, "contact_phone", errors)
        if self.kind == InstitutionKind.PHARMACY and self.category not in ("", InstitutionCategory.PHARMACY):
            errors["category"] = "零售药店的机构类别应为“零售药店”"
        if self.kind == InstitutionKind.MEDICAL and self.category == InstitutionCategory.PHARMACY:
            errors["category"] = "医疗机构的机构类别不能是“零售药店”"
        if errors:
            raise ValidationError(errors)


class InspectorRole(models.TextChoices):
    ENFORCEMENT = "enforcement", "执法"
    AUDIT = "audit", "稽核"
    EXPERT = "expert", "专家"


class InspectorStatus(models.TextChoices):
    ON_DUTY = "on_duty", "在岗"
    ON_LEAVE = "on_leave", "休假"
    TRANSFERRED = "transferred", "调离"


class Inspector(ScopedModel):
    """执法检查人员. ``number`` is the public id used in draws (执法证号 or staff number)."""

    number = models.CharField("人员编号", max_length=64, unique=True)
    name = models.CharField("姓名", max_length=50, db_index=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, verbose_name="所属部门")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="所属区域")
    # encrypted at rest (SM4-GCM, spotcheck/base/fields.py); exact lookup: id_number__matches / phone__matches
    id_number = EncryptedCharField("身份证号", max_length=18, blank=True, default="", kind="id_number",
                                   digest_field="id_number_digest")
    id_number_digest = DigestField("身份证号摘要", source="id_number")
    phone = EncryptedCharField("联系电话", max_length=30, blank=True, default="", kind="phone",
                               digest_field="phone_digest")
    phone_digest = DigestField("联系电话摘要", source="phone")
    role = models.CharField("人员类别", max_length=12, choices=InspectorRole.choices, default=InspectorRole.ENFORCEMENT)
    specialties = models.CharField("专业领域", max_length=100, blank=True, default="", help_text="医疗、药学、财务、信息，用顿号分隔")
    cert_number = models.CharField("执法证号", max_length=40, blank=True, default="", db_index=True)
    cert_valid_from = models.DateField("执法证有效期起", null=True, blank=True)
    cert_valid_to = models.DateField("执法证有效期止", null=True, blank=True, db_index=True)
    status = models.CharField(
        "状态", max_length=12, choices=InspectorStatus.choices, default=InspectorStatus.ON_DUTY, db_index=True
    )
    notes = models.TextField("备注", blank=True, default="")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_field = "region__code"

    class Meta:
        ordering = ["number"]
        verbose_name = "执法检查人员"
        verbose_name_plural = "执法检查人员名录库"
        indexes = [models.Index(fields=["region", "department", "status"], name="insp_region_dept_status")]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.id_number:
            try:
                self.id_number = codes.validate_id_number(self.id_number)
            except codes.CodeError as exc:
                errors["id_number"] = exc.message
        _check_phone(self, "phone", errors)
        if self.cert_valid_from and self.cert_valid_to and self.cert_valid_from > self.cert_valid_to:
            errors["cert_valid_to"] = "执法证有效期止不能早于有效期起"
        if self.department_id and self.region_id and self.department.region_id != self.region_id:
            errors["department"] = f"部门“{self.department}”不属于区域 {self.region_id}"
        if errors:
            raise ValidationError(errors)

    def cert_valid_between(self, start: dt.date, end: dt.date) -> bool:
        """True when the enforcement certificate covers the whole period ``start``..``end``."""
        if not self.cert_number or self.cert_valid_to is None:
            return False
        if self.cert_valid_from is not None and self.cert_valid_from > start:
            return False
        return self.cert_valid_to >= end


class InspectorAbsence(ScopedModel):
    """A period an inspector cannot be drawn (leave, training, secondment)."""

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="absences")
    start = models.DateField("开始")
    end = models.DateField("结束")
    reason = models.CharField("原因", max_length=100)

    scope_field = "inspector__region__code"

    class Meta:
        ordering = ["inspector_id", "start"]
        verbose_name = "不可抽取时段"
        verbose_name_plural = "不可抽取时段"

    def __str__(self) -> str:
        return f"{self.inspector_id} {self.start}～{self.end} {self.reason}"

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "结束日期不能早于开始日期"})


class ConflictReason(models.TextChoices):
    FORMER_EMPLOYEE = "former_employee", "曾任职"
    RELATIVE = "relative", "亲属任职"
    INTEREST = "interest", "利益关系"
    LAST_ROUND = "last_round", "上一轮检查过该机构"
    SELF_REQUEST = "self_request", "本人申请"
    INSTITUTION_REQUEST = "institution_request", "被检查对象申请"


class Conflict(ScopedModel):
    """回避登记: inspector must not inspect institution between ``valid_from`` and ``valid_to``."""

    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="conflicts", verbose_name="检查人员")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="conflicts", verbose_name="机构"
    )
    reason = models.CharField("回避原因", max_length=20, choices=ConflictReason.choices)
    note = models.CharField("说明", max_length=200, blank=True, default="")
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止", null=True, blank=True, help_text="空 = 长期有效")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name="登记人"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    scope_field = "institution__region__code"

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "回避登记"
        verbose_name_plural = "回避登记"
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "institution", "reason", "valid_from"], name="conflict_unique_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.institution}（{self.get_reason_display()}）"

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "有效期止不能早于有效期起"})

    def active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)

from django.conf import settings
from django.db import models


class PolicySetting(models.Model):
    """One value of one policy key from ``effective_from`` on. Append-only: a change is a new row."""

    key = models.CharField("参数", max_length=64, db_index=True)
    value = models.JSONField("取值")
    effective_from = models.DateField("生效日期")
    note = models.CharField("修改原因", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-effective_from", "-id"]
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.effective_from})"


class HolidayOverride(models.Model):
    """One day of the holiday table that overrides ``chinesecalendar``: a holiday (``is_workday`` False)
    or a make-up working day (True). An admin enters next year's State Council schedule here."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="勾选 = 调休上班日；不勾选 = 法定节假日/休息日")
    note = models.CharField("说明", max_length=100, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'}"

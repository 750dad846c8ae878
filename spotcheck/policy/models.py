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

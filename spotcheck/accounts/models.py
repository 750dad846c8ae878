"""Users, roles and area scope.

A user belongs to one area (``region_code``, 6-digit GB/T 2260). The scope prefix of a province is
its first 2 digits, of a city its first 4, of a county all 6; a user sees rows whose region code
starts with that prefix. 系统管理员 and 审计/纪检 see everything.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from spotcheck.base.roles import UNSCOPED_ROLES, Role
from spotcheck.core.codes import region_prefix


class User(AbstractUser):
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.COUNTY_STAFF)
    region_code = models.CharField("所属区域", max_length=6, blank=True, default="")
    display_name = models.CharField("姓名", max_length=50, blank=True, default="")
    inspector_number = models.CharField(
        "检查人员编号", max_length=64, blank=True, default="", help_text="检查人员账号对应的名录库编号"
    )
    institution_code = models.CharField(
        "机构编码", max_length=12, blank=True, default="",
        help_text="机构账号对应的定点医药机构编码；机构账号只能看到本机构的信用档案、异议和已公示结果",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    def check_password(self, raw_password: str | None) -> bool:
        """Django's check, but the re-hash of a password after a hasher upgrade is an audited action
        (``audit verify`` vouches for the password digest)."""
        from django.contrib.auth.hashers import check_password

        def setter(raw: str) -> None:
            from spotcheck.audit.actions import record
            from spotcheck.base.transactions import atomic_action

            with atomic_action():
                self.set_password(raw)
                self._password = None
                self.save(update_fields=["password"])
                record("system", "accounts.user.rehash", self, region_code=self.region_code,
                       reason="登录时按新的密码哈希参数更新密码摘要")

        return check_password(raw_password, self.password, setter)

    @property
    def scope_prefix(self) -> str | None:
        """Region-code prefix this user may see; ``None`` means everything; ``"-"`` nothing."""
        if self.is_superuser or self.role in UNSCOPED_ROLES:
            return None
        if not self.region_code:
            return "-"  # a scoped user without an area sees nothing (fail closed)
        return region_prefix(self.region_code)

    def in_scope(self, region_code: str | None) -> bool:
        prefix = self.scope_prefix
        if prefix is None:
            return True
        return bool(region_code) and str(region_code).startswith(prefix)


class PasswordHistory(models.Model):
    """The hashes of a user's last passwords (``passwords.PasswordHistoryValidator``); never shown."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name="用户")
    password = models.CharField("密码摘要", max_length=128)
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        ordering = ["user_id", "-created_at", "-id"]
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"

"""Users, roles and area scope.

A user belongs to one area (``region_code``, 6-digit GB/T 2260). The scope prefix of a province is
its first 2 digits, of a city its first 4, of a county all 6; a user sees rows whose region code
starts with that prefix. 系统管理员 and 审计/纪检 see everything.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

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
    password_changed_at = models.DateTimeField("密码设置时间", null=True, blank=True)
    must_change_password = models.BooleanField(
        "下次登录须修改密码", default=False, help_text="管理员重置的一次性密码，登录后必须先修改"
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        """Django's, plus the time of the change (password expiry) and the end of a one-time password."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.must_change_password = False

    def check_password(self, raw_password: str | None) -> bool:
        """Django's check, but the re-hash of a password after a hasher upgrade is an audited action
        (``audit verify`` vouches for the password digest)."""
        from django.contrib.auth.hashers import check_password

        def setter(raw: str) -> None:
            from spotcheck.audit.actions import record
            from spotcheck.base.transactions import atomic_action

            with atomic_action():
                AbstractUser.set_password(self, raw)  # a re-hash is not a new password: expiry unchanged
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


class RecoveryCode(models.Model):
    """One-time recovery codes of two-factor sign-in, kept only as SHA-256 digests (shown once)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name="用户")
    digest = models.CharField("摘要", max_length=64)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        ordering = ["user_id", "id"]
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"

    def __str__(self) -> str:
        return f"{self.user_id} {'已用' if self.used_at else '未用'}"


class UserSession(models.Model):
    """A signed-in session of a user (系统管理 → 用户 → 在线会话), so it can be listed and ended.

    Created at sign-in, removed at sign-out or when ended by the user or a 安全管理员; the session itself
    lives in Django's session store under ``session_key``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions", verbose_name="用户")
    session_key = models.CharField("会话", max_length=40, unique=True)
    ip_address = models.CharField("登录地址", max_length=45, blank=True, default="")
    user_agent = models.CharField("浏览器", max_length=200, blank=True, default="")
    signed_in_at = models.DateTimeField("登录时间", default=timezone.now)

    class Meta:
        ordering = ["user_id", "-signed_in_at"]
        verbose_name = "在线会话"
        verbose_name_plural = "在线会话"

    def __str__(self) -> str:
        return f"{self.user_id} {self.signed_in_at:%Y-%m-%d %H:%M}"

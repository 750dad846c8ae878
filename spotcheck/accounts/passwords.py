"""Password rules beyond Django's (issue 13 §3, 等保 身份鉴别): character classes, no user name inside,
and no reuse of the last passwords. Listed in ``AUTH_PASSWORD_VALIDATORS``; their numbers are settings."""

from __future__ import annotations

import string
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

CLASSES = {
    "小写字母": set(string.ascii_lowercase),
    "大写字母": set(string.ascii_uppercase),
    "数字": set(string.digits),
}


def _classes(password: str) -> int:
    found = sum(1 for chars in CLASSES.values() if chars & set(password))
    return found + (1 if any(not c.isalnum() for c in password) else 0)


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if _classes(password) < self.min_classes:
            raise ValidationError(
                f"密码至少要包含小写字母、大写字母、数字、其他符号中的 {self.min_classes} 种", code="password_classes")

    def get_help_text(self) -> str:
        return f"密码至少包含小写字母、大写字母、数字、其他符号中的 {self.min_classes} 种。"


class UsernameNotInPasswordValidator:
    """The user name (3 characters or more) may not appear in the password, in any letter case."""

    def validate(self, password: str, user: Any = None) -> None:
        name = str(getattr(user, "username", "") or "")
        if len(name) >= 3 and name.lower() in password.lower():
            raise ValidationError("密码中不能包含用户名", code="password_contains_username")

    def get_help_text(self) -> str:
        return "密码中不能包含用户名。"


class PasswordHistoryValidator:
    """None of the user's last ``keep`` passwords may be used again; remembers each new one."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None) or self.keep <= 0:
            return
        from .models import PasswordHistory

        used = [h.password for h in PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id")[:self.keep]]
        if any(check_password(password, encoded) for encoded in [*used, user.password]):
            raise ValidationError(f"不能使用最近 {self.keep} 次用过的密码", code="password_reused")

    def password_changed(self, password: str, user: Any = None) -> None:
        """Called by Django when ``user`` is saved with a new password: remember its hash, keep the last few."""
        if user is None or not getattr(user, "pk", None) or self.keep <= 0:
            return
        from .models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        old = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True)
        PasswordHistory.objects.filter(pk__in=list(old[self.keep:])).delete()

    def get_help_text(self) -> str:
        return f"不能使用最近 {self.keep} 次用过的密码。"

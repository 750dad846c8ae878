"""Django's ``changepassword``, as an action: the password change is recorded in the audit chain."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword

from spotcheck.accounts.actions import record_user_saved
from spotcheck.accounts.models import User
from spotcheck.base.transactions import atomic_action


class Command(changepassword.Command):
    def handle(self, *args: Any, **options: Any) -> str:
        username = options.get("username") or getpass.getuser()
        with atomic_action():
            result = super().handle(*args, **options)
            record_user_saved("changepassword", User.objects.filter(username=username),
                              "accounts.user.password", "spotcheck changepassword")
        return result

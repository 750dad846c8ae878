"""Django's ``createsuperuser``, as an action: the new account is recorded in the audit chain."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.db.models import Max

from spotcheck.accounts.actions import record_user_saved
from spotcheck.accounts.models import User
from spotcheck.base.transactions import atomic_action


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with atomic_action():
            last = User.objects.aggregate(m=Max("pk"))["m"] or 0
            super().handle(*args, **options)
            record_user_saved("createsuperuser", User.objects.filter(pk__gt=last), "accounts.user.create",
                              "spotcheck createsuperuser")
